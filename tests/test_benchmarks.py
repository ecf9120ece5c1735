"""read_benchmark: every problem of a benchmark file is named with its file and line."""

from __future__ import annotations

import json

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.benchmarks import read_benchmark

GOOD = {"id": "a", "input": "What is 3 + 4?", "expected": 7, "scorer": "numeric"}


@pytest.mark.parametrize(
    "line,problem",
    [
        (b"\xff\xfe", "not valid UTF-8"),
        (b"{bad", "bad JSON (Expecting property name enclosed in double quotes)"),
        (b"[1]", "expected a JSON object"),
        (json.dumps({"id": "x"}).encode(), "missing input, expected, scorer"),
        (json.dumps({**GOOD, "id": "b", "zzz": 1}).encode(), "unknown key(s) zzz (keys: id, input, expected"),
        (json.dumps({**GOOD, "id": "c", "scorer": "nope"}).encode(), "unknown scorer 'nope' (known: choice,"),
        (json.dumps({**GOOD, "id": "d", "input": ""}).encode(), "'input' must be non-empty text or a messages list"),
        (json.dumps({**GOOD, "id": "e", "difficulty": "x"}).encode(), "difficulty 'x' is not one of easy, medium"),
        (json.dumps(GOOD).encode(), "duplicate id 'a' (first on line 1)"),
        (json.dumps({**GOOD, "id": "f", "options": {"bogus": 1}}).encode(), "scorer 'numeric' has no option 'bogus'"),
    ],
)
def test_a_bad_line_is_named_with_its_file_and_line(tmp_path, line, problem):
    path = tmp_path / "bench.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\n" + line + b"\n")
    with pytest.raises(LocoError) as caught:
        read_benchmark(path)
    assert str(caught.value).startswith(f"1 problem(s) in benchmark {path}: {path}:3: {problem}")


def test_every_problem_is_counted_and_the_first_three_shown(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join(["[1]"] * 5 + [json.dumps(GOOD)]))
    with pytest.raises(LocoError, match=r"5 problem\(s\) .*:3: expected a JSON object; and 2 more$"):
        read_benchmark(path)


def test_good_items_keep_their_lines_and_defaults(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + json.dumps({**GOOD, "id": 2, "tags": ["t"], "difficulty": "hard"}))
    items = read_benchmark(path).items
    assert [(i.id, i.line, i.difficulty, i.tags, i.options) for i in items] == [
        ("a", 1, "medium", [], {}),
        ("2", 3, "hard", ["t"], {}),
    ]


def test_the_math_dev_set_recomputes_and_shares_nothing_with_the_math_training_data():
    """data/math-dev chooses settings and compares rounds: its answers must be right, and no training
    row may be a near copy of one of its problems (the 8-gram check `loco eval` runs)."""
    import subprocess
    import sys
    from pathlib import Path

    from loco_mlx.data.contamination import check_contamination
    from loco_mlx.data.datasets import load_dataset

    root = Path(__file__).resolve().parents[1]
    checked = subprocess.run([sys.executable, str(root / "data/math-dev/check.py")], capture_output=True, text=True)
    assert checked.returncode == 0 and "all 120 answers verified" in checked.stdout, checked.stdout + checked.stderr
    dev = read_benchmark(root / "data/math-dev/dev.jsonl")
    assert len(dev.items) == 120
    examples = []
    for path in ("data/math", "data/math-written/train.jsonl"):
        dataset = load_dataset(root / path)
        examples += dataset.train + dataset.valid
    assert check_contamination(examples, dev.items) == []
