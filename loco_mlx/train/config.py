"""Training settings as typed dataclasses; defaults follow the LocoLLM QLoRA recipe.

Rank 16, alpha 32 (scale = alpha / rank = 2), dropout 0.05 on the q/k/v/o
projections of every layer; AdamW at 2e-4 with 10% linear warmup then cosine
decay; batch 4 for 3 epochs; sequences up to 1024 tokens; seed 42.
Loaded with `loco_mlx.config.load_config(TrainConfig, yaml, overrides)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.ranges import above, at_least, check_settings, not_empty, one_of, within
from loco_mlx.runtime import COMPUTE_MODES

ATTENTION_KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]
# A seed above this would overflow the uint64 that mx.random.seed takes once the loop mixes in the step.
MAX_SEED = 2**32 - 1


@dataclass
class LoraConfig:
    rank: int = at_least(16, 1)
    alpha: float = above(32.0, 0)
    dropout: float = within(0.05, 0, 1, high_open=True)
    keys: list[str] = not_empty(ATTENTION_KEYS, hint="name the projections to adapt, e.g. self_attn.q_proj")
    # adapt the last N transformer blocks; -1 = all (0 is refused: mlx-lm's layers[-0:] would mean all too)
    num_layers: int = at_least(-1, 1, special={-1: "all layers"})

    def __post_init__(self):
        check_settings(self)

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def mlx_lm_parameters(self) -> dict:
        """The `lora_parameters` block of mlx-lm's adapter_config.json."""
        return {"rank": self.rank, "scale": self.scale, "dropout": self.dropout, "keys": list(self.keys)}


@dataclass
class OptimConfig:
    learning_rate: float = above(2e-4, 0)  # a negative rate would climb the loss (gradient ascent)
    warmup_fraction: float = within(0.1, 0, 1, high_open=True)  # of all optimizer steps
    schedule: str = one_of("cosine", ("cosine", "constant"), "schedule")
    weight_decay: float = at_least(0.0, 0)
    # clip the global gradient norm; null turns clipping off
    max_grad_norm: float | None = above(1.0, 0, hint="null turns clipping off")

    def __post_init__(self):
        check_settings(self)


@dataclass
class MixSource:
    """More of the task's own data: `sample` examples of `path` (all of them when unset), drawn with the
    run's seed, join the training split. Validation stays `data`'s, so its loss reads the main data."""

    path: str = not_empty("", hint="name a JSONL file, e.g. `- {path: data/more.jsonl, sample: 400}`")
    sample: int | None = at_least(None, 1, hint="null takes the whole file")

    def __post_init__(self):
        check_settings(self)


@dataclass
class TrainConfig:
    data: str = ""  # a directory with train.jsonl (+ valid.jsonl) or one .jsonl file
    out: str = ""  # the adapter directory to write
    base: str = "default"
    name: str = ""  # adapter name; defaults to the output directory's name
    # semver; empty: one minor above the registered adapter of this name (a retraining), else 0.1.0
    version: str = ""
    compute: str = one_of("auto", COMPUTE_MODES, "compute mode")  # auto | packed | fp32 (see `loco doctor`)
    valid_fraction: float = within(0.1, 0, 1, high_open=True)  # used when data is a single file
    # chat JSONL of the base's own replies outside the task (`loco data replay`), added to the training split
    replay: list[str] = field(default_factory=list)
    mix: list[MixSource] = field(default_factory=list)  # more task data from other files (see MixSource)
    # "python": the replies are programs the engine runs (the adapter declares it); unset: the data's manifest.json says
    tool: str | None = None
    epochs: float = at_least(3.0, 0)  # 0 needs max_steps
    max_steps: int | None = at_least(None, 1)  # stop after this many optimizer steps (caps epochs)
    batch_size: int = at_least(4, 1)
    grad_accumulation: int = at_least(1, 1)  # micro-batches per optimizer step
    grad_checkpoint: bool = False
    max_seq_length: int = at_least(1024, 1)
    group_by_length: bool = True  # batch examples of similar length: less padding
    seed: int = within(42, 0, MAX_SEED)
    eval_every: int = at_least(25, 1)  # optimizer steps between validation runs
    save_every: int = at_least(25, 1)  # optimizer steps between resumable checkpoints
    # evaluations without improvement before stopping; null never stops early
    early_stopping_patience: int | None = at_least(None, 1, hint="null turns early stopping off")
    min_train_examples: int = at_least(10, 1)
    lora: LoraConfig = field(default_factory=LoraConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def __post_init__(self):
        check_settings(self)
        if self.version:
            from loco_mlx.adapters.registry import version_key

            version_key(self.version)  # a bad one fails now, not after training

    def declared_tool(self) -> str | None:
        """`tool`, or the one the data directory's manifest.json records (`loco data synth --style program`)."""
        from loco_mlx.adapters.directory import check_tool

        if self.tool is not None:
            return check_tool(self.tool, "tool")
        recorded = self._data_manifest().get("tool")
        return check_tool(recorded, str(Path(self.data) / "manifest.json")) if isinstance(recorded, str) else None

    def data_domain(self) -> str | None:
        """The task the data's manifest.json records (`loco data synth json` writes "json"), or None."""
        domain = self._data_manifest().get("domain")
        return domain if isinstance(domain, str) and domain else None

    def _data_manifest(self) -> dict:
        """The data directory's manifest.json ({} when there is none, or it is not a synth manifest)."""
        import json

        manifest = Path(self.data).expanduser() / "manifest.json"
        try:
            found = json.loads(manifest.read_text()) if manifest.is_file() else {}
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def check(self) -> TrainConfig:
        """Raise a LocoError naming the setting when a value cannot work (ranges are checked again:
        code may have changed a setting since the config was built)."""
        check_settings(self)
        if not self.data:
            raise LocoError("no training data: set `data:` in the config or pass --data PATH")
        if not self.out:
            raise LocoError("no output directory: set `out:` in the config or pass --out DIR")
        if self.epochs == 0 and not self.max_steps:
            raise LocoError("epochs must be greater than 0 unless max_steps is set, got 0")
        for i, source in enumerate(self.mix):
            check_settings(source, f"mix[{i}].")
        self._check_files_once()
        return self

    def _check_files_once(self) -> None:
        """Each file feeds the run once: a file named twice would train its rows twice and fail as duplicates."""
        named = [("data", self.data)] + [(f"mix[{i}].path", m.path) for i, m in enumerate(self.mix)]
        named += [(f"replay[{i}]", path) for i, path in enumerate(self.replay)]
        first: dict[Path, str] = {}
        for key, path in named:
            resolved = Path(path).expanduser().resolve()
            if resolved in first:
                raise LocoError(f"{key} names {path}, which {first[resolved]} already names; list each file once")
            first[resolved] = key
