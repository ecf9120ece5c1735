"""Training data: read JSONL datasets, normalise every format to chat messages, and say what is wrong.

Owns the formats a user may write (messages, prompt/completion, text, Alpaca, ShareGPT), the
train/valid split and the checks run before training (`validate`, `require_valid`). Key choices:
- every problem is collected with its file and 1-based line; reading never stops at the first one;
- files are split on b"\\n" and decoded line by line, so invalid UTF-8 is reported on its own line;
- every chat format becomes one `messages` list, so the trainer sees a single shape;
- duplicates and train/valid overlap compare whitespace-collapsed content, across formats;
- a token length is that of the example rendered with the base's chat template, as it is trained.
Only the standard library is imported here: the tokenizer is passed in.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import chat_token_ids

ROLES = ("system", "user", "assistant")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
# format -> (required keys, optional keys); the order breaks ties when guessing a line's format
FORMATS = {
    "messages": (("messages",), ()),
    "prompt_completion": (("prompt", "completion"), ()),
    "text": (("text",), ()),
    "alpaca": (("instruction", "output"), ("input",)),
    "sharegpt": (("conversations",), ()),
}
ACCEPTED = '{"messages"}, {"prompt", "completion"}, {"text"}, {"instruction", "input", "output"}, {"conversations"}'


@dataclass
class Example:
    messages: list[dict] | None  # normalised chat: [{"role": ..., "content": str}, ...]
    text: str | None  # only for {"text"} examples: trained on every token, no roles
    source: str  # file path as given
    line: int  # 1-based line number in that file
    fmt: str  # "messages" | "prompt_completion" | "text" | "alpaca" | "sharegpt"


@dataclass
class DataProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@dataclass
class Dataset:
    train: list[Example]
    valid: list[Example]
    files: dict[str, str]  # path -> sha256 of the file bytes (train file first)
    problems: list[DataProblem]  # reading problems
    path: str = ""  # what the user gave: a file or a directory


def read_jsonl(path) -> tuple[list[Example], list[DataProblem]]:
    """Every example of one JSONL file, and every problem found reading it."""
    examples, problems = [], []
    source = str(path)
    data = _read_bytes(path)
    seen_line = False
    for number, raw in enumerate(data.split(b"\n"), 1):
        raw = raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw  # a BOM some editors write
        if not raw.strip():
            continue  # blank lines are allowed
        seen_line = True
        example, errors = _parse_line(raw.rstrip(b"\r"), source, number)
        examples += [example] if example else []
        problems += [DataProblem(source, number, e) for e in errors]
    if not seen_line:
        problems.append(DataProblem(source, None, "no examples (the file is empty)" if not data else "no examples"))
    return examples, problems


def load_dataset(path, valid_fraction: float = 0.1, seed: int = 42) -> Dataset:
    """A directory with train.jsonl (+ valid.jsonl), or one .jsonl file split by a seeded fraction.

    A directory without valid.jsonl is split like a single file; test.jsonl is left for evaluation.
    """
    if not 0 <= valid_fraction < 1:
        raise LocoError(f"--valid-fraction must be in [0, 1), got {valid_fraction}")
    given = str(path)
    root = Path(path).expanduser()
    if not root.exists():
        raise LocoError(f"{given}: no such file or directory")
    if root.is_dir():
        train_file = os.path.join(given, "train.jsonl")
        if not Path(train_file).is_file():
            found = sorted(p.name for p in root.glob("*.jsonl"))
            raise LocoError(
                f"{given}: no train.jsonl in this directory (found: {', '.join(found) or 'no .jsonl files'}); "
                "name the training file train.jsonl, or pass the file itself"
            )
        valid_file = os.path.join(given, "valid.jsonl")
        sources = [train_file] + ([valid_file] if Path(valid_file).is_file() else [])
    else:
        sources = [given]
    files = {s: hashlib.sha256(_read_bytes(s)).hexdigest() for s in sources}
    train, problems = read_jsonl(sources[0])
    if len(sources) == 2:
        valid, valid_problems = read_jsonl(sources[1])
        problems += valid_problems
    else:
        train, valid = _split(train, valid_fraction, seed)
    return Dataset(train, valid, files, problems, given)


def validate(dataset: Dataset, tokenizer=None, max_seq_length: int = 1024, min_train: int = 10) -> list[DataProblem]:
    """All problems: reading, duplicates, train/valid overlap, too few examples, and (with a tokenizer) length."""
    problems = list(dataset.problems)
    first = {}  # content key -> first train example with it
    for ex in dataset.train:
        key = _key(ex)
        if key in first:
            problems.append(DataProblem(ex.source, ex.line, f"duplicate of {_where(first[key])}"))
        else:
            first[key] = ex
    for ex in dataset.valid:
        if (twin := first.get(_key(ex))) is not None:
            problems.append(DataProblem(ex.source, ex.line, f"also in the training set at {_where(twin)}"))
    if len(dataset.train) < min_train:
        train_file = next(iter(dataset.files), dataset.path)
        problems.append(
            DataProblem(train_file, None, f"only {len(dataset.train)} training examples; at least {min_train} needed")
        )
    if tokenizer is not None:
        examples = dataset.train + dataset.valid
        for ex, n in zip(examples, token_lengths(examples, tokenizer)):
            if n > max_seq_length:
                message = f"example is {n} tokens, longer than max_seq_length {max_seq_length} (it would be truncated)"
                problems.append(DataProblem(ex.source, ex.line, message))
    order = {f: i for i, f in enumerate(dataset.files)}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), math.inf if p.line is None else p.line))


def token_length(example: Example, tokenizer) -> int:
    if example.text is not None:
        ids = list(tokenizer.encode(example.text))
        eos = getattr(tokenizer, "eos_token_id", None)
        return len(ids) + (eos is not None and (not ids or ids[-1] != eos))  # the trainer appends EOS to text
    return len(chat_token_ids(tokenizer, example.messages, add_generation_prompt=False))


def token_lengths(examples, tokenizer) -> list[int]:
    return [token_length(ex, tokenizer) for ex in examples]


def stats(dataset: Dataset, tokenizer=None) -> dict:
    """Per split: examples, formats, user turns per chat example, and token-length percentiles."""
    out = {}
    for name, examples in (("train", dataset.train), ("valid", dataset.valid)):
        turns = [sum(m["role"] == "user" for m in ex.messages) for ex in examples if ex.messages is not None]
        split = {
            "examples": len(examples),
            "formats": dict(Counter(ex.fmt for ex in examples)),
            "turns": {"min": min(turns), "mean": sum(turns) / len(turns), "max": max(turns)} if turns else None,
        }
        if tokenizer is not None:
            split["tokens"] = percentiles(token_lengths(examples, tokenizer))
        out[name] = split
    out["files"] = dict(dataset.files)
    out["problems"] = len(dataset.problems)
    return out


def percentiles(values: list[int]) -> dict | None:
    """p50/p90/p95/p99 (nearest rank: always a real example's length), max and total."""
    if not values:
        return None
    ordered = sorted(values)
    pick = {f"p{p}": ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] for p in (50, 90, 95, 99)}
    return {**pick, "max": ordered[-1], "total": sum(ordered)}


def sample(examples, fraction: float, seed: int) -> list[Example]:
    """A seeded random sample for manual review (at least one example), in file order."""
    if not 0 < fraction <= 1:
        raise LocoError(f"--fraction must be in (0, 1], got {fraction}")
    examples = list(examples)
    if not examples:
        return []
    k = min(len(examples), max(1, round(fraction * len(examples))))
    return [examples[i] for i in sorted(random.Random(seed).sample(range(len(examples)), k))]


def require_valid(dataset: Dataset, tokenizer, max_seq_length: int, min_train: int) -> None:
    """Raise one LocoError summarising every problem (the trainer calls this before loading the model)."""
    problems = validate(dataset, tokenizer, max_seq_length, min_train)
    if not problems:
        return
    shown = "; ".join(str(p) for p in problems[:3])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    raise LocoError(
        f"{len(problems)} data problem{'s' if len(problems) > 1 else ''} in {dataset.path}: {shown}{more}; "
        f"run `loco data validate {dataset.path}` for all"
    )


# --- reading one line ---------------------------------------------------------------------------


def _read_bytes(path) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise LocoError(f"{path}: no such file") from None
    except OSError as exc:
        raise LocoError(f"{path}: cannot read ({exc.strerror})") from None


def _parse_line(raw: bytes, source: str, number: int) -> tuple[Example | None, list[str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"bad JSON: {exc.msg} (column {exc.colno})"]
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {_kind(obj)} {_show(obj)}"]
    if not obj:
        return None, [f"empty object; accepted formats: {ACCEPTED}"]
    fmt = _guess_format(obj)
    if fmt is None:
        return None, [f"unknown key{_s(obj)} {_names(obj)}; accepted formats: {ACCEPTED}"]
    required, optional = FORMATS[fmt]
    errors = []
    if unknown := [k for k in obj if k not in required + optional]:
        errors.append(
            f"unknown key{_s(unknown)} {_names(unknown)} for the {fmt} format (its keys: "
            f"{_names(required + optional)}); accepted formats: {ACCEPTED}"
        )
    if missing := [k for k in required if k not in obj]:
        errors.append(f"missing key{_s(missing)} {_names(missing)} for the {fmt} format")
    if missing:
        return None, errors
    messages, text = _normalise(fmt, obj, errors)
    return (None if errors else Example(messages, text, source, number, fmt)), errors


def _guess_format(obj: dict) -> str | None:
    """The format sharing most keys with the object (first in FORMATS on a tie)."""
    overlap = {fmt: len(set(obj) & set(req + opt)) for fmt, (req, opt) in FORMATS.items()}
    best = max(overlap, key=overlap.get)
    return best if overlap[best] else None


def _normalise(fmt: str, obj: dict, errors: list[str]) -> tuple[list[dict] | None, str | None]:
    if fmt == "text":
        _check_text(obj["text"], "'text'", errors)
        return None, obj["text"]
    if fmt == "prompt_completion":
        for key in ("prompt", "completion"):
            _check_text(obj[key], repr(key), errors)
        return [{"role": "user", "content": obj["prompt"]}, {"role": "assistant", "content": obj["completion"]}], None
    if fmt == "alpaca":
        for key in ("instruction", "output"):
            _check_text(obj[key], repr(key), errors)
        extra = obj.get("input", "")
        if not isinstance(extra, str):
            errors.append(f"'input' must be a string (it may be \"\"), got {_kind(extra)} {_show(extra)}")
        if errors:
            return None, None
        user = obj["instruction"] + "\n\n" + extra if extra.strip() else obj["instruction"]
        return [{"role": "user", "content": user}, {"role": "assistant", "content": obj["output"]}], None
    if fmt == "messages":
        return _turns(obj["messages"], "messages", "message", ("role", "content"), dict(zip(ROLES, ROLES)), errors)
    return _turns(obj["conversations"], "conversations", "turn", ("from", "value"), SHAREGPT_ROLES, errors)


def _turns(items, key: str, what: str, fields: tuple[str, str], roles: dict, errors: list[str]):
    """Check a messages/conversations list and return it as normalised messages."""
    role_key, text_key = fields
    if not isinstance(items, list) or not items:
        errors.append(f"{key!r} must be a non-empty list of {{{role_key}, {text_key}}} objects, got {_show(items)}")
        return None, None
    messages = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            errors.append(f"{what} {i} must be an object with {role_key!r} and {text_key!r}, got {_kind(item)}")
            continue
        if unknown := [k for k in item if k not in fields]:
            errors.append(f"unknown key {_names(unknown)} in {what} {i}; expected {role_key!r} and {text_key!r}")
        if missing := [k for k in fields if k not in item]:
            errors.append(f"missing {_names(missing)} in {what} {i}")
            continue
        role = item[role_key]
        if not isinstance(role, str) or role not in roles:
            errors.append(f"unknown {role_key} {_show(role)} in {what} {i}; expected {', '.join(roles)}")
        _check_text(item[text_key], f"{text_key!r} in {what} {i}", errors)
        messages.append({"role": roles.get(role) if isinstance(role, str) else None, "content": item[text_key]})
    if errors:
        return None, None
    _check_order([m["role"] for m in messages], what, errors)
    return messages, None


def _check_order(roles: list[str], what: str, errors: list[str]) -> None:
    """Optional leading system, then user/assistant alternating, starting with user, ending with assistant."""
    start = 1 if roles[0] == "system" else 0
    for i in range(start, len(roles)):
        expected = "user" if (i - start) % 2 == 0 else "assistant"
        if roles[i] != expected:
            errors.append(
                f"{what} {i + 1} has role '{roles[i]}', expected '{expected}' "
                "(after an optional system message, user and assistant alternate, starting with user)"
            )
            return
    if roles[-1] != "assistant":
        errors.append(f"the last {what} has role '{roles[-1]}'; an example must end with an assistant reply")


def _check_text(value, label: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append(f"{label} must be a string, got {_kind(value)} {_show(value)}")
    elif not value.strip():
        errors.append(f"empty {label}" if not value else f"empty {label} (only whitespace)")


# --- helpers ------------------------------------------------------------------------------------


def _split(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Seeded, disjoint; each side keeps file order. Any positive fraction gives at least one valid example."""
    n = len(examples)
    n_valid = round(n * fraction)
    if fraction > 0 and n >= 2:
        n_valid = min(max(n_valid, 1), n - 1)
    chosen = set(random.Random(seed).sample(range(n), n_valid)) if n_valid else set()
    return [e for i, e in enumerate(examples) if i not in chosen], [e for i, e in enumerate(examples) if i in chosen]


def _key(ex: Example) -> tuple:
    """Content identity: the same conversation in two formats is still a duplicate."""
    if ex.text is not None:
        return ("text", " ".join(ex.text.split()))
    return tuple((m["role"], " ".join(m["content"].split())) for m in ex.messages)


def _where(ex: Example) -> str:
    return f"{ex.source}:{ex.line}"


def _kind(value) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _show(value, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(keys) -> str:
    return ", ".join(repr(k) for k in keys)


def _s(items) -> str:
    return "s" if len(items) > 1 else ""
