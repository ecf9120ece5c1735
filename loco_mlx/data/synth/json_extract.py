"""Field extraction: a short text about one person into a fixed JSON object.

The schema is fixed: {"name": str, "age": int, "city": str, "job": str}, in that key order, where
name is the full name as written, city the city the person lives in now, and job the occupation
in lower case. The reply is exactly that object on one line (json.dumps). Tiers are per
template: easy texts state each field once; medium ones use dialogue, first person, forms or
extra clauses; hard ones add distractors (another city, person, job or number).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

from loco_mlx.data.synth.common import Domain, Sample, Template, article, render
from loco_mlx.errors import LocoError

KEYS = ("name", "age", "city", "job")
FEMALE = ("Ana", "Beatriz", "Chloe", "Dana", "Elena", "Fatima", "Grace", "Hana", "Ines", "Julia", "Keiko", "Lena",
          "Maya", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Tamar", "Uma", "Vera", "Yara", "Zainab",
          "Amara")  # fmt: skip
MALE = ("Adam", "Bruno", "Carlos", "David", "Emeka", "Felix", "Gabriel", "Hassan", "Ivan", "Jonas", "Kenji", "Luca",
        "Mateo", "Nikhil", "Omar", "Pavel", "Rafael", "Samuel", "Tomas", "Umar", "Victor", "Wei", "Yusuf",
        "Kofi")  # fmt: skip
SURNAMES = ("Silva", "Okafor", "Nakamura", "Novak", "Garcia", "Kowalski", "Haddad", "Jensen", "Moreau", "Rossi",
            "Mensah", "Petrov", "Chen", "Kaur", "Murphy", "Schmidt", "Tanaka", "Costa", "Ibrahim", "Larsen",
            "Dubois", "Reyes", "Kim", "Bakker", "Osei", "Popescu", "Singh", "Walsh", "Yilmaz", "Andersson")  # fmt: skip
CITIES = ("Lisbon", "Nairobi", "Osaka", "Toronto", "Lyon", "Austin", "Krakow", "Seoul", "Dublin", "Mumbai", "Cairo",
          "Denver", "Porto", "Oslo", "Lima", "Hanoi", "Accra", "Perth", "Bristol", "Quito", "Boston", "Madrid",
          "Vienna", "Chicago", "Manila", "Leeds", "Bogota", "Halifax", "Glasgow", "Tunis", "New York", "San Diego",
          "Buenos Aires", "Cape Town", "Hong Kong", "Kuala Lumpur", "Mexico City", "Tel Aviv")  # fmt: skip
JOBS = ("nurse", "teacher", "baker", "plumber", "architect", "software engineer", "bus driver", "dentist",
        "electrician", "journalist", "chef", "pharmacist", "librarian", "carpenter", "accountant", "photographer",
        "farmer", "pilot", "lawyer", "mechanic", "veterinarian", "graphic designer", "firefighter", "translator",
        "barber", "florist", "tailor", "data analyst", "social worker", "paramedic", "gardener", "economist",
        "physiotherapist", "web developer", "police officer", "optician", "surveyor", "midwife", "welder",
        "editor")  # fmt: skip
RELATIVES = ("sister", "brother", "cousin", "best friend", "flatmate", "colleague")
HOBBIES = ("chess", "hiking", "jazz", "gardening", "board games", "cycling", "baking bread", "old films")
HABITS = ("always knows the best cafes", "runs every morning", "fixes everyone's bikes", "sings in a choir",
          "collects vinyl records", "volunteers at the library")  # fmt: skip
CLAIMS = ("the new park is a good idea", "rents are rising too fast", "the festival should return",
          "the trains need more night services", "local shops deserve more support")  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "March", "April", "May", "June", "July", "September", "October", "November", "December")
INSTRUCTIONS = (
    "Extract the person's name, age, city and job from the text as JSON.",
    "Return a JSON object with the keys name, age, city and job for the person described.",
    "Read the text and give the name, age, city (where the person lives) and job as a JSON object.",
    'Fill in this JSON from the text: {"name": ..., "age": ..., "city": ..., "job": ...}',
    "Convert the description into JSON with the fields name, age (a number), city and job.",
    "Answer in JSON with name, age, city and job: who is described here?",
    "Output only JSON (keys: name, age, city, job) for this person.",
    "Pull out the full name, age, current city and occupation. Use the JSON keys name, age, city, job.",
    "Give me the JSON record {name, age, city, job} for this text.",
    "Parse this into a JSON object with name, age, city and job.",
    "Turn the following into structured data. JSON keys: name, age, city, job.",
    "Extract as JSON: name, age, city, job.",
)
TEMPLATES: list[Template] = []


@dataclass(frozen=True)
class Person:
    name: str
    female: bool
    age: int
    city: str
    job: str


def _template(slug: str, tier: str, text: str) -> None:
    def make(rng: random.Random) -> Sample:
        person, fields = _fields(rng)
        body = render(rng, text, **fields)
        instruction = rng.choice(INSTRUCTIONS)
        prompt = f"{instruction}\n\n{body}" if rng.random() < 0.7 else f"{body}\n\n{instruction}"
        expected = {"name": person.name, "age": person.age, "city": person.city, "job": person.job}
        return Sample(prompt, json.dumps(expected, ensure_ascii=False), expected, tier)

    TEMPLATES.append(Template(slug, tier, make))


def _fields(rng: random.Random) -> tuple[Person, dict]:
    """The person, and every value a template may name: the fields and their distractors."""
    female = rng.random() < 0.5
    first, first2 = rng.sample(FEMALE if female else MALE, 2)
    age = rng.randint(19, 75)
    city, city2 = rng.sample(CITIES, 2)
    job, job2 = rng.sample(JOBS, 2)
    person = Person(f"{first} {rng.choice(SURNAMES)}", female, age, city, job)
    others = [n for n in range(2, 40) if n != age]
    pron, poss = ("she", "her") if female else ("he", "his")
    a_age = f"{'an' if str(age).startswith('8') or age in (11, 18) else 'a'} {age}-year-old"
    fields = {
        "name": person.name, "first": first, "age": age, "city": city, "job": job, "Job": job.capitalize(),
        "a_job": article(job), "A_job": article(job).capitalize(), "a_age": a_age, "city2": city2, "job2": job2,
        "a_job2": article(job2), "first2": first2, "age2": rng.choice([n for n in range(8, 90) if n != age]),
        "n": rng.choice(others[: max(3, age - 18)]), "hours": rng.choice([n for n in range(10, 61) if n != age]),
        "few": rng.randint(2, 5),
        "pron": pron, "Pron": pron.capitalize(), "poss": poss, "Poss": poss.capitalize(), "age_th": _ordinal(age),
        "rel": rng.choice(RELATIVES), "hobby": rng.choice(HOBBIES), "habit": rng.choice(HABITS),
        "claim": rng.choice(CLAIMS), "day": rng.choice(DAYS), "month": rng.choice(MONTHS),
        "year": rng.randint(min(2024, max(2005, 2044 - age)), 2024),  # not before adulthood
    }  # fmt: skip
    return person, fields


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- templates -----------------------------------------------------------------------------------

_template("plain", "easy", "{name} is {age}[ years old|], lives in {city} and works as {a_job}[.| for a living.]")
_template(
    "parenthesis",
    "easy",
    "{name} ({age}) is {a_job} [based in|living in|who lives in] {city}[.| and enjoys {hobby}.]",
)
_template("form-lines", "easy", "Name: {name}\nAge: {age}\n[City|Lives in|Home]: {city}\n[Job|Occupation]: {job}")
_template("meet", "easy", "Meet {name}, {a_age} {job} from {city}.")
_template(
    "apposition",
    "easy",
    "{name}, {age}, [works as|is employed as|earns a living as] {a_job} in {city}[.| and likes {hobby}.]",
)
_template(
    "named",
    "easy",
    "{A_job} [named|called] {name} [lives in|has a flat in|rents a house in] {city}. {Pron} is {age}[ years old|].",
)
_template(
    "this-is",
    "easy",
    "[This is|Say hello to|Here is] {name}. {Pron} is {age}, {pron} lives in {city}, and {pron} "
    "[works as {a_job}|is {a_job}|has a job as {a_job}].",
)
_template("table-row", "easy", "name | age | city | job\n{name} | {age} | {city} | {job}")
_template("at-age", "easy", "At {age}, {name} [works as|is|has a job as] {a_job} in {city}[.|, a job {pron} loves.]")
_template(
    "lives-then-job",
    "easy",
    "{name} [lives|has lived for a while] in {city}. {Pron} is {a_job} and is {age} years old.",
)

_template(
    "first-person",
    "medium",
    "[Hi|Hello|Hey everyone], I'm {name}. I'm {age} and I [work as|am] {a_job} [here in|in] {city}.",
)
_template(
    "interview",
    "medium",
    "Q: What is your name?\nA: {name}.\nQ: How old are you?\nA: {age}.\nQ: Where do you live?\nA: In {city}.\n"
    "Q: What do you do?\nA: I'm {a_job}.",
)
_template(
    "quote",
    "medium",
    '"[My name is|I\'m|Call me] {name}," [said|explained|added] the {job}. "I am {age}[ years old|] '
    'and I [live|have a home] in {city}."',
)
_template(
    "moved",
    "medium",
    "{name} [moved to|relocated to|settled in] {city} [last year|in {month}|a while ago|after "
    "university]. The {age}-year-old now works as {a_job}[ there|].",
)
_template("busy", "medium", "Working as {a_job} in {city} keeps {name} [busy|on {poss} toes|occupied], even at {age}.")
_template("news", "medium", "{city} {job} {name}, {age}, [said|told reporters|argued] on {day} that {claim}.")
_template(
    "sign-off",
    "medium",
    "[Thanks for the invitation|Thank you for the invite|Thanks for writing]! I'm {age}, so I hope "
    "I'm not too [old|young] for the [team|club|choir|course].\n\n[Best|Cheers|Kind regards|All the "
    "best],\n{name}\n{Job}, {city}",
)
_template(
    "visit",
    "medium",
    "If you are ever in {city}, [look for|ask for|say hello to|try to meet] {name}. {Pron} is the "
    "{age}-year-old {job} who {habit}[, and everyone there knows {poss} name|].",
)
_template(
    "neighbours",
    "medium",
    "Known to {poss} [neighbours|friends|customers] in {city} as a [friendly|helpful|cheerful|quiet] "
    "{job}, {name} turned {age} [this {month}|last week|on {day}].",
)
_template(
    "leading-job",
    "medium",
    "{A_job} who [lives in|is based in|has a home in] {city}, {name} is {age} years old[ and loves "
    "{hobby}| and walks to work|].",
)

_template(
    "grew-up",
    "hard",
    "{name} [grew up|was raised|spent {poss} childhood] in {city2} but now lives in {city}. {Pron} is"
    " {age} and works as {a_job}.",
)
_template(
    "relative",
    "hard",
    "{name}, {age}, works as {a_job} in {city}. {Poss} {rel} {first2} is {age2} and [lives in|is based in] {city2}.",
)
_template(
    "retrained",
    "hard",
    "After {n} years as {a_job2}, {name} retrained as {a_job} and [settled in|moved to] {city}. {Pron} is now {age}.",
)
_template(
    "flatmates",
    "hard",
    "{name} ({age}) [shares a flat|lives] in {city} with {few} [friends|flatmates|students] and works "
    "{hours} hours a week as {a_job}.",
)
_template(
    "travelling",
    "hard",
    "Travelling from {city2} on {day}, {name}, {a_age} {job} who [lives in|is based in|has a home in]"
    " {city}, arrived {hours} minutes late[ for the meeting| to the party|].",
)
_template(
    "born-elsewhere",
    "hard",
    "Although {name} was born in {city2}, the {age}-year-old {job} has lived in {city} for {n} years.",
)
_template(
    "application",
    "hard",
    "Applicant: {name}\nApplying for: {job}\nCurrent city: {city}\nPrevious city: {city2}\nAge: {age}\n"
    "Years of experience: {n}",
)
_template(
    "commute",
    "hard",
    "{name} [commutes|travels] from {poss} home in {city} to {city2} every [day|weekday] for {poss} "
    "job as {a_job}. {Pron} is {age}.",
)
_template(
    "birthday",
    "hard",
    "Last {month}, {name} celebrated {poss} {age_th} birthday with {n} [guests|friends] at {poss} "
    "home in {city}. {Pron} has [been {a_job}|worked as {a_job}] since {year}.",
)
_template(
    "former-job",
    "hard",
    "{name} used to be {a_job2} in {city2}. Now {age}, {pron} works as {a_job} [in|and lives in] {city}.",
)


# --- checking ------------------------------------------------------------------------------------


def verify(sample: Sample) -> None:
    """The reply is the expected object, and every value is written in the text."""
    expected = sample.expected
    if not isinstance(expected, dict) or tuple(expected) != KEYS:
        raise LocoError(f"expected {expected!r} does not have the keys {', '.join(KEYS)}")
    if json.loads(sample.reply) != expected or sample.reply != json.dumps(expected, ensure_ascii=False):
        raise LocoError(f"reply {sample.reply!r} is not the expected object")
    text = sample.prompt.lower()
    for key in ("name", "city", "job"):
        if not isinstance(expected[key], str) or expected[key].lower() not in text:
            raise LocoError(f"{key} {expected[key]!r} is not in the text")
    if not isinstance(expected["age"], int) or not re.search(rf"(?<!\d){expected['age']}(?!\d)", text):
        raise LocoError(f"age {expected['age']!r} is not in the text")


DOMAIN = Domain("json", "json_fields", tuple(TEMPLATES), verify)
