"""AdapterManifest: loco_adapter.json read and checked in one place."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from loco_mlx.adapters.directory import AdapterManifest, read_adapter_dir, read_manifest, write_manifest
from loco_mlx.errors import LocoError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["math", "json", "code"])
def test_the_shipped_manifests_read_as_they_are(name):
    directory = ROOT / "adapters" / name
    manifest = read_adapter_dir(directory)[2]
    raw = json.loads((directory / "loco_adapter.json").read_text())
    assert manifest == read_manifest(directory) and manifest.name == name and manifest.version == raw["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest.version)  # a retrained adapter gets the next version
    assert manifest.base.id == "smollm2-135m-instruct" and manifest.base.source == "default"
    assert manifest.base.fingerprint == raw["base"]["fingerprint"] and manifest.train_data == f"data/{name}"
    assert list(manifest.data_files)[0] == f"data/{name}/train.jsonl"
    assert manifest.to_dict() == raw  # nothing the file holds is lost
    assert manifest.tool is None  # these answer in text; math-program declares its tool (below)
    assert manifest.domain == name  # what their data's manifest.json says


@pytest.mark.parametrize("name", ["math", "json", "code"])
def test_the_shipped_manifests_are_written_back_byte_for_byte(name):
    file = ROOT / "adapters" / name / "loco_adapter.json"
    assert read_manifest(file.parent).to_json() == file.read_text()


def test_a_changed_field_is_written_and_the_rest_kept_in_place(tmp_path):
    manifest = read_manifest(ROOT / "adapters" / "math")
    changed = replace(manifest, version="0.2.0", base=replace(manifest.base, id="other"))
    file = write_manifest(tmp_path, changed)
    written = json.loads(file.read_text())
    assert (written["version"], written["base"]["id"]) == ("0.2.0", "other")
    assert list(written) == list(manifest.raw) and list(written["base"]) == list(manifest.raw["base"])
    assert written["base"]["architecture"] == manifest.raw["base"]["architecture"]  # not a typed field: kept
    assert read_manifest(tmp_path) == changed


def test_a_minimal_manifest_gains_no_keys_it_did_not_have():
    data = {"name": "x", "custom": [1, 2], "config": {}}
    assert AdapterManifest.from_dict(data, "m.json").to_dict() == data


def test_no_manifest_is_none_and_an_unreadable_one_is_an_error(tmp_path):
    assert read_manifest(tmp_path) is None
    (tmp_path / "loco_adapter.json").write_text("{not json")
    with pytest.raises(LocoError, match="loco_adapter.json: broken adapter metadata"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    "data,message",
    [
        ([1, 2], "expected a JSON object, got list"),
        ({"name": 3}, "'name' must be a string, got 3"),
        ({"base": "tiny"}, "'base' must be an object, got 'tiny'"),
        ({"base": {"fingerprint": 12}}, "'base.fingerprint' must be a string, got 12"),
        ({"data": {"files": []}}, "'data.files' must be an object, got \\[\\]"),
    ],
)
def test_a_malformed_manifest_names_the_file_and_the_key(data, message):
    with pytest.raises(LocoError, match=f"m.json: {message}"):
        AdapterManifest.from_dict(data, "m.json")


def test_a_minimal_manifest_reads_with_defaults():
    manifest = AdapterManifest.from_dict({"name": "x", "base": {"id": "b", "fingerprint": "f" * 64}}, "m.json")
    assert (manifest.version, manifest.base.source, manifest.train_data, manifest.data_files) == (None, None, None, {})


def test_adding_with_the_default_base_named_imports_it_in_a_fresh_home(tmp_path):
    """`loco adapters add DIR --base smollm2-135m-instruct` with an empty $LOCO_HOME used to fail
    with 'no base ... (imported: none)'; the embedded default is imported on first use."""
    from loco_mlx.adapters.registry import Registry
    from loco_mlx.bases.store import BaseStore

    store = BaseStore(tmp_path / "home")
    entry = Registry(tmp_path / "registry.yaml", store).add(ROOT / "adapters" / "math", base="smollm2-135m-instruct")
    assert entry.base_id == "smollm2-135m-instruct" and store.find("smollm2-135m-instruct") is not None


# --- the declared tool -----------------------------------------------------------------------------


def test_a_manifest_declares_its_tool_and_an_unknown_one_is_refused(tmp_path):
    import json

    from loco_mlx.adapters.directory import read_manifest

    (tmp_path / "loco_adapter.json").write_text(json.dumps({"name": "math", "tool": "python"}))
    assert read_manifest(tmp_path).tool == "python"
    assert read_manifest(tmp_path).to_dict()["tool"] == "python"
    (tmp_path / "loco_adapter.json").write_text(json.dumps({"name": "math"}))
    assert read_manifest(tmp_path).tool is None and "tool" not in read_manifest(tmp_path).to_dict()
    (tmp_path / "loco_adapter.json").write_text(json.dumps({"name": "math", "tool": "perl"}))
    with pytest.raises(LocoError, match=r"loco_adapter.json: 'tool': unknown tool 'perl'; known tools: python"):
        read_manifest(tmp_path)


def test_training_takes_the_tool_from_the_recipe_or_the_data_manifest(tmp_path):
    import json

    from loco_mlx.train.config import TrainConfig

    assert TrainConfig(data=str(tmp_path), out="x").declared_tool() is None  # no manifest.json: a text adapter
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "loco data synth", "tool": "python"}))
    assert TrainConfig(data=str(tmp_path), out="x").declared_tool() == "python"
    assert TrainConfig(data=str(tmp_path / "train.jsonl"), out="x").declared_tool() is None
    with pytest.raises(LocoError, match="tool: unknown tool 'perl'"):
        TrainConfig(data=str(tmp_path), out="x", tool="perl").declared_tool()


def test_the_shipped_program_style_math_adapter_declares_its_tool():
    manifest = read_manifest(ROOT / "adapters" / "math-program")
    assert manifest.tool == "python" and manifest.train_data == "data/math"
    assert manifest.to_dict() == json.loads((ROOT / "adapters" / "math-program" / "loco_adapter.json").read_text())


def test_training_records_the_task_its_data_manifest_names(tmp_path):
    from loco_mlx.train.config import TrainConfig

    assert TrainConfig(data=str(tmp_path), out="x").data_domain() is None  # no manifest.json
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "loco data synth", "domain": "json"}))
    assert TrainConfig(data=str(tmp_path), out="x").data_domain() == "json"
    (tmp_path / "manifest.json").write_text("[1, 2]")  # not a synth manifest: it says nothing
    assert TrainConfig(data=str(tmp_path), out="x").data_domain() is None
    (tmp_path / "loco_adapter.json").write_text(json.dumps({"name": "j", "domain": "json"}))
    assert read_manifest(tmp_path).domain == "json" and read_manifest(tmp_path).to_dict()["domain"] == "json"
    (tmp_path / "loco_adapter.json").write_text(json.dumps({"name": "j", "domain": 3}))
    with pytest.raises(LocoError, match="'domain' must be a string, got 3"):
        read_manifest(tmp_path)
