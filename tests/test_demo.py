"""`loco demo`: the README's main job, run as a new user runs it, on the committed adapters and router."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loco_mlx.demo import find_checkout, gate_table, template_split
from loco_mlx.errors import LocoError

ROOT = Path(__file__).resolve().parents[1]


def results(tmp_path: Path, ood) -> Path:
    adapter = tmp_path / "math"
    adapter.mkdir()
    items = lambda scores: [{"tags": ["math", tag], "score": s} for tag, s in scores]  # noqa: E731
    data = {
        "benchmark": "data/math/benchmark.jsonl", "items": 4, "base_score": 0.25, "adapter_score": 0.75,
        "improvement_points": 50.0, "mcnemar": {"p_value": 0.04}, "verdict": "SHIP", "out_of_domain": ood,
        "per_item": {"base": items([("seen-template", 1), ("heldout-template", 0), ("heldout-template", 0),
                                    ("seen-template", 0)]),
                     "adapter": items([("seen-template", 1), ("heldout-template", 1), ("heldout-template", 0),
                                       ("seen-template", 1)])},
    }  # fmt: skip
    (adapter / "results.json").write_text(json.dumps(data))
    return adapter


def test_template_split_and_gate_table_read_results_json(tmp_path):
    from rich.console import Console

    ood = [{"benchmark": "data/json/benchmark.jsonl", "base_score": 0.5, "adapter_score": 0.48}]
    adapter = results(tmp_path, ood)
    split = template_split(json.loads((adapter / "results.json").read_text()))
    assert split == {"seen-template": {"n": 2, "base": 0.5, "adapter": 1.0},
                     "heldout-template": {"n": 2, "base": 0.0, "adapter": 0.5}}  # fmt: skip
    console = Console(width=160, record=True)
    console.print(gate_table({"math": adapter, "code": tmp_path / "missing"}))
    text = console.export_text()
    assert "0.25 -> 0.75" in text and "+50.0" in text and "0.00 -> 0.50" in text and "json 0.50 -> 0.48" in text
    assert "SHIP" in text and "not evaluated" in text


def test_a_results_json_of_the_first_release_still_reads(tmp_path):
    from rich.console import Console

    adapter = results(tmp_path, {"benchmark": "data/json/benchmark.jsonl", "base_score": 0.5, "adapter_score": 0.1})
    console = Console(width=160, record=True)
    console.print(gate_table({"math": adapter}))
    assert "json 0.50 -> 0.10" in console.export_text()


def test_outside_a_checkout_it_says_where_to_run_it(tmp_path):
    with pytest.raises(LocoError, match="needs the loco_mlx repository checkout .*run it from the checkout"):
        find_checkout(tmp_path)
    assert find_checkout(ROOT) == ROOT


@pytest.mark.integration
@pytest.mark.llamacpp
def test_the_demo_runs_end_to_end_with_a_retrained_adapter(default_env, tmp_path):
    """Retrain json (2 steps: the path, not the quality), route, answer, gate table, GGUF in llama.cpp."""
    env = {k: v for k, v in default_env.items() if k != "LOCO_REGISTRY"}
    out = tmp_path / "demo"
    registry = (ROOT / "adapters" / "registry.yaml").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "loco_mlx", "demo", "--train", "json", "--train-steps", "2", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    for heading in ("[1/8] base model", "[2/8] train the json adapter", "[4/8] routing", "[5/8] answers",
                    "[6/8] tool use: math-program", "[7/8] the gate", "[8/8] export json"):  # fmt: skip
        assert heading in text, text[-3000:]
    # the gate table shows each committed verdict (code's retraining: ITERATE, promoted by hand with --force)
    verdicts = [json.loads((ROOT / "adapters" / n / "results.json").read_text())["verdict"] for n in ("math", "code")]
    assert "routed as expected" in text and text.count("SHIP") == verdicts.count("SHIP")
    assert all(verdict in text for verdict in verdicts)
    assert "not evaluated" in text  # the json just retrained has no gate yet, and the table says so
    assert " right" in text or " wrong" in text  # answers are scored by the benchmark's scorer
    assert "example the request states: " in text  # most_frequent('jumpslazy') == 'j': the reply's function checked
    assert "parity with MLX" in text and "llama.cpp, json-f16.gguf" in text and "done in" in text
    # llama.cpp's greedy answer follows MLX's (its logits were once read from an unfilled buffer)
    agreement = re.search(r"llama\.cpp, json-f16\.gguf \(\d+ tok/s; (.*?)\):", text)
    assert agreement, text[-2000:]
    parted = re.search(r"parts from this one after (\d+) tokens", agreement.group(1))
    assert agreement.group(1) == "the same reply as MLX's" or int(parted.group(1)) >= 8, agreement.group(1)
    assert (out / "json" / "adapters.safetensors").is_file() and (out / "export" / "json-f16.gguf").is_file()
    assert (ROOT / "adapters" / "registry.yaml").read_bytes() == registry  # the committed registry is only read
