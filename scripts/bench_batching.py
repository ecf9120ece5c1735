"""Batched decoding with a per-row adapter: grouped against gathered LoRA, beside one request at a time.

Runs the same greedy requests (rows over base, math, json, code) three ways on the embedded base:
one after another through the existing engine path, then batched with each per-row strategy; and,
for the cost of the adapters themselves, the same batch with every row on the plain base. Prints a
table of tokens, seconds and tokens per second (best of --repeat), and whether the batched replies
equal the one-at-a-time ones.

    python scripts/bench_batching.py [--rows 8] [--max-tokens 32] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from loco_mlx.bases.loading import load_base
from loco_mlx.bases.resolve import resolve_base
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.batching import BatchRequest, BatchSettings
from loco_mlx.inference.engine import Engine, build_messages
from loco_mlx.inference.mlx_backend import MLXBackend
from loco_mlx.inference.row_lora import STRATEGIES

ADAPTERS = Path(__file__).resolve().parents[1] / "adapters"
MIX = [None, "math", "json", "code"]
QUESTIONS = [
    "What is 12 times 7?",
    "A farmer has 3 pigs and buys 5 more. How many pigs now?",
    "Extract the name and age as JSON: Bob is 31 years old.",
    "Write a python function that reverses a string.",
    "Explain what a prime number is.",
    "Tom reads 15 pages a day for 6 days. How many pages?",
    "Extract city and country as JSON: Paris is in France.",
    "Write a python function that sums a list of numbers.",
]


def open_engine() -> Engine:
    engine = Engine(MLXBackend(load_base(resolve_base("default"))), {n: ADAPTERS / n for n in MIX if n})
    for name in MIX[1:]:
        engine.backend.adapters.load(name, ADAPTERS / name)
    return engine


def best_of(repeat: int, run) -> tuple[float, list[list[int]]]:
    best, replies = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        replies = run()
        best = min(best, time.perf_counter() - start)
    return best, replies


def one_at_a_time(engine: Engine, jobs, max_tokens: int) -> list[list[int]]:
    replies = []
    for prompt, adapter in jobs:
        engine.use_adapter(adapter)
        replies.append(engine.greedy_tokens(prompt, max_tokens))
    engine.use_adapter(None)
    return replies


def batched(engine: Engine, jobs, max_tokens: int, strategy: str) -> list[list[int]]:
    decoder = engine.backend.batch_decoder(BatchSettings(max_batch=len(jobs), strategy=strategy))
    sampling = SamplingConfig(max_tokens=max_tokens, temperature=0)
    handles = [decoder.submit(BatchRequest(prompt, adapter, sampling)) for prompt, adapter in jobs]
    decoder.run_until_idle()
    return [h.tokens for h in handles]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    engine = open_engine()
    prompts = [engine.encode_chat(build_messages(QUESTIONS[i % len(QUESTIONS)])) for i in range(args.rows)]
    mixed = [(p, MIX[i % len(MIX)]) for i, p in enumerate(prompts)]
    plain = [(p, None) for p in prompts]

    seconds, reference = best_of(args.repeat, lambda: one_at_a_time(engine, mixed, args.max_tokens))
    rows = [("one at a time (engine path)", "mixed", seconds, reference, reference)]
    for strategy in STRATEGIES:
        seconds, got = best_of(args.repeat, lambda s=strategy: batched(engine, mixed, args.max_tokens, s))
        rows.append((f"batched, {strategy}", "mixed", seconds, got, reference))
    plain_reference = one_at_a_time(engine, plain, args.max_tokens)
    seconds, got = best_of(args.repeat, lambda: batched(engine, plain, args.max_tokens, "grouped"))
    rows.append(("batched, no adapters", "base", seconds, got, plain_reference))

    print(f"{args.rows} rows, greedy, max_tokens {args.max_tokens}, best of {args.repeat}")
    print(f"{'how':<30} {'adapters':<8} {'tokens':>7} {'seconds':>8} {'tok/s':>7} {'same as alone':>14}")
    for how, adapters, seconds, got, expected in rows:
        tokens = sum(len(r) for r in got)
        same = sum(a == b for a, b in zip(got, expected))
        print(f"{how:<30} {adapters:<8} {tokens:>7} {seconds:>8.2f} {tokens / seconds:>7.1f} {same:>9}/{len(got)}")


if __name__ == "__main__":
    main()
