"""The MLX backend under the Engine on a tiny imported model (random weights, real tokenizer), and
the pure helpers (sampling settings, RE2, stats line, voting's decision).

Engine and chat logic that needs no model (context cap, history trimming, REPL commands,
adapter errors, RE2 in the prompt) is tested exactly on the fake backend in test_fake_engine.py.
"""

from __future__ import annotations

import pytest

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.chat import stats_line
from loco_mlx.inference.engine import Engine
from loco_mlx.inference.mlx_backend import MLXBackend
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture
def engine(tmp_path, loco_home):
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "Q8_0")
    return Engine(MLXBackend(load_base(import_base(str(path)))))


def test_greedy_is_deterministic_and_respects_max_tokens(engine):
    # This random-weight model never ends its turn on its own (checked: 100 of 100 tokens, "length"),
    # so a cap of 6 must cut the same greedy path at exactly 6 tokens.
    sampling = SamplingConfig(max_tokens=6, temperature=0)
    first, stats = engine.complete("hello there", sampling)
    second, _ = engine.complete("hello there", sampling)
    longer, long_stats = engine.complete("hello there", SamplingConfig(max_tokens=100, temperature=0))
    assert (long_stats.finish_reason, long_stats.generated_tokens) == ("length", 100)
    assert first == second and longer.startswith(first) and longer != first  # the same greedy path, cut at 6
    assert (stats.finish_reason, stats.generated_tokens) == ("length", 6)
    prompt_ids = engine.encode_chat([{"role": "user", "content": "hello there"}])
    assert stats.prompt_tokens == len(prompt_ids) and stats.decode_tps > 0
    assert engine.greedy_tokens(prompt_ids, 6) == engine.greedy_tokens(prompt_ids, 100)[:6]


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


def test_vote_samples_n_replies_in_one_batch(engine, monkeypatch):
    """Four votes are one call of mlx-lm's batch_generate with four prompts (the fake checks the temperature)."""
    import importlib

    from loco_mlx.inference.engine import InferenceConfig

    module = importlib.import_module("mlx_lm.generate")  # not mlx_lm.generate: the package's generate() shadows it
    calls, batch_generate = [], module.batch_generate

    def counted(model, tokenizer, prompts, **kwargs):
        response = batch_generate(model, tokenizer, prompts, **kwargs)
        calls.append((len(prompts), len(response.texts), kwargs["max_tokens"]))
        return response

    monkeypatch.setattr(module, "batch_generate", counted)
    inference = InferenceConfig(votes=4, vote_method="best", reread=False)
    result = engine.vote(
        [{"role": "user", "content": "say something"}], SamplingConfig(max_tokens=5, seed=1), inference
    )
    assert calls == [(4, 4, 5)]  # one batched decode produced the four samples
    assert len(result.samples) == 4 and result.method == "best"
    assert result.text == max(result.samples, key=lambda s: s.mean_logprob).text
    assert all(s.tokens == 5 for s in result.samples)  # this model never ends early (see above)
    assert len({s.text for s in result.samples}) > 1  # sampled, not four copies of the greedy reply


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


def test_auto_vote_on_a_code_request_never_counts_the_numbers_in_the_code():
    from loco_mlx.inference.voting import Sample, decide

    code = [Sample("def f(x):\n    return x\nprint(f(3))", -2.0), Sample("def f(x):\n    return 2 * x", -0.4)]
    code.append(Sample("def f(x):\n    return x\nprint(f(3))", -1.0))
    assert decide(code, "auto").answer == "3"  # read as numbers, the example call's 3 wins
    result = decide(code, "auto", code_request=True)
    assert (result.method, result.answer, result.text) == ("best", None, code[1].text)


def test_json_vote_takes_each_fields_majority_even_when_no_sample_has_them_all():
    from loco_mlx.inference.voting import Sample, decide

    replies = [
        '{"name": "Ana Ruiz", "age": 34, "city": "Lima"}',
        '```json\n{"name": "Ana Ruiz", "age": 43, "city": "Quito"}\n```',
        '{"name": "Ana", "age": 34, "city": "Quito"}',
        "I could not find it.",
        '{"city": "Quito", "name": "Ana Ruiz", "age": 34}',  # the keys in another order: a minority layout
    ]
    result = decide([Sample(t, -1.0) for t in replies], "auto")  # 4 of 5 hold an object, though all hold numbers
    assert result.method == "json" and result.answer == '{"name": "Ana Ruiz", "age": 34, "city": "Quito"}'
    assert result.distribution == [('name: "Ana Ruiz"', 3), ("age: 34", 3), ('city: "Quito"', 3)]
    assert result.text == result.answer  # no sample said exactly this, so the voted object is the reply
    assert "json vote over 5: name" in result.describe()


def test_json_vote_returns_the_sample_that_says_the_majority_as_it_said_it():
    from loco_mlx.inference.voting import Sample, decide

    fenced = '```json\n{"product": "lamp", "price": 19.99}\n```'
    replies = [fenced, '{"product": "Lamp", "price": 19.99}', '{"product": "lamp", "price": 19.99}']
    result = decide([Sample(t, -1.0) for t in replies], "json")
    assert result.text == fenced and result.answer == '{"product": "lamp", "price": 19.99}'


def test_json_vote_without_any_object_falls_back_to_best_of_n():
    from loco_mlx.inference.voting import Sample, decide

    result = decide([Sample("no object", -2.0), Sample("none here {", -0.5)], "json")
    assert result.method == "best" and result.text == "none here {"
    numbers = decide([Sample("so 14", -1.0), Sample('{"a": 1}', -1.0), Sample("= 14", -1.0)], "auto")
    assert numbers.method == "numeric" and numbers.answer == "14"  # a lone object is not the majority


def test_a_guided_json_vote_counts_only_whole_objects():
    """Under the JSON guide a sample without an object was cut at max_tokens: the one whole object wins,
    though it is not the majority and the cut ones are likelier (the server's voted response_format)."""
    from loco_mlx.inference.voting import Sample, decide

    cut = ['{"name": "Ana Silva, 31. } Alejandra 2019', '{"name": "Ana", "age": 31, "city": "Li']
    samples = [Sample(cut[0], -0.2), Sample('{"name": "Ana", "age": 31, "city": "Lima"}', -1.5), Sample(cut[1], -0.1)]
    result = decide(samples, "auto", json_guided=True)
    assert result.method == "json" and result.text == '{"name": "Ana", "age": 31, "city": "Lima"}'
    assert decide(samples, "auto").method != "json"  # unguided, a lone object is not the majority


def test_json_vote_counts_1_and_1_0_as_one_value_and_keeps_nested_objects_as_written():
    from loco_mlx.inference.voting import Sample, decide

    replies = [
        '{"n": 2, "at": {"y": 1, "x": 2}}',
        '{"n": 1, "at": {"y": 1, "x": 2}}',
        '{"n": 1.0, "at": {"y": 1, "x": 2}}',
    ]
    result = decide([Sample(t, -1.0) for t in replies], "json")
    assert result.distribution[0] == ("n: 1", 2) and result.text == replies[1]  # what a sample said, not re-sorted


def test_json_vote_never_elects_an_empty_object():
    from loco_mlx.inference.voting import Sample, decide

    result = decide([Sample("{}", -1.0), Sample("{}", -1.0), Sample('{"a": 1}', -1.0)], "json")
    assert result.answer == '{"a": 1}'
    assert decide([Sample("{}", -1.0), Sample("{}", -0.5)], "auto").method == "best"  # empty objects are no vote


def test_votes_on_a_code_request_that_states_examples_check_the_greedy_reply_and_each_sample(engine):
    """On a real backend: the greedy candidate is the reply `answer` gives, and every candidate is checked."""
    from loco_mlx.inference.engine import InferenceConfig

    messages = [{"role": "user", "content": "Write a function double(n) in Python, e.g. double(2) -> 4."}]
    result = engine.vote(messages, SamplingConfig(max_tokens=6, seed=1), InferenceConfig(votes=3, reread=False))
    greedy = engine.answer(messages, SamplingConfig(max_tokens=6, temperature=0), InferenceConfig(reread=False))
    assert result.method == "examples" and len(result.samples) == 4
    assert result.samples[0].text == greedy.text
    assert result.distribution == [("0 of 0 right", 4)]  # random weights write no function to run
