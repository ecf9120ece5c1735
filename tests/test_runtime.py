"""Runtime: compute-mode planning and the Linux BLAS preload."""

from __future__ import annotations

import subprocess
import sys

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.runtime import OPENBLAS_CANDIDATES, plan_compute

GiB = 2**30


@pytest.mark.parametrize(
    "requested,device,packed,expanded,mode",
    [
        ("auto", "cpu", 1 * GiB, 4 * GiB, "fp32"),  # fits: expand for the fast BLAS path
        ("auto", "cpu", 1 * GiB, 10_000 * GiB, "packed"),  # does not fit: stay 4-bit
        ("auto", "metal", 1 * GiB, 4 * GiB, "packed"),  # Metal has fast 4-bit kernels
        ("auto", "cuda", 1 * GiB, 4 * GiB, "packed"),
        ("packed", "cpu", 1 * GiB, 4 * GiB, "packed"),
        ("fp32", "metal", 1 * GiB, 4 * GiB, "fp32"),
        ("auto", "cpu", 4 * GiB, 4 * GiB, "packed"),  # nothing quantized: nothing to expand
    ],
)
def test_plan_compute(requested, device, packed, expanded, mode):
    assert plan_compute(requested, device, packed, expanded).mode == mode


def test_plan_compute_rejects_unknown_mode():
    with pytest.raises(LocoError, match="unknown compute mode 'fast'; choose one of: auto, packed, fp32"):
        plan_compute("fast", "cpu", 1, 4)


@pytest.mark.skipif(sys.platform != "linux", reason="the BLAS swap is Linux-only")
def test_openblas_is_loaded_before_mlx():
    """In a fresh interpreter, importing loco_mlx maps the system OpenBLAS (when installed)."""
    import os

    if not any(os.path.exists(p) for p in OPENBLAS_CANDIDATES):
        pytest.skip("no system OpenBLAS installed")
    code = "import loco_mlx, mlx.core; print(open('/proc/self/maps').read().count('libopenblas'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 0
    off = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "LOCO_BLAS": "off"}
    )
    assert int(off.stdout) == 0
