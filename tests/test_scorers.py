"""Evaluation scorers, table-driven: (scorer, output, expected, options) -> value and passed.

The first block holds LocoLLM's known extractor pitfalls; each must keep passing.
"""

from __future__ import annotations

import re

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers import SCORERS, Score, score

PITFALLS = [
    # (name, output, expected, options, value, extracted)
    ("numeric", "The answer is 42,", 42, None, 1.0, "42"),
    ("numeric", "<think>the answer is 3</think> The answer is 5", 5, None, 1.0, "5"),
    ("numeric", "<think>the answer is 3</think> The answer is 5", 3, None, 0.0, "5"),
    ("numeric", "About 50% of them", 0.5, None, 1.0, "50%"),
    ("numeric", "About 50% of them", 50, None, 1.0, "50%"),
    ("numeric", "That comes to 1,000", 1000, None, 1.0, "1,000"),
    ("numeric", "That comes to 1000", "1,000", None, 1.0, "1000"),
]

NUMERIC = [
    ("The temperature dropped to -7 degrees", -7, None, 1.0),
    ("The temperature dropped to -7 degrees", 7, None, 0.0),
    ("Each gets 3/4 of a pizza", "3/4", None, 1.0),
    ("Each gets 3/4 of a pizza", 0.75, None, 1.0),
    ("So we have \\boxed{12} and then 99 more words", 12, None, 1.0),
    ("Adding them up\ntotal = 12\nThat is all.", 12, None, 1.0),
    ("It costs $12.50.", 12.5, None, 1.0),
    ("It costs $12.50.", "12.5", None, 1.0),
    ("The answer is 3.14", 3.14159, {"tolerance": 0.01}, 1.0),
    ("The answer is 3.14", 3.14159, None, 0.0),
    ("The answer is 101", 100, {"relative": 0.02}, 1.0),
    ("The answer is 0.30000000000000004", 0.3, None, 1.0),
    ("About 50% of them", 0.5, {"percent": "value"}, 0.0),
    ("About 50% of them", 50, {"percent": "fraction"}, 0.0),
    ("About 50% of them", 0.5, {"percent": "fraction"}, 1.0),
    ("Half: 0.5", "50%", None, 1.0),
    ("I cannot tell.", 4, None, 0.0),
    ("<think>it is 9</think>", 9, None, 0.0),
    ("The answer is 1,234,567.", 1234567, None, 1.0),
]

EXACT_MATCH = [
    ("Paris", "paris", None, 1.0),
    ("  Paris.  ", "Paris", None, 1.0),
    ("Paris.", "Paris", {"strip_punctuation": False}, 0.0),
    ("PARIS", "paris", {"lowercase": False}, 0.0),
    ("New   York", "new york", None, 1.0),
    ("New   York", "new york", {"normalize_whitespace": False}, 0.0),
    ("The capital is Lyon. Final answer: Paris", "Paris", {"regex": r"final answer:\s*(\w+)"}, 1.0),
    ("Answer: Rome. On reflection, Answer: Paris", "Paris", {"regex": r"answer:\s*(\w+)"}, 1.0),
    ("The word is PARIS", "paris", {"regex": r"[A-Z]{3,}"}, 1.0),
    ("nothing to see", "Paris", {"regex": r"answer:\s*(\w+)"}, 0.0),
    ("NYC", ["New York", "NYC", "New York City"], None, 1.0),
    ("Boston", ["New York", "NYC"], None, 0.0),
    ("<think>Lyon?</think>Paris", "Paris", None, 1.0),
]

CONTAINS = [
    ("The capital of France is Paris.", "paris", None, 1.0),
    ("The capital of France is Lyon.", "paris", None, 0.0),
    ("It is red or blue", ["green", "blue"], None, 1.0),
    ("It is red or blue", ["red", "blue", "green"], {"mode": "all"}, 2 / 3),
    ("It is red and blue", ["red", "blue"], {"mode": "all"}, 1.0),
    ("There are 42 of them", "4", None, 1.0),
    ("There are 42 of them", "4", {"whole_words": True}, 0.0),
    ("There are 42 of them", "42", {"whole_words": True}, 1.0),
    ("<think>maybe Paris</think>It is Lyon", "paris", None, 0.0),
    ("Use os.path.join!", "os.path.join", {"strip_punctuation": False}, 1.0),
]

CHOICE = [
    ("(B)", "B", None, 1.0),
    ("B) because the others are wrong", "B", None, 1.0),
    ("Answer: B", "B", None, 1.0),
    ("After some thought, the answer is b", "B", None, 1.0),
    ("the answer is a.", "A", None, 1.0),
    ("Reasoning about each option...\nC", "C", None, 1.0),
    ("Reasoning...\n**D**", "D", None, 1.0),
    ("The answer is option D.", "D", None, 1.0),
    ("The answer is a bit unclear, but (C) fits", "C", None, 1.0),
    ("Between (A) and (B), I choose (B)", "B", None, 1.0),
    ("<think>the answer is A</think>Answer: (c)", "C", None, 1.0),
    ("<think>the answer is A</think>Answer: (c)", "A", None, 0.0),
    ("The answer is E", "E", {"choices": "ABCDE"}, 1.0),
    ("I am not sure", "A", None, 0.0),
]

JSON_FIELDS = [
    ('{"name": "Ada", "age": 36}', {"name": "Ada", "age": 36}, None, 1.0),
    ('Here you go:\n```json\n{"name": "ada", "age": 36.0}\n```', {"name": "Ada", "age": 36}, None, 1.0),
    ('Result: {"name": "Ada", "age": 37} done', {"name": "Ada", "age": 36}, None, 0.5),
    ('{"name": "Ada"}', {"name": "Ada", "age": 36, "city": "London"}, None, 1 / 3),
    ('Draft {"x": 1} then final {"x": 2}', {"x": 2}, None, 1.0),
    ('Draft {"x": 1} then final {"x": 2}', {"x": 1}, {"which": "first"}, 1.0),
    ('{"note": "a } inside", "x": {"y": [1, 2]}}', {"note": "a } inside", "x": {"y": [1, 2]}}, None, 1.0),
    ('```json\n{"x": 1,}\n```\nfixed: {"x": 1}', {"x": 1}, None, 1.0),
    ('{"ok": true}', {"ok": 1}, None, 0.0),
    ('{"name": "Ada",}', {"name": "Ada"}, None, 0.0),
    ("no json here", {"name": "Ada"}, None, 0.0),
    ('<think>{"x": 9}</think>{"x": 1}', {"x": 1}, {"which": "first"}, 1.0),
]

ROUGE_L = [
    ("the cat sat on the mat", "the cat sat on the mat", None, 1.0),
    ("The cat, sat on the mat!", "the cat sat on the mat", None, 1.0),
    ("dogs bark loudly", "the cat sat on the mat", None, 0.0),
    # LCS "the cat the mat" = 4 of 6 reference and 4 of 5 output tokens: F1 = 2*0.8*(2/3)/(0.8+2/3) = 8/11.
    ("the cat was the mat", "the cat sat on the mat", None, 8 / 11),
    ("cat mat", "the cat sat on the mat", None, 0.5),
    ("cat mat", "the cat sat on the mat", {"threshold": 0.6}, 0.5),
    ("cat mat", ["the cat sat on the mat", "cat on mat"], None, 0.8),
]

F1 = [
    ("sports, politics", ["sports", "politics"], None, 1.0),
    ("Politics\nSports.", ["sports", "politics"], None, 1.0),
    ("- sports\n- weather", ["sports", "politics"], None, 0.5),
    ("1. sports\n2. politics\n3. weather", ["sports", "politics"], None, 0.8),
    ("nothing relevant", ["sports"], None, 0.0),
    ("sports; politics", "sports, politics", None, 1.0),
    ("", [], None, 1.0),
    ("<think>weather, sports</think>sports", ["sports"], None, 1.0),
]

# Where a case sets no threshold, these say what value passes.
PASS_AT = {"rouge_l": 0.5, "f1": 1.0, "contains": 1.0, "json_fields": 1.0}


def _cases(name, table):
    return [pytest.param(name, *case, id=f"{name}-{i}") for i, case in enumerate(table)]


ALL = (
    _cases("numeric", NUMERIC)
    + _cases("exact_match", EXACT_MATCH)
    + _cases("contains", CONTAINS)
    + _cases("choice", CHOICE)
    + _cases("json_fields", JSON_FIELDS)
    + _cases("rouge_l", ROUGE_L)
    + _cases("f1", F1)
)


@pytest.mark.parametrize("name,output,expected,options,value,extracted", PITFALLS)
def test_locollm_pitfalls(name, output, expected, options, value, extracted):
    result = score(name, output, expected, options)
    assert result.value == value
    assert result.passed == (value == 1.0)
    assert result.extracted == extracted


@pytest.mark.parametrize("name,output,expected,options,value", ALL)
def test_scorer_table(name, output, expected, options, value):
    result = score(name, output, expected, options)
    assert isinstance(result, Score)
    assert result.value == pytest.approx(value)
    assert 0.0 <= result.value <= 1.0
    threshold = (options or {}).get("threshold", PASS_AT.get(name, 1.0))
    assert result.passed == (result.value >= threshold - 1e-12)
    if not result.passed:
        assert result.detail, "a failing score says why"


def test_registry_names():
    assert sorted(SCORERS) == [
        "choice",
        "code_exec",
        "contains",
        "exact_match",
        "f1",
        "json_fields",
        "llm_judge",
        "numeric",
        "rouge_l",
    ]


@pytest.mark.parametrize(
    "name,expected,options,message",
    [
        ("nope", 1, None, "unknown scorer 'nope'; valid scorers: choice, code_exec, contains"),
        ("numeric", 1, {"tolerence": 0.1}, "no option 'tolerence'; valid options: percent, relative, tolerance"),
        ("numeric", 1, {"percent": "half"}, "percent='half' is not one of value, fraction, either"),
        ("numeric", 1, {"tolerance": "0.1"}, "tolerance='0.1' should be a float"),
        ("numeric", 1, {"tolerance": -1}, "tolerance=-1 must be >= 0"),
        ("numeric", "lots", None, "expected 'lots' is not a number"),
        ("exact_match", "x", {"regex": "("}, "regex='(' does not compile"),
        ("exact_match", "x", {"lowercase": "yes"}, "lowercase='yes' should be a bool"),
        ("contains", "x", {"mode": "some"}, "mode='some' is not one of any, all"),
        ("choice", "F", None, "expected 'F' should be one of the letters 'ABCD'"),
        ("json_fields", ["x"], None, "should be a non-empty object of fields"),
        ("json_fields", {"x": 1}, {"which": "middle"}, "which='middle' is not one of first, last"),
        ("rouge_l", "x", {"threshold": 2}, "threshold=2 should be between 0 and 1"),
        ("f1", 3, None, "expected 3 should be a list of labels"),
    ],
)
def test_bad_names_and_options_are_loco_errors(name, expected, options, message):
    with pytest.raises(LocoError, match=re.escape(message)):
        score(name, "The answer is 1", expected, options)


def test_json_fields_detail_lists_mismatches():
    result = score("json_fields", '{"name": "Bob"}', {"name": "Ada", "age": 36}, None)
    assert result.detail == "name: got 'Bob', expected 'Ada'; age: missing"


def test_numeric_detail_names_both_sides():
    result = score("numeric", "The answer is 7", "3/4", None)
    assert result.detail == "got 7, expected 0.75"
    assert score("numeric", "The answer is 7", "50%", None).detail == "got 7, expected 50 or 0.5"


CODE_CASES = [
    ("```python\ndef add(a, b):\n    return a + b\n```", "assert add(2, 3) == 5", True),
    ("Here you go:\n```py\ndef add(a, b):\n    return a - b\n```", "assert add(2, 3) == 5", False),
    (
        "<think>```python\ndef add(a, b): return 0\n```</think>```python\ndef add(a, b):\n    return a + b\n```",
        "assert add(1, 1) == 2",
        True,
    ),
    ("```python\nwhile True: pass\n```", "assert True", False),
    ("```python\nimport socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\n```", "assert True", False),
]


@pytest.mark.parametrize("output,tests,passed", CODE_CASES)
def test_code_exec_runs_in_the_sandbox(output, tests, passed):
    from loco_mlx.evaluation.scorers import score

    result = score("code_exec", output, tests, {"timeout": 3.0})
    assert result.passed is passed, result.detail


@pytest.mark.parametrize(
    "reply,value,passed",
    [("8", 0.8, True), ("Score: 3/10", 0.3, False), ("10.", 1.0, True), ("42", 1.0, True), ("no idea", 0.0, False)],
)
def test_llm_judge_reads_the_judges_score(monkeypatch, reply, value, passed):
    """The judge model is replaced by a fixed reply here: this tests the prompt and the parsing.
    tests/test_train_cli.py runs the real judge (the resident base) inside loco eval."""
    from loco_mlx.evaluation.scorers import llm_judge, score

    prompts = []
    monkeypatch.setattr(llm_judge, "JUDGE", lambda prompt: prompts.append(prompt) or reply)
    result = score("llm_judge", "<think>hmm</think>Paris is the capital.", "Paris", {"rubric": "Names the capital."})
    assert (result.value, result.passed) == (value, passed)
    assert "Rubric: Names the capital." in prompts[0] and "Reference answer: Paris" in prompts[0]
    assert "hmm" not in prompts[0]


def test_llm_judge_outside_eval_is_a_clear_error():
    from loco_mlx.errors import LocoError
    from loco_mlx.evaluation.scorers import score

    with pytest.raises(LocoError, match="needs a judge model"):
        score("llm_judge", "x", "y")
