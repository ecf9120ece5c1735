"""`loco eval` reuses the base's answers: same base, compute mode, benchmark bytes, settings and versions.

The base side is the slow half of every gate run, and a three-benchmark gate (own + two out-of-domain)
would otherwise regenerate the base's answers for every adapter. Generation itself is replaced by a
counter here (the real generation is covered by the eval tests in test_train_cli.py); what is tested is
when the cache is used, when it must not be, and that a damaged entry is recomputed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from loco_mlx.evaluation import gate as evaluate
from loco_mlx.evaluation.benchmarks import Benchmark, BenchmarkItem
from loco_mlx.evaluation.gate import EvalSettings, ItemResult, base_side


@pytest.fixture
def generated(monkeypatch, loco_home):
    calls = []

    def fake_run_side(engine, adapter, benchmark, settings, label, quiet=False):
        calls.append((adapter, benchmark.sha256))
        results = [ItemResult(i.id, i.difficulty, i.tags, i.input, i.expected, "7", "7", 1.0, True, "") for i in
                   benchmark.items]  # fmt: skip
        return results, 1.5

    monkeypatch.setattr(evaluate, "run_side", fake_run_side)
    return calls


def engine(fingerprint="f" * 64, mode="fp32"):
    record = SimpleNamespace(fingerprint=fingerprint)
    return SimpleNamespace(base=SimpleNamespace(record=record, compute_mode=mode), backend_name="mlx")


def bench(sha: str) -> Benchmark:
    return Benchmark(Path("b.jsonl"), sha, [BenchmarkItem("a", "What is 3 + 4?", 7, "numeric")])


def test_the_second_run_reads_the_base_answers_from_the_cache(generated):
    first, seconds = base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    again, _ = base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert len(generated) == 1 and again == first and seconds == 1.5


@pytest.mark.parametrize(
    "change",
    [
        lambda: (engine(fingerprint="e" * 64), bench("1" * 64), EvalSettings()),  # another base
        lambda: (engine(mode="packed"), bench("1" * 64), EvalSettings()),  # computed another way
        lambda: (engine(), bench("2" * 64), EvalSettings()),  # the benchmark file changed
        lambda: (engine(), bench("1" * 64), EvalSettings(max_tokens=64)),  # other settings
    ],
)
def test_anything_the_answers_depend_on_misses_the_cache(generated, change):
    base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    base_side(*change(), "base", quiet=True)
    assert len(generated) == 2


def test_a_change_to_the_answering_code_misses_the_cache(generated, monkeypatch, tmp_path):
    """Not only the scorers: a JSON guide, a backend or the engine change the answers without a new version."""
    from loco_mlx.evaluation import base_cache

    package = tmp_path / "loco_mlx"
    for name in ("inference/json_guide.py", "evaluation/scorers/numeric.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("# one version\n")
    monkeypatch.setattr(base_cache, "PACKAGE", package)
    base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    (package / "inference/json_guide.py").write_text("# the guide, changed\n")
    base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert len(generated) == 2


def test_llamacpps_thread_count_is_part_of_the_key(generated, monkeypatch):
    on_llamacpp = SimpleNamespace(**{**vars(engine()), "backend_name": "llamacpp"})
    monkeypatch.setenv("LOCO_LLAMACPP_THREADS", "2")
    base_side(on_llamacpp, bench("1" * 64), EvalSettings(), "base", quiet=True)
    base_side(on_llamacpp, bench("1" * 64), EvalSettings(), "base", quiet=True)
    monkeypatch.setenv("LOCO_LLAMACPP_THREADS", "1")
    base_side(on_llamacpp, bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert len(generated) == 2  # the same count reused, another one not


def test_sampled_answers_are_never_cached(generated):
    for _ in range(2):
        base_side(engine(), bench("1" * 64), EvalSettings(temperature=0.7), "base", quiet=True)
    assert len(generated) == 2


def test_a_damaged_entry_is_recomputed_and_replaced(generated, loco_home):
    base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    [entry] = (loco_home / "cache" / "eval-base").iterdir()
    entry.write_text("{not json")
    results, _ = base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert len(generated) == 2 and results[0].score == 1.0
    base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert len(generated) == 2  # the replaced entry is good again


@pytest.fixture
def mixing(monkeypatch):
    """mixed_answers replaced by a counter (its real decoding: test_batching.py); the engine can mix."""
    from loco_mlx.evaluation import mixed
    from loco_mlx.inference.engine import Answer

    calls = []

    def fake_mixed_answers(engine, adapter, items, settings, progress=None):
        calls.append(adapter)
        return [Answer("7") for _ in items], [Answer("8") for _ in items]

    monkeypatch.setattr(mixed, "mixed_answers", fake_mixed_answers)
    monkeypatch.setattr(mixed, "can_mix", lambda engine, adapter, votes: votes == 1)
    return calls


def test_mixed_sides_answer_together_once_then_the_cached_base_leaves_only_the_adapter(generated, mixing):
    base, adapter, _ = evaluate.both_sides(engine(), "math", bench("1" * 64), EvalSettings(), "math", True, mixed=True)
    assert mixing == ["math"] and generated == []  # one batch for both sides, no side-by-side run
    assert (base[0].output, base[0].score, adapter[0].output, adapter[0].score) == ("7", 1.0, "8", 0.0)
    again, _ = base_side(engine(), bench("1" * 64), EvalSettings(), "base", quiet=True)
    assert again == base and generated == []  # the mixed run filled the base's cache
    evaluate.both_sides(engine(), "math", bench("1" * 64), EvalSettings(), "math", True, mixed=True)
    assert mixing == ["math"] and generated == [("math", "1" * 64)]  # base cached: the adapter alone


def test_side_by_side_without_mixed_or_where_it_cannot_mix(generated, mixing):
    evaluate.both_sides(engine(), "math", bench("1" * 64), EvalSettings(), "math", True, mixed=False)
    evaluate.both_sides(engine(), "math", bench("2" * 64), EvalSettings(votes=3), "math", True, mixed=True)
    assert mixing == [] and [adapter for adapter, _ in generated] == [None, "math", None, "math"]
