"""Benchmark files: JSONL, one item per line, validated like training data.

Each line: {"id", "input" (text or a messages list), "expected", "scorer", "options"
(optional dict), "difficulty" (easy | medium | hard), "tags" (optional list)}. Every
problem is reported with its file and line; the file's SHA-256 is recorded with every
result, so results of an edited benchmark are recognisably stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loco_mlx.errors import LocoError

DIFFICULTIES = ("easy", "medium", "hard")
REQUIRED = ("id", "input", "expected", "scorer")
OPTIONAL = ("options", "difficulty", "tags")


@dataclass
class BenchmarkItem:
    id: str
    input: str | list
    expected: Any
    scorer: str
    options: dict = field(default_factory=dict)
    difficulty: str = "medium"
    tags: list[str] = field(default_factory=list)
    line: int = 0

    def messages(self) -> list[dict]:
        if isinstance(self.input, str):
            return [{"role": "user", "content": self.input}]
        return list(self.input)


@dataclass
class Benchmark:
    path: Path
    sha256: str
    items: list[BenchmarkItem]


def read_benchmark(path: str | Path) -> Benchmark:
    """Read and validate a benchmark; LocoError listing every problem with file:line."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise LocoError(f"no benchmark file at {path}")
    raw = path.read_bytes()
    items, problems, seen = [], [], {}
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            item = parse_item(line, number, seen)
        except LocoError as exc:
            problems.append(f"{path}:{number}: {exc}")
            continue
        seen[item.id] = number
        items.append(item)
    if not items and not problems:
        problems.append(f"{path}: no items")
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise LocoError(f"{len(problems)} problem(s) in benchmark {path}: {shown}")
    return Benchmark(path, hashlib.sha256(raw).hexdigest(), items)


def parse_item(line: bytes, number: int, seen: dict[str, int]) -> BenchmarkItem:
    """One benchmark line as an item; LocoError saying what is wrong with it (the caller adds file:line).
    `seen` maps the ids read so far to their lines."""
    from loco_mlx.evaluation.scorers import SCORERS, resolve_options

    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise LocoError("not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise LocoError(f"bad JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise LocoError("expected a JSON object")
    missing = [k for k in REQUIRED if k not in obj]
    unknown = [k for k in obj if k not in REQUIRED + OPTIONAL]
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unknown key(s) {', '.join(unknown)} (keys: {', '.join(REQUIRED + OPTIONAL)})"] if unknown else []
        raise LocoError("; ".join(parts))
    item = BenchmarkItem(
        id=str(obj["id"]), input=obj["input"], expected=obj["expected"], scorer=obj["scorer"],
        options=obj.get("options") or {}, difficulty=obj.get("difficulty", "medium"),
        tags=list(obj.get("tags") or []), line=number,
    )  # fmt: skip
    if item.scorer not in SCORERS:
        raise LocoError(f"unknown scorer '{item.scorer}' (known: {', '.join(sorted(SCORERS))})")
    if not isinstance(item.input, (str, list)) or not item.input:
        raise LocoError("'input' must be non-empty text or a messages list")
    if item.difficulty not in DIFFICULTIES:
        raise LocoError(f"difficulty '{item.difficulty}' is not one of {', '.join(DIFFICULTIES)}")
    if item.id in seen:
        raise LocoError(f"duplicate id '{item.id}' (first on line {seen[item.id]})")
    resolve_options(item.scorer, item.options)  # its LocoError says what is wrong with them
    return item
