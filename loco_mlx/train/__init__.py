"""Training: QLoRA adapters on a frozen base with mlx-lm's LoRA layers.

config.py (settings), batches.py (tokens, assistant-only masks, length-grouped
batches), loop.py (the optimizer loop, evaluation, checkpoints, resume),
checkpoint.py (atomic checkpoints), metrics.py / report.py (logs, plot,
diagnosis, TRAINING_LOG.md), memory.py (preflight), run.py (one `loco train`).
"""
