"""GGUF import end to end on tiny fixture files written with gguf-py, and its errors."""

from __future__ import annotations

import json

import gguf
import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest

from loco_mlx.bases.gguf_import import hf_tensor_name, import_gguf
from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.bases.store import BaseStore
from loco_mlx.errors import LocoError
from tests.fixtures.bad_gguf import truncated_gguf, unsupported_arch_gguf, unsupported_type_gguf
from tests.fixtures.tiny_gguf import ARCHS, llama_unpermute, tiny_hf_weights, write_tiny_gguf

PROMPT_IDS = [1, 5, 40, 77, 120, 9, 250, 31, 2, 1, 60, 61]


def _logits(model, ids) -> np.ndarray:
    out = model(mx.array([ids]))
    return np.array(out[0].astype(mx.float32))


def _reference_model(arch: str, weights: dict[str, np.ndarray], config: dict):
    from mlx_lm.utils import _get_classes

    model_class, args_class = _get_classes(config)
    model = model_class(args_class.from_dict(config))
    model.load_weights([(k, mx.array(v)) for k, v in weights.items()])
    return model


@pytest.mark.parametrize("arch", ARCHS)
def test_f16_import_matches_source_weights(arch, tmp_path, loco_home):
    weights, config = tiny_hf_weights(arch)
    path = write_tiny_gguf(tmp_path / f"{arch}.gguf", arch, "F16")
    record = import_base(str(path))
    loaded = load_base(record, compute="fp32")
    # The file holds the matrices rounded to fp16; norms and biases stay F32.
    rounded = {k: v.astype(np.float16).astype(np.float32) if v.ndim == 2 else v for k, v in weights.items()}
    expected = _logits(_reference_model(arch, rounded, config), PROMPT_IDS)
    got = _logits(loaded.model, PROMPT_IDS)
    assert np.abs(got - expected).max() < 1e-4
    assert loaded.config["model_type"] == arch
    assert record.architecture == arch and record.quantization == "float16"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("qtype,bits", [("Q8_0", 8), ("Q4_0", 4), ("Q4_1", 4)])
def test_quantized_import_stays_packed_and_exact(arch, qtype, bits, tmp_path):
    """Packed weights keep their bits; dequantized they equal gguf-py's dequantization, un-permuted."""
    path = write_tiny_gguf(tmp_path / "m.gguf", arch, qtype)
    config = import_gguf(path, tmp_path / "model")
    from mlx_lm.utils import load_model

    model, _ = load_model(tmp_path / "model")
    q_proj = model.model.layers[1].self_attn.q_proj
    assert isinstance(q_proj, nn.QuantizedLinear) and q_proj.bits == bits and q_proj.group_size == 32
    ours = mx.dequantize(
        q_proj.weight, q_proj.scales.astype(mx.float32), q_proj.biases.astype(mx.float32), group_size=32, bits=bits
    )
    reader = gguf.GGUFReader(path)
    raw = next(t for t in reader.tensors if t.name == "blk.1.attn_q.weight")
    theirs = gguf.quants.dequantize(raw.data, raw.tensor_type).reshape(np.array(ours).shape)
    if arch == "llama":
        theirs = llama_unpermute(theirs, config["num_attention_heads"])
    np.testing.assert_allclose(np.array(ours), theirs, rtol=0, atol=1e-6)


def test_tensor_names_map_to_mlx_lm():
    assert hf_tensor_name("blk.12.attn_k.weight") == "model.layers.12.self_attn.k_proj.weight"
    assert hf_tensor_name("blk.0.attn_q.bias") == "model.layers.0.self_attn.q_proj.bias"
    assert hf_tensor_name("blk.3.attn_q_norm.weight") == "model.layers.3.self_attn.q_norm.weight"
    assert hf_tensor_name("output.weight") == "lm_head.weight"
    with pytest.raises(LocoError, match="unknown tensor 'blk.0.ssm_conv1d.weight'"):
        hf_tensor_name("blk.0.ssm_conv1d.weight")


def test_import_writes_config_and_chat_template(tmp_path):
    path = write_tiny_gguf(tmp_path / "m.gguf", "qwen3", "F16")
    import_gguf(path, tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["head_dim"] == 32 and config["tie_word_embeddings"] is True
    tok_config = json.loads((tmp_path / "model" / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in tok_config["chat_template"]


# --- bad input: one clear LocoError, nothing left behind -------------------------------


def _assert_store_untouched(store_home):
    bases = store_home / "bases"
    assert not bases.exists() or not any(bases.iterdir()), list(bases.iterdir())


def test_unsupported_architecture_is_named(tmp_path, loco_home):
    path = unsupported_arch_gguf(tmp_path / "f.gguf")
    with pytest.raises(LocoError, match=r"unsupported architecture 'falcon'; supported: llama, qwen2, qwen3"):
        import_base(str(path))
    _assert_store_untouched(loco_home)


def test_unsupported_tensor_type_names_tensor_and_type(tmp_path, loco_home):
    path = unsupported_type_gguf(tmp_path / "q5.gguf")
    with pytest.raises(LocoError, match=r"tensor 'blk.0.attn_q.weight' has type Q5_0"):
        import_base(str(path))
    _assert_store_untouched(loco_home)


def test_truncated_gguf_fails_cleanly(tmp_path, loco_home):
    path = truncated_gguf(tmp_path / "m.gguf")
    with pytest.raises(LocoError, match="truncated"):
        import_base(str(path))
    _assert_store_untouched(loco_home)


def test_not_a_gguf_and_missing_file(tmp_path, loco_home):
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(LocoError, match="is not a GGUF file"):
        import_base(str(text))
    with pytest.raises(LocoError, match="no such file or directory"):
        import_base(str(tmp_path / "missing.gguf"))
    _assert_store_untouched(loco_home)


def test_failure_mid_import_leaves_no_directory(tmp_path, loco_home, monkeypatch):
    """A crash after tensors were written must not leave a half-written model dir."""
    import loco_mlx.bases.gguf_tokenizer as tok

    def boom(*_args, **_kwargs):
        raise LocoError("simulated tokenizer failure")

    monkeypatch.setattr(tok, "write_tokenizer_files", boom)
    path = write_tiny_gguf(tmp_path / "m.gguf", "llama", "F16")
    with pytest.raises(LocoError, match="simulated"):
        import_base(str(path))
    _assert_store_untouched(loco_home)
    assert not list((tmp_path).glob(".model*"))


def test_duplicate_id_is_refused_and_keeps_the_first(tmp_path, loco_home):
    path = write_tiny_gguf(tmp_path / "m.gguf", "llama", "F16")
    first = import_base(str(path), base_id="tiny")
    with pytest.raises(LocoError, match="already exists"):
        import_base(str(path), base_id="tiny")
    assert BaseStore().get("tiny").fingerprint == first.fingerprint


@pytest.mark.llamacpp
def test_f16_logit_parity_with_llama_cpp(tmp_path, loco_home):
    """Must-show: a tiny F16 GGUF imported and run in MLX vs llama.cpp on the same file."""
    from llama_cpp import Llama

    for arch in ARCHS:
        path = write_tiny_gguf(tmp_path / f"{arch}.gguf", arch, "F16")
        loaded = load_base(import_base(str(path)), compute="fp32")
        ours = _logits(loaded.model, PROMPT_IDS)
        # F32 KV cache: llama.cpp's default F16 cache alone moves logits by ~5e-3.
        llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, type_k=0, type_v=0, verbose=False)
        llm.eval(PROMPT_IDS)
        theirs = np.array(llm.scores[: len(PROMPT_IDS)])
        diff = np.abs(ours - theirs).max()
        print(f"{arch}: max |logit diff| MLX vs llama.cpp = {diff:.2e}")
        assert diff <= 1e-2, (arch, diff)
        assert (ours.argmax(-1) == theirs.argmax(-1)).all()


# --- Llama 3 RoPE scaling: rope_freqs.weight becomes config["rope_scaling"] ------------


def _mlx_lm_llama3_factors(theta: float, head_dim: int, scaling: dict) -> np.ndarray:
    """Factors as mlx-lm's own Llama3RoPE computes them: an independent implementation."""
    from mlx_lm.models.rope_utils import Llama3RoPE

    rope = Llama3RoPE(head_dim, base=theta, scaling_config=scaling)
    return np.array(rope._freqs) / theta ** (np.arange(0, head_dim, 2) / head_dim)


@pytest.mark.parametrize(
    "theta,head_dim,factor",
    [(500000.0, 128, 8.0), (500000.0, 64, 32.0), (10000.0, 16, 8.0)],  # Llama 3.1 8B, Llama 3.2 1B, tiny
)
def test_llama3_rope_scaling_is_recovered_from_factors(theta, head_dim, factor):
    from loco_mlx.bases.gguf_import import infer_llama3_rope_scaling

    scaling = {
        "rope_type": "llama3",
        "factor": factor,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    factors = _mlx_lm_llama3_factors(theta, head_dim, scaling)
    assert infer_llama3_rope_scaling(factors, theta, head_dim) == scaling
    with pytest.raises(LocoError, match="match no Llama 3 scaling setting"):
        infer_llama3_rope_scaling(factors * 1.5, theta, head_dim)


@pytest.mark.llamacpp
def test_gguf_with_rope_freqs_imports_and_matches_llama_cpp(tmp_path, loco_home):
    from llama_cpp import Llama

    from loco_mlx.bases.gguf_import import llama3_rope_factors

    scaling = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    _, config = tiny_hf_weights("llama")
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    factors = llama3_rope_factors(config["rope_theta"], head_dim, scaling)
    assert 1.0 < factors.max() and factors.min() == 1.0  # all three regions present
    path = write_tiny_gguf(tmp_path / "l3.gguf", "llama", "F16", extra_tensors={"rope_freqs.weight": factors})
    loaded = load_base(import_base(str(path)), compute="fp32")
    assert loaded.config["rope_scaling"] == {"rope_type": "llama3", **scaling}
    llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, type_k=0, type_v=0, verbose=False)
    llm.eval(PROMPT_IDS)
    diff = np.abs(_logits(loaded.model, PROMPT_IDS) - np.array(llm.scores[: len(PROMPT_IDS)])).max()
    assert diff <= 1e-2, diff
