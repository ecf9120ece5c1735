"""`loco eval`: the evaluation gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from loco_mlx.cli.options import AllowUnsandboxedFlag, JsonGuideFlag, ToolsFlag, check_flag
from loco_mlx.errors import LocoError

if TYPE_CHECKING:  # the evaluation modules load only when the command runs
    from loco_mlx.evaluation.results import AdapterComparison, EvalResult, Failures
    from loco_mlx.evaluation.stats import BootstrapResult


def eval_cmd(
    adapter: str = typer.Argument(..., help="A registered adapter name or an adapter directory."),
    benchmark: list[Path] = typer.Option(
        ...,
        "--benchmark",
        help="Benchmark JSONL (id, input, expected, scorer, ...); repeatable: SHIP needs the gain on each.",
    ),
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
    json_guide: str = JsonGuideFlag,
    out: Optional[Path] = typer.Option(
        None, "--out", help="results.json path (default: inside the adapter directory)."
    ),
    compare_with: Optional[str] = typer.Option(None, "--compare", help="Compare ADAPTER with this adapter instead."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
    backend: str = typer.Option("mlx", "--backend", help="mlx | llamacpp | auto (MLX on Metal/CUDA, else llama.cpp)."),
    votes: int = typer.Option(1, "--votes", help="Self-consistency: each answer is the majority of N samples."),
    mixed_batch: bool = typer.Option(
        True,
        "--mixed-batch/--no-mixed-batch",
        help="MLX: base and adapter answer in one batch of 2 x --batch-size rows when the base is not cached "
        "(1.3-1.45x faster on a CPU, the same replies).",
    ),
    tools: bool = ToolsFlag,
    allow_unsandboxed_tools: bool = AllowUnsandboxedFlag,
) -> None:
    """Benchmark an adapter against its base; exit 0 only for SHIP (ITERATE 2, REJECT 3)."""
    from loco_mlx.evaluation.gate import EvalRequest, EvalSettings, compare_adapters, evaluate
    from loco_mlx.evaluation.stats import VERDICT_EXIT_CODES
    from loco_mlx.inference.engine import InferenceConfig
    from loco_mlx.inference.open import check_backend

    check_backend(backend)
    if votes < 1:
        raise LocoError(f"--votes must be at least 1, got {votes}")
    settings = EvalSettings(max_tokens=max_tokens, batch_size=batch_size, reread=reread, votes=votes, tools=tools,
                            json_guide=check_flag(InferenceConfig, "json_guide", json_guide, "--json-guide"),
                            allow_unsandboxed_tools=allow_unsandboxed_tools)  # fmt: skip
    if out is not None:  # before the run, not after it: a missing folder must not cost the answers
        _ensure_folder(out)
    first, *more = [str(p) for p in benchmark]
    if compare_with:
        if more:
            raise LocoError(f"--compare takes one --benchmark, got {len(benchmark)}: compare on each in turn")
        _print_comparison(compare_adapters(adapter, compare_with, first, base=base, settings=settings,
                                           quiet=quiet, backend=backend))  # fmt: skip
        return
    request = EvalRequest(adapter, first, ood=[str(p) for p in ood or []], more_benchmarks=more, train_data=train_data,
                          base=base, settings=settings, out=str(out) if out else None, quiet=quiet,
                          backend=backend, mixed=mixed_batch)  # fmt: skip
    result = evaluate(request)
    _print_result(result)
    raise typer.Exit(VERDICT_EXIT_CODES[result.verdict])


def _interval(boot: BootstrapResult) -> str:
    return f"95% CI {boot.low * 100:+.1f} .. {boot.high * 100:+.1f}"


def _print_comparison(c: AdapterComparison) -> None:
    s = c.comparison
    typer.echo(
        f"{c.second} vs {c.first} on {c.items} items: {s.adapter_score:.3f} vs {s.base_score:.3f} "
        f"({s.bootstrap.mean_difference * 100:+.1f} points, {_interval(s.bootstrap)}; "
        f"McNemar p = {s.mcnemar.p_value:.3g})"
    )
    for row in s.per_difficulty:
        typer.echo(f"  {row.group:<8} n={row.n:<4} {row.base:.3f} -> {row.adapter:.3f}")
    for row in s.per_style:
        typer.echo(f"  style {row.group:<14} n={row.n:<4} {row.base:.3f} -> {row.adapter:.3f}")


def _print_failures(failures: Failures) -> None:
    groups = ", ".join(f"{k} {g.count}" for k, g in failures.groups.items()) or "none"
    lost = len(failures.lost_to_base)
    typer.echo(f"  adapter wrong on {failures.wrong} items ({groups}); lost to the base on {lost}")


def _print_groups(s) -> None:
    for row in s.per_difficulty:
        typer.echo(f"  {row.group:<8} n={row.n:<4} base {row.base:.3f}  adapter {row.adapter:.3f}")
    for row in s.per_style:
        typer.echo(f"  style {row.group:<14} n={row.n:<4} base {row.base:.3f}  adapter {row.adapter:.3f}")


def _print_result(r: EvalResult) -> None:
    s, mc = r.comparison, r.comparison.mcnemar
    typer.echo(f"{r.adapter} vs {r.base} on {r.items} items ({Path(r.benchmark).name}):")
    typer.echo(f"  score  base {s.base_score:.3f}  adapter {s.adapter_score:.3f}  "
               f"({r.improvement_points:+.1f} points, {_interval(s.bootstrap)})")  # fmt: skip
    typer.echo(f"  McNemar: base-only right {mc.b}, adapter-only right {mc.c}, p = {mc.p_value:.3g}")
    _print_groups(s)
    for o in r.out_of_domain:
        lost = f"  (below the base on {len(o.lost)} items: the results file keeps both replies)" if o.lost else ""
        typer.echo(f"  out-of-domain {o.benchmark}: base {o.base_score:.3f}  adapter {o.adapter_score:.3f}{lost}")
    typer.echo(f"  contamination: {'clean' if r.contamination.clean else 'FOUND'}")
    _print_failures(r.failures)
    for more in r.more_benchmarks:
        s = more.comparison
        typer.echo(f"on {more.items} items of {Path(more.benchmark).name}: base {s.base_score:.3f}  "
                   f"adapter {s.adapter_score:.3f}  ({more.improvement_points:+.1f} points, {_interval(s.bootstrap)}; "
                   f"McNemar p = {s.mcnemar.p_value:.3g}): {more.verdict}")  # fmt: skip
        _print_groups(s)
        _print_failures(more.failures)
    if r.failures.wrong or any(m.failures.wrong for m in r.more_benchmarks):
        typer.echo("  (examples of each are in results.json: what the next round of training data should cover)")
    typer.echo(f"verdict: {r.verdict}")
    for reason in r.reasons:
        typer.echo(f"  - {reason}")
    typer.echo(f"results: {r.results_path} ({r.registry})")


def _ensure_folder(out: Path) -> None:
    """The folder --out writes into, made when missing; a LocoError when it cannot be."""
    from loco_mlx.files import check_writable

    if out.is_dir():
        raise LocoError(f"--out {out} is a folder; give a file path such as {out / 'results.json'}")
    try:
        check_writable(out.parent)
    except LocoError as exc:
        raise LocoError(f"--out {out}: {exc}; choose another path") from None
