"""Program-generated, program-verified training data and benchmarks for narrow domains.

`generate(domain, train, valid, benchmark, seed)` draws the splits; `write_dataset` writes
train.jsonl, valid.jsonl, benchmark.jsonl and manifest.json. Domains: math (multi-step word
problems, scorer numeric), json (field extraction, scorer json_fields) and code (small Python
functions, scorer code_exec). Math has two reply styles: `text` (the working in sentences) and
`program` (a short Python program the engine runs in the sandbox: math_programs.py).
See `loco_mlx.data.synth.common` for the held-out templates and the contamination guarantee.
"""

from __future__ import annotations

from loco_mlx.data.synth import (
    code_tasks,
    json_extract,
    math_problems,
    math_programs,
    math_shapes_a,
    math_shapes_b,
    math_shapes_c,
    math_shapes_d,
)
from loco_mlx.data.synth.common import Domain, Sample, SynthData, check_out_dir, heldout_templates, write_dataset
from loco_mlx.data.synth.common import generate as generate_domain
from loco_mlx.errors import LocoError

DOMAINS: dict[str, Domain] = {d.name: d for d in (math_problems.DOMAIN, json_extract.DOMAIN, code_tasks.DOMAIN)}
# Reply styles other than each domain's default ("text"); a style's data records the tool its replies need.
STYLES: dict[tuple[str, str], Domain] = {
    ("math", "program"): Domain(
        "math", "numeric", tuple(math_programs.SHAPES), math_programs.verify, {"relative": 0.0}, "program", "python"
    ),
}
assert math_shapes_a and math_shapes_b and math_shapes_c and math_shapes_d  # imported for their registrations
DEFAULT_SIZES = {"train": 600, "valid": 60, "benchmark": 120}

__all__ = ["DOMAINS", "DEFAULT_SIZES", "Domain", "Sample", "SynthData", "check_out_dir", "generate", "get_domain",
           "heldout_templates", "write_dataset"]  # fmt: skip


def get_domain(name: str, style: str = "text") -> Domain:
    if name not in DOMAINS:
        raise LocoError(f"unknown domain {name!r}; known domains: {', '.join(sorted(DOMAINS))}")
    if style == "text":
        return DOMAINS[name]
    if (name, style) not in STYLES:
        styles = ", ".join(["text"] + sorted(s for d, s in STYLES if d == name))
        raise LocoError(f"{name} has no --style {style!r}; styles: {styles}")
    return STYLES[name, style]


def generate(
    domain: str,
    train: int = DEFAULT_SIZES["train"],
    valid: int = DEFAULT_SIZES["valid"],
    benchmark: int = DEFAULT_SIZES["benchmark"],
    seed: int = 0,
    style: str = "text",
) -> SynthData:
    return generate_domain(get_domain(domain, style), train, valid, benchmark, seed)
