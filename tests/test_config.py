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
