"""The batched decoder's KV cache: one per layer for all rows.

Rows at different positions share one KV cache per layer (`RowKVCache`): every row writes
its next entry at the same index, shorter histories are left-padded and the padding is masked
out of attention; RoPE gets each row's own position. When a row leaves, padding common to
all remaining rows is cut off, so the cache never grows past the longest live row.
"""

from __future__ import annotations

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
