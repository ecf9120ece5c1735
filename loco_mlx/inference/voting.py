"""Self-consistency voting over N sampled answers.

`numeric` and `exact` count the answers the evaluation scorers would extract
(loco_mlx.inference.answers) and return the reply that gave the most common one (ties go
to the answer reached first). `json` votes field by field: the commonest list of keys,
then each key's commonest value, so five extractions that each get one field wrong can
still agree on all of them. `best` returns the sample the model itself found
most likely (highest mean token log-probability): best-of-N for open-ended
replies. `examples` (`by_examples`) returns the function, sampled or greedy, that gets most of the
request's stated example calls right in the sandbox (code_examples.py; the engine runs them), the
likeliest among equals.
`auto` does that for a request for code that states examples, votes on JSON objects when most
samples hold one, else on numbers when most samples contain one, else best-of-N.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from loco_mlx.errors import LocoError
from loco_mlx.inference.answers import extract_number, find_json, format_number, normalise_text

VOTE_METHODS = ("auto", "numeric", "exact", "json", "best", "examples")


MAX_VOTES = 16  # samples one request may ask for, in chat and the server: each is a whole reply decoded


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
        if self.method == "examples":
            shown = ", ".join(f"{answer}: {count}" for answer, count in self.distribution)
            return f"best of {n} on the request's stated examples ({shown})"
        shown = ", ".join(f"{answer} x{count}" for answer, count in self.distribution)
        return f"{self.method} vote over {n}: {shown}"


def answer_of(text: str, method: str) -> str | None:
    if method == "numeric":
        value = extract_number(text)
        return None if value is None else format_number(value)
    return normalise_text(text) or None


def _commonest(items: list):
    counts = Counter(items)
    return max(counts, key=lambda item: (counts[item], -items.index(item)))  # a tie goes to the one seen first


def _same(value):
    """A field's value as its vote counts it: 1 and 1.0 are one answer, as the json_fields scorer says."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _same(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same(v) for v in value]
    return value


def _json_vote(samples: list[Sample], objects: list[dict | None]) -> VoteResult | None:
    """Field by field: the commonest key list (in its order), then each key's commonest value among
    the objects that have it, as the first of them wrote it. The reply is the first sample that says
    exactly that, else the object. None when no sample holds a non-empty object."""
    parsed = [o for o in objects if o]
    if not parsed:
        return None
    keys = _commonest([tuple(o) for o in parsed])
    voted, distribution = {}, []
    for key in keys:
        written = [o[key] for o in parsed if key in o]
        counted = [json.dumps(_same(v), sort_keys=True, ensure_ascii=False) for v in written]
        winner = _commonest(counted)
        voted[key] = written[counted.index(winner)]
        distribution.append((f"{key}: {winner}", counted.count(winner)))
    answer = json.dumps(voted, ensure_ascii=False)
    said = [s.text for s, o in zip(samples, objects) if o and json.dumps(o, ensure_ascii=False) == answer]
    return VoteResult(said[0] if said else answer, answer, "json", distribution, samples)


def by_examples(samples: list[Sample], checked: list[tuple[int, int]]) -> VoteResult:
    """The sample whose function gets most stated examples right (`checked`: (right, checked) per
    sample), the likeliest among equals."""
    best = max(range(len(samples)), key=lambda i: (checked[i][0], samples[i].mean_logprob))
    counts = Counter(f"{right} of {total} right" for right, total in checked)
    ranked = sorted(counts.items(), key=lambda item: (-int(item[0].split()[0]), -item[1]))
    return VoteResult(samples[best].text, None, "examples", ranked, samples)


def decide(
    samples: list[Sample], method: str = "auto", code_request: bool = False, json_guided: bool = False
) -> VoteResult:
    """The majority answer of `samples` by `method`. "auto" votes field by field when most samples
    hold a JSON object, else counts numbers when most samples hold one, unless the request asked for
    code (a number in code is an example call, not an answer): then, as when nothing can be
    counted, the sample the model is surest of. (A request for code that states examples is
    decided by `by_examples` before this: the engine runs them.) `json_guided`: every sample was
    decoded by the JSON guide, so one that holds no object was cut at max_tokens and has no vote."""
    if method not in VOTE_METHODS:
        raise LocoError(f"unknown vote method '{method}'; choose one of: {', '.join(VOTE_METHODS)}")
    if not samples:
        raise LocoError("no samples to vote over")
    if method == "examples":
        method = "best"  # no example could be checked: the model's own preference
    objects = [find_json(s.text) for s in samples] if method in ("auto", "json") else []
    if method == "auto" and json_guided:
        method = "json"
    if method == "auto":
        if code_request:
            method = "best"
        elif sum(bool(o) for o in objects) * 2 > len(samples):
            method = "json"
        else:
            numbers = [answer_of(s.text, "numeric") for s in samples]
            method = "numeric" if sum(a is not None for a in numbers) * 2 > len(samples) else "best"
    if method == "json":
        voted = _json_vote(samples, objects)
        if voted is not None:
            return voted
        method = "best"  # no sample holds an object: the model's own preference
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
