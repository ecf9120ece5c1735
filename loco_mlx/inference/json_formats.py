"""Values in the format a request asks for, written by code: a date as YYYY-MM-DD, a time as HH:MM, a name
without its title.

A 135M extractor finds the right span ("March 3, 2024", "3:30 PM") but cannot rewrite it: held to
digits by the guide, it wrote "2231-01-01" for "22/11/2024". So the model copies and code converts, as
tool adapters let the sandbox do the arithmetic. When a request wants a key's value as YYYY-MM-DD or
HH:MM (`json_request.stated_format`), the guided reply's string value is read as a date or a time and
written in that format; a value that cannot be read unambiguously ("03/04/2025", "Thursday the 17th")
is left as the model wrote it. Likewise a name asked for bare ("supervisor (name only, no title)") loses the
"Prof." the model copied with it, and a value asked for "without the v" its v.

Numbers likewise: a number written as the request writes it ("48,650,000", "74k") becomes a JSON number
(json_numbers.py), and a one-word copy begun with a digit ("13:00") a string.

`FormatRewriter` applies this to a reply as it streams: text passes through as it comes, except a
formatted key's value, held until it is whole (the guide guarantees the scaffold around it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from loco_mlx.inference.json_numbers import NUMBER_START, scan_copied, to_number

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ],
        1,
    )  # fmt: skip
    for name in names.split()
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(?:the\s+)?)?"
_FLAGS = re.IGNORECASE | re.ASCII  # ASCII: "ſep" must not pass for "sep"
_DATES = [
    re.compile(rf"^{_YEAR}[-/.](?P<month>\d{{1,2}})[-/.](?P<day>\d{{1,2}})\b"),  # 2024-10-03, 2024.10.03 14:22
    re.compile(rf"^{_WEEKDAY}{_DAY}(?:\s+of)?\s+{_MONTH},?(?:\s+{_YEAR})?\b", _FLAGS),  # (Wed) 21 May 2025
    re.compile(rf"^{_WEEKDAY}{_MONTH}\s+{_DAY},?(?:\s+{_YEAR})?\b", _FLAGS),  # (Sat) August 16(,) 2025
    re.compile(r"^(?P<first>\d{1,2})[/.](?P<second>\d{1,2})[/.](?P<year>\d{4})\b"),  # 22/11/2024
]
_ANY_YEAR = re.compile(r"(?<!\d)(?:\d{4}|'\d\d)(?!\d)")  # a year left over after a date was read
# a year a request states for its dates: "the year is 2025", "in 2025", "of 2025", or after a month name
_STATED_YEAR = re.compile(
    r"(?:\byear\s+(?:is\s+|was\s+|of\s+)?|\b(?:in|of)\s+|\b(?:" + "|".join(_MONTHS) + r")\.?\s+(?:\d{1,2},?\s+)?)"
    r"((?:19|20)\d\d)(?!\d)",
    _FLAGS,
)
# a time inside a longer value: minutes or am/pm needed, not part of a date or a longer number
_TIME_IN_TEXT = re.compile(
    r"(?<![\d./:-])(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>[ap]\.?\s?m\.?)?(?![\d./:-]?\d)", _FLAGS
)
_TIME = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>[ap]\.?\s?m\.?)?(?:\s*(?:hrs?|hours|h))?$", _FLAGS
)
_PACKED_TIME = re.compile(r"^(?P<hour>[01]\d|2[0-3])(?P<minute>[0-5]\d)(?:\s*hrs?)?$")  # a boarding pass's 2240


def _valid(year: int, month: int, day: int) -> bool:
    import datetime

    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def to_date(text: str, context: str = "") -> str | None:
    """`text` as YYYY-MM-DD, or None. A date without its year takes the one year `context` (the request)
    mentions; day/month/year in digits is read only when one reading is possible (22/11/2024)."""
    text = text.strip()
    for pattern in _DATES:
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        if parts.get("first"):  # d/m/y or m/d/y: only the reading that is a date
            first, second, year = int(parts["first"]), int(parts["second"]), int(parts["year"])
            readings = {(year, m, d) for m, d in ((second, first), (first, second)) if _valid(year, m, d)}
            if len(readings) != 1:
                return None
            year, month, day = readings.pop()
        else:
            month_text = parts["month"].lower().rstrip(".")
            month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 0)
            day = int(parts["day"])
            if parts.get("year"):
                year = int(parts["year"])
            else:
                years = set(_STATED_YEAR.findall(context))
                if len(years) != 1:
                    return None
                year = int(years.pop())
        if _ANY_YEAR.search(text[match.end() :]):
            return None  # "May 1-3, 2024", "March 3, '24": a year the reading did not take
        return f"{year:04d}-{month:02d}-{day:02d}" if _valid(year, month, day) else None
    return None


def _clock(hour: int, minute: int, half: str | None) -> str | None:
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower().startswith("p") else 0)
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def to_time(text: str) -> str | None:
    """`text`, a time alone, as a 24-hour HH:MM, or None: "3:30 PM" -> 15:30, "8 PM" -> 20:00, "8:00" ->
    08:00, "2240" -> 22:40, "4.45pm" -> 16:45, noon and midnight. An hour with neither minutes nor am/pm
    is not read."""
    text = text.strip().lower()
    if text in ("noon", "midday"):
        return "12:00"
    if text == "midnight":
        return "00:00"
    packed = _PACKED_TIME.match(text)
    if packed:
        return _clock(int(packed["hour"]), int(packed["minute"]), None)
    match = _TIME.match(text)
    if match is None or not (match["minute"] or match["half"]):
        return None
    return _clock(int(match["hour"]), int(match["minute"] or 0), match["half"])


def find_time(text: str) -> str | None:
    """The time in a longer value ("Friday, 3:30 PM", "March 3, 2024 at 14:30"), when there is exactly one."""
    found = {
        _clock(int(m["hour"]), int(m["minute"] or 0), m["half"])
        for m in _TIME_IN_TEXT.finditer(text)
        if m["minute"] or m["half"]
    } - {None}
    return found.pop() if len(found) == 1 else None


# a time as a request writes it, for the choices of a time key: minutes (":", "h", or "." before am/pm) or
# am/pm needed ("a.m." keeps its dots, "1pm." loses the full stop); a range's ends count ("8am-1pm"); not
# inside a date or a longer number ("1.29", "07/03"). Not _TIME_IN_TEXT: that reads one value the model
# wrote, where "4.45" is a time; a whole request holds prices and ranges.
_TIME_MENTION = re.compile(
    r"(?<![\w.:/,])\d{1,2}(?:[:h][0-5]\d|\.[0-5]\d(?=\s?[ap]\.?m))?(?:\s?[ap](?:\.m\.?|m))?(?![\w:/]|[.,]\d)"
    r"|\b(?:noon|midnight)\b",
    _FLAGS,
)


# a range whose am/pm is written once, at its end: "2:30–3:45 pm", "10-11 am"
_SHARED_HALF = re.compile(r"(?<![\w.:/])(\d{1,2}(?::[0-5]\d)?)\s?[-–]\s?(\d{1,2})(?::[0-5]\d)?\s?([ap])\.?m\b", _FLAGS)


def time_mentions(text: str) -> list[str]:
    """Each distinct time `text` writes that `to_time` reads ("4:15 PM", "8am", "16:45", "4.45pm"), in order.
    A range's first end takes the am/pm written after its second ("2:30–3:45 pm": "2:30 pm")."""
    halves = {}
    for match in _SHARED_HALF.finditer(text):
        first, second, half = int(match[1].split(":")[0]), int(match[2]), match[3].lower()
        if first == 12 or first > second:  # 11–1 pm begins in the morning; 12–2 pm at noon
            half = half if first == 12 else "ap"[half == "a"]
        halves[match.start(1)] = f"{match[1]} {half}m"
    found = (halves.get(m.start(), m.group()) for m in _TIME_MENTION.finditer(text))
    return list(dict.fromkeys(t for t in found if to_time(t)))


# a title before a name the request wants bare ("Prof. Carla Reyes", "Frau Dr. Sabine Krüger", "RN Grace
# Mwangi"), and a note after it ("Field 7 (north plot)", "Ana Ruiz, MD"). Not "Hon": it is also a given name.
_TITLES = r"dr|prof|professor|mr|mrs|ms|miss|mx|sir|dame|rev|herr|frau|mme|mlle|sr|sra|srta|rn"
_TITLE_BEFORE = re.compile(rf"^(?:(?:{_TITLES})\.?\s+)+", re.IGNORECASE)
_NOTE_AFTER = re.compile(r"\s*(?:\([^()]*\)|,\s*(?:md|phd|rn|dds|esq)\.?)$", re.IGNORECASE)


def bare_name(value: str) -> str | None:
    """`value` without a title before it or a note after it, or None when nothing is left."""
    return _NOTE_AFTER.sub("", _TITLE_BEFORE.sub("", value.strip())) or None


def without_mark(value: str, mark: str) -> str | None:
    """`value` without the `mark` it begins with ("@lhoang", "#2024-017", "v4.2.1"), or None. A letter is
    a mark only before a digit: "version 2" keeps its v."""
    rest = value[len(mark) :] if value[: len(mark)].lower() == mark.lower() else ""
    if not rest.strip() or (mark.isalpha() and not rest[0].isdigit()):
        return None
    return rest.strip()


_TEXT_KINDS = ("date", "time", "name", "without")  # formats whose string values code rewrites
_NUMBER_KINDS = ("number", "number-or-word")  # formats whose numbers may be written as the text writes them


@dataclass(frozen=True)
class ValueFormat:
    """How code writes a guided value, per key (json_request.stated_format, number_format and schema_format
    choose it): "date" as YYYY-MM-DD, "time" as HH:MM, "name" without a title or a note, "without" without
    its `mark` ("v4.2.1" -> "4.2.1"); "number" a number the model may write as the request does ("48,650,000"),
    "number-or-word" that, or a one-word copy of the request begun with a digit ("13:00")."""

    kind: str
    mark: str = ""  # "without": the mark the value is asked without ("v", "@", "#")

    def __post_init__(self):
        if self.kind not in _TEXT_KINDS + _NUMBER_KINDS:
            raise ValueError(f"unknown value format {self.kind!r}; known: {', '.join(_TEXT_KINDS + _NUMBER_KINDS)}")
        if (self.kind == "without") != bool(self.mark):
            raise ValueError(f"a mark goes with the 'without' format alone, got {self.kind!r} and {self.mark!r}")

    @property
    def rewrites_text(self) -> bool:
        """Whether code rewrites a string value of this format (`convert`): held until whole as it streams."""
        return self.kind in _TEXT_KINDS

    @property
    def reads_number(self) -> bool:
        """Whether a number of this format may be written as the text writes it (json_numbers.to_number)."""
        return self.kind in _NUMBER_KINDS

    @property
    def copies_word(self) -> bool:
        """Whether a value begun with a digit may go on as one word of the request, sent as a string."""
        return self.kind == "number-or-word"

    def convert(self, value: str, context: str = "") -> str | None:
        """`value` in this format, or None when it cannot be read as one (or the format rewrites no text). A
        date and time together give the part asked for ("2024.10.03 14:22")."""
        if self.kind == "date":
            return to_date(value, context)
        if self.kind == "time":
            return to_time(value) or find_time(value)
        if self.kind == "name":
            return bare_name(value)
        if self.kind == "without":
            return without_mark(value, self.mark)
        return None

    def __str__(self) -> str:
        return f"without {self.mark}" if self.mark else self.kind


DATE_FORMAT, TIME_FORMAT, NAME_FORMAT = ValueFormat("date"), ValueFormat("time"), ValueFormat("name")
NUMBER_FORMAT, NUMBER_OR_WORD_FORMAT = ValueFormat("number"), ValueFormat("number-or-word")


def without_format(mark: str) -> ValueFormat:
    """The format of a value asked for without `mark` ("app_version (without the v)")."""
    return ValueFormat("without", mark)


def _rewrites_text(fmt: ValueFormat | None) -> bool:
    return fmt is not None and fmt.rewrites_text


_DECODER = json.JSONDecoder()


class FormatRewriter:
    """A guided reply `{"k1": v1, ...}` with each formatted key's value written by code (a date or time string
    by `convert`, a number as the request writes it by `to_number`, a one-word copy as a string), fed a piece
    at a time: `feed` returns the text that may be shown now, `flush` the rest at the end. A pair whose next
    scaffold (`, "k2": ` or `}`) has arrived is final: it is kept converted and never read again, so each
    piece costs the length of the value being written, not of the whole reply."""

    def __init__(self, keys: list[str], formats: list[ValueFormat | None], context: str = ""):
        self.prefixes = [("{" if i == 0 else ", ") + json.dumps(key) + ": " for i, key in enumerate(keys)]
        self.formats, self.context = formats, context
        self.text, self.shown = "", 0
        self.done, self.pos, self.index = "", 0, 0  # the final pairs converted; where the next one starts in text

    def _number_at(self, fmt: ValueFormat | None, pos: int) -> bool:
        """A number written as the text writes it begins at `pos` (read by `to_number`, not as JSON)."""
        return fmt is not None and fmt.reads_number and pos < len(self.text) and self.text[pos] in NUMBER_START

    def _after(self, index: int) -> str:
        """The scaffold that follows key `index`'s value."""
        return self.prefixes[index + 1] if index + 1 < len(self.prefixes) else "}"

    def _converted(self, index: int, fmt: ValueFormat | None, pos: int) -> tuple[str, int] | None:
        """Key `index`'s value starting at `pos` as it will be shown, and where it ends in the text; None
        while it is not whole (a formatted value is held until it is) or cannot be read."""
        if self._number_at(fmt, pos):
            # a number as the text writes it is whole once the scaffold after it is there
            end = self.text.find(self._after(index), pos)
            if end < 0:
                return None
            raw = self.text[pos:end]
            number = to_number(raw)
            if number is None and fmt.copies_word and scan_copied(raw, self.context)[1]:
                number = json.dumps(raw, ensure_ascii=False)  # text copied unquoted: a string
            return number or raw, end
        try:
            value, end = _DECODER.raw_decode(self.text, pos)
        except ValueError:  # not whole yet (a JSONDecodeError), or a number past Python's digit limit
            return None
        converted = fmt.convert(value, self.context) if _rewrites_text(fmt) and isinstance(value, str) else None
        return (json.dumps(converted, ensure_ascii=False) if converted else self.text[pos:end]), end

    def _rewritten(self) -> tuple[str, int]:
        """The reply after the final pairs (`self.done`), converted, and how much of that may be shown (up to
        the start of a formatted value still being written)."""
        out, pos = [], self.pos
        for index in range(self.index, len(self.prefixes)):
            prefix, fmt = self.prefixes[index], self.formats[index]
            if not self.text.startswith(prefix, pos):
                break  # the scaffold is not all there yet (or the reply is not guided as expected)
            out.append(prefix)
            value = self._converted(index, fmt, pos + len(prefix))
            if value is None:
                if _rewrites_text(fmt) or self._number_at(fmt, pos + len(prefix)):
                    shown = len("".join(out))  # a formatted value still being written: held
                    return "".join(out) + self.text[pos + len(prefix) :], shown
                pos += len(prefix)
                break
            out.append(value[0])
            pos = value[1]
            if self.text.startswith(self._after(index), pos):  # its scaffold followed: the pair is final
                self.done += "".join(out)
                self.pos, self.index, out = pos, index + 1, []
        tail = "".join(out) + self.text[pos:]
        return tail, len(tail)

    def feed(self, text: str) -> str:
        self.text += text
        tail, safe = self._rewritten()
        done = len(self.done)
        if done + safe <= self.shown:
            return ""
        piece = self.done[self.shown :] + tail[max(0, self.shown - done) : safe]
        self.shown = done + safe
        return piece

    def flush(self) -> str:
        """What is left to show once the reply has ended (a value cut short is shown as written)."""
        tail, _ = self._rewritten()
        done = len(self.done)
        piece = self.done[self.shown :] + tail[max(0, self.shown - done) :]
        self.shown = done + len(tail)
        return piece

    def rewrite(self, text: str) -> str:
        """A whole reply, converted."""
        return self.feed(text) + self.flush()
