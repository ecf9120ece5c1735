"""Engine, voting, routing glue and the chat session on the fake backend (no model).

Every value is exact: the fake's replies are a pure function of the prompt, the sampling
settings and the active adapter (tests/fake_backend.py). The server's worker is in
test_worker.py; the real-model versions of these paths stay in test_engine.py, test_serve.py
and test_llamacpp_backend.py.
"""

from __future__ import annotations

import re

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import ContextOverflow, SamplingConfig
from loco_mlx.inference.chat import ChatSession, run_repl
from loco_mlx.inference.engine import Engine, InferenceConfig
from tests.fake_backend import REPLY, FakeBackend, FakeDecision, KeywordRouter, fake_engine, render_chat

GREEDY = SamplingConfig(max_tokens=64, temperature=0.0)
USER = [{"role": "user", "content": "What is 6 x 7?"}]


@pytest.fixture
def engine(tmp_path):
    return fake_engine(tmp_path)


# --- prompts and streaming --------------------------------------------------------------------


def test_rereading_repeats_only_the_last_user_message(engine):
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "a"}]
    messages += [{"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    ids, _ = engine.prepare_prompt(messages, GREEDY, InferenceConfig(reread=True))
    reread = "<user>c\nRead the question again: c\n<assistant>"
    assert engine.tokenizer.decode(ids) == "<system>S\n<user>a\n<assistant>b\n" + reread
    assert messages[-1]["content"] == "c"  # the caller's messages are untouched
    for inference in (InferenceConfig(reread=False), None):
        ids, _ = engine.prepare_prompt(messages, GREEDY, inference)
        assert engine.tokenizer.decode(ids) == render_chat(messages)


def test_the_reply_is_capped_to_the_context_left_and_an_overflow_is_an_error():
    engine = Engine(FakeBackend(context_length=40))
    ids, sampling = engine.prepare_prompt(USER, SamplingConfig(max_tokens=100), None)
    assert len(ids) == 32 and sampling.max_tokens == 8  # 40 - 32 left
    assert engine.fit_to_context(ids, SamplingConfig(max_tokens=5)).max_tokens == 5  # already fits: unchanged
    assert engine.fit_to_context([1] * 39, GREEDY).max_tokens == 1  # the last free position
    with pytest.raises(ContextOverflow, match="the prompt is 40 tokens, the model's context is 40"):
        engine.fit_to_context([1] * 40, GREEDY)
    with pytest.raises(ContextOverflow, match="the prompt is 50 tokens, the model's context is 40"):
        list(engine.generate("What is 6 x 7?", GREEDY, system="Be brief."))  # "<system>Be brief.\n": 18 more


def test_a_capped_reply_ends_at_the_cap_with_finish_reason_length():
    engine = Engine(FakeBackend(context_length=40))
    text, stats = engine.complete("What is 6 x 7?", SamplingConfig(max_tokens=100, temperature=0.0))
    assert (text, stats.prompt_tokens, stats.generated_tokens, stats.finish_reason) == (REPLY[:8], 32, 8, "length")


def test_streaming_gives_the_reply_piece_by_piece_and_stats_last(engine):
    events = list(engine.chat(USER, GREEDY))
    assert [e.text for e in events] == list(REPLY)
    assert [e.stats is not None for e in events] == [False] * (len(REPLY) - 1) + [True]
    stats = events[-1].stats
    assert (stats.prompt_tokens, stats.generated_tokens, stats.finish_reason) == (32, len(REPLY), "stop")
    text, stats = engine.complete("What is 6 x 7?", SamplingConfig(max_tokens=6, temperature=0.0))
    assert (text, stats.generated_tokens, stats.finish_reason) == (REPLY[:6], 6, "length")


def test_seeded_sampling_repeats_and_differs_from_greedy(engine):
    first = engine.complete("q", SamplingConfig(temperature=0.8, seed=5))[0]
    assert first == engine.complete("q", SamplingConfig(temperature=0.8, seed=5))[0] == "Maybe 9."
    assert engine.complete("q", SamplingConfig(temperature=0.8, seed=1))[0] == "It is 7."


# --- adapters ----------------------------------------------------------------------------------


def test_switching_adapters_changes_the_reply_and_none_is_the_base(engine):
    assert engine.adapter is None and engine.complete("q", GREEDY)[0] == REPLY
    engine.use_adapter("math")
    assert engine.adapter == "math" and engine.complete("q", GREEDY)[0] == "math: " + REPLY
    engine.use_adapter("json")
    assert engine.complete("q", GREEDY)[0] == "json: " + REPLY
    assert engine.is_loaded("math") and engine.is_loaded("json") and len(engine.switch_seconds()) == 2
    for base in ("none", "base", None):
        engine.use_adapter("json")
        engine.use_adapter(base)
        assert engine.adapter is None and engine.complete("q", GREEDY)[0] == REPLY
    assert engine.is_loaded("json")  # the base is a switch, not an unload


def test_a_failed_switch_keeps_the_current_adapter(engine):
    engine.use_adapter("math")
    with pytest.raises(LocoError, match=r"^unknown adapter 'nope' \(available: gone, json, math\)$"):
        engine.use_adapter("nope")
    with pytest.raises(LocoError, match="no adapter directory"):
        engine.use_adapter("gone")
    assert engine.adapter == "math" and engine.complete("q", GREEDY)[0] == "math: " + REPLY
    assert not engine.is_loaded("gone") and len(engine.switch_seconds()) == 1
    with pytest.raises(LocoError, match=r"\(available: none registered\)"):
        Engine(FakeBackend()).use_adapter("math")


def test_a_replacement_that_fails_to_load_keeps_the_current_adapter(engine, tmp_path):
    """The registry points "math" at a new directory that cannot be loaded: the switch fails, and
    as with any failed switch the adapter in use stays in use."""
    engine.use_adapter("math")
    engine.adapter_paths["math"] = tmp_path / "math-0.2.0"  # registered, never written
    with pytest.raises(LocoError, match="no adapter directory"):
        engine.use_adapter("math")
    assert engine.adapter == "math" and engine.complete("q", GREEDY)[0] == "math: " + REPLY


def test_base_only_is_the_plain_base_for_its_duration(engine):
    engine.use_adapter("math")
    with engine.base_only():
        assert engine.complete("q", GREEDY)[0] == REPLY
        assert engine.adapter == "math"  # still the active one: only the computation skips it
    assert engine.complete("q", GREEDY)[0] == "math: " + REPLY
    with pytest.raises(ValueError), engine.base_only():
        raise ValueError  # an error inside still restores the adapter
    assert engine.complete("q", GREEDY)[0] == "math: " + REPLY


def test_the_memory_budget_evicts_the_least_recently_used_never_the_active(engine):
    engine.use_adapter("math")
    engine.use_adapter("json")  # math is now the least recently used
    assert engine.adapter_memory() == [("math", 1000), ("json", 1000)]
    engine.set_adapter_budget(1500)  # room for one 1000-byte adapter
    assert engine.adapter_memory() == [("json", 1000)] and engine.backend.adapters.released == ["math"]
    engine.use_adapter("math")  # loaded again on demand; json goes once it is no longer active
    assert engine.adapter_memory() == [("math", 1000)] and engine.adapter == "math"
    assert engine.backend.adapters.released == ["math", "json"]
    engine.set_adapter_budget(500)  # less than the active adapter alone: it stays
    assert engine.adapter_memory() == [("math", 1000)]
    engine.set_adapter_budget(None)  # no limit
    engine.use_adapter("json")
    assert engine.adapter_memory() == [("math", 1000), ("json", 1000)]


def test_the_engine_reports_its_base_and_closes_its_backend(engine):
    assert (engine.backend_name, engine.base.record.id, engine.context_length) == ("fake", "fake-base", 4096)
    assert engine.eos_token_ids() == [256] and engine.encode_text("hi") == [104, 105]
    assert engine.greedy_tokens([1], 3) == [84, 104, 101]  # "The"
    engine.close()
    assert engine.backend.closed


# --- voting ------------------------------------------------------------------------------------


def test_votes_are_one_batch_at_the_vote_temperature_and_the_majority_wins(engine):
    inference = InferenceConfig(votes=5, vote_temperature=0.9, vote_method="numeric")
    result = engine.vote(USER, SamplingConfig(max_tokens=64, temperature=0.0, seed=3), inference)
    assert engine.backend.batches == [(5, SamplingConfig(max_tokens=64, temperature=0.9, seed=3))]
    assert [s.text for s in result.samples] == ["It is 7.", "Maybe 9.", "Maybe 9.", "It is 7.", "I think 7."]
    assert (result.answer, result.text, result.distribution) == ("7", "It is 7.", [("7", 3), ("9", 2)])
    assert result.describe() == "numeric vote over 5: 7 x3, 9 x2"


def test_vote_methods_exact_and_auto_on_the_same_samples(engine):
    sampling = SamplingConfig(seed=3)
    exact = engine.vote(USER, sampling, InferenceConfig(votes=5, vote_method="exact"))
    assert exact.distribution == [("it is 7", 2), ("maybe 9", 2), ("i think 7", 1)]  # a tie: first reached wins
    assert (exact.answer, exact.text) == ("it is 7", "It is 7.")
    auto = engine.vote(USER, sampling, InferenceConfig(votes=5, vote_method="auto"))
    assert (auto.method, auto.answer) == ("numeric", "7")  # every sample holds a number


def test_best_of_n_returns_the_most_likely_sample_not_the_majority(engine):
    result = engine.vote(USER, SamplingConfig(seed=5), InferenceConfig(votes=5, vote_method="best"))
    assert [s.text for s in result.samples] == ["Maybe 9.", "I think 7.", "Maybe 9.", "I think 7.", "Maybe 9."]
    assert (result.text, result.answer, result.method) == ("I think 7.", None, "best")  # -0.2 beats -0.3 x3
    assert result.describe() == "best of 5 by mean log-probability"


def test_votes_are_capped_to_the_context_and_reread_like_a_reply():
    engine = Engine(FakeBackend(context_length=80))
    engine.vote(USER, SamplingConfig(max_tokens=64, seed=1), InferenceConfig(votes=2))
    (count, sampling), = engine.backend.batches  # fmt: skip
    assert (count, sampling.max_tokens) == (2, 80 - 72)  # RE2's prompt is 72 tokens


# --- routing glue --------------------------------------------------------------------------------


def test_routing_switches_to_the_routers_choice_until_paused(engine):
    assert engine.route("json please") is None and not engine.auto  # no router: nothing routed
    engine.router = KeywordRouter()
    assert engine.auto
    assert engine.route("json please").label == "json" and engine.adapter == "json"
    assert engine.route("hello").label == "base" and engine.adapter is None
    engine.routing = False  # chat's /adapter NAME
    assert engine.route("json please") is None and engine.adapter is None and not engine.auto
    engine.routing = True  # chat's /adapter auto
    assert engine.route("json please").label == "json" and engine.adapter == "json"
    assert engine.router.queries == ["json please", "hello", "json please"]


def test_chat_routes_each_message_and_notes_an_unsure_choice(engine):
    class Unsure(KeywordRouter):
        def route(self, query):
            return FakeDecision("math", confidence=0.55, margin=0.05, low_confidence=True)

    engine.router = Unsure()
    session = ChatSession(engine, GREEDY)
    events = list(session.send("add these"))
    assert events[0].notice == "(routed to math with little margin (0.55 vs 0.50); /adapter NAME picks one yourself)"
    assert "".join(e.text for e in events) == "math: " + REPLY and engine.adapter == "math"


# --- chat --------------------------------------------------------------------------------------


def test_chat_drops_the_oldest_turns_to_fit_and_keeps_the_current_one():
    engine = Engine(FakeBackend(context_length=120))
    plain = InferenceConfig(reread=False)  # measured as sent: without RE2 here (see the test below)
    session = ChatSession(engine, SamplingConfig(max_tokens=20, temperature=0.0), inference=plain)
    turns = [[{"role": "user", "content": c * 30}, {"role": "assistant", "content": "ok"}] for c in "xyz"]
    session.history = [m for turn in turns for m in turn]
    messages = session.fit_messages("now")
    assert session.history == turns[2] and session.dropped_turns == 2  # the two oldest went, in order
    assert messages == [*turns[2], {"role": "user", "content": "now"}]
    assert len(engine.encode_chat(messages)) == 72  # 72 + 20 fits 120; one more turn (51) would not
    with pytest.raises(LocoError, match="too long for the model's 120-token context"):
        session.fit_messages("y" * 200)
    assert session.history == []


def test_chat_reserves_at_most_half_the_context_for_the_reply():
    engine = Engine(FakeBackend(context_length=100))
    plain = InferenceConfig(reread=False)
    session = ChatSession(engine, SamplingConfig(max_tokens=1000, temperature=0.0), inference=plain)
    assert len(engine.encode_chat(session.fit_messages("x" * 32))) == 50  # 50 + 50 reserved fits
    with pytest.raises(LocoError, match="too long"):
        session.fit_messages("x" * 33)


def test_chat_fits_the_prompt_it_sends_with_rereading_on():
    engine = Engine(FakeBackend(context_length=120))
    session = ChatSession(engine, SamplingConfig(max_tokens=20, temperature=0.0))  # RE2 is on by default
    session.history = [{"role": "user", "content": "x" * 30}, {"role": "assistant", "content": "ok"}]
    reply = "".join(e.text for e in session.send("y" * 20))  # the older turn must go to make room
    assert reply == REPLY and session.dropped_turns == 1


def test_a_chat_turn_with_votes_answers_the_majority_and_notes_the_distribution(engine):
    session = ChatSession(engine, SamplingConfig(seed=3), inference=InferenceConfig(votes=5, vote_method="numeric"))
    events = list(session.send("What is 3 + 4?"))
    assert [(e.text, e.note) for e in events] == [("It is 7.", None), ("", "numeric vote over 5: 7 x3, 9 x2")]
    assert session.history[-1] == {"role": "assistant", "content": "It is 7."}


def test_slash_votes_turns_votes_on_and_off_in_a_chat(engine):
    session = ChatSession(engine, SamplingConfig(seed=3), inference=InferenceConfig(vote_method="numeric"))
    text = transcript(session, "/votes", "/votes 5", "What is 3 + 4?", "/votes 17", "/votes x", "/votes 1")
    assert "(votes: 1; /votes N sets them, /votes 1 turns them off)" in text
    assert (
        "(votes on: 5 samples at 0.7)\nIt is 7.\n[fake-base + base (cpu, fake) | numeric vote over 5: 7 x3, 9 x2]"
        in text
    )
    assert "/votes takes a whole number from 1 to 16, got '17'" in text and "got 'x'" in text
    assert "(votes off)" in text and session.inference.votes == 1


def transcript(session: ChatSession, *lines: str) -> str:
    """What the REPL prints for these input lines, with switch times shown as <t>."""
    inputs, out = iter([*lines, "/quit"]), []

    def write(*parts, end="\n", flush=False):
        out.append(" ".join(map(str, parts)) + end)

    run_repl(session, read=lambda _: next(inputs), write=write)
    return re.sub(r"\d+\.\d\d ms", "<t> ms", "".join(out))


def test_the_repl_answers_switches_adapters_and_reports_them(engine, tmp_path):
    session = ChatSession(engine, GREEDY)
    text = transcript(session, "hi", "/system be brief", "/bogus", "/adapter math", "again", "/adapter nope",
                      "/adapters", "/stats")  # fmt: skip
    # "hi" with RE2 is 48 prompt bytes; "again" under the system prompt is 71.
    expected = f"""chatting with fake-base + base (cpu, fake); /help for commands, /quit to leave
The answer is 42.
[fake-base + base (cpu, fake) | prompt 48 tok, 1000.0 tok/s | reply 17 tok, 100.0 tok/s | stop]
(system prompt set; conversation cleared)
unknown command /bogus; /help lists them
(now using math; switched in <t> ms)
math: The answer is 42.
[fake-base + math (cpu, fake) | prompt 71 tok, 1000.0 tok/s | reply 23 tok, 100.0 tok/s | stop]
error: unknown adapter 'nope' (available: gone, json, math) (still using math)
   gone  {tmp_path / "gone"}
   json  {tmp_path / "json"}
 * math (loaded)  {tmp_path / "math"}
  math: 0.00 MiB
  switches: 1, median <t> ms
  history: 1 turns; last: [fake-base + math (cpu, fake) | prompt 71 tok, 1000.0 tok/s | reply 23 tok, 100.0 tok/s | stop]
"""  # noqa: E501
    assert text == expected
    assert session.system == "be brief" and session.history[-1] == {"role": "assistant", "content": "math: " + REPLY}
    assert not engine.auto


def test_the_repl_without_adapters_or_router_says_so():
    session = ChatSession(Engine(FakeBackend()), GREEDY)
    text = transcript(session, "/help", "/adapter", "/adapter nope", "/adapter auto", "/adapters", "/why", "/clear")
    assert "  /quit           leave (also Ctrl-D)\n" in text
    assert text.endswith(
        "(current adapter: none)\n"
        "error: unknown adapter 'nope' (available: none registered) (still using the plain base)\n"
        "(no router here: start chat with --adapter auto)\n"
        "(no adapters for this base; register one with `loco adapters add DIR`)\n"
        "(nothing routed yet: routing is on with --adapter auto)\n(conversation cleared)\n"
    )


def test_the_repl_resumes_routing_after_a_manual_switch(engine):
    engine.router = KeywordRouter()
    session = ChatSession(engine, GREEDY)
    text = transcript(session, "/adapter math", "json please", "/adapter auto", "json please")
    assert "math: The answer is 42.\n" in text  # paused: the manual choice holds
    assert "(the router picks the adapter for each message)\njson: The answer is 42.\n" in text
    assert engine.router.queries == ["json please"] and engine.auto
