"""`loco route`, `loco router fit|eval|info` and `--adapter auto`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import GENERAL, MATH, assert_user_error, loco

pytestmark = pytest.mark.integration

LONG = " ".join(["Tell me about the history of the printing press in Europe."] * 60)


@pytest.fixture
def env(default_env, tmp_path):
    """The session's default base, with a registry of this test's own."""
    return {**default_env, "LOCO_REGISTRY": str(tmp_path / "registry" / "registry.yaml")}


def register_math(env, tmp_path, name="math"):
    """A registered, SHIP-gated, promoted adapter (random LoRA weights: routing never reads them)."""
    from loco_mlx.adapters.registry import Registry
    from loco_mlx.bases.store import BaseStore
    from tests.helpers import register_promoted, write_adapter

    record = BaseStore(Path(env["LOCO_HOME"])).get("smollm2-135m-instruct")
    registry = Registry(env["LOCO_REGISTRY"], BaseStore(Path(env["LOCO_HOME"])))
    directory = write_adapter(tmp_path / name, record, 4, 20.0, ["self_attn.q_proj"], 30, std=0.2)
    register_promoted(registry, directory, name, {"gives away": 1.0, "how many": 1.0})
    return directory


def test_route_without_adapters_goes_to_the_base_and_says_so_once(env):
    result = loco("route", "What is 2 + 2?", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "base (confidence 1.00)"
    assert result.stderr.count("no active adapters") == 1 and "Traceback" not in result.stderr


def test_route_rejects_an_empty_query(env):
    assert_user_error(loco("route", "  ", env=env), "empty query")


def test_fit_without_active_adapters_is_a_clear_error(env):
    assert_user_error(loco("router", "fit", env=env), "no active adapters", "loco adapters promote")


@pytest.mark.parametrize(
    "flags,fragments",
    [(["--pooling", "max"], ["--pooling 'max'", "mean, last"]),
     (["--layer", "31"], ["--layer 31", "the base has 30 layers", "choose 0 (token embeddings) to 30"])],
    ids=["pooling", "layer"],
)  # fmt: skip
def test_fit_refuses_bad_encoder_flags_in_one_line(env, flags, fragments):
    assert_user_error(loco("router", "fit", *flags, env=env), *fragments)


def test_shipped_registry_in_a_fresh_home_imports_the_default(tmp_path):
    """The shipped registry names its base by the embedded default's id, not imported yet in a fresh home."""
    import os

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "LOCO_HOME": str(tmp_path / "fresh"), "LOCO_REGISTRY": str(root / "adapters/registry.yaml")}
    result = loco("route", "Write a Python function that reverses a string.", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("code (confidence ") and "Traceback" not in result.stderr
    assert (tmp_path / "fresh" / "bases" / "smollm2-135m-instruct" / "base.json").is_file()
    info = loco("router", "info", env=env)
    assert info.returncode == 0 and "status   current" in info.stdout, info.stdout + info.stderr


def test_fit_route_explain_eval_and_stale(env, tmp_path):
    directory = register_math(env, tmp_path)
    examples = tmp_path / "math_queries.jsonl"
    examples.write_text("".join(json.dumps({"query": q}) + "\n" for q in MATH))
    general = tmp_path / "general.jsonl"
    general.write_text("".join(json.dumps({"query": q}) + "\n" for q in GENERAL))

    router_file = tmp_path / "registry" / "router.json"
    router_file.write_text("{not json")  # a broken file from an earlier run must not block a refit
    fit = loco("router", "fit", "--examples", f"math={examples}", "--general", str(general), "--per-label", "40",
               "--layer", "4", env=env)  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    assert "cross-validated" in fit.stdout and "threshold" in fit.stdout
    assert json.loads(router_file.read_text())["labels"] == ["base", "math"]
    assert not (directory / "router_examples.jsonl").exists()  # the adapter's directory is left alone
    sources = json.loads(router_file.read_text())["sources"]
    assert sources["math"]["files"] == ["../math_queries.jsonl"]  # beside the registry's folder: relative to it
    inside = tmp_path / "registry" / "math_queries.jsonl"
    inside.write_text(examples.read_text())
    refit = loco("router", "fit", "--examples", f"math={inside}", "--general", str(general), "--per-label", "40",
                 "--layer", "4", env=env)  # fmt: skip
    assert refit.returncode == 0, refit.stderr
    assert json.loads(router_file.read_text())["sources"]["math"]["files"] == ["math_queries.jsonl"]  # moves along
    again = loco("router", "fit", "--general", str(general), "--per-label", "40", "--layer", "4", env=env)
    assert again.returncode == 0 and str(inside) in again.stdout  # a plain refit reuses the remembered file

    query = "Mo has 15 marbles and buys 6 more. Then Mo gives away 4. How many does Mo have now?"
    explained = loco("route", query, "--explain", env=env)
    assert explained.returncode == 0, explained.stderr
    first, *rest = explained.stdout.strip().splitlines()
    assert first.startswith("math (confidence ")
    assert any("'gives away'" in line and "'how many'" in line for line in rest)
    assert any(line.strip().startswith("probability: math") for line in rest)
    as_json = json.loads(loco("route", query, "--json", env=env).stdout)
    assert as_json["route"] == "math" and as_json["keywords"] == {"math": ["gives away", "how many"]}

    long = loco("route", LONG, env=env)
    assert long.returncode == 0 and "base (confidence" in long.stdout
    assert "routed on its first and last parts" in long.stderr

    labelled = tmp_path / "labelled.jsonl"
    rows = [{"query": "Pia has 9 cards and buys 4 more. Then Pia gives away 2. What does Pia have now?",
             "label": "math", "kind": "paraphrase"},
            {"query": "Who was the first person on the moon?", "label": "base", "kind": "general"},
            {"query": "Please summarize the causes of World War I.", "label": "base", "kind": "trap"}]  # fmt: skip
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = loco("router", "eval", str(labelled), env=env)
    assert report.returncode == 0, report.stderr
    for fragment in ("3 queries, router mode: fitted", "accuracy", "precision  recall", "confusion",
                     "calibration error (ECE", "latency per query: p50"):  # fmt: skip
        assert fragment in report.stdout, (fragment, report.stdout)
    data = json.loads(loco("router", "eval", str(labelled), "--json", env=env).stdout)
    assert data["items"] == 3 and set(data["per_label"]) == {"base", "math"}

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"query": "write a function", "label": "code"}) + "\n")
    assert_user_error(loco("router", "eval", str(bad), env=env), "labels code are not routes of this router")

    register_math(env, tmp_path, name="other")  # the registry changes: the router is stale
    stale = loco("route", query, env=env)
    assert stale.returncode == 0 and "stale (new: other)" in stale.stderr and "loco router fit" in stale.stderr
    assert "stale" in loco("router", "info", env=env).stdout
    deactivated = loco("adapters", "deactivate", "math", env=env)
    assert deactivated.returncode == 0 and "router is now stale" in deactivated.stderr


def test_generate_with_adapter_auto_names_the_route(env, tmp_path):
    register_math(env, tmp_path)  # no router fitted: keywords alone
    result = loco("generate", "Ana has 3 pens and gives away 1. How many are left?", "--adapter", "auto",
                  "--temp", "0", "--max-tokens", "4", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no router fitted" in result.stderr and "+ math (auto)" in result.stderr
