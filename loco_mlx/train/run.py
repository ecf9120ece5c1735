"""One `loco train` run: validate everything, then train, then write every output.

Order matters for "nothing is lost": the data, base, LoRA keys and memory are all
checked before the output directory is touched; an existing finished adapter is
never overwritten, and an unfinished run with a saved checkpoint is only continued
with --resume (from its newest checkpoint); one that saved none starts over.

Output directory (mlx-lm's adapter format, so `mlx_lm.generate --adapter-path` works):
    adapters.safetensors   the best adapter by validation loss (the one that ships)
    adapter_config.json    mlx-lm's config (fine_tune_type, num_layers, lora_parameters)
    loco_adapter.json      manifest: base fingerprint, config, data hashes, versions, timings
    router_examples.jsonl  the training prompts, for fitting the router
    metrics.jsonl, loss.png, TRAINING_LOG.md
    checkpoints/best, checkpoints/last   resumable checkpoints (last = newest step)
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from loco_mlx.adapters.directory import MANIFEST, AdapterManifest, write_manifest
from loco_mlx.adapters.registry import next_version
from loco_mlx.bases.resolve import import_spec
from loco_mlx.errors import LocoError
from loco_mlx.files import atomic_path, write_atomic
from loco_mlx.runtime import package_versions
from loco_mlx.train.batches import EncodedExample
from loco_mlx.train.config import MixSource, TrainConfig
from loco_mlx.train.loop import LoopState, Trainer, batch_plan, total_steps
from loco_mlx.train.report import Diagnosis

if TYPE_CHECKING:
    from loco_mlx.bases.loading import LoadedBase
    from loco_mlx.data.datasets import Dataset

METRICS_FILE = "metrics.jsonl"


@dataclass
class TrainResult:
    out: Path
    state: LoopState
    diagnosis: Diagnosis | None  # None when the run stopped before its end, and on ranks other than 0
    trainable_parameters: int


@dataclass
class Start:
    """Where a run begins: a checkpoint to continue from, or step 0."""

    checkpoint: Path | None = None  # resume from this checkpoint directory
    step: int = 0
    clear_leftovers: bool = False  # checkpoints/ of an earlier run that saved none: deleted before training
    note: str = ""  # one line to say when training starts: which checkpoint, or that the run starts over


def plan_start(out: Path, resume: bool) -> Start:
    """Where a run in `out` begins. Refuses only what would overwrite a finished adapter or throw away a
    saved checkpoint; a run killed before any checkpoint starts over, with or without --resume."""
    from loco_mlx.train.checkpoint import checkpoint_step, resume_point

    checkpoints = out / "checkpoints"
    found = resume_point(checkpoints)
    starts_over = Start(clear_leftovers=True, note=f"{out} holds a run that saved no checkpoint; starting over")
    if resume:
        if found is None and not checkpoints.exists():
            raise LocoError(f"nothing to resume in {out}: it holds no checkpoints/; leave out --resume to start a run")
        if found is None:
            return starts_over
        directory, step = found
        if directory.parent == checkpoints and directory.name == "best":
            last = checkpoint_step(checkpoints / "last")
            why = "no checkpoints/last was saved" if last is None else f"checkpoints/last is older (step {last})"
            return Start(directory, step, note=f"resuming from checkpoints/best (step {step}): {why}")
        return Start(directory, step)
    if (out / MANIFEST).exists():
        raise LocoError(f"{out} already holds a trained adapter; choose another --out or remove it first")
    if found is not None:
        raise LocoError(
            f"{out} holds an unfinished run (saved at step {found[1]}); continue it with --resume, "
            "or remove the directory"
        )
    return starts_over if checkpoints.exists() else Start()


def add_replay(dataset, files: list[str]):
    """The dataset with each replay file's examples added to its training split (and its hash recorded)."""
    for file in files:
        if not Path(file).expanduser().is_file():
            raise LocoError(f"replay file {file} not found; write it with: loco data replay PROMPTS --out {file}")
        dataset.train += _read_into(dataset, file)
    return dataset


def add_mix(dataset, sources: list[MixSource], seed: int):
    """The dataset with a seeded sample of each mix source added to its training split, in file order.

    The same seed draws the same examples, so a recipe that mixes data trains on the same rows again. (Two
    files of one length give the same row numbers; seeding with the path too would redraw the recorded runs.)"""
    import random

    for source in sources:
        if not Path(source.path).expanduser().is_file():
            raise LocoError(f"mix file {source.path} not found (paths are relative to where loco runs)")
        unread = len(dataset.problems)
        examples = _read_into(dataset, source.path)
        if len(dataset.problems) > unread:
            continue  # a file that does not read is reported with every other problem (require_valid)
        if source.sample is not None and source.sample > len(examples):
            raise LocoError(
                f"mix: sample {source.sample} of {source.path}, which has {len(examples)} examples; "
                "lower sample, or leave it out to take the whole file"
            )
        if source.sample is not None:
            draw = random.Random(seed).sample(range(len(examples)), source.sample)
            examples = [examples[i] for i in sorted(draw)]
        dataset.train += examples
    return dataset


def _read_into(dataset, file: str) -> list:
    """One extra file's examples; its reading problems and its hash are recorded on the dataset."""
    import hashlib

    from loco_mlx.data.datasets import read_jsonl

    examples, problems = read_jsonl(file)
    dataset.problems += problems
    dataset.files[file] = hashlib.sha256(Path(file).expanduser().read_bytes()).hexdigest()
    return examples


def apply_lora(model, cfg: TrainConfig) -> int:
    """Freeze the base and wrap the target projections with mlx-lm LoRA layers; return trainable parameters."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.utils import linear_to_lora_layers

    if cfg.lora.num_layers > len(model.layers):  # mlx-lm would quietly adapt all of them
        raise LocoError(
            f"lora.num_layers is {cfg.lora.num_layers} but the base has {len(model.layers)} layers; "
            "use -1 for all of them"
        )
    mx.random.seed(cfg.seed)  # the LoRA A matrices start random: seeded, so runs repeat
    model.freeze()
    linear_to_lora_layers(model, cfg.lora.num_layers, cfg.lora.mlx_lm_parameters())
    trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    if trainable == 0:
        names = sorted({k.rsplit(".", 1)[0] for k, _ in tree_flatten(model.layers[0].parameters())})
        raise LocoError(f"lora.keys {cfg.lora.keys} matched no layer; layer 0 has: {', '.join(names)}")
    return trainable


def build_optimizer(cfg: TrainConfig, steps: int):
    import mlx.optimizers as optim
    from mlx_lm.tuner.utils import build_schedule

    warmup = int(cfg.optim.warmup_fraction * steps)
    lr = cfg.optim.learning_rate
    # Warm up from lr / warmup, not from 0: a first step at learning rate 0 would be wasted.
    warmup_init = lr / max(warmup, 1)
    if cfg.optim.schedule == "cosine":
        name, arguments = "cosine_decay", [lr, max(steps - warmup, 1), 0.0]
    else:
        name, arguments = "linear_schedule", [lr, lr, 1]
    schedule = build_schedule({"name": name, "arguments": arguments, "warmup": warmup, "warmup_init": warmup_init})
    return optim.AdamW(learning_rate=schedule, weight_decay=cfg.optim.weight_decay)


def preflight(loaded, cfg: TrainConfig, trainable: int, longest: int, force: bool, reporter) -> None:
    """Estimate peak memory before the first step; stop with advice when it will not fit."""
    from loco_mlx.train.memory import estimate_training_memory, suggest_fixes

    weight_bytes = loaded.record.parameters * 4 if loaded.compute.mode == "fp32" else loaded.record.size_bytes
    layers = cfg.lora.num_layers if cfg.lora.num_layers > 0 else loaded.config["num_hidden_layers"]
    micro_batch = cfg.batch_size
    # The longest batch is the peak: the longest example, not max_seq_length (validation capped it).
    seq = min(cfg.max_seq_length, longest)
    est = estimate_training_memory(
        loaded.config, weight_bytes, trainable, micro_batch, seq, grad_checkpoint=cfg.grad_checkpoint,
        num_lora_layers=layers,
    )  # fmt: skip
    if est.fits:
        reporter.message(
            f"memory preflight: about {est.total_bytes / 2**30:.2f} GiB of {est.available_bytes / 2**30:.1f} GiB"
        )
        return
    advice = "; ".join(suggest_fixes(est, micro_batch, seq, cfg.grad_checkpoint, layers)[:3])
    message = (
        f"training needs about {est.total_bytes / 2**30:.1f} GiB but {est.available_bytes / 2**30:.1f} GiB "
        f"is available; try: {advice} (or --force to try anyway)"
    )
    if not force:
        raise LocoError(message)
    reporter.message("warning: " + message)


class _Recorder:
    """Forwards loop events to the UI reporter and appends them to metrics.jsonl."""

    def __init__(self, reporter, metrics):
        self.reporter, self.metrics = reporter, metrics

    def start(self, total_steps, start_step):
        self.reporter.start(total_steps, start_step)

    def step(self, record):
        self.metrics.log(record)
        self.reporter.step(record)

    def eval(self, record):
        self.metrics.log({"step": record["step"], "val_loss": record["val_loss"]})
        self.reporter.eval(record)

    def message(self, text):
        self.reporter.message(text)

    def finish(self):
        self.reporter.finish()


@dataclass
class Inputs:
    """Everything a run trains on, loaded and checked before the output directory is touched."""

    dataset: Dataset
    loaded: LoadedBase
    train: list[EncodedExample]
    valid: list[EncodedExample]


def load_inputs(cfg: TrainConfig) -> Inputs:
    """The dataset (with replay) and the base, checked against each other, and the examples as tokens."""
    from loco_mlx.bases.loading import load_base
    from loco_mlx.data.datasets import load_dataset, require_valid
    from loco_mlx.train.batches import encode_example

    dataset = load_dataset(cfg.data, cfg.valid_fraction, cfg.seed)
    dataset = add_replay(add_mix(dataset, cfg.mix, cfg.seed), cfg.replay)
    loaded = load_base(cfg.base, cfg.compute)
    require_valid(dataset, loaded.tokenizer, cfg.max_seq_length, cfg.min_train_examples)
    if not dataset.valid:
        raise LocoError(f"{cfg.data}: no validation examples; add valid.jsonl or set valid_fraction above 0")
    train = [encode_example(e, loaded.tokenizer) for e in dataset.train]
    for encoded, example in zip(train, dataset.train):
        encoded.replay = example.source in cfg.replay  # logged apart: the task's own loss is the curve to read
    valid = [encode_example(e, loaded.tokenizer) for e in dataset.valid]
    return Inputs(dataset, loaded, train, valid)


def count_steps(cfg: TrainConfig, train: list[EncodedExample], processes: int) -> int:
    """Optimizer steps of the run; a LocoError when the batch cannot be shared out or makes no step."""
    if cfg.batch_size % processes:
        raise LocoError(f"batch_size={cfg.batch_size} must be divisible by the {processes} processes")
    steps = total_steps(cfg, batch_plan(cfg, train))
    if steps < 1:
        raise LocoError(
            f"{len(train)} training examples make no optimizer step at batch_size={cfg.batch_size} "
            f"x grad_accumulation={cfg.grad_accumulation}; add data or lower them"
        )
    return steps


def open_outputs(out: Path, start: Start, rank: int, reporter) -> _Recorder:
    """Create the output directory and its metrics log (cut back to the resumed step): the first writes."""
    from loco_mlx.train.metrics import MetricsLog

    out.mkdir(parents=True, exist_ok=True)
    if start.clear_leftovers and rank == 0:  # rank 0 alone writes checkpoints
        shutil.rmtree(out / "checkpoints")
    resumed = start.checkpoint is not None
    metrics = MetricsLog(out / METRICS_FILE, append=resumed) if rank == 0 else _NullMetrics()
    if resumed:
        metrics.truncate(start.step)
    if start.note:
        reporter.message(start.note)
    return _Recorder(reporter, metrics)


def run_training(
    cfg: TrainConfig, resume: bool = False, force: bool = False, progress: str = "bar", stop_after: int | None = None
) -> TrainResult:
    import mlx.core as mx

    from loco_mlx.train.metrics import read_metrics
    from loco_mlx.train.progress import make_reporter

    cfg.check()
    cfg = replace(cfg, tool=cfg.declared_tool())  # recorded in the manifest: the engine runs its programs
    out = Path(cfg.out).expanduser()
    world = mx.distributed.init()
    reporter = make_reporter(progress, world.rank())
    start = plan_start(out, resume)
    inputs = load_inputs(cfg)
    trainable = apply_lora(inputs.loaded.model, cfg)
    if world.rank() == 0:
        preflight(inputs.loaded, cfg, trainable, max(len(e.ids) for e in inputs.train), force, reporter)
    steps = count_steps(cfg, inputs.train, world.size())

    # Everything is checked: only now is the output directory written.
    recorder = open_outputs(out, start, world.rank(), reporter)
    trainer = Trainer(
        inputs.loaded.model, build_optimizer(cfg, steps), cfg, inputs.train, inputs.valid,
        checkpoints=out / "checkpoints", reporter=recorder, world=world,
    )  # fmt: skip
    reporter.message(opening_line(adapter_name(cfg), inputs, steps, trainable, world.size()))
    if world.rank() == 0:
        report_diversity(cfg, inputs.dataset, reporter)
    state = trainer.run(resume_from=start.checkpoint, stop_after=stop_after)
    if world.rank() != 0:
        return TrainResult(out, state, None, trainable)
    if state.stopped in ("interrupted", "stop_after"):
        reporter.message(f"stopped at step {state.step}/{trainer.steps}; continue with: loco train ... --resume")
        return TrainResult(out, state, None, trainable)

    metrics = read_metrics(out / METRICS_FILE)
    diagnosis = finish_outputs(FinishedRun(out, cfg, inputs.loaded, inputs.dataset, trainer, trainable, metrics))
    report_outcome(reporter, diagnosis, out, state)
    return TrainResult(out, state, diagnosis, trainable)


def report_diversity(cfg: TrainConfig, dataset, reporter) -> None:
    """How templated the task's own prompts are (replay aside), in one line, and a warning when they are."""
    from loco_mlx.data.diversity import training_diversity

    diversity = training_diversity([e for e in dataset.train if e.source not in cfg.replay], cfg.data)
    if diversity is not None:
        reporter.message(diversity.summary())
        for warning in diversity.warnings():
            reporter.message(f"warning: {warning} (details: loco data check-diversity {cfg.data})")


def adapter_name(cfg: TrainConfig) -> str:
    """The adapter's name: `name:` from the config, else the output directory's name."""
    return cfg.name or Path(cfg.out).expanduser().name


def opening_line(name: str, inputs: Inputs, steps: int, trainable: int, processes: int) -> str:
    loaded = inputs.loaded
    return (
        f"training {name} on {loaded.record.id} ({loaded.device}, {loaded.compute.mode}): {len(inputs.train)} train / "
        f"{len(inputs.valid)} valid examples, {steps} steps, {trainable:,} trainable parameters"
        + (f", {processes} processes" if processes > 1 else "")
    )


def report_outcome(reporter, diagnosis: Diagnosis, out: Path, state: LoopState) -> None:
    reporter.message(f"{diagnosis.verdict}: {diagnosis.summary}")
    for fix in diagnosis.fixes:
        reporter.message(f"  - {fix}")
    reporter.message(f"adapter written to {out} (best step {state.best_step}, val loss {state.best_val_loss:.4f})")


class _NullMetrics:
    def log(self, record):
        pass

    def truncate(self, step):
        pass


# --- the outputs of a finished run ----------------------------------------------------------


@dataclass
class FinishedRun:
    """What the outputs of a run that trained to its end are written from."""

    out: Path
    cfg: TrainConfig
    loaded: LoadedBase
    dataset: Dataset
    trainer: Trainer
    trainable: int
    metrics: list[dict]  # metrics.jsonl as read back

    @property
    def name(self) -> str:
        return adapter_name(self.cfg)


@dataclass
class RunFacts:
    """The sections the manifest and TRAINING_LOG.md both report."""

    data: dict
    run: dict
    hardware: dict
    versions: dict


def finish_outputs(finished: FinishedRun) -> Diagnosis:
    """Ship the best checkpoint as the adapter and write the manifest, plot and training log."""
    from loco_mlx.router.examples import EXAMPLES_FILE, write_examples
    from loco_mlx.train.report import diagnose, plot_losses, write_training_log

    out, cfg, record = finished.out, finished.cfg, finished.loaded.record
    ship_best_adapter(finished)
    facts = run_facts(finished)
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    own = [e for e in finished.dataset.train if e.source not in cfg.replay]  # replay prompts belong to other routes
    write_examples(out / EXAMPLES_FILE, own)  # the router is fitted on these (loco router fit)
    diagnosis = diagnose(finished.metrics)
    plot_losses(finished.metrics, out / "loss.png", title=f"{finished.name} on {record.id}")
    info = {
        "name": finished.name,
        "base_id": record.id,
        "base_fingerprint": record.fingerprint,
        "config": asdict(cfg),
        "data": facts.data,
        "hardware": facts.hardware,
        "versions": facts.versions,
        "run": facts.run,
    }
    write_training_log(out / "TRAINING_LOG.md", info, diagnosis, finished.metrics)
    # The manifest goes last: its presence marks a finished adapter.
    write_manifest(out, build_manifest(finished, facts, created, diagnosis))
    return diagnosis


def ship_best_adapter(finished: FinishedRun) -> None:
    """adapters.safetensors (the best checkpoint's, else the last's) and mlx-lm's adapter_config.json."""
    out, cfg, loaded = finished.out, finished.cfg, finished.loaded
    best = out / "checkpoints" / ("best" if finished.trainer.state.best_step is not None else "last")
    with atomic_path(out / "adapters.safetensors") as tmp:
        shutil.copyfile(best / "adapters.safetensors", tmp)
    num_layers = cfg.lora.num_layers if cfg.lora.num_layers > 0 else len(loaded.model.layers)
    adapter_config = {
        "fine_tune_type": "lora",
        "num_layers": num_layers,
        "lora_parameters": cfg.lora.mlx_lm_parameters(),
        "model": loaded.record.model_dir,
    }
    write_atomic(out / "adapter_config.json", json.dumps(adapter_config, indent=2) + "\n")


def run_facts(finished: FinishedRun) -> RunFacts:
    from loco_mlx.data.datasets import stats
    from loco_mlx.runtime import total_memory_bytes

    cfg, loaded, dataset, trainer = finished.cfg, finished.loaded, finished.dataset, finished.trainer
    state = trainer.state
    hardware = {
        "device": loaded.device,
        "compute": loaded.compute.mode,
        "machine": f"{platform.system()} {platform.machine()}",
        "memory_gb": round(total_memory_bytes() / 1e9, 1),
        "processes": trainer.size,
    }
    run = {
        "steps": state.step,
        "epochs": round(state.step * cfg.grad_accumulation / trainer.plan.batches_per_epoch, 3),
        "duration_s": round(state.elapsed_s, 1),
        "tokens_per_second": round(state.trained_tokens / max(state.elapsed_s, 1e-9), 1),
        "peak_memory_gb": max((m.get("peak_memory_gb", 0) for m in finished.metrics), default=0),
        "best_step": state.best_step,
        "best_val_loss": state.best_val_loss,
        "stopped_early": state.stopped == "early_stopping",
        "resumed": state.resumed_from is not None,
        "trainable_parameters": finished.trainable,
    }
    data = {
        "files": dataset.files,
        "train_count": len(dataset.train),
        "valid_count": len(dataset.valid),
        "token_stats": stats(dataset, loaded.tokenizer),
    }
    return RunFacts(data, run, hardware, package_versions())


def build_manifest(finished: FinishedRun, facts: RunFacts, created: str, diagnosis: Diagnosis) -> AdapterManifest:
    """loco_adapter.json: what the adapter is, what it was trained on and how, and how training went.

    Built as the file is laid out, then read back as every reader reads it, so a field that would not
    read back fails here, before the adapter is marked finished."""
    record = finished.loaded.record
    layout = {
        "name": finished.name,
        "version": finished.cfg.version or next_version(finished.name),
        "format": "mlx-lm lora",
        "base": {
            "id": record.id,
            "fingerprint": record.fingerprint,
            "architecture": record.architecture,
            "source": import_spec(record),
        },
        "config": asdict(finished.cfg),
        "tool": finished.cfg.tool,
        "domain": finished.cfg.data_domain(),
        "data": facts.data,
        "run": facts.run,
        "hardware": facts.hardware,
        "versions": facts.versions,
        "created": created,
        "diagnosis": {"verdict": diagnosis.verdict, "summary": diagnosis.summary},
    }
    return AdapterManifest.from_dict(layout, str(finished.out / MANIFEST))
