"""What a finished run leaves for a human: loss.png, a loss-curve diagnosis, TRAINING_LOG.md.

The diagnosis reads the curve the way the LocoLLM fine-tuning primer teaches
(healthy, overfitting, underfitting, unstable) and gives the primer's beginner
fixes, in its words, with the setting to change. It is a pure function of the
metrics records, tested on synthetic curves. TRAINING_LOG.md is regenerated on
every run, except its "## Author's notes" section, which belongs to the author.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from loco_mlx.files import atomic_path, write_atomic

VERDICTS = ("healthy", "overfitting", "underfitting", "unstable", "too short to tell")

# Fewer logged steps or validation runs than this and any verdict would be a guess.
MIN_TRAIN_POINTS = 8
MIN_VAL_POINTS = 3
# Start and end loss are medians over the first/last 10% of logged steps (at least 3):
# one noisy batch must not decide the verdict.
EDGE_FRACTION = 0.1
EDGE_MIN_POINTS = 3
# Underfitting: training loss fell by less than 10% from start to end. Even a base that
# already knows the format usually drops 25% or more once LoRA starts to fit.
UNDERFIT_MAX_DROP = 0.10
# Overfitting: validation loss ends more than 5% above its best, after at least two
# evaluations past the best. A fixed validation set is far less noisy than that.
OVERFIT_MARGIN = 0.05
OVERFIT_MIN_EVALS_AFTER_BEST = 2
# A spike: a step's loss at least double the median of the 5 steps before it, and at
# least 0.5 nats above it, so late small losses (0.1 -> 0.25) are not counted.
SPIKE_WINDOW = 5
SPIKE_RATIO = 2.0
SPIKE_MIN_JUMP = 0.5
# Two spikes are a pattern; one can be a single odd batch.
MIN_SPIKES = 2
# Training loss ending 10% above where it started has diverged.
DIVERGE_MARGIN = 0.10

HARDWARE_LABELS = {"compute": "compute mode", "memory_gb": "memory (GB)", "processes": "processes (ranks)"}
AUTHOR_HEADING = "## Author's notes"
AUTHOR_PROMPT = """\
<!-- Fill this in before you share the adapter; `loco train` keeps this section when it rewrites the log. -->

- **What the data is:** (the task, where the examples come from, what a good answer looks like)
- **How it was made:** (written by hand, generated with which model and prompts, converted from which dataset)
- **What was reviewed by hand:** (how many examples you spot-checked, what you found wrong and fixed)
"""


@dataclass
class Diagnosis:
    verdict: str
    summary: str
    fixes: list[str] = field(default_factory=list)
    best_step: int | None = None
    best_val_loss: float | None = None


def _series(metrics: list[dict], key: str) -> list[tuple[int, float]]:
    return [(int(r["step"]), float(r[key])) for r in metrics if r.get(key) is not None]


def _edge(values: list[float], end: bool) -> float:
    k = max(EDGE_MIN_POINTS, int(len(values) * EDGE_FRACTION))
    return statistics.median(values[-k:] if end else values[:k])


def _spikes(values: list[float]) -> list[int]:
    found = []
    for i in range(SPIKE_WINDOW, len(values)):
        median = statistics.median(values[i - SPIKE_WINDOW : i])
        if values[i] >= SPIKE_RATIO * median and values[i] - median >= SPIKE_MIN_JUMP:
            found.append(i)
    return found


@dataclass
class _Curve:
    """The series a diagnosis reads, and where validation was best."""

    mixed: list[tuple[int, float]]  # training loss over every row, replay included
    own: list[tuple[int, float]]  # the task's own rows only (runs with replay)
    train: list[tuple[int, float]]  # the one read: `own` when logged at enough steps, else `mixed`
    val: list[tuple[int, float]]
    finite_val: list[tuple[int, float]]
    best_step: int | None
    best_val: float | None
    epoch_at: dict[int, float]


@dataclass
class _Trend:
    """Where the training loss read started and ended (edge medians), in numbers and in words."""

    losses: list[float]
    start: float
    end: float
    drop: float  # fraction of `start` lost by the end
    text: str  # "Training loss went from 2.500 to 0.700 (-72%)"


_Verdict = tuple[str, str, list[str]]  # (verdict, summary, fixes)


def diagnose(metrics: list[dict]) -> Diagnosis:
    """Read the loss curve: one verdict, a one-paragraph summary and the fixes to try.

    With replay examples in the run, the curve read is the task's own loss (`task_loss`): a
    batch of the base's free-text replies scores far above a learnt narrow format, so the
    mixed loss jumps with each batch's make-up, which is no sign of too large a step."""
    curve = _read_curve(metrics)
    verdict = _diverged(curve) or _too_short(curve)
    if verdict is None:
        trend = _trend(curve)
        verdict = (
            _unstable(curve, trend) or _overfitting(curve, trend) or _underfitting(trend) or _healthy(curve, trend)
        )
    return Diagnosis(*verdict, curve.best_step, curve.best_val)


def _read_curve(metrics: list[dict]) -> _Curve:
    mixed, own = _series(metrics, "train_loss"), _series(metrics, "task_loss")
    train = own if len(own) >= MIN_TRAIN_POINTS else mixed  # (a step of replay rows only has no task loss)
    val = _series(metrics, "val_loss")
    finite_val = [(s, v) for s, v in val if math.isfinite(v)]
    best_step, best_val = min(finite_val, key=lambda p: p[1]) if finite_val else (None, None)
    epoch_at = {int(r["step"]): r["epoch"] for r in metrics if r.get("epoch") is not None}
    return _Curve(mixed, own, train, val, finite_val, best_step, best_val, epoch_at)


def _trend(curve: _Curve) -> _Trend:
    losses = [v for _, v in curve.train]
    start, end = _edge(losses, end=False), _edge(losses, end=True)
    drop = (start - end) / start if start > 0 else 0.0
    what = "Training loss on the task's own examples (replay left out)" if curve.train is curve.own else "Training loss"
    return _Trend(losses, start, end, drop, f"{what} went from {start:.3f} to {end:.3f} ({-drop:+.0%})")


def _diverged(curve: _Curve) -> _Verdict | None:
    bad = sorted((s, v) for s, v in curve.mixed + curve.own + curve.val if not math.isfinite(v))
    if not bad:
        return None
    return (
        "unstable",
        f"The loss became {bad[0][1]} at step {bad[0][0]}: training diverged. "
        "Loss jumps around erratically when the learning rate is too high.",
        UNSTABLE_FIXES,
    )


def _too_short(curve: _Curve) -> _Verdict | None:
    if len(curve.mixed) >= MIN_TRAIN_POINTS:
        return None
    return (
        "too short to tell",
        f"Only {len(curve.mixed)} training steps were logged "
        f"(at least {MIN_TRAIN_POINTS} are needed to read the curve).",
        [
            f"Train for more steps, and evaluate at least {MIN_VAL_POINTS} times (eval_every) "
            "to see the validation loss."
        ],
    )


def _unstable(curve: _Curve, trend: _Trend) -> _Verdict | None:
    spikes = _spikes(trend.losses)
    if len(spikes) < MIN_SPIKES and trend.end <= trend.start * (1 + DIVERGE_MARGIN):
        return None
    where = ", ".join(str(curve.train[i][0]) for i in spikes[:5])
    detail = f" with {len(spikes)} spikes (steps {where})" if spikes else ", ending above where it started"
    return "unstable", f"{trend.text}{detail}. Loss jumps around erratically: the steps are too big.", UNSTABLE_FIXES


def _overfitting(curve: _Curve, trend: _Trend) -> _Verdict | None:
    """Validation rose after its best, for good, while training loss kept falling."""
    if len(curve.finite_val) < MIN_VAL_POINTS:
        return None
    best_step, best_val = curve.best_step, curve.best_val
    after_best = [v for s, v in curve.finite_val if s > best_step]
    last_step, last_val = curve.finite_val[-1]
    train_after = [v for s, v in curve.train if s > best_step]
    train_at_best = [v for s, v in curve.train if s <= best_step]
    # best at step 0 (evaluated before any step) has no training loss at or before it: compare with the start
    at_best = _edge(train_at_best, True) if train_at_best else trend.start
    still_falling = bool(train_after) and _edge(train_after, True) < at_best
    if not (
        len(after_best) >= OVERFIT_MIN_EVALS_AFTER_BEST
        and all(v > best_val for v in after_best)
        and last_val > best_val * (1 + OVERFIT_MARGIN)
        and still_falling
    ):
        return None
    epoch = curve.epoch_at.get(best_step)
    when = f" (epoch {epoch:.2f})" if epoch is not None else ""
    return (
        "overfitting",
        f"{trend.text}, but validation loss was lowest, {best_val:.3f}, at step {best_step}{when} and rose to "
        f"{last_val:.3f} by step {last_step}. The model is memorizing your specific training examples "
        "instead of learning generalizable patterns. The adapter from the best step is the one kept.",
        [
            "Use more diverse training data: vary phrasing, difficulty and edge cases "
            "(the most likely cause with small or synthetic sets).",
            f"Train fewer epochs: validation loss stopped improving at step {best_step}{when}.",
            "Add dropout: raise lora.dropout (e.g. 0.05 -> 0.1).",
            "Lower the LoRA rank (e.g. lora.rank 16 -> 8): less capacity to memorize.",
        ],
    )


def _underfitting(trend: _Trend) -> _Verdict | None:
    if trend.drop >= UNDERFIT_MAX_DROP:
        return None
    return (
        "underfitting",
        f"{trend.text}: loss barely decreases from start to finish. The model isn't learning.",
        [
            "Increase the learning rate (optim.learning_rate, e.g. 2e-4 -> 4e-4).",
            "Check that your data format matches what the training script expects: run `loco data stats` and "
            "look at a few examples rendered with the chat template.",
            "Train more epochs: small datasets (~500 examples) usually need 3-5.",
            "Increase the LoRA rank (e.g. lora.rank 16 -> 32).",
        ],
    )


def _healthy(curve: _Curve, trend: _Trend) -> _Verdict:
    losses = trend.losses
    late = statistics.median(losses[int(len(losses) * 0.7) : int(len(losses) * 0.8) + 1])
    if (late - trend.end) / late > UNDERFIT_MAX_DROP:
        summary = f"{trend.text} and was still falling at the end: more epochs may still help."
    else:
        summary = f"{trend.text}: it dropped steeply early on, then gradually flattened."
    summary += _validation_ending(curve)
    summary += " A healthy curve is not a passed evaluation: compare the adapter with the base on held-out examples."
    return "healthy", summary, []


def _validation_ending(curve: _Curve) -> str:
    """A healthy run's last validation loss against its best, as a sentence of the summary."""
    if not curve.finite_val:
        return " There was no validation loss, so overfitting could not be checked."
    (last_step, last_val), best_step, best_val = curve.finite_val[-1], curve.best_step, curve.best_val
    text = f" Validation loss ended at {last_val:.3f} (step {last_step}), "
    if last_val <= best_val * (1 + OVERFIT_MARGIN):
        return text + f"near its best of {best_val:.3f} (step {best_step})."
    return text + (
        f"{last_val / best_val - 1:.0%} above its best of {best_val:.3f} (step {best_step}): one evaluation "
        "is not a trend yet, but if it keeps rising that is overfitting. The best step's adapter is kept."
    )


UNSTABLE_FIXES = [
    "Reduce the learning rate (optim.learning_rate, e.g. 2e-4 -> 1e-4).",
    "Warm up for longer (optim.warmup_fraction, e.g. 0.1 -> 0.2).",
    "Average over more examples per step: a bigger batch_size, or grad_accumulation 2-4 if memory is short.",
]


# -- plot ---------------------------------------------------------------------------


def _smooth(values: list[float]) -> list[float]:
    """Centred moving average over ~5% of the run: no lag, unlike an EMA; narrower at the ends."""
    half = max(1, len(values) // 40)
    out = []
    for i in range(len(values)):
        window = values[max(0, i - half) : i + half + 1]
        out.append(sum(window) / len(window))
    return out


def plot_losses(metrics: list[dict], path: Path, title: str = "") -> None:
    """loss.png: training loss (raw, light; smoothed, dark) and validation loss against step."""
    # The Agg canvas directly, not pyplot: no global backend switch, no GUI, thread-safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    train = [(s, v) for s, v in _series(metrics, "train_loss") if math.isfinite(v)]
    val = [(s, v) for s, v in _series(metrics, "val_loss") if math.isfinite(v)]
    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if train:
        steps, losses = zip(*train)
        ax.plot(steps, losses, color="tab:blue", alpha=0.25, linewidth=1, label="train loss")
        ax.plot(steps, _smooth(list(losses)), color="tab:blue", linewidth=2, label="train loss (smoothed)")
    task = [(s, v) for s, v in _series(metrics, "task_loss") if math.isfinite(v)]
    if task:  # a run with replay: the task's own loss, which the diagnosis reads
        steps, losses = zip(*task)
        ax.plot(steps, _smooth(list(losses)), color="tab:purple", linewidth=2, label="task's own loss (smoothed)")
    if val:
        steps, losses = zip(*val)
        ax.plot(steps, losses, "o-", color="tab:orange", linewidth=1.5, markersize=5, label="validation loss")
        best_step, best_val = min(val, key=lambda p: p[1])
        ax.axvline(best_step, color="tab:green", linestyle="--", linewidth=1)
        ax.plot([best_step], [best_val], "*", color="tab:green", markersize=14, label=f"best: step {best_step}")
    if not (train or val):
        ax.text(0.5, 0.5, "no losses logged", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (cross-entropy, nats)")
    ax.set_title(title or "training loss")
    ax.grid(alpha=0.3)
    if train or val:
        ax.legend(loc="upper right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


# -- TRAINING_LOG.md ----------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):  # a section in a list, e.g. a mix source: "path: data/x.jsonl sample: 400"
        return " ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _flatten(config: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for key, value in config.items():
        if isinstance(value, dict) and value:
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def _duration(seconds) -> str:
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _token_lines(stats: dict) -> list[str]:
    # loco_mlx.data.datasets.stats(): {"train": {"tokens": {p50, ...}}, "valid": {...}, ...}; else show it flat.
    splits = [(s, stats[s].get("tokens")) for s in ("train", "valid") if isinstance(stats.get(s), dict)]
    splits = [(s, t) for s, t in splits if t]
    if splits:
        keys = list(splits[0][1])
        return ["Tokens per example:", ""] + _table(
            ("split", *keys), [(s, *(t.get(k) for k in keys)) for s, t in splits]
        )
    flat = [(k, v) for k, v in _flatten(stats) if not k.startswith("files")]
    return ["Token statistics:", ""] + _table(("statistic", "value"), flat) if flat else []


def _existing_notes(path: Path) -> str | None:
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.rstrip() == AUTHOR_HEADING:
            return "".join(lines[i + 1 :])  # the notes are the last section: keep everything after the heading
    return None


def write_training_log(path: Path, info: dict, diagnosis: Diagnosis, metrics: list[dict]) -> None:
    """Write TRAINING_LOG.md, keeping an existing "## Author's notes" section verbatim."""
    path = Path(path)
    data, run = info.get("data") or {}, info.get("run") or {}
    hardware, versions = info.get("hardware") or {}, info.get("versions") or {}
    date = info.get("date") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Training log: {info.get('name') or path.parent.name}", ""]
    base = f"`{info['base_id']}`" if info.get("base_id") else "an unnamed base"
    if info.get("base_fingerprint"):
        base += f" (fingerprint `{str(info['base_fingerprint'])[:12]}`)"
    out += [f"Trained {date} on {base} with `loco train`.", ""]

    out += ["## Data", ""]
    files = data.get("files") or {}
    if files:
        out += _table(("source", "sha256"), [(f"`{p}`", f"`{str(h)[:12]}`") for p, h in files.items()]) + [""]
    out += [f"Examples: {_cell(data.get('train_count'))} train, {_cell(data.get('valid_count'))} valid.", ""]
    if data.get("token_stats"):
        out += _token_lines(data["token_stats"]) + [""]

    out += ["## Hyperparameters", ""]
    config = info.get("config") or {}
    out += (_table(("setting", "value"), _flatten(config)) if config else ["(not recorded)"]) + [""]

    out += ["## Hardware & software", ""]
    rows = [(HARDWARE_LABELS.get(k, k.replace("_", " ")), v) for k, v in hardware.items()] + [
        (k, v) for k, v in versions.items()
    ]
    out += (_table(("item", "value"), rows) if rows else ["(not recorded)"]) + [""]

    out += ["## Run", ""]
    best_step = run["best_step"] if run.get("best_step") is not None else diagnosis.best_step
    best_val = run["best_val_loss"] if run.get("best_val_loss") is not None else diagnosis.best_val_loss
    tps, peak = run.get("tokens_per_second"), run.get("peak_memory_gb")
    steps = run.get("steps", max((int(r["step"]) for r in metrics), default=None))
    rows = [
        ("optimizer steps", steps),
        ("epochs", run.get("epochs")),
        ("duration", _duration(run.get("duration_s"))),
        ("trained tokens/s", f"{tps:.1f}" if tps is not None else None),
        ("peak memory", f"{peak:.2f} GB" if peak is not None else None),
        ("best step", best_step),
        ("best validation loss", f"{best_val:.4f}" if best_val is not None else None),
        ("stopped early", bool(run.get("stopped_early"))),
        ("resumed", bool(run.get("resumed"))),
    ]
    if run.get("trainable_parameters") is not None:
        rows.append(("trainable parameters", f"{run['trainable_parameters']:,}"))
    out += _table(("item", "value"), rows) + [""]

    out += ["## Loss curve", "", "![loss](loss.png)", ""]
    out += ["## Diagnosis", "", f"**{diagnosis.verdict}**: {diagnosis.summary}", ""]
    if diagnosis.fixes:
        out += ["What to try:", ""] + [f"- {fix}" for fix in diagnosis.fixes] + [""]

    notes = _existing_notes(path)
    text = "\n".join(out) + "\n" + AUTHOR_HEADING + "\n" + (notes if notes is not None else "\n" + AUTHOR_PROMPT)
    write_atomic(path, text)
