"""Program-style math shapes written as data (math_programs.spec), part C: multi-step problems,
rates, unit conversions, percentages and fractions."""

from __future__ import annotations

from loco_mlx.data.synth.math_programs import spec

SNACKS = ["granola bars", "juice boxes", "apples", "muffins", "sandwiches", "bags of chips"]
CRAFTS = ["beads", "buttons", "stickers", "ribbons", "sequins", "stamps"]
VEHICLES = ["car", "train", "bus", "van", "truck"]
JOBS = ["tutoring", "dog walking", "babysitting", "washing cars", "mowing lawns", "delivering flyers"]
DRINKS = ["lemonade", "iced tea", "orange juice", "soup", "punch"]

# --- multi-step ----------------------------------------------------------------------------------

spec("ms-buy-two-kinds", "multi-step",
     ["{n} [buys|picks up|orders] {a} notebooks at ${pa} [each|apiece] and {b} pens at ${pb} each."],
     "[How much does {n} spend|What does {n} pay in total|How many dollars does {n} spend altogether]?",
     {"a": (2, 12), "pa": (2, 9), "b": (2, 20), "pb": (1, 5)},
     [("notebook_cost", "a * pa"), ("pen_cost", "b * pb"), ("total_cost", "notebook_cost + pen_cost")],
     "total_cost")  # fmt: skip
spec("ms-collect-give", "multi-step",
     ["{n} had {start} {item}.", "[Then|Later] {n} [got|bought|was given] {more} more.",
      "{n} [gave|handed] {give} of them to {m}."],
     "How many {item} does {n} have now?",
     {"start": (5, 400), "more": (3, 300), "give": (2, 250)},
     [("after_getting", "start + more"), ("left", "after_getting - give")], "left", words={"item": CRAFTS})  # fmt: skip
spec("ms-packs-loose", "multi-step",
     ["A [classroom|club|team] has {packs} packs of {item} with {per} in each pack, and {loose} loose ones."],
     "How many {item} are there [in all|altogether|in total]?",
     {"packs": (2, 30), "per": (3, 24), "loose": (1, 40)},
     [("in_packs", "packs * per"), ("total", "in_packs + loose")], "total", words={"item": SNACKS})  # fmt: skip
spec("ms-share-after-buying", "multi-step",
     ["{n} [bakes|makes] {batches} batches of {per} cookies and [buys|adds] {extra} more from a shop.",
      "The cookies are shared equally among {kids} [children|friends|classmates]."],
     "How many cookies does each [one|person|child] get?",
     {"kids": (2, 12), "_each": (2, 30), "batches": (2, 8), "per": (6, 24),
      "extra": "kids * _each - batches * per"},
     [("baked", "batches * per"), ("all_cookies", "baked + extra"), ("each_gets", "all_cookies // kids")],
     "each_gets", where="extra > 0")  # fmt: skip
spec("ms-savings-left", "multi-step",
     ["{n} [saves|puts aside] ${weekly} every week for {weeks} weeks.",
      "Then {n} [spends|uses] ${spent} on [a jacket|a game|concert tickets|a gift]."],
     "How many dollars does {n} have left?",
     {"weekly": (3, 60), "weeks": (2, 20), "spent": (10, 500)},
     [("saved", "weekly * weeks"), ("left", "saved - spent")], "left")  # fmt: skip
spec("ms-seats-rows", "multi-step",
     ["A [theater|hall|stadium section] has {rows} rows of {seats} seats.", "{taken} seats are [taken|already sold]."],
     "How many seats are [still free|empty|left]?",
     {"rows": (5, 40), "seats": (8, 30), "taken": (10, 800)},
     [("all_seats", "rows * seats"), ("free_seats", "all_seats - taken")], "free_seats")  # fmt: skip
spec("ms-three-days", "multi-step",
     ["On Monday {n} read {mon} pages.", "On Tuesday {n} read {tue} pages.",
      "On Wednesday {n} read twice as many pages as on Monday."],
     "How many pages did {n} read [over the three days|in all]?",
     {"mon": (5, 120), "tue": (5, 120)},
     [("wed", "mon * 2"), ("total_pages", "mon + tue + wed")], "total_pages", shuffle=True)  # fmt: skip

# --- rates ---------------------------------------------------------------------------------------

spec("rate-distance", "rates",
     ["A {vehicle} [travels|drives|goes] at {speed} km per hour for {hours} hours."],
     "How many kilometres does it [travel|cover]?",
     {"speed": (20, 120), "hours": (2, 9)}, [("distance_km", "speed * hours")], "distance_km",
     words={"vehicle": VEHICLES})  # fmt: skip
spec("rate-time-from-distance", "rates",
     ["{n} [cycles|drives|rides] {distance} km at {speed} km per hour."],
     "How many hours does the trip take?",
     {"speed": (10, 90), "hours": (2, 12), "distance": "speed * hours"},
     [("hours_taken", "distance // speed")], "hours_taken")  # fmt: skip
spec("rate-pay-hours", "rates",
     ["{n} earns ${rate} an hour [from|for] {job}.", "Last month {n} worked {hours} hours."],
     "How many dollars did {n} earn [last month|that month]?",
     {"rate": (8, 45), "hours": (4, 160)}, [("earned", "rate * hours")], "earned", words={"job": JOBS},
     shuffle=True)  # fmt: skip
spec("rate-unit-price", "rates",
     ["{count} {thing} cost ${total} [together|in all]."],
     "How much does one cost, in dollars?",
     {"count": (2, 25), "each": (2, 80), "total": "count * each"}, [("price_each", "total // count")],
     "price_each", words={"thing": ["tickets", "notebooks", "plants", "towels", "mugs"]})  # fmt: skip
spec("rate-pages-per-hour", "rates",
     ["{n} [types|prints|reads] {per_hour} pages an hour.", "{n} has {pages} pages to do."],
     "How many hours will it take?",
     {"per_hour": (5, 60), "hours": (2, 15), "pages": "per_hour * hours"}, [("hours_needed", "pages // per_hour")],
     "hours_needed", shuffle=True)  # fmt: skip
spec("rate-fill-tank", "rates",
     ["A [hose|pump|tap] fills a tank at {rate} litres per minute.", "The tank holds {litres} litres."],
     "How many minutes does it take to fill the [empty|whole] tank?",
     {"rate": (3, 40), "minutes": (5, 90), "litres": "rate * minutes"}, [("minutes_needed", "litres // rate")],
     "minutes_needed")  # fmt: skip
spec("rate-two-workers", "rates",
     ["{n} [packs|folds|labels] {a} boxes an hour and {m} [packs|folds|labels] {b} boxes an hour.",
      "They work together for {hours} hours."],
     "How many boxes do they [finish|do] together?",
     {"a": (5, 60), "b": (5, 60), "hours": (2, 8)},
     [("per_hour", "a + b"), ("boxes", "per_hour * hours")], "boxes")  # fmt: skip

# --- unit conversions ----------------------------------------------------------------------------

spec("unit-hours-to-minutes", "units",
     ["{n} [practises piano|studies|trains] for {hours} hours and {minutes} minutes."],
     "How many minutes is that [in total|altogether]?",
     {"hours": (1, 9), "minutes": (5, 55)}, [("total_minutes", "hours * 60 + minutes")], "total_minutes")  # fmt: skip
spec("unit-m-to-cm", "units",
     ["A {thing} is {metres} metres long.", "{n} cuts {cut} centimetres off the {thing}."],
     "How many centimetres are left?",
     {"metres": (2, 20), "cut": (10, 190)},
     [("length_cm", "metres * 100"), ("left_cm", "length_cm - cut")], "left_cm",
     words={"thing": ["rope", "ribbon", "board", "pipe", "cable"]})  # fmt: skip
spec("unit-kg-to-g", "units",
     ["A bag holds {kg} kg of [flour|rice|sugar|oats].", "Each {use} uses {grams} grams."],
     "How many {use}s can be made from the bag?",
     {"kg": (1, 25), "grams": [100, 125, 200, 250, 500]},
     [("total_grams", "kg * 1000"), ("portions", "total_grams // grams")], "portions",
     words={"use": ["recipe", "portion", "jar", "loaf"]}, shuffle=True)  # fmt: skip
spec("unit-dozens", "units",
     ["A [bakery|shop|farm stand] sells {dozens} dozen eggs in the morning and {single} single eggs later."],
     "How many eggs does it sell [that day|in all]?",
     {"dozens": (2, 40), "single": (1, 11)}, [("eggs", "dozens * 12 + single")], "eggs")  # fmt: skip
spec("unit-weeks-days", "units",
     ["A [holiday|course|project] lasts {weeks} weeks and {days} days."],
     "How many days is that?",
     {"weeks": (2, 30), "days": (1, 6)}, [("total_days", "weeks * 7 + days")], "total_days")  # fmt: skip
spec("unit-km-walk", "units",
     ["{n} walks {metres} metres to school and the same distance back, {days} days a week."],
     "How many kilometres does {n} walk in a week?",
     {"days": [5, 4, 6], "_km10": (2, 30), "metres": "_km10 * 100"},
     [("daily_metres", "metres * 2"), ("weekly_metres", "daily_metres * days"), ("weekly_km", "weekly_metres / 1000")],
     "weekly_km")  # fmt: skip
spec("unit-ml-cups", "units",
     ["A jug holds {litres} litres of {drink}.", "Each cup takes {ml} ml."],
     "How many cups can be filled?",
     {"litres": (1, 12), "ml": [100, 200, 250, 500]},
     [("total_ml", "litres * 1000"), ("cups", "total_ml // ml")], "cups", words={"drink": DRINKS})  # fmt: skip

# --- percentages ---------------------------------------------------------------------------------

spec("pct-discount", "percent",
     ["A [jacket|bike|lamp|printer|tent] costs ${price}.", "It is on sale for {off}% off."],
     "What is the sale price in dollars?",
     {"price": (10, 900), "off": [10, 20, 25, 30, 40, 50, 15, 5]},
     [("discount", "price * off / 100"), ("sale_price", "price - discount")], "sale_price", cents=True)  # fmt: skip
spec("pct-tax", "percent",
     ["{n} buys [a game|a chair|a pair of boots|a radio] for ${price}.", "Sales tax is {tax}%."],
     "How much does {n} pay including tax, in dollars?",
     {"price": (10, 600), "tax": [5, 6, 8, 10, 12, 20]},
     [("tax_amount", "price * tax / 100"), ("total", "price + tax_amount")], "total", cents=True)  # fmt: skip
spec("pct-of-class", "percent",
     ["There are {pupils} {who} in a [school|year group|club].",
      "{pct}% of them [walk to school|play an instrument|have a pet]."],
     "How many {who} is that?",
     {"pct": [10, 20, 25, 40, 50, 60, 75, 30], "_k": (1, 20), "pupils": "_k * 20"},
     [("count", "pupils * pct / 100")], "count", words={"who": ["pupils", "students", "children"]})  # fmt: skip
spec("pct-increase", "percent",
     ["A [choir|chess club|sports club] had {before} members last year.",
      "This year the number grew by {pct}%."],
     "How many members are there now?",
     {"pct": [10, 20, 25, 50, 5, 30], "_k": (2, 60), "before": "_k * 20"},
     [("growth", "before * pct / 100"), ("now", "before + growth")], "now")  # fmt: skip
spec("pct-tip", "percent",
     ["Dinner for {people} [people|friends] costs ${bill}.", "They add a {tip}% tip."],
     "How much do they pay [in all|altogether], in dollars?",
     {"people": (2, 8), "bill": (20, 400), "tip": [10, 15, 18, 20]},
     [("tip_amount", "bill * tip / 100"), ("total", "bill + tip_amount")], "total", cents=True)  # fmt: skip
spec("pct-interest", "percent",
     ["{n} [puts|deposits|saves] ${amount} in a bank account that pays {rate}% interest a year."],
     "How many dollars are in the account after one year?",
     {"amount": (100, 5000), "rate": [1, 2, 3, 4, 5]},
     [("interest", "amount * rate / 100"), ("balance", "amount + interest")], "balance", cents=True)  # fmt: skip
spec("pct-score", "percent",
     ["A test has {questions} questions.", "{n} [gets|answers] {right} of them right."],
     "What percent did {n} get right?",
     {"questions": [10, 20, 25, 50, 40], "right": "questions * 3 // 5"},
     [("percent_right", "right * 100 / questions")], "percent_right")  # fmt: skip

# --- fractions -----------------------------------------------------------------------------------

spec("frac-of-amount", "fractions",
     ["{n} has ${money}.", "{n} spends a quarter of it on [books|a train ticket|groceries]."],
     "How many dollars does {n} have left?",
     {"_k": (2, 200), "money": "_k * 4"}, [("spent", "money / 4"), ("left", "money - spent")], "left")  # fmt: skip
spec("frac-half-then", "fractions",
     ["A {box} has {fruit} [oranges|plums|pears].", "Half of them are eaten, then {more} more are added."],
     "How many are in the {box} now?",
     {"_k": (3, 300), "fruit": "_k * 2", "more": (2, 60)},
     [("after_eating", "fruit / 2"), ("now", "after_eating + more")], "now",
     words={"box": ["box", "basket", "crate", "bowl"]})  # fmt: skip
spec("frac-thirds", "fractions",
     ["{n} [planted|grew] {plants} [seedlings|plants|tomato plants].", "Two thirds of them {did}."],
     "How many did not {do}?",
     {"_k": (2, 100), "plants": "_k * 3"}, [("did", "plants * 2 / 3"), ("did_not", "plants - did")], "did_not",
     words={"did": ["flowered"], "do": ["flower"]})  # fmt: skip
spec("frac-half-as-many", "fractions",
     ["{n} has {a} {thing}.", "{m} has {n2} more than half as many {thing} as {n}."],
     "How many {thing} does {m} have?",
     {"_k": (3, 200), "a": "_k * 2", "n2": (2, 30)},
     [("half", "a / 2"), ("m_has", "half + n2")], "m_has",
     words={"thing": ["stamps", "coins", "cards", "shells"]})  # fmt: skip
spec("frac-remaining-after-two", "fractions",
     ["A [cake|pizza|pie] is cut into {slices} slices.", "{n} eats a quarter of the slices and {m} eats {eaten}."],
     "How many slices are left?",
     {"_k": (2, 6), "slices": "_k * 4", "eaten": (1, 5)},
     [("n_ate", "slices / 4"), ("left", "slices - n_ate - eaten")], "left")  # fmt: skip
spec("frac-tank", "fractions",
     ["A [water tank|fuel tank|barrel] holds {capacity} litres and is three quarters full."],
     "How many more litres are needed to fill it?",
     {"_k": (5, 250), "capacity": "_k * 4"},
     [("in_tank", "capacity * 3 / 4"), ("needed", "capacity - in_tank")], "needed")  # fmt: skip
