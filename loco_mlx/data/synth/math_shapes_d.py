"""Program-style math shapes written as data (math_programs.spec), part D: averages, remainders,
comparisons, money with cents and time."""

from __future__ import annotations

from loco_mlx.data.synth.math_programs import spec

GOODS = ["mugs", "candles", "notebooks", "plant pots", "scarves", "puzzles", "lamps", "towels"]
SPORTS = ["basketball", "football", "hockey", "rugby", "handball"]
THINGS = ["marbles", "stickers", "cards", "shells", "coins", "badges"]

# --- averages ------------------------------------------------------------------------------------

spec("avg-three-scores", "averages",
     ["{n} scored {a}, {b} and {c} on three [tests|quizzes|exams]."],
     "What is {n}'s [average|mean] score?",
     {"a": (40, 100), "b": (40, 100), "_c": (40, 100), "c": "_c - (a + b + _c) % 3"},
     [("total", "a + b + c"), ("average", "total / 3")], "average", where="c >= 0")  # fmt: skip
spec("avg-daily-steps", "averages",
     ["In one week {n} walked {total} steps."],
     "How many steps is that per day, on average?",
     {"_d": (1000, 12000), "total": "_d * 7"}, [("per_day", "total / 7")], "per_day")  # fmt: skip
spec("avg-four-prices", "averages",
     ["Four [shops|stalls|websites] sell the same [kettle|toaster|backpack] for ${a}, ${b}, ${c} and ${d}."],
     "What is the average price in dollars?",
     {"a": (10, 90), "b": (10, 90), "c": (10, 90), "_d": (10, 90), "d": "_d - (a + b + c + _d) % 4"},
     [("total", "a + b + c + d"), ("average_price", "total / 4")], "average_price", where="d > 0")  # fmt: skip
spec("avg-needed-last", "averages",
     ["{n} scored {a} and {b} on the first two tests.", "{n} wants an average of {goal} over three tests."],
     "What score does {n} need on the third test?",
     {"a": (50, 100), "b": (50, 100), "goal": (60, 95)},
     [("needed_total", "goal * 3"), ("third", "needed_total - a - b")], "third",
     where="goal * 3 - a - b <= 100")  # fmt: skip
spec("avg-team-points", "averages",
     ["A {sport} team scored {a}, {b}, {c}, {d} and {e} points in five games."],
     "How many points did it score per game on average?",
     {"a": (10, 120), "b": (10, 120), "c": (10, 120), "d": (10, 120), "_e": (10, 120),
      "e": "_e - (a + b + c + d + _e) % 5"},
     [("total_points", "a + b + c + d + e"), ("average", "total_points / 5")], "average", where="e > 0",
     words={"sport": SPORTS})  # fmt: skip
spec("avg-group-weight", "averages",
     ["{count} boxes weigh {total} kg [together|in all]."],
     "What is the average weight of a box, in kg?",
     {"count": (2, 20), "_w": (2, 60), "total": "count * _w"}, [("average_kg", "total / count")],
     "average_kg")  # fmt: skip

# --- remainders ----------------------------------------------------------------------------------

spec("rem-boxes-left", "remainders",
     ["A [factory|bakery|farm] packs {items} [eggs|cookies|apples] into boxes of {size}."],
     "How many are left over after filling as many boxes as possible?",
     {"items": (20, 2000), "size": (3, 24)}, [("left_over", "items % size")], "left_over",
     where="items % size > 0")  # fmt: skip
spec("rem-full-boxes", "remainders",
     ["{n} has {items} {thing} and puts them in bags of {size}."],
     "How many full bags can {n} make?",
     {"items": (20, 1500), "size": (3, 25)}, [("full_bags", "items // size")], "full_bags",
     where="items % size > 0", words={"thing": THINGS})  # fmt: skip
spec("rem-buses", "remainders",
     ["{people} [students|fans|tourists|workers] are going on a trip.", "Each bus holds {seats} people."],
     "How many buses are needed?",
     {"people": (30, 900), "seats": (20, 60)}, [("buses", "-(-people // seats)")], "buses",
     where="people % seats > 0")  # fmt: skip
spec("rem-share-left", "remainders",
     ["{n} shares {items} {thing} equally among {kids} friends, giving each as many as possible."],
     "How many {thing} are left over?",
     {"items": (10, 500), "kids": (3, 12)}, [("left_over", "items % kids")], "left_over",
     where="items % kids > 0", words={"thing": THINGS})  # fmt: skip
spec("rem-tables", "remainders",
     ["{guests} guests come to a [wedding|party|dinner].", "Each table seats {seats}."],
     "How many tables are needed so that everyone has a seat?",
     {"guests": (15, 400), "seats": (4, 12)}, [("tables", "-(-guests // seats)")], "tables",
     where="guests % seats > 0")  # fmt: skip
spec("rem-every-nth", "remainders",
     ["In a line of {people} people, every {nth}th person gets a free [ticket|drink|badge]."],
     "How many people get one?",
     {"people": (20, 1000), "nth": (3, 12)}, [("winners", "people // nth")], "winners")  # fmt: skip
spec("rem-weeks-days", "remainders",
     ["A [trip|project|course] lasts {days} days."],
     "How many full weeks is that?",
     {"days": (8, 400)}, [("weeks", "days // 7")], "weeks", where="days % 7 > 0")  # fmt: skip

# --- comparisons ---------------------------------------------------------------------------------

spec("cmp-how-many-more", "comparisons",
     ["{n} has {a} {thing}.", "{m} has {b} {thing}."],
     "How many more {thing} does {n} have than {m}?",
     {"a": (20, 2000), "b": (5, 1500)}, [("difference", "a - b")], "difference", where="a > b",
     words={"thing": THINGS}, shuffle=True)  # fmt: skip
spec("cmp-times-as-many", "comparisons",
     ["{n} read {a} books this year.", "{m} read {k} times as many."],
     "How many books did they read together?",
     {"a": (3, 60), "k": (2, 5)}, [("m_read", "a * k"), ("together", "a + m_read")], "together")  # fmt: skip
spec("cmp-cheaper-plan", "comparisons",
     ["Plan A costs ${a} a month.", "Plan B costs ${b} a month."],
     "How many dollars does the cheaper plan save over {months} months?",
     {"a": (10, 90), "b": (10, 90), "months": (2, 24)},
     [("monthly_gap", "max(a, b) - min(a, b)"), ("saved", "monthly_gap * months")], "saved", where="a != b",
     shuffle=True)  # fmt: skip
spec("cmp-gap-to-goal", "comparisons",
     ["A [school|charity|club] wants to raise ${goal}.",
      "It has raised ${first} in the first week and ${second} in the second."],
     "How many more dollars does it need?",
     {"goal": (500, 9000), "first": (50, 3000), "second": (50, 3000)},
     [("raised", "first + second"), ("still_needed", "goal - raised")], "still_needed")  # fmt: skip
spec("cmp-difference-totals", "comparisons",
     ["{n} buys {a} packs of {per_a} {thing}.", "{m} buys {b} packs of {per_b} {thing}."],
     "How many more {thing} does {n} have than {m}?",
     {"a": (2, 20), "per_a": (4, 30), "b": (2, 20), "per_b": (4, 30)},
     [("n_total", "a * per_a"), ("m_total", "b * per_b"), ("difference", "n_total - m_total")], "difference",
     where="a * per_a > b * per_b", words={"thing": THINGS}, shuffle=True)  # fmt: skip
spec("cmp-taller", "comparisons",
     ["A [tower|tree|building] is {a} metres tall.", "A second one is {b} metres shorter."],
     "How tall are the two together, in metres?",
     {"a": (20, 800), "b": (5, 300)}, [("second", "a - b"), ("together", "a + second")], "together",
     where="a > b")  # fmt: skip

# --- money with cents ----------------------------------------------------------------------------

spec("money-change", "money",
     ["{n} buys {count} {item} at ${price} each and pays with a ${bill} bill."],
     "How much change does {n} get, in dollars?",
     {"count": (2, 6), "price": ("$", 1, 15), "bill": [20, 50, 100]},
     [("cost", "count * price"), ("change", "bill - cost")], "change", cents=True,
     words={"item": ["sandwiches", "coffees", "magazines", "bus tickets", "smoothies"]})  # fmt: skip
spec("money-split-bill", "money",
     ["{people} friends [share|split] a bill of ${bill} equally."],
     "How much does each friend pay, in dollars?",
     {"people": (2, 8), "_each": ("$", 5, 60), "bill": "round(people * _each, 2)"},
     [("each_pays", "bill / people")], "each_pays", cents=True)  # fmt: skip
spec("money-several-items", "money",
     ["{n} buys a [book|hat|game] for ${a}, a [pen|card|snack] for ${b} and a [bag|mug|plant] for ${c}."],
     "How much does {n} spend in all, in dollars?",
     {"a": ("$", 3, 40), "b": ("$", 1, 9), "c": ("$", 2, 30)},
     [("total", "a + b + c")], "total", cents=True)  # fmt: skip
spec("money-weeks-to-save", "money",
     ["{n} wants a [bike|tablet|guitar|camera] that costs ${price}.", "{n} has ${have} and saves ${weekly} a week."],
     "How many weeks until {n} can buy it?",
     {"weekly": (5, 50), "have": (0, 200), "weeks": (2, 30), "price": "have + weekly * weeks"},
     [("still_needed", "price - have"), ("weeks_needed", "still_needed // weekly")], "weeks_needed")  # fmt: skip
spec("money-hourly-cents", "money",
     ["{n} earns ${rate} an hour and works {hours} hours."],
     "How many dollars does {n} earn?",
     {"rate": ("$", 9, 30), "hours": (2, 40)}, [("earned", "rate * hours")], "earned", cents=True)  # fmt: skip
spec("money-price-per-kg", "money",
     ["[Cheese|Coffee|Cherries] cost ${per_kg} per kilogram.", "{n} buys {kg} kilograms."],
     "How much does {n} pay, in dollars?",
     {"per_kg": ("$", 2, 30), "kg": (2, 9)}, [("cost", "per_kg * kg")], "cost", cents=True)  # fmt: skip
spec("money-coins", "money",
     ["{n} has {quarters} quarters, worth {cents_per_quarter} cents each, and {dimes} dimes, worth "
      "{cents_per_dime} cents each."],
     "How many cents does {n} have?",
     {"quarters": (2, 40), "dimes": (2, 40), "cents_per_quarter": [25], "cents_per_dime": [10]},
     [("quarter_cents", "quarters * cents_per_quarter"), ("dime_cents", "dimes * cents_per_dime"),
      ("cents", "quarter_cents + dime_cents")],
     "cents")  # fmt: skip

# --- time ----------------------------------------------------------------------------------------

spec("time-between-clock", "time",
     ["A [film|train ride|meeting|match] starts at {h1}:{m1_mm} and ends at {h2}:{m2_mm} the same day."],
     "How many minutes does it last?",
     {"h1": (6, 12), "m1": [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55], "h2": (7, 20),
      "m2": [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]},
     [("start", "h1 * 60 + m1"), ("end", "h2 * 60 + m2"), ("minutes", "end - start")], "minutes",
     where="h2 * 60 + m2 > h1 * 60 + m1")  # fmt: skip
spec("time-tasks-total", "time",
     ["{n} spends {a} minutes [cleaning|cooking|on homework], {b} minutes [shopping|reading|exercising] and "
      "{c} minutes [on the phone|gardening|walking the dog]."],
     "How many minutes is that in all?",
     {"a": (5, 120), "b": (5, 120), "c": (5, 120)}, [("total_minutes", "a + b + c")], "total_minutes")  # fmt: skip
spec("time-deadline", "time",
     ["A [report|project|cake] must be ready in {hours} hours.", "{n} has already worked on it for {done} minutes."],
     "How many minutes are left?",
     {"hours": (2, 10), "done": (10, 100)},
     [("total_minutes", "hours * 60"), ("left", "total_minutes - done")], "left")  # fmt: skip
spec("time-laps", "time",
     ["{n} runs {laps} laps and each lap takes {per_lap} minutes."],
     "How many minutes does {n} run?",
     {"laps": (2, 30), "per_lap": (2, 12)}, [("minutes", "laps * per_lap")], "minutes")  # fmt: skip
spec("time-age-gap", "time",
     ["{n} is {age} years old.", "{m} is {gap} years older."],
     "How old will {m} be in {later} years?",
     {"age": (5, 60), "gap": (2, 30), "later": (2, 20)},
     [("m_age", "age + gap"), ("m_later", "m_age + later")], "m_later")  # fmt: skip
spec("time-daily-practice", "time",
     ["{n} practises [the violin|drawing|chess] for {minutes} minutes a day."],
     "How many hours is that over {days} days?",
     {"minutes": [15, 20, 30, 40, 45, 60, 90], "days": (2, 60)},
     [("total_minutes", "minutes * days"), ("hours", "total_minutes / 60")], "hours",
     where="minutes * days % 60 == 0")  # fmt: skip
spec("time-days-weeks", "time",
     ["A [plant|puppy|baby] is {weeks} weeks and {days} days old."],
     "How many days old is it?",
     {"weeks": (2, 52), "days": (1, 6)}, [("age_days", "weeks * 7 + days")], "age_days")  # fmt: skip
