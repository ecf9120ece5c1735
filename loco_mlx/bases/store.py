"""The local store of base models under LOCO_HOME, and base fingerprints.

Layout: `$LOCO_HOME/bases/<id>/base.json` (a BaseRecord) and, for bases imported
from GGUF, the converted MLX directory in `$LOCO_HOME/bases/<id>/model/`. Bases
that already are MLX directories (local or in the Hugging Face cache) are not
copied; the record points at them.

The fingerprint binds adapters to the exact base they were trained on: SHA-256
over the model config and every tensor's name, dtype, shape and bytes, read
straight from the safetensors files, so it does not depend on how the weights
are sharded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import read_safetensors_header, write_atomic

BASE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Config keys that do not change the function the weights compute.
_FINGERPRINT_IGNORED_KEYS = {"_name_or_path", "transformers_version", "torch_dtype", "dtype"}


def loco_home() -> Path:
    return Path(os.environ.get("LOCO_HOME", "~/.loco_mlx")).expanduser()


@dataclass
class BaseRecord:
    id: str
    source_kind: str  # "embedded" | "gguf" | "mlx" | "hf"
    source: str  # the file, directory or repo id it came from
    model_dir: str  # what mlx_lm.load() opens
    architecture: str
    parameters: int
    bits_per_weight: float
    quantization: str  # e.g. "affine 4/8-bit, group 32" or "float16"
    size_bytes: int
    fingerprint: str
    created: str

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")
    return slug[:64] or "base"


def check_base_id(base_id: str) -> str:
    if not BASE_ID_RE.fullmatch(base_id):
        raise LocoError(f"invalid base id '{base_id}': use lowercase letters, digits, '.', '_' or '-' (at most 64)")
    return base_id


class BaseStore:
    def __init__(self, home: Path | None = None):
        self.root = (home or loco_home()) / "bases"

    def dir_for(self, base_id: str) -> Path:
        return self.root / check_base_id(base_id)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob("*/base.json"))

    def list(self) -> list[BaseRecord]:
        return [self.get(i) for i in self.ids()]

    def find(self, base_id: str) -> BaseRecord | None:
        path = self.root / base_id / "base.json"
        if not BASE_ID_RE.fullmatch(base_id) or not path.is_file():
            return None
        try:
            return BaseRecord(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            raise LocoError(
                f"broken base record {path}: {exc}; run `loco base remove {base_id}` and import again"
            ) from None

    def get(self, base_id: str) -> BaseRecord:
        record = self.find(base_id)
        if record is None:
            known = ", ".join(self.ids()) or "none imported yet"
            raise LocoError(f"no base '{base_id}' (imported: {known})")
        return record

    def save(self, record: BaseRecord) -> None:
        directory = self.dir_for(record.id)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / "base.json", json.dumps(asdict(record), indent=2) + "\n")

    def remove(self, base_id: str) -> BaseRecord:
        record = self.get(base_id)
        shutil.rmtree(self.dir_for(base_id))  # never touches external model_dirs (HF cache, user dirs)
        return record


def weight_files(model_dir: Path) -> list[Path]:
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise LocoError(f"{model_dir} has no *.safetensors weight files")
    return files


def fingerprint(model_dir: Path) -> str:
    """SHA-256 of the config and all tensors (name, dtype, shape, bytes), sorted by name."""
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    config = {k: v for k, v in config.items() if k not in _FINGERPRINT_IGNORED_KEYS}
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    entries = []
    for file in weight_files(model_dir):
        header, data_start = read_safetensors_header(file)
        for name, info in header.items():
            if name != "__metadata__":
                entries.append((name, file, data_start, info))
    for name, file, data_start, info in sorted(entries, key=lambda e: e[0]):
        digest.update(f"{name}|{info['dtype']}|{info['shape']}".encode())
        begin, end = info["data_offsets"]
        with open(file, "rb") as fh:
            fh.seek(data_start + begin)
            remaining = end - begin
            while remaining:
                chunk = fh.read(min(remaining, 1 << 24))
                if not chunk:
                    raise LocoError(f"{file} is truncated (tensor '{name}')")
                digest.update(chunk)
                remaining -= len(chunk)
    return digest.hexdigest()
