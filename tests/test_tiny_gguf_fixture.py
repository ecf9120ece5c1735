"""Checks that the tiny GGUF fixture is a faithful llama.cpp-style GGUF file.

The llamacpp-marked tests load the files in llama.cpp itself and compare its
logits with mlx-lm on the same weights, which validates the fixture's tensor
names, metadata and llama Q/K permutation end to end.
"""

from __future__ import annotations

import importlib
import json

import gguf
import numpy as np
import pytest

from tests.fixtures.tiny_gguf import (
    ARCHS,
    CHAT_TEMPLATE,
    QTYPES,
    gguf_tensor_name,
    llama_permute,
    llama_unpermute,
    tiny_hf_weights,
    tiny_tokenizer,
    tiny_tokenizer_vocab,
    write_tiny_gguf,
)

TOKEN_IDS = [1, 40, 200, 7, 99, 300, 12, 5, 150, 2, 17, 33]


def _field(reader: gguf.GGUFReader, key: str):
    return reader.fields[key].contents()


def _mlx_logits(arch: str, weights: dict, config: dict) -> np.ndarray:
    import mlx.core as mx

    mod = importlib.import_module(f"mlx_lm.models.{arch}")
    model = mod.Model(mod.ModelArgs.from_dict(config))
    model.load_weights([(k, mx.array(v)) for k, v in weights.items()])  # strict: names and shapes
    return np.array(model(mx.array([TOKEN_IDS]))[0], dtype=np.float32)


def _llama_cpp_logits(path, **kwargs) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, verbose=False, **kwargs)
    try:
        llm.eval(TOKEN_IDS)
        return np.array(llm.scores[: len(TOKEN_IDS)], dtype=np.float32)
    finally:
        llm.close()


# --- tokenizer -----------------------------------------------------------------


def test_tokenizer_vocab_is_deterministic_bpe_with_chatml_controls():
    voc = tiny_tokenizer_vocab()
    assert voc == tiny_tokenizer_vocab()
    tokens = voc["tokens"]
    assert 300 <= len(tokens) <= 512 and len(set(tokens)) == len(tokens)
    assert tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert voc["token_types"][:3] == [3, 3, 3] and set(voc["token_types"][3:]) == {1}
    assert (voc["bos_id"], voc["eos_id"], voc["pad_id"]) == (1, 2, 0)
    assert "Ċ" in tokens and "Ġ" in tokens  # byte-level alphabet ("\n", " ")
    vocab = set(tokens)
    for merge in voc["merges"]:
        a, b = merge.split(" ")
        assert a in vocab and b in vocab and a + b in vocab


def test_chat_template_renders_chatml():
    import jinja2

    text = jinja2.Template(CHAT_TEMPLATE).render(
        messages=[{"role": "user", "content": "Hi"}], add_generation_prompt=True
    )
    assert text == (
        "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


# --- HF weights ----------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_hf_weights_load_in_mlx_lm(arch, tmp_path):
    import mlx.core as mx
    from mlx_lm.utils import load_model

    weights, config = tiny_hf_weights(arch)
    assert config["vocab_size"] == len(tiny_tokenizer_vocab()["tokens"])
    (tmp_path / "config.json").write_text(json.dumps(config))
    mx.save_safetensors(str(tmp_path / "model.safetensors"), {k: mx.array(v) for k, v in weights.items()})
    model, _ = load_model(tmp_path)  # strict: every parameter present, shapes right
    logits = np.array(model(mx.array([TOKEN_IDS]))[0])
    assert np.isfinite(logits).all() and 0.5 < logits.std() < 10  # well-scaled, not degenerate
    assert len(set(logits.argmax(-1).tolist())) > 1


def test_permutation_interleaves_rotate_half_pairs_and_inverts():
    # one head, head_dim 4: HF rows (r0, r1 | r2, r3) -> llama.cpp pairs (r0, r2), (r1, r3)
    w = np.arange(4 * 3, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(llama_permute(w, 1), w[[0, 2, 1, 3]])
    x = np.random.default_rng(1).standard_normal((2 * 16, 64)).astype(np.float32)
    assert np.array_equal(llama_unpermute(llama_permute(x, 2), 2), x)
    assert not np.array_equal(llama_permute(x, 2), x)


@pytest.mark.parametrize("arch", ARCHS)
def test_tensor_names_agree_with_gguf_py(arch):
    weights, config = tiny_hf_weights(arch, tie_embeddings=False)
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH[arch.upper()], config["num_hidden_layers"])
    for hf_name in weights:
        assert gguf_tensor_name(hf_name) == name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))


# --- GGUF file -----------------------------------------------------------------


@pytest.mark.parametrize("qtype", list(QTYPES))
@pytest.mark.parametrize("arch", ARCHS)
def test_gguf_round_trip(arch, qtype, tmp_path):
    weights, config = tiny_hf_weights(arch, seed=3)
    path = write_tiny_gguf(tmp_path / "m.gguf", arch, qtype, weights=weights, config=config)
    reader = gguf.GGUFReader(path)
    voc = tiny_tokenizer_vocab()

    assert _field(reader, "general.architecture") == arch
    assert _field(reader, "general.file_type") == QTYPES[qtype][1]
    head_dim = config["head_dim"]
    expected = {
        "block_count": 2,
        "context_length": 512,
        "embedding_length": 64,
        "feed_forward_length": 128,
        "attention.head_count": 4,
        "attention.head_count_kv": 2,
        "rope.dimension_count": head_dim,
        "vocab_size": len(voc["tokens"]),
    }
    for key, value in expected.items():
        assert _field(reader, f"{arch}.{key}") == value, key
    assert _field(reader, f"{arch}.rope.freq_base") == pytest.approx(config["rope_theta"])
    assert _field(reader, f"{arch}.attention.layer_norm_rms_epsilon") == pytest.approx(config["rms_norm_eps"])
    if arch == "qwen3":
        assert head_dim * 4 != 64  # head_dim really is decoupled from hidden/heads
        assert _field(reader, "qwen3.attention.key_length") == head_dim
        assert _field(reader, "qwen3.attention.value_length") == head_dim
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.ggml.pre") == ("smollm" if arch == "llama" else "qwen2")
    assert _field(reader, "tokenizer.ggml.tokens") == voc["tokens"]
    assert reader.fields["tokenizer.ggml.token_type"].types[-1] == gguf.GGUFValueType.INT32
    assert _field(reader, "tokenizer.ggml.token_type") == voc["token_types"]
    assert _field(reader, "tokenizer.ggml.merges") == voc["merges"]
    assert _field(reader, "tokenizer.ggml.bos_token_id") == voc["bos_id"]
    assert _field(reader, "tokenizer.ggml.eos_token_id") == voc["eos_id"]
    assert _field(reader, "tokenizer.ggml.padding_token_id") == voc["pad_id"]
    assert _field(reader, "tokenizer.ggml.add_bos_token") is False
    assert _field(reader, "tokenizer.chat_template") == CHAT_TEMPLATE

    tensors = {t.name: t for t in reader.tensors}
    expected_names = {gguf_tensor_name(n) for n in weights if n != "lm_head.weight"}
    assert set(tensors) == expected_names and "output.weight" not in tensors  # tied
    assert any(n.endswith("attn_q.bias") for n in tensors) == (arch == "qwen2")
    assert any(n.endswith("attn_q_norm.weight") for n in tensors) == (arch == "qwen3")

    qt = QTYPES[qtype][0]
    for hf_name, src in weights.items():
        t = tensors[gguf_tensor_name(hf_name)]
        assert list(reversed(t.shape.tolist())) == list(src.shape)  # GGUF lists dims innermost first
        stored_type = qt if src.ndim == 2 else gguf.GGMLQuantizationType.F32
        assert t.tensor_type == stored_type, hf_name
        got = gguf.quants.dequantize(t.data, t.tensor_type).reshape(src.shape)
        if arch == "llama" and ".q_proj." in hf_name:
            got = llama_unpermute(got, config["num_attention_heads"])
        elif arch == "llama" and ".k_proj." in hf_name:
            got = llama_unpermute(got, config["num_key_value_heads"])
        # the permutation moves whole rows and quantization blocks lie within a row,
        # so un-permuting the file gives exactly the quantized source
        ref = gguf.quants.dequantize(gguf.quants.quantize(src, stored_type), stored_type).reshape(src.shape)
        assert np.array_equal(got, ref), hf_name
        # and the quantized source is close to the source (per-row relative error)
        rel = {"F32": 0, "F16": 1e-3, "Q8_0": 1 / 100, "Q4_0": 1 / 6, "Q4_1": 1 / 12}[qtype]
        bound = rel * np.abs(src).max(axis=-1, keepdims=True) + 1e-7
        assert (np.abs(got - src) <= bound).all(), hf_name


def test_untied_model_writes_output_weight(tmp_path):
    weights, config = tiny_hf_weights("llama", tie_embeddings=False)
    path = write_tiny_gguf(tmp_path / "u.gguf", "llama", "Q8_0", weights=weights, config=config)
    tensors = {t.name: t for t in gguf.GGUFReader(path).tensors}
    out = tensors["output.weight"]
    assert out.tensor_type == gguf.GGMLQuantizationType.Q8_0
    got = gguf.quants.dequantize(out.data, out.tensor_type).reshape(weights["lm_head.weight"].shape)
    assert np.abs(got - weights["lm_head.weight"]).max() < 0.02


def test_rejects_unknown_arch_and_qtype(tmp_path):
    with pytest.raises(ValueError):
        write_tiny_gguf(tmp_path / "a.gguf", "mistral")
    with pytest.raises(ValueError):
        write_tiny_gguf(tmp_path / "b.gguf", "llama", "Q5_K")


# --- llama.cpp -----------------------------------------------------------------


@pytest.mark.llamacpp
@pytest.mark.parametrize("arch", ARCHS)
def test_llama_cpp_loads_fixture(arch, tmp_path):
    pytest.importorskip("llama_cpp")
    from llama_cpp import Llama

    path = write_tiny_gguf(tmp_path / "m.gguf", arch, "F16")
    llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, verbose=False)
    try:
        assert llm.n_vocab() == len(tiny_tokenizer_vocab()["tokens"])
        assert (llm.token_bos(), llm.token_eos()) == (1, 2)
        llm.eval(TOKEN_IDS[:5])
        logits = np.array(llm.scores[:5])
        assert logits.shape == (5, llm.n_vocab()) and np.isfinite(logits).all()
        # llama.cpp's BPE with this pre-tokenizer splits text as the HF tokenizer does
        text = "Hello world! It's 3.14, isn't it?\n\n  A quick fox.<|im_end|>\n"
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == tiny_tokenizer().encode(text).ids
    finally:
        llm.close()


@pytest.mark.llamacpp
@pytest.mark.parametrize("arch", ARCHS)
def test_llama_cpp_logits_match_mlx_lm(arch, tmp_path):
    pytest.importorskip("llama_cpp")
    weights, config = tiny_hf_weights(arch)
    f32_kv = {"type_k": 0, "type_v": 0}  # GGML_TYPE_F32: llama.cpp's default F16 KV cache costs ~5e-3

    # F32 file: llama.cpp and mlx-lm agree to float32 round-off
    path = write_tiny_gguf(tmp_path / "f32.gguf", arch, "F32", weights=weights, config=config)
    ref = _mlx_logits(arch, weights, config)
    assert np.abs(_llama_cpp_logits(path, **f32_kv) - ref).max() < 1e-4

    # F16 file vs mlx-lm on the same (fp16-rounded) weights; llama.cpp also rounds
    # activations to fp16 in its F16 matmuls, hence the looser bound
    path = write_tiny_gguf(tmp_path / "f16.gguf", arch, "F16", weights=weights, config=config)
    w16 = {k: v.astype(np.float16).astype(np.float32) if v.ndim == 2 else v for k, v in weights.items()}
    ref16 = _mlx_logits(arch, w16, config)
    lc16 = _llama_cpp_logits(path, **f32_kv)
    assert np.abs(lc16 - ref16).max() < 1e-2
    assert (lc16.argmax(-1) == ref16.argmax(-1)).all()

    if arch == "llama":
        # negative control: Q/K left in llama.cpp's order give clearly different logits,
        # so the comparison above does test the permutation
        wrong = dict(weights)
        for name in wrong:
            if ".q_proj.weight" in name:
                wrong[name] = llama_permute(weights[name], config["num_attention_heads"])
            elif ".k_proj.weight" in name:
                wrong[name] = llama_permute(weights[name], config["num_key_value_heads"])
        assert np.abs(_mlx_logits(arch, wrong, config) - ref).max() > 1.0
