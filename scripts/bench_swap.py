"""Benchmark adapter switching: the AdapterPool against reloading, and decode speed with adapters.

On the embedded default base (SmolLM2-135M-Instruct), with real trained adapters:
1. switch time, p50/p95: `AdapterPool.activate` (weights assigned into a resident base)
   against the reload approach, `mlx_lm.load(base, adapter_path=...)` per switch;
2. decode tok/s for the plain base, an adapter through the pool, and the same adapter
   fused into the weights (the fastest an adapter can decode);
3. memory with 10 adapters loaded, against base + 10 x adapter size + 5%.

    python scripts/bench_swap.py                          # trains 3 small adapters first (~3 min on CPU)
    python scripts/bench_swap.py --adapter runs/arithmetic --adapter runs/other --json swap.json

Adapters are given with --adapter (repeatable); without any, three are trained on the
arithmetic data with different ranks and target keys (20 steps each).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

REPO = Path(__file__).resolve().parents[1]
PROMPT = "Ana has 12 apples. Ana gets 5 more and then gives away 3. How many apples does Ana have now?"
TRAIN_VARIANTS = [  # (name, rank, keys)
    ("r8-qv", 8, "[self_attn.q_proj, self_attn.v_proj]"),
    ("r16-qkvo", 16, "[self_attn.q_proj, self_attn.k_proj, self_attn.v_proj, self_attn.o_proj]"),
    ("r4-mlp", 4, "[mlp.gate_proj, mlp.up_proj, mlp.down_proj]"),
]


def train_adapters(workdir: Path) -> list[Path]:
    data = workdir / "data"
    subprocess.run([sys.executable, str(REPO / "scripts/make_arithmetic_data.py"), "--out", str(data)], check=True)
    paths = []
    for name, rank, keys in TRAIN_VARIANTS:
        recipe = workdir / f"{name}.yaml"
        recipe.write_text(f"lora:\n  rank: {rank}\n  alpha: {2 * rank}\n  keys: {keys}\neval_every: 100\n")
        out = workdir / name
        print(f"training adapter {name} (rank {rank}) ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "loco_mlx", "train", str(recipe), "--data", str(data), "--out", str(out),
             "--max-steps", "20", "--quiet"],
            check=True,
        )  # fmt: skip
        paths.append(out)
    return paths


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def decode_tps(model, tokenizer, tokens: int) -> float:
    import mlx.core as mx
    from mlx_lm.generate import generate_step

    prompt = mx.array(tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True))
    for _ in zip(range(4), generate_step(prompt, model, max_tokens=4)):  # warm-up
        pass
    start, count = None, 0
    for _, _ in zip(range(tokens + 1), generate_step(prompt, model, max_tokens=tokens + 1)):
        if start is None:  # the first token includes the prefill: time decode only
            start = time.perf_counter()
        else:
            count += 1
    return count / (time.perf_counter() - start)


def fused_model(record, adapter: Path, compute: str):
    from mlx.utils import tree_unflatten
    from mlx_lm.tuner.utils import load_adapters

    from loco_mlx.bases.loading import load_base

    loaded = load_base(record, compute)
    load_adapters(loaded.model, str(adapter))
    fused = [(n, m.fuse()) for n, m in loaded.model.named_modules() if hasattr(m, "fuse")]
    loaded.model.update_modules(tree_unflatten(fused))
    loaded.model.eval()
    return loaded.model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", action="append", type=Path, default=[])
    parser.add_argument("--switches", type=int, default=60)
    parser.add_argument("--reloads", type=int, default=6)
    parser.add_argument("--decode-tokens", type=int, default=48)
    parser.add_argument("--compute", default="auto")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import mlx.core as mx
    from mlx_lm import load as mlx_lm_load

    from loco_mlx.adapters.pool import AdapterPool
    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.resolve import resolve_base
    from loco_mlx.runtime import loaded_blas

    workdir = Path(tempfile.mkdtemp(prefix="bench_swap_"))
    adapters = args.adapter or train_adapters(workdir)
    record = resolve_base("default")
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}; BLAS {loaded_blas()}")
    print(f"base: {record.id} ({record.fingerprint[:12]}); adapters: {', '.join(str(a) for a in adapters)}")

    mx.reset_peak_memory()
    loaded = load_base(record, args.compute)
    base_bytes = mx.get_active_memory()
    pool = AdapterPool(loaded)
    names = []
    for path in adapters:
        names.append(path.name)
        pool.load(path.name, path)

    # 1. switching: a fixed rotation through every adapter and the plain base
    order = (names + [None]) * (args.switches // (len(names) + 1) + 1)
    pool_ms = [pool.activate(name) * 1000 for name in order[: args.switches]]
    reload_ms = []
    for i in range(args.reloads):
        start = time.perf_counter()
        model, _ = mlx_lm_load(record.model_dir, adapter_path=str(adapters[i % len(adapters)]))
        mx.eval(model.parameters())
        reload_ms.append((time.perf_counter() - start) * 1000)
        del model

    # 2. decode speed
    tok = loaded.tokenizer
    pool.activate(None)
    base_tps = decode_tps(loaded.model, tok, args.decode_tokens)
    pooled_name = max(names, key=lambda n: pool.adapters[n].nbytes)  # the heaviest adapter: the worst case
    pool.activate(pooled_name)
    pooled_tps = decode_tps(loaded.model, tok, args.decode_tokens)
    fused_tps = decode_tps(fused_model(record, pool.adapters[pooled_name].path, args.compute), tok, args.decode_tokens)

    # 3. memory with 10 adapters (the given ones, repeated under new names, each a separate copy)
    pool.activate(None)
    for name in list(pool.adapters):
        del pool.adapters[name]
    mx.clear_cache()
    before = mx.get_active_memory()
    sizes = []
    for i in range(10):
        adapter = pool.load(f"copy{i}", adapters[i % len(adapters)])
        sizes.append((adapter.path / "adapters.safetensors").stat().st_size)
    grown = mx.get_active_memory() - before
    allowed = 1.05 * (base_bytes + sum(sizes)) - base_bytes

    p50_pool, p95_pool = percentile(pool_ms, 0.5), percentile(pool_ms, 0.95)
    p50_reload, p95_reload = percentile(reload_ms, 0.5), percentile(reload_ms, 0.95)
    rows = [
        ("switch p50 / p95, AdapterPool", f"{p50_pool:.3f} / {p95_pool:.3f} ms"),
        ("switch p50 / p95, mlx_lm.load(adapter_path=...)", f"{p50_reload:.0f} / {p95_reload:.0f} ms"),
        ("pool speed-up (p50)", f"{p50_reload / max(p50_pool, 1e-6):,.0f}x"),
        ("decode, plain base", f"{base_tps:.1f} tok/s"),
        (f"decode, adapter '{pooled_name}' via pool", f"{pooled_tps:.1f} tok/s"),
        (f"decode, adapter '{pooled_name}' fused", f"{fused_tps:.1f} tok/s"),
        ("pool overhead vs fused", f"{(fused_tps / pooled_tps - 1) * 100:+.1f}%"),
        ("memory: base (active)", f"{base_bytes / 2**20:.1f} MiB"),
        ("memory: 10 adapters loaded (growth)", f"{grown / 2**20:.2f} MiB"),
        ("memory: 10 x adapter file size", f"{sum(sizes) / 2**20:.2f} MiB"),
        ("within base + 10 x adapter + 5%", "yes" if grown <= allowed else "NO"),
    ]
    print(
        f"\ncompute mode: {loaded.compute.mode} on {loaded.device}; "
        f"{len(pool_ms)} pool switches, {len(reload_ms)} reloads\n"
    )
    print("| measure | value |\n|---|---|")
    for key, value in rows:
        print(f"| {key} | {value} |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "pool_ms": pool_ms, "reload_ms": reload_ms}, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
