"""`loco export ADAPTER|base`: fused GGUF, GGUF LoRA, PEFT, Modelfile, verified in llama.cpp
(export/run.py writes the files, export/verify.py checks them)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from loco_mlx.errors import LocoError


def export_cmd(
    target: str = typer.Argument(..., help="A registered adapter, an adapter directory, or 'base'."),
    quant: str = typer.Option("F16", "--quant", "-q", help="F32 F16 BF16 Q8_0 Q4_0, or a llama.cpp type: Q4_K_M ..."),
    lora: bool = typer.Option(
        False, "--lora", help="Also write a GGUF LoRA adapter (and the GGUF base it applies to)."
    ),
    peft: bool = typer.Option(False, "--peft", help="Also write a PEFT adapter (adapter_config.json + safetensors)."),
    modelfile: bool = typer.Option(True, "--modelfile/--no-modelfile", help="Write an Ollama Modelfile."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory (default: exports/NAME)."),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="For 'base': which base (default: the default)."),
    system: Optional[str] = typer.Option(None, "--system", help="A SYSTEM prompt for the Modelfile."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Compare the outputs with MLX in llama.cpp."),
) -> None:
    """Export an adapter fused into its base as GGUF (and as a GGUF LoRA / PEFT), for llama.cpp and Ollama."""
    from loco_mlx.export.gguf_writer import EXPORT_TYPES
    from loco_mlx.export.run import ExportRequest, resolve_target, write_export
    from loco_mlx.export.verify import verify_export

    quant = quant.upper()
    if quant not in EXPORT_TYPES:
        raise LocoError(f"--quant {quant}: not an export type; choose one of {', '.join(EXPORT_TYPES)}")
    name, adapter_dir, record = resolve_target(target, base)
    out = (out or Path("exports") / name).expanduser()
    request = ExportRequest(
        name, adapter_dir, record, quant, out, lora=lora, peft=peft, modelfile=modelfile, system=system
    )
    files = write_export(request, typer.echo)
    if verify:
        verify_export(request, files, typer.echo)
