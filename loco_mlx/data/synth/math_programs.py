"""Math word problems answered by a short program (`loco data synth math --style program`).

The reply is one fenced Python block: the question's quantities as named variables, one line per
step, and a final `print` of the answer. The engine runs it in the sandbox and answers with what
it prints (inference/tools.py), so the model only has to choose the operations; the interpreter
does the arithmetic a 135M model gets wrong.

Shapes live in `math_shapes_*.py`, registered with `@shape(id, group)`; `group` is the topic
(rates, percent, time, ...), so the held-out third covers every topic. A shape builds its reply
with `Program`, which evaluates each line as it is written: a shape cannot state a wrong value.
`verify` runs the whole reply again as a program and checks that it prints the expected answer
and that every number it uses comes from the question or is a unit constant.
"""

from __future__ import annotations

import contextlib
import io
import random
import re
from fractions import Fraction
from typing import Callable

from loco_mlx.data.synth.common import DIFFICULTIES, Sample, Template
from loco_mlx.errors import LocoError

SHAPES: list[Template] = []

# Numbers a program may use without the question stating them: unit conversions and word numbers
# ("twice", "half", "a dozen", "per cent", "a week").
CONSTANTS = frozenset({1, 2, 3, 4, 7, 10, 12, 24, 52, 60, 100, 365, 1000, 3600})
WORD_NUMBERS = {"twice": 2, "double": 2, "half": 2, "triple": 3, "dozen": 12, "quarter": 4, "quarters": 4, "third": 3,
                "thirds": 3, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100, "first": 1, "second": 2,
                "fourth": 4, "fifth": 5, "sixth": 6, "tenth": 10}  # fmt: skip
UNIT_FACTORS = (10, 100, 1000, 60)  # 1.5 kg is 1500 g, 18 cents is 0.18 dollars, 2 hours are 120 minutes
# "time and a half" is 1.5, "two and a half" 2.5
_AND_A_HALF = {"time": Fraction(3, 2), "one": Fraction(3, 2), "two": Fraction(5, 2), "three": Fraction(7, 2),
               "four": Fraction(9, 2), "five": Fraction(11, 2), "six": Fraction(13, 2)}  # fmt: skip
_FENCE = re.compile(r"\A```python\n((?:(?!```).)*)\n```\Z", re.DOTALL)  # one block: no fence inside
_LITERAL = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")
_SAFE_BUILTINS = {"round": round, "min": min, "max": max, "abs": abs, "int": int, "sum": sum, "print": print}


def shape(shape_id: str, group: str) -> Callable:
    """Register a shape: a function of a seeded Random that returns `program.sample(question)`."""

    def register(make: Callable[[random.Random], Sample]) -> Callable:
        if any(t.id == shape_id for t in SHAPES):
            raise LocoError(f"math shape id {shape_id!r} is registered twice")
        SHAPES.append(Template(shape_id, group, make))
        return make

    return register


class Program:
    """A reply program written line by line; every line is evaluated as it is added."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.values: dict[str, object] = {}
        self.steps = 0  # computed lines (not the question's givens)

    def given(self, name: str, value: int | float) -> int | float:
        """A quantity stated in the question."""
        self._assign(name, repr(value))
        return value

    def let(self, name: str, expression: str) -> int | float:
        """A computed step, over earlier names: `let("total", "price * count")`."""
        self.steps += 1
        return self._assign(name, expression)

    def _assign(self, name: str, expression: str):
        if not name.isidentifier() or name in self.values:
            raise LocoError(f"program variable {name!r} is not a new identifier")
        value = eval(expression, {"__builtins__": _SAFE_BUILTINS}, dict(self.values))  # noqa: S307 - our own lines
        self.values[name] = value
        self.lines.append(f"{name} = {expression}")
        return value

    def sample(self, question: str, answer: str, cents: bool = False, difficulty: str | None = None) -> Sample:
        """The Sample whose reply prints variable `answer` (rounded to cents when `cents`)."""
        value = self.values[answer]
        shown = f"round({answer}, 2)" if cents or isinstance(value, float) else answer
        code = "\n".join([*self.lines, f"print({shown})"])
        expected = answer_value(eval(shown, {"__builtins__": _SAFE_BUILTINS}, dict(self.values)))  # noqa: S307
        tier = difficulty or DIFFICULTIES[min(max(self.steps - 1, 0), 2)]
        return Sample(question, f"```python\n{code}\n```", expected, tier)


def answer_value(value) -> int | float:
    """What the benchmark expects: an int when whole, else the value to the cent."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise LocoError(f"a math program must compute a number, got {value!r}")
    if value < 0:
        raise LocoError(f"negative answer {value}")
    if float(value) == int(value):
        return int(value)
    return round(float(value), 2)


def run_reply(reply: str) -> str:
    """What the reply's program prints, run here (our own generated code, not a model's)."""
    match = _FENCE.match(reply)
    if match is None:
        raise LocoError("reply is not one ```python fenced block")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(match.group(1), "<reply>", "exec"), {"__builtins__": _SAFE_BUILTINS})  # noqa: S102
    return out.getvalue()


def verify(sample: Sample) -> None:
    """The program prints exactly the expected answer and takes its numbers from the question."""
    if why := printed_answer_problem(run_reply(sample.reply), sample.expected):
        raise LocoError(why)
    unstated = unstated_numbers(sample.prompt, _FENCE.match(sample.reply).group(1))
    if unstated:
        raise LocoError(f"the program uses {unstated[0]}, which the question does not state")


def printed_answer_problem(stdout: str, expected: int | float) -> str | None:
    """Why a program's output is not exactly the expected answer (one number, nothing else), or None."""
    printed = stdout.strip()
    try:
        value = Fraction(printed)
    except ValueError:
        return f"the program printed {printed[:60]!r}, not a number"
    if value != Fraction(repr(expected)):
        return f"the program printed {printed}, the stated answer is {expected}"
    return None


def unstated_numbers(question: str, code: str) -> list[str]:
    """The number literals of `code` that `question` does not state, as digits, a word number, a
    percentage, or one of these scaled by a unit factor; a program that brings its own numbers
    teaches the model to invent them."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    stated = {Fraction(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", question)}
    stated |= {Fraction(v) for k, v in WORD_NUMBERS.items() if k in words} | {Fraction(c) for c in CONSTANTS}
    stated |= {1 / v for v in list(stated) if v}  # "half" is / 2 or * 0.5
    stated |= {v * k for v in list(stated) for k in UNIT_FACTORS} | {v / k for v in list(stated) for k in UNIT_FACTORS}
    stated |= {v for word, v in _AND_A_HALF.items() if f"{word} and a half" in question.lower()}
    percents = re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent)", question)
    stated |= {Fraction(p) / 100 for p in percents} | {1 + Fraction(p) / 100 for p in percents}
    stated |= {1 - Fraction(p) / 100 for p in percents}
    return [literal for literal in _LITERAL.findall(code) if Fraction(literal) not in stated]


# --- shapes declared as data -----------------------------------------------------------------------

MAX_DRAWS = 60  # redraws of a shape's numbers until its `where` holds and the answer is >= 0


def spec(shape_id: str, group: str, facts: list[str], question: str, givens: dict, steps: list[tuple[str, str]],
         answer: str, where: str | None = None, words: dict | None = None, cents: bool = False,
         shuffle: bool = False) -> None:  # fmt: skip
    """Register a shape written as data.

    `givens`: name -> (low, high) an int, ("$", low, high) dollars with cents (multiples of 5 cents),
    a list to choose from, or a string expression over earlier givens. A name starting with "_"
    is drawn but never stated: only what the question states can appear in the program.
    `{x_mm}` writes an int given as two digits (the minutes of a clock time). `facts` are sentences
    (in any order when `shuffle`), `question` the question (sometimes asked
    first); both are `render` templates over the givens, {n} and {m} (two different names) and
    `words` (name -> pool: one draw per question, so every sentence names the same thing).
    `steps` are (variable, expression) lines; `where` an expression that must hold."""
    from loco_mlx.data.synth.common import render
    from loco_mlx.data.synth.math_words import NAMES

    def make(rng: random.Random) -> Sample:
        for _ in range(MAX_DRAWS):
            values = _draw(rng, givens)
            if where is not None and not eval(where, {"__builtins__": _SAFE_BUILTINS}, dict(values)):  # noqa: S307
                continue
            program = Program()
            used = " ".join(expression for _, expression in steps) + " " + answer
            for name, value in values.items():
                if not name.startswith("_") and re.search(rf"\b{name}\b", used):
                    program.given(name, value)
            try:
                for name, expression in steps:
                    program.let(name, expression)
                if program.values[answer] < 0:
                    continue
            except (ZeroDivisionError, LocoError):
                continue
            n, m = rng.sample(NAMES, 2)
            shown = {k: _shown(v) for k, v in values.items()} | {"n": n, "m": m}
            shown |= {f"{k}_mm": f"{v:02d}" for k, v in values.items() if isinstance(v, int)}  # minutes of a clock time
            shown |= {k: rng.choice(pool) for k, pool in (words or {}).items()}
            said = [render(rng, fact, **shown) for fact in facts]
            if shuffle:
                rng.shuffle(said)
            asked = render(rng, question, **shown)
            text = " ".join([asked, *said] if rng.random() < 0.2 else [*said, asked])
            return program.sample(text[0].upper() + text[1:], answer, cents=cents)
        raise LocoError(f"math shape {shape_id}: no draw satisfied `{where}` in {MAX_DRAWS} tries")

    SHAPES.append(Template(shape_id, group, make))


def _draw(rng: random.Random, givens: dict) -> dict:
    values: dict = {}
    for name, how in givens.items():
        if isinstance(how, str):
            values[name] = eval(how, {"__builtins__": _SAFE_BUILTINS}, dict(values))  # noqa: S307
        elif isinstance(how, list):
            values[name] = rng.choice(how)
        elif how[0] == "$":
            values[name] = rng.randint(how[1] * 20, how[2] * 20) * 5 / 100
        else:
            values[name] = rng.randint(*how)
    return values


def _shown(value) -> str:
    """How the question writes a number: dollars with cents to two places, whole numbers plainly."""
    if isinstance(value, float) and value != int(value):
        return f"{value:.2f}"
    return str(int(value)) if isinstance(value, float) else str(value)
