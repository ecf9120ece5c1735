"""Program-style math shapes, part A: counting, multi-step, rates, unit conversions, percentages, fractions.

Each shape draws its numbers, words and sentence order from `rng`, writes the question, and builds
the reply with `Program` (math_programs.py); the sample it returns is verified when drawn.
"""

from __future__ import annotations

from loco_mlx.data.synth.common import render
from loco_mlx.data.synth.math_programs import Program, shape
from loco_mlx.data.synth.math_words import NAMES


@shape("shop-two-items", "multi-step")
def _shop_two_items(rng):
    p = Program()
    name = rng.choice(NAMES)
    pens, pen_price = rng.randint(2, 9), rng.randint(2, 15)
    books, book_price = rng.randint(2, 5), rng.randint(8, 40)
    p.given("pens", pens)
    p.given("pen_price", pen_price)
    p.given("books", books)
    p.given("book_price", book_price)
    p.let("pen_cost", "pens * pen_price")
    p.let("book_cost", "books * book_price")
    p.let("total", "pen_cost + book_cost")
    facts = [
        render(rng, "{n} [buys|picks up|orders] {pens} pens at ${pp} [each|apiece].", n=name, pens=pens, pp=pen_price),
        render(
            rng,
            "[{n} also gets|There are also] {books} books [costing|at|priced at] ${bp} each.",
            n=name,
            books=books,
            bp=book_price,
        ),
    ]
    question = " ".join(facts) + render(
        rng, " [How much does {n} spend in all|What is the total cost], in dollars?", n=name
    )
    return p.sample(question, "total")
