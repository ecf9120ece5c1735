"""Answer extraction, table-driven: what voting and the numeric scorer count as the answer."""

from __future__ import annotations

from fractions import Fraction

import pytest

from loco_mlx.inference.answers import extract_number, format_number, normalise_text, parse_number

CASES = [
    ("The answer is 42.", 42),
    ("12 + 5 = 17. 17 - 3 = 14. The answer is 14.", 14),
    ("so x = 7", 7),
    ("First 3 apples, then 5 more: total\n= 8\nDone", 8),
    ("We get \\boxed{1,234} in the end, not 5", 1234),
    ("\\boxed{\\frac{1}{2}} hmm 3", 3),  # \frac is not parsed: falls through to other rules
    ("The answer is -5 degrees", -5),
    ("Temperatures fell by −3.5 overnight", Fraction(-7, 2)),
    ("About 45% of them", 45),
    ("The answer: 3/4 of the pie", Fraction(3, 4)),
    ("Total is 1,000,000 dollars", 1_000_000),
    ("a list 1, 2, 3", 3),  # not a thousands group
    ("<think>maybe 99? no, 98</think>The answer is 12", 12),
    ("<think>unfinished thought with 7", None),
    ("no numbers here", None),
    ("Answer = 19", 19),
    ("version v2.5 has 3 files", 3),
    ("It costs $1,250.50 total.", Fraction(250_100, 200)),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_extract_number(text, expected):
    got = extract_number(text)
    assert got == (None if expected is None else Fraction(expected))


@pytest.mark.parametrize("token,expected", [("1,234", 1234), ("3 / 4", Fraction(3, 4)), ("1/0", None), ("x", None)])
def test_parse_number(token, expected):
    assert parse_number(token) == expected


@pytest.mark.parametrize("value,text", [(Fraction(14), "14"), (Fraction(-7, 2), "-3.5"), (Fraction(1, 3), "1/3")])
def test_format_number(value, text):
    assert format_number(value) == text


def test_normalise_text():
    assert normalise_text("  The  Cat, sat!\n") == "the cat sat"
    assert normalise_text("<think>x</think>Paris.") == "paris"
    assert normalise_text("A.B", strip_punctuation=False) == "a.b"
