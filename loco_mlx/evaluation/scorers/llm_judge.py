"""A local model grades the output against a rubric and the reference answer: 0..10 -> 0..1.

The judge is whatever `JUDGE` is set to: a function from prompt to reply. `loco eval`
sets it to the resident base model (the plain base, no adapter, greedy) for the
duration of scoring, so no second model is loaded; a benchmark may name its rubric per
item. The score is the first number of the judge's reply, clamped to 0..10.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import strip_thinking

DEFAULTS: dict[str, Any] = {
    "rubric": "Is the response correct and complete, given the reference answer?",
    "threshold": 0.6,
}
JUDGE: Callable[[str], str] | None = None  # set by the evaluation runner
_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")

PROMPT = """You are grading a response.
Rubric: {rubric}
Reference answer: {expected}
Response: {output}
Reply with one number from 0 (fails the rubric) to 10 (fully meets it), nothing else."""


def score(output: str, expected: Any, options: dict) -> Score:
    if JUDGE is None:
        raise LocoError("the llm_judge scorer needs a judge model; it runs inside `loco eval`")
    reply = JUDGE(PROMPT.format(rubric=options["rubric"], expected=expected, output=strip_thinking(output).strip()))
    match = _FIRST_NUMBER.search(reply)  # "3/10" is a score of 3, not the fraction 0.3
    if match is None:
        return Score(0.0, False, None, f"the judge gave no score: {reply[:80]!r}")
    number = float(match.group(0))
    value = min(max(number, 0.0), 10.0) / 10
    return Score(value, value >= options["threshold"], f"{number:g}/10", "" if value else "judged 0")
