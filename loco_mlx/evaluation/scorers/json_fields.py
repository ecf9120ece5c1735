"""Structured answers: parse a JSON object from the output and compare fields.

The object is `answers.find_json`'s: fenced ```json blocks first, then every balanced `{...}`
span. `which` picks the first or last candidate (default last: the final answer follows the
reasoning). The value is the fraction of expected fields that
are equal; missing fields score 0. Strings compare after `answers.normalise_text`
with the case and punctuation options; numbers compare by value (1 == 1.0).
"""

from __future__ import annotations

import json
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score, check_choice
from loco_mlx.inference.answers import find_json, normalise_text

DEFAULTS: dict[str, Any] = {"which": "last", "lowercase": True, "strip_punctuation": False}


def _equal(got: Any, want: Any, options: dict) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return got == want
    if isinstance(want, str) and isinstance(got, str):
        return normalise_text(got, options["lowercase"], options["strip_punctuation"]) == normalise_text(
            want, options["lowercase"], options["strip_punctuation"]
        )
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_equal(got[k], want[k], options) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_equal(g, w, options) for g, w in zip(got, want))
    return got == want


def score(output: str, expected: Any, options: dict) -> Score:
    check_choice("json_fields", "which", options["which"], ("first", "last"))
    if not isinstance(expected, dict) or not expected:
        raise LocoError(f"json_fields scorer: expected {expected!r} should be a non-empty object of fields")
    found = find_json(output, options["which"])
    if found is None:
        return Score(0.0, False, None, "no valid JSON object in the output")
    mismatches = []
    for key, want in expected.items():
        if key not in found:
            mismatches.append(f"{key}: missing")
        elif not _equal(found[key], want, options):
            mismatches.append(f"{key}: got {found[key]!r}, expected {want!r}")
    value = (len(expected) - len(mismatches)) / len(expected)
    return Score(value, not mismatches, json.dumps(found, sort_keys=True), "; ".join(mismatches))
