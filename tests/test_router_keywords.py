"""The router's keyword channel: whole words and phrases with inflections, never substrings."""

from __future__ import annotations

import pytest

from loco_mlx.router.hybrid import Router
from loco_mlx.router.keywords import Keyword, KeywordMatcher, inflections, words

KEYWORDS = {
    "math": {"sum": 2.0, "plus": 1.0, "how many": 1.0, "add": 1.0, "+": 0.5, "divide": 1.0},
    "code": {"class": 1.0, "function": 1.0, "python": 2.0, "query": 1.0},
    "json": {"json": 2.0, "extract": 1.0},
}

# (query, expected score per label): the LocoLLM traps first.
CASES = [
    ("Please summarize this article about whales.", {"math": 0, "code": 0, "json": 0}),
    ("I assume you know the answer.", {"math": 0, "code": 0, "json": 0}),
    ("Tell me about the classification of whales.", {"math": 0, "code": 0, "json": 0}),
    ("A classic summer consumer product", {"math": 0, "code": 0, "json": 0}),
    ("The Sum of All Fears is a film.", {"math": 2.0, "code": 0, "json": 0}),  # a real word match is a match
    ("What is the sum of 3 and 4?", {"math": 2.0, "code": 0, "json": 0}),
    ("Sums and PLUS signs", {"math": 3.0, "code": 0, "json": 0}),  # plural, case-insensitive
    ("summing up the numbers", {"math": 2.0, "code": 0, "json": 0}),  # doubled consonant + ing
    ("She summed it all", {"math": 2.0, "code": 0, "json": 0}),
    ("adding apples, then divided by two", {"math": 2.0, "code": 0, "json": 0}),
    ("an address and an adder", {"math": 0, "code": 0, "json": 0}),  # "add" inside words
    ("How many apples are left?", {"math": 1.0, "code": 0, "json": 0}),  # phrase
    ("How do I get many friends?", {"math": 0, "code": 0, "json": 0}),  # phrase words apart
    ("3+4", {"math": 0.5, "code": 0, "json": 0}),  # a symbol keyword is a substring
    ("What are the classes of the Python library?", {"math": 0, "code": 3.0, "json": 0}),
    ("Write functions that run queries", {"math": 0, "code": 2.0, "json": 0}),  # functions, queries
    ("the function's output", {"math": 0, "code": 1.0, "json": 0}),  # apostrophe splits words
    ("Extracting fields into JSON", {"math": 0, "code": 0, "json": 3.0}),
    ("Jason's birthday party", {"math": 0, "code": 0, "json": 0}),
    ("vanilla extract", {"math": 0, "code": 0, "json": 1.0}),
    ("ＪＳＯＮ please", {"math": 0, "code": 0, "json": 2.0}),  # full-width letters (NFKC)
    ("pythonic", {"math": 0, "code": 0, "json": 0}),
]


@pytest.mark.parametrize("query,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_keyword_scores(query, expected):
    assert KeywordMatcher(KEYWORDS).scores(query) == pytest.approx(expected)


@pytest.mark.parametrize(
    "word,forms,not_forms",
    [
        ("sum", {"sums", "summed", "summing"}, {"summarize", "summary", "summer"}),
        ("class", {"classes", "classed"}, {"classification", "classic", "classy"}),
        ("query", {"queries", "queried", "querying"}, {"quer"}),
        ("code", {"codes", "coded", "coding"}, {"coder", "codec"}),
        ("box", {"boxes", "boxed", "boxing"}, set()),
        ("functions", {"function"}, {"functionality"}),
        ("queries", {"query"}, set()),
    ],
)
def test_inflections(word, forms, not_forms):
    got = inflections(word)
    assert word in got and forms <= got and not (not_forms & got)


def test_matches_report_what_was_found():
    hits = KeywordMatcher(KEYWORDS).matches("How many sums did she add?")["math"]
    assert sorted((m.keyword, m.found, m.weight) for m in hits) == [
        ("add", "add", 1.0), ("how many", "how many", 1.0), ("sum", "sums", 2.0)
    ]  # fmt: skip


def test_a_keyword_counts_once_however_often_it_appears():
    assert KeywordMatcher({"math": {"sum": 1.0}}).scores("sum sum sum") == {"math": 1.0}


def test_words_normalise():
    assert words("It's a WELL-known café, ok?") == ["it", "s", "a", "well", "known", "café", "ok"]


def test_an_empty_keyword_is_refused():
    with pytest.raises(ValueError, match="empty"):
        Keyword.parse("   ", 1.0)


@pytest.mark.parametrize(
    "query,label",
    [
        ("What is the sum of 4 and 5?", "math"),
        ("Summarize the plot of Hamlet", "base"),  # LocoLLM sent this to math
        ("I assume you can help", "base"),
        ("the classification of whales", "base"),  # LocoLLM sent this to code
        ("extract the json", "json"),
        ("python class", "code"),
        ("add a python function", "code"),  # code 3.0 > math 1.0
        ("add the json", "json"),  # json 2.0 > math 1.0
        ("sum of the json", "base"),  # a tie goes to the base, not the alphabetically first
    ],
)
def test_keyword_only_routing_and_ties(query, label):
    router = Router(["code", "json", "math"], KEYWORDS)  # no fitted router: keywords alone
    decision = router.route(query)
    assert router.mode == "keywords" and decision.label == label and decision.confidence is None
