"""The MLX backend: mlx-lm's generation loop over the resident base and its AdapterPool.

On Metal the packed 4-bit weights are used directly; on a CPU the base may have been
expanded to fp32 when it was loaded (bases/loading.py), which computes the same function.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from loco_mlx.adapters.pool import AdapterPool
from loco_mlx.inference.backend import (
    BaseInfo,
    GenerationStats,
    Message,
    SamplingConfig,
    StreamEvent,
    chat_token_ids,
    eos_token_ids,
)
from loco_mlx.inference.voting import Sample


def mlx_sampler(sampling: SamplingConfig):
    """mlx-lm's sampler for these settings, with the seed applied (greedy at temperature 0)."""
    import mlx.core as mx
    from mlx_lm.sample_utils import make_sampler

    if sampling.seed is not None:
        mx.random.seed(sampling.seed)
    return make_sampler(temp=sampling.temperature, top_p=sampling.top_p if sampling.top_p < 1 else 0.0)


def guided_processor(guide, sampling: SamplingConfig, logprobs: list[float] | None = None):
    """An mlx-lm logits processor that hands each step to `guide`: every logit but its pick becomes -inf.
    The pick's log-probability under the model (before the mask) goes to `logprobs`, where given."""
    import mlx.core as mx

    rng = np.random.default_rng(sampling.seed)
    first = [True]

    def process(tokens, logits):
        if not first[0]:  # each later call follows one sampled token: the guide's last pick
            guide.advance(int(tokens[-1]))
        first[0] = False
        row = np.array(logits.astype(mx.float32)).reshape(-1)
        token = guide.pick(row, sampling.temperature, rng)
        if logprobs is not None:
            top = row.max()
            logprobs.append(float(row[token] - top - np.log(np.exp(row - top).sum())))
        masked = np.full(row.shape, -np.inf, dtype=np.float32)
        masked[token] = 0.0
        return mx.array(masked).reshape(logits.shape)

    return process


class MLXBackend:
    name = "mlx"

    def __init__(self, loaded, budget_bytes: int | None = None):
        self._model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.adapters = AdapterPool(loaded, budget_bytes)
        self.info = BaseInfo(
            loaded.record, loaded.device, loaded.compute.mode, loaded.compute.reason, loaded.context_length
        )

    def encode_chat(self, messages: list[Message]) -> list[int]:
        return chat_token_ids(self.tokenizer, messages, add_generation_prompt=True)

    def stream(self, prompt_ids: list[int], sampling: SamplingConfig, guide=None) -> Iterator[StreamEvent]:
        """The reply, a token at a time. A `guide` (inference/json_guide.py) picks each token among those that
        keep the reply in its shape: a logits processor leaves only its pick for the sampler to take."""
        yield from self._stream(prompt_ids, sampling, guide, None)

    def _stream(self, prompt_ids, sampling: SamplingConfig, guide, logprobs: list | None) -> Iterator[StreamEvent]:
        from mlx_lm.generate import stream_generate

        processors = [guided_processor(guide, sampling, logprobs)] if guide is not None else None
        last = None
        for response in stream_generate(
            self._model, self.tokenizer, prompt_ids, max_tokens=sampling.max_tokens, sampler=mlx_sampler(sampling),
            logits_processors=processors,
        ):  # fmt: skip
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

    def generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig, guides=None) -> list[Sample]:
        """Complete several prompts at once (one batched decode); each with its mean log-probability.
        Guided prompts (`guides`) are decoded one at a time, since each of their tokens is picked on the
        host; the others still in one batch."""
        guides = list(guides or [None] * len(prompts))
        plain = [i for i, g in enumerate(guides) if g is None]
        samples: dict[int, Sample] = dict(zip(plain, self._batch([prompts[i] for i in plain], sampling)))
        for i, guide in enumerate(guides):
            if guide is not None:
                logprobs: list[float] = []
                text = "".join(e.text for e in self._stream(prompts[i], sampling, guide, logprobs))
                samples[i] = Sample(text, sum(logprobs) / max(len(logprobs), 1), len(logprobs))
        return [samples[i] for i in range(len(prompts))]

    def _batch(self, prompts: list[list[int]], sampling: SamplingConfig) -> list[Sample]:
        from mlx_lm.generate import batch_generate

        if not prompts:
            return []
        response = batch_generate(
            self._model,
            self.tokenizer,
            prompts,
            max_tokens=sampling.max_tokens,
            sampler=mlx_sampler(sampling),
            return_logprobs=True,
        )
        return [
            Sample(text, sum(logprobs) / max(len(logprobs), 1), len(logprobs))
            for text, logprobs in zip(response.texts, response.logprobs)
        ]

    def greedy_tokens(self, prompt_ids: list[int], max_tokens: int) -> list[int]:
        """The greedy continuation's token ids, up to (not including) an end-of-turn token."""
        import mlx.core as mx
        from mlx_lm.generate import generate_step

        eos, out = set(eos_token_ids(self.tokenizer)), []
        greedy = lambda logits: mx.argmax(logits, axis=-1)  # noqa: E731
        for token, _ in generate_step(mx.array(prompt_ids), self._model, max_tokens=max_tokens, sampler=greedy):
            if int(token) in eos:
                break
            out.append(int(token))
        return out

    def sequence_logits(self, ids: list[int]) -> np.ndarray:
        """The logits at every position of `ids` (one forward pass), float32, with the active adapter."""
        import mlx.core as mx

        return np.array(self._model(mx.array([ids]))[0].astype(mx.float32))

    def batch_decoder(self, settings=None):
        """A BatchDecoder over this base and its pool: many requests decoding together, each row with its own
        adapter (inference/batching.py). Its steps must not overlap this backend's other generation calls."""
        from loco_mlx.inference.batching import BatchDecoder

        return BatchDecoder(self._model, self.tokenizer, self.adapters, self.info.context_length, settings)

    def make_encoder(self, config):
        """The router's sentence encoder: the first blocks of this very model, adapters off."""
        from loco_mlx.router.embed import BaseEncoder

        return BaseEncoder(self._model, self.tokenizer, config, self.adapters.base_only)

    def close(self) -> None:
        """Nothing to release: MLX frees the arrays with the last reference."""
