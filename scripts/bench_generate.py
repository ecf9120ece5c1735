"""Benchmark MLX (loco_mlx) against llama.cpp on one GGUF: prefill and decode tok/s.

Both engines get the same GGUF and the same prompt token ids (from the imported
tokenizer) and decode greedily for the same number of tokens. MLX runs mlx-lm's
`generate_step` (the loop behind `loco generate`) in each compute mode the device
offers (CPU: `packed` 4-bit kernels and `fp32` expanded weights; Metal/CUDA:
packed). llama.cpp runs through llama-cpp-python's `Llama.eval`, prefill and
decode timed separately. Decode is compared with a memory-bandwidth ceiling:
measured copy bandwidth / weight bytes read per token.

    python scripts/bench_generate.py                       # embedded SmolLM2 Q4_1
    python scripts/bench_generate.py --gguf model.gguf --prompt-tokens 128 \
        --decode-tokens 64 --repeats 3 --json bench.json

One warm-up run per engine and mode; the table shows medians over --repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)
from loco_mlx import runtime

FILLER = (
    "The old lighthouse keeper climbed the spiral stairs each evening, counting the steps "
    "as his father had done before him. Below, the harbour filled with fishing boats, their "
    "lamps swaying on the dark water while gulls argued over the last scraps of the day's "
    "catch. In the village school, children learned that light travels at nearly three "
    "hundred thousand kilometres per second, that the moon pulls the tides, and that a "
    "careful sailor always checks the weather before leaving port. "
)


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        if sys.platform == "darwin":
            cpu = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True
            ).stdout.strip()
        else:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for dist in ("mlx", "mlx-lm", "llama-cpp-python", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(runtime.total_memory_bytes() / 2**30, 1),
        "python": platform.python_version(),
        "versions": versions,
        "blas": runtime.loaded_blas() or "MLX's bundled reference BLAS",
        "device": runtime.device_name(),
        "fp32_matmul_gflops": round(runtime.matmul_gflops(), 1),
    }


def copy_bandwidth_gbs(mib: int = 512, repeats: int = 5) -> float:
    """Memory copy bandwidth with numpy, counted as bytes read + bytes written per second."""
    import numpy as np

    src = np.ones(mib * 2**20 // 4, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page first
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        times.append(time.perf_counter() - t)
    return round(2 * src.nbytes / statistics.median(times) / 1e9, 2)


def mlx_weight_bytes(model) -> int:
    """Bytes of weights read per decoded token: all parameters, less an untied input embedding."""
    from mlx.utils import tree_flatten

    params = dict(tree_flatten(model.parameters()))
    total = sum(v.nbytes for v in params.values())
    if any(k.startswith("lm_head.") for k in params):  # untied: the embedding is a row lookup
        total -= sum(v.nbytes for k, v in params.items() if ".embed_tokens." in f".{k}")
    return total


def gguf_weight_bytes(path: Path) -> int:
    import gguf

    tensors = {t.name: int(t.n_bytes) for t in gguf.GGUFReader(str(path)).tensors}
    total = sum(tensors.values())
    return total - tensors.get("token_embd.weight", 0) if "output.weight" in tensors else total


def run_mlx(model, ids: list[int], decode: int) -> tuple[float, float, list[int]]:
    import mlx.core as mx
    from mlx_lm.generate import generate_step

    start = time.perf_counter()
    gen = generate_step(mx.array(ids), model, max_tokens=decode + 1, sampler=lambda lp: mx.argmax(lp, axis=-1))
    tokens = [next(gen)[0]]
    first = time.perf_counter()
    for token, _ in gen:
        tokens.append(token)
    end = time.perf_counter()
    gen.close()
    mx.synchronize()
    return len(ids) / (first - start), decode / (end - first), tokens


def run_llama(llm, ids: list[int], decode: int) -> tuple[float, float, list[int]]:
    from loco_mlx.inference.llamacpp import last_logits

    def next_token() -> int:
        return int(last_logits(llm).argmax())

    llm.reset()
    start = time.perf_counter()
    llm.eval(ids)
    tokens = [next_token()]
    first = time.perf_counter()
    for _ in range(decode):
        llm.eval([tokens[-1]])
        tokens.append(next_token())
    end = time.perf_counter()
    return len(ids) / (first - start), decode / (end - first), tokens


def measure(fn, repeats: int) -> dict:
    fn(warmup=True)
    runs = [fn(warmup=False) for _ in range(repeats)]
    return {
        "prompt_tps": statistics.median(r[0] for r in runs),
        "decode_tps": statistics.median(r[1] for r in runs),
        "prompt_tps_runs": [round(r[0], 2) for r in runs],
        "decode_tps_runs": [round(r[1], 2) for r in runs],
        "tokens": runs[-1][2],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", type=Path, help="GGUF file (default: the embedded SmolLM2-135M-Instruct Q4_1)")
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--decode-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="llama.cpp threads (default: all cores)")
    ap.add_argument("--modes", help="comma-separated MLX compute modes (default: packed,fp32 on CPU, packed elsewhere)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.resolve import embedded_gguf_path, resolve_base

    gguf_path = (args.gguf or embedded_gguf_path()).resolve()
    info = machine_info()
    for key in ("platform", "cpu", "cores", "ram_gib", "python", "device", "blas", "fp32_matmul_gflops"):
        print(f"{key:>20}: {info[key]}")
    print(f"{'versions':>20}: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    bw = copy_bandwidth_gbs()
    print(f"{'copy bandwidth':>20}: {bw} GB/s (numpy copy of 512 MiB, read + write)")
    print(f"{'gguf':>20}: {gguf_path}")

    record = resolve_base(str(gguf_path))
    modes = args.modes.split(",") if args.modes else (["packed", "fp32"] if info["device"] == "cpu" else ["packed"])
    rows, ids = [], None
    for mode in modes:
        loaded = load_base(record, compute=mode)
        if ids is None:
            text_ids = []
            while len(text_ids) < args.prompt_tokens:
                text_ids += loaded.tokenizer.encode(FILLER, add_special_tokens=False)
            ids = text_ids[: args.prompt_tokens]
            print(f"{'prompt':>20}: {len(ids)} tokens, decode {args.decode_tokens} tokens, {args.repeats} repeats")
        print(f"MLX {loaded.compute.mode} ...", flush=True)
        model = loaded.model
        res = measure(lambda warmup, m=model, p=ids: run_mlx(m, p, 8 if warmup else args.decode_tokens), args.repeats)
        rows.append(
            {"engine": "MLX", "mode": loaded.compute.mode, "weight_bytes": mlx_weight_bytes(loaded.model), **res}
        )
        del loaded, model

    print("llama.cpp ...", flush=True)
    from loco_mlx.inference.llamacpp import open_llama

    n_ctx = (len(ids) + args.decode_tokens + 64) // 64 * 64
    llm = open_llama(gguf_path, n_ctx, gpu=False, threads=args.threads)
    try:
        res = measure(lambda warmup: run_llama(llm, ids, 8 if warmup else args.decode_tokens), args.repeats)
    finally:
        llm.close()
    llama = {
        "engine": "llama.cpp",
        "mode": f"gguf, {args.threads} threads",
        "weight_bytes": gguf_weight_bytes(gguf_path),
        **res,
    }
    rows.append(llama)

    for row in rows:
        row["ceiling_tps"] = bw * 1e9 / row["weight_bytes"]
        row["of_ceiling"] = row["decode_tps"] / row["ceiling_tps"]
        row["prompt_vs_llama"] = row["prompt_tps"] / llama["prompt_tps"]
        row["decode_vs_llama"] = row["decode_tps"] / llama["decode_tps"]
        same = next((i for i, (a, b) in enumerate(zip(row["tokens"], llama["tokens"])) if a != b), len(row["tokens"]))
        row["greedy_tokens_same_as_llama"] = same

    print()
    print(
        "| engine | compute | weights read/token | prompt tok/s | decode tok/s | prompt vs llama.cpp "
        "| decode vs llama.cpp | decode ceiling tok/s | of ceiling |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['engine']} | {r['mode']} | {r['weight_bytes'] / 1e6:.0f} MB | {r['prompt_tps']:.1f} | "
            f"{r['decode_tps']:.1f} | {r['prompt_vs_llama']:.2f}x | {r['decode_vs_llama']:.2f}x | "
            f"{r['ceiling_tps']:.0f} | {100 * r['of_ceiling']:.0f}% |"
        )
    print(
        f"\n{Path(gguf_path).name}; prompt {len(ids)} tokens, greedy decode {args.decode_tokens} tokens, "
        f"median of {args.repeats}; {info['cpu']}, {info['cores']} cores; BLAS {info['blas']}; "
        f"ceiling = {bw} GB/s copy bandwidth / weight bytes per token."
    )
    for r in rows[:-1]:
        print(
            f"MLX {r['mode']}: greedy tokens identical to llama.cpp for the first {r['greedy_tokens_same_as_llama']} "
            f"of {len(r['tokens'])}"
        )

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "copy_bandwidth_gbs": bw,
                    "gguf": str(gguf_path),
                    "prompt_tokens": len(ids),
                    "decode_tokens": args.decode_tokens,
                    "repeats": args.repeats,
                    "rows": rows,
                },
                indent=2,
            )
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
