"""The expected text appears in the normalised output.

Both sides go through `answers.normalise_text` (thinking removed, whitespace
collapsed, case and punctuation by option). A list of expected strings passes on
`mode="any"` when one appears; on `mode="all"` the value is the fraction found and
a pass needs all. `whole_words` stops "4" counting as found inside "42".
"""

from __future__ import annotations

from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score, check_choice
from loco_mlx.inference.answers import normalise_text

DEFAULTS: dict[str, Any] = {"mode": "any", "lowercase": True, "strip_punctuation": True, "whole_words": False}


def score(output: str, expected: Any, options: dict) -> Score:
    check_choice("contains", "mode", options["mode"], ("any", "all"))
    needles = expected if isinstance(expected, list) else [expected]
    if not needles or not all(isinstance(n, str) and n.strip() for n in needles):
        raise LocoError(f"contains scorer: expected {expected!r} should be a non-empty string or list of them")

    def norm(text: str) -> str:
        return normalise_text(text, options["lowercase"], options["strip_punctuation"])

    haystack = norm(output)
    padded = f" {haystack} "
    found = [n for n in needles if (f" {norm(n)} " in padded if options["whole_words"] else norm(n) in haystack)]
    missing = [n for n in needles if n not in found]
    if options["mode"] == "any":
        value = 1.0 if found else 0.0
    else:
        value = len(found) / len(needles)
    detail = "" if value == 1.0 else f"not found: {missing!r}"
    return Score(value, value == 1.0, found[0] if found else None, detail)
