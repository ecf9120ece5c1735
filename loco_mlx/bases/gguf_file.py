"""Read a GGUF file's header: metadata as plain Python values and the tensor table.

Only the header is parsed here (gguf-py memory-maps the file, nothing is copied);
tensor data is loaded later by `mx.load`, which keeps Q4_0/Q4_1/Q8_0 packed.
Every way a file can be wrong (missing, not GGUF, truncated) becomes a LocoError.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loco_mlx.errors import LocoError

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class TensorInfo:
    name: str
    type_name: str  # gguf-py's GGMLQuantizationType name: "F16", "Q4_1", ...
    shape: tuple[int, ...]  # GGUF order: fastest-varying dimension first
    n_elements: int
    n_bytes: int


@dataclass
class GGUFFile:
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)

    @property
    def architecture(self) -> str:
        return str(self.meta.get("general.architecture", ""))

    def arch_value(self, key: str, default: Any = None) -> Any:
        """`{arch}.{key}`, e.g. arch_value("block_count")."""
        return self.meta.get(f"{self.architecture}.{key}", default)


def read_gguf(path: str | os.PathLike) -> GGUFFile:
    """Parse the header of `path`; raise LocoError for a missing, foreign or truncated file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise LocoError(f"no such file: {path}")
    if path.is_dir():
        raise LocoError(f"{path} is a directory, expected a .gguf file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise LocoError(f"{path} is not a GGUF file (starts with {magic!r}, expected b'GGUF')")

    import gguf  # deferred: gguf-py pulls numpy and friends

    try:
        reader = gguf.GGUFReader(path, "r")
    except (ValueError, IndexError, OSError, KeyError) as exc:
        raise LocoError(f"{path} is not a readable GGUF file (truncated or corrupt?): {exc}") from None

    meta = {name: _field_value(f) for name, f in reader.fields.items() if not name.startswith("GGUF.")}
    tensors = [
        TensorInfo(
            name=t.name,
            type_name=t.tensor_type.name,
            shape=tuple(int(d) for d in t.shape),
            n_elements=int(t.n_elements),
            n_bytes=int(t.n_bytes),
        )
        for t in reader.tensors
    ]
    data_end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    size = path.stat().st_size
    if data_end > size:
        raise LocoError(f"{path} is truncated: its tensors need {data_end} bytes, the file has {size}")
    return GGUFFile(path=path, meta=meta, tensors=tensors)


def _field_value(f) -> Any:
    value = f.contents()
    # numpy scalars -> plain Python, so metadata can go straight into JSON
    if hasattr(value, "item") and not isinstance(value, (list, str)):
        return value.item()
    return value


def read_tensor(path: Path, name: str):
    """One (small, unquantized) tensor as a numpy array, e.g. `rope_freqs.weight`."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(path, "r")
    for t in reader.tensors:
        if t.name == name:
            return gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64).reshape(-1)
    raise LocoError(f"{path.name}: no tensor '{name}'")
