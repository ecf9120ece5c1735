"""How templated is a dataset? `loco data check-diversity` and the line `loco train` prints first.

An adapter trained on prompts from a few dozen sentence templates learns the templates, and a
benchmark drawn from the same templates says it learned the skill. This puts the problem in numbers.

A prompt's *skeleton* is its first user turn with the content left out: numbers become <num>,
names <name> (as the contamination check masks them), every other word outside a fixed list of
function words becomes `_` (a run of them one `_`). Its *opening*, the skeleton's first 6 tokens,
is how the request is worded: prompts from one template share it whatever names, numbers, nouns
and pasted text fill them; requests people write rarely do. Reported, as the mean over 20 seeded
windows of 100 prompts (so sets of any size compare; a smaller set is one window):
- skeletons and openings per 100 prompts, and word 4-grams (numbers and names masked) that are
  distinct, a share of all 4-grams;
- over the whole set: the commonest openings and the share of prompts under the 10 commonest;
- per benchmark: the share of its items that open as some training prompt does. A generated
  benchmark shares most (its templates are the training ones, held-out ones aside); a set written
  apart shares few (our independent sets: 0-15%).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from loco_mlx.data.contamination import NAME, NUM, masked_words, read_probes, user_texts
from loco_mlx.errors import LocoError

WINDOW = 100
WINDOWS = 20
OPENING = 6  # skeleton tokens that make an opening
TOP = 10
# Thresholds between our generated sets and requests written apart from them (the README's table):
# generated json/code open 30-44 ways per 100 prompts with 0.44-0.62 distinct 4-grams; written
# requests open 66-75 ways per 72-80 with 0.94 or more.
MIN_OPENINGS = 60  # per 100 prompts
MIN_DISTINCT_4GRAMS = 0.7
MAX_SHARED_OPENINGS = 0.3  # of a benchmark's items

FUNCTION_WORDS = frozenset(
    """a an the and or but if then than so of to in on at by for with from into onto over under about after before
    between each every all any some no not is are was were be been being has have had do does did will would can
    could should may might must it its he she they them his her their we you your i me my our us this that these
    those there here what which who whom whose when where why how many much more most less few as per""".split()
)


@dataclass
class Diversity:
    path: str
    prompts: int
    skeletons: float  # distinct skeletons per 100 prompts
    openings: float  # distinct openings per 100 prompts
    distinct_4grams: float  # distinct word 4-grams over all of them, in a window
    top_share: float  # share of all prompts under the TOP commonest openings
    commonest: list[tuple[str, int]] = field(default_factory=list)  # the commonest openings and their counts
    shared: dict[str, float] = field(default_factory=dict)  # benchmark -> share of items opening as training does

    @property
    def templated(self) -> bool:
        return self.openings < MIN_OPENINGS or self.distinct_4grams < MIN_DISTINCT_4GRAMS

    def summary(self) -> str:
        """One line: what `loco train` prints before training."""
        line = (
            f"diversity: {'templated' if self.templated else 'varied'}: {self.openings:.0f} openings and "
            f"{self.skeletons:.0f} skeletons per 100 prompts, distinct 4-grams {self.distinct_4grams:.2f}, "
            f"the {TOP} commonest openings cover {self.top_share:.0%} of {self.prompts}"
        )
        if self.shared:
            line += "; benchmark items opening as training prompts: "
            line += ", ".join(f"{Path(b).name} {share:.0%}" for b, share in self.shared.items())
        return line

    def warnings(self) -> list[str]:
        found = []
        if self.templated:
            found.append(
                f"the prompts look templated ({self.openings:.0f} openings per 100 prompts, {MIN_OPENINGS} or more "
                f"expected; distinct 4-grams {self.distinct_4grams:.2f}, {MIN_DISTINCT_4GRAMS} or more expected): "
                "an adapter will learn the templates; vary how the requests are worded"
            )
        for benchmark, share in self.shared.items():
            if share > MAX_SHARED_OPENINGS:
                found.append(
                    f"{share:.0%} of {benchmark}'s items open as training prompts do: its score measures the "
                    "templates as much as the skill; judge on items written apart from the data too"
                )
        return found

    def to_dict(self) -> dict:
        return {"path": self.path, "prompts": self.prompts, "skeletons_per_100": self.skeletons,
                "openings_per_100": self.openings, "distinct_4grams": self.distinct_4grams,
                "top_share": self.top_share, "templated": self.templated, "commonest": self.commonest,
                "shared_openings": self.shared}  # fmt: skip


def skeleton(text: str) -> str:
    """`text` with its content left out: function words, <num>, <name>, and `_` for any run of other words."""
    tokens: list[str] = []
    for word in masked_words(text):
        token = word if word in FUNCTION_WORDS or word in (NUM, NAME) else "_"
        if not (token == "_" and tokens and tokens[-1] == "_"):
            tokens.append(token)
    return " ".join(tokens)


def opening(text: str) -> str:
    return " ".join(skeleton(text).split()[:OPENING])


def measure(prompts: list[str], path: str = "", benchmarks: dict[str, list[str]] | None = None,
            seed: int = 0) -> Diversity:  # fmt: skip
    """The diversity of `prompts`; with `benchmarks` (name -> item inputs), how many of each open as they do."""
    if not prompts:
        raise LocoError(f"{path or 'the data'}: no prompts to measure")
    rng = random.Random(seed)
    draws = WINDOWS if len(prompts) > WINDOW else 1
    windows = [rng.sample(prompts, min(WINDOW, len(prompts))) for _ in range(draws)]
    per_100 = lambda count, window: 100 * count / len(window)  # noqa: E731
    skeletons = [per_100(len({skeleton(p) for p in w}), w) for w in windows]
    openings = [per_100(len({opening(p) for p in w}), w) for w in windows]
    grams = [_distinct_4grams(w) for w in windows]
    every = Counter(opening(p) for p in prompts)
    shared = {
        name: sum(opening(item) in every for item in items) / len(items)
        for name, items in (benchmarks or {}).items()
        if items
    }
    return Diversity(
        path=path, prompts=len(prompts), skeletons=_mean(skeletons), openings=_mean(openings),
        distinct_4grams=_mean(grams), top_share=sum(n for _, n in every.most_common(TOP)) / len(prompts),
        commonest=every.most_common(5), shared=shared,
    )  # fmt: skip


def _distinct_4grams(window: list[str]) -> float:
    seen, total = set(), 0
    for prompt in window:
        words = masked_words(prompt)
        fours = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
        seen.update(fours)
        total += len(fours)
    return len(seen) / total if total else 1.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def read_prompts(path: str | Path) -> list[str]:
    """The first user turn of every example of a dataset (a directory with train.jsonl, or a .jsonl file), or
    every item's input of a benchmark file (lines with "input" and "expected")."""
    from loco_mlx.data.datasets import load_dataset

    given = str(path)
    if Path(given).is_file() and _is_benchmark(Path(given)):
        return [probe.text for probe in read_probes(given)]
    dataset = load_dataset(given, valid_fraction=0.0)
    return [texts[0] for texts in map(user_texts, dataset.train + dataset.valid) if texts]


def _is_benchmark(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.strip():
                try:
                    first = json.loads(line)
                except ValueError:
                    return False
                return isinstance(first, dict) and "expected" in first and "input" in first
    return False


def check_diversity(path: str, benchmarks: list[str] | None = None) -> Diversity:
    """`loco data check-diversity PATH [--benchmark FILE ...]`."""
    return measure(read_prompts(path), path, {b: read_prompts(b) for b in benchmarks or []})


def training_diversity(examples: list, data: str) -> Diversity | None:
    """What `loco train` prints: the task's own training examples, against the benchmarks kept beside them
    (any .jsonl of the data directory with "input" and "expected" lines); None when no prompt has a user turn."""
    prompts = [texts[0] for texts in map(user_texts, examples) if texts]
    if not prompts:
        return None
    folder = Path(data).expanduser()
    beside = sorted(p for p in folder.glob("*.jsonl") if _is_benchmark(p)) if folder.is_dir() else []
    return measure(prompts, data, {str(p): read_prompts(p) for p in beside})
