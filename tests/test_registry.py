"""The adapter registry and `loco adapters`: round trips, validation, locking, backups, install checks.

Adapters here are written by hand: a minimal mlx-lm LoRA directory (adapter_config.json +
adapters.safetensors with lora_a/lora_b of the tiny base's shapes) plus a loco_adapter.json like
`loco train` writes. `test_hand_written_adapter_loads_in_mlx_lm` proves mlx-lm accepts them, so
no test needs to train. The bases are two tiny llama GGUFs, imported once per module.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from loco_mlx.adapters import registry as registry_module
from loco_mlx.adapters.registry import GateSummary, Registry, check_name, next_version, version_key
from loco_mlx.bases.store import BaseStore
from loco_mlx.errors import LocoError
from tests.fixtures.tiny_gguf import write_tiny_gguf

# The tiny llama: hidden 64, k/v 2 heads x 16. Projection -> (input, output) features.
TINY_DIMS = {"self_attn.q_proj": (64, 64), "self_attn.k_proj": (64, 32), "self_attn.v_proj": (64, 32)}
KEYS = ("self_attn.q_proj", "self_attn.v_proj")


@pytest.fixture(scope="module")
def bases_home(tmp_path_factory):
    """A LOCO_HOME holding two tiny llama bases with different weights: 'tiny' and 'other'."""
    from loco_mlx.bases.resolve import import_base

    home = tmp_path_factory.mktemp("registry_bases")
    for base_id, seed in (("tiny", 0), ("other", 5)):
        gguf = write_tiny_gguf(home / f"{base_id}.gguf", "llama", "F32", seed=seed)
        import_base(str(gguf), base_id, store=BaseStore(home))
    return home


@pytest.fixture
def home(loco_home, bases_home, monkeypatch):
    """A fresh LOCO_HOME with both bases (their records; the weights stay in the module's home)."""
    monkeypatch.delenv("LOCO_REGISTRY", raising=False)
    shutil.copytree(bases_home / "bases", loco_home / "bases")
    return loco_home


@pytest.fixture
def tiny(home):
    return BaseStore(home).get("tiny")


V_PROJ_TOO_WIDE = np.zeros((4, 64), np.float32)


def lora_tensors(rank=4, keys=KEYS, layers=(0, 1), seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in layers:
        for key in keys:
            n_in, n_out = TINY_DIMS[key]
            prefix = f"model.layers.{layer}.{key}"
            tensors[f"{prefix}.lora_a"] = (rng.normal(size=(n_in, rank)) * 0.01).astype(np.float32)
            tensors[f"{prefix}.lora_b"] = (rng.normal(size=(rank, n_out)) * 0.01).astype(np.float32)
    return tensors


def write_adapter(path: Path, base, name="math", version="0.1.0", rank=4, manifest=True, fingerprint=None,
                  tensors=None) -> Path:  # fmt: skip
    """An adapter directory as `loco train` leaves it (less the logs); manifest=False: as mlx_lm.lora does."""
    import mlx.core as mx

    path.mkdir(parents=True)
    tensors = lora_tensors(rank) if tensors is None else tensors
    mx.save_safetensors(str(path / "adapters.safetensors"), {k: mx.array(v) for k, v in tensors.items()})
    config = {"fine_tune_type": "lora", "num_layers": 2, "model": base.model_dir,
              "lora_parameters": {"rank": rank, "scale": 2.0, "dropout": 0.0, "keys": list(KEYS)}}  # fmt: skip
    (path / "adapter_config.json").write_text(json.dumps(config))
    if manifest:
        bound = {"id": base.id, "fingerprint": fingerprint or base.fingerprint, "source": base.source}
        data = {"name": name, "version": version, "format": "mlx-lm lora", "base": bound}
        (path / "loco_adapter.json").write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
    return path


def test_hand_written_adapter_loads_in_mlx_lm(tiny, tmp_path):
    from mlx_lm.tuner.utils import load_adapters
    from mlx_lm.utils import load_model

    model, _ = load_model(Path(tiny.model_dir))
    load_adapters(model, str(write_adapter(tmp_path / "a", tiny)))  # checks every name and shape


def test_add_get_list_remove_round_trip(tiny, tmp_path):
    registry = Registry()
    assert registry.path == Path(os.environ["LOCO_HOME"]) / "adapters" / "registry.yaml"
    assert registry.entries() == []
    source = write_adapter(tmp_path / "math", tiny)
    entry = registry.add(source, description="sums", domain="math", tags=["arith"], keywords={"sum": 2.0, "plus": 1})
    registry.add(write_adapter(tmp_path / "other", tiny, name="alpha", version="1.2.3"), keywords={"a": 1.0})

    assert (entry.name, entry.version, entry.path, entry.base_id) == ("math", "0.1.0", str(source), "tiny")
    assert entry.base_fingerprint == tiny.fingerprint and entry.keywords == {"sum": 2.0, "plus": 1.0}
    assert Registry().get("math") == entry  # what was written reads back equal
    data = yaml.safe_load(registry.path.read_text())
    assert data["format"] == 1 and [e["name"] for e in data["adapters"]] == ["alpha", "math"]  # sorted by name
    assert data["adapters"][0]["keywords"] == ["a"]  # all weights 1.0: the short list form
    assert [e["name"] for e in yaml.safe_load(registry.backup.read_text())["adapters"]] == ["math"]

    removed = registry.remove("math")
    assert removed == entry and [e.name for e in registry.entries()] == ["alpha"]
    assert (source / "adapters.safetensors").is_file()  # added in place: its files are the user's


@pytest.mark.parametrize("name", ["../x", "a/b", "A", "", "1abc", "x" * 65, "a\n", "ma th"])
def test_bad_names_are_refused_and_nothing_is_written(tiny, tmp_path, name):
    with pytest.raises(LocoError, match="invalid adapter name"):
        check_name(name)
    with pytest.raises(LocoError, match="invalid adapter name"):
        Registry().add(write_adapter(tmp_path / "a", tiny), name=name)
    assert not Registry().path.exists()


@pytest.mark.parametrize("name", ["math", "sql-v2", "a_b", "x" * 64])
def test_good_names(tiny, tmp_path, name):
    assert Registry().add(write_adapter(tmp_path / "a", tiny), name=name).name == name


@pytest.mark.parametrize(
    "version,key",
    [("0.1.0", (0, 1, 0)), ("10.20.30", (10, 20, 30)), ("1.0", None), ("v1.0.0", None), ("01.0.0", None),
     ("1.0.0-beta", None), ("1.0.0\n", None), ("", None)],
)  # fmt: skip
def test_versions_are_semver(tiny, tmp_path, version, key):
    if key is not None:
        assert version_key(version) == key
        return
    with pytest.raises(LocoError, match="MAJOR.MINOR.PATCH"):
        version_key(version)
    with pytest.raises(LocoError, match="MAJOR.MINOR.PATCH"):
        Registry().add(write_adapter(tmp_path / "a", tiny, version=version or "x"), version=version or None)


def test_a_retrained_adapter_gets_the_next_minor_version_so_it_can_replace_the_registered_one(tiny, tmp_path):
    assert next_version("math") == "0.1.0"  # nothing registered (no registry file either)
    Registry().add(write_adapter(tmp_path / "v1", tiny, version="1.4.2"))
    assert next_version("math") == "1.5.0" and next_version("other") == "0.1.0"
    Registry().add(write_adapter(tmp_path / "v2", tiny, version=next_version("math")), replace=True)
    assert Registry().get("math").version == "1.5.0"


@pytest.mark.parametrize(
    "replace,version,fragment",
    [(False, "0.2.0", "already registered"), (True, "0.1.0", "needs a higher version"),
     (True, "0.0.9", "needs a higher version"), (True, "0.2.0", None)],
)  # fmt: skip
def test_one_entry_per_name_replaced_only_by_a_higher_version(tiny, tmp_path, replace, version, fragment):
    registry = Registry()
    registry.add(write_adapter(tmp_path / "v1", tiny), domain="math", tags=["arith"])
    registry.set_gate("math", GateSummary(0.9, 0.5, "ab" * 32, "SHIP"))
    registry.promote("math")
    newer = write_adapter(tmp_path / "v2", tiny, version=version)
    if fragment:
        with pytest.raises(LocoError, match=fragment):
            registry.add(newer, replace=replace)
        assert registry.get("math").version == "0.1.0"
        return
    entry = registry.add(newer, replace=replace, description="better")
    assert [e.version for e in registry.entries()] == ["0.2.0"]
    assert (entry.domain, entry.tags, entry.description) == ("math", ["arith"], "better")  # kept unless given
    assert entry.gate == GateSummary() and not entry.active  # a new version must pass the gate again


def test_unknown_name_lists_the_registered_ones(tiny, tmp_path):
    registry = Registry()
    with pytest.raises(LocoError, match="none yet"):
        registry.get("math")
    for name in ("math", "sql"):
        registry.add(write_adapter(tmp_path / name, tiny, name=name))
    for action in (registry.get, registry.remove, registry.promote, registry.deactivate):
        with pytest.raises(LocoError, match=r"no adapter 'maht' .*registered: math, sql.*did you mean 'math'"):
            action("maht")


def _good_then(text: str, case: str) -> str:
    return {
        "parse": "adapters:\n- name: alpha\n  version: [0.1.0\n",
        "structure": "- alpha\n- beta\n",
        "bad-field": text.replace("version: 0.1.0", "version: '1.0'", 1),
        "unknown-key": text.replace("  active: false", "  colour: red\n  active: false", 1),
        "bad-verdict": text.replace("verdict: null", "verdict: GREAT", 1),
        "duplicate": text.replace("name: beta", "name: alpha"),
        "empty": "",
    }[case]


@pytest.mark.parametrize(
    "case,fragment",
    [("parse", "not valid YAML: line 4, column 1: expected ',' or ']'"), ("structure", "expected a mapping"),
     ("bad-field", "invalid adapter version '1.0'"), ("unknown-key", "unknown key 'colour'"),
     ("bad-verdict", "verdict must be one of SHIP"), ("duplicate", "listed twice"), ("empty", "empty")],
)  # fmt: skip
def test_a_broken_registry_is_a_clear_error_and_never_overwritten(tiny, tmp_path, case, fragment):
    registry = Registry()
    source = write_adapter(tmp_path / "a", tiny)
    registry.add(source, name="alpha")
    registry.add(source, name="beta")  # .bak now holds the file with alpha alone
    backup = registry.backup.read_bytes()
    broken = _good_then(registry.path.read_text(), case)
    registry.path.write_text(broken)

    attempts = [registry.entries, lambda: registry.add(source, name="gamma"), lambda: registry.promote("alpha"),
                lambda: registry.remove("alpha")]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(LocoError) as info:
            attempt()
        message = str(info.value)
        assert str(registry.path) in message and fragment in message and "\n" not in message
        assert f"cp {registry.backup} {registry.path}" in message
    assert registry.path.read_text() == broken and registry.backup.read_bytes() == backup

    shutil.copyfile(registry.backup, registry.path)  # the restore the message gives
    assert [e.name for e in registry.entries()] == ["alpha"]


def test_a_broken_registry_without_backup_says_so(home):
    registry = Registry()
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text("adapters: 3\n")
    with pytest.raises(LocoError, match="'adapters' must be a list.*there is no backup"):
        registry.entries()


def _add_many(registry_path: str, adapter: str, names: list[str], barrier) -> None:
    registry = Registry(Path(registry_path))
    barrier.wait()  # both writers start together
    for name in names:
        registry.add(adapter, name=name)


def test_concurrent_writers_lose_nothing(tiny, tmp_path):
    """Two processes add six adapters each at the same moment: all twelve land, the file parses."""
    registry = Registry()
    adapter = str(write_adapter(tmp_path / "a", tiny))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    names = [[f"{who}{i}" for i in range(6)] for who in ("p", "q")]
    workers = [context.Process(target=_add_many, args=(str(registry.path), adapter, n, barrier)) for n in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sorted(e.name for e in registry.entries()) == sorted(names[0] + names[1])
    assert len(yaml.safe_load(registry.path.read_text())["adapters"]) == 12


@pytest.mark.parametrize("mechanism", ["flock", "o_excl"])
def test_a_writer_blocked_past_the_timeout_gets_the_lock_error(tiny, tmp_path, monkeypatch, mechanism):
    """The holder is a second Registry in this process: flock locks belong to the open file, so
    two opens conflict like two processes do. o_excl is the fallback where there is no fcntl."""
    if mechanism == "o_excl":
        monkeypatch.setattr(registry_module, "fcntl", None)
    assert Registry().lock_timeout == 10.0
    source = write_adapter(tmp_path / "a", tiny)
    holder, waiter = Registry(), Registry(lock_timeout=0.3)
    with holder._locked():
        start = time.monotonic()
        with pytest.raises(LocoError, match=r"registry is locked by another process \(pid \d+\)") as info:
            waiter.add(source)
        assert time.monotonic() - start >= 0.3
        assert ("delete" in str(info.value)) == (mechanism == "o_excl")  # only an O_EXCL lock can go stale
    assert not waiter.path.exists()
    assert waiter.add(source).name == "math"  # free again once the holder is done
    assert waiter.lock_path.exists() == (mechanism == "flock")


@pytest.mark.parametrize("verdict", [None, "ITERATE", "REJECT", "SHIP"])
def test_promote_needs_a_ship_verdict_unless_forced(tiny, tmp_path, verdict):
    registry = Registry()
    registry.add(write_adapter(tmp_path / "a", tiny))
    registry.set_gate("math", GateSummary(score=0.7, base_score=0.6, verdict=verdict))
    if verdict != "SHIP":
        with pytest.raises(LocoError, match=f"gate verdict is {verdict or 'missing'}.*--force"):
            registry.promote("math")
        assert not registry.get("math").active
    assert registry.promote("math", force=True).active and registry.get("math").active
    assert not registry.deactivate("math").active and not registry.get("math").active


def test_set_gate_refuses_an_unknown_verdict(tiny, tmp_path):
    registry = Registry()
    registry.add(write_adapter(tmp_path / "a", tiny))
    with pytest.raises(LocoError, match="verdict must be one of SHIP, ITERATE, REJECT"):
        registry.set_gate("math", GateSummary(verdict="MAYBE"))


def test_install_copies_the_adapter_and_remove_deletes_the_copy(tiny, tmp_path):
    source = write_adapter(tmp_path / "trained", tiny)
    (source / "TRAINING_LOG.md").write_text("notes")
    (source / "checkpoints" / "last").mkdir(parents=True)  # optimizer state: not part of the adapter
    shutil.copyfile(source / "adapters.safetensors", source / "0000100_adapters.safetensors")  # mlx_lm.lora's
    registry = Registry()
    entry = registry.install(str(source))
    copy = registry.root / "math" / "0.1.0"
    assert entry.path == str(copy) and registry.owns(entry)
    assert sorted(p.name for p in copy.iterdir()) == sorted(
        ["adapters.safetensors", "adapter_config.json", "loco_adapter.json", "TRAINING_LOG.md"]
    )
    assert (copy / "adapters.safetensors").read_bytes() == (source / "adapters.safetensors").read_bytes()
    assert not [p for p in (registry.root / "math").iterdir() if p.name.startswith(".")]  # no staging left

    newer = registry.install(str(write_adapter(tmp_path / "v2", tiny, version="0.2.0")), replace=True)
    assert not copy.exists() and Path(newer.path).is_dir()  # the replaced copy is gone
    in_place = registry.add(write_adapter(tmp_path / "v3", tiny, version="0.3.0"), replace=True)
    assert not Path(newer.path).exists() and Path(in_place.path).is_dir()  # also when replaced by `add`
    registry.install(str(source), version="0.4.0", replace=True)
    assert (tmp_path / "v3" / "adapters.safetensors").is_file()  # files added in place are never deleted
    registry.remove("math")
    assert not (registry.root / "math").exists() and (source / "adapters.safetensors").is_file()


def test_install_refuses_an_adapter_for_a_base_that_is_not_imported(tiny, tmp_path):
    source = write_adapter(tmp_path / "a", tiny, fingerprint="f00d" * 16)
    with pytest.raises(LocoError, match=r"trained on base f00df00df00d… \(tiny\), which is not an imported base"):
        Registry().install(str(source))
    assert not (Registry().root / "math").exists() and not Registry().path.exists()


def test_an_adapter_bound_to_one_base_is_refused_for_another(home, tiny, tmp_path):
    other = BaseStore(home).get("other")
    with pytest.raises(
        LocoError, match=f"trained on base {tiny.fingerprint[:12]}.*loaded base is {other.short_fingerprint}"
    ):
        Registry().add(write_adapter(tmp_path / "a", tiny), base="other")


def test_an_mlx_lm_adapter_needs_its_base_named(tiny, tmp_path):
    source = write_adapter(tmp_path / "mlx-lora", tiny, manifest=False)
    with pytest.raises(LocoError, match=r"no loco_adapter.json .*--base ID \(imported: other .*, tiny "):
        Registry().add(source)
    entry = Registry().install(str(source), base="tiny")
    assert (entry.name, entry.version, entry.base_fingerprint) == ("mlx-lora", "0.1.0", tiny.fingerprint)


def _corrupt(directory: Path, case: str) -> None:
    file = directory / "adapters.safetensors"
    data = file.read_bytes()
    if case == "truncated":
        file.write_bytes(data[:-16])
    elif case == "garbage":
        file.write_bytes(b"this is not a safetensors file")
    elif case == "bad-header":
        file.write_bytes((20).to_bytes(8, "little") + b"{not json" + b" " * 11)
    elif case == "empty":
        file.write_bytes(b"")


CORRUPT = [
    ("truncated", {}, "is truncated: its tensors need"),
    ("garbage", {}, "is corrupt"),
    ("bad-header", {}, "header is not valid JSON"),
    ("empty", {}, "is corrupt"),
    ("not-lora", {"tensors": {"model.layers.0.self_attn.q_proj.weight": np.zeros((4, 4), np.float32)}},
     "is not a LoRA weight"),
    ("unpaired", {"tensors": {k: v for k, v in lora_tensors().items() if k.endswith("lora_a")}},
     "needs both lora_a and lora_b"),
    ("missing-layer", {"tensors": lora_tensors(layers=(7,))}, "base tiny has no such layer"),
    ("wrong-shape", {"tensors": {**lora_tensors(), "model.layers.0.self_attn.v_proj.lora_b": V_PROJ_TOO_WIDE}},
     "maps 64 -> 64 features, but base tiny has a [32, 64] weight"),
    ("rank", {"rank": 8, "tensors": lora_tensors(rank=4)}, "do not share the rank 8"),
]  # fmt: skip


@pytest.mark.parametrize("case,kwargs,fragment", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_install_detects_broken_adapter_files_and_installs_nothing(tiny, tmp_path, case, kwargs, fragment):
    source = write_adapter(tmp_path / "a", tiny, **kwargs)
    _corrupt(source, case)
    with pytest.raises(LocoError) as info:
        Registry().install(str(source))
    assert fragment in str(info.value)
    assert not (Registry().root / "math").exists() and not Registry().path.exists()


def test_install_from_a_hugging_face_repo_id(tiny, tmp_path, monkeypatch):
    """Mocked download (no network here): hf_snapshot returns a local snapshot directory, named
    like Hugging Face's (a commit hash); the adapter is named after the repo."""
    snapshot = write_adapter(tmp_path / "snapshots" / "3f2a9c0d", tiny, name=None)
    asked = []
    monkeypatch.setattr(registry_module, "hf_snapshot", lambda repo: asked.append(repo) or snapshot)
    entry = Registry().install("someone/math-lora")
    assert asked == ["someone/math-lora"] and entry.name == "math-lora" and Registry().owns(entry)


def test_keyword_options_and_the_yaml_list_form(tiny, tmp_path):
    from loco_mlx.cli.adapters import parse_keywords

    assert parse_keywords(["sum", "plus=2.5", "a=b=1"]) == {"sum": 1.0, "plus": 2.5, "a=b": 1.0}
    for bad in ("=2", "x=abc", "x=inf", " "):
        with pytest.raises(LocoError, match="--keyword"):
            parse_keywords([bad])
    registry = Registry()
    registry.add(write_adapter(tmp_path / "a", tiny))
    registry.path.write_text(registry.path.read_text().replace("keywords: []", "keywords: [sum, plus]"))
    assert registry.get("math").keywords == {"sum": 1.0, "plus": 1.0}


def test_cli_add_list_info_promote_remove(tiny, tmp_path):
    from loco_mlx.cli.app import app

    runner = CliRunner()
    source = write_adapter(tmp_path / "math", tiny)

    def loco(*args):
        result = runner.invoke(app, ["adapters", *args])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    assert "no adapters registered" in loco("list")
    out = loco("add", str(source), "--domain", "math", "--tag", "arith", "--tag", "easy", "--keyword", "sum=2")
    assert out.startswith(f"registered math 0.1.0 (base tiny {tiny.short_fingerprint})")
    Registry().set_gate("math", GateSummary(0.82, 0.61, None, "ITERATE"))
    table = loco("list").splitlines()
    assert table[0].split() == ["name", "version", "active", "domain", "tool", "base", "gate", "path"]
    assert table[1].split()[:6] == ["math", "0.1.0", "-", "math", "-", "tiny"]
    assert "ITERATE 0.820 vs base 0.610" in table[1] and str(source) in table[1]
    info = loco("info", "math")
    assert "tags         arith, easy" in info and "keywords     sum=2" in info and tiny.fingerprint in info
    assert "adapters.safetensors" in info and "KiB" in info

    refused = runner.invoke(app, ["adapters", "promote", "math"])
    assert isinstance(refused.exception, LocoError) and "ITERATE" in str(refused.exception)
    assert "without a SHIP verdict" in loco("promote", "math", "--force")
    assert "left in place" in loco("remove", "math")


def test_cli_errors_are_one_line(home, tiny, tmp_path):
    """The user-facing form of the bad-input cases: `error: ...` on one line, exit 1, no traceback."""
    registry = Registry()
    registry.add(write_adapter(tmp_path / "a", tiny))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}

    def fails(*args) -> str:
        result = subprocess.run([sys.executable, "-m", "loco_mlx", "adapters", *args], env=env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]

    assert "no adapter 'nope' in the registry (registered: math)" in fails("info", "nope")
    assert "not in the local cache" in fails("install", "someone/not-cached")
    registry.deactivate("math")  # a second write: registry.yaml.bak now exists
    registry.path.write_text("adapters: [")
    message = fails("list")
    assert "is broken (not valid YAML" in message and f"cp {registry.backup} {registry.path}" in message


def test_paths_inside_the_registry_directory_are_stored_relative_and_survive_a_move(tiny, tmp_path):
    """A registry committed with its adapters (the repository's adapters/) works wherever it is checked out."""
    shipped = tmp_path / "checkout" / "adapters"
    registry = Registry(shipped / "registry.yaml")
    registry.add(write_adapter(shipped / "math", tiny))
    outside = write_adapter(tmp_path / "elsewhere", tiny, name="alpha")
    registry.add(outside)
    stored = {e["name"]: e["path"] for e in yaml.safe_load(registry.path.read_text())["adapters"]}
    assert stored == {"math": "math", "alpha": str(outside)}  # outside the directory: absolute, as given

    shutil.move(tmp_path / "checkout", tmp_path / "moved")
    moved = Registry(tmp_path / "moved" / "adapters" / "registry.yaml")
    assert moved.get("math").path == str(tmp_path / "moved" / "adapters" / "math")
    assert moved.promote("math", force=True).active  # its files are found at the new place


def test_a_registry_named_by_a_relative_path_keeps_its_entries_relative(tiny, tmp_path, monkeypatch):
    """LOCO_REGISTRY=adapters/registry.yaml, as scripts/ship_adapters.sh sets it: saving twice must not nest."""
    monkeypatch.chdir(tmp_path)
    write_adapter(tmp_path / "adapters" / "math", tiny)
    registry = Registry(Path("adapters/registry.yaml"))
    registry.add(Path("adapters/math"))
    registry.set_gate("math", GateSummary(0.9, 0.1, "x" * 64, "SHIP"))
    registry.promote("math")
    assert yaml.safe_load(registry.path.read_text())["adapters"][0]["path"] == "math"
    assert Registry(Path("adapters/registry.yaml")).get("math").path == str(tmp_path / "adapters" / "math")


def test_the_declared_tool_is_registered_and_read_back(tiny, tmp_path):
    registry = Registry()
    source = write_adapter(tmp_path / "calc", tiny, name="calc")
    manifest = json.loads((source / "loco_adapter.json").read_text())
    (source / "loco_adapter.json").write_text(json.dumps({**manifest, "tool": "python"}))
    registry.add(source)
    registry.add(write_adapter(tmp_path / "plain", tiny, name="plain"))
    assert Registry().get("calc").tool == "python" and Registry().get("plain").tool is None
    data = {e["name"]: e for e in yaml.safe_load(registry.path.read_text())["adapters"]}
    assert data["calc"]["tool"] == "python" and "tool" not in data["plain"]  # text adapters' entries unchanged
    data["plain"]["tool"] = "perl"
    registry.path.write_text(yaml.safe_dump({"format": 1, "adapters": list(data.values())}))
    with pytest.raises(LocoError, match=r"adapters\[1\] \(plain\): 'tool': unknown tool 'perl'"):
        Registry().entries()
