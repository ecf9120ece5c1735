"""The `loco` app: every command family registered in one place, and `main`, which turns a
LocoError into one line on stderr and exit code 1 (anything else is a bug and keeps its
traceback). Each command lives in the file of its family; mlx is imported inside commands,
so `loco --help` stays instant.
"""

from __future__ import annotations

import sys

import typer

from loco_mlx.cli.adapters import adapters_app
from loco_mlx.cli.base import base_app
from loco_mlx.cli.data import data_app
from loco_mlx.cli.demo import demo
from loco_mlx.cli.eval import eval_cmd
from loco_mlx.cli.export import export_cmd
from loco_mlx.cli.generate import chat, generate, serve
from loco_mlx.cli.options import err
from loco_mlx.cli.router import route_cmd, router_app
from loco_mlx.cli.train import train
from loco_mlx.errors import LocoError

app = typer.Typer(
    help="loco: one 4-bit base model, hot-swapped LoRA specialists, on MLX.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def doctor() -> None:
    """Show OS, device, versions, BLAS, memory and compute mode."""
    from loco_mlx.runtime import doctor_report

    rows = doctor_report()
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        typer.echo(f"{key:<{width}}  {value}")


app.add_typer(base_app, name="base")
app.add_typer(data_app, name="data")
app.add_typer(adapters_app, name="adapters")
app.add_typer(router_app, name="router")
app.command()(generate)
app.command()(chat)
app.command()(serve)
app.command("eval")(eval_cmd)
app.command()(train)
app.command()(demo)
app.command("route")(route_cmd)
app.command("export")(export_cmd)


def main() -> None:
    try:
        app()
    except LocoError as exc:
        err(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        err("interrupted")
        sys.exit(130)
