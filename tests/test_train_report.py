"""metrics.jsonl, loss-curve diagnosis, loss.png and TRAINING_LOG.md, on synthetic curves."""

from __future__ import annotations

import json
import math
import random

import pytest

from loco_mlx.errors import LocoError
from loco_mlx.train.metrics import MetricsLog, read_metrics
from loco_mlx.train.report import (
    AUTHOR_HEADING,
    VERDICTS,
    Diagnosis,
    diagnose,
    plot_losses,
    write_training_log,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def curve(train_fn, val_fn=None, steps=100, eval_every=10, noise=0.03, seed=0) -> list[dict]:
    """Metrics records like the trainer writes: one per step, plus a val record every `eval_every`."""
    rng = random.Random(seed)
    records = []
    for step in range(1, steps + 1):
        loss = train_fn(step) * (1 + rng.uniform(-noise, noise))
        records.append({"step": step, "epoch": step / 40, "train_loss": loss, "learning_rate": 2e-4})
        if val_fn is not None and step % eval_every == 0:
            records.append({"step": step, "val_loss": val_fn(step)})
    return records


def falling(start, floor, rate):
    return lambda s: floor + (start - floor) * math.exp(-rate * s)


def with_spikes(fn, at, factor=3.0):
    return lambda s: fn(s) * (factor if s in at else 1.0)


def overfit_val(s):
    # Falls to 1.0 at step 40, then climbs back up to about 1.3 at step 100.
    return 1.0 + 1.5 * math.exp(-0.1 * s) + (0.005 * (s - 40) if s > 40 else 0.0)


def with_task(records, task_fn):
    """A run with replay: each step also logs the loss of the task's own examples."""
    return [{**r, "task_loss": task_fn(r["step"])} if "train_loss" in r else r for r in records]


def with_nan(records, step):
    return [{**r, "train_loss": float("nan")} if r["step"] == step and "train_loss" in r else r for r in records]


CASES = [
    ("healthy", curve(falling(2.5, 0.6, 0.05), falling(2.6, 0.8, 0.05)), "healthy"),
    ("healthy without validation", curve(falling(2.5, 0.6, 0.05)), "healthy"),
    (
        "healthy, val up one eval only",
        curve(falling(2.5, 0.6, 0.05), lambda s: 1.2 if s == 100 else 1.0 + 1.0 / s),
        "healthy",
    ),
    ("overfitting", curve(falling(2.5, 0.05, 0.04), overfit_val), "overfitting"),
    ("underfitting", curve(lambda s: 2.0 - 0.0005 * s, lambda s: 2.1 - 0.0004 * s), "underfitting"),
    (
        "unstable: spikes",
        curve(with_spikes(falling(2.5, 0.6, 0.05), {30, 55, 80}), falling(2.6, 0.8, 0.05)),
        "unstable",
    ),
    ("unstable: diverging", curve(lambda s: 1.5 + 0.01 * s, lambda s: 1.6 + 0.01 * s), "unstable"),
    ("unstable: NaN loss", with_nan(curve(falling(2.5, 0.6, 0.05)), 50), "unstable"),
    ("unstable: NaN even when short", with_nan(curve(falling(2.5, 0.6, 0.05), steps=4), 3), "unstable"),
    ("too short", curve(falling(2.5, 0.6, 0.05), steps=5), "too short to tell"),
    ("nothing logged", [], "too short to tell"),
    (
        "one spike is not a pattern",
        curve(with_spikes(falling(2.5, 0.6, 0.05), {50}), falling(2.6, 0.8, 0.05)),
        "healthy",
    ),
    (
        "replay batches jump, the task's own loss does not",
        with_task(curve(with_spikes(falling(2.5, 0.6, 0.05), {30, 55, 80}), falling(2.6, 0.8, 0.05)),
                  falling(2.5, 0.6, 0.05)),
        "healthy",
    ),
    (
        "the task's own loss spikes",
        with_task(curve(falling(2.5, 0.6, 0.05), falling(2.6, 0.8, 0.05)),
                  with_spikes(falling(2.5, 0.6, 0.05), {30, 55, 80})),
        "unstable",
    ),
]  # fmt: skip


@pytest.mark.parametrize("name,metrics,verdict", CASES, ids=[c[0] for c in CASES])
def test_diagnosis_verdicts(name, metrics, verdict):
    before = json.dumps(metrics)
    d = diagnose(metrics)
    assert d.verdict == verdict, d.summary
    assert d.verdict in VERDICTS
    assert d.summary
    assert json.dumps(metrics) == before  # pure: the records are not touched
    if verdict in ("overfitting", "underfitting", "unstable", "too short to tell"):
        assert d.fixes
    else:
        assert d.fixes == []


@pytest.mark.parametrize(
    "verdict,metrics,words",
    [
        ("overfitting", CASES[3][1], ["more diverse training data", "fewer epochs", "dropout", "rank"]),
        ("underfitting", CASES[4][1], ["learning rate", "data format", "epochs", "rank"]),
        ("unstable", CASES[5][1], ["reduce the learning rate", "warm up", "grad_accumulation"]),
    ],
)
def test_fixes_follow_the_primer(verdict, metrics, words):
    d = diagnose(metrics)
    assert d.verdict == verdict
    text = " ".join(d.fixes).lower()
    for word in words:
        assert word.lower() in text


def test_replay_only_steps_still_count_and_are_checked():
    """A step of replay rows only logs a training loss and no task loss: it counts as a step,
    and a NaN there is still divergence."""
    records = with_task(curve(falling(2.5, 0.6, 0.05), steps=10), falling(2.5, 0.6, 0.05))
    for r in records[:3]:
        r["task_loss"] = None
    assert diagnose(records).verdict != "too short to tell"
    records[1]["train_loss"] = float("nan")
    assert diagnose(records).verdict == "unstable"


def test_a_replay_run_says_which_loss_it_read():
    summary = diagnose(CASES[-2][1]).summary
    assert summary.startswith("Training loss on the task's own examples (replay left out) went from")
    assert diagnose(CASES[0][1]).summary.startswith("Training loss went from")


def test_healthy_summary_says_whether_the_curve_flattened():
    flattened = diagnose(CASES[0][1]).summary
    still_falling = diagnose(curve(lambda s: 2.5 - 0.02 * s, lambda s: 2.6 - 0.02 * s)).summary
    assert "gradually flattened" in flattened
    assert "still falling at the end" in still_falling


def test_validation_best_at_step_zero_is_read_not_a_crash():
    """The trainer evaluates at step 0, before any training loss is logged: when that stays the best
    validation loss (memorizing from the first step), there is no training loss at or before it."""
    records = [{"step": 0, "val_loss": 1.0}] + curve(falling(2.5, 0.6, 0.05), lambda s: 1.0 + 0.01 * s)
    d = diagnose(records)
    assert (d.verdict, d.best_step) == ("overfitting", 0)
    assert "was lowest, 1.000, at step 0 (epoch" not in d.summary and "at step 0 and rose to" in d.summary


def test_best_step_and_loss():
    d = diagnose(CASES[3][1])
    assert d.best_step == 40
    assert d.best_val_loss == pytest.approx(overfit_val(40))
    assert "step 40" in d.summary and "epoch 1.00" in d.summary
    assert diagnose(CASES[1][1]).best_step is None


def test_plot_writes_png(tmp_path):
    path = tmp_path / "loss.png"
    plot_losses(CASES[3][1], path, title="math on smollm2")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temp file left behind


ALL_REPLAY_STEP = {"step": 101, "train_loss": 0.9, "task_loss": None}  # a step of replay examples only


@pytest.mark.parametrize(
    "metrics",
    [[], CASES[7][1], CASES[1][1], CASES[-2][1] + [ALL_REPLAY_STEP]],
    ids=["empty", "nan", "no-val", "replay"],
)
def test_plot_tolerates_odd_metrics(tmp_path, metrics):
    plot_losses(metrics, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes().startswith(PNG_SIGNATURE)


INFO = {
    "name": "math",
    "base_id": "smollm2-135m-instruct",
    "base_fingerprint": "3f2a9c0011223344556677",
    "config": {"batch_size": 4, "lora": {"rank": 16, "keys": ["self_attn.q_proj", "self_attn.v_proj"]}, "seed": 42},
    "data": {
        "files": {"data/train.jsonl": "ab" * 32, "data/valid.jsonl": "cd" * 32},
        "train_count": 216,
        "valid_count": 24,
        "token_stats": {"train": {"tokens": {"p50": 80, "p95": 120, "max": 150}}, "valid": {"tokens": {"p50": 82}}},
    },
    "hardware": {"device": "cpu", "compute": "fp32", "memory_gb": 25.2},
    "versions": {"mlx": "0.32.4", "mlx-lm": "0.32.2"},
    "run": {
        "steps": 100,
        "epochs": 2.5,
        "duration_s": 3725.0,
        "tokens_per_second": 21.4,
        "peak_memory_gb": 1.23,
        "stopped_early": False,
        "resumed": True,
    },
}


def test_training_log_sections(tmp_path):
    path = tmp_path / "TRAINING_LOG.md"
    metrics = CASES[3][1]
    write_training_log(path, INFO, diagnose(metrics), metrics)
    text = path.read_text()
    for heading in (
        "# Training log: math",
        "## Data",
        "## Hyperparameters",
        "## Hardware & software",
        "## Run",
        "## Loss curve",
        "## Diagnosis",
        AUTHOR_HEADING,
    ):
        assert heading in text
    assert "`abababababab`" in text and "ab" * 32 not in text  # sha256 prefixes only
    assert "216 train, 24 valid" in text
    assert "| lora.rank | 16 |" in text and "self_attn.q_proj, self_attn.v_proj" in text
    assert "1h 02m 05s" in text and "21.4" in text and "1.23 GB" in text
    assert "| resumed | yes |" in text and "| stopped early | no |" in text
    assert "| best step | 40 |" in text
    assert "![loss](loss.png)" in text
    assert "**overfitting**" in text and "- Use more diverse training data" in text
    assert "What the data is" in text and "reviewed by hand" in text


def test_training_log_tolerates_missing_keys(tmp_path):
    path = tmp_path / "adapter" / "TRAINING_LOG.md"
    path.parent.mkdir()
    write_training_log(path, {}, Diagnosis("too short to tell", "nothing", []), [])
    text = path.read_text()
    assert "# Training log: adapter" in text and "## Run" in text and AUTHOR_HEADING in text


def test_training_log_keeps_authors_notes(tmp_path):
    path = tmp_path / "TRAINING_LOG.md"
    write_training_log(path, INFO, diagnose(CASES[0][1]), CASES[0][1])
    notes = "\nThe problems were generated from 3 templates.\n\n## My own subsection\n\n- reviewed 24 by hand\n"
    text = path.read_text()
    path.write_text(text[: text.index(AUTHOR_HEADING) + len(AUTHOR_HEADING) + 1] + notes)

    write_training_log(path, {**INFO, "name": "math-v2"}, diagnose(CASES[3][1]), CASES[3][1])
    text = path.read_text()
    assert text.endswith(AUTHOR_HEADING + "\n" + notes)
    assert "# Training log: math-v2" in text and "**overfitting**" in text
    assert "What the data is" not in text  # the prompt is not added back over real notes


# -- metrics.jsonl ------------------------------------------------------------------


def test_metrics_log_writes_lines_at_once(tmp_path):
    path = tmp_path / "metrics.jsonl"
    log = MetricsLog(path)
    log.log({"step": 1, "train_loss": 2.3, "learning_rate": 1e-4})
    # Flushed immediately: a reader (or a crash) sees the line before close.
    assert read_metrics(path) == [{"step": 1, "train_loss": 2.3, "learning_rate": 1e-4}]
    log.log({"step": 1, "val_loss": float("nan")})
    log.close()
    records = read_metrics(path)
    assert math.isnan(records[1]["val_loss"])
    assert "NaN" not in path.read_text()  # strict JSON on disk


def test_metrics_log_resume_append_and_truncate(tmp_path):
    path = tmp_path / "metrics.jsonl"
    with MetricsLog(path) as log:
        for step in range(1, 11):
            log.log({"step": step, "train_loss": 3.0 - step / 10})
        log.log({"step": 10, "val_loss": 2.5})
    with path.open("a") as fh:
        fh.write('{"step": 11, "train_lo')  # a crash mid-line

    with MetricsLog(path, append=True) as log:
        log.truncate(6)  # resuming from the checkpoint at step 6
        assert [r["step"] for r in read_metrics(path)] == [1, 2, 3, 4, 5, 6]
        log.log({"step": 7, "train_loss": 1.0})
    assert [r["step"] for r in read_metrics(path)] == [1, 2, 3, 4, 5, 6, 7]
    assert read_metrics(path)[-1] == {"step": 7, "train_loss": 1.0}


def test_metrics_log_fresh_run_replaces_the_file(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 99, "train_loss": 1.0}\n')
    with MetricsLog(path) as log:
        log.log({"step": 1, "train_loss": 2.0})
    assert read_metrics(path) == [{"step": 1, "train_loss": 2.0}]


def test_read_metrics_rejects_a_bad_line_in_the_middle(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(LocoError, match="metrics.jsonl:2"):
        read_metrics(path)
    assert read_metrics(tmp_path / "missing.jsonl") == []
