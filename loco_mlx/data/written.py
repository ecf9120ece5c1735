"""Requests written with their programs, turned into verified training examples
(`loco data import-written`).

The generator's requests come from a few hundred shapes and wordings, and an adapter trained on
them alone reads the generator's wording, not a user's (README: the independent benchmarks).
Requests written by people, or by a larger model as in TinyGSM and OSS-Instruct, bring the
wording; each is checked the way the generator checks its own before it may teach anything.
Three kinds of row, one kind per file:
- a word problem, {"question", "program", "answer"}: the program, run in the sandbox (it is
  someone else's code), ends in its one print and prints the stated answer, and every number it
  uses is stated in the question (or is a unit constant, a word number, a stated percentage or
  one of these scaled by a unit factor): a program that brings its own numbers teaches the model
  to invent them;
- a code request, {"request", "solution", "tests"}: the solution followed by the tests (asserts)
  passes in the sandbox, and the request names every function the tests call;
- a JSON extraction, {"request", "json"}: the answer is an object whose every key the request
  spells out (the adapter must learn to copy requested keys, not invent its own), and whose
  every text value is in the request or is a date, time or number written another way.
None may be an exact or near copy of an item of the benchmarks given (contamination.py), nor
repeat an earlier request; a code request may not write a function that a benchmark's tests call
(the same task in other words). Kept rows become chat examples whose reply is one fenced block (the
JSON object itself for an extraction), as `loco data synth` writes them, so a recipe can train on
the file (its `data:`).
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import json_lines

MAX_PROGRAM_LINES = 20  # a word problem's program is short; a long one is not the style taught
MAX_SOLUTION_LINES = 40
_DATE_TIME_NUMBER = re.compile(r"[\d\s:./+-]+")  # a converted value: 2025-03-28, 14:30, 1200.50
KINDS = {
    "problem": ("question", "program", "answer"),
    "code": ("request", "solution", "tests"),
    "json": ("request", "json"),
}


@dataclass
class Written:
    kind: str  # "problem" | "code" | "json"
    prompt: str  # the question or the request
    body: str  # what the reply holds: the program, the solution, or the answer object as JSON
    check: int | float | str | dict  # the answer, the tests, or the answer object
    line: int  # 1-based line in the written file

    def chat(self) -> dict:
        reply = self.body if self.kind == "json" else f"```python\n{self.body.strip()}\n```"
        return {"messages": [{"role": "user", "content": self.prompt.strip()},
                             {"role": "assistant", "content": reply}]}  # fmt: skip


@dataclass
class Dropped:
    line: int
    reason: str

    def where(self, path: str) -> str:
        return f"{path}:{self.line}: {self.reason}"


def read_written(path: str | Path) -> list[Written]:
    """The rows of a written file, all of one kind; a LocoError naming the first line that is not one."""
    rows: list[Written] = []
    for number, row in json_lines(Path(path).expanduser()):
        kind = next((k for k, keys in KINDS.items() if all(key in row for key in keys)), None)
        if kind is None or (rows and kind != rows[0].kind):
            expected = " or ".join(f"{{{', '.join(keys)}}}" for keys in KINDS.values())
            raise LocoError(f"{path}:{number}: expected {expected} (one kind per file), got keys {sorted(row)}")
        keys = KINDS[kind]
        for key in (k for k in keys if k not in ("answer", "json")):  # the rest is text
            if not isinstance(row[key], str) or not row[key].strip():
                raise LocoError(f'{path}:{number}: "{key}" must be non-empty text, got {row[key]!r}')
        check = row[keys[-1]]
        if kind == "problem" and (isinstance(check, bool) or not isinstance(check, (int, float))):
            raise LocoError(f'{path}:{number}: "answer" must be a number, got {check!r}')
        if kind == "json" and (not isinstance(check, dict) or not check):
            raise LocoError(f'{path}:{number}: "json" must be a JSON object with keys, got {check!r}')
        body = json.dumps(check, ensure_ascii=False) if kind == "json" else row[keys[1]]
        rows.append(Written(kind, row[keys[0]], body, check, number))
    if not rows:
        raise LocoError(f"{path}: no written rows (one JSON object per line)")
    return rows


def check_problem(problem: Written) -> str | None:
    """Why a word problem cannot be trained on, or None when it can."""
    from loco_mlx.data.synth.math_programs import printed_answer_problem, unstated_numbers
    from loco_mlx.evaluation.sandbox import run_python

    program = problem.body.strip()
    if why := _shape_problem(program, "program", MAX_PROGRAM_LINES):
        return why
    if program.count("print(") != 1 or not program.splitlines()[-1].startswith("print("):
        return "the program must end with its one print(...) of the answer"
    unstated = unstated_numbers(problem.prompt, program)
    if unstated:
        return f"the program uses {unstated[0]}, which the question does not state"
    result = run_python(program)
    if not result.passed:
        return f"the program failed in the sandbox ({result.reason}): {result.stderr.strip()[-160:]}"
    return printed_answer_problem(result.stdout, problem.check)


def check_code(item: Written) -> str | None:
    """Why a code request cannot be trained on, or None when it can."""
    from loco_mlx.evaluation.sandbox import run_python

    solution = item.body.strip()
    if why := _shape_problem(solution, "solution", MAX_SOLUTION_LINES):
        return why
    try:
        called = _called_names(item.check)
    except SyntaxError as exc:
        return f"the tests are not Python: {exc.msg} (line {exc.lineno})"
    defined = _defined_names(solution)
    if defined is None:
        return "the solution is not Python"
    tested = sorted(called & defined)
    if not tested:
        return "the tests call no function that the solution defines"
    unnamed = [name for name in tested if name not in item.prompt]
    if unnamed:
        return f"the request does not name {unnamed[0]}, which the tests call"
    result = run_python(solution, item.check)
    if not result.passed:
        return f"the solution fails its tests in the sandbox ({result.reason}): {result.stderr.strip()[-160:]}"
    return None


def check_json(item: Written) -> str | None:
    """Why a JSON extraction cannot be trained on, or None when it can."""
    request = item.prompt.lower()
    for key, value in item.check.items():
        if not re.search(rf"(?<!\w){re.escape(key)}(?!\w)", item.prompt):  # "name" is not asked by "full_name"
            return f"the request does not spell out the key {key!r}"
        texts = (
            [value]
            if isinstance(value, str)
            else [v for v in value if isinstance(v, str)]
            if isinstance(value, list)
            else []
        )
        for text in texts:
            if text.lower() not in request and not _DATE_TIME_NUMBER.fullmatch(text):
                return f"the value {text!r} of {key!r} is not in the request"
    return None


def _shape_problem(code: str, what: str, max_lines: int) -> str | None:
    """Why `code` cannot be the body of a fenced reply: a fence of its own, or too long for the style taught."""
    if "```" in code:
        return f"the {what} holds a ``` fence; give the code alone"
    if len(code.splitlines()) > max_lines:
        return f"the {what} has {len(code.splitlines())} lines, more than {max_lines}"
    return None


def _called_names(code: str) -> set[str]:
    return {n.func.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _defined_names(code: str) -> set[str] | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def contaminated(rows: list[Written], benchmarks: list[str], n: int, threshold: float) -> dict[int, str]:
    """Line -> why, for rows that copy an item of any benchmark file."""
    from loco_mlx.data.contamination import check_contamination, read_probes
    from loco_mlx.data.datasets import Example

    probes = [probe for path in benchmarks for probe in read_probes(path)]
    examples = [Example(r.chat()["messages"], None, "written", r.line, "messages") for r in rows]
    found = {f.train_line: f"copies benchmark item {f.benchmark_id!r} ({f.kind}, {f.score:.0%} of its n-grams)"
             for f in check_contamination(examples, probes, n, threshold)}  # fmt: skip
    if rows[0].kind == "code":  # the same function asked in other words is the same task
        tested = _benchmark_functions(benchmarks)
        for row in rows:
            same = sorted((_defined_names(row.body) or set()) & set(tested))
            if same and row.line not in found:
                found[row.line] = f"writes {same[0]}, the function benchmark item {tested[same[0]]!r} tests"
    return found


def _benchmark_functions(benchmarks: list[str]) -> dict[str, str]:
    """Function name -> the id of a code_exec benchmark item whose tests call it."""
    names: dict[str, str] = {}
    for path in benchmarks:
        for _, item in json_lines(Path(path).expanduser()):
            if item.get("scorer") == "code_exec" and isinstance(item.get("expected"), str):
                try:
                    called = _called_names(item["expected"])
                except SyntaxError:
                    continue
                for name in called - set(dir(builtins)):
                    names.setdefault(name, str(item.get("id", "?")))
    return names


def import_written(path: str, out: str, benchmarks: list[str], n: int = 8, threshold: float = 0.5,
                    allow_unsandboxed: bool = False, workers: int = 2) -> tuple[int, list[Dropped]]:  # fmt: skip
    """Write the rows of `path` that pass every check to `out` (chat JSONL, atomically); return how
    many were written and what was dropped, in file order."""
    from loco_mlx.evaluation.sandbox import isolation
    from loco_mlx.files import check_writable, write_atomic

    rows = read_written(path)
    if rows[0].kind != "json" and isolation() == "none" and not allow_unsandboxed:
        raise LocoError(
            "checking written programs runs them, and this host has no sandbox isolation (Linux needs root with "
            "namespaces, macOS sandbox-exec); pass --allow-unsandboxed-tools to run them with rlimits only"
        )
    target = Path(out).expanduser()
    if target.is_dir():
        raise LocoError(f"--out {out} is a directory; name the .jsonl file to write")
    check_writable(target.parent)  # before minutes of sandbox runs
    copies = contaminated(rows, benchmarks, n, threshold)
    seen: set[str] = set()
    dropped, candidates = [], []
    for row in rows:
        key = " ".join(row.prompt.lower().split())
        if row.line in copies:
            dropped.append(Dropped(row.line, copies[row.line]))
        elif key in seen:
            dropped.append(Dropped(row.line, "the same request appears on an earlier line"))
        else:
            seen.add(key)
            candidates.append(row)
    check = {"problem": check_problem, "code": check_code, "json": check_json}[rows[0].kind]
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each check waits on its sandbox process
        reasons = list(pool.map(check, candidates))
    kept = [row for row, reason in zip(candidates, reasons) if reason is None]
    dropped += [Dropped(row.line, reason) for row, reason in zip(candidates, reasons) if reason is not None]
    dropped.sort(key=lambda d: d.line)
    if not kept:
        raise LocoError(f"{path}: none of {len(rows)} written rows passed the checks (first: {dropped[0].where(path)})")
    write_atomic(target, "".join(json.dumps(r.chat(), ensure_ascii=False) + "\n" for r in kept))
    return len(kept), dropped
