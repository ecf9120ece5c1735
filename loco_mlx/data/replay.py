"""Replay data: the base's own replies to prompts outside an adapter's task.

An adapter trained only on its task answers everything in that task's format (a JSON adapter
wraps a Python question in braces). Mixing in prompts from elsewhere, answered by the base
itself (greedy, adapters off), teaches the adapter to leave those alone: self-distillation
replay. `loco data replay` writes them; a recipe's `replay:` list adds them to the training
split (never to validation, so the validation loss still measures the task).

Prompts come from any of: chat JSONL (the first user message), benchmark JSONL (`input`), or
query JSONL (`query`, as in the router's general queries). Replies that hit `max_tokens`
are dropped: training on a cut-off reply would teach the adapter to stop mid-sentence.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import write_atomic


@dataclass(frozen=True)
class ReplaySettings:
    max_tokens: int = 192
    batch_size: int = 8
    seed: int = 0


def read_prompts(path: str | Path) -> list[str]:
    """The user prompts of one JSONL file (chat, benchmark or query rows), in file order, unique."""
    from loco_mlx.files import json_lines

    prompts: dict[str, None] = {}
    for number, row in json_lines(Path(path).expanduser()):
        prompt = _prompt_of(row)
        if prompt is None:
            raise LocoError(f"{path}:{number}: no prompt (expected messages with a user turn, 'input' or 'query')")
        prompts[prompt] = None
    if not prompts:
        raise LocoError(f"{path}: no prompts")
    return list(prompts)


def _prompt_of(row) -> str | None:
    if not isinstance(row, dict):
        return None
    for turn in row.get("messages") or []:
        if isinstance(turn, dict) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            return turn["content"]
    for key in ("input", "query", "prompt"):
        if isinstance(row.get(key), str) and row[key].strip():
            return row[key]
    return None


def draw(prompts: list[str], count: int, seed: int) -> list[str]:
    """`count` prompts drawn without replacement (all of them when there are fewer), seeded."""
    if count < 1:
        raise LocoError(f"--count must be at least 1, got {count}")
    picked = list(prompts)
    random.Random(seed).shuffle(picked)
    return picked[:count]


def base_replies(engine, prompts: list[str], settings: ReplaySettings, progress=None) -> list[str | None]:
    """The base's greedy reply to each prompt with every adapter off; None where it hit max_tokens."""
    from loco_mlx.inference.backend import SamplingConfig

    sampling = SamplingConfig(max_tokens=settings.max_tokens, temperature=0.0, seed=settings.seed)
    replies: list[str | None] = []
    with engine.base_only():
        for start in range(0, len(prompts), settings.batch_size):
            batch = prompts[start : start + settings.batch_size]
            ids = [engine.encode_chat([{"role": "user", "content": p}]) for p in batch]
            for sample in engine.generate_batch(ids, sampling):
                finished = sample.tokens < settings.max_tokens and sample.text.strip()
                replies.append(sample.text.strip() if finished else None)
            if progress:
                progress(len(batch))
    return replies


def write_replay(out: str | Path, prompts: list[str], replies: list[str | None]) -> int:
    """Write the finished (prompt, reply) pairs as chat JSONL, atomically; return how many."""
    rows = [
        {"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": r}]}
        for p, r in zip(prompts, replies)
        if r is not None
    ]
    if not rows:
        raise LocoError(f"every reply hit max_tokens; nothing to write to {out} (raise --max-tokens)")
    path = Path(out).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return len(rows)
