"""Program-style math data end to end: the generated replies, run through the tool path in the real
sandbox, give answers the numeric scorer accepts. (The shapes, verify and the held-out split are
tested in test_math_programs.py.)"""

from __future__ import annotations

from loco_mlx.data import synth
from loco_mlx.evaluation.scorers import score
from loco_mlx.inference.tools import ToolSettings, answer_from_output, extract_program, run_program


def test_the_program_style_declares_the_python_tool():
    domain = synth.get_domain("math", "program")
    assert (domain.style, domain.tool, domain.scorer) == ("program", "python", "numeric")


def test_generated_programs_answer_through_the_real_sandbox():
    data = synth.generate("math", train=20, valid=2, benchmark=8, seed=5, style="program")
    for sample in data.benchmark:
        result = run_program(extract_program(sample.reply), ToolSettings())
        assert result.passed, result.stderr
        assert score("numeric", answer_from_output(result.stdout), sample.expected, {"relative": 0.0}).passed
