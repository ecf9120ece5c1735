"""A recipe's `mix:` (more task data from other files): read from YAML as a list of sections, each
item's errors named by its index, and a seeded sample of each file added to the training split only."""

from __future__ import annotations

import json

import pytest

from loco_mlx.config import load_config
from loco_mlx.data.datasets import load_dataset, validate
from loco_mlx.errors import LocoError
from loco_mlx.train.config import MixSource, TrainConfig
from loco_mlx.train.run import add_mix


def chat(q: str, a: str = "x") -> dict:
    return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}


def write_lines(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def data(tmp_path):
    """A data directory (12 train, 1 valid) and a second file of 20 task examples to mix in."""
    write_lines(tmp_path / "train.jsonl", [chat(f"t{i}") for i in range(12)])
    write_lines(tmp_path / "valid.jsonl", [chat("v")])
    return tmp_path, write_lines(tmp_path / "more.jsonl", [chat(f"m{i}") for i in range(20)])


def prompts(examples) -> list[str]:
    return [e.messages[0]["content"] for e in examples]


def test_a_recipe_lists_mix_sources_as_sections(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("mix:\n  - path: a.jsonl\n    sample: 400\n  - {path: b.jsonl}\n")
    cfg = load_config(TrainConfig, recipe)
    assert cfg.mix == [MixSource("a.jsonl", 400), MixSource("b.jsonl", None)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mix: a.jsonl\n", r"recipe.yaml: 'mix' must be a list of sections, got 'a.jsonl'"),
        ("mix: [a.jsonl]\n", r"'mix' must be a list of sections, got \['a.jsonl'\]"),
        ("mix:\n  - {path: a.jsonl, size: 4}\n", r"recipe.yaml: unknown key 'mix\[0\].size' \(known: path, sample\)"),
        ("mix:\n  - {path: a}\n  - {path: b, sample: 0}\n", r"yaml: 'mix\[1\].sample' must be at least 1, got 0"),
        ("mix:\n  - {sample: 4}\n", r"recipe.yaml: 'mix\[0\]' path must not be empty; name a JSONL file"),
    ],
)
def test_a_bad_mix_source_is_named_by_its_index(tmp_path, text, message):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(text)
    with pytest.raises(LocoError, match=message):
        load_config(TrainConfig, recipe)


def test_a_seeded_sample_joins_the_training_split_in_file_order(data):
    root, more = data
    dataset = add_mix(load_dataset(root), [MixSource(str(more), 5)], seed=3)
    drawn = prompts(dataset.train[12:])
    assert len(dataset.train) == 17 and prompts(dataset.valid) == ["v"]  # validation stays the data's own
    assert drawn == sorted(drawn, key=lambda p: int(p[1:]))  # file order, as the file has them
    assert drawn == prompts(add_mix(load_dataset(root), [MixSource(str(more), 5)], seed=3).train[12:])
    assert drawn != prompts(add_mix(load_dataset(root), [MixSource(str(more), 5)], seed=4).train[12:])
    assert len(dataset.files[str(more)]) == 64  # its hash goes to the TRAINING_LOG's data table


def test_no_sample_takes_the_whole_file(data):
    root, more = data
    dataset = add_mix(load_dataset(root), [MixSource(str(more))], seed=0)
    assert prompts(dataset.train[12:]) == [f"m{i}" for i in range(20)]


def test_a_sample_larger_than_the_file_or_a_missing_file_is_refused(data):
    root, more = data
    with pytest.raises(LocoError, match=r"mix: sample 21 of .*more.jsonl, which has 20 examples; lower sample"):
        add_mix(load_dataset(root), [MixSource(str(more), 21)], seed=0)
    with pytest.raises(LocoError, match=r"mix file .*gone.jsonl not found"):
        add_mix(load_dataset(root), [MixSource(str(root / "gone.jsonl"))], seed=0)


def test_a_mixed_example_that_repeats_the_data_is_found_by_validate(data):
    root, _ = data
    again = write_lines(root / "again.jsonl", [chat("t3"), chat("v")])
    problems = [str(p) for p in validate(add_mix(load_dataset(root), [MixSource(str(again))], seed=0))]
    assert any("again.jsonl:1: duplicate of" in p for p in problems)
    assert any("again.jsonl:2" in p and "valid" in p for p in problems)  # a validation row trained on


@pytest.mark.parametrize(
    ("mix", "replay", "message"),
    [
        (["more.jsonl", "more.jsonl"], [], r"mix\[1\].path names more.jsonl, which mix\[0\].path already names"),
        (["data.jsonl"], [], r"mix\[0\].path names data.jsonl, which data already names"),
        (["more.jsonl"], ["./more.jsonl"], r"replay\[0\] names ./more.jsonl, which mix\[0\].path already names"),
    ],
)
def test_a_file_named_twice_is_refused_before_training(mix, replay, message):
    cfg = TrainConfig(data="data.jsonl", out="o", mix=[MixSource(p) for p in mix], replay=replay)
    with pytest.raises(LocoError, match=message + "; list each file once"):
        cfg.check()


def test_a_mix_source_changed_in_code_is_checked_again():
    cfg = TrainConfig(data="d", out="o", mix=[MixSource("a.jsonl", 4)])
    cfg.mix[0].sample = 0
    with pytest.raises(LocoError, match=r"^mix\[0\].sample must be at least 1, got 0"):
        cfg.check()


def test_a_mix_file_that_does_not_read_is_reported_as_its_lines_not_as_too_small(data, tmp_path):
    from loco_mlx.data.datasets import require_valid

    root, _ = data
    broken = root / "broken.jsonl"
    broken.write_text('{"oops"\n')
    dataset = add_mix(load_dataset(root), [MixSource(str(broken), 5)], seed=0)  # no "sample 5 of 0 examples"
    with pytest.raises(LocoError, match=r"broken.jsonl:1: "):
        require_valid(dataset, None, 1024, 1)
