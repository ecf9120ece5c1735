"""Guided JSON: when a request names the keys it wants, the reply is decoded as exactly that object.

A 135M extractor knows roughly which span answers which key, yet writes keys of its own ("town" for
"city", "web out" for "web"), drops one, or breaks the object. Here the engine writes the scaffold
itself, `{"key1": ` ... `, "key2": ` ... `}` with the requested keys verbatim and in order, and the
model writes only the values; each token it picks is the likeliest one that keeps the reply a valid
JSON object of that shape. A reply guided this way always parses and always has exactly the keys.

`requested_keys` reads the keys from the request: a template to fill (`{"name": "", "age": 0}`,
`{name, age}`), a list of keys (`Keys: name, age, city`; `give me order_id, total (number) and
paid`; one key per line), or keys in backticks. It answers only when the list is unmistakable: a
wrong key list would force wrong keys, so a request it cannot read is decoded as before. It was
written on the generated and the written JSON training data (`data/json/train.jsonl`,
`data/json-written/written.jsonl`), where its answers are checked against the keys of the reference
replies (tests/test_json_guide.py); never on the independent benchmark.

`JsonGuide` is the decoding constraint, a character-level automaton over the reply so far; both
backends ask it which token to take next (`pick`), so MLX and llama.cpp guide the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

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
_FIRST_CHARS = {"string": '"', "number": "-0123456789", "boolean": "tf", "null": "n", "array": "[", "object": "{"}
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


def _last_word(key: str) -> str:
    return re.split(r"[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])", key)[-1].lower()


def stated_kinds(request: str, key: str) -> frozenset | None:
    """The kinds of JSON value `request` allows for `key` (null always among them); None: any."""
    quoted = rf"(?<![\w-])[\"'`]?{re.escape(key)}[\"'`]?(?![\w-])"
    for kinds, hint in _HINTS:
        said = rf"{quoted}\s*(?:\((?:as\s+)?(?:a\s+|an\s+)?(?:{hint})\s*[,;)]|(?:as|in)\s+(?:a\s+|an\s+)?(?:{hint})\b)"
        if re.search(said, request, re.IGNORECASE):
            return kinds
    return TEXT if _last_word(key) in _TEXT_WORDS else None


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


def guided_keys(request: str) -> list[str] | None:
    """The keys to guide a reply to `request` with: named unmistakably, and asked for as data (the request
    asks for JSON, or names keys as code does: order_id, firstName); never for a request for code."""
    keys = requested_keys(request)
    if not keys or asks_for_code(request):
        return None
    return keys if asks_for_json(request) or any(_key_like(k) for k in keys) else None


# --- the decoding constraint ---------------------------------------------------------------------------

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NUMBER_PREFIX = re.compile(r"-?(?:0|[1-9]\d*)?(?:\.\d*)?(?:[eE][+-]?\d*)?")
_LITERALS = ("true", "false", "null")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def scan_value(text: str, source: str | None = None) -> tuple[bool, bool]:
    """(whether `text` begins a JSON value, whether it is one whole value). With `source`, every string
    that is not an object key must be a piece of it: extracted values are copied, not retyped."""
    stack: list[str] = []  # "[" or "{" for each open container
    expect = "value"  # value | key | colon | next (a comma or the container's end)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\n\r" and (stack or expect != "value"):
            i += 1
            continue
        if expect in ("value", "key") and c == '"':
            is_key = expect == "key"
            j, content, closed = i + 1, [], False
            while j < n:
                ch = text[j]
                if ch == '"':
                    closed = True
                    break
                if ch == "\\":
                    if j + 1 >= n:
                        break
                    esc = text[j + 1]
                    if esc == "u":
                        hex_digits = text[j + 2 : j + 6]
                        if not re.fullmatch(r"[0-9a-fA-F]{0,4}", hex_digits):
                            return False, False
                        if len(hex_digits) < 4:
                            j = n
                            break
                        content.append(chr(int(hex_digits, 16)))
                        j += 6
                        continue
                    if esc not in _ESCAPES:
                        return False, False
                    content.append(_ESCAPES[esc])
                    j += 2
                    continue
                if ch < " ":
                    return False, False
                content.append(ch)
                j += 1
            if source is not None and not is_key and "".join(content) not in source:
                return False, False
            if not closed:
                return True, False
            i = j + 1
            expect = "colon" if is_key else "next"
        elif expect == "value" and c in "-0123456789":
            match = _NUMBER_PREFIX.match(text, i)
            end = match.end()
            if end == n:  # the number may go on
                return True, not stack and bool(_NUMBER.fullmatch(text, i))
            if not _NUMBER.fullmatch(text, i, end):
                return False, False
            i, expect = end, "next"
        elif expect == "value" and c in "tfn":
            word = next((w for w in _LITERALS if w[0] == c), "")
            piece = text[i : i + len(word)]
            if not word.startswith(piece):
                return False, False
            if len(piece) < len(word):
                return True, False
            i, expect = i + len(word), "next"
        elif expect == "value" and c in "[{":
            stack.append(c)
            i, expect = i + 1, "value" if c == "[" else "key"
        elif (
            c in "]}"
            and stack
            and stack[-1] == "[]{}"[("]}".index(c)) * 2]
            and (
                expect == "next"
                or (expect == "value" and c == "]" and text[i - 1 : i].strip() in ("[", ""))
                or (expect == "key" and c == "}")
            )
        ):
            stack.pop()
            i, expect = i + 1, "next"
        elif expect == "colon" and c == ":":
            i, expect = i + 1, "value"
        elif expect == "next" and c == "," and stack:
            i, expect = i + 1, "value" if stack[-1] == "[" else "key"
        else:
            return False, False
        if expect == "next" and not stack and i < n:
            return False, False  # something after a whole value
    return True, expect == "next" and not stack


@dataclass
class _State:
    """Where a guided reply stands: writing the scaffold (what is left of it), or key `index`'s value."""

    index: int = 0  # the key whose value comes next (or is being written)
    forced: str = ""  # scaffold text still to write
    value: str = ""  # the value written so far
    done: bool = False


@dataclass
class JsonGuide:
    """Decodes `{"k1": v1, "k2": v2, ...}` with exactly `keys`, the model writing the values; with no
    keys, any one JSON object.

    `token_texts[i]` is token i's text; `stop_ids` end the reply (allowed only once the object is
    closed); `banned` ids are never taken (special tokens). With `source`, string values are copied
    from it (scan_value)."""

    keys: list[str]
    token_texts: list[str]
    stop_ids: set[int]
    banned: set[int] = field(default_factory=set)
    source: str | None = None
    # per key, what its value may be: a frozenset of kinds, a tuple of the only JSON texts allowed (an
    # enum), or None (anything)
    kinds: list[frozenset | tuple | None] | None = None
    state: _State = field(default_factory=_State)
    candidates: int = 40  # sampling draws from the allowed ones among this many likeliest tokens
    max_text: int = 160  # a string value this long is closed: a small model pushed off course can loop in one
    taken: list[int] = field(default_factory=list)  # the reply's tokens so far (its end-of-turn token not among them)

    def __post_init__(self):
        # no keys: any one JSON object (the API's response_format json_object), written whole by the model
        self.state = _State(0, "{" + json.dumps(self.keys[0]) + ": " if self.keys else "")

    def _scaffold_after(self, index: int) -> str:
        return "}" if index + 1 >= len(self.keys) else ", " + json.dumps(self.keys[index + 1]) + ": "

    def _feed(self, state: _State, text: str) -> _State | None:
        """The state after writing `text`, or None when `text` breaks the shape."""
        state = _State(state.index, state.forced, state.value, state.done)
        for c in text:
            if state.done:
                return None
            if state.forced:
                if c != state.forced[0]:
                    return None
                state.forced = state.forced[1:]
                state.done = not state.forced and state.index >= len(self.keys)
                continue
            if not self.keys:  # one whole object, and nothing after it
                ok, whole = scan_value(state.value + c, self.source)
                if not ok or (not state.value and c != "{"):
                    return None
                state.value += c
                state.done = whole
                continue
            if not state.value and not self._may_start(state.index, c):
                return None
            long_text = len(state.value) > self.max_text and state.value[0] == '"'
            if long_text and c != '"' and not scan_value(state.value)[1]:
                return None  # past max_text, an open string takes only its closing quote
            ok, _ = self._scan(state.index, state.value + c)
            if ok:
                state.value += c
                continue
            if not self._scan(state.index, state.value)[1]:
                return None
            # the value is whole: `c` begins the scaffold after it
            state.forced = self._scaffold_after(state.index)
            state.index, state.value = state.index + 1, ""
            if c != state.forced[0]:
                return None
            state.forced = state.forced[1:]
            state.done = not state.forced and state.index >= len(self.keys)
        return state

    def _may_start(self, index: int, c: str) -> bool:
        """Whether key `index`'s value may begin with `c` (its kinds, where they are known)."""
        kinds = self.kinds[index] if self.kinds else None
        if isinstance(kinds, tuple):
            return any(choice.startswith(c) for choice in kinds)
        return kinds is None or any(c in _FIRST_CHARS[kind] for kind in kinds)

    def _scan(self, index: int, value: str) -> tuple[bool, bool]:
        """scan_value for key `index`'s value, or, for an enum, whether it begins or is one of its values."""
        rule = self.kinds[index] if self.kinds else None
        if isinstance(rule, tuple):
            return any(choice.startswith(value) for choice in rule), value in rule
        return scan_value(value, self.source)

    def allows(self, token: int) -> bool:
        if token in self.banned:
            return False
        if token in self.stop_ids:
            return self.state.done
        text = self.token_texts[token]
        return bool(text) and "\ufffd" not in text and self._feed(self.state, text) is not None

    def pick(self, logits: np.ndarray, temperature: float = 0.0, rng: np.random.Generator | None = None) -> int:
        """The likeliest allowed token (greedy), or one drawn from the likeliest allowed ones."""
        logits = np.asarray(logits, dtype=np.float64).reshape(-1)
        top = np.argpartition(-logits, self.candidates)[: self.candidates]
        order = top[np.argsort(-logits[top], kind="stable")]
        allowed = [int(t) for t in order if self.allows(int(t))]
        if not allowed:  # the scaffold wants a token the model ranks low: look further down
            rest = np.argsort(-logits, kind="stable")
            allowed = [next((int(t) for t in rest if self.allows(int(t))), next(iter(self.stop_ids)))]
        if temperature == 0 or len(allowed) == 1 or rng is None:
            return allowed[0]
        scaled = logits[allowed] / temperature
        p = np.exp(scaled - scaled.max())
        return allowed[int(rng.choice(len(allowed), p=p / p.sum()))]

    def advance(self, token: int) -> None:
        """Take `token` (one `pick` chose) into the reply."""
        if token in self.stop_ids:
            return
        state = self._feed(self.state, self.token_texts[token])
        if state is None:
            raise ValueError(f"token {token} ({self.token_texts[token]!r}) breaks the guided reply")
        self.state = state
        self.taken.append(token)

    def fresh(self) -> JsonGuide:
        """The same guide at the start of a reply."""
        return JsonGuide(self.keys, self.token_texts, self.stop_ids, self.banned, self.source, self.kinds,
                         candidates=self.candidates, max_text=self.max_text)  # fmt: skip

    @property
    def done(self) -> bool:
        return self.state.done


_TOKEN_TEXTS: dict[int, tuple[list[str], set[int]]] = {}


def token_texts(tokenizer) -> tuple[list[str], set[int]]:
    """Each token id's text, and the special tokens' ids; computed once per tokenizer."""
    key = id(tokenizer)
    if key not in _TOKEN_TEXTS:
        hf = getattr(tokenizer, "_tokenizer", tokenizer)
        size = len(hf)
        texts = [hf.decode([i]) for i in range(size)]
        special = {int(i) for i in getattr(hf, "all_special_ids", [])}
        _TOKEN_TEXTS[key] = (texts, special)
    return _TOKEN_TEXTS[key]


def make_guide(tokenizer, keys: list[str], stop_ids, source: str | None = None, kinds=None) -> JsonGuide:
    """A guide over `tokenizer`'s vocabulary: `kinds` per key, as stated_kinds or schema_kinds give them."""
    texts, special = token_texts(tokenizer)
    stops = {int(i) for i in stop_ids}
    return JsonGuide(list(keys), texts, stops, special - stops, source, kinds)
