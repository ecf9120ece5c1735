"""Helpers the test modules share: running `loco`, checking a one-line user error, writing a
random LoRA adapter, registering adapters as shipped, an auto-routing engine on the embedded base,
serving an app on loopback, the router's example queries, and our JSON training requests with their answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

ADAPTER_KEYS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.down_proj")


def loco(*args, env=None, input=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "loco_mlx", *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        input=input,
        timeout=timeout,
    )


def assert_user_error(result, *fragments):
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def module_dims(config: dict, key: str) -> tuple[int, int]:
    """(in, out) features of a base's projection `key` (e.g. self_attn.q_proj), from its config.json."""
    hidden, heads, inter = config["hidden_size"], config["num_attention_heads"], config["intermediate_size"]
    head_dim = config.get("head_dim") or hidden // heads
    q, kv = heads * head_dim, config.get("num_key_value_heads", heads) * head_dim
    dims = {"q_proj": (hidden, q), "k_proj": (hidden, kv), "v_proj": (hidden, kv), "o_proj": (q, hidden),
            "gate_proj": (hidden, inter), "up_proj": (hidden, inter), "down_proj": (inter, hidden)}  # fmt: skip
    return dims[key.split(".")[-1]]


def write_adapter(directory: Path, record, rank=4, scale=2.0, keys=ADAPTER_KEYS, num_layers=None, seed=0,
                  fingerprint=None, std=None, fine_tune_type="lora", dropout=0.0) -> Path:  # fmt: skip
    """A random LoRA (or DoRA) adapter in mlx-lm's format on the last `num_layers` layers (default all) at
    `keys`, bound to `record` (or to `fingerprint`). Shapes come from the base's config.json: no model loads.
    Values: lora_a ~ N(0, 1/in), lora_b ~ N(0, 0.1²); or both ~ N(0, std²) when `std` is given."""
    import mlx.core as mx

    config = json.loads((Path(record.model_dir) / "config.json").read_text())
    layers = config["num_hidden_layers"]
    num_layers = num_layers or layers
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(layers - num_layers, layers):
        for key in keys:
            n_in, n_out = module_dims(config, key)
            a_std, b_std = (std, std) if std is not None else (1 / np.sqrt(n_in), 0.1)
            prefix = f"model.layers.{layer}.{key}"
            tensors[prefix + ".lora_a"] = mx.array((a_std * rng.standard_normal((n_in, rank))).astype("f4"))
            tensors[prefix + ".lora_b"] = mx.array((b_std * rng.standard_normal((rank, n_out))).astype("f4"))
            if fine_tune_type == "dora":
                tensors[prefix + ".m"] = mx.ones((n_out,))
    directory.mkdir(parents=True)
    mx.save_safetensors(str(directory / "adapters.safetensors"), tensors)
    lora = {"rank": rank, "scale": scale, "dropout": dropout, "keys": list(keys)}
    (directory / "adapter_config.json").write_text(
        json.dumps({"fine_tune_type": fine_tune_type, "num_layers": num_layers, "lora_parameters": lora})
    )
    bound = {"id": record.id, "fingerprint": fingerprint or record.fingerprint}
    (directory / "loco_adapter.json").write_text(json.dumps({"name": directory.name, "base": bound}))
    return directory


@contextmanager
def running(app):
    """The app under uvicorn on a free loopback port, in a background thread."""
    from loco_mlx.serve import bind_socket, make_server

    sock = bind_socket("127.0.0.1", 0)
    server = make_server(app, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)


def register_promoted(registry, directory: Path, name: str, keywords: dict[str, float] | None = None) -> None:
    """Register an adapter and make it servable, as a SHIP verdict and `loco adapters promote` would."""
    from loco_mlx.adapters.registry import GateSummary

    registry.add(directory, name=name, keywords=keywords)
    registry.set_gate(name, GateSummary(0.5, 0.1, "x", "SHIP"))
    registry.promote(name)


@contextmanager
def auto_engine(home: Path, registry_path: Path, adapters: dict[str, tuple[Path, dict[str, float]]],
                drafts: dict[str, Path] | None = None):  # fmt: skip
    """The embedded base as an auto-routing engine over a fresh registry: `adapters` (name: directory and
    router keywords) promoted, `drafts` (name: directory) registered but never gated. LOCO_HOME and
    LOCO_REGISTRY point at them while it is open; yields (engine, record)."""
    from loco_mlx.adapters.registry import Registry
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.open import EngineSettings, open_engine

    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOCO_HOME", str(home))
        env.setenv("LOCO_REGISTRY", str(registry_path))
        store = BaseStore(home)
        record = store.get("smollm2-135m-instruct")
        registry = Registry(registry_path, store)
        for name, (directory, keywords) in adapters.items():
            register_promoted(registry, directory, name, keywords)
        for name, directory in (drafts or {}).items():
            registry.add(directory, name=name)
        yield open_engine(EngineSettings(record, adapter="auto", registered=False, warn=lambda _: None)), record


# Example queries for fitting and checking the router: word problems, and what belongs to the base.
MATH = [
    f"{name} has {a} {thing} and buys {b} more. Then {name} gives away {c}. What does {name} have now?"
    for name, thing, a, b, c in [
        ("Ana", "apples", 12, 5, 3), ("Bo", "pens", 30, 4, 9), ("Cy", "coins", 7, 8, 2), ("Di", "cards", 40, 3, 11),
        ("Ed", "books", 9, 9, 4), ("Flo", "shells", 25, 6, 7), ("Gus", "stamps", 14, 2, 5), ("Hal", "eggs", 18, 7, 6),
        ("Ivy", "beads", 33, 5, 8), ("Jo", "nuts", 21, 4, 3), ("Kai", "rocks", 16, 5, 2), ("Lu", "cups", 11, 3, 4),
    ]
]  # fmt: skip
GENERAL = [
    "What is the capital of France?", "Tell me a joke about cats.", "Who wrote Pride and Prejudice?",
    "How do I make a cup of tea?", "Give me tips for a job interview.", "Why is the sky blue?",
    "Summarize the plot of Hamlet.", "What is photosynthesis?", "Recommend a good fantasy novel.",
    "How do vaccines work?", "Write a short poem about autumn.", "What's the weather like on Mars?",
]  # fmt: skip


def json_training_rows():
    """(request, answer) for each of our JSON requests with its answer: the 360 written ones
    (data/json-written/written.jsonl) and the 1,200 generated training examples (data/json/train.jsonl)."""
    root = Path(__file__).resolve().parents[1]
    for line in (root / "data/json-written/written.jsonl").read_text().splitlines():
        row = json.loads(line)
        yield row["request"], row["json"]
    for line in (root / "data/json/train.jsonl").read_text().splitlines():
        messages = json.loads(line)["messages"]
        yield messages[0]["content"], json.loads(messages[-1]["content"])
