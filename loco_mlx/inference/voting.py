"""Self-consistency voting over N sampled answers.

`numeric` and `exact` count the answers the evaluation scorers would extract
(loco_mlx.inference.answers) and return the reply that gave the most common one (ties go
to the answer reached first). `best` returns the sample the model itself found
most likely (highest mean token log-probability): best-of-N for open-ended
replies. `auto` votes on numbers when most samples contain one, else best-of-N.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from loco_mlx.errors import LocoError
from loco_mlx.inference.answers import extract_number, format_number, normalise_text

VOTE_METHODS = ("auto", "numeric", "exact", "best")


@dataclass
class Sample:
    text: str
    mean_logprob: float
    tokens: int = 0


@dataclass
class VoteResult:
    text: str  # the reply returned to the user
    answer: str | None  # the winning extracted answer (None for best-of-N)
    method: str  # the method actually used
    distribution: list[tuple[str, int]]  # (answer, votes), most votes first
    samples: list[Sample]
    tools: list = field(default_factory=list)  # tool adapters: each sample's ToolRun, in sample order

    def describe(self) -> str:
        n = len(self.samples)
        if self.method == "best":
            return f"best of {n} by mean log-probability"
        shown = ", ".join(f"{answer} x{count}" for answer, count in self.distribution)
        return f"{self.method} vote over {n}: {shown}"


def answer_of(text: str, method: str) -> str | None:
    if method == "numeric":
        value = extract_number(text)
        return None if value is None else format_number(value)
    return normalise_text(text) or None


def decide(samples: list[Sample], method: str = "auto", code_request: bool = False) -> VoteResult:
    """The majority answer of `samples` by `method`. "auto" counts numbers when most samples hold one,
    unless the request asked for code (a number in code is an example call, not an answer): then,
    as when nothing can be counted, the sample the model is surest of."""
    if method not in VOTE_METHODS:
        raise LocoError(f"unknown vote method '{method}'; choose one of: {', '.join(VOTE_METHODS)}")
    if not samples:
        raise LocoError("no samples to vote over")
    if method == "auto":
        numbers = [answer_of(s.text, "numeric") for s in samples]
        counted = not code_request and sum(a is not None for a in numbers) * 2 > len(samples)
        method = "numeric" if counted else "best"
    if method == "best":
        best = max(samples, key=lambda s: s.mean_logprob)
        return VoteResult(best.text, None, "best", [], samples)
    answers = [answer_of(s.text, method) for s in samples]
    counts = Counter(a for a in answers if a is not None)
    if not counts:  # nothing extractable: fall back to the model's own preference
        best = max(samples, key=lambda s: s.mean_logprob)
        return VoteResult(best.text, None, "best", [], samples)
    first_seen = {a: i for i, a in reversed(list(enumerate(answers)))}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], first_seen[item[0]]))
    winner = ranked[0][0]
    text = samples[answers.index(winner)].text
    return VoteResult(text, winner, method, ranked, samples)
