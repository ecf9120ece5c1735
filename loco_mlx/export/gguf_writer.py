"""Write a fused model (export/fuse.py) as a GGUF file that llama.cpp and Ollama load.

Two paths, listed in EXPORT_TYPES:
- "gguf-py": F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 are encoded here with
  gguf.quants.quantize, one tensor at a time (only the float32 weights are held in full).
- "llama.cpp": K-quants and IQ4 need llama.cpp's own quantizer (gguf-py cannot encode
  them): an F16 file is written first and handed to llama_model_quantize.

Layout follows llama.cpp's conventions, the inverse of models/gguf_import.py: tensor names
from export/names.py, llama Q/K rows in interleaved RoPE order (qwen2/qwen3 are not
permuted), norms, biases and rope_freqs in F32, no output.weight when the embeddings are
tied. The tokenizer is copied verbatim from the base's GGUF when it came from one (so
llama.cpp tokenizes exactly as before), else built from tokenizer.json.

A file is written under a temporary name in the output directory and renamed when
complete: a failure or Ctrl-C never leaves a partial .gguf behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from loco_mlx.bases.gguf_import import ROPE_FREQS, llama3_rope_factors
from loco_mlx.bases.store import BaseRecord
from loco_mlx.errors import LocoError
from loco_mlx.export.fuse import FusedModel
from loco_mlx.export.names import gguf_tensor_name, permute_rope_rows
from loco_mlx.files import atomic_path

SUPPORTED_ARCHITECTURES = ("llama", "qwen2", "qwen3")
_Q = gguf.GGMLQuantizationType
_FT = gguf.LlamaFileType
# qtype -> (tensor type of 2-D weights, general.file_type): encoded by gguf-py here
DIRECT_TYPES: dict[str, tuple[_Q, _FT]] = {
    "F32": (_Q.F32, _FT.ALL_F32),
    "F16": (_Q.F16, _FT.MOSTLY_F16),
    "BF16": (_Q.BF16, _FT.MOSTLY_BF16),
    "Q8_0": (_Q.Q8_0, _FT.MOSTLY_Q8_0),
    "Q5_1": (_Q.Q5_1, _FT.MOSTLY_Q5_1),
    "Q5_0": (_Q.Q5_0, _FT.MOSTLY_Q5_0),
    "Q4_1": (_Q.Q4_1, _FT.MOSTLY_Q4_1),
    "Q4_0": (_Q.Q4_0, _FT.MOSTLY_Q4_0),
}
# qtype -> llama_cpp.LLAMA_FTYPE_* name: quantized by llama.cpp from an F16 file.
# (IQ1/IQ2/IQ3 and Q2_K_S are left out: llama.cpp needs an importance matrix for them.)
LLAMA_CPP_TYPES: dict[str, str] = {
    q: f"LLAMA_FTYPE_MOSTLY_{q}"
    for q in ("Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "IQ4_XS", "IQ4_NL")
}
EXPORT_TYPES: dict[str, str] = {**{q: "gguf-py" for q in DIRECT_TYPES}, **{q: "llama.cpp" for q in LLAMA_CPP_TYPES}}


# --- entry points ----------------------------------------------------------------------


def write_gguf(model: FusedModel, record: BaseRecord, out_path: str | Path, qtype: str = "F16") -> Path:
    """Write `model` as a GGUF file of type `qtype` (one of EXPORT_TYPES) at `out_path`; return it."""
    qtype = _check_qtype(qtype)
    _check_architecture(model)
    out_path = Path(out_path)
    if EXPORT_TYPES[qtype] == "gguf-py":
        with atomic_output(out_path) as tmp:
            _write_direct(model, record, tmp, qtype)
        return out_path
    with atomic_output(out_path) as tmp:
        f16 = tmp.with_name(tmp.name + ".f16")  # same hidden, non-.gguf name family
        try:
            _write_direct(model, record, f16, "F16")
            _quantize(f16, tmp, qtype)
        finally:
            f16.unlink(missing_ok=True)
    return out_path


def quantize_llama_cpp(src_gguf: str | Path, dst_gguf: str | Path, qtype: str) -> Path:
    """Re-quantize an F32/F16/BF16 GGUF to `qtype` (any of LLAMA_CPP_TYPES or the direct ones) with llama.cpp."""
    src, dst = Path(src_gguf), Path(dst_gguf)
    if not src.is_file():
        raise LocoError(f"no such GGUF file: {src}")
    qtype = _check_qtype(qtype)
    with atomic_output(dst) as tmp:
        _quantize(src, tmp, qtype)
    return dst


def _check_qtype(qtype: str) -> str:
    name = qtype.upper()
    if name not in EXPORT_TYPES:
        raise LocoError(f"unsupported GGUF type '{qtype}'; supported: {', '.join(EXPORT_TYPES)}")
    return name


def _check_architecture(model: FusedModel) -> str:
    arch = model.architecture
    if arch not in SUPPORTED_ARCHITECTURES:
        raise LocoError(
            f"cannot export architecture '{arch or '(none)'}'; supported: {', '.join(SUPPORTED_ARCHITECTURES)}"
        )
    return arch


@contextlib.contextmanager
def atomic_output(out_path: Path) -> Iterator[Path]:
    """files.atomic_path for a .gguf: a temporary path beside `out_path`, renamed over it only when the
    block completes; the parent is created and an OSError becomes a LocoError naming the file."""
    out_path = Path(out_path)
    if out_path.is_dir():
        raise LocoError(f"{out_path} is a directory; give the path of the .gguf file to write")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocoError(f"cannot write into {out_path.parent}: {exc}") from None
    try:
        with atomic_path(out_path) as tmp:
            yield tmp
    except OSError as exc:
        raise LocoError(f"writing {out_path} failed: {exc}") from None


# --- llama.cpp quantization --------------------------------------------------------------


def _quantize(src: Path, dst: Path, qtype: str) -> None:
    import llama_cpp

    name = LLAMA_CPP_TYPES.get(qtype) or f"LLAMA_FTYPE_{DIRECT_TYPES[qtype][1].name}"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, name)
    params.nthread = os.cpu_count() or 1
    # llama.cpp logs a line per tensor through llama-cpp-python's logger; keep only errors
    log = logging.getLogger("llama-cpp-python")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    finally:
        log.setLevel(level)
    if rc != 0:
        raise LocoError(
            f"llama.cpp could not quantize {src} to {qtype} (llama_model_quantize returned {rc}); "
            "the source must be an F32, F16 or BF16 GGUF"
        )


# --- the direct writer -------------------------------------------------------------------


@dataclass(frozen=True)
class TensorPlan:
    gguf_name: str
    hf_name: str | None  # None: computed, not a model weight (rope_freqs)
    shape: tuple[int, ...]  # numpy order (rows, cols)
    ggml_type: _Q


def _write_direct(model: FusedModel, record: BaseRecord, path: Path, qtype: str) -> None:
    arch = _check_architecture(model)
    extra = _extra_tensors(model.config, arch)  # validates RoPE scaling before anything is written
    plans = plan_tensors(model, qtype, extra)
    kvs = metadata(model, record, qtype)
    writer = gguf.GGUFWriter(str(path), arch)
    try:
        for kv in kvs:
            writer.add_key_value(kv.key, kv.value, kv.vtype, kv.sub_type)
        for p in plans:
            writer.add_tensor_info(p.gguf_name, *_tensor_info(p))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for p in plans:
            source = extra[p.gguf_name] if p.hf_name is None else _gguf_layout(model, p.hf_name)
            writer.write_tensor_data(encode_tensor(source, p.ggml_type))
    finally:
        writer.close()


def plan_tensors(model: FusedModel, qtype: str, extra: dict[str, np.ndarray]) -> list[TensorPlan]:
    """Every tensor to write, in llama.cpp's usual order, with its GGUF name and type."""
    weight_type = DIRECT_TYPES[qtype][0]
    plans = [TensorPlan(name, None, value.shape, _Q.F32) for name, value in extra.items()]
    tied = _ties(model)
    if not tied and "lm_head.weight" not in model.weights:
        raise LocoError("the config does not tie the embeddings, but the model has no lm_head.weight")
    for hf_name in sorted(model.weights, key=_order):
        if hf_name == "lm_head.weight" and tied:
            continue  # llama.cpp uses token_embd when output.weight is absent
        shape = weight_shape(model, hf_name)
        plans.append(TensorPlan(gguf_tensor_name(hf_name), hf_name, shape, _tensor_type(shape, weight_type)))
    return plans


def weight_shape(model: FusedModel, hf_name: str) -> tuple[int, ...]:
    """A weight's shape, without expanding it when the weights are lazy (FusedWeights)."""
    shape = getattr(model.weights, "shape", None)
    return tuple(shape(hf_name)) if callable(shape) else tuple(model.weights[hf_name].shape)


def _ties(model: FusedModel) -> bool:
    return bool(model.config.get("tie_word_embeddings", "lm_head.weight" not in model.weights))


def _order(hf_name: str) -> tuple:
    parts = hf_name.split(".")
    if hf_name.startswith("model.layers."):
        return (1, int(parts[2]), hf_name)
    return (0 if "embed" in hf_name else 2, 0, hf_name)


def _tensor_type(shape: tuple[int, ...], weight_type: _Q) -> _Q:
    if len(shape) != 2:
        return _Q.F32  # norms and biases: tiny, and llama.cpp computes them in F32
    block = gguf.GGML_QUANT_SIZES[weight_type][0]
    # rows that do not split into whole blocks cannot be quantized; llama.cpp's converter also falls back
    return weight_type if shape[-1] % block == 0 else _Q.F16


def _tensor_info(p: TensorPlan) -> tuple[tuple[int, ...], np.dtype, int, _Q]:
    """(shape, dtype, nbytes, raw type) as GGUFWriter.add_tensor_info wants them."""
    if p.ggml_type in (_Q.F32, _Q.F16):
        dtype = np.dtype(np.float32 if p.ggml_type == _Q.F32 else np.float16)
        return p.shape, dtype, int(np.prod(p.shape)) * dtype.itemsize, p.ggml_type
    byte_shape = gguf.quants.quant_shape_to_byte_shape(p.shape, p.ggml_type)
    return byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), p.ggml_type


def _gguf_layout(model: FusedModel, hf_name: str) -> np.ndarray:
    """The weight in llama.cpp's layout: llama Q/K rows (and biases) in interleaved RoPE order."""
    w = model.weights[hf_name]
    if model.architecture == "llama":
        if ".self_attn.q_proj." in hf_name:
            return permute_rope_rows(w, model.config["num_attention_heads"])
        if ".self_attn.k_proj." in hf_name:
            return permute_rope_rows(w, _kv_heads(model.config))
    return w


def encode_tensor(w: np.ndarray, ggml_type: _Q) -> np.ndarray:
    """float32 -> the bytes (or float array) GGUF stores for `ggml_type`."""
    return np.ascontiguousarray(gguf.quants.quantize(np.asarray(w, dtype=np.float32), ggml_type))


def _extra_tensors(config: dict[str, Any], arch: str) -> dict[str, np.ndarray]:
    """Computed tensors: Llama 3's RoPE frequency factors, as models/gguf_import reads them back."""
    scaling = _rope_scaling(config)
    if scaling.get("rope_type") != "llama3":
        return {}
    if arch != "llama":
        raise LocoError(f"llama3 RoPE scaling on architecture '{arch}' is not supported")
    factors = llama3_rope_factors(float(config.get("rope_theta", 10000.0)), _head_dim(config), scaling)
    return {ROPE_FREQS: factors.astype(np.float32)}


def _head_dim(config: dict[str, Any]) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def _kv_heads(config: dict[str, Any]) -> int:
    return int(config.get("num_key_value_heads") or config["num_attention_heads"])


def _rope_scaling(config: dict[str, Any]) -> dict[str, Any]:
    scaling = dict(config.get("rope_scaling") or {})
    kind = scaling.get("rope_type") or scaling.get("type") or "default"
    if kind not in ("default", "linear", "llama3"):
        raise LocoError(f"RoPE scaling '{kind}' cannot be exported yet; supported: none, linear, llama3")
    scaling["rope_type"] = kind
    return scaling


# --- metadata ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KV:
    key: str
    value: Any
    vtype: gguf.GGUFValueType
    sub_type: gguf.GGUFValueType | None = None


_V = gguf.GGUFValueType


def metadata(model: FusedModel, record: BaseRecord, qtype: str) -> list[KV]:
    """general.*, {arch}.* and tokenizer.* key/values for the file."""
    name = record.id + (f"-{model.adapter}" if model.adapter else "")
    kvs = [
        KV("general.type", "model", _V.STRING),
        KV("general.name", name, _V.STRING),
        KV("general.file_type", int(DIRECT_TYPES[qtype][1]), _V.UINT32),
        KV("general.quantization_version", gguf.GGML_QUANT_VERSION, _V.UINT32),
    ]
    kvs += architecture_kv(model)
    kvs += tokenizer_kv(model, record)
    return kvs


def architecture_kv(model: FusedModel) -> list[KV]:
    c, arch = model.config, model.architecture
    n_heads, head_dim, hidden = int(c["num_attention_heads"]), _head_dim(c), int(c["hidden_size"])
    u32 = {
        "vocab_size": weight_shape(model, "model.embed_tokens.weight")[0],
        "context_length": c.get("max_position_embeddings") or 4096,
        "embedding_length": hidden,
        "block_count": c["num_hidden_layers"],
        "feed_forward_length": c["intermediate_size"],
        "attention.head_count": n_heads,
        "attention.head_count_kv": _kv_heads(c),
        "rope.dimension_count": head_dim,
    }
    if arch == "qwen3" or head_dim * n_heads != hidden:  # llama.cpp assumes hidden / heads otherwise
        u32["attention.key_length"] = u32["attention.value_length"] = head_dim
    kvs = [KV(f"{arch}.{k}", int(v), _V.UINT32) for k, v in u32.items()]
    kvs.append(KV(f"{arch}.rope.freq_base", float(c.get("rope_theta", 10000.0)), _V.FLOAT32))
    kvs.append(KV(f"{arch}.attention.layer_norm_rms_epsilon", float(c.get("rms_norm_eps", 1e-6)), _V.FLOAT32))
    scaling = _rope_scaling(c)
    if scaling["rope_type"] == "linear":
        kvs.append(KV(f"{arch}.rope.scaling.type", "linear", _V.STRING))
        kvs.append(KV(f"{arch}.rope.scaling.factor", float(scaling["factor"]), _V.FLOAT32))
    return kvs


# --- tokenizer -----------------------------------------------------------------------------------

# GGUF token types (gguf.TokenType)
_NORMAL, _CONTROL, _USER_DEFINED, _UNUSED = 1, 3, 4, 5


def tokenizer_kv(model: FusedModel, record: BaseRecord) -> list[KV]:
    """From the base's GGUF when there is one (verbatim), else from tokenizer.json; plus the chat template."""
    n_vocab = weight_shape(model, "model.embed_tokens.weight")[0]
    source = source_gguf(record)
    model_dir = Path(record.model_dir)
    kvs = gguf_tokenizer_kv(source, n_vocab) if source else hf_tokenizer_kv(model_dir, n_vocab)
    if not any(kv.key == "tokenizer.chat_template" for kv in kvs):
        template = chat_template(model_dir)
        if template:
            kvs.append(KV("tokenizer.chat_template", template, _V.STRING))
    return kvs


def source_gguf(record: BaseRecord) -> Path | None:
    """The GGUF file the base was imported from, if it still exists."""
    if record.source_kind not in ("gguf", "embedded"):
        return None
    path = Path(record.source)
    if path.is_file():
        return path
    if record.source_kind == "embedded":  # the venv moved: the package still holds the same file
        from loco_mlx.bases.resolve import embedded_gguf_path

        with contextlib.suppress(LocoError):
            return embedded_gguf_path()
    return None


def gguf_tokenizer_kv(path: Path, n_vocab: int) -> list[KV]:
    """Every tokenizer.* key of `path` with its exact value types (token types stay int32)."""
    reader = gguf.GGUFReader(path, "r")
    kvs = [_field_kv(f) for name, f in reader.fields.items() if name.startswith("tokenizer.")]
    tokens = next((kv.value for kv in kvs if kv.key == "tokenizer.ggml.tokens"), [])
    if len(tokens) != n_vocab:
        raise LocoError(f"{path} has {len(tokens)} tokens, but the model's embedding has {n_vocab} rows")
    return kvs


def _field_kv(field) -> KV:
    types = field.types
    if types[0] != _V.ARRAY:
        value = bytes(field.parts[-1]) if types[0] == _V.STRING else field.parts[-1].tolist()[0]
        return KV(field.name, value, types[0])
    if len(types) != 2:
        raise LocoError(f"GGUF key '{field.name}' is a nested array; cannot copy it")
    if types[1] == _V.STRING:  # raw bytes: copied as stored, whatever their encoding
        return KV(field.name, [bytes(field.parts[i]) for i in field.data], _V.ARRAY, _V.STRING)
    return KV(field.name, field.contents(), _V.ARRAY, types[1])


def hf_tokenizer_kv(model_dir: Path, n_vocab: int) -> list[KV]:
    """A "gpt2" (byte-level BPE) GGUF vocab from tokenizer.json and tokenizer_config.json."""
    file = model_dir / "tokenizer.json"
    if not file.is_file():
        raise LocoError(f"{model_dir} has no tokenizer.json; cannot build the GGUF vocabulary")
    tok = json.loads(file.read_text(encoding="utf-8"))
    bpe = tok.get("model") or {}
    if bpe.get("type") != "BPE" or bpe.get("byte_fallback"):
        raise LocoError(
            f"{file}: tokenizer model {bpe.get('type')!r} (byte_fallback={bpe.get('byte_fallback')}) is not "
            "byte-level BPE; only byte-level BPE tokenizers can be exported from tokenizer.json"
        )
    tokens, types = _vocab_tokens(tok, n_vocab, file)
    merges = [m if isinstance(m, str) else " ".join(m) for m in bpe.get("merges") or []]
    tok_config = _json_file(model_dir / "tokenizer_config.json")
    ids = {text: i for i, text in enumerate(tokens)}
    kvs = [
        KV("tokenizer.ggml.model", "gpt2", _V.STRING),
        KV("tokenizer.ggml.pre", detect_pre_tokenizer(tok.get("pre_tokenizer"), file), _V.STRING),
        KV("tokenizer.ggml.tokens", tokens, _V.ARRAY, _V.STRING),
        KV("tokenizer.ggml.token_type", types, _V.ARRAY, _V.INT32),
    ]
    if merges:
        kvs.append(KV("tokenizer.ggml.merges", merges, _V.ARRAY, _V.STRING))
    config = _json_file(model_dir / "config.json")
    for role, key in (("bos", "bos"), ("eos", "eos"), ("unk", "unknown"), ("pad", "padding")):
        token_id = _special_id(tok_config, config, role, ids)
        if token_id is not None:
            kvs.append(KV(f"tokenizer.ggml.{key}_token_id", token_id, _V.UINT32))
    kvs.append(KV("tokenizer.ggml.add_bos_token", _adds_bos(tok, tok_config), _V.BOOL))
    if "add_eos_token" in tok_config:
        kvs.append(KV("tokenizer.ggml.add_eos_token", bool(tok_config["add_eos_token"]), _V.BOOL))
    return kvs


def _vocab_tokens(tok: dict, n_vocab: int, file: Path) -> tuple[list[str], list[int]]:
    by_id: dict[int, str] = {i: t for t, i in tok["model"]["vocab"].items()}
    kinds: dict[int, int] = {}
    for added in tok.get("added_tokens") or []:
        by_id[added["id"]] = added["content"]
        kinds[added["id"]] = _CONTROL if added.get("special") else _USER_DEFINED
    if max(by_id) >= n_vocab:
        raise LocoError(f"{file} has token id {max(by_id)}, but the model's embedding has only {n_vocab} rows")
    # ids the tokenizer never produces (embedding rows padded to a round size) get placeholder names
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(n_vocab)]
    types = [kinds.get(i, _NORMAL if i in by_id else _UNUSED) for i in range(n_vocab)]
    return tokens, types


# Pre-tokenizer regexes as Hugging Face writes them -> the form in gguf_tokenizer's table.
_HF_REGEX_ALIASES = {"(?i:'s|'t|'re|'ve|'m|'ll|'d)": "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"}


def detect_pre_tokenizer(pre: dict | None, file: Path) -> str:
    """llama.cpp's tokenizer.ggml.pre for a tokenizer.json pre_tokenizer, matched by its regexes."""
    from loco_mlx.bases.gguf_tokenizer import BPE_PRE_TOKENIZERS, GPT2_SPLIT

    regexes = _split_regexes(pre, GPT2_SPLIT)
    for name, (known, _, _) in BPE_PRE_TOKENIZERS.items():  # first match: the canonical name of each family
        if regexes == known:
            return name
    raise LocoError(
        f"{file}: pre-tokenizer {json.dumps(pre)[:200]} matches none llama.cpp knows "
        f"({', '.join(sorted(BPE_PRE_TOKENIZERS))}); export from the model's GGUF instead"
    )


def _split_regexes(pre: dict | None, gpt2: str) -> list[str]:
    """The regexes a (Sequence of) Split / Digits / ByteLevel pre-tokenizer applies, in order."""
    if not pre:
        return []
    if pre.get("type") == "Sequence":
        return [r for p in pre.get("pretokenizers") or [] for r in _split_regexes(p, gpt2)]
    kind = pre.get("type")
    if kind == "Split":
        pattern = pre.get("pattern") or {}
        regex = pattern.get("Regex") or pattern.get("String") or ""
        for hf, ours in _HF_REGEX_ALIASES.items():
            regex = regex.replace(hf, ours)
        return [regex]
    if kind == "Digits":
        return [r"\p{N}" if pre.get("individual_digits") else r"\p{N}+"]
    if kind == "ByteLevel":
        return [gpt2] if pre.get("use_regex", True) else []
    return [f"<{kind}>"]  # something llama.cpp has no equivalent for: matches nothing


def _special_id(tok_config: dict, config: dict, role: str, ids: dict[str, int]) -> int | None:
    token = tok_config.get(f"{role}_token")
    if isinstance(token, dict):
        token = token.get("content")
    if isinstance(token, str) and token in ids:
        return ids[token]
    value = config.get(f"{role}_token_id")
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if value is not None else None


def _adds_bos(tok: dict, tok_config: dict) -> bool:
    if "add_bos_token" in tok_config:
        return bool(tok_config["add_bos_token"])
    post = tok.get("post_processor") or {}
    steps = post.get("processors", [post]) if post.get("type") == "Sequence" else [post]
    for step in steps:
        single = step.get("single") or []
        if step.get("type") == "TemplateProcessing" and single and "SpecialToken" in single[0]:
            return True
    return False


def chat_template(model_dir: Path) -> str | None:
    """The chat template of a model directory: tokenizer_config.json, chat_template.jinja or .json."""
    template = _json_file(model_dir / "tokenizer_config.json").get("chat_template")
    if isinstance(template, list):  # [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default") or next(iter(named.values()), None)
    if not template and (model_dir / "chat_template.jinja").is_file():
        template = (model_dir / "chat_template.jinja").read_text(encoding="utf-8")
    if not template:
        template = _json_file(model_dir / "chat_template.json").get("chat_template")
    return template or None


def _json_file(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LocoError(f"{path} is not valid JSON: {exc}") from None
    return value if isinstance(value, dict) else {}
