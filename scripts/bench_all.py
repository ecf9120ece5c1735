"""Run every benchmark of the project and write the README's results table.

Each section runs its own script (or command) with --json into --out, and is skipped when its
JSON is already there (--rerun SECTION,... or --rerun all to measure again), so a long run can be
resumed and one section refreshed alone. The gate rows are read from the shipped adapters'
results.json (they come from `loco eval`, run by scripts/ship_adapters.sh). Then one table is
printed and, with --readme, written into README.md between the bench-all markers.

    python scripts/bench_all.py                     # everything: about an hour on 2 CPU cores
    python scripts/bench_all.py --quick             # shorter runs of training and serving
    python scripts/bench_all.py --only generate,router --readme
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)
from loco_mlx.demo import template_split

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = ("math", "json", "code")
SECTIONS = ("generate", "swap", "train", "router", "export", "serve")
START, END = "<!-- bench-all:start -->", "<!-- bench-all:end -->"


def commands(out: Path, quick: bool) -> dict[str, list[str]]:
    py = [sys.executable]
    adapters = [a for name in ADAPTERS for a in ("--adapter", str(ROOT / "adapters" / name))]
    return {
        "generate": py + [str(ROOT / "scripts/bench_generate.py"), "--json", str(out / "generate.json")],
        "swap": py + [str(ROOT / "scripts/bench_swap.py"), *adapters, "--json", str(out / "swap.json")],
        "train": py
        + [str(ROOT / "scripts/bench_train.py"), "--json", str(out / "train.json")]
        + (["--steps", "8", "--repeats", "1"] if quick else []),
        "router": [
            str(Path(sys.executable).with_name("loco")),
            "router",
            "eval",
            str(ROOT / "data/router/heldout.jsonl"),
            "--json",
        ],  # fmt: skip
        "export": py
        + [
            str(ROOT / "scripts/bench_export.py"),
            "--adapter",
            str(ROOT / "adapters/json"),
            "--types",
            "F32,F16,Q8_0,Q4_K_M",
            "--json",
            str(out / "export.json"),
        ],  # fmt: skip
        "serve": py
        + [str(ROOT / "scripts/bench_serve.py"), "--json", str(out / "serve.json")]
        + (["-n", "40"] if quick else []),
    }


def run_section(name: str, command: list[str], out: Path) -> float:
    """Run one section; its JSON lands in out/NAME.json (router eval prints it, so it is captured)."""
    env = {**os.environ, "LOCO_REGISTRY": str(ROOT / "adapters" / "registry.yaml")}
    print(f"== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    if name == "router":
        result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if result.returncode == 0:
            (out / "router.json").write_text(result.stdout)
    else:
        result = subprocess.run(command, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"bench_all: section {name} failed (exit {result.returncode}); the others are kept in {out}")
    return time.perf_counter() - start


def load(out: Path, name: str) -> dict | None:
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def table(out: Path) -> list[str]:
    """The README's results table from whatever sections have been measured."""
    rows: list[tuple[str, str, str]] = []
    if g := load(out, "generate"):
        for r in g["rows"]:
            label = "llama.cpp" if r["engine"] != "MLX" else f"MLX {r['mode']}"
            rows.append(("decode, SmolLM2-135M Q4_1", label, f"{r['decode_tps']:.1f} tok/s"))
    if s := load(out, "swap"):
        picked = {k: v for k, v in s["rows"]}
        for key in ("switch p50 / p95, AdapterPool", "switch p50 / p95, mlx_lm.load(adapter_path=...)",
                    "pool overhead vs fused"):  # fmt: skip
            if key in picked:
                rows.append(("adapter switching", key.replace("switch p50 / p95, ", "switch p50 / p95: "), picked[key]))
    if t := load(out, "train"):
        for r in t["results"]:
            if r["data"] == "uniform":
                rows.append(("LoRA training, fp32 base", f"{r['tool']} ({r['batching']})",
                             f"{r['tokens_per_second']:.0f} tok/s, peak {r['peak_memory_gb']:.2f} GB"))  # fmt: skip
    if r := load(out, "router"):
        kinds = ", ".join(f"{k} {v['accuracy']:.0%}" for k, v in r["per_kind"].items())
        rows.append(("router, held-out queries", f"{r['items']} queries ({kinds})", f"{r['accuracy']:.1%} accuracy"))
        lat = r["latency_ms"]
        rows.append(("router latency", "p50 / p95 per query", f"{lat['p50']:.1f} / {lat['p95']:.1f} ms"))
    for name in ADAPTERS:
        file = ROOT / "adapters" / name / "results.json"
        if file.is_file():
            g = json.loads(file.read_text())
            others = ", ".join(f"{Path(o['benchmark']).parent.name} {o['base_score']:.2f}->{o['adapter_score']:.2f}"
                               for o in g.get("out_of_domain") or [])  # fmt: skip
            rows.append((f"gate: {name}", f"{g['items']} items; others: {others}",
                         f"{g['base_score']:.3f} -> {g['adapter_score']:.3f} ({g['improvement_points']:+.1f}, "
                         f"p={g['mcnemar']['p_value']:.1g}) {g['verdict']}"))  # fmt: skip
            for tag, split in template_split(g).items():
                scores = f"{split['base']:.3f} -> {split['adapter']:.3f}"
                rows.append((f"gate: {name}", f"{split['n']} {tag} items", scores))
    if e := load(out, "export"):
        for r in e["rows"]:
            rows.append((f"export {Path(e['adapter']).name}", r["type"],
                         f"{r['size_mib']:.0f} MiB, {r['decode_tps']:.0f} tok/s; max \\|logit diff\\| "
                         f"{r['max_abs_logit_diff']:.2g}, top-1 {r['top1_agreement']:.1%}, "
                         f"greedy {r['greedy_equal']}/{r['prompts']}"
                         + (f"; llama.cpp vs itself {r['self_max_abs_logit_diff']:.2g}, {r['self_top1_agreement']:.1%}"
                            if "self_max_abs_logit_diff" in r else "")))  # fmt: skip
    if v := load(out, "serve"):
        for backend, r in v["results"].items():
            setting = f"{backend}: {r['requests']} requests, {r['concurrency']} at a time"
            result = f"{r['requests_per_s']:.2f} req/s, p50 {r['p50_s']:.1f} s, p95 {r['p95_s']:.1f} s"
            rows.append(("serve, loopback", setting, result))
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    lines = [f"`python scripts/bench_all.py` on {machine} (no GPU):", "", "| what | setting | result |",
             "|---|---|---|"]  # fmt: skip
    return lines + [f"| {a} | {b} | {c} |" for a, b, c in rows]


def write_readme(lines: list[str]) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"bench_all: README.md has no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + START + "\n" + "\n".join(lines) + "\n" + END + tail)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs/bench_all")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections to run")
    ap.add_argument("--rerun", default="", help="sections to measure again even when their JSON exists; 'all'")
    ap.add_argument("--quick", action="store_true", help="shorter training and serving runs")
    ap.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"bench_all: unknown section {unknown[0]}; sections: {', '.join(SECTIONS)}")
    rerun = set(SECTIONS) if args.rerun == "all" else {s.strip() for s in args.rerun.split(",") if s.strip()}
    plan = commands(args.out, args.quick)
    for name in wanted:
        if (args.out / f"{name}.json").is_file() and name not in rerun:
            print(f"== {name}: kept {args.out / f'{name}.json'}", file=sys.stderr)
            continue
        seconds = run_section(name, plan[name], args.out)
        print(f"== {name}: {seconds:.0f} s", file=sys.stderr)
    lines = table(args.out)
    print("\n".join(lines))
    if args.readme:
        write_readme(lines)


if __name__ == "__main__":
    main()
