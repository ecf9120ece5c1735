"""Answer extraction shared by self-consistency voting and the evaluation scorers.

`extract_number` finds the final numeric answer in free text, in order of how
explicit the model was: the last `\\boxed{...}`, then the last "answer is / answer:"
phrase, then the last line ending in "= N", then the last number anywhere.
Thinking blocks (`<think>...</think>`) are removed first, so numbers a model
considered and rejected do not count. Numbers are exact `Fraction`s: "1,234",
"-3.5", "3/4" and "45%" (read as 45) all parse.

`find_json` finds a JSON object: fenced ```json blocks first; when none of them parses, every
balanced `{...}` span in the text (brace matching that skips braces inside strings).
"""

from __future__ import annotations

import json
import re
import string
from fractions import Fraction

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
# A number: thousands groups of exactly three digits, or plain digits; decimals; a fraction; a percent sign.
_NUMBER = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?\s*%?"
_NUMBER_RE = re.compile(rf"(?<![\w.]){_NUMBER}")
_BOXED = re.compile(r"\\boxed\s*\{([^{}]*)\}")
_ANSWER_IS = re.compile(r"answer\s*(?:is|:|=)\s*(?:[:=]\s*)?", re.IGNORECASE)
_EQUALS_AT_END = re.compile(rf"=\s*\$?\s*({_NUMBER})\s*\$?\s*\.?\s*$", re.MULTILINE)


def strip_thinking(text: str) -> str:
    return _THINK.sub(" ", text)


def parse_number(token: str) -> Fraction | None:
    """'1,234' -> 1234, '-3.5' -> -7/2, '3 / 4' -> 3/4, '45%' -> 45; None if it is not a number."""
    token = token.strip().replace("−", "-").replace(",", "").rstrip("%").strip()
    try:
        if "/" in token:
            numerator, denominator = (Fraction(part.strip()) for part in token.split("/", 1))
            return numerator / denominator if denominator else None
        return Fraction(token)
    except (ValueError, ZeroDivisionError):
        return None


def _first_token(text: str) -> str | None:
    match = _NUMBER_RE.search(text)
    return match.group(0) if match else None


def _last_token(text: str) -> str | None:
    matches = _NUMBER_RE.findall(text)
    return matches[-1] if matches else None


def extract_number_token(text: str) -> str | None:
    """The final answer as written ('45%', '1,000', '-3/4'): scorers need the spelling to tell a percent."""
    text = strip_thinking(text)
    boxed = _BOXED.findall(text)
    if boxed and (token := _first_token(boxed[-1])) is not None and parse_number(token) is not None:
        return token.strip()
    phrases = list(_ANSWER_IS.finditer(text))
    if phrases and (token := _first_token(text[phrases[-1].end() :])) is not None and parse_number(token) is not None:
        return token.strip()
    equals = _EQUALS_AT_END.findall(text)
    if equals and parse_number(equals[-1]) is not None:
        return equals[-1].strip()
    token = _last_token(text)
    return token.strip() if token is not None and parse_number(token) is not None else None


def extract_number(text: str) -> Fraction | None:
    """The final numeric answer in `text`, or None when there is no number."""
    token = extract_number_token(text)
    return parse_number(token) if token is not None else None


def format_number(value: Fraction) -> str:
    """A canonical spelling for counting votes: '14', '-3.5', '1/3'."""
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    if Fraction(repr(as_float)) == value:
        return repr(as_float)
    return f"{value.numerator}/{value.denominator}"


def normalise_text(text: str, lowercase: bool = True, strip_punctuation: bool = True) -> str:
    """Text for exact-match comparison: thinking removed, whitespace collapsed, optional case and punctuation."""
    text = strip_thinking(text)
    if lowercase:
        text = text.lower()
    if strip_punctuation:
        text = text.translate(str.maketrans("", "", string.punctuation))
    return " ".join(text.split())


_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def _balanced_spans(text: str) -> list[str]:
    """Every top-level `{...}` span, matching braces outside JSON strings."""
    spans, depth, start, in_string, escaped = [], 0, 0, False, False
    for i, char in enumerate(text):
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"' and depth:
            in_string = True
        elif char == "{":
            start, depth = (i, 1) if depth == 0 else (start, depth + 1)
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def _objects(candidates) -> list[dict]:
    objects = []
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            objects.append(parsed)
    return objects


def find_json(output: str, which: str = "last") -> dict | None:
    """The first or last JSON object in `output`, or None when none parses."""
    text = strip_thinking(output)
    objects = _objects(block.strip() for block in _FENCE.findall(text)) or _objects(_balanced_spans(text))
    if not objects:
        return None
    return objects[0] if which == "first" else objects[-1]
