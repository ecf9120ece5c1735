"""fp32 expansion of a quantized model keeps exactly the function of the packed model."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import pytest
from mlx_lm.utils import _get_classes

from loco_mlx.bases.loading import expand_to_fp32
from tests.fixtures.tiny_gguf import tiny_hf_weights


@pytest.mark.parametrize("arch", ["llama", "qwen3"])
@pytest.mark.parametrize("bits", [4, 8])
def test_expand_to_fp32_matches_packed(arch, bits):
    weights, config = tiny_hf_weights(arch)
    model_class, args_class = _get_classes(config)
    model = model_class(args_class.from_dict(config))
    model.load_weights([(k, mx.array(v)) for k, v in weights.items()])
    nn.quantize(model, group_size=32, bits=bits)
    ids = mx.array([[1, 5, 40, 77, 120, 9, 250, 31]])
    packed = np.array(model(ids))

    expand_to_fp32(model)
    assert not any(isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding)) for _, m in model.named_modules())
    assert model.model.layers[0].self_attn.q_proj.weight.dtype == mx.float32
    np.testing.assert_allclose(np.array(model(ids)), packed, atol=1e-4)
