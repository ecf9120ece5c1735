"""Training settings as typed dataclasses; defaults follow the LocoLLM QLoRA recipe.

Rank 16, alpha 32 (scale = alpha / rank = 2), dropout 0.05 on the q/k/v/o
projections of every layer; AdamW at 2e-4 with 10% linear warmup then cosine
decay; batch 4 for 3 epochs; sequences up to 1024 tokens; seed 42.
Loaded with `loco_mlx.config.load_config(TrainConfig, yaml, overrides)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loco_mlx.errors import LocoError

ATTENTION_KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]


@dataclass
class LoraConfig:
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    keys: list[str] = field(default_factory=lambda: list(ATTENTION_KEYS))
    num_layers: int = -1  # adapt the last N transformer blocks; -1 = all

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def mlx_lm_parameters(self) -> dict:
        """The `lora_parameters` block of mlx-lm's adapter_config.json."""
        return {"rank": self.rank, "scale": self.scale, "dropout": self.dropout, "keys": list(self.keys)}


@dataclass
class OptimConfig:
    learning_rate: float = 2e-4
    warmup_fraction: float = 0.1  # of all optimizer steps
    schedule: str = "cosine"  # cosine | constant
    weight_decay: float = 0.0
    max_grad_norm: float | None = 1.0  # clip the global gradient norm; null turns clipping off


@dataclass
class TrainConfig:
    data: str = ""  # a directory with train.jsonl (+ valid.jsonl) or one .jsonl file
    out: str = ""  # the adapter directory to write
    base: str = "default"
    name: str = ""  # adapter name; defaults to the output directory's name
    compute: str = "auto"  # auto | packed | fp32 (see `loco doctor`)
    valid_fraction: float = 0.1  # used when data is a single file
    # chat JSONL of the base's own replies outside the task (`loco data replay`), added to the training split
    replay: list[str] = field(default_factory=list)
    epochs: float = 3.0
    max_steps: int | None = None  # stop after this many optimizer steps (caps epochs)
    batch_size: int = 4
    grad_accumulation: int = 1  # micro-batches per optimizer step
    grad_checkpoint: bool = False
    max_seq_length: int = 1024
    group_by_length: bool = True  # batch examples of similar length: less padding
    seed: int = 42
    eval_every: int = 25  # optimizer steps between validation runs
    save_every: int = 25  # optimizer steps between resumable checkpoints
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping
    min_train_examples: int = 10
    lora: LoraConfig = field(default_factory=LoraConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)

    def check(self) -> TrainConfig:
        """Raise a LocoError naming the setting when a value cannot work."""
        positive = {
            "batch_size": self.batch_size,
            "grad_accumulation": self.grad_accumulation,
            "max_seq_length": self.max_seq_length,
            "eval_every": self.eval_every,
            "save_every": self.save_every,
            "lora.rank": self.lora.rank,
        }
        for name, value in positive.items():
            if value < 1:
                raise LocoError(f"{name} must be at least 1, got {value}")
        if not self.data:
            raise LocoError("no training data: set `data:` in the config or pass --data PATH")
        if not self.out:
            raise LocoError("no output directory: set `out:` in the config or pass --out DIR")
        if self.epochs <= 0 and not self.max_steps:
            raise LocoError(f"epochs must be > 0, got {self.epochs}")
        if not 0 <= self.lora.dropout < 1:
            raise LocoError(f"lora.dropout must be in [0, 1), got {self.lora.dropout}")
        if self.optim.schedule not in ("cosine", "constant"):
            raise LocoError(f"optim.schedule must be cosine or constant, got '{self.optim.schedule}'")
        if not 0 <= self.optim.warmup_fraction < 1:
            raise LocoError(f"optim.warmup_fraction must be in [0, 1), got {self.optim.warmup_fraction}")
        if not self.lora.keys:
            raise LocoError("lora.keys is empty: name the projections to adapt, e.g. self_attn.q_proj")
        return self
