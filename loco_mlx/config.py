"""Typed configuration: dataclasses hold every setting; YAML files only store them.

Precedence is CLI > YAML > dataclass defaults. `load_config(cls, path, overrides)`
checks every key and value against the dataclass, so a typo is an error naming the
key and the file (`configs/chat.yaml: unknown key 'sampling.temprature'`), never a
silently ignored setting. Nested dataclasses map to nested YAML sections; overrides
use dotted keys (`{"sampling.temperature": 0.0}`).

A setting declared with `at_least`, `above`, `within` or `one_of` also has its range
checked: by `load_config` (the error names the file and key, or the command-line flag
that set it) and by the dataclass itself when built in code (`check_settings`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import InferenceConfig
from loco_mlx.inference.open import BACKENDS, check_backend
from loco_mlx.runtime import COMPUTE_MODES

T = TypeVar("T")
_FLOAT_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


# --- what a setting may be ---------------------------------------------------------------


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


def within(default: Any, low: float, high: float, high_open: bool = False) -> Any:
    """A dataclass field whose value must be in [low, high], or [low, high) with high_open."""
    return _setting(default, Bounds(low, high, high_open=high_open))


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


# --- the configs -------------------------------------------------------------------------


@dataclass
class GenerateConfig:
    """Settings of `loco generate` and `loco chat`; also the user config, $LOCO_HOME/config.yaml."""

    base: str = "default"
    system: str | None = None
    compute: str = one_of("auto", COMPUTE_MODES, "compute mode")
    adapter: str | None = None  # a registered adapter name; none = the plain base
    adapter_dirs: list[str] = field(default_factory=list)  # extra directories of adapters (one per subdirectory)
    # keep loaded adapters under this many MB; least recently used go first (null: no limit)
    adapter_memory_mb: float | None = above(None, 0, hint="null sets no limit")
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    # mlx | llamacpp | auto (MLX on Metal/CUDA, else llama.cpp when installed)
    backend: str = one_of("mlx", BACKENDS, "backend")

    def __post_init__(self):
        check_backend(self.backend)
        check_settings(self)


def user_config_path() -> Path:
    from loco_mlx.bases.store import loco_home

    return loco_home() / "config.yaml"


def load_config(
    cls: type[T],
    path: str | Path | list | None = None,
    overrides: dict[str, Any] | None = None,
    flags: dict[str, str] | None = None,
) -> T:
    """Build `cls` from defaults, then the YAML file(s) at `path` in order, then dotted `overrides`.

    `flags` maps a dotted key to the command-line option that overrides it (`{"optim.learning_rate":
    "--learning-rate"}`): an error about a value the option set names the option, not a file."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}  # dotted key -> the file, or the option, that set its value last
    paths = [] if path is None else [path] if isinstance(path, (str, Path)) else list(path)
    for each in paths:
        data = read_yaml(Path(each))
        values = _merge(values, data)
        origins.update(dict.fromkeys(_dotted_keys(data), str(each)))
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue  # an option the user did not pass
        section = values
        *parents, leaf = dotted.split(".")
        for part in parents:
            section = section.setdefault(part, {})
        section[leaf] = value
        origins[dotted] = (flags or {}).get(dotted, "command line")
    return _build(cls, values, origins, prefix="")


def _dotted_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys.append(f"{prefix}{key}")
        if isinstance(value, dict):
            keys += _dotted_keys(value, f"{prefix}{key}.")
    return keys


def _where(origins: dict[str, str], dotted: str) -> str:
    """How an error names a setting: `--flag` when an option set it, else `file: 'key'`."""
    origin = origins.get(dotted, "defaults")
    return origin if origin.startswith("-") else f"{origin}: '{dotted}'"


def _merge(base: dict, update: dict) -> dict:
    merged = dict(base)
    for key, value in update.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise LocoError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise LocoError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise LocoError(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")
    return data


def _build(cls, values: dict[str, Any], origins: dict[str, str], prefix: str):
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in values:
        if key not in fields:
            origin = origins.get(f"{prefix}{key}", "defaults")
            raise LocoError(f"{origin}: unknown key '{prefix}{key}' (known: {', '.join(fields)})")
    kwargs = {}
    for name, value in values.items():
        hint, where = hints[name], _where(origins, f"{prefix}{name}")
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise LocoError(f"{where} must be a section of settings, got {value!r}")
            kwargs[name] = _build(hint, value, origins, prefix=f"{prefix}{name}.")
            continue
        kwargs[name] = _coerce(value, hint, where)
        if (problem := setting_problem(fields[name], kwargs[name])) is not None:
            raise LocoError(f"{where} {problem}")
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check `value` against a simple type hint (int, float, str, bool, X | None, list[X])."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _coerce(value, option, where)
            except LocoError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is list:
        if not isinstance(value, list):
            raise LocoError(f"{where} must be a list, got {value!r}")
        (item,) = typing.get_args(hint)
        return [_coerce(v, item, where) for v in value]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str) and _FLOAT_TEXT.fullmatch(value.strip()):
        return float(value)  # PyYAML (YAML 1.1) reads 2e-4, without a dot, as text
    if hint in (int, float, str, bool) and not (
        isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    ):
        raise LocoError(f"{where} must be {hint.__name__}, got {value!r}")
    return value
