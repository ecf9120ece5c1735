"""Program-style math shapes (math_shapes_*.py through math_programs): every registered shape writes
verified programs, the ten topics are covered, `verify` refuses wrong programs, and the held-out
third of every topic stays out of training while the benchmark's held-out items come from it."""

from __future__ import annotations

import ast
import math
import random
import re
from collections import Counter

import pytest

from loco_mlx.data import synth
from loco_mlx.data.synth.common import HOLDOUT_FRACTION, Sample, benchmark_row, heldout_templates
from loco_mlx.data.synth.math_programs import SHAPES, run_reply, verify
from loco_mlx.errors import LocoError

TOPICS = {"multi-step", "rates", "units", "percent", "fractions", "averages", "remainders", "comparisons", "money",
          "time"}  # fmt: skip
DOMAIN = synth.get_domain("math", "program")  # importing loco_mlx.data.synth registers every math_shapes_* file


def _code(reply: str) -> str:
    return reply.removeprefix("```python\n").removesuffix("\n```")


def _sample(shape_id: str, seed: int = 0) -> Sample:
    return next(t for t in DOMAIN.templates if t.id == shape_id).make(random.Random(seed))


def test_the_domain_holds_every_registered_shape_and_sixty_or_more_over_the_ten_topics():
    assert [t.id for t in DOMAIN.templates] == [t.id for t in SHAPES]
    assert len({t.id for t in SHAPES}) == len(SHAPES) >= 60
    groups = Counter(t.group for t in SHAPES)
    assert set(groups) == TOPICS and min(groups.values()) >= 6


@pytest.mark.parametrize("shape", SHAPES, ids=lambda t: t.id)
def test_every_shape_writes_verified_programs_as_one_python_block_ending_in_print(shape):
    prompts = set()
    for seed in range(30):
        sample = shape.make(random.Random(seed))
        verify(sample)  # prints the expected answer, every literal stated in the question or a unit constant
        prompts.add(sample.prompt)
        assert sample.reply.startswith("```python\n") and sample.reply.endswith("\n```")
        assert sample.reply.count("```") == 2  # one block, nothing around it
        *steps, last = ast.parse(_code(sample.reply)).body
        assert steps and all(isinstance(s, ast.Assign) and len(s.targets) == 1 for s in steps)
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", s.targets[0].id) for s in steps)  # snake_case names
        assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and last.value.func.id == "print"
        assert sample.expected >= 0 and sample.difficulty in ("easy", "medium", "hard")
    assert len(prompts) >= 25  # names, numbers and wording vary from seed to seed


def test_verify_refuses_a_program_that_prints_a_wrong_number():
    sample = _sample(SHAPES[0].id)
    *lines, last = _code(sample.reply).splitlines()
    wrong = "```python\n" + "\n".join([*lines, last[:-1] + " + 1)"]) + "\n```"  # one more than the answer
    with pytest.raises(LocoError, match=r"the program printed \d+, the stated answer is"):
        verify(Sample(sample.prompt, wrong, sample.expected, "easy"))


def test_verify_refuses_a_number_the_question_does_not_state():
    sample = _sample(SHAPES[0].id)
    *lines, last = _code(sample.reply).splitlines()
    assert "987653" not in sample.prompt
    padded = "```python\n" + "\n".join([*lines, "spare = 987653", last]) + "\n```"  # still prints the answer
    assert run_reply(padded) == run_reply(sample.reply)
    with pytest.raises(LocoError, match="uses 987653, which the question does not state"):
        verify(Sample(sample.prompt, padded, sample.expected, "easy"))


@pytest.mark.parametrize(
    "wrap",
    [lambda code: code, lambda code: f"```\n{code}\n```", lambda code: f"Here is the program:\n```python\n{code}\n```",
     lambda code: f"```python\n{code}\n```\nThe answer is above."],
    ids=["bare", "no-language", "text-before", "text-after"],
)  # fmt: skip
def test_verify_refuses_a_reply_that_is_not_one_fenced_python_block(wrap):
    sample = _sample(SHAPES[0].id)
    with pytest.raises(LocoError, match="not one ```python fenced block"):
        verify(Sample(sample.prompt, wrap(_code(sample.reply)), sample.expected, "easy"))


def test_verify_refuses_two_fenced_blocks():
    sample = _sample(SHAPES[0].id)
    twice = sample.reply + "\n```python\nprint(0)\n```"
    with pytest.raises((LocoError, SyntaxError)):  # the fence match spans both blocks, so the joined code fails
        verify(Sample(sample.prompt, twice, sample.expected, "easy"))


def test_about_a_third_of_every_topic_is_held_out_and_the_benchmark_keeps_to_it():
    held = set(heldout_templates(DOMAIN))
    for topic in TOPICS:
        ids = {t.id for t in SHAPES if t.group == topic}
        assert abs(len(ids & held) - len(ids) * HOLDOUT_FRACTION) <= 1 and ids & held and ids - held
    data = synth.generate("math", train=150, valid=15, benchmark=40, seed=3, style="program")
    assert not {s.template for s in data.train + data.valid} & held  # never trained on
    rows = [benchmark_row(data, i, s) for i, s in enumerate(data.benchmark)]
    marked = [s for s, row in zip(data.benchmark, rows) if "heldout-template" in row["tags"]]
    assert {s.template for s in marked} <= held and len(marked) == math.ceil(40 * 0.6)
    assert all(s.template not in held for s, row in zip(data.benchmark, rows) if "seen-template" in row["tags"])
    for sample in data.train[:20] + data.benchmark:
        verify(sample)


@pytest.mark.parametrize(
    ("stdout", "expected", "why"),
    [
        ("61\n", 61, None),
        ("12.5", 12.5, None),
        ("0.1", 0.1, None),  # compared as the decimal written, not the float's binary value
        ("62", 61, "the program printed 62, the stated answer is 61"),
        ("61\n62\n", 61, "the program printed '61\\n62', not a number"),  # two prints: not one answer
        ("The answer is 61", 61, "not a number"),
        ("", 61, "the program printed '', not a number"),
    ],
)
def test_a_printed_answer_must_be_exactly_the_stated_number(stdout, expected, why):
    from loco_mlx.data.synth.math_programs import printed_answer_problem

    problem = printed_answer_problem(stdout, expected)
    assert problem == why if why is None or why.startswith("the program") else why in problem
