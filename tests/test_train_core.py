"""Training logic on a tiny model: masks, parameter counts, batch plans, exactness of
accumulation, resume and best-checkpoint keeping."""

from __future__ import annotations

import numpy as np
import pytest
from mlx.utils import tree_flatten

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.data.datasets import Example
from loco_mlx.errors import LocoError
from loco_mlx.train.batches import BatchPlan, encode_example, make_arrays
from loco_mlx.train.config import TrainConfig
from loco_mlx.train.loop import Trainer, batch_plan, total_steps
from loco_mlx.train.progress import QuietReporter
from loco_mlx.train.run import apply_lora, build_optimizer
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="module")
def tiny_record(tmp_path_factory):
    from loco_mlx.bases.store import BaseStore

    tmp = tmp_path_factory.mktemp("tiny")
    path = write_tiny_gguf(tmp / "tiny.gguf", "llama", "F32")
    return import_base(str(path), store=BaseStore(tmp / "home"))


def chat(*turns: str, system: str | None = None) -> Example:
    messages = [{"role": "system", "content": system}] if system else []
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return Example(messages=messages, text=None, source="t.jsonl", line=1, fmt="messages")


# --- masks -----------------------------------------------------------------------------


def test_only_assistant_tokens_are_trained_golden(tiny_record):
    tok = load_base(tiny_record).tokenizer
    enc = encode_example(chat("add two and two", "four"), tok)
    trained = tok.decode([i for i, m in zip(enc.ids, enc.mask) if m])
    untrained = tok.decode([i for i, m in zip(enc.ids, enc.mask) if not m])
    assert trained == "four<|im_end|>\n"
    assert untrained.startswith("<|im_start|>system") and untrained.endswith(
        "add two and two<|im_end|>\n<|im_start|>assistant\n"
    )


def test_every_assistant_turn_is_trained(tiny_record):
    tok = load_base(tiny_record).tokenizer
    enc = encode_example(chat("hello", "hi there", "how are you", "fine thanks", system="be kind"), tok)
    trained = tok.decode([i for i, m in zip(enc.ids, enc.mask) if m])
    assert trained == "hi there<|im_end|>\nfine thanks<|im_end|>\n"


def test_text_examples_train_every_token(tiny_record):
    tok = load_base(tiny_record).tokenizer
    enc = encode_example(Example(None, "plain text here", "t.jsonl", 3, "text"), tok)
    assert all(enc.mask) and enc.ids[-1] == tok.eos_token_id


def test_padding_is_never_scored():
    from loco_mlx.train.batches import EncodedExample

    examples = [EncodedExample([5, 6, 7, 8], [False, False, True, True]), EncodedExample([5, 6], [False, True])]
    inputs, targets, mask = make_arrays(examples, [0, 1])
    assert inputs.shape == (2, 32)
    assert mask.sum() == 3  # 2 targets of the first, 1 of the second, nothing in the padding
    np.testing.assert_array_equal(mask[0, :4], [0, 1, 1, 0])
    np.testing.assert_array_equal(mask[1, :2], [1, 0])
    assert mask[:, 3:].sum() == 0


# --- LoRA parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys,num_layers",
    [
        (["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"], -1),
        (["self_attn.q_proj", "self_attn.v_proj"], 1),
        (["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"], -1),
    ],
)
def test_trainable_parameter_count_matches_formula(tiny_record, keys, num_layers):
    loaded = load_base(tiny_record)
    cfg = TrainConfig(data="x", out="y")
    cfg.lora.keys, cfg.lora.num_layers, cfg.lora.rank = keys, num_layers, 8
    c = loaded.config
    head_dim = c["hidden_size"] // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * head_dim, c["num_key_value_heads"] * head_dim
    shapes = {  # (in, out) of each projection
        "self_attn.q_proj": (c["hidden_size"], q),
        "self_attn.k_proj": (c["hidden_size"], kv),
        "self_attn.v_proj": (c["hidden_size"], kv),
        "self_attn.o_proj": (q, c["hidden_size"]),
        "mlp.gate_proj": (c["hidden_size"], c["intermediate_size"]),
        "mlp.up_proj": (c["hidden_size"], c["intermediate_size"]),
        "mlp.down_proj": (c["intermediate_size"], c["hidden_size"]),
    }
    layers = c["num_hidden_layers"] if num_layers < 0 else num_layers
    expected = layers * sum(8 * (shapes[k][0] + shapes[k][1]) for k in keys)
    assert apply_lora(loaded.model, cfg) == expected


def test_unknown_lora_key_is_named(tiny_record):
    cfg = TrainConfig(data="x", out="y")
    cfg.lora.keys = ["attn.q"]
    with pytest.raises(LocoError, match=r"lora.keys \['attn.q'\] matched no layer"):
        apply_lora(load_base(tiny_record).model, cfg)


# --- batch plan ------------------------------------------------------------------------


def test_batch_plan_is_deterministic_and_covers_each_epoch():
    lengths = list(np.random.default_rng(0).integers(5, 200, size=103))
    a, b = BatchPlan(lengths, 4, seed=1), BatchPlan(lengths, 4, seed=1)
    for epoch in range(3):
        batches = a.epoch(epoch)
        assert len(batches) == 25
        assert all(np.array_equal(x, y) for x, y in zip(batches, b.epoch(epoch)))
        flat = np.concatenate(batches)
        assert len(set(flat)) == 100  # no example twice in an epoch
    assert not np.array_equal(np.concatenate(a.epoch(0)), np.concatenate(a.epoch(1)))
    assert np.array_equal(a.batch(27), a.epoch(1)[2])


def test_length_grouping_cuts_padding():
    lengths = list(np.random.default_rng(0).integers(5, 400, size=400))

    def padding(plan):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in plan.epoch(0))

    assert padding(BatchPlan(lengths, 4, 1, group_by_length=True)) < 0.2 * padding(BatchPlan(lengths, 4, 1, False))


# --- the loop ----------------------------------------------------------------------------


def _examples(n: int, seed: int = 0) -> list[Example]:
    rng = np.random.default_rng(seed)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    out = []
    for _ in range(n):
        a, b = rng.integers(0, 10, size=2)
        reply = " ".join(words[: 1 + rng.integers(0, 6)])
        out.append(chat(f"count {words[a]} {words[b]}", reply))
    return out


def _trainer(record, tmp_path, dropout: float = 0.1, replay: frozenset = frozenset(), **overrides):
    loaded = load_base(record)
    cfg = TrainConfig(data="x", out=str(tmp_path), epochs=2, eval_every=3, save_every=2, seed=3)
    cfg.lora.rank, cfg.lora.dropout = 4, dropout
    for key, value in overrides.items():
        setattr(cfg, key, value)
    apply_lora(loaded.model, cfg)
    tok = loaded.tokenizer
    train = [encode_example(e, tok) for e in _examples(24)]
    for i in replay:
        train[i].replay = True
    valid = [encode_example(e, tok) for e in _examples(8, seed=1)]
    steps = total_steps(cfg, batch_plan(cfg, train))
    optimizer = build_optimizer(cfg, steps)
    return Trainer(
        loaded.model, optimizer, cfg, train, valid, checkpoints=tmp_path / "checkpoints", reporter=QuietReporter()
    )


def _adapter(trainer) -> dict:
    return {k: np.array(v) for k, v in tree_flatten(trainer.model.trainable_parameters())}


def test_validation_loss_falls_and_best_checkpoint_is_the_lowest(tiny_record, tmp_path):
    trainer = _trainer(tiny_record, tmp_path, epochs=4, eval_every=2)
    state = trainer.run()
    losses = [v for _, v in state.history]
    assert losses[-1] < losses[0]
    best_step, best = min(state.history, key=lambda h: h[1])
    assert (state.best_step, state.best_val_loss) == (best_step, best)
    from loco_mlx.train.checkpoint import load_checkpoint

    assert load_checkpoint(tmp_path / "checkpoints" / "best")[2]["best_step"] == best_step


def test_resume_after_stop_gives_the_same_adapter(tiny_record, tmp_path):
    whole = _trainer(tiny_record, tmp_path / "whole")
    whole.run()
    first = _trainer(tiny_record, tmp_path / "split")
    state = first.run(stop_after=4)
    assert state.stopped == "stop_after" and state.step == 4
    second = _trainer(tiny_record, tmp_path / "split")  # a fresh process: new model, new optimizer
    second.run(resume_from=tmp_path / "split" / "checkpoints" / "last")
    assert second.state.step == whole.state.step
    a, b = _adapter(whole), _adapter(second)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-6, err_msg=key)


def test_gradient_accumulation_equals_the_larger_batch(tiny_record, tmp_path):
    """2 micro-batches of 2 take exactly the optimizer step of one batch of 4."""
    # No dropout: micro-batches of 2 would draw other masks than one batch of 4.
    big = _trainer(tiny_record, tmp_path / "big", dropout=0.0, batch_size=4, epochs=1, group_by_length=False)
    small = _trainer(
        tiny_record, tmp_path / "small", dropout=0.0, batch_size=2, grad_accumulation=2, epochs=1, group_by_length=False
    )
    # Same examples per optimizer step: small's plan pairs consecutive batches of big's.
    small.plan.batch = lambda step, plan=big.plan: plan.batch(step // 2)[(step % 2) * 2 : (step % 2) * 2 + 2]
    big_loss, big_grads, *_ = big.gradients(0)
    small_loss, small_grads, *_ = small.gradients(0)
    assert abs(float(big_loss) - float(small_loss)) < 1e-5
    a, b = dict(tree_flatten(big_grads)), dict(tree_flatten(small_grads))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(np.array(a[key]), np.array(b[key]), rtol=1e-4, atol=1e-7, err_msg=key)


def test_task_loss_leaves_replay_rows_out_and_training_alone(tiny_record, tmp_path):
    """Replay rows train as before; the logged task loss is the token mean over the other rows."""
    settings = {"dropout": 0.0, "batch_size": 4, "group_by_length": False}
    plain = _trainer(tiny_record, tmp_path / "plain", **settings)
    batch = plain.plan.batch(0)
    mixed = _trainer(tiny_record, tmp_path / "mixed", replay=frozenset(batch[:2].tolist()), **settings)
    own_only = _trainer(tiny_record, tmp_path / "own", **settings)
    own_only.plan.batch = lambda step: batch[2:]
    loss, grads, _, task = mixed.gradients(0)
    plain_loss, plain_grads, _, plain_task = plain.gradients(0)
    assert abs(float(loss) - float(plain_loss)) < 1e-6 and abs(float(plain_task) - float(plain_loss)) < 1e-6
    assert abs(float(task) - float(own_only.gradients(0)[0])) < 1e-5
    assert abs(float(task) - float(loss)) > 1e-4  # the two rows left out do count in the training loss
    for key, value in dict(tree_flatten(grads)).items():
        np.testing.assert_allclose(np.array(value), np.array(dict(tree_flatten(plain_grads))[key]), atol=1e-7)
    assert "task_loss" in mixed.optimizer_step(0) and "task_loss" not in plain.optimizer_step(0)


def test_schedule_warms_up_from_above_zero_then_decays():
    cfg = TrainConfig(data="x", out="y")
    schedule = build_optimizer(cfg, 100)._schedulers["learning_rate"]
    lrs = [float(schedule(step)) for step in range(101)]
    assert 0 < lrs[0] < lrs[5] < lrs[10]
    assert abs(lrs[10] - 2e-4) < 1e-9  # 10% warmup reaches the peak
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))  # then cosine decay to ~0
    assert lrs[100] < 1e-7


def test_early_stopping_ends_the_run_after_patience_evaluations(tiny_record, tmp_path):
    trainer = _trainer(tiny_record, tmp_path, eval_every=2, early_stopping_patience=2)
    trainer.cfg.optim.learning_rate = 0.0
    trainer.optimizer = build_optimizer(trainer.cfg, trainer.steps)  # lr 0: validation loss cannot improve
    state = trainer.run()
    assert state.stopped == "early_stopping"
    assert state.step == 4 < trainer.steps  # evaluations at steps 0 (best), 2 and 4 (no better): stop
    assert state.best_step == 0


def test_more_lora_layers_than_the_base_has_is_named(tiny_record):
    loaded = load_base(tiny_record)
    cfg = TrainConfig(data="x", out="y")
    cfg.lora.num_layers = len(loaded.model.layers) + 1
    with pytest.raises(LocoError, match=rf"lora.num_layers is {cfg.lora.num_layers} but the base has"):
        apply_lora(loaded.model, cfg)
