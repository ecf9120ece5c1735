"""What the JSON guide does for a model: each --json-guide mode on a sample of written JSON requests.

The requests are `data/json-written/written.jsonl` (written apart from our generator, and never in
the shipped json adapter's training data), a seeded sample of `--items` of them; the scorer is
`json_fields` with its defaults, as `loco eval` scores the json benchmarks. This set, not the
independent benchmark, is where the guide's settings were chosen. Prints a table: mean score, share
fully right, share that parses as JSON, seconds per item.

    python scripts/bench_json_guide.py --adapter adapters/json --backend llamacpp
    python scripts/bench_json_guide.py --adapter none --backend llamacpp      # the plain base

`--dump PATH` writes each item's request, reply, expected answer and score as JSON lines (one file per
mode: PATH with the mode before its suffix), so two runs can be compared item by item.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

ROOT = Path(__file__).resolve().parents[1]


def parses(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def write_dump(path: Path, items: list[dict]) -> None:
    from loco_mlx.files import write_atomic

    write_atomic(path, "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", default="adapters/json", help="an adapter directory, or none for the base")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--modes", default="off,keys,copy")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--backend", default="mlx", help="mlx | llamacpp")
    parser.add_argument("--no-reread", action="store_true", help="ask each request once (RE2 off)")
    parser.add_argument("--dump", type=Path, help="write each item's reply and score here (JSON lines, per mode)")
    args = parser.parse_args()

    from loco_mlx.evaluation.scorers.json_fields import DEFAULTS, score
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.engine import InferenceConfig
    from loco_mlx.inference.open import EngineSettings, open_engine

    rows = [json.loads(line) for line in (ROOT / "data/json-written/written.jsonl").read_text().splitlines()]
    rows = random.Random(args.seed).sample(rows, min(args.items, len(rows)))
    adapter = None if args.adapter == "none" else Path(args.adapter)
    engine = open_engine(EngineSettings(backend=args.backend, adapter_path=adapter, registered=False))
    engine.use_adapter(adapter.name if adapter else None)
    sampling = SamplingConfig(max_tokens=args.max_tokens, temperature=0)
    conversations = [[{"role": "user", "content": row["request"]}] for row in rows]

    print(f"{args.adapter} on {len(rows)} written JSON requests; {engine.backend_name}, {platform.machine()}, "
          f"{platform.system()}")  # fmt: skip
    print("| --json-guide | mean score | fully right | parses | s/item |")
    print("|---|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        start = time.perf_counter()
        inference = InferenceConfig(json_guide=mode, reread=not args.no_reread)
        answers = engine.answer_batch(conversations, sampling, inference, batch_size=8)
        seconds = (time.perf_counter() - start) / len(rows)
        scores = [score(a.text, row["json"], dict(DEFAULTS)) for a, row in zip(answers, rows)]
        mean = sum(s.value for s in scores) / len(rows)
        right = sum(s.passed for s in scores) / len(rows)
        parsed = sum(parses(a.text) for a in answers) / len(rows)
        print(f"| {mode} | {mean:.3f} | {right:.3f} | {parsed:.2f} | {seconds:.2f} |", flush=True)
        if args.dump:
            items = [{"request": row["request"], "reply": a.text, "expected": row["json"], "score": s.value}
                     for row, a, s in zip(rows, answers, scores)]  # fmt: skip
            write_dump(args.dump.with_name(f"{args.dump.stem}.{mode}{args.dump.suffix}"), items)
    engine.close()


if __name__ == "__main__":
    main()
