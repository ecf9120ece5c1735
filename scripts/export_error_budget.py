"""Where does an exported GGUF's difference from MLX come from? An error budget per type.

llama.cpp's CPU kernels round twice: the weights are stored in the file's type, and each
matmul's input is converted to the weight type's "vec_dot" type before the dot product (F16
for F16 weights, BF16 for BF16, blocks of 32 8-bit values for Q8_0). This script builds MLX
models of the fused adapter that round the weights exactly as the file stores them, the
matmul inputs as llama.cpp's kernels do, or both, and compares each with the exact MLX model
on `loco export`'s verification prompts, next to the llama.cpp file itself and llama.cpp
scoring the same sequences token by token instead of in one batch:

    python scripts/export_error_budget.py --adapter adapters/json --types F16,Q8_0

When "both" lands where llama.cpp does, the remaining difference is rounding, not the
converter (an F32 export, rounding nothing, agrees within 3e-4).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

# isort: split
import mlx.core as mx
import mlx.nn as nn
import numpy as np


def round_inputs(x, qtype: str):
    """A matmul input as llama.cpp's CPU kernel for `qtype` weights sees it (ggml's from_float)."""
    if qtype == "F16":
        return x.astype(mx.float16).astype(mx.float32)
    if qtype == "BF16":
        return x.astype(mx.bfloat16).astype(mx.float32)
    if qtype == "Q8_0":  # per block of 32: d = max|x| / 127 (stored as F16), q = round(x / d)
        blocks = x.reshape(*x.shape[:-1], x.shape[-1] // 32, 32)
        amax = mx.abs(blocks).max(axis=-1, keepdims=True)
        inverse = mx.where(amax > 0, 127 / mx.where(amax > 0, amax, 1), 0)
        d = (amax / 127).astype(mx.float16).astype(mx.float32)
        return (mx.round(blocks * inverse) * d).reshape(x.shape)
    raise ValueError(f"no input rounding modelled for {qtype}")


def stored_weights(fused, qtype: str) -> tuple[dict, dict]:
    """The fused weights as the GGUF of `qtype` stores them, and each 2-D weight's tensor type."""
    import gguf

    from loco_mlx.export.gguf_writer import encode_tensor, plan_tensors

    weights, types = dict(fused.weights), {}
    for plan in plan_tensors(fused, qtype, {}):
        if plan.hf_name is None or plan.ggml_type == gguf.GGMLQuantizationType.F32:
            continue
        encoded = encode_tensor(weights[plan.hf_name], plan.ggml_type)
        weights[plan.hf_name] = gguf.quants.dequantize(encoded, plan.ggml_type).reshape(plan.shape).astype(np.float32)
        types[plan.hf_name] = plan.ggml_type.name
    return weights, types


def rounding_model(fused, qtype: str, weights: bool, inputs: bool):
    """An MLX model of `fused` that rounds its weights and/or its matmul inputs like llama.cpp."""
    from mlx.utils import tree_unflatten
    from mlx_lm.utils import _get_classes

    rounded, types = stored_weights(fused, qtype)
    model_class, args_class = _get_classes(fused.config)
    model = model_class(args_class.from_dict(fused.config))
    source = rounded if weights else fused.weights
    model.load_weights([(k, mx.array(v)) for k, v in source.items()], strict=False)
    if inputs:
        swaps = [
            (path, InputRoundingLinear(module, types[path + ".weight"]))
            for path, module in model.named_modules()
            if isinstance(module, nn.Linear) and path + ".weight" in types
        ]
        model.update_modules(tree_unflatten(swaps))
        embed = getattr(model.model, "embed_tokens", None)
        if getattr(model.args, "tie_word_embeddings", False) and "model.embed_tokens.weight" in types:
            kind = types["model.embed_tokens.weight"]
            embed.as_linear = lambda x: round_inputs(x, kind) @ embed.weight.T
    mx.eval(model.parameters())
    return model


class InputRoundingLinear(nn.Module):
    """A Linear whose input is rounded as llama.cpp's kernel for the weight's type rounds it."""

    def __init__(self, linear: nn.Linear, kind: str):
        super().__init__()
        self.weight = linear.weight
        if "bias" in linear:
            self.bias = linear.bias
        self.kind = kind

    def __call__(self, x):
        y = round_inputs(x, self.kind) @ self.weight.T
        return y + self.bias if "bias" in self else y


def compare(reference, candidates: dict) -> dict:
    """max |logit diff| and top-1 agreement of each candidate's logits with the reference's."""
    from loco_mlx.export.verify import sequences_agreement

    return {name: sequences_agreement(zip(reference, logits, strict=True)) for name, logits in candidates.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", default="adapters/json")
    ap.add_argument("--types", default="F16,Q8_0")
    args = ap.parse_args()

    from loco_mlx.export.fuse import FusedModel, fused_weights
    from loco_mlx.export.gguf_writer import write_gguf
    from loco_mlx.export.run import resolve_target
    from loco_mlx.export.verify import F32, PROMPTS, llama_sequence_logits
    from loco_mlx.inference.llamacpp import open_llama
    from loco_mlx.inference.open import EngineSettings, open_engine

    name, adapter_dir, record = resolve_target(args.adapter, None)
    engine = open_engine(EngineSettings(record, adapter_path=adapter_dir, registered=False))
    sequences = []
    for prompt in PROMPTS:
        ids = engine.encode_chat([{"role": "user", "content": prompt}])
        sequences.append(ids + engine.greedy_tokens(ids, 64))
    exact = [engine.sequence_logits(s) for s in sequences]
    lazy = fused_weights(record, adapter_dir)
    # expanded once here: every model below (and the GGUF) reads all of it, several times
    fused = FusedModel(dict(lazy.weights), lazy.config, lazy.dequantized, lazy.adapter)

    print(f"\n`python scripts/export_error_budget.py --adapter {args.adapter} --types {args.types}` on "
          f"{platform.machine()} ({os.cpu_count()} cores); {len(sequences)} prompts, "
          f"{sum(map(len, sequences))} positions, against the exact MLX model\n")  # fmt: skip
    print("| type | what rounds | max abs logit diff | top-1 agreement |")
    print("|---|---|---:|---:|")
    for qtype in args.types.upper().split(","):
        logits = {}
        for label, w, x in (("weights (MLX)", True, False), ("matmul inputs (MLX)", False, True),
                            ("both (MLX, as llama.cpp's kernels)", True, True)):  # fmt: skip
            model = rounding_model(fused, qtype, w, x)
            logits[label] = [np.array(model(mx.array([s]))[0].astype(mx.float32)) for s in sequences]
            del model
        with tempfile.TemporaryDirectory() as tmp:
            path = write_gguf(fused, record, Path(tmp) / f"{name}-{qtype.lower()}.gguf", qtype)
            llm = open_llama(path, 512, gpu=False, logits_all=True, type_k=F32, type_v=F32)
            logits["llama.cpp, the exported file"] = [llama_sequence_logits(llm, s, batch=True) for s in sequences]
            one_by_one = [llama_sequence_logits(llm, s, batch=False) for s in sequences]
            llm.close()
        for label, (diff, agree) in compare(exact, logits).items():
            print(f"| {qtype} | {label} | {diff:.3f} | {agree:.2%} |")
        ((diff, agree),) = compare(logits["llama.cpp, the exported file"], {"self": one_by_one}).values()
        print(f"| {qtype} | llama.cpp token by token vs in one batch | {diff:.3f} | {agree:.2%} |", flush=True)


if __name__ == "__main__":
    main()
