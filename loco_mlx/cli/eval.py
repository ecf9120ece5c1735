"""`loco eval`: the evaluation gate."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def eval_cmd(
    adapter: str = typer.Argument(..., help="A registered adapter name or an adapter directory."),
    benchmark: Path = typer.Option(..., "--benchmark", help="Benchmark JSONL (id, input, expected, scorer, ...)."),
    ood: Optional[list[Path]] = typer.Option(
        None, "--ood", help="Out-of-domain benchmark (repeatable): the adapter must stay within 5 points on each."
    ),
    train_data: Optional[str] = typer.Option(None, "--train-data", help="Training data to check for contamination."),
    base: Optional[str] = typer.Option(
        None, "--base", "-b", help="Base (default: the one the adapter was trained on)."
    ),
    max_tokens: int = typer.Option(256, "--max-tokens"),
    batch_size: int = typer.Option(8, "--batch-size", help="Items generated together."),
    reread: bool = typer.Option(True, "--reread/--no-reread", help="RE2 re-reading, as in generate."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="results.json path (default: inside the adapter directory)."
    ),
    compare_with: Optional[str] = typer.Option(None, "--compare", help="Compare ADAPTER with this adapter instead."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
    backend: str = typer.Option("mlx", "--backend", help="mlx | llamacpp | auto (MLX on Metal/CUDA, else llama.cpp)."),
) -> None:
    """Benchmark an adapter against its base; exit 0 only for SHIP (ITERATE 2, REJECT 3)."""
    from loco_mlx.evaluation.gate import EvalSettings, compare_adapters, evaluate
    from loco_mlx.evaluation.stats import VERDICT_EXIT_CODES
    from loco_mlx.inference.open import check_backend

    check_backend(backend)

    settings = EvalSettings(max_tokens=max_tokens, batch_size=batch_size, reread=reread)
    if compare_with:
        c = compare_adapters(adapter, compare_with, str(benchmark), base, settings, quiet, backend)
        boot, mc = c["bootstrap"], c["mcnemar"]
        typer.echo(
            f"{c['second']} vs {c['first']} on {c['items']} items: {c['adapter_score']:.3f} vs {c['base_score']:.3f} "
            f"({boot['mean_difference'] * 100:+.1f} points, 95% CI {boot['low'] * 100:+.1f} .. "
            f"{boot['high'] * 100:+.1f}; McNemar p = {mc['p_value']:.3g})"
        )
        for row in c["per_difficulty"]:
            typer.echo(f"  {row['group']:<8} n={row['n']:<4} {row['base']:.3f} -> {row['adapter']:.3f}")
        return
    r = evaluate(adapter, str(benchmark), [str(p) for p in ood or []], train_data, base, settings,
                 str(out) if out else None, quiet, backend)  # fmt: skip
    boot, mc = r["bootstrap"], r["mcnemar"]
    typer.echo(f"{r['adapter']} vs {r['base']} on {r['items']} items ({Path(r['benchmark']).name}):")
    interval = f"95% CI {boot['low'] * 100:+.1f} .. {boot['high'] * 100:+.1f}"
    typer.echo(f"  score  base {r['base_score']:.3f}  adapter {r['adapter_score']:.3f}  "
               f"({r['improvement_points']:+.1f} points, {interval})")  # fmt: skip
    typer.echo(f"  McNemar: base-only right {mc['b']}, adapter-only right {mc['c']}, p = {mc['p_value']:.3g}")
    for row in r["per_difficulty"]:
        typer.echo(f"  {row['group']:<8} n={row['n']:<4} base {row['base']:.3f}  adapter {row['adapter']:.3f}")
    for o in r["out_of_domain"]:
        typer.echo(f"  out-of-domain {o['benchmark']}: base {o['base_score']:.3f}  "
                   f"adapter {o['adapter_score']:.3f}")  # fmt: skip
    typer.echo(f"  contamination: {'clean' if r['contamination']['clean'] else 'FOUND'}")
    failures = r["failures"]
    groups = ", ".join(f"{k} {v['count']}" for k, v in failures["groups"].items()) or "none"
    lost = len(failures["lost_to_base"])
    typer.echo(f"  adapter wrong on {failures['wrong']} items ({groups}); lost to the base on {lost}")
    typer.echo("  (examples of each are in results.json: what the next round of training data should cover)")
    typer.echo(f"verdict: {r['verdict']}")
    for reason in r["reasons"]:
        typer.echo(f"  - {reason}")
    typer.echo(f"results: {r['results_path']} ({r['registry']})")
    raise typer.Exit(VERDICT_EXIT_CODES[r["verdict"]])
