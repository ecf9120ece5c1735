"""Training-memory preflight: the formula on synthetic configs, and once against a measured MLX peak."""

from __future__ import annotations

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.train.memory import (
    GIB,
    LOGITS_COPIES,
    OVERHEAD_FRACTION,
    activation_elements_per_token,
    estimate_training_memory,
    suggest_fixes,
)

# SmolLM2-135M-Instruct, the embedded default base.
SMOLLM2 = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "vocab_size": 49152,
}
# Qwen3-4B-like: heads * head_dim (4096) differs from hidden_size (2560); big vocabulary.
QWEN3_4B = {
    "hidden_size": 2560,
    "intermediate_size": 9728,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
}
TINY = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "vocab_size": 128,
}


def est(config=SMOLLM2, batch=4, seq=256, ckpt=False, layers=-1, lora=1_843_200, base=545_432_832, available=8 * GIB):
    return estimate_training_memory(
        config, base, lora, batch, seq, grad_checkpoint=ckpt, num_lora_layers=layers, available_bytes=available
    )


def test_parts_add_up_on_a_tiny_config():
    e = est(TINY, batch=2, seq=16, layers=4, lora=1000, base=10_000)
    assert e.lora_bytes == 8 * 1000 and e.optimizer_bytes == 8 * 1000  # fp32 weights+grads, Adam m+v
    assert e.logits_bytes == 2 * 16 * 128 * 4 * LOGITS_COPIES
    per_layer = 2 * 16 * activation_elements_per_token(TINY) * 4 + 2 * 4 * 16 * 16 * 4  # tokens + attention probs
    assert e.activation_bytes == 4 * per_layer
    subtotal = e.base_bytes + e.lora_bytes + e.optimizer_bytes + e.activation_bytes + e.logits_bytes
    assert e.overhead_bytes == int(subtotal * OVERHEAD_FRACTION)
    assert e.total_bytes == subtotal + e.overhead_bytes


def test_activation_elements_golden():
    # 5 hidden + 3 q + 3 kv + 3 intermediate: 5*576 + 3*576 + 3*192 + 3*1536
    assert activation_elements_per_token(SMOLLM2) == 9792
    assert activation_elements_per_token(QWEN3_4B) == 5 * 2560 + 3 * 4096 + 3 * 1024 + 3 * 9728


@pytest.mark.parametrize("config", [SMOLLM2, QWEN3_4B, TINY], ids=["smollm2", "qwen3-4b", "tiny"])
@pytest.mark.parametrize("ckpt", [False, True])
def test_monotone_in_batch_seq_and_layers(config, ckpt):
    by_batch = [est(config, batch=b, ckpt=ckpt).total_bytes for b in (1, 2, 4, 8)]
    by_seq = [est(config, seq=s, ckpt=ckpt).total_bytes for s in (128, 256, 512, 2048)]
    by_layers = [est(config, layers=n, ckpt=ckpt).total_bytes for n in (1, 2, 4)]
    assert by_batch == sorted(set(by_batch))
    assert by_seq == sorted(set(by_seq))
    assert by_layers == sorted(set(by_layers))


@pytest.mark.parametrize("config", [SMOLLM2, QWEN3_4B], ids=["smollm2", "qwen3-4b"])
@pytest.mark.parametrize("batch,seq", [(1, 512), (4, 256), (8, 2048)])
def test_checkpointing_lowers_activations(config, batch, seq):
    off, on = est(config, batch, seq, ckpt=False), est(config, batch, seq, ckpt=True)
    assert on.activation_bytes < off.activation_bytes
    assert on.total_bytes < off.total_bytes
    assert on.logits_bytes == off.logits_bytes  # the loss's buffers are not checkpointed


def test_num_lora_layers_all_and_clamped():
    assert est(layers=-1).total_bytes == est(layers=30).total_bytes == est(layers=99).total_bytes


def test_big_vocabulary_logits_are_their_own_row():
    e = est(QWEN3_4B, batch=4, seq=2048, ckpt=True, base=2_300_000_000)
    assert e.logits_bytes > 15 * GIB  # 4 x 2048 x 151936 x 4 bytes x 4 copies
    assert ("logits + loss", f"{e.logits_bytes / GIB:.2f} GiB") in e.table()


def test_fits_and_table():
    small, big = est(available=64 * GIB), est(available=1 * GIB)
    assert small.fits and not big.fits
    rows = dict(small.table())
    assert rows["fits"] == "yes" and rows["available"] == "64.00 GiB"
    assert rows["LoRA weights + gradients"].endswith("MiB")
    assert {"base weights", "optimizer state (Adam)", "activations", "total (estimated)"} <= set(rows)


def test_available_defaults_to_this_machine():
    e = estimate_training_memory(TINY, 1000, 10, 1, 8, grad_checkpoint=False, num_lora_layers=4)
    assert e.available_bytes > 0


def test_config_without_dimensions_is_a_clear_error():
    with pytest.raises(LocoError, match="hidden_size"):
        est({"num_hidden_layers": 2, "vocab_size": 10})


def test_nested_text_config():
    nested = {"model_type": "gemma3", "text_config": dict(SMOLLM2)}
    assert est(nested).total_bytes == est(SMOLLM2).total_bytes


def test_suggestions_are_ordered_and_each_smaller():
    e = est(QWEN3_4B, batch=4, seq=2048, ckpt=False, layers=16, base=2_300_000_000, available=16 * GIB)
    assert not e.fits
    fixes = suggest_fixes(e, 4, 2048, False, 16)
    assert [f.split(" ")[0] for f in fixes] == ["enable", "halve", "shorten", "train"]
    assert "grad_checkpoint: true" in fixes[0] and "grad_accumulation" in fixes[1]
    assert "max_seq_length 2048 -> 1024" in fixes[2] and "lora.num_layers 16 -> 8" in fixes[3]
    totals = [float(f.split("about ")[1].split(" GiB")[0]) for f in fixes]
    assert all(t < e.total_bytes / GIB for t in totals)


def test_suggestions_skip_what_is_already_done():
    e = est(SMOLLM2, batch=1, seq=256, ckpt=True, layers=1, available=1 * GIB)
    fixes = suggest_fixes(e, 1, 256, True, 1)
    assert len(fixes) == 1 and fixes[0].startswith("shorten")


def test_suggestions_say_which_fix_alone_fits():
    budget = est(SMOLLM2, batch=8, seq=1024).total_bytes * 0.6  # above the checkpointed total only
    fixes = suggest_fixes(est(SMOLLM2, batch=8, seq=1024, available=int(budget)), 8, 1024, False, 30)
    assert "(fits)" in fixes[0]
    assert any("still over" in f for f in fixes)


@pytest.mark.integration
def test_estimate_matches_measured_peak(default_env):
    """One real LoRA step on the embedded SmolLM2 (fp32 on CPU): the estimate must be within -5%/+30%.

    Measured = the step's peak above the memory held before it, plus the base and LoRA weights,
    so models other tests keep loaded do not count. No optimizer step is taken (Adam state is 1% here).
    """
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.trainer import grad_checkpoint
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from loco_mlx.bases.loading import load_base

    loaded = load_base("default")
    model = loaded.model
    model.freeze()
    keys = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]
    linear_to_lora_layers(model, 30, {"rank": 16, "scale": 2.0, "dropout": 0.0, "keys": keys})
    model.train()
    weights = sum(v.nbytes for _, v in tree_flatten(model.parameters()))
    lora = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    step = nn.value_and_grad(model, lambda m, x, y: nn.losses.cross_entropy(m(x), y, reduction="mean"))
    batch, seq = 4, 256
    mx.random.seed(0)
    x = mx.random.randint(0, loaded.config["vocab_size"], (batch, seq))
    y = mx.random.randint(0, loaded.config["vocab_size"], (batch, seq))
    mx.eval(x, y)

    block = type(model.layers[0])
    original_call = block.__call__  # grad_checkpoint patches the class: undo it for other tests
    results = {}
    try:
        for ckpt in (False, True):
            if ckpt:
                grad_checkpoint(model.layers[0])
            mx.clear_cache()
            before = mx.get_active_memory()
            mx.reset_peak_memory()
            mx.eval(step(model, x, y))
            measured = weights + mx.get_peak_memory() - before
            e = estimate_training_memory(
                loaded.config, weights - lora * 4, lora, batch, seq, grad_checkpoint=ckpt, num_lora_layers=30
            )
            results[ckpt] = (measured, e.total_bytes)
    finally:
        block.__call__ = original_call

    report = {
        k: f"measured {m / 2**20:.0f} MiB, estimated {t / 2**20:.0f} MiB ({t / m - 1:+.0%})"
        for k, (m, t) in results.items()
    }
    print(report)  # visible with `pytest -s`: the numbers quoted in the reply/README
    for measured, estimated in results.values():
        assert 0.95 * measured <= estimated <= 1.3 * measured, report
