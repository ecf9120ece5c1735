"""What a request for JSON asks for: the keys it names, and what kind of value each key takes.

`requested_keys` reads the keys from the request: a template to fill (`{"name": "", "age": 0}`,
`{name, age}`), a list of keys (`Keys: name, age, city`; `give me order_id, total (number) and
paid`; one key per line), or keys in backticks. It answers only when the list is unmistakable: a
wrong key list would force wrong keys (json_guide.py decodes exactly the keys it is given), so a
request it cannot read is decoded as before. `stated_kinds` reads what the request says of a key's
value ("total (number)", "due (YYYY-MM-DD)"), `schema_kinds` what a response_format schema says.
Both were written on the generated and the written JSON training data (`data/json/train.jsonl`,
`data/json-written/written.jsonl`), where their answers are checked against the reference replies
(tests/test_json_guide.py); never on the independent benchmark.
"""

from __future__ import annotations

import json
import re

from loco_mlx.inference.json_formats import (
    DATE_FORMAT,
    NAME_FORMAT,
    NUMBER_FORMAT,
    NUMBER_OR_WORD_FORMAT,
    TIME_FORMAT,
    ValueFormat,
    time_mentions,
    without_format,
)
from loco_mlx.inference.unrun_requests import asks_for_code, asks_for_json

# --- which keys a request names ----------------------------------------------------------------------

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*"  # snake_case, camelCase, kebab-case
_QUOTED_KEY = re.compile(r"[\"'`]([^\"'`\n]{1,40})[\"'`]\s*:")
# where a list may end before the words about it: "... from the email below", "— null if missing", ". Dates as"
_TAIL = re.compile(
    r"\s+(?:->|→|=>)\s*json\b|\s(?:from|out\s+of|for|in|of|as|into)\s+(?:the|this|that|these|those|my|our|it|json|a|an|"
    r"below|above|each|every)\b|\s+[—–-]\s|[.!?;]\s|[.!?;:]?\s*$|\?",
    re.IGNORECASE,
)
_NUMBERED = re.compile(rf"^\s*(?:[-*•]|\d+[.)])\s*[\"'`]?({_IDENT})[\"'`]?(?:\s*(?:[:(–—-].*)?)?$")
# words that are never keys: a "list" of them is English, not a schema
_ENGLISH = frozenset(
    "the a an and or of to is it as in me my your this that please pls with for from all each any not no also too "
    "then them json keys fields number numbers null text string strings".split()
)


def _key_like(word: str) -> bool:
    """A key written as code names are: snake_case, camelCase or PascalCase with an inner capital."""
    return "_" in word or bool(re.search(r"[a-z][A-Z]", word))


def _template_keys(text: str) -> list[str] | None:
    """The keys of a template to fill: {"name": "", "age": 0} or {name, age, city}; flat only."""
    for match in re.finditer(r"\{[^{}]{2,600}\}", text):
        body = match.group(0)
        keys = _QUOTED_KEY.findall(body)
        if len(keys) >= 1 and body.count(":") >= len(keys):
            return keys if len(set(keys)) == len(keys) else None
        bare = re.fullmatch(rf"\{{\s*({_IDENT}(?:\s*,\s*{_IDENT})+)\s*\}}", body)
        if bare:
            keys = [k.strip() for k in bare.group(1).split(",")]
            if len(keys) >= 2 and len(set(keys)) == len(keys):
                return keys
    return None


_SEP = r"(?:\s*,\s*(?:and|&|plus)\s+|\s*,\s*|\s*;\s*|\s+and\s+|\s*&\s*|\s+plus\s+)"
_WORD = r"(?!(?:with|using|and|or|json|holding|containing|keys|fields)\b)[\w./:-]+"
# what may follow a key inside a list: "as written", "in 24h", "as a plain number"
_AS = rf"(?:\s+(?:as|in)\s+(?:a\s+|an\s+|the\s+)?{_WORD}(?:\s+{_WORD})?)?"
_RUN = re.compile(rf"[\"'`]?({_IDENT})[\"'`]?{_AS}(?:{_SEP}[\"'`]?(?:{_IDENT})[\"'`]?{_AS})+\s*$", re.IGNORECASE)
_RUN_ITEM = re.compile(rf"[\"'`]?({_IDENT})[\"'`]?{_AS}(?={_SEP}|\s*$)", re.IGNORECASE)
# what a list of keys follows: a verb that asks, a word that names keys, or punctuation that introduces
_BEFORE = re.compile(
    r"(?:^|[:\u2014\u2013\u2192>=-]|\b(?:give|me|get|extract|return|returns|after|with|keys?|fields?|properties|json|"
    r"want|need|pull|out|gimme|find|using|holding|containing|include|including|provide|list|capture|grab|show|"
    r"map|into|to|order|only|record|output|are|fill|send|please|pls|just|use|has|have|needs|of\s+the)|w/"
    r"|\bthe)\s*$",
    re.IGNORECASE,
)


def _line_list(line: str) -> tuple[list[str], bool] | None:
    """The keys that end a clause ("... give me order_id, total (number) and paid"), and whether
    the clause names them as keys or JSON; else None."""
    if re.search(r"[,;]\S", line) and not re.search(r"[,;]\s", line):
        return None  # a CSV header ("ref,Status,Item"): what the text holds, not what is asked
    plain = re.sub(r"\s*\([^()]*\)", "", line)  # "(number)", "(YYYY-MM-DD)", "(null if none)"
    best = None  # the longest list that ends where the clause, or one of its tails, begins
    for end in sorted({m.start() for m in _TAIL.finditer(plain)}):
        head = plain[:end].rstrip().rstrip("}]").rstrip()
        run = _RUN.search(head)
        if run is not None and (best is None or run.end() - run.start() > best[1].end() - best[1].start()):
            best = head, run
    if best is None:
        return None
    plain, run = best
    before = plain[: run.start()].rstrip(" {[")
    if not _BEFORE.search(before):
        return None
    if re.search(r"\b(?:of|for|about|from|in|at|on|by)\s+the\s*$", before, re.IGNORECASE):
        return None  # "the name of the person, age and city": descriptions, not keys
    keys = [m.group(1) for m in _RUN_ITEM.finditer(plain, run.start())]
    named = bool(re.search(r"\b(?:keys|fields|properties|schema|json)\b|[\u2192]|->|=>", before, re.IGNORECASE))
    asked = re.search(r"[a-z]\s*$", before, re.IGNORECASE)  # "give me name, age": a word asks for them
    plain_words = not (named or asked or any(_key_like(k) for k in keys))
    if plain_words and (len(keys) < 3 or all(k[0].isupper() for k in keys)):
        return None  # "Nikhil: Okay, noted.", "Duarte, Felipe — IT": plain words after punctuation ask for nothing
    if len(keys) < 2 or min(map(len, keys)) < 2 or len(set(keys)) != len(keys):
        return None
    if any(k.lower() in _ENGLISH for k in keys):
        return None
    return keys, named


def _numbered_keys(lines: list[str]) -> list[str] | None:
    """Keys one per line after a line that introduces them ("with these keys:", "Fields:")."""
    for i, line in enumerate(lines):
        if not re.search(r"\b(?:keys|fields|properties|schema|json)\b[^.\n]*:\s*$", line, re.I):
            continue
        keys = []
        for below in lines[i + 1 :]:
            match = _NUMBERED.match(below)
            if match is None:
                break
            keys.append(match.group(1))
        if len(keys) >= 2 and len(set(keys)) == len(keys):
            return keys
    return None


def requested_keys(request: str) -> list[str] | None:
    """The keys `request` asks for, in its order; None when it names none unmistakably."""
    text = request[-3000:]  # the instruction is near the end or is short; a long text is what it is about
    keys = _template_keys(text)
    if keys:
        return keys
    lines = [line.strip() for line in text.splitlines()]
    keys = _numbered_keys(lines)
    if keys:
        return keys
    ticked = re.findall(rf"`({_IDENT})`", text)
    if len(ticked) >= 2 and len(set(ticked)) == len(ticked):
        return ticked
    found = []
    for line in lines:
        for clause in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line):
            listed = _line_list(clause)
            if listed is None:
                continue
            found.append(listed[::-1])
    if not found:
        return None
    named = [keys for is_named, keys in found if is_named]
    keys = (named or [keys for _, keys in found])[-1]
    # "... and due_date. Also item_count as a number.": a key added in a sentence of its own
    for extra in re.findall(rf"\b(?:and\s+)?also\s+[\"'`]?({_IDENT})", text, re.IGNORECASE):
        if _key_like(extra) and extra not in keys:
            keys.append(extra)
    return keys


# --- what kind of value each key takes --------------------------------------------------------------------

KINDS = ("string", "number", "boolean", "null", "array", "object")
TEXT, NUMBER, BOOLEAN = frozenset({"string", "null"}), frozenset({"number", "null"}), frozenset({"boolean", "null"})
# a key whose last word is one of these holds text: in our training data 1,559 such values are strings,
# 67 null and none anything else ("capacity" ends in "capacity", not "city"; "runtime_minutes" in "minutes")
_TEXT_WORDS = frozenset(
    "name surname forename firstname lastname date dob phone email mail city town country address street website "
    "title currency".split()
)
# what a request says of a key's value: "total (number)", "paid (true/false)", "due (YYYY-MM-DD)", "id as text"
_HINTS = (
    (BOOLEAN, r"bool(?:ean)?|true\s*/\s*false|yes\s*/\s*no"),
    (NUMBER, r"(?:plain\s+|whole\s+)?numbers?|numeric|int(?:eger)?s?|decimal|float|count"),
    (TEXT, r"text|string|str|as\s+written|yyyy[^)]*|hh:mm[^)]*|24h[^)]*|iso[^)]*|date|time|title\s+case"),
)


_KEY_PARTS = re.compile(r"[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])")  # snake_case, kebab-case, camelCase, spaces


def key_parts(key: str) -> list[str]:
    """The parts of a key as its case and separators split it ("firstName": ["first", "Name"])."""
    return _KEY_PARTS.split(key)


def _last_word(key: str) -> str:
    return key_parts(key)[-1].lower()


def stated_kinds(request: str, key: str) -> frozenset | None:
    """The kinds of JSON value `request` allows for `key` (null always among them); None: any."""
    quoted = rf"(?<![\w-])[\"'`]?{re.escape(key)}[\"'`]?(?![\w-])"
    for kinds, hint in _HINTS:
        said = rf"{quoted}\s*(?:\((?:as\s+)?(?:a\s+|an\s+)?(?:{hint})\s*[,;)]|(?:as|in)\s+(?:a\s+|an\s+)?(?:{hint})\b)"
        if re.search(said, request, re.IGNORECASE):
            return kinds
    return TEXT if _last_word(key) in _TEXT_WORDS else None


# the fixed formats a request may want a value in (json_formats.py writes them): how it says so (the format
# whole: "YYYY-MM-DD HH:MM" or "HH:MM:SS" is another format, and "24 hours" is a span), and the last word of
# the keys that take a format said once for all ("Dates as YYYY-MM-DD" for start_date and end_date)
_FORMATS = (
    (DATE_FORMAT, r"yyyy-mm-dd(?![\w:]|\s*t?\s*hh)", r"date|dob|birthday|birthdate|birth"),
    (TIME_FORMAT, r"hh:mm(?![\w:])|24[- ]?h(?:our)?(?![\w-])", r"time"),
)
# words a key's brackets may hold before the format: "(ISO, YYYY-MM-DD)", "(string, HH:MM)", "(as HH:MM)"
_BEFORE_FORMAT = r"(?:(?:iso(?:[- ]?8601)?|both|all|each|string|text|formatted|format|as|in)[\s,;:]+)*"
# "date (ISO)", "dob as ISO 8601": for a date, ISO is YYYY-MM-DD (not "as ISO datetime")
_ISO_DATE = (
    r"\s*(?:\(\s*iso(?:[- ]?8601)?(?:\s+date)?\s*[,;)]"
    r"|(?:as|in)\s+iso(?:[- ]?8601)?(?![\w-]|\s*(?:date-?time|timestamp)))"
)
# a value asked for bare, in the key's brackets: "(name without the title)", "(no honorific)", "(name only)",
# "(just the field name, without the plot note)": json_formats.bare_name drops the title and the note
_BARE_NAME = re.compile(
    r"(?<!\w)(?:name\s+only|just\s+the\s+(?:\w+\s+)?name|no\s+(?:title|honorific)s?"
    r"|without\s+(?:the\s+|a\s+|any\s+)?(?:title|honorific)s?)(?!\w)",
    re.IGNORECASE,
)
# a mark the value is asked without: "(without the v)", "(without @)", "(without the #)"
_WITHOUT_MARK = re.compile(
    r"(?<!\w)without\s+(?:the\s+|a\s+|an\s+)?[\"'`]?([^\w\s\"'`]|[a-z])[\"'`]?\s*(?:[,;]|$)", re.IGNORECASE
)
# a key's own format in brackets, of any kind ("DD/MM/YYYY", "h:mm AM/PM"): it is not overridden
_OWN_FORMAT = re.compile(r"\b(?:d{1,2}|m{1,2}|y{2,4}|h{1,2}|am|pm|iso)\b", re.IGNORECASE)


def stated_format(request: str, key: str) -> ValueFormat | None:
    """DATE_FORMAT (YYYY-MM-DD) or TIME_FORMAT (24-hour HH:MM) when the request wants `key`'s value so: said next to
    the key, or said once, for a key whose last word says date or time and which states no format of its
    own. NAME_FORMAT for a name asked for bare in the key's brackets, `without_format(M)` for a value asked without
    the mark M ("app_version (without the v)"). On our JSON data (360 written and 1,200 generated requests) every
    value it marks is in that format, null, or (a name, a mark) one that converting leaves alone in the
    reference answer."""
    quoted = rf"(?<![\w-])[\"'`]?{re.escape(key)}[\"'`]?(?![\w-])"
    for fmt, hint, names in _FORMATS:
        alone = rf"{quoted}\s*(?:\({_BEFORE_FORMAT}(?:{hint})[^)]*\)|(?:as|in)\s+(?:{hint}))"
        # or said once for this key and the next ("start and end (both HH:MM)"), or for a list of keys whose
        # names say date or time ("from_date, to_date (all YYYY-MM-DD)")
        both = rf"{quoted}\s*(?:,|and|&)\s*[\w\"'`-]+\s*\(both\s+{_BEFORE_FORMAT}(?:{hint})"
        listed = rf"{quoted}(?:\s*(?:,|and|&)\s*[\w\"'`-]+)+\s*\((?:all|each)\s+{_BEFORE_FORMAT}(?:{hint})"
        named = re.fullmatch(names, _last_word(key)) is not None
        if any(re.search(said, request, re.IGNORECASE) for said in (alone, both) + ((listed,) if named else ())):
            return fmt
    if re.fullmatch(_FORMATS[0][2], _last_word(key)) and re.search(quoted + _ISO_DATE, request, re.IGNORECASE):
        return DATE_FORMAT
    own = re.search(rf"{quoted}\s*\(([^)]*)\)", request)
    if own and _BARE_NAME.search(own.group(1)):
        return NAME_FORMAT
    mark = _WITHOUT_MARK.search(own.group(1)) if own else None
    if mark:
        return without_format(mark.group(1))
    if own and _OWN_FORMAT.search(own.group(1)):
        return None  # a format of its own that is not ours: left as the model writes it
    last = _last_word(key)
    for fmt, hint, names in _FORMATS:
        if re.fullmatch(names, last) and re.search(hint, request, re.IGNORECASE):
            return fmt
    return None


def format_choices(request: str, fmt: ValueFormat | None) -> tuple | None:
    """The values a key of format `fmt` may take: for a time, one of the times the request writes (as it writes
    them; json_formats.py then writes HH:MM) or null. A 135M extractor asked for "start_time (24h HH:MM)"
    copied "24h HH:MM"; among the request's own times it picks one. None (anything) when it writes none."""
    if fmt != TIME_FORMAT:
        return None
    times = time_mentions(request)
    return tuple(json.dumps(t, ensure_ascii=False) for t in times) + ("null",) if times else None


def number_format(kinds: frozenset | tuple | None) -> ValueFormat | None:
    """NUMBER_FORMAT for a key that may take a number: the model may write it as the text does ("48,650,000",
    "74k") and code writes the JSON number (json_numbers.to_number)."""
    if kinds is None or (isinstance(kinds, frozenset) and {"string", "number"} <= kinds):
        return NUMBER_OR_WORD_FORMAT  # text or a number: a value begun with a digit may go on as a word ("13:00")
    return NUMBER_FORMAT if isinstance(kinds, frozenset) and "number" in kinds else None


def schema_format(schema: object) -> ValueFormat | None:
    """DATE_FORMAT for a JSON Schema property of "format": "date" (RFC 3339's full-date, YYYY-MM-DD): json_formats.py
    writes it as for a request that asks for YYYY-MM-DD. (Its "time" has seconds and an offset: not ours.)"""
    return DATE_FORMAT if isinstance(schema, dict) and schema.get("format") == "date" else None


def schema_kinds(schema: object) -> frozenset | tuple | None:
    """What a JSON Schema property allows: its "enum" (or "const") as a tuple of the values' JSON texts;
    else the kinds its "type" names (a name or a list; "integer" is a number); None: any."""
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list) and schema["enum"]:
        return tuple(json.dumps(value) for value in schema["enum"])
    if isinstance(schema, dict) and "const" in schema:
        return (json.dumps(schema["const"]),)
    types = schema.get("type") if isinstance(schema, dict) else None
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    kinds = frozenset("number" if t == "integer" else t for t in names if t in (*KINDS, "integer"))
    return kinds or None


def guided_keys(request: str, json_replies: bool = False) -> list[str] | None:
    """The keys to guide a reply to `request` with: named unmistakably, and asked for as data (the request
    asks for JSON, names keys as code does: order_id, firstName, or goes to an adapter whose replies are
    JSON: `json_replies`); never for a request for code."""
    keys = requested_keys(request)
    if not keys or asks_for_code(request):
        return None
    return keys if json_replies or asks_for_json(request) or any(_key_like(k) for k in keys) else None
