"""Config loading: CLI > YAML > defaults, unknown keys and bad types named with the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from loco_mlx.config import GenerateConfig, load_config
from loco_mlx.errors import LocoError

REPO = Path(__file__).resolve().parents[1]


def test_defaults():
    cfg = load_config(GenerateConfig)
    assert cfg.base == "default" and cfg.sampling.temperature == 0.7 and cfg.sampling.seed is None


def test_yaml_then_cli_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("base: tiny\nsampling:\n  temperature: 0.2\n  max_tokens: 64\n")
    cfg = load_config(GenerateConfig, path, {"sampling.temperature": 0, "sampling.seed": None, "system": "Be terse."})
    assert cfg.base == "tiny"  # from YAML
    assert cfg.sampling.max_tokens == 64  # from YAML
    assert cfg.sampling.temperature == 0.0 and isinstance(cfg.sampling.temperature, float)  # CLI wins
    assert cfg.sampling.seed is None  # not passed on the CLI: default stays
    assert cfg.system == "Be terse."


def test_shipped_config_loads():
    cfg = load_config(GenerateConfig, REPO / "configs" / "generate.yaml")
    assert cfg == GenerateConfig()


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "sampling:\n  temprature: 0.1\n",
            r"c.yaml: unknown key 'sampling.temprature' \(known: max_tokens, temperature",
        ),
        ("bse: x\n", r"unknown key 'bse'"),
        ("sampling:\n  max_tokens: many\n", r"'sampling.max_tokens' must be int, got 'many'"),
        ("sampling: 3\n", r"'sampling' must be a section of settings"),
        ("- a\n- b\n", r"expected a mapping"),
        ("base: [unclosed\n", r"not valid YAML"),
        ("sampling:\n  max_tokens: true\n", r"must be int, got True"),
    ],
)
def test_bad_config_names_key_and_file(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(LocoError, match=message):
        load_config(GenerateConfig, path)


def test_missing_config_file(tmp_path):
    with pytest.raises(LocoError, match="config file not found"):
        load_config(GenerateConfig, tmp_path / "nope.yaml")


# --- ranges: every bad value is named by its key and file, or by its flag --------------------

BAD_TRAIN_VALUES = [
    ("optim.learning_rate", -2.0e-4, "must be greater than 0"),
    ("optim.learning_rate", 0, "must be greater than 0"),
    ("optim.learning_rate", float("nan"), "must be a finite number, got nan"),
    ("optim.warmup_fraction", 1.0, r"must be in \[0, 1\)"),
    ("optim.warmup_fraction", -0.1, r"must be in \[0, 1\)"),
    ("optim.weight_decay", -0.01, "must be at least 0"),
    ("optim.max_grad_norm", 0, r"must be greater than 0, got 0(\.0)?; null turns clipping off"),
    ("optim.max_grad_norm", -1.0, "must be greater than 0"),
    ("optim.schedule", "linear", "names an unknown schedule 'linear'; choose one of: cosine, constant"),
    ("lora.rank", 0, "must be at least 1, got 0"),
    ("lora.alpha", -16, "must be greater than 0"),
    ("lora.dropout", 1.0, r"must be in \[0, 1\)"),
    ("lora.dropout", -0.05, r"must be in \[0, 1\)"),
    ("lora.num_layers", 0, r"must be at least 1, or -1 \(all layers\), got 0"),
    ("lora.num_layers", -2, "must be at least 1, or -1"),
    ("lora.keys", [], "must not be empty; name the projections"),
    ("batch_size", 0, "must be at least 1, got 0"),
    ("grad_accumulation", -1, "must be at least 1"),
    ("epochs", -1, "must be at least 0"),
    ("epochs", float("inf"), "must be a finite number, got inf"),
    ("max_steps", 0, "must be at least 1"),
    ("max_seq_length", 0, "must be at least 1"),
    ("valid_fraction", 1.5, r"must be in \[0, 1\)"),
    ("seed", -1, r"must be in \[0, 4294967295\]"),
    ("seed", 2**40, r"must be in \[0, 4294967295\]"),
    ("eval_every", 0, "must be at least 1"),
    ("save_every", 0, "must be at least 1"),
    ("early_stopping_patience", 0, "must be at least 1, got 0; null turns early stopping off"),
    ("min_train_examples", 0, "must be at least 1"),
    ("compute", "gpu", "names an unknown compute mode 'gpu'; choose one of: auto, packed, fp32"),
]


def _yaml(dotted: str, value) -> str:
    import yaml

    *sections, leaf = dotted.split(".")
    data = {leaf: value}
    for section in reversed(sections):
        data = {section: data}
    return yaml.safe_dump(data)  # nan and inf as .nan and .inf, which YAML reads back as floats


@pytest.mark.parametrize("key,value,message", BAD_TRAIN_VALUES)
def test_a_recipe_value_out_of_range_names_file_and_key(tmp_path, key, value, message):
    from loco_mlx.train.config import TrainConfig

    path = tmp_path / "recipe.yaml"
    path.write_text(_yaml(key, value))
    with pytest.raises(LocoError, match=rf"recipe.yaml: '{key}' {message}"):
        load_config(TrainConfig, path)


@pytest.mark.parametrize("key,value,message", BAD_TRAIN_VALUES)
def test_a_value_set_in_code_is_named_by_its_dotted_key(key, value, message):
    """The same checks when a config is changed after it was built (TrainConfig.check, run before training)."""
    from loco_mlx.train.config import TrainConfig

    cfg = TrainConfig(data="d", out="o")
    *sections, leaf = key.split(".")
    target = cfg
    for section in sections:
        target = getattr(target, section)
    setattr(target, leaf, value)
    with pytest.raises(LocoError, match=rf"^{key} {message}"):
        cfg.check()


def test_a_flag_out_of_range_is_named_as_the_flag(tmp_path):
    from loco_mlx.train.config import TrainConfig

    path = tmp_path / "recipe.yaml"
    path.write_text("optim:\n  learning_rate: 1.0e-4\n")
    flags = {"optim.learning_rate": "--learning-rate", "lora.rank": "--rank"}
    with pytest.raises(LocoError, match=r"^--learning-rate must be greater than 0, got -0.5$"):
        load_config(TrainConfig, path, {"optim.learning_rate": -0.5}, flags)
    with pytest.raises(LocoError, match=r"^command line: 'lora.rank' must be at least 1, got 0$"):
        load_config(TrainConfig, path, {"lora.rank": 0})  # no flag given: still not blamed on the file


def test_each_key_is_blamed_on_the_file_that_set_it(tmp_path):
    from loco_mlx.train.config import TrainConfig

    first, second = tmp_path / "base.yaml", tmp_path / "override.yaml"
    first.write_text("lora:\n  rank: 0\n")
    second.write_text("lora:\n  alpha: 8\n")
    with pytest.raises(LocoError, match=r"base.yaml: 'lora.rank' must be at least 1"):
        load_config(TrainConfig, [first, second])


def test_in_range_values_and_yaml_exponents_load(tmp_path):
    from loco_mlx.train.config import TrainConfig

    path = tmp_path / "recipe.yaml"
    path.write_text(
        "optim:\n  learning_rate: 2e-4\n  max_grad_norm: null\n  warmup_fraction: 0\n"
        "lora:\n  num_layers: -1\n  dropout: 0\nepochs: 0\nmax_steps: 5\nseed: 0\n"
    )
    cfg = load_config(TrainConfig, path, {"data": "d", "out": "o"}).check()
    assert cfg.optim.learning_rate == 2e-4  # YAML 1.1 reads 2e-4 as text; a float setting takes it
    assert cfg.optim.max_grad_norm is None and cfg.epochs == 0.0 and cfg.max_steps == 5


def test_epochs_zero_needs_max_steps():
    from loco_mlx.train.config import TrainConfig

    with pytest.raises(LocoError, match="epochs must be greater than 0 unless max_steps is set"):
        TrainConfig(data="d", out="o", epochs=0).check()


@pytest.mark.parametrize(
    "text,message",
    [
        ("adapter_memory_mb: 0\n", r"c.yaml: 'adapter_memory_mb' must be greater than 0, got 0.0; null sets no limit"),
        ("compute: metal\n", r"c.yaml: 'compute' names an unknown compute mode 'metal'; choose one of: auto, packed"),
        ("backend: nope\n", r"c.yaml: 'backend' names an unknown backend 'nope'; choose one of: mlx, llamacpp, auto"),
        ("sampling:\n  top_p: 1.5\n", r"c.yaml: 'sampling.top_p' must be in \(0, 1\], got 1.5"),
        ("sampling:\n  max_tokens: 0\n", r"c.yaml: 'sampling.max_tokens' must be at least 1, got 0"),
        ("sampling:\n  temperature: -0.5\n", r"c.yaml: 'sampling.temperature' must be at least 0, got -0.5"),
        ("inference:\n  votes: 0\n", r"c.yaml: 'inference.votes' must be at least 1, got 0"),
        ("inference:\n  vote_method: most\n", r"c.yaml: 'inference.vote_method' names an unknown vote method 'most'"),
    ],
)
def test_generate_config_ranges_name_key_and_file(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(LocoError, match=message):
        load_config(GenerateConfig, path)


def test_every_default_is_in_range():
    from loco_mlx.train.config import TrainConfig

    TrainConfig(data="d", out="o").check()
    GenerateConfig()


@pytest.mark.parametrize(
    "recipe,flags,line",
    [
        (
            "optim:\n  learning_rate: -2.0e-4\n",
            [],
            "recipe.yaml: 'optim.learning_rate' must be greater than 0, got -0.0002",
        ),
        ("lora:\n  rank: 8\n", ["--lr=-1e-4"], "error: --learning-rate must be greater than 0, got -0.0001"),
    ],
    ids=["recipe", "flag"],
)
def test_loco_train_refuses_a_negative_learning_rate_in_one_line(tmp_path, recipe, flags, line):
    import os
    import subprocess
    import sys

    path = tmp_path / "recipe.yaml"
    path.write_text(recipe)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "loco_mlx", "train", str(path), "--data", str(tmp_path), "--out", str(out), *flags],
        env={**os.environ, "LOCO_HOME": str(tmp_path / "home")}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()] and line in result.stderr  # one line, no traceback
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.parametrize(
    "options,line",
    [
        (["--max-tokens", "0"], "error: --max-tokens must be at least 1, got 0"),
        (["--temp", "-1"], "error: --temp must be at least 0, got -1.0"),
        (["--top-p", "1.5"], "error: --top-p must be in (0, 1], got 1.5"),
        (["--votes", "0"], "error: --votes must be at least 1, got 0"),
        (["--vote-method", "most"], "error: --vote-method names an unknown vote method 'most'"),
    ],
)
def test_loco_generate_names_the_flag_that_is_out_of_range(tmp_path, options, line):
    """Checked before any base loads: one line on stderr, exit 1."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "loco_mlx", "generate", "hi", *options],
        env={**os.environ, "LOCO_HOME": str(tmp_path / "home")}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and result.stderr.strip().startswith(line), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "home").exists()  # no base was imported


def test_a_recipe_version_must_be_semver_before_training_starts(tmp_path):
    from loco_mlx.train.config import TrainConfig

    path = tmp_path / "recipe.yaml"
    path.write_text("version: '1.0'\n")
    with pytest.raises(LocoError, match=r"invalid adapter version '1.0': use semver MAJOR.MINOR.PATCH"):
        load_config(TrainConfig, path)
    path.write_text("version: 0.3.0\n")
    assert load_config(TrainConfig, path).version == "0.3.0"
