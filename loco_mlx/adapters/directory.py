"""LoRA adapter directories: reading them, checking their base binding, applying them.

An adapter directory is in mlx-lm's format (`adapters.safetensors` +
`adapter_config.json`), so adapters trained by `mlx_lm.lora` load here and ours load
in mlx-lm. Ours also carry `loco_adapter.json`, which binds the adapter to the
fingerprint of the base it was trained on: applying it to another base is refused
before the model is touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.files import safetensors_shapes, write_atomic

TOOLS = ("python",)  # what an adapter may declare: its replies are programs the engine runs (inference/tools.py)

MANIFEST = "loco_adapter.json"
_LORA_LEAVES = ("lora_a", "lora_b", "m")  # m: DoRA's magnitude vector
REQUIRED_FILES = ("adapters.safetensors", "adapter_config.json")


@dataclass(frozen=True)
class BaseBinding:
    """The base an adapter was trained on, as its manifest records it."""

    id: str | None = None
    fingerprint: str | None = None
    source: str | None = None  # the spec it was imported from ("default", a path, a repo id)


@dataclass(frozen=True)
class AdapterManifest:
    """`loco_adapter.json`, typed: what other modules read of it. `raw` keeps the whole file as written
    by train/run.py (versions, timings, diagnosis, ...), so nothing is lost when it is shown or copied."""

    name: str | None
    version: str | None
    base: BaseBinding
    config: dict  # the training config (TrainConfig as written)
    data_files: dict[str, str]  # training file -> SHA-256, the training file first
    tool: str | None = None  # "python": replies are programs the engine runs in the sandbox (inference/tools.py)
    # the task it was trained for, as its data's manifest.json says ("json": it answers with the keys a request lists)
    domain: str | None = None
    raw: dict = field(default_factory=dict, compare=False)

    @property
    def train_data(self) -> str | None:
        """The dataset the adapter was trained on, as its recipe named it."""
        return self.config.get("data") or None

    @property
    def task_data(self) -> list[str]:
        """Every file of the task's own training rows: `data` and the recipe's `mix:` files (replay is other
        tasks' prompts). A benchmark item must be in none of them."""
        mixed = [m.get("path") for m in self.config.get("mix") or [] if isinstance(m, dict)]
        return [p for p in [self.train_data, *mixed] if isinstance(p, str) and p]

    @classmethod
    def from_dict(cls, data, where: str) -> AdapterManifest:
        """The manifest in `data` (read from `where`); a LocoError naming the key when one is malformed."""
        if not isinstance(data, dict):
            raise LocoError(f"{where}: expected a JSON object, got {type(data).__name__}")
        base = _section(data, "base", where)
        files = _section(_section(data, "data", where), "files", where, "data.")
        binding = BaseBinding(**{key: _text(base, key, where, "base.") for key in ("id", "fingerprint", "source")})
        tool = check_tool(_text(data, "tool", where), f"{where}: 'tool'")
        return cls(_text(data, "name", where), _text(data, "version", where), binding,
                   _section(data, "config", where), files, tool, _text(data, "domain", where), data)  # fmt: skip

    def to_dict(self) -> dict:
        """The file's content: the typed fields over everything else it holds, in the file's key order
        (so a manifest changed with dataclasses.replace writes its change, and unknown keys survive)."""
        out = dict(self.raw)
        _put(out, "name", self.name)
        _put(out, "version", self.version)
        base = dict(out.get("base") or {})
        for key in ("id", "fingerprint", "source"):
            _put(base, key, getattr(self.base, key))
        _put(out, "base", base)
        _put(out, "config", self.config)
        _put(out, "tool", self.tool)
        _put(out, "domain", self.domain)
        data = dict(out.get("data") or {})
        _put(data, "files", self.data_files)
        _put(out, "data", data)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"


def _put(data: dict, key: str, value) -> None:
    # A key keeps its place in the file; an empty value (None, {}) leaves an empty or absent key as it was.
    if value not in (None, {}) or data.get(key) not in (None, {}):
        data[key] = value


def _section(data: dict, key: str, where: str, prefix: str = "") -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LocoError(f"{where}: '{prefix}{key}' must be an object, got {value!r}")
    return value


def _text(data: dict, key: str, where: str, prefix: str = "") -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise LocoError(f"{where}: '{prefix}{key}' must be a string, got {value!r}")
    return value


def check_tool(tool: str | None, where: str) -> str | None:
    """A declared tool (None: the adapter answers in text); a LocoError naming `where` for an unknown one."""
    if tool is not None and tool not in TOOLS:
        raise LocoError(f"{where}: unknown tool {tool!r}; known tools: {', '.join(TOOLS)}")
    return tool


def read_manifest(directory: str | Path) -> AdapterManifest | None:
    """The adapter's manifest, or None when it has none (e.g. trained by mlx_lm.lora)."""
    file = Path(directory) / MANIFEST
    if not file.is_file():
        return None
    try:
        data = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LocoError(f"{file}: broken adapter metadata: {exc}") from None
    return AdapterManifest.from_dict(data, str(file))


def write_manifest(directory: str | Path, manifest: AdapterManifest) -> Path:
    """Write `loco_adapter.json` into `directory` atomically (its presence marks a finished adapter)."""
    file = Path(directory) / MANIFEST
    write_atomic(file, manifest.to_json())
    return file


def read_adapter_dir(path: str | Path) -> tuple[Path, dict, AdapterManifest | None]:
    """(directory, mlx-lm adapter config, loco manifest or None); LocoError when incomplete."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise LocoError(f"no adapter directory at {path}")
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise LocoError(f"{path} is not an adapter directory: missing {', '.join(missing)}")
    try:
        config = json.loads((path / "adapter_config.json").read_text())
    except json.JSONDecodeError as exc:
        raise LocoError(f"{path}: broken adapter metadata: {exc}") from None
    manifest = read_manifest(path)
    if config.get("fine_tune_type", "lora") not in ("lora", "dora"):
        raise LocoError(f"{path}: fine_tune_type '{config.get('fine_tune_type')}' is not a LoRA adapter")
    return path, config, manifest


def check_base_binding(path: Path, manifest: AdapterManifest | None, base_record) -> None:
    if manifest is None:  # e.g. trained by mlx_lm.lora: no binding recorded, shapes are checked on load
        return
    trained_on = manifest.base.fingerprint
    if trained_on and trained_on != base_record.fingerprint:
        bound_id = manifest.base.id or "?"
        raise LocoError(
            f"adapter '{manifest.name or path.name}' was trained on base {trained_on[:12]}… "
            f"({bound_id}), but the loaded base is {base_record.fingerprint[:12]}… "
            f"({base_record.id}); pass --base {bound_id}"
        )


def check_adapter_files(directory: Path, config: dict, base) -> None:
    """LocoError unless adapters.safetensors is complete and holds LoRA pairs that fit `base` (a BaseRecord).

    Reads only safetensors headers, so it needs neither mlx nor the weights in memory."""
    from loco_mlx.bases.store import weight_files

    file = Path(directory) / "adapters.safetensors"
    modules: dict[str, dict[str, list[int]]] = {}
    for key, shape in safetensors_shapes(file).items():
        prefix, _, leaf = key.rpartition(".")
        if leaf not in _LORA_LEAVES or not prefix:
            raise LocoError(f"{file}: tensor '{key}' is not a LoRA weight (names end in .lora_a / .lora_b)")
        modules.setdefault(prefix, {})[leaf] = shape
    if not modules:
        raise LocoError(f"{file} holds no tensors")
    rank = (config.get("lora_parameters") or {}).get("rank")
    base_shapes: dict[str, list[int]] = {}
    for weights in weight_files(Path(base.model_dir)):
        base_shapes.update(safetensors_shapes(weights, check_data=False))
    for prefix, parts in sorted(modules.items()):
        if "lora_a" not in parts or "lora_b" not in parts:
            raise LocoError(f"{file}: '{prefix}' needs both lora_a and lora_b, found {', '.join(sorted(parts))}")
        a, b, weight = parts["lora_a"], parts["lora_b"], base_shapes.get(prefix + ".weight")
        if weight is None:
            raise LocoError(f"{file}: '{prefix}' is adapted, but base {base.id} has no such layer")
        if len(a) != 2 or len(b) != 2 or len(weight) != 2 or "embed" in prefix:
            continue  # switch (MoE) and embedding LoRA lay out their factors differently
        if a[1] != b[0] or (rank is not None and a[1] != rank):
            raise LocoError(
                f"{file}: '{prefix}' has lora_a {a} and lora_b {b}, which do not share the rank {rank} "
                "of adapter_config.json"
            )
        packed = prefix + ".scales" in base_shapes  # quantized: the stored width is not the input width
        if b[1] != weight[0] or (not packed and a[0] != weight[1]):
            raise LocoError(
                f"{file}: '{prefix}' maps {a[0]} -> {b[1]} features, but base {base.id} has a {weight} weight there"
            )


def load_lora_factors(directory: Path) -> dict[str, dict]:
    """An adapter's tensors as float32 numpy arrays, grouped by module: {module: {"lora_a": .., "lora_b": ..}}.

    For the exporters, which compute on numpy; the pool keeps mlx arrays (pool.py)."""
    import mlx.core as mx
    import numpy as np

    factors: dict[str, dict] = {}
    for key, value in mx.load(str(Path(directory) / "adapters.safetensors")).items():
        module, _, leaf = key.rpartition(".")
        factors.setdefault(module, {})[leaf] = np.array(value.astype(mx.float32))
    return factors
