"""Base models: resolve a spec (default, .gguf, MLX directory, Hugging Face id) into a
stored, fingerprinted base and load it.

store.py (records and fingerprints), resolve.py (specs), gguf_file.py / gguf_import.py /
gguf_tokenizer.py (GGUF to MLX, without torch), loading.py (load; fp32 expansion on CPU).
"""
