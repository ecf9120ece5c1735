"""router/fit.py: what `loco router fit` reads and checks before the base loads, and what it writes.

No model here: the registry is a stand-in with the members fitting reads, and the encoder
embeds by counting characters, which separates word problems (digits) from general queries.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.router.embed import Embedding, EncoderConfig
from loco_mlx.router.examples import GENERAL_QUERIES
from loco_mlx.router.fit import FitOptions, fit_plan, plan_fit, remembered_files
from loco_mlx.router.hybrid import ROUTER_FILE, load_router
from tests.helpers import GENERAL, MATH


class CountingEncoder:
    num_layers = 12

    def __init__(self, config: EncoderConfig):
        self.config = config

    def embed(self, text: str) -> Embedding:
        noise = np.random.default_rng(zlib.crc32(text.encode())).normal(0, 0.1, 4)
        counts = [sum(c.isdigit() for c in text), len(text.split()), text.count("?"), sum(c.isupper() for c in text)]
        return Embedding(np.array(counts, np.float32) + noise.astype(np.float32), len(text.split()), False, 0.0)


def write_queries(path: Path, queries: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"query": q}) + "\n" for q in queries))
    return path


@pytest.fixture
def setup(tmp_path):
    """(registry, record): one active adapter 'math' with its own router_examples.jsonl, a base of 12 layers."""
    adapter = tmp_path / "adapters" / "math"
    write_queries(adapter / "router_examples.jsonl", MATH)
    entry = SimpleNamespace(name="math", version="0.1.0", active=True, base_fingerprint="f" * 64,
                            keywords={"gives away": 1.0}, path=str(adapter))  # fmt: skip
    registry = SimpleNamespace(root=tmp_path / "registry", entries=lambda: [entry])
    registry.root.mkdir()  # a registry with active adapters has its folder
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text(json.dumps({"num_hidden_layers": 12}))
    record = SimpleNamespace(id="tiny", fingerprint="f" * 64, model_dir=str(tmp_path / "model"))
    return registry, record


def general_file(tmp_path):
    return write_queries(tmp_path / "general.jsonl", GENERAL)


def test_bad_encoder_flags_fail_before_anything_is_read(setup):
    registry, record = setup
    registry.entries = lambda: []  # the flags are checked even before "no active adapters"
    with pytest.raises(LocoError, match=r"--pooling 'max' is not a pooling; choose one of: mean, last"):
        plan_fit(registry, record, FitOptions(pooling="max"))
    with pytest.raises(LocoError, match=r"--layer 13: the base has 12 layers; choose 0 \(token embeddings\) to 12"):
        plan_fit(registry, record, FitOptions(layer=13))
    with pytest.raises(LocoError, match=r"--layer -1: the base has 12 layers"):
        plan_fit(registry, record, FitOptions(layer=-1))
    with pytest.raises(LocoError, match="--max-tokens 1 "):
        plan_fit(registry, record, FitOptions(max_tokens=1))


def test_adapters_and_examples_are_checked(setup):
    registry, record = setup
    with pytest.raises(LocoError, match="--examples names code, not active adapters of tiny"):
        plan_fit(registry, record, FitOptions(examples={"code": ["x.jsonl"]}))
    registry.entries = lambda: []
    with pytest.raises(LocoError, match="no active adapters for base tiny"):
        plan_fit(registry, record, FitOptions())


def test_default_layer_comes_from_the_base_config_before_loading(setup, tmp_path):
    registry, record = setup
    plan = plan_fit(registry, record, FitOptions(general=[general_file(tmp_path)], shipped_general=False))
    assert plan.config == EncoderConfig(2, "mean", 256)  # a fifth of 12 blocks
    assert plan.queries["math"] == MATH and sorted(plan.queries["base"]) == sorted(GENERAL)


def test_a_config_without_a_layer_count_waits_for_the_loaded_base(setup, tmp_path):
    registry, record = setup
    (Path(record.model_dir) / "config.json").write_text("{}")
    plan = plan_fit(registry, record, FitOptions(general=[general_file(tmp_path)], shipped_general=False))
    assert plan.config is None
    asked = []
    fit_plan(plan, lambda config: asked.append(config) or CountingEncoder(config))
    assert [c.layer for c in asked] == [0, 2] and plan.config.layer == 2  # probed, then a fifth of 12


def test_fit_writes_portable_sources_and_a_refit_reuses_them(setup, tmp_path):
    registry, record = setup
    given = write_queries(registry.root / "mine" / "math.jsonl", MATH[::-1])  # inside the registry's folder
    outside = general_file(tmp_path)
    said = []
    plan = plan_fit(registry, record, FitOptions(examples={"math": [str(given)]}, general=[outside], layer=3))
    result = fit_plan(plan, CountingEncoder, say=said.append)
    assert said == [f"fitting the router for 1 adapters on tiny (layer 3, {plan.total} queries)"]
    assert result.path == registry.root / ROUTER_FILE and result.counts["math"] == len(MATH)
    assert result.read_from["math"] == [str(given)]
    stored = load_router(result.path)
    assert stored.sources["math"] == {"files": ["mine/math.jsonl"], "count": len(MATH)}
    assert stored.sources["base"]["files"] == ["loco_mlx/resources/" + GENERAL_QUERIES.name, "../general.jsonl"]
    assert stored.encoder.layer == 3 and stored.base == {"id": "tiny", "fingerprint": "f" * 64}
    assert stored.registry == {"math": {"version": "0.1.0", "keywords": {"gives away": 1.0}}}

    again = plan_fit(registry, record, FitOptions(shipped_general=False))
    assert again.read_from["math"] == [str(registry.root / "mine" / "math.jsonl")]  # not router_examples.jsonl
    assert again.queries["math"] == MATH[::-1]
    assert again.read_from["base"] == [str(outside)]  # --general remembered too


def test_remembered_files_tolerate_old_and_empty_records(tmp_path):
    (tmp_path / "q.jsonl").write_text("")
    (tmp_path / "r.jsonl").write_text("")
    assert remembered_files(tmp_path, {"files": ["q.jsonl"]}) == [str(tmp_path / "q.jsonl")]
    assert remembered_files(tmp_path, {"files": [str(tmp_path / "q.jsonl")]}) == [str(tmp_path / "q.jsonl")]
    assert remembered_files(tmp_path, {"files": ["q.jsonl", "gone.jsonl", "r.jsonl"]}) == [
        str(tmp_path / "q.jsonl"), str(tmp_path / "r.jsonl")]  # fmt: skip
    assert remembered_files(tmp_path, {"files": []}) == []
    assert remembered_files(tmp_path, {"files": ["gone.jsonl"]}) == []
    assert remembered_files(tmp_path, None) == []


def test_several_example_files_share_an_adapters_budget_and_are_remembered_beside_the_registry(setup, tmp_path):
    registry, record = setup
    templated = write_queries(registry.root / "mine" / "math.jsonl", [f"What is {i} plus {i + 1}?" for i in range(300)])
    beside = registry.root.parent / "data" / "written.jsonl"  # a checkout's data/, beside the registry's folder
    written = ["Split a 45 dollar bill three ways", "What's left of 2 litres after 3 glasses of 250 ml?"]
    write_queries(beside, written)
    plan = plan_fit(registry, record, FitOptions(examples={"math": [str(templated), str(beside)]}, per_label=20,
                                                 general=[general_file(tmp_path)], shipped_general=False))  # fmt: skip
    math = plan.queries["math"]
    assert len(math) == 20 and set(written) <= set(math)  # the small file gives all it has, the other the rest
    assert plan.read_from["math"] == [str(templated), str(beside)]
    stored = load_router(fit_plan(plan, CountingEncoder).path)
    assert stored.sources["math"]["files"] == ["mine/math.jsonl", "../data/written.jsonl"]
    again = plan_fit(
        registry, record, FitOptions(per_label=20, general=[general_file(tmp_path)], shipped_general=False)
    )
    assert again.queries["math"] == math  # a plain refit reads both files again


def test_a_router_file_with_bad_encoder_settings_says_refit(setup, tmp_path):
    registry, record = setup
    plan = plan_fit(registry, record, FitOptions(general=[general_file(tmp_path)], shipped_general=False))
    path = fit_plan(plan, CountingEncoder).path
    data = json.loads(path.read_text())
    data["encoder"]["pooling"] = "max"
    path.write_text(json.dumps(data))
    with pytest.raises(LocoError, match=r"router file .* is unreadable \(--pooling 'max'.*loco router fit"):
        load_router(path)
