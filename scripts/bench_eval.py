"""Benchmark evaluation throughput: batched generation against one item at a time.

Answers the same benchmark items greedily with the same settings, once through
`loco eval`'s batched path (mlx-lm batch_generate, `--batch-size` items at once) and
once item by item (batch size 1), on the embedded default base, and prints items/s
for each and their ratio, plus how many replies are identical. Like `loco eval`, it
answers with both sides: the plain base and, with --adapter, the adapter; then both sides
once more in one mixed batch (`loco eval --mixed-batch`: 2 x --batch-size rows, base and
adapter rows side by side in the MLX batched decoder), against the two batched sides in turn.

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

    from loco_mlx.evaluation.benchmarks import Benchmark, read_benchmark
    from loco_mlx.evaluation.gate import EvalSettings, answer_items, score_items
    from loco_mlx.evaluation.mixed import mixed_answers
    from loco_mlx.inference.open import EngineSettings, open_engine
    from loco_mlx.runtime import loaded_blas

    bench = read_benchmark(args.benchmark)
    subset = Benchmark(bench.path, bench.sha256, bench.items[: args.items])
    engine = open_engine(EngineSettings("default", adapter_path=args.adapter, registered=False))
    base = engine.base
    print(f"machine: {platform.platform()}; BLAS {loaded_blas()}; {base.record.id} ({base.device}, "
          f"{base.compute_mode}); adapter: {engine.adapter or 'none'}")  # fmt: skip
    print(f"{len(subset.items)} items of {bench.path.name}, greedy, up to {args.max_tokens} tokens\n")

    sides = [None] + ([engine.adapter] if engine.adapter else [])
    totals = {args.batch_size: 0.0, 1: 0.0}
    batched = {}
    print("| side | generation | seconds | items/s | accuracy | identical replies |\n|---|---|---:|---:|---:|---:|")
    for side in sides:
        engine.use_adapter(side)
        replies, seconds = {}, {}
        for batch_size in (args.batch_size, 1):
            settings = EvalSettings(max_tokens=args.max_tokens, batch_size=batch_size)
            answer_items(engine, subset.items[:batch_size], settings)  # warm-up: compile and allocate
            start = time.perf_counter()
            replies[batch_size] = answer_items(engine, subset.items, settings)
            seconds[batch_size] = time.perf_counter() - start
            totals[batch_size] += seconds[batch_size]
        batched[side] = replies[args.batch_size]
        same = sum(a == b for a, b in zip(replies[args.batch_size], replies[1]))
        for batch_size in (args.batch_size, 1):
            accuracy = sum(r.passed for r in score_items(subset.items, replies[batch_size])) / len(subset.items)
            label = f"batched ({batch_size} at a time)" if batch_size > 1 else "one at a time"
            rate = len(subset.items) / seconds[batch_size]
            print(f"| {side or 'base'} | {label} | {seconds[batch_size]:.1f} | {rate:.2f} | {accuracy:.3f} | "
                  f"{same}/{len(subset.items)} |")  # fmt: skip
        print(f"| {side or 'base'} | batched / one at a time | | {seconds[1] / seconds[args.batch_size]:.2f}x | | |")
    n = len(subset.items) * len(sides)
    print(
        f"\nall sides ({n} answers): batched {n / totals[args.batch_size]:.2f} items/s, "
        f"one at a time {n / totals[1]:.2f} items/s: {totals[1] / totals[args.batch_size]:.2f}x"
    )
    if engine.adapter:
        adapter, settings = engine.adapter, EvalSettings(max_tokens=args.max_tokens, batch_size=args.batch_size)
        mixed_answers(engine, adapter, subset.items[: args.batch_size], settings)  # warm-up
        start = time.perf_counter()
        base_replies, adapter_replies = mixed_answers(engine, adapter, subset.items, settings)
        seconds = time.perf_counter() - start
        same = sum(a.text == b.text for a, b in zip(base_replies + adapter_replies, batched[None] + batched[adapter]))
        print(f"both sides in one mixed batch ({2 * args.batch_size} rows): {seconds:.1f} s, {n / seconds:.2f} "
              f"items/s; side by side, batched: {totals[args.batch_size]:.1f} s: mixed "
              f"{totals[args.batch_size] / seconds:.2f}x; {same}/{n} replies identical")  # fmt: skip


if __name__ == "__main__":
    main()
