"""Shared fixtures: an isolated LOCO_HOME per test, and the embedded base imported once."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def loco_home(tmp_path, monkeypatch):
    """A fresh, empty LOCO_HOME: tests never touch the user's ~/.loco_mlx."""
    home = tmp_path / "loco_home"
    monkeypatch.setenv("LOCO_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def default_home(tmp_path_factory):
    """A LOCO_HOME holding the embedded SmolLM2 base, imported once per test session."""
    from loco_mlx.bases.resolve import DEFAULT_SPEC, import_base
    from loco_mlx.bases.store import BaseStore

    home = tmp_path_factory.mktemp("default_home")
    import_base(DEFAULT_SPEC, store=BaseStore(home))
    return home


@pytest.fixture
def default_env(default_home, monkeypatch):
    """Environment (and os.environ) pointing LOCO_HOME at the session's default base."""
    monkeypatch.setenv("LOCO_HOME", str(default_home))
    return {**os.environ, "LOCO_HOME": str(default_home)}


@pytest.fixture(scope="session")
def default_engine(default_home):
    from loco_mlx.bases.loading import load_base
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.engine import Engine
    from loco_mlx.inference.mlx_backend import MLXBackend

    record = BaseStore(default_home).get("smollm2-135m-instruct")
    return Engine(MLXBackend(load_base(record)))
