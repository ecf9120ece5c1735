"""scripts/export_error_budget.py models llama.cpp's rounding; these check the model is faithful:
the Q8_0 input rounding is ggml's quantize_row_q8_0, and the rounded weights are the file's."""

from __future__ import annotations

import gguf
import numpy as np
import pytest

from tests.fixtures.scripts import load_script
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="module")
def budget():
    return load_script("export_error_budget")


def test_q8_0_input_rounding_is_the_q8_0_block_format(budget):
    import mlx.core as mx

    x = (np.random.default_rng(0).standard_normal((6, 256)) * np.linspace(0.01, 40, 256)).astype(np.float32)
    x[0, :32] = 0.0  # an all-zero block stays zero
    ours = np.array(budget.round_inputs(mx.array(x), "Q8_0"))
    reference = gguf.quants.dequantize(
        gguf.quants.quantize(x, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    )
    step = np.abs(x).reshape(-1, 32).max(-1, keepdims=True) / 127
    differ = np.abs(ours - reference).reshape(-1, 32) > 1e-6 * (1 + np.abs(x).reshape(-1, 32))
    assert differ.mean() < 1e-3  # only exact .5 ties may round the other way (ggml: to even)
    # half a step, plus the step's own F16 rounding (stored as F16) times |q| <= 127
    assert (np.abs(ours - x).reshape(-1, 32) <= step * (0.5 + 127 * 2**-11) + 1e-6).all()
    assert not ours[0, :32].any()
    assert np.array_equal(np.array(budget.round_inputs(mx.array(x), "F16")), x.astype(np.float16).astype(np.float32))


def test_stored_weights_are_what_the_file_holds(budget, loco_home, tmp_path):
    from loco_mlx.bases.resolve import import_base
    from loco_mlx.export.fuse import fused_weights
    from loco_mlx.export.gguf_writer import write_gguf

    record = import_base(str(write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "F16")), "tiny")
    fused = fused_weights(record)
    for qtype in ("F16", "Q8_0"):
        weights, types = budget.stored_weights(fused, qtype)
        path = write_gguf(fused, record, tmp_path / f"{qtype}.gguf", qtype)
        tensor = next(t for t in gguf.GGUFReader(path).tensors if t.name == "blk.0.ffn_down.weight")
        in_file = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(
            weights["model.layers.0.mlp.down_proj.weight"].shape
        )
        assert types["model.layers.0.mlp.down_proj.weight"] == qtype
        np.testing.assert_array_equal(weights["model.layers.0.mlp.down_proj.weight"], in_file)
        assert "model.norm.weight" not in types  # norms stay F32, as written
