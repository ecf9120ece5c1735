"""Build the Hugging Face tokenizer files of a GGUF-imported model from its metadata.

This module owns tokenizer.json, tokenizer_config.json and special_tokens_map.json for
a model read from a .gguf file. transformers never opens the GGUF: the vocab, merges and
token types come from `read_gguf(path).meta`, and the `tokenizers` library assembles a
tokenizer that splits text the way llama.cpp does, so the ids we train on are the ids
llama.cpp sees after export.

Supported: "gpt2" byte-level BPE with the pre-tokenizers of SmolLM2, Llama 3, Qwen2/3,
GPT-2 and llama.cpp's "default"; "llama" SentencePiece vocabs (Llama 2 style, scores
plus <0xNN> byte tokens). Anything else is a LocoError naming the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.files import write_atomic

# GGUF token types (gguf-py's TokenType)
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6

# llama.cpp's pre-tokenizer regexes (src/llama-vocab.cpp, llm_tokenizer_bpe). With several,
# llama.cpp runs each over the pieces the previous one left, keeping unmatched text as its
# own piece: that is Split(behavior="isolated") in a Sequence. (The GPT-2 regex lacks the
# usual final "|\s+"; isolated splitting keeps that leftover whitespace as a piece anyway.)
GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
_LLAMA3 = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2 = _LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")
_DEFAULT = [r"[\p{P}\$\+<=>\^~\|]+", GPT2_SPLIT, r"\p{N}+", r"[0-9][0-9][0-9]"]

# pre id -> (regexes, ignore_merges, add_bos when the GGUF has no add_bos_token), as
# llama.cpp's llama_vocab::load sets them; the aliases share llama.cpp's code path.
BPE_PRE_TOKENIZERS: dict[str, tuple[list[str], bool, bool]] = {
    "default": (_DEFAULT, False, False),
    "gpt-2": ([GPT2_SPLIT], False, False),
    "smollm": ([r"\p{N}", GPT2_SPLIT], False, False),
    "starcoder": ([r"\p{N}", GPT2_SPLIT], False, False),
    "llama-bpe": ([_LLAMA3], True, True),
    "llama3": ([_LLAMA3], True, True),
    "llama-v3": ([_LLAMA3], True, True),
    "qwen2": ([_QWEN2], False, False),
    "deepseek-r1-qwen": ([_QWEN2], False, False),
}
_MODELS = ("gpt2", "llama")
_SPIECE_SPACE = "\u2581"  # "▁", SentencePiece's visible space


def write_tokenizer_files(meta: dict[str, Any], out_dir: Path) -> None:
    """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json into out_dir."""
    out_dir = Path(out_dir)
    model = meta.get("tokenizer.ggml.model")
    if model not in _MODELS:
        raise LocoError(
            f"unsupported GGUF tokenizer model {model!r} (tokenizer.ggml.model); "
            f"supported: 'gpt2' (byte-level BPE), 'llama' (SentencePiece)"
        )
    tokens = [t if t else f"[EMPTY_{i}]" for i, t in enumerate(meta.get("tokenizer.ggml.tokens") or [])]
    if not tokens:
        raise LocoError("the GGUF has no tokenizer.ggml.tokens; cannot build a tokenizer")
    types = list(meta.get("tokenizer.ggml.token_type") or [])
    types += [_NORMAL] * (len(tokens) - len(types))
    is_spm = model == "llama"

    def special_id(name: str, default: int | None) -> int | None:
        value = meta.get(f"tokenizer.ggml.{name}_token_id", default)
        return int(value) if value is not None and 0 <= int(value) < len(tokens) else None

    # llama.cpp's defaults when a key is absent: SPM has <unk>=0 <s>=1 </s>=2, BPE has none useful
    bos = special_id("bos", 1 if is_spm else None)
    eos = special_id("eos", 2 if is_spm else None)
    unk = special_id("unknown", 0 if is_spm else None)
    pad = special_id("padding", None)
    add_bos = bool(meta.get("tokenizer.ggml.add_bos_token", True if is_spm else _bpe_pre(meta)[2]))
    add_eos = bool(meta.get("tokenizer.ggml.add_eos_token", False))

    tok = _build_spm(meta, tokens, types, unk) if is_spm else _build_bpe(meta, tokens)
    _add_special_tokens(tok, tokens, types)
    _set_post_processor(tok, tokens, bos if add_bos else None, eos if add_eos else None)

    ids = {"bos_token": bos, "eos_token": eos, "unk_token": unk, "pad_token": pad}
    names = {key: tokens[i] for key, i in ids.items() if i is not None}
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        **names,
        "add_bos_token": add_bos,
        "add_eos_token": add_eos,
        "clean_up_tokenization_spaces": False,
    }
    arch = meta.get("general.architecture")
    if meta.get(f"{arch}.context_length"):
        config["model_max_length"] = int(meta[f"{arch}.context_length"])
    if meta.get("tokenizer.chat_template"):
        config["chat_template"] = meta["tokenizer.chat_template"]

    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "tokenizer.json", tok.to_str(pretty=False))
    write_atomic(out_dir / "tokenizer_config.json", json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    write_atomic(out_dir / "special_tokens_map.json", json.dumps(names, indent=2, ensure_ascii=False) + "\n")


def _build_bpe(meta: dict[str, Any], tokens: list[str]):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    regexes, ignore_merges, _ = _bpe_pre(meta)
    merges = [_split_merge(m) for m in meta.get("tokenizer.ggml.merges") or []]
    tok = Tokenizer(models.BPE(vocab=_vocab(tokens), merges=[m for m in merges if m], ignore_merges=ignore_merges))
    splits = [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in regexes]
    # the regexes run on the raw text; only then are bytes mapped to GPT-2's printable alphabet
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        splits + [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def _bpe_pre(meta: dict[str, Any]) -> tuple[list[str], bool, bool]:
    pre = meta.get("tokenizer.ggml.pre") or "default"  # llama.cpp falls back to "default" too
    if pre not in BPE_PRE_TOKENIZERS:
        raise LocoError(
            f"unsupported GGUF pre-tokenizer {pre!r} (tokenizer.ggml.pre); "
            f"supported: {', '.join(sorted(BPE_PRE_TOKENIZERS))}"
        )
    return BPE_PRE_TOKENIZERS[pre]


def _build_spm(meta: dict[str, Any], tokens: list[str], types: list[int], unk: int | None):
    from tokenizers import Tokenizer, decoders, models, normalizers

    scores = list(meta.get("tokenizer.ggml.scores") or [])
    if len(scores) < len(tokens):
        raise LocoError("a SentencePiece ('llama') GGUF vocab needs tokenizer.ggml.scores for every token")
    vocab = _vocab(tokens)
    # llama.cpp merges any two adjacent pieces whose concatenation is a token, highest score first;
    # listing every such split as a BPE merge, best score first, gives HF's BPE the same choices.
    ranked = []
    for tid, text in enumerate(tokens):
        if types[tid] == _BYTE or vocab.get(text) != tid or len(text) < 2:
            continue
        for cut in range(1, len(text)):
            if text[:cut] in vocab and text[cut:] in vocab:
                ranked.append((-float(scores[tid]), tid, cut))
    ranked.sort()
    merges = [(tokens[tid][:cut], tokens[tid][cut:]) for _, tid, cut in ranked]
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            unk_token=tokens[unk] if unk is not None else None,
            byte_fallback=True,  # characters outside the vocab become <0xNN> tokens, as in llama.cpp
            fuse_unk=True,
        )
    )
    # llama.cpp puts a space before the first piece and after every special token (add_space_prefix);
    # the normalizer runs per piece between added tokens, which gives the same result.
    space_prefix = bool(meta.get("tokenizer.ggml.add_space_prefix", True))
    steps = [normalizers.Prepend(_SPIECE_SPACE)] if space_prefix else []
    tok.normalizer = normalizers.Sequence(steps + [normalizers.Replace(" ", _SPIECE_SPACE)])
    tail = [decoders.Strip(" ", 1, 0)] if space_prefix else []
    tok.decoder = decoders.Sequence(
        [decoders.Replace(_SPIECE_SPACE, " "), decoders.ByteFallback(), decoders.Fuse()] + tail
    )
    return tok


def _add_special_tokens(tok, tokens: list[str], types: list[int]) -> None:
    from tokenizers import AddedToken

    # llama.cpp matches control, unknown and user-defined tokens in the raw text before splitting
    added = [
        AddedToken(text, special=types[i] != _USER_DEFINED, normalized=False)
        for i, text in enumerate(tokens)
        if types[i] in (_CONTROL, _UNKNOWN, _USER_DEFINED)
    ]
    tok.add_special_tokens([a for a in added if a.special])
    tok.add_tokens([a for a in added if not a.special])


def _set_post_processor(tok, tokens: list[str], bos: int | None, eos: int | None) -> None:
    from tokenizers import processors

    if bos is None and eos is None:
        return
    first = [tokens[bos]] if bos is not None else []
    last = [tokens[eos]] if eos is not None else []
    pair_ids = {tokens[i]: i for i in (bos, eos) if i is not None}
    tok.post_processor = processors.TemplateProcessing(
        single=" ".join(first + ["$A"] + last),
        pair=" ".join(first + ["$A"] + last + first + ["$B:1"] + [t + ":1" for t in last]),
        special_tokens=list(pair_ids.items()),
    )


def _vocab(tokens: list[str]) -> dict[str, int]:
    # a repeated string keeps its last id, as llama.cpp's token_to_id does
    return {text: i for i, text in enumerate(tokens)}


def _split_merge(merge: str) -> tuple[str, str] | None:
    # llama.cpp splits at the first space after the first character (a token may be a lone space)
    pos = merge.find(" ", 1)
    return (merge[:pos], merge[pos + 1 :]) if pos > 0 else None
