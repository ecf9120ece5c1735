"""The data stage: every format normalised, every problem reported with its file and line, the
seeded split, sampling, stats, and the `loco data` commands as a user runs them.

Token lengths use a tiny GGUF model's real ChatML tokenizer; one integration test uses SmolLM2's.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import import_base
from loco_mlx.bases.store import BaseStore
from loco_mlx.data.datasets import (
    Example,
    load_dataset,
    percentiles,
    read_jsonl,
    require_valid,
    sample,
    stats,
    token_length,
    validate,
)
from loco_mlx.errors import LocoError
from tests.fixtures.tiny_gguf import write_tiny_gguf


def chat(i, prefix="question"):
    return {"messages": [{"role": "user", "content": f"{prefix} {i}"}, {"role": "assistant", "content": f"answer {i}"}]}


def write_lines(path, lines):
    """Dicts are written as JSON, str as is, bytes as raw bytes; one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = [json.dumps(x) if isinstance(x, dict) else x for x in lines]
    path.write_bytes(b"".join((x.encode() if isinstance(x, str) else x) + b"\n" for x in raw))
    return path


def loco(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "loco_mlx", *args], capture_output=True, text=True, env=env or os.environ.copy()
    )


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf", "llama", "Q8_0")


@pytest.fixture(scope="module")
def tokenizer(tiny_gguf, tmp_path_factory):
    store = BaseStore(tmp_path_factory.mktemp("home"))
    return load_base(import_base(str(tiny_gguf), store=store)).tokenizer


def U(content):
    return {"role": "user", "content": content}


def A(content):
    return {"role": "assistant", "content": content}


def S(content):
    return {"role": "system", "content": content}


FORMAT_CASES = [
    ("messages", {"messages": [U("hi"), A("hello")]}, "messages", [U("hi"), A("hello")]),
    (
        "messages, system and two turns",
        {"messages": [S("be brief"), U("a"), A("b"), U("c"), A("d")]},
        "messages",
        [S("be brief"), U("a"), A("b"), U("c"), A("d")],
    ),
    ("prompt/completion", {"prompt": "2+2?", "completion": " 4"}, "prompt_completion", [U("2+2?"), A(" 4")]),
    ("text", {"text": "raw text, trained on every token"}, "text", None),
    ("alpaca with input", {"instruction": "Sum", "input": "1 2", "output": "3"}, "alpaca", [U("Sum\n\n1 2"), A("3")]),
    ("alpaca empty input", {"instruction": "Sum", "input": "", "output": "3"}, "alpaca", [U("Sum"), A("3")]),
    ("alpaca no input", {"instruction": "Sum", "output": "3"}, "alpaca", [U("Sum"), A("3")]),
    (
        "sharegpt",
        {
            "conversations": [
                {"from": "system", "value": "s"},
                {"from": "human", "value": "a"},
                {"from": "gpt", "value": "b"},
                {"from": "user", "value": "c"},
                {"from": "assistant", "value": "d"},
            ]
        },
        "sharegpt",
        [S("s"), U("a"), A("b"), U("c"), A("d")],
    ),
]


@pytest.mark.parametrize("name,obj,fmt,messages", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_every_format_normalises(name, obj, fmt, messages, tmp_path):
    examples, problems = read_jsonl(write_lines(tmp_path / "d.jsonl", ["", obj]))
    assert problems == []
    (ex,) = examples
    assert (ex.fmt, ex.messages, ex.line, ex.source) == (fmt, messages, 2, str(tmp_path / "d.jsonl"))
    assert ex.text == (obj["text"] if fmt == "text" else None)


GOOD = chat(0)
# (name, lines, expected line, fragments of the message); the bad line is among good ones
PROBLEM_CASES = [
    ("malformed JSON", [GOOD, '{"messages": [', GOOD], 2, ["bad JSON"]),
    ("not an object", [GOOD, "[1, 2]"], 2, ["expected a JSON object, got list"]),
    ("unknown keys", [{"question": "q", "answer": "a"}], 1, ["'question', 'answer'", '{"prompt", "completion"}']),
    ("extra key", [GOOD, {"prompt": "p", "completion": "c", "id": 7}], 2, ["unknown key 'id'", "prompt_completion"]),
    ("missing key", [{"prompt": "p"}], 1, ["missing key 'completion'"]),
    ("wrong type", [{"prompt": "p", "completion": 42}], 1, ["'completion' must be a string, got number 42"]),
    ("invalid UTF-8 on line 3", [GOOD, GOOD, b'{"text": "caf\xe9"}', GOOD], 3, ["invalid UTF-8", "0xe9"]),
    ("empty content", [{"messages": [U("q"), A("")]}], 1, ["empty 'content' in message 2"]),
    ("whitespace-only content", [GOOD, {"messages": [U(" \n\t "), A("a")]}], 2, ["empty 'content' in message 1"]),
    ("whitespace-only text", [{"text": "   "}], 1, ["empty 'text'"]),
    ("empty alpaca output", [{"instruction": "i", "output": ""}], 1, ["empty 'output'"]),
    ("alpaca input not text", [{"instruction": "i", "input": 3, "output": "o"}], 1, ["'input' must be a string"]),
    ("two users in a row", [{"messages": [U("a"), U("b"), A("c")]}], 1, ["message 2 has role 'user'", "'assistant'"]),
    ("starts with assistant", [{"messages": [A("a"), U("b")]}], 1, ["message 1 has role 'assistant'"]),
    ("system not first", [{"messages": [U("a"), S("s"), A("c")]}], 1, ["message 2 has role 'system'"]),
    ("ends with user", [{"messages": [U("a"), A("b"), U("c")]}], 1, ["last message has role 'user'"]),
    ("unknown role", [{"messages": [{"role": "tool", "content": "x"}, A("b")]}], 1, ['unknown role "tool"']),
    ("key in a message", [{"messages": [{**U("a"), "name": "x"}, A("b")]}], 1, ["unknown key 'name' in message 1"]),
    ("messages not a list", [{"messages": "hi"}], 1, ["'messages' must be a non-empty list"]),
    ("empty messages", [{"messages": []}], 1, ["'messages' must be a non-empty list"]),
    (
        "sharegpt unknown from",
        [{"conversations": [{"from": "bot", "value": "x"}]}],
        1,
        ['unknown from "bot" in turn 1'],
    ),
    ("empty object", [GOOD, "{}"], 2, ["empty object"]),
    ("empty file", [], None, ["no examples"]),
]


@pytest.mark.parametrize("name,lines,line,fragments", PROBLEM_CASES, ids=[c[0] for c in PROBLEM_CASES])
def test_every_problem_has_file_and_line(name, lines, line, fragments, tmp_path):
    path = write_lines(tmp_path / "data" / "train.jsonl", lines)
    examples, problems = read_jsonl(path)
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    assert (problem.file, problem.line) == (str(path), line)
    assert str(problem).startswith(f"{path}:{line}: " if line else f"{path}: ")
    for fragment in fragments:
        assert fragment in problem.message, (fragment, problem.message)
    assert len(examples) == sum(x == GOOD for x in lines)  # the good lines are still read


def test_all_problems_are_collected_and_blank_lines_ignored(tmp_path):
    lines = [GOOD, "", "not json", "   ", {"text": ""}, chat(1), b"\xff", "\r"]
    examples, problems = read_jsonl(write_lines(tmp_path / "d.jsonl", lines))
    assert [p.line for p in problems] == [3, 5, 7]
    assert [e.line for e in examples] == [1, 6]


def test_crlf_and_bom_are_accepted(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n" + json.dumps(chat(1)).encode() + b"\r\n")
    examples, problems = read_jsonl(path)
    assert problems == [] and len(examples) == 2


def test_problem_str_format():
    from loco_mlx.data.datasets import DataProblem

    assert str(DataProblem("data/train.jsonl", 17, "empty 'content' in message 2")) == (
        "data/train.jsonl:17: empty 'content' in message 2"
    )
    assert str(DataProblem("data/train.jsonl", None, "no examples")) == "data/train.jsonl: no examples"


# --- dataset-level checks ------------------------------------------------------------------------


def test_duplicates_report_both_lines(tmp_path):
    # the same conversation in two formats, with different spacing, is still a duplicate
    lines = [chat(i) for i in range(12)] + [{"prompt": "question  3", "completion": "answer 3 "}]
    d = load_dataset(write_lines(tmp_path / "d" / "train.jsonl", lines).parent, valid_fraction=0)
    (problem,) = validate(d)
    assert problem.line == 13 and f"duplicate of {tmp_path / 'd' / 'train.jsonl'}:4" in problem.message


def test_train_valid_overlap(tmp_path):
    write_lines(tmp_path / "train.jsonl", [chat(i) for i in range(10)])
    write_lines(tmp_path / "valid.jsonl", [chat(100), chat(7)])
    (problem,) = validate(load_dataset(tmp_path))
    assert str(problem) == f"{tmp_path}/valid.jsonl:2: also in the training set at {tmp_path}/train.jsonl:8"


def test_too_few_examples(tmp_path):
    d = load_dataset(write_lines(tmp_path / "train.jsonl", [chat(i) for i in range(4)]), valid_fraction=0)
    (problem,) = validate(d, min_train=5)
    assert problem.line is None and problem.message == "only 4 training examples; at least 5 needed"
    assert validate(d, min_train=4) == []


def test_over_long_example_with_its_token_count(tmp_path, tokenizer):
    long = {"messages": [U("word " * 150), A("ok")]}
    lines = [chat(i) for i in range(10)] + [long, {"text": "text " * 150}]
    d = load_dataset(write_lines(tmp_path / "train.jsonl", lines), valid_fraction=0)
    expected = len(tokenizer.apply_chat_template(long["messages"], tokenize=True))
    text_ids = tokenizer.encode("text " * 150)
    problems = validate(d, tokenizer, max_seq_length=100)
    assert [p.line for p in problems] == [11, 12]
    assert problems[0].message.startswith(f"example is {expected} tokens, longer than max_seq_length 100")
    assert f"is {len(text_ids) + 1} tokens" in problems[1].message  # + the EOS the trainer appends
    assert validate(d, tokenizer, max_seq_length=expected + len(text_ids)) == []


def test_token_length_is_the_rendered_chat(tokenizer):
    ex = Example([U("hello there"), A("hi")], None, "x", 1, "messages")
    rendered = tokenizer.decode(tokenizer.apply_chat_template(ex.messages, tokenize=True))
    assert rendered.endswith("<|im_start|>assistant\nhi<|im_end|>\n")
    assert token_length(ex, tokenizer) == len(tokenizer.encode(rendered, add_special_tokens=False))


def test_require_valid_summarises(tmp_path):
    lines = ["bad"] * 5 + [chat(i) for i in range(10)]
    d = load_dataset(write_lines(tmp_path / "train.jsonl", lines), valid_fraction=0)
    with pytest.raises(LocoError) as err:
        require_valid(d, None, 1024, 10)
    message = str(err.value)
    assert message.startswith(f"5 data problems in {tmp_path}/train.jsonl: {tmp_path}/train.jsonl:1: bad JSON")
    assert "and 2 more" in message and f"run `loco data validate {tmp_path}/train.jsonl` for all" in message
    assert "\n" not in message
    require_valid(load_dataset(write_lines(tmp_path / "ok.jsonl", lines[5:]), valid_fraction=0), None, 1024, 10)


# --- loading and splitting -----------------------------------------------------------------------


def test_seeded_split_is_deterministic_and_disjoint(tmp_path):
    path = write_lines(tmp_path / "all.jsonl", [chat(i) for i in range(50)])
    a, b = load_dataset(path, 0.2, seed=1), load_dataset(path, 0.2, seed=1)
    lines = lambda exs: [e.line for e in exs]  # noqa: E731
    assert lines(a.train) == lines(b.train) and lines(a.valid) == lines(b.valid)
    assert len(a.valid) == 10 and sorted(lines(a.train) + lines(a.valid)) == list(range(1, 51))
    assert lines(a.train) == sorted(lines(a.train))  # file order kept
    assert lines(load_dataset(path, 0.2, seed=2).valid) != lines(a.valid)
    assert load_dataset(path, 0.0).valid == []
    assert len(load_dataset(write_lines(tmp_path / "3.jsonl", [chat(i) for i in range(3)]), 0.1).valid) == 1


def test_directory_layouts_and_hashes(tmp_path):
    train = write_lines(tmp_path / "d" / "train.jsonl", [chat(i) for i in range(10)])
    write_lines(tmp_path / "d" / "test.jsonl", ["ignored, not even JSON"])
    d = load_dataset(tmp_path / "d")  # no valid.jsonl: split like a file
    assert (len(d.train), len(d.valid)) == (9, 1) and d.problems == []
    assert d.files == {str(train): hashlib.sha256(train.read_bytes()).hexdigest()}
    valid = write_lines(tmp_path / "d" / "valid.jsonl", [chat(100)])
    d = load_dataset(str(tmp_path / "d"), valid_fraction=0.5)
    assert (len(d.train), len(d.valid)) == (10, 1) and list(d.files) == [str(train), str(valid)]


@pytest.mark.parametrize(
    "make,fragment",
    [
        (lambda p: p / "missing.jsonl", "no such file or directory"),
        (lambda p: (p / "x.jsonl").touch() or p, "no train.jsonl in this directory (found: x.jsonl)"),
    ],
)
def test_missing_data_is_a_user_error(make, fragment, tmp_path):
    with pytest.raises(LocoError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(make(tmp_path))


def test_bad_valid_fraction(tmp_path):
    with pytest.raises(LocoError, match=r"--valid-fraction must be in \[0, 1\), got 1.5"):
        load_dataset(tmp_path, 1.5)


def test_sample_is_seeded(tmp_path):
    examples = read_jsonl(write_lines(tmp_path / "d.jsonl", [chat(i) for i in range(100)]))[0]
    first = sample(examples, 0.1, seed=3)
    assert first == sample(examples, 0.1, seed=3) and first != sample(examples, 0.1, seed=4)
    assert len(first) == 10 and [e.line for e in first] == sorted(e.line for e in first)
    assert len(sample(examples[:3], 0.01, seed=0)) == 1 and sample([], 0.5, 0) == []
    with pytest.raises(LocoError, match="--fraction must be in"):
        sample(examples, 0, 1)


def test_stats_counts_and_percentiles(tmp_path, tokenizer):
    lines = [chat(i) for i in range(6)] + [{"text": "t"}, {"messages": [U("a"), A("b"), U("c"), A("d")]}]
    d = load_dataset(write_lines(tmp_path / "d.jsonl", lines), valid_fraction=0)
    s = stats(d, tokenizer)
    assert s["train"]["examples"] == 8 and s["valid"]["examples"] == 0
    assert s["train"]["formats"] == {"messages": 7, "text": 1}
    assert s["train"]["turns"] == {"min": 1, "mean": 8 / 7, "max": 2}
    assert s["train"]["tokens"]["max"] == token_length(d.train[-1], tokenizer)
    assert s["valid"]["tokens"] is None and "tokens" not in stats(d)["train"]
    assert percentiles(list(range(100, 0, -1))) == {
        "p50": 50,
        "p90": 90,
        "p95": 95,
        "p99": 99,
        "max": 100,
        "total": 5050,
    }


# --- the CLI, as a user runs it ------------------------------------------------------------------


def test_cli_validate_prints_one_line_per_problem(tmp_path):
    path = write_lines(tmp_path / "train.jsonl", [chat(i) for i in range(10)] + ["{bad", {"text": " "}, chat(2)])
    result = loco("data", "validate", str(path), "--no-tokens", "--valid-fraction", "0")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:11: bad JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:12: empty 'text' (only whitespace)",
        f"{path}:13: duplicate of {path}:3",
    ]
    assert result.stderr.strip() == f"error: 3 problems (11 train + 0 valid examples in {path}); fix them and rerun"
    assert "Traceback" not in result.stderr


def test_cli_validate_with_a_base_counts_tokens(tmp_path, tiny_gguf, loco_home):
    path = write_lines(tmp_path / "train.jsonl", [chat(i) for i in range(10)] + [{"messages": [U("w " * 80), A("ok")]}])
    env = {**os.environ, "LOCO_HOME": str(loco_home)}
    result = loco("data", "validate", str(path), "--base", str(tiny_gguf), "--max-seq-length", "64", env=env)
    assert result.returncode == 1, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{path}:11: example is ") and "longer than max_seq_length 64" in line
    ok = loco("data", "validate", str(path), "--base", str(tiny_gguf), "--max-seq-length", "4096", env=env)
    assert ok.returncode == 0 and "ok: 10 train + 1 valid examples" in ok.stdout and "within 4096 tokens" in ok.stdout
    stats_out = loco("data", "stats", str(path), "--base", str(tiny_gguf), env=env)
    assert stats_out.returncode == 0, stats_out.stderr
    header, train_row, valid_row = stats_out.stdout.splitlines()[:3]
    assert header.split()[:3] == ["split", "examples", "formats"] and "p95" in header
    assert train_row.split()[:4] == ["train", "10", "messages", "10"]


def test_cli_sample_and_errors(tmp_path):
    lines = [chat(i) for i in range(20)] + [{"messages": [U("line one\nline two"), A("a")]}]
    path = write_lines(tmp_path / "d.jsonl", lines)
    result = loco("data", "sample", str(path), "--fraction", "1", "--split", "all")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("21 of 21 all examples (fraction 1.0, seed 42)")
    assert f"--- {path}:21 (messages)\n[user] line one\n    line two\n[assistant] a" in out
    missing = loco("data", "validate", str(tmp_path / "nope"), "--no-tokens")
    assert (
        missing.returncode == 1 and missing.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or directory"
    )
    bad_split = loco("data", "sample", str(path), "--split", "test")
    assert bad_split.returncode == 1 and "--split must be train, valid or all, got 'test'" in bad_split.stderr


@pytest.mark.integration
def test_cli_validate_on_the_embedded_default(tmp_path, default_env):
    path = write_lines(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    result = loco("data", "validate", str(path), env=default_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok: 11 train + 1 valid examples in {path}; no problems; all within 1024 tokens"
