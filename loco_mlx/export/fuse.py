"""Fuse a LoRA adapter into its base: float32 weights under HF / mlx-lm names, ready to export.

The base's MLX directory is read as stored. Packed (MLX affine) weights are expanded with
their scales and biases cast to float32 first, so the float32 values are exactly the
ones the quantized base computes with. Each LoRA pair is then merged in float32:

    W' = W + scale * (lora_a @ lora_b).T     (mlx-lm: y = x W^T + scale * (x @ lora_a) @ lora_b)

An adapter bound (loco_adapter.json) to another base is refused before anything is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loco_mlx.adapters import check_adapter_files, check_base_binding, load_lora_factors, read_adapter_dir
from loco_mlx.errors import LocoError
from loco_mlx.models.store import BaseRecord, weight_files

# Tensors some checkpoints carry that no model computes with (mlx-lm's sanitize drops them too).
_IGNORED_SUFFIXES = ("rotary_emb.inv_freq",)


@dataclass
class FusedModel:
    weights: dict[str, np.ndarray]  # HF / mlx-lm names, float32
    config: dict[str, Any]  # the base's config.json, tie_word_embeddings and head_dim made explicit
    dequantized: bool  # the base was packed 4/8-bit: re-quantizing compounds that error
    adapter: str | None = None  # name of the fused adapter, None for the plain base

    @property
    def architecture(self) -> str:
        return str(self.config.get("model_type", ""))


def fused_weights(record: BaseRecord, adapter_dir: str | Path | None = None) -> FusedModel:
    """The base of `record` with the LoRA adapter in `adapter_dir` (if any) merged in, in float32."""
    adapter = _read_adapter(record, adapter_dir) if adapter_dir is not None else None
    model_dir = Path(record.model_dir)
    config = _read_config(model_dir)
    weights, dequantized = load_float_weights(model_dir, config)
    if config["tie_word_embeddings"]:
        weights.pop("lm_head.weight", None)  # mlx-lm ignores it too when the embeddings are tied
    name = None
    if adapter is not None:
        name, scale, lora = adapter
        merge_lora(weights, lora, scale)
    return FusedModel(weights, config, dequantized, name)


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    if not path.is_file():
        raise LocoError(f"base model directory {model_dir} has no config.json; re-import the base")
    config = json.loads(path.read_text())
    config["tie_word_embeddings"] = _ties_embeddings(config)
    n_heads = int(config["num_attention_heads"])
    config["head_dim"] = int(config.get("head_dim") or config["hidden_size"] // n_heads)
    config.setdefault("num_key_value_heads", n_heads)
    return config


def _ties_embeddings(config: dict[str, Any]) -> bool:
    """What mlx-lm's model class decides (its default differs from transformers' for some archs)."""
    from mlx_lm.utils import _get_classes

    try:
        _, args_class = _get_classes(config)
    except ValueError as exc:
        raise LocoError(f"mlx-lm does not know model_type {config.get('model_type')!r}: {exc}") from None
    return bool(getattr(args_class.from_dict(config), "tie_word_embeddings", False))


def load_float_weights(model_dir: Path, config: dict[str, Any]) -> tuple[dict[str, np.ndarray], bool]:
    """All tensors of the MLX directory as float32 (packed ones expanded exactly); and whether any was packed."""
    import mlx.core as mx

    raw: dict[str, Any] = {}
    for file in weight_files(model_dir):
        try:
            raw.update(mx.load(str(file)))
        except (ValueError, RuntimeError) as exc:
            raise LocoError(f"{file}: MLX could not read it: {exc}") from None
    packed = sorted(k[: -len(".scales")] for k in raw if k.endswith(".scales"))
    out: dict[str, np.ndarray] = {}
    for prefix in packed:
        out[prefix + ".weight"] = _dequantize(raw, prefix, config)
    done = {f"{p}.{leaf}" for p in packed for leaf in ("weight", "scales", "biases")}
    for key, value in raw.items():
        if key not in done and not key.endswith(_IGNORED_SUFFIXES):
            out[key] = np.array(value.astype(mx.float32))
    return out, bool(packed)


def _dequantize(raw: dict, prefix: str, config: dict[str, Any]) -> np.ndarray:
    import mlx.core as mx

    quant = config.get("quantization") or {}
    params = quant.get(prefix) if isinstance(quant.get(prefix), dict) else quant
    mode = params.get("mode", "affine")
    weight, scales, biases = raw[prefix + ".weight"], raw[prefix + ".scales"], raw.get(prefix + ".biases")
    if mode != "affine" or biases is None or scales.dtype == mx.uint8:
        raise LocoError(f"'{prefix}' is quantized in MLX mode {mode!r}; only affine quantization can be exported")
    group_size = int(params.get("group_size", 32))
    in_dims = scales.shape[-1] * group_size
    bits = weight.shape[-1] * 32 // in_dims
    if bits not in (2, 3, 4, 5, 6, 8) or weight.shape[-1] * 32 != bits * in_dims:
        raise LocoError(f"'{prefix}': packed shape {weight.shape} does not fit group size {group_size}")
    # scales and biases to float32 first: the expansion is then exact (no fp16 rounding of s*q+b)
    full = mx.dequantize(weight, scales.astype(mx.float32), biases.astype(mx.float32), group_size=group_size, bits=bits)
    return np.array(full.astype(mx.float32))


def _read_adapter(record: BaseRecord, adapter_dir: str | Path) -> tuple[str, float, dict[str, tuple]]:
    """(name, scale, {module: (lora_a, lora_b)}) after the binding and shape checks."""
    directory, config, manifest = read_adapter_dir(adapter_dir)
    check_base_binding(directory, manifest, record)
    if config.get("fine_tune_type", "lora") != "lora":
        raise LocoError(f"{directory}: only LoRA adapters can be fused, not {config['fine_tune_type']!r}")
    check_adapter_files(directory, config, record)
    pairs = load_lora_factors(directory)
    scale = float((config.get("lora_parameters") or {}).get("scale", 20.0))  # mlx-lm's default
    name = (manifest or {}).get("name") or directory.name
    return name, scale, {m: (p["lora_a"], p["lora_b"]) for m, p in pairs.items()}


def merge_lora(weights: dict[str, np.ndarray], lora: dict[str, tuple], scale: float) -> None:
    """Add scale * (A @ B).T to each adapted weight in place (float32; float64 accumulation)."""
    for module, (a, b) in sorted(lora.items()):
        key = module + ".weight"
        if key not in weights:
            hint = " (the embeddings are tied: the head has no weight of its own)" if "lm_head" in module else ""
            raise LocoError(f"the adapter changes '{module}', which the base has no weight for{hint}")
        w = weights[key]
        delta = a.astype(np.float64) @ b.astype(np.float64)
        # Linear: delta is (in, out), the weight (out, in). Embedding LoRA: already (vocab, dims).
        delta = delta if "embed" in module else delta.T
        if delta.shape != w.shape:
            raise LocoError(f"'{module}': LoRA product has shape {delta.shape}, the weight {w.shape}")
        weights[key] = (w.astype(np.float64) + scale * delta).astype(np.float32)
