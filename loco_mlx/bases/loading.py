"""Load a stored base into memory, in the compute mode that suits the device.

On Metal/CUDA the packed 4-bit weights are kept (fast quantized kernels). On the
CPU, quantized matmuls are slow, so the weights are expanded to fp32 when that
fits: scales and biases are cast to fp32 *before* dequantizing, so the expanded
weights are exactly the values the 4-bit base represents (docs/ARCHITECTURE.md, fact 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loco_mlx.bases.resolve import resolve_base
from loco_mlx.bases.store import BaseRecord
from loco_mlx.runtime import ComputePlan, device_name, plan_compute


@dataclass
class LoadedBase:
    record: BaseRecord
    model: Any  # mlx.nn.Module
    tokenizer: Any  # mlx_lm TokenizerWrapper
    config: dict
    compute: ComputePlan
    device: str

    @property
    def context_length(self) -> int:
        return int(self.config.get("max_position_embeddings") or 2048)


def load_base(spec: str | BaseRecord | None = None, compute: str = "auto") -> LoadedBase:
    from mlx_lm.utils import load_model, load_tokenizer

    record = spec if isinstance(spec, BaseRecord) else resolve_base(spec)
    model_dir = Path(record.model_dir)
    model, config = load_model(model_dir)
    tokenizer = load_tokenizer(model_dir, eos_token_ids=config.get("eos_token_id"))
    device = device_name()
    plan = plan_compute(compute, device, record.size_bytes, record.parameters * 4)
    if plan.mode == "fp32":
        expand_to_fp32(model)
    model.eval()
    return LoadedBase(record, model, tokenizer, config, plan, device)


def expand_to_fp32(model) -> None:
    """Replace quantized layers by fp32 ones holding exactly the dequantized values."""
    import mlx.core as mx
    from mlx_lm.utils import dequantize_model

    model.set_dtype(mx.float32)  # scales/biases first, so dequantization runs in fp32
    dequantize_model(model)
    mx.eval(model.parameters())
