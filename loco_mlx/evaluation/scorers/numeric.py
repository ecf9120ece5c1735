"""Numeric answers: extract the final number, compare exactly as Fractions.

Extraction is `answers.extract_number_token` (boxed, "the answer is", "= N" at a
line end, last number; thinking stripped). A pass needs
`|got - expected| <= tolerance + relative * |expected|`. The default relative
tolerance of 1e-6 absorbs float spellings ("0.333333" for 1/3 does not pass, but
0.1 + 0.2 written as 0.30000000000000004 does); set it to 0 for exact answers.
Percentages follow `percent`: "value" reads "50%" as 50, "fraction" as 0.5, and
"either" (default) accepts both, since benchmarks write 0.5 and 50 alike.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score, check_choice
from loco_mlx.inference.answers import extract_number_token, format_number, parse_number

DEFAULTS: dict[str, Any] = {"tolerance": 0.0, "relative": 1e-6, "percent": "either"}


def _candidates(token: str, percent: str) -> list[Fraction]:
    """The values a spelling may mean: '50%' is 50, 1/2 or both, depending on `percent`."""
    value = parse_number(token)
    if value is None:
        return []
    if not token.strip().endswith("%"):
        return [value]
    return {"value": [value], "fraction": [value / 100], "either": [value, value / 100]}[percent]


def _expected_values(expected: Any, percent: str) -> list[Fraction]:
    if isinstance(expected, bool) or not isinstance(expected, (int, float, str)):
        raise LocoError(f"numeric scorer: expected {expected!r} should be a number or a string like '1,000' or '3/4'")
    # repr of a float is its shortest spelling, so 0.1 becomes exactly 1/10 rather than the binary neighbour.
    token = repr(expected) if isinstance(expected, float) else str(expected)
    values = _candidates(token, percent)
    if not values:
        raise LocoError(f"numeric scorer: expected {expected!r} is not a number")
    return values


def score(output: str, expected: Any, options: dict) -> Score:
    check_choice("numeric", "percent", options["percent"], ("value", "fraction", "either"))
    for key in ("tolerance", "relative"):
        if options[key] < 0:
            raise LocoError(f"numeric scorer: option {key}={options[key]!r} must be >= 0")
    targets = _expected_values(expected, options["percent"])
    token = extract_number_token(output)
    if token is None:
        return Score(0.0, False, None, "no number in the output")
    tolerance = Fraction(repr(float(options["tolerance"])))
    relative = Fraction(repr(float(options["relative"])))
    for got in _candidates(token, options["percent"]):
        for target in targets:
            if abs(got - target) <= tolerance + relative * abs(target):
                return Score(1.0, True, token, "")
    wanted = " or ".join(format_number(t) for t in targets)
    return Score(0.0, False, token, f"got {token}, expected {wanted}")
