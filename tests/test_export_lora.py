"""LoRA export: llama.cpp GGUF LoRA (logit parity in llama-cpp-python) and PEFT (layout and values)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import pytest

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.bases.store import BaseStore
from loco_mlx.errors import LocoError
from loco_mlx.export.lora_gguf import write_lora_gguf
from loco_mlx.export.peft import write_peft
from tests import helpers
from tests.fixtures.tiny_gguf import write_tiny_gguf
from tests.helpers import module_dims

IDS = [1, 5, 40, 77, 120, 9, 250, 31, 2, 1, 60, 61]
KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.down_proj"]
RANK, SCALE = 4, 2.0


def write_adapter(directory, record, keys=KEYS, num_layers=None, seed=0, fine_tune_type="lora", fingerprint=None):
    """A random mlx-lm LoRA adapter (a, b ~ N(0, 0.1), scale 2) on the last `num_layers` layers."""
    return helpers.write_adapter(directory, record, RANK, SCALE, keys, num_layers, seed, fingerprint, std=0.1,
                                 fine_tune_type=fine_tune_type, dropout=0.05)  # fmt: skip


def _base_config(record) -> dict:
    return json.loads((Path(record.model_dir) / "config.json").read_text())


@pytest.fixture(scope="module", params=["llama", "qwen3"])
def tiny(request, tmp_path_factory):
    """(arch, base GGUF path, BaseRecord, adapter dir) for a tiny F16 base."""
    arch = request.param
    tmp = tmp_path_factory.mktemp(arch)
    path = write_tiny_gguf(tmp / f"{arch}.gguf", arch, "F16")
    record = import_base(str(path), store=BaseStore(tmp / "home"))
    return arch, path, record, write_adapter(tmp / "adapter", record)


def mlx_logits(record, adapter_dir=None) -> np.ndarray:
    from mlx_lm.tuner.utils import load_adapters

    loaded = load_base(record, compute="fp32")
    if adapter_dir is not None:
        load_adapters(loaded.model, str(adapter_dir))
        loaded.model.eval()  # the new LoRA layers' dropout starts in training mode
    return np.array(loaded.model(mx.array([IDS]))[0].astype(mx.float32))


def llama_cpp_logits(base_path, lora_path) -> np.ndarray:
    from llama_cpp import Llama

    # F32 KV cache: llama.cpp's default F16 cache alone moves logits by ~5e-3.
    llm = Llama(model_path=str(base_path), lora_path=str(lora_path), n_ctx=64, logits_all=True,
                type_k=0, type_v=0, verbose=False)  # fmt: skip
    llm.eval(IDS)
    return np.array(llm.scores[: len(IDS)])


# --- GGUF LoRA --------------------------------------------------------------------------


def test_gguf_lora_metadata_and_tensors(tiny, tmp_path):
    arch, _, record, adapter = tiny
    out = write_lora_gguf(adapter, record, tmp_path / "lora.gguf", dtype="f16")
    reader = gguf.GGUFReader(out)
    fields = {name: field.contents() for name, field in reader.fields.items()}
    assert fields["general.architecture"] == arch and fields["general.type"] == "adapter"
    assert fields["adapter.type"] == "lora" and fields["adapter.lora.alpha"] == pytest.approx(SCALE * RANK)
    tensors = {t.name: t for t in reader.tensors}
    assert len(tensors) == 2 * 2 * len(KEYS)
    a, b = tensors["blk.1.attn_k.weight.lora_a"], tensors["blk.1.attn_k.weight.lora_b"]
    assert a.tensor_type == gguf.GGMLQuantizationType.F16
    n_in, n_out = module_dims(_base_config(record), "k_proj")
    assert list(a.shape) == [n_in, RANK] and list(b.shape) == [RANK, n_out]  # ggml order: ne[0] first
    assert list(tensors["blk.0.ffn_down.weight.lora_a"].shape) == [128, RANK]
    assert not list(tmp_path.glob(".*"))  # no temporary file left


@pytest.mark.llamacpp
@pytest.mark.parametrize("dtype", ["f32", "f16"])
def test_gguf_lora_logits_match_llama_cpp(tiny, tmp_path, dtype):
    """Must-show: base GGUF + exported LoRA in llama.cpp == base + adapter in MLX."""
    arch, base_path, record, adapter = tiny
    lora = write_lora_gguf(adapter, record, tmp_path / "lora.gguf", dtype=dtype)
    ours, plain = mlx_logits(record, adapter), mlx_logits(record)
    theirs = llama_cpp_logits(base_path, lora)
    diff, effect = np.abs(ours - theirs).max(), np.abs(ours - plain).max()
    print(f"{arch} {dtype}: max |diff| MLX+LoRA vs llama.cpp+LoRA = {diff:.2e}; LoRA moves logits by {effect:.2f}")
    assert diff <= 0.05, diff
    assert effect > 1.0 and np.abs(theirs - plain).max() > 1.0  # the LoRA is really applied on both sides
    assert (ours.argmax(-1) == theirs.argmax(-1)).mean() >= 0.9


# --- PEFT -------------------------------------------------------------------------------


def test_peft_files_config_and_deltas(tiny, tmp_path):
    arch, _, record, _ = tiny
    adapter = write_adapter(tmp_path / "last1", record, keys=KEYS + ["mlp.gate_proj"], num_layers=1, seed=3)
    out = write_peft(adapter, record, tmp_path / "peft")
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["task_type"] == "CAUSAL_LM"
    assert config["r"] == RANK and config["lora_alpha"] == SCALE * RANK and config["lora_dropout"] == 0.05
    assert config["target_modules"] == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "v_proj"]
    assert config["bias"] == "none" and config["fan_in_fan_out"] is False
    assert config["layers_to_transform"] == [1] and config["base_model_name_or_path"] == record.id

    from safetensors.numpy import load_file

    peft = load_file(out / "adapter_model.safetensors")
    mlx = {k: np.array(v) for k, v in mx.load(str(adapter / "adapters.safetensors")).items()}
    assert len(peft) == len(mlx) == 2 * 6
    scale = config["lora_alpha"] / config["r"]
    for key in [k for k in mlx if k.endswith(".lora_a")]:
        module = key.removesuffix(".lora_a")
        a, b = mlx[key], mlx[module + ".lora_b"]
        peft_a = peft[f"base_model.model.{module}.lora_A.weight"]
        peft_b = peft[f"base_model.model.{module}.lora_B.weight"]
        assert peft_a.shape == (RANK, a.shape[0]) and peft_b.shape == (b.shape[1], RANK)
        np.testing.assert_allclose(scale * peft_b @ peft_a, SCALE * (a @ b).T, rtol=1e-6, atol=1e-7)
    assert "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight" in peft


def test_peft_all_layers_has_no_layers_to_transform(tiny, tmp_path):
    _, _, record, adapter = tiny
    config = json.loads((write_peft(adapter, record, tmp_path / "p") / "adapter_config.json").read_text())
    assert "layers_to_transform" not in config


# --- bad input: one clear LocoError, nothing written ----------------------------------


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    record = import_base(str(write_tiny_gguf(tmp / "l.gguf", "llama", "F16")), store=BaseStore(tmp / "home"))
    return record, write_adapter(tmp / "adapter", record)


def _assert_empty(directory):
    assert not directory.exists() or not list(directory.iterdir()), list(directory.iterdir())


def test_dora_is_refused(llama, tmp_path):
    record, _ = llama
    dora = write_adapter(tmp_path / "dora", record, fine_tune_type="dora")
    with pytest.raises(LocoError, match="fine_tune_type 'dora' cannot be exported"):
        write_lora_gguf(dora, record, tmp_path / "out" / "x.gguf")
    with pytest.raises(LocoError, match="'dora'"):
        write_peft(dora, record, tmp_path / "out" / "peft")
    _assert_empty(tmp_path / "out")


def test_embedding_lora_is_refused(llama, tmp_path):
    record, adapter = llama
    emb = tmp_path / "emb"
    emb.mkdir()
    for name in ("adapter_config.json", "loco_adapter.json"):
        (emb / name).write_text((adapter / name).read_text())
    weights = dict(mx.load(str(adapter / "adapters.safetensors")))
    weights["model.embed_tokens.lora_a"] = mx.zeros((record_vocab(record), RANK))
    weights["model.embed_tokens.lora_b"] = mx.zeros((RANK, 64))
    mx.save_safetensors(str(emb / "adapters.safetensors"), weights)
    with pytest.raises(LocoError, match="module 'model.embed_tokens' cannot be exported"):
        write_lora_gguf(emb, record, tmp_path / "out" / "x.gguf")
    with pytest.raises(LocoError, match="module 'model.embed_tokens' cannot be exported"):
        write_peft(emb, record, tmp_path / "out" / "peft")
    _assert_empty(tmp_path / "out")


def record_vocab(record) -> int:
    return _base_config(record)["vocab_size"]


def test_wrong_base_fingerprint_is_refused(llama, tmp_path):
    record, _ = llama
    other = write_adapter(tmp_path / "other", record, fingerprint="f" * 64)
    with pytest.raises(LocoError, match=r"trained on base ffffffffffff"):
        write_lora_gguf(other, record, tmp_path / "out" / "x.gguf")
    with pytest.raises(LocoError, match=r"trained on base ffffffffffff"):
        write_peft(other, record, tmp_path / "out" / "peft")
    _assert_empty(tmp_path / "out")


def test_unwritable_output_is_a_clear_error(llama, tmp_path):
    record, adapter = llama
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(LocoError, match=r"cannot write into .*a_file"):
        write_lora_gguf(adapter, record, blocker / "x.gguf")
    with pytest.raises(LocoError, match=r"cannot write .*a_file/peft"):
        write_peft(adapter, record, blocker / "peft")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        with pytest.raises(LocoError, match="cannot write"):
            write_lora_gguf(adapter, record, locked / "x.gguf")
        _assert_empty(locked)


def test_interrupted_gguf_write_leaves_nothing(llama, tmp_path, monkeypatch):
    record, adapter = llama

    def half_then_interrupt(self, *args, **kwargs):
        self.fout[0].write(b"\0" * 100)  # some tensor bytes already on disk
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", half_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_lora_gguf(adapter, record, out / "x.gguf")
    _assert_empty(out)


def test_interrupted_peft_write_leaves_nothing(llama, tmp_path, monkeypatch):
    import loco_mlx.export.peft as peft_module

    record, adapter = llama
    real_save = peft_module._save_safetensors

    def save_then_interrupt(path, tensors):
        real_save(path, tensors)
        raise KeyboardInterrupt

    monkeypatch.setattr(peft_module, "_save_safetensors", save_then_interrupt)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_peft(adapter, record, out / "peft")
    _assert_empty(out)


def test_existing_output_directory_is_kept(llama, tmp_path):
    record, adapter = llama
    out = tmp_path / "peft"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(LocoError, match="already exists"):
        write_peft(adapter, record, out)
    assert (out / "mine.txt").read_text() == "keep me"


def test_peft_without_safetensors_package_writes_the_same_file(tiny, tmp_path, monkeypatch):
    """The mx.save_safetensors fallback gives the same tensors and header metadata."""
    from safetensors import safe_open

    _, _, record, adapter = tiny
    with_package = write_peft(adapter, record, tmp_path / "a") / "adapter_model.safetensors"
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)  # import now fails
    fallback = write_peft(adapter, record, tmp_path / "b") / "adapter_model.safetensors"
    monkeypatch.undo()
    with safe_open(with_package, "numpy") as first, safe_open(fallback, "numpy") as second:
        assert first.metadata() == second.metadata() == {"format": "pt"}
        assert sorted(first.keys()) == sorted(second.keys())
        for key in first.keys():
            np.testing.assert_array_equal(first.get_tensor(key), second.get_tensor(key))
