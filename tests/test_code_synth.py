"""The code generator's requests and tasks: every style is used, every request names its function and
arguments, the asserts reject wrong answers, held-out tasks are worded apart, and the data is varied."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from loco_mlx.data import synth
from loco_mlx.data.diversity import MAX_SHARED_OPENINGS, check_diversity, measure, opening
from loco_mlx.data.synth import code_styles, code_tasks
from loco_mlx.data.synth.code_common import TOPICS, base_form
from loco_mlx.data.synth.common import Sample, heldout_templates
from loco_mlx.errors import LocoError

REPO = Path(__file__).resolve().parent.parent
TASKS = {task.slug: task for task in code_tasks.TASKS}


@pytest.fixture(scope="module")
def data():
    return synth.generate("code", train=300, valid=20, benchmark=60, seed=7)


def draw(slug: str, seed: int = 0) -> Sample:
    template = next(t for t in code_tasks.TEMPLATES if t.id == slug)
    return template.make(random.Random(f"{slug}:{seed}"))


def called(tests: str) -> str:
    return re.search(r"^assert (\w+)\(", tests, re.MULTILINE).group(1)


def test_at_least_sixty_tasks_over_every_topic_and_tier():
    assert len(code_tasks.TASKS) == len(TASKS) >= 60  # slugs are unique
    topics = Counter(task.topic for task in code_tasks.TASKS)
    assert set(topics) == set(TOPICS) and min(topics.values()) >= 8, topics
    assert {task.tier for task in code_tasks.TASKS} == {"easy", "medium", "hard"}


def test_every_style_appears_and_is_recorded(data):
    assert len(code_styles.STYLES) >= 8
    styles = Counter(code_tasks.request_style(s.expected) for s in data.train)
    assert set(styles) == set(code_styles.STYLES)
    assert min(styles.values()) >= len(data.train) / len(styles) / 2, styles  # each gets roughly its share
    for sample in data.benchmark:
        assert sample.expected.startswith(code_tasks.STYLE_LINE + code_tasks.request_style(sample.expected) + "\n")


def test_each_request_names_the_function_and_its_arguments(data):
    for sample in data.train + data.valid + data.benchmark:
        fn = called(sample.expected)
        assert re.search(rf"\b{fn}\b", sample.prompt), sample.prompt
        args = re.search(rf"^def {fn}\(([^)]*)\):", sample.reply, re.MULTILINE).group(1).split(", ")
        signature = f"{fn}({', '.join(args)})"
        # "fn that takes a and b", or (a description before the name) "takes a and b ... call it fn"
        in_order = r".*?".join(rf"\b{arg}\b" for arg in args)
        assert signature in sample.prompt or re.search(in_order, sample.prompt, re.DOTALL), sample.prompt


def off(value):
    """A value the asserts must reject: the right answer, changed."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + [0]
    if isinstance(value, dict):
        return {**value, "extra": 0}
    return "not None"


def passes(code: str, tests: str) -> bool:
    """Our own code against our own asserts (model output goes through the sandbox in test_synth)."""
    try:
        exec(compile(code + "\n" + tests, "<check>", "exec"), {"__name__": "loco_check", "off": off})
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("slug", sorted(TASKS))
def test_a_wrong_solution_fails_the_asserts(slug):
    for seed in range(3):
        sample = draw(slug, seed)
        code = sample.reply.removeprefix("```python\n").removesuffix("```")
        fn = called(sample.expected)
        assert passes(code, sample.expected)
        nearly = code.replace(f"def {fn}(", "def _right(", 1) + f"\ndef {fn}(*args):\n    return off(_right(*args))\n"
        assert not passes(nearly, sample.expected), (slug, sample.expected)
        assert not passes(f"def {fn}(*args):\n    return None\n", sample.expected), slug


def test_the_reference_is_checked_against_an_independent_oracle():
    sample = draw("reverse-string")
    wrong = Sample(sample.prompt, sample.reply.replace("[::-1]", "[::1]"), sample.expected, sample.difficulty)
    with pytest.raises(LocoError, match="the reference solution fails its tests"):
        code_tasks.verify(wrong)
    unnamed = Sample(sample.prompt.replace(called(sample.expected), "f"), sample.reply, sample.expected, "easy")
    with pytest.raises(LocoError, match="does not name the function"):
        code_tasks.verify(unnamed)


def test_heldout_tasks_are_worded_from_held_back_wordings():
    assert code_tasks.HELDOUT_TASKS == set(heldout_templates(code_tasks.DOMAIN))
    pools = [p for p in vars(code_styles).values() if isinstance(p, code_styles.Wordings)]
    assert len(pools) >= 15
    for pool in pools:
        assert pool.held and pool.seen and not set(pool.held) & set(pool.seen), pool.name
        assert abs(len(pool.held) - (len(pool.held) + len(pool.seen)) / 3) < 1, pool.name
    request = code_styles.Request("f", ("x",), ("integer",), "returns x", "return x", "x", (("f(1)", "1"),) * 2)
    rng = random.Random(0)
    for style in code_styles.STYLES:  # the same request, worded for a held-out task and for a seen one
        held = {code_styles.request_text(rng, style, request, True) for _ in range(40)}
        seen = {code_styles.request_text(rng, style, request, False) for _ in range(40)}
        assert len(held) > 5 and len(seen) > 5 and not held & seen, style


def test_verbs_in_the_base_form():
    assert base_form("counts the vowels and returns the count") == "count the vowels and return the count"
    assert base_form("applies a shift") == "apply a shift"
    assert base_form("finds x and adds y") == "find x and add y"
    with pytest.raises(LocoError, match="'the sum' does not start with a third-person verb"):
        base_form("the sum")


def test_unknown_style_is_an_error():
    request = code_styles.Request("f", ("x",), ("integer",), "returns x", "return x", "x", (("f(1)", "1"),) * 2)
    with pytest.raises(LocoError, match="unknown request style 'sonnet'"):
        code_styles.request_text(random.Random(0), "sonnet", request, False)
    with pytest.raises(LocoError, match="tests do not start with a request style line"):
        code_tasks.request_style("assert f(1) == 1\n")


def test_generated_requests_are_varied_and_heldout_items_open_apart(data):
    prompts = [s.prompt for s in data.train + data.valid]
    assert not measure(prompts).templated
    openings = {opening(p) for p in prompts}
    held = [s.prompt for s in data.benchmark if s.template in data.heldout]
    assert sum(opening(p) in openings for p in held) / len(held) <= MAX_SHARED_OPENINGS


def test_the_committed_data_is_not_templated():
    found = check_diversity(str(REPO / "data" / "code"), [str(REPO / "data" / "code" / "benchmark.jsonl")])
    assert found.openings >= 60 and found.distinct_4grams >= 0.7, found.summary()


def test_the_same_data_under_another_hash_seed(tmp_path):
    """Dicts in the asserts and examples are written in a fixed order, whatever PYTHONHASHSEED is."""
    script = (
        "from loco_mlx.data import synth; d = synth.generate('code', 200, 10, 20, 0); "
        "print([s.expected for s in d.train + d.benchmark], [s.prompt for s in d.train])"
    )
    command = [sys.executable, "-c", script]
    runs = [
        subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
