"""Batched decoding on MLX in which every row has its own adapter (or none).

A `BatchDecoder` keeps up to `max_batch` requests decoding together over the one resident
base; the rest wait in a queue. `submit(request)` returns a `RequestHandle` that yields
`TokenEvent`s. Requests join at token boundaries: a newcomer's prompt is prefilled alone
(with its adapter), its keys and values are merged into the batch, and from the next step it
decodes with the others. A finished row leaves at the end of the step that finished it, a
cancelled one at the start of the next step. Steps overlap as in mlx-lm's generate_step: the
next step is queued from this step's tokens before they are read, so that on Metal the GPU
computes while Python builds the next graph (on a 2-core CPU it measured no faster).
Each row keeps its own sampling settings (temperature, top_p, seed, max_tokens, stop strings), and may
carry a JSON guide (json_guide.py) that picks its tokens on the host; while a guided row decodes, steps
do not overlap, since its next input is known only once its logits are read.

Rows at different positions share one KV cache per layer (row_cache.py), and a newcomer
prefills only what follows the start it shares with a recent prompt (row_cache.PrefixCache);
each row's adapter is applied by the LoRA slots with a per-row update (row_lora.py, where the
two strategies and their measurement are).

The one-at-a-time path (Engine.stream, MLXBackend) is untouched: `per_row` is None outside a
batched forward pass, and the pool's active adapter is neither read nor changed here. The
model is shared, so a caller must not run a batched step and a one-at-a-time generation at
the same moment (one worker thread, or a lock around both).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

import mlx.core as mx
import numpy as np

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import ContextOverflow, GenerationStats, SamplingConfig, eos_token_ids
from loco_mlx.inference.row_cache import PrefixCache, make_row_caches
from loco_mlx.inference.row_lora import STRATEGIES, RowAdapters
from loco_mlx.inference.stops import StopScanner
from loco_mlx.ranges import at_least, check_settings, one_of

# --- settings and records -------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSettings:
    max_batch: int = at_least(8, 1)  # rows decoding together; further requests queue
    strategy: str = one_of("grouped", STRATEGIES, "per-row adapter strategy")
    prefix_cache_mb: int = at_least(256, 0)  # recent prompts' keys and values kept for reuse (0: none)

    def __post_init__(self):
        check_settings(self)


@dataclass(frozen=True)
class BatchRequest:
    """One completion: prepared prompt ids, the adapter to answer with (None: the plain base) and its sampling."""

    prompt_ids: tuple[int, ...]
    adapter: str | None = None
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    stop: tuple[str, ...] = ()  # the reply ends before the first of these strings
    guide: Any = field(default=None, compare=False)  # a json_guide.JsonGuide picking this row's tokens

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


# --- sampling and text -----------------------------------------------------------------------


def sample_rows(logits: mx.array, rows: list[Row]) -> mx.array:
    """One token per row, not yet computed: argmax for greedy rows, each sampled row with its own key,
    temperature and top_p."""
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
    guided = [i for i, row in enumerate(rows) if row.request.guide is not None]
    if guided:  # the guide picks on the host, from the row's logits, and takes its pick at once
        host = np.array(logits[mx.array(guided)].astype(mx.float32))
        chosen = []
        for i, row_logits in zip(guided, host):
            row = rows[i]
            token = row.request.guide.pick(row_logits, row.request.sampling.temperature, row.rng)
            row.request.guide.advance(token)
            chosen.append(token)
        picks[mx.array(guided)] = mx.array(chosen).astype(picks.dtype)
    return picks


class RowText:
    """A row's streamed text: detokenized incrementally, cut at the first stop string, never showing a
    piece that may turn out to start one."""

    def __init__(self, tokenizer, stops: tuple[str, ...]):
        self.detokenizer = tokenizer.detokenizer
        self.scanner = StopScanner(stops)

    def add(self, token: int) -> tuple[str, bool]:
        """The text safe to show after `token`, and whether a stop string was reached."""
        self.detokenizer.add_token(token)
        return self.scanner.feed(self.detokenizer.last_segment)

    def finish(self) -> str:
        self.detokenizer.finalize()
        piece, stopped = self.scanner.feed(self.detokenizer.last_segment)
        return piece if stopped else piece + self.scanner.flush()


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
    rng: Any = None  # numpy's, for a guided row's sampling

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
        self.prefixes = PrefixCache(self.settings.prefix_cache_mb * 2**20)
        self._ahead: mx.array | None = None  # the next step's tokens, computing while this step's are read
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
            if self._ahead is not None and self._joining():
                tokens, self._ahead = self._ahead, None
                self._take(tokens)  # the rows decoded ahead catch up before a newcomer joins them
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
            if self._ahead is not None:
                self._ahead = self._ahead[mx.array(staying)] if staying else None

    def _admit(self) -> None:
        while len(self.rows) < self.settings.max_batch:
            with self._lock:
                if not self.waiting:
                    return
                handle = self.waiting.popleft()
            self._join(handle)

    def _join(self, handle: RequestHandle) -> None:
        """Prefill all but the last prompt token alone (as mlx-lm's generate_step does), after the longest
        start it shares with a recent prompt for the same adapter, then merge its cache into the batch."""
        request = handle.request
        start = time.perf_counter()
        prefill = request.prompt_ids[:-1]
        caches, shared = self.prefixes.start(self.model, handle.adapter, prefill)
        if len(prefill) > shared:
            with self.adapters.applied([handle.adapter]):
                self.model(mx.array([prefill[shared:]]), cache=caches)
            mx.eval([c.state for c in caches])
            self.prefixes.keep(handle.adapter, prefill, caches)
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
            rng=np.random.default_rng(seed),
        )
        self.rows.append(row)

    def _joining(self) -> bool:
        with self._lock:
            return bool(self.waiting) and len(self.rows) < self.settings.max_batch

    def _forward(self, inputs: mx.array) -> mx.array:
        """The next token of every row, queued for computing (each row's input token in `inputs`, one per row)."""
        with self.adapters.applied([row.handle.adapter for row in self.rows]):
            logits = self.model(inputs[:, None], cache=self.caches)[:, -1, :]
        tokens = sample_rows(logits, self.rows)
        mx.async_eval(tokens)
        return tokens

    def _decode(self) -> None:
        """One token for every row. While this step's tokens are read and streamed, the next step is already
        computing from them (as mlx-lm's generate_step overlaps its steps): a row that finishes meanwhile
        only wastes its slot of that step, which _reap drops; a newcomer waits for the rows to catch up."""
        if self._ahead is not None:
            tokens, self._ahead = self._ahead, None
        else:
            tokens = self._forward(mx.array([row.next_input for row in self.rows]))
        guided = any(row.request.guide is not None for row in self.rows)
        if not self._joining() and not guided:  # a guided row's next input is known only once it is read
            self._ahead = self._forward(tokens)
        self._take(tokens)

    def _take(self, tokens: mx.array) -> None:
        """Each row's new token: stream it, or finish the row."""
        for row, token in zip(self.rows, tokens.tolist()):
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
