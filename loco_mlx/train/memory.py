"""Memory preflight for LoRA training: will this run fit, and what to change if not.

Owns the arithmetic only (no model, no mlx import at module level), so it runs
before anything large is loaded. The activation formula lists the tensors
autograd keeps per token and layer; it was calibrated against `mx.get_peak_memory()`
on SmolLM2-135M (MLX 0.32, fp32 CPU, LoRA rank 16 on q/k/v/o): see
tests/test_train_memory.py::test_estimate_matches_measured_peak (estimates +9..+11%
over 10 batch/length/checkpointing/layer settings). Not yet measured on Metal, where a
bf16 model keeps 2-byte activations (pass bytes_per_activation=2). Errors lean high:
a run refused for 10% too much is cheaper than one killed at step 300.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loco_mlx.errors import LocoError

GIB = 2**30
MIB = 2**20

# Weights + their gradients (fp32 each); Adam keeps two more fp32 moments (m and v).
LORA_WEIGHT_GRAD_BYTES = 8
ADAM_STATE_BYTES = 8
# Logit-sized buffers alive at the loss: the logits, exp(logits - max) inside
# logsumexp, the softmax for the backward pass and the logits' gradient. Measured ~4
# on MLX 0.32 (CPU); always fp32 because the loss upcasts.
LOGITS_COPIES = 4
LOGITS_BYTES = 4
# The raw sum matched measured CPU peaks to ~2%; 10% on top covers allocator slack,
# Metal wiring and architectures this was not measured on.
OVERHEAD_FRACTION = 0.10


@dataclass
class MemoryEstimate:
    base_bytes: int
    lora_bytes: int
    optimizer_bytes: int
    activation_bytes: int
    logits_bytes: int
    total_bytes: int
    available_bytes: int
    fits: bool
    overhead_bytes: int = 0
    # The arguments it was computed from, so suggest_fixes can re-estimate a variant.
    inputs: dict = field(default_factory=dict, repr=False, compare=False)

    def table(self) -> list[tuple[str, str]]:
        """Rows of (part, size) for a preflight table."""
        rows = [
            ("base weights", human_bytes(self.base_bytes)),
            ("LoRA weights + gradients", human_bytes(self.lora_bytes)),
            ("optimizer state (Adam)", human_bytes(self.optimizer_bytes)),
            ("activations", human_bytes(self.activation_bytes)),
            ("logits + loss", human_bytes(self.logits_bytes)),
            (f"overhead ({OVERHEAD_FRACTION:.0%})", human_bytes(self.overhead_bytes)),
            ("total (estimated)", human_bytes(self.total_bytes)),
            ("available", human_bytes(self.available_bytes)),
        ]
        rows.append(("fits", "yes" if self.fits else "no"))
        return rows


def human_bytes(n: int) -> str:
    return f"{n / GIB:.2f} GiB" if n >= GIB else f"{n / MIB:.1f} MiB"


def _dims(model_config: dict) -> tuple[int, int, int, int, int, int]:
    """(hidden, q_dim, kv_dim, intermediate, heads, vocab) from an HF config dict."""
    text = model_config.get("text_config") or {}  # multimodal configs nest the LM's config
    cfg = {**text, **{k: v for k, v in model_config.items() if k != "text_config"}}
    try:
        hidden = int(cfg["hidden_size"])
        heads = int(cfg["num_attention_heads"])
        vocab = int(cfg["vocab_size"])
    except KeyError as exc:
        raise LocoError(f"the base's config has no '{exc.args[0]}': cannot estimate training memory") from None
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or hidden // heads)
    intermediate = int(cfg.get("intermediate_size") or 4 * hidden)
    return hidden, heads * head_dim, kv_heads * head_dim, intermediate, heads, vocab


def activation_elements_per_token(model_config: dict) -> int:
    """Activation elements autograd keeps per token in one transformer layer (no checkpointing).

    SmolLM2: 9,792 elements (39.2 KB fp32) against 37.7 KB measured per token and layer.
    """
    hidden, q_dim, kv_dim, intermediate, _, _ = _dims(model_config)
    return (
        hidden  # residual input (RMSNorm backward needs it)
        + hidden  # normed input of q/k/v (LoRA A's gradient needs it)
        + q_dim
        + 2 * kv_dim  # q, k, v
        + q_dim
        + kv_dim  # q, k after RoPE (inputs of the score matmul)
        + q_dim  # attention output (input of o_proj)
        + hidden  # residual after attention (second RMSNorm)
        + hidden  # normed input of the MLP
        + 3 * intermediate  # gate, up, silu(gate): the SwiGLU backward needs all three
        + hidden  # MLP output
    )


def default_available_bytes() -> int:
    """Metal: the recommended working set (or total memory); elsewhere: free RAM now."""
    from loco_mlx.runtime import available_memory_bytes, device_name, total_memory_bytes

    if device_name() == "metal":
        import mlx.core as mx

        info = mx.device_info() if hasattr(mx, "device_info") else mx.metal.device_info()
        return int(info.get("max_recommended_working_set_size") or total_memory_bytes())
    return available_memory_bytes()


def estimate_training_memory(
    model_config: dict,
    base_weight_bytes: int,
    lora_params: int,
    batch_size: int,
    seq_len: int,
    *,
    grad_checkpoint: bool,
    num_lora_layers: int,
    bytes_per_activation: int = 4,
    available_bytes: int | None = None,
) -> MemoryEstimate:
    """Peak memory of one LoRA training step, split by part.

    Activations are kept only from the lowest LoRA layer up (no gradient flows
    below it). With gradient checkpointing each of those layers keeps just its input,
    and one layer's full activations live again while it is recomputed.
    """
    inputs = dict(
        model_config=model_config,
        base_weight_bytes=base_weight_bytes,
        lora_params=lora_params,
        batch_size=batch_size,
        seq_len=seq_len,
        grad_checkpoint=grad_checkpoint,
        num_lora_layers=num_lora_layers,
        bytes_per_activation=bytes_per_activation,
        available_bytes=available_bytes,
    )
    num_layers = int(_config_value(model_config, "num_hidden_layers"))
    lora_layers = num_layers if num_lora_layers <= 0 else min(num_lora_layers, num_layers)
    hidden, _, _, _, heads, vocab = _dims(model_config)
    tokens = batch_size * seq_len

    # The softmax output (batch x heads x seq x seq) is kept once per layer; the
    # scores before it are transient.
    attention = batch_size * heads * seq_len * seq_len * bytes_per_activation
    full_layer = tokens * activation_elements_per_token(model_config) * bytes_per_activation + attention
    if grad_checkpoint:
        activations = lora_layers * tokens * hidden * bytes_per_activation + full_layer
    else:
        activations = lora_layers * full_layer

    lora = lora_params * LORA_WEIGHT_GRAD_BYTES
    optimizer = lora_params * ADAM_STATE_BYTES
    logits = tokens * vocab * LOGITS_BYTES * LOGITS_COPIES
    subtotal = base_weight_bytes + lora + optimizer + activations + logits
    overhead = int(subtotal * OVERHEAD_FRACTION)
    total = subtotal + overhead
    available = default_available_bytes() if available_bytes is None else available_bytes
    return MemoryEstimate(
        base_bytes=base_weight_bytes,
        lora_bytes=lora,
        optimizer_bytes=optimizer,
        activation_bytes=activations,
        logits_bytes=logits,
        total_bytes=total,
        available_bytes=available,
        fits=total <= available,
        overhead_bytes=overhead,
        inputs=inputs,
    )


def _config_value(model_config: dict, key: str):
    value = model_config.get(key, (model_config.get("text_config") or {}).get(key))
    if value is None:
        raise LocoError(f"the base's config has no '{key}': cannot estimate training memory")
    return value


def suggest_fixes(
    est: MemoryEstimate, batch_size: int, seq_len: int, grad_checkpoint: bool, num_lora_layers: int
) -> list[str]:
    """Changes that lower the estimate, cheapest in quality first, each with its new total.

    Each suggestion is one change from the current settings; the ones that alone
    would make the run fit say so.
    """
    if not est.inputs:
        raise ValueError("suggest_fixes needs an estimate from estimate_training_memory")
    current = {
        **est.inputs,
        "batch_size": batch_size,
        "seq_len": seq_len,
        "grad_checkpoint": grad_checkpoint,
        "num_lora_layers": num_lora_layers,
        "available_bytes": est.available_bytes,
    }
    num_layers = int(_config_value(current["model_config"], "num_hidden_layers"))
    layers_now = num_layers if num_lora_layers <= 0 else min(num_lora_layers, num_layers)

    candidates: list[tuple[str, dict]] = []
    if not grad_checkpoint:
        # Same gradients, only extra recompute: costs time, never quality.
        candidates.append(("enable gradient checkpointing (grad_checkpoint: true)", {"grad_checkpoint": True}))
    if batch_size > 1:
        half = batch_size // 2
        candidates.append(
            (
                f"halve the batch: batch_size {batch_size} -> {half} and double grad_accumulation "
                "(same effective batch, same results, slower)",
                {"batch_size": half},
            )
        )
    if seq_len > 64:
        candidates.append(
            (
                f"shorten max_seq_length {seq_len} -> {seq_len // 2} (longer examples are truncated; "
                "check the token stats first)",
                {"seq_len": seq_len // 2},
            )
        )
    if layers_now > 1:
        candidates.append(
            (
                f"train fewer LoRA layers: lora.num_layers {layers_now} -> {layers_now // 2} (less capacity)",
                {"num_lora_layers": layers_now // 2},
            )
        )

    fixes = []
    for text, change in candidates:
        new = estimate_training_memory(**{**current, **change})
        if new.total_bytes >= est.total_bytes:
            continue
        verdict = "fits" if new.fits else f"still over the {human_bytes(new.available_bytes)} available"
        fixes.append(f"{text}: about {human_bytes(new.total_bytes)} in total ({verdict})")
    return fixes
