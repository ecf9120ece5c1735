"""Adapters: what a trained LoRA is on disk and how the engine holds many of them.

directory.py (an adapter directory: files, manifest, base binding), registry.py
(registry.yaml: install, promote, gate summaries, locked atomic writes), pool.py
(the hot-swap pool: one resident base, adapters switched by weight assignment).
"""
