"""AdapterPool on a tiny model: swaps equal fresh loads, the base is exact, bad adapters are refused."""

from __future__ import annotations

import json

import mlx.core as mx
import numpy as np
import pytest

from loco_mlx.adapters.pool import AdapterPool
from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.bases.store import BaseStore
from loco_mlx.errors import LocoError
from tests.fixtures.tiny_gguf import write_tiny_gguf
from tests.helpers import write_adapter

IDS = mx.array([[1, 5, 40, 77, 120, 9, 250, 31]])

# name -> (rank, scale, keys, num_layers): different ranks, keys and layer counts
SPECS = {
    "a": (4, 2.0, ["self_attn.q_proj", "self_attn.v_proj"], 2),
    "b": (8, 1.5, ["self_attn.q_proj", "self_attn.k_proj", "self_attn.o_proj", "mlp.down_proj"], 1),
    "c": (2, 4.0, ["mlp.gate_proj", "mlp.up_proj"], 2),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pool")
    return import_base(str(write_tiny_gguf(tmp / "tiny.gguf", "llama", "Q8_0")), store=BaseStore(tmp / "home"))


@pytest.fixture(scope="module")
def adapter_dirs(base, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adapters")
    specs = enumerate(SPECS.items())
    return {name: write_adapter(tmp / name, base, *spec, seed=i, std=0.2) for i, (name, spec) in specs}


def fresh_logits(base, adapter_dir=None) -> np.ndarray:
    """Logits of a freshly loaded base, with the adapter applied by mlx-lm's own loader."""
    from mlx_lm.tuner.utils import load_adapters

    loaded = load_base(base)
    if adapter_dir is not None:
        load_adapters(loaded.model, str(adapter_dir))
    return np.array(loaded.model(IDS))


def test_swaps_match_fresh_loads_and_base_is_exact(base, adapter_dirs):
    loaded = load_base(base)
    plain = np.array(loaded.model(IDS))
    pool = AdapterPool(loaded)
    for name, path in adapter_dirs.items():
        pool.load(name, path)
    expected = {name: fresh_logits(base, path) for name, path in adapter_dirs.items()}
    for name in ["a", "b", None, "a", "c", "b", None]:
        pool.activate(name)
        got = np.array(loaded.model(IDS))
        if name is None:
            np.testing.assert_array_equal(got, plain)  # exactly the unwrapped base
        else:
            np.testing.assert_array_equal(got, expected[name])  # bit-identical to a fresh load
            assert np.abs(got - plain).max() > 1e-3  # the adapter really changes the output


def test_switching_is_fast_and_never_reloads_the_base(base, adapter_dirs):
    loaded = load_base(base)
    pool = AdapterPool(loaded)
    embed = loaded.model.model.embed_tokens
    for name, path in adapter_dirs.items():
        pool.load(name, path)
    times = [pool.activate(name) for name in ["a", "b", "c", None] * 25]
    assert loaded.model.model.embed_tokens is embed
    assert sorted(times)[len(times) // 2] < 0.05  # generous bound; scripts/bench_swap.py measures


def test_memory_is_accounted_and_lru_evicted(base, adapter_dirs):
    pool = AdapterPool(load_base(base))
    for name, path in adapter_dirs.items():
        pool.load(name, path)
    sizes = {name: adapter.nbytes for name, adapter in pool.adapters.items()}
    # a (fp32, rank 4): q_proj (64 -> 64) and v_proj (64 -> 32) in both layers.
    assert sizes["a"] == 4 * 2 * ((64 * 4 + 4 * 64) + (64 * 4 + 4 * 32))
    assert pool.memory_bytes() == sum(sizes.values())
    pool.activate("a")
    pool.budget_bytes = sizes["a"] + sizes["c"]
    pool.load("c", adapter_dirs["c"])  # touch c: b is now the least recently used
    pool._evict()
    assert list(pool.adapters) == ["a", "c"]
    pool.budget_bytes = 1
    pool._evict()
    assert list(pool.adapters) == ["a"]  # the active adapter is never evicted


def test_adapter_for_another_base_is_refused_before_touching_the_model(base, tmp_path):
    loaded = load_base(base)
    pool = AdapterPool(loaded)
    wrong = write_adapter(tmp_path / "wrong", base, 4, 2.0, ["self_attn.q_proj"], 1, fingerprint="f" * 64, std=0.2)
    with pytest.raises(LocoError, match=r"trained on base ffffffffffff… .* but the loaded base is"):
        pool.load("wrong", wrong)
    assert not pool.wrappers


def test_incompatible_shapes_are_refused(base, tmp_path, adapter_dirs):
    pool = AdapterPool(load_base(base))
    bad = tmp_path / "bad"
    bad.mkdir()
    weights = {"model.layers.0.self_attn.q_proj.lora_a": mx.zeros((99, 4)),
               "model.layers.0.self_attn.q_proj.lora_b": mx.zeros((4, 64))}  # fmt: skip
    mx.save_safetensors(str(bad / "adapters.safetensors"), weights)
    (bad / "adapter_config.json").write_text(json.dumps({"num_layers": 1, "lora_parameters": {"rank": 4, "scale": 1}}))
    with pytest.raises(LocoError, match=r"do not fit a 64 -> 64 layer"):
        pool.load("bad", bad)
    assert not pool.wrappers


def test_corrupt_safetensors_is_a_clear_error(base, tmp_path, adapter_dirs):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(adapter_dirs["a"], broken)
    data = (broken / "adapters.safetensors").read_bytes()
    (broken / "adapters.safetensors").write_bytes(data[: len(data) // 2])
    pool = AdapterPool(load_base(base))
    with pytest.raises(LocoError, match="unreadable"):
        pool.load("broken", broken)
