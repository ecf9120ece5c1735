"""What a setting may be: ranges declared on dataclass fields, checked in one place.

`config.load_config` checks them as it reads YAML and options (naming the file and key, or
the flag); `check_settings` checks a dataclass built in code. A leaf module, so every stage's
settings (training, sampling, inference) can declare their ranges without importing config.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from loco_mlx.errors import LocoError


@dataclass(frozen=True)
class Bounds:
    """A number in [low, high] (either end may be open or absent); `special` values are allowed too.
    None always passes: an optional setting set to null is off."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    special: tuple[tuple[Any, str], ...] = ()  # (value, what it means), e.g. ((-1, "all layers"),)
    hint: str = ""

    def problem(self, value: Any) -> str | None:
        if value is None or any(value == v and type(value) is type(v) for v, _ in self.special):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if not (too_low or too_high):
            return None
        return f"must be {self.describe()}, got {value!r}" + (f"; {self.hint}" if self.hint else "")

    def describe(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            text = f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        elif self.low is not None:
            text = f"greater than {low}" if self.low_open else f"at least {low}"
        else:
            text = f"less than {high}" if self.high_open else f"at most {high}"
        return text + "".join(f", or {v} ({meaning})" for v, meaning in self.special)


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class OneOf:
    """One of a fixed set of values (a str setting that names a mode); `noun` says what kind."""

    options: tuple[Any, ...]
    noun: str

    def problem(self, value: Any) -> str | None:
        if value in self.options:
            return None
        return f"names an unknown {self.noun} {value!r}; choose one of: {', '.join(map(str, self.options))}"


@dataclass(frozen=True)
class NotEmpty:
    """A list that needs at least one item."""

    hint: str = ""

    def problem(self, value: Any) -> str | None:
        return None if value else "must not be empty" + (f"; {self.hint}" if self.hint else "")


def _setting(default: Any, check: Bounds | OneOf | NotEmpty) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"check": check})
    return field(default=default, metadata={"check": check})


def at_least(default: Any, low: float, special: dict[Any, str] | None = None, hint: str = "") -> Any:
    """A dataclass field whose value must be >= low (or None, or a `special` value)."""
    return _setting(default, Bounds(low, special=tuple((special or {}).items()), hint=hint))


def above(default: Any, low: float, hint: str = "") -> Any:
    """A dataclass field whose value must be > low (or None)."""
    return _setting(default, Bounds(low, low_open=True, hint=hint))


def within(default: Any, low: float, high: float, high_open: bool = False, low_open: bool = False) -> Any:
    """A dataclass field whose value must be in [low, high]; either end open when asked."""
    return _setting(default, Bounds(low, high, low_open=low_open, high_open=high_open))


def one_of(default: Any, options: tuple[Any, ...], noun: str) -> Any:
    """A dataclass field whose value must be one of `options`, e.g. a compute mode."""
    return _setting(default, OneOf(tuple(options), noun))


def not_empty(default: list, hint: str = "") -> Any:
    return _setting(default, NotEmpty(hint))


def setting_problem(f: dataclasses.Field, value: Any) -> str | None:
    """Why `value` is out of range for the field `f` ("must be ..., got ..."), or None."""
    check = f.metadata.get("check")
    return check.problem(value) if check is not None else None


def check_settings(config: Any, prefix: str = "") -> None:
    """Raise a LocoError naming the dotted key (e.g. optim.learning_rate) of the first setting of
    `config`, nested sections included, whose value is out of range."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            check_settings(value, f"{prefix}{f.name}.")
        elif (problem := setting_problem(f, value)) is not None:
            raise LocoError(f"{prefix}{f.name} {problem}")
