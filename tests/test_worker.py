"""The server's worker (serve/worker.py) on the fake backend: preparing a job's prompt, selecting
its model, the events a job emits, stop strings, cancellation and failures. Exact values: the
fake's replies are a pure function of prompt, sampling and adapter (tests/fake_backend.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import Engine, InferenceConfig
from loco_mlx.serve.catalog import Target
from loco_mlx.serve.errors import ApiError
from loco_mlx.serve.worker import (
    Failed,
    Finished,
    Job,
    Piece,
    Started,
    Worker,
    events,
    prepare,
    run_job,
    select,
)
from tests.fake_backend import FAIL, REPLY, FakeBackend, KeywordRouter, fake_engine, render_chat

GREEDY = SamplingConfig(max_tokens=64, temperature=0.0)
USER = [{"role": "user", "content": "What is 6 x 7?"}]
PROMPT_TOKENS = len(render_chat(USER))  # 32 bytes


@pytest.fixture
def engine(tmp_path):
    return fake_engine(tmp_path)


def job(target: Target, stops=(), content="What is 6 x 7?", sampling=GREEDY, **prompt) -> Job:
    """A chat job asking `content` (without RE2) unless `prompt` says otherwise (messages=, text=)."""
    prompt = prompt or {"messages": [{"role": "user", "content": content}], "inference": InferenceConfig(reread=False)}
    return Job(target, content, sampling, list(stops), **prompt)


def run(engine: Engine, job: Job, cancelled: threading.Event | None = None) -> list:
    emitted: list = []
    run_job(engine, job, emitted.append, cancelled or threading.Event())
    return emitted


def text_of(emitted: list) -> str:
    return "".join(e.text for e in emitted if isinstance(e, Piece))


# --- prepare -----------------------------------------------------------------------------------


def test_prepare_uses_the_chat_template_for_messages_and_raw_text_for_completions(engine):
    ids, sampling = prepare(engine, job(Target("base")))
    assert engine.tokenizer.decode(ids) == render_chat(USER) and sampling == GREEDY
    reread = job(Target("base"), messages=USER, inference=InferenceConfig(reread=True))
    assert engine.tokenizer.decode(prepare(engine, reread)[0]).endswith("again: What is 6 x 7?\n<assistant>")
    ids, _ = prepare(engine, job(Target("base"), text="The capital of"))
    assert engine.tokenizer.decode(ids) == "The capital of"  # no template, no RE2
    assert prepare(engine, job(Target("base"), text=None))[0] == []  # no text at all: an empty prompt


def test_prepare_caps_the_reply_to_the_context_left():
    engine = Engine(FakeBackend(context_length=40))
    assert prepare(engine, job(Target("base")))[1].max_tokens == 40 - PROMPT_TOKENS
    assert prepare(engine, job(Target("base"), text="x" * 30))[1].max_tokens == 10


@pytest.mark.parametrize("prompt,field", [({"messages": USER}, "messages"), ({"text": "x" * 10}, "prompt")])
def test_a_prompt_over_the_context_is_a_400(prompt, field):
    engine = Engine(FakeBackend(context_length=10))
    with pytest.raises(ApiError) as caught:
        prepare(engine, job(Target("base"), **prompt))
    error = caught.value
    assert (error.status, error.param, error.code) == (400, field, "context_length_exceeded")
    assert error.message.endswith("tokens, the model's context is 10")


def test_a_prompt_over_the_context_is_answered_before_started():
    emitted = run(Engine(FakeBackend(context_length=10)), job(Target("base")))
    assert len(emitted) == 1 and isinstance(emitted[0], Failed) and emitted[0].error.status == 400


# --- select ------------------------------------------------------------------------------------


def test_select_switches_to_the_base_or_the_named_adapter(tmp_path):
    engine = Engine(FakeBackend())  # knows no adapters: the target brings its paths
    (tmp_path / "math").mkdir()
    started = select(engine, job(Target("adapter", "math", {"math": tmp_path / "math"})))
    assert started == Started("math", None, "math") and engine.adapter == "math"
    assert engine.adapter_paths == {"math": tmp_path / "math"}
    assert select(engine, job(Target("base"))) == Started(None, None, "fake-base") and engine.adapter is None


def test_select_auto_routes_on_the_query(engine):
    engine.router = KeywordRouter()
    routed = select(engine, job(Target("auto"), content="give me json"))
    assert (routed.adapter, routed.route_confidence, routed.model) == ("json", 0.9, "json")
    assert routed.route["route"] == "json" and routed.route["reason"] == "keyword"  # why, for the chat page
    plain = select(engine, job(Target("auto"), content="hello"))
    assert (plain.adapter, plain.model, plain.route["route"]) == (None, "fake-base", "base")
    assert engine.router.queries == ["give me json", "hello"]


def test_a_replaced_adapter_is_served_from_its_new_directory(engine, tmp_path):
    """`loco adapters add --replace` (a higher version, a new directory) then promote, while serving."""
    (tmp_path / "math-0.2.0").mkdir()
    select(engine, job(Target("adapter", "math", {"math": tmp_path / "math"})))
    select(engine, job(Target("adapter", "math", {"math": tmp_path / "math-0.2.0"})))
    assert engine.backend.adapters.adapters["math"].path == tmp_path / "math-0.2.0"
    assert engine.adapter == "math" and engine.backend.adapters.applied == "math"
    assert engine.backend.adapters.released == ["math"]  # the old version's copy was let go
    select(engine, job(Target("adapter", "math", {"math": tmp_path / "math-0.2.0"})))
    assert engine.backend.adapters.released == ["math"]  # the same directory again: kept, not reloaded


# --- run_job -----------------------------------------------------------------------------------


def test_a_job_emits_started_pieces_and_finished(engine, tmp_path):
    emitted = run(engine, job(Target("adapter", "math", {"math": tmp_path / "math"})))
    assert emitted[0] == Started("math", None, "math")
    assert emitted[1:-1] == [Piece(c) for c in "math: " + REPLY]  # no stop strings: nothing held back
    assert emitted[-1] == Finished("stop", PROMPT_TOKENS, len("math: " + REPLY))
    base = run(engine, job(Target("base")))
    assert base[0] == Started(None, None, "fake-base") and text_of(base) == REPLY


def test_a_job_at_max_tokens_finishes_with_length(engine):
    emitted = run(engine, job(Target("base"), sampling=SamplingConfig(max_tokens=5, temperature=0.0)))
    assert text_of(emitted) == REPLY[:5] and emitted[-1] == Finished("length", PROMPT_TOKENS, 5)


def test_a_stop_string_cuts_the_reply_and_ends_generation(engine):
    emitted = run(engine, job(Target("base"), stops=["", "is 4", "zzz"]))
    assert text_of(emitted) == "The answer "
    # "is 4" ends at the 15th byte: generation stopped there, the rest was never produced
    assert emitted[-1] == Finished("stop", PROMPT_TOKENS, 15) and engine.backend.pulled == 15


def test_text_that_only_starts_a_stop_string_is_sent_at_the_end(engine):
    emitted = run(engine, job(Target("base"), stops=["2.!"]))  # the reply ends in "2." and never says "2.!"
    assert text_of(emitted) == REPLY and emitted[-1] == Finished("stop", PROMPT_TOKENS, len(REPLY))
    assert emitted[-2] == Piece("2.")  # the last two bytes were held back: the stop could have started there


def test_a_job_cancelled_while_queued_never_starts(engine):
    cancelled = threading.Event()
    cancelled.set()
    assert run(engine, job(Target("adapter", "math")), cancelled) == [] and engine.adapter is None


def test_a_job_cancelled_while_generating_stops_generating(engine):
    cancelled, emitted = threading.Event(), []

    def emit(item):
        emitted.append(item)
        if len(emitted) == 4:  # Started and three pieces: the client leaves
            cancelled.set()

    run_job(engine, job(Target("base")), emit, cancelled)
    assert emitted == [Started(None, None, "fake-base"), Piece("T"), Piece("h"), Piece("e"), Finished("stop", 32, 3)]
    assert engine.backend.pulled == 3


def test_failures_are_emitted_not_raised(engine):
    early = run(engine, job(Target("adapter", "nope")))
    assert len(early) == 1 and isinstance(early[0], Failed) and "unknown adapter 'nope'" in str(early[0].error)
    late = run(engine, job(Target("base"), content=FAIL))
    assert [type(e) for e in late] == [Started, Piece, Failed] and late[1] == Piece("T")
    assert str(late[2].error) == "the fake model failed"


# --- the Worker --------------------------------------------------------------------------------


def test_the_worker_answers_failures_and_keeps_serving(engine, tmp_path):
    async def scenario():
        worker = Worker(engine)
        try:
            with pytest.raises(ApiError) as early:
                await worker.start(job(Target("adapter", "nope")))
            assert (early.value.status, early.value.code) == (400, "invalid_request")

            started, queue, cancelled = await worker.start(job(Target("base"), content=FAIL))
            assert started == Started(None, None, "fake-base")
            seen = []
            with pytest.raises(ApiError) as late:
                async for item in events(queue, cancelled):
                    seen.append(item)
            assert seen == [Piece("T")] and late.value.status == 500 and late.value.code == "generation_error"
            assert late.value.message == "generation failed: RuntimeError: the fake model failed"

            target = Target("adapter", "math", {"math": tmp_path / "math"})
            started, queue, cancelled = await worker.start(job(target, stops=["42"]))
            items = [item async for item in events(queue, cancelled)]
            assert started.adapter == "math" and cancelled.is_set()  # set once the events end: a no-op then
            # the stop "42" ends at the 22nd byte
            assert items == [*map(Piece, "math: The answer is "), Finished("stop", PROMPT_TOKENS, 22)]
        finally:
            worker.close()

    asyncio.run(scenario())


def test_leaving_the_events_early_cancels_the_job(engine):
    async def scenario():
        worker = Worker(engine)
        try:
            _, queue, cancelled = await worker.start(job(Target("base")))
            stream = events(queue, cancelled)
            assert await anext(stream) == Piece("T") and not cancelled.is_set()
            await stream.aclose()  # what a client's disconnect does to the response's iterator
            assert cancelled.is_set()
        finally:
            worker.close()

    asyncio.run(scenario())
