"""Exact match after normalisation, optionally on a regex-extracted span.

Thinking is always stripped. With `regex`, the last match in the output is the
answer (group 1 when the pattern has a group, else the whole match): models
restate the question before answering, so the last match is the final word.
`expected` may be a list of acceptable answers; any one passes.
"""

from __future__ import annotations

import re
import string
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import strip_thinking

DEFAULTS: dict[str, Any] = {
    "lowercase": True,
    "strip_punctuation": True,
    "normalize_whitespace": True,
    "regex": None,
}


def normalise(text: str, options: dict) -> str:
    if options["lowercase"]:
        text = text.lower()
    if options["strip_punctuation"]:
        text = text.translate(str.maketrans("", "", string.punctuation))
    if options["normalize_whitespace"]:
        text = " ".join(text.split())
    return text.strip()


def extract(output: str, pattern: str | None) -> str | None:
    """The span to compare: the whole output, or the last regex match (group 1 if any)."""
    text = strip_thinking(output)
    if pattern is None:
        return text
    try:
        compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise LocoError(f"exact_match scorer: option regex={pattern!r} does not compile: {exc}") from exc
    matches = list(compiled.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    return last.group(1) if compiled.groups else last.group(0)


def score(output: str, expected: Any, options: dict) -> Score:
    if options["regex"] is not None and not isinstance(options["regex"], str):
        raise LocoError(f"exact_match scorer: option regex={options['regex']!r} should be a string")
    answers = expected if isinstance(expected, list) else [expected]
    if not answers or not all(isinstance(a, (str, int, float)) for a in answers):
        raise LocoError(f"exact_match scorer: expected {expected!r} should be a string or a list of strings")
    span = extract(output, options["regex"])
    if span is None:
        return Score(0.0, False, None, f"regex {options['regex']!r} did not match the output")
    got = normalise(span, options)
    for answer in answers:
        if got == normalise(str(answer), options):
            return Score(1.0, True, got)
    return Score(0.0, False, got, f"{got!r} is not one of {[normalise(str(a), options) for a in answers]!r}")
