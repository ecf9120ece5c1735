"""One `loco export`: which adapter and base, then every file it writes.

Every output is written to a temporary file and renamed into place, so an interrupted or
failed export leaves the previous files as they were and never a partial one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from loco_mlx.errors import LocoError
from loco_mlx.files import check_writable

FULL_PRECISION = ("F32", "F16", "BF16")  # the types that keep an exact dequantization exact


@dataclass
class ExportRequest:
    name: str
    adapter_dir: Path | None  # None: the base alone
    record: object  # the BaseRecord the adapter was trained on
    quant: str  # an EXPORT_TYPES name, upper case
    out: Path
    lora: bool = False  # also a GGUF LoRA and the GGUF base it applies to
    peft: bool = False  # also a PEFT adapter
    modelfile: bool = True  # an Ollama Modelfile (and Modelfile.lora)
    system: str | None = None  # the Modelfile's SYSTEM prompt


@dataclass
class ExportFiles:
    gguf: Path  # the fused model
    base_gguf: Path | None = None  # with --lora
    lora_file: Path | None = None  # with --lora
    peft_dir: Path | None = None
    commands: list[str] = field(default_factory=list)  # llama-server command lines


def resolve_target(target: str, base: str | None):
    """(name, adapter directory or None, base record) for a registry name, a directory or 'base'."""
    from loco_mlx.adapters.directory import BaseBinding, read_adapter_dir
    from loco_mlx.bases.resolve import resolve_base
    from loco_mlx.bases.store import BaseStore

    if target == "base":
        record = resolve_base(base)
        return record.id, None, record
    path = Path(target).expanduser()
    if path.is_dir():
        directory, _, manifest = read_adapter_dir(path)
        name = (manifest.name if manifest else None) or directory.resolve().name
    else:
        from loco_mlx.adapters.registry import Registry

        entry = Registry().get(target)
        directory, _, manifest = read_adapter_dir(entry.path)
        name = entry.name
    bound = manifest.base if manifest else BaseBinding()
    if base:
        return name, directory, resolve_base(base)
    fingerprint = bound.fingerprint
    if not fingerprint:
        raise LocoError(f"{directory}: the adapter does not say which base it was trained on; pass --base ID")
    matches = [r for r in BaseStore().list() if r.fingerprint == fingerprint]
    if not matches:
        raise LocoError(
            f"adapter '{name}' was trained on base {bound.id or '?'} ({fingerprint[:12]}…), which is not "
            f"imported here: loco base import {bound.source or 'SPEC'}"
        )
    return name, directory, next((r for r in matches if r.id == bound.id), matches[0])


def write_export(request: ExportRequest, say: Callable[..., object]) -> ExportFiles:
    """Write the fused GGUF and what `request` asks for beside it; `say(line, err=False)` reports."""
    from loco_mlx.export.fuse import fused_weights
    from loco_mlx.export.gguf_writer import write_gguf

    r = request
    if (r.lora or r.peft) and r.adapter_dir is None:
        raise LocoError(f"--{'lora' if r.lora else 'peft'} needs an adapter to export; 'base' has none")
    check_writable(r.out)
    say(f"exporting {r.name} ({r.record.id}) as {r.quant} into {r.out}/")
    fused = fused_weights(r.record, r.adapter_dir)
    if fused.dequantized and r.quant not in FULL_PRECISION:
        say(f"note: {r.record.id} is stored {r.record.quantization} only; it was dequantized exactly, and "
            f"re-quantizing to {r.quant} adds a second rounding on top of the first (F16 or Q8_0 keep it closest)",
            err=True)  # fmt: skip
    files = ExportFiles(write_gguf(fused, r.record, r.out / f"{r.name}-{r.quant.lower()}.gguf", r.quant))
    say(f"  fused model  {files.gguf} ({_mib(files.gguf)})")
    del fused  # its stored tensors, once read, stay in memory: free them before reading the base again
    if r.lora:
        _write_lora(r, files, say)
    if r.peft:
        from loco_mlx.export.peft import write_peft

        files.peft_dir = write_peft(r.adapter_dir, r.record, r.out / "peft")
        say(f"  PEFT         {files.peft_dir}")
    _write_handoff(r, files, say)
    return files


def _write_lora(r: ExportRequest, files: ExportFiles, say) -> None:
    from loco_mlx.export.fuse import fused_weights
    from loco_mlx.export.gguf_writer import write_gguf
    from loco_mlx.export.lora_gguf import write_lora_gguf

    base_path = r.out / f"{r.record.id}-{r.quant.lower()}.gguf"
    files.base_gguf = write_gguf(fused_weights(r.record, None), r.record, base_path, r.quant)
    files.lora_file = write_lora_gguf(r.adapter_dir, r.record, r.out / f"{r.name}-lora-f16.gguf")
    say(f"  base         {files.base_gguf} ({_mib(files.base_gguf)})")
    say(f"  GGUF LoRA    {files.lora_file} ({_mib(files.lora_file)})")


def _write_handoff(r: ExportRequest, files: ExportFiles, say) -> None:
    """The Modelfile(s) and llama-server.sh: how llama.cpp and Ollama users run the files."""
    from loco_mlx.export.handoff import llama_server_command, modelfile
    from loco_mlx.files import write_atomic

    stop = stop_tokens(r.record)
    files.commands = [llama_server_command(files.gguf)]
    if files.lora_file:
        files.commands.append(llama_server_command(files.base_gguf, files.lora_file))
    if r.modelfile:
        write_atomic(r.out / "Modelfile", modelfile(files.gguf, None, stop, r.system))
        if files.lora_file:
            write_atomic(r.out / "Modelfile.lora", modelfile(files.base_gguf, files.lora_file, stop, r.system))
        say(f"  Modelfile    {r.out / 'Modelfile'}" + (" (+ Modelfile.lora)" if files.lora_file else ""))
    write_atomic(r.out / "llama-server.sh", "#!/bin/sh\n" + "\n".join(files.commands) + "\n")
    for command in files.commands:
        say(f"  run: {command}")


def stop_tokens(record) -> list[str]:
    path = Path(record.model_dir) / "tokenizer_config.json"
    config = json.loads(path.read_text()) if path.is_file() else {}
    eos = config.get("eos_token")
    eos = eos.get("content") if isinstance(eos, dict) else eos
    return [eos] if eos else []


def _mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"
