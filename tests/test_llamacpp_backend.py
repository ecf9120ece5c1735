"""The llama.cpp backend on the embedded base with the committed adapters (math, json, code).

The must-show: the real server on llama.cpp answers 20 concurrent greedy requests, cycling over
the three adapters and the base, each exactly as the same request answered alone. Each adapter
is first shown to change the replies and to equal llama.cpp run directly with `lora_path` on the
same files, so an equal reply proves its own adapter, and no other, was applied.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig, chat_token_ids
from loco_mlx.inference.open import resolve_backend
from tests.helpers import assert_user_error, loco

pytestmark = [pytest.mark.integration, pytest.mark.llamacpp]

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = {name: ROOT / "adapters" / name for name in ("math", "json", "code")}
MODELS = (None, "math", "json", "code")  # None: the plain base
# one prompt per adapter's task: the adapters are trained to answer other prompts as the base does (replay)
PROMPTS = (
    "What is 12 + 7? Answer briefly.",
    "Extract as JSON: name, age, city, job.\n\nAna Silva, 31, works as a pilot in Lima.",
    "Write a Python function `add(a, b)` that returns the sum of a and b.",
)
GREEDY = SamplingConfig(max_tokens=24, temperature=0.0)


@pytest.fixture(scope="module")
def home(default_home):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCO_HOME", str(default_home))
        yield default_home


@pytest.fixture(scope="module")
def engine(home):
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.engine import Engine
    from loco_mlx.inference.llamacpp import LlamaCppBackend
    from loco_mlx.inference.tools import ToolSettings

    # the replies as the adapters write them (math's program is not run): this file compares weights and
    # adapter application with llama.cpp; the program path on llama.cpp is test_tools_models.py's
    tools = ToolSettings(enabled=False)
    engine = Engine(LlamaCppBackend(BaseStore(home).get("smollm2-135m-instruct")), dict(ADAPTERS), tools)
    yield engine
    engine.close()


def reply(engine, model: str | None, prompt: str, sampling: SamplingConfig = GREEDY) -> str:
    engine.use_adapter(model)
    return engine.complete(prompt, sampling)[0]


def direct_greedy(gguf: Path, lora: Path | None, ids: list[int], eos: set[int], max_tokens: int) -> list[int]:
    """llama-cpp-python on its own: a fresh Llama with `lora_path`, its own greedy sampler."""
    from llama_cpp import Llama

    from loco_mlx.inference.llamacpp import thread_count

    threads = thread_count()
    llm = Llama(model_path=str(gguf), lora_path=str(lora) if lora else None, n_ctx=512, n_threads=threads,
                n_threads_batch=threads, verbose=False)  # fmt: skip
    try:
        out = []
        for token in llm.generate(ids, temp=0.0, repeat_penalty=1.0):
            if token in eos or len(out) == max_tokens:
                break
            out.append(int(token))
        return out
    finally:
        llm.close()


def test_adapters_change_the_reply_and_equal_llama_cpp_run_directly(engine):
    backend = engine.backend
    prompt = PROMPTS[0]
    ids = backend.encode_chat([{"role": "user", "content": prompt}])
    assert ids == chat_token_ids(backend.tokenizer, [{"role": "user", "content": prompt}], True)  # as MLX's
    replies = {model: reply(engine, model, prompt) for model in MODELS}
    assert len(set(replies.values())) == len(MODELS), replies  # each adapter changes the reply
    for model, text in replies.items():
        lora = backend.adapters.adapters[model].gguf if model else None
        theirs = direct_greedy(backend.gguf, lora, ids, backend.eos, GREEDY.max_tokens)
        assert text == backend.tokenizer.decode(theirs), model


def test_switching_back_and_forth_is_deterministic(engine):
    prompt = PROMPTS[0]
    first = {model: reply(engine, model, prompt) for model in MODELS}
    for model in ("code", None, "math", "code", "json", None, "json", "math"):
        assert reply(engine, model, prompt) == first[model], model
    assert engine.adapter == "math" and max(engine.switch_seconds()) < 0.5


def test_sampling_stats_and_batches(engine):
    engine.use_adapter(None)
    text, stats = engine.complete(PROMPTS[1], SamplingConfig(max_tokens=6, temperature=0.0))
    assert stats.finish_reason == "length" and stats.generated_tokens == 6 and stats.decode_tps > 0
    short, stats = engine.complete("Say only: yes", SamplingConfig(max_tokens=40, temperature=0.0))
    assert stats.finish_reason == "stop" and stats.generated_tokens < 40, short
    hot = SamplingConfig(max_tokens=12, temperature=1.0, top_p=0.9, seed=7)
    assert reply(engine, None, PROMPTS[2], hot) == reply(engine, None, PROMPTS[2], hot)  # the seed is honoured
    others = {reply(engine, None, PROMPTS[2], SamplingConfig(12, 1.0, 0.9, seed)) for seed in range(4)}
    assert len(others) > 1
    ids = engine.encode_chat([{"role": "user", "content": PROMPTS[1]}])
    samples = engine.generate_batch([ids, ids], SamplingConfig(max_tokens=6, temperature=0.0))
    assert [s.text for s in samples] == [text, text] and all(s.mean_logprob < 0 for s in samples)


def test_lora_gguf_is_converted_once_and_again_when_the_weights_change(engine, tmp_path, monkeypatch):
    import shutil

    import mlx.core as mx

    from loco_mlx.inference.llamacpp import lora_gguf

    monkeypatch.setenv("LOCO_HOME", str(tmp_path / "home"))  # an empty cache
    record = engine.base.record
    adapter = tmp_path / "json"
    shutil.copytree(ADAPTERS["json"], adapter, ignore=shutil.ignore_patterns("checkpoints", "*.png"))
    first = lora_gguf(record, adapter)
    assert first.is_file() and first.parent == tmp_path / "home" / "gguf" / record.id / "lora"
    inode = first.stat().st_ino
    os.utime(first, (time.time() - 3600,) * 2)
    assert lora_gguf(record, adapter) == first and first.stat().st_ino == inode  # reused, not rewritten
    assert time.time() - first.stat().st_mtime < 60  # and marked as used just now
    weights = mx.load(str(adapter / "adapters.safetensors"))
    mx.save_safetensors(str(adapter / "adapters.safetensors"), {k: v * 2 for k, v in weights.items()})
    second = lora_gguf(record, adapter)
    assert second != first and second.is_file() and first.is_file()  # fresh: another process may be loading it
    namesake = tmp_path / "elsewhere" / "json"  # another directory whose adapter is also called json
    shutil.copytree(adapter, namesake)
    theirs = lora_gguf(record, namesake)
    assert theirs.name.startswith("json-") and theirs.name.split("-")[1] != first.name.split("-")[1]
    for old in (first, theirs):
        os.utime(old, (time.time() - 3600,) * 2)  # unused for an hour
    legacy = first.parent / "json-0123456789abcdef.gguf"  # the earlier naming: read by nothing now
    legacy.write_bytes(b"old")
    os.utime(legacy, (time.time() - 3600,) * 2)
    mx.save_safetensors(str(adapter / "adapters.safetensors"), {k: v * 3 for k, v in weights.items()})
    third = lora_gguf(record, adapter)
    assert third.is_file() and not first.exists() and not legacy.exists()  # superseded conversions are gone
    assert second.exists() and theirs.exists()  # one just used; the namesake's is not ours to prune
    assert not list(second.parent.glob(".*.tmp"))  # written atomically: no temporary file left
    other = tmp_path / "other"
    shutil.copytree(adapter, other)
    manifest = other / "loco_adapter.json"
    manifest.write_text(manifest.read_text().replace(record.fingerprint, "0" * 64))
    with pytest.raises(LocoError, match="was trained on base 000000000000"):
        lora_gguf(record, other)  # bound to another base: refused before anything is converted


def test_a_base_without_a_gguf_is_exported_to_f16_once(tmp_path, monkeypatch):
    import dataclasses

    from loco_mlx.bases.resolve import import_base
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.llamacpp import LlamaCppBackend, base_gguf
    from tests.fixtures.tiny_gguf import write_tiny_gguf

    monkeypatch.setenv("LOCO_HOME", str(tmp_path / "home"))
    imported = import_base(str(write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "Q8_0")), store=BaseStore())
    record = dataclasses.replace(imported, source_kind="mlx", source=imported.model_dir)  # as an MLX directory
    path = base_gguf(record)
    assert path.parent == tmp_path / "home" / "gguf" / record.id and path.name.endswith(".F16.gguf")
    stamp = path.stat().st_mtime_ns
    assert base_gguf(record) == path and path.stat().st_mtime_ns == stamp  # written once
    backend = LlamaCppBackend(record)
    try:
        events = list(backend.stream([1, 5, 40, 77], SamplingConfig(max_tokens=4, temperature=0.0)))
        assert events[-1].stats.generated_tokens <= 4 and backend.gguf == path
    finally:
        backend.close()


# --- the server on llama.cpp --------------------------------------------------------------------------


def test_concurrent_requests_through_the_server_never_see_another_adapter(engine, tmp_path, monkeypatch):
    from openai import OpenAI

    from loco_mlx.adapters.registry import Registry
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.engine import InferenceConfig
    from loco_mlx.router.hybrid import open_router
    from loco_mlx.serve import ServeSettings, create_app
    from tests.helpers import register_promoted, running

    reread = InferenceConfig(reread=True)

    registry_path = tmp_path / "registry" / "registry.yaml"
    registry = Registry(registry_path, BaseStore(Path(os.environ["LOCO_HOME"])))
    for name, directory in ADAPTERS.items():
        register_promoted(registry, directory, name, {f"{name} topic": 1.0})
    router = open_router(registry, engine.base.record, engine.make_encoder, lambda _: None)  # keywords: none fitted
    monkeypatch.setattr(engine, "router", router)  # the module's engine is shared: undone after this test
    base_id = engine.base.record.id
    models = [m or "base" for m in MODELS]
    requests = [(models[i % 4], PROMPTS[i % 3]) for i in range(20)]  # every (model, prompt) pair, some twice
    own = {}  # the Engine's own greedy chat replies (RE2 on, as the server's default), before any server runs
    for model, prompt in set(requests):
        engine.use_adapter(model)
        events = engine.chat([{"role": "user", "content": prompt}], GREEDY, reread)
        own[(model, prompt)] = "".join(e.text for e in events)
    engine.use_adapter(None)
    with running(create_app(engine, ServeSettings(registry_path=registry_path))) as url:
        client = OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=120)

        def ask(request):
            model, prompt = request
            return client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": prompt}], max_tokens=24, temperature=0
            )

        health = httpx.get(url + "/health", timeout=10).json()
        assert (health["status"], health["base"], health["backend"]) == ("ok", base_id, "llamacpp")
        assert (health["batching"], health["max_batch"]) == (False, 1)  # llama.cpp: one request at a time
        assert {m.id for m in client.models.list().data} == {base_id, *ADAPTERS, "auto"}
        routed = ask(("auto", "Tell me about the code topic please."))
        assert routed.model_extra["loco"]["adapter"] == "code"
        alone = {request: ask(request).choices[0].message.content for request in set(requests)}
        assert alone == own  # each request answered alone is the engine's reply with that adapter
        replies = {model: tuple(alone[(model, prompt)] for prompt in PROMPTS) for model in models}
        assert len(set(replies.values())) == len(models)  # any two models differ on some prompt: a leak shows
        start = time.perf_counter()
        with ThreadPoolExecutor(len(requests)) as pool:
            together = list(pool.map(ask, requests))
        seconds = time.perf_counter() - start
    for request, answer in zip(requests, together):
        assert answer.choices[0].message.content == alone[request], request
        assert answer.model_extra["loco"]["adapter"] == (None if request[0] == "base" else request[0])
        assert answer.model == (base_id if request[0] == "base" else request[0])
    print(f"\n20 concurrent requests over base + 3 adapters on llama.cpp: {seconds:.1f} s, all equal to solo runs")


def test_routing_loads_the_mlx_copy_of_the_base_only_when_it_embeds(engine):
    from loco_mlx.inference.llamacpp import LazyEncoder
    from loco_mlx.router.embed import BaseEncoder, EncoderConfig

    backend = engine.backend
    encoder = engine.make_encoder(EncoderConfig(layer=6))
    assert isinstance(encoder, LazyEncoder) and backend._mlx is None
    vector = encoder.embed(PROMPTS[0]).vector
    assert backend._mlx is not None and vector.shape == (backend.mlx_base().config["hidden_size"],)
    same = BaseEncoder(backend.mlx_base().model, backend.tokenizer, EncoderConfig(layer=6)).embed(PROMPTS[0]).vector
    assert (vector == same).all()


# --- choosing the backend ----------------------------------------------------------------------------


def test_backend_choice_and_errors(home, monkeypatch):
    from loco_mlx.config import GenerateConfig
    from loco_mlx.inference.llamacpp import require_llama_cpp

    with pytest.raises(LocoError, match=r"unknown backend 'nope'; choose one of: mlx, llamacpp, auto"):
        GenerateConfig(backend="nope")
    said = []
    assert resolve_backend("mlx", said.append) == "mlx" and resolve_backend("llamacpp", said.append) == "llamacpp"
    assert said == []
    assert resolve_backend("auto", said.append) == "llamacpp"  # this machine: MLX has no Metal or CUDA
    assert said == ["backend: llamacpp (auto: no Metal or CUDA for MLX, and llama-cpp-python is installed)"]
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if not installed
    with pytest.raises(LocoError, match="pip install llama-cpp-python"):
        require_llama_cpp()
    assert resolve_backend("auto", said.append) == "mlx" and "not installed" in said[-1]
    env = {**os.environ, "LOCO_HOME": str(home)}
    assert_user_error(loco("generate", "hi", "--backend", "nope", env=env), "unknown backend 'nope'", "llamacpp")
    assert_user_error(loco("eval", "x", "--benchmark", "b.jsonl", "--backend", "gpu", env=env), "unknown backend")


def test_cli_generate_with_backend_auto(home):
    env = {**os.environ, "LOCO_HOME": str(home)}
    args = ("generate", PROMPTS[0], "--backend", "auto", "--adapter-path", str(ADAPTERS["math"]), "--temp", "0",
            "--max-tokens", "12", "--no-reread")  # fmt: skip
    result = loco(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert "backend: llamacpp (auto:" in result.stderr and result.stdout.strip()
