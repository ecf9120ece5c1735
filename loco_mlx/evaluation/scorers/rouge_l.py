"""ROUGE-L F1: longest common subsequence of lowercase word tokens.

Tokens are `\\w+` runs after thinking is stripped, so punctuation and case do not
count. F1 = 2PR / (P + R) with P = LCS / output length, R = LCS / reference
length. With a list of references the best one counts. `passed` is
value >= `threshold` (default 0.5).
"""

from __future__ import annotations

import re
from typing import Any

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.scorers.base import Score
from loco_mlx.inference.answers import strip_thinking

DEFAULTS: dict[str, Any] = {"threshold": 0.5}


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", strip_thinking(text).lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Classic dynamic programme, one row at a time: O(len(a) * len(b)) time, O(len(b)) memory."""
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(output: str, reference: str) -> float:
    got, want = tokens(output), tokens(reference)
    common = lcs_length(got, want)
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def score(output: str, expected: Any, options: dict) -> Score:
    references = expected if isinstance(expected, list) else [expected]
    if not references or not all(isinstance(r, str) and tokens(r) for r in references):
        raise LocoError(f"rouge_l scorer: expected {expected!r} should be reference text or a list of them")
    if not 0 <= options["threshold"] <= 1:
        raise LocoError(f"rouge_l scorer: option threshold={options['threshold']!r} should be between 0 and 1")
    value = max(rouge_l(output, reference) for reference in references)
    passed = value >= options["threshold"]
    return Score(
        value, passed, " ".join(tokens(output)), "" if passed else f"ROUGE-L {value:.3f} < {options['threshold']}"
    )
