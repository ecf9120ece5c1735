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
import secrets
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


def _called_name(example: Example) -> str | None:
    node = _parse(example.call)
    return node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def checked_examples(code: str, examples: list[Example]) -> list[tuple[Example, str]]:
    """The examples `code` can be checked on, each with its call expression: none when it defines no
    function; a named example only when it calls a function the code defines (`len('abc') -> 3` tests
    no reply); unnamed ones only when it defines exactly one function, of one parameter (whose argument
    they are)."""
    functions = defined_functions(code)
    if not functions:
        return []
    names = {name for name, _ in functions}
    single = functions[0][0] if len(functions) == 1 and functions[0][1] == 1 else None
    return [
        (example, example.expression(single or ""))
        for example in examples
        if (_called_name(example) in names if example.named else single)
    ]


def without_main_block(code: str) -> str:
    """`code` less its top-level `if __name__ == "__main__":` blocks: the sandbox runs the file as the main
    module, and a block that reads input() or exits would end the run before any example is checked."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return code
    lines = code.splitlines(keepends=True)
    for node in reversed(tree.body):
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(test, ast.Compare) and ast.unparse(test).replace("'", '"') == '__name__ == "__main__"':
            del lines[node.lineno - 1 : node.end_lineno]
    return "".join(lines)


_SHOWN = 60  # characters of a result kept for the notice

# Appended after the sampled code in the sandbox. Each call runs with stdout swapped for a buffer, so what
# the function prints goes nowhere; then one line per example goes to the real stdout: a mark drawn for
# this run (the code cannot know it), the check's index, its status (1 right, 0 wrong, r raised) and what
# it gave (a repr, or the exception's name), as JSON.
_HARNESS = """
import io as __io, json as __json, math as __math, sys as __sys
__out = __sys.stdout
def __same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return __math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)
def __shown(value):
    try:
        return repr(value)
    except BaseException:
        return "<a value whose repr failed>"
for __i, (__call, __want) in enumerate(__json.loads(c) for c in {checks!r}):
    __sys.stdout = __io.StringIO()
    try:
        __got = eval(__call)
        try:
            __status = "1" if __same(__got, eval(__want)) else "0"
        except BaseException:
            __status = "0"
        __text = __shown(__got)
    except BaseException as __error:
        __status, __text = "r", type(__error).__name__
    finally:
        __sys.stdout = __out
    __out.write("\\n{mark} %d %s %s\\n" % (__i, __status, __json.dumps(__text[:{shown}])))
    __out.flush()
"""
_LINE = re.compile(r"^(__loco_example_[0-9a-f]{16}__) ([0-9]{1,3}) ([10r]) (\".*\")$")


def harness(checks: list[str]) -> tuple[str, str]:
    """The checks (each a JSON [call, stated result]) as code to run after the function, and the mark
    its result lines carry (new for every run)."""
    mark = f"__loco_example_{secrets.token_hex(8)}__"
    return _HARNESS.format(checks=checks, mark=mark, shown=_SHOWN), mark


@dataclass(frozen=True)
class Outcome:
    status: str  # "1" right, "0" wrong, "r" raised, "" no result (the run ended before it)
    shown: str  # the repr it returned, or the exception's name


def outcomes(stdout: str, mark: str, count: int) -> list[Outcome]:
    """What each of `count` checks gave, read from the lines carrying this run's mark."""
    found: dict[int, Outcome] = {}
    for line in stdout.splitlines():
        match = _LINE.match(line)
        if match is None or match.group(1) != mark:
            continue
        try:
            shown = json.loads(match.group(4))
        except (ValueError, RecursionError):
            continue
        found.setdefault(int(match.group(2)), Outcome(match.group(3), str(shown)))
    return [found.get(i, Outcome("", "")) for i in range(count)]


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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    """Model-made text for the notice: control characters (a newline, a terminal escape) shown escaped."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


@dataclass(frozen=True)
class ExampleOutcome:
    call: str  # what ran: `count_vowels('hello')`
    expected: str  # the result the request states
    got: str  # the repr it returned (at most 60 characters), or the exception's name; "" with no result
    status: str  # "right", "wrong", "raised" or "no result" (the run ended before it)

    @property
    def right(self) -> bool:
        return self.status == "right"

    def told(self) -> str:
        """What a wrong or raising call did: `half(10) gave 6, not 5`."""
        got = _one_line(self.got) + ("…" if len(self.got) >= _SHOWN else "")
        did = f"raised {got}" if self.status == "raised" else f"gave {got}"
        return f"{self.call} {did}, not {self.expected}"


@dataclass(frozen=True)
class ExampleCheck:
    """A reply's function run on the examples its request states."""

    outcomes: list[ExampleOutcome]
    stopped: str = ""  # why the run ended before some example ("it ran out of time", an error line)

    @property
    def right(self) -> int:
        return sum(outcome.right for outcome in self.outcomes)

    def notice(self, shown: int = 2) -> str:
        """One line for under the reply: how many examples it gets right, and the first wrong ones."""
        n = len(self.outcomes)
        line = f"checked on the {n} example{'s' if n > 1 else ''} the request states: "
        if self.right == n:
            return line + ("right" if n == 1 else "all right")
        wrong = [o for o in self.outcomes if o.status in ("wrong", "raised")]
        parts = [o.told() for o in wrong[:shown]]
        if len(wrong) > shown:
            parts.append(f"{len(wrong) - shown} more wrong")
        unrun = sum(o.status == "no result" for o in self.outcomes)
        if unrun:
            parts.append(f"no result for {unrun} ({self.stopped or 'the run ended first'})")
        return line + f"{self.right} right; " + "; ".join(parts)

    def to_dict(self) -> dict:
        return {"checked": len(self.outcomes), "right": self.right, "notice": self.notice(),
                "outcomes": [asdict(outcome) for outcome in self.outcomes]}  # fmt: skip


_STATUS = {"1": "right", "0": "wrong", "r": "raised", "": "no result"}


def check_function(reply: str, examples: list[Example], tools: ToolSettings) -> ExampleCheck:
    """The reply's function run on `examples` in the sandbox with the tool limits; no outcomes when
    it defines no function the examples can call."""
    from loco_mlx.evaluation.scorers.code_exec import extract_code  # the code a reply is scored on
    from loco_mlx.inference.tools import failure, run_program

    code = without_main_block(extract_code(reply))
    checked = checked_examples(code, examples)
    if not checked:
        return ExampleCheck([])
    after, mark = harness([json.dumps([call, example.result]) for example, call in checked])
    result = run_program(code, tools, after)
    found = outcomes(result.stdout, mark, len(checked))
    stopped = ""
    if any(not o.status for o in found):  # the run ended before some example: say why
        stopped = "the code ended the run first" if result.passed else failure(result)
    pairs = zip(checked, found)
    return ExampleCheck(
        [ExampleOutcome(call, ex.result, o.shown, _STATUS[o.status]) for (ex, call), o in pairs], stopped
    )


def run_examples(replies: list[str], examples: list[Example], tools: ToolSettings) -> list[tuple[int, int]]:
    """(examples right, examples checked) for each reply's function; (0, 0) for a reply that defines none."""
    return [(check.right, len(check.outcomes)) for check in (check_function(r, examples, tools) for r in replies)]


def check_reply(request: str, reply: str, tools: ToolSettings) -> ExampleCheck | None:
    """The reply to a request for code checked on the examples the request states, where they may run;
    None when there is nothing to check (no stated example, no function to call, tools off)."""
    examples = checkable_examples(request, tools)
    check = check_function(reply, examples, tools) if examples else None
    return check if check is not None and check.outcomes else None
