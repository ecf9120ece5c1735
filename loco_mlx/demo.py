"""`loco demo`: the whole project in a few minutes on the embedded default base.

Route sample queries, answer each with the chosen adapter next to the base (scored by the
benchmark's own scorer), print the gate table the shipped adapters earned, export one adapter
to GGUF and answer with it in llama.cpp. `--train DOMAIN` first retrains that adapter from its
recipe and uses the new one. Everything it reads is in the repository checkout: the committed
registry and router (adapters/), the benchmarks (data/) and the recipes (configs/).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from loco_mlx.errors import LocoError

DOMAINS = ("math", "json", "code")
RECIPES = "configs/smollm2-135m"


@dataclass
class DemoSettings:
    root: Path  # the repository checkout
    per_domain: int = 2  # benchmark items answered per domain
    general: int = 2  # general queries answered (they belong to the base)
    max_tokens: int = 160  # as in the gate runs
    export: str | None = "json"  # adapter exported to GGUF and run in llama.cpp; None skips the step
    out: Path = Path("runs/demo")
    train: str | None = None  # retrain this adapter first
    train_steps: int | None = None  # cap on that training run (default: the whole recipe)

    @property
    def registry(self) -> Path:
        return self.root / "adapters" / "registry.yaml"


def find_checkout(given: Path | None = None) -> Path:
    """The repository checkout: `given`, the working directory, or the one this package runs from."""
    import loco_mlx

    candidates = [given] if given else [Path.cwd(), Path(loco_mlx.__file__).resolve().parents[1]]
    for root in candidates:
        if (root / "adapters" / "registry.yaml").is_file() and (root / "data").is_dir():
            return root
    where = given or Path.cwd()
    raise LocoError(
        f"loco demo needs the loco_mlx repository checkout (adapters/registry.yaml and data/), not found at {where}; "
        "run it from the checkout (git clone, then bash scripts/setup.sh)"
    )


def sample_items(root: Path, settings: DemoSettings) -> list:
    """The first held-out-template items of each benchmark (never seen in training), and general queries."""
    from loco_mlx.evaluation.benchmarks import BenchmarkItem, read_benchmark

    items = []
    for domain in DOMAINS:
        benchmark = read_benchmark(root / "data" / domain / "benchmark.jsonl")
        held = [i for i in benchmark.items if "heldout-template" in i.tags]
        items += [(domain, i) for i in held[: settings.per_domain]]
    from loco_mlx.router.examples import read_labelled

    labelled = read_labelled(root / "data/router/heldout.jsonl")
    general = [q for q in labelled if q.label == "base" and q.kind == "general"]
    for n, q in enumerate(general[: settings.general]):
        items.append(("base", BenchmarkItem(f"general-{n}", q.query, None, "none")))
    return items


class Demo:
    def __init__(self, settings: DemoSettings, console):
        self.s = settings
        self.console = console
        self.started = time.perf_counter()
        self.steps = 6 + bool(settings.train) + bool(settings.export)
        self.step_no = 0

    def step(self, title: str) -> None:
        self.step_no += 1
        elapsed = time.perf_counter() - self.started
        self.console.rule(f"[bold][{self.step_no}/{self.steps}] {title}[/bold]  ({elapsed:.0f} s)")

    def run(self) -> None:
        from loco_mlx.adapters.registry import Registry
        from loco_mlx.inference.open import EngineSettings, open_engine

        self.step("base model")
        from loco_mlx.bases.resolve import resolve_base

        record = resolve_base("default")
        self.console.print(f"{record.id}: {record.architecture}, {record.parameters / 1e6:.0f}M parameters, "
                           f"{record.quantization}, fingerprint {record.short_fingerprint}")  # fmt: skip
        registry = Registry(self.s.registry)
        entries = {e.name: e for e in registry.entries() if e.active and e.base_fingerprint == record.fingerprint}
        if not entries:
            raise LocoError(f"{self.s.registry} has no active adapter for {record.id}")
        paths = {name: Path(e.path) for name, e in entries.items()}
        if self.s.train:
            self.step(f"train the {self.s.train} adapter from scratch")
            paths[self.s.train] = self.train()

        self.step("load the base, the adapters and the router")
        start = time.perf_counter()
        settings = EngineSettings(record, adapter="auto", registered=False, registry_path=registry.path,
                                  warn=self.console.print)  # fmt: skip
        engine = open_engine(settings)
        engine.adapter_paths.update(paths)
        for name in paths:
            engine.use_adapter(name)  # loaded once; switching is then a pointer swap
        engine.use_adapter(None)
        seconds = time.perf_counter() - start
        self.console.print(f"{len(paths)} adapters resident on one base ({', '.join(sorted(paths))}), "
                           f"{engine.base.compute_mode} on {engine.base.device}, in {seconds:.1f} s")  # fmt: skip

        items = sample_items(self.s.root, self.s)
        self.step("routing")
        decisions = self.route(engine, items)
        self.step("answers: the routed adapter next to the base (greedy, scored by the benchmark's scorer)")
        self.answer(engine, items, decisions)
        tools = {
            e.name: Path(e.path) for e in registry.entries() if e.tool and e.base_fingerprint == record.fingerprint
        }
        if tools:
            name = sorted(tools)[0]
            self.step(f"tool use: {name} writes a program, the sandbox runs it")
            self.program_answer(engine, name, tools[name], items)
        else:
            self.step("tool use")
            self.console.print("no registered adapter declares a tool (loco data synth math --style program makes one)")
        self.step("the gate each shipped adapter passed (loco eval; recorded in results.json)")
        self.console.print(gate_table(paths))
        if self.s.export:
            self.step(f"export {self.s.export} to GGUF and answer with it in llama.cpp")
            self.export(engine, record, paths[self.s.export], items)
        self.console.rule(f"[bold]done in {time.perf_counter() - self.started:.0f} s[/bold]")

    def train(self) -> Path:
        from loco_mlx.config import load_config
        from loco_mlx.train.config import TrainConfig
        from loco_mlx.train.run import run_training

        name = self.s.train
        recipe = self.s.root / RECIPES / f"{name}.yaml"
        if not recipe.is_file():
            raise LocoError(f"--train {name}: no recipe {recipe}; choose one of {', '.join(DOMAINS)}")
        out = self.s.out / name
        overrides = {"out": str(out), "max_steps": self.s.train_steps}
        cfg = load_config(TrainConfig, [recipe], {k: v for k, v in overrides.items() if v is not None})
        cfg.data = str(self.s.root / cfg.data)
        cfg.replay = [str(self.s.root / r) for r in cfg.replay]
        cfg.mix = [replace(m, path=str(self.s.root / m.path)) for m in cfg.mix]
        if out.exists():
            import shutil

            shutil.rmtree(out)  # the demo's own scratch directory: a fresh run every time
        result = run_training(cfg, progress="bar")
        self.console.print(f"trained {name} into {out}: {result.state.step} steps; {result.diagnosis.summary}")
        return out

    def route(self, engine, items) -> list:
        from rich.table import Table

        table = Table("query", "expected", "routed to", "confidence", "ms")
        decisions = []
        for domain, item in items:
            d = engine.router.route(_text(item))
            decisions.append(d)
            confidence = "keywords" if d.confidence is None else f"{d.confidence:.2f}"
            mark = "" if d.label == domain else " [red](miss)[/red]"
            table.add_row(_short(_text(item)), domain, d.label + mark, confidence, f"{d.seconds * 1000:.0f}")
        self.console.print(table)
        right = sum(d.label == domain for d, (domain, _) in zip(decisions, items))
        self.console.print(f"{right}/{len(items)} routed as expected; the held-out accuracy is in the README")
        return decisions

    def answer(self, engine, items, decisions) -> None:
        from rich.markup import escape

        from loco_mlx.evaluation.gate import score_items
        from loco_mlx.inference.backend import SamplingConfig
        from loco_mlx.inference.engine import InferenceConfig

        sampling = SamplingConfig(max_tokens=self.s.max_tokens, temperature=0.0)
        inference = InferenceConfig(reread=True)
        for (_, item), decision in zip(items, decisions):
            self.console.print(f"\n[bold]Q:[/bold] {item.input}")
            sides = [("base", None)] + ([(decision.label, decision.adapter)] if decision.adapter else [])
            for label, adapter in sides:
                engine.use_adapter(adapter)
                start = time.perf_counter()
                answer = engine.answer(item.messages(), sampling, inference)
                seconds = time.perf_counter() - start
                verdict = ""
                if item.scorer != "none":
                    result = score_items([item], [answer], engine)[0]
                    verdict = " [green]right[/green]" if result.passed else " [red]wrong[/red]"
                if answer.tool is not None:
                    self.show_program(label, answer.tool)
                self.console.print(f"[cyan]{label}[/cyan] ({seconds:.1f} s){verdict}: {answer.text.strip()}")
                if answer.check is not None:  # a request for code that states examples: what the function gave
                    self.console.print(f"[dim]{escape(answer.check.notice())}[/dim]", highlight=False)
        engine.use_adapter(None)

    def program_answer(self, engine, name: str, path: Path, items) -> None:
        """A registered tool adapter (active or not) answers the sample math questions through its program."""
        from loco_mlx.evaluation.gate import score_items
        from loco_mlx.inference.backend import SamplingConfig
        from loco_mlx.inference.engine import InferenceConfig

        engine.adapter_paths[name] = path
        engine.use_adapter(name)
        sampling = SamplingConfig(max_tokens=self.s.max_tokens, temperature=0.0)
        for _, item in [(d, i) for d, i in items if d == "math"]:
            self.console.print(f"\n[bold]Q:[/bold] {item.input}")
            start = time.perf_counter()
            answer = engine.answer(item.messages(), sampling, InferenceConfig(reread=True))
            seconds = time.perf_counter() - start
            result = score_items([item], [answer], engine)[0]
            if answer.tool is not None:
                self.show_program(name, answer.tool)
            verdict = "[green]right[/green]" if result.passed else "[red]wrong[/red]"
            self.console.print(f"[cyan]{name}[/cyan] ({seconds:.1f} s) {verdict}: {answer.text.strip()}")
        engine.use_adapter(None)

    def show_program(self, label: str, run) -> None:
        """A tool adapter's program and what the sandbox made of it."""
        from rich.markup import escape

        self.console.print(f"[cyan]{label}[/cyan] wrote a program:")
        self.console.print(f"[dim]{escape(run.program or '(none)')}[/dim]", highlight=False)
        outcome = f"printed {run.output.strip()!r}" if not run.error else f"failed: {escape(run.error)}"
        self.console.print(f"[dim]the sandbox ({run.isolation}) ran it in {run.seconds:.2f} s: {outcome}"
                           f"{'; the plain base answered instead' if run.fallback else ''}[/dim]")  # fmt: skip

    def export(self, engine, record, adapter_dir: Path, items) -> None:
        from loco_mlx.export.fuse import fused_weights
        from loco_mlx.export.gguf_writer import write_gguf
        from loco_mlx.export.verify import check_parity, first_difference, llama_greedy
        from loco_mlx.inference.llamacpp import open_llama

        name = self.s.export
        out = self.s.out / "export"
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        gguf = write_gguf(fused_weights(record, adapter_dir), record, out / f"{name}-f16.gguf", "F16")
        seconds = time.perf_counter() - start
        self.console.print(f"wrote {gguf} ({gguf.stat().st_size / 2**20:.0f} MiB) in {seconds:.1f} s; "
                           f"the full export: loco export {_shown(adapter_dir)} --lora --peft")  # fmt: skip
        engine.use_adapter(name)
        report = check_parity(engine, gguf, prompts=[_text(i) for d, i in items if d == name][:2], max_tokens=32)
        self.console.print(f"parity with MLX: {report.summary()}")
        item = next(i for d, i in items if d == name)
        llm = open_llama(gguf, 1024)
        try:
            ids = engine.encode_chat([{"role": "user", "content": _text(item)}])
            start = time.perf_counter()
            tokens = llama_greedy(llm, ids, self.s.max_tokens, set(engine.eos_token_ids()))
            speed = len(tokens) / (time.perf_counter() - start)
            reply = llm.detokenize(tokens).decode("utf-8", errors="replace")
        finally:
            llm.close()
        ours = engine.greedy_tokens(ids, self.s.max_tokens)
        engine.use_adapter(None)
        parted = first_difference(tokens, ours)
        agreement = (
            "the same reply as MLX's"
            if tokens == ours
            else f"MLX's greedy reply parts from this one after {parted} tokens"
        )
        self.console.print(f"\n[bold]Q:[/bold] {_text(item)}\n[cyan]llama.cpp, {gguf.name}[/cyan] "
                           f"({speed:.0f} tok/s; {agreement}): {reply.strip()}")  # fmt: skip


def gate_table(paths: dict[str, Path]):
    """One row per adapter from its results.json: own benchmark, held-out templates, the others, verdict."""
    from rich.table import Table

    table = Table("adapter", "own benchmark", "points", "McNemar p", "held-out templates", "other benchmarks",
                  "verdict")  # fmt: skip
    for name in sorted(paths):
        file = paths[name] / "results.json"
        if not file.is_file():
            table.add_row(name, "-", "-", "-", "-", "-", "not evaluated")
            continue
        r = json.loads(file.read_text())
        held = template_split(r)["heldout-template"]
        oods = r.get("out_of_domain") or []
        oods = oods if isinstance(oods, list) else [oods]  # results.json of loco 0.1.0 held one
        others = "\n".join(f"{Path(o['benchmark']).parent.name} {o['base_score']:.2f} -> {o['adapter_score']:.2f}"
                           for o in oods)  # fmt: skip
        table.add_row(name, f"{r['base_score']:.2f} -> {r['adapter_score']:.2f}", f"{r['improvement_points']:+.1f}",
                      f"{r['mcnemar']['p_value']:.1g}", f"{held['base']:.2f} -> {held['adapter']:.2f}",
                      others or "-", r["verdict"])  # fmt: skip
    return table


def template_split(results: dict) -> dict[str, dict]:
    """Base and adapter scores on seen-template and held-out-template items of a results.json."""
    split = {}
    for tag in ("seen-template", "heldout-template"):
        base = [r["score"] for r in results["per_item"]["base"] if tag in r["tags"]]
        adapter = [r["score"] for r in results["per_item"]["adapter"] if tag in r["tags"]]
        split[tag] = {"n": len(base), "base": _mean(base), "adapter": _mean(adapter)}
    return split


def _mean(values) -> float:
    return sum(values) / len(values) if values else 0.0


def _text(item) -> str:
    return item.input if isinstance(item.input, str) else item.input[-1]["content"]


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is below it (what a user types), else as is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
