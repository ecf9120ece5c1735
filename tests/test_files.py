"""Atomic writes: a finished write replaces the old file or directory whole; a failed one leaves the
old one as it was and no temporary behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from loco_mlx.files import (
    atomic_directory,
    atomic_path,
    move_directory,
    previous_copy,
    temp_directory,
    write_atomic,
    write_bytes_atomic,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_replaces_the_file_readable_by_all(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    write_atomic(path, "néw\n")
    assert path.read_text(encoding="utf-8") == "néw\n"
    assert _mode(path) == 0o644  # not mkstemp's 0600
    write_bytes_atomic(path, b"\x00\x01", mode=0o600)
    assert path.read_bytes() == b"\x00\x01" and _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "ctrl-c"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(type(error)):
        with atomic_path(path) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".a.txt.")  # beside it, hidden
            tmp.write_text("half of the ne")
            raise error
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_write_of_a_new_file_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        write_bytes_atomic(tmp_path / "new.bin", "text, not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def _fill(directory: Path, text: str) -> None:
    (directory / "a.txt").write_text(text)
    (directory / "sub").mkdir()
    (directory / "sub" / "b.txt").write_text(text)


def test_atomic_directory_replaces_a_directory_whole(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    _fill(target, "old")
    with atomic_directory(target, replace=True) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".ckpt.")
        _fill(tmp, "new")
    assert (target / "a.txt").read_text() == "new" and (target / "sub" / "b.txt").read_text() == "new"
    assert _mode(target) == 0o755  # not mkdtemp's 0700
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temporary, no .ckpt.old


@pytest.mark.parametrize("replace", [True, False])
def test_a_failed_directory_write_leaves_the_old_one_and_no_temporary(tmp_path, replace):
    target = tmp_path / "out"
    target.mkdir()
    _fill(target, "old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target, replace=replace) as tmp:
            (tmp / "a.txt").write_text("new")
            raise KeyboardInterrupt
    assert (target / "a.txt").read_text() == "old" and (target / "sub" / "b.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_without_replace_only_a_missing_or_empty_directory_is_written(tmp_path):
    full, empty, missing = tmp_path / "full", tmp_path / "empty", tmp_path / "missing"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    empty.mkdir()
    with pytest.raises(OSError):
        with atomic_directory(full) as tmp:
            _fill(tmp, "new")
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    for target in (empty, missing):
        with atomic_directory(target) as tmp:
            _fill(tmp, "new")
        assert (target / "sub" / "b.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "full", "missing"]


def test_a_swap_interrupted_between_its_renames_is_completed_by_the_next(tmp_path):
    """A crash after `target -> .target.old` leaves only the old copy, where readers look second;
    the next swap puts the new copy in place and drops the old one."""
    target = tmp_path / "last"
    old = previous_copy(target)
    assert old == tmp_path / ".last.old"
    old.mkdir()
    (old / "a.txt").write_text("old")
    with temp_directory(target) as new:
        (new / "a.txt").write_text("new")
        move_directory(new, target, replace=True)
    assert (target / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["last"]


def test_temp_directory_is_deleted_when_not_moved(tmp_path):
    with temp_directory(tmp_path / "x", prefix=".install-") as tmp:
        assert tmp.name.startswith(".install-")
        _fill(tmp, "scratch")
    assert list(tmp_path.iterdir()) == []
