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
WORD_NUMBERS = {"twice": 2, "double": 2, "half": 2, "triple": 3, "dozen": 12, "quarter": 4, "third": 3}
_FENCE = re.compile(r"\A```python\n(.*)\n```\Z", re.DOTALL)
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
    printed = run_reply(sample.reply).strip()
    try:
        value = Fraction(printed)
    except ValueError:
        raise LocoError(f"the program printed {printed!r}, not a number") from None
    if value != Fraction(repr(sample.expected)) or "\n" in printed:
        raise LocoError(f"the program printed {printed!r}, the answer is {sample.expected}")
    words = sample.prompt.lower()
    stated = {Fraction(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", sample.prompt)}
    stated |= {Fraction(v) for k, v in WORD_NUMBERS.items() if k in words} | {Fraction(c) for c in CONSTANTS}
    code = _FENCE.match(sample.reply).group(1)
    for literal in _LITERAL.findall(code):
        if Fraction(literal) not in stated:
            raise LocoError(f"the program uses {literal}, which the question does not state")
