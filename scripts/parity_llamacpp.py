"""Top-1 agreement between MLX (the imported base) and llama.cpp on the same GGUF.

A fixed English text is tokenized once with the imported tokenizer (llama.cpp's
own tokenization of it is checked against those ids); both engines compute the
logits at every position of that one sequence, and the script reports the top-1
agreement, max and mean |logit difference| and the top-5 overlap. MLX computes in
the base's compute mode (`auto`: fp32-expanded on a CPU, packed on Metal).

    python scripts/parity_llamacpp.py                        # embedded SmolLM2 Q4_1
    python scripts/parity_llamacpp.py --gguf model-f16.gguf --compute fp32 --json parity.json

On Q4_1 expect about 97% rather than 100%: llama.cpp quantizes the activations
in its Q4_1 dot products (docs/ARCHITECTURE.md, fact 4); F16 or Q8_0 files agree more closely.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import loco_mlx  # noqa: F401  (loads the system OpenBLAS before mlx)

TEXT = (
    "The Great Barrier Reef stretches for more than two thousand kilometres along the coast of "
    "Queensland, Australia. It is made of billions of tiny organisms called coral polyps, and it "
    "can be seen from space. Scientists worry that warmer oceans are bleaching the reef.\n\n"
    "To bake a simple loaf of bread, mix five hundred grams of flour with a teaspoon of salt, "
    "seven grams of dried yeast and about three hundred millilitres of warm water. Knead the "
    "dough for ten minutes, leave it to rise for an hour, then bake it at two hundred degrees.\n\n"
    "In 1969, Neil Armstrong and Buzz Aldrin became the first people to walk on the Moon, while "
    "Michael Collins orbited overhead in the command module. Their journey took about three days "
    "each way.\n\n"
    "Dear Ms. Patel, thank you for your letter of 12 March. I am sorry that the parcel arrived "
    "late and that the blue mug inside it was broken. We have sent a replacement today, and you "
    "should receive it by Friday. Kind regards, Tom from customer service.\n\n"
    "Question: If a train leaves at 9:15 and the trip takes 2 hours and 50 minutes, when does it "
    "arrive? Answer: It arrives at 12:05.\n\n"
    "Photosynthesis is the process by which green plants use sunlight, water and carbon dioxide "
    "to make sugar and release oxygen. Without it, most life on Earth could not exist.\n\n"
    "def add(a, b):\n    return a + b\n"
)


def top1_agreement(gguf_path, text: str | None = None, compute: str = "auto") -> dict:
    """Compare MLX and llama.cpp next-token logits at every position of `text`."""
    import mlx.core as mx
    import numpy as np

    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.resolve import resolve_base
    from loco_mlx.inference.llamacpp import open_llama

    gguf_path = Path(gguf_path).resolve()
    text = TEXT if text is None else text
    loaded = load_base(resolve_base(str(gguf_path)), compute=compute)
    ids = list(loaded.tokenizer.encode(text, add_special_tokens=False))
    mlx_logits = np.array(loaded.model(mx.array([ids]))[0].astype(mx.float32))
    mode = loaded.compute.mode
    del loaded

    llm = open_llama(gguf_path, (len(ids) + 64) // 64 * 64, gpu=False, logits_all=True)
    try:
        llama_ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        llm.eval(ids)
        llama_logits = np.array(llm.scores[: len(ids)], dtype=np.float32)
    finally:
        llm.close()

    diff = np.abs(mlx_logits - llama_logits)
    top1_mlx, top1_llama = mlx_logits.argmax(-1), llama_logits.argmax(-1)
    top5_mlx = np.argsort(-mlx_logits, axis=-1)[:, :5]
    top5_llama = np.argsort(-llama_logits, axis=-1)[:, :5]
    overlap = [len(set(a) & set(b)) / 5 for a, b in zip(top5_mlx.tolist(), top5_llama.tolist())]
    agree = top1_mlx == top1_llama
    mismatch = next((i for i, (a, b) in enumerate(zip(ids, llama_ids)) if a != b), None)
    if mismatch is None and len(ids) != len(llama_ids):
        mismatch = min(len(ids), len(llama_ids))
    return {
        "gguf": str(gguf_path),
        "compute": mode,
        "positions": len(ids),
        "top1_agreement": float(agree.mean()),
        "top1_agree_count": int(agree.sum()),
        "max_abs_logit_diff": float(diff.max()),
        "mean_abs_logit_diff": float(diff.mean()),
        "top5_overlap": float(np.mean(overlap)),
        "tokenization_matches": mismatch is None,
        "tokenization_first_mismatch": mismatch,
        "llama_token_count": len(llama_ids),
        "disagreements": [
            {"position": int(i), "mlx": int(top1_mlx[i]), "llama": int(top1_llama[i])} for i in np.flatnonzero(~agree)
        ],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", type=Path, help="GGUF file (default: the embedded SmolLM2-135M-Instruct Q4_1)")
    ap.add_argument("--compute", default="auto", choices=["auto", "packed", "fp32"])
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    from loco_mlx.bases.resolve import embedded_gguf_path

    r = top1_agreement(args.gguf or embedded_gguf_path(), compute=args.compute)
    tok = (
        "identical"
        if r["tokenization_matches"]
        else (
            f"DIFFERENT from position {r['tokenization_first_mismatch']} "
            f"({r['llama_token_count']} llama.cpp tokens vs {r['positions']}); compared on the imported ids"
        )
    )
    print(f"gguf: {r['gguf']}")
    print(f"MLX compute: {r['compute']}; llama.cpp tokenization of the text: {tok}")
    print()
    print("| positions | top-1 agreement | max abs logit diff | mean abs logit diff | top-5 overlap |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {r['positions']} | {100 * r['top1_agreement']:.1f}% ({r['top1_agree_count']}/{r['positions']}) | "
        f"{r['max_abs_logit_diff']:.3f} | {r['mean_abs_logit_diff']:.3f} | {100 * r['top5_overlap']:.1f}% |"
    )
    if r["disagreements"]:
        shown = ", ".join(f"{d['position']}: {d['mlx']} vs {d['llama']}" for d in r["disagreements"][:10])
        print(f"\ntop-1 disagreements (position: MLX id vs llama.cpp id): {shown}")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
