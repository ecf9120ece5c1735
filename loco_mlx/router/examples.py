"""Queries the router is fitted and evaluated on.

Fitting: each adapter's own training prompts (`router_examples.jsonl`, written beside the
adapter by `loco train`, so it travels with `loco adapters install`; else the training file
its manifest names; or a file given with --examples NAME=FILE), and general queries that
belong to the base (shipped in loco_mlx/resources, plus any --general FILE).

Files are JSONL: {"query": ...} lines (labelled sets add "label" and, optionally, "kind"),
or any training data format loco reads, whose first user message is the query.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.adapters.directory import read_manifest
from loco_mlx.errors import LocoError
from loco_mlx.files import json_lines

EXAMPLES_FILE = "router_examples.jsonl"
MAX_SAVED = 1000  # queries kept beside an adapter: plenty for a prototype, small to install
GENERAL_QUERIES = Path(__file__).resolve().parent.parent / "resources" / "general_queries.jsonl"


@dataclass
class LabelledQuery:
    query: str
    label: str
    kind: str = ""


def read_queries(path: str | Path) -> list[str]:
    """The queries of a file: "query" lines, or the first user message of each training example."""
    path = Path(path).expanduser()
    rows = json_lines(path)
    if rows and all("query" in row for _, row in rows):
        return [_text(row["query"], path, line) for line, row in rows]
    from loco_mlx.data.contamination import user_texts
    from loco_mlx.data.datasets import read_jsonl

    examples, problems = read_jsonl(path)
    if problems:
        raise LocoError(f'{problems[0]} (a router file has {{"query": ...}} lines or training examples)')
    return [texts[0] for texts in map(user_texts, examples) if texts and texts[0].strip()]


def read_labelled(path: str | Path) -> list[LabelledQuery]:
    path = Path(path).expanduser()
    items = []
    for line, row in json_lines(path):
        if "query" not in row or "label" not in row:
            raise LocoError(f'{path}:{line}: a labelled line needs "query" and "label", got keys {sorted(row)}')
        label = row["label"]
        if not isinstance(label, str) or not label:
            raise LocoError(f'{path}:{line}: "label" must be an adapter name or "base", got {label!r}')
        items.append(LabelledQuery(_text(row["query"], path, line), label, str(row.get("kind") or "")))
    if not items:
        raise LocoError(f"{path} holds no labelled queries")
    return items


def sample_queries(queries: list[str], limit: int, seed: int) -> list[str]:
    """At most `limit` distinct queries, a seeded sample (the same file gives the same sample)."""
    unique = list(dict.fromkeys(q.strip() for q in queries if q.strip()))
    if len(unique) <= limit:
        return unique
    return random.Random(seed).sample(unique, limit)


def pooled_sample(groups: list[list[str]], limit: int, seed: int) -> list[str]:
    """At most `limit` distinct queries from several files, each an equal share of the budget (a
    file with fewer gives its unused share to the others); one file is sample_queries itself."""
    groups = [list(dict.fromkeys(q.strip() for q in group if q.strip())) for group in groups]
    order = sorted(range(len(groups)), key=lambda i: len(groups[i]))
    takes, left = {}, limit
    for rank, i in enumerate(order):
        takes[i] = min(len(groups[i]), left // (len(order) - rank))
        left -= takes[i]
    pooled = [q for i, group in enumerate(groups) for q in sample_queries(group, takes[i], seed)]
    return list(dict.fromkeys(pooled))


def _text(value, path: Path, line: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LocoError(f'{path}:{line}: "query" must be non-empty text, got {value!r}')
    return value


def write_examples(path: Path, examples) -> int:
    """`router_examples.jsonl` beside a trained adapter: the first user message of each training example."""
    from loco_mlx.data.contamination import user_texts
    from loco_mlx.files import write_atomic

    queries = sample_queries([texts[0] for texts in map(user_texts, examples) if texts], MAX_SAVED, seed=0)
    write_atomic(path, "".join(json.dumps({"query": q}, ensure_ascii=False) + "\n" for q in queries))
    return len(queries)


def adapter_examples(entry, given: str | None = None) -> tuple[list[str], str]:
    """(queries, where they came from) for a registry entry: --examples, the adapter's own
    router_examples.jsonl, or the training file its manifest names (if it is still there, unchanged)."""
    import hashlib

    if given:
        return read_queries(given), str(Path(given).expanduser())
    directory = Path(entry.path)
    if (directory / EXAMPLES_FILE).is_file():
        return read_queries(directory / EXAMPLES_FILE), str(directory / EXAMPLES_FILE)
    try:
        manifest = read_manifest(directory)
    except LocoError:
        manifest = None  # a broken manifest only means no training file to fall back on
    files = manifest.data_files if manifest else {}
    for name, digest in list(files.items())[:1]:  # the training file comes first
        path = Path(name)
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return read_queries(path), str(path)
    raise LocoError(
        f"adapter '{entry.name}' has no example queries for the router ({directory / EXAMPLES_FILE} is missing "
        f"and its training data is not at hand): pass --examples {entry.name}=TRAIN.jsonl"
    )
