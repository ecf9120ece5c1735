"""Benchmark LoRA training: `loco train` against mlx-lm's `mlx_lm lora`, same model, data and settings.

    python scripts/bench_train.py                   # the defaults below; about 25 minutes on 2 CPU cores
    python scripts/bench_train.py --compute packed --steps 6 --repeats 1 --json bench_train.json

Both tools train the same base (default: the embedded SmolLM2-135M) with the same LoRA
(rank 16, alpha 32 = scale 2, dropout 0.05, q/k/v/o of every layer), AdamW (weight decay 0)
at 2e-4 with 10% linear warmup and cosine decay, batch 4, max sequence length 512, seed 42,
for --steps optimizer steps; evaluation and checkpoints are pushed past the timed steps.
Two datasets of exactly steps x batch examples, so every run trains on each example once:
`uniform` (scripts/make_arithmetic_data.py: chat examples of 83-97 tokens) and `mixed`
(generated here: text examples of about 20 to 400 tokens). On `mixed`, loco also runs with
`group_by_length: false` (random batches) to measure length grouping. Batching: loco sorts
by length within windows of 64 batches (here: the whole set) and shuffles the batches.
mlx-lm's `iterate_batches` means to do the same, but in mlx-lm 0.32.2 its sort key,
`CacheDataset.itemlen`, is the number of keys of the raw JSON record (1 for every example:
mlx-lm issue #596), so its batches are groups of 4 in file order, shuffled; the script
checks which behaviour the installed mlx-lm has and labels the rows accordingly.

Compute: `--compute fp32` (default) runs both on fp32 weights: loco expands the 4-bit base
itself (`--compute fp32`), mlx-lm gets an fp32 copy written here with mlx-lm's own `save`
from the same expansion (`loco_mlx.bases.loading.expand_to_fp32`), so both compute the
same function. `--compute packed` gives both the packed 4-bit weights (slow on a CPU:
docs/ARCHITECTURE.md, fact 2). mlx-lm runs in a child process (`mlx_lm.lora.main()`, i.e. `python -m
mlx_lm lora` with the arguments shown) with the same system OpenBLAS preloaded that loco
loads, and with a reporting callback that writes its exact per-step timings (its console
prints rounded numbers only). Bases are read from the user's LOCO_HOME (unchanged); all
data, adapters and the fp32 copy go to a temporary directory that is removed at the end.

Throughput is measured the same way for both ("processed tokens per second"): the tokens of
a step are the token lengths of its examples (loco's `trained_tokens` increment, equal to
mlx-lm's scored-token count: its mask covers one position per example token), padding
excluded; the time of a step is the tool's own timing of it (loco: `optimizer_step`,
batch building included; mlx-lm: compiled step + eval, batch building excluded). tokens/s =
sum of tokens / sum of seconds over steps --warmup+1 .. --steps (the first steps compile).
Each configuration runs --repeats times, rounds in alternating order (ABC, CBA, ...) to
cancel drift; the table shows the mean (and the range): on a shared 2-core VM, run-to-run
noise is about 10-15%.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)
from loco_mlx import runtime

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]
BATCHING = {
    "loco-grouped": "length-grouped (sorted in windows of 64 batches, batches shuffled)",
    "loco-random": "random (group_by_length: false)",
    "mlx-lm": "sorted by length, batches shuffled (mlx-lm iterate_batches)",
    "mlx-lm-unsorted": "not sorted: groups of 4 in file order, shuffled (its length sort sees 1 per record)",
}

# The mlx-lm child: `python -m mlx_lm lora ARGS` plus a callback that records each report.
MLX_LM_CHILD = r"""
import ctypes, json, os, sys
if os.environ.get("BENCH_BLAS"):
    ctypes.CDLL(os.environ["BENCH_BLAS"], mode=ctypes.RTLD_GLOBAL)  # as loco_mlx does, before mlx
import mlx_lm.lora as lora
from mlx_lm.tuner.callbacks import TrainingCallback

class Record(TrainingCallback):
    def __init__(self, path):
        self.file = open(path, "a")
    def on_train_loss_report(self, info):
        self.file.write(json.dumps(info, default=float) + "\n")
        self.file.flush()

record = Record(sys.argv[1])
lora.get_reporting_callbacks = lambda *args, **kwargs: record
sys.argv = ["mlx_lm.lora"] + sys.argv[2:]
lora.main()
"""

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam"]
THINGS = ["apples", "stickers", "marbles", "books", "coins", "cards", "pencils", "shells"]
PLACES = ["garden", "attic", "library", "kitchen", "park", "classroom", "market", "harbour"]


def mixed_example(rng: random.Random) -> str:
    """A short sum (~20 tokens) or a running-total story of 1-12 events (~60-420 tokens)."""
    events = rng.randint(0, 12)
    if events == 0:
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        return f"Question: What is {a} + {b}?\nAnswer: {a + b}."
    name, friend, thing = rng.choice(NAMES), rng.choice(NAMES), rng.choice(THINGS)
    total = rng.randint(10, 60)
    story, work = [f"{name} starts the week with {total} {thing}."], []
    for _ in range(events):
        d = rng.randint(1, 25)
        if rng.random() < 0.5 or d >= total:
            story.append(f"Later, {name} finds {d} more {thing} in the {rng.choice(PLACES)} and keeps them.")
            work.append(f"{total} + {d} = {total + d}.")
            total += d
        else:
            story.append(f"Then {name} gives {d} {thing} to {friend}, who takes them to the {rng.choice(PLACES)}.")
            work.append(f"{total} - {d} = {total - d}.")
            total -= d
    question = " ".join(story) + f" How many {thing} does {name} have at the end?"
    return f"Question: {question}\nAnswer: {' '.join(work)} The answer is {total}."


def write_mixed_data(out: Path, train: int, valid: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = [json.dumps({"text": mixed_example(rng)}) + "\n" for _ in range(train + valid)]
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.jsonl").write_text("".join(rows[:train]))
    (out / "valid.jsonl").write_text("".join(rows[train:]))


def token_lengths(path: Path, tokenizer) -> list[int]:
    """Token lengths as both tools encode the examples (chat template / text + EOS)."""
    lengths = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "messages" in row:
            lengths.append(len(tokenizer.apply_chat_template(row["messages"], tokenize=True)))
        else:
            ids = tokenizer.encode(row["text"])
            lengths.append(len(ids) + (ids[-1] != tokenizer.eos_token_id))
    return lengths


def mlx_lm_sorts_by_length() -> bool:
    """Whether mlx-lm's trainer really sorts a CacheDataset by token length (0.32.2: no, issue #596)."""
    from mlx_lm.tuner.datasets import CacheDataset

    class Probe(list):
        def process(self, record):
            return record["ids"], 0

    probe = CacheDataset(Probe([{"ids": [1]}, {"ids": [1, 2, 3]}]))
    return probe.itemlen(0) != probe.itemlen(1)


def write_fp32_copy(model_dir: str, out: Path) -> None:
    """The base expanded to fp32 exactly as loco expands it, saved with mlx-lm's `save`."""
    from mlx_lm.utils import load, save

    from loco_mlx.bases.loading import expand_to_fp32

    model, tokenizer, config = load(model_dir, return_config=True)
    expand_to_fp32(model)
    config.pop("quantization", None)
    config.pop("quantization_config", None)
    save(out, model_dir, model, tokenizer, config)


def run_logged(cmd: list[str], log: Path, env: dict | None = None) -> str:
    with open(log, "w") as fh:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=fh, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(cmd)}\n{log.read_text()[-3000:]}\n{result.stdout[-2000:]}")
    return result.stdout


def run_loco(args, data: Path, work: Path, label: str, group_by_length: bool) -> list[dict]:
    """`loco train --json`; returns per-step {seconds, tokens, peak_gb}."""
    config = {
        "epochs": 1000,  # --max-steps decides
        "group_by_length": group_by_length,
        "eval_every": 10**9,  # loco still evaluates at step 0 and at the end, outside the timed steps
        "save_every": 10**9,
        "lora": {"rank": args.rank, "alpha": args.alpha, "dropout": args.dropout, "keys": KEYS, "num_layers": -1},
        "optim": {
            "learning_rate": args.learning_rate,
            "warmup_fraction": 0.1,
            "schedule": "cosine",
            "weight_decay": 0.0,
            "max_grad_norm": 1.0,
        },  # fmt: skip
    }
    cfg = work / f"{label}.yaml"
    cfg.write_text(json.dumps(config, indent=2))  # JSON is YAML
    cmd = [sys.executable, "-m", "loco_mlx", "train", str(cfg), "--data", str(data), "--out", str(work / label),
           "--base", args.base, "--compute", args.compute, "--max-steps", str(args.steps),
           "--batch-size", str(args.batch_size), "--max-seq-length", str(args.max_seq_length),
           "--seed", str(args.seed), "--json"]  # fmt: skip
    print("  $ loco", " ".join(cmd[3:]), flush=True)
    lines = [json.loads(s) for s in run_logged(cmd, work / f"{label}.log").splitlines() if s.startswith("{")]
    steps, before = [], 0
    for rec in (r for r in lines if r.get("event") == "step"):
        tokens = rec["trained_tokens"] - before  # sum of the batch's example lengths
        before = rec["trained_tokens"]
        steps.append({"seconds": tokens / rec["tokens_per_second"], "tokens": tokens, "peak_gb": rec["peak_memory_gb"]})
    return steps


def run_mlx_lm(args, data: Path, model_dir: str, work: Path, label: str) -> list[dict]:
    """mlx-lm's LoRA trainer with --steps-per-report 1; returns per-step {seconds, tokens, peak_gb}."""
    warmup = int(0.1 * args.steps)
    config = {
        "num_layers": -1,
        "lora_parameters": {"rank": args.rank, "scale": args.alpha / args.rank, "dropout": args.dropout, "keys": KEYS},
        "optimizer": "adamw",
        "optimizer_config": {"adamw": {"weight_decay": 0.0}},
        "lr_schedule": {
            "name": "cosine_decay",
            "arguments": [args.learning_rate, max(args.steps - warmup, 1), 0.0],
            "warmup": warmup,
        },  # fmt: skip
    }
    cfg, record = work / f"{label}.yaml", work / f"{label}.jsonl"
    cfg.write_text(json.dumps(config, indent=2))
    lora_args = ["--model", model_dir, "--train", "--data", str(data), "--iters", str(args.steps),
                 "--batch-size", str(args.batch_size), "--max-seq-length", str(args.max_seq_length),
                 "--adapter-path", str(work / label), "--steps-per-report", "1", "--steps-per-eval", str(10**9),
                 "--val-batches", "1", "--save-every", str(10**9), "--learning-rate", str(args.learning_rate),
                 "--seed", str(args.seed), "-c", str(cfg)]  # fmt: skip
    print("  $ python -m mlx_lm lora", " ".join(lora_args), flush=True)
    env = {**os.environ, "BENCH_BLAS": runtime.loaded_blas() or ""}
    run_logged([sys.executable, "-c", MLX_LM_CHILD, str(record)] + lora_args, work / f"{label}.log", env)
    steps = []
    for rec in map(json.loads, record.read_text().splitlines()):
        seconds = 1.0 / rec["iterations_per_second"]  # one step per report: 1 / that step's train time
        steps.append({"seconds": seconds, "tokens": round(rec["tokens_per_second"] * seconds),
                      "peak_gb": rec["peak_memory"]})  # fmt: skip
    return steps


def summarize(steps: list[dict], warmup: int) -> dict:
    timed = steps[warmup:]
    everything = sum(s["tokens"] for s in steps) / sum(s["seconds"] for s in steps)
    tokens, seconds = sum(s["tokens"] for s in timed), sum(s["seconds"] for s in timed)
    return {
        "tokens_per_second": tokens / seconds,
        "all_steps_tokens_per_second": everything,
        "peak_memory_gb": max(s["peak_gb"] for s in steps),
        "timed_steps": len(timed),
        "timed_tokens": tokens,
        "timed_seconds": round(seconds, 3),
        "step_seconds": [round(s["seconds"], 3) for s in steps],
        "step_tokens": [s["tokens"] for s in steps],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="default", help="a loco base spec (default: the embedded SmolLM2-135M)")
    parser.add_argument("--compute", choices=["fp32", "packed"], default="fp32")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="first steps left out of the timing (compile)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each configuration, in alternating order")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32.0)
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--max-seq-length", type=int, default=512)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default="uniform,mixed", help="comma-separated: uniform, mixed")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.warmup >= args.steps:
        parser.error("--warmup must be smaller than --steps")
    start = time.perf_counter()

    from mlx_lm.utils import load_tokenizer

    from loco_mlx.bases.resolve import resolve_base

    record = resolve_base(args.base)
    versions = {d: metadata.version(d) for d in ("loco-mlx", "mlx", "mlx-lm")}
    machine = (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
               f"{runtime.total_memory_bytes() / 2**30:.0f} GiB, {runtime.device_name()}, "
               f"BLAS {runtime.loaded_blas() or 'MLX reference'}")  # fmt: skip
    print(f"machine: {machine}")
    print(f"versions: python {platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"base: {record.id} ({record.model_dir}), compute {args.compute}; LOCO_HOME as set "
          f"({os.environ.get('LOCO_HOME', '~/.loco_mlx')})")  # fmt: skip
    print(f"settings: {args.steps} steps ({args.warmup} warm-up steps untimed), {args.repeats} round(s), "
          f"batch {args.batch_size}, rank {args.rank}, alpha {args.alpha:g} (scale {args.alpha / args.rank:g}), "
          f"dropout {args.dropout}, keys q/k/v/o, all layers, AdamW lr {args.learning_rate:g} cosine (10% warmup), "
          f"max seq {args.max_seq_length}, seed {args.seed}")  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="bench_train_"))
    examples = args.steps * args.batch_size
    runs = []  # (data, tool, batching)
    mlx_lm_batching = "mlx-lm" if mlx_lm_sorts_by_length() else "mlx-lm-unsorted"
    try:
        tokenizer = load_tokenizer(Path(record.model_dir))
        datasets = {}
        for name in args.data.split(","):
            path = work / name
            if name == "uniform":
                make = [sys.executable, str(ROOT / "scripts" / "make_arithmetic_data.py"), "--out", str(path)]
                subprocess.run(make + ["--train", str(examples), "--valid", "8"], check=True, capture_output=True)
            elif name == "mixed":
                write_mixed_data(path, train=examples, valid=8, seed=7)
            else:
                parser.error(f"unknown dataset {name}")
            lengths = sorted(token_lengths(path / "train.jsonl", tokenizer))
            datasets[name] = (path, sum(lengths))
            print(f"data {name}: {len(lengths)} train examples, {sum(lengths)} tokens, per example min "
                  f"{lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}")  # fmt: skip
            runs += [(name, "loco", "loco-grouped"), (name, "mlx-lm", mlx_lm_batching)]
            runs += [(name, "loco", "loco-random")] if name == "mixed" else []
        if args.compute == "fp32":
            write_fp32_copy(record.model_dir, work / "base-fp32")
        mlx_model = str(work / "base-fp32") if args.compute == "fp32" else record.model_dir

        summaries = {run: [] for run in runs}
        for round_ in range(args.repeats):
            for name, tool, batching in runs if round_ % 2 == 0 else runs[::-1]:
                path, total = datasets[name]
                label = f"{batching}-{name}-{round_}"
                print(f"{tool} on {name}, {BATCHING[batching]} (round {round_ + 1}):", flush=True)
                if tool == "loco":
                    steps = run_loco(args, path, work, label, group_by_length=batching != "loco-random")
                else:
                    steps = run_mlx_lm(args, path, mlx_model, work, label)
                summary = summarize(steps, args.warmup)
                once = "each example once" if sum(s["tokens"] for s in steps) == total else "NOT each example once"
                print(f"  {summary['tokens_per_second']:.1f} tokens/s ({summary['timed_tokens']} tokens in "
                      f"{summary['timed_seconds']:.1f} s over {summary['timed_steps']} steps; all {len(steps)} "
                      f"steps, {once}: {summary['all_steps_tokens_per_second']:.1f}), peak "
                      f"{summary['peak_memory_gb']:.2f} GB", flush=True)  # fmt: skip
                summaries[(name, tool, batching)].append(summary)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results = {}
    for (name, tool, batching), runs_ in summaries.items():
        speeds = [r["tokens_per_second"] for r in runs_]
        results[(name, batching)] = {
            "tool": tool, "data": name, "batching": batching, "tokens_per_second": sum(speeds) / len(speeds),
            "tokens_per_second_range": [min(speeds), max(speeds)],
            "peak_memory_gb": max(r["peak_memory_gb"] for r in runs_), "runs": runs_,
        }  # fmt: skip
    print("\n| tool | data | batching | tokens/s | peak memory | ratio |")
    print("|---|---|---|---:|---:|---|")
    for r in results.values():
        ref = results[(r["data"], mlx_lm_batching)]
        speed, memory = r["tokens_per_second"] / ref["tokens_per_second"], r["peak_memory_gb"] / ref["peak_memory_gb"]
        r["ratio_tokens_per_second"], r["ratio_peak_memory"] = round(speed, 3), round(memory, 3)
        ratio = "1.00x (reference)" if r is ref else f"{speed:.2f}x tok/s, {memory:.2f}x memory"
        low, high = r["tokens_per_second_range"]
        spread = f" ({low:.0f}-{high:.0f})" if args.repeats > 1 else ""
        print(f"| {r['tool']} | {r['data']} | {BATCHING[r['batching']]} | {r['tokens_per_second']:.1f}{spread} | "
              f"{r['peak_memory_gb']:.2f} GB | {ratio} |")  # fmt: skip
    grouped, random_ = results.get(("mixed", "loco-grouped")), results.get(("mixed", "loco-random"))
    speedup = grouped["tokens_per_second"] / random_["tokens_per_second"] if grouped and random_ else None
    if speedup:
        print(f"\nlength grouping (loco, mixed data): {speedup:.2f}x the tokens/s of random batches")
    print(f"\ntokens/s = example tokens (padding excluded) of steps {args.warmup + 1}-{args.steps} / the tools' own "
          f"timing of those steps, mean of {args.repeats} run(s) (range); ratio = loco / mlx-lm on the same data "
          "(tokens/s, peak memory); peak memory = mx.get_peak_memory() of the training process.")  # fmt: skip
    wall = time.perf_counter() - start
    print(f"wall time: {wall:.0f} s")
    if args.json:
        out = {"machine": machine, "versions": versions, "base": record.id, "compute": args.compute,
               "settings": {k: v for k, v in vars(args).items() if k != "json"}, "results": list(results.values()),
               "length_grouping_speedup": speedup, "wall_seconds": round(wall, 1)}  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
