"""`loco eval`: the same items, the same settings, base against adapter, and a gate verdict.

The base and the adapter answer every benchmark item with identical recorded
settings (greedy by default, max tokens, chat template, RE2 on/off), batched
through mlx-lm's batch_generate on one resident base (the pool switches between
them). Each item's input, output, extracted answer and score are kept. Binary
scores get an exact McNemar test; every score gets a paired bootstrap interval;
the gate (loco_mlx.evaluation.stats) turns them, the out-of-domain check and the contamination
check into SHIP / ITERATE / REJECT. results.json is written next to the adapter and
the verdict into the registry when the adapter is registered.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loco_mlx.errors import LocoError
from loco_mlx.evaluation import base_cache
from loco_mlx.evaluation.benchmarks import Benchmark, BenchmarkItem
from loco_mlx.evaluation.results import (
    AdapterComparison,
    BenchmarkOutcome,
    Comparison,
    Contamination,
    EvalResult,
    FailureGroup,
    Failures,
    LostItem,
    OutOfDomain,
    ShownItem,
    read_results,
)
from loco_mlx.evaluation.stats import GroupRow, gate_verdict, mcnemar_exact, paired_bootstrap, per_group
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import Answer, Engine, InferenceConfig

if TYPE_CHECKING:
    from loco_mlx.adapters.directory import AdapterManifest


@dataclass
class EvalSettings:
    max_tokens: int = 256
    temperature: float = 0.0
    reread: bool = True
    batch_size: int = 8
    seed: int = 0
    votes: int = 1  # self-consistency: each item's answer is the majority of this many samples
    json_guide: str = "keys"  # off | keys | copy: requests that name JSON keys get exactly them (json_guide.py)
    tools: bool = True  # run a tool adapter's programs (off: score its replies as text)
    allow_unsandboxed_tools: bool = False

    def sampling(self) -> SamplingConfig:
        return SamplingConfig(max_tokens=self.max_tokens, temperature=self.temperature, seed=self.seed)

    def inference(self) -> InferenceConfig:
        return InferenceConfig(reread=self.reread, votes=self.votes, json_guide=self.json_guide)

    def tool_settings(self):
        from loco_mlx.inference.tools import ToolSettings

        return ToolSettings(enabled=self.tools, allow_unsandboxed=self.allow_unsandboxed_tools)


@dataclass
class ItemResult:
    id: str
    difficulty: str
    tags: list
    input: str | list
    expected: object
    output: str
    extracted: str | None
    score: float
    passed: bool
    detail: str
    tool: dict | None = None  # a tool adapter's program, its output, exit status and time (ToolRun)


def answer_items(engine: Engine, items: list[BenchmarkItem], settings: EvalSettings, progress=None) -> list[Answer]:
    """The active model's answers to `items`, generated `settings.batch_size` at a time; a tool
    adapter's programs are run and each answer is what its program printed."""
    inference, sampling = settings.inference(), settings.sampling()
    if settings.votes == 1:
        return engine.answer_batch([i.messages() for i in items], sampling, inference, settings.batch_size, progress)
    answers = []
    for item in items:  # the votes of one item are one batch
        vote = engine.vote(item.messages(), sampling, inference)
        tool = next((t for t in vote.tools if t.answer == vote.text), None)
        answers.append(Answer(vote.text, tool=tool))
        if progress is not None:
            progress(1)
    return answers


def score_items(
    items: list[BenchmarkItem], replies: list[str | Answer], engine: Engine | None = None
) -> list[ItemResult]:
    """Each reply (a text, or an Answer with its ToolRun) scored against its item."""
    from loco_mlx.evaluation.scorers import score

    if engine is not None and any(item.scorer == "llm_judge" for item in items):
        with judging(engine):
            return score_items(items, replies)
    results = []
    for item, reply in zip(items, replies):
        answer = reply if isinstance(reply, Answer) else Answer(reply)
        s = score(item.scorer, answer.text, item.expected, item.options)
        tool = answer.tool.to_dict() if answer.tool is not None else None
        results.append(
            ItemResult(
                id=item.id,
                difficulty=item.difficulty,
                tags=item.tags,
                input=item.input,
                expected=item.expected,
                output=answer.text,
                extracted=s.extracted,
                score=s.value,
                passed=s.passed,
                detail=s.detail,
                tool=tool,
            )  # fmt: skip
        )
    return results


class judging:
    """While active, the llm_judge scorer asks the plain base (greedy, short replies)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self):
        from loco_mlx.evaluation.scorers import llm_judge

        self.adapter = self.engine.adapter
        self.engine.use_adapter(None)
        sampling = SamplingConfig(max_tokens=8, temperature=0.0)
        llm_judge.JUDGE = lambda prompt: self.engine.complete(
            prompt, sampling, inference=InferenceConfig(reread=False)
        )[0]
        return self

    def __exit__(self, *exc):
        from loco_mlx.evaluation.scorers import llm_judge

        llm_judge.JUDGE = None
        self.engine.use_adapter(self.adapter)


def run_side(engine: Engine, adapter: str | None, benchmark: Benchmark, settings: EvalSettings, label: str,
             quiet: bool = False) -> tuple[list[ItemResult], float]:  # fmt: skip
    """Switch to `adapter` (None: the base), answer and score every item; (results, seconds)."""
    engine.use_adapter(adapter)
    start = time.perf_counter()
    replies = _with_progress(label, len(benchmark.items), quiet,
                             lambda progress: answer_items(engine, benchmark.items, settings, progress))  # fmt: skip
    return score_items(benchmark.items, replies, engine), time.perf_counter() - start


def _with_progress(label: str, total: int, quiet: bool, work):
    """work(progress) under a progress bar of `total` items (none when quiet)."""
    if quiet:
        return work(None)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(f"{label}: {total} items", total=total)
        return work(lambda n: bar.advance(task, n))


def base_side(engine: Engine, benchmark: Benchmark, settings: EvalSettings, label: str,
              quiet: bool = False) -> tuple[list[ItemResult], float]:  # fmt: skip
    """The base's results on `benchmark`, from the cache (evaluation/base_cache.py) when this base,
    benchmark and settings ran before."""
    path = base_cache.cache_path(engine, benchmark, settings)
    if (cached := _read_base_cache(path)) is not None:
        return cached
    results, seconds = run_side(engine, None, benchmark, settings, label, quiet)
    _write_base_cache(path, results, seconds)
    return results, seconds


def both_sides(
    engine: Engine, adapter: str, benchmark: Benchmark, settings: EvalSettings, label: str,
    quiet: bool = False, mixed: bool = False,
) -> tuple[list[ItemResult], list[ItemResult], float]:  # fmt: skip
    """(base results, adapter results, seconds for both): the base's from the cache when it has them; else,
    when `mixed` and the engine can, both sides decoded in one batch (evaluation/mixed.py), else in turn."""
    from loco_mlx.evaluation.mixed import can_mix, mixed_answers

    path = base_cache.cache_path(engine, benchmark, settings)
    cached = _read_base_cache(path)
    if cached is None and mixed and can_mix(engine, adapter, settings.votes):
        start = time.perf_counter()
        base_answers, adapter_answers = _with_progress(
            f"base + {label}", len(benchmark.items), quiet,
            lambda progress: mixed_answers(engine, adapter, benchmark.items, settings, progress),
        )  # fmt: skip
        seconds = time.perf_counter() - start
        base = score_items(benchmark.items, base_answers, engine)
        _write_base_cache(path, base, seconds / 2)
        return base, score_items(benchmark.items, adapter_answers, engine), seconds
    base, base_seconds = cached or base_side(engine, benchmark, settings, f"base ({benchmark.path.name})", quiet)
    adapter_results, adapter_seconds = run_side(engine, adapter, benchmark, settings, label, quiet)
    return base, adapter_results, base_seconds + adapter_seconds


def _read_base_cache(path: Path | None) -> tuple[list[ItemResult], float] | None:
    cached = base_cache.read(path)
    if cached is None:
        return None
    try:
        return [ItemResult(**r) for r in cached[0]], cached[1]
    except TypeError:
        return None  # written by another version: recomputed and replaced


def _write_base_cache(path: Path | None, results: list[ItemResult], seconds: float) -> None:
    base_cache.write(path, [asdict(r) for r in results], seconds)


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def compare(base: list[ItemResult], adapter: list[ItemResult]) -> Comparison:
    return Comparison(
        base_score=mean(r.score for r in base),
        adapter_score=mean(r.score for r in adapter),
        base_accuracy=mean(r.passed for r in base),
        adapter_accuracy=mean(r.passed for r in adapter),
        mcnemar=mcnemar_exact([r.passed for r in base], [r.passed for r in adapter]),
        bootstrap=paired_bootstrap([r.score for r in base], [r.score for r in adapter]),
        per_difficulty=per_group([r.difficulty for r in base], [r.score for r in base], [r.score for r in adapter]),
        per_style=per_style(base, adapter),
    )


def per_style(base: list[ItemResult], adapter: list[ItemResult]) -> list[GroupRow]:
    """Scores by the items' `style:` tag (how the request was phrased); none when no item has one."""
    styled = [(b, a, s.removeprefix("style:")) for b, a in zip(base, adapter) for s in b.tags if s.startswith("style:")]
    if not styled:
        return []
    return per_group([s for _, _, s in styled], [b.score for b, _, _ in styled], [a.score for _, a, _ in styled])


def failure_analysis(base: list[ItemResult], adapter: list[ItemResult], examples: int = 3) -> Failures:
    """What the adapter got wrong, by tag and difficulty, and where it lost to the base."""
    wrong = [r for r in adapter if not r.passed]
    by_group: dict[str, list[ItemResult]] = {}
    for r in wrong:
        for key in [f"difficulty:{r.difficulty}"] + [f"tag:{t}" for t in r.tags]:
            by_group.setdefault(key, []).append(r)

    def show(r: ItemResult) -> ShownItem:
        return ShownItem(id=r.id, input=r.input, expected=r.expected, output=r.output[:500], detail=r.detail)

    lost = [a for b, a in zip(base, adapter) if b.passed and not a.passed]
    groups = {k: FailureGroup(len(v), [show(r) for r in v[:examples]]) for k, v in sorted(by_group.items())}
    return Failures(wrong=len(wrong), groups=groups, lost_to_base=[show(r) for r in lost])


def environment(engine: Engine) -> dict:
    from loco_mlx.runtime import package_versions

    return {
        "hardware": {
            "backend": engine.backend_name,
            "device": engine.base.device,
            "compute": engine.base.compute_mode,
            "machine": platform.platform(),
        },
        "versions": package_versions(),
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def contamination_clean(train_paths: list[str], benchmark: Benchmark) -> tuple[bool, list]:
    """True when no benchmark item duplicates (or nearly duplicates) a training example of any of the files
    (a recipe's `data` and its `mix:` files; a mix file is checked whole, a superset of its sample)."""
    if not train_paths:
        return True, []
    from loco_mlx.data.contamination import check_contamination
    from loco_mlx.data.datasets import load_dataset

    examples = []
    for path in train_paths:
        dataset = load_dataset(path)
        examples += dataset.train + dataset.valid
    findings = check_contamination(examples, benchmark.items)
    return not findings, [asdict(f) for f in findings]


def adapter_location(spec: str, engine: Engine) -> tuple[str, Path]:
    """(name, directory) of an adapter given by registered name or by directory."""
    path = Path(spec).expanduser()
    if path.is_dir():
        name = path.resolve().name
        engine.adapter_paths[name] = path
        return name, path
    if spec in engine.adapter_paths:
        return spec, Path(engine.adapter_paths[spec])
    known = ", ".join(sorted(engine.adapter_paths)) or "none registered for this base"
    raise LocoError(f"unknown adapter '{spec}': not a directory, nor a registered adapter (available: {known})")


@dataclass
class EvalRequest:
    """One `loco eval ADAPTER`: what to judge, on what, against which base."""

    adapter: str  # a registered name or an adapter directory
    benchmark: str  # the domain's benchmark: its results fill results.json's top level
    ood: list[str] = field(default_factory=list)  # out-of-domain benchmarks: the adapter must not get worse
    more_benchmarks: list[str] = field(default_factory=list)  # of the same domain (independent): each must gain too
    train_data: str | None = None  # checked for contamination (default: the manifest's)
    base: str | None = None  # default: the one the adapter was trained on
    settings: EvalSettings = field(default_factory=EvalSettings)
    out: str | None = None  # results.json (default: inside the adapter directory)
    quiet: bool = False
    backend: str = "mlx"
    mixed: bool = True  # base and adapter answer in one batch where the engine can (evaluation/mixed.py)


def evaluate(request: EvalRequest) -> EvalResult:
    """Run the whole gate for one adapter; write results.json; update the registry entry."""
    from loco_mlx.evaluation.benchmarks import read_benchmark

    r = request
    benchmark = read_benchmark(r.benchmark)
    more = [read_benchmark(p) for p in r.more_benchmarks]
    oods = [read_benchmark(p) for p in r.ood]
    engine, name, directory, manifest = _open_for(r)
    train_files = [r.train_data] if r.train_data else _task_files(manifest)
    train_data = ", ".join(train_files) or None

    base_results, adapter_results, seconds = both_sides(engine, name, benchmark, r.settings, name, r.quiet, r.mixed)
    more_sides = [both_sides(engine, name, b, r.settings, f"{name} ({b.path.name})", r.quiet, r.mixed)[:2]
                  for b in more]  # fmt: skip
    comparison = compare(base_results, adapter_results)
    out_of_domain = [_out_of_domain(engine, name, ood, r.settings, r.quiet, r.mixed) for ood in oods]
    clean, findings = contamination_clean(train_files, benchmark)
    verdict = _verdict(len(benchmark.items), comparison, out_of_domain, clean)
    outcomes = [_outcome(b, base, adapter, out_of_domain, train_files) for b, (base, adapter) in zip(more, more_sides)]
    overall, reasons = _combined(benchmark, verdict, outcomes)
    result = EvalResult(
        adapter=name, adapter_path=str(directory), adapter_version=manifest.version if manifest else None,
        base=engine.base.record.id, base_fingerprint=engine.base.record.fingerprint,
        benchmark=str(benchmark.path), benchmark_sha256=benchmark.sha256, items=len(benchmark.items),
        settings=asdict(r.settings), comparison=comparison, improvement_points=verdict.improvement_points,
        out_of_domain=out_of_domain, contamination=Contamination(train_data, clean, findings[:20]),
        verdict=overall, reasons=reasons,
        items_per_second=2 * len(benchmark.items) / seconds,
        failures=failure_analysis(base_results, adapter_results),
        per_item={"base": [asdict(x) for x in base_results], "adapter": [asdict(x) for x in adapter_results]},
        environment=environment(engine), more_benchmarks=outcomes,
    )  # fmt: skip
    result.write(Path(r.out) if r.out else Path(directory) / "results.json")
    result.registry = _record_gate(result)
    return result


def _task_files(manifest: AdapterManifest | None) -> list[str]:
    """The task's training files the manifest names (`data`, `mix:`) that are still here to check."""
    return [p for p in manifest.task_data if Path(p).exists()] if manifest else []


def _outcome(benchmark: Benchmark, base: list[ItemResult], adapter: list[ItemResult],
             out_of_domain: list[OutOfDomain], train_files: list[str]) -> BenchmarkOutcome:  # fmt: skip
    """One more benchmark judged as the first is: its own gain, significance and contamination check."""
    comparison = compare(base, adapter)
    clean, _ = contamination_clean(train_files, benchmark)
    verdict = _verdict(len(benchmark.items), comparison, out_of_domain, clean)
    return BenchmarkOutcome(
        benchmark=str(benchmark.path), sha256=benchmark.sha256, items=len(benchmark.items), comparison=comparison,
        improvement_points=verdict.improvement_points, verdict=verdict.verdict, reasons=verdict.reasons,
        failures=failure_analysis(base, adapter),
        per_item={"base": [asdict(x) for x in base], "adapter": [asdict(x) for x in adapter]},
    )  # fmt: skip


_SEVERITY = ("SHIP", "ITERATE", "REJECT")


def _combined(benchmark: Benchmark, first, outcomes: list[BenchmarkOutcome]) -> tuple[str, list[str]]:
    """The gate over every benchmark: its worst verdict (SHIP only when each one ships), and each one's
    reasons named by its file when there are several (those they all share, once)."""
    if not outcomes:
        return first.verdict, first.reasons
    judged = [(benchmark.path.name, first.verdict, first.reasons)]
    judged += [(Path(o.benchmark).name, o.verdict, o.reasons) for o in outcomes]
    overall = max((verdict for _, verdict, _ in judged), key=_SEVERITY.index)
    # a reason every benchmark gives (the out-of-domain check is one for all) is said once
    shared = [r for r in first.reasons if all(r in reasons for _, _, reasons in judged)]
    own = [f"{file}: {reason}" for file, _, reasons in judged for reason in reasons if reason not in shared]
    return overall, own + shared


def _open_for(r: EvalRequest):
    """(engine, adapter name, its directory, its manifest) on the base the adapter was trained on."""
    from loco_mlx.adapters.directory import read_adapter_dir
    from loco_mlx.inference.open import EngineSettings, open_engine

    path = Path(r.adapter).expanduser()
    manifest = read_adapter_dir(path)[2] if path.is_dir() else None
    base = r.base
    if base is None and not path.is_dir():  # a registered name: its entry says which base
        from loco_mlx.adapters.registry import Registry

        base = Registry().get(r.adapter).base_id
    base = base or (manifest.base.id if manifest else None) or "default"
    engine = open_engine(EngineSettings(base, backend=r.backend, tools=r.settings.tool_settings()))
    name, directory = adapter_location(r.adapter, engine)
    return engine, name, directory, manifest or read_adapter_dir(directory)[2]


def _out_of_domain(engine: Engine, name: str, ood: Benchmark, settings: EvalSettings, quiet: bool,
                   mixed: bool) -> OutOfDomain:  # fmt: skip
    """Base and adapter on another domain's benchmark: the adapter must not get worse at what others do."""
    base, adapter, _ = both_sides(engine, name, ood, settings, f"{name} (out-of-domain: {ood.path.name})", quiet, mixed)
    lost = [LostItem(b.id, b.input, b.expected, b.output[:500], a.output[:500], a.detail)
            for b, a in zip(base, adapter) if a.score < b.score]  # fmt: skip
    return OutOfDomain(str(ood.path), ood.sha256, mean(x.score for x in base), mean(x.score for x in adapter), lost)


def _verdict(items: int, comparison: Comparison, out_of_domain: list[OutOfDomain], clean: bool):
    drop = max((o.drop_points for o in out_of_domain), default=None)
    p_value = comparison.mcnemar.p_value
    return gate_verdict(items, comparison.base_score, comparison.adapter_score, p_value, drop, clean)


def _record_gate(result: EvalResult) -> str:
    """Write the verdict into the registry entry, when the adapter is registered there; say what happened."""
    from loco_mlx.adapters.registry import GateSummary, Registry

    registry = Registry()
    if result.adapter not in {e.name for e in registry.entries()}:
        return "not registered: verdict kept in results.json only"
    c = result.comparison
    gate = GateSummary(score=c.adapter_score, base_score=c.base_score, benchmark_sha256=result.benchmark_sha256,
                       verdict=result.verdict)  # fmt: skip
    registry.set_gate(result.adapter, gate)
    return f"verdict recorded for '{result.adapter}'"


def results_are_stale(entry) -> bool:
    """True when the benchmark behind an entry's recorded verdict has changed since (its SHA-256 differs)."""
    import hashlib

    if not entry.gate.benchmark_sha256:
        return False
    try:
        benchmark = Path(read_results(Path(entry.path) / "results.json").benchmark)
        current = hashlib.sha256(benchmark.read_bytes()).hexdigest()
    except (OSError, LocoError):
        return False  # nothing to compare against: not known to be stale
    return current != entry.gate.benchmark_sha256


def compare_adapters(first: str, second: str, benchmark_path: str, *, base: str | None = None,
                     settings: EvalSettings | None = None, quiet: bool = False,
                     backend: str = "mlx") -> AdapterComparison:  # fmt: skip
    """Two adapters (or two versions) on the same items: the second against the first, paired."""
    from loco_mlx.adapters.registry import Registry
    from loco_mlx.evaluation.benchmarks import read_benchmark
    from loco_mlx.inference.open import EngineSettings, open_engine

    settings = settings or EvalSettings()
    benchmark = read_benchmark(benchmark_path)
    if base is None and not Path(first).expanduser().is_dir():
        base = Registry().get(first).base_id
    engine = open_engine(EngineSettings(base, backend=backend, tools=settings.tool_settings()))
    a_name, _ = adapter_location(first, engine)
    b_name, _ = adapter_location(second, engine)
    if a_name == b_name:
        raise LocoError(f"--compare needs two different adapters, got '{a_name}' twice")
    a_results, _ = run_side(engine, a_name, benchmark, settings, a_name, quiet)
    b_results, _ = run_side(engine, b_name, benchmark, settings, b_name, quiet)
    return AdapterComparison(a_name, b_name, str(benchmark.path), len(benchmark.items), compare(a_results, b_results))
