"""What an evaluation produces, typed: the paired comparison of two sides, the whole gate's
result, and results.json (written in the same shape and key order as it always was, since
the leaderboard, the demo and the shipped adapters' files are read back from it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loco_mlx.errors import LocoError
from loco_mlx.evaluation.stats import BootstrapResult, GroupRow, McNemarResult
from loco_mlx.files import write_atomic


@dataclass
class Comparison:
    """Two sides on the same items: "base" is the reference, "adapter" the one judged."""

    base_score: float
    adapter_score: float
    base_accuracy: float
    adapter_accuracy: float
    mcnemar: McNemarResult
    bootstrap: BootstrapResult
    per_difficulty: list[GroupRow]
    # by the items' `style:` tags (how a request is phrased), where a benchmark has them
    per_style: list[GroupRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {
            "base_score": self.base_score,
            "adapter_score": self.adapter_score,
            "base_accuracy": self.base_accuracy,
            "adapter_accuracy": self.adapter_accuracy,
            "mcnemar": asdict(self.mcnemar),
            "bootstrap": asdict(self.bootstrap),
            "per_difficulty": [asdict(g) for g in self.per_difficulty],
        }
        if self.per_style:  # only then: results.json keeps its shape for benchmarks without styles
            data["per_style"] = [asdict(g) for g in self.per_style]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Comparison:
        return cls(data["base_score"], data["adapter_score"], data["base_accuracy"], data["adapter_accuracy"],
                   McNemarResult(**data["mcnemar"]), BootstrapResult(**data["bootstrap"]),
                   [GroupRow(**g) for g in data["per_difficulty"]],
                   [GroupRow(**g) for g in data.get("per_style", [])])  # fmt: skip


@dataclass
class AdapterComparison:
    """`loco eval A --compare B`: B (second) against A (first) on one benchmark."""

    first: str
    second: str
    benchmark: str
    items: int
    comparison: Comparison


@dataclass
class OutOfDomain:
    benchmark: str
    sha256: str
    base_score: float
    adapter_score: float
    # the items the adapter scored below the base on (a lower score, not only pass -> fail): what to read
    # when the domain drops
    lost: list[LostItem] = field(default_factory=list)

    @property
    def drop_points(self) -> float:
        return (self.base_score - self.adapter_score) * 100

    @classmethod
    def from_dict(cls, data: dict) -> OutOfDomain:
        return cls(**{**data, "lost": [LostItem(**x) for x in data.get("lost", [])]})

    def to_dict(self) -> dict:
        data = asdict(self)
        if not self.lost:
            del data["lost"]  # nothing lost: results.json keeps the shape it had before losses were kept
        return data


@dataclass
class LostItem:
    """An out-of-domain item the adapter did worse on than the base, with both replies (cut to 500 characters)."""

    id: str
    input: str | list
    expected: object
    base: str
    adapter: str
    detail: str  # the scorer's word on the adapter's reply


@dataclass
class Contamination:
    train_data: str | None
    clean: bool
    findings: list = field(default_factory=list)  # the first 20, as dicts


@dataclass
class ShownItem:
    """One item the adapter got wrong, as results.json shows it (the output cut to 500 characters)."""

    id: str
    input: str | list
    expected: object
    output: str
    detail: str


@dataclass
class FailureGroup:
    count: int
    examples: list[ShownItem]  # the first few


@dataclass
class Failures:
    """What the adapter got wrong: by "difficulty:X" and "tag:Y" group, and the items it lost to the base."""

    wrong: int
    groups: dict[str, FailureGroup]
    lost_to_base: list[ShownItem]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Failures:
        shown = lambda items: [ShownItem(**x) for x in items]  # noqa: E731
        groups = {k: FailureGroup(g["count"], shown(g["examples"])) for k, g in data["groups"].items()}
        return cls(data["wrong"], groups, shown(data["lost_to_base"]))


@dataclass
class BenchmarkOutcome:
    """The adapter against the base on one more benchmark of its domain (an independent one, say): the gate's
    SHIP needs the gain on this one too."""

    benchmark: str
    sha256: str
    items: int
    comparison: Comparison
    improvement_points: float
    verdict: str  # this benchmark's own verdict (with the same out-of-domain check)
    reasons: list[str]
    failures: Failures
    per_item: dict  # {"base": [...], "adapter": [...]} ItemResult dicts

    def to_dict(self) -> dict:
        return {"benchmark": self.benchmark, "sha256": self.sha256, "items": self.items, **self.comparison.to_dict(),
                "improvement_points": self.improvement_points, "verdict": self.verdict, "reasons": self.reasons,
                "failures": self.failures.to_dict(), "per_item": self.per_item}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> BenchmarkOutcome:
        return cls(data["benchmark"], data["sha256"], data["items"], Comparison.from_dict(data),
                   data["improvement_points"], data["verdict"], data["reasons"], Failures.from_dict(data["failures"]),
                   data["per_item"])  # fmt: skip


@dataclass
class EvalResult:
    """The gate's whole answer for one adapter (results.json, plus where it went)."""

    adapter: str
    adapter_path: str
    adapter_version: str | None
    base: str
    base_fingerprint: str
    benchmark: str
    benchmark_sha256: str
    items: int
    settings: dict
    comparison: Comparison
    improvement_points: float
    out_of_domain: list[OutOfDomain]
    contamination: Contamination
    verdict: str  # SHIP | ITERATE | REJECT
    reasons: list[str]
    items_per_second: float
    failures: Failures
    per_item: dict  # {"base": [...], "adapter": [...]} ItemResult dicts
    environment: dict  # hardware, versions, timestamp
    more_benchmarks: list[BenchmarkOutcome] = field(default_factory=list)  # `--benchmark` given more than once
    results_path: str = ""
    registry: str = ""  # what became of the verdict in the registry

    def to_dict(self) -> dict:
        head = {k: getattr(self, k) for k in _HEAD}
        return {
            **head,
            **self.comparison.to_dict(),
            "improvement_points": self.improvement_points,
            "out_of_domain": [o.to_dict() for o in self.out_of_domain],
            "contamination": asdict(self.contamination),
            "verdict": self.verdict,
            "reasons": self.reasons,
            "items_per_second": self.items_per_second,
            "failures": self.failures.to_dict(),
            "per_item": self.per_item,
            **({"more_benchmarks": [b.to_dict() for b in self.more_benchmarks]} if self.more_benchmarks else {}),
            **self.environment,
        }

    @classmethod
    def from_dict(cls, data: dict) -> EvalResult:
        """A results.json read back (KeyError/TypeError when it is not one: read_results names the file)."""
        oods = data["out_of_domain"] or []
        oods = oods if isinstance(oods, list) else [oods]  # results.json of loco 0.1.0 held one
        return cls(
            **{k: data[k] for k in _HEAD},
            comparison=Comparison.from_dict(data),
            improvement_points=data["improvement_points"],
            out_of_domain=[OutOfDomain.from_dict(o) for o in oods],
            contamination=Contamination(**data["contamination"]),
            verdict=data["verdict"],
            reasons=data["reasons"],
            items_per_second=data["items_per_second"],
            failures=Failures.from_dict(data["failures"]),
            per_item=data["per_item"],
            environment={k: data[k] for k in _ENVIRONMENT if k in data},
            more_benchmarks=[BenchmarkOutcome.from_dict(b) for b in data.get("more_benchmarks", [])],
        )

    def write(self, path: Path) -> None:
        write_json(path, self.to_dict())
        self.results_path = str(path)


_HEAD = ("adapter", "adapter_path", "adapter_version", "base", "base_fingerprint", "benchmark", "benchmark_sha256",
         "items", "settings")  # fmt: skip
_ENVIRONMENT = ("hardware", "versions", "timestamp")  # environment(), written flat at the end


def read_results(path: str | Path) -> EvalResult:
    """The results.json at `path`; a LocoError naming the file when it is missing or not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise LocoError(f"no results at {path}: run `loco eval` on the adapter first") from None
    except (OSError, ValueError) as exc:
        raise LocoError(f"{path}: unreadable results ({exc})") from None
    try:
        result = EvalResult.from_dict(data)
    except KeyError as exc:
        raise LocoError(f"{path}: not a results.json of `loco eval`: no {exc}; run `loco eval` again") from None
    except (TypeError, AttributeError) as exc:
        raise LocoError(f"{path}: not a results.json of `loco eval`: {exc}; run `loco eval` again") from None
    result.results_path = str(path)
    return result


def write_json(path: Path, results: dict) -> None:
    write_atomic(path, json.dumps(results, indent=2, default=str) + "\n")
