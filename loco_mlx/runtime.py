"""Where the model runs: BLAS fix on Linux, device, memory, compute mode, `loco doctor`.

The MLX Linux CPU wheel links the reference BLAS (~3.6 GFLOP/s on a 1024^2 fp32
matmul here); a system OpenBLAS loaded with RTLD_GLOBAL *before* `import mlx.core`
makes MLX use it (~115 GFLOP/s; docs/ARCHITECTURE.md, fact 1). `loco_mlx/__init__.py` calls
`preload_blas()` so that it always runs first. Nothing in this module imports mlx
at import time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.errors import LocoError

OPENBLAS_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
)
OPENBLAS_HINT = "sudo apt-get install libopenblas0-pthread   (Fedora: sudo dnf install openblas-threads)"

COMPUTE_MODES = ("auto", "packed", "fp32")

_blas_loaded: str | None = None


def preload_blas() -> str | None:
    """Load a system OpenBLAS globally on Linux before mlx; return its path or None.

    LOCO_BLAS=off skips it; LOCO_BLAS=/path/to/lib.so picks a specific library.
    """
    global _blas_loaded
    if _blas_loaded or sys.platform != "linux" or "mlx.core" in sys.modules:
        return _blas_loaded
    choice = os.environ.get("LOCO_BLAS", "auto")
    if choice == "off":
        return None
    if choice != "auto":
        candidates = [choice]
    else:
        found = ctypes.util.find_library("openblas")  # other distros' names and paths
        candidates = list(OPENBLAS_CANDIDATES) + ([found] if found else [])
    for path in candidates:
        if Path(path).exists() or "/" not in path:
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            _blas_loaded = path
            return path
    return None


def loaded_blas() -> str | None:
    return _blas_loaded


def device_name() -> str:
    """'metal', 'cuda' or 'cpu': the device MLX computes on by default."""
    import mlx.core as mx

    if mx.metal.is_available():
        return "metal"
    cuda = getattr(mx, "cuda", None)
    if cuda is not None and cuda.is_available():
        return "cuda"
    return "cpu"


def total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def available_memory_bytes() -> int:
    """MemAvailable on Linux; total memory elsewhere (macOS has no cheap equivalent)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return total_memory_bytes()


@dataclass(frozen=True)
class ComputePlan:
    mode: str  # "packed": keep 4-bit weights; "fp32": expand them for the CPU's fast BLAS path
    reason: str


def plan_compute(requested: str, device: str, packed_bytes: int, expanded_bytes: int) -> ComputePlan:
    """Pick how a quantized base computes: packed on Metal/CUDA, fp32 on CPU when it fits.

    MLX's CPU quantized matmul is ~25x slower than fp32 through OpenBLAS (docs/ARCHITECTURE.md,
    fact 2); expanding keeps exactly the quantized values, so results stay those of the 4-bit base.
    """
    requested = requested or "auto"
    if requested not in COMPUTE_MODES:
        raise LocoError(f"unknown compute mode '{requested}'; choose one of: {', '.join(COMPUTE_MODES)}")
    if packed_bytes == expanded_bytes:
        return ComputePlan("packed", "the model has no quantized weights")
    if requested != "auto":
        return ComputePlan(requested, f"asked for {requested}")
    if device != "cpu":
        return ComputePlan("packed", f"{device} has fast quantized kernels")
    budget = available_memory_bytes() // 2
    if expanded_bytes <= budget:
        return ComputePlan("fp32", "CPU device: quantized kernels are slow, fp32 fits in memory")
    return ComputePlan(
        "packed",
        f"CPU device, but fp32 needs {expanded_bytes / 2**30:.1f} GiB > half the free memory",
    )


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """A quick fp32 matmul rate on the default device, to show which BLAS MLX really uses."""
    import time

    import mlx.core as mx

    a = mx.random.normal((n, n))
    b = mx.random.normal((n, n))
    mx.eval(a @ b)
    start = time.perf_counter()
    for _ in range(repeats):
        mx.eval(a @ b)
    seconds = (time.perf_counter() - start) / repeats
    return 2 * n**3 / seconds / 1e9


def package_versions(dists=("loco-mlx", "mlx", "mlx-lm")) -> dict[str, str]:
    """Installed versions, recorded with every adapter and result."""
    from importlib import metadata

    found = {}
    for dist in dists:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


def doctor_report() -> list[tuple[str, str]]:
    """Rows of (check, finding) for `loco doctor`."""
    rows = [("OS", f"{platform.system()} {platform.release()} ({platform.machine()})")]
    rows.append(("Python", platform.python_version()))
    dists = ("mlx", "mlx-lm", "gguf", "tokenizers", "llama-cpp-python", "huggingface-hub")
    rows += list(package_versions(dists).items())
    device = device_name()
    rows.append(("device", device))
    if sys.platform == "linux":
        blas = loaded_blas()
        rows.append(
            ("BLAS", f"system OpenBLAS ({blas})" if blas else f"MLX's reference BLAS (slow); fix: {OPENBLAS_HINT}")
        )
    rows.append(("fp32 matmul 1024^2", f"{matmul_gflops():.1f} GFLOP/s"))
    rows.append(
        (
            "memory",
            f"{total_memory_bytes() / 2**30:.1f} GiB total, {available_memory_bytes() / 2**30:.1f} GiB available",
        )
    )
    mode = (
        "packed 4-bit weights"
        if device != "cpu"
        else "4-bit bases expanded to fp32 when they fit (LOCO_COMPUTE=packed to keep 4-bit)"
    )
    rows.append(("compute mode", mode))
    return rows
