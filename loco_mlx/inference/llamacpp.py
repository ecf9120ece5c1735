"""The llama.cpp backend: the same base, adapters, prompts and API where MLX has no GPU.

`LlamaCppBackend` runs one base GGUF in llama-cpp-python: the file the base was imported
from when there is one (the embedded default is), otherwise an F16 export of the base,
written once into $LOCO_HOME/gguf/<base-id>/. Prompts are built with the same HF
tokenizer and chat template as MLX (engine.chat_token_ids), so both backends see
identical token ids; replies are detokenized the same way too. Sampling happens here on
the logits (temperature 0 = greedy; temperature, top_p and seed as MLX's sampler).

`LlamaCppPool` is the AdapterPool of this backend: each adapter is converted once to
llama.cpp's GGUF LoRA format (cached under $LOCO_HOME/gguf/<base-id>/lora/, keyed on
the adapter's weights and config), loaded once with llama_adapter_lora_init, and
switched per request with llama_set_adapters_lora. Every generation starts from an
empty KV cache, so no request's tokens (computed under another adapter) carry over.

Routing (`--adapter auto`) embeds queries with the MLX copy of the base, loaded on the
first query that needs it; that copy never has an adapter.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import json
import os
import re
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from loco_mlx.adapters.pool import AdapterCache
from loco_mlx.errors import LocoError
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

STALE_AFTER_S = 600  # an older conversion of a retrained adapter is deleted once unused this long
MAX_CONTEXT = 8192  # llama.cpp allocates the whole KV cache up front: cap what the model allows


def thread_count() -> int:
    """LOCO_LLAMACPP_THREADS, else about one per physical core. More threads than free cores makes llama.cpp's
    spinning thread barrier far slower (measured 20x on a busy 2-core machine), for prompts and replies alike."""
    value = os.environ.get("LOCO_LLAMACPP_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise LocoError(f"LOCO_LLAMACPP_THREADS must be a whole number, got {value!r}") from None
    return max(1, (os.cpu_count() or 2) // 2)


def require_llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        raise LocoError("the llama.cpp backend needs llama-cpp-python, which is not installed: "
                        "pip install llama-cpp-python") from None  # fmt: skip
    return llama_cpp


def open_llama(gguf: str | Path, n_ctx: int, gpu: bool | None = None, threads: int | None = None, **options):
    """A llama-cpp-python model on `gguf` with `threads` (default thread_count()) threads, every layer
    on the GPU when there is one (gpu=None) or as `gpu` says; `options` go to llama_cpp.Llama
    (logits_all, lora_path, type_k, ...). A LocoError when it will not load."""
    llama_cpp = require_llama_cpp()
    if gpu is None:
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
    threads = threads or thread_count()
    try:
        return llama_cpp.Llama(
            model_path=str(gguf), n_ctx=n_ctx, n_gpu_layers=-1 if gpu else 0, n_threads=threads,
            n_threads_batch=threads, verbose=False, **options,
        )  # fmt: skip
    except (ValueError, RuntimeError) as exc:
        raise LocoError(f"llama.cpp cannot load {gguf}: {exc}") from None


# --- GGUF files, converted once ------------------------------------------------------------------


def cache_dir(record) -> Path:
    from loco_mlx.bases.store import loco_home

    return loco_home() / "gguf" / record.id


def base_gguf(record) -> Path:
    """The base as a GGUF: the file it was imported from, else an F16 export written once."""
    from loco_mlx.export.gguf_writer import source_gguf

    source = source_gguf(record)
    if source is not None:
        return source
    path = cache_dir(record) / f"base-{record.short_fingerprint}.F16.gguf"
    if not path.is_file():
        from loco_mlx.export.fuse import fused_weights
        from loco_mlx.export.gguf_writer import write_gguf

        print(f"llama.cpp: writing {record.id} as F16 GGUF once: {path}", file=sys.stderr, flush=True)
        write_gguf(fused_weights(record), record, path, "F16")
    return path


def lora_key(record, directory: Path) -> str:
    """What the converted file depends on: the base, the adapter's weights and its config (scale)."""
    digest = hashlib.sha256(record.fingerprint.encode())
    for name in ("adapters.safetensors", "adapter_config.json"):
        digest.update(b"\0" + name.encode() + b"\0")
        with open(directory / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def lora_gguf(record, adapter_dir: str | Path) -> Path:
    """The adapter as a llama.cpp GGUF LoRA, converted on first use (atomically) and reused after.

    Named <name>-<directory>-<content>.gguf: the directory part tells two adapters of the same
    name apart, so retraining one replaces only its own older conversions."""
    from loco_mlx.adapters.directory import check_base_binding, read_adapter_dir
    from loco_mlx.bases.store import slugify
    from loco_mlx.export.lora_gguf import write_lora_gguf

    directory, _, manifest = read_adapter_dir(adapter_dir)
    check_base_binding(directory, manifest, record)
    name = slugify((manifest.name if manifest else None) or directory.resolve().name)
    where = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:8]
    path = cache_dir(record) / "lora" / f"{name}-{where}-{lora_key(record, directory)}.gguf"
    if path.is_file():
        with contextlib.suppress(OSError):
            os.utime(path)  # in use: its age is the time since it was last used
        return path
    write_lora_gguf(directory, record, path)
    prune_superseded(path, name, where)
    return path


def prune_superseded(path: Path, name: str, where: str, min_age_s: float = STALE_AFTER_S) -> None:
    """Delete the older conversions of one adapter directory (`name`-`where`-<key>.gguf), left
    behind by each retraining, and any <name>-<key>.gguf of the earlier naming, which nothing
    reads any more; only files unused for `min_age_s`: another process may be about to load one."""
    now = time.time()
    for old in path.parent.glob(f"{glob.escape(name)}-*.gguf"):
        rest = old.name[len(name) + 1 : -len(".gguf")]
        if old != path and re.fullmatch(rf"({re.escape(where)}-)?[0-9a-f]{{16}}", rest):
            with contextlib.suppress(OSError):  # gone already, or not ours to delete: keep serving
                if now - old.stat().st_mtime > min_age_s:
                    old.unlink()


# --- the backend ---------------------------------------------------------------------------------


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(self, record, n_ctx: int | None = None, budget_bytes: int | None = None):
        llama_cpp = require_llama_cpp()
        from mlx_lm.utils import load_tokenizer

        self.llama_cpp = llama_cpp
        self.record = record
        model_dir = Path(record.model_dir)
        config = json.loads((model_dir / "config.json").read_text())
        self.tokenizer = load_tokenizer(model_dir, eos_token_ids=config.get("eos_token_id"))
        self.eos = set(eos_token_ids(self.tokenizer))
        self.gguf = base_gguf(record)
        context_length = n_ctx or min(int(config.get("max_position_embeddings") or 2048), MAX_CONTEXT)
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        self.llm = open_llama(self.gguf, context_length, gpu=gpu)
        self.n_vocab = self.llm.n_vocab()
        # compute_mode "llamacpp" is recorded by eval (cache key, results.json): never equal to an MLX mode
        self.info = BaseInfo(record, "gpu" if gpu else "cpu", "llamacpp", f"llama.cpp on {self.gguf.name}",
                             context_length)  # fmt: skip
        self.adapters = LlamaCppPool(self, budget_bytes)
        self._mlx = None

    def encode_chat(self, messages: list[Message]) -> list[int]:
        return chat_token_ids(self.tokenizer, messages, add_generation_prompt=True)

    # --- adapters (LlamaCppPool drives these) --------------------------------------------------

    def load_lora(self, path: Path):
        handle = self.llama_cpp.llama_adapter_lora_init(self.llm.model, str(path).encode())
        if not handle:
            raise LocoError(f"llama.cpp could not load the LoRA adapter {path}")
        return handle

    def set_lora(self, handle) -> None:
        """Make `handle` the context's only adapter (None: the plain base)."""
        lib = self.llama_cpp
        if handle is None:
            rc = lib.llama_set_adapters_lora(self.llm.ctx, None, 0, None)
        else:
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(handle)
            rc = lib.llama_set_adapters_lora(self.llm.ctx, adapters, 1, (ctypes.c_float * 1)(1.0))
        if rc != 0:
            raise LocoError(f"llama.cpp could not switch adapters (error {rc})")

    def free_lora(self, handle) -> None:
        self.llama_cpp.llama_adapter_lora_free(handle)

    # --- generation -------------------------------------------------------------------------------

    def _fresh(self, prompt_ids: list[int]) -> None:
        """Forget every earlier token (KV cache and position), then read the prompt."""
        self.llm.reset()
        self.llm._ctx.kv_cache_clear()
        self.llm.eval(prompt_ids)

    def _logits(self) -> np.ndarray:
        return last_logits(self.llm).astype(np.float64)

    def _decode(
        self, prompt_ids, sampling: SamplingConfig, rng, logprobs: list | None, guide=None
    ) -> Iterator[StreamEvent]:
        """Events as MLXBackend.stream gives them: one per token, the last with the stats. A `guide`
        (inference/json_guide.py) picks each token among those that keep the reply in its shape."""
        detokenizer = self.tokenizer.detokenizer
        start = time.perf_counter()
        self._fresh(list(prompt_ids))
        prompt_seconds = time.perf_counter() - start
        start, count, token = time.perf_counter(), 0, None
        while True:
            logits = self._logits()
            if guide is None:
                token = sample_token(logits, sampling, rng)
            else:
                token = guide.pick(logits, sampling.temperature, rng)
                guide.advance(token)
            if logprobs is not None:
                logprobs.append(float(logits[token] - logsumexp(logits)))
            count += 1
            if token in self.eos:
                break
            detokenizer.add_token(token)
            if count == sampling.max_tokens:
                break
            yield StreamEvent(detokenizer.last_segment)
            self.llm.eval([token])
        detokenizer.finalize()
        stats = GenerationStats(
            prompt_tokens=len(prompt_ids),
            generated_tokens=count,
            prompt_tps=len(prompt_ids) / max(prompt_seconds, 1e-9),
            decode_tps=count / max(time.perf_counter() - start, 1e-9),
            finish_reason="stop" if token in self.eos else "length",
        )
        yield StreamEvent(detokenizer.last_segment, stats)

    def stream(self, prompt_ids: list[int], sampling: SamplingConfig, guide=None) -> Iterator[StreamEvent]:
        yield from self._decode(prompt_ids, sampling, np.random.default_rng(sampling.seed), None, guide)

    def generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig, guides=None) -> list[Sample]:
        """Several prompts one after another (one random stream, so votes differ); mean log-probabilities.
        `guides`, where given, guide the prompt at the same place (None: unguided)."""
        rng, samples = np.random.default_rng(sampling.seed), []
        for prompt_ids, guide in zip(prompts, guides or [None] * len(prompts)):
            logprobs: list[float] = []
            text = "".join(event.text for event in self._decode(prompt_ids, sampling, rng, logprobs, guide))
            samples.append(Sample(text, sum(logprobs) / max(len(logprobs), 1), len(logprobs)))
        return samples

    def greedy_tokens(self, prompt_ids: list[int], max_tokens: int) -> list[int]:
        """The greedy continuation's token ids, up to (not including) an end-of-turn token."""
        self._fresh(list(prompt_ids))
        out: list[int] = []
        for _ in range(max_tokens):
            token = int(np.argmax(self._logits()))
            if token in self.eos:
                break
            out.append(token)
            self.llm.eval([token])
        return out

    def sequence_logits(self, ids: list[int]) -> np.ndarray:
        """The logits at every position of `ids`, a token at a time (this context keeps only the last row)."""
        self.llm.reset()
        self.llm._ctx.kv_cache_clear()
        rows = []
        for token in ids:
            self.llm.eval([token])
            rows.append(self._logits().astype(np.float32))
        return np.stack(rows)

    # --- the MLX copy for routing --------------------------------------------------------------

    def mlx_base(self):
        """The base in MLX (no adapters), loaded on first use: the router embeds with it."""
        if self._mlx is None:
            from loco_mlx.bases.loading import load_base

            self._mlx = load_base(self.record)
        return self._mlx

    def make_encoder(self, config):
        """The router's encoder over the MLX copy of the base, loaded on the first query that needs it."""
        return LazyEncoder(self, config)

    def close(self) -> None:
        self.llm.close()


def last_logits(llm) -> np.ndarray:
    """llama.cpp's logits after the last evaluated token, without a copy. (`llm.scores` holds them only
    when the Llama was opened with logits_all=True; llama-cpp-python 0.3 leaves it zero otherwise.)"""
    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))


def logsumexp(x: np.ndarray) -> float:
    top = x.max()
    return float(top + np.log(np.exp(x - top).sum()))


def sample_token(logits: np.ndarray, sampling: SamplingConfig, rng: np.random.Generator) -> int:
    """Greedy at temperature 0; else softmax(logits / T), cut to the top_p nucleus, drawn with `rng`."""
    if sampling.temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / sampling.temperature
    p = np.exp(scaled - scaled.max())
    p /= p.sum()
    if sampling.top_p < 1:
        order = np.argsort(-p, kind="stable")
        keep = int(np.searchsorted(np.cumsum(p[order]), sampling.top_p)) + 1
        kept = order[:keep]
        return int(kept[rng.choice(len(kept), p=p[kept] / p[kept].sum())])
    return int(rng.choice(len(p), p=p))


# --- the adapter pool ----------------------------------------------------------------------------


@dataclass
class LlamaLora:
    name: str
    path: Path  # the adapter directory
    gguf: Path  # its converted LoRA file
    handle: Any  # llama_adapter_lora_p
    nbytes: int


class LlamaCppPool(AdapterCache):
    """AdapterPool's interface over llama.cpp's runtime LoRA adapters: loaded once, switched per request."""

    def __init__(self, backend: LlamaCppBackend, budget_bytes: int | None = None):
        self.backend = backend
        self.budget_bytes = budget_bytes
        self.adapters: OrderedDict[str, LlamaLora] = OrderedDict()  # least recently used first
        self.current: str | None = None
        self.switch_seconds: list[float] = []

    def load(self, name: str, path: str | Path) -> LlamaLora:
        if name in self.adapters:
            return self._touch(name)
        file = lora_gguf(self.backend.record, path)  # checks the base binding before converting
        adapter = LlamaLora(name, Path(path), file, self.backend.load_lora(file), file.stat().st_size)
        self.adapters[name] = adapter
        self._evict(keep=name)
        return adapter

    def _release(self, adapter: LlamaLora) -> None:
        self.backend.free_lora(adapter.handle)

    def _apply(self, adapter: LlamaLora | None) -> None:
        self.backend.set_lora(adapter.handle if adapter else None)

    @contextlib.contextmanager
    def base_only(self):
        current = self.adapters.get(self.current) if self.current else None
        self.backend.set_lora(None)
        try:
            yield
        finally:
            self.backend.set_lora(current.handle if current else None)


# --- the router's encoder --------------------------------------------------------------------------


class LazyEncoder:
    """The router's BaseEncoder over the backend's MLX copy of the base (no adapters), built on the first query."""

    def __init__(self, backend: LlamaCppBackend, config):
        self.backend, self.config = backend, config
        self._encoder = None

    def embed(self, text: str):
        if self._encoder is None:
            from loco_mlx.router.embed import BaseEncoder

            self._encoder = BaseEncoder(self.backend.mlx_base().model, self.backend.tokenizer, self.config)
        return self._encoder.embed(text)
