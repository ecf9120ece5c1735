"""Batched decoding on MLX in which every row has its own adapter (or none).

A `BatchDecoder` keeps up to `max_batch` requests decoding together over the one resident
base; the rest wait in a queue. `submit(request)` returns a `RequestHandle` that yields
`TokenEvent`s. Requests join at token boundaries: a newcomer's prompt is prefilled alone
(with its adapter), its keys and values are merged into the batch, and from the next step it
decodes with the others. A finished row leaves at the end of the step that finished it, a
cancelled one at the start of the next step.
Each row keeps its own sampling settings (temperature, top_p, seed, max_tokens, stop strings).

Rows at different positions share one KV cache per layer (`RowKVCache`): every row writes
its next entry at the same index, shorter histories are left-padded and the padding is masked
out of attention; RoPE gets each row's own position. When a row leaves, padding common to
all remaining rows is cut off, so the cache never grows past the longest live row.

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

The one-at-a-time path (Engine.stream, MLXBackend) is untouched: `per_row` is None outside a
batched forward pass, and the pool's active adapter is neither read nor changed here. The
model is shared, so a caller must not run a batched step and a one-at-a-time generation at
the same moment (one worker thread, or a lock around both).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator

import mlx.core as mx

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import ContextOverflow, GenerationStats, SamplingConfig, eos_token_ids
from loco_mlx.ranges import at_least, check_settings, one_of

STRATEGIES = ("grouped", "gathered")


# --- settings and records -------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSettings:
    max_batch: int = at_least(8, 1)  # rows decoding together; further requests queue
    strategy: str = one_of("grouped", STRATEGIES, "per-row adapter strategy")

    def __post_init__(self):
        check_settings(self)


@dataclass(frozen=True)
class BatchRequest:
    """One completion: prepared prompt ids, the adapter to answer with (None: the plain base) and its sampling."""

    prompt_ids: tuple[int, ...]
    adapter: str | None = None
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    stop: tuple[str, ...] = ()  # the reply ends before the first of these strings

    def __post_init__(self):
        object.__setattr__(self, "prompt_ids", tuple(int(i) for i in self.prompt_ids))
        object.__setattr__(self, "stop", tuple(self.stop))
        if not self.prompt_ids:
            raise LocoError("a batched request needs at least one prompt token (got an empty prompt)")
        if any(not s for s in self.stop):
            raise LocoError(f"stop strings must not be empty (got {list(self.stop)!r})")


@dataclass(frozen=True)
class TokenEvent:
    """One decoded token and the text it makes safe to show; the last event has `finish_reason` and `stats`."""

    token: int | None  # None: a closing event without a reply token (end of turn, cancelled)
    text: str
    finish_reason: str | None = None  # "stop" (end of turn or a stop string) | "length" | "cancelled"
    stats: GenerationStats | None = None


# --- the KV cache ----------------------------------------------------------------------------


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


# --- each row's adapter ----------------------------------------------------------------------


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


# --- sampling and text -----------------------------------------------------------------------


def sample_rows(logits: mx.array, rows: list[Row]) -> list[int]:
    """One token per row: argmax for greedy rows, each sampled row with its own key, temperature and top_p."""
    from mlx_lm.sample_utils import apply_top_p

    logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)  # what mlx-lm's samplers are given
    picks = mx.argmax(logprobs, axis=-1)
    sampled = {}
    for i, row in enumerate(rows):
        sampling = row.request.sampling
        if sampling.temperature == 0:
            continue
        row.key, key = mx.random.split(row.key)
        scores = logprobs[i]
        if sampling.top_p < 1:
            scores = apply_top_p(scores, sampling.top_p)
        sampled[i] = mx.random.categorical(scores * (1.0 / sampling.temperature), key=key)
    if sampled:
        order = sorted(sampled)
        picks[mx.array(order)] = mx.stack([sampled[i] for i in order]).astype(picks.dtype)
    return picks.tolist()


def held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many characters at the end of `text` could be the start of a stop string (not shown yet)."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class RowText:
    """A row's streamed text: detokenized incrementally, cut at the first stop string, never showing a
    piece that may turn out to start one."""

    def __init__(self, tokenizer, stops: tuple[str, ...]):
        self.detokenizer = tokenizer.detokenizer
        self.stops = stops
        self.pending = ""  # decoded, not shown yet
        self.shown = ""

    def add(self, token: int) -> tuple[str, bool]:
        """The text safe to show after `token`, and whether a stop string was reached."""
        self.detokenizer.add_token(token)
        self.pending += self.detokenizer.last_segment
        return self._release(final=False)

    def finish(self) -> str:
        self.detokenizer.finalize()
        self.pending += self.detokenizer.last_segment
        return self._release(final=True)[0]

    def _release(self, final: bool) -> tuple[str, bool]:
        text = self.shown + self.pending
        hits = [i for i in (text.find(s, max(0, len(self.shown) - len(s))) for s in self.stops) if i >= 0]
        if hits:
            piece, stopped = text[len(self.shown) : min(hits)], True
        else:
            keep = 0 if final else held_back(text, self.stops)
            piece, stopped = self.pending[: len(self.pending) - keep], False
        self.shown += piece
        self.pending = self.pending[len(piece) :] if not stopped else ""
        return piece, stopped


# --- requests and rows -----------------------------------------------------------------------


class RequestHandle:
    """A submitted request: iterate it for its TokenEvents; `cancel()` frees its row at the next step."""

    def __init__(self, decoder: BatchDecoder, request: BatchRequest, adapter=None):
        self.request = request
        self.adapter = adapter  # the PooledAdapter it decodes with (None: the plain base)
        self.tokens: list[int] = []  # generated, without the end-of-turn token
        self.text = ""
        self.finish_reason: str | None = None
        self.stats: GenerationStats | None = None
        self._decoder = decoder
        self._events: queue.Queue[TokenEvent] = queue.Queue()
        self._cancelled = threading.Event()

    @property
    def done(self) -> bool:
        return self.finish_reason is not None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._decoder.wake()

    def __iter__(self) -> Iterator[TokenEvent]:
        while True:
            event = self._next_event()
            yield event
            if event.finish_reason is not None:
                return

    def result(self) -> str:
        """Decode to the end (driving the decoder when no thread does) and return the whole text."""
        for _ in self:
            pass
        return self.text

    def _next_event(self) -> TokenEvent:
        while self._events.empty() and not self._decoder.running:
            self._decoder.step()  # no background thread: whoever waits drives the batch
        return self._events.get()

    def _publish(self, event: TokenEvent) -> None:
        if event.token is not None:
            self.tokens.append(event.token)
        self.text += event.text
        if event.finish_reason is not None:
            self.finish_reason, self.stats = event.finish_reason, event.stats
        self._events.put(event)


@dataclass
class Row:
    """One request decoding in the batch."""

    handle: RequestHandle
    text: RowText
    key: mx.array
    max_tokens: int
    next_input: int  # the token this row feeds at the next step
    generated: int = 0
    prefill_seconds: float = 0.0
    decode_started: float = 0.0

    @property
    def request(self) -> BatchRequest:
        return self.handle.request


# --- the decoder -----------------------------------------------------------------------------


class BatchDecoder:
    """Continuous batching over one model and its AdapterPool: submit requests, step the batch."""

    def __init__(self, model, tokenizer, pool, context_length: int, settings: BatchSettings | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.pool = pool
        self.context_length = context_length
        self.settings = settings or BatchSettings()
        self.adapters = RowAdapters(pool, self.settings.strategy)
        self.eos = set(eos_token_ids(tokenizer))
        self.rows: list[Row] = []
        self.caches = make_row_caches(model, 0)
        self.waiting: deque[RequestHandle] = deque()
        self._lock = threading.Lock()  # guards `waiting` (submit and cancel come from other threads)
        self._step_lock = threading.Lock()  # one step at a time
        self._work = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- what a server calls -----------------------------------------------------------------

    def submit(self, request: BatchRequest) -> RequestHandle:
        """Queue `request`; it joins the batch at the next step with a free row. Refused (LocoError) when its
        adapter is not loaded or its prompt leaves no room in the context; max_tokens is capped to the room."""
        self._check(request)
        adapter = self.pool.adapters[request.adapter] if request.adapter is not None else None
        handle = RequestHandle(self, request, adapter)
        with self._lock:
            self.waiting.append(handle)
        self.wake()
        return handle

    @property
    def active(self) -> int:
        return len(self.rows)

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self.waiting)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Decode on a background thread; handles then block until their events arrive."""
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._serve, name="loco-batch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            with self._work:
                self._stopping = True
                self._work.notify_all()
            thread.join()

    def wake(self) -> None:
        with self._work:
            self._work.notify_all()

    def step(self) -> int:
        """Drop finished and cancelled rows, admit waiting requests, decode one token for every row.
        Returns the rows still decoding."""
        with self._step_lock:
            self._reap()
            self._admit()
            if self.rows:
                self._decode()
            self._reap()
            return len(self.rows)

    def run_until_idle(self) -> None:
        while self.rows or self.queued:
            self.step()

    # --- checks --------------------------------------------------------------------------------

    def _check(self, request: BatchRequest) -> None:
        if request.adapter is not None and request.adapter not in self.pool.adapters:
            loaded = ", ".join(self.pool.adapters) or "none"
            raise LocoError(f"adapter '{request.adapter}' is not loaded (loaded: {loaded})")
        tokens = len(request.prompt_ids)
        if tokens >= self.context_length:
            raise ContextOverflow(
                f"the prompt is {tokens} tokens, the model's context is {self.context_length}: "
                "no room for a reply in a batched request"
            )

    # --- one step ------------------------------------------------------------------------------

    def _reap(self) -> None:
        with self._lock:
            for handle in [h for h in self.waiting if h.cancelled]:
                self.waiting.remove(handle)
                handle._publish(TokenEvent(None, "", "cancelled"))
        for row in self.rows:
            if row.handle.cancelled and not row.handle.done:
                self._finish(row, "cancelled", "")
        staying = [i for i, row in enumerate(self.rows) if not row.handle.done]
        if len(staying) != len(self.rows):
            self.rows = [self.rows[i] for i in staying]
            for cache in self.caches:
                cache.keep(staying)

    def _admit(self) -> None:
        while len(self.rows) < self.settings.max_batch:
            with self._lock:
                if not self.waiting:
                    return
                handle = self.waiting.popleft()
            self._join(handle)

    def _join(self, handle: RequestHandle) -> None:
        """Prefill all but the last prompt token alone (as mlx-lm's generate_step does), then merge its cache."""
        request = handle.request
        start = time.perf_counter()
        caches = make_row_caches(self.model, 1)
        if len(request.prompt_ids) > 1:
            with self.adapters.applied([handle.adapter]):
                self.model(mx.array([request.prompt_ids[:-1]]), cache=caches)
            mx.eval([c.state for c in caches])
        for batch_cache, row_cache in zip(self.caches, caches):
            batch_cache.append(row_cache)
        sampling = request.sampling
        seed = sampling.seed if sampling.seed is not None else time.time_ns() % (2**32)
        room = self.context_length - len(request.prompt_ids)
        now = time.perf_counter()
        row = Row(
            handle,
            RowText(self.tokenizer, request.stop),
            mx.random.key(seed),
            max_tokens=min(sampling.max_tokens, room),
            next_input=request.prompt_ids[-1],
            prefill_seconds=now - start,
            decode_started=now,
        )
        self.rows.append(row)

    def _decode(self) -> None:
        inputs = mx.array([[row.next_input] for row in self.rows])
        with self.adapters.applied([row.handle.adapter for row in self.rows]):
            logits = self.model(inputs, cache=self.caches)[:, -1, :]
        for row, token in zip(self.rows, sample_rows(logits, self.rows)):
            self._advance(row, token)

    def _advance(self, row: Row, token: int) -> None:
        row.generated += 1
        row.next_input = token
        if token in self.eos:  # the end-of-turn token ends the reply and is not part of it
            self._finish(row, "stop", row.text.finish())
            return
        piece, stopped = row.text.add(token)
        if stopped:
            self._finish(row, "stop", piece, token)
        elif row.generated >= row.max_tokens:
            self._finish(row, "length", piece + row.text.finish(), token)
        else:
            row.handle._publish(TokenEvent(token, piece))

    def _finish(self, row: Row, reason: str, text: str, token: int | None = None) -> None:
        decode_seconds = max(time.perf_counter() - row.decode_started, 1e-9)
        prompt_tokens = len(row.request.prompt_ids)
        stats = GenerationStats(
            prompt_tokens=prompt_tokens,
            generated_tokens=row.generated,
            prompt_tps=prompt_tokens / max(row.prefill_seconds, 1e-9),
            decode_tps=row.generated / decode_seconds,
            finish_reason=reason,
        )
        row.handle._publish(TokenEvent(token, text, reason, stats))

    # --- the background thread -----------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            with self._work:
                while not self._stopping and not self.rows and not self.queued:
                    self._work.wait()
                if self._stopping:
                    return
            self.step()
