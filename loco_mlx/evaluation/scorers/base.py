"""What every scorer returns, and the option check scorers share (here, not in the package's
__init__, so the scorer modules and the registry of them import without a cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loco_mlx.errors import LocoError


@dataclass
class Score:
    value: float  # 0..1; partial credit where the scorer allows it
    passed: bool
    extracted: str | None  # what the scorer read from the output, for the failure report
    detail: str = ""


def check_choice(scorer: str, option: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Raise a LocoError naming the option when `value` is not one of `allowed`."""
    if value not in allowed:
        raise LocoError(f"scorer '{scorer}': option {option}={value!r} is not one of {', '.join(allowed)}")
