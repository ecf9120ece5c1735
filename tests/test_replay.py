"""Replay data (`loco data replay`, a recipe's `replay:`): prompts read from every row format, a seeded
draw, cut-off replies dropped, atomic writes, and replay examples added to the training split only."""

from __future__ import annotations

import json

import pytest

from loco_mlx.data.replay import draw, read_prompts, write_replay
from loco_mlx.errors import LocoError
from loco_mlx.train.run import add_replay


def write_lines(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_prompts_come_from_chat_benchmark_and_query_rows_unique_and_in_order(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "chat q"},
                {"role": "assistant", "content": "a"},
            ]
        },  # fmt: skip
        {"id": "b1", "input": "bench q", "expected": 1, "scorer": "numeric"},
        {"query": "general q"},
        "",
        {"query": "general q"},  # a repeat is drawn once
    ]
    assert read_prompts(write_lines(tmp_path / "p.jsonl", rows)) == ["chat q", "bench q", "general q"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [([{"answer": 1}], "p.jsonl:1: no prompt"), (["{oops"], "p.jsonl:1: not JSON"), ([""], "no prompts")],
)
def test_unreadable_prompt_files_are_named(tmp_path, rows, message):
    with pytest.raises(LocoError, match=message):
        read_prompts(write_lines(tmp_path / "p.jsonl", rows))
    with pytest.raises(LocoError, match="no such file"):
        read_prompts(tmp_path / "missing.jsonl")


def test_draw_is_seeded_and_takes_all_when_there_are_fewer():
    prompts = [f"q{i}" for i in range(50)]
    assert draw(prompts, 10, 3) == draw(prompts, 10, 3) != draw(prompts, 10, 4)
    assert sorted(draw(prompts[:5], 10, 0)) == prompts[:5]
    with pytest.raises(LocoError, match="--count must be at least 1"):
        draw(prompts, 0, 0)


def test_cut_off_replies_are_dropped_and_the_rest_written_as_chat(tmp_path):
    out = tmp_path / "sub" / "replay.jsonl"
    assert write_replay(out, ["a", "b", "c"], ["A.", None, "C."]) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[1] == {"messages": [{"role": "user", "content": "c"}, {"role": "assistant", "content": "C."}]}
    with pytest.raises(LocoError, match="every reply hit max_tokens"):
        write_replay(tmp_path / "none.jsonl", ["a"], [None])
    assert not (tmp_path / "none.jsonl").exists()


def test_replay_examples_join_the_training_split_only(tmp_path):
    from loco_mlx.data.datasets import load_dataset

    chat = lambda q, a: {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}  # noqa: E731
    write_lines(tmp_path / "train.jsonl", [chat(f"t{i}", "x") for i in range(12)])
    write_lines(tmp_path / "valid.jsonl", [chat("v", "y")])
    replay = write_lines(tmp_path / "replay.jsonl", [chat("r1", "base says"), chat("r2", "base says")])
    dataset = add_replay(load_dataset(tmp_path), [str(replay)])
    assert len(dataset.train) == 14 and len(dataset.valid) == 1
    assert str(replay) in dataset.files and len(dataset.files[str(replay)]) == 64  # recorded in TRAINING_LOG
    with pytest.raises(LocoError, match="replay file .*missing.jsonl not found; write it with: loco data replay"):
        add_replay(load_dataset(tmp_path), [str(tmp_path / "missing.jsonl")])


def test_loco_data_replay_writes_the_bases_own_greedy_replies(default_env, default_engine, tmp_path):
    """End to end on the embedded base: the CLI draws, answers with the plain base and writes chat rows."""
    from loco_mlx.data.replay import ReplaySettings, base_replies
    from tests.helpers import loco

    questions = ["What is the capital of France?", "Say hello.", "What is 2 + 2?"]
    prompts = write_lines(tmp_path / "prompts.jsonl", [{"query": q} for q in questions])
    out = tmp_path / "replay.jsonl"
    result = loco("data", "replay", str(prompts), "--out", str(out), "--count", "3", "--max-tokens", "48",
                  env=default_env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert result.stdout.startswith(f"wrote {len(rows)} base replies to {out}") and rows
    chosen = draw(questions, 3, 0)  # what the CLI drew, in its order; the same batch gives the same greedy tokens
    expected = [(p, r) for p, r in zip(chosen, base_replies(default_engine, chosen, ReplaySettings(48))) if r]
    assert [(r["messages"][0]["content"], r["messages"][1]["content"]) for r in rows] == expected
    assert "Paris" in dict(expected)[questions[0]]  # the base's real answer, short enough to be kept
