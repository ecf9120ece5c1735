"""The `loco data` commands: validate, stats, sample, check-contamination, check-diversity, synth, import-written
and replay.

Parses options and prints; the work is in `loco_mlx.data.datasets` and `loco_mlx.data.contamination`. Problems
go to stdout one per line (`file:line: message`) so they can be grepped or piped; the verdict is a
LocoError (one `error:` line on stderr, exit 1). Token counts need only the base's tokenizer, so
it is loaded without the weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from loco_mlx.cli.options import AllowUnsandboxedFlag
from loco_mlx.errors import LocoError

data_app = typer.Typer(
    help="Check, summarise and sample training data; check it against a benchmark.", no_args_is_help=True
)

PathArgument = typer.Argument(..., help="A .jsonl file (split by --valid-fraction) or a directory with train.jsonl.")
BaseOption = typer.Option(
    "default", "--base", "-b", help="Base whose tokenizer counts tokens: default, an id, a .gguf, an MLX dir, a HF id."
)
NoTokensOption = typer.Option(False, "--no-tokens", help="Skip token counts (no base is loaded).")
FractionOption = typer.Option(0.1, "--valid-fraction", help="Share of a single file held out for validation.")
SeedOption = typer.Option(42, "--seed", help="Seed of the train/valid split and of sampling.")


def load_tokenizer(base: str):
    """The tokenizer `load_base(base)` would give, without loading the model's weights."""
    from mlx_lm.utils import load_tokenizer as mlx_load_tokenizer

    from loco_mlx.bases.resolve import resolve_base

    return mlx_load_tokenizer(Path(resolve_base(base).model_dir))


@data_app.command("validate")
def validate_cmd(
    path: str = PathArgument,
    base: str = BaseOption,
    no_tokens: bool = NoTokensOption,
    max_seq_length: int = typer.Option(1024, "--max-seq-length", help="Longest example, in tokens, to train on."),
    min_train: int = typer.Option(10, "--min-train", help="Fewest training examples accepted."),
    valid_fraction: float = FractionOption,
    seed: int = SeedOption,
) -> None:
    """Print every problem in a dataset (file:line: message); exit 1 if there is any."""
    from loco_mlx.data.datasets import load_dataset, validate

    dataset = load_dataset(path, valid_fraction, seed)
    tokenizer = None if no_tokens else load_tokenizer(base)
    problems = validate(dataset, tokenizer, max_seq_length, min_train)
    for problem in problems:
        typer.echo(str(problem))
    summary = f"{len(dataset.train)} train + {len(dataset.valid)} valid examples in {path}"
    if problems:
        raise LocoError(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} ({summary}); fix them and rerun")
    checked = "token lengths not checked (--no-tokens)" if no_tokens else f"all within {max_seq_length} tokens"
    typer.echo(f"ok: {summary}; no problems; {checked}")


@data_app.command("stats")
def stats_cmd(
    path: str = PathArgument,
    base: str = BaseOption,
    no_tokens: bool = NoTokensOption,
    valid_fraction: float = FractionOption,
    seed: int = SeedOption,
) -> None:
    """Counts per split and format, user turns, and token-length percentiles."""
    from loco_mlx.data.datasets import load_dataset, stats

    dataset = load_dataset(path, valid_fraction, seed)
    result = stats(dataset, None if no_tokens else load_tokenizer(base))
    header = ("split", "examples", "formats", "turns min/mean/max", "p50", "p90", "p95", "p99", "max", "total")
    rows = []
    for split in ("train", "valid"):
        s = result[split]
        turns = s["turns"]
        tokens = s.get("tokens") or {}
        rows.append(
            (
                split,
                s["examples"],
                ", ".join(f"{fmt} {count}" for fmt, count in s["formats"].items()) or "-",
                f"{turns['min']}/{turns['mean']:.1f}/{turns['max']}" if turns else "-",
                *(tokens.get(k, "-") for k in ("p50", "p90", "p95", "p99", "max", "total")),
            )
        )
    _table(header, rows)
    for file, digest in result["files"].items():
        typer.echo(f"{file}  sha256 {digest[:12]}")
    if result["problems"]:
        typer.echo(f"{result['problems']} reading problems (those lines are left out); run `loco data validate {path}`")


@data_app.command("sample")
def sample_cmd(
    path: str = PathArgument,
    fraction: float = typer.Option(0.1, "--fraction", help="Share of the examples to show."),
    seed: int = SeedOption,
    split: str = typer.Option("train", "--split", help="train | valid | all."),
    valid_fraction: float = FractionOption,
) -> None:
    """Print a seeded random sample of examples for review by hand."""
    from loco_mlx.data.datasets import load_dataset, sample

    if split not in ("train", "valid", "all"):
        raise LocoError(f"--split must be train, valid or all, got {split!r}")
    dataset = load_dataset(path, valid_fraction, seed)
    pool = {"train": dataset.train, "valid": dataset.valid, "all": dataset.train + dataset.valid}[split]
    chosen = sample(pool, fraction, seed)
    typer.echo(f"{len(chosen)} of {len(pool)} {split} examples (fraction {fraction}, seed {seed})")
    for ex in chosen:
        typer.echo(f"\n--- {ex.source}:{ex.line} ({ex.fmt})")
        turns = [("text", ex.text)] if ex.text is not None else [(m["role"], m["content"]) for m in ex.messages]
        for role, content in turns:
            typer.echo(f"[{role}] " + content.replace("\n", "\n    "))  # indented, so turns stay apart


@data_app.command("check-contamination")
def check_contamination_cmd(
    train: str = typer.Argument(..., help="Training data: a .jsonl file or a directory (train + valid)."),
    benchmark: str = typer.Argument(..., help="Benchmark JSONL: an 'id' and an 'input' (text or messages) per line."),
    n: int = typer.Option(8, "--n", help="Words per n-gram for near copies."),
    threshold: float = typer.Option(0.5, "--threshold", help="Share of an item's n-grams that makes a near copy."),
) -> None:
    """Find training examples that copy benchmark items, exactly or with numbers/names swapped."""
    from loco_mlx.data.contamination import check_contamination, read_probes
    from loco_mlx.data.datasets import load_dataset

    dataset = load_dataset(train, valid_fraction=0.0)
    examples = dataset.train + dataset.valid  # both are trained on or tuned against: neither may hold the test
    items = read_probes(benchmark)
    findings = check_contamination(examples, items, n, threshold)
    for finding in findings:
        typer.echo(str(finding))
    if dataset.problems:
        typer.echo(f"note: {len(dataset.problems)} unreadable lines were not checked; run `loco data validate {train}`")
    if findings:
        kinds = {k: sum(f.kind == k for f in findings) for k in ("exact", "near")}
        raise LocoError(
            f"contaminated: {len({f.benchmark_id for f in findings})} of {len(items)} benchmark items are in "
            f"{len({(f.train_file, f.train_line) for f in findings})} training examples "
            f"({kinds['exact']} exact, {kinds['near']} near copies; n={n}, threshold={threshold})"
        )
    typer.echo(
        f"clean: {len(examples)} training examples, {len(items)} benchmark items, "
        f"no exact or near copies (n={n}, threshold={threshold})"
    )


@data_app.command("check-diversity")
def check_diversity_cmd(
    path: str = PathArgument,
    benchmark: Optional[list[str]] = typer.Option(
        None, "--benchmark", help="A benchmark JSONL (repeatable): how many of its items open as the data's prompts do."
    ),
    as_json: bool = typer.Option(False, "--json", help="The numbers as one JSON object."),
) -> None:
    """How templated the prompts are: openings, skeletons and 4-grams per 100 prompts; warnings on templated
    data and on benchmarks that share its wording."""
    import json

    from loco_mlx.data.diversity import check_diversity

    diversity = check_diversity(path, benchmark or [])
    if as_json:
        typer.echo(json.dumps(diversity.to_dict(), indent=2))
        return
    typer.echo(f"{path}: {diversity.prompts} prompts (per 100: the mean of 20 seeded windows of 100)")
    rows = [
        ("openings per 100 prompts", f"{diversity.openings:.0f}", "how the requests start (skeleton's first 6 tokens)"),
        ("skeletons per 100 prompts", f"{diversity.skeletons:.0f}", "whole prompts with the content left out"),
        ("distinct 4-grams", f"{diversity.distinct_4grams:.2f}", "word 4-grams, numbers and names masked"),
        ("10 commonest openings cover", f"{diversity.top_share:.0%}", f"of all {diversity.prompts} prompts"),
    ]
    rows += [(f"{Path(b).name}: items opening as the data", f"{share:.0%}", b) for b, share in diversity.shared.items()]
    _table(("measure", "value", "what"), rows)
    typer.echo("commonest openings (<num> a number, <name> a name, _ other words):")
    for text, count in diversity.commonest:
        typer.echo(f"  {count:>5}  {text}")
    typer.echo(f"verdict: {'templated' if diversity.templated else 'varied'}")
    for warning in diversity.warnings():
        typer.echo(f"warning: {warning}")


@data_app.command("synth")
def synth_cmd(
    domain: str = typer.Argument(..., help="math | json | code."),
    out: str = typer.Option(..., "--out", help="Directory for train.jsonl, valid.jsonl, benchmark.jsonl."),
    train: int = typer.Option(600, "--train", help="Training examples."),
    valid: int = typer.Option(60, "--valid", help="Validation examples."),
    benchmark: int = typer.Option(120, "--benchmark", help="Benchmark items (most from held-out templates)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the examples (the held-out templates stay fixed)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the files of a non-empty --out."),
    style: str = typer.Option(
        "text", "--style", help="Reply style: text, or program (math: a Python program the engine runs)."
    ),
) -> None:
    """Generate program-verified training data and a clean benchmark for a narrow domain."""
    from loco_mlx.data.synth import check_out_dir, generate, get_domain, write_dataset

    get_domain(domain, style)
    check_out_dir(out, force)  # before generating: a refusal should be instant
    data = generate(domain, train, valid, benchmark, seed, style)
    write_dataset(data, out, force)
    held = sum(s.template in data.heldout for s in data.benchmark)
    typer.echo(
        f"wrote {len(data.train)} train, {len(data.valid)} valid and {len(data.benchmark)} benchmark items to {out} "
        f"({held} benchmark items from {len(data.heldout)} held-out templates of {len(data.domain.templates)}; "
        f"{data.dropped} contaminated candidates redrawn)"
    )


@data_app.command("import-written")
def import_written_cmd(
    written: str = typer.Argument(
        ...,
        help='JSONL of written rows: {"question", "program", "answer"}, {"request", "solution", "tests"} or '
        '{"request", "json"}.',
    ),
    out: str = typer.Option(..., "--out", help="Chat JSONL to write: the rows that pass, to train on."),
    benchmark: Optional[list[str]] = typer.Option(
        None, "--benchmark", help="A benchmark JSONL (repeatable) whose items may not be copied, exactly or nearly."
    ),
    n: int = typer.Option(8, "--n", help="Words per n-gram for near copies."),
    threshold: float = typer.Option(0.5, "--threshold", help="Share of an item's n-grams that makes a near copy."),
    allow_unsandboxed_tools: bool = AllowUnsandboxedFlag,
) -> None:
    """Check written word problems, code requests or JSON extractions and write the ones fit to train
    on: programs that print their answer from the question's numbers, solutions that pass their
    tests (both run in the sandbox), answers that use the requested keys; none a copy of a benchmark item."""
    from loco_mlx.data.written import import_written

    kept, dropped = import_written(written, out, benchmark or [], n, threshold, allow_unsandboxed_tools)
    for drop in dropped:
        typer.echo(drop.where(written))
    typer.echo(f"wrote {kept} checked rows to {out} ({len(dropped)} dropped)")


@data_app.command("replay")
def replay_cmd(
    prompts: list[str] = typer.Argument(..., help="JSONL files of prompts: chat rows, benchmark rows or queries."),
    out: str = typer.Option(..., "--out", help="Chat JSONL to write: each prompt with the base's own reply."),
    base: str = BaseOption,
    count: int = typer.Option(100, "--count", help="Prompts drawn from each file."),
    max_tokens: int = typer.Option(192, "--max-tokens", help="Longest reply; longer ones are dropped, not cut."),
    batch_size: int = typer.Option(8, "--batch-size", help="Prompts generated together."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draw."),
) -> None:
    """Answer prompts outside an adapter's task with the base itself, for a recipe's `replay:` list."""
    from loco_mlx.data.replay import ReplaySettings, base_replies, draw, read_prompts, write_replay
    from loco_mlx.inference.open import EngineSettings, open_engine

    settings = ReplaySettings(max_tokens, batch_size, seed)
    drawn = [draw(read_prompts(path), count, seed) for path in prompts]  # every file is read before the base loads
    engine = open_engine(EngineSettings(base, registered=False))
    chosen = [p for group in drawn for p in group]
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        typer.echo(f"  {done}/{len(chosen)} replies", err=True)

    replies = base_replies(engine, chosen, settings, progress)
    written = write_replay(out, chosen, replies)
    typer.echo(f"wrote {written} base replies to {out} ({len(chosen) - written} dropped at --max-tokens {max_tokens})")


def _table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
