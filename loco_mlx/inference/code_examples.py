"""The example calls a code request states, and how many of them a sampled function gets right.

People asking for a function often show what it should do: `count_vowels('hello') should give 2`,
`mirror_string(s) -> s followed by s reversed ("abc" -> "abccba")`, a docstring's
`>>> slugify('Hi there')` / `'hi-there'`. A 135M coder writes a plausible body that is wrong as often
as right, so when votes sample several functions for such a request, the engine runs each one (and
the greedy reply's) against the stated examples in the sandbox and returns the one that gets most
of them right (the likeliest on a tie): CodeT's and AlphaCode's filtering by the tests the user wrote, here by the
examples in the request's own words. A request that states none is voted on as before.

An example is kept only when both sides are Python literals (a call's arguments too), so a
signature such as `count_uppercase(s) -> int` or prose such as `wrapping z -> a` is never taken
for one. `"abc" -> "aabbcc"`, with no call, is an example for a function of one parameter.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loco_mlx.inference.tools import ToolSettings

# what joins an input to its result: "->", "==", "=>", "→", "should give", "gives", "returns", ...
_ARROW = re.compile(r"\s*(?:->|→|=>|==|\b(?:should|must|will)\s+(?:give|return|be)\b|\b(?:gives|returns|yields)\b)\s*")
_DOCTEST = re.compile(r">>>[ \t]*(.+)\n[ \t]*([^\n>][^\n]*)")
_MAX_SIDE = 160  # characters looked at on each side of an arrow
_STARTS = set(" \t\n(:;,`'\"[{-")  # where an example's left side may begin (after one of these)
_RESULT_ENDS = set(" \t\n,.;:)`]}'\"")  # where a literal result may end (before one of these)
MAX_EXAMPLES = 12
MAX_ARROWS = 64  # arrows looked at: each costs up to _MAX_SIDE parses, and a pasted log may hold thousands


@dataclass(frozen=True)
class Example:
    """One stated example: `call` is a Python call expression (`f(1, 2)`) or, with no function name,
    the argument list alone (`"abc"`); `result` is the literal the request says it gives."""

    call: str
    result: str
    named: bool  # the call names its function; else it is the single argument of the requested one

    def expression(self, function: str) -> str:
        return self.call if self.named else f"{function}({self.call})"


def _literal(source: str) -> bool:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _parse(source: str) -> ast.expr | None:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return tree.body


def _left_side(before: str) -> tuple[str, bool] | None:
    """The longest expression ending `before` that is a call of a name with literal arguments, or a
    literal (not a bare tuple: `'', ['a'] -> 'a'` gives `['a']`, not the pair)."""
    text = before[-_MAX_SIDE:]
    for start in range(len(text)):
        if start and text[start - 1] not in _STARTS:
            continue
        piece = text[start:].strip()
        if not piece or piece[0] in ",;:)":
            continue
        node = _parse(piece)
        if node is None:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if not node.keywords and all(_literal(ast.unparse(arg)) for arg in node.args):
                return piece, True
            continue
        if isinstance(node, ast.Tuple) and not piece.startswith("("):
            continue
        if isinstance(node, ast.Name) or not _literal(piece):
            continue
        return piece, False
    return None


def _right_side(after: str) -> str | None:
    """The longest literal that begins `after` and ends where a sentence or list may go on."""
    text = after[:_MAX_SIDE]
    for end in range(len(text), 0, -1):
        if end < len(text) and text[end] not in _RESULT_ENDS:
            continue
        piece = text[:end].strip()
        node = _parse(piece) if piece else None
        if node is None or isinstance(node, ast.Name) or not _literal(piece):
            continue
        if isinstance(node, ast.Tuple) and not piece.startswith("("):
            continue
        if piece.endswith(".") and _literal(piece[:-1]):  # "gives 4." ends a sentence
            piece = piece[:-1]
        return piece
    return None


def stated_examples(request: str) -> list[Example]:
    """Every example call the request states, in order, without repeats (at most MAX_EXAMPLES)."""
    found: list[Example] = []
    for match in _DOCTEST.finditer(request):
        left, right = _left_side(" " + match.group(1).strip()), _right_side(match.group(2).strip())
        if left and right:
            found.append(Example(left[0], right, left[1]))
    for match in itertools.islice(_ARROW.finditer(request), MAX_ARROWS):
        left, right = _left_side(request[: match.start()]), _right_side(request[match.end() :])
        if left and right:
            found.append(Example(left[0], right, left[1]))
    unique = list(dict.fromkeys(found))
    return unique[:MAX_EXAMPLES]


def defined_functions(code: str) -> list[tuple[str, int]]:
    """(name, number of positional parameters) of each top-level function `code` defines."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    return [
        (node.name, len(node.args.posonlyargs) + len(node.args.args))
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def checks_for(code: str, examples: list[Example]) -> list[str]:
    """The expressions to check `code` against: none when it defines no function; named examples as
    written; unnamed ones only when it defines exactly one function, of one parameter (whose argument
    they are)."""
    functions = defined_functions(code)
    if not functions:
        return []
    single = functions[0][0] if len(functions) == 1 and functions[0][1] == 1 else None
    checks = []
    for example in examples:
        if example.named or single:
            checks.append(json.dumps([example.expression(single or ""), example.result]))
    return checks


MARK = "__loco_example__"

# Appended after the sampled code in the sandbox: one line per example, 1 when the call gives the
# stated result (floats within 1e-9), else 0; an exception counts as wrong.
_HARNESS = """
import json as __json, math as __math
def __same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return __math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        except TypeError:
            return False
    return a == b
for __call, __want in [__json.loads(c) for c in {checks!r}]:
    try:
        __ok = __same(eval(__call), eval(__want))
    except BaseException:
        __ok = False
    print({mark!r}, int(bool(__ok)))
"""


def harness(checks: list[str]) -> str:
    return _HARNESS.format(checks=checks, mark=MARK)


def count_passed(stdout: str) -> int:
    return sum(line.split()[-1] == "1" for line in stdout.splitlines() if line.startswith(MARK + " "))


def checkable_examples(request: str, tools: ToolSettings) -> list[Example]:
    """The request's stated examples, when they may be run: none when tools are off (--no-tools) or
    this host has no isolation and --allow-unsandboxed-tools was not given (model code never runs
    unisolated unasked)."""
    from loco_mlx.errors import LocoError
    from loco_mlx.inference.tools import require_isolation

    if not tools.enabled:
        return []
    try:
        require_isolation(tools)  # the rule every program from a model runs under
    except LocoError:
        return []
    return stated_examples(request)


def run_examples(replies: list[str], examples: list[Example], tools: ToolSettings) -> list[tuple[int, int]]:
    """(examples right, examples checked) for each reply's function, run in the sandbox with the tool
    limits; (0, 0) for a reply that defines no function."""
    from loco_mlx.evaluation.scorers.code_exec import extract_code  # the code a reply is scored on
    from loco_mlx.inference.tools import run_program

    checked = []
    for reply in replies:
        code = extract_code(reply)
        checks = checks_for(code, examples)
        result = run_program(code, tools, harness(checks)) if checks else None
        checked.append((count_passed(result.stdout) if result else 0, len(checks)))
    return checked
