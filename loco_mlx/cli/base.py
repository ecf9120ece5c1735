"""`loco base import|list|info|remove`: the base model store."""

from __future__ import annotations

from typing import Optional

import typer

base_app = typer.Typer(help="Import, list, inspect and remove base models.", no_args_is_help=True)


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

    from loco_mlx.bases.resolve import EMBEDDED_DEFAULT_ID
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.errors import LocoError

    store = BaseStore()
    if base_id == EMBEDDED_DEFAULT_ID and store.find(base_id) is None:  # named by registries before it is imported
        raise LocoError(
            f"no base '{base_id}' yet: it is the embedded default; import it with `loco base import default`"
        )
    for key, value in asdict(store.get(base_id)).items():
        typer.echo(f"{key:<16} {value}")


@base_app.command("remove")
def base_remove(base_id: str = typer.Argument(..., help="An imported base id.")) -> None:
    """Remove a base from the store (files in the Hugging Face cache or your own directories stay)."""
    from loco_mlx.bases.store import BaseStore

    record = BaseStore().remove(base_id)
    typer.echo(f"removed {record.id}")
