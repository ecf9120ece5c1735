"""Generated Python run against the item's tests in the sandbox: pass@1.

The code is the last ```python fenced block of the output (or the last fenced block,
or the whole output when there is none), thinking removed. `expected` holds the
test code (asserts) appended after it; the run passes when the process exits 0
within the sandbox limits (loco_mlx.evaluation.sandbox: own namespace, no network, read-only
filesystem, unprivileged user, time and memory limits, whole process group killed).
"""

from __future__ import annotations

import re
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import strip_thinking

DEFAULTS: dict[str, Any] = {"timeout": 5.0, "memory_mb": 512}
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n(.*?)```", re.DOTALL)


def extract_code(output: str) -> str:
    blocks = _FENCE.findall(strip_thinking(output))
    python = [code for lang, code in blocks if lang.lower() in ("python", "py", "python3")]
    if python:
        return python[-1]
    if blocks:
        return blocks[-1][1]
    return strip_thinking(output).strip()


def score(output: str, expected: Any, options: dict) -> Score:
    from loco_mlx.evaluation.sandbox import SandboxLimits, run_python

    if not isinstance(expected, str) or not expected.strip():
        raise LocoError(f"code_exec scorer: expected should be test code (asserts), got {expected!r}")
    code = extract_code(output)
    limits = SandboxLimits(
        wall_seconds=float(options["timeout"]), cpu_seconds=max(1, int(options["timeout"])),
        memory_bytes=int(options["memory_mb"]) * 2**20,
    )  # fmt: skip
    result = run_python(code, expected, limits)
    detail = "" if result.passed else f"{result.reason}: {result.stderr.strip().splitlines()[-1:] or ''}"
    return Score(1.0 if result.passed else 0.0, result.passed, code[:2000], detail)
