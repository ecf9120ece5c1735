"""What the text of an extraction states plainly, read by code: a boolean's value, and that a labelled
value is there. The guide (json_guide.py) then allows only what the text says.

**Booleans.** Asked for `wireless_charging (true/false)` of a spec sheet that says "Wireless charging: no",
the 135M json adapter wrote true; on the written JSON requests its booleans are right about half the time,
a coin toss. Where the text states the value plainly, code reads it (`stated_boolean`):
- a label with a yes or no after it: "Wireless charging: no", "SLA breached: No", "Microchipped: Y";
- a box ticked or not before it: "[x] Envelopes", "[ ] Letterhead";
- the words of the key in a sentence, negated or not: "Where: Remote" (remote), "back in stock" (in_stock),
  "not a refund" (wants_refund), "non-refundable" (refundable), "Visa sponsorship not available".
The words of the key are its own (`accepts_venmo` is "venmo", `has_anc` is "anc", which the text never
writes: left to the model). What it does not read: the request's own list of keys, a question ("Is she up
to date on her kennel cough vaccine?"), a table row or header (the value is in another line or column),
and a key whose mentions disagree. On our JSON data (360 written and 1,200 generated requests) it decides
33 of the 87 keys stated as booleans and every one as the reference answer has it.

**A labelled value is not null.** The adapter answered null for "Allergies: penicillin" and "Credits: 3".
Where the key's words label a value in the text (at a line's start or after a separator, and the value is
not "none", "n/a", "-", "TBD", "DOE"...), null is not allowed (`present_kinds`); what the value is stays
the model's. On our JSON data 259 keys are labelled so, and none has null for its answer.
(`tests/test_json_stated.py` checks both counts.)
"""

from __future__ import annotations

import functools
import json
import re

from loco_mlx.inference.json_request import BOOLEAN, KINDS, key_parts

# a key's leading verb is not written in the text: has_duplex is "duplex", accepts_venmo "venmo"
_LEAD = frozenset("is are was were has have can does did will wants want needs accepts allows includes".split())
_YES, _NO = r"yes|y|true|✓|✔", r"no|n|false|✗|✘|none"
_LABEL = re.compile(rf"\s*(?:\([^)]*\))?\s*[:=|–—-]\s*({_YES}|{_NO})(?!\w)", re.IGNORECASE)  # after the words
_BOX = re.compile(r"\[\s*([xX✓✔]?)\s*\]\s*$|([☐☑☒])\s*$")  # before them
# a negation in the words before (within the clause) or just after the key's words
_NEG_BEFORE = re.compile(
    r"(?:\b(?:no|not|non|never|without|nor)\b|n't\b|\bout\s+of\b)\W*(?:\w+\W+){0,2}$", re.IGNORECASE
)
_NEG_AFTER = re.compile(r"\s+(?:is\s+|are\s+|was\s+)?(?:not\b|n't\b|unavailable\b|excluded\b)", re.IGNORECASE)
_BULLET = re.compile(r"\s*(?:[-*•]|\d+[.)])?\s*")  # what may stand before a key alone on its line
_SPACED_TABLE = re.compile(r"\S {3,}\S.* {3,}\S")  # columns laid out with spaces
# where a label may stand: a line's start (after a bullet), or after a separator ("Name: Ana | Age: 31")
_LABEL_START = re.compile(r"\s*(?:[-*•]\s*)?|.*[|;,]\s*")
# a labelled value that says nothing is there: "Phone: none", "Salary: DOE" (depends on experience), "Notes: -"
_NOTHING = re.compile(
    r"\s*(?:none|n/?a|nil|null|unknown|tba|tbd|tbc|doe|not\s+\w+|no\b|-+|—|–|\?+|\(?blank\)?|$)", re.IGNORECASE
)


def key_words(key: str) -> list[str]:
    """The words of `key` as a text would write them: snake_case, camelCase or kebab-case split, lower case,
    a leading verb dropped ("has_anc": ["anc"])."""
    words = [w.lower() for w in key_parts(key) if w]
    while len(words) > 1 and words[0] in _LEAD:
        words = words[1:]
    return words


@functools.lru_cache(maxsize=32)
def _text_lines(request: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The lines of `request` that may state values: not the ones that list two or more of the keys asked
    for (the instructions). Kept for the request's few keys, each of which reads the same lines."""
    named = re.compile("|".join(rf"(?<![\w-]){re.escape(k)}(?![\w-])" for k in keys))
    return tuple(line for line in request.split("\n") if len(set(named.findall(line))) < 2)


def _reading(line: str, match: re.Match, key: str) -> bool | None:
    """What one mention of the key's words says, or None when it says nothing this reader trusts."""
    before, after = line[: match.start()], line[match.end() :]
    listed = re.match(r"\s*(?:[(,)]|(?:and|or)\b)", after) or (not after.strip() and _BULLET.fullmatch(before))
    if match.group() == key and listed:
        return None  # the key itself, as the instructions name it ("remote (bool)", "* Vegetarian")
    label = _LABEL.match(after)
    if label:
        return re.fullmatch(_YES, label.group(1), re.IGNORECASE) is not None
    box = _BOX.search(before)
    if box:
        return bool(box.group(1)) or box.group(2) in ("☑", "☒")
    if line.count("|") >= 2 or line.count(",") >= 3 or line.count("\t") >= 2:
        return None  # a table's header or row: the value is in another line or column
    end = re.search(r"[.!?]", after)
    if end and end.group() == "?":
        return None  # a question, not a statement
    clause = re.split(r"[.;:!?,()|]", before)[-1]
    return not (_NEG_BEFORE.search(clause) or _NEG_AFTER.match(after))


def stated_boolean(request: str, key: str, keys: list[str]) -> bool | None:
    """True or False when the text of `request` states `key`'s value plainly (see the module's docstring),
    else None. `keys` are all the keys the request asks for: the lines that list them are instructions."""
    words = key_words(key)
    if not words:
        return None
    mention = re.compile(r"(?<!\w)" + r"[\s_-]+".join(map(re.escape, words)) + r"s?(?!\w)", re.IGNORECASE)
    readings = set()
    for line in _text_lines(request, tuple(keys)):
        if _SPACED_TABLE.search(line):
            continue  # a table laid out with spaces, whose rows we cannot tell apart
        readings.update(_reading(line, m, key) for m in mention.finditer(line))
    readings.discard(None)
    return readings.pop() if len(readings) == 1 else None


def boolean_choices(request: str, key: str, keys: list[str], kinds: frozenset | tuple | None) -> tuple[str] | None:
    """The one JSON text a key stated as a boolean may take when the text states its value ("true" or "false",
    for the guide as an enum); None otherwise (the kinds stand)."""
    value = stated_boolean(request, key, keys) if kinds == BOOLEAN else None
    return None if value is None else (json.dumps(value),)


def labelled_values(request: str, key: str, keys: list[str]) -> list[str]:
    """What follows `key`'s words as a label in the text of `request` ("Allergies: penicillin", "| Credits:
    3"), to the end of its line; the lines that list the keys asked for are instructions, not text."""
    label = re.compile(r"(?<!\w)" + r"[\s_-]+".join(map(re.escape, key_words(key))) + r"s?\s*[:=]\s*(.*)$", re.I)
    return [
        match.group(1)
        for line in _text_lines(request, tuple(keys))
        for match in label.finditer(line)
        if _LABEL_START.fullmatch(line[: match.start()])
    ]


def present_kinds(request: str, key: str, keys: list[str], kinds: frozenset | tuple | None) -> frozenset | None:
    """`kinds` (None: any) without null when the text labels a value for `key` that says something; None
    otherwise, and for an enum (a tuple of allowed values), which stands as it is."""
    if isinstance(kinds, tuple) or all(_NOTHING.match(value) for value in labelled_values(request, key, keys)):
        return None
    return (frozenset(KINDS) if kinds is None else kinds) - {"null"} or None
