"""Paired statistics for adapter-vs-base runs on the same items, and the ship/iterate/reject gate.

Owns the exact McNemar test (binary scores), the paired bootstrap interval of the mean difference
(any score), the per-group breakdown and `gate_verdict`. Key choices: everything is paired by item
index; McNemar is the exact two-sided binomial test on discordant pairs (no chi-square
approximation, valid for small counts); the bootstrap resamples item indices with numpy in one
vectorised draw and reports a percentile interval; scores are fractions in [0, 1] and the gate
works in percentage points. No scipy.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from loco_mlx.errors import LocoError


@dataclass(frozen=True)
class McNemarResult:
    b: int  # base right, adapter wrong
    c: int  # base wrong, adapter right
    p_value: float


@dataclass(frozen=True)
class BootstrapResult:
    mean_difference: float  # adapter - base
    low: float
    high: float
    confidence: float
    n_resamples: int


@dataclass(frozen=True)
class GroupRow:
    group: Hashable
    n: int
    base: float
    adapter: float
    difference: float


# 1 stays the generic user error, as everywhere in loco.
VERDICT_EXIT_CODES = {"SHIP": 0, "ITERATE": 2, "REJECT": 3}


@dataclass(frozen=True)
class GateVerdict:
    verdict: str  # "SHIP" | "ITERATE" | "REJECT"
    improvement_points: float
    reasons: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return VERDICT_EXIT_CODES[self.verdict]


def _same_length(base: Sequence, adapter: Sequence) -> None:
    if len(base) != len(adapter):
        raise LocoError(f"paired scores need the same items: base has {len(base)}, adapter has {len(adapter)}")
    if not base:
        raise LocoError("paired statistics need at least one item, got none")


def mcnemar_exact(base_correct: Sequence[bool], adapter_correct: Sequence[bool]) -> McNemarResult:
    """Exact two-sided McNemar: p = min(1, 2 P[X <= min(b, c)]), X ~ Bin(b + c, 1/2); p = 1 when b + c = 0."""
    _same_length(base_correct, adapter_correct)
    b = sum(1 for x, y in zip(base_correct, adapter_correct) if x and not y)
    c = sum(1 for x, y in zip(base_correct, adapter_correct) if y and not x)
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 1.0)
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n  # exact integers, one division
    return McNemarResult(b, c, min(1.0, 2 * tail))


def paired_bootstrap(
    base_scores: Sequence[float],
    adapter_scores: Sequence[float],
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Mean of (adapter - base) and its percentile interval over resampled item indices."""
    _same_length(base_scores, adapter_scores)
    if not 0 < confidence < 1:
        raise LocoError(f"confidence must be between 0 and 1, got {confidence}")
    diff = np.asarray(adapter_scores, dtype=np.float64) - np.asarray(base_scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(n_resamples, len(diff)))
    means = diff[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return BootstrapResult(float(diff.mean()), float(low), float(high), confidence, n_resamples)


def per_group(
    groups: Sequence[Hashable], base_scores: Sequence[float], adapter_scores: Sequence[float]
) -> list[GroupRow]:
    """Base and adapter mean score and their difference per group key (e.g. difficulty), sorted by key."""
    _same_length(base_scores, adapter_scores)
    _same_length(groups, base_scores)
    buckets: dict[Hashable, list[tuple[float, float]]] = {}
    for g, x, y in zip(groups, base_scores, adapter_scores):
        buckets.setdefault(g, []).append((float(x), float(y)))
    rows = []
    for g in sorted(buckets, key=str):
        pairs = buckets[g]
        base = sum(p[0] for p in pairs) / len(pairs)
        adapter = sum(p[1] for p in pairs) / len(pairs)
        rows.append(GroupRow(g, len(pairs), base, adapter, adapter - base))
    return rows


def gate_verdict(
    n_items: int,
    base_score: float,
    adapter_score: float,
    p_value: float,
    ood_drop: float | None,
    contamination_clean: bool,
    *,
    min_items: int = 50,
    ship_points: float = 15,
    iterate_points: float = 5,
    max_ood_drop: float = 5,
    alpha: float = 0.05,
) -> GateVerdict:
    """SHIP only when every check holds; ITERATE on >= `iterate_points`; otherwise REJECT.

    Scores are fractions in [0, 1]; `ood_drop` is base minus adapter on the out-of-domain benchmark, in
    points (None: not run, which blocks SHIP). Contamination blocks SHIP and ITERATE alike.
    """
    gain = round((adapter_score - base_score) * 100, 9)
    blockers = []
    if n_items < min_items:
        blockers.append(f"benchmark has {n_items} items, at least {min_items} needed")
    if gain < ship_points:
        blockers.append(f"improvement {gain:.1f} points is below the {ship_points:g} needed to ship")
    if p_value >= alpha:
        blockers.append(f"p = {p_value:.3g} is not below {alpha:g}")
    if ood_drop is None:
        blockers.append("no out-of-domain check was run")
    elif ood_drop > max_ood_drop:
        blockers.append(f"out-of-domain score dropped {ood_drop:.1f} points, at most {max_ood_drop:g} allowed")
    if not contamination_clean:
        blockers.append("contamination check failed: benchmark items overlap the training data")
    if not blockers:
        return GateVerdict("SHIP", gain, [f"improvement {gain:.1f} points, p = {p_value:.3g}, all checks pass"])
    if contamination_clean and gain >= iterate_points:
        return GateVerdict("ITERATE", gain, blockers)
    if gain < iterate_points:
        blockers.append(f"improvement {gain:.1f} points is below the {iterate_points:g} needed to iterate")
    return GateVerdict("REJECT", gain, blockers)
