"""`loco serve`: an OpenAI-compatible HTTP server over one Engine.

Endpoints: POST /v1/chat/completions, POST /v1/completions (streamed as server-sent
events or not), GET /v1/models and GET /health. A request names its model: "base" (or
the base's id), an active registry adapter bound to this base, or "auto" (the router
picks from the last user message). Nothing a client sends is ever read as a path.

One base is shared by every request, so all model work (routing, adapter loads,
generation) runs on one model thread and the event loop stays free for /health and for
queueing. On MLX (`--batching on`, the default) that thread decodes up to `--max-batch`
requests together, each row with its own adapter (batched); otherwise, and for tool
adapters, one request after another (worker). Errors use OpenAI's shape, {"error":
{message, type, param, code}}, and never take the server down.

Modules: settings (ServeSettings, bind checks, the socket and the uvicorn server), errors
(ApiError, OpenAI's error body, exception handlers, the body limit), schema (the request and
response models), catalog (which model a request names), worker (one-at-a-time generation on the worker
thread), batched (continuous batching on MLX), metrics (what /health reports), app (the
FastAPI app, its routes and server-sent events, run_server).
"""

from loco_mlx.serve.app import create_app, run_server
from loco_mlx.serve.settings import ServeSettings, bind_socket, check_bind, make_server

__all__ = ["ServeSettings", "bind_socket", "check_bind", "create_app", "make_server", "run_server"]
