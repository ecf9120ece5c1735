"""Whether a request asks for code: a tool adapter then returns its program as written, unrun.

A tool adapter (inference/tools.py) answers with a program and the engine answers with what it
prints. That is right for "Ana has 3 bags of 20 apples..." and wrong for "Write clamp(x, lo, hi)":
the user wants the function, not what its example call prints. The request decides, not the
reply, so a word problem whose program happens to define a helper still runs.

Each pattern below is one way people ask for code. Words that also live in word problems
("program", "code", "method", "class", "routine", "helper") count only with a verb that means
writing code, or with what the code should do; f(x)-style definitions ("g(x) = 3x + 1. Find
g(4).") are algebra, not code. tests/test_tools.py lists what must and must not match.
`Engine.tool_for` and `Engine.program_kept` apply it for every entry point (chat, eval, votes, serve).
"""

from __future__ import annotations

import re

from loco_mlx.inference.backend import Message, last_user_message

CODE_REQUEST_NOTICE = "(the request asks for code: the program is the reply, not run)"

# read at most this much of a request: the ask is near its start or its end, and a regex over a
# megabyte-long message must not stall the model thread
_HEAD, _TAIL = 4000, 1000

_DET = r"(?:(?:a|an|the|some|one|few|small|little|short|quick|simple|neat|reusable|python3?|recursive|pure|tiny)\s+)"
_ONE_WORD = r"(?:[\w'-]+(?:\(\))?\s+)?"  # "a Fibonacci function", "a clamp() function"
_ANY_ASK = r"(?:write|implement|impl|define|create|give\s+me|show\s+me|need|want|make|build|code\s+up|put\s+together)"
_WRITE_ASK = r"(?:write|implement|impl|code\s+up|put\s+together)"
_ONLY_CODE = r"(?:functions?|scripts?|snippets?|one-liners?|piece\s+of\s+code|lines\s+of\s+(?:python|code))"
_ALSO_PROSE = r"(?:programs?|code|routines?|methods?|helpers?|decorators?|lambdas?|algorithms?|regex(?:es)?)"
_DOES = (r"(?:take|return|give|accept|check|count|convert|turn|compute|find|remove|sort|merge|split|reverse|"
         r"flatten|parse|validate|format|filter|group|build|generate)s?")  # fmt: skip
_NAME = r"[A-Za-z_]\w+"  # two characters or more: f(x), g(4) are algebra

_PATTERNS = [
    # "write me a small function"; "write a program", "implement a decorator"; "need a helper that takes"
    rf"\b{_ANY_ASK}\s+(?:me\s+)?{_DET}{{0,3}}{_ONE_WORD}{_ONLY_CODE}\b",
    rf"\b{_WRITE_ASK}\s+(?:me\s+)?{_DET}{{0,3}}{_ONE_WORD}{_ALSO_PROSE}\b",
    rf"\b{_ANY_ASK}\s+(?:me\s+)?{_DET}{{0,3}}{_ALSO_PROSE}\s+(?:that|which)\s+{_DOES}\b",
    # "implement a Stack class with ...", never "create a class of 25" or "write a class schedule"
    r"\b(?:write|implement|define|create)\s+(?:(?:a|an|the)\s+)?(?:\w+\s+)?class\b"
    r"(?=\s*(?:$|[.,:;!?(])|\s+(?:that|which|with|for|to|called|named)\b)",
    r"\b(?:implement|code(?:\s+up)?)\s+(?:(?:a|an|the)\s+)?(?:\w+\s+){0,2}"
    r"\w*(?:search|sort|algorithm|decorator|parser|cache|queue|stack|linked\s+list|tree|trie|heap)\b",
    rf"\b(?:write|code|implement|impl|define|put\s+together|help\s+with)\s+`?{_NAME}\(",  # "write pair_up(a, b)"
    rf"\b(?:functions?|methods?|routines?|helpers?|snippets?)\s+(?:for\s+|called\s+|named\s+)?`?{_NAME}\(",
    r"\b[a-z][a-z0-9]*_[a-z0-9_]*\(",  # a snake_case call: second_largest(nums)
    rf"`{_NAME}\(",  # a backticked call: `divisors(n)`
    r"\bpython3?\s+(?:functions?|class(?:es)?|code|scripts?|programs?|snippets?|one-liners?)\b",
    rf"\b{_WRITE_ASK}\b[^.?!\n]{{0,40}}?\bin\s+python\b",  # "implement the following in Python"
    r"\bdef\s+[A-Za-z_]\w*\s*\(",  # a signature the user wants completed: "def clamp(x, lo, hi):"
    # a spec line: "Function: clamp", "- Def :: missing_number", never "Function: f(x) = 3x"
    r"^[^\w\n]*(?:function|def|method)(?:\s+name)?\s*(?::|=|-)(?!\s*[A-Za-z]\()",
]
_ASKS = re.compile("|".join(_PATTERNS), re.IGNORECASE | re.MULTILINE)
_ALGEBRA = re.compile(r"\b[A-Za-z_]\w*\([^()\n]*\)\s*=(?!=)")  # "total_cost(n) = 4n + 2" defines, it does not ask
_WRITTEN_CODE = re.compile(r"```|\bdef\s+[A-Za-z_]\w*\s*\(")


def asks_for_code(request: str) -> bool:
    """Whether `request` asks for code to be written (see the module docstring)."""
    text = request if len(request) <= _HEAD + _TAIL else request[:_HEAD] + "\n" + request[-_TAIL:]
    if _ALGEBRA.search(text) and not _WRITTEN_CODE.search(text):
        return False
    return bool(_ASKS.search(text))


def wants_code(messages: list[Message]) -> bool:
    """Whether the last user message asks for code, which a tool adapter then gives unrun."""
    return asks_for_code(last_user_message(messages))
