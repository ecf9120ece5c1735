"""From examples to training batches: token ids, loss masks, and a deterministic batch plan.

Loss masks: every assistant turn is trained, not only the last (mlx-lm's chat
`mask_prompt` trains only the final message). Each turn's span
is found by rendering the conversation up to that turn with and without it; the
span covers the assistant's text and its end-of-turn token, so the model learns
to stop. `{"text"}` examples are trained on every token. Padding is never scored.

The batch plan is a pure function of (lengths, batch size, seed, epoch): a run
resumed at step k sees exactly the batches the uninterrupted run would have.
Length grouping sorts examples by length inside large shuffled windows, so
batches hold similar lengths (less padding) while the order still varies by epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import chat_token_ids

PAD_MULTIPLE = 32  # pad lengths to a multiple: fewer distinct shapes for mx.compile
GROUP_WINDOW = 64  # batches per sorting window when grouping by length


@dataclass
class EncodedExample:
    ids: list[int]
    mask: list[bool]  # True where the token is a training target
    source: str = ""
    replay: bool = False  # a replay example (the base's own reply to another task's prompt)


def encode_example(example, tokenizer) -> EncodedExample:
    """Token ids of one example and the mask of the tokens it trains on."""
    where = f"{example.source}:{example.line}"
    if example.text is not None:
        ids = list(tokenizer.encode(example.text))
        if tokenizer.eos_token_id is not None and (not ids or ids[-1] != tokenizer.eos_token_id):
            ids.append(tokenizer.eos_token_id)
        return EncodedExample(ids, [True] * len(ids), where)

    messages = example.messages
    ids = chat_token_ids(tokenizer, messages, add_generation_prompt=False)
    mask = [False] * len(ids)
    for turn, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = chat_token_ids(tokenizer, messages[:turn], add_generation_prompt=True)
        through = chat_token_ids(tokenizer, messages[: turn + 1], add_generation_prompt=False)
        if through[: len(before)] != before or ids[: len(through)] != through:
            raise LocoError(
                f"{where}: the base's chat template does not render this conversation turn by turn "
                "(earlier turns change when later ones are added), so assistant turns cannot be masked"
            )
        for position in range(len(before), len(through)):
            mask[position] = True
    if not any(mask):
        raise LocoError(f"{where}: no assistant tokens to train on")
    return EncodedExample(ids, mask, where)


class BatchPlan:
    """Which examples form each micro-batch of each epoch, for every rank."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int, group_by_length: bool = True):
        if len(lengths) < batch_size:
            raise LocoError(f"the training set has {len(lengths)} examples, fewer than batch_size={batch_size}")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.group_by_length = group_by_length

    @property
    def batches_per_epoch(self) -> int:
        return len(self.lengths) // self.batch_size

    def epoch(self, epoch: int) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.lengths))
        if self.group_by_length:
            window = self.batch_size * GROUP_WINDOW
            order = np.concatenate(
                [
                    chunk[np.argsort(self.lengths[chunk], kind="stable")]
                    for chunk in np.split(order, range(window, len(order), window))
                ]
            )
        n = self.batches_per_epoch * self.batch_size  # the remainder varies by epoch, so nothing is always left out
        batches = order[:n].reshape(-1, self.batch_size)
        return list(batches[rng.permutation(len(batches))])

    def batch(self, step: int) -> np.ndarray:
        """Indices of global micro-batch number `step` (0-based, counted across epochs)."""
        epoch, index = divmod(step, self.batches_per_epoch)
        if getattr(self, "_cached_epoch", None) != epoch:
            self._cached, self._cached_epoch = self.epoch(epoch), epoch
        return self._cached[index]


def make_arrays(examples: list[EncodedExample], indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inputs, targets, target_mask) for a batch, right-padded to a multiple of PAD_MULTIPLE."""
    longest = max(len(examples[i].ids) for i in indices) - 1
    width = max(PAD_MULTIPLE, -(-longest // PAD_MULTIPLE) * PAD_MULTIPLE)
    inputs = np.zeros((len(indices), width), np.int32)
    targets = np.zeros((len(indices), width), np.int32)
    target_mask = np.zeros((len(indices), width), np.float32)
    for row, i in enumerate(indices):
        ids, mask = examples[i].ids, examples[i].mask
        n = len(ids) - 1
        inputs[row, :n] = ids[:-1]
        targets[row, :n] = ids[1:]
        target_mask[row, :n] = mask[1:]  # position t predicts token t+1: scored when t+1 is trained
    return inputs, targets, target_mask
