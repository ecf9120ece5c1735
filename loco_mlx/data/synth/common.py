"""Shared machinery of the synthetic data generators: templates, held-out split, drawing, writing.

A domain is a list of templates; a template turns a seeded `random.Random` into one `Sample` (a
prompt, the reference reply, the benchmark's expected value) whose answer the program computed.
Key choices:
- whole templates are held out: a fixed third of each domain's templates, chosen by a seed that
  depends only on the domain (not on --seed), so data regenerated with another seed never trains
  on a template an earlier benchmark held out;
- every sample is checked by its domain's `verify` when drawn: a wrong reference is a bug, and
  generation stops with the template and prompt that produced it;
- prompts are unique across train, valid and benchmark (compared whitespace- and case-folded);
- benchmark candidates that `check_contamination` flags against train + valid are dropped and
  redrawn, and the final benchmark is checked once more, so what is written is clean.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from loco_mlx.errors import LocoError

HOLDOUT_FRACTION = 1 / 3  # share of each domain's templates never trained on
BENCHMARK_HELDOUT_SHARE = 0.6  # share of benchmark items drawn from held-out templates
MAX_DRAW_TRIES = 200  # attempts at a new prompt before a template counts as exhausted
MAX_CLEAN_ROUNDS = 50  # redraw rounds for contaminated benchmark candidates
DIFFICULTIES = ("easy", "medium", "hard")
_ALTERNATIVES = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
_GAP = re.compile(r"(?<=\S) {2,}")  # not indentation, which follows a newline


@dataclass(frozen=True)
class Sample:
    prompt: str
    reply: str  # the reference answer trained on
    expected: Any  # what the benchmark scorer compares the model's output with
    difficulty: str  # easy | medium | hard
    template: str = ""  # the template id; set by the generator
    tags: tuple[str, ...] = ()  # extra benchmark tags, e.g. "style:terse" (how the request is phrased)


@dataclass(frozen=True)
class Template:
    id: str
    group: str  # stratum for the held-out choice (steps or tier), so every stratum is held out
    make: Callable[[random.Random], Sample]


@dataclass(frozen=True)
class Domain:
    name: str
    scorer: str
    templates: tuple[Template, ...]
    verify: Callable[[Sample], None]  # raises LocoError when a sample's reference is wrong
    options: dict = field(default_factory=dict)  # scorer options written with every benchmark item
    style: str = "text"  # how replies are written: "text", or "program" (run by the engine's tool)
    tool: str | None = None  # the tool an adapter trained on these replies declares (manifest `tool`)


@dataclass
class SynthData:
    domain: Domain
    seed: int
    heldout: tuple[str, ...]  # template ids never in train or valid
    train: list[Sample]
    valid: list[Sample]
    benchmark: list[Sample]
    dropped: int  # benchmark candidates rejected as contaminated and redrawn


def render(rng: random.Random, text: str, **values) -> str:
    """Pick one of each `[a|b|c]` (an empty alternative is allowed), then fill `{name}` fields."""
    chosen = _ALTERNATIVES.sub(lambda m: rng.choice(m.group(1).split("|")), text)
    return _GAP.sub(" ", chosen.format(**values))  # an empty pick must not leave a double space


def article(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def heldout_templates(domain: Domain) -> tuple[str, ...]:
    """A fixed, stratified third of the domain's template ids (the same for every --seed)."""
    rng = random.Random(f"loco-synth-holdout:{domain.name}")
    groups: dict[str, list[str]] = {}
    for template in domain.templates:
        groups.setdefault(template.group, []).append(template.id)
    held = []
    for group in sorted(groups):
        ids = sorted(groups[group])
        rng.shuffle(ids)
        held += ids[: max(1, round(len(ids) * HOLDOUT_FRACTION))] if len(ids) > 1 else []
    return tuple(sorted(held))


def generate(domain: Domain, train: int, valid: int, benchmark: int, seed: int) -> SynthData:
    """Train and valid from the seen templates; a clean benchmark, mostly from held-out templates."""
    for option, value in (("--train", train), ("--valid", valid), ("--benchmark", benchmark)):
        if value < 1:
            raise LocoError(f"{option} must be at least 1, got {value}")
    heldout = heldout_templates(domain)
    seen_t = [t for t in domain.templates if t.id not in heldout]
    held_t = [t for t in domain.templates if t.id in heldout]
    rng = random.Random(f"loco-synth:{domain.name}:{seed}")
    used: set[str] = set()
    train_s = _draw(rng, domain, seen_t, train, used)
    valid_s = _draw(rng, domain, seen_t, valid, used)
    n_held = math.ceil(benchmark * BENCHMARK_HELDOUT_SHARE)
    wanted = ((held_t, n_held), (seen_t, benchmark - n_held))
    bench, dropped = _clean_benchmark(rng, domain, *wanted, train_s + valid_s, used)
    return SynthData(domain, seed, heldout, train_s, valid_s, bench, dropped)


def contamination_findings(trained: list[Sample], candidates: list[Sample]) -> list:
    """check_contamination of candidates (ids are their list positions) against trained prompts."""
    from loco_mlx.data.contamination import check_contamination
    from loco_mlx.data.datasets import Example

    examples = [Example(chat(s), None, "train", i, "messages") for i, s in enumerate(trained, 1)]
    return check_contamination(examples, [{"id": str(i), "input": c.prompt} for i, c in enumerate(candidates)])


def chat(sample: Sample) -> list[dict]:
    return [{"role": "user", "content": sample.prompt}, {"role": "assistant", "content": sample.reply}]


def train_row(sample: Sample) -> dict:
    return {"messages": chat(sample)}


def benchmark_row(data: SynthData, index: int, sample: Sample) -> dict:
    where = "heldout-template" if sample.template in data.heldout else "seen-template"
    return {
        "id": f"{data.domain.name}-{index:03d}",
        "input": sample.prompt,
        "expected": sample.expected,
        "scorer": data.domain.scorer,
        "options": dict(data.domain.options),
        "difficulty": sample.difficulty,
        "tags": [data.domain.name, where, f"template:{sample.template}", *sample.tags],
    }


def check_out_dir(out: str | Path, force: bool) -> Path:
    """The output directory, refused when it is a file or already holds files (unless force)."""
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise LocoError(f"--out {out} is a file, not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise LocoError(f"--out {out} is not empty; pass --force to overwrite its files")
    return path


def write_dataset(data: SynthData, out: str | Path, force: bool = False) -> dict[str, Path]:
    """train.jsonl, valid.jsonl, benchmark.jsonl and manifest.json in `out`, each written atomically."""
    from loco_mlx.files import write_atomic

    path = check_out_dir(out, force)
    path.mkdir(parents=True, exist_ok=True)
    files = {
        "train": [train_row(s) for s in data.train],
        "valid": [train_row(s) for s in data.valid],
        "benchmark": [benchmark_row(data, i, s) for i, s in enumerate(data.benchmark)],
    }
    written = {}
    for name, rows in files.items():
        written[name] = path / f"{name}.jsonl"
        write_atomic(written[name], "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    written["manifest"] = path / "manifest.json"
    write_atomic(written["manifest"], json.dumps(manifest(data), indent=2) + "\n")
    return written


def manifest(data: SynthData) -> dict:
    """How the files were made: enough to regenerate them and to see which templates were held out."""
    counts: dict[str, dict[str, int]] = {t.id: {"train": 0, "valid": 0, "benchmark": 0} for t in data.domain.templates}
    for split in ("train", "valid", "benchmark"):
        for sample in getattr(data, split):
            counts[sample.template][split] += 1
    held = sum(s.template in data.heldout for s in data.benchmark)
    return {
        "generator": "loco data synth",
        "domain": data.domain.name,
        "seed": data.seed,
        "style": data.domain.style,
        "tool": data.domain.tool,
        "sizes": {"train": len(data.train), "valid": len(data.valid), "benchmark": len(data.benchmark)},
        "benchmark_heldout_items": held,
        "benchmark_dropped_as_contaminated": data.dropped,
        "heldout_templates": list(data.heldout),
        "templates": counts,
    }


# --- drawing -------------------------------------------------------------------------------------


def _draw(rng: random.Random, domain: Domain, templates: list[Template], n: int, used: set[str]) -> list[Sample]:
    """n new samples, cycling through the templates in a reshuffled order so each gets its share."""
    out: list[Sample] = []
    live = list(templates)
    while len(out) < n:
        if not live:
            raise LocoError(
                f"{domain.name}: the templates ran out of distinct prompts after {len(used)}; ask for fewer examples"
            )
        order = list(live)
        rng.shuffle(order)
        for template in order:
            if len(out) == n:
                break
            sample = _new_sample(rng, domain, template, used)
            if sample is None:
                live.remove(template)  # exhausted: the others fill its share
            else:
                out.append(sample)
    return out


def _new_sample(rng: random.Random, domain: Domain, template: Template, used: set[str]) -> Sample | None:
    for _ in range(MAX_DRAW_TRIES):
        sample = template.make(rng)
        key = " ".join(sample.prompt.lower().split())
        if key in used:
            continue
        sample = replace(sample, template=template.id)
        if sample.difficulty not in DIFFICULTIES:
            raise LocoError(f"{domain.name} template {template.id}: difficulty {sample.difficulty!r} is not a tier")
        try:
            domain.verify(sample)
        except LocoError as exc:
            where = f"{domain.name} template {template.id}"
            raise LocoError(f"{where} made a wrong sample ({exc}): {sample.prompt!r}") from None
        used.add(key)
        return sample
    return None


def _clean_benchmark(rng, domain, held, seen, trained, used) -> tuple[list[Sample], int]:
    """`held` and `seen` are (templates, count); candidates flagged as contaminated are redrawn."""
    (held_t, n_held), (seen_t, n_seen) = held, seen
    kept_held: list[Sample] = []
    kept_seen: list[Sample] = []
    dropped = 0
    for _ in range(MAX_CLEAN_ROUNDS):
        need_held, need_seen = n_held - len(kept_held), n_seen - len(kept_seen)
        if not need_held and not need_seen:
            break
        candidates = _draw(rng, domain, held_t, need_held, used) + _draw(rng, domain, seen_t, need_seen, used)
        flagged = {int(f.benchmark_id) for f in contamination_findings(trained, candidates)}
        dropped += len(flagged)
        for i, sample in enumerate(candidates):
            if i not in flagged:
                (kept_held if i < need_held else kept_seen).append(sample)
    if len(kept_held) < n_held or len(kept_seen) < n_seen:
        raise LocoError(
            f"{domain.name}: only {len(kept_held) + len(kept_seen)} of {n_held + n_seen} benchmark items are clean "
            f"of the training data after {MAX_CLEAN_ROUNDS} rounds; ask for a smaller --benchmark or --train"
        )
    bench = kept_held + kept_seen
    rng.shuffle(bench)
    if findings := contamination_findings(trained, bench):  # the guarantee, checked on what is returned
        raise LocoError(f"{domain.name}: benchmark still contaminated: {findings[0]}")
    return bench, dropped
