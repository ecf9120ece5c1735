"""Safe file writes (readers never see half a file, a failure never destroys the old one),
and safetensors headers read without loading any tensor."""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from pathlib import Path

from loco_mlx.errors import LocoError


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8,
                "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}  # fmt: skip


def read_safetensors_header(file: Path) -> tuple[dict, int]:
    """(header, offset of the data) of a safetensors file; LocoError when it is not one."""
    size = file.stat().st_size
    with open(file, "rb") as fh:
        raw = fh.read(8)
        (length,) = struct.unpack("<Q", raw) if len(raw) == 8 else (None,)
        if length is None or length > size - 8:
            raise LocoError(f"{file} is corrupt: not a safetensors file, or truncated inside its header")
        try:
            header = json.loads(fh.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            header = None
    if not isinstance(header, dict):
        raise LocoError(f"{file} is corrupt: its safetensors header is not valid JSON")
    return header, 8 + length


def safetensors_shapes(file: Path, check_data: bool = True) -> dict[str, list[int]]:
    """{tensor name: shape} from a safetensors header; LocoError when corrupt or (check_data) truncated."""
    size = file.stat().st_size
    header, data_start = read_safetensors_header(file)
    shapes, end = {}, 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            shape, (begin, stop) = [int(n) for n in info["shape"]], info["data_offsets"]
            expected = math.prod(shape) * _DTYPE_BYTES[info["dtype"]] if check_data else stop - begin
        except (KeyError, TypeError, ValueError):
            raise LocoError(f"{file} is corrupt: bad header entry for tensor '{name}': {info!r}") from None
        if stop - begin != expected:
            raise LocoError(f"{file} is corrupt: tensor '{name}' has {stop - begin} bytes, its shape needs {expected}")
        shapes[name], end = shape, max(end, stop)
    if check_data and data_start + end > size:
        raise LocoError(f"{file} is truncated: its tensors need {data_start + end} bytes, the file has {size}")
    return shapes
