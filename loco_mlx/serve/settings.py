"""`loco serve`'s settings and startup checks: ServeSettings, the loopback rule, the bound
socket and the uvicorn server."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from fastapi import FastAPI

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import SamplingConfig

BATCHING_MODES = ("on", "off")


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
    web: bool = True  # the chat page at / (serve/web)
    batching: Literal["on", "off"] = "on"  # MLX: requests decode together (serve/batched.py); off: one at a time
    max_batch: int = 8  # rows decoding together when batching; more requests wait
    prefix_cache_mb: int = 256  # batching: recent prompts' keys and values, so a shared start is prefilled once

    def __post_init__(self):
        if self.batching not in BATCHING_MODES:
            raise LocoError(f"--batching must be one of {', '.join(BATCHING_MODES)}, got {self.batching!r}")
        if self.max_batch < 1:
            raise LocoError(f"--max-batch must be at least 1, got {self.max_batch}")
        if self.prefix_cache_mb < 0:
            raise LocoError(f"--prefix-cache-mb must be 0 (off) or more, got {self.prefix_cache_mb}")
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
