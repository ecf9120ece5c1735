"""`loco demo`: the whole project in a few minutes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from loco_mlx.errors import LocoError


def demo(
    train: Optional[str] = typer.Option(None, "--train", help="Retrain this adapter (math, json or code) first."),
    train_steps: Optional[int] = typer.Option(None, "--train-steps", help="Cap that training run at N steps."),
    export: str = typer.Option("json", "--export", help="Adapter exported to GGUF and run in llama.cpp; none: skip."),
    per_domain: int = typer.Option(2, "--per-domain", help="Held-out benchmark items answered per domain."),
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Scratch directory (GGUF export, retrained adapter)."),
    checkout: Optional[Path] = typer.Option(None, "--checkout", help="The repository checkout (default: found)."),
) -> None:
    """The whole project in a few minutes: route, answer next to the base, gate table, GGUF in llama.cpp."""
    from rich.console import Console

    from loco_mlx.demo import DOMAINS, Demo, DemoSettings, find_checkout

    for value, flag in ((train, "--train"), (None if export == "none" else export, "--export")):
        if value is not None and value not in DOMAINS:
            raise LocoError(f"{flag} {value}: choose one of {', '.join(DOMAINS)}")
    settings = DemoSettings(find_checkout(checkout), per_domain=per_domain, export=None if export == "none" else export,
                            out=out, train=train, train_steps=train_steps)  # fmt: skip
    console = Console()
    Demo(settings, console if console.is_terminal else Console(width=120)).run()  # a log file gets wide tables
