"""Program-style math shapes, part B: averages, remainders, comparisons, money with cents, time.

Each shape draws its numbers, words and sentence order from `rng`, writes the question, and builds
the reply with `Program` (math_programs.py); the sample it returns is verified when drawn.
"""

from __future__ import annotations

from loco_mlx.data.synth.common import render
from loco_mlx.data.synth.math_programs import Program, shape
from loco_mlx.data.synth.math_words import NAMES


@shape("average-scores", "averages")
def _average_scores(rng):
    p = Program()
    name = rng.choice(NAMES)
    scores = [rng.randint(50, 100) for _ in range(3)]
    scores[2] += (-sum(scores)) % 3 if scores[2] + (-sum(scores)) % 3 <= 100 else -(sum(scores) % 3)
    for i, s in enumerate(scores, 1):
        p.given(f"test_{i}", s)
    p.let("total", "test_1 + test_2 + test_3")
    p.let("average", "total // 3")
    question = render(
        rng,
        "{n} [scored|got] {a}, {b} and {c} on three [tests|quizzes]. What is {n}'s [average|mean] score?",
        n=name,
        a=scores[0],
        b=scores[1],
        c=scores[2],
    )
    return p.sample(question, "average")
