"""Data: training sets and what checks them.

datasets.py (read every format, normalise, validate, stats, samples), contamination.py
(exact and near duplicates against a benchmark), replay.py (the base's own replies, mixed
into training to protect other domains), synth/ (generated, verified task data).
"""
