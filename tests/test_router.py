"""The router: classifier, calibration, router.json, staleness, and routing with the real base."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.router.classifier import FitSettings, decide, fit, stratified_folds
from loco_mlx.router.embed import EncoderConfig
from loco_mlx.router.hybrid import (
    ROUTER_FILE,
    Router,
    fit_router,
    load_router,
    open_router,
    registry_signature,
    save_router,
    staleness,
)
from tests.helpers import GENERAL, MATH, register_promoted


def blobs(n=60, d=8, seed=0, spread=0.3):
    """Three separable clusters (base, code, math) and no keyword evidence."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, d)) * 3
    y = np.repeat(np.arange(3), n)
    x = (centres[y] + rng.normal(size=(3 * n, d)) * spread).astype(np.float32)
    return x, np.zeros((3 * n, 3), np.float32), y


# --- classifier ----------------------------------------------------------------------------------


def test_fit_separates_clusters_and_is_deterministic():
    x, k, y = blobs()
    first, cv = fit(x, k, y, ["base", "code", "math"], FitSettings())
    second, _ = fit(x, k, y, ["base", "code", "math"], FitSettings())
    assert cv["accuracy"] == 1.0 and cv["base_precision"] == 1.0
    assert (first.decide(first.probabilities(x, k)) == y).all()
    assert np.array_equal(first.weights, second.weights) and first.threshold == second.threshold
    assert 0.3 <= first.threshold <= 0.95 and first.temperature > 0


def test_keywords_are_learned_when_they_carry_the_label():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 4)).astype(np.float32)  # the embedding says nothing
    y = np.repeat([0, 1], 60)
    k = np.zeros((120, 2), np.float32)
    k[y == 1, 1] = 1.0  # adapter queries carry a keyword
    router, cv = fit(x, k, y, ["base", "math"], FitSettings())
    assert router.keyword_scale > 1.0 and cv["accuracy"] > 0.95


def test_low_confidence_goes_to_the_base():
    p = np.array([[0.30, 0.70, 0.0], [0.40, 0.55, 0.05], [0.9, 0.05, 0.05], [0.1, 0.2, 0.7]])
    assert decide(p, 0.6).tolist() == [1, 0, 0, 2]
    allowed = np.array([[True, False, True]] * 4)  # label 1 is not a candidate any more
    assert decide(p, 0.6, allowed).tolist() == [0, 0, 0, 2]


def test_folds_cover_every_item_once_and_keep_classes_spread():
    y = np.repeat(np.arange(3), [10, 20, 7])
    tests = [test for _, test in stratified_folds(y, 5, seed=3)]
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(y)))
    assert all(set(y[t]) == {0, 1, 2} for t in tests)


def test_fit_needs_base_first():
    x, k, y = blobs()
    with pytest.raises(ValueError, match="base"):
        fit(x, k, y, ["code", "base", "math"], FitSettings())


# --- a fitted router with a stand-in encoder ----------------------------------------------------


class VectorEncoder:
    """Embeds by a table lookup: routing logic without a model (the real encoder is tested below)."""

    config = EncoderConfig(layer=2)

    def __init__(self, table):
        self.table = table

    def embed(self, text):
        from loco_mlx.router.embed import Embedding

        return Embedding(self.table[text], len(text.split()), False, 0.001)


@pytest.fixture
def fitted_files(tmp_path):
    x, _, y = blobs(n=20)
    labels = ["base", "code", "math"]
    queries = {label: [f"{label} query {i}" for i in range(20)] for label in labels}
    table = {q: x[labels.index(label) * 20 + i] for label, qs in queries.items() for i, q in enumerate(qs)}
    encoder = VectorEncoder(table)
    signature = {"code": {"version": "0.1.0", "keywords": {}}, "math": {"version": "0.1.0", "keywords": {"sum": 1.0}}}
    fitted = fit_router(encoder, queries, {"math": {"sum": 1.0}}, base={"id": "b", "fingerprint": "f" * 64},
                        registry=signature)  # fmt: skip
    path = tmp_path / ROUTER_FILE
    save_router(fitted, path)
    return fitted, encoder, path, table


def test_router_file_round_trip_routes_identically(fitted_files):
    fitted, encoder, path, table = fitted_files
    loaded = load_router(path)
    a, b = Router(["code", "math"], {}, fitted, encoder), Router(["code", "math"], {}, loaded, encoder)
    for query in list(table)[::7]:
        first, second = a.route(query), b.route(query)
        assert (first.label, first.confidence, first.probabilities) == (second.label, second.confidence,
                                                                          second.probabilities)  # fmt: skip
        assert first.label == query.split()[0]
        assert sum(first.probabilities.values()) == pytest.approx(1.0)
    assert json.loads(path.read_text())["labels"] == ["base", "code", "math"]


def test_removed_adapter_is_never_chosen(fitted_files):
    fitted, encoder, _, table = fitted_files
    router = Router(["code"], {}, fitted, encoder)  # math is no longer active
    decision = router.route("math query 3")
    assert decision.label in ("base", "code") and decision.probabilities["math"] == 0.0


def test_empty_query_is_refused(fitted_files):
    fitted, encoder, _, _ = fitted_files
    for router in (Router(["code", "math"], {}, fitted, encoder), Router([], {})):
        with pytest.raises(LocoError, match="empty query"):
            router.route("   ")


def test_broken_router_file_says_refit(tmp_path):
    path = tmp_path / ROUTER_FILE
    path.write_text('{"format": 1, "labels": ["base"]')
    with pytest.raises(LocoError, match="loco router fit"):
        load_router(path)
    path.write_text('{"format": 99}')
    with pytest.raises(LocoError, match="format 99"):
        load_router(path)


def test_staleness_names_what_changed(fitted_files):
    fitted = fitted_files[0]
    same = {"code": {"version": "0.1.0", "keywords": {}}, "math": {"version": "0.1.0", "keywords": {"sum": 1.0}}}
    assert staleness(fitted, same) is None
    changed = {"math": {"version": "0.2.0", "keywords": {"sum": 1.0}}, "json": {"version": "0.1.0", "keywords": {}}}
    assert staleness(fitted, changed) == "new: json; no longer active: code; changed: math"


def test_fit_refuses_too_few_examples():
    queries = {"base": ["q"] * 20, "math": ["m"] * 3}
    with pytest.raises(LocoError, match="at least 10 example queries for adapter 'math', got 3"):
        fit_router(VectorEncoder({}), queries, {}, base={}, registry={})


# --- with the real embedded base and registry -----------------------------------------------------


@pytest.fixture(scope="module")
def real_engine(default_home):
    """One engine on the embedded base for the module: its pool wraps the base's projections once."""
    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.engine import Engine
    from loco_mlx.inference.mlx_backend import MLXBackend

    return Engine(MLXBackend(load_base(BaseStore(default_home).get("smollm2-135m-instruct"))))


@pytest.mark.integration
def test_real_encoder_is_deterministic_and_truncates(real_engine):
    encoder = real_engine.make_encoder(EncoderConfig(layer=4, max_tokens=16))
    a, b = encoder.embed(MATH[0]), encoder.embed(MATH[0])
    assert a.vector.shape == (576,) and a.vector.dtype == np.float32 and np.array_equal(a.vector, b.vector)
    assert a.truncated and a.tokens > 16
    short = encoder.embed("What is the capital of France?")
    assert not short.truncated and short.tokens < 16
    layers, _, _ = encoder.embed_layers(MATH[0], [0, 4], "mean")
    assert np.array_equal(layers[4], a.vector) and not np.array_equal(layers[0], a.vector)
    with pytest.raises(LocoError, match=r"--layer 31: the base has 30 layers; choose 0 \(token embeddings\) to 30"):
        real_engine.make_encoder(EncoderConfig(layer=31))


@pytest.mark.integration
def test_embedding_ignores_the_active_adapter(real_engine, tmp_path):
    from tests.helpers import write_adapter

    keys = ["self_attn.q_proj", "self_attn.v_proj"]
    real_engine.adapter_paths["a"] = write_adapter(tmp_path / "a", real_engine.base.record, rank=4, scale=20.0,
                                                   keys=keys, num_layers=30)  # fmt: skip
    encoder = real_engine.make_encoder(EncoderConfig(layer=6))
    ids = real_engine.encode_text("Why is the sky blue?")
    plain, plain_logits = encoder.embed("Why is the sky blue?").vector, real_engine.sequence_logits(ids)
    real_engine.use_adapter("a")
    try:
        adapted_logits = real_engine.sequence_logits(ids)
        assert not np.allclose(adapted_logits, plain_logits)  # the adapter does change the model
        assert np.array_equal(encoder.embed("Why is the sky blue?").vector, plain)
        assert real_engine.adapter == "a"  # and is back on after embedding
        assert np.array_equal(real_engine.sequence_logits(ids), adapted_logits)
    finally:
        real_engine.use_adapter(None)


@pytest.mark.integration
def test_open_router_end_to_end(real_engine, default_env, tmp_path):
    """No adapters -> base (said once); no router file -> keywords; fitted -> embeddings; stale -> said."""
    from loco_mlx.adapters.registry import Registry
    from tests.helpers import write_adapter

    registry = Registry(tmp_path / "reg" / "registry.yaml")
    said = []
    record, make_encoder = real_engine.base.record, real_engine.make_encoder
    router = open_router(registry, record, make_encoder, warn=said.append)
    assert router.route("What is 2 + 2?").label == "base" and router.route("hi").label == "base"
    assert len(said) == 1 and "no active adapters" in said[0]

    keys = ["self_attn.q_proj"]
    register_promoted(registry, write_adapter(tmp_path / "math", record, 4, 20.0, keys, 30, std=0.2), "math",
                      {"gives away": 1})  # fmt: skip
    said.clear()
    router = open_router(registry, record, make_encoder, warn=said.append)
    assert router.mode == "keywords" and "no router fitted" in said[0]
    assert router.route(MATH[0]).label == "math" and router.route(GENERAL[0]).label == "base"

    fitted = fit_router(make_encoder(EncoderConfig(layer=4)), {"math": MATH, "base": GENERAL},
                        {"math": {"gives away": 1.0}}, base={"id": record.id, "fingerprint": record.fingerprint},
                        registry=registry_signature(registry.entries()))  # fmt: skip
    save_router(fitted, registry.root / ROUTER_FILE)
    said.clear()
    router = open_router(registry, record, make_encoder, warn=said.append)
    assert router.mode == "fitted" and said == []
    query = "Mo has 15 marbles and buys 6 more. Then Mo gives away 4. What does Mo have now?"
    first = router.route(query)
    assert first.label == "math" and first.confidence >= fitted.classifier.threshold
    assert first.keywords["math"][0].keyword == "gives away" and set(first.similarity) == {"base", "math"}
    again = open_router(registry, record, make_encoder, warn=said.append).route(query)
    assert (again.label, again.confidence, again.probabilities) == (first.label, first.confidence,
                                                                      first.probabilities)  # fmt: skip
    assert router.route("Who painted the Mona Lisa?").label == "base"

    registry.deactivate("math")
    register_promoted(registry, write_adapter(tmp_path / "code", record, 4, 20.0, keys, 30, std=0.2), "code")
    said.clear()
    router = open_router(registry, record, make_encoder, warn=said.append)
    assert len(said) == 1 and "stale (new: code; no longer active: math)" in said[0] and "loco router fit" in said[0]
    assert router.route(query).label == "base"  # math is not a candidate; code was never fitted


@pytest.mark.integration
def test_chat_routes_each_message_and_explains(real_engine, tmp_path):
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.chat import ChatSession, run_repl
    from tests.helpers import write_adapter

    engine = real_engine
    engine.adapter_paths["math"] = write_adapter(tmp_path / "math", engine.base.record, 4, 20.0,
                                                 ["self_attn.q_proj"], 30)  # fmt: skip
    engine.router = Router(["math"], {"math": {"gives away": 1.0}})  # keywords only: no fitting needed
    lines = iter([MATH[0], "/why", "/adapter none", "Who painted the Mona Lisa?", "/adapter auto", "/adapter", "/quit"])
    out = []
    try:
        run_repl(ChatSession(engine, SamplingConfig(max_tokens=2, temperature=0)), read=lambda _: next(lines),
                 write=lambda *a, **k: out.append(" ".join(map(str, a))))  # fmt: skip
    finally:
        engine.router, engine.routing = None, True
        engine.use_adapter(None)
    text = "\n".join(out)
    stats = [line for line in out if line.startswith("[")]
    assert "+ math (auto)" in stats[0] and "+ base (" in stats[1] and "(auto)" not in stats[1]
    assert "(routed to math)" in text and "keywords: math: 'gives away'" in text
    assert "the router picks the adapter for each message" in text
    assert "(current adapter: none, chosen by the router)" in text
