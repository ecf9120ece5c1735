"""The seam between the Engine and whatever runs the model: the records that cross it and
the `Backend` protocol that both backends (MLX, llama.cpp) implement in full.

Nothing outside the backends reads a backend's model, its loaded base or its pool: what
callers need is a member here, reached through the Engine (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator, Protocol

import numpy as np

from loco_mlx.errors import LocoError
from loco_mlx.ranges import at_least, check_settings, within

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


def user_messages(messages: list[Message]) -> list[str]:
    """The text of each user message, in order ("" for one whose content is not text)."""
    return [c if isinstance(c := m.get("content"), str) else "" for m in messages if m.get("role") == "user"]


def last_user_message(messages: list[Message]) -> str:
    """The text of the last user message ("" when there is none): what routing reads."""
    users = user_messages(messages)
    return users[-1] if users else ""


@dataclass(frozen=True)
class SamplingConfig:
    max_tokens: int = at_least(512, 1)
    temperature: float = at_least(0.7, 0)  # 0 is greedy
    top_p: float = within(1.0, 0, 1, low_open=True)  # nucleus mass; 1 is off
    seed: int | None = None

    def __post_init__(self):
        check_settings(self)  # built in code; load_config checks first and names the file or flag

    def capped(self, max_tokens: int) -> SamplingConfig:
        """The same settings with at most `max_tokens` new tokens."""
        return self if self.max_tokens <= max_tokens else replace(self, max_tokens=max_tokens)


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
    note: str | None = None  # e.g. the vote distribution (shown after the reply)
    notice: str | None = None  # e.g. an unsure routing (shown before the reply)
    part: str = "answer"  # tool adapters: "program" (written by the model), "output" (its run), "answer"
    tool: Any = None  # tool adapters, on the last event: the inference.tools.ToolRun
    check: Any = None  # a request for code: its function run on the request's examples (code_examples.ExampleCheck)


@dataclass(frozen=True)
class BaseInfo:
    """What callers may know about the loaded base, whichever backend runs it."""

    record: Any  # bases.store.BaseRecord: id, fingerprint, source
    device: str  # "gpu" | "cpu" (MLX: its device name)
    compute_mode: str  # recorded by eval (cache key, results.json); llama.cpp's never equals an MLX mode
    compute_reason: str
    context_length: int


class ContextOverflow(LocoError):
    """The prompt leaves no room for a reply in the model's context."""


class Backend(Protocol):
    """Everything the Engine asks of a backend; each backend implements every member."""

    name: str  # "mlx" | "llamacpp"
    info: BaseInfo
    tokenizer: Any  # mlx-lm TokenizerWrapper over the base's HF tokenizer (both backends share ids)
    adapters: Any  # its AdapterCache (adapters/pool.py): load, activate, budget, base_only

    def encode_chat(self, messages: list[Message]) -> list[int]: ...

    def stream(self, prompt_ids: list[int], sampling: SamplingConfig, guide=None) -> Iterator[StreamEvent]: ...

    # guides: one inference.json_guide.JsonGuide (or None) per prompt
    def generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig, guides=None) -> list: ...

    def greedy_tokens(self, prompt_ids: list[int], max_tokens: int) -> list[int]: ...

    def sequence_logits(self, ids: list[int]) -> np.ndarray: ...

    def make_encoder(self, config) -> Any: ...

    def close(self) -> None: ...


def chat_token_ids(tokenizer, messages: list[Message], add_generation_prompt: bool) -> list[int]:
    """Token ids of a conversation: the chat template, or (a raw base without one) the
    contents one after another. Generation, training masks and data checks all use this."""
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=add_generation_prompt, tokenize=True)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)  # transformers 5 may return a BatchEncoding
    return list(tokenizer.encode("\n\n".join(m["content"] for m in messages) + "\n\n"))


def eos_token_ids(tokenizer) -> list[int]:
    ids = getattr(tokenizer, "eos_token_ids", None) or [tokenizer.eos_token_id]
    return [int(i) for i in ids if i is not None]
