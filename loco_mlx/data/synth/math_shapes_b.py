"""Program-style math shapes, part B: averages, remainders, comparisons, money with cents, time.

Each shape draws its numbers, words and sentence order from `rng`, writes the question, and builds
the reply with `Program` (math_programs.py); the sample it returns is verified when drawn.
Wording varies inside every shape (verbs, nouns, first person, the question asked first, facts in
another order, an unused number now and then), so the model learns the operations, not a sentence.
"""

from __future__ import annotations

import random
import re

from loco_mlx.data.synth.common import article, render
from loco_mlx.data.synth.math_programs import Program, shape
from loco_mlx.data.synth.math_words import NAMES

_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


_BACK_REFERENCE = re.compile(r"\b(that|it|its|they|them|these|those|then|now)\b", re.IGNORECASE)
_IRREGULAR = {"has": "have", "is": "am", "does": "do", "goes": "go", "was": "was", "also": "also", "always": "always"}


def _compose(rng: random.Random, facts: list[str], question: str, shuffle: bool = False, first: float = 0.2) -> str:
    """Fact sentences (shuffled when their order does not matter) and the question, sometimes asked first
    (not when it points back at the facts: "How many is that?")."""
    facts = list(facts)
    if shuffle:
        rng.shuffle(facts)
    ask_first = rng.random() < first and not _BACK_REFERENCE.search(question)
    parts = [question, *facts] if ask_first else [*facts, question]
    return _agree(" ".join(_cap(part.strip()) for part in parts)).replace("..", ".")


def _agree(text: str) -> str:
    """Verbs after a first-person "I": "I has" -> "I have", "I buys" -> "I buy", "does I" -> "do I"."""

    def base(match: re.Match) -> str:
        verb = match.group(1)
        if verb in _IRREGULAR:
            verb = _IRREGULAR[verb]
        elif verb.endswith(("sses", "ches", "shes", "xes")):
            verb = verb[:-2]
        elif verb.endswith("ies"):
            verb = verb[:-3] + "y"
        elif verb.endswith("s") and not verb.endswith("ss"):
            verb = verb[:-1]
        return "I " + verb

    text = re.sub(r"\bI ([a-z]+)\b", base, text)
    return re.sub(r"\b([Dd])oes I\b", r"\1o I", text)


def _num(rng: random.Random, value: int, commas: bool | None = None) -> str:
    """An int as the question writes it: 1,250 or 1250 (`commas` keeps one style within a list)."""
    commas = rng.random() < 0.5 if commas is None else commas
    return f"{value:,}" if commas else str(value)


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _dollars(rng: random.Random, low: float, high: float, step: int = 1) -> float:
    """A price between low and high dollars, in steps of `step` cents."""
    return rng.randint(round(low * 100) // step, round(high * 100) // step) * step / 100


def _count(rng: random.Random, k: int, words: bool = True) -> str:
    """A small count as a word or digits."""
    return _WORDS[k] if words and k in _WORDS and rng.random() < 0.5 else str(k)


def _a(number: int | str) -> str:
    """The article before a number said aloud: "an 8-day trip", "an 18% tip", "a 7-metre rope"."""
    text = str(number)
    return "an" if text.startswith(("8", "eight", "eleven")) or text in ("11", "18") else "a"


def _plural(k: int, singular: str, plural: str | None = None) -> str:
    return f"{k} {singular if k == 1 else plural or singular + 's'}"


def _listing(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _person(rng: random.Random, name: str, me: float = 0.25) -> dict:
    """Who the problem is about: a name, or "I" (first person) now and then."""
    if rng.random() < me:
        return {"s": "I", "pos": "my", "o": "me", "has": "have", "is": "am", "does": "do", "me": True}
    return {"s": name, "pos": f"{name}'s", "o": name, "has": "has", "is": "is", "does": "does", "me": False}


def _var(word: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in word.lower()).split())


def _clock(hour: int, minute: int) -> str:
    return f"{hour}:{minute:02d}"


def _minute(rng: random.Random) -> int:
    return rng.randrange(0, 60, 5) if rng.random() < 0.7 else rng.randint(0, 59)


# --- averages ------------------------------------------------------------------------------------

_READINGS = [
    # fact, question, count name, value name (with {i}), total, answer, value range
    ("{s} ran {vals} kilometres on {kw} [mornings|days] [this week|last week|in a row].",
     "[How far did {s} run per morning on average, in kilometres|What was {pos} average run in km|"
     "On average, how many kilometres did {s} run each time]?",
     "runs", "run_{i}_km", "total_km", "average_km", (2, 21)),
    ("[A|The school's|{pos}] [basketball|handball|netball|water polo] team scored {vals} points in [its|the] "
     "last {kw} games.",
     "[How many points per game did the team score on average|What is the team's mean score per game|"
     "On average, how many points did the team score in a game]?",
     "games", "game_{i}_points", "total_points", "points_per_game", (18, 120)),
    ("A [café|bakery|food truck|kiosk] sold {vals} [coffees|sandwiches|pastries|smoothies] on {kw} "
     "[days|weekdays] in a row.",
     "[On average, how many did it sell per day|What is the mean number sold per day|How many did it sell "
     "on an average day]?",
     "days", "day_{i}_sold", "total_sold", "average_sold", (40, 1800)),
    ("{s} [got|scored|earned] {vals} on {kw} [maths|science|history|spelling] [tests|quizzes] this term.",
     "[What is {pos} average score|What is the mean of these scores|What did {s} average on them]?",
     "tests", "test_{i}_score", "total_score", "average_score", (41, 100)),
    ("The {kw} [sunflowers|tomato plants|bean plants|young trees] in {pos} garden are {vals} cm tall.",
     "[What is their average height in cm|How tall are they on average, in centimetres|What is the mean "
     "height of the plants]?",
     "plants", "plant_{i}_cm", "total_cm", "average_cm", (20, 260)),
    ("A courier [delivered|carried|dropped off] {kw} parcels that weighed {vals} kg.",
     "[What was the average weight of a parcel, in kg|How heavy was a parcel on average|What is the mean "
     "parcel weight in kilograms]?",
     "parcels", "parcel_{i}_kg", "total_kg", "average_kg", (1, 40)),
    ("[A|The local] [library|museum|swimming pool|zoo] had {vals} visitors on {kw} [days|Saturdays] last month.",
     "[What was the average number of visitors per day|How many visitors came on an average day|On average, "
     "how many visitors were there each day]?",
     "days", "day_{i}_visitors", "total_visitors", "average_visitors", (80, 3000)),
]  # fmt: skip


@shape("mean-of-readings", "averages")
def _mean_of_readings(rng):
    fact, question, count_name, value_name, total, answer, (low, high) = rng.choice(_READINGS)
    k = rng.randint(3, 5)
    vals = [rng.randint(low, high) for _ in range(k)]
    rounded = rng.random() < 0.25
    if not rounded:  # nudge the last value so the mean is whole
        vals[-1] += (-sum(vals)) % k
        if vals[-1] > high:
            vals[-1] -= k
    p = Program()
    names = [value_name.format(i=i) for i in range(1, k + 1)]
    for name, value in zip(names, vals):
        p.given(name, value)
    p.given(count_name, k)
    p.let(total, " + ".join(names))
    p.let(answer, f"{total} / {count_name}")
    who = _person(rng, rng.choice(NAMES))
    commas = rng.random() < 0.5
    shown = _listing([_num(rng, v, commas) for v in vals])
    kw = _count(rng, k)
    asked = render(rng, question, **who) + (render(rng, " [Round to two decimal places.|Give it to 2 decimals.]")
                                            if rounded else "")  # fmt: skip
    return p.sample(_compose(rng, [render(rng, fact, vals=shown, kw=kw, **who)], asked), answer)


_PER_DAY = [
    # fact, unit for the question, total name, answer name, per-day range
    ("{s} [saved|put aside|set aside] ${total} [from a weekend job|of pocket money|] over {period}.",
     "[How many dollars a day is that on average|What is that per day, on average, in dollars|How much did {s} "
     "save per day on average]?", "dollars_saved", "dollars_per_day", (1, 30)),
    ("{s} walked {total} km in {period}.",
     "[How many kilometres did {s} walk per day on average|What was {pos} average daily distance in km]?",
     "km_walked", "km_per_day", (2, 15)),
    ("{s} read {total} pages [of a long novel|of a history book|for a book club|] in {period}.",
     "[On average, how many pages did {s} read a day|How many pages a day is that on average]?",
     "pages_read", "pages_per_day", (5, 80)),
    ("A [bottling plant|small dairy|juice stand] filled {total} bottles in {period}.",
     "[How many bottles did it fill per day on average|What is the average number of bottles a day]?",
     "bottles_filled", "bottles_per_day", (40, 400)),
    ("{s} practised the [piano|violin|guitar|drums] for {total} minutes in {period}.",
     "[How many minutes a day did {s} practise on average|What was the average practice time per day, in "
     "minutes]?", "minutes_practised", "minutes_per_day", (10, 90)),
]  # fmt: skip


@shape("average-per-day-weeks", "averages")
def _average_per_day_weeks(rng):
    fact, question, total_name, answer, (low, high) = rng.choice(_PER_DAY)
    weeks, extra = rng.randint(2, 8), rng.choice([0, 0, rng.randint(1, 6)])
    days = weeks * 7 + extra
    total = rng.randint(low, high) * days
    p = Program()
    p.given(total_name, total)
    p.given("weeks", weeks)
    if extra:
        p.given("extra_days", extra)
        p.let("days", "weeks * 7 + extra_days")
        period = render(rng, "[{w} weeks and {d}|the last {w} weeks and {d}]", w=weeks, d=_plural(extra, "day"))
    else:
        p.let("days", "weeks * 7")
        period = render(rng, "[{w} weeks|the past {w} weeks|{w} full weeks]", w=_count(rng, weeks))
    p.let(answer, f"{total_name} / days")
    who = _person(rng, rng.choice(NAMES))
    facts = [render(rng, fact, total=_num(rng, total), period=period, **who)]
    if rng.random() < 0.2:
        facts.append(render(rng, "[{s} {is} {age} years old.|{s} started on a Monday.]", age=rng.randint(9, 70), **who))
    return p.sample(_compose(rng, facts, render(rng, question, **who)), answer)


@shape("average-needed-final", "averages")
def _average_needed_final(rng):
    prev = rng.randint(2, 4)
    total_count = prev + 1
    kind = rng.choice(["tests", "sales", "bowling"])
    for _ in range(100):
        if kind == "sales":
            scores, target = [rng.randint(15, 90) for _ in range(prev)], rng.randint(25, 80)
            need_max = 200
        else:
            scores, target = [rng.randint(55, 100) for _ in range(prev)], rng.randint(65, 95)
            need_max = 100 if kind == "tests" else 300
            if kind == "bowling":
                scores, target = [rng.randint(90, 230) for _ in range(prev)], rng.randint(120, 200)
        needed = target * total_count - sum(scores)
        if 0 <= needed <= need_max:
            break
    else:
        scores = [target] * prev
    who = _person(rng, rng.choice(NAMES))
    kw_prev, kw_total = _count(rng, prev), _count(rng, total_count)
    shown = _listing([str(s) for s in scores])
    if kind == "tests":
        test, tests = rng.choice([("test", "tests"), ("quiz", "quizzes"), ("exam", "exams")])
        facts = [
            render(
                rng,
                "{s} [scored|got] {vals} on the first {kp} {ts} of the term.",
                vals=shown,
                kp=kw_prev,
                ts=tests,
                **who,
            ),
            render(rng, "[One {t} is left.|There is one more {t} to go.|Only the final {t} remains.]", t=test),
        ]
        question = render(rng, "[What score does {s} need on the last {t} to average exactly {a} over all {kt}|"
                               "To finish with an average of {a} over the {kt} {ts}, what must {s} score on the "
                               "last one]?", a=target, kt=kw_total, t=test, ts=tests, **who)  # fmt: skip
        names = "test"
    elif kind == "sales":
        facts = [
            render(
                rng,
                "A [salesperson|car dealer|market stall] wants to average {t} sales a day over {a} "
                "{kt}-day [week|fair].",
                t=target,
                kt=kw_total,
                a=_a(kw_total),
            ),
            render(rng, "The first {kp} days brought {vals} sales.", kp=kw_prev, vals=shown),
        ]
        question = render(rng, "[How many sales are needed on the last day|How many sales does the last day need to "
                               "reach that average]?")  # fmt: skip
        names = "day"
    else:
        facts = [
            render(
                rng,
                "{s} bowled {vals} in the first {kp} games of {a} {kt}-game [series|league night].",
                vals=shown,
                kp=kw_prev,
                kt=kw_total,
                a=_a(kw_total),
                **who,
            )
        ]
        question = render(rng, "[What must {s} bowl in the last game to average {t}|What score in the final game "
                               "gives {o} an average of {t}]?", t=target, **who)  # fmt: skip
        names = "game"
    p = Program()
    value_names = [f"{names}_{i}" for i in range(1, prev + 1)]
    for name, value in zip(value_names, scores):
        p.given(name, value)
    p.given("target_average", target)
    p.given(f"{names}s", total_count)
    p.let("target_total", f"target_average * {names}s")
    p.let("so_far", " + ".join(value_names))
    p.let("needed", "target_total - so_far")
    return p.sample(_compose(rng, facts, question), "needed")


_ITEMS = [("tickets", "ticket", 5, 60), ("T-shirts", "T-shirt", 6, 30), ("plants", "plant", 2, 25),
          ("books", "book", 4, 30), ("bags of rice", "bag", 2, 15), ("candles", "candle", 2, 20),
          ("notebooks", "notebook", 1, 8), ("posters", "poster", 2, 15), ("mugs", "mug", 3, 18),
          ("bottles of juice", "bottle", 1, 5)]  # fmt: skip


@shape("average-price-two-batches", "averages")
def _average_price_two_batches(rng):
    items, item, low, high = rng.choice(_ITEMS)
    a, b = rng.randint(2, 12), rng.randint(2, 12)
    first = _dollars(rng, low, high, rng.choice([1, 5, 25]))
    second = _dollars(rng, low, high, 5)
    exact = False
    for _ in range(40):
        if round(a * first * 100 + b * second * 100) % (a + b) == 0:
            exact = True
            break
        second = _dollars(rng, low, high, 5)
    p = Program()
    p.given("first_count", a)
    p.given("first_price", first)
    p.given("second_count", b)
    p.given("second_price", second)
    p.let("first_cost", "first_count * first_price")
    p.let("second_cost", "second_count * second_price")
    p.let("total_cost", "first_cost + second_cost")
    p.let("total_items", "first_count + second_count")
    p.let("average_price", "total_cost / total_items")
    who = _person(rng, rng.choice(NAMES))
    fact = render(rng, rng.choice([
        "{s} bought {a} {items} at {p} each, then {b} more at {q} each.",
        "At the first shop {s} paid {p} each for {a} {items}; at the second shop {b} {items} cost {q} each.",
        "For a [school fair|party|club event], {s} ordered {a} {items} for {p} apiece and later {b} {items} for {q} "
        "apiece."]), a=a, b=b, p=_usd(first), q=_usd(second), items=items, **who)  # fmt: skip
    question = render(rng, "[What was the average price per {item}|On average, how much did {s} pay for one {item}|"
                           "What did one {item} cost on average]?", item=item, **who)  # fmt: skip
    if not exact:
        question += render(rng, " [Round to the nearest cent.|Give the answer to the nearest cent.]")
    return p.sample(_compose(rng, [fact], question), "average_price", cents=True)


_GROUPS = [
    ("In class A, {a} students averaged {x} points on a test.", "In class B, {b} students averaged {y} points.",
     "[What was the average score of all the students together|What is the mean score of both classes combined]?",
     "class_a", "class_b", "students", (45, 95)),
    ("On the morning shift, {a} workers packed an average of {x} boxes each.",
     "On the afternoon shift, {b} workers packed an average of {y} boxes each.",
     "[What was the average number of boxes per worker over both shifts|On average, how many boxes did a worker "
     "pack that day]?", "morning", "afternoon", "workers", (20, 180)),
    ("{a} adults in a charity run covered an average of {x} km.", "{b} children covered an average of {y} km.",
     "[What was the average distance of all the runners, in km|How many km did a runner cover on average]?",
     "adults", "children", "runners", (2, 30)),
    ("The {a} [apple|pear|plum] trees in one orchard gave an average of {x} kg of fruit each.",
     "The {b} trees in a second orchard gave an average of {y} kg each.",
     "[What was the average harvest per tree across both orchards, in kg|How many kg did a tree give on "
     "average]?", "first_orchard", "second_orchard", "trees", (15, 140)),
]  # fmt: skip


@shape("average-combined-groups", "averages")
def _average_combined_groups(rng):
    fact_a, fact_b, question, ga, gb, unit, (low, high) = rng.choice(_GROUPS)
    exact = False
    for _ in range(60):
        a, b = rng.randint(3, 40), rng.randint(3, 40)
        x, y = rng.randint(low, high), rng.randint(low, high)
        if x != y and (a * x + b * y) % (a + b) == 0:
            exact = True
            break
    p = Program()
    p.given(f"{ga}_count", a)
    p.given(f"{ga}_average", x)
    p.given(f"{gb}_count", b)
    p.given(f"{gb}_average", y)
    p.let(f"{ga}_total", f"{ga}_count * {ga}_average")
    p.let(f"{gb}_total", f"{gb}_count * {gb}_average")
    p.let("combined_total", f"{ga}_total + {gb}_total")
    p.let(f"all_{unit}", f"{ga}_count + {gb}_count")
    p.let("overall_average", f"combined_total / all_{unit}")
    asked = render(rng, question)
    if not exact:
        asked += render(rng, " [Round to two decimal places.|Give it to 2 decimal places.]")
    facts = [render(rng, fact_a, a=a, x=x), render(rng, fact_b, b=b, y=y)]
    return p.sample(_compose(rng, facts, asked), "overall_average")


@shape("average-after-one-more", "averages")
def _average_after_one_more(rng):
    kind = rng.choice(["ages", "parcels", "games", "jars"])
    for _ in range(100):
        count, old = rng.randint(3, 12), rng.randint(8, 90)
        new = rng.randint(2, 120)
        if new != old and (old * count + new) % (count + 1) == 0:
            break
    else:
        new = old + count + 1
    who = _person(rng, rng.choice(NAMES))
    if kind == "ages":
        facts = [
            render(
                rng,
                "The {c} players on a [chess|quiz|darts|bowling] team have an average age of {o} years.",
                c=count,
                o=old,
            ),
            render(rng, "A new player aged {x} [joins|signs up|joins the team].", x=new),
        ]
        question = render(rng, "[What is the team's average age now|What is the average age of the team after that]?")
    elif kind == "parcels":
        facts = [
            render(rng, "{c} parcels in a van have an average weight of {o} kg.", c=count, o=old),
            render(rng, "[One more parcel|Another parcel], weighing {x} kg, is [loaded|added].", x=new),
        ]
        question = render(rng, "[What is the average weight of the parcels now, in kg|What is the new average "
                               "weight in kg]?")  # fmt: skip
    elif kind == "games":
        facts = [
            render(rng, "After {c} games, {s} had averaged {avg} points a game.", c=count, avg=old, **who),
            render(rng, "In the next game {s} scored {x} points.", x=new, **who),
        ]
        question = render(rng, "[What is {pos} average per game now|What is {pos} new points-per-game average]?", **who)
    else:
        facts = [
            render(
                rng,
                "{s} [filled|packed] {c} jars of [jam|honey|pickles] with an average of {avg} grams in each.",
                c=count,
                avg=old,
                **who,
            ),
            render(rng, "Then {s} filled one more jar with {x} grams.", x=new, **who),
        ]
        question = render(rng, "[What is the average per jar now, in grams|How many grams are in a jar on average "
                               "now]?")  # fmt: skip
    p = Program()
    p.given("count", count)
    p.given("old_average", old)
    p.given("new_value", new)
    p.let("old_total", "old_average * count")
    p.let("new_total", "old_total + new_value")
    p.let("new_count", "count + 1")
    p.let("new_average", "new_total / new_count")
    return p.sample(_compose(rng, facts, question), "new_average")


@shape("average-cost-per-person-day", "averages")
def _average_cost_per_person_day(rng):
    people, days = rng.randint(2, 8), rng.randint(2, 14)
    each = _dollars(rng, 4, 60, rng.choice([1, 5, 25]))
    total = round(each * people * days, 2)
    kind = rng.choice(["family", "cabin", "camp", "team"])
    p = Program()
    p.given("total_cost", total)
    if kind == "cabin":
        p.given("friends", people)
        p.given("nights", days)
        p.let("person_nights", "friends * nights")
        p.let("cost_per_person_per_night", "total_cost / person_nights")
        answer = "cost_per_person_per_night"
        fact = render(rng, "{p} friends [shared|rented] a [cabin|holiday flat|lake house] for {d} nights and paid "
                           "{t} [in total|altogether].", p=_count(rng, people), d=days, t=_usd(total))  # fmt: skip
        question = render(rng, "[How much is that per person per night|What did each friend pay per night]?")
    else:
        group = {"family": "people", "camp": "members", "team": "players"}[kind]
        p.given(group, people)
        p.given("days", days)
        p.let(f"{group[:-1] if group != 'people' else 'person'}_days", f"{group} * days")
        per = f"{group[:-1] if group != 'people' else 'person'}_days"
        p.let("cost_per_day_each", f"total_cost / {per}")
        answer = "cost_per_day_each"
        fact = {
            "family": "A family of {p} spent {t} on food during {a} {d}-day [trip|holiday|road trip].",
            "camp": "A [scout|chess|hiking] club spent {t} on snacks for its {p} members over {a} {d}-day camp.",
            "team": "A team of {p} players spent {t} on meals during {a} {d}-day tournament.",
        }[kind]
        fact = render(rng, fact, p=_count(rng, people), d=days, t=_usd(total), a=_a(days))
        question = render(rng, "[How much is that per person per day|What was the average cost per person each day|"
                               "On average, how much was spent per person per day]?")  # fmt: skip
    return p.sample(_compose(rng, [fact], question), answer, cents=True)


# --- remainders ----------------------------------------------------------------------------------

_BAKED = [("muffins", "bakery"), ("cookies", "bakery"), ("eggs", "farm"), ("donuts", "café"), ("candles", "workshop"),
          ("soaps", "workshop"), ("peaches", "orchard"), ("tea bags", "shop")]  # fmt: skip


@shape("pack-and-sell-full-boxes", "remainders")
def _pack_and_sell(rng):
    things, place = rng.choice(_BAKED)
    size = rng.choice([4, 6, 8, 10, 12, 15, 20, 24])
    items = rng.randint(size + 1, rng.choice([150, 600, 2500]))
    if items % size == 0:
        items += rng.randint(1, size - 1)
    price = rng.choice([rng.randint(3, 40), _dollars(rng, 2, 30, 5)])
    p = Program()
    p.given("items", items)
    p.given("box_size", size)
    p.given("price_per_box", price)
    p.let("full_boxes", "items // box_size")
    p.let("money", "full_boxes * price_per_box")
    facts = [render(rng, "{place} [has|ends up with|gets] {n} {t} [today|this morning|to sell] and packs them "
                         "in boxes of {k}.", place=article(place), n=_num(rng, items), t=things, k=size),
             render(rng, "Each full box [sells|is sold] for {pr}.", pr=_usd(price) if isinstance(price, float) else
                    f"${price}"),
             render(rng, "The {t} that do not fill a box are [given away|kept for the staff|eaten by the staff|"
                         "sold off cheaply elsewhere].", t=things)]  # fmt: skip
    question = render(rng, "[How much money does the {place} get for the full boxes|How many dollars do the full "
                           "boxes bring in|What do the full boxes sell for in total]?", place=place)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "money", cents=isinstance(price, float))


@shape("teams-and-extras", "remainders")
def _teams_and_extras(rng):
    size = rng.randint(3, 11)
    players = rng.randint(size * 2, rng.choice([80, 300]))
    if players % size == 0:
        players += rng.randint(1, size - 1)
    people = rng.choice(["children", "players", "campers", "volunteers", "dancers", "students"])
    extra_role = rng.choice(["help as referees", "keep score", "wait on the bench", "hand out water",
                             "work at the snack table"])  # fmt: skip
    p = Program()
    p.given("people", players)
    p.given("team_size", size)
    ask_extras = rng.random() < 0.5
    if ask_extras:
        p.let("extras", "people % team_size")
        answer = "extras"
        question = render(rng, "[How many {who} {role}|How many {who} are not in a full team|How many are left over "
                               "to {role}]?", who=people, role=extra_role)  # fmt: skip
    else:
        p.let("full_teams", "people // team_size")
        answer = "full_teams"
        question = render(rng, "[How many full teams are there|How many complete teams can be made|How many teams "
                               "take part]?")  # fmt: skip
    facts = [render(rng, "{n} {who} [sign up|turn up|come] for a [tournament|sports day|games afternoon|relay race].",
                    n=players, who=people),
             render(rng, "The [coach|organiser|leader] makes as many teams of {k} as possible, and the {who} who are "
                         "left over {role}.", k=size, who=people, role=extra_role)]  # fmt: skip
    if rng.random() < 0.2:
        facts.append(render(rng, "Each game lasts {m} minutes.", m=rng.randint(10, 45)))
    return p.sample(_compose(rng, facts, question), answer)


@shape("vans-for-group-with-adults", "remainders")
def _vans_for_group(rng):
    seats = rng.randint(5, 15) if rng.random() < 0.6 else rng.randint(30, 60)
    vehicle = "van" if seats <= 15 else "bus"
    students = rng.randint(seats, seats * rng.randint(2, 12))
    adults = rng.randint(2, 9)
    if (students + adults) % seats == 0:
        students += 1
    group = rng.choice(["students", "scouts", "choir members", "players", "campers"])
    p = Program()
    p.given("children", students)
    p.given("adults", adults)
    p.given("seats_per_vehicle", seats)
    p.let("people", "children + adults")
    plural = "buses" if vehicle == "bus" else "vans"
    p.let(plural, "-(-people // seats_per_vehicle)")
    answer = plural
    if rng.random() < 0.35:
        p.let("seats_total", f"{plural} * seats_per_vehicle")
        p.let("empty_seats", "seats_total - people")
        answer = "empty_seats"
        question = render(rng, "[If they hire just enough {v}, how many seats stay empty|How many empty seats will "
                               "there be if they take as few {v} as possible]?", v=plural)  # fmt: skip
    else:
        question = render(rng, "[How many {v} are needed|How many {v} must they book|What is the smallest number of "
                               "{v} that can take everyone]?", v=plural)  # fmt: skip
    facts = [
        render(
            rng,
            "{c} {g} and {a} adults are going on a [trip|field trip|day out] to the [museum|coast|zoo|mountains].",
            c=_num(rng, students),
            g=group,
            a=adults,
        ),
        render(rng, "Each {v} [holds|seats|can take] {k} [people|passengers].", v=vehicle, k=seats),
    ]
    return p.sample(_compose(rng, facts, question, shuffle=True), answer)


@shape("every-nth-without", "remainders")
def _every_nth_without(rng):
    nth = rng.randint(3, 15)
    total = rng.randint(nth * 3, rng.choice([200, 1000, 4000]))
    kind = rng.choice(["bottles", "seats", "pages", "numbers", "visitors"])
    total_name, chosen, rest = {
        "bottles": ("bottles", "tested", "not_tested"),
        "seats": ("seats", "prize_seats", "seats_without_prize"),
        "pages": ("pages", "picture_pages", "other_pages"),
        "numbers": ("last_number", "multiples", "not_multiples"),
        "visitors": ("visitors", "winners", "not_winners"),
    }[kind]
    p = Program()
    p.given(total_name, total)
    p.given("every_nth", nth)
    p.let(chosen, f"{total_name} // every_nth")
    ask_rest = rng.random() < 0.6
    if ask_rest:
        p.let(rest, f"{total_name} - {chosen}")
    n = _num(rng, total)
    if kind == "bottles":
        fact = render(rng, "A machine fills {n} bottles and every {o} bottle is [taken off the line|set aside] for "
                           "testing.", n=n, o=_ordinal(nth))  # fmt: skip
        question = (
            "How many bottles are not tested?"
            if ask_rest
            else render(rng, "[How many bottles are tested|How many bottles are set aside]?")
        )
    elif kind == "seats":
        fact = render(
            rng,
            "A stadium has {n} seats, numbered from 1, and every {o} seat has a prize under it.",
            n=n,
            o=_ordinal(nth),
        )
        question = "How many seats have no prize?" if ask_rest else "How many seats have a prize?"
    elif kind == "pages":
        fact = render(rng, "A [comic|picture book|cookbook] has {n} pages and every {o} page is a full-page "
                           "[drawing|photo].", n=n, o=_ordinal(nth))  # fmt: skip
        question = ("How many pages have no full-page picture?" if ask_rest else
                    "How many pages are full-page pictures?")  # fmt: skip
    elif kind == "numbers":
        fact = render(rng, "[Look at|Take] the whole numbers from 1 to {n}.", n=n)
        question = render(rng, "[How many of them are not multiples of {k}|How many are not divisible by {k}]?",
                          k=nth) if ask_rest else render(rng, "[How many of them are multiples of {k}|How many are "
                                                              "divisible by {k}]?", k=nth)  # fmt: skip
    else:
        fact = render(rng, "{n} visitors came to a [fair|museum|festival] and every {o} visitor got a free "
                           "[ticket|poster|drink].", n=n, o=_ordinal(nth))  # fmt: skip
        question = "How many visitors did not get one?" if ask_rest else "How many visitors got one?"
    return p.sample(_compose(rng, [fact], question), rest if ask_rest else chosen)


@shape("share-top-up", "remainders")
def _share_top_up(rng):
    kids = rng.randint(3, 12)
    items = rng.randint(kids + 1, rng.choice([60, 250, 900]))
    if items % kids == 0:
        items += rng.randint(1, kids - 1)
    things = rng.choice(["stickers", "marbles", "sweets", "trading cards", "balloons", "pencils", "chocolates"])
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("items", items)
    p.given("friends", kids)
    p.let("left_over", "items % friends")
    p.let("more_needed", "friends - left_over")
    facts = [render(rng, "{s} {has} {n} {t} to share [equally|fairly] among {k} [friends|classmates|cousins].",
                    n=_num(rng, items), t=things, k=kids, **who),
             render(rng, "[Nobody should get more than anyone else, and|Everyone must get the same number, and] "
                         "{s} wants none left over.", **who)]  # fmt: skip
    question = render(rng, "[How many more {t} {does} {s} need to buy|How many more {t} {does} {s} need to get|"
                           "What is the smallest number of extra {t} {s} must add]?", t=things, **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "more_needed")


_SLOW_JOBS = [
    ("A [book|novel|biography] has {n} pages. {s} reads {k} pages a day.", "{s} has already read {d} pages.",
     "[How many more days does {s} need to finish it|How many days will it take {o} to finish the rest]?",
     "pages", "pages_per_day", "pages_read", (80, 900), (8, 60)),
    ("A fence has {n} boards to paint. {s} paints {k} boards a day.", "{s} has already painted {d} of them.",
     "[How many more days until the fence is done|How many more days of painting are needed]?",
     "boards", "boards_per_day", "boards_painted", (40, 500), (6, 40)),
    ("A jigsaw puzzle has {n} pieces. {s} places {k} pieces each evening.", "{d} pieces are already in place.",
     "[How many more evenings will {s} need|How many evenings does it take to finish]?",
     "pieces", "pieces_per_evening", "pieces_placed", (300, 3000), (40, 150)),
    ("{s} has to type up {n} recipes for a [cookbook|family album]. {s} can type {k} a day.",
     "{d} are already typed.",
     "[How many more days will the typing take|How many days does {s} need for the rest]?",
     "recipes", "recipes_per_day", "recipes_done", (30, 400), (3, 20)),
]  # fmt: skip


@shape("days-to-finish-ceiling", "remainders")
def _days_to_finish(rng):
    fact, done_fact, question, total, rate, done, (low, high), (rlow, rhigh) = rng.choice(_SLOW_JOBS)
    n, k = rng.randint(low, high), rng.randint(rlow, rhigh)
    d = rng.randint(2, n - k - 1) if rng.random() < 0.5 else 0
    if (n - d) % k == 0:
        n += rng.randint(1, k - 1)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given(total, n)
    p.given(rate, k)
    facts = [render(rng, fact, n=_num(rng, n), k=k, **who)]
    if d:
        p.given(done, d)
        p.let("remaining", f"{total} - {done}")
        p.let("days", f"-(-remaining // {rate})")
        facts.append(render(rng, done_fact, d=d, **who))
    else:
        p.let("days", f"-(-{total} // {rate})")
        question = question.replace("more ", "").replace("the rest", "all of it")
    return p.sample(_compose(rng, facts, render(rng, question, **who)), "days")


@shape("cut-pieces-leftover", "remainders")
def _cut_pieces_leftover(rng):
    material = rng.choice(["rope", "ribbon", "roll of fabric", "wire", "plank", "strip of paper", "garden hose"])
    metres, piece = rng.randint(2, 40), rng.randint(12, 95)
    if metres * 100 % piece == 0:
        piece += 1
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("length_m", metres)
    p.given("piece_cm", piece)
    p.let("length_cm", "length_m * 100")
    ask_pieces = rng.random() < 0.4
    if ask_pieces:
        p.let("pieces", "length_cm // piece_cm")
        answer = "pieces"
        question = render(
            rng, "[How many full pieces can {s} cut|How many {c}-cm pieces does {s} get]?", c=piece, **who
        )
    else:
        p.let("left_cm", "length_cm % piece_cm")
        answer = "left_cm"
        question = render(rng, "[How many centimetres are left over|How much is left over, in cm|What length is "
                               "left, in centimetres]?")  # fmt: skip
    fact = render(
        rng,
        "{s} [cuts|is cutting] {a} {m}-metre {mat} into pieces {c} cm long[, as many as possible|].",
        a=_a(metres),
        m=metres,
        mat=material,
        c=piece,
        **who,
    )
    return p.sample(_compose(rng, [fact], question), answer)


# --- comparisons ---------------------------------------------------------------------------------

_PICKED = [("picked", "apples"), ("collected", "shells"), ("sold", "raffle tickets"), ("baked", "cookies"),
           ("folded", "paper cranes"), ("planted", "tulip bulbs"), ("caught", "fish"),
           ("scored", "points")]  # fmt: skip


@shape("fewer-than-then-total", "comparisons")
def _fewer_than_then_total(rng):
    verb, things = rng.choice(_PICKED)
    a = rng.randint(12, rng.choice([90, 600, 3000]))
    fewer = rng.random() < 0.5
    diff = rng.randint(2, a - 1) if fewer else rng.randint(2, max(3, a))
    n, m = rng.sample(NAMES, 2)
    first, second = _var(n), _var(m)
    p = Program()
    p.given(f"{first}_{_var(things)}", a)
    p.given("difference", diff)
    p.let(f"{second}_{_var(things)}", f"{first}_{_var(things)} {'-' if fewer else '+'} difference")
    p.let("together", f"{first}_{_var(things)} + {second}_{_var(things)}")
    facts = [
        render(rng, "{n} {v} {a} {t}[ at the fair| on Saturday| this week|].", n=n, v=verb, a=_num(rng, a), t=things),
        render(
            rng, "{m} {v} {d} {cmp} {t} than {n}.", m=m, v=verb, d=diff, t=things, n=n, cmp="fewer" if fewer else "more"
        ),
    ]
    question = render(rng, "[How many {t} did they {v} together|How many {t} did {n} and {m} {v} in all|What is the "
                           "total number of {t} the two of them {vp}]?", t=things, n=n, m=m, vp=verb,
                      v={"picked": "pick", "collected": "collect", "sold": "sell", "baked": "bake", "folded": "fold",
                         "planted": "plant", "caught": "catch", "scored": "score"}[verb])  # fmt: skip
    return p.sample(_compose(rng, facts, question), "together")


@shape("two-sellers-totals-gap", "comparisons")
def _two_sellers_totals_gap(rng):
    days = rng.randint(2, 3)
    day_names = _WEEKDAYS[:days] if rng.random() < 0.5 else _WEEKDAYS[5 - days :]
    high = rng.choice([60, 400, 1500])
    stall = rng.choice([("the north stall", "the south stall"), ("the market stall", "the corner shop"),
                        ("shop A", "shop B"), ("the online store", "the high-street store")])  # fmt: skip
    thing = rng.choice(["loaves", "umbrellas", "scarves", "ice creams", "phone cases", "plants"])
    for _ in range(100):
        a = [rng.randint(5, high) for _ in range(days)]
        b = [rng.randint(5, high) for _ in range(days)]
        if sum(a) != sum(b):
            break
    p = Program()
    a_names = [f"first_{d.lower()}" for d in day_names]
    b_names = [f"second_{d.lower()}" for d in day_names]
    for name, value in zip(a_names + b_names, a + b):
        p.given(name, value)
    p.let("first_total", " + ".join(a_names))
    p.let("second_total", " + ".join(b_names))
    first_more = sum(a) > sum(b)
    p.let("difference", "first_total - second_total" if first_more else "second_total - first_total")
    commas = rng.random() < 0.5
    sold_a, sold_b = ([f"{_num(rng, v, commas)} on {d}" for v, d in zip(values, day_names)] for values in (a, b))
    facts = [
        render(rng, "{s} sold {t}: {x}.", s=stall[0], t=thing, x=_listing(sold_a)),
        render(rng, "{s} sold {x}.", s=stall[1], x=_listing(sold_b)),
    ]
    big, small = stall if first_more else stall[::-1]
    question = render(rng, "[How many more {t} did {b} sell than {s}|How many fewer {t} did {s} sell than {b}] "
                           "over those days?", t=thing, b=big, s=small)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "difference")


_PLANS = [("gym", "joining fee", "membership"), ("phone company", "connection fee", "plan"),
          ("streaming service", "sign-up fee", "subscription"), ("car-share club", "registration fee", "membership"),
          ("swimming pool", "card fee", "pass")]  # fmt: skip


@shape("plans-fee-vs-monthly", "comparisons")
def _plans_fee_vs_monthly(rng):
    place, fee_word, plan_word = rng.choice(_PLANS)
    for _ in range(100):
        fee, monthly_a = rng.randint(10, 150), rng.randint(8, 60)
        monthly_b, months = monthly_a + rng.randint(2, 25), rng.randint(2, 24)
        if fee + monthly_a * months != monthly_b * months:
            break
    p = Program()
    p.given("fee", fee)
    p.given("monthly_a", monthly_a)
    p.given("monthly_b", monthly_b)
    p.given("months", months)
    p.let("cost_a", "fee + monthly_a * months")
    p.let("cost_b", "monthly_b * months")
    p.let("saving", "abs(cost_a - cost_b)")
    word = rng.choice(["Option", "Plan", "Deal"])
    facts = [
        render(
            rng,
            "{o} A [at|for] {pl} [charges|costs] {an} ${f} {fw} plus ${a} a month.",
            o=word,
            pl=article(place),
            an=_a(fee),
            f=fee,
            fw=fee_word,
            a=monthly_a,
        ),
        render(rng, "{o} B has no {fw} but costs ${b} a month.", o=word, fw=fee_word, b=monthly_b),
    ]
    who = _person(rng, rng.choice(NAMES))
    ask = render(rng, "[which {o} is cheaper, and by how many dollars|how much does the cheaper {o} save]? "
                      "[Give the difference in dollars.|Answer in dollars.|]", o=word.lower())  # fmt: skip
    if rng.random() < 0.4:
        facts.append(render(rng, "{s} wants the {w} for {m} months.", w=plan_word, m=months, **who))
        question = _cap(ask)
    else:
        question = render(rng, "[Over {m} months|For {m} months of use], ", m=months) + ask
    return p.sample(_compose(rng, facts, question, shuffle=True), "saving")


_PAIRS = [("farm", "cows", "chickens"), ("library", "atlases", "comic books"), ("garden", "rose bushes", "tulips"),
          ("aquarium", "sharks", "small fish"), ("parking lot", "vans", "cars"), ("choir", "tenors", "sopranos"),
          ("school", "teachers", "students"), ("orchard", "pear trees", "apple trees")]  # fmt: skip


@shape("times-as-many-gap", "comparisons")
def _times_as_many_gap(rng):
    place, few, many = rng.choice(_PAIRS)
    a, k = rng.randint(3, rng.choice([40, 300])), rng.randint(2, 8)
    p = Program()
    p.given(_var(few), a)
    said = {2: rng.choice(["twice as many", "2 times as many"])}.get(k, f"{_count(rng, k)} times as many")
    if k == 2 and said.startswith("twice"):
        p.let(_var(many), f"{_var(few)} * 2")
    else:
        p.given("times", k)
        p.let(_var(many), f"{_var(few)} * times")
    p.let("difference", f"{_var(many)} - {_var(few)}")
    facts = [render(rng, "{pl} has {a} {f} and {t} {m}.", pl=article(place), a=a, f=few, t=said, m=many)]
    if rng.random() < 0.25:
        facts.append(render(rng, "It [opened|was built] {y} years ago.", y=rng.randint(3, 90)))
    question = render(rng, "[How many more {m} than {f} are there|By how many do the {m} outnumber the {f}|"
                           "How many fewer {f} than {m} does it have]?", m=many, f=few)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "difference")


@shape("goal-progress-remaining", "comparisons")
def _goal_progress_remaining(rng):
    kind = rng.choice(["run", "read", "tickets", "factory"])
    who = _person(rng, rng.choice(NAMES))
    for _ in range(100):
        per, days = rng.randint(2, 60), rng.randint(2, 12)
        goal = per * days + rng.randint(1, 400)
        if kind == "factory":
            per, goal = per * 20, per * 20 * days + rng.randint(10, 3000)
        if goal > per * days:
            break
    p = Program()
    p.given("goal", goal)
    p.given("per_day", per)
    p.given("days", days)
    p.let("done_so_far", "per_day * days")
    p.let("still_to_go", "goal - done_so_far")
    if kind == "run":
        facts = [
            render(rng, "{s} wants to run {g} km this [month|season].", g=goal, **who),
            render(rng, "So far {s} [has run|ran] {k} km on each of {d} days.", k=per, d=days, **who),
        ]
        question = render(rng, "[How many more kilometres are needed to reach the goal|How far is {s} from the "
                               "goal, in km]?", **who)  # fmt: skip
    elif kind == "read":
        facts = [
            render(rng, "{s} [wants|plans] to read {g} pages during the [holidays|summer].", g=goal, **who),
            render(rng, "For the first {d} days {s} read {k} pages a day.", k=per, d=days, **who),
        ]
        question = render(
            rng, "[How many pages are still left to reach the goal|How many more pages must {s} read]?", **who
        )
    elif kind == "tickets":
        facts = [
            render(rng, "A [school play|charity concert|club raffle] needs to sell {g} tickets.", g=goal),
            render(rng, "[Volunteers|The organisers] sold {k} tickets a day for {d} days.", k=per, d=days),
        ]
        question = render(rng, "[How many more tickets must be sold|How many tickets short of the target are they]?")
    else:
        facts = [
            render(rng, "A factory must make {g} [parts|bottles|toys] this month.", g=_num(rng, goal)),
            render(rng, "It has made {k} a day for {d} days.", k=_num(rng, per), d=days),
        ]
        question = render(rng, "[How many more must it make|How far is it from the target]?")
    return p.sample(_compose(rng, facts, question), "still_to_go")


_PACKS = [("cans of soda", "can"), ("yogurts", "yogurt"), ("batteries", "battery"), ("tennis balls", "ball"),
          ("bottles of water", "bottle"), ("rolls of tape", "roll"), ("bars of soap", "bar")]  # fmt: skip


@shape("bulk-vs-single-saving", "comparisons")
def _bulk_vs_single_saving(rng):
    things, thing = rng.choice(_PACKS)
    size = rng.choice([4, 6, 8, 10, 12, 24])
    single = _dollars(rng, 0.35, 4.5, 5)
    pack = round(single * size * rng.uniform(0.6, 0.92), 1)
    packs = rng.randint(1, 6)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("pack_size", size)
    p.given("pack_price", pack)
    p.given("single_price", single)
    if packs == 1:
        p.let("singles_cost", "single_price * pack_size")
        p.let("saving", "singles_cost - pack_price")
        question = render(rng, "[How much is saved by buying the pack instead of {k} single {ts}|How much cheaper is "
                               "the pack than {k} singles]?", k=size, ts=things)  # fmt: skip
        need = ""
    else:
        p.given("needed", packs * size)
        p.let("packs", "needed // pack_size")
        p.let("packs_cost", "packs * pack_price")
        p.let("singles_cost", "needed * single_price")
        p.let("saving", "singles_cost - packs_cost")
        need = render(rng, "{s} needs {n} {ts}.", n=packs * size, ts=things, **who)
        question = render(rng, "[How much does {s} save by buying packs instead of single {ts}|How much cheaper is it "
                               "to buy them in packs]?", ts=things, **who)  # fmt: skip
    facts = [
        render(rng, "A pack of {k} {ts} costs {pp}.", k=size, ts=things, pp=_usd(pack)),
        render(rng, "A single {t} costs {sp}.", t=thing, sp=_usd(single)),
    ]
    rng.shuffle(facts)
    if need:
        facts.insert(0, need)
    return p.sample(_compose(rng, facts, question), "saving", cents=True)


_CONTESTS = [
    ("long-jump contest", "They jumped", "cm", "{v} cm", (180, 620),
     "[How many centimetres longer was the best jump than the shortest|What is the gap between the longest and the "
     "shortest jump, in cm]?"),
    ("quiz night", "They scored", "points", "{v} points", (12, 100),
     "[How many more points did the winner score than the last-placed player|What is the difference between the "
     "highest and the lowest score]?"),
    ("sponsored walk", "They raised", "dollars", "${v}", (40, 2500),
     "[How many more dollars did the top fundraiser raise than the lowest|What is the gap between the most and the "
     "least raised, in dollars]?"),
    ("paper-plane contest", "Their planes flew", "cm", "{v} cm", (150, 1400),
     "[How much farther, in cm, did the best plane fly than the worst|What is the difference between the longest and "
     "shortest flight in cm]?"),
]  # fmt: skip


@shape("highest-lowest-gap", "comparisons")
def _highest_lowest_gap(rng):
    event, verb, unit, form, (low, high), question = rng.choice(_CONTESTS)
    k = rng.randint(3, 5)
    people = rng.sample(NAMES, k)
    vals = rng.sample(range(low, high + 1), k)
    p = Program()
    names = [f"{_var(n)}_{unit}" for n in people]
    for name, value in zip(names, vals):
        p.given(name, value)
    p.let("highest", f"max({', '.join(names)})")
    p.let("lowest", f"min({', '.join(names)})")
    p.let("gap", "highest - lowest")
    commas = rng.random() < 0.5
    results = _listing([f"{n} {form.format(v=_num(rng, v, commas))}" for n, v in zip(people, vals)])
    fact = render(rng, "[At a|At the school's|At a club's] {e}, {k} friends took part. [The results were {r}.|"
                       "Results: {r}.|{v} as follows: {r}.]", e=event, k=_count(rng, k), r=results, v=verb)  # fmt: skip
    return p.sample(_compose(rng, [fact], render(rng, question)), "gap")


# --- money with cents ----------------------------------------------------------------------------

_CAFE = [("coffees", "muffin"), ("hot chocolates", "bagel"), ("teas", "slice of cake"), ("smoothies", "sandwich"),
         ("milkshakes", "cookie"), ("lemonades", "bag of chips")]  # fmt: skip


@shape("change-two-kinds", "money")
def _change_two_kinds(rng):
    drinks, food = rng.choice(_CAFE)
    count = rng.randint(2, 6)
    drink_price, food_price = _dollars(rng, 1.5, 6.5, 5), _dollars(rng, 1, 9, 5)
    total = count * drink_price + food_price
    bill = next(b for b in rng.choice([(10, 20, 50), (20, 50), (50, 100)]) if b > total)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("drinks", count)
    p.given("drink_price", drink_price)
    p.given("food_price", food_price)
    p.given("paid", bill)
    p.let("drinks_cost", "drinks * drink_price")
    p.let("total_cost", "drinks_cost + food_price")
    p.let("change", "paid - total_cost")
    facts = [
        render(
            rng,
            "{s} [bought|ordered] {k} {d} at {dp} each and {f} for {fp}.",
            k=count,
            d=drinks,
            dp=_usd(drink_price),
            f=("an " if food[0] in "aeiou" else "a ") + food,
            fp=_usd(food_price),
            **who,
        ),
        render(rng, "{s} paid with a ${b} [bill|note].", b=bill, **who),
    ]
    question = render(rng, "[How much change did {s} get|What change should {s} get back|How much change is "
                           "due][, in dollars|]?", **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "change", cents=True)


@shape("bill-tip-split", "money")
def _bill_tip_split(rng):
    people, tip = rng.randint(2, 8), rng.choice([10, 12, 15, 18, 20, 25])
    exact = False
    for _ in range(80):
        bill = _dollars(rng, 20, 400, rng.choice([1, 5, 100]))
        if round(bill * 100) * (100 + tip) % (100 * people) == 0:
            exact = True
            break
    p = Program()
    p.given("bill", bill)
    p.given("tip_percent", tip)
    p.given("people", people)
    p.let("tip", "bill * tip_percent / 100")
    p.let("total", "bill + tip")
    p.let("each_pays", "total / people")
    meal = rng.choice(["dinner", "lunch", "a pizza night", "a birthday meal", "brunch"])
    facts = [
        render(
            rng,
            "{k} [friends|colleagues|cousins] [go out for|share] {m} and the bill [is|comes to] {b}.",
            k=_count(rng, people),
            m=meal,
            b=_usd(bill),
        ),
        render(rng, "They [add|leave] a tip of {t}% and split the [total|whole amount] equally.", t=tip),
    ]
    if rng.random() < 0.2:
        facts.append(render(rng, "[They sat at table {x}.|The meal took {m} minutes.]", x=rng.randint(2, 40),
                            m=rng.randint(40, 150)))  # fmt: skip
    question = render(rng, "[How much does each person pay|What is each person's share|How much does each of them "
                           "pay, tip included]?")  # fmt: skip
    if not exact or rng.random() < 0.3:
        question += render(rng, " [Round to the nearest cent.|Give the answer in dollars to the nearest cent.]")
    return p.sample(_compose(rng, facts, question), "each_pays", cents=True)


@shape("market-basket", "money")
def _market_basket(rng):
    fruit = rng.choice(["apples", "grapes", "tomatoes", "cherries", "potatoes", "carrots"])
    baked, baked_one = rng.choice([("loaves of bread", "loaf"), ("baguettes", "baguette"), ("croissants", "croissant"),
                                   ("bagels", "bagel")])  # fmt: skip
    jar = rng.choice(["a jar of honey", "a block of cheese", "a bunch of flowers", "a bottle of olive oil"])
    kg, per_kg = rng.randint(2, 6), _dollars(rng, 0.8, 9, 5)
    count, each = rng.randint(2, 8), _dollars(rng, 0.5, 4.5, 5)
    jar_price = _dollars(rng, 2, 15, 1)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("kilograms", kg)
    p.given("price_per_kg", per_kg)
    p.given(_var(baked.split(" of ")[0]), count)
    p.given(f"price_per_{_var(baked_one)}", each)
    p.given("jar_price", jar_price)
    p.let(f"{_var(fruit)}_cost", "kilograms * price_per_kg")
    p.let("bread_cost", f"{_var(baked.split(' of ')[0])} * price_per_{_var(baked_one)}")
    p.let("total_cost", f"{_var(fruit)}_cost + bread_cost + jar_price")
    items = [
        render(rng, "{k} kg of {f} at {p} [per kg|a kilo]", k=kg, f=fruit, p=_usd(per_kg)),
        render(rng, "{c} {b} at {e} each", c=count, b=baked, e=_usd(each)),
        render(rng, "{j} for {p}", j=jar, p=_usd(jar_price)),
    ]
    rng.shuffle(items)
    fact = render(rng, "[At the market, |On Saturday, |] {s} [bought|picked up|got] {i}.", i=_listing(items), **who)
    question = render(rng, "[How much did {s} spend|What was the total at the checkout|How much did it all cost], "
                           "in dollars?", **who)  # fmt: skip
    if rng.random() < 0.2:
        question = render(rng, "{s} had ${w} in {pos} wallet. ", w=rng.choice([20, 50, 100]), **who) + question
    return p.sample(_compose(rng, [fact], question, first=0.15), "total_cost", cents=True)


@shape("allowance-saving-weeks", "money")
def _allowance_saving_weeks(rng):
    goal_thing = rng.choice(["bike", "tablet", "pair of skates", "guitar", "telescope", "video game console", "tent"])
    for _ in range(100):
        allowance = rng.randint(5, 60)
        spends = rng.randint(1, allowance - 2)
        saved = rng.choice([0, rng.randint(5, 150)])
        price = rng.randint(saved + 20, saved + 900)
        if (price - saved) % (allowance - spends):
            break
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("price", price)
    if saved:
        p.given("savings", saved)
    p.given("allowance", allowance)
    p.given("spending", spends)
    p.let("saved_per_week", "allowance - spending")
    if saved:
        p.let("still_needed", "price - savings")
        p.let("weeks", "-(-still_needed // saved_per_week)")
        start = render(rng, "{s} already {has} ${v} saved.", v=saved, **who)
    else:
        p.let("weeks", "-(-price // saved_per_week)")
        start = render(rng, "{s} [has nothing saved yet|is starting from zero].", **who)
    facts = [render(rng, "{s} wants a {g} that costs ${p}.", g=goal_thing, p=price, **who), start,
             render(rng, "Every week {s} [gets|earns] ${a}, {sp} ${x} of it[ on snacks| on bus fares|] and {sv} the "
                         "rest.", a=allowance, x=spends, sp="spend" if who["me"] else "spends",
                    sv="save" if who["me"] else "saves", **who)]  # fmt: skip
    question = render(rng, "[How many weeks until {s} can buy it|How many weeks {does} {s} have to save|After how many "
                           "weeks will {s} have enough]?", **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "weeks")


@shape("shift-pay-with-tips", "money")
def _shift_pay_with_tips(rng):
    job = rng.choice(["waiter", "barista", "delivery rider", "hairdresser", "bartender", "valet"])
    k = rng.randint(2, 4)
    hours = [rng.randint(2, 9) for _ in range(k)]
    rate = _dollars(rng, 9, 32, rng.choice([1, 5, 25]))
    tips = _dollars(rng, 5, 250, 1)
    who = _person(rng, rng.choice(NAMES))
    days = rng.sample(_WEEKDAYS + ("Saturday", "Sunday"), k)
    p = Program()
    names = [f"{d.lower()}_hours" for d in days]
    for name, h in zip(names, hours):
        p.given(name, h)
    p.given("hourly_rate", rate)
    p.given("tips", tips)
    p.let("hours", " + ".join(names))
    p.let("wages", "hours * hourly_rate")
    p.let("earned", "wages + tips")
    shifts = _listing([f"{_plural(h, 'hour')} on {d}" for h, d in zip(hours, days)])
    facts = [
        render(rng, "{s} [works|worked] as a {j} for {r} an hour.", j=job, r=_usd(rate), **who),
        render(rng, "This week {s} worked {x}.", x=shifts, **who),
        render(rng, "{s} also [got|took home|collected] {t} in tips.", t=_usd(tips), **who),
    ]
    question = render(rng, "[How much did {s} earn this week, in dollars|What were {pos} total earnings this week, "
                           "tips included]?", **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "earned", cents=True)


@shape("unit-price-then-buy", "money")
def _unit_price_then_buy(rng):
    things, thing = rng.choice(_PACKS + [("stamps", "stamp"), ("pencils", "pencil"), ("eggs", "egg")])
    size, want = rng.sample([3, 4, 5, 6, 8, 10, 12, 20, 24, 30], 2)
    each = _dollars(rng, 0.15, 3.5, 5)
    pack = round(each * size, 2)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("pack_price", pack)
    p.given("pack_size", size)
    p.given("wanted", want)
    p.let(f"price_per_{_var(thing)}", "pack_price / pack_size")
    p.let("cost", f"price_per_{_var(thing)} * wanted")
    fact = render(rng, "A box of {k} {ts} [costs|sells for] {p}.", k=size, ts=things, p=_usd(pack))
    question = render(rng, rng.choice([
        "At the same price per {t}, how much would {w} {ts} cost?",
        "{s} [needs|wants] {w} {ts} and the shop sells them singly at the same price per {t}. How much will {s} pay?",
        "How much do {w} {ts} cost at that rate, in dollars?"]), t=thing, ts=things, w=want, **who)  # fmt: skip
    return p.sample(_compose(rng, [fact], question), "cost", cents=True)


@shape("bake-sale-profit", "money")
def _bake_sale_profit(rng):
    a_thing, b_thing = rng.sample(["cupcakes", "brownies", "cups of lemonade", "cookies", "slices of pie",
                                   "bags of popcorn"], 2)  # fmt: skip
    for _ in range(100):
        a, b = rng.randint(8, 90), rng.randint(8, 90)
        pa, pb = _dollars(rng, 0.5, 4, 25), _dollars(rng, 0.25, 3.5, 25)
        costs = _dollars(rng, 5, 80, 1)
        if a * pa + b * pb > costs:
            break
    group = rng.choice(["The school band", "A scout troop", "The chess club", "{n}'s class", "The drama club"])
    group = group.format(n=rng.choice(NAMES))
    p = Program()
    p.given(f"{_var(a_thing)}_sold", a)
    p.given(f"{_var(a_thing)}_price", pa)
    p.given(f"{_var(b_thing)}_sold", b)
    p.given(f"{_var(b_thing)}_price", pb)
    p.given("supplies", costs)
    p.let(f"{_var(a_thing)}_money", f"{_var(a_thing)}_sold * {_var(a_thing)}_price")
    p.let(f"{_var(b_thing)}_money", f"{_var(b_thing)}_sold * {_var(b_thing)}_price")
    p.let("takings", f"{_var(a_thing)}_money + {_var(b_thing)}_money")
    p.let("profit", "takings - supplies")
    facts = [
        render(
            rng,
            "{g} sold {a} {at} at {pa} each and {b} {bt} at {pb} each[ at a bake sale| at the fair|].",
            g=group,
            a=a,
            at=a_thing,
            pa=_usd(pa),
            b=b,
            bt=b_thing,
            pb=_usd(pb),
        ),
        render(rng, "The [ingredients|supplies] cost {c}.", c=_usd(costs)),
    ]
    question = render(rng, "[How much profit did they make|What was the profit after paying for the supplies|How "
                           "much money was left after the costs], in dollars?")  # fmt: skip
    return p.sample(_compose(rng, facts, question), "profit", cents=True)


# --- time ----------------------------------------------------------------------------------------

_SPANS = [("The train leaves at {a} and arrives at {b}.", "[How many minutes does the trip take|How long is the "
           "journey in minutes]?"),
          ("The [library|bakery|post office] opens at {a} and closes at {b}.", "[How many minutes is it open|For how "
           "many minutes is it open each day]?"),
          ("{s} started hiking at {a} and reached the top at {b}.", "[How many minutes did the hike take|How long did "
           "{s} hike, in minutes]?"),
          ("A power cut began at {a} and ended at {b}.", "[How many minutes did the power cut last|How long was the "
           "power off, in minutes]?"),
          ("{s} set off on a bike ride at {a} and got home at {b}.", "[How many minutes was {s} out|How many minutes "
           "did the ride take]?")]  # fmt: skip


@shape("clock-am-pm-span", "time")
def _clock_am_pm_span(rng):
    fact, question = rng.choice(_SPANS)
    h1, m1 = rng.randint(6, 11), _minute(rng)
    h2, m2 = rng.randint(1, 9), _minute(rng)
    who = _person(rng, rng.choice(NAMES))
    am = rng.choice(["{t} a.m.", "{t} am", "{t} in the morning"])
    pm = rng.choice(["{t} p.m.", "{t} pm", "{t} in the afternoon" if h2 < 6 else "{t} in the evening"])
    p = Program()
    p.given("start_hour", h1)
    p.given("start_minute", m1)
    p.given("end_hour", h2)
    p.given("end_minute", m2)
    p.let("start", "start_hour * 60 + start_minute")
    p.let("end", "(end_hour + 12) * 60 + end_minute")
    p.let("minutes", "end - start")
    a, b = am.format(t=_clock(h1, m1)), pm.format(t=_clock(h2, m2))
    if rng.random() < 0.25:
        text = render(rng, "[How many minutes are there|How many minutes pass] from {a} to {b}?", a=a, b=b)
        return p.sample(text, "minutes")
    return p.sample(_compose(rng, [render(rng, fact, a=a, b=b, **who)], render(rng, question, **who)), "minutes")


_TASKS = [("cooking dinner", "cooking"), ("doing the laundry", "laundry"), ("cleaning the kitchen", "cleaning"),
          ("mowing the lawn", "mowing"), ("washing the car", "car_wash"), ("doing homework", "homework"),
          ("walking the dog", "dog_walk"), ("grocery shopping", "shopping"), ("painting a shelf", "painting"),
          ("ironing shirts", "ironing")]  # fmt: skip


@shape("tasks-hours-and-minutes", "time")
def _tasks_hours_and_minutes(rng):
    (long_task, long_var), (a_task, a_var), (b_task, b_var) = rng.sample(_TASKS, 3)
    hours, extra = rng.randint(1, 3), rng.randint(5, 55)
    a, b = rng.randint(10, 95), rng.randint(10, 95)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given(f"{long_var}_hours", hours)
    p.given(f"{long_var}_extra_minutes", extra)
    p.given(f"{a_var}_minutes", a)
    p.given(f"{b_var}_minutes", b)
    p.let(f"{long_var}_minutes", f"{long_var}_hours * 60 + {long_var}_extra_minutes")
    p.let("total_minutes", f"{long_var}_minutes + {a_var}_minutes + {b_var}_minutes")
    items = [
        f"{_plural(hours, 'hour')} and {extra} minutes {long_task}",
        f"{a} minutes {a_task}",
        f"{b} minutes {b_task}",
    ]
    rng.shuffle(items)
    fact = render(rng, "On [Sunday|Saturday|a busy day] {s} spent {i}.", i=_listing(items), **who)
    question = render(rng, "[How many minutes did {s} spend on these jobs in total|How many minutes is that "
                           "altogether|What is the total time in minutes]?", **who)  # fmt: skip
    return p.sample(_compose(rng, [fact], question), "total_minutes")


_LONG_THINGS = [("film", "watched"), ("audiobook", "listened to"), ("podcast series", "listened to"),
                ("flight", ""), ("documentary", "watched"), ("concert recording", "played")]  # fmt: skip


@shape("time-left-hours-minutes", "time")
def _time_left_hours_minutes(rng):
    thing, verb = rng.choice(_LONG_THINGS)
    hours, minutes = rng.randint(1, 5), rng.randint(1, 59)
    total = hours * 60 + minutes
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("length_hours", hours)
    p.given("length_minutes", minutes)
    p.let("total_minutes", "length_hours * 60 + length_minutes")
    done = rng.randint(61, total - 1) if total > 75 and rng.random() < 0.4 else rng.randint(5, min(total - 1, 59))
    done_hours, done_minutes = divmod(done, 60)
    if done_hours and done_minutes:
        p.given("done_hours", done_hours)
        p.given("done_minutes", done_minutes)
        p.let("done", "done_hours * 60 + done_minutes")
        done_text = f"{_plural(done_hours, 'hour')} and {_plural(done_minutes, 'minute')}"
    else:
        p.given("done", done)
        done_text = _plural(done, "minute")
    p.let("minutes_left", "total_minutes - done")
    if thing == "flight":
        facts = [
            render(rng, "A flight [lasts|takes] {h} and {m}.", h=_plural(hours, "hour"), m=_plural(minutes, "minute")),
            f"The plane has been in the air for {done_text}.",
        ]
    else:
        facts = [render(rng, "[{a}|The {t}] [lasts|is|runs for] {h} and {m}[ in total|].", a=article(thing), t=thing,
                        h=_plural(hours, "hour"), m=_plural(minutes, "minute")),
                 f"{who['s']} has {verb} {done_text} of it."]  # fmt: skip
    question = render(rng, "[How many minutes are left|How many minutes of the {t} remain|How many more minutes until "
                           "the end of the {t}]?", t=thing)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "minutes_left")


@shape("countdown-weeks-days", "time")
def _countdown_weeks_days(rng):
    event = rng.choice(["summer holiday", "school trip", "birthday party", "big concert", "wedding", "marathon"])
    weeks, days = rng.randint(2, 20), rng.randint(1, 6)
    crossed = rng.randint(2, weeks * 7 + days - 1)
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("weeks", weeks)
    p.given("extra_days", days)
    p.given("days_passed", crossed)
    p.let("days_away", "weeks * 7 + extra_days")
    p.let("days_left", "days_away - days_passed")
    facts = [
        render(
            rng,
            "[On the calendar, |Today |] the {e} is {w} weeks and {d} away.",
            e=event,
            w=weeks,
            d=_plural(days, "day"),
        ),
        render(rng, "{s} [crosses off|ticks off|marks] one day each evening[ on the calendar|].", **who),
    ]
    question = render(rng, "[After {c} days, how many days are left|How many days remain after {c} days have been "
                           "crossed off|How many days are still to go once {c} have passed]?", c=crossed)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "days_left")


@shape("age-when-other-turns", "time")
def _age_when_other_turns(rng):
    n, m = rng.sample(NAMES, 2)
    younger, gap = rng.randint(2, 40), rng.randint(2, 45)
    older = younger + gap
    p = Program()
    if rng.random() < 0.5:
        target = younger + rng.randint(1, 40)
        p.given(f"{_var(n)}_age", younger)
        p.given(f"{_var(m)}_age", older)
        p.given("target_age", target)
        p.let("years_until", f"target_age - {_var(n)}_age")
        p.let(f"{_var(m)}_then", f"{_var(m)}_age + years_until")
        facts = [render(rng, "{n} is {a} years old.", n=n, a=younger), render(rng, "{m} is {b}.", m=m, b=older)]
        question = render(
            rng, "[How old will {m} be when {n} is {t}|When {n} turns {t}, how old will {m} be]?", n=n, m=m, t=target
        )
        return p.sample(_compose(rng, facts, question, shuffle=True), f"{_var(m)}_then")
    year_older = rng.randint(1940, 2020 - gap)
    year_younger = year_older + gap
    target = rng.randint(gap + 1, gap + 60)
    p.given(f"{_var(n)}_born", year_older)
    p.given(f"{_var(m)}_born", year_younger)
    p.given("target_age", target)
    p.let("year", f"{_var(n)}_born + target_age")
    p.let(f"{_var(m)}_age", f"year - {_var(m)}_born")
    facts = [
        render(rng, "{n} was born in {y}.", n=n, y=year_older),
        render(rng, "{m} was born in {y}.", m=m, y=year_younger),
    ]
    question = render(rng, "[How old will {m} be in the year {n} turns {t}|In the year that {n} turns {t}, how old is "
                           "{m}]?", n=n, m=m, t=target)  # fmt: skip
    return p.sample(_compose(rng, facts, question, shuffle=True), f"{_var(m)}_age")


@shape("deadline-spare-minutes", "time")
def _deadline_spare_minutes(rng):
    for _ in range(100):
        h1, m1 = rng.randint(7, 19), _minute(rng)
        h2, m2 = rng.randint(h1 + 1, min(h1 + 4, 23)), _minute(rng)
        a, b = rng.randint(5, 90), rng.randint(5, 90)
        if (h2 * 60 + m2) - (h1 * 60 + m1) >= a + b:
            break
    who = _person(rng, rng.choice(NAMES))
    jobs = [("pack a bag", "packing"), ("make lunch", "lunch"), ("finish an essay", "essay"), ("shower", "shower"),
            ("wrap a present", "wrapping"), ("water the plants", "watering"), ("iron a shirt", "ironing"),
            ("reply to emails", "emails")]  # fmt: skip
    (job_a, var_a), (job_b, var_b) = rng.sample(jobs, 2)
    goal = rng.choice(["leave for the airport", "be at the station", "hand in the work", "meet friends",
                       "catch the last bus"])  # fmt: skip
    p = Program()
    p.given("now_hour", h1)
    p.given("now_minute", m1)
    p.given("deadline_hour", h2)
    p.given("deadline_minute", m2)
    p.given(f"{var_a}_minutes", a)
    p.given(f"{var_b}_minutes", b)
    p.let("now", "now_hour * 60 + now_minute")
    p.let("deadline", "deadline_hour * 60 + deadline_minute")
    p.let("spare", f"deadline - now - {var_a}_minutes - {var_b}_minutes")
    facts = [
        render(rng, "[It is {t} now.|The clock shows {t}.|It is already {t}.]", t=_clock(h1, m1)),
        render(rng, "{s} must {g} at {t}.", g=goal, t=_clock(h2, m2), **who),
        render(
            rng,
            "Before that, {s} needs {a} minutes to {j1} and {b} minutes to {j2}.",
            a=a,
            j1=job_a,
            b=b,
            j2=job_b,
            **who,
        ),
    ]
    question = render(rng, "[How many minutes will {s} have to spare|How many spare minutes are left|How much time "
                           "is left over, in minutes]?", **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "spare")


@shape("weekly-training-hours", "time")
def _weekly_training_hours(rng):
    sport = rng.choice(["swims", "trains", "practises judo", "plays tennis", "goes cycling", "rows"])
    for _ in range(200):
        weekdays, per = rng.randint(2, 5), rng.choice(range(20, 125, 5))
        weekend = rng.choice(range(30, 245, 5))
        if (weekdays * per + weekend) % 60 == 0:
            break
    else:
        weekdays, per, weekend = 3, 40, 60
    who = _person(rng, rng.choice(NAMES))
    day = rng.choice(["Saturday", "Sunday"])
    p = Program()
    p.given("weekday_sessions", weekdays)
    p.given("minutes_per_session", per)
    p.given("weekend_minutes", weekend)
    p.let("weekday_minutes", "weekday_sessions * minutes_per_session")
    p.let("total_minutes", "weekday_minutes + weekend_minutes")
    p.let("hours", "total_minutes / 60")
    facts = [
        render(
            rng, "{s} {v} for {p} minutes on {k} weekdays[ each week|].", v=sport, p=per, k=_count(rng, weekdays), **who
        ),
        render(
            rng,
            "[On {d} the session lasts {w} minutes.|On {d} {s} {v} for {w} minutes.]",
            d=day,
            w=weekend,
            v=sport,
            **who,
        ),
    ]
    question = render(rng, "[How many hours a week is that|How many hours does {s} spend on it each week|What is the "
                           "weekly total in hours]?", **who)  # fmt: skip
    return p.sample(_compose(rng, facts, question), "hours")


@shape("laps-minutes-seconds", "time")
def _laps_minutes_seconds(rng):
    minutes, seconds, laps = rng.randint(1, 4), rng.randint(5, 55), rng.randint(2, 25)
    where = rng.choice(["the pool", "the running track", "the park", "the go-kart track", "the lake"])
    who = _person(rng, rng.choice(NAMES))
    p = Program()
    p.given("lap_minutes", minutes)
    p.given("lap_seconds", seconds)
    p.given("laps", laps)
    p.let("seconds_per_lap", "lap_minutes * 60 + lap_seconds")
    p.let("total_seconds", "seconds_per_lap * laps")
    facts = [
        render(
            rng,
            "One lap of {w} takes {mm} and {ss}.",
            w=where,
            mm=_plural(minutes, "minute"),
            ss=_plural(seconds, "second"),
            **who,
        ),
        render(rng, "{s} [does|completes|goes around] {l} laps at that pace.", l=laps, **who),
    ]
    if rng.random() < 0.2 and where in ("the pool", "the running track"):
        facts.insert(1, render(rng, "The lap is {x} metres long.", x=rng.choice([25, 50, 200, 400])))
    question = render(rng, "[How many seconds does that take in all|How many seconds is that altogether|What is the "
                           "total time in seconds]?")  # fmt: skip
    return p.sample(_compose(rng, facts, question), "total_seconds")
