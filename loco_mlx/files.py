"""Safe file writes (readers never see half a file, a failure never destroys the old one),
safetensors headers read without loading any tensor, and JSONL objects read with their line numbers.

Every write goes to a hidden temporary name beside its destination (same directory, so
the same filesystem and an atomic rename) and is renamed into place only when complete;
on any failure, Ctrl-C included, the temporary is deleted and the old file or directory
is left as it was. Callers create the parent directory (`check_writable` makes it and proves
it writable, before any long work) and word their own errors.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from loco_mlx.errors import LocoError


def check_writable(folder: Path) -> None:
    """Make `folder` when missing and prove a file can be written in it; a LocoError naming why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".loco-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except (FileExistsError, NotADirectoryError):
        raise LocoError(f"cannot write to the output directory {folder}: a file stands where it would be") from None
    except OSError as exc:
        raise LocoError(f"cannot write to the output directory {folder}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_path(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield an empty temporary file beside `path` to write; rename it over `path` when the block
    completes, delete it when the block raises."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(mode)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` through a temporary file beside it."""
    with atomic_path(path, mode) as tmp:
        tmp.write_bytes(data)


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file beside it."""
    write_bytes_atomic(path, text.encode("utf-8"), mode)


def previous_copy(path: Path) -> Path:
    """Where `move_directory(..., replace=True)` parks the old `path` during its swap: `.<name>.old`.
    A crash between its two renames leaves the old copy there, so readers look there second."""
    path = Path(path)
    return path.with_name(f".{path.name}.old")


@contextlib.contextmanager
def temp_directory(path: Path, prefix: str | None = None) -> Iterator[Path]:
    """Yield a new empty directory beside `path` (default name `.<name>.XXXX.tmp`); whatever of it is
    still there when the block ends is deleted, so move it into place inside the block."""
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=prefix or f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def move_directory(new: Path, target: Path, replace: bool = False) -> None:
    """Rename the complete directory `new` to `target`, readable by all (mkdtemp makes it private).

    Without `replace`, `target` must be missing or empty (else OSError). With `replace`, an existing
    `target` is renamed to previous_copy(target) first and deleted once `new` is in place."""
    new, target = Path(new), Path(target)
    new.chmod(0o755)
    if not replace:
        os.replace(new, target)  # POSIX: also replaces an empty directory
        return
    old = previous_copy(target)
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)  # a crash before this line leaves `old` as the only copy: readers find it
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(path: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside `path` to fill; move it to `path` (see move_directory) when
    the block completes, delete it when the block raises."""
    with temp_directory(path) as tmp:
        yield tmp
        move_directory(tmp, path, replace)


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


def json_lines(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file; LocoError naming the first bad line."""
    if not path.is_file():
        raise LocoError(f"no such file: {path}")
    rows = []
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LocoError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise LocoError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        rows.append((number, row))
    return rows
