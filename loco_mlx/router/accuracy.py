"""`loco router eval`: how well the router routes a labelled set, how sure it is, how fast.

Accuracy, per-label precision and recall, the confusion matrix, expected calibration error
(10 equal-width bins of the decision's confidence) and per-query latency with the share spent
embedding. Every query is routed exactly as `--adapter auto` would route it.
"""

from __future__ import annotations

import numpy as np

from loco_mlx.errors import LocoError
from loco_mlx.router.classifier import BASE

ECE_BINS = 10


def evaluate_router(router, items) -> dict:
    labels = [BASE] + router.candidates
    unknown = sorted({item.label for item in items} - set(labels))
    if unknown:
        raise LocoError(
            f"labels {', '.join(unknown)} are not routes of this router (it routes to: {', '.join(labels)}); "
            "promote those adapters and refit (loco router fit), or fix the labels"
        )
    decisions = [router.route(item.query) for item in items]
    truth = [item.label for item in items]
    chosen = [d.label for d in decisions]
    correct = np.array([t == c for t, c in zip(truth, chosen)])
    confusion = {t: {c: 0 for c in labels} for t in labels}
    for t, c in zip(truth, chosen):
        confusion[t][c] += 1
    per_label = {}
    for label in labels:
        sent = sum(confusion[t][label] for t in labels)
        support = sum(confusion[label].values())
        hits = confusion[label][label]
        per_label[label] = {
            "precision": hits / sent if sent else None,
            "recall": hits / support if support else None,
            "support": support,
            "sent": sent,
        }
    kinds = {}
    for item, ok in zip(items, correct):
        if item.kind:
            kinds.setdefault(item.kind, []).append(bool(ok))
    total_ms = np.array([d.seconds for d in decisions]) * 1000
    embed_ms = np.array([d.embed_seconds for d in decisions]) * 1000
    return {
        "items": len(items),
        "mode": router.mode,
        "accuracy": float(correct.mean()),
        "per_label": per_label,
        "per_kind": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(kinds.items())},
        "confusion": confusion,
        "calibration_error": calibration_error([d.confidence for d in decisions], correct),
        "latency_ms": {
            "p50": float(np.percentile(total_ms, 50)),
            "p95": float(np.percentile(total_ms, 95)),
            "embed_p50": float(np.percentile(embed_ms, 50)),
            "embed_p95": float(np.percentile(embed_ms, 95)),
            "embed_share": float(embed_ms.sum() / total_ms.sum()) if total_ms.sum() else 0.0,
        },
        "truncated": sum(d.truncated for d in decisions),
        "errors": [
            {"query": item.query, "label": item.label, "routed": d.label, "confidence": d.confidence}
            for item, d in zip(items, decisions)
            if item.label != d.label
        ],
    }


def calibration_error(confidences, correct) -> float | None:
    """Expected calibration error: |accuracy - mean confidence| per bin, weighted by the bin's share."""
    pairs = [(c, ok) for c, ok in zip(confidences, correct) if c is not None]
    if not pairs:
        return None
    conf = np.array([c for c, _ in pairs])
    ok = np.array([bool(o) for _, o in pairs], dtype=float)
    bins = np.minimum((conf * ECE_BINS).astype(int), ECE_BINS - 1)
    error = 0.0
    for b in range(ECE_BINS):
        in_bin = bins == b
        if in_bin.any():
            error += in_bin.mean() * abs(ok[in_bin].mean() - conf[in_bin].mean())
    return float(error)


def format_report(report: dict) -> str:
    labels = list(report["per_label"])
    width = max(len(label) for label in labels + ["label"])
    lines = [f"{report['items']} queries, router mode: {report['mode']}", f"accuracy {report['accuracy']:.3f}"]
    lines.append(f"{'label':<{width}}  precision  recall  support")
    for label, row in report["per_label"].items():
        precision = "n/a" if row["precision"] is None else f"{row['precision']:.3f}"
        recall = "n/a" if row["recall"] is None else f"{row['recall']:.3f}"
        lines.append(f"{label:<{width}}  {precision:>9}  {recall:>6}  {row['support']:>7}")
    lines.append("confusion (rows: true label, columns: routed to)")
    lines.append(" " * (width + 2) + "  ".join(f"{label:>{max(len(label), 4)}}" for label in labels))
    for truth in labels:
        cells = "  ".join(f"{report['confusion'][truth][c]:>{max(len(c), 4)}}" for c in labels)
        lines.append(f"{truth:<{width}}  {cells}")
    if report["per_kind"]:
        kinds = ", ".join(f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in report["per_kind"].items())
        lines.append(f"accuracy by kind: {kinds}")
    ece = report["calibration_error"]
    lines.append(f"calibration error (ECE, {ECE_BINS} bins): {'n/a' if ece is None else f'{ece:.3f}'}")
    lat = report["latency_ms"]
    lines.append(
        f"latency per query: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms "
        f"(embedding p50 {lat['embed_p50']:.1f} ms, p95 {lat['embed_p95']:.1f} ms, "
        f"{lat['embed_share']:.0%} of the time)"
    )
    if report["truncated"]:
        lines.append(f"{report['truncated']} long queries were routed on their first and last parts")
    for error in report["errors"][:10]:
        conf = "" if error["confidence"] is None else f" ({error['confidence']:.2f})"
        lines.append(f"  wrong: {error['label']} -> {error['routed']}{conf}: {error['query'][:80]}")
    if len(report["errors"]) > 10:
        lines.append(f"  ... and {len(report['errors']) - 10} more (--json lists them all)")
    return "\n".join(lines)


def decision_dict(decision) -> dict:
    return {
        "route": decision.label,
        "adapter": decision.adapter,
        "confidence": decision.confidence,
        "margin": decision.margin,
        "low_confidence": decision.low_confidence,
        "reason": decision.reason,
        "probabilities": decision.probabilities,
        "similarity": decision.similarity,
        "keywords": {label: [m.keyword for m in hits] for label, hits in decision.keywords.items()},
        "tokens": decision.tokens,
        "truncated": decision.truncated,
        "latency_ms": decision.seconds * 1000,
        "embed_ms": decision.embed_seconds * 1000,
    }


def explain_lines(decision) -> list[str]:
    lines = [f"why: {decision.reason}"]
    matched = [
        f"{label}: " + ", ".join(f"'{m.keyword}'" + (f" ({m.found})" if m.found != m.keyword else "") +
                                 (f" x{m.weight:g}" if m.weight != 1 else "") for m in hits)
        for label, hits in sorted(decision.keywords.items())
    ]  # fmt: skip
    lines.append("keywords: " + ("; ".join(matched) if matched else "none matched"))
    if decision.probabilities:
        ranked = sorted(decision.probabilities, key=lambda label: -decision.probabilities[label])
        lines.append("probability: " + ", ".join(f"{label} {decision.probabilities[label]:.3f}" for label in ranked))
        lines.append(
            "similarity to fitted examples: "
            + ", ".join(
                f"{label} {decision.similarity[label]:+.2f}" for label in ranked if label in decision.similarity
            )
        )
    if decision.truncated:
        lines.append(f"the query is {decision.tokens} tokens: routed on its first and last parts")
    lines.append(f"took {decision.seconds * 1000:.1f} ms ({decision.embed_seconds * 1000:.1f} ms embedding)")
    return lines
