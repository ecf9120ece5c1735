"""Base store and fingerprints: deterministic, sensitive to weights and config, not to sharding."""

from __future__ import annotations

import json

import mlx.core as mx
import pytest

from loco_mlx.bases.store import BaseStore, check_base_id, fingerprint, slugify
from loco_mlx.errors import LocoError
from loco_mlx.files import write_atomic


def _model_dir(path, tensors: dict, config: dict | None = None, shards: int = 1):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps(config or {"model_type": "llama", "hidden_size": 4}))
    names = sorted(tensors)
    for i in range(shards):
        part = {k: tensors[k] for k in names[i::shards]}
        mx.save_safetensors(str(path / f"model-{i:05d}.safetensors"), part)
    return path


TENSORS = {"a.weight": mx.arange(12, dtype=mx.float32).reshape(3, 4), "b.weight": mx.ones((5,), dtype=mx.float16)}


def test_fingerprint_is_deterministic_and_ignores_sharding(tmp_path):
    one = fingerprint(_model_dir(tmp_path / "one", TENSORS))
    again = fingerprint(_model_dir(tmp_path / "again", TENSORS))
    sharded = fingerprint(_model_dir(tmp_path / "sharded", TENSORS, shards=2))
    assert one == again == sharded
    assert len(one) == 64


@pytest.mark.parametrize("change", ["value", "dtype", "shape", "config"])
def test_fingerprint_changes_with_the_model(tmp_path, change):
    tensors = dict(TENSORS)
    config = {"model_type": "llama", "hidden_size": 4}
    if change == "value":
        tensors["a.weight"] = tensors["a.weight"] + mx.array(1e-3)
    elif change == "dtype":
        tensors["b.weight"] = tensors["b.weight"].astype(mx.float32)
    elif change == "shape":
        tensors["a.weight"] = tensors["a.weight"].reshape(4, 3)
    else:
        config["rope_theta"] = 5e5
    base = fingerprint(_model_dir(tmp_path / "base", TENSORS))
    assert fingerprint(_model_dir(tmp_path / "changed", tensors, config)) != base


def test_fingerprint_ignores_provenance_keys(tmp_path):
    base = fingerprint(_model_dir(tmp_path / "a", TENSORS, {"model_type": "llama"}))
    noted = fingerprint(_model_dir(tmp_path / "b", TENSORS, {"model_type": "llama", "transformers_version": "9"}))
    assert base == noted


@pytest.mark.parametrize(
    "name,ok",
    [
        ("smollm2-135m", True),
        ("qwen3-4b.q4", True),
        ("../etc", False),
        ("a/b", False),
        ("", False),
        ("UPPER", False),
        ("x" * 65, False),
    ],
)
def test_base_ids(name, ok):
    if ok:
        assert check_base_id(name) == name
    else:
        with pytest.raises(LocoError, match="invalid base id"):
            check_base_id(name)


def test_slugify_makes_valid_ids():
    for raw in ("SmolLM2-135M-Instruct.Q4_1", "Qwen3 4B (4bit)", "../../x"):
        check_base_id(slugify(raw))


def test_broken_record_is_a_clear_error(tmp_path):
    store = BaseStore(tmp_path)
    (tmp_path / "bases" / "bad").mkdir(parents=True)
    (tmp_path / "bases" / "bad" / "base.json").write_text("{not json")
    with pytest.raises(LocoError, match="broken base record .*loco base remove bad"):
        store.get("bad")
    with pytest.raises(LocoError, match=r"no base 'nope'"):
        store.get("nope")


def test_write_atomic_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "registry.json"
    write_atomic(target, "old")

    def fail(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]
