"""Synthetic data generators: deterministic, whole templates held out, every reference answer
checked independently (math working re-evaluated, JSON values found in the text, code run by the
real code_exec scorer), the benchmark clean of the training data, the committed data/ files
exactly what the generator writes, and `loco data synth` as a user runs it.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from loco_mlx.data import synth
from loco_mlx.data.contamination import check_contamination
from loco_mlx.data.contamination import read_probes as read_contamination_items
from loco_mlx.data.datasets import load_dataset, validate
from loco_mlx.data.synth import common
from loco_mlx.errors import LocoError
from loco_mlx.evaluation.benchmarks import read_benchmark
from loco_mlx.evaluation.scorers import score

REPO = Path(__file__).resolve().parent.parent
DOMAINS = ("math", "json", "code")
SMALL = {"train": 150, "valid": 15, "benchmark": 40}


@pytest.fixture(scope="module")
def small():
    return {d: synth.generate(d, **SMALL, seed=3) for d in DOMAINS}


def rows(data: common.SynthData) -> dict[str, list[dict]]:
    return {
        "train": [common.train_row(s) for s in data.train],
        "valid": [common.train_row(s) for s in data.valid],
        "benchmark": [common.benchmark_row(data, i, s) for i, s in enumerate(data.benchmark)],
    }


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- determinism and the held-out split ----------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_same_seed_same_data_other_seed_other_data(small, domain):
    assert rows(synth.generate(domain, **SMALL, seed=3)) == rows(small[domain])
    other = synth.generate(domain, **SMALL, seed=4)
    assert rows(other)["train"] != rows(small[domain])["train"]
    assert other.heldout == small[domain].heldout  # the held-out templates do not depend on --seed


@pytest.mark.parametrize("domain", DOMAINS)
def test_heldout_templates_are_a_stratified_third(domain):
    templates = synth.DOMAINS[domain].templates
    held = set(synth.heldout_templates(synth.DOMAINS[domain]))
    assert len(templates) >= 24
    assert len({t.id for t in templates}) == len(templates)
    assert 0.28 <= len(held) / len(templates) <= 0.38  # a third, give or take each group's rounding
    for group in {t.group for t in templates}:  # every tier (or step count) has its third held out
        ids = [t.id for t in templates if t.group == group]
        assert sum(i in held for i in ids) == (max(1, round(len(ids) / 3)) if len(ids) > 1 else 0), group


@pytest.mark.parametrize("domain", DOMAINS)
def test_heldout_templates_never_in_train_or_valid(small, domain):
    data = small[domain]
    trained = {s.template for s in data.train + data.valid}
    assert not trained & set(data.heldout)
    assert trained == {t.id for t in data.domain.templates} - set(data.heldout)  # every seen template is used


@pytest.mark.parametrize("domain", DOMAINS)
def test_benchmark_mostly_heldout_tagged_and_valid(small, domain, tmp_path):
    data = small[domain]
    bench = rows(data)["benchmark"]
    held = [r for r in bench if "heldout-template" in r["tags"]]
    assert len(bench) == SMALL["benchmark"] and len(held) >= len(bench) / 2
    for row, sample in zip(bench, data.benchmark):
        where = "heldout-template" if sample.template in data.heldout else "seen-template"
        assert row["tags"] == [domain, where, f"template:{sample.template}", *sample.tags]
        if domain == "code":  # the request style, also written on the tests' first line
            assert sample.tags == ("style:" + sample.expected.splitlines()[0].removeprefix("# request style: "),)
        assert row["difficulty"] in ("easy", "medium", "hard")
    prompts = [s.prompt.lower() for s in data.train + data.valid + data.benchmark]
    assert len(set(prompts)) == len(prompts)  # no prompt in two splits
    path = tmp_path / "benchmark.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bench))
    assert len(read_benchmark(path).items) == len(bench)  # ids, scorer and options pass loco eval's checks


# --- answers, checked independently of the generators ----------------------------------------------


@pytest.mark.parametrize("split", ("train", "benchmark"))
def test_math_working_recomputed(small, split):
    data = small["math"]
    for sample in getattr(data, split):
        match = re.fullmatch(r"((?:\d+ [-+*/] \d+ = \d+\. )+)The answer is (\d+)\.", sample.reply)
        assert match, sample.reply
        known = {Fraction(n) for n in re.findall(r"\d+", sample.prompt)}
        known |= {Fraction(n) for word, n in (("twice", 2), ("half", 2), ("dozen", 12)) if word in sample.prompt}
        steps = re.findall(r"(\d+) ([-+*/]) (\d+) = (\d+)\.", match.group(1))
        for a, op, b, c in steps:
            a, b, c = Fraction(a), Fraction(b), Fraction(c)
            assert a in known and b in known, (sample.prompt, sample.reply)
            assert {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op] == c, sample.reply
            known.add(c)
        assert Fraction(steps[-1][3]) == int(match.group(2)) == sample.expected
        assert len(steps) == int(next(t.group for t in data.domain.templates if t.id == sample.template)[0])
        assert score("numeric", sample.reply, sample.expected, data.domain.options).passed
        assert not score("numeric", f"The answer is {sample.expected + 1}.", sample.expected, {"relative": 0.0}).passed


def test_json_reply_is_the_requested_object_and_matches_the_text(small):
    for sample in small["json"].train + small["json"].benchmark:
        got = json.loads(sample.reply)
        assert got == sample.expected and sample.reply == json.dumps(got, ensure_ascii=False)
        assert 2 <= len(got) <= 6 and list(got) == list(sample.expected)
        for key, value in got.items():
            assert re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", sample.prompt), key  # the request names it
            normalised = re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", str(value))  # a date or a time asked
            if isinstance(value, str) and not normalised:  # for as YYYY-MM-DD or HH:MM (test_json_synth checks it)
                assert value.lower() in sample.prompt.lower()
            elif type(value) in (int, float):  # as written, or with its thousands commas (1,250.00)
                written = rf"(?<![\d.]){re.escape(str(value))}{'0*' if isinstance(value, float) else ''}(?!\d)"
                ungrouped = re.sub(r"(\d),(\d{3})\b", r"\1\2", sample.prompt)
                assert re.search(written, sample.prompt) or re.search(written, ungrouped), value
        assert score("json_fields", sample.reply, sample.expected).passed
        key, value = next((k, v) for k, v in got.items() if v is not None)
        wrong = dict(got, **{key: value + 1 if type(value) in (int, float) else "something else"})
        assert not score("json_fields", json.dumps(wrong), sample.expected).passed


def test_code_solutions_pass_their_tests_in_the_sandbox(small):
    data = small["code"]
    first = {}  # one sample per template: seen ones from train, held-out ones from the benchmark or drawn
    for sample in data.train + data.benchmark:
        first.setdefault(sample.template, sample)
    assert {s.template for s in data.train} == {t.id for t in data.domain.templates} - set(data.heldout)
    for template in data.domain.templates:  # the small benchmark has fewer items than held-out templates
        first.setdefault(template.id, template.make(random.Random(template.id)))
    for template, sample in first.items():
        result = score("code_exec", sample.reply, sample.expected)
        assert result.passed, (template, result.detail)
        name = re.search(r"^assert (\w+)\(", sample.expected, re.MULTILINE).group(1)  # after the style line
        stub = f"```python\ndef {name}(*args):\n    return None\n```"
        assert not score("code_exec", stub, sample.expected).passed, template  # the asserts do test something


# --- contamination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_benchmark_clean_of_train_and_valid(small, domain):
    data = small[domain]
    assert common.contamination_findings(data.train + data.valid, data.benchmark) == []


def test_flagged_candidates_are_redrawn(monkeypatch):
    real = common.contamination_findings
    flagged: set[str] = set()

    def flag_every_third(trained, candidates):  # as if every third new candidate copied a training example
        if not flagged:
            flagged.update(c.prompt for c in candidates[::3])
        found = real(trained, candidates)
        return found + [
            type("F", (), {"benchmark_id": str(i)})() for i, c in enumerate(candidates) if c.prompt in flagged
        ]

    monkeypatch.setattr(common, "contamination_findings", flag_every_third)
    data = synth.generate("math", **SMALL, seed=3)
    assert len(data.benchmark) == SMALL["benchmark"] and data.dropped >= len(flagged) > 0
    assert not flagged & {s.prompt for s in data.benchmark}


def test_benchmark_that_cannot_be_cleaned_is_an_error(monkeypatch):
    everything = lambda trained, candidates: [type("F", (), {"benchmark_id": str(i)})() for i in range(len(candidates))]  # noqa: E731
    monkeypatch.setattr(common, "contamination_findings", everything)
    with pytest.raises(LocoError, match=r"math: only 0 of 40 benchmark items are clean"):
        synth.generate("math", **SMALL, seed=3)


# --- the committed data ----------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_committed_data_is_what_the_generator_writes(domain):
    folder = REPO / "data" / domain
    manifest = json.loads((folder / "manifest.json").read_text())  # `loco data synth DOMAIN --out data/DOMAIN ...`
    style = manifest.get("style", "text")
    expected = rows(synth.generate(domain, **manifest["sizes"], seed=manifest["seed"], style=style))
    for split, written in expected.items():
        assert read_jsonl(folder / f"{split}.jsonl") == written, f"regenerate data/{domain}"
    assert manifest["sizes"]["benchmark"] == 120 and manifest["seed"] == 0
    assert manifest.get("tool") == ("python" if style == "program" else None)
    dataset = load_dataset(folder)
    assert validate(dataset, min_train=10) == []
    items = read_contamination_items(folder / "benchmark.jsonl")
    assert check_contamination(dataset.train + dataset.valid, items) == []
    bench = read_benchmark(folder / "benchmark.jsonl").items
    assert len(bench) >= 100 and sum("heldout-template" in b.tags for b in bench) >= len(bench) / 2


# --- the CLI ---------------------------------------------------------------------------------------


def loco(*args):
    return subprocess.run(
        [sys.executable, "-m", "loco_mlx", *args], capture_output=True, text=True, env=os.environ.copy()
    )


def test_cli_synth_writes_refuses_and_overwrites(tmp_path):
    out = tmp_path / "code"
    args = ("data", "synth", "code", "--out", str(out), "--train", "30", "--valid", "5", "--benchmark", "12")
    result = loco(*args, "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote 30 train, 5 valid and 12 benchmark items to {out} (8 benchmark items")
    assert sorted(p.name for p in out.iterdir()) == ["benchmark.jsonl", "manifest.json", "train.jsonl", "valid.jsonl"]
    first = (out / "train.jsonl").read_text()

    result = loco(*args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: --out {out} is not empty; pass --force to overwrite its files"
    assert (out / "train.jsonl").read_text() == first

    result = loco(*args, "--force")
    assert result.returncode == 0, result.stderr
    assert (out / "train.jsonl").read_text() != first  # seed 0 now, not 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("poetry", "--out", "{tmp}/x"), "error: unknown domain 'poetry'; known domains: code, json, math"),
        (("math", "--out", "{tmp}/x", "--train", "0"), "error: --train must be at least 1, got 0"),
        (("json", "--out", "{tmp}/file.txt"), "error: --out {tmp}/file.txt is a file, not a directory"),
    ],
)
def test_cli_synth_errors(tmp_path, args, message):
    (tmp_path / "file.txt").write_text("x")
    result = loco("data", "synth", *(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 1
    assert result.stderr.strip() == message.format(tmp=tmp_path)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()
