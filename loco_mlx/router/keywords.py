"""The router's keyword channel: weighted registry keywords matched as whole words.

LocoLLM's first router counted raw substrings, so "summarize" and "I assume" went to math
through "sum" and "the classification of whales" went to code through "class". Here a
keyword matches only whole words of the query. Instead of stemming the query (which merges
unrelated words: Porter turns "adding" into "ad"), each keyword is expanded into its own
inflections ("sum": sum, sums, summed, summing) and the query's words are compared as they
are. A phrase ("how many") matches consecutive words, each in its word's inflections. A
keyword with no letters or digits at all ("+", "{}") has no word to be inside of, so it is
matched as a literal substring.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
_VOWELS = set("aeiou")


def words(text: str) -> list[str]:
    """Lowercased words of `text`: runs of letters and digits; anything else splits words."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _WORD.findall(text)


def inflections(word: str) -> frozenset[str]:
    """The word with its plural / third-person, past and -ing forms (a superset is harmless:
    only words of the query that equal one of these match)."""
    forms = {word}
    if len(word) < 2 or not word.isalpha():
        return frozenset(forms)
    consonant_y = word.endswith("y") and word[-2] not in _VOWELS
    stem_y = word[:-1] + "i" if consonant_y else word
    # plural and third person: classes, queries, sums
    if word.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(word + "es")
    elif consonant_y:
        forms.add(stem_y + "es")
    else:
        forms.add(word + "s")
    # past and -ing: computed, summed, summing, queried, querying, coding
    if word.endswith("e") and not word.endswith("ee"):
        forms |= {word + "d", word[:-1] + "ing"}
    else:
        forms |= {stem_y + "ed", word + "ing"}
    if _short_cvc(word):  # sum -> summed, summing; stop -> stopped
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    # a keyword given in a plural form also matches the singular: "functions" -> function
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        forms.add(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        forms.add(word[:-1])
    return frozenset(forms)


def _short_cvc(word: str) -> bool:
    """consonant-vowel-consonant ending of a one-syllable word, whose last letter doubles."""
    if len(word) < 3 or word[-1] in _VOWELS or word[-1] in "wxy":
        return False
    return word[-2] in _VOWELS and word[-3] not in _VOWELS and sum(c in _VOWELS for c in word) == 1


@dataclass(frozen=True)
class Keyword:
    text: str  # as written in the registry
    weight: float
    parts: tuple[frozenset[str], ...]  # inflections of each word of a phrase; empty for a symbol
    literal: str = ""  # a symbol keyword, matched as a substring

    @classmethod
    def parse(cls, text: str, weight: float) -> Keyword:
        parts = tuple(inflections(w) for w in words(text))
        if parts:
            return cls(text, weight, parts)
        literal = text.strip()
        if not literal:
            raise ValueError(f"keyword {text!r} is empty")
        return cls(text, weight, (), literal)

    def find(self, query_words: list[str], query_text: str) -> str | None:
        """The matched words as they appear in the query, or None."""
        if self.literal:
            return self.literal if self.literal in query_text else None
        n = len(self.parts)
        for start in range(len(query_words) - n + 1):
            if all(query_words[start + i] in self.parts[i] for i in range(n)):
                return " ".join(query_words[start : start + n])
        return None


@dataclass(frozen=True)
class KeywordMatch:
    keyword: str
    found: str  # the words of the query it matched
    weight: float


class KeywordMatcher:
    """Per-label weighted keywords; `scores` is each label's summed weight of distinct matches."""

    def __init__(self, keywords: dict[str, dict[str, float]]):
        self.labels = sorted(keywords)
        self.keywords = {
            label: [Keyword.parse(text, weight) for text, weight in sorted(keywords[label].items())]
            for label in self.labels
        }

    def matches(self, query: str) -> dict[str, list[KeywordMatch]]:
        query_words = words(query)
        lowered = unicodedata.normalize("NFKC", query).lower()
        found: dict[str, list[KeywordMatch]] = {}
        for label, keywords in self.keywords.items():
            hits = []
            for keyword in keywords:
                matched = keyword.find(query_words, lowered)
                if matched is not None:
                    hits.append(KeywordMatch(keyword.text, matched, keyword.weight))
            found[label] = hits
        return found

    def scores(self, query: str) -> dict[str, float]:
        return {label: sum(m.weight for m in hits) for label, hits in self.matches(query).items()}
