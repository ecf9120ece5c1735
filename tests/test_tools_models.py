"""The program-style math adapter (adapters/math-program, tool: python) on the real embedded base,
on both backends: its reply is a program, the sandbox runs it, and the answer is what it printed.
The fake-model tests of the tool path are in test_tools.py; this is the same path with real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages
from loco_mlx.inference.tools import answer_from_output

pytestmark = pytest.mark.integration

MATH = Path(__file__).resolve().parents[1] / "adapters" / "math-program"
QUESTION = "A baker makes 14 trays of 12 rolls and sells 95 of them. How many rolls are left?"
GREEDY = SamplingConfig(max_tokens=160, temperature=0.0)


def program_answer(engine: Engine):
    engine.adapter_paths["math"] = MATH
    engine.use_adapter("math")
    assert engine.active_tool == "python"  # declared by the shipped adapter's manifest
    try:
        return engine.answer(build_messages(QUESTION), GREEDY, InferenceConfig())
    finally:
        engine.use_adapter(None)


def check_program_path(answer) -> None:
    run = answer.tool
    assert run is not None and run.program and run.attempts >= 1 and "print(" in run.program
    if not run.fallback:
        assert run.exit_status == 0 and answer.text == answer_from_output(run.output)


def test_the_math_adapter_answers_with_a_program_on_mlx(default_engine):
    answer = program_answer(default_engine)
    check_program_path(answer)  # right or wrong (73), the answer is what its program printed


@pytest.mark.llamacpp
def test_the_same_program_path_on_llama_cpp(default_home, default_engine):
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.llamacpp import LlamaCppBackend

    engine = Engine(LlamaCppBackend(BaseStore(default_home).get("smollm2-135m-instruct")))
    try:
        answer = program_answer(engine)
    finally:
        engine.close()
    check_program_path(answer)
    assert answer.tool.program == program_answer(default_engine).tool.program  # the same program as MLX's


def test_loco_generate_shows_the_program_and_no_tools_turns_it_off(default_env):
    from tests.helpers import loco

    args = ("generate", QUESTION, "--adapter-path", str(MATH), "--temp", "0", "--max-tokens", "160")
    ran = loco(*args, env=default_env)
    assert ran.returncode == 0, ran.stderr
    program, _, answer = ran.stdout.rpartition("```")
    assert "```python" in program and "print(" in program and answer.strip().splitlines()[-1].endswith(".")
    off = loco(*args, "--no-tools", env=default_env)
    assert off.returncode == 0 and "```python" in off.stdout and "output:" not in off.stdout
    assert "The answer is" not in off.stdout  # the program is the reply: nothing ran
