"""Typed configuration: dataclasses hold every setting; YAML files only store them.

Precedence is CLI > YAML > dataclass defaults. `load_config(cls, path, overrides)`
checks every key and value against the dataclass, so a typo is an error naming the
key and the file (`configs/chat.yaml: unknown key 'sampling.temprature'`), never a
silently ignored setting. Nested dataclasses map to nested YAML sections; overrides
use dotted keys (`{"sampling.temperature": 0.0}`).

A setting declared with `at_least`, `above`, `within` or `one_of` (ranges.py) also has its
range checked: by `load_config` (the error names the file and key, or the command-line flag
that set it) and by the dataclass itself when built in code (`check_settings`).
"""

from __future__ import annotations

import dataclasses
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
from loco_mlx.inference.tools import ToolSettings
from loco_mlx.ranges import above, check_settings, one_of, setting_problem
from loco_mlx.runtime import COMPUTE_MODES

T = TypeVar("T")
_FLOAT_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


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
    tools: ToolSettings = field(default_factory=ToolSettings)  # tool adapters' programs: on, sandbox required
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
        if isinstance(value, list):  # a list of sections: its items' keys as `key[i].name`
            for i, item in enumerate(v for v in value if isinstance(v, dict)):
                keys += [f"{prefix}{key}[{i}]", *_dotted_keys(item, f"{prefix}{key}[{i}].")]
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
        item = _section_of_list(hint)
        if item is not None:  # a list of sections, e.g. train's `mix:`; each item named by its index
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise LocoError(f"{where} must be a list of sections, got {value!r}")
            kwargs[name] = [_build(item, v, origins, prefix=f"{prefix}{name}[{i}].") for i, v in enumerate(value)]
            continue
        kwargs[name] = _coerce(value, hint, where)
        if (problem := setting_problem(fields[name], kwargs[name])) is not None:
            raise LocoError(f"{where} {problem}")
    try:
        return cls(**kwargs)
    except LocoError as exc:  # a section's own check (a required key left out): name the section and its file
        if not prefix:
            raise
        raise LocoError(f"{_where(origins, prefix[:-1])} {exc}") from None


def _section_of_list(hint: Any):
    """The dataclass X of a `list[X]` hint, else None."""
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return item if dataclasses.is_dataclass(item) else None
    return None


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
