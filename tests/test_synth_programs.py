"""`loco data synth math --style program`: at least 60 shapes over ten topics, every reply a short
program that prints the answer (checked by running it here and, for a sample, in the real sandbox
through the tool path), a third of each topic held out, and verify() catching wrong programs."""

from __future__ import annotations

import random
import re
from collections import Counter
from fractions import Fraction

import pytest

from loco_mlx.data import synth
from loco_mlx.data.synth.common import Sample, heldout_templates
from loco_mlx.data.synth.math_programs import run_reply, verify
from loco_mlx.errors import LocoError

TOPICS = {"multi-step", "rates", "units", "percent", "fractions", "averages", "remainders", "comparisons", "money",
          "time"}  # fmt: skip
DOMAIN = synth.get_domain("math", "program")


def test_sixty_shapes_or_more_over_the_ten_topics():
    groups = Counter(t.group for t in DOMAIN.templates)
    assert len(DOMAIN.templates) >= 60 and set(groups) == TOPICS and min(groups.values()) >= 6
    assert DOMAIN.style == "program" and DOMAIN.tool == "python"


@pytest.mark.parametrize("shape", DOMAIN.templates, ids=lambda t: t.id)
def test_every_shape_writes_verified_short_programs_with_varied_prompts(shape):
    prompts = set()
    for seed in range(30):
        sample = shape.make(random.Random(seed))
        verify(sample)
        prompts.add(sample.prompt)
        lines = sample.reply.removeprefix("```python\n").removesuffix("\n```").splitlines()
        assert sample.reply.startswith("```python\n") and lines[-1].startswith("print(") and 3 <= len(lines) <= 12
        assert all(re.fullmatch(r"[a-z][a-z0-9_]* = .+", line) for line in lines[:-1])  # one named step a line
        assert Fraction(run_reply(sample.reply).strip()) == Fraction(repr(sample.expected))  # 20.0 prints for 20
    assert len(prompts) >= 25  # names, numbers and wording vary


def test_a_third_of_every_topic_is_held_out_and_the_benchmark_keeps_to_it():
    held = set(heldout_templates(DOMAIN))
    by_group = Counter(t.group for t in DOMAIN.templates if t.id in held)
    assert set(by_group) == TOPICS and 19 <= len(held) <= 24
    data = synth.generate("math", train=150, valid=15, benchmark=40, seed=3, style="program")
    assert not {s.template for s in data.train + data.valid} & held
    assert sum(s.template in held for s in data.benchmark) == 24  # 60% of 40 from held-out shapes


@pytest.mark.parametrize(
    "reply, problem",
    [("```python\nx = 2\nprint(x * 3)\n```", "printed '6', the answer is 5"),
     ("```python\nx = 8\nprint(x - 3)\n```", "uses 8, which the question does not state"),
     ("x = 2\nprint(x + 3)", "not one ```python fenced block"),
     ("```python\nprint('five')\n```", "printed 'five', not a number")],
)  # fmt: skip
def test_verify_catches_a_wrong_program(reply, problem):
    with pytest.raises(LocoError, match=re.escape(problem)):
        verify(Sample("Ana has 2 apples and buys 3 more. How many now?", reply, 5, "easy"))


def test_generated_programs_answer_through_the_real_sandbox():
    from loco_mlx.evaluation.scorers import score
    from loco_mlx.inference.tools import ToolSettings, answer_from_output, extract_program, run_program

    data = synth.generate("math", train=20, valid=2, benchmark=8, seed=5, style="program")
    for sample in data.benchmark[:8]:
        result = run_program(extract_program(sample.reply), ToolSettings())
        assert result.passed, result.stderr
        assert score("numeric", answer_from_output(result.stdout), sample.expected, {"relative": 0.0}).passed
