"""Batched decoding with a per-row adapter (inference/batching.py).

The cache and text logic are checked on small arrays; the rest runs the real embedded base with the
shipped adapters: batched replies equal the one-at-a-time engine path, no row sees another row's adapter
(shown by breaking the per-row selection on purpose), and rows leave, queue and are refused as they should.
"""

from __future__ import annotations

from pathlib import Path

import mlx.core as mx
import numpy as np
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.batching import BatchRequest, BatchSettings
from loco_mlx.inference.engine import build_messages
from loco_mlx.inference.row_cache import PrefixCache, RowKVCache
from loco_mlx.inference.row_lora import STRATEGIES, RowAdapters

ADAPTERS = Path(__file__).resolve().parents[1] / "adapters"
# Own names, so that tests which load other adapters as "math" into the shared engine do not collide.
SHIPPED = {"batch-math": ADAPTERS / "math", "batch-json": ADAPTERS / "json", "batch-code": ADAPTERS / "code"}
NEAR_TIE = 0.1  # top-2 logit margin at which batched and one-at-a-time arithmetic may pick differently
GREEDY = SamplingConfig(max_tokens=16, temperature=0)


# --- the cache and the text, on small arrays ------------------------------------------------------------


def filled_cache(rows: int, length: int, start: float) -> RowKVCache:
    cache = RowKVCache(rows)
    values = mx.arange(rows * length, dtype=mx.float32).reshape(rows, 1, length, 1) + start
    cache.update_and_fetch(values, values)
    return cache


def test_rows_of_different_lengths_are_right_aligned_and_padding_is_masked():
    batch = filled_cache(1, 3, 0.0)
    batch.append(filled_cache(1, 5, 100.0))
    assert batch.padding == [2, 0] and batch.length == 5
    keys = np.array(batch.live()[0])[:, 0, :, 0]
    np.testing.assert_array_equal(keys[0], [0, 0, 0, 1, 2])  # two padding slots, then row 0's entries
    np.testing.assert_array_equal(keys[1], [100, 101, 102, 103, 104])
    assert batch.offset.tolist() == [3, 5]  # each row's own RoPE position
    mask = np.array(batch.make_mask(1))
    assert mask.shape == (2, 1, 1, 6)
    np.testing.assert_array_equal(mask[0, 0, 0], [False, False, True, True, True, True])
    assert mask[1].all()


def test_a_leaving_row_takes_the_padding_only_it_needed_with_it():
    batch = filled_cache(1, 3, 0.0)
    batch.append(filled_cache(1, 5, 100.0))
    batch.keep([0])
    assert batch.padding == [0] and batch.length == 3 and batch.offset == 3
    np.testing.assert_array_equal(np.array(batch.live()[0])[0, 0, :, 0], [0, 1, 2])
    assert batch.make_mask(1) is None and batch.make_mask(4) == "causal"  # as mlx-lm's own cache
    batch.keep([])
    assert batch.padding == [] and batch.length == 0 and batch.live() is None


class TwoLayers:
    layers = [None, None]  # what make_row_caches reads of a model


def prefilled(tokens: tuple[int, ...], start: float) -> list[RowKVCache]:
    return [filled_cache(1, len(tokens), start) for _ in TwoLayers.layers]


def test_the_prefix_cache_gives_the_longest_shared_start_for_the_same_adapter_only():
    cache, json_adapter, code_adapter = PrefixCache(max_bytes=2**20), object(), object()
    kept = (1, 2, 3, 4, 5, 6)
    cache.keep(json_adapter, kept, prefilled(kept, 0.0))

    caches, shared = cache.start(TwoLayers, json_adapter, (1, 2, 3, 4, 5, 9, 9))
    assert shared == 5 and all(c.length == 5 for c in caches)
    np.testing.assert_array_equal(np.array(caches[0].live()[0])[0, 0, :, 0], [0, 1, 2, 3, 4])
    caches[0].update_and_fetch(mx.full((1, 1, 2, 1), 7.0), mx.full((1, 1, 2, 1), 7.0))  # the row goes on
    assert cache.start(TwoLayers, json_adapter, kept)[1] == 6  # and what was kept is unchanged

    assert cache.start(TwoLayers, code_adapter, kept)[1] == 0  # keys computed with another adapter
    assert cache.start(TwoLayers, None, kept)[1] == 0
    assert cache.start(TwoLayers, json_adapter, (1, 2, 3, 7))[1] == 0  # too short a start to be worth it
    assert cache.hits == 2 and cache.reused_tokens == 11


def test_the_prefix_cache_drops_the_least_recently_used_past_its_budget():
    one = sum(k.nbytes + v.nbytes for k, v in (c.live() for c in prefilled((1,) * 8, 0.0)))
    cache, adapter = PrefixCache(max_bytes=2 * one), object()
    for first in (10, 20, 30):
        tokens = (first,) + (1,) * 7
        cache.keep(adapter, tokens, prefilled(tokens, float(first)))
    assert [p.tokens[0] for p in cache.kept.values()] == [20, 30]
    longer = (30,) + (1,) * 7 + (2, 2)  # extends a kept prompt: replaces it, and 20 no longer fits beside it
    cache.keep(adapter, longer, prefilled(longer, 0.0))
    assert [p.tokens for p in cache.kept.values()] == [longer]
    assert PrefixCache(max_bytes=0).kept == {} and not PrefixCache(0).start(TwoLayers, adapter, (1,) * 8)[1]


def test_bad_requests_and_settings_are_refused_with_the_value():
    with pytest.raises(LocoError, match="empty prompt"):
        BatchRequest(())
    with pytest.raises(LocoError, match="stop strings"):
        BatchRequest((1, 2), stop=("",))
    with pytest.raises(LocoError, match="max_batch"):
        BatchSettings(max_batch=0)
    with pytest.raises(LocoError, match="gather-ish"):
        BatchSettings(strategy="gather-ish")


# --- the real base with the shipped adapters --------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(default_engine):
    for name, path in SHIPPED.items():
        default_engine.backend.adapters.load(name, path)
    yield default_engine
    default_engine.use_adapter(None)


def prompt_of(engine, question: str) -> tuple[int, ...]:
    return tuple(engine.encode_chat(build_messages(question)))


def alone(engine, prompt, adapter: str | None, max_tokens: int = GREEDY.max_tokens) -> list[int]:
    """The same request through the existing one-at-a-time path."""
    engine.use_adapter(adapter)
    try:
        return engine.greedy_tokens(list(prompt), max_tokens)
    finally:
        engine.use_adapter(None)


def top2_margin(engine, prompt, adapter: str | None, tokens: list[int]) -> float:
    """The one-at-a-time run's top-2 logit margin where it chose the token after `tokens`."""
    engine.use_adapter(adapter)
    try:
        logits = engine.sequence_logits(list(prompt) + tokens)[-1]
    finally:
        engine.use_adapter(None)
    top = np.sort(logits)[-2:]
    return float(top[1] - top[0])


def first_difference(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


QUESTIONS = [
    ("What is 12 times 7?", None),
    ("A farmer has 3 pigs and buys 5 more. How many pigs does he have?", "batch-math"),
    ("Extract the name and age as JSON: Bob is 31 years old.", "batch-json"),
    ("Write a python function that reverses a string.", "batch-code"),
    ("Tom reads 15 pages a day for 6 days. How many pages does he read?", "batch-math"),
    ("Explain in one sentence what a prime number is.", None),
    ("Write a python function that returns the largest of three numbers.", "batch-code"),
    ("Extract the city and country as JSON: Paris is the capital of France.", "batch-json"),
]


@pytest.fixture(scope="module")
def jobs_and_replies(engine):
    """Each question's prompt, adapter, and its reply run alone (computed once for both strategies)."""
    jobs = [(prompt_of(engine, q), adapter) for q, adapter in QUESTIONS]
    return jobs, [alone(engine, prompt, adapter) for prompt, adapter in jobs]


@pytest.mark.integration
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_batched_replies_equal_one_at_a_time_replies(engine, jobs_and_replies, strategy):
    jobs, expected = jobs_and_replies
    decoder = engine.backend.batch_decoder(BatchSettings(max_batch=4, strategy=strategy))
    handles = [decoder.submit(BatchRequest(p, a, GREEDY)) for p, a in jobs[:5]]  # one queues at once
    for _ in range(3):
        decoder.step()
    handles += [decoder.submit(BatchRequest(p, a, GREEDY)) for p, a in jobs[5:]]  # join mid-way
    decoder.run_until_idle()

    identical, near_ties = 0, []
    for handle, want, (prompt, adapter) in zip(handles, expected, jobs):
        if handle.tokens == want:
            identical += 1
            continue
        at = first_difference(handle.tokens, want)
        margin = top2_margin(engine, prompt, adapter, want[:at])
        assert margin <= NEAR_TIE, f"{adapter}: differs at token {at} with a clear margin {margin:.3f}"
        near_ties.append((adapter, at, round(margin, 4)))
    print(f"\n{strategy}: {identical}/{len(jobs)} replies identical; near-tie differences: {near_ties}")
    assert identical >= 0.95 * len(jobs)
    assert decoder.prefixes.hits == len(jobs) - len({a for _, a in jobs})  # all but each adapter's first reused
    # the chat template's start: what the equality above covers
    assert all(h.finish_reason in ("stop", "length") for h in handles)


SAME_QUESTION = "Write a function that adds two numbers and give an example."


def replies_with(engine, strategy: str, adapters: list[str | None]) -> list[list[int]]:
    prompt = prompt_of(engine, SAME_QUESTION)
    decoder = engine.backend.batch_decoder(BatchSettings(max_batch=len(adapters), strategy=strategy))
    handles = [decoder.submit(BatchRequest(prompt, a, GREEDY)) for a in adapters]
    decoder.run_until_idle()
    return [h.tokens for h in handles]


TWO_ADAPTERS = ["batch-json", "batch-code", None]


@pytest.fixture(scope="module")
def own_replies(engine):
    return [alone(engine, prompt_of(engine, SAME_QUESTION), a) for a in TWO_ADAPTERS]


@pytest.mark.integration
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_row_sees_another_rows_adapter(engine, own_replies, strategy, monkeypatch):
    adapters, own = TWO_ADAPTERS, own_replies
    assert own[0] != own[1], "the two adapters must answer this prompt differently for the test to mean anything"

    assert replies_with(engine, strategy, adapters) == own

    # Broken on purpose: every row gets row 0's adapter. The same check must then fail.
    select = RowAdapters._updates
    monkeypatch.setattr(RowAdapters, "_updates", lambda self, rows: select(self, [rows[0]] * len(rows)))
    broken = replies_with(engine, strategy, adapters)
    assert broken != own
    assert broken[1] != own[1]  # the code row no longer answers as code does


@pytest.mark.integration
def test_a_row_keeps_its_adapter_when_the_pool_drops_it_meanwhile(engine, own_replies, monkeypatch):
    decoder = engine.backend.batch_decoder()
    handle = decoder.submit(BatchRequest(prompt_of(engine, SAME_QUESTION), "batch-json", GREEDY))
    monkeypatch.delitem(engine.backend.adapters.adapters, "batch-json")  # as an eviction past the budget would
    handle.result()
    assert handle.tokens == own_replies[0]


@pytest.mark.integration
def test_max_batch_queues_the_rest_and_cancelling_frees_the_row_at_the_next_step(engine):
    prompt = prompt_of(engine, "Count from one to fifty in words.")
    decoder = engine.backend.batch_decoder(BatchSettings(max_batch=2))
    long = SamplingConfig(max_tokens=200, temperature=0)
    first, second, third = (decoder.submit(BatchRequest(prompt, a, long)) for a in (None, "batch-math", None))
    decoder.step()
    assert (decoder.active, decoder.queued) == (2, 1)
    assert first.tokens and second.tokens and not third.tokens

    first.cancel()
    emitted = len(first.tokens)
    decoder.step()
    assert first.finish_reason == "cancelled" and len(first.tokens) == emitted
    assert [row.handle for row in decoder.rows] == [second, third]  # its row went to the queued request
    assert decoder.queued == 0 and third.tokens

    waiting = decoder.submit(BatchRequest(prompt, None, long))
    waiting.cancel()  # cancelled while still queued: never admitted
    decoder.step()
    assert waiting.finish_reason == "cancelled" and not waiting.tokens and decoder.active == 2
    second.cancel()
    third.cancel()
    assert decoder.step() == 0


@pytest.mark.integration
def test_requests_that_cannot_run_are_refused_with_the_sizes(engine):
    decoder = engine.backend.batch_decoder()
    context = engine.context_length
    with pytest.raises(LocoError, match=rf"the prompt is {context} tokens, the model's context is {context}"):
        decoder.submit(BatchRequest((1,) * context))
    with pytest.raises(LocoError, match="adapter 'nope' is not loaded"):
        decoder.submit(BatchRequest((1, 2, 3), "nope"))
    assert decoder.queued == 0


@pytest.mark.integration
def test_each_row_keeps_its_own_max_tokens_stop_strings_and_seed(engine):
    prompt = prompt_of(engine, "Explain in one sentence what a prime number is.")
    decoder = engine.backend.batch_decoder()
    full = decoder.submit(BatchRequest(prompt, None, GREEDY)).result()
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    hot = SamplingConfig(max_tokens=12, temperature=0.9, top_p=0.9, seed=7)

    short = decoder.submit(BatchRequest(prompt, None, SamplingConfig(max_tokens=3, temperature=0)))
    stopped = decoder.submit(BatchRequest(prompt, None, GREEDY, stop=(stop,)))
    seeded = decoder.submit(BatchRequest(prompt, "batch-code", hot))
    decoder.run_until_idle()
    assert short.finish_reason == "length" and len(short.tokens) == 3 and short.stats.generated_tokens == 3
    assert stopped.finish_reason == "stop" and stopped.text == full[: full.index(stop)]
    assert "".join(e.text for e in stopped) == stopped.text  # never streamed past the stop

    again = decoder.submit(BatchRequest(prompt, "batch-code", hot))  # alone this time: same seed, same reply
    decoder.run_until_idle()
    assert again.tokens == seeded.tokens


@pytest.mark.integration
def test_a_background_thread_drives_the_batch_for_waiting_handles(engine):
    decoder = engine.backend.batch_decoder(BatchSettings(max_batch=2))
    decoder.start()
    try:
        prompts = [prompt_of(engine, q) for q, _ in QUESTIONS[:3]]
        short = SamplingConfig(max_tokens=6, temperature=0)
        handles = [decoder.submit(BatchRequest(p, a, short)) for p, (_, a) in zip(prompts, QUESTIONS)]
        events = [list(h) for h in handles]
    finally:
        decoder.close()
    for handle, stream in zip(handles, events):
        assert stream[-1].finish_reason == handle.finish_reason and "".join(e.text for e in stream) == handle.text


@pytest.mark.integration
def test_eval_answers_base_and_adapter_in_one_mixed_batch_as_each_answers_alone(engine):
    from loco_mlx.evaluation.benchmarks import BenchmarkItem
    from loco_mlx.evaluation.gate import EvalSettings
    from loco_mlx.evaluation.mixed import can_mix, mixed_answers

    questions = [q for q, _ in QUESTIONS[:4]]
    items = [BenchmarkItem(str(i), q, "", "contains") for i, q in enumerate(questions)]
    # unguided, to compare with greedy_tokens (guided rows: the test below)
    settings = EvalSettings(max_tokens=GREEDY.max_tokens, reread=False, batch_size=2, json_guide="off")  # 4 rows
    assert can_mix(engine, "batch-json", votes=1) and not can_mix(engine, "batch-json", votes=3)

    base, adapted = mixed_answers(engine, "batch-json", items, settings)

    assert engine.adapter is None  # the active adapter is left as it was
    decode = engine.tokenizer.decode
    want = [decode(alone(engine, prompt_of(engine, q), a)) for a in (None, "batch-json") for q in questions]
    got = [answer.text for answer in base + adapted]
    assert sum(g == w for g, w in zip(got, want)) >= len(want) - 1, list(zip(got, want))  # one near-tie allowed
    assert got[:4] != got[4:]  # the adapter's rows answered with the adapter


@pytest.mark.integration
def test_the_mixed_batch_guides_a_json_request_on_each_side_as_it_is_guided_alone(engine):
    from loco_mlx.evaluation.benchmarks import BenchmarkItem
    from loco_mlx.evaluation.gate import EvalSettings
    from loco_mlx.evaluation.mixed import mixed_answers

    item = BenchmarkItem("json", QUESTIONS[2][0], "", "contains")  # names its keys: name, age
    settings = EvalSettings(max_tokens=GREEDY.max_tokens, reread=False, batch_size=1)
    base, adapted = mixed_answers(engine, "batch-json", [item], settings)
    for side, got in ((None, base[0]), ("batch-json", adapted[0])):
        engine.use_adapter(side)
        alone_answer = engine.answer_batch([item.messages()], settings.sampling(), settings.inference())[0]
        assert got.text == alone_answer.text and got.text.startswith('{"name": '), (side, got.text)
    engine.use_adapter(None)
