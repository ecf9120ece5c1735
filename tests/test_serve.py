"""`loco serve` as a client sees it: the real server on the embedded base, the official openai client.

Adapters are registered, SHIP-gated and promoted with random LoRA weights (as in
test_router_cli), strong enough that each one changes the replies: so a reply that
equals its solo run proves no other request's adapter leaked into it.
"""

from __future__ import annotations

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.serve import ServeSettings, bind_socket, check_bind, create_app
from tests.helpers import assert_user_error, auto_engine, loco, running, write_adapter

pytestmark = pytest.mark.integration

ADAPTERS = ("alpha", "beta", "gamma")
KEY = "s3cret-key"
MAX_TOKENS_LIMIT = 64
MAX_BODY = 4096
PROMPTS = ("Name a color.", "What is 2 + 3?", "Say hello to Bob.")


@dataclass
class Served:
    url: str
    base_id: str
    engine: object
    registry_path: Path
    batching: str = "on"
    app: object = None


@pytest.fixture(scope="module", params=["on", "off"], ids=["batching-on", "batching-off"])
def served(default_home, tmp_path_factory, request):
    """The server with every request in one batch (MLX's default), and one request at a time (--batching off)."""
    from loco_mlx.bases.store import BaseStore

    tmp = tmp_path_factory.mktemp("serve")
    record = BaseStore(default_home).get("smollm2-135m-instruct")
    written = {name: write_adapter(tmp / name, record, 4, 20.0, ["self_attn.q_proj"], 30, seed=i + 1, std=0.2)
               for i, name in enumerate((*ADAPTERS, "draft"))}  # fmt: skip
    adapters = {name: (written[name], {f"{name} topic": 1.0}) for name in ADAPTERS}
    registry_path = tmp / "registry" / "registry.yaml"
    with auto_engine(default_home, registry_path, adapters, drafts={"draft": written["draft"]}) as (engine, _):
        settings = ServeSettings(
            max_tokens_limit=MAX_TOKENS_LIMIT, max_body_bytes=MAX_BODY, registry_path=registry_path,
            batching=request.param, prefix_cache_mb=0,
        )  # fmt: skip
        # no prefix cache: with these random adapters (scale 20) prefilling a prompt in two parts instead of one
        # turns rounding into other tokens; the prefix cache is checked with the shipped adapters (test_batching.py,
        # test_serve_batching.py: replies equal to each request alone)
        app = create_app(engine, settings)
        with running(app) as url:
            yield Served(url, record.id, engine, registry_path, request.param, app)


def client(served):
    from openai import OpenAI

    return OpenAI(base_url=served.url + "/v1", api_key="unused", max_retries=0, timeout=120)


def ask(served, model: str, prompt: str, max_tokens: int = 8, **extra):
    return client(served).chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0, **extra
    )


def assert_openai_error(response: httpx.Response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error)
    return error


def assert_healthy(served) -> None:
    assert httpx.get(served.url + "/health", timeout=10).status_code == 200


# --- the OpenAI surface ------------------------------------------------------------------------------


def test_models_lists_the_base_active_adapters_and_auto(served):
    cards = {m.id: m.model_dump() for m in client(served).models.list().data}
    assert set(cards) == {served.base_id, *ADAPTERS, "auto"}  # "draft" is not active
    assert cards[served.base_id].get("parent") is None
    assert all(cards[name]["parent"] == served.base_id for name in ADAPTERS)
    assert cards["alpha"]["loco"] == {"kind": "adapter", "domain": "", "tool": None, "verdict": "SHIP", "score": 0.5,
                                      "base_score": 0.1}  # fmt: skip
    assert cards["auto"]["loco"] == {"kind": "auto"} and cards[served.base_id]["loco"]["kind"] == "base"


@contextmanager
def solo(engine, adapter_path: str | Path | None):
    """The Engine with the adapter at `adapter_path` active (None: the base), then back on the base."""
    if adapter_path is not None:
        engine.adapter_paths["served"] = Path(adapter_path)
    engine.use_adapter("served" if adapter_path else None)
    try:
        yield engine
    finally:
        engine.use_adapter(None)


def engine_reply(engine, adapter_path: str | None, prompt: str, max_tokens: int = 8):
    """What the Engine itself answers to a greedy chat request (RE2 on, as ServeSettings' default),
    with the adapter at `adapter_path` active (None: the base); the engine is left on the base."""
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.engine import InferenceConfig

    with solo(engine, adapter_path):
        sampling = SamplingConfig(max_tokens=max_tokens, temperature=0)
        events = list(engine.chat([{"role": "user", "content": prompt}], sampling, InferenceConfig(reread=True)))
    return "".join(e.text for e in events), events[-1].stats


@contextmanager
def recorded_rows(app):
    """The RequestHandle of every request the app's batch takes meanwhile: its prompt ids, adapter and tokens."""
    decoder, handles = app.state.worker.decoder, []
    submit = decoder.submit

    def recording(request):
        handles.append(submit(request))
        return handles[-1]

    decoder.submit = recording
    try:
        yield handles
    finally:
        del decoder.submit  # the class's own again


def alone_tokens(engine, adapter_path: Path | None, prompt_ids: list[int], max_tokens: int, guide=None) -> list[int]:
    """The one-at-a-time path's greedy tokens for prepared prompt ids, with the adapter at `adapter_path`;
    guided by a fresh copy of `guide` where a JSON guide picked the batched row's tokens."""
    from loco_mlx.inference.backend import SamplingConfig

    with solo(engine, adapter_path):
        if guide is None:
            return engine.greedy_tokens(list(prompt_ids), max_tokens)
        alone = guide.fresh()
        for _ in engine.stream(list(prompt_ids), SamplingConfig(max_tokens=max_tokens, temperature=0), alone):
            pass
        return alone.taken


def alone_first_choices(engine, adapter_path: Path | None, prompt_ids: list[int], tie: float = 1.5) -> set[int]:
    """The first tokens the request alone could start with: the greedy one, and those of the top 5 within
    `tie` logits of it. These random adapters (std 0.2, scale 20) amplify the batched path's other summation
    order through 30 layers (seen: alpha's 28.502 against 28.454 on "Say hello to Bob." on one machine, and a
    batched row starting with the alone run's fifth token, 1.01 logits below its first, on a fresh machine
    with MLX 0.32.4); another adapter's token is rarely that close."""
    import numpy as np

    with solo(engine, adapter_path):
        logits = np.array(engine.sequence_logits(list(prompt_ids)))
    last = logits.reshape(-1, logits.shape[-1])[-1]
    top = np.argsort(-last)[:5]
    return {int(t) for t in top if last[top[0]] - last[t] < tie}


def test_chat_completion_names_the_adapter_and_counts_tokens(served, default_engine):
    from loco_mlx.adapters.registry import Registry

    reply = ask(served, "alpha", PROMPTS[0])
    assert reply.object == "chat.completion" and reply.model == "alpha"
    assert reply.model_extra["loco"] == {"adapter": "alpha", "route_confidence": None, "route": None, "notice": None}
    # The reply is the Engine's own (a second copy of the base, alpha active): content and counts.
    paths = {entry.name: entry.path for entry in Registry(served.registry_path).entries()}
    text, stats = engine_reply(default_engine, paths["alpha"], PROMPTS[0])
    assert reply.choices[0].message.role == "assistant" and reply.choices[0].message.content == text
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (stats.prompt_tokens, stats.generated_tokens)
    assert reply.choices[0].finish_reason == stats.finish_reason
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    base = ask(served, "base", PROMPTS[0])
    assert base.model == served.base_id and base.model_extra["loco"]["adapter"] is None
    assert base.choices[0].message.content == engine_reply(default_engine, None, PROMPTS[0])[0]


def test_streaming_chat_equals_the_plain_reply(served):
    plain = ask(served, "beta", PROMPTS[1])
    chunks = list(ask(served, "beta", PROMPTS[1], stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == plain.choices[0].finish_reason
    assert last.usage.completion_tokens == plain.usage.completion_tokens
    assert last.model_extra["loco"]["adapter"] == "beta"


def test_response_format_promises_json_objects_and_schemas(served):
    """response_format is decoded by the JSON guide (inference/json_guide.py), on both server paths."""
    prompt = "Describe Ana Silva, 31, from Lima."
    properties = {"full_name": {"type": "string"}, "years": {"type": "integer"}, "mood": {"enum": ["happy", "sad"]}}
    schema = {"type": "object", "properties": properties}
    reply = ask(
        served,
        "base",
        prompt,
        max_tokens=60,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )
    person = json.loads(reply.choices[0].message.content)
    assert list(person) == ["full_name", "years", "mood"]
    assert isinstance(person["full_name"], str) and isinstance(person["years"], (int, float))  # the schema's types
    assert person["mood"] in ("happy", "sad")  # and its enum
    anything = ask(served, "base", prompt, max_tokens=MAX_TOKENS_LIMIT, response_format={"type": "json_object"})
    if anything.choices[0].finish_reason == "stop":  # a whole object, or cut at max_tokens
        assert isinstance(json.loads(anything.choices[0].message.content), dict)
    else:
        assert anything.choices[0].message.content.startswith("{")
    streamed = list(
        ask(
            served,
            "base",
            prompt,
            max_tokens=60,
            stream=True,
            response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == reply.choices[0].message.content
    # seeded: a sample cut at max_tokens has no vote (voting.py), yet three cut ones would leave none whole
    voted = ask(served, "base", prompt, max_tokens=60, seed=5, extra_body={"votes": 3},
                response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}})  # fmt: skip
    assert list(json.loads(voted.choices[0].message.content)) == ["full_name", "years", "mood"]  # every sample guided
    assert voted.loco["vote"]["samples"] == 3
    bad = httpx.post(
        served.url + "/v1/chat/completions",
        timeout=30,
        json={
            "model": "base",
            "messages": [{"role": "user", "content": prompt}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "array"}}},
        },
    )
    assert_openai_error(bad, 400, "properties")
    assert_healthy(served)


def test_completions_use_the_raw_prompt(served, default_engine):
    from loco_mlx.inference.backend import SamplingConfig

    prompt = "The capital of France is"
    reply = client(served).completions.create(model="base", prompt=prompt, max_tokens=6, temperature=0)
    # The Engine's own greedy continuation of the raw text (no chat template, no RE2), on the base.
    default_engine.use_adapter(None)
    ids = default_engine.encode_text(prompt)
    events = list(default_engine.stream(ids, SamplingConfig(max_tokens=6, temperature=0)))
    assert reply.object == "text_completion" and reply.choices[0].text == "".join(e.text for e in events)
    assert reply.usage.prompt_tokens == events[-1].stats.prompt_tokens == len(ids)
    assert reply.usage.completion_tokens == events[-1].stats.generated_tokens
    streamed = client(served).completions.create(model="base", prompt=prompt, max_tokens=6, temperature=0, stream=True)
    assert "".join(c.choices[0].text for c in streamed) == reply.choices[0].text


def test_stop_strings_cut_the_reply(served):
    full = ask(served, "base", PROMPTS[2], max_tokens=12).choices[0].message.content
    assert len(full) > 6, full
    stop = full[3:6]
    cut = ask(served, "base", PROMPTS[2], max_tokens=12, stop=[stop, "never appears"])
    assert cut.choices[0].message.content == full[: full.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    streamed = ask(served, "base", PROMPTS[2], max_tokens=12, stop=stop, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == full[: full.find(stop)]


def test_auto_routes_on_the_last_user_message(served):
    reply = ask(served, "auto", "Tell me about the gamma topic please.")
    assert reply.model_extra["loco"]["adapter"] == "gamma" and reply.model == "gamma"
    route = reply.model_extra["loco"]["route"]  # why, as `loco route --explain --json` says it
    assert route["route"] == "gamma" and route["keywords"] == {"gamma": ["gamma topic"]} and route["reason"]
    system_only = {"model": "auto", "messages": [{"role": "system", "content": "Tell me about the gamma topic."}]}
    assert_openai_error(post(served, system_only), 400, "routes on the last user message, and there is none")


def test_concurrent_requests_never_see_another_adapter(served, default_engine):
    requests = [(model, PROMPTS[i % len(PROMPTS)]) for i, model in enumerate(["base", *ADAPTERS] * 3)]
    alone = {req: ask(served, *req).choices[0].message.content for req in requests}
    assert all(alone.values())  # every model answered every prompt
    for prompt in PROMPTS:  # the adapters change the replies, or a leak could go unseen
        assert len({alone[(model, prompt)] for model in ["base", *ADAPTERS]}) > 1, prompt
    rows = recorded_rows(served.app) if served.batching == "on" else contextlib.nullcontext([])
    with rows as handles, ThreadPoolExecutor(len(requests)) as pool:
        replies = pool.map(lambda req: ask(served, *req), requests)
        start = time.perf_counter()
        assert_healthy(served)  # generation runs off the event loop: health answers while it works
        assert time.perf_counter() - start < 2.0
        together = list(replies)
    for req, reply in zip(requests, together):
        assert reply.model_extra["loco"]["adapter"] == (None if req[0] == "base" else req[0])
        if served.batching == "off":  # one at a time: the very same arithmetic
            assert reply.choices[0].message.content == alone[req], req
    if served.batching == "on":
        # Every row starts as the same request alone does. Further tokens are compared in test_serve_batching.py
        # with the shipped adapters: these random ones (std 0.2, scale 20) turn rounding into whole-logit
        # differences (seen: rows parting from the alone run at margins up to 0.8 after 6 tokens, and the alone
        # run itself giving other tokens in another process).
        assert len(handles) == len(requests)
        paths = adapter_paths(served)
        for handle in handles:
            choices = alone_first_choices(default_engine, paths.get(handle.request.adapter), handle.request.prompt_ids)
            assert handle.tokens[0] in choices, handle.request.adapter


def adapter_paths(served) -> dict[str, Path]:
    from loco_mlx.adapters.registry import Registry

    return {entry.name: Path(entry.path) for entry in Registry(served.registry_path).entries()}


# --- bad requests: OpenAI-shaped errors, and the server stays up --------------------------------------


def post(served, body=None, content=None, path="/v1/chat/completions", **headers):
    return httpx.post(served.url + path, json=body, content=content, headers=headers, timeout=30)


def chat_body(model="base", **extra):
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, **extra}


BAD_MODELS = [
    ("../adapters/x", 400, "looks like a path"),
    ("/etc/passwd", 400, "looks like a path"),
    ("~/adapters", 400, "looks like a path"),
    ("C:\\adapters", 400, "looks like a path"),
    ("Not An Id", 400, "invalid model id"),
    ("nope", 404, "'nope' not found"),
    ("draft", 404, "'draft' not found"),  # registered, not promoted
]


@pytest.mark.parametrize("model,status,fragment", BAD_MODELS, ids=[m for m, _, _ in BAD_MODELS])
def test_only_served_model_ids_are_accepted(served, model, status, fragment):
    error = assert_openai_error(post(served, chat_body(model)), status, fragment)
    assert error["param"] == "model"
    assert_healthy(served)


def test_malformed_and_invalid_bodies_are_400(served):
    assert_openai_error(post(served, content=b'{"model": "base", ', **{"content-type": "application/json"}), 400,
                        "not valid JSON")  # fmt: skip
    assert_openai_error(post(served, content=b"[1, 2]", **{"content-type": "application/json"}), 400, "JSON object")
    assert_openai_error(post(served, {"model": "base"}), 400, "messages: Field required")
    assert_openai_error(post(served, chat_body(temperature=-1)), 400, "temperature")
    assert_openai_error(post(served, chat_body(n=2)), 400, "only n=1")
    bad_role = {"model": "base", "messages": [{"role": "robot", "content": "hi"}]}
    assert assert_openai_error(post(served, bad_role), 400, "'robot'")["param"] == "messages.0.role"
    assert_openai_error(post(served, {"model": "base"}, path="/v1/completions"), 400, "prompt")
    as_form = post(
        served, content=json.dumps(chat_body()).encode(), **{"content-type": "application/x-www-form-urlencoded"}
    )
    assert as_form.status_code == 200, as_form.text  # curl -d: JSON whatever the Content-Type
    assert_healthy(served)


def test_max_tokens_over_the_limit_is_400(served):
    error = assert_openai_error(post(served, chat_body(max_tokens=MAX_TOKENS_LIMIT + 1)), 400, str(MAX_TOKENS_LIMIT))
    assert error["param"] == "max_tokens"
    assert_healthy(served)


def test_oversized_bodies_are_413(served):
    big = chat_body()
    big["messages"][0]["content"] = "x" * (MAX_BODY + 1)
    assert_openai_error(post(served, big), 413, "over the limit")  # by Content-Length

    def chunked():  # no Content-Length: the bytes actually read are counted
        for _ in range(MAX_BODY // 512 + 2):
            yield b" " * 512

    assert_openai_error(post(served, content=chunked(), **{"content-type": "application/json"}), 413)
    assert_healthy(served)


def test_unknown_routes_use_the_error_shape(served):
    assert_openai_error(httpx.get(served.url + "/v1/nothing", timeout=10), 404)
    assert_healthy(served)


# --- binding and API keys -----------------------------------------------------------------------------


def test_non_loopback_needs_an_api_key(default_env):
    for host in ("127.0.0.1", "::1", "localhost"):
        check_bind(host, None)
    check_bind("0.0.0.0", KEY)
    with pytest.raises(LocoError, match="refusing to listen on 0.0.0.0 without an API key"):
        check_bind("0.0.0.0", None)
    env = {k: v for k, v in default_env.items() if k != "LOCO_API_KEY"}
    assert_user_error(loco("serve", "--host", "0.0.0.0", env=env), "refusing to listen on 0.0.0.0", "--api-key")


def test_api_key_is_required_on_v1_routes(served):
    from openai import AuthenticationError, OpenAI

    settings = ServeSettings(api_key=KEY, registry_path=served.registry_path)
    with running(create_app(served.engine, settings)) as url:
        assert_openai_error(httpx.get(url + "/v1/models", timeout=10), 401, "API key")
        wrong = {"Authorization": "Bearer nope"}
        assert_openai_error(httpx.get(url + "/v1/models", headers=wrong, timeout=10), 401)
        post_wrong = httpx.post(url + "/v1/chat/completions", json=chat_body(), headers=wrong, timeout=10)
        assert_openai_error(post_wrong, 401)
        assert httpx.get(url + "/health", timeout=10).status_code == 200  # health needs no key
        right = {"Authorization": f"Bearer {KEY}"}
        assert httpx.get(url + "/v1/models", headers=right, timeout=10).status_code == 200
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0).models.list()


def test_a_taken_port_is_a_one_line_error():
    taken = bind_socket("127.0.0.1", 0)
    port = taken.getsockname()[1]
    taken.listen()
    with pytest.raises(LocoError, match=f"cannot listen on 127.0.0.1:{port}"):
        bind_socket("127.0.0.1", port)
    taken.close()
