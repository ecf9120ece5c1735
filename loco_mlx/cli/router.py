"""`loco route` and `loco router fit|eval|info`: parse options, print; the work is in router/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from loco_mlx.cli.options import err
from loco_mlx.errors import LocoError

router_app = typer.Typer(help="Fit, evaluate and inspect the query router.", no_args_is_help=True)


def _registry():
    from loco_mlx.adapters.registry import Registry

    return Registry()


def _router_base(registry, base: str | None):
    """The base whose active adapters are routed: --base, else the one the active adapters share."""
    from loco_mlx.bases.resolve import resolve_base

    if base:
        return resolve_base(base)
    bases = sorted({e.base_id for e in registry.entries() if e.active})
    if len(bases) > 1:
        raise LocoError(f"active adapters belong to several bases ({', '.join(bases)}); choose one with --base")
    return resolve_base(bases[0] if bases else None)


def _parse_examples(values: list[str] | None) -> dict[str, str]:
    out = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise LocoError(f"--examples {value!r}: use NAME=FILE, e.g. --examples math=data/math/train.jsonl")
        out[name.strip()] = path.strip()
    return out


@router_app.command("fit")
def fit_cmd(
    examples: Optional[List[str]] = typer.Option(
        None, "--examples", help="NAME=FILE: example queries for an adapter (default: its router_examples.jsonl)."
    ),
    general: Optional[List[Path]] = typer.Option(None, "--general", help="More general queries for the base."),
    shipped_general: bool = typer.Option(
        True, "--shipped-general/--no-shipped-general", help="Use loco's own general queries too."
    ),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="Base (default: the active adapters' base)."),
    layer: Optional[int] = typer.Option(None, "--layer", help="Blocks to embed with (default: a third of them)."),
    pooling: str = typer.Option("mean", "--pooling", help="mean | last."),
    max_tokens: int = typer.Option(256, "--max-tokens", help="Longer queries are embedded from both ends."),
    per_label: int = typer.Option(400, "--per-label", help="At most this many example queries per label."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Fit the router on the active adapters' example queries and general ones; write router.json."""
    from loco_mlx.bases.loading import load_base
    from loco_mlx.router.classifier import BASE, FitSettings
    from loco_mlx.router.embed import BaseEncoder, EncoderConfig, default_layer
    from loco_mlx.router.examples import GENERAL_QUERIES, adapter_examples, read_queries, sample_queries
    from loco_mlx.router.hybrid import (
        ROUTER_FILE,
        active_for_base,
        fit_router,
        registry_signature,
        save_router,
    )

    registry = _registry()
    record = _router_base(registry, base)
    entries = active_for_base(registry, record.fingerprint)
    if not entries:
        raise LocoError(
            f"no active adapters for base {record.id}: promote one (loco adapters promote NAME, after loco eval "
            "gives SHIP) before fitting a router"
        )
    given = _parse_examples(examples)
    unknown = sorted(set(given) - {e.name for e in entries})
    if unknown:
        raise LocoError(f"--examples names {', '.join(unknown)}, not active adapters of {record.id}")
    path = registry.root / ROUTER_FILE
    previous = _previous_sources(path)
    queries, read_from = {}, {}  # label -> its queries, and the files they were read from
    for entry in entries:  # a file given last time is used again, so a plain refit needs no options
        remembered = (previous.get(entry.name) or {}).get("files", [None])[0]
        # relative to the registry's folder (or absolute); routers fitted before that stored it as typed
        found_again = [f for f in (registry.root / remembered, Path(remembered)) if f.is_file()] if remembered else []
        chosen = given.get(entry.name) or (str(found_again[0]) if found_again else None)
        found, where = adapter_examples(entry, chosen)
        queries[entry.name], read_from[entry.name] = sample_queries(found, per_label, seed), [where]
    general_files = ([GENERAL_QUERIES] if shipped_general else []) + [Path(g) for g in general or []]
    general_queries = [q for file in general_files for q in read_queries(file)]
    queries[BASE], read_from[BASE] = sample_queries(general_queries, per_label, seed), general_files
    sources = {label: {"files": [_portable(f, registry.root) for f in read_from[label]], "count": len(queries[label])}
               for label in queries}  # fmt: skip

    loaded = load_base(record)
    config = EncoderConfig(layer if layer is not None else default_layer(len(loaded.model.model.layers)),
                           pooling, max_tokens)  # fmt: skip
    encoder = BaseEncoder(loaded.model, loaded.tokenizer, config)
    total = sum(len(q) for q in queries.values())
    err(f"fitting the router for {len(entries)} adapters on {record.id} (layer {config.layer}, {total} queries)")

    def progress(done: int, count: int) -> None:
        if sys.stderr.isatty() and (done % 25 == 0 or done == count):
            err(f"\r  embedded {done}/{count}" + ("\n" if done == count else ""))

    fitted = fit_router(
        encoder, queries, {e.name: e.keywords for e in entries}, {"id": record.id, "fingerprint": record.fingerprint},
        registry_signature(entries), FitSettings(seed=seed), sources, progress,
    )  # fmt: skip
    save_router(fitted, path)
    cv = fitted.cv
    for label in fitted.labels:
        files = ", ".join(str(f) for f in read_from[label])
        typer.echo(f"  {label:<12} {len(queries[label]):>4} queries  {files}")
    base_precision = cv["base_precision"]
    typer.echo(
        f"cross-validated ({cv['folds']} folds): accuracy {cv['accuracy']:.3f}, precision of base "
        f"{'n/a' if base_precision is None else f'{base_precision:.3f}'}; temperature {cv['temperature']:.2f}, "
        f"threshold {cv['threshold']:.2f}"
    )
    typer.echo(f"router: {path}")


def _portable(path: str | Path, root: Path) -> str:
    """A source file as router.json records it: relative to the registry's folder when inside it,
    the shipped general queries by their package path; so a checkout can move without the
    record pointing into the machine it was fitted on."""
    from loco_mlx.router.examples import GENERAL_QUERIES

    path = Path(path).expanduser().resolve()
    if path == GENERAL_QUERIES.resolve():
        return "loco_mlx/resources/" + path.name
    try:
        return path.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _previous_sources(path: Path) -> dict:
    """The example files the last fit used (a broken or missing router.json just has none)."""
    from loco_mlx.router.hybrid import load_router

    try:
        return load_router(path).sources if path.is_file() else {}
    except LocoError:
        return {}


@router_app.command("eval")
def eval_cmd(
    labelled: Path = typer.Argument(..., help='JSONL of {"query", "label"[, "kind"]}; label: adapter name or base.'),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="Base (default: the active adapters' base)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Accuracy, per-label precision and recall, confusion, calibration and latency on a labelled set."""
    import json

    from loco_mlx.bases.loading import load_base
    from loco_mlx.router.accuracy import evaluate_router, format_report
    from loco_mlx.router.examples import read_labelled
    from loco_mlx.router.hybrid import open_router

    items = read_labelled(labelled)
    registry = _registry()
    record = _router_base(registry, base)
    loaded = load_base(record)
    router = open_router(registry, loaded.model, loaded.tokenizer, record, warn=err)
    report = evaluate_router(router, items)
    typer.echo(json.dumps(report, indent=2) if json_output else format_report(report))


@router_app.command("info")
def info_cmd(base: Optional[str] = typer.Option(None, "--base", "-b")) -> None:
    """Where the router file is, what it was fitted on, and whether the registry has changed since."""
    from loco_mlx.router.hybrid import ROUTER_FILE, active_for_base, load_router, registry_signature, staleness

    registry = _registry()
    path = registry.root / ROUTER_FILE
    if not path.is_file():
        typer.echo(f"no router fitted ({path}); fit one with `loco router fit`")
        return
    fitted = load_router(path)
    record = _router_base(registry, base)
    stale = staleness(fitted, registry_signature(active_for_base(registry, record.fingerprint)))
    typer.echo(f"router   {path} (fitted {fitted.created})")
    typer.echo(f"base     {fitted.base.get('id')} {str(fitted.base.get('fingerprint'))[:12]}")
    typer.echo(f"encoder  layer {fitted.encoder.layer}, {fitted.encoder.pooling} pooling, "
               f"max {fitted.encoder.max_tokens} tokens")  # fmt: skip
    typer.echo(f"labels   {', '.join(fitted.labels)}")
    c = fitted.classifier
    accuracy = fitted.cv.get("accuracy", float("nan"))
    typer.echo(f"cv       accuracy {accuracy:.3f}, threshold {c.threshold:.2f}, temperature {c.temperature:.2f}")
    typer.echo(f"status   {'stale: ' + stale + ' (refit: loco router fit)' if stale else 'current'}")


def route_cmd(
    query: str = typer.Argument(..., help="The query to route."),
    explain: bool = typer.Option(False, "--explain", help="Show keywords, similarities and probabilities."),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="Base (default: the active adapters' base)."),
    json_output: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Which adapter (or the base) would answer QUERY, how sure the router is, and why."""
    import json

    from loco_mlx.bases.loading import load_base
    from loco_mlx.router.accuracy import decision_dict, explain_lines
    from loco_mlx.router.hybrid import open_router

    if not query.strip():
        raise LocoError("empty query: there is nothing to route")
    registry = _registry()
    record = _router_base(registry, base)
    loaded = load_base(record)
    router = open_router(registry, loaded.model, loaded.tokenizer, record, warn=err)
    decision = router.route(query)
    if json_output:
        typer.echo(json.dumps(decision_dict(decision), indent=2))
        return
    confidence = "keywords only" if decision.confidence is None else f"confidence {decision.confidence:.2f}"
    typer.echo(f"{decision.label} ({confidence})")
    if explain:
        for line in explain_lines(decision):
            typer.echo(f"  {line}")
    elif decision.truncated:
        err(f"note: the query is {decision.tokens} tokens; it was routed on its first and last parts")
