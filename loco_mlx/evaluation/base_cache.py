"""The base's benchmark results, kept between `loco eval` runs.

The base's greedy answers do not depend on the adapter under test, so a gate over several
benchmarks, or over a second adapter, need not regenerate them. The key holds everything they
depend on: the base's fingerprint, how it computes (and llama.cpp's thread count), the benchmark's bytes,
the settings, the package versions, and the code that answers and scores (inference/ and evaluation/: the cached results
hold scores too).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from loco_mlx.files import write_atomic

if TYPE_CHECKING:
    from loco_mlx.evaluation.benchmarks import Benchmark
    from loco_mlx.evaluation.gate import EvalSettings
    from loco_mlx.inference.engine import Engine

PACKAGE = Path(__file__).resolve().parents[1]


def cache_path(engine: Engine, benchmark: Benchmark, settings: EvalSettings) -> Path | None:
    """Where the base's results for these settings live; None when they are not worth keeping."""
    from loco_mlx.bases.store import loco_home
    from loco_mlx.runtime import package_versions

    if settings.temperature > 0:
        return None  # sampled answers are not reproducible enough to reuse
    key = json.dumps(
        [engine.base.record.fingerprint, engine.base.compute_mode, benchmark.sha256, asdict(settings),
         package_versions(), answer_code_digest(), _threads(engine)],
        sort_keys=True,
    )  # fmt: skip
    return loco_home() / "cache" / "eval-base" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _threads(engine: Engine) -> int | None:
    """llama.cpp's thread count (LOCO_LLAMACPP_THREADS): the split of its work may change the sums a greedy
    answer rests on, so answers from another count are not reused. None on MLX."""
    if engine.backend_name != "llamacpp":
        return None
    from loco_mlx.inference.llamacpp import thread_count

    return thread_count()


def read(path: Path | None) -> tuple[list[dict], float] | None:
    """(the results as dicts, the seconds they took), or None when there is no usable entry."""
    if path is None or not path.is_file():
        return None
    try:
        cached = json.loads(path.read_text())
        return list(cached["results"]), float(cached["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is recomputed and replaced


def write(path: Path | None, results: list[dict], seconds: float) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"results": results, "seconds": seconds}))


def answer_code_digest() -> str:
    """A change to how answers are decoded or scored (same version number while developing: a JSON guide, a
    backend, a scorer) must not be answered from the cache: every module of inference/ and evaluation/ counts
    (the key once covered only the scorers and engine.py, so a change to the JSON guide alone was not seen)."""
    digest = hashlib.sha256()
    for file in sorted([*PACKAGE.glob("inference/**/*.py"), *PACKAGE.glob("evaluation/**/*.py")]):
        digest.update(str(file.relative_to(PACKAGE)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()
