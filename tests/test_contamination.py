"""Benchmark contamination: exact copies, near copies with numbers or names swapped, and no false
alarms on unrelated text; the benchmark reader; `loco data check-contamination` as a user runs it."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
import time

import pytest

from loco_mlx.data.contamination import (
    NAME,
    NUM,
    Probe,
    check_contamination,
    masked_words,
    normalise,
    read_probes,
)
from loco_mlx.data.datasets import Example
from loco_mlx.errors import LocoError

GSM = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)
GSM_NUMBERS = GSM.replace("48", "72")
GSM_NAMES = GSM.replace("Natalia", "Roberto").replace("April", "June").replace("May", "July")
GSM_BOTH = GSM_NAMES.replace("48", "15")
WRAPPED = "Solve the following problem step by step.\n\n" + GSM_NUMBERS
UNRELATED = (
    "Write a short poem about the sea at night, with the moon on the water and a boat returning "
    "slowly to the harbour while the town sleeps."
)
BENCH = [
    Probe("gsm-1", GSM),
    Probe("capital", "What is the capital of France?"),
    Probe("code", "Write a Python function that returns the sum of the squares of a list of integers."),
]


def ex(user: str, line: int = 1, answer: str = "72") -> Example:
    return Example(
        [{"role": "user", "content": user}, {"role": "assistant", "content": answer}], None, "t.jsonl", line, "messages"
    )


CASES = [
    # (name, training user text, expected (benchmark id, kind) or None)
    ("exact, case and punctuation differ", "what is the capital of france", ("capital", "exact")),
    ("exact copy", GSM, ("gsm-1", "exact")),
    ("numbers swapped", GSM_NUMBERS, ("gsm-1", "near")),
    ("names swapped", GSM_NAMES, ("gsm-1", "near")),
    ("names and numbers swapped", GSM_BOTH, ("gsm-1", "near")),
    ("wrapped in an instruction", WRAPPED, ("gsm-1", "near")),
    ("unrelated", UNRELATED, None),
    ("same topic, other words", "Name the capital city of France and tell me its population.", None),
    (
        "same template, different question",
        "Natalia bought 48 pencils in April. How much did she spend on pencils if each cost 3 dollars?",
        None,
    ),
]


@pytest.mark.parametrize("name,user,expected", CASES, ids=[c[0] for c in CASES])
def test_contamination_cases(name, user, expected):
    findings = check_contamination([ex(user, line=7)], BENCH)
    if expected is None:
        assert findings == []
        return
    (finding,) = findings
    assert (finding.benchmark_id, finding.kind) == expected
    assert (finding.train_file, finding.train_line) == ("t.jsonl", 7)
    assert (finding.score == 1.0) if finding.kind == "exact" else (0.5 <= finding.score <= 1.0)


def test_masked_words_golden():
    assert masked_words("Natalia sold 48 clips in April. How many did Natalia sell? I said 3.5, Bob's 1,000!") == [
        NAME, "sold", NUM, "clips", "in", NAME, "how", "many", "did", NAME, "sell",
        "i", "said", NUM, NAME, NUM,
    ]  # fmt: skip
    assert masked_words("NASA and The 3rd rock") == ["nasa", "and", NAME, f"{NUM}rd", "rock"]
    assert normalise("  What's   the CAPITAL, of France?! ") == "whats the capital of france"


def test_score_is_the_share_of_the_items_ngrams():
    item = Probe("b", " ".join(f"w{c}" for c in "abcdefghijklmnop"))  # 16 words: 9 8-grams
    half = " ".join(f"w{c}" for c in "abcdefghijkl") + " other words entirely here"  # first 12 words: 5 8-grams
    (finding,) = check_contamination([ex(half)], [item], threshold=0.5)
    assert finding.kind == "near" and finding.score == round(5 / 9, 4)
    assert check_contamination([ex(half)], [item], threshold=0.6) == []


def test_only_the_user_side_is_compared():
    system = {"role": "system", "content": GSM}
    in_answer = ex("Tell me a story.", answer=GSM)
    in_system = Example([system, *ex("Tell me a story.").messages], None, "t.jsonl", 2, "messages")
    assert check_contamination([in_answer, in_system], BENCH) == []
    later_turn = Example([*ex("hi").messages, {"role": "user", "content": GSM}, {"role": "assistant", "content": "x"}],
                         None, "t.jsonl", 3, "messages")  # fmt: skip
    text = Example(None, "Question: " + GSM_NAMES + "\nAnswer: 72", "t.jsonl", 4, "text")
    found = check_contamination([later_turn, text], BENCH)
    assert [(f.train_line, f.kind) for f in found] == [(3, "exact"), (4, "near")]


def test_short_items_only_match_exactly():
    short = [Probe("s", "What is 2 + 2?")]
    assert check_contamination([ex("So what is 7 + 5? Think about it.")], short, n=8) == []
    assert [f.kind for f in check_contamination([ex("what is 2+2")], short)] == []  # "22" vs "2 2": not equal
    assert [f.kind for f in check_contamination([ex("What is 2 + 2")], short)] == ["exact"]


def test_bad_parameters():
    with pytest.raises(LocoError, match="--threshold must be in"):
        check_contamination([], BENCH, threshold=0)
    with pytest.raises(LocoError, match="--n must be at least 1, got 0"):
        check_contamination([], BENCH, n=0)


def test_read_benchmark_is_lenient_about_keys(tmp_path):
    path = tmp_path / "bench.jsonl"
    rows = [
        {"id": "a", "input": "plain text"},
        {"id": 7, "input": [{"role": "system", "content": "s"}, {"role": "user", "content": "from messages"}]},
        {"question": "a question, no id"},
        {"task_id": "p", "prompt": "a prompt", "expected": "ignored"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows[:2]) + "\n\n" + "\n".join(json.dumps(r) for r in rows[2:]))
    items = read_probes(path)
    assert [(i.id, i.text, i.line) for i in items] == [
        ("a", "plain text", 1),
        ("7", "from messages", 2),
        ("line 4", "a question, no id", 4),
        ("p", "a prompt", 5),
    ]


@pytest.mark.parametrize(
    "content,fragment",
    [
        ('{"id": "a", "input": "x"}\n{"id": "b", "answer": 3}\n', "bench.jsonl:2: no input: expected one of input"),
        ('{"id": "a", "input": "x"}\n{oops\n', "bench.jsonl:2: bad JSON"),
        ("\n\n", "bench.jsonl: no benchmark items"),
    ],
)
def test_read_benchmark_errors(content, fragment, tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(content)
    with pytest.raises(LocoError, match=fragment):
        read_probes(path)


def test_scales_to_10k_by_1k():
    """10k training examples x 1k benchmark items: the n-gram index keeps this to seconds, not all pairs."""
    rng = random.Random(0)
    vocab = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 8))) for _ in range(3000)]
    bench = [Probe(str(i), " ".join(rng.choices(vocab, k=40))) for i in range(1000)]
    train = [ex(" ".join(rng.choices(vocab, k=80)), line=i + 1) for i in range(10_000)]
    train[4321] = ex("Please answer: " + bench[17].text, line=4322)
    start = time.perf_counter()
    findings = check_contamination(train, bench)
    assert [(f.train_line, f.benchmark_id, f.kind) for f in findings] == [(4322, "17", "near")]
    assert time.perf_counter() - start < 30


# --- the CLI -------------------------------------------------------------------------------------


def loco(*args):
    return subprocess.run(
        [sys.executable, "-m", "loco_mlx", *args], capture_output=True, text=True, env=os.environ.copy()
    )


def test_cli_check_contamination(tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text("\n".join(json.dumps({"id": i.id, "input": i.text}) for i in BENCH) + "\n")
    rows = [{"prompt": f"Tell me fact number {i} about owls.", "completion": "ok"} for i in range(5)]
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = loco("data", "check-contamination", str(clean), str(bench))
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "clean: 5 training examples, 3 benchmark items, no exact or near copies (n=8, threshold=0.5)"
    )

    dirty = tmp_path / "data"
    dirty.mkdir()
    (dirty / "train.jsonl").write_text(
        "\n".join(json.dumps(r) for r in [*rows, {"prompt": GSM_NUMBERS, "completion": "72"}]) + "\n"
    )
    (dirty / "valid.jsonl").write_text(
        json.dumps({"prompt": "What is the capital of France", "completion": "P"}) + "\n"
    )
    result = loco("data", "check-contamination", str(dirty), str(bench))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{dirty}/train.jsonl:6: near copy (") and lines[0].endswith("of benchmark item 'gsm-1'")
    assert lines[1] == f"{dirty}/valid.jsonl:1: exact copy of benchmark item 'capital'"
    assert result.stderr.strip().startswith("error: contaminated: 2 of 3 benchmark items are in 2 training examples")
    assert "Traceback" not in result.stderr


def test_loco_eval_and_check_contamination_find_the_same_copies(tmp_path):
    """`loco eval` hands the schema's BenchmarkItems over; the command reads the same file as probes."""
    from loco_mlx.evaluation.benchmarks import read_benchmark

    path = tmp_path / "bench.jsonl"
    rows = [{"id": b.id, "input": b.text if b.id != "capital" else [{"role": "user", "content": b.text}],
             "expected": "x", "scorer": "contains"} for b in BENCH]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    train = [ex(GSM.replace("48", "52"), line=1), ex("what is the capital of france", line=2), ex(UNRELATED, line=3)]
    from_items = check_contamination(train, read_benchmark(path).items)
    assert from_items == check_contamination(train, read_probes(path))
    found = [(f.benchmark_id, f.kind, f.train_line) for f in from_items]
    assert found == [("gsm-1", "near", 1), ("capital", "exact", 2)]
