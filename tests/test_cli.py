"""The `loco` command as a user runs it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import os

import pytest

from tests.fixtures.bad_gguf import truncated_gguf, unsupported_arch_gguf, unsupported_type_gguf
from tests.fixtures.tiny_gguf import write_tiny_gguf
from tests.helpers import assert_user_error, loco


def test_help_runs():
    result = loco("--help")
    assert result.returncode == 0 and "generate" in result.stdout and "base" in result.stdout


BAD_INPUTS = [
    ("missing", lambda d: d / "missing.gguf", ["no such file or directory"]),
    ("not gguf", lambda d: (d / "n.gguf").write_text("hello") and d / "n.gguf", ["is not a GGUF file"]),
    ("truncated", lambda d: truncated_gguf(d / "t.gguf"), ["truncated"]),
    (
        "arch",
        lambda d: unsupported_arch_gguf(d / "a.gguf"),
        ["unsupported architecture 'falcon'", "llama, qwen2, qwen3"],
    ),
    ("type", lambda d: unsupported_type_gguf(d / "q.gguf"), ["'blk.0.attn_q.weight'", "Q5_0"]),
]


@pytest.mark.parametrize("name,make,fragments", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_gguf_imports_fail_cleanly(name, make, fragments, tmp_path, loco_home):
    result = loco("base", "import", str(make(tmp_path)))
    assert_user_error(result, *fragments)
    bases = loco_home / "bases"
    assert not bases.exists() or not any(bases.iterdir())


def test_uncached_hf_id_offline_is_a_clear_error(loco_home):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(loco_home / "hf")}
    result = loco("base", "import", "mlx-community/no-such-model-4bit", env=env, timeout=60)
    assert_user_error(result, "mlx-community/no-such-model-4bit", "not in the local cache")


def test_bad_flag_values_are_user_errors(loco_home):
    assert_user_error(loco("generate", "hi", "--top-p", "3"), "--top-p")
    assert_user_error(loco("generate", "hi", "--compute", "turbo"), "unknown compute mode 'turbo'")
    assert_user_error(loco("base", "info", "nothing-here"), "no base 'nothing-here'")
    # eval checks its settings before it loads a model or reads a file
    assert_user_error(loco("eval", "x", "--benchmark", "y", "--json-guide", "zz"), "--json-guide names an unknown")


def test_base_lifecycle(tmp_path, loco_home):
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "qwen3", "Q4_0")
    imported = loco("base", "import", str(path), "--id", "tiny")
    assert imported.returncode == 0, imported.stderr
    assert "imported tiny: qwen3" in imported.stdout
    listing = loco("base", "list").stdout
    assert listing.splitlines()[0].split() == ["id", "source", "arch", "params", "bits", "size", "fingerprint"]
    assert listing.splitlines()[1].split()[:3] == ["tiny", "gguf", "qwen3"]
    info = loco("base", "info", "tiny").stdout
    assert "fingerprint" in info and "affine 4/8-bit" not in info and "affine 4-bit" in info
    assert loco("base", "remove", "tiny").returncode == 0
    assert "no bases imported yet" in loco("base", "list").stdout


@pytest.mark.integration
def test_generate_paris_on_the_embedded_default(default_env):
    """Must-show: `loco generate "What is the capital of France?" --temp 0` says Paris."""
    result = loco("generate", "What is the capital of France?", "--temp", "0", "--max-tokens", "40", env=default_env)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "smollm2-135m-instruct" in result.stderr and "tok/s" in result.stderr


@pytest.mark.integration
def test_chat_repl_over_stdin(default_env):
    script = "/help\nWhat is the capital of France?\n/clear\n/quit\n"
    result = loco("chat", "--temp", "0", "--max-tokens", "30", env=default_env, input=script)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "reply" in result.stdout and "tok/s" in result.stdout and "(conversation cleared)" in result.stdout


@pytest.mark.integration
def test_doctor_names_device_and_blas(default_env):
    result = loco("doctor", env=default_env)
    assert result.returncode == 0
    assert "device" in result.stdout and "GFLOP/s" in result.stdout


def test_config_file_errors_are_user_errors(tmp_path, loco_home):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sampling:\n  temprature: 0\n")
    assert_user_error(loco("generate", "hi", "--config", str(bad)), "bad.yaml", "unknown key 'sampling.temprature'")
