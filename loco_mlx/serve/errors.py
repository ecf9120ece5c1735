"""Errors in OpenAI's shape: ApiError, the error body, the app's exception handlers and the
request body limit."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from loco_mlx.errors import LocoError

log = logging.getLogger("loco_mlx.serve")


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


def as_api_error(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, LocoError):
        return ApiError(400, str(exc), code="invalid_request")
    log.error("generation failed", exc_info=exc)
    return ApiError(500, f"generation failed: {type(exc).__name__}: {exc}", code="generation_error")
