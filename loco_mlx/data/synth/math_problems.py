"""Multi-step arithmetic word problems (2-3 steps of + - * and exact division), answers computed.

The reply is the working, one binary operation per sentence ("12 * 4 = 48."), then
"The answer is N.". Difficulty: easy for 2 steps on small numbers, medium for 2 steps on large
numbers or 3 on small, hard for 3 steps on large numbers. Each template draws small or large
numbers itself, so every template appears at more than one tier.
"""

from __future__ import annotations

import random
import re
from typing import Callable

from loco_mlx.data.synth.common import DIFFICULTIES, Domain, Sample, Template, render
from loco_mlx.errors import LocoError

NAMES = ("Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam", "Mina",
         "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wei", "Yusuf", "Zoe", "Aiko",
         "Bruno", "Carmen", "Diego", "Elif", "Femi", "Hana", "Ivan", "Jada", "Kofi", "Leila", "Mateo", "Nia",
         "Omar", "Priya")  # fmt: skip
THINGS = ("marbles", "stickers", "pencils", "shells", "stamps", "cards", "beads", "buttons", "crayons", "coins",
          "balloons", "toy cars", "paper cranes", "keychains", "postcards", "badges", "rocks", "feathers")  # fmt: skip
TREATS = ("cookies", "muffins", "cupcakes", "brownies", "bread rolls", "donuts", "pretzels", "scones")
FRUITS = ("apples", "pears", "mangoes", "lemons", "peaches", "kiwis", "oranges", "bananas", "plums", "melons")
GOODS = ("notebooks", "pens", "mugs", "candles", "sandwiches", "comic books", "plant pots", "water bottles",
         "puzzles", "scarves", "bus tickets", "paintbrushes")  # fmt: skip
GIFTS = ("video game", "pair of shoes", "jacket", "board game", "bike helmet", "backpack", "watch", "skateboard",
         "guitar", "tent")  # fmt: skip
FLOWERS = ("tulips", "roses", "daisies", "sunflowers", "lilies", "daffodils")
PARTS = ("bolts", "bottles", "toys", "chairs", "bricks", "cans", "tiles", "boxes")
EXPENSES = ("books", "lunch", "a gift", "bus fares", "snacks", "a new game", "art supplies", "a haircut", "socks")
WORD_NUMBERS = {"twice": 2, "half": 2, "dozen": 12}  # numbers the questions spell out in words
_STEP = re.compile(r"(\d+) ([-+*/]) (\d+) = (\d+)\.")

TEMPLATES: list[Template] = []


class Working:
    """The reply's steps, each computed here: a template cannot write a wrong line."""

    def __init__(self, big: bool) -> None:
        self.big = big
        self.steps: list[str] = []
        self.result = 0

    def op(self, a: int, sym: str, b: int) -> int:
        if sym == "/" and (b == 0 or a % b):
            raise LocoError(f"inexact division {a} / {b}")
        result = {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0}[sym]
        if result < 0:
            raise LocoError(f"negative result {a} {sym} {b} = {result}")
        self.steps.append(f"{a} {sym} {b} = {result}.")
        self.result = result
        return result

    def sample(self, question: str) -> Sample:
        tier = min(len(self.steps) - 2 + self.big, 2)
        reply = " ".join(self.steps) + f" The answer is {self.result}."
        return Sample(question, reply, self.result, DIFFICULTIES[tier])


def _template(slug: str, steps: int) -> Callable:
    def register(make: Callable[[random.Random], Sample]) -> Callable:
        TEMPLATES.append(Template(slug, f"{steps}-step", make))
        return make

    return register


def _n(rng: random.Random, big: bool, small: tuple[int, int], large: tuple[int, int]) -> int:
    return rng.randint(*(large if big else small))


def _names(rng: random.Random, k: int) -> list[str]:
    return rng.sample(NAMES, k)


def _start(rng: random.Random) -> tuple[bool, Working]:
    big = rng.random() < 0.5
    return big, Working(big)


# --- templates: 2 steps --------------------------------------------------------------------------


@_template("gain-lose", 2)
def _gain_lose(rng):
    big, w = _start(rng)
    a, b = _n(rng, big, (5, 40), (50, 500)), _n(rng, big, (2, 30), (20, 300))
    c = rng.randint(1, a + b - 1)
    w.op(w.op(a, "+", b), "-", c)
    return w.sample(render(
        rng, "{n} [has|owns|keeps|starts the day with] {a} {t}. [Then|Later|After that|At lunch|In the afternoon],"
        " {n} [gets|receives|finds|is given|wins] {b} more[ from a friend| at a fair|] and "
        "[then|afterwards|later|after that] [gives away|loses|trades away|donates|sells] {c}. [How many {t} "
        "does {n} have now|How many {t} does {n} have left|How many {t} are left with {n}|What is the number "
        "of {t} {n} has at the end]?",
        n=_names(rng, 1)[0], t=rng.choice(THINGS), a=a, b=b, c=c))  # fmt: skip


@_template("boxes-loose", 2)
def _boxes_loose(rng):
    big, w = _start(rng)
    k, b, a = _n(rng, big, (2, 9), (10, 40)), _n(rng, big, (3, 12), (12, 60)), _n(rng, big, (1, 20), (10, 200))
    w.op(w.op(k, "*", b), "+", a)
    return w.sample(render(
        rng, "[There are|A shop has|{n} has|On the table there are|The storeroom holds] {k} "
        "[boxes|bags|crates|packs|tins] of {t} [with|holding|containing] {b} {t} [in each|each|apiece], "
        "[plus|and also|as well as] {a} loose {t}. [How many {t} are there in total|How many {t} are there "
        "altogether|What is the total number of {t}|Counting everything, how many {t} are there]?",
        n=_names(rng, 1)[0], t=rng.choice(THINGS), k=k, b=b, a=a))  # fmt: skip


@_template("share-left", 2)
def _share_left(rng):
    big, w = _start(rng)
    k, per = _n(rng, big, (2, 8), (3, 12)), _n(rng, big, (3, 15), (15, 80))
    c = rng.randint(1, per - 1)
    w.op(w.op(k * per, "/", k), "-", c)
    return w.sample(render(
        rng, "{n} [shares|splits|divides|hands out] {total} {t} equally [among|between] {k} "
        "[friends|classmates|cousins|teammates]. [Each of them|Every one of them|Each one] then [loses|gives "
        "away|trades away|misplaces] {c}[ of them|]. How many {t} does each [one|person|of them] have "
        "[left|now]?",
        n=_names(rng, 1)[0], t=rng.choice(THINGS), total=k * per, k=k, c=c))  # fmt: skip


@_template("change", 2)
def _change(rng):
    big, w = _start(rng)
    k, p = _n(rng, big, (2, 6), (5, 20)), _n(rng, big, (2, 9), (5, 30))
    cost = k * p
    bill = next(b for b in (10, 20, 50, 100, 200, 500, 1000) if b > cost)
    w.op(bill, "-", w.op(k, "*", p))
    return w.sample(render(
        rng, "{n} [buys|picks up|orders|gets] {k} {g} [that cost|priced at|at|for] ${p} each and [pays with|hands "
        "over|gives the cashier] ${bill}. [How much change does {n} get|How much change should {n} "
        "receive|What change does {n} get back][, in dollars|]?",
        n=_names(rng, 1)[0], g=rng.choice(GOODS), k=k, p=p, bill=bill))  # fmt: skip


@_template("save-spend", 2)
def _save_spend(rng):
    big, w = _start(rng)
    s, weeks = _n(rng, big, (2, 15), (15, 90)), _n(rng, big, (2, 10), (8, 52))
    x = rng.randint(1, s * weeks - 1)
    w.op(w.op(s, "*", weeks), "-", x)
    return w.sample(render(
        rng, "[Every|Each] week, {n} [saves|puts aside|sets aside|keeps] ${s}[ from a part-time job| of pocket "
        "money|]. After {weeks} weeks, {n} [spends|uses] ${x} [on|to buy] a {gift}. [How many dollars does "
        "{n} have left|How much money, in dollars, is left|What amount in dollars remains]?",
        n=_names(rng, 1)[0], gift=rng.choice(GIFTS), s=s, weeks=weeks, x=x))  # fmt: skip


@_template("pages-left", 2)
def _pages_left(rng):
    big, w = _start(rng)
    r, d = _n(rng, big, (3, 15), (15, 60)), _n(rng, big, (2, 9), (5, 30))
    pages = r * d + _n(rng, big, (1, 50), (10, 300))
    w.op(pages, "-", w.op(r, "*", d))
    return w.sample(render(
        rng, "[A|The] [book|novel|comic collection|textbook|guide|story collection] has {pages} pages. {n} reads "
        "{r} pages [a|each|every|per] day [for|during] {d} days[ in a row|]. [How many pages are left to "
        "read|How many pages does {n} still have to read|How many pages remain unread]?",
        n=_names(rng, 1)[0], pages=pages, r=r, d=d))  # fmt: skip


@_template("times-as-many", 2)
def _times_as_many(rng):
    big, w = _start(rng)
    a, k = _n(rng, big, (2, 20), (15, 150)), _n(rng, big, (2, 5), (3, 9))
    w.op(a, "+", w.op(a, "*", k))
    n1, n2 = _names(rng, 2)
    return w.sample(render(
        rng, "{n1} [has|owns|keeps] {a} {t}. {n2} has {k} times as many[ {t}|] [as {n1}|as {n1} does]. [How many "
        "{t} do they have together|How many {t} do {n1} and {n2} have in total|How many {t} do the two of "
        "them have altogether|What is their combined number of {t}]?",
        n1=n1, n2=n2, t=rng.choice(THINGS), a=a, k=k))  # fmt: skip


@_template("rows-seated", 2)
def _rows_seated(rng):
    big, w = _start(rng)
    r, c = _n(rng, big, (3, 10), (10, 40)), _n(rng, big, (4, 12), (10, 50))
    e = rng.randint(1, r * c - 1)
    w.op(w.op(r, "*", c), "-", e)
    return w.sample(render(
        rng, "A [hall|theater|school gym|church|lecture room|cinema] has {r} rows [with {c} seats in each row|of "
        "{c} seats|and every row has {c} seats]. [For|During|At] [a concert|a play|a talk|the meeting|a film "
        "night], [every seat is filled except {e}|all seats but {e} are taken|{e} seats stay empty and the "
        "rest are taken]. [How many people are sitting|How many seats are taken|How many people are seated]?",
        r=r, c=c, e=e))  # fmt: skip


@_template("bake-bags", 2)
def _bake_bags(rng):
    big, w = _start(rng)
    k, bags = _n(rng, big, (2, 8), (6, 24)), _n(rng, big, (3, 12), (10, 60))
    s = rng.randint(1, bags - 1)
    w.op(w.op(k * bags, "/", k), "-", s)
    n = _names(rng, 1)[0]
    return w.sample(render(
        rng, "{n} [bakes|makes] {total} {t} [and packs them into bags of {k}|and puts them in bags of {k} each|and"
        " fills bags with {k} each]. {n} [sells|gives away|hands out] {s} [bags|of the bags][ at the fair| to"
        " neighbors| at school|]. How many [full |]bags [are left|remain|does {n} still have]?",
        n=n, t=rng.choice(TREATS), total=k * bags, k=k, s=s))  # fmt: skip


@_template("drive-walk", 2)
def _drive_walk(rng):
    big, w = _start(rng)
    s, h, walk = 5 * _n(rng, big, (4, 12), (8, 24)), _n(rng, big, (2, 5), (3, 9)), _n(rng, big, (1, 9), (5, 40))
    w.op(w.op(s, "*", h), "+", walk)
    return w.sample(render(
        rng, "{n} [drives|rides a bus|takes a coach|travels by car] at {s} km [per|an|each] hour for {h} hours[, "
        "and then|, then|. After that, {n}] [walks|cycles|jogs] {walk} km. [How many km does {n} travel in "
        "total|What distance does {n} cover altogether, in km|How far does {n} go in all, in km]?",
        n=_names(rng, 1)[0], s=s, h=h, walk=walk))  # fmt: skip


@_template("earn-spend-spend", 2)
def _earn_spend(rng):
    big, w = _start(rng)
    x, y = _n(rng, big, (2, 20), (20, 200)), _n(rng, big, (2, 20), (20, 200))
    earned = x + y + _n(rng, big, (1, 30), (10, 300))
    w.op(w.op(earned, "-", x), "-", y)
    e1, e2 = rng.sample(EXPENSES, 2)
    return w.sample(render(
        rng, "{n} earns ${earned} [this week|from a summer job|selling crafts|walking dogs|babysitting|mowing "
        "lawns]. {n} [spends|pays] ${x} [on|for] {e1} and ${y} [on|for] {e2}. [How many dollars are left|How "
        "many dollars does {n} have left|How much money is left, in dollars]?",
        n=_names(rng, 1)[0], earned=earned, x=x, y=y, e1=e1, e2=e2))  # fmt: skip


@_template("class-groups", 2)
def _class_groups(rng):
    big, w = _start(rng)
    c, s = _n(rng, big, (2, 6), (4, 12)), _n(rng, big, (10, 30), (20, 35))
    g = rng.choice([d for d in range(3, 16) if (c * s) % d == 0] or [c])
    w.op(w.op(c, "*", s), "/", g)
    return w.sample(render(
        rng, "[A school|The school|A summer camp] has {c} classes [with|of] {s} students [in each class|each|per "
        "class]. For a [field trip|sports day|museum visit|science fair|beach day], [the students are put "
        "into groups of {g}|the teachers split all the students into groups of {g}|everyone is sorted into "
        "groups of {g}]. [How many groups are there|How many groups are made|How many groups do they form]?",
        c=c, s=s, g=g))  # fmt: skip


@_template("pizza-share", 2)
def _pizza_share(rng):
    big, w = _start(rng)
    p, k = _n(rng, big, (2, 6), (5, 20)), rng.choice((6, 8, 10, 12))
    f = rng.choice([d for d in range(2, 25) if (p * k) % d == 0 and d not in (p, k)] or [2])
    w.op(w.op(p, "*", k), "/", f)
    return w.sample(render(
        rng, "{n} [orders|buys|bakes] {p} [pizzas|pies|flatbreads|tarts], and each one is [cut|sliced] into {k} "
        "{unit}. [The {unit}|All the {unit}|They] are shared equally [among|between] {f} people. How many "
        "{unit} does each person [get|receive|eat]?",
        n=_names(rng, 1)[0], unit=rng.choice(("slices", "pieces")), p=p, k=k, f=f))  # fmt: skip


@_template("album-fill", 2)
def _album_fill(rng):
    big, w = _start(rng)
    pages, k = _n(rng, big, (5, 20), (20, 80)), _n(rng, big, (4, 12), (6, 24))
    d = rng.randint(1, pages * k - 1)
    w.op(w.op(pages, "*", k), "-", d)
    return w.sample(render(
        rng, "[A|The|{n}'s] {kind} album has {pages} pages, and each page [holds|has room for|fits] {k} {kind}s. "
        "{n} has already [put in|placed|stuck in|added] {d}[ {kind}s|]. How many more {kind}s does {n} need "
        "to [fill the album|fill it|complete the album]?",
        n=_names(rng, 1)[0], kind=rng.choice(("sticker", "stamp", "photo", "card")), pages=pages, k=k,
        d=d))  # fmt: skip


@_template("tank-minutes", 2)
def _tank_minutes(rng):
    big, w = _start(rng)
    r, minutes = _n(rng, big, (2, 10), (5, 40)), _n(rng, big, (3, 20), (10, 60))
    water = _n(rng, big, (1, 30), (20, 500))
    total = water + r * minutes
    w.op(w.op(total, "-", water), "/", r)
    return w.sample(render(
        rng, "A [tank|barrel|pool|water trough] [holds|can hold|has room for] {total} liters[ of water|] and "
        "already [contains|has] {water} liters[ in it|]. A [hose|pipe|pump] adds {r} liters [per|every|each] "
        "minute. [How many minutes until it is full|How many minutes does it take to fill it|How long, in "
        "minutes, until it is full]?",
        total=total, water=water, r=r))  # fmt: skip


@_template("half-give", 2)
def _half_give(rng):
    big, w = _start(rng)
    a, b = 2 * _n(rng, big, (2, 15), (10, 200)), _n(rng, big, (1, 30), (10, 300))
    w.op(b, "+", w.op(a, "/", 2))
    n1, n2 = _names(rng, 2)
    return w.sample(render(
        rng, "{n2} has {b} {t}[ already|]. {n1} has {a} {t} and [gives|hands|passes] half of them to {n2}. [How "
        "many {t} does {n2} have now|How many {t} does {n2} end up with|What is the number of {t} {n2} has "
        "now]?",
        n1=n1, n2=n2, t=rng.choice(THINGS), a=a, b=b))  # fmt: skip


@_template("ages-half", 2)
def _ages_half(rng):
    big, w = _start(rng)
    a, k = _n(rng, big, (5, 30), (20, 60)), _n(rng, big, (2, 20), (5, 30))
    k += (a + k) % 2  # the sum must be even to halve it
    w.op(w.op(a, "+", k), "/", 2)
    n1, n2, n3 = _names(rng, 3)
    return w.sample(render(
        rng, "{n1} is {a} years old[ this year|]. {n2} is {k} years older than {n1}[ is|]. {n3} is half as old as "
        "{n2}[ is|]. [How old is {n3}|What is {n3}'s age|How many years old is {n3}]?",
        n1=n1, n2=n2, n3=n3, a=a, k=k))  # fmt: skip


@_template("factory-days", 2)
def _factory(rng):
    big, w = _start(rng)
    m, h, d = _n(rng, big, (3, 20), (15, 60)), _n(rng, big, (2, 8), (6, 10)), _n(rng, big, (2, 6), (3, 12))
    w.op(w.op(m, "*", h), "*", d)
    return w.sample(render(
        rng, "A [machine|robot|factory line|packing belt] [makes|produces|handles] {m} {p} [per|every|each|an] "
        "hour and [runs|works|operates] for {h} hours [a|each|every|per] day. How many {p} does it "
        "[make|produce|handle] in {d} days[ in total|]?",
        p=rng.choice(PARTS), m=m, h=h, d=d))  # fmt: skip


@_template("recipe-buy", 2)
def _recipe_buy(rng):
    big, w = _start(rng)
    f, b = _n(rng, big, (2, 5), (3, 9)), _n(rng, big, (2, 6), (5, 20))
    h = rng.randint(1, f * b - 1)
    w.op(w.op(f, "*", b), "-", h)
    return w.sample(render(
        rng, "A [bread|cake|pancake|cookie|muffin] recipe [needs|uses|calls for] {f} cups of flour [per|for "
        "each|for one] batch. {n} wants to [make|bake] {b} batches but [has only|only has|has just] {h} cups["
        " at home| in the cupboard|]. How many more cups [of flour |]does {n} need[ to buy|]?",
        n=_names(rng, 1)[0], f=f, b=b, h=h))  # fmt: skip


@_template("laps", 2)
def _laps(rng):
    big, w = _start(rng)
    length, k, d = rng.choice((200, 250, 300, 400, 500)), _n(rng, big, (2, 6), (3, 10)), _n(rng, big, (2, 7), (4, 14))
    w.op(w.op(length, "*", k), "*", d)
    return w.sample(render(
        rng, "A [running|school|park] track is {length} meters [long|around]. {n} runs {k} laps [every|each] day[ "
        "before school| after work|]. [How many meters does {n} run in {d} days|How far, in meters, does {n} "
        "run in {d} days|What distance in meters does {n} cover over {d} days]?",
        n=_names(rng, 1)[0], length=length, k=k, d=d))  # fmt: skip


@_template("savings-goal", 2)
def _savings_goal(rng):
    big, w = _start(rng)
    have, s, weeks = _n(rng, big, (1, 30), (20, 200)), _n(rng, big, (2, 15), (10, 60)), _n(rng, big, (2, 10), (5, 26))
    cost = have + s * weeks
    w.op(w.op(cost, "-", have), "/", s)
    return w.sample(render(
        rng, "{n} wants [a|to buy a] {gift} that costs ${cost}. {n} already has ${have}[ saved|] and [saves|puts "
        "away|adds] ${s} [each|every|per] week. [How many weeks will it take to save enough|How many weeks "
        "until {n} has enough money|After how many weeks can {n} buy it]?",
        n=_names(rng, 1)[0], gift=rng.choice(GIFTS), cost=cost, have=have, s=s))  # fmt: skip


@_template("shelves-add", 2)
def _shelves_add(rng):
    big, w = _start(rng)
    s, per, a = _n(rng, big, (2, 6), (4, 15)), _n(rng, big, (3, 12), (10, 40)), _n(rng, big, (1, 9), (5, 25))
    w.op(w.op(s * per, "/", s), "+", a)
    return w.sample(render(
        rng, "{n} [puts|arranges|stacks|places] {total} {unit} equally on {s} shelves[,|] and then adds {a} more "
        "{unit} to each shelf. How many {unit} are on each shelf [now|in the end|at the end]?",
        n=_names(rng, 1)[0], unit=rng.choice(("books", "comics", "magazines", "jars")), total=s * per, s=s,
        a=a))  # fmt: skip


@_template("train-seats", 2)
def _train_seats(rng):
    big, w = _start(rng)
    c, r, k = _n(rng, big, (2, 6), (5, 12)), _n(rng, big, (4, 10), (10, 25)), rng.choice((2, 3, 4, 5))
    w.op(w.op(r, "*", k), "*", c)
    return w.sample(render(
        rng, "[A|The|One] train has {c} {car}s. [Each|Every] {car} has {r} rows of {k} seats. [How many seats does"
        " the train have in total|How many seats are on the whole train|What is the total number of seats on "
        "the train]?",
        car=rng.choice(("car", "carriage", "coach")), c=c, r=r, k=k))  # fmt: skip


@_template("dozen-eggs", 2)
def _dozen_eggs(rng):
    big, w = _start(rng)
    d = _n(rng, big, (1, 5), (5, 30))
    u = rng.randint(1, 12 * d - 1)
    w.op(w.op(d, "*", 12), "-", u)
    return w.sample(render(
        rng, "{n} buys {d} dozen eggs[ at the market| from a farm| for the week|] and uses {u} of them [to "
        "bake|for breakfasts|for a party|in omelettes]. [How many eggs are left|How many eggs does {n} have "
        "left|How many eggs remain]?",
        n=_names(rng, 1)[0], d=d, u=u))  # fmt: skip


@_template("question-first", 2)
def _question_first(rng):
    big, w = _start(rng)
    a, c = _n(rng, big, (5, 40), (50, 500)), _n(rng, big, (2, 30), (20, 300))
    b = rng.randint(1, a - 1)
    w.op(w.op(a, "-", b), "+", c)
    return w.sample(render(
        rng, "[How many {t} does {n} have now|How many {t} does {n} end up with|How many {t} will {n} have] if {n}"
        " [starts with|begins with|first has] {a}, [gives away|loses|trades away] {b}, and then "
        "[buys|finds|wins|is given] {c} more?",
        n=_names(rng, 1)[0], t=rng.choice(THINGS), a=a, b=b, c=c))  # fmt: skip


# --- templates: 3 steps --------------------------------------------------------------------------


@_template("bus-stops", 3)
def _bus(rng):
    big, w = _start(rng)
    p, g, h = _n(rng, big, (3, 20), (20, 60)), _n(rng, big, (1, 15), (10, 40)), _n(rng, big, (1, 15), (10, 40))
    o = rng.randint(1, p + g - 1)
    w.op(w.op(w.op(p, "+", g), "-", o), "+", h)
    return w.sample(render(
        rng, "A [bus|tram|ferry|train] [leaves the station|starts its route|sets off|departs] with {p} passengers["
        " on board|]. At the first stop, {g} [people|passengers|riders] get on. At the second stop, {o} "
        "[people|passengers|riders] get off and {h} get on. [How many passengers are on board now|How many "
        "passengers are there now|How many people are riding now]?",
        p=p, g=g, o=o, h=h))  # fmt: skip


@_template("garden-vases", 3)
def _garden_vases(rng):
    big, w = _start(rng)
    r, c, v = _n(rng, big, (2, 6), (5, 15)), _n(rng, big, (4, 9), (6, 20)), _n(rng, big, (2, 4), (3, 9))
    total = r * c  # at least 2 * v, so some flowers wilt and every vase still gets one
    d = (total % v or v) + v * rng.randint(0, max(0, (total - v) // v - 2))
    f = rng.choice(FLOWERS)
    w.op(w.op(w.op(r, "*", c), "-", d), "/", v)
    return w.sample(render(
        rng, "{n} [plants|grows] {r} rows of {f} with {c} in each row. {d} of them [wilt|die|are eaten by "
        "rabbits|get trampled]. {n} [cuts|picks] the rest and [puts|arranges|shares] them equally "
        "[into|among|between] {v} vases. How many {f} [go in|end up in] each vase?",
        n=_names(rng, 1)[0], f=f, r=r, c=c, d=d, v=v))  # fmt: skip


@_template("market-bill", 3)
def _market_bill(rng):
    big, w = _start(rng)
    a, b = _n(rng, big, (2, 9), (5, 30)), _n(rng, big, (2, 9), (5, 30))
    p, q = _n(rng, big, (1, 6), (2, 15)), _n(rng, big, (1, 6), (2, 15))
    w.op(w.op(a, "*", p), "+", w.op(b, "*", q))
    f1, f2 = rng.sample(FRUITS, 2)
    return w.sample(render(
        rng, "[At the market|At a fruit stall|At the grocery store], {n} buys {a} {f1} at ${p} each and {b} {f2} "
        "at ${q} each. [How much does {n} spend in total, in dollars|What is the total cost in dollars|How "
        "many dollars does {n} pay altogether]?",
        n=_names(rng, 1)[0], f1=f1, f2=f2, a=a, b=b, p=p, q=q))  # fmt: skip


@_template("game-points", 3)
def _game_points(rng):
    big, w = _start(rng)
    x = _n(rng, big, (3, 20), (20, 150))
    y = rng.randint(1, 2 * x - 1)
    second = w.op(x, "*", 2)
    w.op(second, "+", w.op(second, "-", y))
    return w.sample(render(
        rng, "{n} scored {x} points in the first [game|match|round] and twice as many in the second[ one|]. In the"
        " third, {n} scored {y} [fewer points|points fewer] than in the second. [How many points did {n} "
        "score in the second and third together|What is {n}'s total for the second and third combined]?",
        n=_names(rng, 1)[0], x=x, y=y))  # fmt: skip


@_template("tickets", 3)
def _tickets(rng):
    big, w = _start(rng)
    a, c = _n(rng, big, (5, 15), (12, 60)), _n(rng, big, (2, 8), (5, 30))
    x, y = _n(rng, big, (2, 6), (4, 20)), _n(rng, big, (2, 6), (4, 20))  # plural "tickets" for both
    w.op(w.op(x, "*", a), "+", w.op(y, "*", c))
    return w.sample(render(
        rng, "[At the zoo, adult|For the school play, adult|At the cinema, adult|At the museum, adult|Adult] "
        "tickets cost ${a}[ each|] and child tickets cost ${c}[ each|]. [How much do {x} adult tickets and "
        "{y} child tickets cost in total, in dollars|What do {x} adult and {y} child tickets cost altogether,"
        " in dollars|A family buys {x} adult tickets and {y} child tickets. How many dollars do they pay]?",
        a=a, c=c, x=x, y=y))  # fmt: skip


@_template("wage-two-days", 3)
def _wage_two_days(rng):
    big, w = _start(rng)
    pay, h1, h2 = _n(rng, big, (5, 15), (12, 40)), _n(rng, big, (1, 6), (4, 10)), _n(rng, big, (1, 6), (4, 10))
    s = rng.randint(1, pay * (h1 + h2) - 1)
    w.op(w.op(w.op(h1, "+", h2), "*", pay), "-", s)
    return w.sample(render(
        rng, "{n} earns ${pay} [per|an|each] hour[ at a cafe| at a shop| tutoring|]. {n} works {h1} hours on "
        "[Monday|Saturday] and {h2} hours on [Tuesday|Sunday], then spends ${s} on {e}. How many dollars of "
        "this pay [does {n} have left|are left]?",
        n=_names(rng, 1)[0], pay=pay, h1=h1, h2=h2, s=s, e=rng.choice(EXPENSES)))  # fmt: skip


@_template("parking", 3)
def _parking(rng):
    big, w = _start(rng)
    levels, s = _n(rng, big, (2, 5), (4, 10)), _n(rng, big, (5, 20), (20, 80))
    c = rng.randint(1, levels * s - 2)
    d = rng.randint(1, levels * s - c - 1)
    w.op(w.op(w.op(levels, "*", s), "-", c), "-", d)
    return w.sample(render(
        rng, "A [parking garage|car park|parking lot] has {levels} levels with {s} spaces on each level. {c} cars "
        "are [parked there|already parked], and then {d} more cars [arrive|come in|drive in]. [How many "
        "spaces are still free|How many spaces are left|How many empty spaces remain]?",
        levels=levels, s=s, c=c, d=d))  # fmt: skip


@_template("library", 3)
def _library(rng):
    big, w = _start(rng)
    sh, b = _n(rng, big, (3, 10), (10, 40)), _n(rng, big, (5, 20), (20, 60))
    lent = rng.randint(1, sh * b - 1)
    back = _n(rng, big, (1, 15), (5, 80))
    w.op(w.op(w.op(sh, "*", b), "-", lent), "+", back)
    return w.sample(render(
        rng, "A [library|school library|bookshop|reading room] has {sh} shelves with {b} books on [each "
        "shelf|every shelf]. On [Monday|Friday|Saturday], {lent} books are [borrowed|taken out|checked out] "
        "and {back} books are [returned|brought back|handed back]. [How many books are on the shelves now|How"
        " many books are on the shelves at the end of the day|How many books are there on the shelves after "
        "that]?",
        sh=sh, b=b, lent=lent, back=back))  # fmt: skip


@_template("fundraiser", 3)
def _fundraiser(rng):
    big, w = _start(rng)
    k, p, bonus = _n(rng, big, (2, 4), (3, 8)), _n(rng, big, (2, 9), (5, 25)), _n(rng, big, (1, 10), (10, 50))
    cakes = k * _n(rng, big, (2, 6), (3, 15))
    w.op(w.op(w.op(cakes, "*", p), "/", k), "+", bonus)
    return w.sample(render(
        rng, "{n}'s class sells {cakes} {t} at ${p} each[ at a bake sale|]. The money is [split|shared|divided] "
        "equally among {k} charities, and a local [shop|business|bakery] adds ${bonus} to each share. [How "
        "many dollars does each charity receive|How much does each charity get, in dollars]?",
        n=_names(rng, 1)[0], t=rng.choice(TREATS), cakes=cakes, p=p, k=k, bonus=bonus))  # fmt: skip


@_template("candy-jar", 3)
def _candy_jar(rng):
    big, w = _start(rng)
    a = _n(rng, big, (2, 15), (10, 80))
    jar = 3 * a + _n(rng, big, (1, 30), (10, 300))
    twice = w.op(a, "*", 2)
    w.op(w.op(jar, "-", a), "-", twice)
    return w.sample(render(
        rng, "A jar [holds|contains|has] {jar} [candies|jelly beans|mints|toffees]. {n} eats {a} on "
        "[Monday|Saturday] and twice as many on [Tuesday|Sunday]. [How many are left in the jar|How many "
        "remain|How many are still in the jar]?",
        n=_names(rng, 1)[0], jar=jar, a=a))  # fmt: skip


@_template("orchard-crates", 3)
def _orchard_crates(rng):
    big, w = _start(rng)
    trees, per, crate = _n(rng, big, (2, 8), (5, 20)), _n(rng, big, (4, 15), (10, 40)), rng.choice((2, 4, 5, 10))
    picked = trees * per
    extra = ((-picked) % crate or crate) + crate * rng.randint(0, 3)  # a whole number of crates in all
    f = rng.choice(FRUITS)
    w.op(w.op(w.op(trees, "*", per), "+", extra), "/", crate)
    return w.sample(render(
        rng, "[In an orchard|At a farm|On a fruit farm], {n} picks {per} {f} from each of {trees} trees and "
        "[buys|gets] {extra} more [at a farm stand|from a neighbor|at the market]. The {f} are packed into "
        "crates of {crate}. How many crates [are filled|can be filled|does {n} fill]?",
        n=_names(rng, 1)[0], f=f, per=per, trees=trees, extra=extra, crate=crate))  # fmt: skip


# --- checking ------------------------------------------------------------------------------------


def verify(sample: Sample) -> None:
    """Every step re-evaluated, every operand from the question or an earlier step, the answer line last."""
    steps = _STEP.findall(sample.reply)
    expected_reply = " ".join(f"{a} {op} {b} = {c}." for a, op, b, c in steps) + f" The answer is {sample.expected}."
    if not steps or sample.reply != expected_reply:
        raise LocoError(f"reply {sample.reply!r} is not steps then 'The answer is N.'")
    words = sample.prompt.lower()
    known = {int(x) for x in re.findall(r"\d+", sample.prompt)} | {v for k, v in WORD_NUMBERS.items() if k in words}
    for a, op, b, c in steps:
        a, b, c = int(a), int(b), int(c)
        if a not in known or b not in known:
            raise LocoError(f"step {a} {op} {b} uses a number that is not in the question")
        if op == "/" and (b == 0 or a % b):
            raise LocoError(f"step {a} / {b} is not exact")
        if {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else None}[op] != c:
            raise LocoError(f"step {a} {op} {b} = {c} is wrong")
        known.add(c)
    if int(steps[-1][3]) != sample.expected:
        raise LocoError(f"last step gives {steps[-1][3]}, the answer says {sample.expected}")


DOMAIN = Domain("math", "numeric", tuple(TEMPLATES), verify, {"relative": 0.0})
