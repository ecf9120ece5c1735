"""open_engine: every entry point's one way to get an Engine, wired the same way.

It resolves the base (importing the embedded default on first use), picks the backend,
loads it with its adapter pool and memory budget, registers the adapters this base can
switch to (the registry's, `adapter_dirs`, an `--adapter-path`), and either activates
the named adapter or opens the router for `auto`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from loco_mlx.errors import LocoError
from loco_mlx.inference.engine import Engine
from loco_mlx.inference.tools import ToolSettings

BACKENDS = ("mlx", "llamacpp", "auto")


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class EngineSettings:
    base: Any = None  # a base spec (None: the default) or a BaseRecord
    compute: str = "auto"  # MLX only: auto | packed | fp32
    backend: str = "mlx"  # mlx | llamacpp | auto
    adapter: str | None = None  # a name, "none", or "auto" (the router picks)
    adapter_path: str | Path | None = None  # an adapter directory, used by its directory name
    adapter_dirs: tuple | list = ()  # directories whose subdirectories are adapters
    registered: bool = True  # also the registry's adapters bound to this base
    adapter_memory_mb: float | None = None  # LRU budget of loaded adapters
    registry_path: Path | None = None  # None: $LOCO_REGISTRY or the default registry
    warn: Callable[[str], object] = field(default=say_on_stderr)  # notices (auto backend, routing)
    tools: ToolSettings = field(default_factory=ToolSettings)  # running tool adapters' programs

    def __post_init__(self):
        check_backend(self.backend)
        if self.adapter_memory_mb is not None and self.adapter_memory_mb <= 0:
            raise LocoError(f"adapter_memory_mb must be > 0, got {self.adapter_memory_mb}")


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise LocoError(f"unknown backend '{name}'; choose one of: {', '.join(BACKENDS)}")
    return name


def resolve_backend(choice: str, say: Callable[[str], object] = say_on_stderr) -> str:
    """The backend `choice` names, "mlx" or "llamacpp". auto: MLX on Metal/CUDA, else llama.cpp when it is
    installed (else MLX on the CPU), and says which and why in one line."""
    if check_backend(choice) != "auto":
        return choice
    from loco_mlx.runtime import device_name

    device = device_name()
    if device != "cpu":
        say(f"backend: mlx (auto: MLX computes on {device})")
        return "mlx"
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        say("backend: mlx (auto: no Metal or CUDA for MLX, and llama-cpp-python is not installed)")
        return "mlx"
    say("backend: llamacpp (auto: no Metal or CUDA for MLX, and llama-cpp-python is installed)")
    return "llamacpp"


def open_backend(record, backend: str, compute: str = "auto", budget_bytes: int | None = None):
    """A loaded backend for base `record` (a BaseRecord): "mlx" or "llamacpp"."""
    if backend == "llamacpp":
        from loco_mlx.inference.llamacpp import LlamaCppBackend

        return LlamaCppBackend(record, budget_bytes=budget_bytes)
    from loco_mlx.bases.loading import load_base
    from loco_mlx.inference.mlx_backend import MLXBackend

    return MLXBackend(load_base(record, compute), budget_bytes)


def open_engine(settings: EngineSettings | None = None) -> Engine:
    """An Engine on the settings' base and backend, its adapters registered, the named adapter
    active (or the router open for "auto")."""
    from loco_mlx.adapters.registry import Registry, available_adapters
    from loco_mlx.bases.resolve import resolve_base
    from loco_mlx.bases.store import BaseRecord

    s = settings or EngineSettings()
    record = s.base if isinstance(s.base, BaseRecord) else resolve_base(s.base)
    budget = int(s.adapter_memory_mb * 2**20) if s.adapter_memory_mb is not None else None
    engine = Engine(open_backend(record, resolve_backend(s.backend, s.warn), s.compute, budget), tools=s.tools)
    registry = Registry(s.registry_path)
    if s.registered or s.adapter_dirs:
        found = available_adapters(record, list(s.adapter_dirs), registry if s.registered else None)
        engine.adapter_paths.update(found)
    if s.adapter_path:
        engine.adapter_paths[Path(s.adapter_path).resolve().name] = Path(s.adapter_path)
        engine.use_adapter(Path(s.adapter_path).resolve().name)
    elif s.adapter == "auto":
        from loco_mlx.router.hybrid import open_router

        engine.router = open_router(registry, record, engine.make_encoder, s.warn)
    elif s.adapter:
        engine.use_adapter(s.adapter)
    return engine
