"""Evaluation scorers: one pure function per module, looked up by name.

Every scorer is `score(output, expected, options) -> Score`, where `options` has
already been merged over the module's `DEFAULTS`. This package owns the
registry and option checking, so a benchmark typo (an unknown scorer, an
unknown option, a value of the wrong type) fails before any generation runs.
"""

from __future__ import annotations

from typing import Any, Callable

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers import (
    choice,
    code_exec,
    contains,
    exact_match,
    f1,
    json_fields,
    llm_judge,
    numeric,
    rouge_l,
)
from loco_mlx.evaluation.scorers.base import Score, check_choice

__all__ = ["DEFAULTS", "SCORERS", "Score", "check_choice", "resolve_options", "score"]

_MODULES = {
    "numeric": numeric,
    "exact_match": exact_match,
    "contains": contains,
    "choice": choice,
    "json_fields": json_fields,
    "rouge_l": rouge_l,
    "f1": f1,
    "code_exec": code_exec,
    "llm_judge": llm_judge,
}
SCORERS: dict[str, Callable[[str, Any, dict], Score]] = {name: module.score for name, module in _MODULES.items()}
DEFAULTS: dict[str, dict[str, Any]] = {name: module.DEFAULTS for name, module in _MODULES.items()}


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True  # optional options (a regex) take any value of their own kind; the scorer checks it
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


def resolve_options(name: str, options: dict | None) -> dict:
    """The scorer's defaults overlaid with `options`; unknown keys and wrong types are LocoErrors."""
    if name not in SCORERS:
        raise LocoError(f"unknown scorer '{name}'; valid scorers: {', '.join(sorted(SCORERS))}")
    defaults = DEFAULTS[name]
    options = dict(options or {})
    for key, value in options.items():
        if key not in defaults:
            valid = ", ".join(sorted(defaults)) or "(none)"
            raise LocoError(f"scorer '{name}' has no option '{key}'; valid options: {valid}")
        if not _type_ok(defaults[key], value):
            raise LocoError(
                f"scorer '{name}': option {key}={value!r} should be a {type(defaults[key]).__name__} "
                f"like the default {defaults[key]!r}"
            )
    return {**defaults, **options}


def score(name: str, output: str, expected: Any, options: dict | None = None) -> Score:
    """Score one model output against the item's expected answer with the named scorer."""
    resolved = resolve_options(name, options)
    return SCORERS[name](output, expected, resolved)
