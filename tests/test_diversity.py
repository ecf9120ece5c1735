"""`loco data check-diversity` and the line `loco train` prints: a tiny templated set is called templated, a tiny
set of requests worded each its own way is not, and a benchmark drawn from the training templates is flagged."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loco_mlx.data.diversity import check_diversity, measure, skeleton
from loco_mlx.errors import LocoError

NAMES = ["Maria", "Tom", "Aiko", "Samir", "Lena", "Paul", "Ines", "Kofi"]
THINGS = ["apples", "stickers", "marbles", "pencils", "cookies"]


def templated(count: int, offset: int = 0) -> list[str]:
    """Prompts from two sentence templates, filled with names, numbers and nouns."""
    fills = itertools.islice(itertools.product(NAMES, THINGS, range(3, 9)), offset, offset + count)
    out = []
    for i, (name, thing, n) in enumerate(fills):
        if i % 2:
            out.append(f"{name} has {n * 4} {thing} and gives {n} to a friend. How many {thing} are left?")
        else:
            out.append(f"Convert the following into JSON with keys name and count: {name} bought {n} {thing}.")
    return out


VARIED = [
    "My rent went up from 950 to 1020 a month, what's that as a percent increase?",
    "Can you pull the flight number and departure time out of this email and give me JSON?",
    "I need a function called clamp(x, lo, hi) that keeps x inside the range.",
    "python: def chunk(xs, n) -> list of lists of size n",
    "Three friends split a 64 dollar pizza bill evenly; how much does each pay?",
    "Here's a receipt line: 2 x Oat milk @ 3.49. Return product, quantity and unit_price.",
    "How would I write word_count(s) so it ignores punctuation?",
    "We drove 310 km on 24 litres. Fuel economy in km per litre?",
    "Give me a JSON object with title, author and year for: Dune by Frank Herbert (1965).",
    "I'm building a budgeting app and want to round amounts to cents; could you write round_cents(x)?",
    "Extract the person's name, age and city as JSON: Ana Souza, 41, lives in Porto.",
    "What's 15% of 240?",
    "Write something that reverses the words in a sentence but keeps the punctuation.",
    "The train leaves at 07:45 and arrives at 10:20. How long is the trip in minutes?",
    "Turn this signature into JSON (fields: full_name, company, phone): Jo Park | Acme Ltd | 555-0102",
    "Spec: Function is_leap(year). Input: an int. Output: True for leap years.",
    "If a recipe for 4 needs 300 g of flour, how much for 10 people?",
    "Please parse 'Event: Jazz Night, 2024-05-03, Blue Note' into event, date and venue keys.",
    "Could you code a binary search that returns -1 when the value is missing?",
    "A tank holds 60 litres and leaks 1.5 litres an hour. When is it empty?",
    "Return only JSON. Keys: sku, inStock. Text: SKU 88-A is sold out.",
    "Need a quick helper, dedupe(xs), keeping the first occurrence order.",
    "Average of 82, 91 and 77, please.",
    "From the table row | Lisbon | 545000 | Portugal | make city, population, country.",
    "Is 221 prime? Explain briefly.",
    "Implement merge_intervals(pairs) for a calendar app that merges overlapping meetings.",
    "A shirt is 40 dollars after a 20 percent discount. What was the original price?",
    "Name, email and role from: 'Hi, I'm Dev Patel (dev@ex.io), the new QA lead.' as JSON.",
    "Why does my function return None instead of the list? def f(x): x.sort()",
    "Sam walks 4 km in 50 minutes. At that pace how far in 2 hours?",
]


def test_a_skeleton_keeps_the_template_and_drops_what_fills_it():
    first, second = templated(4)[1], templated(4)[3]
    assert first != second and skeleton(first) == skeleton(second)
    assert "<num>" in skeleton(first) and "apples" not in skeleton(first)
    assert skeleton(VARIED[0]) != skeleton(VARIED[5])


def test_a_tiny_templated_set_is_templated_and_a_varied_one_is_not():
    narrow = measure(templated(40), "narrow")
    assert narrow.templated and narrow.openings <= 10 and narrow.top_share == 1.0
    assert narrow.warnings() and "templated" in narrow.summary()
    wide = measure(VARIED, "wide")
    assert not wide.templated and wide.openings >= 90 and wide.distinct_4grams > 0.9
    assert wide.warnings() == [] and wide.summary().startswith("diversity: varied: ")


def test_a_benchmark_from_the_training_templates_is_flagged_and_one_written_apart_is_not():
    result = measure(templated(40), "train", {"generated": templated(10, offset=200), "written": VARIED[:20]})
    assert result.shared == {"generated": 1.0, "written": 0.0}
    [_, shared] = result.warnings()
    assert shared.startswith("100% of generated's items open as training prompts do")


def test_no_prompts_is_an_error_that_names_the_data():
    with pytest.raises(LocoError, match="empty.jsonl: no prompts to measure"):
        measure([], "empty.jsonl")


def write_chat(path: Path, prompts: list[str]) -> None:
    rows = [{"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": "ok"}]} for p in prompts]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def write_benchmark(path: Path, prompts: list[str]) -> None:
    rows = [{"id": str(i), "input": p, "expected": "x", "scorer": "contains"} for i, p in enumerate(prompts)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_the_cli_reports_a_directory_and_reads_benchmarks_as_well_as_training_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_chat(data / "train.jsonl", templated(40))
    write_benchmark(data / "benchmark.jsonl", templated(10, offset=200))
    assert check_diversity(str(data / "benchmark.jsonl")).prompts == 10  # a benchmark file is measured too

    def loco(*args):
        return subprocess.run([sys.executable, "-m", "loco_mlx", "data", "check-diversity", *args],
                              capture_output=True, text=True, env=os.environ.copy())  # fmt: skip

    run = loco(str(data), "--benchmark", str(data / "benchmark.jsonl"))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{data}: 40 prompts")
    assert "verdict: templated" in run.stdout and "benchmark.jsonl: items opening as the data  100%" in run.stdout
    assert run.stdout.count("warning: ") == 2
    numbers = json.loads(loco(str(data), "--json").stdout)
    assert numbers["templated"] is True and numbers["prompts"] == 40
    missing = loco(str(tmp_path / "nope"))
    assert missing.returncode == 1 and missing.stderr.strip().endswith("nope: no such file or directory")


def test_loco_train_reports_the_task_prompts_against_the_benchmarks_beside_them(tmp_path):
    """report_diversity is what `loco train` calls after its opening line (the replay is other tasks' prompts)."""
    from loco_mlx.data.datasets import load_dataset
    from loco_mlx.train.config import TrainConfig
    from loco_mlx.train.run import report_diversity

    write_chat(tmp_path / "train.jsonl", templated(40))
    write_benchmark(tmp_path / "benchmark.jsonl", templated(10, offset=200))
    write_chat(tmp_path / "replay.jsonl", VARIED)
    dataset = load_dataset(tmp_path)
    dataset.train += load_dataset(tmp_path / "replay.jsonl", valid_fraction=0).train

    class Lines:
        lines: list[str] = []

        def message(self, text: str) -> None:
            self.lines.append(text)

    reporter = Lines()
    report_diversity(TrainConfig(data=str(tmp_path), replay=[str(tmp_path / "replay.jsonl")]), dataset, reporter)
    summary, *warnings = reporter.lines
    assert summary.startswith("diversity: templated: ") and "benchmark.jsonl 100%" in summary
    assert len(warnings) == 2 and all(w.endswith(f"(details: loco data check-diversity {tmp_path})") for w in warnings)
