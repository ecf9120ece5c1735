"""Each row of a batched forward pass gets its own adapter (or none).

Per-row adapters go through the LoRA slots of adapters/pool.py: for the duration of one
forward pass each `SwappableLoRA` gets a `per_row` callable that adds every row's own low-rank
update. Two ways were measured (scripts/bench_batching.py, 2-core Linux CPU, SmolLM2-135M,
8 rows over base, math, json and code):

- "grouped" (the default): rows are grouped by adapter; each group's rows are multiplied by
  that adapter's own A and B and added back at their rows; rows with no adapter (and layers
  their adapter does not touch) get no update at all, so they compute exactly the base. Each
  row's arithmetic is the one-at-a-time path's (same ranks, same order of operations).
- "gathered": every adapter's A and B are stacked (zero-padded to the largest rank, with a zero
  entry for "none") and indexed by a per-row adapter id, then multiplied as one batched matmul.

Measured (8 rows, 32 greedy tokens each, best of 2, CPU shared with another job), tok/s in two runs:
one at a time 6.9 / 6.0; batched grouped 18.7 / 14.0, gathered 19.2 / 12.4; the same batch with no
adapters 21.9 / 20.5. All 8 replies equal the one-at-a-time ones with either strategy. The two
strategies trade places between runs, i.e. they are within this CPU's noise, so the choice rests
on exactness: grouped needs no padded copies, leaves plain-base rows exactly the base, and gives
each adapter row the one-at-a-time arithmetic, so it is the default; `strategy="gathered"` stays
selectable for Metal, where fewer, larger kernels may win (measure there with the same script).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import mlx.core as mx

from loco_mlx.errors import LocoError

STRATEGIES = ("grouped", "gathered")


def keep_base(x, y):
    """A layer no adapter in the batch touches: the base's output as it is."""
    return y


@dataclass
class GroupedLoRA:
    """Rows grouped by adapter; each group gets its adapter's update with the one-at-a-time arithmetic."""

    groups: list[tuple[mx.array | None, mx.array, mx.array, float]]  # (rows, or None for all rows; A; B; scale)

    def __call__(self, x, y):
        for rows, lora_a, lora_b, scale in self.groups:
            if rows is None:  # every row uses this adapter: exactly SwappableLoRA's expression
                return y + (scale * ((x @ lora_a) @ lora_b)).astype(x.dtype)
            z = (x[rows] @ lora_a) @ lora_b
            y = y.at[rows].add((scale * z).astype(x.dtype))
        return y


@dataclass
class GatheredLoRA:
    """Every adapter's A and B stacked (entry 0: zeros, for rows without one), indexed by each row's id."""

    lora_a: mx.array  # (adapters + 1, in, rank)
    lora_b: mx.array  # (adapters + 1, rank, out)
    scale: mx.array  # (adapters + 1,)
    ids: mx.array  # (rows,)

    def __call__(self, x, y):
        z = (x @ self.lora_a[self.ids]) @ self.lora_b[self.ids]
        return y + (self.scale[self.ids][:, None, None] * z).astype(x.dtype)


def grouped_update(module_path: str, row_adapters: list) -> Callable:
    groups = []
    for adapter in distinct(row_adapters):
        slot = adapter.slots.get(module_path)
        if slot is None:
            continue
        rows = [i for i, a in enumerate(row_adapters) if a is adapter]
        index = None if len(rows) == len(row_adapters) else mx.array(rows)
        groups.append((index, slot[0], slot[1], adapter.scale))
    return GroupedLoRA(groups) if groups else keep_base


def distinct(row_adapters: list) -> list:
    """The adapters the rows use (PooledAdapter objects, compared by identity), in order of first use."""
    return list({id(a): a for a in row_adapters if a is not None}.values())


class GatheredTables:
    """Stacked A/B per layer for one set of adapters, built once per set (rows come and go, sets rarely change)."""

    def __init__(self, pool, adapters: list):
        self.adapters = adapters
        self.tables: dict[str, tuple[mx.array, mx.array, mx.array] | None] = {}
        for module_path, wrapper in pool.wrappers.items():
            slots = [adapter.slots.get(module_path) for adapter in adapters]
            if all(s is None for s in slots):
                self.tables[module_path] = None
                continue
            rank = max(s[0].shape[1] for s in slots if s is not None)
            a = [mx.zeros((wrapper.in_dims, rank))] + [_pad_rank(s, 0, rank, wrapper.in_dims, 1) for s in slots]
            b = [mx.zeros((rank, wrapper.out_dims))] + [_pad_rank(s, 1, rank, wrapper.out_dims, 0) for s in slots]
            scales = [0.0] + [adapter.scale if s is not None else 0.0 for adapter, s in zip(adapters, slots)]
            self.tables[module_path] = (mx.stack(a), mx.stack(b), mx.array(scales))
        mx.eval([t for triple in self.tables.values() if triple is not None for t in triple])


def _pad_rank(slot, which: int, rank: int, dims: int, rank_axis: int) -> mx.array:
    """One side of an adapter's slot with its rank zero-padded to `rank` (zeros when it lacks the layer)."""
    if slot is None:
        return mx.zeros((dims, rank) if rank_axis == 1 else (rank, dims))
    matrix = slot[which]
    missing = rank - matrix.shape[rank_axis]
    if not missing:
        return matrix
    width = [(0, missing), (0, 0)] if rank_axis == 0 else [(0, 0), (0, missing)]
    return mx.pad(matrix, width)


class RowAdapters:
    """Installs each row's adapter into every LoRA slot of the pool for one forward pass.

    Rows name their adapter by the PooledAdapter object taken when the request was submitted, not by
    name: the pool may evict or reload an adapter meanwhile (its budget, a new version), and a row
    keeps decoding with the weights it started with (they stay in memory until the row leaves)."""

    def __init__(self, pool, strategy: str):
        if strategy not in STRATEGIES:
            raise LocoError(f"unknown per-row adapter strategy '{strategy}' (choose from {', '.join(STRATEGIES)})")
        self.pool = pool
        self.strategy = strategy
        self._tables: GatheredTables | None = None

    @contextlib.contextmanager
    def applied(self, row_adapters: list):
        updates = self._updates(row_adapters)
        wrappers = self.pool.wrappers
        try:
            for module_path, wrapper in wrappers.items():
                wrapper.per_row = updates(module_path)
            yield
        finally:
            for wrapper in wrappers.values():
                wrapper.per_row = None

    def _updates(self, row_adapters: list) -> Callable[[str], Callable]:
        if self.strategy == "grouped":
            return lambda module_path: grouped_update(module_path, row_adapters)
        adapters = distinct(row_adapters)
        if self._tables is None or [id(a) for a in self._tables.adapters] != [id(a) for a in adapters]:
            self._tables = GatheredTables(self.pool, adapters)
        slot_of = {id(a): i + 1 for i, a in enumerate(adapters)}
        ids = mx.array([0 if a is None else slot_of[id(a)] for a in row_adapters])

        def gathered(module_path: str):
            table = self._tables.tables.get(module_path)
            return keep_base if table is None else GatheredLoRA(*table, ids)

        return gathered
