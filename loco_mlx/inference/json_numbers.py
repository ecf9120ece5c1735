"""Numbers as a request writes them, read by code: the guided JSON's number formats.

Asked for "total_idr (plain number)", a 135M extractor wrote 4865000 for "48,650,000" and 7400 for "74k":
it copies well and retypes badly. So a key that may take a number has json_formats.NUMBER_FORMAT: the guide
(json_guide.py) lets the model write the number as the text does ("48,650,000", "74k", "$1.1M",
"1.800,00", "19%"), its separators copied from the request (`scan_number`), and code writes the JSON
number (`to_number`, applied by json_formats.FormatRewriter). Plain JSON numbers are among these forms, so
nothing the model could write before is refused. An extraction's number is held to the ones its request
writes (`scan_copied_number`); a key of no stated kind may also go on as one word of the request, sent as
a string ("13:00", `scan_copied`).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

import regex  # partial matching: whether a number being written can still become one

_CURRENCY = "$€£¥₩₦₪"
NUMBER_START = "-0123456789" + _CURRENCY  # how a number may begin when written as the text writes it
_SCALES = {"k": 10**3, "K": 10**3, "M": 10**6, "bn": 10**9, " thousand": 10**3, " million": 10**6, " billion": 10**9}
_SUFFIX = "|".join([*_SCALES, "%"])  # what may follow a number's digits: a scale, or a percent sign
_LOOSE_NUMBER = regex.compile(
    rf"(?P<sign>-)?[{_CURRENCY}]?(?P<body>"
    r"(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?"  # JSON's own: 1380, 1380.00, 2.5e3
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 48,650,000 and 1,380.00
    r"|\d{1,3}(?:\.\d{3})+,\d+"  # 1.800,00
    r"|\d+,\d{1,2})"  # 342,00 and 1,5: a decimal comma
    rf"(?P<scale>{_SUFFIX})?"
)
_NUMBER_IN_TEXT = re.compile(r"\d[\d.,]*\d|\d")
_JSON_NUMBER_PREFIX = re.compile(r"(?:0|[1-9]\d*)?(?:\.\d*)?")  # the digits of a JSON number, or their start


@functools.lru_cache(maxsize=64)
def _numbers_written(context: str) -> tuple[str, ...]:
    """The numbers `context` writes that JSON would not and `to_number` can read ("48,650,000", "1.800,00")."""
    found = _NUMBER_IN_TEXT.findall(context)
    return tuple(n for n in found if not _JSON_NUMBER_PREFIX.fullmatch(n) and _LOOSE_NUMBER.fullmatch(n))


@functools.lru_cache(maxsize=64)
def _suffixed_written(context: str) -> tuple[str, ...]:
    """The numbers with a suffix `context` writes ("74k", "1.1M", "154.2 million", "19%")."""
    return tuple(re.findall(rf"\d[\d.,]*(?:{_SUFFIX})(?!\w)", context))


def _written(text: str) -> tuple[str, str]:
    """A number being written, without its sign and currency, and the digits and separators it begins with."""
    written_so = re.sub(rf"^-?[{_CURRENCY}]?", "", text)
    return written_so, re.match(r"[\d.,]*", written_so).group(0)


def scan_number(text: str, context: str) -> tuple[bool, bool]:
    """(whether `text` begins a number as the text writes it, whether it is one whole). A number that JSON
    would not write ("48,650,000", "1.800,00", "74k") must be one the request writes so: this keeps a comma
    that ends the value from passing for a thousands separator, a model from looping in "0.000.000...", and a
    lone space from forcing " billion" after 13."""
    if not _LOOSE_NUMBER.fullmatch(text, partial=True):
        return False, False
    written_so, body = _written(text)
    suffix = written_so[len(body) :]
    if suffix and not re.fullmatch(r"[eE][+-]?\d*", suffix):
        if not any(number.startswith(written_so) for number in _suffixed_written(context)):
            return False, False
    if not _JSON_NUMBER_PREFIX.fullmatch(body):
        written = _numbers_written(context)
        if not any(number.startswith(body) for number in written):
            return False, False
        if body not in written:
            return True, False
    return True, _LOOSE_NUMBER.fullmatch(text) is not None


_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")  # "4:15" offers no 4 and no 15 to copy


@functools.lru_cache(maxsize=64)
def _copy_forms(context: str) -> frozenset[str]:
    """Every number `context` writes, as it writes it and as JSON writes it ("1,380.00", "1380.00", "1380")."""
    forms = set()
    # as the text writes them, and each plain number within: a CSV row's "2022,8.7" is two
    text = _CLOCK.sub(" ", context)
    for written in set(_NUMBER_IN_TEXT.findall(text)) | set(re.findall(r"\d+(?:\.\d+)?", text)):
        json_form = to_number(written)
        if json_form is None:
            continue
        forms.update({written, json_form})
        if "." in json_form and json_form.rstrip("0").endswith("."):
            forms.add(json_form.split(".")[0])
    scaled = (to_number(written.replace(",", "")) for written in _suffixed_written(context))  # 190k: 190000
    forms.update(number for number in scaled if number)
    forms.update(str(value) for value in _word_numbers(context))  # "twenty-nine"
    return frozenset(forms)


_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()  # fmt: skip
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_NUMBER = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(_TENS)})(?:[- ](?P<unit>{'|'.join(_UNITS[1:10])}))?|(?P<alone>{'|'.join(_UNITS)})"
    rf"|(?P<ordinal>{'|'.join(_ORDINALS)}))\b",
    re.IGNORECASE,
)


def _word_numbers(text: str) -> set[int]:
    """The numbers up to ninety-nine `text` writes in words ("seven", "twenty-nine", "third")."""
    found = set()
    for m in _WORD_NUMBER.finditer(text):
        if m["ordinal"]:
            found.add(_ORDINALS.index(m["ordinal"].lower()) + 1)
        elif m["alone"]:
            found.add(_UNITS.index(m["alone"].lower()))
        else:
            found.add(_TENS[m["tens"].lower()] + (_UNITS.index(m["unit"].lower()) if m["unit"] else 0))
    return found


def scan_copied_number(text: str, context: str) -> tuple[bool, bool]:
    """scan_number, held to the numbers the request writes: as it writes them, as JSON writes them, with a
    suffix worked out ("190k": 190000) or in words ("twenty-nine": 29). An extractor copies a number; a 135M
    one retyping it drops a digit (4865000 for "48,650,000") or makes one up (3.3 for a 45-minute interview).
    Any number, as scan_number allows, where the request writes none."""
    ok, whole = scan_number(text, context)
    forms = _copy_forms(context)
    if not ok or not forms:
        return ok, whole
    body = _written(text)[1]
    if not any(form.startswith(body) for form in forms):
        return False, False
    return True, whole and body in forms


def scan_copied(text: str, context: str) -> tuple[bool, bool]:
    """(whether `text`, written unquoted, begins a word of the request that starts with a digit, whether it
    is one whole, ending where that word ends): "13:00", "2024-017", "3B", which a number would cut at 13,
    2024, 3. One word: "32 EUR" for a price is a number and its unit, not text; and no comma, which ends a
    value. A word ends where the request's does, not at a separator it follows with a digit ("1.800,00")."""
    if not text[:1].isdigit() or any(c in text for c in ',"} \n\t') or text not in context:
        return False, False
    return True, text[-1].isalnum() and re.search(re.escape(text) + r"(?!\w|[.,]\d)", context) is not None


def to_number(text: str) -> str | None:
    """A number as the text writes it, as a JSON number: "48,650,000" -> 48650000, "74k" -> 74000, "$1.1M"
    -> 1100000, "1.800,00" -> 1800.00, "342,00" -> 342.00, "19%" -> 19; None when it is not one."""
    match = _LOOSE_NUMBER.fullmatch(text)
    if match is None:
        return None
    body, scale = match["body"], match["scale"]
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", body):
        body = body.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", body):
        body = body.replace(",", "")
    else:
        body = body.replace(",", ".")
    try:
        number = Decimal(body) * _SCALES.get(scale, 1)
    except InvalidOperation:
        return None
    if match["sign"]:
        number = -number
    if scale in _SCALES and number == number.to_integral_value():
        number = number.to_integral_value()  # 1.1M is 1100000, not 1100000.0
    return format(number, "f")
