"""Hand-off files for the exports: an Ollama Modelfile and the llama-server command line.

The GGUFs we write always carry the base's chat template, so the Modelfile has no TEMPLATE
(Ollama reads the one in the file); it sets the stop tokens, and SYSTEM when one is given.
"""

from __future__ import annotations

import shlex
from pathlib import Path


def modelfile(gguf: Path, lora: Path | None = None, stop: list[str] = (), system: str | None = None) -> str:
    lines = [f"# Ollama: ollama create NAME -f {gguf.parent / 'Modelfile'}", f"FROM ./{gguf.name}"]
    if lora is not None:
        lines.append(f"ADAPTER ./{lora.name}")
    lines += [f'PARAMETER stop "{token}"' for token in stop]
    if system:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines) + "\n"


def llama_server_command(gguf: Path, lora: Path | None = None, context: int = 2048) -> str:
    parts = ["llama-server", "-m", str(gguf), "-c", str(context), "--jinja"]
    if lora is not None:
        parts += ["--lora", str(lora)]
    return " ".join(shlex.quote(p) for p in parts)
