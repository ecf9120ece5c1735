"""Fuse a LoRA adapter into its base: float32 weights under HF / mlx-lm names, ready to export.

The base's MLX directory is read as stored. Packed (MLX affine) weights are expanded with
their scales and biases cast to float32 first, so the float32 values are exactly the
ones the quantized base computes with. Each LoRA pair is then merged in float32:

    W' = W + scale * (lora_a @ lora_b).T     (mlx-lm: y = x W^T + scale * (x @ lora_a) @ lora_b)

A tensor is expanded and merged only when asked for (FusedWeights is a lazy mapping), so an
export holds the packed base plus one float32 tensor at a time, not the whole model in
float32: a 4B base is 16 GB in float32, more than a 16 GB Mac has. Names and shapes are
known (and every LoRA pair checked against them) before any tensor is expanded.

An adapter bound (loco_adapter.json) to another base is refused before anything is read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from loco_mlx.adapters.directory import check_adapter_files, check_base_binding, load_lora_factors, read_adapter_dir
from loco_mlx.bases.store import BaseRecord, weight_files
from loco_mlx.errors import LocoError

# Tensors some checkpoints carry that no model computes with (mlx-lm's sanitize drops them too).
_IGNORED_SUFFIXES = ("rotary_emb.inv_freq",)


@dataclass
class FusedModel:
    weights: Mapping[str, np.ndarray]  # HF / mlx-lm names -> float32 (a FusedWeights: built when read)
    config: dict[str, Any]  # the base's config.json, tie_word_embeddings and head_dim made explicit
    dequantized: bool  # the base was packed 4/8-bit: re-quantizing compounds that error
    adapter: str | None = None  # name of the fused adapter, None for the plain base

    @property
    def architecture(self) -> str:
        return str(self.config.get("model_type", ""))


class FusedWeights(Mapping):
    """name -> float32 weight, expanded from the stored base and merged with the LoRA on access."""

    def __init__(self, raw: dict[str, Any], config: dict[str, Any], lora: dict[str, tuple], scale: float):
        self._raw, self._config, self._scale = raw, config, scale
        self._packed = {k[: -len(".scales")] + ".weight" for k in raw if k.endswith(".scales")}
        stored = {f"{p[: -len('.weight')]}.{leaf}" for p in self._packed for leaf in ("weight", "scales", "biases")}
        names = self._packed | {k for k in raw if k not in stored and not k.endswith(_IGNORED_SUFFIXES)}
        if config["tie_word_embeddings"]:
            names.discard("lm_head.weight")  # mlx-lm ignores it too when the embeddings are tied
        self._names = sorted(names)
        self._lora = {module + ".weight": pair for module, pair in lora.items()}
        for name in self._packed:  # every check before any tensor is expanded
            self._packing(name[: -len(".weight")])
        self._check_lora()

    @property
    def dequantized(self) -> bool:
        return bool(self._packed)

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of `name` without expanding it."""
        if name in self._packed:
            prefix = name[: -len(".weight")]
            scales = self._raw[prefix + ".scales"]
            return (*scales.shape[:-1], self._packing(prefix)[0] * scales.shape[-1])
        return tuple(self._raw[name].shape)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self:
            raise KeyError(name)
        import mlx.core as mx

        w = (
            self._dequantize(name[: -len(".weight")])
            if name in self._packed
            else np.array(self._raw[name].astype(mx.float32))
        )
        if name in self._lora:
            w = _merged(w, *self._lora[name], self._scale, embedding="embed" in name)
        return w

    def __contains__(self, name) -> bool:  # Mapping's default would expand the tensor to answer
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def _check_lora(self) -> None:
        for key, (a, b) in sorted(self._lora.items()):
            module = key[: -len(".weight")]
            if key not in self._names:
                hint = " (the embeddings are tied: the head has no weight of its own)" if "lm_head" in module else ""
                raise LocoError(f"the adapter changes '{module}', which the base has no weight for{hint}")
            # Linear: A @ B is (in, out), the weight (out, in). Embedding LoRA: already (vocab, dims).
            product = (a.shape[0], b.shape[1]) if "embed" in module else (b.shape[1], a.shape[0])
            if product != self.shape(key):
                raise LocoError(f"'{module}': LoRA product has shape {product}, the weight {self.shape(key)}")

    def _packing(self, prefix: str) -> tuple[int, int]:
        """(group size, bits) of a packed weight; LocoError for what cannot be expanded exactly."""
        import mlx.core as mx

        quant = self._config.get("quantization") or {}
        params = quant.get(prefix) if isinstance(quant.get(prefix), dict) else quant
        mode, group_size = params.get("mode", "affine"), int(params.get("group_size", 32))
        weight, scales = self._raw[prefix + ".weight"], self._raw[prefix + ".scales"]
        if mode != "affine" or self._raw.get(prefix + ".biases") is None or scales.dtype == mx.uint8:
            raise LocoError(f"'{prefix}' is quantized in MLX mode {mode!r}; only affine quantization can be exported")
        in_dims = scales.shape[-1] * group_size
        bits = weight.shape[-1] * 32 // in_dims
        if bits not in (2, 3, 4, 5, 6, 8) or weight.shape[-1] * 32 != bits * in_dims:
            raise LocoError(f"'{prefix}': packed shape {weight.shape} does not fit group size {group_size}")
        return group_size, bits

    def _dequantize(self, prefix: str) -> np.ndarray:
        import mlx.core as mx

        group_size, bits = self._packing(prefix)
        weight, scales, biases = (self._raw[prefix + k] for k in (".weight", ".scales", ".biases"))
        # scales and biases to float32 first: the expansion is then exact (no fp16 rounding of s*q+b)
        full = mx.dequantize(
            weight, scales.astype(mx.float32), biases.astype(mx.float32), group_size=group_size, bits=bits
        )
        return np.array(full.astype(mx.float32))


def fused_weights(record: BaseRecord, adapter_dir: str | Path | None = None) -> FusedModel:
    """The base of `record` with the LoRA adapter in `adapter_dir` (if any) merged in, in float32."""
    adapter = _read_adapter(record, adapter_dir) if adapter_dir is not None else None
    model_dir = Path(record.model_dir)
    config = _read_config(model_dir)
    name, scale, lora = adapter if adapter is not None else (None, 0.0, {})
    weights = FusedWeights(_read_stored(model_dir), config, lora, scale)
    return FusedModel(weights, config, weights.dequantized, name)


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


def _read_stored(model_dir: Path) -> dict[str, Any]:
    """Every tensor of the MLX directory as stored (packed ones stay packed)."""
    import mlx.core as mx

    raw: dict[str, Any] = {}
    for file in weight_files(model_dir):
        try:
            raw.update(mx.load(str(file)))
        except (ValueError, RuntimeError) as exc:
            raise LocoError(f"{file}: MLX could not read it: {exc}") from None
    return raw


def _read_adapter(record: BaseRecord, adapter_dir: str | Path) -> tuple[str, float, dict[str, tuple]]:
    """(name, scale, {module: (lora_a, lora_b)}) after the binding and shape checks."""
    directory, config, manifest = read_adapter_dir(adapter_dir)
    check_base_binding(directory, manifest, record)
    if config.get("fine_tune_type", "lora") != "lora":
        raise LocoError(f"{directory}: only LoRA adapters can be fused, not {config['fine_tune_type']!r}")
    check_adapter_files(directory, config, record)
    pairs = load_lora_factors(directory)
    scale = float((config.get("lora_parameters") or {}).get("scale", 20.0))  # mlx-lm's default
    name = (manifest.name if manifest else None) or directory.name
    return name, scale, {m: (p["lora_a"], p["lora_b"]) for m, p in pairs.items()}


def _merged(w: np.ndarray, a, b, scale: float, embedding: bool) -> np.ndarray:
    """w + scale * (A @ B).T in float32, accumulated in float64 (an embedding's A @ B is not transposed)."""
    delta = a.astype(np.float64) @ b.astype(np.float64)
    return (w.astype(np.float64) + scale * (delta if embedding else delta.T)).astype(np.float32)
