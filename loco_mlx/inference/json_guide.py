"""Guided JSON: a reply decoded as exactly the JSON object a request asks for.

A 135M extractor knows roughly which span answers which key, yet writes keys of its own ("town" for
"city", "web out" for "web"), drops one, or breaks the object. Here the engine writes the scaffold
itself, `{"key1": ` ... `, "key2": ` ... `}` with the requested keys verbatim and in order (read by
json_request.py, or given by the API's response_format), and the model writes only the values; each
token it picks is the likeliest one that keeps the reply a valid JSON object of that shape. A reply
guided this way always parses and always has exactly the keys.

`JsonGuide` is the decoding constraint, a character-level automaton over the reply so far; every
decoding path (llama.cpp's loop, MLX's logits processor, the BatchDecoder's guided rows) asks it
which token to take next (`pick`), so they all guide the same way.
"""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass, field

import numpy as np

from loco_mlx.inference.json_formats import FormatRewriter, ValueFormat
from loco_mlx.inference.json_numbers import NUMBER_START, scan_copied, scan_copied_number, scan_number

# how a value of each kind (json_request.KINDS) begins
_FIRST_CHARS = {"string": '"', "number": "-0123456789", "boolean": "tf", "null": "n", "array": "[", "object": "{"}

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
    # per key, how its value is written by code as it streams (json_formats.ValueFormat: a date, a time, a
    # bare name or a value without its mark rewritten; a number read as the request writes it, or a one-word
    # copy); and the request, which holds a date's year and the numbers and words a value may copy
    formats: list[ValueFormat | None] | None = None
    context: str = ""
    # an extraction's numbers are the request's (json_numbers.scan_copied_number); a schema's may be made up
    copy_numbers: bool = False
    candidates: int = 40  # sampling draws from the allowed ones among this many likeliest tokens
    max_text: int = 160  # a string value this long is closed: a small model pushed off course can loop in one
    taken: list[int] = field(default_factory=list)  # the reply's tokens so far (its end-of-turn token not among them)
    _quote: int | None = field(default=None, repr=False)  # the lone '"' token's id (-1: none), found when first needed

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
            after = self._scaffold_after(state.index)
            if state.value.endswith(",") and after[0] == "," and self._scan(state.index, state.value[:-1])[1]:
                # "48," was a number going on ("48,650"); `c` shows the comma began the scaffold instead
                state.value, after = state.value[:-1], after[1:]
            elif not self._scan(state.index, state.value)[1]:
                return None
            # the value is whole: `c` begins the scaffold after it
            state.forced = after
            state.index, state.value = state.index + 1, ""
            if c != state.forced[0]:
                return None
            state.forced = state.forced[1:]
            state.done = not state.forced and state.index >= len(self.keys)
        return state

    def _loose_number(self, index: int) -> bool:
        """Whether key `index`'s number may be written as the text writes it (json_numbers.to_number)."""
        fmt = self.formats[index] if self.formats else None
        return fmt is not None and fmt.reads_number

    def _may_start(self, index: int, c: str) -> bool:
        """Whether key `index`'s value may begin with `c` (its kinds, where they are known)."""
        kinds = self.kinds[index] if self.kinds else None
        if isinstance(kinds, tuple):
            return any(choice.startswith(c) for choice in kinds)
        if self._loose_number(index) and c in NUMBER_START:
            return True
        return kinds is None or any(c in _FIRST_CHARS[kind] for kind in kinds)

    def _scan(self, index: int, value: str) -> tuple[bool, bool]:
        """scan_value for key `index`'s value, or, for an enum, whether it begins or is one of its values."""
        rule = self.kinds[index] if self.kinds else None
        if isinstance(rule, tuple):
            return any(choice.startswith(value) for choice in rule), value in rule
        if value[:1] in NUMBER_START and value and self._loose_number(index):
            ok, whole = (scan_copied_number if self.copy_numbers else scan_number)(value, self.context)
            if self.formats[index].copies_word:
                text_ok, text_whole = scan_copied(value, self.context)
                ok, whole = ok or text_ok, whole or text_whole
            return ok, whole
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
        if not allowed and self._opens_string():
            # the model wants a kind of value this key does not take (16:15 unquoted for a text key): open the
            # string and let it write that inside, rather than take the likeliest token that merely starts
            # with a quote (`");` led a 135M model into junk)
            allowed = [self._quote]
        if not allowed:  # the scaffold wants a token the model ranks low: look further down
            rest = np.argsort(-logits, kind="stable")
            allowed = [next((int(t) for t in rest if self.allows(int(t))), next(iter(self.stop_ids)))]
        if temperature == 0 or len(allowed) == 1 or rng is None:
            return allowed[0]
        scaled = logits[allowed] / temperature
        p = np.exp(scaled - scaled.max())
        return allowed[int(rng.choice(len(allowed), p=p / p.sum()))]

    def _opens_string(self) -> bool:
        """Whether the next value is yet to begin and may be a string, and the vocabulary has a lone quote."""
        if self._quote is None:
            self._quote = next((i for i, t in enumerate(self.token_texts) if t == '"'), -1)
        return (
            self._quote >= 0
            and not self.state.forced
            and not self.state.value
            and not self.state.done
            and self.allows(self._quote)
        )

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
                         formats=self.formats, context=self.context, copy_numbers=self.copy_numbers,
                         candidates=self.candidates, max_text=self.max_text)  # fmt: skip

    def rewriter(self) -> FormatRewriter | None:
        """A json_formats.FormatRewriter for a reply under this guide, or None when no key has a format."""
        if not self.formats or not any(self.formats):
            return None
        return FormatRewriter(self.keys, self.formats, self.context)

    @property
    def done(self) -> bool:
        return self.state.done


# per tokenizer, kept only while it lives (an id() key could be reused by a later tokenizer)
_TOKEN_TEXTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def token_texts(tokenizer) -> tuple[list[str], set[int]]:
    """Each token id's text, and the special tokens' ids; computed on the first guided reply (about a
    second for a 49k vocabulary), then kept for the tokenizer's life."""
    if tokenizer not in _TOKEN_TEXTS:
        hf = getattr(tokenizer, "_tokenizer", tokenizer)
        texts = [hf.decode([i]) for i in range(len(hf))]
        special = {int(i) for i in getattr(hf, "all_special_ids", [])}
        _TOKEN_TEXTS[tokenizer] = (texts, special)
    return _TOKEN_TEXTS[tokenizer]


def make_guide(
    tokenizer,
    keys: list[str],
    stop_ids,
    source: str | None = None,
    kinds=None,
    formats=None,
    context: str = "",
    copy_numbers: bool = False,
) -> JsonGuide:
    """A guide over `tokenizer`'s vocabulary: `kinds` per key, as stated_kinds or schema_kinds give them, and
    `formats` per key, as stated_format gives them; with `copy_numbers`, numbers are the `context`'s."""
    texts, special = token_texts(tokenizer)
    stops = {int(i) for i in stop_ids}
    return JsonGuide(list(keys), texts, stops, special - stops, source, kinds, formats=formats, context=context,
                     copy_numbers=copy_numbers)  # fmt: skip
