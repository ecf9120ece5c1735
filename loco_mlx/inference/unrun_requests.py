"""Whether a request asks for code or JSON: a tool adapter then returns its reply as written, unrun.

A tool adapter (inference/tools.py) answers with a program and the engine answers with what it
prints. That is right for "Ana has 3 bags of 20 apples..." and wrong for "Write clamp(x, lo, hi)":
the user wants the function, not what its example call prints. The request decides, not the
reply, so a word problem whose program happens to define a helper still runs.

Each pattern below is one way people ask for code. Words that also live in word problems
("program", "code", "method", "class", "routine", "helper") count only with a verb that means
writing code, or with what the code should do; f(x)-style definitions ("g(x) = 3x + 1. Find
g(4).") are algebra, not code. tests/test_tools.py lists what must and must not match.
`Engine.tool_for` and `Engine.kept_notice` apply it for every entry point (chat, eval, votes, serve).

A short follow-up that asks for nothing itself and points back ("make it recursive", "add the
email too") continues the request before it, so a conversation about a function stays one; a
new short word problem ("What is 15% of 80?") does not.

A request for JSON ("Extract the name and city as JSON", "Fields: order_id, total") is kept too: a
math tool adapter sent one (the gate does, out of its domain) used to run its program and answer
"The answer is 147.". Its patterns were written on the generated and written JSON training data and
the JSON generator's benchmark: they match 119 of its 120 requests, 94% of the generated and 78% of
the written training requests, and no request in the math data or the base's general prompts.
"""

from __future__ import annotations

import re

from loco_mlx.inference.backend import Message, user_messages

CODE_REQUEST_NOTICE = "(the request asks for code: the program is the reply, not run)"
JSON_REQUEST_NOTICE = "(the request asks for JSON: the reply is given as written, not run)"

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


# a key-like word, case-sensitive under the flag and whole: city_name, cityName; never "city", "iPad" or "eBay".
# PascalCase (FullName) is a key only in a list of keys: alone it is as often a brand (PlayStation, McDonald's)
_SNAKE_OR_CAMEL = r"(?-i:[a-z]+_[a-z0-9_]+|[a-z]{2,}[A-Z][A-Za-z0-9]*)"
_KEY = rf"`?[\"']?(?<![\w'])(?:{_SNAKE_OR_CAMEL}|(?-i:[A-Z][a-z]+[A-Z][A-Za-z0-9]*))(?![\w'])[\"']?`?"
_CALLED = rf"`?[\"']?(?<![\w'])(?:{_SNAKE_OR_CAMEL})(?![\w'])[\"']?`?"
_IN_JSON = (r"(?:as|in|into|to|return|returns|output|outputs|give|produce|emit|respond|reply|answer|format|formatted|"
            r"print|valid|only|strict|plain|pure)")  # fmt: skip
_JSON_PATTERNS = [
    # "as JSON", "return valid JSON", "JSON object with", "JSON, please", "make a JSON", "JSON: ..."
    rf"\b{_IN_JSON}\s+(?:(?:a|an|the|valid|proper|pure|compact|strict|single|one|minified|plain)\s+)?json\b",
    r"\bjson\s+(?:objects?|arrays?|list|format|output|reply|response|only|with|w/|containing|that|where|whose|of"
    r"|keyed|using|having|record|template|shape|from|for)\b",
    r"\bjson\b\s*(?:[,:.!]|please|pls|$)",
    r"\b(?:make|build|create|want|need|produce|generate)\s+(?:me\s+)?(?:a|an|the)\s+"
    r"(?:json|(?:python\s+)?dict(?:ionary)?\s+(?:of|with|from|for|containing|that))\b",
    r"\bjson\b[^.?!\n]{0,40}\bkeys?\b|\bkeys?\b[^.?!\n]{0,60}\bjson\b",
    # a template to fill, {"name": ...} or {name, age, city} (never set notation: {H, T}, {x, y, z})
    r"\{\s*[\"'`]?[A-Za-z_][\w -]*[\"'`]?\s*:\s*(?:\.\.\.|\"|'|\?|null|string|number|<)",
    r"\{\s*[A-Za-z_]\w+\s*(?:,\s*[A-Za-z_]\w+\s*)+\}",
    # the keys named: "Keys: ...", "fields to extract", "with exactly these keys", "extract order_id, ..."
    r"(?:^|[.!?]\s)[ \t]*(?:(?:required|dictionary|json|output)\s+)?(?:keys|fields|schema)[ \t]*:",
    r"\b(?:required|these|the\s+following|exactly\s+these|with|using|only)\s+(?:keys|fields|properties)\b",
    r"\b(?:fields?|keys?)\s+(?:i\s+need|to\s+(?:extract|fill|return|use|include)|needed|wanted|required|in\s+order)\b",
    r"\b(?:extract|pull\s+out|grab)\b[^.?!\n]{0,80}\b(?:fields?|keys?|record|placeholders?)\b",
    r"\bfill\s+(?:in\s+)?(?:the|this|these)\s+(?:placeholders?|template|fields|keys|blanks)\b",
    rf"(?:\b(?:extract|grab|pull\s+out|need|want|get|give(?:\s+me)?|return|capture|map)\b|→)\s*:?[^.?!\n]{{0,40}}?{_CALLED}",
    # a list of keys, "→ order_id, total, ...", or one per line
    rf"(?:^|[:→>-])[ \t]*{_KEY}[ \t]*(?:\([^)\n]*\)[ \t]*)?,[ \t]*[\w`\"' ]+,",
    rf"^[ \t]*(?:[-*•]|\d+[.)])[ \t]*{_KEY}[ \t]*(?:\(.*\))?[ \t]*$(?:\n[ \t]*(?:[-*•]|\d+[.)])[ \t]*.+$)+",
    r"\bextract\b[^.?!\n]{0,30}:[ \t]*$",
    # the shape named: "as a dictionary", "return an object", "one object, please", "key-value pairs"
    r"\b(?:to|into|as|output|answer\s+with|return)\s+(?:a|an|one)\s+(?:python\s+)?"
    r"(?:dict(?:ionary)?|key/value\s+object|record|object)\b",
    r"\bone\s+object\s*(?:[,.!]|please|only|$)|\bstructured\s+output\b|\bkey-value\s+pairs\b",
]
_ASKS_JSON = re.compile("|".join(_JSON_PATTERNS), re.IGNORECASE | re.MULTILINE)


def _bounded(request: str) -> str:
    return request if len(request) <= _HEAD + _TAIL else request[:_HEAD] + "\n" + request[-_TAIL:]


def asks_for_code(request: str) -> bool:
    """Whether `request` asks for code to be written (see the module docstring)."""
    text = _bounded(request)
    if _ALGEBRA.search(text) and not _WRITTEN_CODE.search(text):
        return False
    return bool(_ASKS.search(text))


def asks_for_json(request: str) -> bool:
    """Whether `request` asks for fields as a JSON object (see the module docstring)."""
    return bool(_ASKS_JSON.search(_bounded(request)))


# a message this short that asks for nothing itself and points back ("make it recursive", "add
# the email too", "now without min and max") continues the request before it; a longer one, or a
# new question with numbers of its own ("What is 15% of 80?"), is a request of its own
_FOLLOW_UP = 200
_POINTS_BACK = re.compile(
    r"\b(?:it|its|that|this|these|those|them|also|too|instead|now|again|same|rather|more|less|"
    r"the\s+(?:function|code|program|script|snippet|json|object|output|result|reply|keys?|fields?))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _kept_request(request: str) -> str | None:
    if asks_for_code(request):
        return CODE_REQUEST_NOTICE
    if asks_for_json(request):
        return JSON_REQUEST_NOTICE
    return None


def _follows_up(message: str) -> bool:
    text = message.strip()
    return 0 < len(text) < _FOLLOW_UP and bool(_POINTS_BACK.search(text)) and len(_NUMBER.findall(text)) < 2


def kept_notice(messages: list[Message]) -> str | None:
    """Why a tool adapter's reply to `messages` is given as written, unrun (None: its program runs).

    The last user message decides; a short follow-up that asks for nothing itself and points back
    ("make it recursive") continues the user message before it, through up to three follow-ups."""
    for request in reversed(user_messages(messages)[-4:]):
        notice = _kept_request(request)
        if notice is not None or not _follows_up(request):
            return notice
    return None


def wants_code(messages: list[Message]) -> bool:
    """Whether the conversation asks for code (its last request, or the one a follow-up continues)."""
    return kept_notice(messages) == CODE_REQUEST_NOTICE
