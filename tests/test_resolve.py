"""Base specs: local MLX directories, the Hugging Face cache offline, and resolution order."""

from __future__ import annotations

import os
import shutil

import pytest

from loco_mlx.bases.gguf_import import import_gguf
from loco_mlx.bases.resolve import classify_spec, import_base, import_spec, resolve_base
from loco_mlx.bases.store import BaseStore, fingerprint
from loco_mlx.errors import LocoError
from tests.fixtures.tiny_gguf import write_tiny_gguf


@pytest.fixture
def mlx_dir(tmp_path):
    import_gguf(write_tiny_gguf(tmp_path / "tiny.gguf", "qwen2", "Q8_0"), tmp_path / "tiny-mlx")
    return tmp_path / "tiny-mlx"


def test_local_mlx_dir_is_used_in_place(mlx_dir, loco_home):
    record = import_base(str(mlx_dir))
    assert record.source_kind == "mlx" and record.id == "tiny-mlx"
    assert import_spec(record) == str(mlx_dir.resolve())
    assert record.model_dir == str(mlx_dir.resolve())
    assert record.fingerprint == fingerprint(mlx_dir)
    assert record.architecture == "qwen2" and record.quantization == "affine 8-bit, group 32"
    # Resolving the same path again finds the stored record instead of importing twice.
    assert resolve_base(str(mlx_dir)).id == record.id
    BaseStore().remove(record.id)
    assert mlx_dir.is_dir(), "removing a base must not delete the user's own directory"


def test_directory_without_config_is_refused(tmp_path, loco_home):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LocoError, match="not an MLX model directory"):
        import_base(str(tmp_path / "empty"))


def test_hf_repo_from_the_offline_cache(mlx_dir, tmp_path, loco_home, monkeypatch):
    """A cached repo id resolves with no network at all (HF_HUB_OFFLINE=1)."""
    hub = tmp_path / "hf" / "hub"
    snapshot = hub / "models--someorg--tiny-4bit" / "snapshots" / ("0" * 40)
    shutil.copytree(mlx_dir, snapshot)
    (hub / "models--someorg--tiny-4bit" / "refs").mkdir()
    (hub / "models--someorg--tiny-4bit" / "refs" / "main").write_text("0" * 40)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    record = import_base("someorg/tiny-4bit")
    assert record.source_kind == "hf" and record.id == "tiny-4bit"
    assert os.path.samefile(record.model_dir, snapshot)
    assert record.fingerprint == fingerprint(mlx_dir)


@pytest.mark.parametrize(
    "spec,kind",
    [("mlx-community/Qwen3-4B-4bit", "hf"), ("Org/model.v2", "hf")],
)
def test_repo_ids_are_recognised(spec, kind):
    assert classify_spec(spec)[0] == kind


@pytest.mark.parametrize("spec", ["./missing", "missing.gguf", "a/b/c", "~/nothing/here"])
def test_paths_that_do_not_exist_are_not_taken_for_repo_ids(spec):
    with pytest.raises(LocoError, match="no such file or directory"):
        classify_spec(spec)


def test_the_embedded_file_by_path_is_the_default_base(loco_home):
    from loco_mlx.bases.resolve import EMBEDDED_DEFAULT_ID, embedded_gguf_path

    assert classify_spec(str(embedded_gguf_path()))[0] == "embedded"
    assert resolve_base(str(embedded_gguf_path())).id == EMBEDDED_DEFAULT_ID
    assert resolve_base("default").id == EMBEDDED_DEFAULT_ID
    assert BaseStore().ids() == [EMBEDDED_DEFAULT_ID]
    # an adapter records how to import its base elsewhere: this environment's path would be wrong there
    assert import_spec(resolve_base("default")) == "default"


def test_the_default_by_its_id_is_imported_in_a_fresh_home(loco_home, tmp_path, monkeypatch):
    """Registries and manifests name the default by id: a fresh $LOCO_HOME imports it on first use."""
    from loco_mlx.bases.resolve import EMBEDDED_DEFAULT_ID

    assert BaseStore().ids() == []
    record = resolve_base(EMBEDDED_DEFAULT_ID)
    assert record.id == EMBEDDED_DEFAULT_ID and record.source_kind == "embedded"
    assert BaseStore().ids() == [EMBEDDED_DEFAULT_ID] and resolve_base(EMBEDDED_DEFAULT_ID) == record
    monkeypatch.chdir(tmp_path)  # a directory of that name is still what the spec means there
    (tmp_path / EMBEDDED_DEFAULT_ID).mkdir()
    with pytest.raises(LocoError, match="not an MLX model directory"):
        resolve_base(EMBEDDED_DEFAULT_ID, store=BaseStore(tmp_path / "other_home"))


def test_base_info_on_the_default_before_import_names_the_import(loco_home):
    from tests.helpers import assert_user_error, loco

    result = loco("base", "info", "smollm2-135m-instruct", env={**os.environ, "LOCO_HOME": str(loco_home)})
    assert_user_error(result, "embedded default", "loco base import default")
