"""Turn a llama-family, qwen2 or qwen3 GGUF file into an MLX model directory.

Key choices:
- `mx.load` reads the tensor data: Q4_0/Q4_1/Q8_0 stay packed as MLX affine
  quantization (group 32, bits per tensor as in the file), so a 4-bit GGUF stays
  4-bit. Every tensor's type is checked first, because `mx.load` fails on some
  types (Q5_0, Q5_1, Q3_K, Q5_K, IQ4_NL) and silently drops others (an MXFP4 tensor
  and every tensor after it): an unsupported tensor is an error that names it,
  never a silent loss.
- llama.cpp stores llama Q/K rows in interleaved RoPE order; we permute them back
  to the Hugging Face order, so an adapter trained here has the same layout as one
  trained on the original HF checkpoint (qwen2/qwen3 GGUFs are not permuted).
- The directory is built in a temporary sibling and renamed into place, so a
  failed import never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from loco_mlx.bases.gguf_file import GGUFFile, read_gguf, read_tensor
from loco_mlx.errors import LocoError
from loco_mlx.files import atomic_directory

SUPPORTED_ARCHITECTURES = ("llama", "qwen2", "qwen3")

# Kept packed (MLX affine quantization); the rest of the loadable types become float16.
PACKED_TYPES = {"Q4_0", "Q4_1", "Q8_0"}
FLOAT_TYPES = {"F32", "F16", "BF16"}
# mx.load expands these to float16 exactly; allowed, but the model is then not 4-bit there.
EXPANDED_TYPES = {"Q2_K", "Q4_K", "Q6_K"}
LOADABLE_TYPES = PACKED_TYPES | FLOAT_TYPES | EXPANDED_TYPES

_GLOBAL_NAMES = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_BLOCK_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
# Llama 3.1+ stores its RoPE scaling as per-frequency factors; we turn them back into config.
ROPE_FREQS = "rope_freqs.weight"
_BLOCK_RE = re.compile(r"^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$")


def hf_tensor_name(gguf_name: str) -> str:
    """`blk.3.attn_q.weight` -> `model.layers.3.self_attn.q_proj.weight`; LocoError if unknown."""
    if m := _BLOCK_RE.match(gguf_name):
        layer, part, kind = m.groups()
        if part in _BLOCK_NAMES:
            return f"model.layers.{layer}.{_BLOCK_NAMES[part]}.{kind}"
    else:
        stem, _, kind = gguf_name.rpartition(".")
        if stem in _GLOBAL_NAMES and kind in ("weight", "bias"):
            return f"{_GLOBAL_NAMES[stem]}.{kind}"
    raise LocoError(f"unknown tensor '{gguf_name}' in GGUF; refusing to drop it silently")


def check_importable(gguf: GGUFFile) -> None:
    """Raise LocoError naming the first thing this importer cannot represent faithfully."""
    arch = gguf.architecture
    if arch not in SUPPORTED_ARCHITECTURES:
        raise LocoError(
            f"{gguf.path.name}: unsupported architecture '{arch or '(none)'}'; "
            f"supported: {', '.join(SUPPORTED_ARCHITECTURES)}"
        )
    for t in gguf.tensors:
        if t.type_name not in LOADABLE_TYPES:
            raise LocoError(
                f"{gguf.path.name}: tensor '{t.name}' has type {t.type_name}, which MLX cannot load; "
                f"supported types: {', '.join(sorted(LOADABLE_TYPES))} (re-quantize the GGUF to Q4_0, Q4_1 or Q8_0)"
            )
        if t.name != ROPE_FREQS:
            hf_tensor_name(t.name)
    scaling = gguf.arch_value("rope.scaling.type")
    if scaling not in (None, "none", "linear"):
        raise LocoError(f"{gguf.path.name}: RoPE scaling '{scaling}' is not supported yet (supported: linear, llama3)")


def build_config(gguf: GGUFFile) -> dict[str, Any]:
    """The Hugging Face style config.json that mlx-lm's model classes read."""
    a = gguf.arch_value
    n_heads = int(a("attention.head_count"))
    hidden = int(a("embedding_length"))
    tensor_names = {t.name for t in gguf.tensors}
    vocab = a("vocab_size") or len(gguf.meta.get("tokenizer.ggml.tokens", []))
    config: dict[str, Any] = {
        "model_type": gguf.architecture,
        "architectures": [_HF_CLASS[gguf.architecture]],
        "hidden_size": hidden,
        "num_hidden_layers": int(a("block_count")),
        "intermediate_size": int(a("feed_forward_length")),
        "num_attention_heads": n_heads,
        "num_key_value_heads": int(a("attention.head_count_kv", n_heads)),
        "head_dim": int(a("attention.key_length") or a("rope.dimension_count") or hidden // n_heads),
        "rms_norm_eps": float(a("attention.layer_norm_rms_epsilon", 1e-6)),
        "vocab_size": int(vocab),
        "max_position_embeddings": int(a("context_length", 4096)),
        "rope_theta": float(a("rope.freq_base", 10000.0)),
        "tie_word_embeddings": "output.weight" not in tensor_names,
    }
    if gguf.architecture == "llama":
        config["attention_bias"] = "blk.0.attn_q.bias" in tensor_names
    if a("rope.scaling.type") == "linear":
        config["rope_scaling"] = {"rope_type": "linear", "factor": float(a("rope.scaling.factor"))}
    if ROPE_FREQS in tensor_names:
        factors = read_tensor(gguf.path, ROPE_FREQS)
        config["rope_scaling"] = infer_llama3_rope_scaling(factors, config["rope_theta"], config["head_dim"])
    for key in ("bos_token_id", "eos_token_id", "padding_token_id"):
        value = gguf.meta.get(f"tokenizer.ggml.{key}")
        if value is not None:
            config[key.replace("padding", "pad")] = int(value)
    if any(t.type_name in PACKED_TYPES for t in gguf.tensors):
        # Per-layer bits and group size are inferred by mlx-lm from each tensor's scales.
        config["quantization"] = {"group_size": 32, "bits": 4, "mode": "affine"}
    return config


_HF_CLASS = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def convert_tensors(gguf: GGUFFile, config: dict[str, Any]) -> dict:
    """Load the tensors with mx.load and rename/permute them to mlx-lm's layout."""
    import mlx.core as mx

    try:
        raw = mx.load(str(gguf.path))
    except (ValueError, RuntimeError) as exc:
        raise LocoError(f"{gguf.path.name}: MLX could not read the tensor data: {exc}") from None

    out = {}
    for t in gguf.tensors:
        if t.name == ROPE_FREQS:
            continue  # represented by config["rope_scaling"]
        stem, kind = t.name.rsplit(".", 1)
        hf_name = hf_tensor_name(t.name)
        # A packed tensor arrives from mx.load as three arrays: weight, scales, biases.
        suffixes = ["weight", "scales", "biases"] if t.type_name in PACKED_TYPES else [kind]
        for suffix in suffixes:
            value = raw.get(f"{stem}.{suffix}")
            if value is None:
                raise LocoError(f"{gguf.path.name}: tensor '{t.name}' ({t.type_name}) was not loaded by MLX")
            if gguf.architecture == "llama" and stem.endswith((".attn_q", ".attn_k")):
                heads = config["num_attention_heads" if stem.endswith("q") else "num_key_value_heads"]
                value = unpermute_rope_rows(value, heads)
            out[f"{hf_name.rsplit('.', 1)[0]}.{suffix}"] = value
    return out


def llama3_rope_factors(theta: float, head_dim: int, scaling: dict[str, float]) -> np.ndarray:
    """Per-frequency period multipliers of Llama 3 RoPE scaling (what llama.cpp stores in rope_freqs)."""
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_max_position_embeddings"]
    wavelengths = 2 * np.pi * theta ** (np.arange(0, head_dim, 2) / head_dim)
    smooth = (original / wavelengths - low) / (high - low)
    medium = 1 / ((1 - smooth) / factor + smooth)
    factors = np.where(wavelengths < original / high, 1.0, medium)
    return np.where(wavelengths > original / low, factor, factors)


def infer_llama3_rope_scaling(factors: np.ndarray, theta: float, head_dim: int) -> dict[str, Any]:
    """The Llama 3 rope_scaling config that reproduces `factors`, found among the published settings."""
    factor = round(float(np.max(factors)), 3)  # stored as f32: strip the rounding noise
    for original in (8192, 4096, 16384, 32768, 65536, 131072):
        for low, high in ((1.0, 4.0), (1.0, 2.0), (1.0, 8.0), (2.0, 8.0)):
            scaling = {
                "rope_type": "llama3",
                "factor": factor,
                "low_freq_factor": low,
                "high_freq_factor": high,
                "original_max_position_embeddings": original,
            }
            if np.allclose(llama3_rope_factors(theta, head_dim, scaling), factors, rtol=1e-3, atol=1e-4):
                return scaling
    raise LocoError(
        f"tensor '{ROPE_FREQS}' holds RoPE factors that match no Llama 3 scaling setting "
        f"(max factor {factor:g}); import the Hugging Face checkpoint of this model instead"
    )


def unpermute_rope_rows(w, n_heads: int):
    """Undo llama.cpp's interleaved-RoPE row order (rows are output features).

    llama.cpp stores each head's rows as pairs (x0, x_half, x1, x_half+1, ...);
    HF keeps the two halves contiguous. Works on packed rows too, since quantization
    groups run along the input dimension and each row stays whole.
    """
    rows = w.shape[0]
    head_dim = rows // n_heads
    rest = w.shape[1:]
    return w.reshape(n_heads, head_dim // 2, 2, *rest).swapaxes(1, 2).reshape(rows, *rest)


def import_gguf(path: str | Path, out_dir: Path) -> dict[str, Any]:
    """Write an MLX model directory for `path` at `out_dir`; return its config.

    `out_dir` must not exist; on any failure nothing is left at `out_dir`.
    """
    import mlx.core as mx

    from loco_mlx.bases.gguf_tokenizer import write_tokenizer_files

    gguf = read_gguf(path)
    check_importable(gguf)
    config = build_config(gguf)
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise LocoError(f"{out_dir} already exists; remove it first")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with atomic_directory(out_dir) as tmp:
        weights = convert_tensors(gguf, config)
        mx.save_safetensors(str(tmp / "model.safetensors"), weights, metadata={"format": "mlx"})
        write_tokenizer_files(gguf.meta, tmp)
        generation = {k: config[k] for k in ("bos_token_id", "eos_token_id") if k in config}
        (tmp / "generation_config.json").write_text(json.dumps(generation, indent=2))
        (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    return config
