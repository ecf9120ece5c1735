"""Continuous batching for `loco serve` on MLX: many requests decode together over the one resident
base, each row with its own adapter (inference/batching.py's BatchDecoder).

One model thread does all the model work, so a batch step, routing, an adapter load and a
one-at-a-time generation never run at the same moment. It takes requests in arrival order while the
batch has a free row: "auto" is routed on the request's own last user message, the adapter is loaded
into the pool (the row holds it; the engine's active adapter is left as it was), the prompt is
tokenized and submitted. Then it steps the batch, one token for every row, and sends each row's new
text to its client. A client that leaves is cancelled before the next step, which frees its row.
Tool adapters (their replies are programs run in the sandbox) and requests with votes take the
one-at-a-time path on this same thread; the batch waits meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from loco_mlx.inference.batching import BatchRequest, BatchSettings, RequestHandle
from loco_mlx.inference.engine import Engine
from loco_mlx.serve.metrics import ServeMetrics
from loco_mlx.serve.worker import (
    Failed,
    Finished,
    Job,
    Piece,
    Started,
    first_event,
    job_channel,
    job_guide,
    kept_request_notice,
    metered,
    prepare,
    run_selected,
)


@dataclass
class Ticket:
    """A request on its way to the model thread: the job, where its events go, whether its client left."""

    job: Job
    emit: Callable[[object], None]
    cancelled: threading.Event


@dataclass
class LiveRow:
    """A request decoding in the batch, and how much of it its client has been sent."""

    ticket: Ticket
    handle: RequestHandle
    shown: int = 0  # characters of the handle's text sent
    counted: int = 0  # tokens of the handle counted in the metrics
    rewriter: object = None  # a guided reply's json_formats.FormatRewriter (dates, times, numbers written by code)


def choose(engine: Engine, job: Job) -> Started:
    """The model the job asked for ("auto": the router's choice for the job's query), without switching
    the engine's active adapter: other rows keep theirs (model thread only, the router embeds)."""
    from loco_mlx.router.accuracy import decision_dict

    engine.adapter_paths.update(job.target.paths)
    base_id = engine.base.record.id
    if job.target.kind == "base":
        return Started(None, None, base_id)
    if job.target.kind == "adapter":
        return Started(job.target.name, None, job.target.name)
    if not engine.auto:  # routing paused: whatever is active answers, as the one-at-a-time path does
        return Started(engine.adapter, None, engine.adapter or base_id)
    decision = engine.router.route(job.route_query)
    return Started(decision.adapter, decision.confidence, decision.adapter or base_id, decision_dict(decision))


def uses_tool(engine: Engine, job: Job, adapter: str | None) -> bool:
    """A chat answered by a tool adapter: a program to run, not plain decoding (unless it asks for code)."""
    return job.messages is not None and job.json_keys is None and engine.tool_for(adapter, job.messages) is not None


@contextlib.contextmanager
def loaded(engine: Engine, adapter: str | None):
    """`adapter` loaded in the pool for the duration (a new version's directory replacing an older copy), by
    Engine.use_adapter's own rules; the active adapter is put back after. A row holds what it was given."""
    if adapter is None:
        yield
        return
    previous = engine.adapter
    engine.use_adapter(adapter)
    try:
        yield
    finally:
        engine.use_adapter(previous)


class BatchWorker:
    """The model thread for batched serving: the same start/close/pending as serve.worker.Worker."""

    batching = True

    def __init__(self, engine: Engine, settings: BatchSettings, metrics: ServeMetrics | None = None):
        self.engine = engine
        self.settings = settings
        self.metrics = metrics or ServeMetrics()
        self.decoder = engine.backend.batch_decoder(settings)
        self.intake: deque[Ticket] = deque()  # arrived, not yet in the batch
        self.live: list[LiveRow] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="loco-model", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return self.metrics.pending

    @property
    def max_batch(self) -> int:
        return self.settings.max_batch

    async def start(self, job: Job) -> tuple[Started, asyncio.Queue, threading.Event]:
        """Queue the job and wait until it has a row (or ran alone); raises the job's early errors."""
        queue, cancelled, emit = job_channel(asyncio.get_running_loop())
        self.metrics.count_pending(+1)
        with self._wake:
            self.intake.append(Ticket(job, emit, cancelled))
            self._wake.notify()
        return await first_event(queue, cancelled), queue, cancelled

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(timeout=10)  # a step takes well under a second; a tool program may not

    # --- the model thread ------------------------------------------------------------------------

    def _serve(self) -> None:
        while self._wait_for_work():
            self._admit_waiting()
            if self.live:
                self._step()

    def _wait_for_work(self) -> bool:
        with self._wake:
            while not self._stopping and not self.intake and not self.live:
                self._wake.wait()
            return not self._stopping

    def _admit_waiting(self) -> None:
        """Requests in arrival order, while there are free rows; later ones wait (and may leave meanwhile)."""
        while len(self.live) < self.settings.max_batch:
            with self._wake:
                if not self.intake:
                    return
                ticket = self.intake.popleft()
            row = self._admit(ticket)
            if row is None:
                self.metrics.count_pending(-1)
            else:
                self.live.append(row)

    def _admit(self, ticket: Ticket) -> LiveRow | None:
        """The request's row in the batch; None when it is over already (left, failed, or answered alone)."""
        if ticket.cancelled.is_set():
            return None  # the client left while the request waited
        try:
            started = choose(self.engine, ticket.job)
            if ticket.job.voting or uses_tool(self.engine, ticket.job, started.adapter):
                self._run_alone(ticket, started)
                return None
            started.notice = kept_request_notice(self.engine, ticket.job, started.adapter)
            prompt_ids, sampling = prepare(self.engine, ticket.job)  # a prompt over the context: a 400
            stops = tuple(s for s in ticket.job.stops if s)
            with loaded(self.engine, started.adapter):
                # a JSON reply's tokens are picked by its guide
                guide = job_guide(self.engine, ticket.job, started.adapter)
                handle = self.decoder.submit(BatchRequest(tuple(prompt_ids), started.adapter, sampling, stops, guide))
            rewriter = guide.rewriter() if guide is not None else None
        except BaseException as exc:  # noqa: BLE001 - every failure is answered, none stops the thread
            ticket.emit(Failed(exc))
            return None
        self.metrics.started(started.adapter)
        ticket.emit(started)
        return LiveRow(ticket, handle, rewriter=rewriter)

    def _run_alone(self, ticket: Ticket, started: Started) -> None:
        """A tool adapter's reply, or votes, on the one-at-a-time path (the batch waits: one model, one thread)."""
        emit = metered(ticket.emit, self.metrics)
        try:
            self.engine.use_adapter(started.adapter)
            run_selected(self.engine, ticket.job, started, emit, ticket.cancelled)
        except BaseException as exc:  # noqa: BLE001 - answered, as above
            emit(Failed(exc))

    def _step(self) -> None:
        for row in self.live:
            if row.ticket.cancelled.is_set():  # the client left: its row is freed at this step
                row.handle.cancel()
        began = time.perf_counter()
        try:
            self.decoder.step()
        except BaseException as exc:  # noqa: BLE001 - every row is answered, the server goes on
            self._fail_all(exc)
            return
        seconds = time.perf_counter() - began
        tokens = sum(self._forward(row) for row in self.live)
        self.metrics.decoded(tokens, seconds)
        self.live = [row for row in self.live if not row.handle.done]
        self.metrics.set_rows(self.decoder.active)

    def _forward(self, row: LiveRow) -> int:
        """Send the row's new text (and its end); returns the tokens it decoded in this step."""
        handle, emit = row.handle, row.ticket.emit
        new = handle.text[row.shown :]
        row.shown = len(handle.text)
        if row.rewriter is not None:
            new = row.rewriter.feed(new) + (row.rewriter.flush() if handle.done else "")
        if new:
            emit(Piece(new))
        new_tokens, row.counted = len(handle.tokens) - row.counted, len(handle.tokens)
        if handle.done:
            self.metrics.count_pending(-1)
            if handle.finish_reason != "cancelled":  # a cancelled row's client is gone
                stats = handle.stats
                emit(Finished(handle.finish_reason, stats.prompt_tokens, stats.generated_tokens))
        return new_tokens

    def _fail_all(self, exc: BaseException) -> None:
        """A step failed: every row gets the error, and a fresh decoder takes the next requests."""
        for row in self.live:
            row.ticket.emit(Failed(exc))
            self.metrics.count_pending(-1)
        self.live = []
        self.decoder = self.engine.backend.batch_decoder(self.settings)
        self.metrics.set_rows(0)
