"""Values for the JSON extraction domain: what a text states, and the JSON the reply holds for it.

A `Value` keeps both sides apart: `written` is how the text writes it ("$1,250.00", "5 March 2024",
"yes"), `data` what the JSON holds (1250.0, "5 March 2024", True). Dates also keep their ISO form,
for requests that ask for YYYY-MM-DD. Money and measures carry a unit that key names may end in
(price_usd, weight_kg). Every date is written with its year and its month as a word (or in ISO),
so normalising one is never a guess between day-first and month-first.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

FEMALE = ("Ana", "Beatriz", "Chloe", "Dana", "Elena", "Fatima", "Grace", "Hana", "Ines", "Julia", "Keiko", "Lena",
          "Maya", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tamar", "Uma", "Vera", "Yara", "Zainab", "Amara",
          "Ingrid", "Leila", "Mei", "Noor", "Svetlana", "Wanjiru")  # fmt: skip
MALE = ("Adam", "Bruno", "Carlos", "David", "Emeka", "Felix", "Gabriel", "Hassan", "Ivan", "Jonas", "Kenji", "Luca",
        "Mateo", "Nikhil", "Omar", "Pavel", "Rafael", "Samuel", "Tomas", "Umar", "Victor", "Wei", "Yusuf", "Kofi",
        "Arjun", "Diego", "Henrik", "Kwame", "Liam", "Tariq")  # fmt: skip
SURNAMES = ("Silva", "Okafor", "Nakamura", "Novak", "Garcia", "Kowalski", "Haddad", "Jensen", "Moreau", "Rossi",
            "Mensah", "Petrov", "Chen", "Kaur", "Murphy", "Schmidt", "Tanaka", "Costa", "Ibrahim", "Larsen",
            "Dubois", "Reyes", "Kim", "Bakker", "Osei", "Popescu", "Singh", "Walsh", "Yilmaz", "Andersson",
            "Achebe", "Fernandes", "Lindqvist", "Mbeki", "O'Brien", "Park", "Quispe", "Sato", "Varga",
            "Zhou")  # fmt: skip
CITIES = ("Lisbon", "Nairobi", "Osaka", "Toronto", "Lyon", "Austin", "Krakow", "Seoul", "Dublin", "Mumbai", "Cairo",
          "Denver", "Porto", "Oslo", "Lima", "Hanoi", "Accra", "Perth", "Bristol", "Quito", "Boston", "Madrid",
          "Vienna", "Chicago", "Manila", "Leeds", "Bogota", "Halifax", "Glasgow", "Tunis", "New York", "San Diego",
          "Buenos Aires", "Cape Town", "Hong Kong", "Kuala Lumpur", "Mexico City", "Tel Aviv", "Valencia",
          "Rotterdam", "Gothenburg", "Auckland")  # fmt: skip
JOBS = ("nurse", "teacher", "baker", "plumber", "architect", "software engineer", "bus driver", "dentist",
        "electrician", "journalist", "chef", "pharmacist", "librarian", "carpenter", "accountant", "photographer",
        "farmer", "pilot", "lawyer", "mechanic", "veterinarian", "graphic designer", "firefighter", "translator",
        "barber", "florist", "tailor", "data analyst", "social worker", "paramedic", "gardener", "economist",
        "physiotherapist", "web developer", "police officer", "optician", "surveyor", "midwife", "welder",
        "editor")  # fmt: skip
COMPANIES = ("Northwind Traders", "Bluebird Health", "Lumen Labs", "Tidewater Bank", "Okapi Logistics",
             "Greenleaf Foods", "Harbour Insurance", "Copperline Energy", "Brightpath Schools", "Atlas Freight",
             "Juniper Software", "Redwood Clinic", "Silverlake Media", "Orchard Retail", "Kestrel Aviation",
             "Meridian Hotels", "Pinecrest Studios", "Quayside Architects", "Riverbend Dairy", "Summit Telecom",
             "Blue Door Bakery", "Fairway Motors", "Lantern Books", "Mosaic Design Co")  # fmt: skip
MAIL_HOSTS = ("example.com", "mail.com", "fastmail.net", "proton.me", "outlook.com", "posteo.de")
ROLES = ("Head of Sales", "Office Manager", "Project Lead", "Senior Buyer", "Account Manager", "HR Coordinator",
         "Operations Director", "Marketing Lead", "Finance Officer", "Customer Success Manager", "CTO",
         "Procurement Specialist")  # fmt: skip
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
CURRENCIES = (("$", "USD", "usd"), ("€", "EUR", "eur"), ("£", "GBP", "gbp"))
YES = ("yes", "Yes", "Y", "true", "✓")
NO = ("no", "No", "N", "false", "✗")


@dataclass(frozen=True)
class Value:
    data: Any  # what the JSON holds
    written: str  # how the text writes it
    unit: str = ""  # what a key may end in: usd, kg, min
    iso: str = ""  # a date's YYYY-MM-DD
    hhmm: str = ""  # a time of day on the 24-hour clock, HH:MM
    pronoun: str = "it"  # how prose refers back to it, when it names the subject

    def json(self, iso_dates: bool, h24: bool = False) -> Any:
        if iso_dates and self.iso:
            return self.iso
        return self.hhmm if h24 and self.hhmm else self.data


def text(written: str, pronoun: str = "it") -> Value:
    return Value(written, written, pronoun=pronoun)


def person_name(rng: random.Random) -> Value:
    female = rng.random() < 0.5
    first = rng.choice(FEMALE if female else MALE)
    return text(f"{first} {rng.choice(SURNAMES)}", "she" if female else "he")


def email_for(rng: random.Random, name: str) -> Value:
    first, last = name.lower().replace("'", "").split()[:2]
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}", f"{first}_{last}"))
    return text(f"{local}@{rng.choice(MAIL_HOSTS)}")


def phone(rng: random.Random) -> Value:
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    return text(
        rng.choice(
            (
                f"+351 9{digits(2)} {digits(3)} {digits(3)}",
                f"({rng.randint(201, 989)}) 555-{digits(4)}",
                f"020 7946 {digits(4)}",
                f"+49 30 {digits(6)}",
                f"+1 416 555 {digits(4)}",
                f"07{digits(3)} {digits(6)}",
            )
        )
    )


def count(rng: random.Random, low: int, high: int, unit: str = "") -> Value:
    """A whole number, with a thousands comma now and then when it is large."""
    n = rng.randint(low, high)
    written = f"{n:,}" if n >= 10_000 or (n >= 1000 and rng.random() < 0.5) else str(n)
    return Value(n, written, unit)


def year(rng: random.Random, low: int, high: int) -> Value:
    n = rng.randint(low, high)
    return Value(n, str(n))


def decimal(rng: random.Random, low: float, high: float, places: int = 1, unit: str = "") -> Value:
    x = round(rng.uniform(low, high), places)
    return Value(x, f"{x:.{places}f}", unit)


def money(rng: random.Random, low: int, high: int, cents: bool = True, step: int = 1,
          currency: tuple | None = None, style: int | None = None) -> Value:  # fmt: skip
    """An amount with its currency written as a symbol or a code; whole amounts are JSON integers."""
    amount: float | int = round(rng.uniform(low, high), 2) if cents else rng.randint(low // step, high // step) * step
    style = rng.randrange(4) if style is None else style
    return money_value(amount, currency or rng.choice(CURRENCIES), style)


def money_value(amount: float | int, currency: tuple, style: int) -> Value:
    symbol, code, unit = currency
    number = f"{amount:,.2f}" if isinstance(amount, float) else f"{amount:,}"
    written = (f"{symbol}{number}", f"{symbol} {number}", f"{number} {code}", f"{code} {number}")[style]
    return Value(amount, written, unit)


def flag(rng: random.Random, truth: bool | None = None) -> Value:
    """A yes/no fact: prose states it in words, records as yes/no (or a tick)."""
    truth = rng.random() < 0.5 if truth is None else truth
    return Value(truth, rng.choice(YES if truth else NO))


def date(rng: random.Random, first_year: int = 2023, last_year: int = 2025) -> Value:
    day = datetime.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))
    return Value(written := write_date(rng, day), written, iso=day.isoformat())


def write_date(rng: random.Random, day: datetime.date) -> str:
    month = MONTHS[day.month - 1]
    short = month[:3]
    th = _ordinal(day.day)
    return rng.choice(
        (
            f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}",
            f"{day.day} {short} {day.year}",
            f"{short} {day.day}, {day.year}",
            f"{th} {month} {day.year}",
            f"{month} {th}, {day.year}",
            f"{th} of {month} {day.year}",
            day.isoformat(),
        )
    )


def clock(rng: random.Random) -> Value:
    """A time of day, on the 24-hour clock or the 12-hour one ("7:30 pm", "7pm", "7.30 p.m.")."""
    hour, minute = rng.randint(6, 22), rng.choice((0, 0, 15, 30, 45, 10, 50))
    hhmm = f"{hour:02d}:{minute:02d}"
    if rng.random() < 0.4:
        return Value(hhmm, hhmm, hhmm=hhmm)
    twelve, half = (hour - 1) % 12 + 1, "am" if hour < 12 else "pm"
    forms = [f"{twelve}:{minute:02d} {half}", f"{twelve}:{minute:02d}{half}", f"{twelve}:{minute:02d} {half.upper()}",
             f"{twelve}.{minute:02d} {half[0]}.m."]  # fmt: skip
    if minute == 0:
        forms += [f"{twelve}{half}", f"{twelve} {half}"] + ([f"{twelve} o'clock in the morning"] if hour < 12 else [])
    written = rng.choice(forms)
    return Value(written, written, hhmm=hhmm)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def code(rng: random.Random, pattern: str) -> Value:
    """An identifier from a pattern: 9 a digit, A a capital letter, anything else itself."""
    chars = (rng.choice("0123456789") if c == "9" else rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if c == "A" else c
             for c in pattern)  # fmt: skip
    return text("".join(chars))
