"""Label F1 for multi-label outputs.

The output (thinking stripped) is split on commas, semicolons and newlines;
each piece loses list markers ("- ", "1.", "*") and goes through
`answers.normalise_text`. Value = F1 of the label sets; both empty scores 1.
`passed` needs value >= `threshold` (default 1.0: exactly the expected set).
"""

from __future__ import annotations

import re
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import normalise_text, strip_thinking

DEFAULTS: dict[str, Any] = {"threshold": 1.0}
_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def labels(text: str) -> set[str]:
    pieces = re.split(r"[,;\n]", strip_thinking(text))
    return {label for piece in pieces if (label := normalise_text(_MARKER.sub("", piece)))}


def score(output: str, expected: Any, options: dict) -> Score:
    if isinstance(expected, str):
        want = labels(expected)
    elif isinstance(expected, list) and all(isinstance(label, str) for label in expected):
        want = {normalise_text(label) for label in expected} - {""}
    else:
        raise LocoError(f"f1 scorer: expected {expected!r} should be a list of labels")
    if not 0 <= options["threshold"] <= 1:
        raise LocoError(f"f1 scorer: option threshold={options['threshold']!r} should be between 0 and 1")
    got = labels(output)
    right = len(got & want)
    if not got and not want:
        value = 1.0
    elif right == 0:
        value = 0.0
    else:
        value = 2 * right / (len(got) + len(want))
    detail = []
    if got - want:
        detail.append(f"extra: {sorted(got - want)}")
    if want - got:
        detail.append(f"missing: {sorted(want - got)}")
    return Score(value, value >= options["threshold"], ", ".join(sorted(got)), "; ".join(detail))
