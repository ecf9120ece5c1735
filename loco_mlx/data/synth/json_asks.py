"""How a JSON extraction request is worded: the key names, how they are listed, and the sentence around them.

Key names come from each field's synonyms in one casing style per request (snake_case,
camelCase, PascalCase, kebab-case; one-word keys stay as they are). The keys are listed inline
("name, age and city", quoted or in backticks, with type hints in parentheses now and then), as
a bullet or numbered list, or as a JSON skeleton to fill. The list always names every key
verbatim, in the order the reply must use, and nothing follows it with a comma or an "and" (so
`verify` can find it again). Around it: a frame (imperative, question, "I need...", "Output only
JSON. Fields: ...", some asking for a dict, a record or key-value pairs without saying JSON), a
greeting or the reason for the request now and then, output rules, and the null, date-format and
24-hour-time rules when they apply.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from loco_mlx.errors import LocoError

STYLES = ("snake",) * 8 + ("camel",) * 7 + ("pascal",) * 2 + ("kebab",)
HINTS = {"str": ("text", "string"), "int": ("integer", "number", "int"), "float": ("number", "decimal"),
         "bool": ("true/false", "boolean", "bool"), "date": ("date", "as written"),
         "time": ("time", "as written")}  # fmt: skip
SKELETON_TYPES = {"str": "string", "int": 0, "float": 0.0, "bool": "boolean", "date": "string", "time": "string"}
RESERVED = 5  # one frame in RESERVED is kept for held-out templates
# what the reply is called: JSON mostly, but people also ask for a dict or a record and mean the same object
FORMATS = ("JSON", "JSON", "a JSON object", "json", "a single JSON object", "JSON format", "a dict", "a dictionary",
           "a Python dict", "key-value pairs", "an object", "a record")  # fmt: skip

# {keys} mid-sentence; never followed by a comma, "and" or "or", which would read as one more key
INLINE = (
    "Extract {keys} from {src} as {fmt}.", "Can you pull {keys} out of {src}? Return {fmt}.",
    "I need {keys} from {src}, formatted as {fmt}.", "What are the {keys} in {src}? Answer with {fmt}.",
    "Output only JSON with the keys {keys}.", "Return a JSON object with the keys {keys} (in that order).",
    "Give me {fmt} containing {keys} for the {noun} in {src}.", "Parse {src} into JSON with {keys} as the keys.",
    "Turn {src} into {fmt} with the fields {keys}.", "Please convert {src} to JSON. I want {keys} in that order.",
    "Structured output needed. Keys: {keys}.", "My script expects {keys}. Produce that JSON from {src}.",
    "For the {noun} described in {src}, return {keys} as one JSON object.", "From {src}, get me {keys} in JSON.",
    "Read {src} and answer with JSON containing {keys}.", "json please: {keys}",
    "Make a JSON record of the {noun} with {keys}.", "Please map {src} onto these keys: {keys}.",
    "Build a JSON object with {keys} for the {noun} in {src}.", "I'm after {keys} for this {noun}, in JSON.",
    "Help me get {keys} out of {src} into JSON.", "Respond with nothing but a JSON object holding {keys}.",
    "Identify {keys} in {src} and format them as JSON.", "Extract the following fields as JSON: {keys}.",
    "We need the {noun}'s details in JSON: {keys}.", "Write the JSON for this {noun} using the keys {keys}.",
    "Is it possible to get {keys} from {src} as JSON?", "JSON with {keys} from {src} please",
    "Summarise the {noun} as a JSON object with {keys}.", "I want a JSON object with {keys}.",
    "Create JSON from {src}; the keys should be {keys}.", "Task: extract {keys}. Format: JSON on one line.",
    "Get {keys}. JSON only.", "You are a data extraction tool. Return {keys} as JSON.",
    "Pull these fields into JSON, keeping this order: {keys}.", "Give {keys} for the {noun} in {src} as a JSON object.",
    "Extract data. Keys: {keys}. Output: JSON.", "Please read {src} and return JSON with exactly these keys: {keys}.",
    "I'd like {src} as JSON with the keys {keys}.", "Quick favour: {keys} from {src} in JSON format.",
    "Find {keys} in {src} and give them back as JSON.", "Need this in JSON for my spreadsheet import. Columns: {keys}.",
    "Record the {noun} as JSON using {keys}.", "Can I get a JSON object for this {noun}? Keys: {keys}",
    "Return only valid JSON with {keys}.", "Put {keys} into a JSON object.",
    "Please give me the JSON for the {noun} with {keys}.", "Write out {keys} of the {noun} as JSON.",
    "Which {keys} does {src} give? Reply with JSON.", "Fill a JSON object with {keys} from {src}.",
    "Extract {keys}.", "Turn this into JSON: {keys}.", "How would {src} look as JSON with {keys}? Just the JSON.",
    "Convert to JSON. Include {keys} in this order.", "Could you make a JSON out of {src}? Fields I need: {keys}.",
    "Make {fmt} from {src}. It needs {keys}.", "Your job: read {src} and output {fmt} with {keys}.",
    "Give back a one-line JSON object with {keys}.", "Pull out {keys}. I only want the JSON.",
    "{keys}: extract these from {src} as JSON.", "Keys {keys} please, from {src}, as JSON.",
    "Would you extract {keys} for me? JSON output.", "Tell me {keys} as a JSON object.",
    "Schema: {keys}. Fill it from {src}.", "I'm looking for {keys} in JSON form.",
    "Help! I need {keys} from {src} as JSON.", "There's a {noun} in {src}. I need its {keys} as JSON.",
    "Please return a JSON object. The keys, in order, are {keys}.", "Grab {keys} from {src}. Output JSON.",
    "Extract into JSON the {keys}.", "Put the {noun} into JSON. Keys to use: {keys}.", "gimme {keys} as json",
    "hey can u extract {keys} from {src} in json", "Do you see {keys} in {src}? Give them to me as {fmt}.",
    "Store the {noun} as {fmt} whose keys are {keys}.", "Answer in JSON only. Wanted: {keys}.",
    "Look at {src} and list {keys} as a JSON object.", "Everything I need is {keys}. JSON, please.",
    "Give me {keys} from {src} as a dict.", "Make a dictionary of the {noun}'s {keys}.",
    "Return {keys} as key-value pairs.", "Turn {src} into a record with {keys}.",
    "I need a Python dict with {keys} for this {noun}.", "Build an object with the fields {keys} from {src}.",
    "What goes in {keys} for the {noun}? One object, please.", "Map the {noun} to a dictionary: {keys}.",
    "A dict with {keys} please.", "Capture {keys} from {src} as a key/value object.",
)  # fmt: skip
# a list or skeleton follows on the next lines
BLOCK = (
    "Extract these fields from {src} as JSON:", "Return a JSON object with exactly these keys, in this order:",
    "Keys (in order):", "I need the following from {src}, as JSON:", "Output JSON with these keys:",
    "Fields to extract:", "Give me these as a JSON object:", "Required keys:",
    "The JSON should have these keys, in order:", "Extract for the {noun}:", "What I need from {src} (JSON):",
    "Please pull out:", "Return {fmt} with:", "Can you get these out of {src}?", "Here are the keys I want:",
    "Read {src}. Then give me a JSON object with these keys:", "My parser expects exactly these keys:",
    "For the {noun}, I'd like {fmt} with:", "Only these fields, in this order, please:",
    "Which values does {src} give for these? Answer in JSON:", "Make a dict of these fields from {src}:",
    "I need a record with these keys:", "Give me an object with these fields:", "Dictionary keys, in order:",
    "Fields for the {noun}, as key-value pairs:",
)  # fmt: skip
SKELETON = (
    "Fill in this JSON from {src}:", "Use this template and fill in the values from {src}:", "Schema:",
    "Complete the object below using {src}:", "Please produce JSON matching this shape:",
    "Map {src} to this structure:", "Fill this in for the {noun}:", "Return exactly this object, filled in:",
    "Here's the shape I need; fill it from {src}:", "Replace the placeholders with what {src} says:",
    "Template:", "Can you complete this JSON for me?", "Output format (fill in the values):",
    "Give me this object back with the values filled in:", "Target structure:",
)  # fmt: skip
GREETINGS = ("Hi!", "Hello,", "Hey,", "Please help.", "Quick question.", "Hi there!", "Good morning.",
             "Can you help me?", "Small task for you.", "Okay,", "Hello again.")  # fmt: skip
RULES = ("Reply with the JSON only.", "No explanation, just the object.", "Keep it on one line.",
         "Don't wrap it in code fences.", "Use numbers for numeric values.", "Output must be valid JSON.",
         "Nothing else in the reply, please.", "Only the JSON.", "No markdown.", "Don't add any other keys.",
         "Keep the key order exactly as given.", "Numbers should be numbers, not strings.",
         "Don't guess.")  # fmt: skip
NULLS = ("If a field isn't mentioned, use null.", "Use null for anything the text doesn't say.",
         "Missing values -> null.", "Put null where the information is missing.",
         "Fields not in the text should be null.",
         "Write null for any value you can't find.", "Not stated? Use null.",
         "If the text doesn't give a value, set it to null rather than guessing.", "Unknown values are null.",
         "Anything absent: null.")  # fmt: skip
ISO = ("Dates as YYYY-MM-DD.", "Write dates in ISO format (YYYY-MM-DD).", "Give any date as YYYY-MM-DD.",
       "Format dates ISO-style: YYYY-MM-DD.", "Normalise dates to YYYY-MM-DD.",
       "All dates in ISO 8601 (YYYY-MM-DD).")  # fmt: skip
AS_WRITTEN = ("Keep dates exactly as written.", "Leave dates as they appear.", "Copy dates as written.")
H24 = ("Times in 24-hour format (HH:MM).", "Use the 24-hour clock for times, e.g. 18:30.",
       "Give times as HH:MM, 24-hour.", "Convert times to 24h HH:MM.", "Write the time as 24-hour HH:MM.",
       "Times should be 24-hour (07:05, 19:30).")  # fmt: skip
TIME_AS_WRITTEN = ("Keep times as written.", "Leave the time as it appears.")
BEFORE = ("the {source} below", "the following {source}", "this {source}", "the {source}")
AFTER = ("the {source} above", "this {source}", "that {source}", "the {source}")


@dataclass(frozen=True)
class Ask:
    """What a request must state; `words` is how it states it."""

    keys: list[str]
    types: list[str]  # each key's field type: str, int, float, bool, date
    noun: str  # what the entity is called
    source: str  # what the text is called
    nullable: bool  # the request says to use null for a missing value
    iso: bool  # the request asks for dates as YYYY-MM-DD
    h24: bool = False  # the request asks for times as 24-hour HH:MM


def spell(words: str, style: str) -> str:
    parts = words.split()
    if style == "camel":
        return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    if style == "pascal":
        return "".join(p[:1].upper() + p[1:] for p in parts)
    return ("-" if style == "kebab" else "_").join(parts)


def key_names(rng: random.Random, synonyms: list[tuple[str, ...]], units: list[str]) -> list[str]:
    """One distinct key per field, from its synonyms, in one casing style."""
    style = rng.choice(STYLES)
    for _ in range(50):
        keys = []
        for options, unit in zip(synonyms, units):
            usable = [o for o in options if "{unit}" not in o or unit]
            keys.append(spell(rng.choice(usable).replace("{unit}", unit), style))
        if len({k.lower() for k in keys}) == len(keys):
            return keys
    raise LocoError(f"no distinct key names for the synonyms {synonyms}")


def listed(rng: random.Random, ask: Ask) -> tuple[str, bool]:
    """The keys as a list: (text, whether it is a block that goes on lines of its own)."""
    shape = rng.random()
    if shape < 0.55:
        return _inline(rng, ask), False
    if shape < 0.75:
        return _bullets(rng, ask), True
    return _skeleton(rng, ask), True


def _hints(rng: random.Random, ask: Ask) -> list[str]:
    if rng.random() < 0.75:
        return [""] * len(ask.keys)
    return [f" ({_format_hint(ask, t) or rng.choice(HINTS[t])})" for t in ask.types]


def _format_hint(ask: Ask, type_: str) -> str:
    """The format a typed hint or skeleton gives a date or a time the request asks to convert."""
    return "YYYY-MM-DD" if type_ == "date" and ask.iso else "HH:MM" if type_ == "time" and ask.h24 else ""


def _inline(rng: random.Random, ask: Ask) -> str:
    quote = rng.choice(("", "", "", '"', "`", "'"))
    items = [f"{quote}{key}{quote}{hint}" for key, hint in zip(ask.keys, _hints(rng, ask))]
    if len(items) == 2 or rng.random() < 0.6:
        return ", ".join(items[:-1]) + rng.choice((" and ", ", and " if len(items) > 2 else " and ")) + items[-1]
    return ", ".join(items)


def _bullets(rng: random.Random, ask: Ask) -> str:
    numbered = rng.random() < 0.3
    mark = rng.choice(("- ", "* ", "• "))
    quote = rng.choice(("", "", "`", '"'))
    hints = _hints(rng, ask)
    return "\n".join(
        f"{f'{i}. ' if numbered else mark}{quote}{key}{quote}{hint}"
        for i, (key, hint) in enumerate(zip(ask.keys, hints), 1)
    )


def _skeleton(rng: random.Random, ask: Ask) -> str:
    filler = rng.randrange(4)
    values = []
    for type_ in ask.types:
        if filler == 3:  # types, as a schema gives them
            values.append(_format_hint(ask, type_) or SKELETON_TYPES[type_])
        else:
            values.append(("", "...", "?")[filler])
    obj = dict(zip(ask.keys, values))
    if rng.random() < 0.5:
        return json.dumps(obj, ensure_ascii=False, indent=2)
    return json.dumps(obj, ensure_ascii=False)


def frames(pool: tuple[str, ...], fresh: bool) -> tuple[str, ...]:
    """Every fifth frame words only held-out templates' requests: the benchmark's new wordings."""
    return tuple(frame for i, frame in enumerate(pool) if (i % RESERVED == RESERVED - 1) == fresh)


def words(rng: random.Random, ask: Ask, before: bool, fresh: bool = False) -> tuple[str, str]:
    """The request: (its main part, its rules), to put before or after the text; `fresh`: in reserved words."""
    src = rng.choice(BEFORE if before else AFTER).format(source=ask.source)
    keys, block = listed(rng, ask)
    fill = {"src": src, "noun": ask.noun, "fmt": rng.choice(FORMATS)}
    if not block:
        frame = rng.choice(frames(INLINE, fresh))
        main = frame.format(keys=keys, **fill)
    else:
        frame = rng.choice(frames(SKELETON if keys.startswith("{") and rng.random() < 0.7 else BLOCK, fresh))
        main = frame.format(**fill) + "\n" + keys
    if not frame.startswith("{keys}") and rng.random() < 0.9:  # a key keeps its spelling
        main = main[:1].upper() + main[1:]
    if not frame.startswith("{keys}") and rng.random() < 0.25:  # "Hello, name, age..." would list Hello
        greeting = rng.choice(GREETINGS)
        if greeting.endswith(","):
            main = f"{greeting} {main[:1].lower()}{main[1:]}"
        else:
            main = greeting + rng.choice((" ", "\n")) + main
    rules = []
    if ask.nullable:
        rules.append(rng.choice(NULLS))
    if ask.iso and "YYYY-MM-DD" not in main:
        rules.append(rng.choice(ISO))
    elif "date" in ask.types and not ask.iso and rng.random() < 0.2:
        rules.append(rng.choice(AS_WRITTEN))
    if ask.h24 and "HH:MM" not in main:
        rules.append(rng.choice(H24))
    elif "time" in ask.types and not ask.h24 and rng.random() < 0.2:
        rules.append(rng.choice(TIME_AS_WRITTEN))
    if rng.random() < 0.45:
        rules.append(rng.choice(RULES))
    rng.shuffle(rules)
    if rules and "\n" not in main and main[-1] not in ".?!:":  # "json please: a, b" ends before the rules
        main += "."
    return main, " ".join(rules)
