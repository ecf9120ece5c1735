"""Which layer and pooling should the router embed with? Accuracy on a held-out set vs latency.

Embeds every fitting query and every held-out query once, keeping the pooled hidden state
after each candidate layer, fits the router's classifier per (layer, pooling) exactly as
`loco router fit` does, and scores it on the held-out set (written apart from the fitting
data). Then times `BaseEncoder.embed` per layer on the held-out queries. Prints two tables.

    python scripts/bench_router.py                          # the shipped domains' data
    python scripts/bench_router.py --layers 2,4,6 --poolings mean
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loco_mlx.router.classifier import BASE, FitSettings, fit  # noqa: E402
from loco_mlx.router.embed import BaseEncoder, EncoderConfig  # noqa: E402
from loco_mlx.router.examples import GENERAL_QUERIES, read_labelled, read_queries, sample_queries  # noqa: E402
from loco_mlx.router.keywords import KeywordMatcher  # noqa: E402


def main() -> None:
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
    args = ap.parse_args()

    import yaml

    from loco_mlx.bases.loading import load_base

    examples = args.examples or [f"{d}={ROOT}/data/{d}/train.jsonl" for d in ("math", "json", "code")]
    queries = {BASE: sample_queries(read_queries(args.general), args.per_label, 0)}
    for spec in examples:
        name, _, path = spec.partition("=")
        queries[name] = sample_queries(read_queries(path), args.per_label, 0)
    labels = [BASE] + sorted(k for k in queries if k != BASE)
    keywords = yaml.safe_load(Path(args.keywords).read_text()) if Path(args.keywords).is_file() else {}
    matcher = KeywordMatcher({label: keywords.get(label, {}) for label in labels[1:]})
    heldout = [item for item in read_labelled(args.heldout) if item.label in labels]
    layers = [int(x) for x in args.layers.split(",")]
    poolings = args.poolings.split(",")

    loaded = load_base(args.base)
    encoder = BaseEncoder(loaded.model, loaded.tokenizer, EncoderConfig(max(layers), "mean", args.max_tokens))
    fit_texts = [(label, q) for label in labels for q in queries[label]]
    print(f"fitting on {len(fit_texts)} queries ({', '.join(f'{k} {len(v)}' for k, v in queries.items())}); "
          f"held-out {len(heldout)}; {loaded.record.id} ({loaded.compute.mode}, {len(loaded.model.model.layers)} "
          f"layers)", file=sys.stderr)  # fmt: skip

    def embed_all(texts, pooling):
        rows = {layer: [] for layer in layers}
        for text in texts:
            vectors, _, _ = encoder.embed_layers(text, layers, pooling)
            for layer in layers:
                rows[layer].append(vectors[layer])
        return {layer: np.stack(v) for layer, v in rows.items()}

    def keyword_matrix(texts):
        out = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for i, text in enumerate(texts):
            for name, score in matcher.scores(text).items():
                out[i, labels.index(name)] = score
        return out

    y_fit = np.array([labels.index(label) for label, _ in fit_texts])
    y_test = np.array([labels.index(item.label) for item in heldout])
    k_fit = keyword_matrix([q for _, q in fit_texts])
    k_test = keyword_matrix([item.query for item in heldout])
    kinds = sorted({item.kind for item in heldout})
    rows = []
    for pooling in poolings:
        start = time.perf_counter()
        v_fit = embed_all([q for _, q in fit_texts], pooling)
        v_test = embed_all([item.query for item in heldout], pooling)
        print(f"embedded ({pooling}) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        for layer in layers:
            router, cv = fit(v_fit[layer], k_fit, y_fit, labels, FitSettings())
            chosen = router.decide(router.probabilities(v_test[layer], k_test))
            ok = chosen == y_test
            sent_base = chosen == 0
            base_precision = float((y_test[sent_base] == 0).mean()) if sent_base.any() else float("nan")
            per_kind = [float(ok[[i for i, it in enumerate(heldout) if it.kind == k]].mean()) for k in kinds]
            rows.append((layer, pooling, cv["accuracy"], float(ok.mean()), base_precision, per_kind, router.threshold))

    latency = {}
    for layer in layers:
        timer = BaseEncoder(loaded.model, loaded.tokenizer, EncoderConfig(layer, "mean", args.max_tokens))
        timer.embed(heldout[0].query)  # warm-up
        ms = [timer.embed(item.query).seconds * 1000 for item in heldout]
        latency[layer] = (np.percentile(ms, 50), np.percentile(ms, 95))

    print(f"\nRouter layer/pooling sweep on {platform.machine()} ({loaded.device}, {loaded.compute.mode}); "
          f"held-out set {Path(args.heldout).name}, {len(heldout)} queries\n")  # fmt: skip
    head = "| layer | pooling | CV acc | held-out acc | base precision | " + " | ".join(kinds)
    print(head + " | threshold | embed p50 ms | embed p95 ms |")
    print("|" + "---|" * (head.count("|") + 3))
    for layer, pooling, cv_acc, acc, bp, per_kind, threshold in rows:
        kind_cells = " | ".join(f"{x:.3f}" for x in per_kind)
        p50, p95 = latency[layer]
        print(f"| {layer} | {pooling} | {cv_acc:.3f} | {acc:.3f} | {bp:.3f} | {kind_cells} | {threshold:.2f} | "
              f"{p50:.1f} | {p95:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
