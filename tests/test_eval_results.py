"""The gate's typed results: results.json written in its one shape and read back, and `loco eval`
run whole on the fake backend (tests/fake_backend.py), so the request, the steps and the printed
report are checked without a model (the real-model run is test_train_cli.py's eval test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.results import EvalResult, read_results, write_json

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["math", "json", "code"])
def test_the_shipped_results_read_back_and_write_byte_for_byte(name, tmp_path):
    file = ROOT / "adapters" / name / "results.json"
    result = read_results(file)
    # the verdict the shipped registry records (code's retraining: ITERATE, promoted by hand with --force)
    recorded = yaml.safe_load((ROOT / "adapters" / "registry.yaml").read_text())
    verdict = next(entry["gate"]["verdict"] for entry in recorded["adapters"] if entry["name"] == name)
    assert (result.adapter, result.verdict, result.results_path) == (name, verdict, str(file))
    assert verdict == "SHIP" or name == "code"
    assert result.comparison.mcnemar.p_value < 0.05 and len(result.out_of_domain) == 2
    assert result.environment["hardware"]["backend"] in ("mlx", "llamacpp")  # json was gated on llama.cpp
    write_json(tmp_path / "results.json", result.to_dict())
    assert (tmp_path / "results.json").read_text() == file.read_text()


def test_results_of_loco_0_1_0_held_one_out_of_domain_benchmark(tmp_path):
    data = json.loads((ROOT / "adapters" / "math" / "results.json").read_text())
    data["out_of_domain"] = data["out_of_domain"][0]
    (tmp_path / "results.json").write_text(json.dumps(data))
    assert [o.benchmark for o in read_results(tmp_path / "results.json").out_of_domain] == ["data/json/benchmark.jsonl"]


def test_a_file_that_is_not_results_is_named_with_what_it_lacks(tmp_path):
    data = json.loads((ROOT / "adapters" / "math" / "results.json").read_text())
    del data["mcnemar"]
    (tmp_path / "results.json").write_text(json.dumps(data))
    with pytest.raises(LocoError, match=r"results.json: not a results.json of `loco eval`: no 'mcnemar'"):
        read_results(tmp_path / "results.json")
    with pytest.raises(LocoError, match="no results at .*missing.json"):
        read_results(tmp_path / "missing.json")


# --- the whole gate on the fake backend -------------------------------------------------------

ITEMS = 4


@pytest.fixture
def gate_run(tmp_path, monkeypatch, loco_home):
    """An adapter directory named "math" (its manifest names training data that copies one item) and
    a benchmark the fake adapter passes and the fake base fails: replies are "math: The answer is 42."
    and "The answer is 42."."""
    from loco_mlx.inference import open as open_module
    from loco_mlx.inference.engine import Engine
    from tests.fake_backend import FakeBackend

    adapter = tmp_path / "math"
    adapter.mkdir()
    (adapter / "adapters.safetensors").write_bytes(b"")
    (adapter / "adapter_config.json").write_text("{}")
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"prompt": "question number 0 asks what the fake adapter says", "completion": "x"}))
    manifest = {"name": "math", "version": "0.3.0", "base": {"id": "fake-base"}, "config": {"data": str(data)}}
    (adapter / "loco_adapter.json").write_text(json.dumps(manifest))
    bench = tmp_path / "bench.jsonl"
    rows = [{"id": f"q{i}", "input": f"question number {i} asks what the fake adapter says", "expected": "math:",
             "scorer": "contains", "difficulty": "easy" if i % 2 else "hard"} for i in range(ITEMS)]  # fmt: skip
    bench.write_text("\n".join(map(json.dumps, rows)))
    opened = []
    monkeypatch.setattr(open_module, "open_engine", lambda settings: opened.append(settings) or Engine(FakeBackend()))
    return adapter, bench, opened


def test_evaluate_writes_results_json_and_reads_base_and_data_from_the_manifest(gate_run):
    from loco_mlx.evaluation.gate import EvalRequest, EvalSettings, evaluate

    adapter, bench, opened = gate_run
    result = evaluate(EvalRequest(str(adapter), str(bench), settings=EvalSettings(max_tokens=64), quiet=True))
    assert opened[0].base == "fake-base"  # the manifest's base, not the default
    assert isinstance(result, EvalResult) and result.adapter_version == "0.3.0"
    assert (result.comparison.base_score, result.comparison.adapter_score, result.improvement_points) == (0, 1, 100)
    assert (result.comparison.mcnemar.b, result.comparison.mcnemar.c) == (0, ITEMS)
    assert result.contamination.train_data.endswith("train.jsonl") and not result.contamination.clean
    assert result.contamination.findings[0]["benchmark_id"] == "q0"
    assert result.verdict == "REJECT"  # contamination found
    assert result.registry == "not registered: verdict kept in results.json only"
    assert read_results(adapter / "results.json").to_dict() == result.to_dict()
    assert result.per_item["adapter"][0]["output"] == "math: The answer is 42."


def test_a_benchmark_item_in_a_mix_file_is_contamination_too(gate_run, tmp_path):
    """A recipe's `mix:` rows are the task's training data as much as `data` is: the gate checks both."""
    from loco_mlx.evaluation.gate import EvalRequest, evaluate

    adapter, bench, _ = gate_run
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"prompt": "an unrelated request about colours", "completion": "x"}))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps({"prompt": "question number 3 asks what the fake adapter says", "completion": "x"}))
    config = {"data": str(clean), "mix": [{"path": str(mixed), "sample": 1}]}
    manifest = {"name": "math", "base": {"id": "fake-base"}, "config": config}
    (adapter / "loco_adapter.json").write_text(json.dumps(manifest))
    result = evaluate(EvalRequest(str(adapter), str(bench), quiet=True))
    assert result.contamination.train_data == f"{clean}, {mixed}" and not result.contamination.clean
    assert result.contamination.findings[0]["benchmark_id"] == "q3" and result.verdict == "REJECT"  # q3 word for word
    config["mix"], config["replay"] = [], [str(mixed)]  # replay: the base's own replies, no answers to leak
    (adapter / "loco_adapter.json").write_text(json.dumps(manifest))
    assert evaluate(EvalRequest(str(adapter), str(bench), quiet=True)).contamination.clean


def test_an_adapter_directory_without_a_manifest_is_evaluated_on_the_default_base(gate_run):
    """It used to be looked up in the registry by its path ('unknown adapter')."""
    from loco_mlx.evaluation.gate import EvalRequest, evaluate

    adapter, bench, opened = gate_run
    (adapter / "loco_adapter.json").unlink()
    result = evaluate(EvalRequest(str(adapter), str(bench), quiet=True))
    assert opened[0].base == "default" and result.adapter_version is None and result.contamination.clean


def test_loco_eval_prints_the_report_and_exits_with_the_verdict(gate_run, tmp_path):
    from typer.testing import CliRunner

    from loco_mlx.cli import app

    adapter, bench, _ = gate_run
    out = tmp_path / "out.json"
    run = CliRunner().invoke(app, ["eval", str(adapter), "--benchmark", str(bench), "--quiet", "--out", str(out)])
    assert run.exit_code == 3, run.output
    lines = run.output.splitlines()
    assert lines[0] == f"math vs fake-base on {ITEMS} items (bench.jsonl):"
    assert lines[1].startswith("  score  base 0.000  adapter 1.000  (+100.0 points, 95% CI +100.0 .. +100.0)")
    assert lines[2] == f"  McNemar: base-only right 0, adapter-only right {ITEMS}, p = 0.125"
    assert "  contamination: FOUND" in lines and "verdict: REJECT" in lines
    assert lines[-1] == f"results: {out} (not registered: verdict kept in results.json only)"
    assert json.loads(out.read_text())["verdict"] == "REJECT"


def test_loco_eval_makes_the_folder_of_out_and_refuses_a_bad_one_before_the_run(gate_run, tmp_path):
    from typer.testing import CliRunner

    from loco_mlx.cli import app
    from loco_mlx.errors import LocoError

    adapter, bench, opened = gate_run
    out = tmp_path / "new" / "deeper" / "results.json"  # it used to fail after the whole run, with a traceback
    run = CliRunner().invoke(app, ["eval", str(adapter), "--benchmark", str(bench), "--quiet", "--out", str(out)])
    assert run.exit_code == 3 and json.loads(out.read_text())["verdict"] == "REJECT"
    runs = len(opened)
    (tmp_path / "a-file").write_text("")
    for bad in (tmp_path / "a-file" / "results.json", tmp_path / "new"):
        run = CliRunner().invoke(app, ["eval", str(adapter), "--benchmark", str(bench), "--quiet", "--out", str(bad)])
        assert isinstance(run.exception, LocoError) and str(run.exception).startswith(f"--out {bad}")
    assert len(opened) == runs  # refused before any model was opened


def test_items_tagged_with_a_request_style_are_scored_per_style(gate_run, tmp_path):
    """The code benchmarks tag how each request is phrased (`style:terse`...): the report and results.json
    give base and adapter per style; a benchmark without such tags keeps results.json's old shape."""
    from typer.testing import CliRunner

    from loco_mlx.cli import app

    adapter, bench, _ = gate_run
    rows = [json.loads(line) for line in bench.read_text().splitlines()]
    for i, row in enumerate(rows):
        row["tags"] = ["code", "style:terse" if i < 3 else "style:back-story"]
    rows[0]["expected"] = "nobody says this"  # the adapter fails one terse item
    bench.write_text("\n".join(map(json.dumps, rows)))
    out = tmp_path / "out.json"
    run = CliRunner().invoke(app, ["eval", str(adapter), "--benchmark", str(bench), "--quiet", "--out", str(out)])
    assert "  style terse          n=3    base 0.000  adapter 0.667" in run.output.splitlines(), run.output
    assert "  style back-story     n=1    base 0.000  adapter 1.000" in run.output.splitlines()
    styles = json.loads(out.read_text())["per_style"]
    assert [(g["group"], g["n"], g["adapter"]) for g in styles] == [("back-story", 1, 1.0), ("terse", 3, 2 / 3)]
    assert read_results(out).comparison.per_style[1].group == "terse"
    for row in rows:
        row["tags"] = ["code"]
    bench.write_text("\n".join(map(json.dumps, rows)))
    CliRunner().invoke(app, ["eval", str(adapter), "--benchmark", str(bench), "--quiet", "--out", str(out)])
    assert "per_style" not in json.loads(out.read_text())


# --- several benchmarks: SHIP needs the gain on each ---------------------------------------------


def _bench(path: Path, expected: str, n: int = 60, scorer: str = "contains") -> Path:
    rows = [{"id": f"{path.stem}-{i}", "input": f"{path.stem} item {i}: what does the fake say?", "expected": expected,
             "scorer": scorer} for i in range(n)]  # fmt: skip
    path.write_text("\n".join(map(json.dumps, rows)))
    return path


def test_an_adapter_that_gains_on_one_benchmark_but_not_the_other_is_not_shipped(gate_run, tmp_path):
    """The fake adapter says "math: ..." and the base does not: it gains 100 points on a benchmark that asks
    for "math:" and nothing on one that asks for what neither says. Alone, the first ships it."""
    from typer.testing import CliRunner

    from loco_mlx.cli import app

    adapter, _, _ = gate_run
    (adapter / "loco_adapter.json").write_text(json.dumps({"name": "math", "base": {"id": "fake-base"}}))
    gains = _bench(tmp_path / "generated.jsonl", "math:")
    flat = _bench(tmp_path / "independent.jsonl", "seven")
    ood = _bench(tmp_path / "other.jsonl", "42")  # both sides answer 42: no drop
    args = ["eval", str(adapter), "--benchmark", str(gains), "--ood", str(ood), "--quiet"]

    alone = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "alone.json")])
    assert alone.exit_code == 0 and "verdict: SHIP" in alone.output, alone.output

    both = CliRunner().invoke(app, [*args, "--benchmark", str(flat), "--out", str(tmp_path / "both.json")])
    assert both.exit_code == 3, both.output  # REJECT: no gain at all on the second
    assert "on 60 items of independent.jsonl: base 0.000  adapter 0.000  (+0.0 points" in both.output
    assert "verdict: REJECT" in both.output
    assert "  - independent.jsonl: improvement 0.0 points is below the 15 needed to ship" in both.output
    assert "  - generated.jsonl: improvement 100.0 points, p = " in both.output

    dropping = _bench(tmp_path / "dropping.jsonl", "The answer is 42.", scorer="exact_match")  # the base's reply only
    three = CliRunner().invoke(app, [*args[:4], "--benchmark", str(flat), "--ood", str(dropping), "--quiet",
                                     "--out", str(tmp_path / "three.json")])  # fmt: skip
    drop = "out-of-domain score dropped 100.0 points, at most 5 allowed"
    assert three.output.count(drop) == 1 and f"  - {drop}" in three.output  # one check for both: said once
    assert "adapter 0.000  (below the base on 60 items: the results file keeps both replies)" in three.output
    [dropped] = read_results(tmp_path / "three.json").out_of_domain
    assert len(dropped.lost) == 60  # the items to read: what the adapter said instead
    first = dropped.lost[0]
    assert (first.id, first.base, first.expected) == ("dropping-0", "The answer is 42.", "The answer is 42.")
    assert first.adapter.startswith("math:") and first.detail
    assert "lost" not in json.loads((tmp_path / "alone.json").read_text())["out_of_domain"][0]  # nothing lost

    result = read_results(tmp_path / "both.json")
    assert (result.verdict, result.improvement_points, result.benchmark) == ("REJECT", 100, str(gains))
    [more] = result.more_benchmarks
    assert (more.benchmark, more.items, more.verdict, more.comparison.adapter_score) == (str(flat), 60, "REJECT", 0)
    assert len(more.per_item["adapter"]) == 60 and more.failures.wrong == 60
    assert json.loads((tmp_path / "both.json").read_text())["more_benchmarks"][0]["verdict"] == "REJECT"
    assert "more_benchmarks" not in json.loads((tmp_path / "alone.json").read_text())  # the one-benchmark shape


def test_compare_takes_one_benchmark(gate_run, tmp_path):
    from typer.testing import CliRunner

    from loco_mlx.cli import app

    adapter, bench, _ = gate_run
    run = CliRunner().invoke(app, ["eval", str(adapter), "--compare", "x", "--benchmark", str(bench),
                                   "--benchmark", str(bench)])  # fmt: skip
    assert "--compare takes one --benchmark, got 2" in str(run.exception)  # main() prints it as one line
