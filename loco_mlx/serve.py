"""`loco serve`: an OpenAI-compatible HTTP server over one Engine.

Endpoints: POST /v1/chat/completions, POST /v1/completions (streamed as server-sent
events or not), GET /v1/models and GET /health. A request names its model: "base" (or
the base's id), an active registry adapter bound to this base, or "auto" (the router
picks from the last user message). Nothing a client sends is ever read as a path.

One base is shared by every request and an adapter switch changes it for everyone, so
all model work (routing, switching, generation) runs on one worker thread, one request
after another: no request sees another's adapter, and the event loop stays free for
/health and for queueing. Errors use OpenAI's shape, {"error": {message, type, param,
code}}, and never take the server down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Literal, TypeVar, Union

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from loco_mlx.engine import Engine, SamplingConfig, reread
from loco_mlx.errors import LocoError

log = logging.getLogger("loco_mlx.serve")

MODEL_ID_RE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
BASE_ALIASES = ("base", "none")
AUTO = "auto"
MAX_STOPS = 4  # as OpenAI's API


# --- settings and startup --------------------------------------------------------------------


@dataclass
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    max_tokens_limit: int = 2048
    max_body_bytes: int = 2**20
    sampling: SamplingConfig = field(default_factory=SamplingConfig)  # defaults for omitted fields
    reread: bool = True  # RE2 on chat requests, as `loco generate` (from the user's config)
    registry_path: Path | None = None  # None: LOCO_REGISTRY or $LOCO_HOME's registry

    def __post_init__(self):
        if self.max_tokens_limit < 1:
            raise LocoError(f"--max-tokens-limit must be at least 1, got {self.max_tokens_limit}")
        if self.max_body_bytes < 1:
            raise LocoError(f"--max-body-bytes must be at least 1, got {self.max_body_bytes}")
        if not 0 <= self.port <= 65535:
            raise LocoError(f"--port must be in 0..65535, got {self.port}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # any other host name may resolve to a public interface


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to expose the model beyond this machine without an API key."""
    if not is_loopback(host) and not api_key:
        raise LocoError(
            f"refusing to listen on {host} without an API key: anyone who reaches it could use the model; "
            "pass --api-key KEY (or set LOCO_API_KEY), or bind --host 127.0.0.1"
        )


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound socket (port 0: a free one), so a taken port is a one-line error before the model loads."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise LocoError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def make_server(app: FastAPI, log_level: str = "info"):
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5))


def run_server(engine: Engine, settings: ServeSettings, sock: socket.socket | None = None) -> None:
    check_bind(settings.host, settings.api_key)
    sock = sock or bind_socket(settings.host, settings.port)
    app = create_app(engine, settings)
    host, port = sock.getsockname()[:2]
    models = ", ".join(card.id for card in app.state.catalog.cards())
    print(f"loco serve: http://{host}:{port}/v1 (models: {models})", flush=True)
    make_server(app).run(sockets=[sock])


# --- errors -----------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered in OpenAI's shape with this HTTP status."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    @property
    def kind(self) -> str:
        if self.status == 401:
            return "authentication_error"
        return "server_error" if self.status >= 500 else "invalid_request_error"


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(error: ApiError) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(message=error.message, type=error.kind, param=error.param, code=error.code))
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body.model_dump(), status_code=error.status, headers=headers)


def shown(value: Any, limit: int = 80) -> str:
    """A client's value for an error message, cut short (it may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validation_error(exc: RequestValidationError | ValidationError) -> ApiError:
    first = exc.errors()[0]
    where = [str(part) for part in first.get("loc", ()) if part != "body"]
    if first.get("type") == "json_invalid":
        return ApiError(400, f"the request body is not valid JSON: {first.get('msg')}", code="invalid_json")
    param = ".".join(where) or None
    got = f" (got {shown(first.get('input'))})" if "input" in first and first.get("type") != "missing" else ""
    return ApiError(400, f"{param or 'body'}: {first.get('msg')}{got}", param=param, code="invalid_value")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError):
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        return error_response(validation_error(exc))  # 400, not FastAPI's 422 shape

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        return error_response(ApiError(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}"))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(ApiError(500, f"internal error: {type(exc).__name__}: {exc}"))


class BodyLimit:
    """ASGI middleware: 413 when the declared or the actual body is over `limit` bytes.

    The body is read here (it is small by construction) and replayed to the app, so a
    chunked upload without Content-Length is bounded too."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(scope, receive, send, declared.decode("latin-1"))
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                return await self._refuse(scope, receive, send, f"more than {len(body)}")
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect, as usual
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send, size: str):
        if size.isdigit() or size.startswith("more"):
            error = ApiError(413, f"request body of {size} bytes is over the limit of {self.limit}", code="too_large")
        else:
            error = ApiError(400, f"Content-Length {size!r} is not a number", code="invalid_header")
        await error_response(error)(scope, receive, send)


# --- request and response models ----------------------------------------------------------------


class StreamOptions(BaseModel):
    include_usage: bool = False


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (penalties, user, ...)

    model: str
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)  # newer clients' name for max_tokens
    stop: Union[str, list[str], None] = None
    seed: int | None = None
    n: int = 1
    stream: bool = False
    stream_options: StreamOptions | None = None


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: Union[str, list[TextPart], None] = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(_Request):
    messages: list[ChatMessage] = Field(..., min_length=1)


class CompletionRequest(_Request):
    prompt: str


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class LocoInfo(BaseModel):
    adapter: str | None  # the adapter that answered; None: the plain base
    route_confidence: float | None  # the router's confidence ("auto" only)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    loco: LocoInfo


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    loco: LocoInfo | None = None


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    finish_reason: str | None = None
    logprobs: None = None


class Completion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    loco: LocoInfo | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "loco"
    parent: str | None = None


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# --- which model a request names -----------------------------------------------------------------


@dataclass
class Target:
    kind: Literal["base", "adapter", "auto"]
    name: str | None = None  # the adapter (kind "adapter")
    paths: dict[str, Path] = field(default_factory=dict)  # adapters it may switch to


def looks_like_path(model: str) -> bool:
    return "/" in model or "\\" in model or model.startswith((".", "~"))


class Catalog:
    """The models a request may name. Adapters come from the registry at each request, so a
    promotion or deactivation shows without a restart; only active ones bound to this base."""

    def __init__(self, engine: Engine, registry_path: Path | None):
        self.engine = engine
        self.registry_path = registry_path
        self.base_id = engine.backend.loaded.record.id
        self.fingerprint = engine.backend.loaded.record.fingerprint

    def adapters(self) -> dict[str, Path]:
        from loco_mlx.registry import Registry

        try:
            entries = Registry(self.registry_path).entries()
        except LocoError as exc:
            raise ApiError(500, f"the adapter registry is unreadable: {exc}", code="registry_error") from None
        return {e.name: Path(e.path) for e in entries if e.active and e.base_fingerprint == self.fingerprint}

    def cards(self) -> list[ModelCard]:
        cards = [ModelCard(id=self.base_id)]
        cards += [ModelCard(id=name, parent=self.base_id) for name in sorted(self.adapters())]
        if self.engine.router is not None:
            cards.append(ModelCard(id=AUTO, parent=self.base_id))
        return cards

    def resolve(self, model: str) -> Target:
        if looks_like_path(model):
            raise ApiError(
                400, f"model {shown(model)} looks like a path; name a model from /v1/models", "model", "invalid_model"
            )
        if model in BASE_ALIASES or model == self.base_id:
            return Target("base")
        if model == AUTO:
            if self.engine.router is None:
                raise ApiError(
                    404, "model 'auto' is not available: this server has no router", "model", "model_not_found"
                )
            return Target("auto", paths=self.adapters())
        if not MODEL_ID_RE.fullmatch(model):
            raise ApiError(
                400,
                f"invalid model id {shown(model)}: a lowercase letter, then lowercase letters, digits, '_' or '-'",
                "model",
                "invalid_model",
            )
        adapters = self.adapters()
        if model not in adapters:
            known = ", ".join([self.base_id, *sorted(adapters)])
            raise ApiError(404, f"model {model!r} not found (available: {known})", "model", "model_not_found")
        return Target("adapter", model, {model: adapters[model]})


# --- generation on the worker thread ---------------------------------------------------------------


@dataclass
class Job:
    target: Target
    route_query: str | None  # what "auto" routes on
    prompt_ids: Callable[[Engine], list[int]]  # built on the worker (the tokenizer is not shared)
    sampling: SamplingConfig
    stops: list[str]


@dataclass
class Started:
    adapter: str | None
    route_confidence: float | None
    model: str


@dataclass
class Piece:
    text: str


@dataclass
class Finished:
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class Failed:
    error: BaseException


class StopScanner:
    """Cuts a stream of text at the first stop string; holds back a possible stop's beginning."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.buffer = ""

    def feed(self, text: str) -> tuple[str, bool]:
        self.buffer += text
        hits = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            out, self.buffer = self.buffer[: min(hits)], ""
            return out, True
        cut = max(len(self.buffer) - self.hold, 0)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out, False

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out


def fit_to_context(engine: Engine, prompt_ids: list[int], sampling: SamplingConfig) -> SamplingConfig:
    room = engine.backend.context_length - len(prompt_ids)
    if room < 1:
        raise ApiError(
            400,
            f"the prompt is {len(prompt_ids)} tokens, the model's context is {engine.backend.context_length}",
            "messages",
            "context_length_exceeded",
        )
    if sampling.max_tokens <= room:
        return sampling
    return SamplingConfig(room, sampling.temperature, sampling.top_p, sampling.seed)


def select(engine: Engine, job: Job) -> Started:
    """Switch the shared model to what the job asked for (worker thread only)."""
    engine.adapter_paths.update(job.target.paths)
    confidence = None
    if job.target.kind == "auto":
        decision = engine.route(job.route_query or "")
        confidence = decision.confidence if decision is not None else None
    else:
        engine.use_adapter(job.target.name)
    model = engine.adapter or engine.backend.loaded.record.id
    return Started(engine.adapter, confidence, model)


def run_job(engine: Engine, job: Job, emit: Callable[[object], None], cancelled: threading.Event) -> None:
    """One request, start to end, on the worker thread; results go to `emit`."""
    try:
        if cancelled.is_set():
            return  # the client left while the request was queued
        started = select(engine, job)
        prompt_ids = job.prompt_ids(engine)
        sampling = fit_to_context(engine, prompt_ids, job.sampling)
        emit(started)  # only now: a prompt too long is still a plain 400, also when streaming
        emit(generate(engine, prompt_ids, sampling, job.stops, emit, cancelled))
    except BaseException as exc:  # noqa: BLE001 - every failure is answered, none kills the worker
        emit(Failed(exc))


def generate(engine, prompt_ids, sampling, stops, emit, cancelled) -> Finished:
    scanner, tokens, stats = StopScanner(stops), 0, None
    for event in engine.backend.stream(prompt_ids, sampling):
        tokens += 1
        text, stopped = scanner.feed(event.text)
        if text:
            emit(Piece(text))
        if stopped or cancelled.is_set():
            return Finished("stop", len(prompt_ids), tokens)  # closing the generator ends decoding
        stats = event.stats or stats
    tail = scanner.flush()
    if tail:
        emit(Piece(tail))
    if stats is None:
        return Finished("stop", len(prompt_ids), tokens)
    return Finished(stats.finish_reason, stats.prompt_tokens, stats.generated_tokens)


class Worker:
    """The one thread that touches the model; requests queue in its executor, in order."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loco-generate")

    async def start(self, job: Job) -> tuple[Started, asyncio.Queue, threading.Event]:
        """Queue the job and wait until its model is selected; raises the job's early errors."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancelled = threading.Event()

        def emit(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is gone (shutdown): nobody is listening
                cancelled.set()

        loop.run_in_executor(self.executor, run_job, self.engine, job, emit, cancelled)
        try:
            first = await queue.get()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        if isinstance(first, Failed):
            raise as_api_error(first.error)
        return first, queue, cancelled

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def as_api_error(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, LocoError):
        return ApiError(400, str(exc), code="invalid_request")
    log.error("generation failed", exc_info=exc)
    return ApiError(500, f"generation failed: {type(exc).__name__}: {exc}", code="generation_error")


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


# --- the app ---------------------------------------------------------------------------------------


def create_app(engine: Engine, settings: ServeSettings) -> FastAPI:
    worker = Worker(engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        worker.close()

    app = FastAPI(title="loco", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.engine, app.state.settings, app.state.worker = engine, settings, worker
    app.state.catalog = Catalog(engine, settings.registry_path)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    install_error_handlers(app)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "base": app.state.catalog.base_id, "backend": engine.backend.name}

    app.include_router(v1_routes(app), prefix="/v1", dependencies=[Depends(bearer_check(settings.api_key))])

    return app


def bearer_check(api_key: str | None):
    expected = f"Bearer {api_key}".encode() if api_key else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):  # constant time: no guessing the key byte by byte
            raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer KEY'", code="invalid_api_key")

    return check


def v1_routes(app: FastAPI) -> APIRouter:
    routes = APIRouter()
    catalog: Catalog = app.state.catalog
    settings: ServeSettings = app.state.settings
    worker: Worker = app.state.worker

    @routes.get("/models")
    async def models() -> dict:
        return ModelList(data=catalog.cards()).model_dump()

    @routes.post("/chat/completions")
    async def chat_completions(request: Request):
        body = await parse_body(request, ChatRequest)
        messages = [{"role": _role(m.role), "content": m.text()} for m in body.messages]
        users = [m["content"] for m in messages if m["role"] == "user"]
        use_reread = settings.reread

        def prompt_ids(engine: Engine) -> list[int]:
            return engine.backend.encode_chat(reread(messages) if use_reread else messages)

        job = make_job(body, catalog, settings, users[-1] if users else None, prompt_ids)
        started, queue, cancelled = await worker.start(job)
        if body.stream:
            stream = chat_stream(body, started, events(queue, cancelled))
            return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
        text, finished = await collect(events(queue, cancelled))
        return ChatCompletion(
            id=new_id("chatcmpl"),
            created=int(time.time()),
            model=started.model,
            choices=[ChatChoice(message=AssistantMessage(content=text), finish_reason=finished.finish_reason)],
            usage=usage(finished),
            loco=loco_info(started),
        ).model_dump()

    @routes.post("/completions")
    async def completions(request: Request):
        body = await parse_body(request, CompletionRequest)
        prompt = body.prompt

        def prompt_ids(engine: Engine) -> list[int]:
            return list(engine.backend.tokenizer.encode(prompt))  # raw text: no chat template

        job = make_job(body, catalog, settings, prompt, prompt_ids)
        started, queue, cancelled = await worker.start(job)
        if body.stream:
            stream = completion_stream(body, started, events(queue, cancelled))
            return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
        text, finished = await collect(events(queue, cancelled))
        return Completion(
            id=new_id("cmpl"),
            created=int(time.time()),
            model=started.model,
            choices=[CompletionChoice(text=text, finish_reason=finished.finish_reason)],
            usage=usage(finished),
            loco=loco_info(started),
        ).model_dump()

    return routes


RequestModel = TypeVar("RequestModel", bound=BaseModel)


async def parse_body(request: Request, model: type[RequestModel]) -> RequestModel:
    """The JSON body as `model`, whatever the Content-Type says (curl -d sends a form type)."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the request body must be a JSON object, got {type(data).__name__}", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _role(role: str) -> str:
    return "system" if role == "developer" else role  # newer clients' name for the system prompt


def make_job(body: _Request, catalog: Catalog, settings: ServeSettings, query: str | None, prompt_ids) -> Job:
    if body.n != 1:
        raise ApiError(400, f"n={body.n}: only n=1 is supported", "n", "unsupported_value")
    stops = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if len(stops) > MAX_STOPS:
        raise ApiError(400, f"stop: at most {MAX_STOPS} stop strings, got {len(stops)}", "stop", "invalid_value")
    target = catalog.resolve(body.model)
    if target.kind == "auto" and not (query or "").strip():
        raise ApiError(400, "model 'auto' routes on the last user message, and there is none", "messages")
    return Job(target, query, prompt_ids, sampling_for(body, settings), stops)


def sampling_for(body: _Request, settings: ServeSettings) -> SamplingConfig:
    defaults, limit = settings.sampling, settings.max_tokens_limit
    asked = body.max_tokens if body.max_tokens is not None else body.max_completion_tokens
    if asked is not None and asked > limit:
        raise ApiError(400, f"max_tokens {asked} is over this server's limit of {limit}", "max_tokens", "invalid_value")
    return SamplingConfig(
        max_tokens=asked if asked is not None else min(defaults.max_tokens, limit),
        temperature=body.temperature if body.temperature is not None else defaults.temperature,
        top_p=body.top_p if body.top_p is not None else defaults.top_p,
        seed=body.seed if body.seed is not None else defaults.seed,
    )


async def collect(items: AsyncIterator[Piece | Finished]) -> tuple[str, Finished]:
    parts, finished = [], None
    async for item in items:
        if isinstance(item, Piece):
            parts.append(item.text)
        else:
            finished = item
    return "".join(parts), finished


def usage(finished: Finished) -> Usage:
    total = finished.prompt_tokens + finished.completion_tokens
    return Usage(prompt_tokens=finished.prompt_tokens, completion_tokens=finished.completion_tokens, total_tokens=total)


def loco_info(started: Started) -> LocoInfo:
    return LocoInfo(adapter=started.adapter, route_confidence=started.route_confidence)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


# --- server-sent events ----------------------------------------------------------------------------

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(payload: BaseModel | dict) -> str:
    data = payload.model_dump(exclude_none=False) if isinstance(payload, BaseModel) else payload
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


async def chat_stream(body: ChatRequest, started: Started, items) -> AsyncIterator[str]:
    chunk_id, created = new_id("chatcmpl"), int(time.time())

    def chunk(delta: Delta, finish: str | None = None, **extra) -> str:
        choice = ChunkChoice(delta=delta, finish_reason=finish)
        return sse(ChatCompletionChunk(id=chunk_id, created=created, model=started.model, choices=[choice], **extra))

    yield chunk(Delta(role="assistant", content=""), loco=loco_info(started))
    try:
        async for item in items:
            if isinstance(item, Piece):
                yield chunk(Delta(content=item.text))
            else:
                yield chunk(Delta(), item.finish_reason, usage=usage(item), loco=loco_info(started))
                if body.stream_options and body.stream_options.include_usage:
                    yield sse(ChatCompletionChunk(id=chunk_id, created=created, model=started.model, choices=[],
                                                  usage=usage(item)))  # fmt: skip
    except ApiError as exc:  # the status line is sent already: the error goes in the stream
        yield sse(ErrorBody(error=ErrorDetail(message=exc.message, type=exc.kind, param=exc.param, code=exc.code)))
    yield "data: [DONE]\n\n"


async def completion_stream(body: CompletionRequest, started: Started, items) -> AsyncIterator[str]:
    chunk_id, created = new_id("cmpl"), int(time.time())

    def chunk(text: str, finish: str | None = None, **extra) -> str:
        choice = CompletionChoice(text=text, finish_reason=finish)
        return sse(Completion(id=chunk_id, created=created, model=started.model, choices=[choice], **extra))

    try:
        async for item in items:
            if isinstance(item, Piece):
                yield chunk(item.text)
            else:
                yield chunk("", item.finish_reason, usage=usage(item), loco=loco_info(started))
    except ApiError as exc:
        yield sse(ErrorBody(error=ErrorDetail(message=exc.message, type=exc.kind, param=exc.param, code=exc.code)))
    yield "data: [DONE]\n\n"
