"""`loco router fit` without the command line: what each label is fitted on, the encoder settings
checked before the base loads, the fit, and router.json written.

An active adapter's example queries come from `--examples NAME=FILE` (repeatable: several files
for one adapter are pooled), else the files the last fit read for it (router.json remembers them,
so a plain refit needs no options), else the adapter's own router_examples.jsonl or training data
(examples.adapter_examples). The base's label gets loco's general queries and any `--general`
files (else those the last fit read). Pooled files share a label's budget equally (pooled_sample),
so a few hundred hand-written requests are not drowned by a thousand templated training prompts.
router.json records the files relative to the registry's folder when inside it or its parent, so
a checkout can move without the record pointing into the machine it was fitted on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from loco_mlx.errors import LocoError
from loco_mlx.router.classifier import BASE, FitSettings
from loco_mlx.router.embed import EncoderConfig, check_layer, default_layer, layer_count
from loco_mlx.router.examples import GENERAL_QUERIES, adapter_examples, pooled_sample, read_queries
from loco_mlx.router.hybrid import (
    ROUTER_FILE,
    FittedRouter,
    active_for_base,
    fit_router,
    load_router,
    registry_signature,
    save_router,
)


@dataclass
class FitOptions:
    examples: dict[str, list[str]] = field(default_factory=dict)  # adapter name -> FILEs (--examples)
    general: list[Path] = field(default_factory=list)  # more general queries (--general)
    shipped_general: bool = True  # loco's own general queries too
    layer: int | None = None  # blocks to embed with; None: default_layer of the base's
    pooling: str = "mean"
    max_tokens: int = 256
    per_label: int = 400  # at most this many queries per label
    seed: int = 0


@dataclass
class FitPlan:
    """What a fit reads, gathered and checked before the base loads."""

    record: Any  # the BaseRecord whose active adapters are routed
    entries: list  # their registry entries
    root: Path  # the registry's folder: router.json goes there
    queries: dict[str, list[str]]  # label -> the sampled queries
    read_from: dict[str, list[str]]  # label -> the files they were read from
    options: FitOptions
    config: EncoderConfig | None  # None until the base loads when its config.json hides its layer count

    @property
    def path(self) -> Path:
        return self.root / ROUTER_FILE

    @property
    def total(self) -> int:
        return sum(len(q) for q in self.queries.values())


@dataclass
class FitResult:
    fitted: FittedRouter
    path: Path  # the router.json written
    counts: dict[str, int]  # label -> queries fitted on
    read_from: dict[str, list[str]]  # label -> the files they were read from


def plan_fit(registry, record, options: FitOptions) -> FitPlan:
    """Everything but the embedding: the active adapters, the encoder settings and each label's
    queries; a LocoError for any of them comes before the base loads."""
    config = encoder_config(options, layer_count(record.model_dir))  # flags first: they need no registry
    entries = active_for_base(registry, record.fingerprint)
    if not entries:
        raise LocoError(
            f"no active adapters for base {record.id}: promote one (loco adapters promote NAME, after loco eval "
            "gives SHIP) before fitting a router"
        )
    unknown = sorted(set(options.examples) - {e.name for e in entries})
    if unknown:
        raise LocoError(f"--examples names {', '.join(unknown)}, not active adapters of {record.id}")
    root = Path(registry.root)
    queries, read_from = gather_queries(root, entries, options)
    return FitPlan(record, entries, root, queries, read_from, options, config)


def encoder_config(options: FitOptions, num_layers: int | None) -> EncoderConfig | None:
    """The encoder settings, checked against the base's layer count when its config gives it;
    None when the default layer must wait for the loaded base to say how many it has."""
    if options.layer is not None and num_layers is not None:
        check_layer(options.layer, num_layers)
    layer = options.layer if options.layer is not None else default_layer(num_layers or 1)
    config = EncoderConfig(layer, options.pooling, options.max_tokens)  # checks --pooling, --max-tokens
    return None if options.layer is None and num_layers is None else config


def gather_queries(root: Path, entries, options: FitOptions) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(label -> sampled queries, label -> the files read) for the adapters and the base."""
    previous = previous_sources(root / ROUTER_FILE)
    queries, read_from = {}, {}
    for entry in entries:
        chosen = options.examples.get(entry.name) or remembered_files(root, previous.get(entry.name))
        found = [adapter_examples(entry, file) for file in chosen] if chosen else [adapter_examples(entry)]
        queries[entry.name] = pooled_sample([q for q, _ in found], options.per_label, options.seed)
        read_from[entry.name] = [where for _, where in found]
    shipped = portable(GENERAL_QUERIES, root)  # recorded by its package path, which is no file to look up
    given_before = [f for f in (previous.get(BASE) or {}).get("files") or [] if f != shipped]
    more = [Path(g) for g in options.general] or [Path(f) for f in remembered_files(root, {"files": given_before})]
    general_files = ([GENERAL_QUERIES] if options.shipped_general else []) + more
    queries[BASE] = pooled_sample([read_queries(f) for f in general_files], options.per_label, options.seed)
    read_from[BASE] = [str(f) for f in general_files]
    return queries, read_from


def remembered_files(root: Path, source: dict | None) -> list[str]:
    """The example files the last fit read for an adapter that are still there: recorded relative
    to the registry's folder (or absolute); routers fitted before that recorded them as typed."""
    found = []
    for remembered in (source or {}).get("files") or []:
        there = [f for f in (Path(os.path.normpath(root / remembered)), Path(remembered)) if f.is_file()]
        found += [str(there[0])] if there else []
    return found


def previous_sources(path: Path) -> dict:
    """The example files the last fit used (a broken or missing router.json just has none)."""
    try:
        return load_router(path).sources if path.is_file() else {}
    except LocoError:
        return {}


def portable(path: str | Path, root: Path) -> str:
    """A source file as router.json records it: relative to the registry's folder when inside it or
    its parent (a checkout's data/ beside adapters/), the shipped general queries by their package
    path, anything else absolute."""
    path = Path(path).expanduser().resolve()
    if path == GENERAL_QUERIES.resolve():
        return "loco_mlx/resources/" + path.name
    root = Path(root).resolve()
    for folder, prefix in ((root, ""), (root.parent, "../")):
        if path.is_relative_to(folder):
            return prefix + path.relative_to(folder).as_posix()
    return str(path)


def open_encoder(plan: FitPlan, make_encoder: Callable[[EncoderConfig], Any]):
    """The plan's encoder from `make_encoder` (Engine.make_encoder); a base whose config.json
    hid its layer count gets the default layer now that it is loaded."""
    if plan.config is None:
        pooling, max_tokens = plan.options.pooling, plan.options.max_tokens
        probe = make_encoder(EncoderConfig(0, pooling, max_tokens))
        plan.config = EncoderConfig(default_layer(probe.num_layers), pooling, max_tokens)
    return make_encoder(plan.config)


def fit_plan(
    plan: FitPlan,
    make_encoder: Callable[[EncoderConfig], Any],
    progress: Callable[[int, int], object] | None = None,
    say: Callable[[str], object] | None = None,
) -> FitResult:
    """Embed the plan's queries, fit the router and write router.json; `say` hears what is fitted."""
    encoder = open_encoder(plan, make_encoder)
    record = plan.record
    if say:
        say(f"fitting the router for {len(plan.entries)} adapters on {record.id} "
            f"(layer {plan.config.layer}, {plan.total} queries)")  # fmt: skip
    sources = {label: {"files": [portable(f, plan.root) for f in plan.read_from[label]],
                       "count": len(plan.queries[label])} for label in plan.queries}  # fmt: skip
    fitted = fit_router(
        encoder, plan.queries, {e.name: e.keywords for e in plan.entries},
        base={"id": record.id, "fingerprint": record.fingerprint}, registry=registry_signature(plan.entries),
        settings=FitSettings(seed=plan.options.seed), sources=sources, progress=progress,
    )  # fmt: skip
    save_router(fitted, plan.path)
    counts = {label: len(queries) for label, queries in plan.queries.items()}
    return FitResult(fitted, plan.path, counts, plan.read_from)
