"""`loco export ADAPTER|base`: fused GGUF, GGUF LoRA, PEFT, Modelfile, verified in llama.cpp.

Every output is written to a temporary file and renamed into place, so an interrupted or
failed export leaves the previous files as they were and never a partial one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from loco_mlx.errors import LocoError

PARITY_LIMIT = 0.05  # max |logit difference| an F32 export must stay within (checks the converter)
# Top-1 agreement with MLX. These catch converter mistakes (a missing RoPE permutation or a
# wrong LoRA scale drops it far lower), not llama.cpp's own rounding: its F16 kernels round
# activations to F16 and its Q8_0 kernels to 8 bits (measured on SmolLM2: 99.9% and 97%).
TOP1_LIMITS = {"F32": 0.99, "F16": 0.98, "BF16": 0.97, "Q8_0": 0.95}
GREEDY_MIN = 9  # of the 10 prompts, for float exports: identical greedy continuations
FULL_PRECISION = ("F32", "F16", "BF16")


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
    from loco_mlx.export.fuse import fused_weights
    from loco_mlx.export.gguf_writer import EXPORT_TYPES, write_gguf
    from loco_mlx.export.handoff import llama_server_command
    from loco_mlx.export.handoff import modelfile as modelfile_text
    from loco_mlx.files import write_atomic

    quant = quant.upper()
    if quant not in EXPORT_TYPES:
        raise LocoError(f"--quant {quant}: not an export type; choose one of {', '.join(EXPORT_TYPES)}")
    name, adapter_dir, record = resolve_target(target, base)
    out = (out or Path("exports") / name).expanduser()
    _check_writable(out)

    typer.echo(f"exporting {name} ({record.id}) as {quant} into {out}/")
    fused = fused_weights(record, adapter_dir)
    if fused.dequantized and quant not in FULL_PRECISION:
        typer.echo(
            f"note: {record.id} is stored {record.quantization} only; it was dequantized exactly, and re-quantizing "
            f"to {quant} adds a second rounding on top of the first (F16 or Q8_0 keep it closest)",
            err=True,
        )
    gguf = write_gguf(fused, record, out / f"{name}-{quant.lower()}.gguf", quant)
    typer.echo(f"  fused model  {gguf} ({_mib(gguf)})")

    lora_file = base_gguf = None
    if lora:
        if adapter_dir is None:
            raise LocoError("--lora needs an adapter to export; 'base' has none")
        from loco_mlx.export.lora_gguf import write_lora_gguf

        del fused  # its stored tensors, once read, stay in memory: free them before reading the base again
        base_gguf = write_gguf(fused_weights(record, None), record, out / f"{record.id}-{quant.lower()}.gguf", quant)
        lora_file = write_lora_gguf(adapter_dir, record, out / f"{name}-lora-f16.gguf")
        typer.echo(f"  base         {base_gguf} ({_mib(base_gguf)})")
        typer.echo(f"  GGUF LoRA    {lora_file} ({_mib(lora_file)})")
    if peft:
        if adapter_dir is None:
            raise LocoError("--peft needs an adapter to export; 'base' has none")
        from loco_mlx.export.peft import write_peft

        typer.echo(f"  PEFT         {write_peft(adapter_dir, record, out / 'peft')}")

    stop = _stop_tokens(record)
    commands = [llama_server_command(gguf)]
    if lora_file:
        commands.append(llama_server_command(base_gguf, lora_file))
    if modelfile:
        write_atomic(out / "Modelfile", modelfile_text(gguf, None, stop, system))
        if lora_file:
            write_atomic(out / "Modelfile.lora", modelfile_text(base_gguf, lora_file, stop, system))
        typer.echo(f"  Modelfile    {out / 'Modelfile'}" + (" (+ Modelfile.lora)" if lora_file else ""))
    write_atomic(out / "llama-server.sh", "#!/bin/sh\n" + "\n".join(commands) + "\n")
    for command in commands:
        typer.echo(f"  run: {command}")
    if verify:
        _verify(name, record, adapter_dir, quant, gguf, base_gguf, lora_file, out)


def resolve_target(target: str, base: str | None):
    """(name, adapter directory or None, base record) for a registry name, a directory or 'base'."""
    from loco_mlx.adapters.directory import read_adapter_dir
    from loco_mlx.bases.resolve import resolve_base
    from loco_mlx.bases.store import BaseStore

    if target == "base":
        record = resolve_base(base)
        return record.id, None, record
    path = Path(target).expanduser()
    if path.is_dir():
        directory, _, manifest = read_adapter_dir(path)
        name = (manifest or {}).get("name") or directory.resolve().name
    else:
        from loco_mlx.adapters.registry import Registry

        entry = Registry().get(target)
        directory, _, manifest = read_adapter_dir(entry.path)
        name = entry.name
    bound = (manifest or {}).get("base") or {}
    if base:
        return name, directory, resolve_base(base)
    fingerprint = bound.get("fingerprint")
    if not fingerprint:
        raise LocoError(f"{directory}: the adapter does not say which base it was trained on; pass --base ID")
    matches = [r for r in BaseStore().list() if r.fingerprint == fingerprint]
    if not matches:
        raise LocoError(
            f"adapter '{name}' was trained on base {bound.get('id', '?')} ({fingerprint[:12]}…), which is not "
            f"imported here: loco base import {bound.get('source') or 'SPEC'}"
        )
    return name, directory, next((r for r in matches if r.id == bound.get("id")), matches[0])


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".loco-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise LocoError(f"cannot write to the output directory {out}: {exc.strerror or exc}") from None


def _stop_tokens(record) -> list[str]:
    config = json.loads((Path(record.model_dir) / "tokenizer_config.json").read_text()) if (
        Path(record.model_dir) / "tokenizer_config.json").is_file() else {}  # fmt: skip
    eos = config.get("eos_token")
    eos = eos.get("content") if isinstance(eos, dict) else eos
    return [eos] if eos else []


def _verify(name, record, adapter_dir, quant, gguf, base_gguf, lora_file, out: Path) -> None:
    from loco_mlx.export.verify import check_parity, compare_reports
    from loco_mlx.files import write_atomic
    from loco_mlx.inference.open import EngineSettings, open_engine

    typer.echo("verifying in llama.cpp against MLX (10 prompts, greedy 64 tokens)...")
    engine = open_engine(EngineSettings(record, adapter_path=adapter_dir, registered=False))
    reports = {"fused": check_parity(engine, gguf, keep_logits=bool(lora_file))}
    if lora_file:
        reports["lora"] = check_parity(engine, base_gguf, lora_file, keep_logits=True)
    problems = []
    for kind, report in reports.items():
        typer.echo(f"  {kind:<6} {report.summary()}")
        if quant == "F32" and report.max_abs_logit_diff > PARITY_LIMIT:
            problems.append(f"{kind}: max |logit diff| {report.max_abs_logit_diff:.3f} > {PARITY_LIMIT}")
        if quant in TOP1_LIMITS and report.top1_agreement < TOP1_LIMITS[quant]:
            problems.append(f"{kind}: top-1 agreement {report.top1_agreement:.1%} < {TOP1_LIMITS[quant]:.0%}")
        if quant in FULL_PRECISION and report.greedy_equal + report.near_ties < GREEDY_MIN:
            problems.append(
                f"{kind}: greedy continuations identical on only {report.greedy_equal}/{len(report.prompts)} "
                f"(+{report.near_ties} near-ties)"
            )
        if report.chat_template_matches is False:
            problems.append(f"{kind}: the embedded chat template renders other tokens than MLX's")
    data = {"name": name, "base": record.id, "quant": quant, **{k: r.to_dict() for k, r in reports.items()}}
    if "lora" in reports:  # the same adapter two ways in llama.cpp: applied at run time vs merged
        data["lora_vs_fused"] = compare_reports(reports["lora"], reports["fused"])
        for report in reports.values():
            report.llama_logits.clear()
        same = data["lora_vs_fused"]
        typer.echo(f"  lora vs fused, both in llama.cpp: max |logit diff| {same['max_abs_logit_diff']:.4f}, "
                   f"top-1 agreement {same['top1_agreement']:.1%}")  # fmt: skip
        if quant in TOP1_LIMITS and same["top1_agreement"] < TOP1_LIMITS[quant]:
            problems.append(f"lora vs fused: top-1 agreement {same['top1_agreement']:.1%} < {TOP1_LIMITS[quant]:.0%}")
    write_atomic(out / "parity.json", json.dumps(data, indent=2) + "\n")
    typer.echo(f"  report       {out / 'parity.json'}")
    if problems:
        raise LocoError("the export does not match MLX: " + "; ".join(problems) + f" (files kept in {out})")


def _mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"
