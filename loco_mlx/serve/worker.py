"""Generation on the one worker thread that touches the model: jobs, their events, stop
strings, and the Worker that runs them one after another."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import AsyncIterator, Callable

from loco_mlx.inference.backend import ContextOverflow, Message, SamplingConfig
from loco_mlx.inference.engine import ACTIVE, ActiveAdapter, Engine, InferenceConfig
from loco_mlx.inference.stops import StopScanner
from loco_mlx.inference.tools import ToolRun, require_isolation
from loco_mlx.inference.voting import VoteResult
from loco_mlx.serve.catalog import Target
from loco_mlx.serve.errors import ApiError, as_api_error
from loco_mlx.serve.metrics import ServeMetrics


@dataclass
class Job:
    """One request. Its prompt is tokenized on the worker (the tokenizer is not shared): chat
    `messages` through the Engine's chat template (RE2 as `inference` says), or raw `text`."""

    target: Target
    route_query: str  # what "auto" routes on: the last user message, or the raw prompt
    sampling: SamplingConfig
    stops: list[str]
    messages: list[Message] | None = None
    inference: InferenceConfig | None = None
    text: str | None = None
    # response_format: the object's keys ([]: any one JSON object; None: text), each key's kinds of value, and
    # each key's fixed format (json_formats.DATE_FORMAT for a JSON Schema's "format": "date")
    json_format: tuple[list[str] | None, list | None, list | None] = (None, None, None)

    @property
    def json_keys(self) -> list[str] | None:
        return self.json_format[0]

    @property
    def voting(self) -> bool:
        """A chat that asked for votes: many samples, one reply (decoded alone, never in the batch)."""
        return self.messages is not None and self.inference is not None and self.inference.votes > 1


@dataclass
class Started:
    adapter: str | None
    route_confidence: float | None
    model: str
    route: dict | None = None  # "auto": the router's decision, explained (router/accuracy.py decision_dict)
    notice: str | None = None  # e.g. a request for code to a tool adapter: its program is the reply, not run


@dataclass
class Piece:
    text: str
    part: str = "answer"  # tool adapters: "program" and "output" come before the answer


@dataclass
class Finished:
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool: ToolRun | None = None  # a tool adapter's program and its run
    vote: VoteResult | None = None  # a request with votes: how the reply was chosen


@dataclass
class Failed:
    error: BaseException


def prepare(engine: Engine, job: Job) -> tuple[list[int], SamplingConfig]:
    """The job's prompt ids and its sampling capped to the context left (worker thread only)."""
    try:
        if job.messages is not None:
            return engine.prepare_prompt(job.messages, job.sampling, job.inference)
        prompt_ids = engine.encode_text(job.text or "")  # raw text: no chat template
        return prompt_ids, engine.fit_to_context(prompt_ids, job.sampling)
    except ContextOverflow as exc:
        field = "messages" if job.messages is not None else "prompt"  # the request field that is too long
        raise ApiError(400, str(exc), field, "context_length_exceeded") from None


def select(engine: Engine, job: Job) -> Started:
    """Switch the shared model to what the job asked for (worker thread only)."""
    from loco_mlx.router.accuracy import decision_dict

    engine.adapter_paths.update(job.target.paths)
    confidence, route = None, None
    if job.target.kind == "auto":
        decision = engine.route(job.route_query)
        if decision is not None:
            confidence, route = decision.confidence, decision_dict(decision)
    else:
        engine.use_adapter(job.target.name)
    model = engine.adapter or engine.base.record.id
    return Started(engine.adapter, confidence, model, route)


def run_job(engine: Engine, job: Job, emit: Callable[[object], None], cancelled: threading.Event) -> None:
    """One request, start to end, on the worker thread; results go to `emit`."""
    try:
        if cancelled.is_set():
            return  # the client left while the request was queued
        run_selected(engine, job, select(engine, job), emit, cancelled)
    except BaseException as exc:  # noqa: BLE001 - every failure is answered, none kills the worker
        emit(Failed(exc))


def kept_request_notice(engine: Engine, job: Job, adapter: str | None) -> str | None:
    """The notice for a chat that asks a tool adapter for code or JSON (answered as plain text, nothing run)."""
    return engine.kept_notice(adapter, job.messages) if job.messages is not None else None


def run_selected(engine: Engine, job: Job, started: Started, emit: Callable[[object], None], cancelled) -> None:
    """The job on the model `started` names, already active in the engine; raises its failures."""
    prompt_ids, sampling = prepare(engine, job)
    # a reply in a response_format is JSON: a tool adapter's program is not run for it
    tool = job.messages is not None and job.json_keys is None and engine.tool_for(engine.adapter, job.messages)
    if tool:
        require_isolation(engine.tools)  # refused before anything is sent
    started.notice = kept_request_notice(engine, job, engine.adapter)
    emit(started)  # only now: a prompt too long is still a plain 400, also when streaming
    if job.voting:
        emit(voted(engine, job, len(prompt_ids), sampling, emit, cancelled))
        return
    if tool:  # the program, its run, then the answer (inference/tools.py)
        source = engine.chat(job.messages, job.sampling, job.inference)
    else:  # stop strings cut the model's own text, then dates and times are rewritten, as in the batch
        guide = job_guide(engine, job)
        source = engine.stream(prompt_ids, sampling, guide, rewrite=False)
        rewriter = guide.rewriter() if guide is not None else None
        emit(generate(source, len(prompt_ids), job.stops, emit, cancelled, rewriter))
        return
    emit(generate(source, len(prompt_ids), job.stops, emit, cancelled))


def voted(engine: Engine, job: Job, prompt_tokens: int, sampling: SamplingConfig, emit, cancelled) -> Finished:
    """The reply `engine.vote` chose, sent whole once all samples are in (a vote is not interrupted: a client
    that leaves meanwhile is noticed after it). Usage counts the tokens of every sample voted on; the finish
    reason is the chosen sample's ("length" when it used all of max_tokens)."""
    if cancelled.is_set():
        return Finished("stop", prompt_tokens, 0)
    result = engine.vote(job.messages, sampling, job.inference, json_format=job.json_format)
    chosen = next((s for s in result.samples if s.text == result.text), None)
    reason = "length" if chosen is not None and chosen.tokens >= sampling.max_tokens else "stop"
    if result.text:
        emit(Piece(result.text))
    spent = sum(sample.tokens for sample in result.samples)
    return Finished(reason, prompt_tokens, spent, vote=result)


def job_guide(engine: Engine, job: Job, adapter: str | None | ActiveAdapter = ACTIVE):
    """The JSON guide of a chat job answered by `adapter` (the active one by default): its response_format's
    keys, or the keys its request names."""
    if job.messages is None:
        return None
    return engine.json_guide(job.messages, job.inference, *job.json_format, adapter=adapter)


def generate(source, prompt_tokens: int, stops, emit, cancelled, rewriter=None) -> Finished:
    """Emit the events of `source` as Pieces (stop strings cut the answer, then a guided reply's `rewriter`
    writes its dates, times and numbers, json_formats.py); then the Finished."""
    if rewriter is None:
        return _cut_at_stops(source, prompt_tokens, stops, emit, cancelled)

    def rewritten(item: object) -> None:
        text = rewriter.feed(item.text) if isinstance(item, Piece) and item.part == "answer" else None
        if text is None:
            emit(item)
        elif text:
            emit(Piece(text))

    finished = _cut_at_stops(source, prompt_tokens, stops, rewritten, cancelled)
    tail = rewriter.flush()  # a value cut short (a stop, max_tokens) is shown as the model wrote it
    if tail:
        emit(Piece(tail))
    return finished


def _cut_at_stops(source, prompt_tokens: int, stops, emit, cancelled) -> Finished:
    scanner, tokens, stats, tool = StopScanner(stops), 0, None, None
    for event in source:
        stats, tool = event.stats or stats, event.tool or tool
        if event.part != "answer":  # a tool's program and output: shown as written, never cut
            if event.text:
                emit(Piece(event.text, event.part))
            if cancelled.is_set():
                return Finished("stop", prompt_tokens, tokens)
            continue
        tokens += 1
        text, stopped = scanner.feed(event.text)
        if text:
            emit(Piece(text))
        if stopped or cancelled.is_set():
            return Finished("stop", prompt_tokens, tokens, tool)  # closing the generator ends decoding
    tail = scanner.flush()
    if tail:
        emit(Piece(tail))
    if stats is None:
        return Finished("stop", prompt_tokens, tokens, tool)
    return Finished(stats.finish_reason, stats.prompt_tokens, stats.generated_tokens, tool)


def metered(emit: Callable[[object], None], metrics: ServeMetrics) -> Callable[[object], None]:
    """`emit` that also counts a one-at-a-time job: its model, its row while it runs, its tokens/s."""
    began: list[float] = []

    def counting(item: object) -> None:
        if isinstance(item, Started):
            metrics.started(item.adapter)
            metrics.count_rows(+1)
            began.append(time.perf_counter())
        elif isinstance(item, (Finished, Failed)) and began:
            metrics.count_rows(-1)
            if isinstance(item, Finished):
                metrics.decoded(item.completion_tokens, time.perf_counter() - began.pop())
        emit(item)

    return counting


def job_channel(loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Queue, threading.Event, Callable[[object], None]]:
    """A job's event queue, its cancel flag, and `emit`, which any thread may call to send an event."""
    queue: asyncio.Queue = asyncio.Queue()
    cancelled = threading.Event()

    def emit(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (shutdown): nobody is listening
            cancelled.set()

    return queue, cancelled, emit


async def first_event(queue: asyncio.Queue, cancelled: threading.Event) -> Started:
    """The job's Started, once its model is chosen; raises the job's early errors."""
    try:
        first = await queue.get()
    except asyncio.CancelledError:
        cancelled.set()
        raise
    if isinstance(first, Failed):
        raise as_api_error(first.error)
    return first


class Worker:
    """The one thread that touches the model; requests queue in its executor, in order."""

    batching = False
    max_batch = 1

    def __init__(self, engine: Engine, metrics: ServeMetrics | None = None):
        self.engine = engine
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loco-generate")
        self.metrics = metrics or ServeMetrics()

    @property
    def pending(self) -> int:
        """Jobs queued or running: /health's queue length."""
        return self.metrics.pending

    def _counted(self, *job_args) -> None:
        try:
            run_job(*job_args)
        finally:
            self.metrics.count_pending(-1)

    async def start(self, job: Job) -> tuple[Started, asyncio.Queue, threading.Event]:
        """Queue the job and wait until its model is selected; raises the job's early errors."""
        loop = asyncio.get_running_loop()
        queue, cancelled, emit = job_channel(loop)
        self.metrics.count_pending(+1)
        loop.run_in_executor(self.executor, self._counted, self.engine, job, metered(emit, self.metrics), cancelled)
        return await first_event(queue, cancelled), queue, cancelled

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def events(queue: asyncio.Queue, cancelled: threading.Event) -> AsyncIterator[Piece | Finished]:
    """The job's pieces then its Finished; a later failure raises. Leaving early stops the job."""
    try:
        while True:
            item = await queue.get()
            if isinstance(item, Failed):
                raise as_api_error(item.error)
            yield item
            if isinstance(item, Finished):
                return
    finally:
        cancelled.set()  # a no-op after Finished; a disconnect otherwise
