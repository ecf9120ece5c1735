"""Benchmark evaluation throughput: batched generation against one item at a time.

Answers the same benchmark items greedily with the same settings, once through
`loco eval`'s batched path (mlx-lm batch_generate, `--batch-size` items at once) and
once item by item (batch size 1), on the embedded default base, and prints items/s
for each and their ratio, plus how many replies are identical.

    python scripts/bench_eval.py                                  # 32 arithmetic items, batch 8
    python scripts/bench_eval.py --benchmark data/arithmetic/benchmark.jsonl --items 32 --batch-size 8 \\
        --adapter runs/arithmetic --max-tokens 64
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", type=Path, default=REPO / "data/arithmetic/benchmark.jsonl")
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--adapter", type=Path, help="an adapter directory to evaluate with (default: the base)")
    args = parser.parse_args()

    from loco_mlx.benchmarks import Benchmark, read_benchmark
    from loco_mlx.engine import load_engine
    from loco_mlx.evaluate import EvalSettings, answer_items, score_items
    from loco_mlx.runtime import loaded_blas

    bench = read_benchmark(args.benchmark)
    subset = Benchmark(bench.path, bench.sha256, bench.items[: args.items])
    engine = load_engine("default", adapter_path=str(args.adapter) if args.adapter else None)
    loaded = engine.backend.loaded
    print(f"machine: {platform.platform()}; BLAS {loaded_blas()}; {loaded.record.id} ({loaded.device}, "
          f"{loaded.compute.mode}); adapter: {engine.adapter or 'none'}")  # fmt: skip
    print(f"{len(subset.items)} items of {bench.path.name}, greedy, up to {args.max_tokens} tokens\n")

    rows, replies = [], {}
    for batch_size in (args.batch_size, 1):
        settings = EvalSettings(max_tokens=args.max_tokens, batch_size=batch_size)
        answer_items(engine, subset.items[:batch_size], settings)  # warm-up: compile and allocate
        start = time.perf_counter()
        replies[batch_size] = answer_items(engine, subset.items, settings)
        seconds = time.perf_counter() - start
        accuracy = sum(r.passed for r in score_items(subset.items, replies[batch_size])) / len(subset.items)
        rows.append((batch_size, seconds, len(subset.items) / seconds, accuracy))
    same = sum(a == b for a, b in zip(replies[args.batch_size], replies[1]))

    print("| generation | seconds | items/s | accuracy |\n|---|---:|---:|---:|")
    for batch_size, seconds, rate, accuracy in rows:
        label = f"batched ({batch_size} at a time)" if batch_size > 1 else "one at a time"
        print(f"| {label} | {seconds:.1f} | {rate:.2f} | {accuracy:.3f} |")
    print(f"\nbatched / one at a time: {rows[0][2] / rows[1][2]:.2f}x; identical replies: {same}/{len(subset.items)}")


if __name__ == "__main__":
    main()
