"""Where `loco train` begins in an output directory: every state a killed run can leave leads somewhere
(resume from the newest checkpoint, or start over), and only a saved checkpoint or a finished adapter
is ever protected."""

from __future__ import annotations

import mlx.core as mx
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.files import previous_copy
from loco_mlx.train.checkpoint import resume_point, save_checkpoint
from loco_mlx.train.run import MANIFEST, plan_start


def _save(directory, step: int) -> None:
    save_checkpoint(directory, {"w": mx.full((2,), float(step))}, None, {"step": step})


def test_a_fresh_directory_starts_at_step_zero(tmp_path):
    start = plan_start(tmp_path / "new", resume=False)
    assert (start.checkpoint, start.clear_leftovers, start.note) == (None, False, "")


def test_resume_with_nothing_there_is_an_error_that_says_what_to_do(tmp_path):
    with pytest.raises(LocoError, match="nothing to resume in .*: it holds no checkpoints/; leave out --resume"):
        plan_start(tmp_path / "typo", resume=True)


@pytest.mark.parametrize("resume", [False, True])
def test_a_run_that_saved_no_checkpoint_starts_over(tmp_path, resume):
    (tmp_path / "checkpoints" / ".best.abc.tmp").mkdir(parents=True)  # SIGKILL inside the first save
    start = plan_start(tmp_path, resume)
    assert start.checkpoint is None and start.clear_leftovers
    assert start.note == f"{tmp_path} holds a run that saved no checkpoint; starting over"


def test_best_alone_is_resumed_and_a_plain_run_is_pointed_there(tmp_path):
    _save(tmp_path / "checkpoints" / "best", 0)
    with pytest.raises(LocoError, match=r"unfinished run \(saved at step 0\); continue it with --resume"):
        plan_start(tmp_path, resume=False)
    start = plan_start(tmp_path, resume=True)
    assert (start.checkpoint, start.step) == (tmp_path / "checkpoints" / "best", 0)
    assert start.note == "resuming from checkpoints/best (step 0): no checkpoints/last was saved"


def test_the_newer_of_last_and_best_is_resumed(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    _save(checkpoints / "last", 4)
    _save(checkpoints / "best", 6)  # evaluated more often than saved
    start = plan_start(tmp_path, resume=True)
    assert start.checkpoint == checkpoints / "best"
    assert start.note == "resuming from checkpoints/best (step 6): checkpoints/last is older (step 4)"
    _save(checkpoints / "last", 6)  # a tie: last, silently
    start = plan_start(tmp_path, resume=True)
    assert (start.checkpoint, start.note) == (checkpoints / "last", "")


def test_a_swap_cut_between_its_renames_resumes_from_the_previous_copy(tmp_path):
    last = tmp_path / "checkpoints" / "last"
    _save(last, 3)
    last.rename(previous_copy(last))
    assert resume_point(tmp_path / "checkpoints") == (previous_copy(last), 3)
    assert plan_start(tmp_path, resume=True).note == ""


def test_a_finished_adapter_is_refused_without_resume(tmp_path):
    (tmp_path / MANIFEST).write_text("{}")
    with pytest.raises(LocoError, match="already holds a trained adapter"):
        plan_start(tmp_path, resume=False)


def test_an_unreadable_checkpoint_is_named(tmp_path):
    _save(tmp_path / "checkpoints" / "best", 2)
    (tmp_path / "checkpoints" / "best" / "state.json").write_text("{not json")
    with pytest.raises(LocoError, match=r"checkpoint .*best is unreadable .*; remove it"):
        plan_start(tmp_path, resume=True)
