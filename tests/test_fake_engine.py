"""Engine, voting, routing glue, chat and the server worker on the fake backend (no model).

Every value is exact: the fake's replies are a pure function of the prompt, the sampling
settings and the active adapter (tests/fake_backend.py). The real-model versions of these
paths stay in test_engine.py, test_serve.py and test_llamacpp_backend.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import ContextOverflow, SamplingConfig
from loco_mlx.inference.chat import ChatSession, run_repl
from loco_mlx.inference.engine import Engine, InferenceConfig
from loco_mlx.serve.catalog import Target
from loco_mlx.serve.errors import ApiError
from loco_mlx.serve.worker import Failed, Finished, Job, Piece, Started, prepare, run_job
from tests.fake_backend import REPLY, FakeBackend, render_chat

GREEDY = SamplingConfig(max_tokens=64, temperature=0.0)
USER = [{"role": "user", "content": "What is 6 x 7?"}]


@pytest.fixture
def engine(tmp_path):
    for name in ("math", "json"):
        (tmp_path / name).mkdir()
    return Engine(FakeBackend(), {"math": tmp_path / "math", "json": tmp_path / "json", "gone": tmp_path / "gone"})


# --- prompts and streaming --------------------------------------------------------------------


def test_rereading_repeats_only_the_last_user_message(engine):
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    messages.append({"role": "user", "content": "c"})
    ids, _ = engine.prepare_prompt(messages, GREEDY, InferenceConfig(reread=True))
    assert engine.tokenizer.decode(ids) == "<user>a\n<assistant>b\n<user>c\nRead the question again: c\n<assistant>"
    ids, _ = engine.prepare_prompt(messages, GREEDY, InferenceConfig(reread=False))
    assert engine.tokenizer.decode(ids) == render_chat(messages)


def test_the_reply_is_capped_to_the_context_left_and_an_overflow_is_an_error(tmp_path):
    engine = Engine(FakeBackend(context_length=40))
    ids, sampling = engine.prepare_prompt(USER, SamplingConfig(max_tokens=100), None)
    assert len(ids) == 32 and sampling.max_tokens == 8  # 40 - 32 left
    assert engine.fit_to_context(ids, SamplingConfig(max_tokens=5)).max_tokens == 5  # already fits: unchanged
    with pytest.raises(ContextOverflow, match="the prompt is 40 tokens, the model's context is 40"):
        engine.fit_to_context([1] * 40, GREEDY)


def test_streaming_gives_the_reply_piece_by_piece_and_stats_last(engine):
    events = list(engine.chat(USER, GREEDY))
    assert "".join(e.text for e in events) == REPLY and len(events) == len(REPLY)
    assert [e.stats is not None for e in events] == [False] * (len(REPLY) - 1) + [True]
    stats = events[-1].stats
    assert (stats.generated_tokens, stats.finish_reason) == (len(REPLY), "stop")
    text, stats = engine.complete("What is 6 x 7?", SamplingConfig(max_tokens=6, temperature=0.0))
    assert (text, stats.generated_tokens, stats.finish_reason) == (REPLY[:6], 6, "length")


# --- adapters ----------------------------------------------------------------------------------


def test_switching_adapters_changes_the_reply_and_none_is_the_base(engine):
    engine.use_adapter("math")
    assert engine.adapter == "math" and engine.complete("q", GREEDY)[0] == "math: " + REPLY
    engine.use_adapter("json")
    assert engine.complete("q", GREEDY)[0] == "json: " + REPLY
    assert engine.is_loaded("math") and engine.is_loaded("json") and len(engine.switch_seconds()) == 2
    engine.use_adapter("none")
    assert engine.adapter is None and engine.complete("q", GREEDY)[0] == REPLY


def test_a_failed_switch_keeps_the_current_adapter(engine):
    engine.use_adapter("math")
    with pytest.raises(LocoError, match=r"unknown adapter 'nope' \(available: gone, json, math\)"):
        engine.use_adapter("nope")
    with pytest.raises(LocoError, match="no adapter directory"):
        engine.use_adapter("gone")
    assert engine.adapter == "math" and engine.complete("q", GREEDY)[0] == "math: " + REPLY


def test_base_only_is_the_plain_base_for_its_duration(engine):
    engine.use_adapter("math")
    with engine.base_only():
        assert engine.complete("q", GREEDY)[0] == REPLY
    assert engine.complete("q", GREEDY)[0] == "math: " + REPLY


def test_the_memory_budget_evicts_the_least_recently_used_never_the_active(engine):
    engine.use_adapter("math")
    engine.use_adapter("json")  # math is now the least recently used
    engine.set_adapter_budget(1500)  # room for one 1000-byte adapter
    assert [name for name, _ in engine.adapter_memory()] == ["json"]
    assert engine.backend.adapters.released == ["math"]
    engine.use_adapter("math")  # loaded again on demand; json goes
    assert [name for name, _ in engine.adapter_memory()] == ["math"] and engine.adapter == "math"


# --- voting ------------------------------------------------------------------------------------


def test_votes_are_one_batch_at_the_vote_temperature_and_the_majority_wins(engine):
    inference = InferenceConfig(votes=5, vote_temperature=0.9, vote_method="numeric")
    result = engine.vote(USER, SamplingConfig(max_tokens=64, temperature=0.0, seed=3), inference)
    assert engine.backend.batches == [5]  # five samples, one batched call
    answers = [s.text for s in result.samples]
    assert len(set(answers)) > 1  # sampled (the vote temperature), not greedy
    count = dict(result.distribution)
    assert result.answer == max(count, key=count.get) and result.text in answers
    assert result.describe().startswith("numeric vote over 5: ")


def test_best_of_n_returns_the_most_likely_sample(engine):
    result = engine.vote(USER, SamplingConfig(seed=1), InferenceConfig(votes=4, vote_method="best"))
    assert result.text == max(result.samples, key=lambda s: s.mean_logprob).text
    assert result.describe() == "best of 4 by mean log-probability"


# --- routing glue --------------------------------------------------------------------------------


@dataclass
class FakeDecision:
    label: str
    confidence: float = 0.9
    margin: float = 0.5
    low_confidence: bool = False
    truncated: bool = False

    @property
    def adapter(self):
        return None if self.label == "base" else self.label


class KeywordRouter:
    def route(self, query: str):
        return FakeDecision("json" if "json" in query else "base")


def test_routing_switches_to_the_routers_choice_until_paused(engine):
    assert engine.route("json please") is None  # no router: nothing routed
    engine.router = KeywordRouter()
    assert engine.route("json please").label == "json" and engine.adapter == "json"
    assert engine.route("hello").label == "base" and engine.adapter is None
    engine.routing = False  # chat's /adapter NAME
    assert engine.route("json please") is None and engine.adapter is None


# --- chat --------------------------------------------------------------------------------------


def test_chat_drops_the_oldest_turns_to_fit_and_keeps_the_current_one(tmp_path):
    engine = Engine(FakeBackend(context_length=120))
    session = ChatSession(engine, SamplingConfig(max_tokens=20, temperature=0.0))
    session.history = [{"role": "user", "content": "x" * 30}, {"role": "assistant", "content": "ok"}] * 2
    messages = session.fit_messages("now")
    assert messages == [*session.history, {"role": "user", "content": "now"}] and session.dropped_turns == 1
    assert len(engine.encode_chat(messages)) + 20 <= 120
    with pytest.raises(LocoError, match="too long for the model's 120-token context"):
        session.fit_messages("y" * 200)


def test_repl_switches_adapters_and_reports_them(engine):
    session = ChatSession(engine, GREEDY)
    inputs = iter(["/adapter math", "hi", "/adapter nope", "/adapters", "/stats", "/quit"])
    out: list[str] = []
    run_repl(session, read=lambda _: next(inputs), write=lambda *a, **k: out.append(" ".join(map(str, a))))
    text = "\n".join(out)
    assert "(now using math; switched in " in text
    assert "error: unknown adapter 'nope'" in text and "(still using math)" in text
    assert " * math (loaded)  " in text and "   json  " in text
    assert "  math: 0.00 MiB" in text and "switches: 1, median " in text
    assert session.history[-1] == {"role": "assistant", "content": "math: " + REPLY}


# --- the server's worker -----------------------------------------------------------------------


def job(target: Target, **prompt) -> Job:
    prompt = prompt or {"messages": USER, "inference": InferenceConfig(reread=False)}
    return Job(target, "What is 6 x 7?", GREEDY, [], **prompt)


def run(engine: Engine, job: Job, cancelled: threading.Event | None = None) -> list:
    events: list = []
    run_job(engine, job, events.append, cancelled or threading.Event())
    return events


def test_prepare_uses_the_chat_template_for_messages_and_raw_text_for_completions(engine):
    ids, sampling = prepare(engine, job(Target("base")))
    assert engine.tokenizer.decode(ids) == render_chat(USER) and sampling == GREEDY
    ids, _ = prepare(engine, job(Target("base"), text="The capital of"))
    assert engine.tokenizer.decode(ids) == "The capital of"


def test_a_prompt_over_the_context_is_a_400(tmp_path):
    engine = Engine(FakeBackend(context_length=10))
    with pytest.raises(ApiError) as caught:
        prepare(engine, job(Target("base")))
    assert caught.value.status == 400 and caught.value.code == "context_length_exceeded"


def test_a_job_emits_started_pieces_and_finished(engine, tmp_path):
    events = run(engine, job(Target("adapter", "math", {"math": tmp_path / "math"})))
    assert events[0] == Started("math", None, "math")
    assert "".join(e.text for e in events if isinstance(e, Piece)) == "math: " + REPLY
    assert events[-1] == Finished("stop", len(render_chat(USER)), len("math: " + REPLY))
    base = run(engine, job(Target("base")))
    assert base[0].adapter is None and "".join(e.text for e in base if isinstance(e, Piece)) == REPLY


def test_auto_routes_on_the_query(engine):
    engine.router = KeywordRouter()
    routed = Job(Target("auto"), "give me json", GREEDY, [], messages=USER)
    events = run(engine, routed)
    assert events[0] == Started("json", 0.9, "json") and events[-1].finish_reason == "stop"


def test_a_stop_string_cuts_the_reply_and_ends_generation(engine):
    stopped = Job(Target("base"), None, GREEDY, ["is 4"], messages=USER)
    events = run(engine, stopped)
    assert "".join(e.text for e in events if isinstance(e, Piece)) == "The answer "
    assert events[-1].finish_reason == "stop" and events[-1].completion_tokens < len(REPLY)


def test_a_cancelled_job_never_starts_and_a_failure_does_not_escape(engine):
    cancelled = threading.Event()
    cancelled.set()
    assert run(engine, job(Target("base")), cancelled) == []
    events = run(engine, job(Target("adapter", "nope")))
    assert len(events) == 1 and isinstance(events[0], Failed) and "unknown adapter 'nope'" in str(events[0].error)
