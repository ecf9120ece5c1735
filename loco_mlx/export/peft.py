"""An MLX LoRA adapter -> a Hugging Face PEFT adapter directory (`PeftModel.from_pretrained`).

PEFT computes y = x W^T + (lora_alpha / r) * x A^T B^T with lora_A.weight (r, in) and
lora_B.weight (out, r); mlx-lm computes y = x W^T + scale * (x @ a) @ b with a (in, r),
b (r, out). So A = a^T, B = b^T and lora_alpha = scale * r. Rows stay in Hugging Face order:
our bases un-permute llama.cpp's RoPE rows on import, so the adapter already matches HF.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from loco_mlx.bases.resolve import EMBEDDED_DEFAULT_ID
from loco_mlx.errors import LocoError
from loco_mlx.export.lora_gguf import LoraWeights, read_lora
from loco_mlx.files import atomic_directory

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
# The embedded default is a GGUF of this HF checkpoint (its metadata names no repo).
_EMBEDDED_HF_ID = {EMBEDDED_DEFAULT_ID: "HuggingFaceTB/SmolLM2-135M-Instruct"}


def peft_tensors(lora: LoraWeights) -> dict[str, np.ndarray]:
    """PEFT tensor name -> float32 array, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight."""
    out = {}
    for module_path, (a, b) in lora.modules.items():
        prefix = f"base_model.model.{module_path}"
        out[f"{prefix}.lora_A.weight"] = np.ascontiguousarray(a.T, dtype=np.float32)
        out[f"{prefix}.lora_B.weight"] = np.ascontiguousarray(b.T, dtype=np.float32)
    return out


def base_model_id(record) -> str:
    """The Hugging Face repo id of the base where we know it, else the local base id."""
    if record.source_kind == "hf":
        return record.source
    if record.source_kind == "embedded":
        return _EMBEDDED_HF_ID.get(record.id, record.id)
    return record.id


def peft_config(lora: LoraWeights, record) -> dict:
    layers = sorted({lora.layer(path) for path in lora.modules})
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model_id(record),
        "r": lora.rank,
        "lora_alpha": lora.scale * lora.rank,  # PEFT scales by lora_alpha / r
        "lora_dropout": lora.dropout,
        "target_modules": sorted({lora.short_name(path) for path in lora.modules}),
        "bias": "none",
        "fan_in_fan_out": False,
        "use_rslora": False,
        "use_dora": False,
        "inference_mode": True,
        "modules_to_save": None,
    }
    if len(layers) < int(lora.base_config["num_hidden_layers"]):  # mlx-lm's num_layers: the last N only
        config["layers_to_transform"] = layers
        config["layers_pattern"] = "layers"
    return config


def write_peft(adapter_dir: str | Path, record, out_dir: str | Path) -> Path:
    """Write `adapter_dir` (trained on `record`) as a PEFT adapter directory `out_dir`; return it.

    `out_dir` must not exist or be empty; it appears complete or not at all."""
    lora = read_lora(adapter_dir, record)
    tensors = peft_tensors(lora)
    config = peft_config(lora, record)
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise LocoError(f"{out_dir} already exists and is not an empty directory; remove it or pick another")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with atomic_directory(out_dir) as tmp:  # replaces only an empty out_dir
            (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
            _save_safetensors(tmp / WEIGHTS_FILE, tensors)
    except OSError as exc:
        raise LocoError(f"cannot write {out_dir}: {exc.strerror or exc}") from None
    return out_dir


def _save_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    metadata = {"format": "pt"}  # what transformers/PEFT expect in the header
    try:
        from safetensors.numpy import save_file
    except ImportError:  # not a dependency: fall back to MLX's writer (same file format)
        import mlx.core as mx

        mx.save_safetensors(str(path), {k: mx.array(v) for k, v in tensors.items()}, metadata=metadata)
        return
    save_file(tensors, str(path), metadata=metadata)
