"""HF / mlx-lm tensor names and layouts -> llama.cpp's, the inverse of models/gguf_import.py.

One name table serves both directions (gguf_import's), so an import followed by an export
gives back the same tensor names.
"""

from __future__ import annotations

import re

from loco_mlx.bases.gguf_import import _BLOCK_NAMES, _GLOBAL_NAMES
from loco_mlx.errors import LocoError

_TO_GGUF_BLOCK = {hf: gguf for gguf, hf in _BLOCK_NAMES.items()}
_TO_GGUF_GLOBAL = {hf: gguf for gguf, hf in _GLOBAL_NAMES.items()}
_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")


def gguf_tensor_name(hf_name: str) -> str:
    """`model.layers.3.self_attn.q_proj.weight` -> `blk.3.attn_q.weight`; LocoError if unknown."""
    if m := _LAYER_RE.match(hf_name):
        layer, part, kind = m.groups()
        if part in _TO_GGUF_BLOCK:
            return f"blk.{layer}.{_TO_GGUF_BLOCK[part]}.{kind}"
    else:
        stem, _, kind = hf_name.rpartition(".")
        if stem in _TO_GGUF_GLOBAL and kind in ("weight", "bias"):
            return f"{_TO_GGUF_GLOBAL[stem]}.{kind}"
    raise LocoError(f"tensor '{hf_name}' has no llama.cpp name; refusing to drop it silently")


def permute_rope_rows(w, n_heads: int):
    """HF (rotate-half) row order -> llama.cpp's interleaved RoPE order, for llama Q and K rows
    (and a LoRA B matrix, whose rows are the same output features). Inverse of
    gguf_import.unpermute_rope_rows."""
    rows = w.shape[0]
    rest = w.shape[1:]
    return w.reshape(n_heads, 2, rows // n_heads // 2, *rest).swapaxes(1, 2).reshape(rows, *rest)
