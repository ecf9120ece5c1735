"""A fake backend: the `Backend` protocol with no model, so engine logic is tested in milliseconds.

It stands in for a model (as nanochat's MockModel does): a byte tokenizer (ids are UTF-8
bytes; 256 ends a turn) and a reply that is a pure function of the prompt and the active
adapter, so every test can state the exact text it expects.

- Greedy (temperature 0): the reply is `REPLY`, prefixed with `<adapter>: ` when an adapter is
  active; cut at max_tokens bytes, finish_reason "length", else "stop".
- Sampled: one of `SAMPLED` chosen by a seeded generator, so votes differ and repeat with a seed.
- Every call to `generate_batch` is recorded, so a test can see that N votes were one batch.
"""

from __future__ import annotations

import contextlib
import random
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from loco_mlx.adapters.pool import AdapterCache
from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import BaseInfo, GenerationStats, SamplingConfig, StreamEvent
from loco_mlx.inference.voting import Sample

EOS = 256
REPLY = "The answer is 42."
SAMPLED = ("It is 7.", "I think 7.", "Maybe 9.")


class ByteTokenizer:
    eos_token_ids = [EOS]
    eos_token_id = EOS
    chat_template = None

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def render_chat(messages) -> str:
    return "".join(f"<{m['role']}>{m['content']}\n" for m in messages) + "<assistant>"


@dataclass
class FakeAdapter:
    name: str
    path: Path
    nbytes: int = 1000


class FakePool(AdapterCache):
    """An AdapterCache whose adapters are names: loading one whose path does not exist fails."""

    def __init__(self, budget_bytes: int | None = None):
        self.adapters: OrderedDict[str, FakeAdapter] = OrderedDict()
        self.budget_bytes = budget_bytes
        self.current: str | None = None
        self.switch_seconds: list[float] = []
        self.applied: str | None = None  # what the "model" computes with now
        self.released: list[str] = []

    def load(self, name: str, path) -> FakeAdapter:
        if name in self.adapters:
            return self._touch(name)
        if not Path(path).is_dir():
            raise LocoError(f"no adapter directory at {path}")
        self.adapters[name] = FakeAdapter(name, Path(path))
        self._evict(keep=name)
        return self.adapters[name]

    def _apply(self, adapter) -> None:
        self.applied = adapter.name if adapter else None

    def _release(self, adapter) -> None:
        self.released.append(adapter.name)

    @contextlib.contextmanager
    def base_only(self):
        active, self.applied = self.applied, None
        try:
            yield
        finally:
            self.applied = active


class FakeBackend:
    name = "fake"

    def __init__(self, context_length: int = 4096):
        self.tokenizer = ByteTokenizer()
        self.adapters = FakePool()
        record = SimpleNamespace(id="fake-base", fingerprint="f" * 64)  # what a BaseRecord is read for
        self.info = BaseInfo(record=record, device="cpu", compute_mode="fake", compute_reason="no model",
                             context_length=context_length)  # fmt: skip
        self.batches: list[int] = []  # the size of each generate_batch call
        self.closed = False

    def encode_chat(self, messages) -> list[int]:
        return self.tokenizer.encode(render_chat(messages))

    def reply(self, sampling: SamplingConfig, rng: random.Random) -> str:
        text = REPLY if sampling.temperature == 0 else rng.choice(SAMPLED)
        return f"{self.adapters.applied}: {text}" if self.adapters.applied else text

    def stream(self, prompt_ids, sampling: SamplingConfig):
        text = self.reply(sampling, random.Random(sampling.seed))
        ids = self.tokenizer.encode(text)[: sampling.max_tokens]
        for i in ids[:-1]:
            yield StreamEvent(chr(i))
        reason = "length" if len(ids) < len(self.tokenizer.encode(text)) else "stop"
        stats = GenerationStats(len(prompt_ids), len(ids), 1000.0, 100.0, reason)
        yield StreamEvent(chr(ids[-1]) if ids else "", stats)

    def generate_batch(self, prompts, sampling: SamplingConfig) -> list[Sample]:
        self.batches.append(len(prompts))
        rng = random.Random(sampling.seed)
        out = []
        for _ in prompts:
            text = self.reply(sampling, rng)[: sampling.max_tokens]
            out.append(Sample(text, -0.1 * (1 + SAMPLED.index(text)) if text in SAMPLED else -0.05, len(text)))
        return out

    def greedy_tokens(self, prompt_ids, max_tokens: int) -> list[int]:
        return self.tokenizer.encode(self.reply(SamplingConfig(temperature=0.0), random.Random()))[:max_tokens]

    def sequence_logits(self, ids):
        import numpy as np

        logits = np.zeros((len(ids), 257), dtype=np.float32)
        logits[np.arange(len(ids)), ids] = 1.0  # "predicts" the token it just read
        return logits

    def make_encoder(self, config):
        raise NotImplementedError("the fake backend has no embeddings; give the engine a router directly")

    def close(self) -> None:
        self.closed = True
