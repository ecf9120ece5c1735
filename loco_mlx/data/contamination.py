"""Benchmark contamination: find training examples that copy a benchmark item.

Compares benchmark inputs with the user side of training examples (all user turns; a text
example's whole text). The benchmark schema is evaluation/benchmarks.py's; `loco eval` hands its
items here. `loco data check-contamination` reads any benchmark's id and input (read_probes), so
files in other formats (HumanEval's task_id/prompt, GSM8K's question) can be checked too. Two checks:
- exact: equal after normalisation (lowercase, punctuation removed, whitespace collapsed);
- near: word n-gram containment, the share of a benchmark item's n-grams found in a training
  example, on text where numbers become <num> and capitalised names become <name>, so an item
  reused with its numbers or names swapped is still caught.
Containment rather than Jaccard: a training example may wrap the item in more text, which would
dilute Jaccard. Benchmark n-grams are indexed in a dict, so the cost grows with the training text,
not with train x benchmark pairs. Items shorter than n words get only the exact check: short
n-grams match unrelated text by chance.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.errors import LocoError

INPUT_KEYS = ("input", "question", "prompt", "messages")  # the first one present is the item's input
ID_KEYS = ("id", "task_id", "idx")
NUM, NAME = "<num>", "<name>"
_TOKEN = re.compile(r"\w+(?:['’.,]\w+)*|[.!?:\n]")  # words (with inner . , ' kept: 3.14, don't) and sentence ends
_BOUNDARY = frozenset(".!?:\n")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = re.compile(r"[^\w\s]")


@dataclass
class Probe:
    """What the check needs of a benchmark item: its id and the user-side text it asks. (The benchmark
    schema itself, with expected answers and scorers, is evaluation/benchmarks.py's.)"""

    id: str
    text: str  # the input's user-side text
    line: int = 0  # 1-based line in the benchmark file (0 when built in code)


@dataclass
class Finding:
    train_file: str
    train_line: int
    benchmark_id: str
    kind: str  # "exact" | "near"
    score: float  # 1.0 for exact; for near, the share of the item's n-grams found in the example

    def __str__(self) -> str:
        what = "exact copy" if self.kind == "exact" else f"near copy ({self.score:.0%} of its n-grams)"
        return f"{self.train_file}:{self.train_line}: {what} of benchmark item {self.benchmark_id!r}"


def read_probes(path) -> list[Probe]:
    """The probes of a benchmark JSONL file: an id and an input (text or a messages list) per line. Only
    those two are read, under any of their usual names, so any benchmark format can be checked, not just
    loco's own (read by evaluation/benchmarks.py).

    Stricter than training data on purpose: a silently skipped item would hide contamination.
    """
    try:
        data = Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise LocoError(f"{path}: no such file") from None
    except OSError as exc:
        raise LocoError(f"{path}: cannot read ({exc.strerror})") from None
    items = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            raise LocoError(f"{path}:{number}: invalid UTF-8 at column {exc.start + 1}") from None
        except json.JSONDecodeError as exc:
            raise LocoError(f"{path}:{number}: bad JSON: {exc.msg} (column {exc.colno})") from None
        try:
            items.append(probe_from_obj(obj, number))
        except LocoError as exc:
            raise LocoError(f"{path}:{number}: {exc}") from None
    if not items:
        raise LocoError(f"{path}: no benchmark items")
    return items


def probe_from_obj(obj, line: int = 0) -> Probe:
    if not isinstance(obj, dict):
        raise LocoError(f"expected a JSON object, got {type(obj).__name__}")
    key = next((k for k in INPUT_KEYS if k in obj), None)
    text = _input_text(obj[key]) if key else None
    if text is None:
        found = ", ".join(repr(k) for k in obj) or "none"
        raise LocoError(f"no input: expected one of {', '.join(INPUT_KEYS)} as text or a messages list; keys: {found}")
    item_id = next((obj[k] for k in ID_KEYS if k in obj), f"line {line}")
    return Probe(str(item_id), text, line)


def as_probe(item) -> Probe:
    """A Probe from a Probe, a benchmark line's object, or a loco BenchmarkItem (evaluation/benchmarks.py,
    which owns the benchmark schema; only its id, input and line are read here)."""
    if isinstance(item, Probe):
        return item
    if isinstance(item, dict):
        return probe_from_obj(item)
    return probe_from_obj({"id": item.id, "input": item.input}, item.line)


def check_contamination(train_examples, benchmark_items, n: int = 8, threshold: float = 0.5) -> list[Finding]:
    """Findings for every (training example, benchmark item) pair that is an exact or near copy."""
    if n < 1:
        raise LocoError(f"--n must be at least 1, got {n}")
    if not 0 < threshold <= 1:
        raise LocoError(f"--threshold must be in (0, 1], got {threshold}")
    items = [as_probe(it) for it in benchmark_items]
    exact_index: dict[str, list[int]] = {}
    gram_index: dict[tuple, list[int]] = {}
    sizes = []
    for i, item in enumerate(items):
        if key := normalise(item.text):
            exact_index.setdefault(key, []).append(i)
        grams = ngrams(masked_words(item.text), n)
        sizes.append(len(grams))
        for gram in grams:
            gram_index.setdefault(gram, []).append(i)

    findings = []
    for ex in train_examples:
        turns = user_texts(ex)
        exact = {i for t in [*turns, "\n".join(turns)] for i in exact_index.get(normalise(t), ())}
        findings += [Finding(ex.source, ex.line, items[i].id, "exact", 1.0) for i in sorted(exact)]
        hits = Counter()
        for gram in ngrams(masked_words("\n".join(turns)), n):
            hits.update(gram_index.get(gram, ()))
        for i, count in sorted(hits.items()):
            score = count / sizes[i]
            if score >= threshold and i not in exact:
                findings.append(Finding(ex.source, ex.line, items[i].id, "near", round(score, 4)))
    return findings


def user_texts(example) -> list[str]:
    """The user side of a training example: every user turn, or the whole text of a text example."""
    if example.text is not None:
        return [example.text]
    return [m["content"] for m in example.messages if m["role"] == "user"]


def normalise(text: str) -> str:
    """Lowercase, punctuation removed, whitespace collapsed: the key for exact matches."""
    return " ".join(_PUNCT.sub("", text.lower()).split())


def masked_words(text: str) -> list[str]:
    """Lowercased words with numbers as <num> and capitalised names as <name>.

    A capitalised word is a name when it is not at a sentence start, or when the same word is
    capitalised mid-sentence elsewhere in the text ("Natalia sold ... did Natalia sell"). "I" and
    all-caps words (acronyms, shouting) are not names.
    """
    tokens = _TOKEN.findall(text)
    names, start = set(), True
    for tok in tokens:
        if not start and _capitalised(tok):
            names.add(tok)
        start = tok in _BOUNDARY
    words, start = [], True
    for tok in tokens:
        if tok in _BOUNDARY:
            start = True
            continue
        if _capitalised(tok) and (not start or tok in names):
            words.append(NAME)
        else:
            words.append(_DIGITS.sub(NUM, tok.lower()) if any(c.isdigit() for c in tok) else tok.lower())
        start = False
    return words


def ngrams(words: list[str], n: int) -> set[tuple]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _capitalised(tok: str) -> bool:
    return tok[0].isupper() and not tok.isupper()


def _input_text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(m, dict) and _has_text(m) for m in value):
        users = [m["content"] for m in value if m.get("role") in ("user", "human")]
        return "\n".join(users or [m["content"] for m in value])
    return None


def _has_text(message: dict) -> bool:
    return isinstance(message.get("content"), str)
