"""Program-style math shapes, part A: multi-step problems, rates, unit conversions, percentages, fractions.

Each shape draws its numbers, words and sentence order from `rng`, writes the question, and builds
the reply with `Program` (math_programs.py); the sample it returns is verified when drawn.
Wording varies inside every shape (verbs, nouns, who asks, first person, the question asked first,
facts in another order, an unused number now and then), so the model learns the operations, not a
sentence. Numbers are built so that every division is exact and every amount of money is whole cents.
"""

from __future__ import annotations

import random
import re

from loco_mlx.data.synth.common import article
from loco_mlx.data.synth.math_programs import Program, shape
from loco_mlx.data.synth.math_words import NAMES

_CHOICE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
_BACK_REFERENCE = re.compile(r"\b(that|it|its|they|them|these|those|then|now|the rest|each one)\b", re.IGNORECASE)
_IRREGULAR = {"has": "have", "is": "am", "was": "was", "does": "do", "goes": "go"}
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
_PARTS = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters")}


def _say(rng: random.Random, text: str, **values) -> str:
    """`render` with nested `[a|[b|c]]` choices: the innermost are picked first; a gap left by an empty
    pick is closed, before a space or a stop alike."""
    while True:
        chosen = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        if chosen == text:
            break
        text = chosen
    text = re.sub(r"(?<=\S) {2,}", " ", text.format(**values))
    return re.sub(r" +(?=[.,?])", "", text)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _base(verb: str) -> str:
    """The first-person form of a third-person verb: buys -> buy, has -> have, watches -> watch."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith(("sses", "ches", "shes", "xes")):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith("s") and not verb.endswith("ss"):
        return verb[:-1]
    return verb


def _agree(text: str) -> str:
    """Verbs after a first-person "I": "I buys" -> "I buy", "does I" -> "do I", "is I" -> "am I"."""
    text = re.sub(
        r"\bI((?: also| already| then| still| usually)?) ([a-z]+)\b",
        lambda m: f"I{m.group(1)} {_base(m.group(2))}",
        text,
    )
    text = re.sub(r"\b([Dd])oes I\b", r"\1o I", text)
    text = re.sub(r"\b([Hh])as I\b", r"\1ave I", text)
    return re.sub(r"\b([Ii])s I\b", lambda m: ("A" if m.group(1) == "I" else "a") + "m I", text)


def _ask(rng: random.Random, facts: list[str], question: str, shuffle: bool = False, first: float = 0.2) -> str:
    """The fact sentences (shuffled when their order does not matter) and the question, sometimes asked
    first (never when it points back at the facts: "How many are left then?")."""
    facts = [fact for fact in facts if fact]
    if shuffle:
        rng.shuffle(facts)
    ask_first = rng.random() < first and not _BACK_REFERENCE.search(question)
    parts = [question, *facts] if ask_first else [*facts, question]
    return _agree(" ".join(_cap(part.strip()) for part in parts))


def _who(rng: random.Random, me: float = 0.25) -> dict:
    """Who the problem is about: a name, or "I" now and then (fields s, pos, o and `me`)."""
    if rng.random() < me:
        return {"s": "I", "pos": "my", "o": "me", "me": True}
    name = rng.choice(NAMES)
    return {"s": name, "pos": f"{name}'s", "o": name, "me": False}


def _v(who: dict, verb: str) -> str:
    """A verb that does not follow the subject directly ("... and shares"), agreed with `who`."""
    return _base(verb) if who["me"] else verb


def _other(rng: random.Random, who: dict) -> str:
    return rng.choice([name for name in NAMES if name != who["s"]])


def _num(rng: random.Random, value: int) -> str:
    """A whole number as a question writes it: 1,250 or 1250."""
    return f"{value:,}" if value >= 1000 and rng.random() < 0.5 else str(value)


def _usd(value: float) -> str:
    """Dollars: $12, $1,250 or $3.75."""
    return f"${value:,.2f}" if value != int(value) else f"${int(value):,}"


def _price(rng: random.Random, low: int, high: int, cents: bool) -> int | float:
    """A price from low to high dollars: whole dollars, or with cents in steps of 5."""
    return rng.randint(low * 20, high * 20) * 5 / 100 if cents else rng.randint(low, high)


def _var(word: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in word.lower()).split())


def _count(rng: random.Random, k: int) -> str:
    """A small count as a word or in digits."""
    return _NUMBER_WORDS[k] if k in _NUMBER_WORDS and rng.random() < 0.4 else str(k)


def _fraction(rng: random.Random, num: int, den: int) -> str:
    """num/den as a question says it: "half", "two thirds", "a quarter" or "3/5"."""
    if den in _PARTS and rng.random() < 0.7:
        one, many = _PARTS[den]
        if num == 1:
            return "half" if den == 2 else rng.choice(["a " + one, "one " + one])
        return f"{_NUMBER_WORDS[num]} {many}"
    return f"{num}/{den}"


def _times(name: str, num: int, den: int) -> str:
    """The expression for num/den of `name`."""
    return f"{name} / {den}" if num == 1 else f"{name} * {num} / {den}"


# --- multi-step ----------------------------------------------------------------------------------

# (one, many, count variable, price variable, low and high price in dollars)
_GOODS = [("notebook", "notebooks", "notebooks", "notebook_price", 1, 6), ("pen", "pens", "pens", "pen_price", 1, 4),
          ("book", "books", "books", "book_price", 6, 30), ("T-shirt", "T-shirts", "shirts", "shirt_price", 8, 25),
          ("mug", "mugs", "mugs", "mug_price", 3, 15), ("plant", "plants", "plants", "plant_price", 4, 20),
          ("candle", "candles", "candles", "candle_price", 2, 12),
          ("scarf", "scarves", "scarves", "scarf_price", 9, 30),
          ("comic", "comics", "comics", "comic_price", 2, 9), ("puzzle", "puzzles", "puzzles", "puzzle_price", 7, 25),
          ("towel", "towels", "towels", "towel_price", 4, 18), ("lamp", "lamps", "lamps", "lamp_price", 15, 60),
          ("pair of socks", "pairs of socks", "sock_pairs", "price_per_pair", 2, 8),
          ("ball", "balls", "balls", "ball_price", 3, 20)]  # fmt: skip


@shape("shop-two-items", "multi-step")
def _shop_two_items(rng):
    (_, many_a, count_a, price_a, low_a, high_a), (_, many_b, count_b, price_b, low_b, high_b) = rng.sample(_GOODS, 2)
    cents = rng.random() < 0.4
    k_a, k_b = rng.randint(2, 12), rng.randint(2, 9)
    cost_a, cost_b = _price(rng, low_a, high_a, cents), _price(rng, low_b, high_b, cents)
    p = Program()
    p.given(count_a, k_a)
    p.given(price_a, cost_a)
    p.given(count_b, k_b)
    p.given(price_b, cost_b)
    p.let(f"{count_a}_cost", f"{count_a} * {price_a}")
    p.let(f"{count_b}_cost", f"{count_b} * {price_b}")
    total = p.let("total_cost", f"{count_a}_cost + {count_b}_cost")
    who = _who(rng)
    w = {"ka": k_a, "ma": many_a, "pa": _usd(cost_a), "kb": k_b, "mb": many_b, "pb": _usd(cost_b), **who}
    if rng.random() < 0.2:
        question = _say(
            rng,
            "How much [do|would] {ka} {ma} at {pa} each and {kb} {mb} at {pb} each cost "
            "[altogether|in total|together]?",
            **w,
        )
        return p.sample(question, "total_cost", cents=cents)
    facts = [
        _say(rng, "{s} [buys|picks up|orders|gets] {ka} {ma} at {pa} [each|apiece|a piece].", **w),
        _say(
            rng,
            "[{s} also gets|{s} adds|Then {s} grabs|{s} also buys] {kb} {mb} [costing|at|priced at] {pb} "
            "[each|for each one].",
            **w,
        ),
    ]
    if rng.random() < 0.2:
        cash = rng.randint(int(total) + 5, int(total) + 300)
        facts.append(_say(rng, "[{s} has {cash} to spend|{s} brings {cash} to the shop].", cash=_usd(cash), **w))
    question = _say(
        rng,
        "[How much does {s} spend in all|What is the total cost|How much money does {s} need for "
        "everything|What does {s} pay altogether|How many dollars does the shopping cost]?",
        **w,
    )
    return p.sample(_ask(rng, facts, question), "total_cost", cents=cents)


# (thing, part, parts, material, per-part range)
_BUILDS = [("garden wall", "row", "rows", "bricks", (12, 60)), ("fence", "section", "sections", "boards", (4, 12)),
           ("patio", "row", "rows", "paving stones", (6, 25)), ("shed roof", "row", "rows", "shingles", (10, 40)),
           ("deck", "section", "sections", "planks", (5, 20)), ("bathroom floor", "row", "rows", "tiles", (8, 30)),
           ("model castle", "tower", "towers", "blocks", (20, 90))]  # fmt: skip


@shape("build-materials-to-buy", "multi-step")
def _build_materials_to_buy(rng):
    thing, part, parts_word, material, (low, high) = rng.choice(_BUILDS)
    parts, per = rng.randint(3, 30), rng.randint(low, high)
    have = rng.randint(2, parts * per - 1)
    broken = rng.randint(2, max(2, have // 3)) if rng.random() < 0.4 and have > 6 else 0
    mat = _var(material)
    p = Program()
    p.given(parts_word, parts)
    p.given(f"{mat}_per_{part}", per)
    p.given(f"{mat}_on_hand", have)
    p.let(f"{mat}_needed", f"{parts_word} * {mat}_per_{part}")
    if broken:
        p.given(f"broken_{mat}", broken)
        p.let(f"usable_{mat}", f"{mat}_on_hand - broken_{mat}")
        p.let(f"{mat}_to_buy", f"{mat}_needed - usable_{mat}")
    else:
        p.let(f"{mat}_to_buy", f"{mat}_needed - {mat}_on_hand")
    who = _who(rng)
    w = {
        "thing": thing,
        "part": part,
        "parts_word": parts_word,
        "mat": material,
        "parts": parts,
        "per": per,
        "have": _num(rng, have),
        "broken": broken,
        **who,
    }
    plan = _say(
        rng,
        rng.choice(
            [
                "{s} is building a {thing} [with|that has] {parts} {parts_word} of {per} {mat} [each|in every {part}].",
                "A {thing} that {s} is building needs {parts} {parts_word}, and each {part} takes {per} {mat}.",
                "[For|To finish] {pos} {thing}, {s} [plans|wants] {parts} {parts_word} with {per} {mat} in each.",
            ]
        ),
        **w,
    )
    stock = _say(
        rng,
        "[{s} already has {have} {mat}|There are already {have} {mat} [in the shed|in the yard]|"
        "{s} has {have} {mat} left over from last year].",
        **w,
    )
    if broken:
        stock += _say(
            rng,
            " [{broken} of them are cracked|But {broken} of those are broken and cannot be used|"
            "Sadly, {broken} of them are damaged].",
            **w,
        )
    question = _say(rng, "How many more {mat} [does {s} need to buy|must {s} buy|are needed]?", **w)
    return p.sample(_ask(rng, [plan, stock], question, shuffle=not broken), f"{mat}_to_buy")


_BAKES = [("cookies", "cookie"), ("cupcakes", "cupcake"), ("muffins", "muffin"), ("pancakes", "pancake"),
          ("biscuits", "biscuit"), ("bread rolls", "bread roll"), ("mini pizzas", "mini pizza")]  # fmt: skip


@shape("baking-batches-flour", "multi-step")
def _baking_batches_flour(rng):
    goods, single = rng.choice(_BAKES)
    while True:
        per_batch = rng.choice([6, 8, 10, 12, 15, 16, 18, 20, 24, 30])
        guests, each = rng.randint(4, 90), rng.randint(1, 4)
        if guests * each % per_batch == 0 and 2 <= guests * each // per_batch <= 25:
            break
    flour = rng.choice([120, 150, 180, 200, 225, 250, 300, 350, 400, 450, 500])
    ask = rng.choice(["batches", "grams", "kg"])
    g = _var(goods)
    p = Program()
    p.given("guests", guests)
    p.given(f"{g}_each", each)
    p.given(f"{g}_per_batch", per_batch)
    if ask != "batches":
        p.given("flour_per_batch_g", flour)
    p.let(f"{g}_needed", f"guests * {g}_each")
    p.let("batches", f"{g}_needed // {g}_per_batch")
    if ask != "batches":
        p.let("flour_g", "batches * flour_per_batch_g")
    if ask == "kg":
        p.let("flour_kg", "flour_g / 1000")
    who = _who(rng)
    people = rng.choice(["guests", "people", "children"])
    w = {
        "goods": goods,
        "per": per_batch,
        "flour": flour,
        "guests": guests,
        "people": people,
        **who,
        "each": f"{_count(rng, each)} {goods}" if each > 1 else f"one {single}",
    }
    facts = [
        _say(
            rng, "{s} is [baking|making] {goods} for a [class party|picnic|bake sale|family reunion|school fair].", **w
        ),
        _say(rng, "One batch [makes|gives|yields] {per} {goods}[| and uses {flour} grams of flour].", **w)
        if ask == "batches"
        else _say(
            rng,
            "[One batch makes {per} {goods} and uses {flour} grams of flour|Each batch needs {flour} g of "
            "flour and makes {per} {goods}].",
            **w,
        ),
        _say(rng, "There will be {guests} {people}, and each [should get|gets|will get] {each}.", **w),
    ]
    question = {
        "batches": "How many batches [does {s} need to bake|must {s} make|should {s} bake]?",
        "grams": "How many grams of flour [does {s} need|will {s} use|should {s} set aside]?",
        "kg": "How many kilograms of flour [does {s} need|will {s} use] [in total|altogether]?",
    }[ask]
    answer = {"batches": "batches", "grams": "flour_g", "kg": "flour_kg"}[ask]
    return p.sample(_ask(rng, facts, _say(rng, question, **w)), answer)


_SPENDS = ["a snack", "a book", "a movie ticket", "a sandwich", "a souvenir", "a drink", "a bus pass", "a gift"]
_DEAR_SPENDS = ["a concert ticket", "a new jacket", "a pair of trainers", "a games console", "a weekend trip"]


@shape("share-then-spend", "multi-step")
def _share_then_spend(rng):
    people = rng.randint(2, 9)
    share = rng.randint(6, 400) if rng.random() < 0.7 else rng.randint(6, 40)
    cents = rng.random() < 0.35
    spend = _price(rng, 1, share - 1, cents)
    p = Program()
    p.given("prize", people * share)
    first, second = rng.sample(NAMES, 2)
    if people > 2 and rng.random() < 0.5:
        p.given("friends", people - 1)
        p.let("people", "friends + 1")
        group = _say(rng, "{n} and {k} [friends|cousins|teammates]", n=first, k=_count(rng, people - 1))
    elif people > 2:
        p.given("people", people)
        group = _say(rng, "[A group of|A team of|The] {k} [friends|classmates|neighbours]", k=people)
    else:
        p.given("people", people)
        group = f"{first} and {second}"
    p.given("spent_each", spend)
    p.let("share_each", "prize / people")
    p.let("left_each", "share_each - spent_each")
    w = {
        "group": group,
        "prize": _usd(people * share),
        "spend": _usd(spend),
        "thing": rng.choice(_SPENDS if spend <= 30 else _DEAR_SPENDS),
    }
    facts = [
        _say(
            rng,
            "{group} [win|earn|raise|are given] {prize} [in a raffle|for washing cars|for raking leaves|"
            "at a quiz night|] and [share|split] it equally.",
            **w,
        ),
        _say(
            rng,
            "[Each of them then spends|Then everyone spends|After that, each one pays] {spend} [on|for] {thing}.",
            **w,
        ),
    ]
    question = _say(rng, "How much money does each [person|one of them|of them] have left[| in dollars]?")
    return p.sample(_ask(rng, facts, question, first=0), "left_each", cents=cents)


_COLLECTIONS = ["stamps", "stickers", "trading cards", "marbles", "coins", "shells", "postcards", "badges"]


@shape("collection-weekly-trade", "multi-step")
def _collection_weekly_trade(rng):
    things = rng.choice(_COLLECTIONS)
    per, period, (low, high) = rng.choice(
        [("week", "weeks", (2, 20)), ("day", "days", (3, 30)), ("month", "months", (2, 12))]
    )
    start, added, count = rng.randint(5, 900), rng.randint(2, 40), rng.randint(low, high)
    traded = rng.randint(2, start + added * count - 1)
    v = _var(things)
    p = Program()
    p.given(f"{v}_at_start", start)
    p.given(f"{v}_per_{per}", added)
    p.given(period, count)
    p.given(f"{v}_traded", traded)
    p.let(f"{v}_added", f"{v}_per_{per} * {period}")
    p.let(f"{v}_before_trade", f"{v}_at_start + {v}_added")
    p.let(f"{v}_now", f"{v}_before_trade - {v}_traded")
    who = _who(rng)
    w = {
        "t": things,
        "start": _num(rng, start),
        "added": added,
        "per": per,
        "count": count,
        "period": period,
        "traded": _num(rng, traded),
        "m": _other(rng, who),
        **who,
    }
    facts = [
        _say(rng, "[{s} has|{s} starts with|{s} begins the year with] {start} {t}[ in {pos} collection|].", **w),
        _say(
            rng,
            "[{s} [adds|gets|buys] {added} more [{t}|] [every|each] {per} for {count} {period}|For {count} "
            "{period}, {s} [adds|gets|buys] {added} [more|new] {t} [every|each|a] {per}].",
            **w,
        ),
        _say(rng, "[After that|At the end|Then], {s} [trades away|gives {m}|sells] {traded} of them.", **w),
    ]
    question = _say(rng, "How many {t} does {s} have [now|in the end|after that]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"{v}_now")


# (favour, pack word, pack singular)
_FAVOURS = [("balloons", "bags", "bag"), ("party hats", "packs", "pack"), ("glow sticks", "tubes", "tube"),
            ("stickers", "sheets", "sheet"), ("sweets", "bags", "bag"), ("paper cups", "stacks", "stack"),
            ("candles", "boxes", "box")]  # fmt: skip


@shape("party-packs-to-buy", "multi-step")
def _party_packs_to_buy(rng):
    favour, packs, pack = rng.choice(_FAVOURS)
    while True:
        guests, per_guest, per_pack = rng.randint(4, 60), rng.randint(2, 6), rng.choice([4, 5, 6, 8, 10, 12, 20, 25])
        if guests * per_guest % per_pack == 0 and guests * per_guest > per_pack:
            break
    ask_cost, cents = rng.random() < 0.45, rng.random() < 0.5
    pack_price = _price(rng, 1, 9, cents)
    v = _var(favour)
    p = Program()
    p.given("guests", guests)
    p.given(f"{v}_per_guest", per_guest)
    p.given(f"{v}_per_{pack}", per_pack)
    p.let(f"{v}_needed", f"guests * {v}_per_guest")
    p.let(packs, f"{v}_needed // {v}_per_{pack}")
    if ask_cost:
        p.given(f"price_per_{pack}", pack_price)
        p.let("total_cost", f"{packs} * price_per_{pack}")
    who = _who(rng)
    many, one = rng.choice([("guests", "guest"), ("children", "child"), ("friends", "friend")])
    w = {
        "f": favour,
        "pk": packs,
        "pk1": pack,
        "guests": guests,
        "per": _count(rng, per_guest),
        "size": per_pack,
        "price": _usd(pack_price),
        "many": many,
        "one": one,
        **who,
    }
    facts = [
        _say(
            rng,
            "[{s} is planning a party for {guests} {many}|{s} has invited {guests} {many} to a party|There are "
            "{guests} {many} coming to {pos} party].",
            **w,
        ),
        _say(rng, "[Each {one} gets|{s} wants to give every {one}|Every {one} should get] {per} {f}.", **w),
        _say(rng, "{f} [come|are sold] in {pk} of {size}.", **w),
    ]
    if ask_cost:
        facts.append(_say(rng, "[Each|One] {pk1} costs {price}.", **w))
        question = _say(rng, "How much [does {s} spend on {f}|do the {f} cost altogether]?", **w)
    else:
        question = _say(rng, "How many {pk} of {f} [does {s} need to buy|should {s} buy|are needed]?", **w)
    if rng.random() < 0.2:
        facts.insert(1, _say(rng, "The party [starts at {h} o'clock|lasts {h} hours].", h=rng.randint(2, 6)))
    return p.sample(_ask(rng, facts, question), "total_cost" if ask_cost else packs, cents=ask_cost and cents)


# (place, levels, level, items, item variable, batches, batch)
_STORAGE = [("bookcase", "shelves", "shelf", "books", "books", "boxes", "box"),
            ("pantry", "shelves", "shelf", "jars", "jars", "crates", "crate"),
            ("classroom cupboard", "shelves", "shelf", "folders", "folders", "bundles", "bundle"),
            ("shoe rack", "levels", "level", "pairs of shoes", "pairs", "bags", "bag"),
            ("wine cellar", "racks", "rack", "bottles", "bottles", "cases", "case"),
            ("toy shop display", "shelves", "shelf", "toy boxes", "toy_boxes", "cartons", "carton")]  # fmt: skip


@shape("storage-space-left", "multi-step")
def _storage_space_left(rng):
    place, levels_word, level, items, it, batches_word, batch = rng.choice(_STORAGE)
    levels, per_level = rng.randint(2, 12), rng.randint(6, 60)
    capacity = levels * per_level
    batches, per_batch = rng.randint(2, 6), rng.randint(2, 12)
    while batches * per_batch >= capacity:
        batches, per_batch = 2, per_batch // 2 + 1
    placed = rng.randint(2, capacity - batches * per_batch) if capacity - batches * per_batch >= 2 else 0
    p = Program()
    p.given(levels_word, levels)
    p.given(f"{it}_per_{level}", per_level)
    if placed:
        p.given(f"{it}_already_there", placed)
    p.given(batches_word, batches)
    p.given(f"{it}_per_{batch}", per_batch)
    p.let("capacity", f"{levels_word} * {it}_per_{level}")
    p.let(f"{it}_arriving", f"{batches_word} * {it}_per_{batch}")
    p.let("free_spaces", f"capacity - {it}_already_there - {it}_arriving" if placed else f"capacity - {it}_arriving")
    w = {
        "place": place,
        "lv": levels_word,
        "items": items,
        "bw": batches_word,
        "levels": levels,
        "per": per_level,
        "placed": placed,
        "batches": _count(rng, batches),
        "pb": per_batch,
        "m": rng.choice(NAMES),
    }
    facts = [
        _say(rng, "[A|The] {place} has {levels} {lv}, and each [one|of them] holds {per} {items}.", **w),
        _say(rng, "{placed} {items} are already [on it|in it|in place].", **w)
        if placed
        else _say(rng, "The {place} is empty [at the moment|right now].", **w),
        _say(rng, "{m} [brings|delivers|adds] {batches} {bw} with {pb} {items} in each.", **w),
    ]
    question = _say(rng, "How many more {items} [will fit|can still go in the {place}|can it take] after that?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "free_spaces")


# --- rates ---------------------------------------------------------------------------------------

_MOVES = [("drives", "drove", (40, 110)), ("cycles", "cycled", (10, 28)), ("rides", "rode", (12, 45)),
          ("sails", "sailed", (8, 30)), ("walks", "walked", (3, 6))]  # fmt: skip


@shape("two-leg-trip-distance", "rates")
def _two_leg_trip_distance(rng):
    verb, past, (low, high) = rng.choice(_MOVES)
    unit = rng.choice(["km", "km", "miles"])
    speed_1, speed_2 = rng.randint(low, high), rng.randint(low, high)
    hours_1, hours_2 = rng.randint(2, 6), rng.randint(2, 5)
    u = "km" if unit == "km" else "miles"
    p = Program()
    p.given("speed_1", speed_1)
    p.given("hours_1", hours_1)
    p.given("speed_2", speed_2)
    p.given("hours_2", hours_2)
    p.let(f"leg_1_{u}", "speed_1 * hours_1")
    p.let(f"leg_2_{u}", "speed_2 * hours_2")
    p.let(f"total_{u}", f"leg_1_{u} + leg_2_{u}")
    who = _who(rng)
    short = "km/h" if unit == "km" else "mph"
    w = {
        "v": verb,
        "past": past,
        "a": speed_1,
        "b": speed_2,
        "h1": _count(rng, hours_1),
        "h2": _count(rng, hours_2),
        "per": _say(rng, "[{u} per hour|{u} an hour|{x}]", u=unit, x=short),
        "per2": _say(rng, "[{u} per hour|{u} an hour|{x}]", u=unit, x=short),
        "u": unit,
        **who,
    }
    if rng.random() < 0.3:
        fact = _say(rng, "{s} {past} {h1} hours at {a} {per} and {h2} hours at {b} {per2}.", **w)
        question = _say(rng, "How many {u} [did {s} cover|did {s} go] [in total|altogether]?", **w)
        return p.sample(_ask(rng, [fact], question, first=0.3), f"total_{u}")
    facts = [
        _say(
            rng,
            "[On a trip, |]{s} {v} for {h1} hours at {a} {per}[, then|, and then|. After that, {s} {v}] "
            "{h2} hours at {b} {per2}.",
            **w,
        )
    ]
    if rng.random() < 0.3:
        facts.append(
            _say(
                rng,
                "{s} [stops|takes a break] for {k} minutes [on the way|for lunch].",
                k=rng.choice([10, 15, 20, 30, 45]),
                **w,
            )
        )
    question = _say(rng, "How [many {u}|far] [does {s} travel|is the whole trip] [in total|altogether]?", **w)
    return p.sample(_ask(rng, facts, question, first=0.15), f"total_{u}")


_PACKED = [("battery", "batteries"), ("yogurt", "yogurts"), ("pencil", "pencils"), ("bar of soap", "bars of soap"),
           ("can of beans", "cans of beans"), ("roll of tape", "rolls of tape"), ("egg", "eggs"),
           ("tennis ball", "tennis balls"), ("juice box", "juice boxes")]  # fmt: skip


@shape("pack-sizes-cheaper-each", "rates")
def _pack_sizes_cheaper_each(rng):
    one, many = rng.choice(_PACKED)
    small, big = sorted(rng.sample([2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24], 2))
    each_small, each_big = rng.sample(range(15, 400), 2)
    price_small, price_big = small * each_small / 100, big * each_big / 100
    p = Program()
    p.given("small_pack_count", small)
    p.given("small_pack_price", price_small)
    p.given("big_pack_count", big)
    p.given("big_pack_price", price_big)
    p.let("small_each", "small_pack_price / small_pack_count")
    p.let("big_each", "big_pack_price / big_pack_count")
    p.let("saving_each", "small_each - big_each" if each_small > each_big else "big_each - small_each")
    w = {
        "one": one,
        "many": many,
        "small": small,
        "big": big,
        "ps": _usd(price_small),
        "pb": _usd(price_big),
        "shop": rng.choice(["a shop", "the corner shop", "a supermarket", "the market stall", "an online store"]),
    }
    packs = [
        _say(rng, "a pack of {small} {many} [costs|is|sells for] {ps}", **w),
        _say(rng, "a pack of {big} {many} [costs|is|sells for] {pb}", **w),
    ]
    rng.shuffle(packs)
    fact = _say(rng, "[At {shop}, |{shop} sells two sizes: |]", **w) + packs[0] + " and " + packs[1] + "."
    question = _say(
        rng,
        "[How much cheaper per {one} is the better deal|By how much is one {one} cheaper in the "
        "better-value pack|What is the difference in price per {one} between the packs], in "
        "dollars?",
        **w,
    )
    return p.sample(_ask(rng, [fact], question, first=0), "saving_each", cents=True)


# (verb, units, per, pers, jobs, rate range)
_WORKS = [("types", "words", "minute", "minutes", ["an essay", "a report", "a story", "a letter"], (20, 80)),
          ("reads", "pages", "hour", "hours", ["a novel", "a textbook", "a history book"], (10, 60)),
          ("knits", "rows", "hour", "hours", ["a scarf", "a blanket", "a sweater"], (4, 20)),
          ("packs", "boxes", "hour", "hours", ["an order", "a delivery", "a shipment"], (8, 50)),
          ("paints", "fence panels", "day", "days", ["a long fence", "the garden fence"], (3, 15)),
          ("labels", "envelopes", "minute", "minutes", ["a mailing", "a batch of invitations"], (3, 12))]  # fmt: skip


@shape("work-rate-time-left", "rates")
def _work_rate_time_left(rng):
    verb, units, per, pers, jobs, (low, high) = rng.choice(_WORKS)
    rate, remaining_time = rng.randint(low, high), rng.randint(2, 40)
    done = rng.randint(2, 30) * rate + rng.randint(0, rate - 1)
    total = done + rate * remaining_time
    u = _var(units)
    p = Program()
    p.given(f"{u}_total", total)
    p.given(f"{u}_done", done)
    p.given(f"{u}_per_{per}", rate)
    p.let(f"{u}_left", f"{u}_total - {u}_done")
    p.let(f"{pers}_needed", f"{u}_left // {u}_per_{per}")
    who = _who(rng)
    w = {
        "v": verb,
        "u": units,
        "per": per,
        "pers": pers,
        "job": rng.choice(jobs),
        "rate": rate,
        "total": _num(rng, total),
        "done": _num(rng, done),
        **who,
    }
    facts = [
        _say(rng, "{s} {v} {rate} {u} [{a}|per|every] {per}.", a="an" if per == "hour" else "a", **w),
        _say(rng, "[{job} has|{job} needs|{s} is working on {job} of] {total} {u}[ in all| in total|].", **w),
        _say(rng, "[{s} has already done|So far {s} has finished|{s} finished] {done} {u}.", **w),
    ]
    if rng.random() < 0.5:
        facts = facts[1:] + facts[:1]
    question = _say(rng, "How many more {pers} [does {s} need|will it take {o}|until {s} is done]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"{pers}_needed")


@shape("overtime-pay-week", "rates")
def _overtime_pay_week(rng):
    cents = rng.random() < 0.4
    rate = _price(rng, 9, 45, cents)
    limit, overtime = rng.choice([35, 37, 38, 40, 40, 40]), rng.randint(2, 15)
    by_total = rng.random() < 0.5
    p = Program()
    p.given("hourly_rate", rate)
    if by_total:
        p.given("hours_worked", limit + overtime)
        p.given("regular_hours", limit)
        p.let("overtime_hours", "hours_worked - regular_hours")
    else:
        p.given("regular_hours", limit)
        p.given("overtime_hours", overtime)
    p.let("regular_pay", "regular_hours * hourly_rate")
    p.let("overtime_rate", "hourly_rate * 2")
    p.let("overtime_pay", "overtime_hours * overtime_rate")
    p.let("total_pay", "regular_pay + overtime_pay")
    who = _who(rng)
    w = {
        "rate": _usd(rate),
        "limit": limit,
        "ot": overtime,
        "worked": limit + overtime,
        "earns": _v(who, "earns"),
        "job": rng.choice(["at a warehouse", "as a nurse", "at a restaurant", "as a driver", "in a factory"]),
        **who,
    }
    facts = [
        _say(
            rng,
            "[{s} works {job} and {earns} {rate} [an|per] hour|{s} is paid {rate} [an|per] hour[| {job}]|{s} "
            "gets {rate} an hour {job}].",
            **w,
        ),
        _say(rng, "Every hour over {limit} in a week is paid [double|at twice the normal rate|at double time].", **w),
        _say(rng, "[This week|Last week] {s} worked {worked} hours.", **w)
        if by_total
        else _say(rng, "[This week|Last week] {s} worked the {limit} regular hours plus {ot} hours of overtime.", **w),
    ]
    question = _say(rng, "How much [did {s} earn|was {s} paid] [that week|for the week], in dollars?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "total_pay", cents=cents)


# (the thing, how it starts, how it goes down, unit, variable unit, per, start range, rate range)
_DRAINS = [("A rain barrel", "[holds|has] {start} litres of water", "[leaks|loses|drains]", "litres", "litres",
            "hour", (60, 400), (2, 15)),
           ("A paddling pool", "holds {start} litres", "[leaks|loses]", "litres", "litres", "hour", (300, 3000),
            (20, 150)),
           ("A candle", "is {start} cm tall", "[burns down|gets shorter by]", "cm", "cm", "hour", (18, 40), (1, 3)),
           ("A water tank", "[holds|starts with] {start} litres", "[loses|drains|leaks]", "litres", "litres", "day",
            (500, 5000), (40, 300)),
           ("A restaurant's sack of rice", "holds {start} kg", "[goes down by|loses]", "kg", "kg", "day", (25, 100),
            (2, 9)),
           ("A snow pile", "is {start} cm high", "[melts by|shrinks by|loses]", "cm", "cm", "day", (60, 250),
            (4, 20))]  # fmt: skip


@shape("steady-loss-left", "rates")
def _steady_loss_left(rng):
    thing, starts, goes, unit, u, per, (low, high), (r_low, r_high) = rng.choice(_DRAINS)
    start, rate = rng.randint(low, high), rng.randint(r_low, r_high)
    periods = rng.randint(2, max(2, min(48, start // rate)))
    p = Program()
    p.given(f"start_{u}", start)
    p.given(f"{u}_lost_per_{per}", rate)
    p.given(f"{per}s", periods)
    p.let(f"{u}_lost", f"{u}_lost_per_{per} * {per}s")
    p.let(f"{u}_left", f"start_{u} - {u}_lost")
    w = {"thing": thing, "unit": unit, "per": per, "start": _num(rng, start), "rate": rate, "k": periods}
    fact = _say(
        rng,
        "{thing} " + starts + ". It " + goes + " {rate} {unit} [every|each|per|{a}] {per}.",
        a="an" if per == "hour" else "a",
        **w,
    )
    question = _say(rng, "How many {unit} [are left|remain|are still there] after {k} {per}s?", **w)
    if unit == "cm":
        question = _say(rng, "How [tall|high] is it after {k} {per}s, in cm?", **w)
    return p.sample(_ask(rng, [fact], question, first=0), f"{u}_left")


_MACHINES = [("bottles", "fills", "bottles"), ("loaves of bread", "bakes", "loaves"), ("T-shirts", "prints", "shirts"),
             ("bolts", "makes", "bolts"), ("boxes", "packs", "boxes"), ("cans", "seals", "cans"),
             ("books", "binds", "books")]  # fmt: skip


@shape("machine-days-for-order", "rates")
def _machine_days_for_order(rng):
    items, verb, v = rng.choice(_MACHINES)
    per_hour, hours, days = rng.randint(8, 250), rng.randint(4, 16), rng.randint(2, 30)
    p = Program()
    p.given(f"{v}_per_hour", per_hour)
    p.given("hours_per_day", hours)
    p.given(f"{v}_ordered", per_hour * hours * days)
    p.let(f"{v}_per_day", f"{v}_per_hour * hours_per_day")
    p.let("days_needed", f"{v}_ordered // {v}_per_day")
    w = {
        "items": items,
        "verb": verb,
        "ph": per_hour,
        "h": hours,
        "order": _num(rng, per_hour * hours * days),
        "who": rng.choice(["A factory", "A workshop", "A small company", "The plant"]),
        "staff": rng.randint(2, 40),
    }
    facts = [
        _say(rng, "[A machine|One machine|The new machine] {verb} {ph} {items} [an|per|every] hour.", **w),
        _say(rng, "It [runs|works|is switched on] {h} hours [a|each] day.", **w),
        _say(rng, "{who} [gets|receives] an order for {order} {items}.", **w),
    ]
    if rng.random() < 0.4:
        facts = [facts[2], facts[0], facts[1]]
    if rng.random() < 0.2:
        facts.append(_say(rng, "[{staff} people work there.|The company has {staff} workers.]", **w))
    question = _say(rng, "How many days [will the machine need|does it take] to [make|finish] the order?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "days_needed")


@shape("fuel-cost-trip", "rates")
def _fuel_cost_trip(rng):
    electric = rng.random() < 0.3
    use = rng.randint(12, 25) if electric else rng.randint(4, 12)
    trip = rng.randint(1, 15) * 100
    price = rng.randint(8, 60) * 5 / 100 if electric else rng.randint(100, 250) / 100
    e, energy = ("kwh", "electricity") if electric else ("litres", "fuel")
    p = Program()
    p.given("trip_km", trip)
    p.given(f"{e}_per_100_km", use)
    p.given("price_per_kwh" if electric else "price_per_litre", price)
    p.let(f"{e}_used", f"trip_km * {e}_per_100_km / 100")
    p.let(f"{energy}_cost", f"{e}_used * " + ("price_per_kwh" if electric else "price_per_litre"))
    who = _who(rng)
    w = {
        "use": use,
        "trip": _num(rng, trip),
        "price": _usd(price),
        "energy": energy,
        **who,
        "unit": "kWh" if electric else "litres [of fuel|of petrol|]",
        "one": "kWh" if electric else "litre",
        "car": "electric car" if electric else rng.choice(["car", "van", "camper van"]),
    }
    facts = [
        _say(rng, "{pos} {car} uses {use} " + w["unit"] + " [per|for every|every] 100 km.", **w),
        _say(rng, "[{energy} costs {price} [per|a] {one}|The price of {energy} is {price} per {one}].", **w),
        _say(rng, "[{s} plans|{s} is going on|{s} is taking] a trip of {trip} km.", **w),
    ]
    rng.shuffle(facts)
    if rng.random() < 0.25:
        facts.append(
            _say(rng, "[The trip takes|{s} expects to drive for] {h} hours.", h=trip // 80 + rng.randint(1, 4), **w)
        )
    question = _say(
        rng, "[How much does the {energy} for the trip cost|What is the {energy} cost of the trip], in dollars?", **w
    )
    return p.sample(_ask(rng, facts, question), f"{energy}_cost", cents=True)


_SPORTS = [("ran", (6, 16)), ("cycled", (12, 36)), ("skated", (8, 20)), ("rowed", (4, 12)), ("swam", (2, 5))]


@shape("speed-from-minutes", "rates")
def _speed_from_minutes(rng):
    verb, (low, high) = rng.choice(_SPORTS)
    while True:
        speed, minutes = rng.randint(low, high), rng.choice([10, 12, 15, 20, 24, 30, 36, 40, 45, 48, 75, 90, 100, 150])
        if speed * minutes % 60 == 0:
            break
    p = Program()
    p.given("distance_km", speed * minutes // 60)
    p.given("minutes", minutes)
    p.let("hours", "minutes / 60")
    p.let("speed_kmh", "distance_km / hours")
    who = _who(rng)
    w = {"v": verb, "km": speed * minutes // 60, "min": minutes, **who}
    fact = _say(
        rng,
        "[{s} {v} {km} km in {min} minutes|It took {o} {min} minutes to cover {km} km]"
        "[ on Sunday| in a race| this morning|].",
        **w,
    )
    question = _say(
        rng,
        "[What was {pos} average speed in km per hour|How fast was {s} going, in km/h|At what "
        "average speed, in kilometres per hour, did {s} move]?",
        **w,
    )
    return p.sample(_ask(rng, [fact], question), "speed_kmh")


# --- units ---------------------------------------------------------------------------------------

_DELI = [("cheese", "costs"), ("ham", "costs"), ("coffee beans", "cost"), ("walnuts", "cost"),
         ("smoked salmon", "costs"), ("olives", "cost"), ("dark chocolate", "costs"),
         ("dried mango", "costs")]  # fmt: skip


@shape("grams-at-price-per-kg", "units")
def _grams_at_price_per_kg(rng):
    food, costs = rng.choice(_DELI)
    grams = rng.choice([k * 100 for k in range(1, 30) if k % 10] + [250, 750, 1250])
    price = rng.randint(40, 600) / 10 if grams % 100 == 0 else rng.randint(10, 150) * 4 / 10
    p = Program()
    p.given("grams", grams)
    p.given("price_per_kg", price)
    p.let("kilograms", "grams / 1000")
    p.let("cost", "kilograms * price_per_kg")
    who = _who(rng)
    w = {"food": food, "costs": costs, "g": _num(rng, grams), "price": _usd(price), **who}
    if rng.random() < 0.2:
        question = _say(rng, "How much [do|would] {g} grams of {food} cost at {price} [per kg|a kilogram]?", **w)
        return p.sample(question, "cost", cents=True)
    facts = [
        _say(rng, "[At the deli|At the market|In a shop], {food} {costs} {price} [per|a|for each] kilogram.", **w),
        _say(rng, "{s} [buys|asks for|orders] {g} [grams|g][ of {food}|].", **w),
    ]
    question = _say(rng, "How much does {s} pay[| in dollars]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "cost", cents=True)


_BOARDS = [("plank", "saws"), ("rope", "cuts"), ("ribbon", "cuts"), ("pipe", "saws"), ("cable", "cuts"),
           ("wooden beam", "saws"), ("strip of fabric", "cuts")]  # fmt: skip


@shape("metres-cut-into-cm-pieces", "units")
def _metres_cut_into_cm_pieces(rng):
    thing, verb = rng.choice(_BOARDS)
    pieces, piece_cm = rng.randint(2, 12), rng.randint(5, 150)
    while pieces * piece_cm % 10 or pieces * piece_cm == 100:
        piece_cm += 1
    metres = pieces * piece_cm / 100
    p = Program()
    p.given("length_m", int(metres) if metres == int(metres) else metres)
    p.given("pieces", pieces)
    p.let("length_cm", "length_m * 100")
    p.let("piece_cm", "length_cm / pieces")
    who = _who(rng)
    w = {"t": thing, "m": f"{metres:g}", "k": _count(rng, pieces), "v": verb, **who}
    facts = [
        _say(rng, "[A|The] {t} is {m} [metres|m] long.", **w),
        _say(rng, "{s} [{v}|divides] it into {k} [equal|same-sized] pieces.", **w),
    ]
    question = _say(rng, "How long is each piece in [centimetres|cm]?", **w)
    if rng.random() < 0.2:
        question = _say(rng, "How many centimetres long is each piece?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "piece_cm")


# (place, verb, lap word, lap lengths in metres)
_LAPS = [("track", "runs", "laps", [200, 250, 300, 400]), ("park path", "jogs", "laps", [600, 750, 800, 1200, 1500]),
         ("lake trail", "walks", "laps", [1200, 1500, 2500]), ("velodrome", "rides", "laps", [250, 400]),
         ("pool", "swims", "lengths", [25, 50]), ("school field", "walks", "laps", [300, 400, 500])]  # fmt: skip


@shape("laps-metres-to-km", "units")
def _laps_metres_to_km(rng):
    place, verb, laps_word, lengths = rng.choice(_LAPS)
    days = rng.randint(2, 7) if rng.random() < 0.4 else 0
    while True:  # whole metres, and kilometres to two places
        lap, laps = rng.choice(lengths), rng.randint(2, 40)
        if lap * laps * max(days, 1) % 10 == 0:
            break
    p = Program()
    p.given("lap_m", lap)
    p.given("laps", laps)
    p.let("metres", "lap_m * laps")
    if days:
        p.given("days", days)
        p.let("metres_all_days", "metres * days")
        p.let("km", "metres_all_days / 1000")
    else:
        p.let("km", "metres / 1000")
    who = _who(rng)
    one = laps_word[:-1]
    w = {"place": place, "v": verb, "lap": lap, "laps": laps, "days": days, "lw": laps_word, "one": one, **who}
    lap_fact = _say(
        rng, "[One {one} of the {place} is|A {one} [around|of] the {place} is] {lap} metres[ long|].", **w
    ).replace("around the pool", "of the pool")
    when = _say(
        rng,
        "[every day for {days} days|on each of {days} days]" if days else "[ on Saturday| this morning| in training|]",
        **w,
    )
    facts = [lap_fact, _say(rng, "{s} {v} {laps} {lw} ", **w).rstrip() + (" " if days else "") + when + "."]
    question = _say(rng, "How many kilometres [is that|does {s} {v2}][| in total]?", v2=_base(verb), **w)
    if rng.random() < 0.15:
        facts.append(_say(rng, "{s} [starts|sets off] at {k} o'clock.", k=rng.randint(6, 10), **w))
    return p.sample(_ask(rng, facts, question, first=0), "km")


@shape("bottles-ml-to-litres", "units")
def _bottles_ml_to_litres(rng):
    drink = rng.choice(["water", "juice", "milk", "iced tea", "sparkling water"])
    bottles, ml = rng.randint(2, 8), rng.choice([200, 250, 330, 350, 400, 500, 600, 750])
    week = rng.random() < 0.5
    p = Program()
    p.given("bottles_per_day", bottles)
    p.given("ml_per_bottle", ml)
    p.let("ml_per_day", "bottles_per_day * ml_per_bottle")
    days = rng.randint(2, 30)
    if week:
        p.let("ml_total", "ml_per_day * 7")
    else:
        p.given("days", days)
        p.let("ml_total", "ml_per_day * days")
    p.let("litres", "ml_total / 1000")
    who = _who(rng)
    w = {"d": drink, "b": _count(rng, bottles), "ml": ml, "days": days, **who}
    facts = [
        _say(rng, "{s} [drinks|goes through|has] {b} bottles of {d} [a|each|every] day.", **w),
        _say(rng, "[Each bottle holds|A bottle contains|One bottle is] {ml} [ml|millilitres].", **w),
    ]
    period = _say(rng, "[in a week|in one week|over a whole week]" if week else "[in|over] {days} days", **w)
    question = _say(rng, "How many litres of {d} [does {s} drink|is that] " + period + "?", **w)
    return p.sample(_ask(rng, facts, question, shuffle=True, first=0.15), "litres")


_DOZENS = [("A café", "uses", "eggs"), ("A florist", "sells", "roses"), ("A bakery", "sells", "bagels"),
           ("A school kitchen", "uses", "eggs"), ("A donut stand", "sells", "donuts"),
           ("A hotel", "serves", "bread rolls")]  # fmt: skip


@shape("per-day-to-dozens", "units")
def _per_day_to_dozens(rng):
    place, verb, items = rng.choice(_DOZENS)
    while True:
        per_day, days = rng.randint(6, 150), rng.randint(2, 30)
        if per_day * days % 12 == 0:
            break
    v = _var(items)
    p = Program()
    p.given(f"{v}_per_day", per_day)
    p.given("days", days)
    p.let(f"{v}_total", f"{v}_per_day * days")
    p.let("dozens", f"{v}_total // 12")
    w = {"place": place, "verb": verb, "base": _base(verb), "items": items, "pd": per_day, "days": days}
    facts = [
        _say(rng, "{place} {verb} {pd} {items} [a|each|every] day.", **w),
        _say(rng, "{items} [are delivered|come|are ordered] by the dozen.", **w),
    ]
    question = _say(
        rng, "How many dozen {items} [does it need for|should it order for|does it {base} in] {days} days?", **w
    )
    return p.sample(_ask(rng, facts, question, shuffle=True), "dozens")


# (item, items, weight range in grams, holder)
_CRATES = [("apple", "apples", (150, 250), "crate"), ("orange", "oranges", (120, 220), "box"),
           ("melon", "melons", (900, 2500), "crate"), ("tin of tomatoes", "tins of tomatoes", (400, 800), "carton"),
           ("bag of flour", "bags of flour", (1000, 2000), "pallet"), ("jar of honey", "jars of honey", (340, 900),
            "case"), ("potato", "potatoes", (150, 400), "sack")]  # fmt: skip


@shape("items-grams-to-kg-load", "units")
def _items_grams_to_kg_load(rng):
    item, items, (low, high), holder = rng.choice(_CRATES)
    grams, count = rng.randint(low // 10, high // 10) * 10, rng.randint(6, 60)
    holder_kg = rng.randint(1, 25) if rng.random() < 0.5 else 0
    p = Program()
    p.given("grams_each", grams)
    p.given("count", count)
    p.let("total_g", "grams_each * count")
    p.let("contents_kg", "total_g / 1000")
    if holder_kg:
        p.given(f"empty_{holder}_kg", holder_kg)
        p.let(f"full_{holder}_kg", f"contents_kg + empty_{holder}_kg")
    w = {"item": item, "items": items, "g": _num(rng, grams), "k": count, "h": holder, "hk": holder_kg}
    facts = [
        _say(rng, "[A|One] {h} holds {k} {items}.", **w),
        _say(rng, "[Each|Every] {item} weighs {g} [grams|g].", **w),
    ]
    if holder_kg:
        facts.append(_say(rng, "The empty {h}[ itself|] weighs {hk} kg.", **w))
        question = _say(rng, "How many kilograms does the full {h} weigh?", **w)
    else:
        question = _say(rng, "How many kilograms do the {items} in [one|the] {h} weigh[| altogether| in total]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"full_{holder}_kg" if holder_kg else "contents_kg")


_GROWERS = [("bamboo shoot", "grows"), ("sunflower", "grows"), ("vine", "climbs"), ("icicle", "grows"),
            ("pile of leaves", "rises"), ("tomato plant", "grows")]  # fmt: skip


@shape("mm-per-day-weeks-to-cm", "units")
def _mm_per_day_weeks_to_cm(rng):
    thing, verb = rng.choice(_GROWERS)
    mm, weeks = rng.randint(2, 60), rng.randint(2, 12)
    p = Program()
    p.given("mm_per_day", mm)
    p.given("weeks", weeks)
    p.let("days", "weeks * 7")
    p.let("total_mm", "mm_per_day * days")
    p.let("total_cm", "total_mm / 10")
    w = {
        "t": thing,
        "a_t": article(thing),
        "A_t": _cap(article(thing)),
        "v": verb,
        "base": _base(verb),
        "mm": mm,
        "wk": _count(rng, weeks),
    }
    if rng.random() < 0.3:
        question = _say(rng, "How many centimetres does {a_t} that {v} {mm} mm a day {base} in {wk} weeks?", **w)
        return p.sample(question, "total_cm")
    fact = _say(rng, "[{A_t}|The {t}] {v} {mm} [millimetres|mm] [a|each|every] day.", **w)
    question = _say(rng, "How many centimetres does it {base} in {wk} weeks?", **w)
    return p.sample(_ask(rng, [fact], question, first=0), "total_cm")


_PASTIMES = [("plays video games", "gaming"), ("practises the violin", "practice"), ("reads", "reading"),
             ("swims", "swimming"), ("does yoga", "yoga"), ("studies Spanish", "study")]  # fmt: skip


@shape("minutes-a-day-to-hours", "units")
def _minutes_a_day_to_hours(rng):
    doing, noun = rng.choice(_PASTIMES)
    minutes = rng.choice([15, 20, 25, 30, 35, 40, 45, 50, 75, 80, 90, 100, 120])
    days = rng.choice([d for d in range(2, 61) if minutes * d % 60 == 0])
    v = _var(noun)
    p = Program()
    p.given(f"{v}_minutes_per_day", minutes)
    p.given("days", days)
    p.let(f"{v}_minutes", f"{v}_minutes_per_day * days")
    p.let(f"{v}_hours", f"{v}_minutes // 60")
    who = _who(rng)
    w = {"doing": doing, "noun": noun, "min": minutes, "days": days, **who}
    if rng.random() < 0.5:
        fact = _say(rng, "{s} {doing} for {min} minutes [a|each|every] day for {days} days.", **w)
        question = _say(rng, "How many hours [is that in total|of {noun} is that altogether]?", **w)
    else:
        fact = _say(rng, "{s} {doing} for {min} minutes [a|each|every] day.", **w)
        question = _say(rng, "How many hours [is that|of {noun} is that] [in|over] {days} days?", **w)
    return p.sample(_ask(rng, [fact], question, first=0), f"{v}_hours")


# --- percent -------------------------------------------------------------------------------------

_WEAR = ["jacket", "pair of boots", "backpack", "coffee maker", "bike helmet", "desk chair", "tennis racket", "tent"]


@shape("discount-then-sales-tax", "percent")
def _discount_then_sales_tax(rng):
    item = rng.choice(_WEAR)
    price = rng.randint(1, 60) * 20
    off, tax = rng.choice([10, 15, 20, 25, 30, 40, 50]), rng.choice([4, 5, 6, 8, 10, 12])
    p = Program()
    p.given("price", price)
    p.given("discount_percent", off)
    p.given("tax_percent", tax)
    p.let("discount", "price * discount_percent / 100")
    p.let("sale_price", "price - discount")
    p.let("tax", "sale_price * tax_percent / 100")
    p.let("final_price", "sale_price + tax")
    who = _who(rng)
    w = {"item": item, "price": _usd(price), "off": off, "tax": tax, **who}
    facts = [
        _say(rng, "[A|The] {item} [is marked|has a price tag of|costs] {price}[ in the shop window|].", **w),
        _say(rng, "[This week it is|It is on sale for|The store takes] {off}% off.", **w),
        _say(rng, "[Then|After the discount,] {tax}% sales tax is added [to the sale price|at the till].", **w),
    ]
    question = _say(rng, "How much does {s} pay for the {item}[|, in dollars]?", **w)
    if rng.random() < 0.25:
        question = _say(rng, "What is the final price after the discount and the tax?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "final_price", cents=True)


_DROPS = ["laptop", "sofa", "coat", "phone", "bicycle", "camera", "tablet", "rug", "guitar"]


@shape("price-change-as-percent", "percent")
def _price_change_as_percent(rng):
    item = rng.choice(_DROPS)
    old = rng.randint(1, 100) * 20
    pct = rng.choice([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 75])
    rise = rng.random() < 0.35
    new = old + old * pct // 100 if rise else old - old * pct // 100
    p = Program()
    p.given("old_price", old)
    p.given("new_price", new)
    p.let("change", "new_price - old_price" if rise else "old_price - new_price")
    p.let("percent_change", "change * 100 / old_price")
    who = _who(rng)
    w = {"item": item, "old": _usd(old), "new": _usd(new), **who}
    if rise:
        facts = [
            _say(rng, "[Last year|In January] a {item} cost {old}.", **w),
            _say(rng, "[Now|This year] the same {item} costs {new}.", **w),
        ]
        question = _say(rng, "By what percent did the price [go up|rise|increase]?", **w)
    else:
        facts = [
            _say(rng, "A {item} [used to cost|was priced at|was] {old}.", **w),
            _say(rng, "[In a sale|Now|This week] {s} [sees|finds] it for {new}.", **w),
        ]
        question = _say(rng, "By what percent [did the price drop|was the price cut|is it cheaper now]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "percent_change")


_SELLS = ["cars", "houses", "furniture", "phones", "insurance", "solar panels", "kitchens"]


@shape("base-pay-plus-commission", "percent")
def _base_pay_plus_commission(rng):
    goods = rng.choice(_SELLS)
    base, pct = rng.randint(8, 40) * 50, rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 15])
    sales = rng.randint(20, 900) * 10 + rng.choice([0, 0, rng.randint(1, 9)])
    p = Program()
    p.given("base_pay", base)
    p.given("commission_percent", pct)
    p.given("sales", sales)
    p.let("commission", "sales * commission_percent / 100")
    p.let("earnings", "base_pay + commission")
    who = _who(rng)
    w = {"g": goods, "base": _usd(base), "pct": pct, "sales": _usd(sales), "gets": _v(who, "gets"), **who}
    facts = [
        _say(rng, "{s} [sells|is paid to sell] {g} and {gets} a base pay of {base} a month.", **w),
        _say(rng, "On top of that, {s} [earns|gets|keeps] {pct}% of [everything {s} sells|all sales].", **w),
        _say(rng, "[This month|In March|Last month] {s} sold {sales} worth of {g}.", **w),
    ]
    if rng.random() < 0.2:
        facts.append(_say(rng, "{s} made {k} [sales calls|home visits] that month.", k=rng.randint(12, 90), **w))
    question = _say(rng, "How much [did {s} earn|did {s} make|was {pos} total pay] that month?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "earnings", cents=True)


# (people, place, what some do, group words)
_ATTEND = [("students", "a school", "[are absent|stay home sick|are away on a trip]"),
           ("runners", "a race", "[drop out|do not start]"), ("campers", "a summer camp", "[go home early|are ill]"),
           ("workers", "a company", "[work from home|are on holiday]"),
           ("players", "a chess club", "[miss the tournament|stay home]")]  # fmt: skip


@shape("absent-percent-then-groups", "percent")
def _absent_percent_then_groups(rng):
    kind, place, gone = rng.choice(_ATTEND)
    while True:
        total = rng.randint(2, 60) * 20
        pct, group = rng.choice([5, 10, 15, 20, 25, 30, 40, 50]), rng.choice([3, 4, 5, 6, 8, 10, 12])
        present = total - total * pct // 100
        if present % group == 0 and present > group:
            break
    p = Program()
    p.given(kind, total)
    p.given("percent_away", pct)
    p.given("group_size", group)
    p.let("away", f"{kind} * percent_away // 100")
    p.let("present", f"{kind} - away")
    p.let("groups", "present // group_size")
    groups = rng.choice(["teams", "groups"])
    w = {"k": kind, "place": place, "total": _num(rng, total), "pct": pct, "g": group, "groups": groups}
    facts = [
        _say(rng, "There are {total} {k} [at|in] {place}.", **w),
        _say(rng, "[On Friday|Today|One day], {pct}% of them " + gone + ".", **w),
        _say(rng, "The [others|rest] are [split|put] into {groups} of {g}.", **w),
    ]
    if rng.random() < 0.2:
        facts.insert(1, _say(rng, "[Each|Every] {k_one} [has|wears] a number from 1 to {total}.", k_one=kind[:-1], **w))
    question = _say(rng, "How many {groups} are there?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "groups")


@shape("two-accounts-interest", "percent")
def _two_accounts_interest(rng):
    a, b = rng.randint(1, 80) * 50, rng.randint(1, 80) * 50
    ra, rb = rng.sample([1, 2, 3, 4, 5, 6, 7], 2)
    p = Program()
    p.given("savings", a)
    p.given("savings_rate", ra)
    p.given("deposit", b)
    p.given("deposit_rate", rb)
    p.let("savings_interest", "savings * savings_rate / 100")
    p.let("deposit_interest", "deposit * deposit_rate / 100")
    p.let("total_interest", "savings_interest + deposit_interest")
    who = _who(rng)
    w = {"a": _usd(a), "b": _usd(b), "ra": ra, "rb": rb, **who}
    facts = [
        _say(rng, "{s} [keeps|has|puts] {a} in a savings account that pays {ra}% interest a year.", **w),
        _say(
            rng,
            "{s} [also has|also puts|also keeps] {b} in a [fixed deposit|term deposit|bond] [that pays|paying] "
            "{rb}% a year.",
            **w,
        ),
    ]
    question = _say(
        rng, "How much interest [does {s} earn|will {s} get] in one year[ altogether| from both| in total]?", **w
    )
    return p.sample(_ask(rng, facts, question, first=0), "total_interest", cents=True)


# (what is paid monthly, its verb, variable)
_MONTHLY = [("the rent on {pos} flat", "is", "rent"), ("{pos} gym membership", "costs", "membership"),
            ("{pos} bus pass", "costs", "bus_pass"), ("{pos} phone plan", "costs", "phone_plan"),
            ("{pos} music lessons", "cost", "lessons")]  # fmt: skip


@shape("monthly-price-rise-yearly", "percent")
def _monthly_price_rise_yearly(rng):
    what, verb, v = rng.choice(_MONTHLY)
    pct = rng.choice([2, 4, 5, 8, 10, 12, 15, 20, 25])
    monthly = rng.randint(20, 120) * 20 if v == "rent" else rng.randint(2, 30) * 5
    p = Program()
    p.given(f"monthly_{v}", monthly)
    p.given("rise_percent", pct)
    p.let("rise", f"monthly_{v} * rise_percent / 100")
    p.let(f"new_monthly_{v}", f"monthly_{v} + rise")
    p.let(f"yearly_{v}", f"new_monthly_{v} * 12")
    who = _who(rng, me=0.3)
    w = {"m": _usd(monthly), "pct": pct, **who}
    facts = [
        _say(rng, what + " " + verb + " {m} a month.", **w),
        _say(rng, "[Next year|From January] the price [goes up|rises|will rise] by {pct}%.", **w),
    ]
    question = _say(
        rng, "How much will {s} pay [over the whole next year|for the next 12 months|in a year at the new price]?", **w
    )
    return p.sample(_ask(rng, facts, question, first=0), f"yearly_{v}", cents=True)


_STOCK = ["T-shirts", "umbrellas", "pumpkins", "ice lollies", "notebooks", "scarves", "mangoes", "plant pots"]


@shape("percent-sold-then-more", "percent")
def _percent_sold_then_more(rng):
    items = rng.choice(_STOCK)
    while True:
        pct, stock = rng.choice([10, 20, 25, 30, 40, 45, 50, 60, 75]), rng.randint(2, 120) * 20
        if stock - stock * pct // 100 >= 3:
            break
    sold_second = rng.randint(2, stock - stock * pct // 100 - 1)
    v = _var(items)
    p = Program()
    p.given(f"{v}_in_stock", stock)
    p.given("saturday_percent", pct)
    p.given("sunday_sold", sold_second)
    p.let("saturday_sold", f"{v}_in_stock * saturday_percent // 100")
    p.let(f"{v}_left", f"{v}_in_stock - saturday_sold - sunday_sold")
    w = {
        "i": items,
        "stock": _num(rng, stock),
        "pct": pct,
        "sun": sold_second,
        "shop": rng.choice(["A shop", "A market stall", "A street vendor", "A small store"]),
    }
    facts = [
        _say(rng, "{shop} [had|started the weekend with] {stock} {i}.", **w),
        _say(rng, "On Saturday it sold {pct}% of them[, and| and] on Sunday it sold {sun} more.", **w),
    ]
    if rng.random() < 0.2:
        facts.insert(1, _say(rng, "[Each one|They each] cost ${price}.", price=rng.randint(2, 30)))
    question = _say(rng, "How many {i} [are left|did it have left|remain] [after the weekend|at the end]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"{v}_left")


# (did, things, the ones that worked, the others)
_TRIES = [("planted", "seeds", "sprouted", "did not sprout"), ("took", "free throws", "went in", "missed"),
          ("sent", "emails", "got an answer", "got no answer"),
          ("planted", "tulip bulbs", "flowered", "did not flower"),
          ("baked", "loaves", "rose well", "did not rise")]  # fmt: skip


@shape("percent-failed", "percent")
def _percent_failed(rng):
    verb, things, good, bad = rng.choice(_TRIES)
    while True:
        total = rng.choice([10, 20, 25, 40, 50, 60, 80, 100, 120, 150, 200, 250, 400, 500])
        fail_pct = rng.randint(1, 19) * 5
        if total * fail_pct % 100 == 0:
            break
    ok = total - total * fail_pct // 100
    p = Program()
    p.given("total", total)
    p.given("successes", ok)
    p.let("failures", "total - successes")
    p.let("percent_failed", "failures * 100 / total")
    who = _who(rng)
    w = {"verb": verb, "t": things, "good": good, "bad": bad, "total": total, "ok": ok, **who}
    fact = _say(
        rng, "[{s} {verb} {total} {t}, and {ok} of them {good}|Of the {total} {t} {s} {verb}, {ok} {good}].", **w
    )
    question = _say(rng, "What percent of them {bad}?", **w)
    return p.sample(_ask(rng, [fact], question, first=0), "percent_failed")


# --- fractions -----------------------------------------------------------------------------------

_KEEPS = ["marbles", "stickers", "baseball cards", "beads", "seashells", "crayons", "comic books", "stamps"]
_PROPER = [(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (1, 5), (2, 5), (3, 5), (4, 5), (1, 6), (5, 6), (3, 8), (5, 8),
           (3, 10), (7, 10)]  # fmt: skip


@shape("give-fraction-then-lose", "fractions")
def _give_fraction_then_lose(rng):
    things = rng.choice(_KEEPS)
    num, den = rng.choice(_PROPER)
    total = den * rng.randint(2, 60)
    kept = total - total * num // den
    lost = rng.randint(1, kept - 1) if kept > 2 else 0
    if lost < 2:
        num, den, total, lost = 1, 2, 2 * rng.randint(3, 40), 2
    v = _var(things)
    p = Program()
    p.given(v, total)
    p.let(f"{v}_given", _times(v, num, den))
    p.given(f"{v}_lost", lost)
    p.let(f"{v}_left", f"{v} - {v}_given - {v}_lost")
    who = _who(rng)
    w = {"t": things, "total": total, "f": _fraction(rng, num, den), "lost": lost, "m": _other(rng, who), **who}
    if rng.random() < 0.5:
        facts = [
            _say(rng, "{s} [has|owns|collects] {total} {t}.", **w),
            _say(rng, "{s} [gives|hands] {f} of them to {m}[ as a present|].", **w),
            _say(rng, "[Then|Later] {s} [loses|drops] {lost} [more|of the rest].", **w),
        ]
        question = _say(rng, "How many {t} does {s} have [left|now]?", **w)
    else:
        facts = [
            _say(rng, "{s} had {total} {t}.", **w),
            _say(rng, "{s} [gave|handed] {f} of them to {m}[ as a present|].", **w),
            _say(rng, "[Then|Later] {s} lost {lost} [more|of the rest].", **w),
        ]
        question = _say(rng, "How many {t} [does {s} have left|did {s} keep in the end]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"{v}_left")


# (food, pieces, the most pieces it has)
_SHARED = [("chocolate bar", "squares", 40), ("party pizza", "slices", 24), ("bag of grapes", "grapes", 120),
           ("tray of brownies", "brownies", 48), ("box of chocolates", "chocolates", 60),
           ("pie", "slices", 16)]  # fmt: skip


@shape("eat-fraction-share-rest", "fractions")
def _eat_fraction_share_rest(rng):
    food, pieces_word, most = rng.choice(_SHARED)
    while True:
        num, den = rng.choice([(1, 2), (1, 3), (1, 4), (2, 3), (3, 4), (1, 5), (2, 5), (1, 6)])
        friends, rest_each = rng.randint(2, 6), rng.randint(1, 8)
        pieces = friends * rest_each * den // (den - num)
        if friends * rest_each * den % (den - num) == 0 and pieces <= most:
            break
    v = _var(pieces_word)
    taken = rng.choice(["eats", "takes"])
    taken_var = {"eats": "eaten", "takes": "taken"}[taken]
    p = Program()
    p.given(v, pieces)
    p.let(f"{v}_{taken_var}", _times(v, num, den))
    p.let(f"{v}_left", f"{v} - {v}_{taken_var}")
    p.given("friends", friends)
    p.let("each_friend_gets", f"{v}_left / friends")
    who = _who(rng)
    w = {
        "food": food,
        "pw": pieces_word,
        "k": pieces,
        "f": _fraction(rng, num, den),
        "fr": _count(rng, friends),
        "taken": taken,
        "shares": _v(who, rng.choice(["shares", "splits"])),
        **who,
    }
    facts = [
        _say(rng, "[A|The] {food} has {k} {pw}.", **w),
        _say(rng, "{s} {taken} {f} of the {pw} and {shares} the rest equally [among|between] {fr} friends.", **w),
    ]
    question = _say(rng, "How many {pw} does each friend get?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "each_friend_gets")


# (who, how the question names them, what some of them did, what some of those did)
_FRACTION_OF = [("people at a fair", "people", "went on the Ferris wheel", "also bought candy floss"),
                ("students in a year group", "students", "play a sport", "play football"),
                ("trees in an orchard", "trees", "are apple trees", "are ready to pick"),
                ("books in a donation box", "books", "are novels", "are mysteries"),
                ("runners in a race", "runners", "finished", "finished in under an hour"),
                ("guests at a wedding", "guests", "ate fish", "had dessert too")]  # fmt: skip


@shape("fraction-of-a-fraction", "fractions")
def _fraction_of_a_fraction(rng):
    group, short, first_part, second_part = rng.choice(_FRACTION_OF)
    n1, d1 = rng.choice([(1, 2), (2, 3), (3, 4), (1, 3), (1, 4), (3, 5), (2, 5)])
    n2, d2 = rng.choice([(1, 2), (2, 3), (3, 4), (1, 3), (1, 4), (4, 5)])
    total = d1 * d2 * rng.randint(1, 40)
    p = Program()
    p.given(short, total)
    p.let("first_group", _times(short, n1, d1))
    p.let("second_group", _times("first_group", n2, d2))
    w = {
        "group": group,
        "short": short,
        "a": first_part,
        "b": second_part,
        "total": _num(rng, total),
        "f1": _fraction(rng, n1, d1),
        "f2": _fraction(rng, n2, d2),
    }
    facts = [
        _say(rng, "There are {total} {group}.", **w),
        _say(rng, "{f1} of them {a}.", **w),
        _say(rng, "{f2} of those {b}.", **w),
    ]
    question = _say(rng, "How many [{short}|of them] {b}?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "second_group")


_JOURNEYS = [("road trip", "drives", "km"), ("hike", "walks", "km"), ("bike tour", "rides", "km"),
             ("canoe trip", "paddles", "km"), ("sailing trip", "sails", "nautical miles")]  # fmt: skip


@shape("journey-fractions-left", "fractions")
def _journey_fractions_left(rng):
    trip, verb, unit = rng.choice(_JOURNEYS)
    n1, d1 = rng.choice([(1, 2), (1, 3), (2, 5), (1, 4), (3, 8), (2, 3)])
    n2, d2 = rng.choice([(1, 2), (1, 3), (1, 4), (2, 3), (3, 4), (1, 5)])
    total = d1 * d2 * rng.randint(2, 30)
    u = "km" if unit == "km" else "miles"
    p = Program()
    p.given(f"total_{u}", total)
    p.let(f"day_1_{u}", _times(f"total_{u}", n1, d1))
    p.let(f"rest_{u}", f"total_{u} - day_1_{u}")
    p.let(f"day_2_{u}", _times(f"rest_{u}", n2, d2))
    p.let(f"left_{u}", f"rest_{u} - day_2_{u}")
    who = _who(rng)
    w = {
        "trip": trip,
        "v": verb,
        "u": unit,
        "total": _num(rng, total),
        "f1": _fraction(rng, n1, d1),
        "f2": _fraction(rng, n2, d2),
        **who,
    }
    facts = [
        _say(rng, "{pos} {trip} is {total} {u} long.", **w),
        _say(rng, "On the first day {s} {v} {f1} of the [distance|way].", **w),
        _say(rng, "On the second day {s} {v} {f2} of [the distance that is left|what is left|the rest].", **w),
    ]
    question = _say(rng, "How many {u} [are still to go|are left for the third day|remain]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"left_{u}")


_SPENDINGS = ["books", "a concert ticket", "clothes", "lunch", "a gift", "games", "bus fares", "art supplies"]


@shape("two-fraction-spendings", "fractions")
def _two_fraction_spendings(rng):
    n1, d1 = rng.choice([(1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (1, 6), (1, 8), (3, 8)])
    while True:
        n2, d2 = rng.choice([(1, 3), (1, 4), (1, 5), (1, 6), (1, 8), (1, 10), (3, 10), (2, 5)])
        if n1 * d2 + n2 * d1 < d1 * d2 and (n1, d1) != (n2, d2):
            break
    money = d1 * d2 * rng.randint(1, 25)
    first, second = rng.sample(_SPENDINGS, 2)
    p = Program()
    p.given("money", money)
    p.let("spent_first", _times("money", n1, d1))
    p.let("spent_second", _times("money", n2, d2))
    p.let("money_left", "money - spent_first - spent_second")
    who = _who(rng)
    w = {
        "m": _usd(money),
        "f1": _fraction(rng, n1, d1),
        "f2": _fraction(rng, n2, d2),
        "a": first,
        "b": second,
        "how": rng.choice(["for a birthday", "from a summer job", "from selling old toys", "as pocket money"]),
        **who,
    }
    facts = [
        _say(rng, "{s} [got|earned|received] {m} {how}.", **w),
        _say(rng, "{s} [spends|uses] {f1} of it on {a} and {f2} of it on {b}.", **w),
    ]
    question = _say(rng, "[How many dollars does {s} have left|How much money is left over]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), "money_left")


# (fact, question, what the part and the whole count)
_PART_KNOWN = [
    ("{s} has read {f} of a book, which is {part} pages.", "How many pages does the whole book have?", "pages"),
    ("{s} has walked {f} of the way to school, which is {part} metres.", "How long is the whole way in metres?",
     "metres"),
    ("{s} paid {f} of the price of a bike as a deposit: ${part}.", "What is the full price of the bike, in dollars?",
     "dollars"),
    ("[A|The] tank is {f} full, and it holds {part} litres right now.", "How many litres does the full tank hold?",
     "litres"),
    ("{s} has saved ${part}, which is {f} of the cost of a trip.", "How much does the trip cost[ in dollars|]?",
     "dollars"),
    ("{part} of the students in a school take the bus, and that is {f} of all of them.", "How many students does the "
     "school have?", "students"),
]  # fmt: skip


@shape("whole-from-known-part", "fractions")
def _whole_from_known_part(rng):
    fact, question, unit = rng.choice(_PART_KNOWN)
    num, den = rng.choice([(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (2, 5), (3, 5), (3, 8), (5, 6), (4, 5)])
    whole = den * rng.randint(2, 60) * (10 if unit == "metres" else 1)
    p = Program()
    p.given(f"part_{unit}", whole * num // den)
    p.let(f"whole_{unit}", f"part_{unit} * {den} / {num}" if num > 1 else f"part_{unit} * {den}")
    who = _who(rng)
    w = {"f": _fraction(rng, num, den), "part": whole * num // den, **who}
    return p.sample(_ask(rng, [_say(rng, fact, **w)], _say(rng, question, **w), first=0.2), f"whole_{unit}")


# (place, first kind, second kind, third kind, all of them)
_CHAINS = [("A farm", "cows", "goats", "hens", "animals"), ("A pet shop", "rabbits", "hamsters", "goldfish", "pets"),
           ("A garden", "rose bushes", "tulips", "daisies", "plants"),
           ("A zoo", "penguins", "seals", "flamingos", "animals"),
           ("A toy box", "cars", "trucks", "marbles", "toys")]  # fmt: skip
_TIMES_WORDS = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}


@shape("half-as-many-chain-total", "fractions")
def _half_as_many_chain_total(rng):
    place, a, b, c, all_word = rng.choice(_CHAINS)
    den, times = rng.choice([2, 2, 3, 4]), rng.choice([2, 3, 4, 5])
    first = den * rng.randint(2, 40)
    p = Program()
    p.given(_var(a), first)
    p.let(_var(b), f"{_var(a)} / {den}")
    p.let(_var(c), f"{_var(b)} * {times}")
    p.let(f"total_{all_word}", f"{_var(a)} + {_var(b)} + {_var(c)}")
    w = {
        "place": place,
        "a": a,
        "b": b,
        "c": c,
        "all": all_word,
        "k": first,
        "frac": {2: "half", 3: "a third", 4: "a quarter"}[den],
        "times": _TIMES_WORDS[times],
    }
    facts = [_say(rng, "{place} has {k} {a}.", **w)]
    if rng.random() < 0.5:
        facts.append(_say(rng, "It has {frac} as many {b} as {a} and {times} as many {c} as {b}.", **w))
    else:
        facts += [
            _say(rng, "[It has|There are] {frac} as many {b} as {a}.", **w),
            _say(rng, "There are {times} as many {c} as {b}.", **w),
        ]
    question = _say(rng, "How many {all} [are there in total|does it have altogether|are there]?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"total_{all_word}")


# (the container holds, things, "are" what, the kind, verb, variable for the removed ones)
_MIXED = [("A jar holds", "cookies", "are chocolate chip", "chocolate chip cookies", "eats", "eaten",
           "The jar sits next to {d} cups of tea."),
          ("A box has", "crayons", "are red", "red crayons", "loses", "lost", "The box also holds {d} pencils."),
          ("An orchard has", "trees", "are apple trees", "apple trees", "cuts down", "cut_down",
           "There are also {d} bee hives in the orchard."),
          ("A bag holds", "sweets", "are lemon flavoured", "lemon sweets", "eats", "eaten",
           "The bag cost {d} dollars."),
          ("A class library has", "books", "are comics", "comics", "gives away", "given_away",
           "The library also has {d} magazines.")]  # fmt: skip


@shape("fraction-kind-minus-some", "fractions")
def _fraction_kind_minus_some(rng):
    holds, things, are, kind, verb, removed_var, aside = rng.choice(_MIXED)
    num, den = rng.choice([(1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (2, 5), (3, 5), (3, 8), (5, 8), (5, 6)])
    total = den * rng.randint(2, 50)
    while total * num // den < 3:
        total += den
    removed = rng.randint(2, total * num // den - 1)
    k = _var(kind)
    p = Program()
    p.given(things, total)
    p.let(k, _times(things, num, den))
    p.given(f"{k}_{removed_var}", removed)
    p.let(f"{k}_left", f"{k} - {k}_{removed_var}")
    who = _who(rng)
    w = {
        "holds": holds,
        "t": things,
        "are": are,
        "kind": kind,
        "v": verb,
        "total": total,
        "k": removed,
        "f": _fraction(rng, num, den),
        **who,
    }
    facts = [
        _say(rng, "{holds} {total} {t}, and {f} of them {are}.", **w),
        _say(rng, "{s} {v} {k} of the {kind}.", **w),
    ]
    if rng.random() < 0.2:
        facts.insert(1, _say(rng, aside, d=rng.randint(2, 12)))
    question = _say(rng, "How many {kind} are left?", **w)
    return p.sample(_ask(rng, facts, question, first=0), f"{k}_left")
