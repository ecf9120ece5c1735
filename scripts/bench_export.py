"""Export an adapter in each GGUF type: time, file size, llama.cpp decode speed, parity with MLX.

One run, one table (for the README). Parity is `loco export`'s own check (10 prompts, greedy
64 tokens) against the live MLX model with the adapter.

    python scripts/bench_export.py --adapter adapters/math
    python scripts/bench_export.py --adapter runs/arithmetic --types F16,Q8_0
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

DEFAULT_TYPES = "F32,F16,BF16,Q8_0,Q4_0,Q6_K,Q5_K_M,Q4_K_M"


def decode_speed(gguf: Path, prompt_ids: list[int], tokens: int = 64) -> float:
    """llama.cpp greedy decode tokens/s after the prompt (median of 3)."""
    from loco_mlx.inference.llamacpp import last_logits, open_llama

    llm = open_llama(gguf, 512)
    speeds = []
    try:
        for _ in range(3):
            llm.reset()
            llm.eval(prompt_ids)
            start = time.perf_counter()
            for _ in range(tokens):
                llm.eval([int(last_logits(llm).argmax())])
            speeds.append(tokens / (time.perf_counter() - start))
    finally:
        llm.close()
    return sorted(speeds)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", default="adapters/math")
    ap.add_argument("--types", default=DEFAULT_TYPES)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    from loco_mlx.export.fuse import fused_weights
    from loco_mlx.export.gguf_writer import write_gguf
    from loco_mlx.export.run import resolve_target
    from loco_mlx.export.verify import check_parity
    from loco_mlx.inference.open import EngineSettings, open_engine

    name, adapter_dir, record = resolve_target(args.adapter, None)
    engine = open_engine(EngineSettings(record, adapter_path=adapter_dir, registered=False))
    prompt = engine.encode_chat([{"role": "user", "content": "Tell me about the moon."}])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for quant in args.types.upper().split(","):
            start = time.perf_counter()
            fused = fused_weights(record, adapter_dir)
            path = write_gguf(fused, record, Path(tmp) / f"{name}-{quant.lower()}.gguf", quant)
            seconds = time.perf_counter() - start
            del fused
            speed = decode_speed(path, prompt)
            parity = check_parity(engine, path)
            rows.append((quant, seconds, path.stat().st_size, speed, parity))
            print(f"{quant}: {seconds:.1f} s, {path.stat().st_size / 2**20:.1f} MiB, {speed:.1f} tok/s; "
                  f"{parity.summary()}", file=sys.stderr)  # fmt: skip
            path.unlink()

    mode = engine.base.compute_mode
    print(f"\n`python scripts/bench_export.py --adapter {args.adapter}` on {platform.machine()} "
          f"({os.cpu_count()} cores); base {record.id}, MLX reference {mode}\n")  # fmt: skip
    print("| type | export s | size MiB | llama.cpp decode tok/s | max abs logit diff | top-1 agreement | "
          "greedy 64 tokens identical | llama.cpp vs itself: max diff, top-1 |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for quant, seconds, size, speed, p in rows:
        print(f"| {quant} | {seconds:.1f} | {size / 2**20:.1f} | {speed:.1f} | {p.max_abs_logit_diff:.4f} | "
              f"{p.top1_agreement:.1%} | {p.greedy_equal}/{len(p.prompts)} | "
              f"{p.self_max_abs_logit_diff:.4f}, {p.self_top1_agreement:.1%} |")  # fmt: skip
    if args.json:
        rows_json = [{"type": q, "export_s": s, "size_mib": b / 2**20, "decode_tps": v,
                      "max_abs_logit_diff": p.max_abs_logit_diff, "top1_agreement": p.top1_agreement,
                      "greedy_equal": p.greedy_equal, "prompts": len(p.prompts),
                      "self_max_abs_logit_diff": p.self_max_abs_logit_diff,
                      "self_top1_agreement": p.self_top1_agreement} for q, s, b, v, p in rows]  # fmt: skip
        machine = f"{platform.machine()} ({os.cpu_count()} cores)"
        args.json.write_text(json.dumps({"adapter": args.adapter, "machine": machine, "rows": rows_json}, indent=2))


if __name__ == "__main__":
    main()
