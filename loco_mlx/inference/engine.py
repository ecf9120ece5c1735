"""Generation: prompt building, adapters, sampling, voting and streaming behind one backend.

`Engine` turns chat messages into a prompt with the model's chat template (and,
by default, RE2 re-reading of the last question), switches the active adapter in
its `AdapterPool`, and streams the reply from a `Backend`. `MLXBackend` runs
mlx-lm's generation loop; self-consistency voting samples N replies as one batch
(mlx-lm's batch_generate) and returns the majority answer. The llama.cpp backend
(llamacpp_backend.py) plugs in here too: callers speak in messages and StreamEvents. With a router
(--adapter auto), `route` picks the adapter for each query before it is answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from loco_mlx.errors import LocoError
from loco_mlx.inference.voting import VOTE_METHODS, Sample, VoteResult, decide

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
class InferenceConfig:
    """How a query is posed and answered (user config and CLI flags)."""

    reread: bool = True  # RE2: repeat the question once ("Read the question again: ...")
    votes: int = 1  # self-consistency: sample this many replies and take the majority answer
    vote_temperature: float = 0.7
    vote_method: str = "auto"  # auto | numeric | exact | best

    def __post_init__(self):
        if self.votes < 1:
            raise LocoError(f"--votes must be at least 1, got {self.votes}")
        if self.vote_method not in VOTE_METHODS:
            raise LocoError(f"unknown vote method '{self.vote_method}'; choose one of: {', '.join(VOTE_METHODS)}")


def chat_token_ids(tokenizer, messages: list[Message], add_generation_prompt: bool) -> list[int]:
    """Token ids of a conversation: the chat template, or (a raw base without one) the
    contents one after another. Generation, training masks and data checks all use this."""
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=add_generation_prompt, tokenize=True)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)  # transformers 5 may return a BatchEncoding
    return list(tokenizer.encode("\n\n".join(m["content"] for m in messages) + "\n\n"))


RE2_TEMPLATE = "{question}\nRead the question again: {question}"


def reread(messages: list[Message]) -> list[Message]:
    """RE2: the last user message, stated twice. Earlier turns stay as they were."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "user":
            question = messages[i]["content"]
            updated = {**messages[i], "content": RE2_TEMPLATE.format(question=question)}
            return messages[:i] + [updated] + messages[i + 1 :]
    return messages


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
        return chat_token_ids(self.tokenizer, messages, add_generation_prompt=True)

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

    def generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig) -> list[Sample]:
        """Complete several prompts at once (one batched decode); each with its mean log-probability."""
        import mlx.core as mx
        from mlx_lm.generate import batch_generate
        from mlx_lm.sample_utils import make_sampler

        if sampling.seed is not None:
            mx.random.seed(sampling.seed)
        sampler = make_sampler(temp=sampling.temperature, top_p=sampling.top_p if sampling.top_p < 1 else 0.0)
        response = batch_generate(
            self.model, self.tokenizer, prompts, max_tokens=sampling.max_tokens, sampler=sampler, return_logprobs=True
        )
        return [
            Sample(text, sum(logprobs) / max(len(logprobs), 1), len(logprobs))
            for text, logprobs in zip(response.texts, response.logprobs)
        ]


class Engine:
    """Chat-level generation over one backend, with the adapter pool and voting."""

    def __init__(self, backend: Backend, pool=None, adapter_paths: dict | None = None):
        self.backend = backend
        self.pool = pool
        self.adapter_paths = dict(adapter_paths or {})  # name -> adapter directory, loaded on first use
        self.router = None  # a loco_mlx.router Router: --adapter auto
        self.routing = True  # chat's /adapter NAME pauses routing, /adapter auto resumes it

    # --- adapters ------------------------------------------------------------------------

    @property
    def adapter(self) -> str | None:
        return self.pool.current if self.pool else None

    def use_adapter(self, name: str | None) -> float:
        """Switch to adapter `name` (None or "none": the plain base); returns seconds taken.

        On any error the current adapter stays active."""
        if name in (None, "none", "base"):
            return self.pool.activate(None) if self.pool else 0.0
        if self.pool is None:
            raise LocoError("this engine has no adapter pool")
        if name not in self.pool.adapters:
            if name not in self.adapter_paths:
                known = ", ".join(sorted(self.adapter_paths)) or "none registered"
                raise LocoError(f"unknown adapter '{name}' (available: {known})")
            self.pool.load(name, self.adapter_paths[name])
        return self.pool.activate(name)

    @property
    def auto(self) -> bool:
        return self.router is not None and self.routing

    def route(self, query: str):
        """--adapter auto: switch to the router's choice for `query` and return its Decision
        (None when not routing). The router embeds with the plain base whatever is active."""
        if not self.auto:
            return None
        decision = self.router.route(query)
        self.use_adapter(decision.adapter)
        return decision

    # --- generation ------------------------------------------------------------------------

    def prepare_prompt(
        self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None
    ) -> tuple[list[int], SamplingConfig]:
        """Prompt ids (RE2 applied if asked) and the sampling settings capped to the context left."""
        if inference is not None and inference.reread:
            messages = reread(messages)
        prompt_ids = self.backend.encode_chat(messages)
        room = self.backend.context_length - len(prompt_ids)
        if room < 1:
            raise LocoError(
                f"the prompt is {len(prompt_ids)} tokens, the model's context is {self.backend.context_length}"
            )
        if sampling.max_tokens > room:
            sampling = SamplingConfig(room, sampling.temperature, sampling.top_p, sampling.seed)
        return prompt_ids, sampling

    def chat(
        self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None = None
    ) -> Iterator[StreamEvent]:
        prompt_ids, sampling = self.prepare_prompt(messages, sampling, inference)
        yield from self.backend.stream(prompt_ids, sampling)

    def vote(self, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig) -> VoteResult:
        """Self-consistency: `inference.votes` samples in one batch, then the majority answer."""
        prompt_ids, sampling = self.prepare_prompt(messages, sampling, inference)
        hot = SamplingConfig(sampling.max_tokens, inference.vote_temperature, sampling.top_p, sampling.seed)
        samples = self.backend.generate_batch([prompt_ids] * inference.votes, hot)
        return decide(samples, inference.vote_method)

    def generate(
        self,
        prompt: str,
        sampling: SamplingConfig,
        system: str | None = None,
        inference: InferenceConfig | None = None,
    ) -> Iterator[StreamEvent]:
        yield from self.chat(build_messages(prompt, system), sampling, inference)

    def complete(
        self,
        prompt: str,
        sampling: SamplingConfig,
        system: str | None = None,
        inference: InferenceConfig | None = None,
    ) -> tuple[str, GenerationStats]:
        """The whole reply at once (for tests, scripts and evaluation)."""
        parts, stats = [], None
        for event in self.generate(prompt, sampling, system, inference):
            parts.append(event.text)
            stats = event.stats or stats
        return "".join(parts), stats


def build_messages(prompt: str, system: str | None = None, history: list[Message] | None = None) -> list[Message]:
    messages = [{"role": "system", "content": system}] if system else []
    return messages + list(history or []) + [{"role": "user", "content": prompt}]


BACKENDS = ("mlx", "llamacpp", "auto")


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise LocoError(f"unknown backend '{name}'; choose one of: {', '.join(BACKENDS)}")
    return name


def resolve_backend(choice: str, say=None) -> str:
    """The backend `choice` names, "mlx" or "llamacpp". auto: MLX on Metal/CUDA, else llama.cpp when it is
    installed (else MLX on the CPU), and says which and why in one line (to stderr by default)."""
    if check_backend(choice) != "auto":
        return choice
    import sys

    from loco_mlx.runtime import device_name

    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    device = device_name()
    if device != "cpu":
        say(f"backend: mlx (auto: MLX computes on {device})")
        return "mlx"
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        say("backend: mlx (auto: no Metal or CUDA for MLX, and llama-cpp-python is not installed)")
        return "mlx"
    say("backend: llamacpp (auto: no Metal or CUDA for MLX, and llama-cpp-python is installed)")
    return "llamacpp"


def load_engine(
    base: str | None = None,
    compute: str = "auto",
    adapter: str | None = None,
    adapter_path: str | None = None,
    adapter_paths: dict | None = None,
    backend: str = "mlx",
) -> Engine:
    """Load a base with an adapter pool; `adapter_paths` names the adapters it may switch to.

    backend: mlx | llamacpp | auto (`compute` applies to MLX only)."""
    from pathlib import Path

    if resolve_backend(backend) == "llamacpp":
        from loco_mlx.inference.llamacpp import llamacpp_engine

        engine = llamacpp_engine(base, adapter_paths)
    else:
        from loco_mlx.adapters.pool import AdapterPool
        from loco_mlx.bases.loading import load_base

        loaded = load_base(base, compute)
        engine = Engine(MLXBackend(loaded), AdapterPool(loaded), adapter_paths)
    if adapter_path:
        adapter = Path(adapter_path).resolve().name
        engine.adapter_paths[adapter] = adapter_path
    if adapter:
        engine.use_adapter(adapter)
    return engine
