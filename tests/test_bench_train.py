"""scripts/bench_train.py on a tiny base: its data, its fp32 copy for mlx-lm, and a short end-to-end run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.fixtures.scripts import SCRIPTS, load_script
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_train")


@pytest.fixture(scope="module")
def tiny_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench_train")
    env = {**os.environ, "LOCO_HOME": str(tmp / "home")}
    gguf = write_tiny_gguf(tmp / "tiny.gguf", "llama", "Q4_0")
    subprocess.run(
        [sys.executable, "-m", "loco_mlx", "base", "import", str(gguf), "--id", "tinyq"], env=env, check=True
    )
    return env


def test_mixed_data_is_deterministic_and_mixes_short_and_long(bench, tmp_path):
    bench.write_mixed_data(tmp_path / "a", 64, 4, seed=7)
    bench.write_mixed_data(tmp_path / "b", 64, 4, seed=7)
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (tmp_path / "b" / "train.jsonl").read_bytes()
    chars = [len(json.loads(line)["text"]) for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]
    assert min(chars) < 60 and max(chars) > 1000


def test_fp32_copy_for_mlx_lm_computes_what_loco_computes(bench, tiny_env, tmp_path, monkeypatch):
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.utils import load

    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.resolve import resolve_base

    monkeypatch.setenv("LOCO_HOME", tiny_env["LOCO_HOME"])
    record = resolve_base("tinyq")
    bench.write_fp32_copy(record.model_dir, tmp_path / "fp32")
    copy, _ = load(str(tmp_path / "fp32"))
    assert not any(isinstance(m, nn.QuantizedLinear) for _, m in copy.named_modules())
    ours = load_base(record, "fp32").model
    tokens = mx.array([[1, 5, 9, 17, 33, 2]])
    np.testing.assert_array_equal(np.array(copy(tokens)), np.array(ours(tokens)))


def test_a_short_run_reports_both_tools(tiny_env, tmp_path):
    out = tmp_path / "bench.json"
    args = ["--base", "tinyq", "--steps", "3", "--warmup", "1", "--max-seq-length", "4096", "--data", "uniform"]
    result = subprocess.run([sys.executable, str(SCRIPTS / "bench_train.py"), *args, "--json", str(out)], env=tiny_env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| tool | data | batching | tokens/s | peak memory | ratio |" in result.stdout
    rows = json.loads(out.read_text())["results"]
    assert [r["tool"] for r in rows] == ["loco", "mlx-lm"]
    assert all(r["tokens_per_second"] > 0 and r["runs"][0]["timed_steps"] == 2 for r in rows)


def test_the_mlx_lm_sort_probe_sees_both_behaviours(bench, monkeypatch):
    from mlx_lm.tuner.datasets import CacheDataset

    monkeypatch.setattr(CacheDataset, "itemlen", lambda self, idx: len(self._data[idx]))  # mlx-lm 0.32.2
    assert not bench.mlx_lm_sorts_by_length()
    monkeypatch.setattr(CacheDataset, "itemlen", lambda self, idx: len(self[idx][0]))  # the fix of issue #596
    assert bench.mlx_lm_sorts_by_length()
