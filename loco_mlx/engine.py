"""Generation: prompt building, sampling and streaming behind one backend interface.

`Engine` turns chat messages into a prompt with the model's chat template and
streams the reply from a `Backend`. `MLXBackend` runs mlx-lm's generation loop on
a loaded base; later backends (llama.cpp) and features (adapters, routing, RE2,
voting) plug in here without changing callers: they all speak in messages and
`StreamEvent`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from loco_mlx.errors import LocoError

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


@dataclass
class SamplingConfig:
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self):
        if self.max_tokens < 1:
            raise LocoError(f"--max-tokens must be at least 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise LocoError(f"--temp must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise LocoError(f"--top-p must be in (0, 1], got {self.top_p}")


@dataclass
class GenerationStats:
    prompt_tokens: int
    generated_tokens: int
    prompt_tps: float
    decode_tps: float
    finish_reason: str  # "stop" (end of turn) or "length" (hit max_tokens)


@dataclass
class StreamEvent:
    text: str
    stats: GenerationStats | None = None  # set on the last event only


class Backend(Protocol):
    name: str
    context_length: int

    def encode_chat(self, messages: list[Message]) -> list[int]: ...

    def stream(self, prompt_ids: list[int], sampling: SamplingConfig) -> Iterator[StreamEvent]: ...


class MLXBackend:
    name = "mlx"

    def __init__(self, loaded):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.context_length = loaded.context_length

    def encode_chat(self, messages: list[Message]) -> list[int]:
        if getattr(self.tokenizer, "chat_template", None):
            ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            return list(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)
        # No template (a raw base model): plain text, one message after another.
        return self.tokenizer.encode("\n\n".join(m["content"] for m in messages) + "\n\n")

    def stream(self, prompt_ids: list[int], sampling: SamplingConfig) -> Iterator[StreamEvent]:
        import mlx.core as mx
        from mlx_lm.generate import stream_generate
        from mlx_lm.sample_utils import make_sampler

        if sampling.seed is not None:
            mx.random.seed(sampling.seed)
        sampler = make_sampler(temp=sampling.temperature, top_p=sampling.top_p if sampling.top_p < 1 else 0.0)
        last = None
        for response in stream_generate(
            self.model, self.tokenizer, prompt_ids, max_tokens=sampling.max_tokens, sampler=sampler
        ):
            last = response
            if response.finish_reason is None:
                yield StreamEvent(response.text)
        if last is None:
            return
        stats = GenerationStats(
            prompt_tokens=last.prompt_tokens,
            generated_tokens=last.generation_tokens,
            prompt_tps=last.prompt_tps,
            decode_tps=last.generation_tps,
            finish_reason=last.finish_reason or "stop",
        )
        yield StreamEvent(last.text, stats)


class Engine:
    """Chat-level generation over one backend."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def chat(self, messages: list[Message], sampling: SamplingConfig) -> Iterator[StreamEvent]:
        prompt_ids = self.backend.encode_chat(messages)
        room = self.backend.context_length - len(prompt_ids)
        if room < 1:
            raise LocoError(
                f"the prompt is {len(prompt_ids)} tokens, the model's context is {self.backend.context_length}"
            )
        if sampling.max_tokens > room:
            sampling = SamplingConfig(room, sampling.temperature, sampling.top_p, sampling.seed)
        yield from self.backend.stream(prompt_ids, sampling)

    def generate(self, prompt: str, sampling: SamplingConfig, system: str | None = None) -> Iterator[StreamEvent]:
        yield from self.chat(build_messages(prompt, system), sampling)

    def complete(self, prompt: str, sampling: SamplingConfig, system: str | None = None) -> tuple[str, GenerationStats]:
        """The whole reply at once (for tests, scripts and evaluation)."""
        parts, stats = [], None
        for event in self.generate(prompt, sampling, system):
            parts.append(event.text)
            stats = event.stats or stats
        return "".join(parts), stats


def build_messages(prompt: str, system: str | None = None, history: list[Message] | None = None) -> list[Message]:
    messages = [{"role": "system", "content": system}] if system else []
    return messages + list(history or []) + [{"role": "user", "content": prompt}]


def load_engine(base: str | None = None, compute: str = "auto", adapter: str | None = None) -> Engine:
    from loco_mlx.models.loading import load_base

    loaded = load_base(base, compute)
    if adapter:
        from loco_mlx.adapters import apply_adapter

        apply_adapter(loaded, adapter)
        loaded.adapter = adapter
    return Engine(MLXBackend(loaded))
