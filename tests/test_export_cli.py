"""`loco export` as a user runs it, on a tiny imported base: every output, verification, errors."""

from __future__ import annotations

import json
import os

import pytest

from tests.fixtures.tiny_gguf import write_tiny_gguf
from tests.helpers import assert_user_error, loco, write_adapter

pytestmark = pytest.mark.llamacpp


@pytest.fixture
def tiny_env(loco_home, tmp_path):
    """A LOCO_HOME with a tiny llama base imported and an adapter trained (randomly) on it."""
    from loco_mlx.bases.resolve import import_base

    record = import_base(str(write_tiny_gguf(tmp_path / "tiny.gguf", "llama", "F16")), "tiny")
    adapter = write_adapter(tmp_path / "greeter", record)
    return {**os.environ, "LOCO_HOME": str(loco_home)}, adapter


def test_export_writes_and_verifies_every_output(tiny_env, tmp_path):
    env, adapter = tiny_env
    out = tmp_path / "out"
    result = loco("export", str(adapter), "--quant", "F16", "--lora", "--peft", "--out", str(out),
                  "--system", "Be brief.", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["Modelfile", "Modelfile.lora", "greeter-f16.gguf", "greeter-lora-f16.gguf", "llama-server.sh",
                     "parity.json", "peft", "tiny-f16.gguf"]  # fmt: skip
    assert not list(out.glob(".*"))  # no staging or temporary files left
    modelfile = (out / "Modelfile").read_text()
    assert "FROM ./greeter-f16.gguf" in modelfile and 'SYSTEM """Be brief."""' in modelfile
    assert "TEMPLATE" not in modelfile  # the GGUF carries the chat template
    assert "ADAPTER ./greeter-lora-f16.gguf" in (out / "Modelfile.lora").read_text()
    assert "--lora" in (out / "llama-server.sh").read_text() and "run: llama-server" in result.stdout
    parity = json.loads((out / "parity.json").read_text())
    for kind in ("fused", "lora"):
        assert parity[kind]["max_abs_logit_diff"] <= 0.05, parity[kind]
        assert parity[kind]["prompt_count"] == 10 and parity[kind]["greedy_equal"] + parity[kind]["near_ties"] >= 9
        assert parity[kind]["chat_template_matches"] is True
        # llama.cpp scored token by token as well as in one batch: its own rounding noise, reported
        assert 0 <= parity[kind]["self_max_abs_logit_diff"] <= 0.05 and parity[kind]["self_top1_agreement"] >= 0.9
    same = parity["lora_vs_fused"]  # base + GGUF LoRA against the fused file, both in llama.cpp
    assert same["max_abs_logit_diff"] <= 0.05 and same["top1_agreement"] >= 0.98
    assert "lora vs fused, both in llama.cpp" in result.stdout
    assert sorted(p.name for p in (out / "peft").iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]


def test_export_the_bare_base_in_a_llama_cpp_type(tiny_env, tmp_path):
    env, _ = tiny_env
    out = tmp_path / "base"
    result = loco("export", "base", "--base", "tiny", "--quant", "q4_k_m", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "tiny-q4_k_m.gguf").is_file() and not list(out.glob(".*"))
    assert json.loads((out / "parity.json").read_text())["quant"] == "Q4_K_M"


def test_export_errors_are_one_line(tiny_env, tmp_path):
    env, adapter = tiny_env
    assert_user_error(loco("export", str(adapter), "--quant", "Q9_9", env=env), "--quant Q9_9", "F16")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert_user_error(loco("export", str(adapter), "--out", str(blocker / "sub"), env=env), "cannot write")
    other = write_adapter(tmp_path / "orphan", _record(env), fingerprint="f" * 64)
    assert_user_error(loco("export", str(other), "--out", str(tmp_path / "o"), env=env), "not imported here")
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.gguf"))
    assert_user_error(loco("export", "nosuch", env=env), "no adapter 'nosuch'")


def _record(env):
    from pathlib import Path

    from loco_mlx.bases.store import BaseStore

    return BaseStore(Path(env["LOCO_HOME"])).get("tiny")
