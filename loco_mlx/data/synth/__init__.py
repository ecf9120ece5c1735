"""Program-generated, program-verified training data and benchmarks for narrow domains.

`generate(domain, train, valid, benchmark, seed)` draws the splits; `write_dataset` writes
train.jsonl, valid.jsonl, benchmark.jsonl and manifest.json. Domains: math (multi-step word
problems, scorer numeric), json (field extraction, scorer json_fields) and code (small Python
functions, scorer code_exec). See `loco_mlx.data.synth.common` for the held-out templates and the
contamination guarantee.
"""

from __future__ import annotations

from loco_mlx.data.synth import code_tasks, json_extract, math_problems
from loco_mlx.data.synth.common import Domain, Sample, SynthData, check_out_dir, heldout_templates, write_dataset
from loco_mlx.data.synth.common import generate as generate_domain
from loco_mlx.errors import LocoError

DOMAINS: dict[str, Domain] = {d.name: d for d in (math_problems.DOMAIN, json_extract.DOMAIN, code_tasks.DOMAIN)}
DEFAULT_SIZES = {"train": 600, "valid": 60, "benchmark": 120}

__all__ = ["DOMAINS", "DEFAULT_SIZES", "Domain", "Sample", "SynthData", "check_out_dir", "generate", "get_domain",
           "heldout_templates", "write_dataset"]  # fmt: skip


def get_domain(name: str) -> Domain:
    if name not in DOMAINS:
        raise LocoError(f"unknown domain {name!r}; known domains: {', '.join(sorted(DOMAINS))}")
    return DOMAINS[name]


def generate(
    domain: str,
    train: int = DEFAULT_SIZES["train"],
    valid: int = DEFAULT_SIZES["valid"],
    benchmark: int = DEFAULT_SIZES["benchmark"],
    seed: int = 0,
) -> SynthData:
    return generate_domain(get_domain(domain), train, valid, benchmark, seed)
