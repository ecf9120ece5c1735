"""What self-consistency voting adds to an adapter: greedy against `--votes N` on one benchmark.

For every item the adapter answers once greedily and once by voting over N samples at
temperature 0.7 (the `auto` vote method: a field-by-field vote when most replies hold a
JSON object, else the commonest number, else the likeliest reply). A tool adapter's samples are
programs, each run in the sandbox; a failed one has no vote. Prints the mean score (partial
credit, as `loco eval` reports it) and the share of items fully right for each, how many items
voting turned right or wrong, and the time per item. The adapter side only: the base is
`loco eval`'s job.

    python scripts/bench_votes.py --adapter adapters/math --benchmark data/math/independent.jsonl --votes 5
    python scripts/bench_votes.py --adapter adapters/json --benchmark data/json/independent.jsonl --votes 5
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)


def open_bench(description: str, vote_temperature: bool = False, read=None):
    """The arguments every voting bench takes, its benchmark's items (`read(path)`, by default a
    benchmark file's) and the engine with the adapter (shared with bench_code_votes.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--adapter", type=Path, required=True)
    parser.add_argument("--benchmark", type=Path, required=True)
    parser.add_argument("--votes", type=int, default=5)
    if vote_temperature:
        parser.add_argument("--vote-temp", type=float, default=0.7)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--items", type=int, default=0, help="the first N items only (0: all)")
    parser.add_argument("--backend", default="mlx", help="mlx | llamacpp")
    args = parser.parse_args()

    from loco_mlx.evaluation.benchmarks import read_benchmark
    from loco_mlx.inference.open import EngineSettings, open_engine

    items = read(args.benchmark) if read else read_benchmark(args.benchmark).items
    items = items[: args.items] if args.items else items
    engine = open_engine(EngineSettings(adapter_path=args.adapter, registered=False, backend=args.backend))
    return args, items, engine


def main() -> None:
    args, items, engine = open_bench(__doc__.splitlines()[0])

    from loco_mlx.evaluation.gate import EvalSettings, answer_items, score_items

    runs = {}
    for votes in (1, args.votes):
        settings = EvalSettings(max_tokens=args.max_tokens, votes=votes)
        start = time.perf_counter()
        answers = answer_items(engine, items, settings)
        seconds = time.perf_counter() - start
        runs[votes] = (score_items(items, answers), seconds)
    (greedy, g_s), (voted, v_s) = runs[1], runs[args.votes]
    fixed = sum(v.passed and not g.passed for g, v in zip(greedy, voted))
    broken = sum(g.passed and not v.passed for g, v in zip(greedy, voted))
    tool = engine.active_tool is not None
    print(f"{engine.adapter} on {args.benchmark.name}, {len(items)} items; {platform.machine()}, {engine.backend_name} "
          f"{engine.base.device} ({engine.base.compute_mode}), up to {args.max_tokens} tokens")  # fmt: skip
    print("| answers | mean score | fully right | s/item |")
    print("|---|---:|---:|---:|")
    for label, results, seconds in (
        ("greedy", greedy, g_s),
        (f"vote over {args.votes} sampled {'programs' if tool else 'replies'}", voted, v_s),
    ):
        mean = sum(r.score for r in results) / len(items)
        right = sum(r.passed for r in results) / len(items)
        print(f"| {label} | {mean:.3f} | {right:.3f} | {seconds / len(items):.1f} |")
    print(f"voting turned {fixed} items fully right and {broken} no longer right")
    if tool:
        ran = [v for v in voted if v.tool is not None]  # a request for code or JSON is answered unrun
        failed = sum(not v.tool.get("answer") for v in ran)
        print(f"programs ran on {len(ran)} items; on {failed} of them no sampled program gave an answer")


if __name__ == "__main__":
    main()
