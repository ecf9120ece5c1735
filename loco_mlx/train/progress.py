"""How a training run reports progress: a live bar, JSON lines, or nothing.

All reporters take the same calls from the loop (start, step, eval, message,
finish), so scripts choose `--json` or `--quiet` without changing the loop.
Only rank 0 of a distributed run reports.
"""

from __future__ import annotations

import json
import sys


class QuietReporter:
    def start(self, total_steps: int, start_step: int) -> None: ...

    def step(self, record: dict) -> None: ...

    def eval(self, record: dict) -> None: ...

    def message(self, text: str) -> None: ...

    def finish(self) -> None: ...


class JsonReporter(QuietReporter):
    """One JSON object per line on stdout: {"event": "step" | "eval" | "message", ...}."""

    def _emit(self, event: str, record: dict) -> None:
        sys.stdout.write(json.dumps({"event": event, **record}) + "\n")
        sys.stdout.flush()

    def start(self, total_steps: int, start_step: int) -> None:
        self._emit("start", {"total_steps": total_steps, "start_step": start_step})

    def step(self, record: dict) -> None:
        self._emit("step", record)

    def eval(self, record: dict) -> None:
        self._emit("eval", record)

    def message(self, text: str) -> None:
        self._emit("message", {"text": text})


class BarReporter(QuietReporter):
    """A rich progress bar with loss, validation loss, tokens/s, memory and ETA."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.progress = None
        self.last_val = "-"

    def start(self, total_steps: int, start_step: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task("train", total=total_steps, completed=start_step, info="")
        self.progress.start()

    def step(self, record: dict) -> None:
        info = (
            f"loss {record['train_loss']:.3f} | val {self.last_val} | {record['tokens_per_second']:.0f} tok/s | "
            f"{record['peak_memory_gb']:.2f} GB"
        )
        self.progress.update(self.task, completed=record["step"], info=info)

    def eval(self, record: dict) -> None:
        self.last_val = f"{record['val_loss']:.3f}" + ("*" if record.get("best") else "")
        self.message(
            f"step {record['step']}: validation loss {record['val_loss']:.4f}{' (best)' if record.get('best') else ''}"
        )

    def message(self, text: str) -> None:
        (self.progress.console if self.progress else self.console).print(text)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def make_reporter(mode: str, rank: int = 0):
    if rank != 0 or mode == "quiet":
        return QuietReporter()
    return JsonReporter() if mode == "json" else BarReporter()
