"""metrics.jsonl: one JSON record per line, written as training goes.

Owns the file format and its lifecycle. Every line is flushed at once, so a
crashed or interrupted run keeps everything up to its last step. On resume the
log is cut back to the checkpoint's step (atomic rewrite), so steps trained after
the checkpoint and lost with the crash do not appear twice.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import write_atomic


def _clean(value):
    # json.dumps writes NaN/Infinity, which strict JSON readers refuse; a diverged loss
    # is still worth recording, so it becomes a string that read_metrics turns back.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _restore(value):
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    return value


class MetricsLog:
    """Append-only metrics log; `append=True` keeps the lines of an earlier run (resume)."""

    def __init__(self, path: Path, append: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists():
            self._repair_tail()
        self._fh = open(self.path, "a" if append else "w", encoding="utf-8")

    def log(self, record: dict) -> None:
        if "step" not in record:
            raise ValueError(f"a metrics record needs a 'step': {record}")
        self._fh.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")
        self._fh.flush()

    def truncate(self, step: int) -> None:
        """Keep only records with step <= `step`."""
        self._fh.close()
        kept = [r for r in read_metrics(self.path) if r["step"] <= step]
        write_atomic(self.path, "".join(json.dumps({k: _clean(v) for k, v in r.items()}) + "\n" for r in kept))
        self._fh = open(self.path, "a", encoding="utf-8")

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _repair_tail(self) -> None:
        # A crash mid-write can leave a last line without its newline; appending to
        # it would glue two records together.
        text = self.path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            write_atomic(self.path, text[: text.rfind("\n") + 1])


def read_metrics(path) -> list[dict]:
    """All records in file order; a torn last line (crash mid-write) is skipped."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break
            raise LocoError(f"{path}:{number}: not a JSON metrics record ({exc.msg})") from None
        if not isinstance(record, dict) or "step" not in record:
            raise LocoError(f"{path}:{number}: a metrics record needs a 'step', got {line[:80]}")
        records.append({k: _restore(v) for k, v in record.items()})
    return records
