"""`loco serve` with continuous batching (serve/batched.py): the real server on the embedded base with the
shipped math, json and code adapters, many requests at once.

Each batched row is compared token for token with the same request run alone on the one-at-a-time path;
a row may part from it only where that run's top two logits were within NEAR_TIE (batched arithmetic has
other shapes, so a near-tie may fall the other way). Then: routing per request, a client leaving
mid-stream, more requests than rows, a prompt over the context, and the server staying up.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from loco_mlx.serve import ServeSettings, create_app
from tests.helpers import auto_engine, running
from tests.test_serve import alone_tokens, assert_openai_error, recorded_rows, solo

pytestmark = pytest.mark.integration

SHIPPED = Path(__file__).resolve().parents[1] / "adapters"
ADAPTERS = {"math": ["farmer", "apples"], "json": ["json"], "code": ["python"]}  # name: router keywords
MODELS = ("base", *ADAPTERS)
NEAR_TIE = 0.1  # top-2 logit margin at which batched and one-at-a-time arithmetic may pick differently
QUESTIONS = (
    "What is 12 times 7?",
    "A farmer has 3 pigs and buys 5 more. How many pigs does he have?",
    "Extract the name and age as JSON: Bob is 31 years old.",
    "Write a python function that reverses a string.",
    "Explain in one sentence what a prime number is.",
    "Tom reads 15 pages a day for 6 days. How many pages does he read?",
    "Write a python function that returns the largest of three numbers.",
    "Extract the city and country as JSON: Paris is the capital of France.",
    "Name three colors.",
    "Say hello to Bob.",
)
LONG = "Count from one to fifty in words."


@dataclass
class Served:
    url: str
    app: object
    engine: object
    paths: dict[str, Path]


@pytest.fixture(scope="module")
def engine_and_paths(default_home, tmp_path_factory):
    registry_path = tmp_path_factory.mktemp("serve-batching") / "registry" / "registry.yaml"
    adapters = {name: (SHIPPED / name, {k: 2.0 for k in keywords}) for name, keywords in ADAPTERS.items()}
    with auto_engine(default_home, registry_path, adapters) as (engine, _):
        yield engine, registry_path, {name: SHIPPED / name for name in ADAPTERS}


@pytest.fixture(scope="module")
def served(engine_and_paths):
    engine, registry_path, paths = engine_and_paths
    app = create_app(engine, ServeSettings(registry_path=registry_path, max_batch=8))
    with running(app) as url:
        yield Served(url, app, engine, paths)


def chat(url: str, model: str, prompt: str, max_tokens: int = 12, **extra) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
            "temperature": 0, **extra}  # fmt: skip
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=600)


def health(url: str) -> dict:
    return httpx.get(url + "/health", timeout=10).json()


def margin_where_parted(engine, adapter_path: Path | None, prompt_ids: list[int], alone: list[int], at: int) -> float:
    """The one-at-a-time run's top-2 logit margin where it chose alone[at]."""
    with solo(engine, adapter_path):
        top = np.sort(np.asarray(engine.sequence_logits(list(prompt_ids) + alone[:at])[-1]))[-2:]
    return float(top[1] - top[0])


def first_difference(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


# --- replies ---------------------------------------------------------------------------------------------


def test_forty_concurrent_requests_equal_the_same_requests_alone(served, default_engine):
    requests = [(model, question) for question in QUESTIONS for model in MODELS]  # 40, every model on every one
    with recorded_rows(served.app) as handles, ThreadPoolExecutor(len(requests)) as pool:
        replies = list(pool.map(lambda req: chat(served.url, *req), requests))
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies if r.status_code != 200]
    for (model, _), reply in zip(requests, replies):
        assert reply.json()["loco"]["adapter"] == (None if model == "base" else model)
    sent = sorted(r.json()["choices"][0]["message"]["content"] for r in replies)
    assert sent == sorted(h.text for h in handles)  # every client got what its row decoded

    identical, parted = 0, []
    for handle in handles:
        path = served.paths.get(handle.request.adapter)
        request = handle.request
        alone = alone_tokens(default_engine, path, request.prompt_ids, request.sampling.max_tokens, request.guide)
        if handle.tokens == alone:
            identical += 1
            continue
        at = first_difference(handle.tokens, alone)
        parted.append((handle.request.adapter, at, margin_where_parted(default_engine, path, handle.request.prompt_ids,
                                                                       alone, at)))  # fmt: skip
    guided = [h for h in handles if h.request.guide is not None]  # the two JSON questions name their keys
    assert len(guided) == 2 * len(MODELS) and all(h.text.startswith('{"' + h.request.guide.keys[0]) for h in guided)
    summary = f"{identical}/{len(handles)} identical to the request alone; parted (adapter, token, margin): {parted}"
    assert len(handles) == len(requests), summary
    assert identical >= 0.95 * len(handles), summary
    assert all(margin <= NEAR_TIE for *_, margin in parted), summary
    print("\n" + summary)


def test_auto_routes_each_request_on_its_own_message_without_switching_the_engine(served):
    before = served.engine.adapter
    asks = {"Extract the name as json: Ann is 4.": "json", "Write a python function that adds.": "code",
            "A farmer has 3 apples and buys 2 more. How many apples?": "math", "Name three colors.": None}  # fmt: skip
    with ThreadPoolExecutor(len(asks)) as pool:
        replies = dict(zip(asks, pool.map(lambda q: chat(served.url, "auto", q, max_tokens=4), asks)))
    for question, want in asks.items():
        loco = replies[question].json()["loco"]
        assert loco["adapter"] == want and loco["route"]["route"] == (want or "base"), (question, loco)
    assert served.engine.adapter == before  # routed rows carry their adapter; the engine's active one is untouched


def test_a_request_with_votes_decodes_alone_beside_the_batch(served):
    """Votes go down the one-at-a-time path (many samples, one reply) while other requests still batch."""
    with ThreadPoolExecutor(3) as pool:
        voted = pool.submit(chat, served.url, "math", "Tom reads 15 pages a day for 6 days. How many pages?",
                            max_tokens=24, votes=3, temperature=0.8)  # fmt: skip
        others = [pool.submit(chat, served.url, "base", q, max_tokens=6) for q in QUESTIONS[:2]]
        reply = voted.result().json()
        assert all(other.result().status_code == 200 for other in others)
    vote = reply["loco"]["vote"]
    assert vote["samples"] == 3 and sum(count for _, count in vote["distribution"]) <= 3
    assert reply["choices"][0]["message"]["content"] and reply["loco"]["adapter"] == "math"
    assert health(served.url)["status"] == "ok"


# --- leaving, overload and refusals ----------------------------------------------------------------------


def test_a_client_that_leaves_mid_stream_frees_its_row(served):
    body = {"model": "base", "messages": [{"role": "user", "content": LONG}], "max_tokens": 200, "temperature": 0,
            "stream": True}  # fmt: skip
    with httpx.Client(timeout=600) as keeps, httpx.Client(timeout=600) as leaves:
        with keeps.stream("POST", served.url + "/v1/chat/completions", json=body) as kept:
            lines = kept.iter_lines()
            next(line for line in lines if line)  # the kept stream is decoding
            with leaves.stream("POST", served.url + "/v1/chat/completions", json=body) as left:
                for _ in zip(range(3), left.iter_lines()):
                    pass  # a few tokens, then the client hangs up
            assert wait_for(lambda: health(served.url)["active_rows"] == 1, seconds=10), health(served.url)
            assert next(line for line in lines if line).startswith("data: ")  # the other row goes on
    assert wait_for(lambda: health(served.url)["queue"] == 0, seconds=10), health(served.url)


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_hundred_requests_against_four_rows_queue_and_are_all_answered(engine_and_paths):
    engine, registry_path, _ = engine_and_paths
    app = create_app(engine, ServeSettings(registry_path=registry_path, max_batch=4))
    seen: list[dict] = []
    with running(app) as url:
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                seen.append(health(url))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(100) as pool:
                replies = list(
                    pool.map(lambda i: chat(url, MODELS[i % 4], QUESTIONS[i % 10], max_tokens=3), range(100))
                )
        finally:
            done.set()
            watcher.join()
        assert [r.status_code for r in replies] == [200] * 100, next(r.text for r in replies if r.status_code != 200)
        assert max(h["active_rows"] for h in seen) <= 4 and max(h["queue"] for h in seen) > 4, seen[-5:]

        too_long = chat(url, "base", "hello " * engine.context_length)
        error = assert_openai_error(too_long, 400, f"the model's context is {engine.context_length}")
        assert error["code"] == "context_length_exceeded"
        assert chat(url, "json", QUESTIONS[2], max_tokens=3).status_code == 200  # still serving
        last = health(url)
        assert last["queue"] == 0 and last["batching"] is True and last["max_batch"] == 4
        assert sum(last["requests"].values()) == 101 and set(last["requests"]) == set(MODELS)
        assert last["prefix_cache"]["hits"] > 90 and last["prefix_cache"]["reused_tokens"] > 90 * 10  # the chat
        # template's start, prefilled once per model
