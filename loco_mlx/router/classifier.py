"""The router's decision: one small classifier over both channels, calibrated, with a threshold.

logits = standardised embedding @ W + b + keyword_scale * keyword scores

Label 0 is always "base". Each adapter's logit gains `keyword_scale` per unit of matched
keyword weight, so the classifier learns how far to trust keywords against the embedding.
It is a multinomial logistic regression with L2, fitted by full-batch gradient descent
(Adam, a fixed number of steps from zeros: deterministic, no scipy). Classes are weighted
equally whatever their example counts.

Calibration: k-fold out-of-fold logits give a temperature (the minimum negative log-likelihood
over a grid) and a threshold: an adapter is chosen only when its probability reaches it, else
the query goes to the base. The threshold is the middle of the range that scores best on
out-of-fold predictions (a cost that counts a general query sent to an adapter twice, since a
specialist answers off-topic questions worse than the base does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASE = "base"
TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
THRESHOLDS = np.round(np.arange(0.30, 0.951, 0.01), 2)
WRONG_ADAPTER_COST = 2.0  # a general query sent to a specialist, relative to a missed specialist


@dataclass
class FitSettings:
    l2: float = 1e-2
    steps: int = 400
    learning_rate: float = 0.05
    folds: int = 5
    seed: int = 0


@dataclass
class LinearRouter:
    """The fitted parameters; `labels[0]` is "base"."""

    labels: list[str]
    mean: np.ndarray  # (d,) standardisation of the embedding
    scale: np.ndarray  # (d,)
    weights: np.ndarray  # (d, C)
    bias: np.ndarray  # (C,)
    keyword_scale: float
    temperature: float = 1.0
    threshold: float = 0.5

    def logits(self, vectors: np.ndarray, keyword_scores: np.ndarray) -> np.ndarray:
        z = (vectors - self.mean) / self.scale
        return z @ self.weights + self.bias + self.keyword_scale * keyword_scores

    def probabilities(self, vectors: np.ndarray, keyword_scores: np.ndarray) -> np.ndarray:
        return softmax(self.logits(vectors, keyword_scores) / self.temperature)

    def decide(self, probabilities: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
        """Index of the destination per row; `allowed` masks out labels that are not candidates."""
        return decide(probabilities, self.threshold, allowed)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def decide(probabilities: np.ndarray, threshold: float, allowed: np.ndarray | None = None) -> np.ndarray:
    """Most probable allowed label; an adapter below `threshold` goes to the base (index 0)."""
    p = probabilities if allowed is None else np.where(allowed, probabilities, -1.0)
    best = p.argmax(axis=-1)
    confident = np.take_along_axis(p, best[..., None], axis=-1)[..., 0] >= threshold
    return np.where((best == 0) | confident, best, 0)


def fit(
    vectors: np.ndarray, keyword_scores: np.ndarray, y: np.ndarray, labels: list[str], settings: FitSettings
) -> tuple[LinearRouter, dict]:
    """Fit on everything, calibrate on out-of-fold predictions; returns the router and CV metrics."""
    if labels[0] != BASE:
        raise ValueError(f"labels must start with {BASE!r}, got {labels}")
    oof = np.zeros((len(y), len(labels)))
    for train_idx, test_idx in stratified_folds(y, settings.folds, settings.seed):
        model = _fit_linear(vectors[train_idx], keyword_scores[train_idx], y[train_idx], labels, settings)
        oof[test_idx] = model.logits(vectors[test_idx], keyword_scores[test_idx])
    temperature = float(min(TEMPERATURES, key=lambda t: _nll(oof / t, y)))
    probabilities = softmax(oof / temperature)
    threshold = choose_threshold(probabilities, y)
    router = _fit_linear(vectors, keyword_scores, y, labels, settings)
    router.temperature, router.threshold = temperature, threshold
    chosen = decide(probabilities, threshold)
    metrics = {
        "folds": settings.folds,
        "accuracy": float((chosen == y).mean()),
        "base_precision": _precision(chosen, y, 0),
        "nll": _nll(oof / temperature, y),
        "temperature": temperature,
        "threshold": threshold,
    }
    return router, metrics


def choose_threshold(probabilities: np.ndarray, y: np.ndarray) -> float:
    costs = np.array([_cost(decide(probabilities, t), y) for t in THRESHOLDS])
    best = THRESHOLDS[costs <= costs.min() + 1e-9]
    return float(np.round(best[len(best) // 2], 2))


def _cost(chosen: np.ndarray, y: np.ndarray) -> float:
    wrong = chosen != y
    weights = np.where((chosen != 0) & (y == 0), WRONG_ADAPTER_COST, 1.0)
    return float((wrong * weights * _class_weights(y)).sum())


def _precision(chosen: np.ndarray, y: np.ndarray, label: int) -> float | None:
    sent = chosen == label
    return float((y[sent] == label).mean()) if sent.any() else None


def stratified_folds(y: np.ndarray, folds: int, seed: int):
    """(train, test) index pairs; each class spread evenly over the folds, in a seeded order."""
    rng = np.random.default_rng(seed)
    fold_of = np.zeros(len(y), dtype=int)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        fold_of[rng.permutation(idx)] = np.arange(len(idx)) % folds
    for k in range(folds):
        yield np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)


def _class_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y)
    return (1.0 / (counts[y] * np.count_nonzero(counts))).astype(np.float64)


def _nll(logits: np.ndarray, y: np.ndarray) -> float:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(-(log_p[np.arange(len(y)), y] * _class_weights(y)).sum())


def _fit_linear(
    vectors: np.ndarray, keyword_scores: np.ndarray, y: np.ndarray, labels: list[str], settings: FitSettings
) -> LinearRouter:
    mean = vectors.mean(axis=0)
    scale = vectors.std(axis=0) + 1e-6
    z = ((vectors - mean) / scale).astype(np.float64)
    n, d = z.shape
    c = len(labels)
    onehot = np.eye(c)[y]
    sample_weight = _class_weights(y)[:, None]
    params = [np.zeros((d, c)), np.zeros(c), np.zeros(1)]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    beta1, beta2 = 0.9, 0.999
    for step in range(1, settings.steps + 1):
        w, b, k = params
        p = softmax(z @ w + b + k[0] * keyword_scores)
        g = (p - onehot) * sample_weight  # d(weighted mean NLL)/d(logits)
        grads = [z.T @ g + settings.l2 * w, g.sum(axis=0), np.array([(g * keyword_scores).sum()])]
        for i, grad in enumerate(grads):
            moments[i] = beta1 * moments[i] + (1 - beta1) * grad
            squares[i] = beta2 * squares[i] + (1 - beta2) * grad**2
            m_hat = moments[i] / (1 - beta1**step)
            v_hat = squares[i] / (1 - beta2**step)
            params[i] = params[i] - settings.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        params[2] = np.maximum(params[2], 0.0)  # a keyword never counts against its adapter
    w, b, k = params
    return LinearRouter(
        list(labels), mean.astype(np.float32), scale.astype(np.float32), w.astype(np.float32),
        b.astype(np.float32), float(k[0]),
    )  # fmt: skip
