"""`loco generate`, `loco chat` and `loco serve`: answering over one engine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from loco_mlx.cli.options import (
    AdapterOption,
    AdapterPathOption,
    AllowUnsandboxedFlag,
    BackendOption,
    BaseOption,
    ComputeOption,
    ConfigOption,
    JsonGuideOption,
    MaxTokensOption,
    RereadOption,
    SeedOption,
    SystemOption,
    TempOption,
    ToolsOption,
    TopPOption,
    VoteMethodOption,
    VotesOption,
    VoteTempOption,
    err,
    generate_config,
)


def _engine(cfg, adapter_path):
    """The engine that `cfg` (a GenerateConfig) and --adapter-path describe."""
    from loco_mlx.inference.open import EngineSettings, open_engine

    return open_engine(
        EngineSettings(
            base=cfg.base,
            compute=cfg.compute,
            backend=cfg.backend,
            adapter=cfg.adapter,
            adapter_path=adapter_path,
            adapter_dirs=cfg.adapter_dirs,
            adapter_memory_mb=cfg.adapter_memory_mb,
            warn=err,
            tools=cfg.tools,
        )
    )


def generate(
    prompt: str = typer.Argument(..., help="The user message."),
    base: Optional[str] = BaseOption,
    adapter: Optional[str] = AdapterOption,
    adapter_path: Optional[Path] = AdapterPathOption,
    system: Optional[str] = SystemOption,
    max_tokens: Optional[int] = MaxTokensOption,
    temp: Optional[float] = TempOption,
    top_p: Optional[float] = TopPOption,
    seed: Optional[int] = SeedOption,
    reread: Optional[bool] = RereadOption,
    votes: Optional[int] = VotesOption,
    vote_temp: Optional[float] = VoteTempOption,
    vote_method: Optional[str] = VoteMethodOption,
    json_guide: Optional[str] = JsonGuideOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    tools: Optional[bool] = ToolsOption,
    allow_unsandboxed_tools: bool = AllowUnsandboxedFlag,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Answer one prompt, streaming the reply to stdout (stats go to stderr)."""
    from loco_mlx.inference.chat import answer_once

    cfg = generate_config(
        config, base=base, adapter=adapter, system=system, compute=compute, max_tokens=max_tokens, temp=temp,
        top_p=top_p, seed=seed, reread=reread, votes=votes, vote_temp=vote_temp, vote_method=vote_method,
        json_guide=json_guide, backend=backend, tools=tools, allow_unsandboxed_tools=allow_unsandboxed_tools or None,
    )  # fmt: skip
    answer_once(_engine(cfg, adapter_path), prompt, cfg, out=sys.stdout.write, err=err, styled=sys.stdout.isatty())


def chat(
    base: Optional[str] = BaseOption,
    adapter: Optional[str] = AdapterOption,
    adapter_path: Optional[Path] = AdapterPathOption,
    system: Optional[str] = SystemOption,
    max_tokens: Optional[int] = MaxTokensOption,
    temp: Optional[float] = TempOption,
    top_p: Optional[float] = TopPOption,
    seed: Optional[int] = SeedOption,
    reread: Optional[bool] = RereadOption,
    votes: Optional[int] = VotesOption,
    vote_temp: Optional[float] = VoteTempOption,
    vote_method: Optional[str] = VoteMethodOption,
    json_guide: Optional[str] = JsonGuideOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    tools: Optional[bool] = ToolsOption,
    allow_unsandboxed_tools: bool = AllowUnsandboxedFlag,
    config: Optional[Path] = ConfigOption,
    web: bool = typer.Option(False, "--web", help="Chat in the browser: serve on loopback and open the chat page."),
    port: int = typer.Option(8080, "--port", help="With --web: the port to serve on."),
) -> None:
    """Chat in a multi-turn REPL; switch adapters with /adapter (/help for commands)."""
    from loco_mlx.inference.chat import ChatSession, run_repl

    if web:
        serve(host="127.0.0.1", port=port, api_key=None, base=base, compute=compute, backend=backend,
              max_tokens_limit=2048, max_body_bytes=2**20, tools=tools,
              allow_unsandboxed_tools=allow_unsandboxed_tools, config=config, web=True, open_browser=True,
              batching="on", max_batch=8, prefix_cache_mb=256)  # fmt: skip
        return
    cfg = generate_config(
        config, base=base, adapter=adapter, system=system, compute=compute, max_tokens=max_tokens, temp=temp,
        top_p=top_p, seed=seed, reread=reread, votes=votes, vote_temp=vote_temp, vote_method=vote_method,
        json_guide=json_guide, backend=backend, tools=tools, allow_unsandboxed_tools=allow_unsandboxed_tools or None,
    )  # fmt: skip
    session = ChatSession(_engine(cfg, adapter_path), cfg.sampling, cfg.system, inference=cfg.inference)
    run_repl(session, styled=sys.stdout.isatty())


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; beyond loopback needs --api-key."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    api_key: Optional[str] = typer.Option(
        None, "--api-key", envvar="LOCO_API_KEY", help="Require 'Authorization: Bearer KEY' on /v1.", show_default=False
    ),
    base: Optional[str] = BaseOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    max_tokens_limit: int = typer.Option(2048, "--max-tokens-limit", help="Largest max_tokens a request may ask."),
    max_body_bytes: int = typer.Option(2**20, "--max-body-bytes", help="Largest request body (413 beyond)."),
    tools: Optional[bool] = ToolsOption,
    allow_unsandboxed_tools: bool = AllowUnsandboxedFlag,
    config: Optional[Path] = ConfigOption,
    web: bool = typer.Option(True, "--web/--no-web", help="The chat page at / (the API stays under /v1)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the chat page in the default browser."),
    batching: str = typer.Option(
        "on", "--batching", help="on: MLX decodes requests together, each with its own adapter; off: one at a time."
    ),
    max_batch: int = typer.Option(8, "--max-batch", help="With --batching on: requests decoding together."),
    prefix_cache_mb: int = typer.Option(
        256, "--prefix-cache-mb", help="With --batching on: memory for recent prompts' keys and values (0: off)."
    ),
) -> None:
    """Serve the base and its active adapters over an OpenAI-compatible HTTP API (model 'auto' routes) and a chat
    page at /."""
    from loco_mlx.serve import ServeSettings, bind_socket, check_bind, run_server

    check_bind(host, api_key)  # before the model loads: a refusal, a bad setting or a taken port is instant
    cfg = generate_config(config, base=base, compute=compute, adapter="auto", backend=backend, tools=tools,
                          allow_unsandboxed_tools=allow_unsandboxed_tools or None)  # fmt: skip
    limits = {"max_tokens_limit": max_tokens_limit, "max_body_bytes": max_body_bytes}
    settings = ServeSettings(host, port, api_key, **limits, sampling=cfg.sampling, reread=cfg.inference.reread,
                             web=web, batching=batching, max_batch=max_batch,
                             prefix_cache_mb=prefix_cache_mb)  # fmt: skip
    sock = bind_socket(host, port)
    engine = _engine(cfg, None)
    if open_browser and web:
        _open_when_up(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{sock.getsockname()[1]}/")
    run_server(engine, settings, sock)


def _open_when_up(url: str) -> None:
    """Open `url` in the default browser once the server answers /health (in a background thread)."""
    import threading
    import urllib.request
    import webbrowser

    def wait_then_open() -> None:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url + "health", timeout=1):
                    break
            except OSError:
                threading.Event().wait(0.1)
        webbrowser.open(url)

    threading.Thread(target=wait_then_open, daemon=True).start()
