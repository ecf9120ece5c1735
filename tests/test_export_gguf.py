"""Fused GGUF export: tiny bases (+ a random LoRA) round-tripped through llama.cpp, and its errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import pytest

from loco_mlx.bases.gguf_import import llama3_rope_factors
from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.bases.store import BaseStore
from loco_mlx.errors import LocoError
from loco_mlx.export import gguf_writer
from loco_mlx.export.fuse import FusedModel, fused_weights
from loco_mlx.export.gguf_writer import EXPORT_TYPES, write_gguf
from tests.fixtures.tiny_gguf import ARCHS, CHAT_TEMPLATE, tiny_hf_weights, tiny_tokenizer, write_tiny_gguf
from tests.helpers import write_adapter

IDS = [1, 5, 40, 77, 120, 9, 250, 31, 2, 1, 60, 61]
TEXTS = [
    "Hello! How are you today?",
    "The numbers 2024 and 3.14 are written with digits.",
    "def add(a, b):\n    return a + b\n",
    "  spaces,\ttabs and UPPER case Words; ünïcödé too",
    "<|im_start|>user\nwhat is 12 + 30?<|im_end|>\n",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return BaseStore(tmp_path_factory.mktemp("export_home"))


@pytest.fixture(scope="module")
def bases(store, tmp_path_factory):
    """One imported tiny base per architecture, from F16 GGUF files."""
    tmp = tmp_path_factory.mktemp("sources")
    return {arch: import_base(str(write_tiny_gguf(tmp / f"{arch}.gguf", arch, "F16")), store=store) for arch in ARCHS}


def mlx_logits(record, adapter_dir=None, ids=IDS) -> np.ndarray:
    """Reference: the base in fp32 with the adapter applied unfused by mlx-lm's own loader."""
    from mlx_lm.tuner.utils import load_adapters

    loaded = load_base(record, compute="fp32")
    if adapter_dir is not None:
        load_adapters(loaded.model, str(adapter_dir))
    return np.array(loaded.model(mx.array([ids]))[0].astype(mx.float32))


def llama_logits(path: Path, ids=IDS) -> np.ndarray:
    from llama_cpp import Llama

    # F32 KV cache: llama.cpp's default F16 cache alone moves logits by ~5e-3
    llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, type_k=0, type_v=0, verbose=False)
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)])


def assert_same_tokens(path: Path, record) -> None:
    from llama_cpp import Llama

    vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
    tokenizer = load_base(record, compute="fp32").tokenizer
    for text in TEXTS:
        ours = tokenizer.encode(text, add_special_tokens=False)
        assert vocab.tokenize(text.encode(), add_bos=False, special=True) == ours, text


def read_meta(path: Path) -> dict[str, gguf.ReaderField]:
    return dict(gguf.GGUFReader(path).fields)


# --- round trips through llama.cpp -------------------------------------------------------


@pytest.mark.llamacpp
@pytest.mark.parametrize("arch", ARCHS)
def test_fused_f16_matches_mlx_with_adapter(arch, bases, tmp_path):
    record = bases[arch]
    adapter = write_adapter(tmp_path / "lora", record, seed=ARCHS.index(arch))
    model = fused_weights(record, adapter)
    assert model.adapter == "lora" and not model.dequantized
    out = write_gguf(model, record, tmp_path / "fused.gguf", "F16")
    expected = mlx_logits(record, adapter)
    assert np.abs(expected - mlx_logits(record)).max() > 0.5  # the adapter really changes the model
    diff = np.abs(llama_logits(out) - expected).max()
    print(f"{arch}: fused F16, max |logit diff| llama.cpp vs MLX+LoRA = {diff:.2e}")
    assert diff <= 0.05, (arch, diff)
    # F32 isolates the export from fp16 rounding: fusing and layout must then be exact
    f32 = write_gguf(model, record, tmp_path / "fused32.gguf", "F32")
    assert np.abs(llama_logits(f32) - expected).max() <= 1e-3
    assert_same_tokens(out, record)
    meta = read_meta(out)
    assert meta["tokenizer.chat_template"].contents() == CHAT_TEMPLATE
    assert meta["tokenizer.ggml.token_type"].types == [gguf.GGUFValueType.ARRAY, gguf.GGUFValueType.INT32]
    assert meta["general.name"].contents() == f"{record.id}-lora"
    names = {t.name for t in gguf.GGUFReader(out).tensors}
    assert "output.weight" not in names and "token_embd.weight" in names  # tied embeddings


@pytest.mark.llamacpp
def test_llama_cpp_noise_floor_is_nil_in_f32_and_rounding_in_f16(bases, tmp_path):
    """The parity report's floor: llama.cpp scoring a sequence in one batch vs a token at a time."""
    from llama_cpp import Llama

    from loco_mlx.export.verify import llama_sequence_logits

    record = bases["llama"]
    model = fused_weights(record, write_adapter(tmp_path / "lora", record))
    floors = {}
    for qtype in ("F32", "F16"):
        path = write_gguf(model, record, tmp_path / f"{qtype}.gguf", qtype)
        llm = Llama(model_path=str(path), n_ctx=64, logits_all=True, type_k=0, type_v=0, verbose=False)
        batch, one_by_one = llama_sequence_logits(llm, IDS, batch=True), llama_sequence_logits(llm, IDS, batch=False)
        assert np.allclose(batch, llama_logits(path), atol=1e-6)
        floors[qtype] = float(np.abs(batch - one_by_one).max())
    print(f"llama.cpp batch vs token by token: {floors}")
    assert floors["F32"] < 1e-4 and floors["F16"] < 0.05


@pytest.mark.llamacpp
def test_q8_0_export_keeps_the_top_token(bases, tmp_path):
    record = bases["llama"]
    out = write_gguf(fused_weights(record), record, tmp_path / "q8.gguf", "Q8_0")
    theirs, ours = llama_logits(out), mlx_logits(record)
    assert (theirs.argmax(-1) == ours.argmax(-1)).mean() >= 0.75
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(out).tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["blk.0.attn_norm.weight"] == "F32"


@pytest.mark.llamacpp
def test_k_quant_goes_through_llama_cpp(bases, tmp_path):
    assert EXPORT_TYPES["Q4_K_M"] == "llama.cpp" and EXPORT_TYPES["F16"] == "gguf-py"
    record = bases["qwen3"]
    out = write_gguf(fused_weights(record), record, tmp_path / "k.gguf", "Q4_K_M")
    meta = read_meta(out)
    assert meta["general.file_type"].contents() == int(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    assert meta["tokenizer.chat_template"].contents() == CHAT_TEMPLATE
    assert np.isfinite(llama_logits(out)).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.gguf"]  # the F16 intermediate is gone
    with pytest.raises(LocoError, match=r"could not quantize .*k.gguf to Q6_K .*must be an F32, F16 or BF16"):
        gguf_writer.quantize_llama_cpp(out, tmp_path / "again.gguf", "q6_k")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.gguf"]


@pytest.mark.llamacpp
def test_tokenizer_built_from_tokenizer_json(bases, store, tmp_path):
    """An MLX-directory base (no GGUF to copy from): the vocab comes from tokenizer.json, either as
    the importer wrote it or in Hugging Face's own SmolLM2 style (Digits + ByteLevel)."""
    for style in ("imported", "hf"):
        model_dir = tmp_path / style
        shutil.copytree(bases["llama"].model_dir, model_dir)
        if style == "hf":
            (model_dir / "tokenizer.json").write_text(tiny_tokenizer().to_str())
        record = import_base(str(model_dir), store=store)
        assert record.source_kind == "mlx"
        out = write_gguf(fused_weights(record), record, tmp_path / f"{style}.gguf", "F16")
        meta = read_meta(out)
        assert meta["tokenizer.ggml.pre"].contents() == "smollm"
        assert meta["tokenizer.ggml.token_type"].types[-1] == gguf.GGUFValueType.INT32
        assert meta["tokenizer.chat_template"].contents() == CHAT_TEMPLATE
        assert meta["tokenizer.ggml.bos_token_id"].contents() == 1
        assert_same_tokens(out, record)
        assert np.abs(llama_logits(out) - mlx_logits(record)).max() <= 0.05


@pytest.mark.llamacpp
def test_llama3_rope_scaling_round_trips(store, tmp_path):
    scaling = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    _, config = tiny_hf_weights("llama")
    factors = llama3_rope_factors(config["rope_theta"], 16, scaling)
    src = write_tiny_gguf(tmp_path / "l3.gguf", "llama", "F16", extra_tensors={"rope_freqs.weight": factors})
    record = import_base(str(src), store=store)
    out = write_gguf(fused_weights(record), record, tmp_path / "out.gguf", "F16")
    stored = next(t for t in gguf.GGUFReader(out).tensors if t.name == "rope_freqs.weight")
    np.testing.assert_allclose(np.array(stored.data), factors, rtol=1e-6)
    assert np.abs(llama_logits(out) - mlx_logits(record)).max() <= 0.05


# --- fusing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("qtype", ["Q8_0", "Q4_1"])
def test_fuse_dequantizes_exactly_and_merges_lora(qtype, store, tmp_path):
    from mlx.utils import tree_flatten

    record = import_base(str(write_tiny_gguf(tmp_path / "q.gguf", "qwen2", qtype)), qtype.lower(), store=store)
    plain = fused_weights(record)
    assert plain.dequantized
    # the same values MLX computes with when it expands the packed base to fp32
    expanded = dict(tree_flatten(load_base(record, compute="fp32").model.parameters()))
    for name, value in plain.weights.items():
        np.testing.assert_array_equal(value, np.array(expanded[name]), err_msg=name)
    adapter = write_adapter(tmp_path / "lora", record, scale=3.0)
    fused = fused_weights(record, adapter)
    lora = mx.load(str(adapter / "adapters.safetensors"))
    prefix = "model.layers.1.mlp.down_proj"
    delta = 3.0 * (np.array(lora[prefix + ".lora_a"]) @ np.array(lora[prefix + ".lora_b"])).T
    np.testing.assert_allclose(fused.weights[prefix + ".weight"], plain.weights[prefix + ".weight"] + delta, atol=1e-6)
    untouched = "model.layers.1.mlp.up_proj.weight"
    np.testing.assert_array_equal(fused.weights[untouched], plain.weights[untouched])


def test_an_export_expands_one_tensor_at_a_time(store, tmp_path, monkeypatch):
    """A 4B base is 16 GB in float32: the writer reads each tensor once, when it writes it."""
    from loco_mlx.export.fuse import FusedWeights

    record = import_base(str(write_tiny_gguf(tmp_path / "q.gguf", "llama", "Q4_1")), "lazy", store=store)
    expanded = []
    read = FusedWeights.__getitem__
    monkeypatch.setattr(FusedWeights, "__getitem__", lambda self, name: expanded.append(name) or read(self, name))
    model = fused_weights(record, write_adapter(tmp_path / "lora", record))
    plans = gguf_writer.plan_tensors(model, "F16", {})
    assert expanded == [] and "lm_head.weight" not in model.weights and expanded == []
    assert all(p.shape == read(model.weights, p.hf_name).shape for p in plans)  # shapes known unexpanded
    write_gguf(model, record, tmp_path / "lazy.gguf", "F16")
    assert sorted(expanded) == sorted(model.weights)  # each exactly once


def test_adapter_of_another_base_is_refused(bases, tmp_path):
    adapter = write_adapter(tmp_path / "other", bases["llama"], fingerprint="f" * 64)
    with pytest.raises(LocoError, match=r"adapter 'other' was trained on base ffffffffffff"):
        fused_weights(bases["llama"], adapter)


# --- errors: nothing half-written ------------------------------------------------------------


def test_unsupported_architecture_and_type_are_named(bases, tmp_path):
    model = fused_weights(bases["llama"])
    gemma = FusedModel(model.weights, {**model.config, "model_type": "gemma"}, False)
    with pytest.raises(LocoError, match=r"cannot export architecture 'gemma'; supported: llama, qwen2, qwen3"):
        write_gguf(gemma, bases["llama"], tmp_path / "g.gguf")
    with pytest.raises(LocoError, match=r"unsupported GGUF type 'Q7_X'; supported: F32, F16"):
        write_gguf(model, bases["llama"], tmp_path / "g.gguf", "Q7_X")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_no_file(bases, tmp_path, monkeypatch):
    calls = []
    encode = gguf_writer.encode_tensor

    def interrupted(w, ggml_type):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the tensor data
        return encode(w, ggml_type)

    monkeypatch.setattr(gguf_writer, "encode_tensor", interrupted)
    record = bases["qwen2"]
    with pytest.raises(KeyboardInterrupt):
        write_gguf(fused_weights(record), record, tmp_path / "m.gguf")
    assert len(calls) == 5 and list(tmp_path.iterdir()) == []


def test_unwritable_destination_is_a_clear_error(bases, tmp_path):
    model, record = fused_weights(bases["llama"]), bases["llama"]
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(LocoError, match=r"cannot write into .*file.txt"):
        write_gguf(model, record, blocker / "out.gguf")
    with pytest.raises(LocoError, match=r"is a directory"):
        write_gguf(model, record, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


_HF_CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
_HF_QWEN2 = _HF_CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


@pytest.mark.parametrize(
    "pre,expected",
    [  # pre_tokenizer sections as Hugging Face's tokenizer.json files have them
        ({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
          {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}]}, "smollm"),
        ({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": _HF_QWEN2}},
          {"type": "ByteLevel", "use_regex": False}]}, "qwen2"),
        ({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": _HF_QWEN2.replace(
          r"|\p{N}|", r"|\p{N}{1,3}|")}}, {"type": "ByteLevel", "use_regex": False}]}, "llama-bpe"),
        ({"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}, "gpt-2"),
    ],
)  # fmt: skip
def test_pre_tokenizer_is_recognised(pre, expected):
    assert gguf_writer.detect_pre_tokenizer(pre, Path("tokenizer.json")) == expected


def test_unknown_pre_tokenizer_is_refused():
    with pytest.raises(LocoError, match=r"tokenizer.json: pre-tokenizer .*Metaspace.* matches none llama.cpp knows"):
        gguf_writer.detect_pre_tokenizer({"type": "Metaspace", "replacement": "▁"}, Path("tokenizer.json"))
