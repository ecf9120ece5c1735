"""What checking sampled functions against a request's stated examples adds: greedy, best-of-N by
likelihood, and best-of-N by stated examples, on a code benchmark.

For every item the adapter answers once greedily and samples `--votes` functions at `--vote-temp`
(0.7, as votes do); each is scored against the item's tests (`code_exec`, as `loco eval` scores it). Then the
reply each way of choosing would return: the greedy one; the likeliest sample (what votes on code
returned before examples were checked); the sample that gets most of the request's stated examples
right in the sandbox (code_examples.py); and the same with the greedy reply among the candidates,
which is what `--votes N` on a code request does. "Any sample right" is the ceiling every choice is under. Items
whose request states no example are reported apart: there the vote falls back to likelihood. A second table
says how far the line `loco generate` prints under a greedy reply ("checked on the 2 examples the request
states: all right") can be trusted: the greedy reply's tests passed, by what that check said. `--votes 0`
prints only that table.

    python scripts/bench_code_votes.py --adapter adapters/code --benchmark data/code/benchmark.jsonl --votes 5

`--benchmark` may also be a file of written code requests (`request`, `solution`, `tests`, as in
data/code-written/written.jsonl): its requests that state an example are the items, scored on their
tests. That is the development set the vote's settings were chosen on:

    python scripts/bench_code_votes.py --adapter adapters/code --benchmark data/code-written/written.jsonl
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import replace
from pathlib import Path

from bench_votes import open_bench  # scripts/ is on the path when a script in it runs


def read_items(path: Path) -> list:
    """A benchmark's items, or a written file's requests that state an example, as benchmark items."""
    from loco_mlx.evaluation.benchmarks import BenchmarkItem, read_benchmark
    from loco_mlx.inference.code_examples import stated_examples

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or "request" not in rows[0]:
        return read_benchmark(path).items
    stating = [row for row in rows if stated_examples(row["request"])]
    return [BenchmarkItem(f"written-{i}", row["request"], row["tests"], "code_exec") for i, row in enumerate(stating)]


def main() -> None:
    args, items, engine = open_bench(__doc__.splitlines()[0], vote_temperature=True, read=read_items)

    from loco_mlx.evaluation.scorers import code_exec
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.code_examples import checkable_examples, run_examples
    from loco_mlx.inference.engine import InferenceConfig
    from loco_mlx.inference.voting import Sample, by_examples

    engine.use_adapter(args.adapter.name)
    greedy_sampling = SamplingConfig(max_tokens=args.max_tokens, temperature=0)
    inference = InferenceConfig()

    def right(item, sample: Sample) -> bool:
        return code_exec.score(sample.text, item.expected, {**code_exec.DEFAULTS, **item.options}).passed

    rows = {"greedy": [], "likeliest sample": [], "stated examples": [], "stated examples, greedy included": []}
    ceiling, stated, said, start = [], [], [], time.perf_counter()
    for item in items:
        messages = [{"role": "user", "content": item.input}]
        prompt_ids, sampling = engine.prepare_prompt(messages, greedy_sampling, inference)
        greedy = engine.generate_batch([prompt_ids], sampling)[0]
        check = engine.example_check(messages, greedy.text)
        said.append("nothing checked" if check is None else "all right" if check.right == len(check.outcomes)
                    else "some wrong")  # fmt: skip
        hot = engine.generate_batch([prompt_ids] * args.votes, replace(sampling, temperature=args.vote_temp))
        passed = {id(s): right(item, s) for s in [greedy, *hot]}
        examples = checkable_examples(item.input, engine.tools)
        stated.append(bool(examples))
        ceiling.append(any(passed.values()))
        rows["greedy"].append(passed[id(greedy)])
        if not hot:
            continue
        rows["likeliest sample"].append(passed[id(max(hot, key=lambda s: s.mean_logprob))])
        for name, pool in (("stated examples", hot), ("stated examples, greedy included", [greedy, *hot])):
            if examples:
                chosen = by_examples(pool, run_examples([s.text for s in pool], examples, engine.tools)).text
            else:
                chosen = max(pool, key=lambda s: s.mean_logprob).text
            rows[name].append(passed[id(next(s for s in pool if s.text == chosen))])
    seconds = time.perf_counter() - start

    with_examples = [i for i, s in enumerate(stated) if s]
    without = [i for i, s in enumerate(stated) if not s]
    print(f"{args.adapter} on {args.benchmark.name}, {len(items)} items ({len(with_examples)} state examples); "
          f"{platform.machine()}, {engine.backend_name}, {args.votes} samples at {args.vote_temp}, "
          f"up to {args.max_tokens} tokens, {seconds / len(items):.1f} s/item")  # fmt: skip

    def share(flags: list[bool], subset: list[int]) -> str:
        return f"{sum(flags[i] for i in subset) / len(subset):.3f}" if subset else "-"

    everything = list(range(len(items)))
    if args.votes:
        print("| reply returned | all items | items stating examples | items stating none |")
        print("|---|---:|---:|---:|")
        for name, flags in [*rows.items(), (f"any of the {args.votes + 1} right (ceiling)", ceiling)]:
            print(f"| {name} | {share(flags, everything)} | {share(flags, with_examples)} | {share(flags, without)} |")
    print("\n| the check under the greedy reply said | items | its tests passed |")
    print("|---|---:|---:|")
    for verdict in ("all right", "some wrong", "nothing checked"):
        subset = [i for i, v in enumerate(said) if v == verdict]
        print(f"| {verdict} | {len(subset)} | {share(rows['greedy'], subset)} |")


if __name__ == "__main__":
    main()
