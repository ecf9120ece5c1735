"""A fake backend: the `Backend` protocol with no model, so engine logic is tested in milliseconds.

It stands in for a model (as nanochat's MockModel does): a byte tokenizer (ids are UTF-8
bytes; 256 ends a turn) and a reply that is a pure function of the prompt, the sampling
settings and the active adapter, so every test can state the exact text it expects.

- Greedy (temperature 0): the reply is `REPLY`, prefixed with `<adapter>: ` when an adapter is
  active; one byte per event, cut at max_tokens bytes (finish_reason "length"), else "stop".
- Sampled (temperature > 0): `random.Random(seed).choice(SAMPLED)` for a stream, and one such
  draw after another for the samples of a batch, so votes differ and repeat with a seed.
  A sample's mean log-probability is -0.1 for SAMPLED[0], -0.2 for SAMPLED[1], ...
- A prompt that contains `FAIL` makes the "model" raise after its first byte.
- What the engine asked for is recorded: each `generate_batch` call as (prompts, sampling) in
  `batches`, and the number of events a stream was pulled for in `pulled` (so a test can see
  that generation ended where it should).
"""

from __future__ import annotations

import contextlib
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from loco_mlx.adapters.pool import AdapterCache
from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import BaseInfo, GenerationStats, SamplingConfig, StreamEvent
from loco_mlx.inference.engine import Engine
from loco_mlx.inference.voting import Sample

EOS = 256
REPLY = "The answer is 42."
SAMPLED = ("It is 7.", "I think 7.", "Maybe 9.")
FAIL = "boom"


def refuse_guide(*guides) -> None:
    """A fake has no logits for a JSON guide to pick from: guided replies are tested on the real base
    (tests/test_json_guide.py), so a test that guides here has gone wrong."""
    if any(g is not None for g in guides):
        raise AssertionError("the fake backend cannot guide a reply (json_guide.py needs real logits)")


class ByteTokenizer:
    eos_token_ids = [EOS]
    eos_token_id = EOS
    chat_template = None

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def render_chat(messages) -> str:
    """The fake's chat template."""
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
        self.batches: list[tuple[int, SamplingConfig]] = []  # (prompts, sampling) of each generate_batch call
        self.pulled = 0  # events the last stream was pulled for
        self.closed = False

    def encode_chat(self, messages) -> list[int]:
        return self.tokenizer.encode(render_chat(messages))

    def reply(self, sampling: SamplingConfig, rng: random.Random) -> str:
        text = REPLY if sampling.temperature == 0 else rng.choice(SAMPLED)
        return f"{self.adapters.applied}: {text}" if self.adapters.applied else text

    def stream(self, prompt_ids, sampling: SamplingConfig, guide=None):
        refuse_guide(guide)
        self.pulled = 0
        full = self.tokenizer.encode(self.reply(sampling, random.Random(sampling.seed)))
        ids = full[: sampling.max_tokens]
        fail = FAIL in self.tokenizer.decode(prompt_ids)
        for n, i in enumerate(ids, 1):
            self.pulled = n
            if fail and n == 2:
                raise RuntimeError("the fake model failed")
            if n < len(ids):
                yield StreamEvent(chr(i))
            else:
                reason = "length" if len(ids) < len(full) else "stop"
                yield StreamEvent(chr(i), GenerationStats(len(prompt_ids), len(ids), 1000.0, 100.0, reason))

    def generate_batch(self, prompts, sampling: SamplingConfig, guides=None) -> list[Sample]:
        refuse_guide(*(guides or []))
        self.batches.append((len(prompts), sampling))
        rng = random.Random(sampling.seed)
        out = []
        for _ in prompts:
            drawn = self.reply(sampling, rng)
            text = drawn[: sampling.max_tokens]
            plain = drawn.split(": ", 1)[-1]  # without the adapter's prefix
            logprob = -0.1 * (1 + SAMPLED.index(plain)) if plain in SAMPLED else -0.05
            out.append(Sample(text, logprob, len(text)))
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


@dataclass
class FakeDecision:
    """What Engine.route and chat read of a router.hybrid.Decision."""

    label: str
    confidence: float = 0.9
    margin: float = 0.5
    low_confidence: bool = False
    truncated: bool = False
    tokens: int = 0
    reason: str = "keyword"
    probabilities: dict = field(default_factory=dict)
    similarity: dict = field(default_factory=dict)
    keywords: dict = field(default_factory=dict)
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def adapter(self):
        return None if self.label == "base" else self.label


class KeywordRouter:
    """A router stand-in: "json" when the query says json, else the base; remembers what it saw."""

    def __init__(self):
        self.queries: list[str] = []

    def route(self, query: str) -> FakeDecision:
        self.queries.append(query)
        return FakeDecision("json" if "json" in query else "base")


def fake_engine(tmp_path: Path, context_length: int = 4096) -> Engine:
    """An Engine on the fake backend that can switch to adapters "math" and "json"; "gone" is
    registered but its directory does not exist (loading it fails)."""
    for name in ("math", "json"):
        (tmp_path / name).mkdir(exist_ok=True)
    paths = {name: tmp_path / name for name in ("math", "json", "gone")}
    return Engine(FakeBackend(context_length), paths)


PLAIN = "The base says 5."  # what the scripted backend's plain base answers


class ScriptedBackend(FakeBackend):
    """The fake, but with an adapter active its replies come from `script`, one per generation, in
    order (a stream, or each prompt of a batch); the plain base answers PLAIN. Every prompt it was
    asked is kept in `prompts` (decoded), so a test can see the retry that showed the error."""

    def __init__(self, script: list[str], context_length: int = 4096):
        super().__init__(context_length)
        self.script = list(script)
        self.prompts: list[str] = []

    def _next(self, prompt_ids) -> str:
        self.prompts.append(self.tokenizer.decode(prompt_ids))
        if self.adapters.applied is None:
            return PLAIN
        if not self.script:
            raise AssertionError("the scripted backend ran out of replies")
        return self.script.pop(0)

    def stream(self, prompt_ids, sampling: SamplingConfig, guide=None):
        refuse_guide(guide)
        text = self._next(prompt_ids)[: sampling.max_tokens]
        for n, char in enumerate(text, 1):
            stats = GenerationStats(len(prompt_ids), len(text), 1000.0, 100.0, "stop") if n == len(text) else None
            yield StreamEvent(char, stats)

    def generate_batch(self, prompts, sampling: SamplingConfig, guides=None) -> list[Sample]:
        refuse_guide(*(guides or []))
        self.batches.append((len(prompts), sampling))
        return [Sample(text, -0.1, len(text)) for text in (self._next(p) for p in prompts)]


def tool_engine(tmp_path: Path, script: list[str], tools=None) -> Engine:
    """An Engine on the ScriptedBackend with adapter "calc" (its manifest declares `tool: python`)
    and "math" (a text adapter: no manifest tool)."""
    import json

    from loco_mlx.inference.tools import ToolSettings

    for name, manifest in (("calc", {"name": "calc", "tool": "python"}), ("math", {"name": "math"})):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "loco_adapter.json").write_text(json.dumps(manifest))
    paths = {name: tmp_path / name for name in ("calc", "math")}
    return Engine(ScriptedBackend(script), paths, tools or ToolSettings(timeout=2.0))


def tool_registry(tmp_path: Path) -> Path:
    """A registry holding tool_engine's adapters, "calc" (tool: python) and "math", for the server's catalog."""
    import json

    entries = [{"name": name, "version": "0.1.0", "active": True, "path": str(tmp_path / name), "base_id": "fake-base",
                "base_fingerprint": "f" * 64, **({"tool": "python"} if name == "calc" else {})}
               for name in ("calc", "math")]  # fmt: skip
    path = tmp_path / "registry.yaml"
    path.write_text(json.dumps({"format": 1, "adapters": entries}))  # JSON is YAML
    return path


def serve_fake(engine: Engine, tmp_path: Path):
    """The real app over a fake engine, on a free loopback port (a context manager yielding its URL): greedy,
    no re-reading, the adapters of tool_registry."""
    from loco_mlx.serve import ServeSettings, create_app
    from tests.helpers import running

    greedy = SamplingConfig(max_tokens=400, temperature=0.0)
    return running(create_app(engine, ServeSettings(registry_path=tool_registry(tmp_path), reread=False,
                                                    sampling=greedy)))  # fmt: skip
