"""The training loop: masked loss, exact accumulation and data parallelism, eval, checkpoints.

Key choices:
- The loss of an optimizer step is the token-mean cross-entropy over *all* its
  micro-batches on *all* ranks: each micro-batch's summed loss is divided by the
  step's total target tokens (known in advance from the masks) and the gradients
  are summed. So 2 micro-batches of 2, or 2 ranks of 2, train exactly like one
  batch of 4 (mlx-lm averages per-batch means, which weighs tokens unequally).
- The micro-step is compiled with mx.compile (as mlx-lm's trainer does); the
  optimizer update of the small LoRA tree stays outside.
- With replay examples in the mix, a step also logs `task_loss`, the loss on the task's own
  examples alone: replay batches (free text the base wrote) score far higher than a learnt
  narrow format, so the mixed curve jumps with batch composition, not with the step size.
- Evaluation every `eval_every` steps keeps the best adapter; `checkpoints/last`
  is saved every `save_every` steps and when stopped (Ctrl-C, early stopping).
"""

from __future__ import annotations

import signal
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from loco_mlx.train.batches import BatchPlan, EncodedExample, make_arrays
from loco_mlx.train.checkpoint import load_checkpoint, save_checkpoint
from loco_mlx.train.config import TrainConfig


@dataclass
class LoopState:
    step: int = 0  # optimizer steps done
    best_val_loss: float | None = None
    best_step: int | None = None
    evals_since_best: int = 0
    trained_tokens: int = 0
    elapsed_s: float = 0.0
    stopped: str = ""  # "", "early_stopping", "interrupted", "stop_after"
    resumed_from: int | None = None
    history: list = field(default_factory=list)  # (step, val_loss) of every evaluation


def batch_plan(cfg: TrainConfig, train: list[EncodedExample]) -> BatchPlan:
    return BatchPlan([len(e.ids) for e in train], cfg.batch_size, cfg.seed, cfg.group_by_length)


def total_steps(cfg: TrainConfig, plan: BatchPlan) -> int:
    micro = int(round(cfg.epochs * plan.batches_per_epoch))
    steps = micro // cfg.grad_accumulation
    if cfg.max_steps:
        steps = min(steps, cfg.max_steps) if cfg.epochs > 0 else cfg.max_steps
    return steps


class Trainer:
    def __init__(
        self,
        model,
        optimizer,
        cfg: TrainConfig,
        train: list[EncodedExample],
        valid: list[EncodedExample],
        *,
        checkpoints: Path,
        reporter,
        world=None,
    ):
        import mlx.core as mx

        self.model, self.optimizer, self.cfg = model, optimizer, cfg
        self.train, self.valid = train, valid
        self.checkpoints = Path(checkpoints)
        self.reporter = reporter
        self.world = world or mx.distributed.init()
        self.rank, self.size = self.world.rank(), self.world.size()
        if cfg.batch_size % self.size:
            raise ValueError(f"batch_size={cfg.batch_size} must be divisible by the {self.size} processes")
        self.plan = batch_plan(cfg, train)
        self.steps = total_steps(cfg, self.plan)
        self.state = LoopState()
        self._targets = [sum(e.mask[1:]) for e in train]  # scored tokens per example
        self._own = np.array([0.0 if e.replay else 1.0 for e in train], np.float32)
        self._has_replay = any(e.replay for e in train)
        self._interrupted = False
        self._compiled_micro = self._build_micro_step()

    # --- the compiled micro-step -------------------------------------------------------

    def _build_micro_step(self):
        import mlx.core as mx
        import mlx.nn as nn

        def summed_loss(model, inputs, targets, mask, own, denominator):
            ce = nn.losses.cross_entropy(model(inputs).astype(mx.float32), targets) * mask
            # differentiated: the first value; the second, the task's own rows' summed loss, is only logged
            return ce.sum() / denominator, (ce * own[:, None]).sum()

        loss_and_grad = nn.value_and_grad(self.model, summed_loss)
        state = [self.model.state, mx.random.state]

        @partial(mx.compile, inputs=state, outputs=state)
        def micro(inputs, targets, mask, own, denominator):
            return loss_and_grad(self.model, inputs, targets, mask, own, denominator)

        return micro

    # --- one optimizer step ------------------------------------------------------------

    def _shard(self, indices: np.ndarray) -> np.ndarray:
        return indices[self.rank :: self.size]

    def gradients(self, step: int):
        """(loss, gradients, tokens, task loss) of optimizer step `step`: summed over micro-batches and
        ranks. The task loss covers the non-replay examples only (None when the step has none)."""
        import mlx.core as mx
        from mlx.utils import tree_map

        accum = self.cfg.grad_accumulation
        # Dropout draws from a key derived from (seed, step), not from history: a resumed
        # run draws exactly what the uninterrupted one would have.
        mx.random.seed(self.cfg.seed * 1_000_003 + step * 1_009 + self.rank)
        batches = [self.plan.batch(step * accum + k) for k in range(accum)]
        # Every rank sees the global batch indices, so the token count needs no communication.
        denominator = float(sum(self._targets[i] for b in batches for i in b))
        own_tokens = float(sum(self._targets[i] * self._own[i] for b in batches for i in b))
        grads, loss, own_loss, tokens = None, mx.array(0.0), mx.array(0.0), 0
        for indices in batches:
            shard = self._shard(indices)
            inputs, targets, mask = make_arrays(self.train, shard)
            tokens += sum(len(self.train[i].ids) for i in indices)
            (value, own), g = self._compiled_micro(
                mx.array(inputs), mx.array(targets), mx.array(mask), mx.array(self._own[shard]), mx.array(denominator)
            )
            loss, own_loss = loss + value, own_loss + own
            grads = g if grads is None else tree_map(lambda a, b: a + b, grads, g)
        if self.size > 1:
            grads = tree_map(lambda g: mx.distributed.all_sum(g, group=self.world), grads)
            loss = mx.distributed.all_sum(loss, group=self.world)
            own_loss = mx.distributed.all_sum(own_loss, group=self.world)
        return loss, grads, tokens, (own_loss / own_tokens if own_tokens else None)

    def optimizer_step(self, step: int) -> dict:
        import mlx.core as mx
        import mlx.optimizers as optim

        start = time.perf_counter()
        loss, grads, tokens, task_loss = self.gradients(step)
        if self.cfg.optim.max_grad_norm:
            grads, _ = optim.clip_grad_norm(grads, self.cfg.optim.max_grad_norm)
        self.optimizer.update(self.model, grads)
        mx.eval(self.model.parameters(), self.optimizer.state, loss, *([task_loss] if task_loss is not None else []))
        learning_rate = float(self.optimizer.learning_rate)  # set by the schedule inside update()
        seconds = time.perf_counter() - start
        accum = self.cfg.grad_accumulation
        self.state.trained_tokens += tokens
        self.state.elapsed_s += seconds
        return {
            "step": step + 1,
            "epoch": round((step + 1) * accum / self.plan.batches_per_epoch, 4),
            "train_loss": float(loss),
            **({"task_loss": None if task_loss is None else float(task_loss)} if self._has_replay else {}),
            "learning_rate": learning_rate,
            "tokens_per_second": tokens / seconds,
            "trained_tokens": self.state.trained_tokens,
            "peak_memory_gb": round(mx.get_peak_memory() / 1e9, 3),
            "elapsed_s": round(self.state.elapsed_s, 2),
        }

    # --- evaluation --------------------------------------------------------------------

    def evaluate(self) -> float:
        import mlx.core as mx
        import mlx.nn as nn

        self.model.eval()
        order = sorted(range(len(self.valid)), key=lambda i: len(self.valid[i].ids))
        total, count = mx.array(0.0), mx.array(0.0)
        for start in range(0, len(order), self.cfg.batch_size):
            indices = self._shard(np.array(order[start : start + self.cfg.batch_size]))
            if len(indices) == 0:
                continue
            inputs, targets, mask = (mx.array(a) for a in make_arrays(self.valid, indices))
            ce = nn.losses.cross_entropy(self.model(inputs).astype(mx.float32), targets) * mask
            total, count = total + ce.sum(), count + mask.sum()
            mx.eval(total, count)
        if self.size > 1:
            total = mx.distributed.all_sum(total, group=self.world)
            count = mx.distributed.all_sum(count, group=self.world)
        self.model.train()
        return float(total / mx.maximum(count, 1))

    # --- checkpoints -------------------------------------------------------------------

    def _adapter_weights(self) -> dict:
        from mlx.utils import tree_flatten

        return dict(tree_flatten(self.model.trainable_parameters()))

    def save(self, name: str) -> None:
        from mlx.utils import tree_flatten

        if self.rank != 0:
            return
        optimizer = dict(tree_flatten(self.optimizer.state))
        save_checkpoint(self.checkpoints / name, self._adapter_weights(), optimizer, asdict(self.state))

    def restore(self, checkpoint: Path) -> None:
        import mlx.core as mx
        from mlx.utils import tree_unflatten

        adapter, optimizer, state = load_checkpoint(checkpoint)
        self.model.load_weights(list(adapter.items()), strict=False)
        if optimizer is not None:
            self.optimizer.state = tree_unflatten(list(optimizer.items()))
        self.state = LoopState(**{**state, "stopped": ""})
        self.state.resumed_from = self.state.step
        mx.eval(self.model.parameters(), self.optimizer.state)

    # --- the loop ----------------------------------------------------------------------

    def _on_sigint(self, _signum, _frame):
        if self._interrupted:  # a second Ctrl-C: stop now (files are written atomically)
            raise KeyboardInterrupt
        self._interrupted = True
        self.reporter.message("stopping after this step (Ctrl-C again to stop at once)...")

    def run(self, resume_from: Path | None = None, stop_after: int | None = None) -> LoopState:
        """Train to `self.steps`, continuing from the checkpoint directory `resume_from` if given;
        `stop_after` ends early at that step (tests of resume)."""
        import mlx.core as mx

        mx.random.seed(self.cfg.seed)
        self.optimizer.init(self.model.trainable_parameters())
        if resume_from is not None:
            self.restore(resume_from)
        self.model.train()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if self.rank == 0 else None
        try:
            self.reporter.start(self.steps, self.state.step)
            if self.state.step == 0 and self.state.resumed_from is None:  # a step-0 checkpoint has this one
                self._evaluate_and_keep()
            while self.state.step < self.steps:
                record = self.optimizer_step(self.state.step)
                self.state.step += 1
                self.reporter.step(record)
                step = self.state.step
                if step % self.cfg.eval_every == 0 or step == self.steps:
                    if self._evaluate_and_keep():
                        self.state.stopped = "early_stopping"
                if step % self.cfg.save_every == 0 or step == self.steps:
                    self.save("last")
                if stop_after is not None and step >= stop_after and step < self.steps:
                    self.state.stopped = "stop_after"
                if self._interrupted:
                    self.state.stopped = "interrupted"
                if self.state.stopped:
                    self.save("last")
                    break
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            self.reporter.finish()
        return self.state

    def _evaluate_and_keep(self) -> bool:
        """Evaluate, save `best` when improved; True when early stopping should end the run."""
        val_loss = self.evaluate()
        self.state.history.append((self.state.step, val_loss))
        improved = self.state.best_val_loss is None or val_loss < self.state.best_val_loss
        if improved:
            self.state.best_val_loss, self.state.best_step = val_loss, self.state.step
            self.state.evals_since_best = 0
            self.save("best")
        else:
            self.state.evals_since_best += 1
        self.reporter.eval({"step": self.state.step, "val_loss": val_loss, "best": improved})
        patience = self.cfg.early_stopping_patience
        return bool(patience) and self.state.evals_since_best >= patience
