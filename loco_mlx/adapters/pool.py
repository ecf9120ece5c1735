"""AdapterPool: one resident base, many LoRA adapters, switched in milliseconds.

The base is wrapped once: every projection any loaded adapter touches becomes a
`SwappableLoRA` holding the base layer and a low-rank slot. Switching assigns
each slot the adapter's arrays, already in memory, and flips an `active` flag;
layers an adapter does not touch, and the plain base ("none"), skip the low-rank
path entirely, so the base computes exactly its own function. The base is never
reloaded (mlx_lm.server reloads the whole model on every adapter change).

Slots take each adapter's own rank rather than a zero-padded maximum: padding
is exact in value but changes the BLAS summation order (~1e-6 drift), and the
generation loop does not compile the model, so shape changes cost nothing.
Results are bit-identical to a fresh mlx-lm load of the adapter.

An adapter is checked against the base (fingerprint, module names, shapes)
before the model is touched. Loaded adapters are kept until a memory budget is
exceeded; then the least recently used one (never the active one) is dropped.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn

from loco_mlx.adapters.directory import AdapterManifest, check_base_binding, read_adapter_dir
from loco_mlx.errors import LocoError


def linear_dims(linear) -> tuple[int, int]:
    """(input, output) features of a Linear or QuantizedLinear."""
    out_dims, in_dims = linear.weight.shape
    if isinstance(linear, nn.QuantizedLinear):
        in_dims = in_dims * 32 // linear.bits
    return in_dims, out_dims


class SwappableLoRA(nn.Module):
    """A base linear layer plus a LoRA slot that adapters are assigned into."""

    def __init__(self, linear):
        super().__init__()
        self.linear = linear
        self.in_dims, self.out_dims = linear_dims(linear)
        self.lora_a = mx.zeros((self.in_dims, 0))
        self.lora_b = mx.zeros((0, self.out_dims))
        self.scale = 0.0
        self.active = False
        # Batched decoding (inference/batching.py) sets this for one forward pass: a callable (x, y) -> y that
        # applies each row's own adapter, in place of the slot. None (always, outside a batched step): the slot.
        self.per_row = None

    def __call__(self, x):
        y = self.linear(x)
        if self.per_row is not None:
            return self.per_row(x, y)
        if not self.active:
            return y
        # Same order of operations as mlx-lm's LoRALinear, so results match a fresh load.
        z = (x @ self.lora_a) @ self.lora_b
        return y + (self.scale * z).astype(x.dtype)


@dataclass
class PooledAdapter:
    name: str
    path: Path
    scale: float
    rank: int
    slots: dict[str, tuple] = field(default_factory=dict)  # module path -> (lora_a, lora_b)
    manifest: AdapterManifest | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes + b.nbytes for a, b in self.slots.values())


class AdapterCache(abc.ABC):
    """What every pool shares: adapters kept least recently used first, evicted past a memory budget
    (never the active one), and `activate` timed. A pool says how an adapter is applied and released."""

    adapters: OrderedDict
    budget_bytes: int | None
    current: str | None
    switch_seconds: list[float]

    @abc.abstractmethod
    def _apply(self, adapter) -> None:
        """Make `adapter` (None: the plain base) the one the model computes with."""

    @abc.abstractmethod
    def base_only(self) -> contextlib.AbstractContextManager:
        """The plain base for the duration (e.g. the router's embedding), then the active adapter again."""

    def set_budget(self, budget_bytes: int | None) -> None:
        """Keep loaded adapters within `budget_bytes` (None: no limit), dropping the least recently used."""
        self.budget_bytes = budget_bytes
        self._evict()

    def _release(self, adapter) -> None:  # noqa: B027 - optional: most adapters need no explicit release
        """Free what an evicted adapter holds outside Python (nothing, unless a pool says otherwise)."""

    def _touch(self, name: str):
        self.adapters.move_to_end(name)
        return self.adapters[name]

    def _evict(self, keep: str | None = None) -> None:
        """Drop least recently used adapters past the budget; never the active one, nor `keep` (the one
        just loaded, about to be activated)."""
        if self.budget_bytes is None:
            return
        for name in list(self.adapters):
            if self.memory_bytes() <= self.budget_bytes:
                break
            if name not in (self.current, keep):
                self._release(self.adapters.pop(name))

    def activate(self, name: str | None) -> float:
        """Make `name` the active adapter (None: the plain base); return the seconds it took."""
        start = time.perf_counter()
        adapter = None
        if name is not None:
            if name not in self.adapters:
                raise LocoError(f"adapter '{name}' is not loaded (loaded: {', '.join(self.adapters) or 'none'})")
            adapter = self._touch(name)
        self._apply(adapter)
        self.current = name
        self._evict()  # the adapter it replaced may be the one over the budget now
        seconds = time.perf_counter() - start
        self.switch_seconds.append(seconds)
        return seconds

    def reload(self, name: str, path) -> None:
        """Load `path` in place of the adapter loaded as `name` (a new version elsewhere). The new copy is
        loaded and checked first: if that fails, the old one stays loaded and, if active, in use."""
        staging = f"{name}\0reload"
        self.load(staging, path)  # a LocoError here leaves everything as it was
        fresh = self.adapters.pop(staging)
        fresh.name = name
        old = self.adapters[name]
        self.adapters[name] = fresh
        if self.current == name:
            self._apply(fresh)
        self._release(old)

    def memory_bytes(self) -> int:
        return sum(a.nbytes for a in self.adapters.values())

    def memory_table(self) -> list[tuple[str, int]]:
        return [(name, a.nbytes) for name, a in self.adapters.items()]


class AdapterPool(AdapterCache):
    def __init__(self, loaded, budget_bytes: int | None = None):
        self.loaded = loaded
        self.model = loaded.model
        self.budget_bytes = budget_bytes
        self.adapters: OrderedDict[str, PooledAdapter] = OrderedDict()  # least recently used first
        self.wrappers: dict[str, SwappableLoRA] = {}
        self.current: str | None = None
        self.switch_seconds: list[float] = []

    # --- loading -----------------------------------------------------------------------

    def load(self, name: str, path: str | Path) -> PooledAdapter:
        """Read, check and keep an adapter in memory (wrapping projections not wrapped yet)."""
        if name in self.adapters:
            return self._touch(name)
        directory, config, manifest = read_adapter_dir(path)
        check_base_binding(directory, manifest, self.loaded.record)
        params = config.get("lora_parameters", {})
        if config.get("fine_tune_type", "lora") != "lora":
            raise LocoError(f"adapter {directory}: only LoRA adapters can be pooled, not {config['fine_tune_type']}")
        try:
            weights = mx.load(str(directory / "adapters.safetensors"))
        except (ValueError, RuntimeError) as exc:
            raise LocoError(f"adapter {directory}: adapters.safetensors is unreadable ({exc})") from None
        slots = self._check_shapes(directory, weights)
        rank = max(a.shape[1] for a, _ in slots.values())
        adapter = PooledAdapter(name, directory, float(params.get("scale", 20.0)), rank, slots, manifest)
        # Checks passed: only now is the model changed (wrappers for new projections).
        for module_path in slots:
            self._wrapper(module_path)
        mx.eval([array for pair in slots.values() for array in pair])
        self.adapters[name] = adapter
        self._evict(keep=name)
        return adapter

    def _check_shapes(self, directory: Path, weights: dict) -> dict[str, tuple]:
        modules = dict(self.model.named_modules())
        pairs: dict[str, dict] = {}
        for key, value in weights.items():
            module_path, _, leaf = key.rpartition(".")
            if leaf not in ("lora_a", "lora_b"):
                raise LocoError(
                    f"adapter {directory}: unexpected tensor '{key}' (only LoRA lora_a/lora_b are supported)"
                )
            pairs.setdefault(module_path, {})[leaf] = value
        if not pairs:
            raise LocoError(f"adapter {directory}: adapters.safetensors holds no LoRA weights")
        slots = {}
        for module_path, pair in pairs.items():
            module = modules.get(module_path)
            if isinstance(module, SwappableLoRA):
                module = module.linear
            if not isinstance(module, (nn.Linear, nn.QuantizedLinear)):
                raise LocoError(f"adapter {directory}: the base has no linear layer '{module_path}'")
            if set(pair) != {"lora_a", "lora_b"}:
                raise LocoError(f"adapter {directory}: '{module_path}' lacks lora_a or lora_b")
            a, b = pair["lora_a"], pair["lora_b"]
            in_dims, out_dims = linear_dims(module)
            if (
                a.ndim != 2
                or b.ndim != 2
                or a.shape[0] != in_dims
                or b.shape[1] != out_dims
                or a.shape[1] != b.shape[0]
            ):
                raise LocoError(
                    f"adapter {directory}: '{module_path}' has lora_a {tuple(a.shape)} and lora_b {tuple(b.shape)}, "
                    f"which do not fit a {in_dims} -> {out_dims} layer of base {self.loaded.record.id}"
                )
            slots[module_path] = (a, b)
        return slots

    def _wrapper(self, module_path: str) -> SwappableLoRA:
        from mlx.utils import tree_unflatten

        wrapper = self.wrappers.get(module_path)
        if wrapper is None:
            wrapper = SwappableLoRA(dict(self.model.named_modules())[module_path])
            self.model.update_modules(tree_unflatten([(module_path, wrapper)]))
            self.wrappers[module_path] = wrapper
        return wrapper

    # --- switching ---------------------------------------------------------------------

    @staticmethod
    def _assign(wrapper: SwappableLoRA, adapter: PooledAdapter | None, module_path: str) -> None:
        slot = adapter.slots.get(module_path) if adapter is not None else None
        if slot is None:
            wrapper.active = False
            return
        wrapper.lora_a, wrapper.lora_b = slot
        wrapper.scale = adapter.scale
        wrapper.active = True

    def _apply(self, adapter: PooledAdapter | None) -> None:
        for module_path, wrapper in self.wrappers.items():
            self._assign(wrapper, adapter, module_path)

    @contextlib.contextmanager
    def base_only(self):
        """The plain base for the duration (e.g. the router's embedding), then the active adapter again."""
        flags = {path: wrapper.active for path, wrapper in self.wrappers.items()}
        for wrapper in self.wrappers.values():
            wrapper.active = False
        try:
            yield
        finally:
            for path, active in flags.items():
                self.wrappers[path].active = active
