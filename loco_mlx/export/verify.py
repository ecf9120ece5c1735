"""Does an exported GGUF compute what MLX computes? Parity against the live MLX model.

For each prompt of a fixed set (chat-formatted with the base's template): MLX decodes a
greedy continuation; both engines then score the same token sequence (prompt + that
continuation) and we compare logits at every position (max |difference|, top-1 agreement);
llama.cpp also decodes its own greedy continuation, which must equal MLX's.


llama.cpp runs with a full-precision KV cache here, so the comparison sees the file, not the
cache. A full-precision (F32) export must agree within 0.05 at every position: that checks
the converter (names, layouts, tokenizer, metadata); measured 3e-4.

Every report also measures llama.cpp against itself: the same sequences scored token by
token instead of in one batch. Its F16 and quantized kernels round the activations (to F16,
or to 8 bits), so the two schedules differ by that rounding, amplified layer by layer; that
is the noise floor any comparison with this file inherits. On SmolLM2 the F16 file differs
from itself by 0.063 and from MLX by 0.081; the F32 file from both by under 0.001.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from loco_mlx.errors import LocoError

PROMPTS = (
    "What is the capital of France?",
    "Give me three tips for sleeping better.",
    "Write a haiku about the sea.",
    "Tom has 12 apples and buys 7 more. Then he gives away 5. How many apples does he have now?",
    "A shop sells pens at 3 dollars each. How much do 14 pens cost?",
    "Extract as JSON: name, age, city, job.\n\nMaria Lopez, 34, is a nurse who lives in Porto.",
    "Write a Python function `is_even(n)` that returns True when n is even.",
    "Explain photosynthesis in one sentence.",
    "Translate 'good morning' into Spanish.",
    "Who wrote the play Romeo and Juliet?",
)
CHAT = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Hello!"},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": "What is 2 + 2?"},
]


@dataclass
class PromptParity:
    prompt: str
    positions: int
    max_abs_logit_diff: float  # vs the live MLX model
    top1_agreement: float  # vs the live MLX model
    greedy_equal: bool  # llama.cpp's greedy continuation equals the live model's
    mlx_tokens: int
    llama_tokens: int
    divergence_gap: float | None = None  # where they part: MLX's margin between its token and llama.cpp's
    self_max_abs_logit_diff: float = 0.0  # llama.cpp in one batch vs token by token: its own rounding noise
    self_top1_agreement: float = 1.0


F32 = 0  # GGML_TYPE_F32: a full-precision KV cache, so the comparison sees the file, not the cache
TIE = 0.1  # a continuation that parts where MLX's two candidates were this close is a near-tie, not a defect


@dataclass
class ParityReport:
    gguf: str
    lora: str | None
    prompts: list[PromptParity] = field(default_factory=list)
    chat_template_matches: bool | None = None
    seconds: float = 0.0
    # llama.cpp's logits per prompt (one batch), to compare two files on the same sequences; not saved
    llama_logits: list = field(default_factory=list, repr=False)

    @property
    def max_abs_logit_diff(self) -> float:
        return max(p.max_abs_logit_diff for p in self.prompts)

    @property
    def top1_agreement(self) -> float:
        return self._per_position("top1_agreement")

    @property
    def self_max_abs_logit_diff(self) -> float:
        return max(p.self_max_abs_logit_diff for p in self.prompts)

    @property
    def self_top1_agreement(self) -> float:
        return self._per_position("self_top1_agreement")

    def _per_position(self, rate: str) -> float:
        """A per-prompt rate over all positions of all prompts (each prompt weighted by its length)."""
        return sum(getattr(p, rate) * p.positions for p in self.prompts) / sum(p.positions for p in self.prompts)

    @property
    def greedy_equal(self) -> int:
        return sum(p.greedy_equal for p in self.prompts)

    @property
    def near_ties(self) -> int:
        return sum(
            not p.greedy_equal and p.divergence_gap is not None and p.divergence_gap <= TIE for p in self.prompts
        )

    def to_dict(self) -> dict:
        return {
            **asdict(replace(self, llama_logits=[])),  # not the logits: large, and not part of the report
            "max_abs_logit_diff": self.max_abs_logit_diff,
            "top1_agreement": self.top1_agreement,
            "self_max_abs_logit_diff": self.self_max_abs_logit_diff,
            "self_top1_agreement": self.self_top1_agreement,
            "greedy_equal": self.greedy_equal,
            "near_ties": self.near_ties,
            "prompt_count": len(self.prompts),
        }

    def summary(self) -> str:
        template = {True: "same tokens", False: "DIFFERENT tokens", None: "not checked"}[self.chat_template_matches]
        return (
            f"max |logit diff| {self.max_abs_logit_diff:.4f}, top-1 agreement {self.top1_agreement:.1%}, "
            f"greedy continuation identical on {self.greedy_equal}/{len(self.prompts)} prompts"
            + (f" ({self.near_ties} more part at a near-tie <= {TIE})" if self.near_ties else "")
            + f"; llama.cpp vs itself (batch vs token by token): {self.self_max_abs_logit_diff:.4f}, "
            f"{self.self_top1_agreement:.1%}; chat template: {template}"
        )


def check_parity(
    engine,
    gguf_path: Path,
    lora_path: Path | None = None,
    prompts=PROMPTS,
    max_tokens: int = 64,
    keep_logits: bool = False,
) -> ParityReport:
    """Compare `engine` (MLX, with the adapter that was exported active) against the GGUF in llama.cpp.
    `keep_logits` keeps llama.cpp's logits in the report, for compare_reports."""
    from loco_mlx.inference.llamacpp import open_llama

    start = time.perf_counter()
    sequences = []
    for prompt in prompts:
        ids = engine.encode_chat([{"role": "user", "content": prompt}])
        sequences.append((prompt, ids, engine.greedy_tokens(ids, max_tokens)))
    longest = max(len(ids) + len(cont) for _, ids, cont in sequences) + max_tokens + 8
    # On the CPU with a full-precision KV cache: the comparison sees the file's weights, not the cache.
    llm = open_llama(gguf_path, (longest + 63) // 64 * 64, gpu=False, logits_all=True, type_k=F32, type_v=F32,
                     lora_path=str(lora_path) if lora_path else None)  # fmt: skip
    report = ParityReport(str(gguf_path), str(lora_path) if lora_path else None)
    try:
        eos = set(engine.eos_token_ids())
        for prompt, ids, continuation in sequences:
            sequence = ids + continuation
            mlx_logits = engine.sequence_logits(sequence)
            llama_logits = llama_sequence_logits(llm, sequence, batch=True)
            one_by_one = llama_sequence_logits(llm, sequence, batch=False)
            theirs = llama_greedy(llm, ids, max_tokens, eos)
            gap = None if theirs == continuation else _divergence_gap(mlx_logits, len(ids), continuation, theirs, eos)
            if keep_logits:
                report.llama_logits.append(llama_logits)
            report.prompts.append(
                PromptParity(
                    prompt,
                    len(sequence),
                    *logit_agreement(mlx_logits, llama_logits),
                    theirs == continuation,
                    len(continuation),
                    len(theirs),
                    gap,
                    *logit_agreement(llama_logits, one_by_one),
                )  # fmt: skip
            )
        report.chat_template_matches = _template_matches(engine, llm)
    finally:
        llm.close()
    report.seconds = time.perf_counter() - start
    return report


def compare_reports(a: ParityReport, b: ParityReport) -> dict:
    """Two llama.cpp files on the same sequences (e.g. base + GGUF LoRA vs the fused file)."""
    pairs = list(zip(a.llama_logits, b.llama_logits, strict=True))
    if not pairs or any(x.shape != y.shape for x, y in pairs):
        raise ValueError("the reports did not keep logits of the same sequences (check_parity keep_logits=True)")
    diff, top1 = sequences_agreement(pairs)
    return {"max_abs_logit_diff": diff, "top1_agreement": top1}


def sequences_agreement(pairs) -> tuple[float, float]:
    """logit_agreement over several sequences: the largest difference, top-1 over all positions."""
    per_sequence = [(logit_agreement(x, y), len(x)) for x, y in pairs]
    top1 = sum(rate * n for (_, rate), n in per_sequence) / sum(n for _, n in per_sequence)
    return max(diff for (diff, _), _ in per_sequence), top1


def logit_agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(max |logit difference|, share of positions with the same top token) of two logit arrays."""
    return float(np.abs(a - b).max()), float((a.argmax(-1) == b.argmax(-1)).mean())


def first_difference(ours: list[int], theirs: list[int]) -> int:
    """How many leading tokens two continuations share."""
    return next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))


def _divergence_gap(mlx_logits, prompt_len: int, ours: list[int], theirs: list[int], eos: set[int]) -> float:
    """MLX's logit margin between its own token and llama.cpp's, where the continuations first differ."""
    i = first_difference(ours, theirs)
    row = mlx_logits[prompt_len + i - 1]
    their_token = theirs[i] if i < len(theirs) else max(eos, key=lambda t: row[t])
    return float(row.max() - row[their_token])


def llama_sequence_logits(llm, sequence: list[int], batch: bool) -> np.ndarray:
    """llama.cpp's logits at every position, scoring the sequence in one batch or a token at a time."""
    llm.reset()
    if batch:
        llm.eval(sequence)
    else:
        for token in sequence:
            llm.eval([token])
    return np.array(llm.scores[: len(sequence)], dtype=np.float32)


def llama_greedy(llm, ids: list[int], max_tokens: int, eos: set[int]) -> list[int]:
    from loco_mlx.inference.llamacpp import last_logits

    llm.reset()
    llm.eval(ids)
    out = []
    for _ in range(max_tokens):
        token = int(np.argmax(last_logits(llm)))
        if token in eos:
            break
        out.append(token)
        llm.eval([token])
    return out


def _template_matches(engine, llm) -> bool | None:
    """The GGUF's own chat template, rendered by llama-cpp-python, gives MLX's tokens."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return False
    tokenizer = engine.tokenizer
    formatter = Jinja2ChatFormatter(template, tokenizer.eos_token or "", tokenizer.bos_token or "")
    rendered = formatter(messages=CHAT).prompt
    theirs = llm.tokenize(rendered.encode("utf-8"), add_bos=False, special=True)
    ours = engine.encode_chat(CHAT)
    return list(theirs) == list(ours)


# --- the verdict on one `loco export` -------------------------------------------------------------

PARITY_LIMIT = 0.05  # max |logit difference| an F32 export must stay within (checks the converter)
# Top-1 agreement with MLX. These catch converter mistakes (a missing RoPE permutation or a
# wrong LoRA scale drops it far lower), not llama.cpp's own rounding: its F16 kernels round
# activations to F16 and its Q8_0 kernels to 8 bits (measured on SmolLM2: 99.9% and 97%).
TOP1_LIMITS = {"F32": 0.99, "F16": 0.98, "BF16": 0.97, "Q8_0": 0.95}
GREEDY_MIN = 9  # of the 10 prompts, for float exports: identical greedy continuations


def verify_export(request, files, say) -> None:
    """Check an export (export/run.py's request and files) in llama.cpp against MLX, write parity.json,
    and raise a LocoError naming every limit it misses (the files are kept)."""
    import json

    from loco_mlx.files import write_atomic
    from loco_mlx.inference.open import EngineSettings, open_engine

    say("verifying in llama.cpp against MLX (10 prompts, greedy 64 tokens)...")
    engine = open_engine(EngineSettings(request.record, adapter_path=request.adapter_dir, registered=False))
    reports = {"fused": check_parity(engine, files.gguf, keep_logits=bool(files.lora_file))}
    if files.lora_file:
        reports["lora"] = check_parity(engine, files.base_gguf, files.lora_file, keep_logits=True)
    problems = []
    for kind, report in reports.items():
        say(f"  {kind:<6} {report.summary()}")
        problems += limit_problems(kind, report, request.quant)
    data = {"name": request.name, "base": request.record.id, "quant": request.quant,
            **{k: r.to_dict() for k, r in reports.items()}}  # fmt: skip
    if "lora" in reports:  # the same adapter two ways in llama.cpp: applied at run time vs merged
        data["lora_vs_fused"] = same = compare_reports(reports["lora"], reports["fused"])
        for report in reports.values():
            report.llama_logits.clear()
        say(f"  lora vs fused, both in llama.cpp: max |logit diff| {same['max_abs_logit_diff']:.4f}, "
            f"top-1 agreement {same['top1_agreement']:.1%}")  # fmt: skip
        limit = TOP1_LIMITS.get(request.quant)
        if limit is not None and same["top1_agreement"] < limit:
            problems.append(f"lora vs fused: top-1 agreement {same['top1_agreement']:.1%} < {limit:.0%}")
    write_atomic(request.out / "parity.json", json.dumps(data, indent=2) + "\n")
    say(f"  report       {request.out / 'parity.json'}")
    if problems:
        raise LocoError("the export does not match MLX: " + "; ".join(problems) + f" (files kept in {request.out})")


def limit_problems(kind: str, report: ParityReport, quant: str) -> list[str]:
    """Which of the limits for `quant` this report misses, one line each."""
    problems = []
    if quant == "F32" and report.max_abs_logit_diff > PARITY_LIMIT:
        problems.append(f"{kind}: max |logit diff| {report.max_abs_logit_diff:.3f} > {PARITY_LIMIT}")
    if quant in TOP1_LIMITS and report.top1_agreement < TOP1_LIMITS[quant]:
        problems.append(f"{kind}: top-1 agreement {report.top1_agreement:.1%} < {TOP1_LIMITS[quant]:.0%}")
    from loco_mlx.export.run import FULL_PRECISION

    if quant in FULL_PRECISION and report.greedy_equal + report.near_ties < GREEDY_MIN:
        problems.append(
            f"{kind}: greedy continuations identical on only {report.greedy_equal}/{len(report.prompts)} "
            f"(+{report.near_ties} near-ties)"
        )
    if report.chat_template_matches is False:
        problems.append(f"{kind}: the embedded chat template renders other tokens than MLX's")
    return problems
