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


def _parse_examples(values: list[str] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise LocoError(f"--examples {value!r}: use NAME=FILE, e.g. --examples math=data/math/train.jsonl")
        out.setdefault(name.strip(), []).append(path.strip())
    return out


@router_app.command("fit")
def fit_cmd(
    examples: Optional[List[str]] = typer.Option(
        None,
        "--examples",
        help="NAME=FILE: example queries for an adapter (default: its router_examples.jsonl); "
        "repeat a name to pool several files, each an equal share of --per-label.",
    ),
    general: Optional[List[Path]] = typer.Option(None, "--general", help="More general queries for the base."),
    shipped_general: bool = typer.Option(
        True, "--shipped-general/--no-shipped-general", help="Use loco's own general queries too."
    ),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="Base (default: the active adapters' base)."),
    layer: Optional[int] = typer.Option(None, "--layer", help="Blocks to embed with (default: a fifth of them)."),
    pooling: str = typer.Option("mean", "--pooling", help="mean | last."),
    max_tokens: int = typer.Option(256, "--max-tokens", help="Longer queries are embedded from both ends."),
    per_label: int = typer.Option(400, "--per-label", help="At most this many example queries per label."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Fit the router on the active adapters' example queries and general ones; write router.json."""
    from loco_mlx.inference.open import EngineSettings, open_engine
    from loco_mlx.router.fit import FitOptions, fit_plan, plan_fit
    from loco_mlx.router.hybrid import routed_base

    registry = _registry()
    options = FitOptions(_parse_examples(examples), list(general or []), shipped_general, layer, pooling, max_tokens,
                         per_label, seed)  # fmt: skip
    plan = plan_fit(registry, routed_base(registry, base), options)  # every user error before the base loads
    engine = open_engine(EngineSettings(plan.record, registered=False, warn=err))

    def progress(done: int, count: int) -> None:
        if sys.stderr.isatty() and (done % 25 == 0 or done == count):
            err(f"\r  embedded {done}/{count}" + ("\n" if done == count else ""))

    result = fit_plan(plan, engine.make_encoder, progress, say=err)
    for label in result.fitted.labels:
        files = ", ".join(str(f) for f in result.read_from[label])
        typer.echo(f"  {label:<12} {result.counts[label]:>4} queries  {files}")
    cv = result.fitted.cv
    base_precision = cv["base_precision"]
    typer.echo(
        f"cross-validated ({cv['folds']} folds): accuracy {cv['accuracy']:.3f}, precision of base "
        f"{'n/a' if base_precision is None else f'{base_precision:.3f}'}; temperature {cv['temperature']:.2f}, "
        f"threshold {cv['threshold']:.2f}"
    )
    typer.echo(f"router: {result.path}")


def _open_router(registry, base: str | None):
    """The router `--adapter auto` would use, on an engine over the routed base (adapters unloaded:
    routing only embeds with the plain base)."""
    from loco_mlx.inference.open import EngineSettings, open_engine
    from loco_mlx.router.hybrid import open_router, routed_base

    engine = open_engine(EngineSettings(routed_base(registry, base), registered=False, warn=err))
    return open_router(registry, engine.base.record, engine.make_encoder, warn=err)


@router_app.command("eval")
def eval_cmd(
    labelled: Path = typer.Argument(..., help='JSONL of {"query", "label"[, "kind"]}; label: adapter name or base.'),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="Base (default: the active adapters' base)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Accuracy, per-label precision and recall, confusion, calibration and latency on a labelled set."""
    import json

    from loco_mlx.router.accuracy import evaluate_router, format_report
    from loco_mlx.router.examples import read_labelled

    items = read_labelled(labelled)
    router = _open_router(_registry(), base)
    report = evaluate_router(router, items)
    typer.echo(json.dumps(report, indent=2) if json_output else format_report(report))


@router_app.command("info")
def info_cmd(base: Optional[str] = typer.Option(None, "--base", "-b")) -> None:
    """Where the router file is, what it was fitted on, and whether the registry has changed since."""
    from loco_mlx.router.hybrid import (
        ROUTER_FILE,
        active_for_base,
        load_router,
        registry_signature,
        routed_base,
        staleness,
    )

    registry = _registry()
    path = registry.root / ROUTER_FILE
    if not path.is_file():
        typer.echo(f"no router fitted ({path}); fit one with `loco router fit`")
        return
    fitted = load_router(path)
    record = routed_base(registry, base)
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

    from loco_mlx.router.accuracy import decision_dict, explain_lines

    if not query.strip():
        raise LocoError("empty query: there is nothing to route")
    decision = _open_router(_registry(), base).route(query)
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
