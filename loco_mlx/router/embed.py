"""The router's embedding channel: a sentence vector from the resident base model itself.

No second model is held in memory: the query's tokens run through the first `layer`
transformer blocks of the base, and the hidden states are pooled into one vector. Middle
layers carry the topic of a text better than the last ones (which specialise in predicting
the next token) and cost a fraction of a full forward pass; scripts/bench_router.py measures
accuracy and latency per layer and pooling. Adapters are switched off while embedding, so
the vector is the base's whatever adapter is active (the router was fitted on base vectors).

The query is embedded as plain text, without the chat template: the template's fixed system
prompt would dominate a mean over a short query. Queries longer than `max_tokens` are
embedded from their first and last halves (where the request usually is), and say so.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loco_mlx.errors import LocoError

POOLINGS = ("mean", "last")


@dataclass(frozen=True)
class EncoderConfig:
    layer: int  # blocks run: 0 (token embeddings only) .. num_layers
    pooling: str = "mean"  # mean | last
    max_tokens: int = 256  # longer queries: first and last halves

    def __post_init__(self):
        # the CLI's flags name these settings, so the errors do too
        if self.pooling not in POOLINGS:
            raise LocoError(f"--pooling {self.pooling!r} is not a pooling; choose one of: {', '.join(POOLINGS)}")
        if self.layer < 0:
            raise LocoError(f"--layer {self.layer} is negative; choose 0 (token embeddings) up to the base's layers")
        if self.max_tokens < 2:
            raise LocoError(f"--max-tokens {self.max_tokens} is too few to embed a query; use at least 2")


def check_layer(layer: int, num_layers: int) -> int:
    """`layer` when the base has that many blocks to run, else a LocoError naming the range."""
    if not 0 <= layer <= num_layers:
        raise LocoError(
            f"--layer {layer}: the base has {num_layers} layers; choose 0 (token embeddings) to {num_layers}"
        )
    return layer


def layer_count(model_dir: str | Path) -> int | None:
    """The base's number of transformer blocks from its config.json, known before the model loads
    (None when the config does not say; the encoder checks again once it is loaded)."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    count = config.get("num_hidden_layers", (config.get("text_config") or {}).get("num_hidden_layers"))
    return count if isinstance(count, int) and count > 0 else None


def default_layer(num_layers: int) -> int:
    """A fifth of the way up (6 of SmolLM2's 30 blocks): as accurate as any deeper layer on the
    held-out set at a fraction of the cost (scripts/bench_router.py; README)."""
    return max(1, round(num_layers / 5))


@dataclass
class Embedding:
    vector: np.ndarray  # float32, (hidden,)
    tokens: int  # tokens of the query before truncation
    truncated: bool
    seconds: float


class BaseEncoder:
    """Embeds text with the first `config.layer` blocks of an mlx-lm model."""

    def __init__(self, model, tokenizer, config: EncoderConfig, base_only=None):
        inner = getattr(model, "model", model)
        self.embed_tokens = inner.embed_tokens
        self.layers = inner.layers
        check_layer(config.layer, len(self.layers))
        self.tokenizer = tokenizer
        self.config = config
        self.base_only = base_only or contextlib.nullcontext  # switches the adapters off while embedding

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def token_ids(self, text: str) -> tuple[list[int], int, bool]:
        ids = list(self.tokenizer.encode(text, add_special_tokens=False)) if text else []
        count, limit = len(ids), self.config.max_tokens
        if count > limit:
            ids = ids[: limit // 2] + ids[count - (limit - limit // 2) :]
        return ids, count, count > limit

    def embed(self, text: str) -> Embedding:
        start = time.perf_counter()
        vectors, count, truncated = self.embed_layers(text, [self.config.layer], self.config.pooling)
        return Embedding(vectors[self.config.layer], count, truncated, time.perf_counter() - start)

    def embed_layers(self, text: str, layers: list[int], pooling: str) -> tuple[dict[int, np.ndarray], int, bool]:
        """Pooled hidden states after each of `layers` blocks (0: the token embeddings), in one pass."""
        import mlx.core as mx
        from mlx_lm.models.base import create_attention_mask

        ids, count, truncated = self.token_ids(text)
        if not ids:
            raise ValueError("cannot embed an empty text")
        wanted, out = set(layers), {}
        with self.base_only():
            h = self.embed_tokens(mx.array([ids]))
            mask = create_attention_mask(h, None)
            for depth in range(max(layers) + 1):
                if depth > 0:
                    h = self.layers[depth - 1](h, mask, None)
                if depth in wanted:
                    pooled = h[0].mean(axis=0) if pooling == "mean" else h[0, -1]
                    out[depth] = pooled.astype(mx.float32)
            mx.eval(list(out.values()))
        return {depth: np.array(v, dtype=np.float32) for depth, v in out.items()}, count, truncated
