"""Multiple-choice answers: find the letter the model chose.

After thinking is stripped, the most explicit signal wins: the last
"answer is B" / "Answer: (b)" phrase, then a lone letter on the last non-empty
line ("**C**", "D."), then the last "(B)" or line-opening "B)". Lowercase
letters only count next to the answer phrase and followed by punctuation or a
line end, so "the answer is a bit unclear" does not read as A.
"""

from __future__ import annotations

import re
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import strip_thinking

DEFAULTS: dict[str, Any] = {"choices": "ABCD"}


def _patterns(letters: str) -> list[re.Pattern]:
    upper, lower = re.escape(letters.upper()), re.escape(letters.lower())
    phrase = r"answer\s*(?:is|:|=)?\s*(?:option\s*|choice\s*)?[:\s]*[(\[*]*"
    return [
        re.compile(
            rf"{phrase}(?:((?-i:[{upper}]))(?![A-Za-z])|((?-i:[{lower}]))(?=[)\]*]|\s*[.,;:!]?\s*$))",
            re.IGNORECASE | re.MULTILINE,
        ),
        re.compile(rf"\(([{upper}])\)|^\s*([{upper}])\)", re.MULTILINE),
    ]


def find_choice(output: str, letters: str) -> str | None:
    """The chosen letter (uppercase), or None when the output names none of `letters`."""
    text = strip_thinking(output)
    by_phrase, by_paren = _patterns(letters)
    phrase_hits = list(by_phrase.finditer(text))
    if phrase_hits:
        last = phrase_hits[-1]
        return (last.group(1) or last.group(2)).upper()
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        lone = re.sub(r"[\s*_().:\[\]]", "", lines[-1])
        if len(lone) == 1 and lone.upper() in letters.upper():
            return lone.upper()
    paren_hits = list(by_paren.finditer(text))
    if paren_hits:
        return (paren_hits[-1].group(1) or paren_hits[-1].group(2)).upper()
    return None


def score(output: str, expected: Any, options: dict) -> Score:
    letters = options["choices"]
    if not letters or not letters.isalpha():
        raise LocoError(f"choice scorer: option choices={letters!r} should be letters like 'ABCD'")
    if not isinstance(expected, str) or len(expected.strip()) != 1 or expected.strip().upper() not in letters.upper():
        raise LocoError(f"choice scorer: expected {expected!r} should be one of the letters {letters!r}")
    got = find_choice(output, letters)
    if got is None:
        return Score(0.0, False, None, f"no choice among {letters} found")
    passed = got == expected.strip().upper()
    return Score(float(passed), passed, got, "" if passed else f"chose {got}, expected {expected.strip().upper()}")
