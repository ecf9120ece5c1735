"""An MLX LoRA adapter -> a llama.cpp GGUF LoRA adapter (`llama-cli --lora`, Ollama's ADAPTER).

Layouts (checked numerically against llama-cpp-python in tests/test_export_lora.py):
- mlx-lm computes y = x W^T + scale * (x @ a) @ b, with a (in, r) and b (r, out);
- llama.cpp computes y = W x + (alpha / r) * B (A x), with A (r, in) and B (out, r) in numpy
  terms (ggml ne [in, r] and [r, out]), r read from B. So A = a^T, B = b^T, alpha = scale * r.
- llama.cpp stores llama Q/K rows in interleaved RoPE order; B's rows are those same output
  features, so they get the base weight's permutation (A, the input side, is untouched).
  qwen2/qwen3 are not permuted.

`read_lora` (shared with the PEFT exporter) does every check before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loco_mlx.adapters.directory import check_adapter_files, check_base_binding, load_lora_factors, read_adapter_dir
from loco_mlx.bases.gguf_import import SUPPORTED_ARCHITECTURES
from loco_mlx.errors import LocoError
from loco_mlx.export.names import gguf_tensor_name, permute_rope_rows

# The projections llama.cpp applies a LoRA to in every architecture we export.
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_MODULE_RE = re.compile(r"^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)$")
MLX_DEFAULT_SCALE = 20.0  # mlx-lm's LoRALinear default, used when adapter_config.json has none
DTYPES = {"f32": np.float32, "f16": np.float16}


@dataclass
class LoraWeights:
    """A checked LoRA adapter in mlx-lm's layout, as float32 numpy arrays."""

    directory: Path
    name: str
    rank: int
    scale: float
    dropout: float
    modules: dict[str, tuple[np.ndarray, np.ndarray]]  # module path -> (a (in, r), b (r, out))
    base_config: dict  # the base's config.json

    def layer(self, module_path: str) -> int:
        return int(_MODULE_RE.match(module_path).group(1))

    def short_name(self, module_path: str) -> str:
        return module_path.rsplit(".", 1)[1]


def read_lora(adapter_dir: str | Path, record) -> LoraWeights:
    """Read and check an adapter for export against `record` (a BaseRecord); LocoError on anything
    an exporter cannot represent faithfully."""
    directory, config, manifest = read_adapter_dir(adapter_dir)
    if config.get("fine_tune_type", "lora") != "lora":
        raise LocoError(
            f"adapter {directory}: fine_tune_type '{config['fine_tune_type']}' cannot be exported "
            "(DoRA's magnitude vector has no llama.cpp equivalent); only plain LoRA adapters can"
        )
    check_base_binding(directory, manifest, record)
    check_adapter_files(directory, config, record)
    params = config.get("lora_parameters") or {}
    modules = _load_pairs(directory)
    rank = _common_rank(directory, modules, params.get("rank"))
    scale = float(params.get("scale", MLX_DEFAULT_SCALE))
    if not np.isfinite(scale) or scale == 0:
        # llama.cpp reads alpha 0 as "no alpha" (scale 1), so a zero scale cannot be expressed.
        raise LocoError(f"adapter {directory}: lora_parameters.scale is {scale}; it must be finite and non-zero")
    name = (manifest.name if manifest else None) or directory.name
    base_config = json.loads((Path(record.model_dir) / "config.json").read_text())
    return LoraWeights(directory, name, rank, scale, float(params.get("dropout", 0.0)), modules, base_config)


def _load_pairs(directory: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    pairs = load_lora_factors(directory)
    for module_path, pair in pairs.items():
        if "m" in pair:
            raise LocoError(
                f"adapter {directory}: tensor '{module_path}.m' is a DoRA magnitude; DoRA adapters cannot be exported"
            )
    for module_path, pair in pairs.items():
        match = _MODULE_RE.match(module_path)
        if match is None or match.group(3) not in PROJECTIONS:
            raise LocoError(
                f"adapter {directory}: module '{module_path}' cannot be exported (only the layer projections "
                f"{', '.join(PROJECTIONS)} can, not embeddings or the output head)"
            )
        if pair["lora_a"].ndim != 2 or pair["lora_b"].ndim != 2:
            raise LocoError(f"adapter {directory}: '{module_path}' has {pair['lora_a'].ndim}-D LoRA factors; only 2-D")
    return {path: (pair["lora_a"], pair["lora_b"]) for path, pair in sorted(pairs.items())}


def _common_rank(directory: Path, modules: dict, rank) -> int:
    """One rank for all modules: both formats carry one alpha (llama.cpp) or r (PEFT) per file."""
    ranks = {a.shape[1] for a, _ in modules.values()}
    if len(ranks) != 1 or (rank is not None and ranks != {rank}):
        raise LocoError(f"adapter {directory}: modules have ranks {sorted(ranks)}, config says {rank}; need one rank")
    return ranks.pop()


def _check_arch(record, config: dict) -> str:
    arch = config.get("model_type", record.architecture)
    if arch not in SUPPORTED_ARCHITECTURES:
        raise LocoError(
            f"base {record.id} has architecture '{arch}'; LoRA export supports {', '.join(SUPPORTED_ARCHITECTURES)}"
        )
    return arch


def gguf_lora_tensors(lora: LoraWeights, arch: str, dtype: str = "f16") -> dict[str, np.ndarray]:
    """llama.cpp tensor name -> array (A (r, in), B (out, r)), rows permuted for llama Q/K."""
    out = {}
    for module_path, (a, b) in lora.modules.items():
        stem = gguf_tensor_name(module_path + ".weight")
        lora_b = b.T
        if arch == "llama" and lora.short_name(module_path) in ("q_proj", "k_proj"):
            key = "num_attention_heads" if lora.short_name(module_path) == "q_proj" else "num_key_value_heads"
            lora_b = permute_rope_rows(lora_b, int(lora.base_config[key]))
        out[stem + ".lora_a"] = np.ascontiguousarray(a.T, dtype=DTYPES[dtype])
        out[stem + ".lora_b"] = np.ascontiguousarray(lora_b, dtype=DTYPES[dtype])
    return out


def write_lora_gguf(adapter_dir: str | Path, record, out_path: str | Path, dtype: str = "f16") -> Path:
    """Write `adapter_dir` (trained on `record`) as a llama.cpp LoRA GGUF at `out_path`; return the path.

    dtype: "f16" (as llama.cpp's own converter) or "f32" for the LoRA tensors; parity with MLX is
    the same either way (~5e-3 on the tiny tests). The file appears whole or not at all."""
    if dtype not in DTYPES:
        raise LocoError(f"LoRA GGUF dtype '{dtype}' is not one of {', '.join(DTYPES)}")
    lora = read_lora(adapter_dir, record)
    arch = _check_arch(record, lora.base_config)
    tensors = gguf_lora_tensors(lora, arch, dtype)
    out_path = Path(out_path).expanduser()
    _write_gguf_atomic(out_path, arch, lora.name, lora.scale * lora.rank, tensors)
    return out_path


def _write_gguf_atomic(out_path: Path, arch: str, name: str, alpha: float, tensors: dict) -> None:
    import gguf

    from loco_mlx.export.gguf_writer import atomic_output

    with atomic_output(out_path) as tmp:
        writer = gguf.GGUFWriter(str(tmp), arch)
        try:
            writer.add_type(gguf.GGUFType.ADAPTER)
            writer.add_name(name)
            writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
            writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))  # llama.cpp scale = alpha / r
            for tensor_name, array in tensors.items():
                writer.add_tensor(tensor_name, array)
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()
