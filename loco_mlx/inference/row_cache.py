"""The batched decoder's KV caches: one per layer for all rows, and recent prompts' prefixes.

Rows at different positions share one KV cache per layer (`RowKVCache`): every row writes
its next entry at the same index, shorter histories are left-padded and the padding is masked
out of attention; RoPE gets each row's own position. When a row leaves, padding common to
all remaining rows is cut off, so the cache never grows past the longest live row.

`PrefixCache` keeps the keys and values of recent prompts per adapter. Chat prompts share
their start (the chat template's system turn, a shared instruction; `--votes` sends one prompt
N times), and prefilling is most of what a short request costs on a CPU, so a newcomer copies
the longest prefix it shares with a kept prompt and prefills only the rest.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import mlx.core as mx

from loco_mlx.errors import LocoError


class RowKVCache:
    """One layer's keys and values for all rows, right-aligned: every row writes its next entry at
    index `length`, and row i's entries start at `padding[i]` (the slots before are masked out)."""

    grow = 256  # allocate in steps, so decoding writes in place instead of copying the cache each token

    def __init__(self, rows: int):
        self.keys: mx.array | None = None
        self.values: mx.array | None = None
        self.length = 0
        self.padding = [0] * rows

    @property
    def offset(self):
        """Each row's position for RoPE: an int when the rows agree (as mlx-lm's KVCache gives), else per row."""
        if not any(self.padding):
            return self.length
        return mx.array([self.length - pad for pad in self.padding])

    def update_and_fetch(self, keys: mx.array, values: mx.array) -> tuple[mx.array, mx.array]:
        new = keys.shape[2]
        if self.keys is None or self.length + new > self.keys.shape[2]:
            self._reserve(self.length + new, keys, values)
        self.keys[..., self.length : self.length + new, :] = keys
        self.values[..., self.length : self.length + new, :] = values
        self.length += new
        return self.keys[..., : self.length, :], self.values[..., : self.length, :]

    def _reserve(self, needed: int, keys: mx.array, values: mx.array) -> None:
        capacity = -(-needed // self.grow) * self.grow
        rows, heads, _, _ = keys.shape
        fresh_k = mx.zeros((rows, heads, capacity, keys.shape[3]), keys.dtype)
        fresh_v = mx.zeros((rows, heads, capacity, values.shape[3]), values.dtype)
        if self.keys is not None and self.length:
            fresh_k[..., : self.length, :] = self.keys[..., : self.length, :]
            fresh_v[..., : self.length, :] = self.values[..., : self.length, :]
        self.keys, self.values = fresh_k, fresh_v

    def make_mask(self, n: int, return_array: bool = False, window_size: int | None = None):
        if window_size is not None:
            raise LocoError(f"batched decoding does not support sliding-window attention (window {window_size})")
        if not any(self.padding) and not return_array:
            return None if n == 1 else "causal"  # as mlx-lm's KVCache: the one-at-a-time path's own kernels
        total = self.length + n
        keys_at = mx.arange(total)[None]
        queries_at = mx.arange(self.length, total)[:, None]
        causal = queries_at >= keys_at  # (n, total)
        unpadded = keys_at[None] >= mx.array(self.padding)[:, None, None]  # (rows, 1, total)
        return (causal[None] & unpadded)[:, None]  # (rows, 1, n, total)

    @property
    def state(self) -> list[mx.array]:
        return [] if self.keys is None else [self.keys, self.values]

    def live(self) -> tuple[mx.array, mx.array] | None:
        return None if self.keys is None else (self.keys[..., : self.length, :], self.values[..., : self.length, :])

    def append(self, other: RowKVCache) -> None:
        """Add `other`'s rows after these, padding the shorter side on the left so both end at the same index."""
        length = max(self.length, other.length)
        mine, theirs = self.live(), other.live()
        template = mine if mine is not None else theirs
        if template is not None:
            parts = [
                _left_padded(pair, len(cache.padding), length, template)
                for pair, cache in ((mine, self), (theirs, other))
            ]
            self.keys = mx.concatenate([parts[0][0], parts[1][0]])
            self.values = mx.concatenate([parts[0][1], parts[1][1]])
        self.padding = [pad + length - self.length for pad in self.padding] + [
            pad + length - other.length for pad in other.padding
        ]
        self.length = length

    def keep(self, rows: list[int]) -> None:
        """Only these rows stay; padding that every remaining row has is cut off."""
        self.padding = [self.padding[i] for i in rows]
        if not rows:
            self.keys = self.values = None
            self.length = 0
            return
        cut = min(self.padding)
        if self.keys is not None:
            index = mx.array(rows)
            self.keys = self.keys[index, :, cut : self.length, :]
            self.values = self.values[index, :, cut : self.length, :]
        self.length -= cut
        self.padding = [pad - cut for pad in self.padding]


def _left_padded(pair, rows: int, length: int, template) -> tuple[mx.array, mx.array]:
    """A cache's live keys and values (zeros when it has none yet) padded on the left to `length`."""
    if pair is None:
        k, v = template
        shape_k, shape_v = (rows, k.shape[1], 0, k.shape[3]), (rows, v.shape[1], 0, v.shape[3])
        pair = (mx.zeros(shape_k, k.dtype), mx.zeros(shape_v, v.dtype))
    width = [(0, 0), (0, 0), (length - pair[0].shape[2], 0), (0, 0)]
    return mx.pad(pair[0], width), mx.pad(pair[1], width)


def make_row_caches(model, rows: int) -> list[RowKVCache]:
    return [RowKVCache(rows) for _ in model.layers]


@dataclass
class KeptPrompt:
    adapter: object | None  # the PooledAdapter its keys were computed with (None: the base), compared by identity
    tokens: tuple[int, ...]
    layers: list[tuple[mx.array, mx.array]]  # per layer: keys and values, (1, heads, len(tokens), dim)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + v.nbytes for k, v in self.layers)


class PrefixCache:
    """The keys and values of recent prompts, least recently used dropped first past `max_bytes`."""

    min_tokens = 4  # a shorter shared start is not worth a copy

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.kept: OrderedDict[int, KeptPrompt] = OrderedDict()
        self.nbytes = 0  # of everything kept
        self.hits = self.reused_tokens = 0

    def stats(self) -> dict[str, int]:
        return {"prompts": len(self.kept), "hits": self.hits, "reused_tokens": self.reused_tokens}

    def start(self, model, adapter, tokens: tuple[int, ...]) -> tuple[list[RowKVCache], int]:
        """One row's fresh caches holding the longest kept prefix of `tokens` for `adapter`, and its length."""
        caches = make_row_caches(model, 1)
        best, shared = None, 0
        for key, kept in self.kept.items():
            if kept.adapter is adapter and (n := _common_prefix(kept.tokens, tokens)) > shared:
                best, shared = key, n
        if best is None or shared < self.min_tokens:
            return caches, 0
        self.kept.move_to_end(best)
        for cache, (keys, values) in zip(caches, self.kept[best].layers):
            cache.keys, cache.values = keys[..., :shared, :], values[..., :shared, :]  # new arrays: kept stays as is
            cache.length = shared
        self.hits += 1
        self.reused_tokens += shared
        return caches, shared

    def keep(self, adapter, tokens: tuple[int, ...], caches: list[RowKVCache]) -> None:
        """Remember one row's prefilled `tokens`, replacing a kept prompt that is a prefix of them."""
        if self.max_bytes <= 0 or not tokens:
            return
        for key in [k for k, p in self.kept.items() if p.adapter is adapter and tokens[: len(p.tokens)] == p.tokens]:
            self.nbytes -= self.kept.pop(key).nbytes
        layers = [(c.keys[..., : len(tokens), :], c.values[..., : len(tokens), :]) for c in caches]
        mx.eval(layers)
        prompt = KeptPrompt(adapter, tokens, layers)
        if prompt.nbytes > self.max_bytes:
            return
        self.kept[id(prompt)] = prompt
        self.nbytes += prompt.nbytes
        while self.nbytes > self.max_bytes:
            self.nbytes -= self.kept.popitem(last=False)[1].nbytes


def _common_prefix(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)
