"""Field extraction: a text about one entity into a JSON object whose keys the request names.

Each example draws its own schema: an entity kind (person, product, order line, event, book, job
posting, address, flight, recipe, invoice, contact, film, apartment or car listing; json_kinds),
2-6 of its fields, a key name for each from a vocabulary of synonyms in one casing style
(city/town/location, firstName, price_usd...), and the key order, natural or not. The text
(json_forms) states the fields with distractors: fields not asked for, decoys (another city the
person grew up in, the price before the sale), names and numbers in passing. The request
(json_asks) names every key verbatim in order, worded in one of many ways, before or after the
text. Values are typed: numbers as JSON numbers, flags as booleans, strings, dates and times as
written (dates as YYYY-MM-DD and times as 24-hour HH:MM when the request says so). When the
request says to use null, an asked field is now and then left out of the text and the reply
holds null for it. One template in eight is a
plain person request (name, age and city, sometimes the job or the email, keys as is), worded just
as variously: an adapter must not get worse at the request people make most.

The reply is exactly the requested keys in the requested order, json.dumps on one line.

A template is one (entity kind, text form) pair, grouped by form, so the held-out third is a
third of each form's kinds: a held-out template is a kind the adapter has seen in other forms,
written in a form it has seen for other kinds, but never that combination (a recipe as a
dialogue, an invoice as a CSV row). Key names and phrasings are shared by all templates on
purpose: they are what the adapter must learn to follow, not to recognise. One request frame in
five words only held-out templates' requests, so the benchmark's held-out items are also worded
in ways never trained on (json_asks.frames).
"""

from __future__ import annotations

import calendar
import functools
import json
import random
import re

from loco_mlx.data.synth.common import Domain, Sample, Template, heldout_templates
from loco_mlx.data.synth.json_asks import Ask, key_names, words
from loco_mlx.data.synth.json_forms import FORMS, PERSON_FORMS, SIGNATURE_FORMS, Form, Scene
from loco_mlx.data.synth.json_kinds import KINDS, PERSON_BASIC, Kind
from loco_mlx.data.synth.json_values import CITIES, FEMALE, MALE, SURNAMES, Value
from loco_mlx.errors import LocoError

NULL_SHARE = 0.35  # requests that say to use null for a missing value
MISSING_SHARE = 0.6  # of those, the ones whose text leaves an asked field out
DECOY_SHARE = 0.4  # prose texts with a decoy value
ISO_SHARE = 0.4  # requests with a date that ask for YYYY-MM-DD
H24_SHARE = 0.7  # requests with a time of day that ask for 24-hour HH:MM
PROSE = ("sentence", "paragraph", "dialogue", "message", "email", *PERSON_FORMS)  # forms that write decoys
SIGNED = ("person", "person-basic", "contact")  # kinds an email signature fits
# an unasked field that would give a missing one away
GIVES_AWAY = {"age": ("birth",), "birth": ("age",), "company": ("website",)}
TEMPLATES: list[Template] = []


def _template(kind: Kind, form: str, group: str, render: Form, sources: tuple[str, ...]) -> None:
    slug = f"{kind.name}-{form}"

    def make(rng: random.Random) -> Sample:
        return draw_sample(rng, kind, form, render, sources or kind.line_nouns, slug in _held_out())

    TEMPLATES.append(Template(slug, group, make))


@functools.cache
def _held_out() -> frozenset[str]:
    return frozenset(heldout_templates(DOMAIN))


def draw_sample(rng, kind: Kind, form: str, render: Form, sources: tuple[str, ...], fresh: bool) -> Sample:
    """One request about a `kind` written in `form` (`fresh`: in wordings kept for held-out templates). A
    Kind whose fields name other keys gives requests for a schema of one's own (tests/test_json_adapter.py)."""
    values, other = kind.draw(rng), kind.draw(rng)
    asked = _asked(rng, kind)
    basic = kind is PERSON_BASIC
    nullable = not basic and rng.random() < NULL_SHARE
    missing = _missing(rng, kind, asked) if nullable and rng.random() < MISSING_SHARE else []
    shown = _shown(rng, kind, asked, missing)
    decoys = _decoys(rng, kind, shown, values, other) if form in PROSE and rng.random() < DECOY_SHARE else {}
    types = [kind.field(name).type for name in asked]
    iso = "date" in types and rng.random() < ISO_SHARE
    h24 = "time" in types and rng.random() < H24_SHARE
    scene = _scene(rng, kind, values, shown, decoys, missing, rng.choice(sources))
    keys = asked if basic else key_names(rng, [kind.field(n).keys for n in asked], [values[n].unit for n in asked])
    ask = Ask(keys, types, rng.choice(kind.nouns), scene.source, nullable, iso, h24)
    prompt = _prompt(rng, kind, ask, render(rng, scene), fresh)
    expected = {key: None if name in missing else values[name].json(iso, h24) for key, name in zip(keys, asked)}
    tier = _tier(asked, missing, decoys, iso or h24)
    return Sample(prompt, json.dumps(expected, ensure_ascii=False), expected, tier)


def _asked(rng: random.Random, kind: Kind) -> list[str]:
    """The fields asked for, in the order asked: the natural order a little over half the time."""
    if kind is PERSON_BASIC:
        names = ["name", "age", "city"] + ([rng.choice(("job", "email"))] if rng.random() < 0.4 else [])
        if rng.random() < 0.2:
            rng.shuffle(names)
        return names
    order = [f.name for f in kind.fields]
    names = rng.sample(order, rng.randint(2, min(6, len(order))))
    return sorted(names, key=order.index) if rng.random() < 0.55 else names


def _missing(rng: random.Random, kind: Kind, asked: list[str]) -> list[str]:
    """One or two asked fields the text leaves out, never all of them."""
    candidates = [n for n in asked if kind.field(n).optional and kind.field(n).shown and n not in kind.fixed
                  and not set(GIVES_AWAY.get(n, ())) & set(asked)]  # fmt: skip
    if not candidates:
        return []
    wanted = min(len(candidates), len(asked) - 1, 2 if rng.random() < 0.2 else 1)
    return rng.sample(candidates, wanted)


def _shown(rng: random.Random, kind: Kind, asked: list[str], missing: list[str]) -> list[str]:
    """The fields the text states: the fixed ones first, then the asked and a few unasked, in no set order."""
    hidden = set(missing) | {g for m in missing for g in GIVES_AWAY.get(m, ())}
    rest = [f.name for f in kind.fields if f.shown and f.name not in kind.fixed and f.name not in hidden]
    if kind is PERSON_BASIC:
        rest = [n for n in rest if n in asked or rng.random() < 0.25]
    else:
        unasked = [n for n in rest if n not in asked]
        extra = rng.sample(unasked, min(len(unasked), rng.randint(0, 3)))
        if not any(n in asked or n in extra for n in rest):
            extra.append(rng.choice(unasked))  # prose needs something to say
        rest = [n for n in rest if n in asked or n in extra]
    if rng.random() < 0.6:
        rng.shuffle(rest)
    return list(kind.fixed) + rest


def _decoys(rng: random.Random, kind: Kind, shown: list[str], values: dict, other: dict) -> dict[str, Value]:
    """Another value for one or two stated fields, written with a phrase that says it is not the asked one."""
    candidates = [n for n in shown if kind.field(n).decoys and _apart(values[n], other[n])]
    return {n: other[n] for n in rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2))))}


def _apart(value: Value, decoy: Value) -> bool:
    a, b = value.written.lower(), decoy.written.lower()
    return value.data != decoy.data and a not in b and b not in a


def _scene(rng, kind, values, shown, decoys, missing, source) -> Scene:
    """The scene, with people and a place around the entity that are none of its values."""
    taken = " ".join(v.written for v in [*values.values(), *decoys.values()])
    firsts = [n for n in FEMALE + MALE if n not in taken]
    a, b, c = rng.sample(firsts, 3)
    place = rng.choice([city for city in CITIES if city not in taken])
    return Scene(kind, values, shown, decoys, missing, (a, b), f"{c} {rng.choice(SURNAMES)}", place, source)


def _prompt(rng: random.Random, kind: Kind, ask: Ask, text: str, fresh: bool) -> str:
    """The request before the text (its rules now and then after it), or the text first."""
    before = rng.random() < 0.62
    main, rules = words(rng, ask, before, fresh)
    context = rng.choice(kind.contexts) if rng.random() < 0.25 else ""
    wrapped = _wrap(rng, text, ask.source, before)
    if before and rules and rng.random() < 0.2:
        parts = [main, wrapped, rules]
    else:
        request = main + ("\n" if "\n" in main else " ") + rules if rules else main
        parts = [request, wrapped] if before else [wrapped, request]
    if context:
        parts.insert(0 if rng.random() < 0.7 else len(parts) - 1, context)
    return "\n\n".join(parts)


def _wrap(rng: random.Random, text: str, source: str, before: bool) -> str:
    style = rng.randrange(9)
    if style == 1:
        return f"{source[:1].upper() + source[1:]}:\n{text}"
    if style == 2 and before:
        return f"Text: {text}"
    if style == 3:
        return f'"""\n{text}\n"""'
    if style == 4:
        return f"```\n{text}\n```"
    if style == 5 and before:
        return "\n".join(f"> {line}" for line in text.split("\n"))
    if style == 6:
        return f"---\n{text}\n---"
    return text


def _tier(asked: list[str], missing: list[str], decoys: dict, converts: bool) -> str:
    hurdles = (len(asked) >= 5) + 2 * bool(decoys) + bool(missing) + converts
    if hurdles == 0 and len(asked) <= 3:
        return "easy"
    return "hard" if hurdles >= 2 else "medium"


for _kind in KINDS:
    for _form, (_render, _sources) in FORMS.items():
        _template(_kind, _form, _form, _render, _sources)
    if _kind.name in SIGNED:
        for _form, (_render, _sources) in SIGNATURE_FORMS.items():
            _template(_kind, _form, _form, _render, _sources)
for _form, (_render, _sources) in PERSON_FORMS.items():
    _template(PERSON_BASIC, _form, "person-forms", _render, _sources)


# --- checking ------------------------------------------------------------------------------------------

_KEY = re.compile(r"(?<![\w-])(?!and\b)[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9]+)*")  # a word, "and" aside
# what stands between two keys of a list: a comma, "and", or a new bullet; quotes around them
_SEP = re.compile(r"""["'`]?(?:\s*,\s*(?:and\s+)?|\s+and\s+|\n[ \t]*(?:[-*•]|\d+[.)])[ \t]+)["'`]?""")
_HINT = re.compile(r"\s*\([^()\n]*\)")  # "price (number)": a type hint or an aside, not a key
_OBJECT = re.compile(r"\{[^{}]*\}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,250.00
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"(\d{2}):(\d{2})")


def stated_key_lists(prompt: str) -> list[list[str]]:
    """Every list of words the prompt writes as a list (a, b and c; bullets) and the keys of every JSON object in it."""
    lists = []
    for span in _OBJECT.findall(prompt):
        try:
            pairs = json.loads(span, object_pairs_hook=list)
        except ValueError:
            continue
        lists.append([key for key, _ in pairs])
    text = _HINT.sub("", prompt)
    chain: list = []
    for token in _KEY.finditer(text):
        if chain and not _SEP.fullmatch(text[chain[-1].end() : token.start()]):
            lists.append([t.group() for t in chain])
            chain = []
        chain.append(token)
    lists.append([t.group() for t in chain])
    return lists


def verify(sample: Sample) -> None:
    """The reply is the expected object with the keys the request lists, in its order, and values the text states."""
    pairs = json.loads(sample.reply, object_pairs_hook=list)
    expected = sample.expected
    if not isinstance(expected, dict) or dict(pairs) != expected or [k for k, _ in pairs] != list(expected):
        raise LocoError(f"reply {sample.reply!r} is not the expected object {expected!r}")
    if sample.reply != json.dumps(expected, ensure_ascii=False):
        raise LocoError(f"reply {sample.reply!r} is not written as json.dumps writes it")
    keys = list(expected)
    if not 2 <= len(keys) <= 6:
        raise LocoError(f"{len(keys)} keys ({keys}); a request asks for 2 to 6")
    if keys not in stated_key_lists(sample.prompt):
        raise LocoError(f"the keys {keys} are not a list the request states, in that order")
    for key, value in expected.items():
        _check_value(sample.prompt, key, value)


def _check_value(prompt: str, key: str, value) -> None:
    if value is None:
        if not re.search(r"\bnull\b", prompt, re.IGNORECASE):
            raise LocoError(f"{key} is null but the request does not allow null")
    elif isinstance(value, bool):
        return  # stated in words ("sold out", "pets welcome"), not as a value to find
    elif isinstance(value, (int, float)):
        if float(value) not in _numbers(prompt):
            raise LocoError(f"{key} {value!r} is not a number in the text")
    elif not isinstance(value, str):
        raise LocoError(f"{key} {value!r} is neither a string, a number, a flag nor null")
    elif value.lower() not in prompt.lower() and not _normalised_date(prompt, value) and not _24_hour(prompt, value):
        raise LocoError(f"{key} {value!r} is not in the text")


def _numbers(text: str) -> set[float]:
    """Every number written in the text, read both with and without thousands commas."""
    found = {float(n.replace(",", "")) for n in _GROUPED.findall(text)}
    return found | {float(n) for n in _NUMBER.findall(text)}


def _normalised_date(prompt: str, value: str) -> bool:
    """A YYYY-MM-DD value the request asked for, of a date the text writes with its month as a word."""
    if not _ISO_DATE.fullmatch(value) or not re.search(r"YYYY-MM-DD|\bISO\b", prompt):
        return False
    year, month, day = (int(part) for part in value.split("-"))
    name = calendar.month_name[month]
    month_pattern = rf"(?:{name}|{name[:3]})\.?"
    day_pattern = rf"0?{day}(?:st|nd|rd|th)?"
    pattern = rf"\b{day_pattern}(?: of)? {month_pattern},? {year}\b|\b{month_pattern} {day_pattern},? {year}\b"
    return re.search(pattern, prompt, re.IGNORECASE) is not None


def _24_hour(prompt: str, value: str) -> bool:
    """An HH:MM value the request asked for, of a time the text writes on the 12-hour clock."""
    match = _HHMM.fullmatch(value)
    if not match or not re.search(r"24-hour|24h|HH:MM", prompt):
        return False
    hour, minute = int(match[1]), int(match[2])
    twelve, half = (hour - 1) % 12 + 1, "a" if hour < 12 else "p"
    pattern = rf"\b{twelve}[:.]{minute:02d} ?{half}\.?m\b"
    if not minute:
        pattern = rf"\b{twelve}(?:[:.]00)? ?{half}\.?m\b"
        pattern += rf"|\b{twelve} o'clock in the morning" if half == "a" else ""
    return re.search(pattern, prompt, re.IGNORECASE) is not None


DOMAIN = Domain("json", "json_fields", tuple(TEMPLATES), verify)
