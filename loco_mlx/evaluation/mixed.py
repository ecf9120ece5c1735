"""Both sides of a benchmark in one batch: the base's and the adapter's answers decoded together.

The MLX batched decoder (inference/batching.py) gives each row its own adapter or none, so the
base and the adapter need not answer in turn: every item goes in twice, once per side, and the
rows decode side by side, 2 x batch_size at a time. Measured on a 2-core CPU (scripts/bench_eval.py,
16 json items, 64 tokens): 1.45x the two sides in turn at batch_size rows each, and 1.34x them at
2 x batch_size rows each (a CPU step costs about its rows; the gain is likely the continuous
batch refilling finished rows and the base rows skipping the LoRA update), every reply identical. On
Metal, where a step is bound by reading the weights, a wider batch costs little more per step.

Only plain answers mix: a tool adapter's programs run one item at a time and votes are their
own batches (answer_items); anything else, and every backend without a batched decoder, answers
side after side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loco_mlx.evaluation.benchmarks import BenchmarkItem
from loco_mlx.inference.engine import Answer, Engine

if TYPE_CHECKING:
    from loco_mlx.evaluation.gate import EvalSettings


def can_mix(engine: Engine, adapter: str, votes: int) -> bool:
    """Whether base and `adapter` can answer in one batch on this engine."""
    plain = votes == 1 and engine.answers_with_tool(adapter) is None
    return plain and hasattr(engine.backend, "batch_decoder")


def mixed_answers(engine: Engine, adapter: str, items: list[BenchmarkItem], settings: EvalSettings,
                  progress=None) -> tuple[list[Answer], list[Answer]]:  # fmt: skip
    """(base answers, adapter answers) to `items`, decoded in one continuous batch of 2 x settings.batch_size
    rows. The engine's active adapter is left as it was."""
    from loco_mlx.inference.batching import BatchRequest, BatchSettings

    sampling, inference = settings.sampling(), settings.inference()
    prompts = [engine.prepare_prompt(item.messages(), sampling, inference) for item in items]
    previous = engine.adapter
    engine.use_adapter(adapter)  # loads it into the pool, where the rows find it
    try:
        decoder = engine.backend.batch_decoder(BatchSettings(max_batch=2 * settings.batch_size))
        # each item's two rows side by side, so both sides of the first items finish first
        # a JSON request that names its keys is guided on each side: the request read once, a copy per side
        # (a JSON adapter guides more requests than the base: each side's own guide)
        guides = [{side: engine.json_guide(item.messages(), inference, adapter=side) for side in (None, adapter)}
                  for item in items]  # fmt: skip
        handles = [
            (decoder.submit(BatchRequest(ids, side, fitted, guide=sides[side])), sides[side])
            for sides, (ids, fitted) in zip(guides, prompts)
            for side in (None, adapter)
        ]
        texts = []
        for handle, guide in handles:
            text = handle.result()  # drives the decoder until this row is done
            rewriter = guide.rewriter() if guide else None  # dates, times, numbers (json_formats.py)
            texts.append(rewriter.rewrite(text) if rewriter else text)
            if progress is not None and len(texts) % 2 == 0:
                progress(1)
    finally:
        engine.use_adapter(previous)
    return [Answer(t) for t in texts[0::2]], [Answer(t) for t in texts[1::2]]
