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
from dataclasses import asdict, dataclass
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


def checked_examples(code: str, examples: list[Example]) -> list[tuple[Example, str]]:
    """The examples `code` can be checked on, each with its call expression: none when it defines no
    function; named examples as written; unnamed ones only when it defines exactly one function, of
    one parameter (whose argument they are)."""
    functions = defined_functions(code)
    if not functions:
        return []
    single = functions[0][0] if len(functions) == 1 and functions[0][1] == 1 else None
    return [(example, example.expression(single or "")) for example in examples if example.named or single]


MARK = "__loco_example__"
_SHOWN = 60  # characters of a wrong result kept for the notice

# Appended after the sampled code in the sandbox: one line per example, 1 when the call gives the
# stated result (floats within 1e-9), else 0, then what it gave (its repr, or the exception's name). Each
# line starts a line of its own and carries its check's index, so what the function prints cannot shift them.
_HARNESS = """
import json as __json, math as __math
def __same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return __math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        except TypeError:
            return False
    return a == b
for __i, (__call, __want) in enumerate(__json.loads(c) for c in {checks!r}):
    try:
        __got = eval(__call)
        __ok, __shown = __same(__got, eval(__want)), repr(__got)
    except BaseException as __error:
        __ok, __shown = False, "raised " + type(__error).__name__
    print("\\n" + {mark!r}, __i, int(bool(__ok)), __json.dumps(__shown[:{shown}]))
"""


def harness(checks: list[str]) -> str:
    """The checks (each a JSON [call, stated result]) as code to run after the function."""
    return _HARNESS.format(checks=checks, mark=MARK, shown=_SHOWN)


def outcomes(stdout: str, count: int) -> list[tuple[bool, str]]:
    """(right, what the call gave) for each of `count` checks; a check with no line of its own (the
    run was killed first) is wrong, and gave nothing."""
    found: dict[int, tuple[bool, str]] = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[0] == MARK and parts[1].isdigit():
            try:
                shown = json.loads(parts[3])
            except json.JSONDecodeError:
                continue
            found.setdefault(int(parts[1]), (parts[2] == "1", str(shown)))
    return [found.get(i, (False, "")) for i in range(count)]


def count_passed(stdout: str, count: int) -> int:
    return sum(right for right, _ in outcomes(stdout, count))


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


@dataclass(frozen=True)
class ExampleOutcome:
    call: str  # what ran: `count_vowels('hello')`
    expected: str  # the result the request states
    got: str  # what it gave (a repr, "raised ValueError"; "" when the run ended before it)
    right: bool

    def told(self) -> str:
        if not self.got:
            return f"{self.call}: no result (the code stopped before it)"
        did = self.got if self.got.startswith("raised ") else f"gave {self.got}"  # a repr never starts so
        return f"{self.call} {did}, not {self.expected}"


@dataclass(frozen=True)
class ExampleCheck:
    """A reply's function run on the examples its request states."""

    outcomes: list[ExampleOutcome]

    @property
    def right(self) -> int:
        return sum(outcome.right for outcome in self.outcomes)

    def notice(self, shown: int = 2) -> str:
        """One line for under the reply: how many examples it gets right, and the first wrong ones."""
        n = len(self.outcomes)
        line = f"checked on the {n} example{'s' if n > 1 else ''} the request states: "
        if self.right == n:
            return line + ("right" if n == 1 else "all right")
        wrong = [o for o in self.outcomes if not o.right]
        told = "; ".join(o.told() for o in wrong[:shown])
        more = f"; {len(wrong) - shown} more wrong" if len(wrong) > shown else ""
        return line + f"{self.right} right; {told}{more}"

    def to_dict(self) -> dict:
        return {"checked": len(self.outcomes), "right": self.right, "notice": self.notice(),
                "outcomes": [asdict(outcome) for outcome in self.outcomes]}  # fmt: skip


def check_function(reply: str, examples: list[Example], tools: ToolSettings) -> ExampleCheck:
    """The reply's function run on `examples` in the sandbox with the tool limits; no outcomes when
    it defines no function the examples can call."""
    from loco_mlx.evaluation.scorers.code_exec import extract_code  # the code a reply is scored on
    from loco_mlx.inference.tools import run_program

    code = extract_code(reply)
    checked = checked_examples(code, examples)
    if not checked:
        return ExampleCheck([])
    checks = [json.dumps([call, example.result]) for example, call in checked]
    result = run_program(code, tools, harness(checks))
    return ExampleCheck([
        ExampleOutcome(call, example.result, got, right)
        for (example, call), (right, got) in zip(checked, outcomes(result.stdout, len(checked)))
    ])  # fmt: skip


def run_examples(replies: list[str], examples: list[Example], tools: ToolSettings) -> list[tuple[int, int]]:
    """(examples right, examples checked) for each reply's function; (0, 0) for a reply that defines none."""
    return [(check.right, len(check.outcomes)) for check in (check_function(r, examples, tools) for r in replies)]


def check_reply(request: str, reply: str, tools: ToolSettings) -> ExampleCheck | None:
    """The reply to a request for code checked on the examples the request states, where they may run;
    None when there is nothing to check (no stated example, no function to call, tools off)."""
    examples = checkable_examples(request, tools)
    check = check_function(reply, examples, tools) if examples else None
    return check if check is not None and check.outcomes else None
