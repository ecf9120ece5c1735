"""Engine and chat session logic on a tiny imported model (random weights, real tokenizer)."""

from __future__ import annotations

import dataclasses

import pytest

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.chat import ChatSession, run_repl, stats_line
from loco_mlx.inference.engine import Engine
from loco_mlx.inference.mlx_backend import MLXBackend
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture
def engine(tmp_path, loco_home):
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "Q8_0")
    return Engine(MLXBackend(load_base(import_base(str(path)))))


def with_context(engine, tokens: int) -> None:
    engine.backend.info = dataclasses.replace(engine.backend.info, context_length=tokens)


def test_greedy_is_deterministic_and_respects_max_tokens(engine):
    sampling = SamplingConfig(max_tokens=6, temperature=0)
    first, stats = engine.complete("hello there", sampling)
    second, _ = engine.complete("hello there", sampling)
    longer, long_stats = engine.complete("hello there", SamplingConfig(max_tokens=100, temperature=0))
    assert first == second and longer.startswith(first)  # the same greedy path, cut at max_tokens
    if long_stats.generated_tokens > 6:  # the model had more to say: the short run stopped at the cap
        assert (stats.finish_reason, stats.generated_tokens) == ("length", 6) and longer != first
    else:  # it ended on its own before the cap: both runs are the same reply
        assert (stats.finish_reason, stats.generated_tokens, longer) == ("stop", long_stats.generated_tokens, first)
    assert stats.prompt_tokens > 3 and stats.decode_tps > 0


def test_seeded_sampling_is_reproducible(engine):
    sampling = SamplingConfig(max_tokens=8, temperature=1.0, seed=7)
    assert engine.complete("tell me", sampling)[0] == engine.complete("tell me", sampling)[0]


def test_prompt_uses_the_chat_template(engine):
    ids = engine.backend.encode_chat([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    text = engine.backend.tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\nS<|im_end|>") and text.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"max_tokens": 0}, r"max_tokens must be at least 1, got 0"),
        ({"temperature": -1}, r"temperature must be at least 0, got -1"),
        ({"top_p": 0}, r"top_p must be in \(0, 1\], got 0"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\], got 1.5"),
    ],
)
def test_sampling_config_checks_its_ranges(kwargs, message):
    """Built in code, the error names the setting; from the CLI or YAML, the flag or file (test_config)."""
    with pytest.raises(LocoError, match=message):
        SamplingConfig(**kwargs)


def test_prompt_longer_than_context_is_an_error(engine):
    with_context(engine, 16)
    with pytest.raises(LocoError, match="the prompt is .* tokens, the model's context is 16"):
        list(engine.generate("a b c d e f g h i j k l m n o p q r s t", SamplingConfig(max_tokens=4)))


def test_chat_drops_oldest_turns_to_fit_and_never_cuts_the_current_one(engine):
    session = ChatSession(engine, SamplingConfig(max_tokens=4, temperature=0))
    for i in range(6):
        session.history += [{"role": "user", "content": f"question {i} " * 5}, {"role": "assistant", "content": "ok"}]
    with_context(engine, 80)
    messages = session.fit_messages("the current question")
    assert messages[-1]["content"] == "the current question"
    assert session.dropped_turns > 0
    assert len(engine.backend.encode_chat(messages)) + 4 <= 80
    with pytest.raises(LocoError, match="too long for the model's 80-token context"):
        session.fit_messages("word " * 200)


def test_repl_commands_and_turn_line(engine):
    session = ChatSession(engine, SamplingConfig(max_tokens=3, temperature=0))
    inputs = iter(["/help", "hi", "/system be brief", "/bogus", "again", "/quit"])
    out: list[str] = []
    run_repl(session, read=lambda _p: next(inputs), write=lambda *a, **k: out.append(" ".join(map(str, a))))
    text = "\n".join(out)
    assert "/clear" in text and "unknown command /bogus" in text and "system prompt set" in text
    assert text.count("[tiny + base (cpu, ") == 2
    assert session.system == "be brief" and len(session.history) == 2  # /system cleared the first turn


def test_stats_line_format():
    from loco_mlx.inference.backend import GenerationStats

    line = stats_line(GenerationStats(10, 5, 100.0, 20.0, "stop"), "base")
    assert line == "[base | prompt 10 tok, 100.0 tok/s | reply 5 tok, 20.0 tok/s | stop]"


def test_reread_repeats_only_the_last_question():
    from loco_mlx.inference.engine import reread

    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "What is 2 + 3?"},
    ]
    out = reread(messages)
    assert out[:3] == messages[:3]
    assert out[3]["content"] == "What is 2 + 3?\nRead the question again: What is 2 + 3?"
    assert messages[3]["content"] == "What is 2 + 3?"  # the caller's list is untouched


def test_reread_changes_the_prompt_tokens(engine):
    from loco_mlx.inference.engine import InferenceConfig

    sampling = SamplingConfig(max_tokens=2, temperature=0)
    plain = engine.prepare_prompt([{"role": "user", "content": "hi there"}], sampling, InferenceConfig(reread=False))[0]
    twice = engine.prepare_prompt([{"role": "user", "content": "hi there"}], sampling, InferenceConfig(reread=True))[0]
    assert len(twice) > len(plain)


def test_vote_samples_n_replies_in_one_batch(engine, monkeypatch):
    from loco_mlx.inference.engine import InferenceConfig

    batches, generate_batch = [], engine.backend.generate_batch
    monkeypatch.setattr(engine.backend, "generate_batch", lambda p, s: batches.append(len(p)) or generate_batch(p, s))
    inference = InferenceConfig(votes=4, vote_method="best", reread=False)
    result = engine.vote(
        [{"role": "user", "content": "say something"}], SamplingConfig(max_tokens=5, seed=1), inference
    )
    assert len(result.samples) == 4 and result.method == "best"
    assert result.text == max(result.samples, key=lambda s: s.mean_logprob).text
    assert batches == [4] and all(1 <= s.tokens <= 5 for s in result.samples)


@pytest.mark.parametrize(
    "texts,method,answer,distribution",
    [
        (["so 14", "The answer is 14.", "it is 13", "= 14"], "numeric", "14", [("14", 3), ("13", 1)]),
        (["Paris.", "paris", "Lyon"], "exact", "paris", [("paris", 2), ("lyon", 1)]),
        (["7", "8"], "numeric", "7", [("7", 1), ("8", 1)]),  # a tie goes to the answer reached first
        (["the answer is 5", "5!", "no idea"], "auto", "5", [("5", 2)]),
    ],
)
def test_majority_vote(texts, method, answer, distribution):
    from loco_mlx.inference.voting import Sample, decide

    result = decide([Sample(t, -1.0) for t in texts], method)
    assert result.answer == answer and result.distribution == distribution
    assert result.text in texts


def test_auto_vote_falls_back_to_best_of_n_for_open_replies():
    from loco_mlx.inference.voting import Sample, decide

    result = decide([Sample("a poem", -2.0), Sample("another poem", -0.5), Sample("a third", -1.0)], "auto")
    assert result.method == "best" and result.text == "another poem"


def test_unknown_adapter_keeps_the_current_one(engine, tmp_path):
    with pytest.raises(LocoError, match=r"unknown adapter 'nope' \(available: none registered\)"):
        engine.use_adapter("nope")
    assert engine.adapter is None
    out: list[str] = []
    session = ChatSession(engine, SamplingConfig(max_tokens=2, temperature=0))
    inputs = iter(["/adapter nope", "/adapters", "/stats", "/quit"])
    run_repl(session, read=lambda _p: next(inputs), write=lambda *a, **k: out.append(" ".join(map(str, a))))
    text = "\n".join(out)
    assert "unknown adapter 'nope'" in text and "still using the plain base" in text
    assert "no adapters for this base" in text
