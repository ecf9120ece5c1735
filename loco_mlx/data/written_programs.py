"""Word problems written with their programs, turned into verified training examples
(`loco data import-programs`).

The generator's problems come from a few hundred shapes, and an adapter trained on them alone
reads the generator's wording, not a user's (README: the independent math sets). Problems
written by people, or by a larger model as in TinyGSM, bring the wording; each one is checked
the way the generator checks its own before it may teach anything:
- its program, run in the sandbox (it is someone else's code), prints the stated answer;
- every number the program uses is stated in the question, or is a unit constant, a word number
  or a stated percentage as a fraction: a program that brings its own numbers teaches the model
  to invent them;
- the question is no exact or near copy of an item of the benchmarks given (contamination.py).
Kept rows become chat examples whose reply is one fenced block, as `loco data synth math
--style program` writes them, so a recipe can train on the file (its `data:`).

A written row: {"question": "...", "program": "...", "answer": 12.5}.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from loco_mlx.errors import LocoError

MAX_PROGRAM_LINES = 20  # a word problem's program is short; a long one is not the style taught


@dataclass
class WrittenProblem:
    question: str
    program: str
    answer: int | float
    line: int  # 1-based line in the written file

    def reply(self) -> str:
        return f"```python\n{self.program.strip()}\n```"

    def chat(self) -> dict:
        return {"messages": [{"role": "user", "content": self.question.strip()},
                             {"role": "assistant", "content": self.reply()}]}  # fmt: skip


@dataclass
class Dropped:
    line: int
    reason: str

    def where(self, path: str) -> str:
        return f"{path}:{self.line}: {self.reason}"


def read_written(path: str | Path) -> list[WrittenProblem]:
    """The rows of a written file; a LocoError naming the first line that is not a written problem."""
    from loco_mlx.router.examples import json_lines

    rows = []
    for number, row in json_lines(Path(path).expanduser()):
        question, program, answer = row.get("question"), row.get("program"), row.get("answer")
        if not isinstance(question, str) or not question.strip():
            raise LocoError(f'{path}:{number}: "question" must be non-empty text, got {question!r}')
        if not isinstance(program, str) or not program.strip():
            raise LocoError(f'{path}:{number}: "program" must be non-empty text, got {program!r}')
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            raise LocoError(f'{path}:{number}: "answer" must be a number, got {answer!r}')
        rows.append(WrittenProblem(question, program, answer, number))
    if not rows:
        raise LocoError(f"{path}: no written problems (one JSON object per line: question, program, answer)")
    return rows


def check_problem(problem: WrittenProblem) -> str | None:
    """Why the problem cannot be trained on, or None when it can."""
    from loco_mlx.data.synth.math_programs import unstated_numbers
    from loco_mlx.evaluation.sandbox import run_python

    program = problem.program.strip()
    if "```" in program:
        return "the program holds a ``` fence; give the code alone"
    if len(program.splitlines()) > MAX_PROGRAM_LINES:
        return f"the program has {len(program.splitlines())} lines, more than {MAX_PROGRAM_LINES}"
    if program.count("print(") != 1 or not program.splitlines()[-1].startswith("print("):
        return "the program must end with its one print(...) of the answer"
    unstated = unstated_numbers(problem.question, program)
    if unstated:
        return f"the program uses {unstated[0]}, which the question does not state"
    result = run_python(program)
    if not result.passed:
        return f"the program failed in the sandbox ({result.reason}): {result.stderr.strip()[-160:]}"
    printed = result.stdout.strip()
    try:
        value = Fraction(printed)
    except ValueError:
        return f"the program printed {printed[:60]!r}, not a number"
    if value != Fraction(repr(problem.answer)):
        return f"the program printed {printed}, the stated answer is {problem.answer}"
    return None


def contaminated(problems: list[WrittenProblem], benchmarks: list[str], n: int, threshold: float) -> dict[int, str]:
    """Line -> why, for problems that copy an item of any benchmark file."""
    from loco_mlx.data.contamination import check_contamination, read_probes
    from loco_mlx.data.datasets import Example

    probes = [probe for path in benchmarks for probe in read_probes(path)]
    examples = [Example(p.chat()["messages"], None, "written", p.line, "messages") for p in problems]
    return {f.train_line: f"copies benchmark item {f.benchmark_id!r} ({f.kind}, {f.score:.0%} of its n-grams)"
            for f in check_contamination(examples, probes, n, threshold)}  # fmt: skip


def import_programs(path: str, out: str, benchmarks: list[str], n: int = 8, threshold: float = 0.5,
                    allow_unsandboxed: bool = False, workers: int = 2) -> tuple[int, list[Dropped]]:  # fmt: skip
    """Write the problems of `path` that pass every check to `out` (chat JSONL, atomically); return
    how many were written and what was dropped, in file order."""
    from loco_mlx.evaluation.sandbox import isolation
    from loco_mlx.files import check_writable, write_atomic

    problems = read_written(path)
    if isolation() == "none" and not allow_unsandboxed:
        raise LocoError(
            "checking written programs runs them, and this host has no sandbox isolation (Linux needs root with "
            "namespaces, macOS sandbox-exec); pass --allow-unsandboxed-tools to run them with rlimits only"
        )
    target = Path(out).expanduser()
    if target.is_dir():
        raise LocoError(f"--out {out} is a directory; name the .jsonl file to write")
    check_writable(target.parent)  # before minutes of sandbox runs
    copies = contaminated(problems, benchmarks, n, threshold)
    seen: set[str] = set()
    dropped, kept = [], []
    candidates = []
    for problem in problems:
        key = " ".join(problem.question.lower().split())
        if problem.line in copies:
            dropped.append(Dropped(problem.line, copies[problem.line]))
        elif key in seen:
            dropped.append(Dropped(problem.line, "the same question appears on an earlier line"))
        else:
            seen.add(key)
            candidates.append(problem)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each check waits on its sandbox process
        reasons = list(pool.map(check_problem, candidates))
    for problem, reason in zip(candidates, reasons):
        (kept.append(problem) if reason is None else dropped.append(Dropped(problem.line, reason)))
    if not kept:
        raise LocoError(f"{path}: none of {len(problems)} written problems passed the checks (first: "
                        f"{sorted(dropped, key=lambda d: d.line)[0].where(path)})")  # fmt: skip
    write_atomic(target, "".join(json.dumps(p.chat(), ensure_ascii=False) + "\n" for p in kept))
    return len(kept), sorted(dropped, key=lambda d: d.line)
