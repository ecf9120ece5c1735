"""The router: which adapter (or the plain base) answers a query, how sure it is, and why.

Fitting embeds each label's example queries with the base (embed.py), scores them with the
registry keywords (keywords.py), and fits the calibrated classifier (classifier.py). The
result is one JSON file next to the registry, `router.json`, holding the classifier, the
keyword weights it was fitted with and a signature of the registry's active adapters; when
the registry's active adapters change, the file is stale: routing then says so once, keeps
to the adapters it knows that are still active, and `loco router fit` refits it.

Only active adapters (promoted after a SHIP verdict, or forced) bound to the loaded base are
candidates. With none, every query goes to the base (said once). With no router file,
routing uses keywords alone: the adapter with the highest keyword score, the base on a tie.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from loco_mlx.errors import LocoError
from loco_mlx.files import write_atomic
from loco_mlx.router.classifier import BASE, FitSettings, LinearRouter, fit
from loco_mlx.router.embed import BaseEncoder, EncoderConfig
from loco_mlx.router.keywords import KeywordMatch, KeywordMatcher

ROUTER_FILE = "router.json"
FORMAT = 1
LOW_MARGIN = 0.25  # chat says "low confidence" below this gap between the first and second choice
MIN_EXAMPLES = 10


@dataclass
class Decision:
    label: str  # "base" or an adapter name
    confidence: float | None  # calibrated probability of `label`; None when routed by keywords alone
    reason: str
    probabilities: dict[str, float] = field(default_factory=dict)
    margin: float | None = None  # probability of the choice minus the runner-up's
    keywords: dict[str, list[KeywordMatch]] = field(default_factory=dict)
    similarity: dict[str, float] = field(default_factory=dict)  # cosine to each label's fitted centroid
    tokens: int = 0
    truncated: bool = False
    embed_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def adapter(self) -> str | None:
        return None if self.label == BASE else self.label

    @property
    def low_confidence(self) -> bool:
        return self.adapter is not None and self.margin is not None and self.margin < LOW_MARGIN


@dataclass
class FittedRouter:
    """What router.json holds, in memory."""

    classifier: LinearRouter
    keywords: dict[str, dict[str, float]]  # adapter -> keyword -> weight, as fitted
    centroids: np.ndarray  # (C, d) unit vectors in the standardised space
    encoder: EncoderConfig
    base: dict  # id, fingerprint of the base whose hidden states are embedded
    registry: dict  # name -> {version, keywords} of the active adapters it was fitted for
    sources: dict = field(default_factory=dict)  # label -> {files, count}
    cv: dict = field(default_factory=dict)
    created: str = ""

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels


class Router:
    """Routes queries among `candidates` (active adapter names); `fitted` may be None (keywords only)."""

    def __init__(
        self,
        candidates: list[str],
        keywords: dict[str, dict[str, float]],
        fitted: FittedRouter | None = None,
        encoder: BaseEncoder | None = None,
    ):
        self.candidates = sorted(candidates)
        self.fitted = fitted if encoder is not None else None
        self.encoder = encoder
        source = fitted.keywords if self.fitted else keywords
        self.matcher = KeywordMatcher({name: source.get(name, {}) for name in self.candidates})
        if self.fitted:
            labels = self.fitted.labels
            self.allowed = np.array([label == BASE or label in self.candidates for label in labels])
            self._keyword_columns = [labels.index(name) for name in self.matcher.labels if name in labels]

    @property
    def mode(self) -> str:
        return "none" if not self.candidates else "fitted" if self.fitted else "keywords"

    def route(self, query: str) -> Decision:
        if not isinstance(query, str) or not query.strip():
            raise LocoError("empty query: there is nothing to route")
        start = time.perf_counter()
        if not self.candidates:
            decision = Decision(
                BASE, 1.0, "no adapter to route to (none is active for this base, or the router knows none of them)"
            )
        else:
            matches = {label: hits for label, hits in self.matcher.matches(query).items() if hits}
            decision = self._fitted(query, matches) if self.fitted else _by_keywords(matches)
            decision.keywords = matches
        decision.seconds = time.perf_counter() - start
        return decision

    def _fitted(self, query: str, matches: dict[str, list[KeywordMatch]]) -> Decision:
        fitted, labels = self.fitted, self.fitted.labels
        embedding = self.encoder.embed(query)
        scores = np.zeros((1, len(labels)), dtype=np.float32)
        for label, hits in matches.items():
            if label in labels:
                scores[0, labels.index(label)] = sum(m.weight for m in hits)
        p = fitted.classifier.probabilities(embedding.vector[None, :], scores)[0]
        p = np.where(self.allowed, p, 0.0)
        p = p / p.sum()
        chosen = int(fitted.classifier.decide(p[None, :], self.allowed[None, :])[0])
        ranked = np.argsort(-p, kind="stable")
        top = int(ranked[0])
        if chosen == top:
            runner_up = int(ranked[1]) if len(ranked) > 1 else top
            margin = float(p[chosen] - p[runner_up])
            reason = (
                f"most like the general queries that belong to the base (p = {p[chosen]:.2f})"
                if chosen == 0
                else f"{labels[chosen]}: p = {p[chosen]:.2f} >= threshold {fitted.classifier.threshold:.2f}"
            )
        else:  # the top adapter fell short of the threshold
            margin = float(p[chosen] - p[top])
            reason = (
                f"{labels[top]} was the likeliest (p = {p[top]:.2f}) but below the threshold "
                f"{fitted.classifier.threshold:.2f}, so the base answers"
            )
        z = (embedding.vector - fitted.classifier.mean) / fitted.classifier.scale
        z = z / (np.linalg.norm(z) or 1.0)
        similarity = {label: float(s) for label, s in zip(labels, fitted.centroids @ z)}
        return Decision(
            labels[chosen], float(p[chosen]), reason, {label: float(x) for label, x in zip(labels, p)}, margin,
            similarity=similarity, tokens=embedding.tokens, truncated=embedding.truncated,
            embed_seconds=embedding.seconds,
        )  # fmt: skip


def _by_keywords(matches: dict[str, list[KeywordMatch]]) -> Decision:
    scores = {label: sum(m.weight for m in hits) for label, hits in matches.items()}
    best = max(scores.values(), default=0.0)
    top = sorted(label for label, score in scores.items() if score == best and score > 0)
    if len(top) == 1:
        return Decision(top[0], None, f"keywords only (no router fitted): {top[0]} scored {best:g}")
    if top:
        return Decision(
            BASE, None, f"keywords only (no router fitted): a tie between {', '.join(top)} goes to the base"
        )
    return Decision(BASE, None, "keywords only (no router fitted): no adapter keyword matched")


# --- fitting -------------------------------------------------------------------------------------


def fit_router(
    encoder: BaseEncoder,
    examples: dict[str, list[str]],
    keywords: dict[str, dict[str, float]],
    *,
    base: dict,
    registry: dict,
    settings: FitSettings | None = None,
    sources: dict | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> FittedRouter:
    """Fit on `examples` (label -> queries; "base" holds the general ones) with the adapters' keywords.

    `base` (id, fingerprint) and `registry` (registry_signature) are recorded to detect staleness."""
    labels = [BASE] + sorted(label for label in examples if label != BASE)
    for label in labels:
        count = len(examples.get(label, []))
        if count < MIN_EXAMPLES:
            what = "general queries" if label == BASE else f"example queries for adapter '{label}'"
            raise LocoError(f"the router needs at least {MIN_EXAMPLES} {what}, got {count}")
    if len(labels) < 2:
        raise LocoError("there is nothing to route between: no adapter has example queries")
    texts = [(label, query) for label in labels for query in examples[label]]
    matcher = KeywordMatcher({label: keywords.get(label, {}) for label in labels[1:]})
    keyword_scores = np.zeros((len(texts), len(labels)), dtype=np.float32)
    rows = []
    for i, (_, query) in enumerate(texts):
        rows.append(encoder.embed(query).vector)
        for name, score in matcher.scores(query).items():
            keyword_scores[i, labels.index(name)] = score
        if progress:
            progress(i + 1, len(texts))
    vectors = np.stack(rows)
    y = np.array([labels.index(label) for label, _ in texts])
    classifier, cv = fit(vectors, keyword_scores, y, labels, settings or FitSettings())
    z = (vectors - classifier.mean) / classifier.scale
    centroids = np.stack([z[y == k].mean(axis=0) for k in range(len(labels))])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    cv["examples"] = {label: len(examples[label]) for label in labels}
    fitted = FittedRouter(
        classifier, {label: dict(keywords.get(label, {})) for label in labels[1:]}, centroids.astype(np.float32),
        encoder.config, base, registry, sources or {}, cv,
        dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )  # fmt: skip
    return from_json(to_json(fitted))  # route with exactly what the file holds


# --- the file ------------------------------------------------------------------------------------


def to_json(fitted: FittedRouter) -> dict:
    c = fitted.classifier
    return {
        "format": FORMAT,
        "created": fitted.created,
        "base": fitted.base,
        "encoder": {
            "layer": fitted.encoder.layer,
            "pooling": fitted.encoder.pooling,
            "max_tokens": fitted.encoder.max_tokens,
        },  # fmt: skip
        "labels": c.labels,
        "keywords": fitted.keywords,
        "registry": fitted.registry,
        "sources": fitted.sources,
        "cv": fitted.cv,
        "classifier": {
            "temperature": c.temperature,
            "threshold": c.threshold,
            "keyword_scale": c.keyword_scale,
            "bias": _floats(c.bias),
            "mean": _floats(c.mean),
            "scale": _floats(c.scale),
            "weights": [_floats(row) for row in c.weights],
        },
        "centroids": [_floats(row) for row in fitted.centroids],
    }


def from_json(data: dict) -> FittedRouter:
    c = data["classifier"]
    array = lambda value: np.array(value, dtype=np.float32)  # noqa: E731
    classifier = LinearRouter(
        list(data["labels"]), array(c["mean"]), array(c["scale"]), array(c["weights"]), array(c["bias"]),
        float(c["keyword_scale"]), float(c["temperature"]), float(c["threshold"]),
    )  # fmt: skip
    d = len(classifier.mean)
    if classifier.weights.shape != (d, len(classifier.labels)) or classifier.scale.shape != (d,):
        raise ValueError(f"classifier shapes do not agree: weights {classifier.weights.shape}, mean ({d},)")
    return FittedRouter(
        classifier, data["keywords"], array(data["centroids"]), EncoderConfig(**data["encoder"]), data["base"],
        data["registry"], data.get("sources", {}), data.get("cv", {}), data.get("created", ""),
    )  # fmt: skip


def save_router(fitted: FittedRouter, path: Path) -> None:
    write_atomic(path, json.dumps(to_json(fitted), indent=1) + "\n")


def load_router(path: Path) -> FittedRouter:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT}")
        return from_json(data)
    except (OSError, ValueError, KeyError, TypeError, LocoError) as exc:  # LocoError: a bad encoder setting
        raise LocoError(f"router file {path} is unreadable ({exc}); refit it with `loco router fit`") from None


def _floats(values) -> list[float]:
    return [float(x) for x in np.asarray(values, dtype=np.float32)]


# --- the registry --------------------------------------------------------------------------------


def registry_signature(entries) -> dict:
    """What a fitted router depends on: each active adapter's version and keywords."""
    return {e.name: {"version": e.version, "keywords": dict(e.keywords)} for e in sorted(entries, key=lambda e: e.name)}


def active_for_base(registry, fingerprint: str) -> list:
    return [e for e in registry.entries() if e.active and e.base_fingerprint == fingerprint]


def routed_base(registry, spec: str | None = None):
    """The base whose active adapters are routed: `spec` (--base), else the one the active adapters
    share, else the default; resolved like every command's base (the embedded default imported on first use)."""
    from loco_mlx.bases.resolve import resolve_base

    if spec:
        return resolve_base(spec)
    bases = sorted({e.base_id for e in registry.entries() if e.active})
    if len(bases) > 1:
        raise LocoError(f"active adapters belong to several bases ({', '.join(bases)}); choose one with --base")
    return resolve_base(bases[0] if bases else None)


def staleness(fitted: FittedRouter, current: dict) -> str | None:
    """None when the router was fitted for exactly these active adapters, else what changed."""
    if fitted.registry == current:
        return None
    added = sorted(set(current) - set(fitted.registry))
    removed = sorted(set(fitted.registry) - set(current))
    changed = sorted(n for n in set(current) & set(fitted.registry) if current[n] != fitted.registry[n])
    parts = [f"{what}: {', '.join(names)}" for what, names in
             (("new", added), ("no longer active", removed), ("changed", changed)) if names]  # fmt: skip
    return "; ".join(parts)


def stale_notice(registry, fingerprint: str) -> str | None:
    """After a registry change: a refit hint when router.json no longer matches the active adapters."""
    path = registry.root / ROUTER_FILE
    if not path.is_file():
        return None
    try:
        fitted = load_router(path)
    except LocoError as exc:
        return str(exc)
    if fitted.base.get("fingerprint") != fingerprint:
        return None  # a router for another base is not affected
    stale = staleness(fitted, registry_signature(active_for_base(registry, fingerprint)))
    return f"the router is now stale ({stale}): refit it with `loco router fit`" if stale else None


def open_router(registry, record, make_encoder, warn: Callable[[str], object] = print) -> Router:
    """The router for `--adapter auto` on base `record`; problems are said once through `warn`.

    `make_encoder(EncoderConfig)` builds the embedding encoder (Engine.make_encoder: either backend)."""
    entries = active_for_base(registry, record.fingerprint)
    keywords = {e.name: dict(e.keywords) for e in entries}
    names = [e.name for e in entries]
    if not entries:
        warn("routing: no active adapters are registered for this base, so every query goes to the base")
        return Router([], {})
    path = registry.root / ROUTER_FILE
    if not path.is_file():
        warn(f"routing: no router fitted ({path}); routing by keywords alone. Fit one: loco router fit")
        return Router(names, keywords)
    fitted = load_router(path)
    if fitted.base.get("fingerprint") != record.fingerprint:
        warn(
            f"routing: {path} was fitted on base {fitted.base.get('id')}, not {record.id}; routing by keywords "
            "alone. Refit: loco router fit"
        )
        return Router(names, keywords)
    stale = staleness(fitted, registry_signature(entries))
    if stale:
        known = [n for n in names if n in fitted.labels]
        warn(
            f"routing: {path} is stale ({stale}); routing among {', '.join(known) or 'no adapter'} only. "
            "Refit: loco router fit"
        )
        names = known
    encoder = make_encoder(fitted.encoder)
    return Router(names, keywords, fitted, encoder)
