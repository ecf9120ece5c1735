"""Inference: from chat messages to a reply, on either backend.

engine.py (the Engine and the Backend protocol every caller goes through), mlx and
llama.cpp backends, chat.py (the REPL), voting.py (self-consistency), answers.py (answer
extraction shared with the scorers).
"""
