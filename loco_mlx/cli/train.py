"""`loco train`: one LoRA training run from a recipe and options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from loco_mlx.cli.options import BaseOption, ComputeOption


def train(
    config: Optional[Path] = typer.Argument(None, help="YAML recipe, e.g. configs/smollm2-135m/qlora.yaml."),
    data: Optional[str] = typer.Option(None, "--data", help="Directory with train.jsonl (+ valid.jsonl) or a .jsonl."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Adapter directory to write."),
    base: Optional[str] = BaseOption,
    epochs: Optional[float] = typer.Option(None, "--epochs", show_default="3"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", show_default="4"),
    grad_accumulation: Optional[int] = typer.Option(None, "--grad-accumulation", show_default="1"),
    grad_checkpoint: Optional[bool] = typer.Option(None, "--grad-checkpoint/--no-grad-checkpoint"),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", "--lr", show_default="2e-4"),
    rank: Optional[int] = typer.Option(None, "--rank", show_default="16"),
    alpha: Optional[float] = typer.Option(None, "--alpha", show_default="32"),
    max_seq_length: Optional[int] = typer.Option(None, "--max-seq-length", show_default="1024"),
    seed: Optional[int] = typer.Option(None, "--seed", show_default="42"),
    compute: Optional[str] = ComputeOption,
    tool: Optional[str] = typer.Option(
        None, "--tool", help="python: the replies are programs the engine runs (default: the data's manifest.json)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from its newest checkpoint."),
    force: bool = typer.Option(False, "--force", help="Train even when the memory preflight says it will not fit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Progress as JSON lines on stdout."),
    processes: int = typer.Option(1, "--processes", "-n", help="Data-parallel processes on this machine (mlx.launch)."),
    hosts: Optional[str] = typer.Option(
        None, "--hosts", help="Comma-separated hosts for data parallelism (mlx.launch)."
    ),
) -> None:
    """Train a LoRA adapter (QLoRA on a 4-bit base) from a YAML recipe and/or options."""
    if processes > 1 or hosts:
        from loco_mlx.train.launch import relaunch

        raise typer.Exit(relaunch(sys.argv[1:], processes, hosts))
    from loco_mlx.config import load_config
    from loco_mlx.train.config import TrainConfig
    from loco_mlx.train.run import run_training

    options = {  # dotted config key: (its option, the value given or None)
        "data": ("--data", data),
        "out": ("--out", out),
        "base": ("--base", base),
        "epochs": ("--epochs", epochs),
        "max_steps": ("--max-steps", max_steps),
        "batch_size": ("--batch-size", batch_size),
        "grad_accumulation": ("--grad-accumulation", grad_accumulation),
        "grad_checkpoint": ("--grad-checkpoint", grad_checkpoint),
        "optim.learning_rate": ("--learning-rate", learning_rate),
        "lora.rank": ("--rank", rank),
        "lora.alpha": ("--alpha", alpha),
        "max_seq_length": ("--max-seq-length", max_seq_length),
        "seed": ("--seed", seed),
        "compute": ("--compute", compute),
        "tool": ("--tool", tool),
    }
    overrides = {key: value for key, (_, value) in options.items()}
    cfg = load_config(TrainConfig, config, overrides, flags={key: flag for key, (flag, _) in options.items()})
    result = run_training(
        cfg, resume=resume, force=force, progress="quiet" if quiet else "json" if json_output else "bar"
    )
    if result.state.stopped == "interrupted":
        raise typer.Exit(130)
