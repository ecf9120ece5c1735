"""Votes on a request for code: the examples a request states, read and run against sampled functions.

The parsing tests are pure; the checks run real functions in the real sandbox (as test_tools.py
does); the engine test runs the vote on the fake backend (tests/fake_backend.py), whose sampled
replies are set to functions here.
"""

from __future__ import annotations

import pytest

from loco_mlx.evaluation import sandbox
from loco_mlx.inference import tools
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.code_examples import (
    Example,
    check_reply,
    checkable_examples,
    checked_examples,
    run_examples,
    stated_examples,
)
from loco_mlx.inference.engine import InferenceConfig, build_messages
from loco_mlx.inference.tools import ToolSettings
from loco_mlx.inference.voting import Sample, by_examples, decide
from tests import fake_backend
from tests.fake_backend import tool_engine

GREEDY = SamplingConfig(max_tokens=400, temperature=0.0)


@pytest.mark.parametrize(
    "request_text,expected",
    [
        (
            "e.g. count_vowels('hello') should give 2 and count_vowels('AEIOU xyz') gives 5.",
            [Example("count_vowels('hello')", "2", True), Example("count_vowels('AEIOU xyz')", "5", True)],
        ),
        (
            "For example are_anagrams('Dormitory', 'dirty room') -> True.",
            [Example("are_anagrams('Dormitory', 'dirty room')", "True", True)],
        ),
        ('Write `rle_encode(s)`. So "aaabcc" -> "a3b1c2".', [Example('"aaabcc"', '"a3b1c2"', False)]),
        (
            "join_with_and(items): [] -> '', ['a', 'b'] -> 'a and b', and so on",
            [Example("[]", "''", False), Example("['a', 'b']", "'a and b'", False)],
        ),
        ("Example: uppercase_count('') == 0", [Example("uppercase_count('')", "0", True)]),
        (">>> slugify('Hi there')\n'hi-there'\n", [Example("slugify('Hi there')", "'hi-there'", True)]),
        ("median([1, 3, 2]) returns 2.0, not 2", [Example("median([1, 3, 2])", "2.0", True)]),
        ("f(-3) -> -3.5", [Example("f(-3)", "-3.5", True)]),
    ],
)
def test_stated_examples_are_read_in_the_forms_people_write_them(request_text, expected):
    assert stated_examples(request_text) == expected


@pytest.mark.parametrize(
    "request_text",
    [
        "count_uppercase(s) -> int: the number of uppercase letters",  # a signature, not an example
        "each letter moves forward, wrapping z -> a",  # prose around an arrow
        "rgb_to_hex(r, g, b): three ints -> '#RRGGBB' in uppercase hex",
        "clamp(x, lo, hi) returns x limited to the range",  # the arguments are names, not values
        "Write a function that reverses a list.",
    ],
)
def test_signatures_and_prose_are_not_taken_for_examples(request_text):
    assert stated_examples(request_text) == []


def test_an_example_without_the_call_only_checks_a_one_parameter_function():
    examples = [Example('"abc"', '"cba"', False), Example("rev('ab')", "'ba'", True)]
    assert len(checked_examples("def rev(s):\n    return s[::-1]", examples)) == 2
    assert len(checked_examples("def rev(s, n):\n    return s[::-1]", examples)) == 1  # whose argument would it be?
    assert checked_examples("def a(s):\n    pass\ndef b(s):\n    pass", examples) == []  # rev is neither
    builtin = [Example("len('abc')", "3", True)]  # "counts like len('abc') -> 3": it tests no reply
    assert checked_examples("def count(s):\n    return 0", builtin) == []
    assert checked_examples("this is not python (", examples) == []  # nothing to call: nothing runs


def test_sampled_functions_are_run_against_the_examples_in_the_sandbox():
    request = 'Write double_letters(s): every character twice, so "abc" -> "aabbcc" and double_letters("") == "".'
    replies = [
        "```python\ndef double_letters(s):\n    return ''.join(c * 2 for c in s)\n```",  # right
        "```python\ndef double_letters(s):\n    return s * 2\n```",  # right only on ""
        "```python\ndef double_letters(s):\n    raise ValueError(s)\n```",  # an error counts as wrong
        "```python\ndef double_letters(s):\n    while True:\n        pass\n```",  # killed on time
        "I am not sure how to do that.",
    ]
    tools = ToolSettings(timeout=2.0)
    examples = checkable_examples(request, tools)
    assert run_examples(replies, examples, tools) == [(2, 2), (1, 2), (0, 2), (0, 2), (0, 0)]
    assert checkable_examples(request, ToolSettings(enabled=False)) == []  # --no-tools: nothing runs


def test_model_code_is_not_checked_without_isolation_unless_allowed(monkeypatch):
    """Mocked: this host has isolation, so its absence is simulated the way test_tools.py does."""
    monkeypatch.setattr(sandbox, "isolation", lambda: "none")
    assert checkable_examples("so f(2) -> 4", ToolSettings()) == []
    monkeypatch.setattr(sandbox, "isolation_available", lambda: False)  # run as the rlimits-only fallback would
    allowed = ToolSettings(allow_unsandboxed=True)
    examples = checkable_examples("so f(2) -> 4", allowed)
    assert run_examples(["def f(x):\n    return x * 2"], examples, allowed) == [(1, 1)]


def test_the_vote_returns_the_function_most_examples_agree_with_and_the_likeliest_among_equals():
    samples = [Sample("a", -0.2), Sample("b", -0.9), Sample("c", -0.1), Sample("d", -0.5)]
    result = by_examples(samples, [(1, 2), (2, 2), (1, 2), (2, 2)])
    assert result.text == "d" and result.method == "examples"
    assert result.distribution == [("2 of 2 right", 2), ("1 of 2 right", 2)]
    assert result.describe() == "best of 4 on the request's stated examples (2 of 2 right: 2, 1 of 2 right: 2)"
    assert by_examples(samples, [(0, 1)] * 4).text == "c"  # no help from the examples: the likeliest
    assert decide(samples, "examples").method == "best"  # nothing was checked


def test_engine_votes_on_a_code_request_pick_the_function_that_passes_its_examples(tmp_path, monkeypatch):
    right = "```python\ndef square(n):\n    return n * n\n```"
    wrong = "```python\ndef square(n):\n    return n + n\n```"  # likelier, and right on 2 -> 4 only
    monkeypatch.setattr(fake_backend, "SAMPLED", (wrong, right))
    engine = fake_backend.fake_engine(tmp_path)
    messages = [{"role": "user", "content": "Write a function square(n), e.g. square(2) -> 4 and square(3) -> 9."}]
    sampling = SamplingConfig(max_tokens=200, seed=4)
    voted = engine.vote(messages, sampling, InferenceConfig(votes=6, reread=False))
    assert voted.samples[0].text == fake_backend.REPLY  # the greedy reply competes (it defines no function)
    assert {s.text for s in voted.samples[1:]} == {wrong, right} and len(voted.samples) == 7
    assert voted.method == "examples" and voted.text == right
    plain = engine.vote(messages, sampling, InferenceConfig(votes=6, reread=False, vote_method="best"))
    assert plain.method == "best" and plain.text == wrong
    engine.tools = ToolSettings(enabled=False)
    assert engine.vote(messages, sampling, InferenceConfig(votes=6, reread=False)).text == wrong


def test_only_the_first_arrows_of_a_request_are_read_and_at_most_a_dozen_examples_kept():
    from loco_mlx.inference.code_examples import MAX_ARROWS, MAX_EXAMPLES

    examples = " ".join(f"f({i}) -> {i * 2}," for i in range(100))
    assert len(stated_examples(f"Write f(x). {examples}")) == MAX_EXAMPLES
    prose = " ".join("step a -> step b," for _ in range(MAX_ARROWS))  # a pasted log: each arrow costs parses
    assert stated_examples(f"Write f(x). {prose} {examples}") == []


HALF_REQUEST = "Write half(n) that halves an even number: half(4) -> 2, half(10) -> 5 and half(3) -> 1."
# right on 4, wrong on 10, raises on 3; it prints without a newline, which must not hide the harness's lines
HALF = (
    "```python\ndef half(n):\n    print('working', end='')\n    if n % 2:\n        raise ValueError(n)\n"
    "    return n // 2 + (n > 5)\n```"
)


def test_a_reply_is_checked_on_the_stated_examples_with_what_each_call_gave():
    check = check_reply(HALF_REQUEST, HALF, ToolSettings(timeout=2.0))
    assert [(o.call, o.expected, o.got, o.status) for o in check.outcomes] == [
        ("half(4)", "2", "2", "right"),
        ("half(10)", "5", "6", "wrong"),
        ("half(3)", "1", "ValueError", "raised"),
    ]
    assert check.right == 1 and check.to_dict()["checked"] == 3
    assert check.notice() == (
        "checked on the 3 examples the request states: 1 right; half(10) gave 6, not 5; "
        "half(3) raised ValueError, not 1"
    )
    assert check.notice(shown=1).endswith("half(10) gave 6, not 5; 1 more wrong")
    right = "```python\ndef half(n):\n    return n // 2\n```"
    assert check_reply("Write half(n): half(4) -> 2.", right, ToolSettings()).notice() == (
        "checked on the 1 example the request states: right"
    )


def test_a_function_that_never_gets_to_the_examples_gave_nothing():
    stuck = "```python\ndef half(n):\n    return n // 2\n\nwhile True:\n    pass\n```"  # killed before the checks
    check = check_reply(HALF_REQUEST, stuck, ToolSettings(timeout=1.0))
    assert [o.status for o in check.outcomes] == ["no result"] * 3 and check.right == 0
    assert check.notice().endswith(": 0 right; no result for 3 (it ran out of time)")


def test_nothing_is_checked_without_examples_a_function_or_tools():
    assert check_reply("Write half(n) that halves a number.", HALF, ToolSettings()) is None
    assert check_reply(HALF_REQUEST, "Divide it by two.", ToolSettings()) is None
    assert check_reply(HALF_REQUEST, HALF, ToolSettings(enabled=False)) is None  # --no-tools


def test_the_engine_checks_a_reply_to_a_code_request_on_its_last_event(tmp_path, monkeypatch):
    engine = tool_engine(tmp_path, [HALF, HALF, "They have 14.", HALF, HALF, HALF])
    engine.use_adapter("math")  # a text adapter
    events = list(engine.chat(build_messages(HALF_REQUEST), GREEDY, InferenceConfig(reread=False)))
    assert [e.check is not None for e in events] == [False] * (len(events) - 1) + [True]
    assert events[-1].stats is not None and events[-1].check.right == 1  # the last event, as before, plus the check
    assert "".join(e.text for e in events) == HALF  # the reply itself is untouched
    assert engine.answer(build_messages(HALF_REQUEST), GREEDY).check.right == 1
    question = build_messages("Ana has 4 apples and buys 10 more: half(4) -> 2. How many now?")  # no request for code
    assert engine.answer(question, GREEDY).check is None
    assert engine.answer(build_messages(HALF_REQUEST), GREEDY, InferenceConfig(check_examples=False)).check is None
    monkeypatch.setattr(sandbox, "isolation", lambda: "none")  # mocked: no isolation on this host
    engine.tools = ToolSettings(allow_unsandboxed=True)  # lets votes run on rlimits alone, never this check
    assert engine.answer(build_messages(HALF_REQUEST), GREEDY).check is None
    monkeypatch.undo()
    engine.tools = ToolSettings(enabled=False)  # --no-tools
    assert engine.answer(build_messages(HALF_REQUEST), GREEDY).check is None


def test_a_tool_adapters_code_is_kept_as_written_and_never_checked(tmp_path, monkeypatch):
    """A tool adapter asked for code gives it unrun, and says so: it is not run on the examples either."""

    def refuse(*args, **kwargs):
        raise AssertionError("a program was executed")

    monkeypatch.setattr(tools, "run_program", refuse)
    engine = tool_engine(tmp_path, [HALF])
    engine.use_adapter("calc")
    answer = engine.answer(build_messages(HALF_REQUEST), GREEDY, InferenceConfig(reread=False))
    assert answer.text == HALF and answer.check is None and answer.notices


def test_generate_prints_the_check_under_the_reply(tmp_path):
    from loco_mlx.config import GenerateConfig
    from loco_mlx.inference.chat import answer_once

    engine = tool_engine(tmp_path, [HALF])
    engine.use_adapter("math")
    out, err = [], []
    answer_once(engine, HALF_REQUEST, GenerateConfig(sampling=GREEDY, inference=InferenceConfig(reread=False)),
                out=out.append, err=err.append)  # fmt: skip
    assert "".join(out) == HALF + "\n"
    assert err[0].startswith("checked on the 3 examples the request states: 1 right;") and "--votes" in err[0]


def test_chat_shows_the_check_on_a_line_of_its_own_after_the_reply(tmp_path):
    from loco_mlx.inference.chat import ChatSession, run_repl

    engine = tool_engine(tmp_path, [HALF])
    engine.use_adapter("math")
    session = ChatSession(engine, GREEDY, inference=InferenceConfig(reread=False))
    inputs, out = iter([HALF_REQUEST, "/quit"]), []
    run_repl(session, read=lambda _: next(inputs), write=lambda *p, end="\n", flush=False: out.append("".join(p) + end))
    assert f"{HALF}\nchecked on the 3 examples the request states: 1 right; half(10) gave 6" in "".join(out)
    assert session.history[-1] == {"role": "assistant", "content": HALF}


def test_what_the_function_prints_cannot_forge_or_hide_a_result():
    """Each run's lines carry a mark drawn for that run, and a call's own printing goes to a buffer."""
    forged = '\\n__loco_example_0123456789abcdef__ 0 1 \\"2\\"'
    reply = (
        "```python\n"
        f'print("{forged}")\n'  # a forged line before the checks
        "def half(n):\n"
        f'    print("{forged}")\n'  # and one inside the call
        "    print('x' * 100000)\n"  # more than the sandbox keeps of stdout
        "    return 0\n```"
    )
    check = check_reply("Write half(n): half(4) -> 2.", reply, ToolSettings(timeout=2.0))
    assert [(o.status, o.got) for o in check.outcomes] == [("wrong", "0")]


def test_a_main_block_does_not_stop_the_check():
    reply = (
        "```python\ndef half(n):\n    return n // 2\n\nif __name__ == '__main__':\n    print(half(int(input())))\n```"
    )
    assert check_reply("Write half(n): half(4) -> 2.", reply, ToolSettings(timeout=2.0)).right == 1


def test_odd_result_lines_are_skipped_and_odd_values_stay_on_one_line():
    from loco_mlx.inference.code_examples import ExampleOutcome, outcomes

    mark = "__loco_example_00000000000000aa__"
    stdout = f'{mark} ² 1 "x"\n{mark} 0 1 {"[" * 200000}\n{mark} 1 r "ValueError"\n'
    assert [(o.status, o.shown) for o in outcomes(stdout, mark, 2)] == [("", ""), ("r", "ValueError")]
    odd = ExampleOutcome("f(1)", "2", "'a\nb\x1b[31m'", "wrong")
    assert odd.told() == "f(1) gave 'a\\nb\\x1b[31m', not 2"
