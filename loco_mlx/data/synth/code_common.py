"""What every table of code tasks shares: the Task record, input generators, and verb forms.

A task describes its return value in noun phrases (`results`: "{a} reversed") and, optionally,
in verb phrases (`does`: "reverses {a} and returns it"); the request styles turn those into
"returns {a} reversed", "return {a} reversed", a docstring or a spec line. `kinds` says what each
argument is ("string", "list of integers"), in order, for the styles that list the inputs.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

from loco_mlx.data.synth.common import DIFFICULTIES, article
from loco_mlx.errors import LocoError

TOPICS = ("strings", "lists", "dicts", "numbers", "algorithms")
WORDS = ("apple", "river", "stone", "light", "garden", "music", "window", "planet", "coffee", "forest", "yellow",
         "bridge", "candle", "orange", "silver", "rocket", "pencil", "summer", "dragon", "tree", "sky", "moon",
         "book", "chair", "table", "mountain", "ocean", "happy", "quick", "brown", "fox", "jumps", "lazy", "dog",
         "code", "data", "paper", "stream", "cloud", "green", "rhythm", "spy")  # fmt: skip
# Third-person verbs whose base form is not the word less its "s" or "es".
_IRREGULAR_BASE = {"does": "do", "goes": "go", "has": "have", "is": "be"}
_LATER_VERBS = ("returns", "adds")  # second verbs of the tables' phrases: "counts ... and returns it"


@dataclass(frozen=True)
class Task:
    slug: str
    tier: str  # easy: a line with a built-in; medium: a loop or filter; hard: several branches or state
    topic: str
    names: tuple[str, ...]  # function names to choose from
    args: tuple[tuple[str, ...], ...]  # parameter-name choices, each one name per argument
    kinds: tuple[str, ...]  # what each argument is, without an article: "list of integers"
    results: tuple[str, ...]  # the return value as noun phrases; {a} {b} {c} are the arguments, {fn} the name
    source: str  # the reference solution; __fn__, __a__, __b__, __c__ and __<param>__ are replaced
    oracle: Callable[..., Any]  # oracle(params, *args): the expected output, computed another way
    inputs: Callable[[random.Random, dict], tuple]  # the arguments of one call
    does: tuple[str, ...] = ()  # more ways to say it, as third-person verb phrases that include returning
    params: Callable[[random.Random], dict] = lambda rng: {}
    edges: tuple[tuple, ...] = ()  # argument tuples worth testing often (an empty list, 0, ...)


def task(slug: str, tier: str, topic: str, names: tuple, args: tuple, kinds: tuple, results: tuple, **kw) -> Task:
    """A Task whose source is written indented in a table; the parts that must agree are checked here."""
    if tier not in DIFFICULTIES or topic not in TOPICS:
        raise LocoError(f"code task {slug}: tier {tier!r} or topic {topic!r} is unknown")
    if any(len(choice) != len(kinds) for choice in args):
        raise LocoError(f"code task {slug}: every argument-name choice needs {len(kinds)} names, got {args}")
    if not results or not names:
        raise LocoError(f"code task {slug}: needs at least one result phrase and one name")
    for phrase in kw.get("does", ()):
        base_form(phrase)  # an unknown verb fails when the table is read, not when a request is drawn
    source = textwrap.dedent(kw.pop("source")).strip("\n") + "\n"
    return Task(slug, tier, topic, names, args, kinds, results, source, **kw)


def argument(name: str, kind: str) -> str:
    """ "a string s", or "text (a string of lowercase words ...)" when the kind is long."""
    return f"{article(kind)} {name}" if len(kind.split()) <= 3 else f"{name} ({article(kind)})"


def base_form(phrase: str) -> str:
    """The phrase with its first verb in the base form: "counts the vowels" -> "count the vowels"."""
    verb, _, rest = phrase.partition(" ")
    if verb in _IRREGULAR_BASE:
        base = _IRREGULAR_BASE[verb]
    elif verb.endswith("ies"):
        base = verb[:-3] + "y"
    elif verb.endswith(("sses", "shes", "ches", "xes")):
        base = verb[:-2]
    elif verb.endswith("s") and not verb.endswith("ss"):
        base = verb[:-1]
    else:
        raise LocoError(f"{phrase!r} does not start with a third-person verb")
    for verb in _LATER_VERBS:
        rest = rest.replace(f" and {verb} ", f" and {verb[:-1]} ")
    return f"{base} {rest}".strip()


# --- inputs --------------------------------------------------------------------------------------


def ints(rng: random.Random, n: tuple[int, int], lo: int = -20, hi: int = 50) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(*n))]


def sentence(rng: random.Random, n: tuple[int, int] = (1, 7)) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(*n)))


def few_words(rng: random.Random, n: tuple[int, int], vocabulary: int = 3) -> list[str]:
    """Words from a small vocabulary, so that some repeat."""
    pool = rng.sample(WORDS, vocabulary)
    return [rng.choice(pool) for _ in range(rng.randint(*n))]


def mixed_case(rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in sentence(rng, (1, 4)))


def word_dict(rng: random.Random, n: tuple[int, int], lo: int = 0, hi: int = 50, distinct: bool = False) -> dict:
    keys = rng.sample(WORDS, rng.randint(*n))
    values = rng.sample(range(lo, hi + 1), len(keys)) if distinct else [rng.randint(lo, hi) for _ in keys]
    return dict(zip(keys, values))


def digits(rng: random.Random, n: tuple[int, int]) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(*n)))


def count_by(pred: Callable[[Any], bool], items) -> int:
    return len([x for x in items if pred(x)])


# parameter-name choices shared by several tasks
S = (("s",), ("text",), ("word",))
TEXT = (("sentence",), ("text",), ("s",))
NUMS = (("nums",), ("numbers",), ("values",))
N = (("n",), ("num",), ("x",))
PAIR = (("nums", "limit"), ("values", "threshold"), ("numbers", "n"))
WORDS_TEXT = "string of lowercase words separated by single spaces"
