"""Data-parallel training: re-run `loco train` under `mlx.launch` (ring backend).

`loco train ... --processes 2` (or `--hosts mac1,mac2`) starts the ranks through
mlx.launch with the same arguments minus the launch options; each rank computes
its share of every batch and the gradients are summed (see loop.py), so the
result equals one process with the same global batch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from loco_mlx.errors import LocoError

LAUNCH_OPTIONS = {"--processes": True, "-n": True, "--hosts": True}  # option -> takes a value


def strip_launch_options(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in LAUNCH_OPTIONS:
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


def relaunch(argv: list[str], processes: int, hosts: str | None) -> int:
    launcher = shutil.which("mlx.launch") or str(Path(sys.executable).parent / "mlx.launch")
    if not Path(launcher).exists():
        raise LocoError("mlx.launch was not found; it comes with the mlx package (pip install mlx)")
    main = Path(__file__).resolve().parents[1] / "__main__.py"
    command = [launcher, "--backend", "ring", "--python", sys.executable]
    command += ["--hosts", hosts] if hosts else ["-n", str(processes)]
    command += [str(main), *strip_launch_options(argv)]
    return subprocess.call(command)
