"""Engine and chat session logic on a tiny imported model (random weights, real tokenizer)."""

from __future__ import annotations

import pytest

from loco_mlx.chat import ChatSession, run_repl, stats_line
from loco_mlx.engine import Engine, MLXBackend, SamplingConfig
from loco_mlx.errors import LocoError
from loco_mlx.models.loading import load_base
from loco_mlx.models.resolve import import_base
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture
def engine(tmp_path, loco_home):
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "Q8_0")
    return Engine(MLXBackend(load_base(import_base(str(path)))))


def test_greedy_is_deterministic_and_respects_max_tokens(engine):
    sampling = SamplingConfig(max_tokens=6, temperature=0)
    first, stats = engine.complete("hello there", sampling)
    second, _ = engine.complete("hello there", sampling)
    assert first == second
    assert stats.generated_tokens <= 6
    assert stats.finish_reason in ("stop", "length")
    if stats.finish_reason == "length":
        assert stats.generated_tokens == 6
    assert stats.prompt_tokens > 3 and stats.decode_tps > 0


def test_seeded_sampling_is_reproducible(engine):
    sampling = SamplingConfig(max_tokens=8, temperature=1.0, seed=7)
    assert engine.complete("tell me", sampling)[0] == engine.complete("tell me", sampling)[0]


def test_prompt_uses_the_chat_template(engine):
    ids = engine.backend.encode_chat([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    text = engine.backend.tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\nS<|im_end|>") and text.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize(
    "kwargs,flag",
    [
        ({"max_tokens": 0}, "--max-tokens"),
        ({"temperature": -1}, "--temp"),
        ({"top_p": 0}, "--top-p"),
        ({"top_p": 1.5}, "--top-p"),
    ],
)
def test_sampling_config_names_the_bad_flag(kwargs, flag):
    with pytest.raises(LocoError, match=flag):
        SamplingConfig(**kwargs)


def test_prompt_longer_than_context_is_an_error(engine):
    engine.backend.context_length = 16
    with pytest.raises(LocoError, match="the prompt is .* tokens, the model's context is 16"):
        list(engine.generate("a b c d e f g h i j k l m n o p q r s t", SamplingConfig(max_tokens=4)))


def test_chat_drops_oldest_turns_to_fit_and_never_cuts_the_current_one(engine):
    session = ChatSession(engine, SamplingConfig(max_tokens=4, temperature=0))
    for i in range(6):
        session.history += [{"role": "user", "content": f"question {i} " * 5}, {"role": "assistant", "content": "ok"}]
    engine.backend.context_length = 80
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
    run_repl(session, "tiny", read=lambda _p: next(inputs), write=lambda *a, **k: out.append(" ".join(map(str, a))))
    text = "\n".join(out)
    assert "/clear" in text and "unknown command /bogus" in text and "system prompt set" in text
    assert text.count("[tiny | prompt") == 2
    assert session.system == "be brief" and len(session.history) == 2  # /system cleared the first turn


def test_stats_line_format():
    from loco_mlx.engine import GenerationStats

    line = stats_line(GenerationStats(10, 5, 100.0, 20.0, "stop"), "base")
    assert line == "[base | prompt 10 tok, 100.0 tok/s | reply 5 tok, 20.0 tok/s | stop]"
