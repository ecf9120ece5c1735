"""Load-test `loco serve` on loopback, per backend: requests/s, latency p50/p95, tokens/s, errors.

For each backend the real server runs in a subprocess (`loco serve --backend B --port 0`) with a
temporary registry holding the given adapters (SHIP-gated and promoted there only). One warm-up
request per model loads the adapters; then N chat requests, greedy with short replies, mixed
over the base and the adapters, are sent C at a time with the official openai client.

MLX runs three times: `--batching off` (one request at a time, the reference), `--batching on`
(continuous batching, a different adapter per row), and batching without its prefix cache
(`--prefix-cache-mb 0`), to show what each part gives; with batching on, the same N requests
are also sent all to one adapter, to price mixing adapters in a batch. Every message starts with
its request number, so the prefix cache can reuse only the chat template's system turn. Each server also answers a few
requests one after another, alone: what a single request costs.

    python scripts/bench_serve.py                               # mlx and llamacpp, 200 requests, 8 at a time
    python scripts/bench_serve.py --backends mlx -n 50 -c 4 --json serve.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

REPO = Path(__file__).resolve().parents[1]
PROMPTS = (
    "What is 12 + 7? Answer briefly.",
    "Give me a JSON object with a name and an age.",
    "Write a Python function that adds two numbers.",
    "Name three colors.",
)


def prompt(i: int) -> str:
    """Request i's message, numbered first: no two alike, and what they share is what every chat shares (the
    chat template's system turn), so a server's prefix cache is measured as real traffic would find it."""
    return f"#{i}: {PROMPTS[i % len(PROMPTS)]}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def register(registry_path: Path, adapters: list[Path]) -> list[str]:
    from loco_mlx.adapters.registry import GateSummary, Registry
    from loco_mlx.bases.resolve import resolve_base

    resolve_base("default")  # imported first if new: the adapters are bound to it
    registry, names = Registry(registry_path), []
    for directory in adapters:
        entry = registry.add(directory, name=directory.resolve().name)
        registry.set_gate(entry.name, GateSummary(1.0, 0.0, "bench", "SHIP"))
        registry.promote(entry.name)
        names.append(entry.name)
    return names


# each server run: its `loco serve` options
RUNS = {
    "off": ["--batching", "off"],
    "on": ["--batching", "on"],
    "on, no prefix cache": ["--batching", "on", "--prefix-cache-mb", "0"],
}


def start_server(backend: str, env: dict, log: Path, batching: str) -> tuple[subprocess.Popen, str]:
    """`loco serve` on a free loopback port; returns the process and its /v1 URL once it answers."""
    command = [sys.executable, "-m", "loco_mlx", "serve", "--backend", backend, "--port", "0", *RUNS[batching]]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    url: list[str] = []

    def read() -> None:  # the first stdout line names the address; keep draining after it
        for line in process.stdout:
            if line.startswith("loco serve: ") and not url:
                url.append(line.split()[2])

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + 600
    while not url:
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise SystemExit(f"the {backend} server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process, url[0]


def run_load(url: str, models: list[str], requests: int, concurrency: int, max_tokens: int) -> dict:
    from openai import OpenAI

    client = OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=600)

    def ask(i: int) -> tuple[float, int, str | None]:
        start = time.perf_counter()
        try:
            reply = client.chat.completions.create(
                model=models[i % len(models)], messages=[{"role": "user", "content": prompt(i)}],
                max_tokens=max_tokens, temperature=0,
            )  # fmt: skip
            return time.perf_counter() - start, reply.usage.completion_tokens, None
        except Exception as exc:  # noqa: BLE001 - counted and reported, not fatal
            return time.perf_counter() - start, 0, f"{type(exc).__name__}: {exc}"

    for i in range(len(models)):  # warm-up: every adapter loaded (llama.cpp: converted once) before timing
        ask(i)
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(ask, range(requests)))
    wall = time.perf_counter() - start
    latencies = [r[0] for r in results if r[2] is None]
    errors = [r[2] for r in results if r[2] is not None]
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": wall,
        "requests_per_s": len(latencies) / wall,
        "p50_s": percentile(latencies, 0.5),
        "p95_s": percentile(latencies, 0.95),
        "tokens_per_s": sum(r[1] for r in results) / wall,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def runs_of(backend: str) -> list[str]:
    """The runs to measure: MLX all (off is the reference), llama.cpp one at a time only."""
    return list(RUNS) if backend == "mlx" else ["off"]


def serve_and_load(backend: str, batching: str, env: dict, tmp: Path, models: list[str], args) -> dict[str, dict]:
    """The rows of one server: the mixed load, its single-request latency and (batched) the one-adapter load."""
    log = tmp / f"serve-{backend}-{batching.replace(' ', '').replace(',', '-')}.log"
    print(f"{backend} --batching {batching}: starting the server ...", file=sys.stderr, flush=True)
    process, url = start_server(backend, env, log, batching)
    rows = {}
    try:
        mixed = run_load(url, models, args.requests, args.concurrency, args.max_tokens)
        mixed["single_p50_s"] = run_load(url, models, args.single, 1, args.max_tokens)["p50_s"]
        rows["mixed"] = mixed
        if batching == "on":  # the same requests, every one on one adapter: what mixing adapters costs
            rows["same adapter"] = run_load(url, [models[-1]], args.requests, args.concurrency, args.max_tokens)
    finally:
        process.terminate()
        process.wait(30)
    for name, r in rows.items():
        print(f"{backend} {batching} {name}: {r['requests_per_s']:.2f} req/s, {r['errors']} errors", file=sys.stderr)
    return rows


def print_table(results: dict, machine: str, models: list[str], args) -> None:
    print(f"\n`loco serve` on {machine} (shared with other jobs: timings are noisy): {args.requests} requests, "
          f"{args.concurrency} concurrent, greedy, max_tokens {args.max_tokens}\n")  # fmt: skip
    print("| backend | batching | models | requests/s | p50 latency (s) | p95 latency (s) | tokens/s | errors | "
          "single request p50 (s) |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for (backend, batching, load), r in results.items():
        spread = ", ".join(models) if load == "mixed" else f"all {models[-1]}"
        single = f"{r['single_p50_s']:.2f}" if "single_p50_s" in r else ""
        timing = f"{r['requests_per_s']:.2f} | {r['p50_s']:.2f} | {r['p95_s']:.2f} | {r['tokens_per_s']:.1f}"
        print(f"| {backend} | {batching} | {spread} | {timing} | {r['errors']} | {single} |")
    off, on, same, unprefixed = (
        results.get(("mlx", b, load))
        for b, load in (("off", "mixed"), ("on", "mixed"), ("on", "same adapter"), ("on, no prefix cache", "mixed"))
    )
    if off and unprefixed:
        print(f"\nbatched without the prefix cache / one at a time: "
              f"{unprefixed['requests_per_s'] / off['requests_per_s']:.2f}x requests/s")  # fmt: skip
    if off and on and same:
        print(f"\nbatched / one at a time: {on['requests_per_s'] / off['requests_per_s']:.2f}x requests/s "
              "(target >= 2.5x); "
              f"mixed / same adapter: {on['requests_per_s'] / same['requests_per_s']:.2f}x (target >= 0.85x); "
              f"single request, batched / one at a time: {on['single_p50_s'] / off['single_p50_s']:.2f}x "
              "(target <= 1.05x)")  # fmt: skip
    for key, r in results.items():
        if r["first_error"]:
            print(f"\n{' '.join(key)} first error: {r['first_error']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="mlx,llamacpp", help="comma-separated: mlx, llamacpp, auto")
    ap.add_argument("-n", "--requests", type=int, default=200)
    ap.add_argument("-c", "--concurrency", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--single", type=int, default=10, help="requests sent one after another, alone")
    ap.add_argument("--adapter", action="append", type=Path, help="adapter directory (repeatable)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    adapters = args.adapter or [REPO / "adapters" / name for name in ("math", "json", "code")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        registry_path = Path(tmp) / "registry" / "registry.yaml"
        env = {**os.environ, "LOCO_REGISTRY": str(registry_path)}
        os.environ["LOCO_REGISTRY"] = str(registry_path)
        models = ["base", *register(registry_path, adapters)]
        for backend in args.backends.split(","):
            for batching in runs_of(backend):
                for load, row in serve_and_load(backend, batching, env, Path(tmp), models, args).items():
                    results[backend, batching, load] = row
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    print_table(results, machine, models, args)
    if args.json:
        rows = [{"backend": b, "batching": m, "load": load, **r} for (b, m, load), r in results.items()]
        args.json.write_text(json.dumps({"machine": machine, "models": models, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
