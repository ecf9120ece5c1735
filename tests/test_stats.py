"""Paired statistics against reference values computed independently, and the gate's verdict table."""

from __future__ import annotations

import random

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.stats import gate_verdict, mcnemar_exact, paired_bootstrap, per_group


def _pairs(b: int, c: int, both_right: int = 3, both_wrong: int = 2) -> tuple[list[bool], list[bool]]:
    base = [True] * b + [False] * c + [True] * both_right + [False] * both_wrong
    adapter = [False] * b + [True] * c + [True] * both_right + [False] * both_wrong
    return base, adapter


# Reference p-values by hand: 2 * sum(C(n, k), k <= min(b, c)) / 2**n, n = b + c.
# (2, 10): 2 * (1 + 12 + 66) / 4096 = 79 / 2048; also R binom.test(2, 12)$p.value = 0.03857
# (0, 5): 2 * 1 / 32;  (1, 12): 2 * (1 + 13) / 8192;  (3, 20): 2 * (1 + 23 + 253 + 1771) / 2**23 = 2**-11
MCNEMAR_CASES = [
    ((2, 10), 0.03857421875),
    ((10, 2), 0.03857421875),
    ((0, 5), 0.0625),
    ((5, 5), 1.0),
    ((1, 12), 0.00341796875),
    ((3, 20), 0.00048828125),
    ((0, 0), 1.0),
]


@pytest.mark.parametrize(("bc", "expected"), MCNEMAR_CASES)
def test_mcnemar_exact_reference_values(bc, expected):
    base, adapter = _pairs(*bc)
    result = mcnemar_exact(base, adapter)
    assert (result.b, result.c) == bc
    assert result.p_value == pytest.approx(expected, rel=1e-12)


def test_mcnemar_rejects_unpaired_lengths():
    with pytest.raises(LocoError, match="base has 2, adapter has 1"):
        mcnemar_exact([True, False], [True])


def test_bootstrap_is_deterministic_for_a_seed():
    rng = random.Random(1)
    base = [rng.random() for _ in range(40)]
    adapter = [x + rng.uniform(-0.1, 0.3) for x in base]
    assert paired_bootstrap(base, adapter, seed=7) == paired_bootstrap(base, adapter, seed=7)
    assert paired_bootstrap(base, adapter, seed=7) != paired_bootstrap(base, adapter, seed=8)


def test_bootstrap_interval_contains_mean_and_shrinks_with_n():
    rng = random.Random(2)
    widths = []
    for n in (20, 200, 2000):
        base = [float(rng.random() < 0.4) for _ in range(n)]
        adapter = [float(rng.random() < 0.6) for _ in range(n)]
        r = paired_bootstrap(base, adapter, n_resamples=2000)
        assert r.low <= r.mean_difference <= r.high
        widths.append(r.high - r.low)
    assert widths[0] > widths[1] > widths[2]


def _slow_bootstrap(base, adapter, n_resamples, seed, confidence):
    """Pure-Python reimplementation: same numpy draws, loops and linear-interpolated percentiles by hand."""
    import numpy as np

    diff = [a - b for a, b in zip(adapter, base)]
    n = len(diff)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n)).tolist()
    means = sorted(sum(diff[i] for i in row) / n for row in idx)

    def quantile(q):
        pos = q * (len(means) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(means) - 1)
        return means[lo] + (means[hi] - means[lo]) * (pos - lo)

    alpha = (1 - confidence) / 2
    return sum(diff) / n, quantile(alpha), quantile(1 - alpha)


def test_bootstrap_matches_slow_reference_on_tiny_example():
    base = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    adapter = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    r = paired_bootstrap(base, adapter, n_resamples=500, seed=3, confidence=0.9)
    mean, low, high = _slow_bootstrap(base, adapter, 500, 3, 0.9)
    assert r.mean_difference == pytest.approx(1 / 6)
    assert (r.mean_difference, r.low, r.high) == pytest.approx((mean, low, high), abs=1e-12)


def test_bootstrap_constant_difference_has_zero_width():
    r = paired_bootstrap([0.0] * 10, [1.0] * 10, n_resamples=100)
    assert (r.mean_difference, r.low, r.high) == (1.0, 1.0, 1.0)


def test_per_group_breakdown():
    rows = per_group(
        ["easy", "hard", "easy", "hard", "medium"],
        [1, 0, 1, 0, 1],
        [1, 1, 0, 1, 1],
    )
    got = [(r.group, r.n, r.base, r.adapter, r.difference) for r in rows]
    assert got == [("easy", 2, 1.0, 0.5, -0.5), ("hard", 2, 0.0, 1.0, 1.0), ("medium", 1, 1.0, 1.0, 0.0)]


# (n_items, base, adapter, p, ood_drop, clean) -> verdict, a phrase every reason list must contain
GATE_CASES = [
    ("ship", (60, 0.40, 0.60, 0.01, 2.0, True), "SHIP", "all checks pass"),
    ("exactly 15 points ships", (50, 0.40, 0.55, 0.049, 5.0, True), "SHIP", "all checks pass"),
    ("too few items", (30, 0.40, 0.60, 0.01, 0.0, True), "ITERATE", "30 items, at least 50"),
    ("not significant", (60, 0.40, 0.60, 0.08, 0.0, True), "ITERATE", "p = 0.08"),
    ("ood drop", (60, 0.40, 0.60, 0.01, 7.5, True), "ITERATE", "dropped 7.5 points"),
    ("no ood check", (60, 0.40, 0.60, 0.01, None, True), "ITERATE", "no out-of-domain"),
    ("iterate gain", (60, 0.40, 0.50, 0.03, 0.0, True), "ITERATE", "below the 15"),
    ("exactly 5 points iterates", (60, 0.40, 0.45, 0.3, 0.0, True), "ITERATE", "below the 15"),
    ("small gain rejected", (60, 0.40, 0.43, 0.5, 0.0, True), "REJECT", "below the 5"),
    ("worse rejected", (60, 0.50, 0.40, 0.2, 0.0, True), "REJECT", "below the 5"),
    ("contaminated", (60, 0.40, 0.70, 0.001, 0.0, False), "REJECT", "contamination"),
]


@pytest.mark.parametrize(("name", "args", "verdict", "reason"), GATE_CASES, ids=[c[0] for c in GATE_CASES])
def test_gate_verdicts(name, args, verdict, reason):
    v = gate_verdict(*args)
    assert v.verdict == verdict, v.reasons
    assert any(reason in r for r in v.reasons), v.reasons
    assert (v.exit_code == 0) == (verdict == "SHIP")
