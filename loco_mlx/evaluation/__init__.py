"""Evaluation: the gate an adapter must pass to ship.

gate.py (`loco eval`: base against adapter on the same items, results.json, registry
verdict), benchmarks.py (the benchmark schema), stats.py (McNemar, bootstrap, verdict),
scorers/ (one file per scorer), sandbox.py / sandbox_launch.py (running generated code).
"""
