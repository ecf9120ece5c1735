"""Which layer and pooling should the router embed with? Accuracy on a held-out set vs latency.

Embeds every fitting query and every held-out query once, keeping the pooled hidden state
after each candidate layer, fits the router's classifier per (layer, pooling) exactly as
`loco router fit` does, and scores it on the held-out set (written apart from the fitting
data). Then times the router's encoder (`Engine.make_encoder`) per layer on the held-out queries. Prints two tables.

    python scripts/bench_router.py                          # the shipped domains' data
    python scripts/bench_router.py --layers 2,4,6 --poolings mean
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loco_mlx.router.classifier import BASE, FitSettings, fit  # noqa: E402
from loco_mlx.router.embed import EncoderConfig  # noqa: E402
from loco_mlx.router.examples import GENERAL_QUERIES, read_labelled, read_queries, sample_queries  # noqa: E402
from loco_mlx.router.keywords import KeywordMatcher  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", action="append", default=None, help="NAME=FILE (repeatable)")
    ap.add_argument("--general", default=str(GENERAL_QUERIES))
    ap.add_argument("--heldout", default=str(ROOT / "data/router/heldout.jsonl"))
    ap.add_argument("--keywords", default=str(ROOT / "configs/router/keywords.yaml"))
    ap.add_argument("--layers", default="0,2,4,6,8,10,12,16")
    ap.add_argument("--poolings", default="mean,last")
    ap.add_argument("--per-label", type=int, default=400)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--base", default="default")
    return ap.parse_args(argv)


@dataclass
class Sets:
    labels: list[str]  # base first, then the adapters
    fit_texts: list[tuple[str, str]]  # (label, query) to fit on
    heldout: list  # LabelledQuery items whose label is one of `labels`
    matcher: KeywordMatcher

    def keyword_matrix(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, text in enumerate(texts):
            for name, score in self.matcher.scores(text).items():
                out[i, self.labels.index(name)] = score
        return out


def read_sets(args) -> Sets:
    """The fitting queries per label (as `loco router fit` samples them), the keywords and the held-out set."""
    import yaml

    examples = args.examples or [f"{d}={ROOT}/data/{d}/train.jsonl" for d in ("math", "json", "code")]
    queries = {BASE: sample_queries(read_queries(args.general), args.per_label, 0)}
    for spec in examples:
        name, _, path = spec.partition("=")
        queries[name] = sample_queries(read_queries(path), args.per_label, 0)
    labels = [BASE] + sorted(k for k in queries if k != BASE)
    keywords = yaml.safe_load(Path(args.keywords).read_text()) if Path(args.keywords).is_file() else {}
    matcher = KeywordMatcher({label: keywords.get(label, {}) for label in labels[1:]})
    heldout = [item for item in read_labelled(args.heldout) if item.label in labels]
    return Sets(labels, [(label, q) for label in labels for q in queries[label]], heldout, matcher)


def embed_all(encoder, texts: list[str], layers: list[int], pooling: str) -> dict[int, np.ndarray]:
    """layer -> (len(texts), hidden): every layer's pooled vectors from one pass per text."""
    rows = {layer: [] for layer in layers}
    for text in texts:
        vectors, _, _ = encoder.embed_layers(text, layers, pooling)
        for layer in layers:
            rows[layer].append(vectors[layer])
    return {layer: np.stack(v) for layer, v in rows.items()}


def sweep(encoder, sets: Sets, layers: list[int], poolings: list[str]) -> list[tuple]:
    """(layer, pooling, CV accuracy, held-out accuracy, base precision, per-kind accuracy, threshold) rows."""
    heldout, labels = sets.heldout, sets.labels
    y_fit = np.array([labels.index(label) for label, _ in sets.fit_texts])
    y_test = np.array([labels.index(item.label) for item in heldout])
    k_fit = sets.keyword_matrix([q for _, q in sets.fit_texts])
    k_test = sets.keyword_matrix([item.query for item in heldout])
    kinds = sorted({item.kind for item in heldout})
    rows = []
    for pooling in poolings:
        start = time.perf_counter()
        v_fit = embed_all(encoder, [q for _, q in sets.fit_texts], layers, pooling)
        v_test = embed_all(encoder, [item.query for item in heldout], layers, pooling)
        print(f"embedded ({pooling}) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        for layer in layers:
            router, cv = fit(v_fit[layer], k_fit, y_fit, labels, FitSettings())
            chosen = router.decide(router.probabilities(v_test[layer], k_test))
            ok = chosen == y_test
            sent_base = chosen == 0
            base_precision = float((y_test[sent_base] == 0).mean()) if sent_base.any() else float("nan")
            per_kind = [float(ok[[i for i, it in enumerate(heldout) if it.kind == k]].mean()) for k in kinds]
            rows.append((layer, pooling, cv["accuracy"], float(ok.mean()), base_precision, per_kind, router.threshold))
    return rows


def latencies(engine, layers: list[int], heldout, max_tokens: int) -> dict[int, tuple[float, float]]:
    """layer -> (p50, p95) ms of `embed` at that depth on the held-out queries, after one warm-up."""
    out = {}
    for layer in layers:
        timer = engine.make_encoder(EncoderConfig(layer, "mean", max_tokens))
        timer.embed(heldout[0].query)  # warm-up
        ms = [timer.embed(item.query).seconds * 1000 for item in heldout]
        out[layer] = (np.percentile(ms, 50), np.percentile(ms, 95))
    return out


def print_table(rows, latency, kinds: list[str]) -> None:
    head = "| layer | pooling | CV acc | held-out acc | base precision | " + " | ".join(kinds)
    print(head + " | threshold | embed p50 ms | embed p95 ms |")
    print("|" + "---|" * (head.count("|") + 3))
    for layer, pooling, cv_acc, acc, bp, per_kind, threshold in rows:
        kind_cells = " | ".join(f"{x:.3f}" for x in per_kind)
        p50, p95 = latency[layer]
        print(f"| {layer} | {pooling} | {cv_acc:.3f} | {acc:.3f} | {bp:.3f} | {kind_cells} | {threshold:.2f} | "
              f"{p50:.1f} | {p95:.1f} |")  # fmt: skip


def main(argv=None) -> None:
    from loco_mlx.inference.open import EngineSettings, open_engine

    args = parse_args(argv)
    sets = read_sets(args)
    layers = [int(x) for x in args.layers.split(",")]
    engine = open_engine(EngineSettings(args.base, registered=False))  # the MLX backend: embed_layers
    encoder = engine.make_encoder(EncoderConfig(max(layers), "mean", args.max_tokens))
    base = engine.base
    counts = ", ".join(f"{label} {n}" for label, n in Counter(label for label, _ in sets.fit_texts).items())
    print(f"fitting on {len(sets.fit_texts)} queries ({counts}); held-out {len(sets.heldout)}; {base.record.id} "
          f"({base.compute_mode}, {encoder.num_layers} layers)", file=sys.stderr)  # fmt: skip
    rows = sweep(encoder, sets, layers, args.poolings.split(","))
    latency = latencies(engine, layers, sets.heldout, args.max_tokens)
    print(f"\nRouter layer/pooling sweep on {platform.machine()} ({base.device}, {base.compute_mode}); "
          f"held-out set {Path(args.heldout).name}, {len(sets.heldout)} queries\n")  # fmt: skip
    print_table(rows, latency, sorted({item.kind for item in sets.heldout}))


if __name__ == "__main__":
    main()
