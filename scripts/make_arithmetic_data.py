"""Write a small synthetic dataset of two-step arithmetic word problems.

Used by the embedded-default recipe (configs/smollm2-135m/qlora.yaml) and the
tests: a narrow task with a fixed answer format, where a LoRA on a 135M model
gives a large, checkable gain (docs/ARCHITECTURE.md, fact 9). Deterministic for a seed.

    python scripts/make_arithmetic_data.py --out data/arithmetic --train 240 --valid 40 --benchmark 60 --seed 7

`--benchmark N` also writes `benchmark.jsonl` (loco eval's format: id, input, expected,
scorer "numeric", difficulty by template) from questions not in train or valid.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Iris",
    "Jonas",
    "Kemi",
    "Liam",
    "Mina",
    "Noah",
]
THINGS = ["apples", "stickers", "marbles", "books", "coins", "cards", "pencils", "shells", "stamps", "cookies"]


DIFFICULTY = {0: "easy", 1: "medium", 2: "hard"}


def problem(rng: random.Random) -> tuple[str, str, int, int]:
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(5, 60), rng.randint(2, 40)
    kind = rng.randrange(3)
    if kind == 0:
        c = rng.randint(1, a + b - 1)
        q = (
            f"{name} has {a} {thing}. {name} gets {b} more and then gives away {c}. "
            f"How many {thing} does {name} have now?"
        )
        s, r = a + b, a + b - c
        work = f"{a} + {b} = {s}. {s} - {c} = {r}."
    elif kind == 1:
        n = rng.randint(2, 9)
        q = (
            f"{name} buys {n} boxes with {b} {thing} in each box and already had {a}. "
            f"How many {thing} are there in total?"
        )
        s, r = n * b, n * b + a
        work = f"{n} x {b} = {s}. {s} + {a} = {r}."
    else:
        n = rng.randint(2, 6)
        total = n * rng.randint(3, 20)
        c = rng.randint(1, total // n - 1)
        q = (
            f"{name} shares {total} {thing} equally among {n} friends. Each friend then loses {c}. "
            f"How many {thing} does each friend have left?"
        )
        s, r = total // n, total // n - c
        work = f"{total} / {n} = {s}. {s} - {c} = {r}."
    return q, f"{work} The answer is {r}.", r, kind


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/arithmetic"))
    parser.add_argument("--train", type=int, default=240)
    parser.add_argument("--valid", type=int, default=40)
    parser.add_argument("--benchmark", type=int, default=0, help="also write this many benchmark items")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seen, rows, items = set(), [], []
    while len(rows) + len(items) < args.train + args.valid + args.benchmark:
        q, a, answer, kind = problem(rng)
        if q in seen:  # no duplicates, and so no overlap between the splits
            continue
        seen.add(q)
        if len(rows) < args.train + args.valid:
            rows.append({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
        else:
            items.append({"id": f"arith-{len(items):03d}", "input": q, "expected": answer, "scorer": "numeric",
                          "difficulty": DIFFICULTY[kind], "tags": ["arithmetic"]})  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out / "train.jsonl", rows[: args.train])
    write(args.out / "valid.jsonl", rows[args.train :])
    if items:
        write(args.out / "benchmark.jsonl", items)
    print(f"wrote {args.train} train, {args.valid} valid and {len(items)} benchmark items to {args.out}")


if __name__ == "__main__":
    main()
