"""The FastAPI app: /health and the /v1 routes, request to job, responses and server-sent
events; run_server starts it under uvicorn."""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import time
import uuid
from typing import AsyncIterator, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError

from loco_mlx.inference.backend import SamplingConfig, last_user_message
from loco_mlx.inference.engine import Engine, InferenceConfig
from loco_mlx.inference.voting import MAX_VOTES
from loco_mlx.serve.catalog import Catalog
from loco_mlx.serve.errors import ApiError, BodyLimit, ErrorBody, ErrorDetail, install_error_handlers, validation_error
from loco_mlx.serve.schema import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    ChunkChoice,
    Completion,
    CompletionChoice,
    CompletionRequest,
    Delta,
    LocoInfo,
    LocoPart,
    LocoToolInfo,
    LocoVoteInfo,
    ModelList,
    ResponseFormat,
    ToolInfo,
    Usage,
    VoteInfo,
    _Request,
)
from loco_mlx.serve.settings import ServeSettings, bind_socket, check_bind, make_server
from loco_mlx.serve.web import web_routes
from loco_mlx.serve.worker import Finished, Job, Piece, Started, Worker, events

MAX_STOPS = 4  # as OpenAI's API


def run_server(engine: Engine, settings: ServeSettings, sock: socket.socket | None = None) -> None:
    check_bind(settings.host, settings.api_key)
    sock = sock or bind_socket(settings.host, settings.port)
    app = create_app(engine, settings)
    host, port = sock.getsockname()[:2]
    models = ", ".join(card.id for card in app.state.catalog.cards())
    print(f"loco serve: http://{host}:{port}/v1 (models: {models})", flush=True)
    worker = app.state.worker
    how = f"batched, up to {worker.max_batch} rows" if worker.batching else "one request at a time"
    print(f"decoding: {how} ({engine.backend_name})", flush=True)
    if settings.web:
        print(f"chat page: http://{host}:{port}/", flush=True)
    make_server(app).run(sockets=[sock])


def create_app(engine: Engine, settings: ServeSettings) -> FastAPI:
    worker = make_worker(engine, settings)

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
        """The server and its work: `queue` (requests waiting or running; the chat page shows it), `active_rows`
        (decoding now), `tokens_per_s` (the last seconds' decoding), `requests` (answered per model), and when
        batching `prefix_cache` (prompts kept, newcomers that reused one, prompt tokens not prefilled again)."""
        about = {"status": "ok", "base": app.state.catalog.base_id, "backend": engine.backend_name}
        batch = {"batching": worker.batching, "max_batch": worker.max_batch}
        if worker.batching:
            batch["prefix_cache"] = worker.decoder.prefixes.stats()
        limits = {"max_tokens_limit": settings.max_tokens_limit, "max_votes": MAX_VOTES}  # the page's fields
        return {**about, **worker.metrics.snapshot(), **batch, **limits}

    if settings.web:
        app.include_router(web_routes())

    app.include_router(v1_routes(app), prefix="/v1", dependencies=[Depends(bearer_check(settings.api_key))])

    return app


def make_worker(engine: Engine, settings: ServeSettings):
    """Batched decoding on MLX unless --batching off (a serve.batched.BatchWorker); one request at a time
    otherwise (llama.cpp's API decodes one sequence per context, so its requests take turns)."""
    if settings.batching == "on" and engine.backend_name == "mlx":
        from loco_mlx.inference.batching import BatchSettings
        from loco_mlx.serve.batched import BatchWorker

        return BatchWorker(
            engine, BatchSettings(max_batch=settings.max_batch, prefix_cache_mb=settings.prefix_cache_mb)
        )
    return Worker(engine)


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
        # no example checks: the server runs model code only for an adapter that declares a tool
        inference = InferenceConfig(reread=settings.reread, check_examples=False, **vote_settings(body))
        job = make_job(body, catalog, settings, last_user_message(messages), messages=messages, inference=inference,
                       json_format=response_keys(body.response_format))  # fmt: skip
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
            loco=loco_info(started, finished),
        ).model_dump()

    @routes.post("/completions")
    async def completions(request: Request):
        body = await parse_body(request, CompletionRequest)
        if body.votes is not None:
            raise ApiError(400, "votes: only /v1/chat/completions votes", "votes", "unsupported_value")
        job = make_job(body, catalog, settings, body.prompt, text=body.prompt)  # raw text: no chat template
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


def response_keys(response_format: ResponseFormat | None) -> tuple[list[str] | None, list | None, list | None]:
    """The keys a response_format promises, the kinds of value each takes and the format of each: None for
    text, [] for any JSON object, else the json_schema's properties in order with their types and "date"
    formats. A schema that is not an object with properties is refused (400), never ignored."""
    from loco_mlx.inference.json_request import schema_format, schema_kinds

    if response_format is None or response_format.type == "text":
        return None, None, None
    if response_format.type == "json_object":
        return [], None, None
    schema = response_format.json_schema.schema_ if response_format.json_schema else None
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if schema is None or schema.get("type", "object") != "object" or not isinstance(properties, dict) or not properties:
        raise ApiError(400, "response_format json_schema: give an object schema with 'properties' "
                       "(or use type json_object)", "response_format", "invalid_value")  # fmt: skip
    props = list(properties.values())
    return [str(key) for key in properties], [schema_kinds(p) for p in props], [schema_format(p) for p in props]


def _role(role: str) -> str:
    return "system" if role == "developer" else role  # newer clients' name for the system prompt


def make_job(body: _Request, catalog: Catalog, settings: ServeSettings, query: str, **prompt) -> Job:
    """The request as a Job; `prompt` is messages= and inference=, or text= (see Job)."""
    if body.n != 1:
        raise ApiError(400, f"n={body.n}: only n=1 is supported", "n", "unsupported_value")
    stops = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if len(stops) > MAX_STOPS:
        raise ApiError(400, f"stop: at most {MAX_STOPS} stop strings, got {len(stops)}", "stop", "invalid_value")
    target = catalog.resolve(body.model)
    if target.kind == "auto" and not query.strip():
        raise ApiError(400, "model 'auto' routes on the last user message, and there is none", "messages")
    return Job(target, query, sampling_for(body, settings), stops, **prompt)


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
    """The answer's text (a tool adapter's program is in Finished.tool) and the Finished."""
    parts, finished = [], None
    async for item in items:
        if isinstance(item, Piece):
            if item.part == "answer":
                parts.append(item.text)
        else:
            finished = item
    return "".join(parts), finished


def usage(finished: Finished) -> Usage:
    total = finished.prompt_tokens + finished.completion_tokens
    return Usage(prompt_tokens=finished.prompt_tokens, completion_tokens=finished.completion_tokens, total_tokens=total)


def vote_settings(body: ChatRequest) -> dict:
    """InferenceConfig fields for a request's `votes`: its samples are drawn at its temperature when above 0
    (otherwise every sample would be the greedy reply), else at the default. Stop strings would cut the
    chosen reply after the vote counted it whole, so the two are not combined."""
    if body.votes == 1:
        return {}
    if body.stop:
        raise ApiError(400, "votes and stop cannot be combined: the vote counts whole replies", "stop",
                       "unsupported_value")  # fmt: skip
    hot = {"vote_temperature": body.temperature} if body.temperature else {}
    return {"votes": body.votes, **hot}


def loco_info(started: Started, finished: Finished | None = None) -> LocoInfo:
    info = {"adapter": started.adapter, "route_confidence": started.route_confidence, "route": started.route,
            "notice": started.notice}  # fmt: skip
    if finished is not None and finished.vote is not None:
        vote = finished.vote
        return LocoVoteInfo(**info, vote=VoteInfo(method=vote.method, samples=len(vote.samples), answer=vote.answer,
                                                  distribution=vote.distribution, summary=vote.describe()))  # fmt: skip
    if finished is not None and finished.tool is not None:
        return LocoToolInfo(**info, tool=ToolInfo(**finished.tool.to_dict()))
    return LocoInfo(**info)


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
        part = None
        async for item in items:
            if isinstance(item, Piece):
                # a tool adapter's reply streams its program, its output, then the answer; each part's
                # first chunk says which part begins (the whole run comes again with the last chunk)
                marker = None
                if item.part != part and (part is not None or item.part != "answer"):
                    marker = LocoPart(**loco_info(started).model_dump(), part=item.part)
                    text = item.text if part is None else "\n" + item.text
                    part = item.part
                else:
                    text = item.text
                yield chunk(Delta(content=text), loco=marker)
            else:
                yield chunk(Delta(), item.finish_reason, usage=usage(item), loco=loco_info(started, item))
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
