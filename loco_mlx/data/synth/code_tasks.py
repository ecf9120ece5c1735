"""Small Python functions, each with asserts computed by an independent oracle, asked for in many ways.

A template is one task (reverse a string, fizzbuzz, merge two dicts...; the tables are in
code_strings.py, code_lists.py and code_numbers.py). A sample draws the function and parameter
names, a task parameter where there is one, the test inputs, a request style and its wording
(code_styles.py). The reply is the reference solution in a ```python block; the benchmark's
expected value is the assert lines, run after the model's code by the code_exec scorer, with the
request style on a first comment line (`# request style: spec`), so a reply shows how it was asked; the
benchmark item also carries it as a `style:` tag, which `loco eval` scores by.
Outputs are computed by a separate oracle, not by the reference solution, and every sample's
solution is run against its asserts when drawn.

Why a template is a task and not a task x style pair: the held-out third must be tasks the adapter
never saw, or the benchmark scores recall of trained solutions. Pairs would hold out a third of
the combinations, and every held-out task would still be trained on in its other styles. Styles
are not held out whole either (people ask in all of them), but wordings are: a held-out task is
worded only from the third of each pool of wordings that training never uses. So a held-out item
is an unseen task in unseen words, in a known style; a seen-template item is a trained task in
trained words, the in-distribution score.
"""

from __future__ import annotations

import random
from typing import Callable

from loco_mlx.data.synth import code_lists, code_numbers, code_strings
from loco_mlx.data.synth.code_common import Task, base_form
from loco_mlx.data.synth.code_styles import STYLES, Request, request_text
from loco_mlx.data.synth.common import Domain, Sample, Template, heldout_templates, render
from loco_mlx.errors import LocoError

TASKS: tuple[Task, ...] = code_strings.TASKS + code_lists.TASKS + code_numbers.TASKS
N_TESTS = 5
STYLE_LINE = "# request style: "  # the first line of every sample's tests


def _make(task: Task, held: bool) -> Callable[[random.Random], Sample]:
    def make(rng: random.Random) -> Sample:
        fn, args, params = rng.choice(task.names), rng.choice(task.args), task.params(rng)
        names = {"fn": fn, **dict(zip("abc", args)), **params}
        calls = _calls(rng, task, params)
        results = [task.oracle(params, *call) for call in calls]
        shown = [f"{fn}({', '.join(repr(x) for x in call)})" for call in calls]
        style = rng.choice(list(STYLES))
        tests = STYLE_LINE + style + "\n" + "".join(f"assert {c} == {r!r}\n" for c, r in zip(shown, results))
        does = render(rng, rng.choice(_verb_phrases(task)), **names)
        request = Request(
            fn, args, task.kinds, does, base_form(does), render(rng, rng.choice(task.results), **names),
            tuple((call, repr(result)) for call, result in zip(shown, results)),
        )  # fmt: skip
        return Sample(
            request_text(rng, style, request, held),
            f"```python\n{_source(task, names)}```",
            tests,
            task.tier,
            tags=(f"style:{style}",),
        )

    return make


def _verb_phrases(task: Task) -> list[str]:
    return [f"returns {r}" for r in task.results] + [f"gives back {task.results[0]}"] + list(task.does)


def _source(task: Task, names: dict) -> str:
    source = task.source
    for key, value in names.items():
        source = source.replace(f"__{key}__", str(value))
    return source


def _calls(rng: random.Random, task: Task, params: dict) -> list[tuple]:
    calls, seen = [], set()
    if task.edges and rng.random() < 0.7:
        calls.append(rng.choice(task.edges))
        seen.add(repr(calls[0]))
    for _ in range(50):
        if len(calls) == N_TESTS:
            break
        call = task.inputs(rng, params)
        if repr(call) not in seen:
            seen.add(repr(call))
            calls.append(call)
    rng.shuffle(calls)
    return calls


def request_style(tests: str) -> str:
    """The request style a sample's tests (a benchmark item's `expected`) record on their first line."""
    first = tests.split("\n", 1)[0]
    if not first.startswith(STYLE_LINE) or first.removeprefix(STYLE_LINE) not in STYLES:
        raise LocoError(f"tests do not start with a request style line: {first!r}")
    return first.removeprefix(STYLE_LINE)


def verify(sample: Sample) -> None:
    """The reply is one python block, the request names the function, and the code passes the asserts.

    Run here with exec: the code is this module's own reference solution, not model output; the
    tests check model output with the code_exec scorer's sandbox instead.
    """
    if not (sample.reply.startswith("```python\n") and sample.reply.endswith("```")) or sample.reply.count("```") != 2:
        raise LocoError(f"reply {sample.reply[:40]!r} is not one ```python block")
    if not isinstance(sample.expected, str) or sample.expected.count("assert ") < 3:
        raise LocoError(f"tests {sample.expected!r} have fewer than 3 asserts")
    request_style(sample.expected)
    fn = sample.expected.split("assert ", 1)[1].split("(", 1)[0]
    if fn not in sample.prompt:
        raise LocoError(f"the request does not name the function {fn!r} its tests call")
    code = sample.reply.removeprefix("```python\n").removesuffix("```")
    try:
        exec(compile(code + "\n" + sample.expected, "<reference>", "exec"), {"__name__": "loco_synth_check"})
    except Exception as exc:  # any failure of the reference is a bug in the task
        raise LocoError(f"the reference solution fails its tests: {type(exc).__name__}: {exc}") from None


def _heldout_slugs() -> frozenset[str]:
    """The tasks common.generate will hold out: it depends only on the domain name, ids and groups."""
    unused = lambda rng: None  # noqa: E731 - the choice never draws
    skeleton = Domain("code", "code_exec", tuple(Template(t.slug, t.tier, unused) for t in TASKS), verify)
    return frozenset(heldout_templates(skeleton))


HELDOUT_TASKS = _heldout_slugs()
TEMPLATES = [Template(task.slug, task.tier, _make(task, task.slug in HELDOUT_TASKS)) for task in TASKS]
DOMAIN = Domain("code", "code_exec", tuple(TEMPLATES), verify)
