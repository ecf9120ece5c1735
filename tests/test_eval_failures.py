"""The gate's failure analysis, typed: what the adapter got wrong, grouped, and what it lost to the base,
as results.json holds it and as `loco eval` prints it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loco_mlx.evaluation.gate import ItemResult, failure_analysis
from loco_mlx.evaluation.results import Failures, ShownItem, read_results

ROOT = Path(__file__).resolve().parents[1]


def item(id: str, passed: bool, difficulty: str = "easy", tags=(), output: str = "out") -> ItemResult:
    return ItemResult(id=id, difficulty=difficulty, tags=list(tags), input=f"q {id}", expected="e", output=output,
                      extracted=None, score=float(passed), passed=passed, detail=f"detail {id}")  # fmt: skip


def test_wrong_items_are_grouped_by_difficulty_and_tag_and_losses_to_the_base_listed():
    base = [item("a", True), item("b", False), item("c", True), item("d", False)]
    adapter = [item("a", False, "hard", ["x"], "y" * 900), item("b", False, "easy", ["x", "z"]),
               item("c", True), item("d", True)]  # fmt: skip
    failures = failure_analysis(base, adapter, examples=1)
    assert failures.wrong == 2
    assert {k: g.count for k, g in failures.groups.items()} == {"difficulty:easy": 1, "difficulty:hard": 1,
                                                                "tag:x": 2, "tag:z": 1}  # fmt: skip
    assert list(failures.groups) == sorted(failures.groups)  # written in a stable order
    assert [s.id for s in failures.groups["tag:x"].examples] == ["a"]  # at most `examples` per group
    assert [s.id for s in failures.lost_to_base] == ["a"]  # b was wrong on both sides: not lost
    assert failures.lost_to_base[0] == ShownItem("a", "q a", "e", "y" * 500, "detail a")  # output cut to 500


def test_failures_are_written_in_the_shape_results_json_always_had():
    failures = failure_analysis([item("a", True)], [item("a", False, "hard", ["t"])])
    shown = {"id": "a", "input": "q a", "expected": "e", "output": "out", "detail": "detail a"}
    assert failures.to_dict() == {
        "wrong": 1,
        "groups": {"difficulty:hard": {"count": 1, "examples": [shown]}, "tag:t": {"count": 1, "examples": [shown]}},
        "lost_to_base": [shown],
    }
    assert Failures.from_dict(json.loads(json.dumps(failures.to_dict()))) == failures


@pytest.mark.parametrize("name", ["math", "json", "code"])
def test_loco_eval_prints_the_shipped_failures_from_the_typed_result(name, capsys):
    from loco_mlx.cli.eval import _print_result

    file = ROOT / "adapters" / name / "results.json"
    raw = json.loads(file.read_text())["failures"]
    result = read_results(file)
    assert isinstance(result.failures, Failures) and result.failures.wrong == raw["wrong"]
    _print_result(result)
    groups = ", ".join(f"{k} {v['count']}" for k, v in raw["groups"].items()) or "none"
    line = f"  adapter wrong on {raw['wrong']} items ({groups}); lost to the base on {len(raw['lost_to_base'])}"
    lines = capsys.readouterr().out.splitlines()
    assert line in lines and lines[-1] == f"results: {file} ()"
