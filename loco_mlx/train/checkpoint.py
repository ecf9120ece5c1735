"""Checkpoints that survive Ctrl-C and kills: adapter weights, optimizer state, loop state.

A checkpoint is a directory (`checkpoints/last`, `checkpoints/best`) written in a
temporary sibling and swapped in by renames (files.atomic_directory); if a run dies
between the two renames the previous copy is still found as `.<name>.old`. mlx-lm's
own resume restores the adapter weights only, with no optimizer state and no step;
this restores the optimizer moments, the step (and so the learning-rate schedule),
the RNG key and the best-so-far.
"""

from __future__ import annotations

import json
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import atomic_directory, previous_copy

ADAPTER_FILE = "adapters.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"


def save_checkpoint(directory: Path, adapter: dict, optimizer: dict | None, state: dict) -> None:
    import mlx.core as mx

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with atomic_directory(directory, replace=True) as tmp:
        mx.save_safetensors(str(tmp / ADAPTER_FILE), adapter)
        if optimizer is not None:
            mx.save_safetensors(str(tmp / OPTIMIZER_FILE), optimizer)
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")


def find_checkpoint(directory: Path) -> Path | None:
    """The checkpoint directory, or its previous copy if a swap was interrupted."""
    directory = Path(directory)
    for candidate in (directory, previous_copy(directory)):
        if (candidate / STATE_FILE).is_file() and (candidate / ADAPTER_FILE).is_file():
            return candidate
    return None


def checkpoint_step(directory: Path) -> int | None:
    """The optimizer step a checkpoint was saved at; None when there is no checkpoint there."""
    found = find_checkpoint(directory)
    if found is None:
        return None
    try:
        return int(json.loads((found / STATE_FILE).read_text())["step"])
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise LocoError(f"checkpoint {found} is unreadable ({exc}); remove it and resume from the other one") from None


def resume_point(checkpoints: Path) -> tuple[Path, int] | None:
    """(directory, step) of the newest checkpoint under `checkpoints`: `last` (or the copy an interrupted
    swap left), or `best` when it is newer, as it is in a run killed before its first periodic save
    (the step-0 evaluation always saves `best`). Either is a whole state to go on from. None when
    neither was saved."""
    saved = []
    for name in ("last", "best"):  # on a tie, last: max() keeps the first
        step = checkpoint_step(Path(checkpoints) / name)
        if step is not None:
            saved.append((step, find_checkpoint(Path(checkpoints) / name)))
    if not saved:
        return None
    step, directory = max(saved, key=lambda pair: pair[0])
    return directory, step


def load_checkpoint(directory: Path) -> tuple[dict, dict | None, dict]:
    """(adapter weights, optimizer state or None, loop state) of a checkpoint."""
    import mlx.core as mx

    found = find_checkpoint(directory)
    if found is None:
        raise LocoError(f"no checkpoint to resume from in {directory}")
    try:
        state = json.loads((found / STATE_FILE).read_text())
        adapter = mx.load(str(found / ADAPTER_FILE))
        optimizer = mx.load(str(found / OPTIMIZER_FILE)) if (found / OPTIMIZER_FILE).is_file() else None
    except (ValueError, RuntimeError, json.JSONDecodeError) as exc:
        raise LocoError(f"checkpoint {found} is unreadable: {exc}") from None
    return adapter, optimizer, state
