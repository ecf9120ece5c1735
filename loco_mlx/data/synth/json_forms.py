"""Text forms of the JSON extraction domain: one entity's values written as people paste them.

A form turns a `Scene` (the entity's values, which fields the text states, which decoys it adds)
into text: prose (a sentence, a paragraph, a dialogue, a text message, an email), records (key:
value lines, a bullet list, a markdown table row, a CSV row), a one-line receipt or ad, an email
signature, and forms only plain person requests use (a self-introduction, an interview...). Prose
names the entity through the kind's `refer` and states fields with their `says` phrases; records
head them with `labels`; lists and one-liners use `tags`. A field the request asks for but the
text leaves out is not written, or shows as "n/a" in records, as real exports do.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Callable

from loco_mlx.data.synth.common import article, render
from loco_mlx.data.synth.json_kinds import Field, Kind
from loco_mlx.data.synth.json_values import FEMALE, MALE, SURNAMES, Value

POSSESSIVE = {"she": "her", "he": "his", "it": "its"}
MISSING_MARKS = ("n/a", "N/A", "—", "-", "unknown", "TBC", "not given")
CLAIMS = ("the new park is a good idea", "rents are rising too fast", "the festival should return",
          "the trains need more night services", "local shops deserve more support",
          "the library should open on Sundays")  # fmt: skip
RELATIVES = ("sister", "brother", "cousin", "best friend", "flatmate", "colleague")
_NAMES_SOMETHING = re.compile(r"\{(n|who|place)\}")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Scene:
    kind: Kind
    values: dict[str, Value]
    shown: list[str]  # fields the text states, in writing order, fixed ones first
    decoys: dict[str, Value] = field(default_factory=dict)  # field -> another value, stated by a decoy phrase
    missing: list[str] = field(default_factory=list)  # asked fields the text leaves out
    others: tuple[str, str] = ("Mia", "Tom")  # first names of people around it: speakers, senders
    stranger: str = "Lea Novak"  # a full name for fillers
    place: str = "Porto"  # a city for fillers, never an asked value
    source: str = "text"  # what the request calls the text

    @property
    def pronoun(self) -> str:
        return self.values[self.kind.subject].pronoun

    def refer(self, rng: random.Random) -> str:
        return rng.choice(self.kind.refer).format(**{name: self.values[name].written for name in self.kind.fixed})


# --- phrases -----------------------------------------------------------------------------------------


def fill(pattern: str, value: Value) -> str:
    return pattern.format(v=value.written, a_v=article(value.written), s="" if value.data == 1 else "s")


def says(rng: random.Random, spec: Field, value: Value) -> str:
    return fill(rng.choice(spec.says_no if value.data is False else spec.says), value)


def tag(rng: random.Random, spec: Field, value: Value) -> str:
    return fill(rng.choice(spec.tags_no if value.data is False else spec.tags), value)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(items: list[str], rng: random.Random) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + rng.choice((" and ", ", and ")) + items[-1]


def stated(scene: Scene) -> list[Field]:
    """The fields written on their own (a first name is part of the name, not a line of its own)."""
    return [scene.kind.field(name) for name in scene.shown if scene.kind.field(name).shown]


def clauses(rng: random.Random, scene: Scene) -> list[str]:
    """Verb phrases for the stated fields that prose does not name the entity by, decoys among them."""
    out = [says(rng, f, scene.values[f.name]) for f in stated(scene) if f.name not in scene.kind.fixed]
    for name, decoy in scene.decoys.items():
        out.insert(rng.randint(0, len(out)), fill(rng.choice(scene.kind.field(name).decoys), decoy))
    return out


def fillers(rng: random.Random, scene: Scene, count: int) -> list[str]:
    """Sentences that state nothing asked; when an asked value is missing, none with a number, name or place."""
    options = [f for f in scene.kind.fillers if not scene.missing or not _NAMES_SOMETHING.search(f)]
    pron = scene.pronoun
    return [
        pattern.format(
            Pron=cap(pron),
            pron=pron,
            poss=POSSESSIVE[pron],
            n=rng.randint(2, 40),
            who=scene.stranger,
            place=scene.place,
        )
        for pattern in rng.sample(options, min(count, len(options)))
    ]


# --- prose -------------------------------------------------------------------------------------------


def sentence(rng: random.Random, scene: Scene) -> str:
    lead = rng.choice(("", "", "", "For the record, ", "Just so you know, ", "Update: ", "As of today, ", "Note: "))
    return cap(f"{lead}{scene.refer(rng)} {join(clauses(rng, scene), rng)}.")


def paragraph(rng: random.Random, scene: Scene) -> str:
    sentences = _sentences(rng, scene)
    for said in fillers(rng, scene, rng.randint(1, 2)):
        sentences.insert(rng.randint(1, len(sentences)), said)
    return " ".join(sentences)


def _sentences(rng: random.Random, scene: Scene) -> list[str]:
    """The clauses one or two to a sentence; the first names the entity, the rest mostly use a pronoun."""
    out = []
    for take in chunks(rng, clauses(rng, scene)):
        subject = scene.refer(rng) if not out or rng.random() < 0.2 else scene.pronoun
        also = " also" if out and not take[0].startswith(("is ", "was ", "has ")) and rng.random() < 0.25 else ""
        out.append(cap(f"{subject}{also} {join(take, rng)}."))
    return out


def chunks(rng: random.Random, items: list[str]) -> list[list[str]]:
    out = []
    while items:
        take = rng.randint(1, 2)
        out.append(items[:take])
        items = items[take:]
    return out


def dialogue(rng: random.Random, scene: Scene) -> str:
    a, b = scene.others
    style = rng.randrange(3)
    label = lambda who, i: (f"{who}: ", "- ", f"[9:{i * 2:02d}] {who}: ")[style]  # noqa: E731
    refer = scene.refer(rng)
    lines = [rng.choice((f"Did you look at {refer}?", f"What do we know about {refer}?", f"Any news on {refer}?",
                         f"Can you tell me about {refer}?", f"So, what about {refer}?"))]  # fmt: skip
    pron = scene.pronoun
    for i, take in enumerate(chunks(rng, clauses(rng, scene))):
        said = join(take, rng)
        if i == 0:
            lines.append(rng.choice((f"Yes, {pron} {said}.", f"Sure. {cap(pron)} {said}.", f"{cap(refer)} {said}.")))
        else:
            lines.append(
                rng.choice(("Anything else?", "And?", "Okay, noted.", "Good to know.", "Go on.", "What else?"))
            )
            lines.append(rng.choice((f"{cap(pron)} {said}.", f"Also, {pron} {said}.")))
    if rng.random() < 0.5:
        lines.append(rng.choice(("Thanks!", "Perfect, thanks.", "Great.", "Got it.")))
    return "\n".join(label((a, b)[i % 2], i) + line for i, line in enumerate(lines))


def message(rng: random.Random, scene: Scene) -> str:
    hello = rng.choice(("hey", "hi!", "ok so", "quick update:", "fyi", "yo", "morning!", "", ""))
    if rng.random() < 0.5:
        parts = [tag(rng, f, scene.values[f.name]) for f in stated(scene) if f.name not in scene.kind.fixed]
        body = f"{scene.refer(rng)}: {', '.join(parts)}"
        if scene.decoys:
            name, decoy = next(iter(scene.decoys.items()))
            body += f" (btw {scene.pronoun} {fill(rng.choice(scene.kind.field(name).decoys), decoy)})"
    else:
        body = f"{scene.refer(rng)} {join(clauses(rng, scene), rng)}"
    bye = rng.choice(("thx", "cheers", "lmk", "👍", "x", ":)", "", ""))
    return " ".join(part for part in (hello, body, bye) if part)


def email(rng: random.Random, scene: Scene) -> str:
    a, b = scene.others
    head = rng.choice(
        ("", "", f"Subject: {cap(rng.choice(scene.kind.nouns))} details\n\n", "Subject: Re: your question\n\n")
    )
    hello = rng.choice((f"Hi {b},", f"Dear {b},", f"Hello {b},", f"{b} -"))
    opener = rng.choice(("Following up on our call.", "Here are the details you asked for.", "As promised:",
                         "Sorry for the slow reply.", ""))  # fmt: skip
    body = " ".join(part for part in (opener, paragraph(rng, scene)) if part)
    bye = rng.choice(("Best", "Thanks", "Kind regards", "Cheers", "All the best"))
    return f"{head}{hello}\n\n{body}\n\n{bye},\n{a}"


# --- records -----------------------------------------------------------------------------------------


def labelled(rng: random.Random, scene: Scene) -> list[tuple[str, str]]:
    """(label, written value) for the stated fields, with n/a for missing ones now and then."""
    rows = [(rng.choice(f.labels), scene.values[f.name].written) for f in stated(scene)]
    if scene.missing and rng.random() < 0.5:
        mark = rng.choice(MISSING_MARKS)
        for name in scene.missing:
            rows.insert(rng.randint(1, len(rows)), (rng.choice(scene.kind.field(name).labels), mark))
    return rows


def record(rng: random.Random, scene: Scene) -> str:
    noun = rng.choice(scene.kind.nouns)
    head = rng.choice(
        ("", "", noun.upper(), f"--- {noun} ---", f"{cap(noun)} details", f"Record #{rng.randint(2, 999)}")
    )
    sep = rng.choice((": ", ": ", ": ", " - ", " = ", ":\t"))
    lines = [f"{label}{sep}{value}" for label, value in labelled(rng, scene)]
    return "\n".join(([head] if head else []) + lines)


def bullets(rng: random.Random, scene: Scene) -> str:
    mark = rng.choice(("- ", "* ", "• "))
    head = rng.choice(("", f"{cap(scene.refer(rng))}:", f"Notes on {scene.refer(rng)}:"))
    if rng.random() < 0.5:
        items = [f"{label}: {value}" for label, value in labelled(rng, scene)]
    else:  # a heading that names the entity makes its own bullet redundant
        named = set(scene.kind.fixed) if head else set()
        items = [tag(rng, f, scene.values[f.name]) for f in stated(scene) if f.name not in named]
    return "\n".join(([head] if head else []) + [mark + item for item in items])


def table(rng: random.Random, scene: Scene) -> str:
    rows = labelled(rng, scene)
    cell = lambda cells: "| " + " | ".join(cells) + " |"  # noqa: E731
    return "\n".join((cell([r[0] for r in rows]), cell(["---"] * len(rows)), cell([r[1] for r in rows])))


def csv_row(rng: random.Random, scene: Scene) -> str:
    rows = labelled(rng, scene)
    sep = rng.choice((",", ",", ";"))
    quote = lambda s: f'"{s}"' if sep in s or '"' in s else s  # noqa: E731
    header = sep.join(quote(r[0].lower().replace(" ", "_") if rng.random() < 0.3 else r[0]) for r in rows)
    return header + "\n" + sep.join(quote(r[1]) for r in rows)


def one_line(rng: random.Random, scene: Scene) -> str:
    """A receipt line, an ad, a ticket stub: tags in a row."""
    parts = [tag(rng, f, scene.values[f.name]) for f in stated(scene)]
    return rng.choice((" · ", " | ", ", ", " - ", " / ", "  ")).join(parts)


def signature(rng: random.Random, scene: Scene) -> str:
    body = rng.choice(
        ("", "", "Thanks, talk soon.\n\n", "See you on Thursday.\n\n", "Attached is the signed form.\n\n")
    )
    bye = rng.choice(("Best,", "Kind regards,", "Cheers,", "Thanks,", "--", "Warm regards,"))
    fields = [f for f in stated(scene) if f.name != scene.kind.subject]
    parts = [tag(rng, f, scene.values[f.name]) for f in fields]
    lines = [rng.choice((" | ", " · ", ", ")).join(take) for take in chunks(rng, parts)]
    return "\n".join([f"{body}{bye}", scene.values[scene.kind.subject].written] + lines)


# --- plain person forms: name, age, city, and a job or email when asked ----------------------------------


def _person(rng: random.Random, scene: Scene) -> dict[str, str]:
    """Every value a plain person form may name: the fields, and decoys from the scene or made up."""
    v = scene.values
    pron = scene.pronoun
    city2 = scene.decoys["city"].written if "city" in scene.decoys else scene.place
    age2 = rng.choice([n for n in range(8, 90) if n != v["age"].data])
    female = pron == "she"
    first2 = rng.choice([n for n in (FEMALE if female else MALE) if n not in v["name"].written])
    return {"name": v["name"].written, "age": v["age"].written, "city": v["city"].written,
            "job": v["job"].written, "a_job": article(v["job"].written), "email": v["email"].written,
            "pron": pron, "Pron": cap(pron), "poss": POSSESSIVE[pron], "Poss": cap(POSSESSIVE[pron]),
            "city2": city2, "age2": age2, "first2": first2, "rel": rng.choice(RELATIVES),
            "claim": rng.choice(CLAIMS), "day": rng.choice(DAYS), "n": rng.randint(2, 15),
            "other": f"{first2} {rng.choice(SURNAMES)}"}  # fmt: skip


def _extras(rng: random.Random, scene: Scene, job: str, email: str) -> str:
    """The job and email sentences, for the ones the scene states."""
    out = ""
    if "job" in scene.shown:
        out += " " + job
    if "email" in scene.shown:
        out += " " + email
    return out


def self_intro(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    text = "[Hi|Hello|Hey everyone], I'm {name}. I'm {age}[ years old|] and I [live|have a flat] in {city}."
    text += _extras(rng, scene, "I work as {a_job}[.| and love it.]", "[You can|Feel free to] email me at {email}.")
    if "city" in scene.decoys:
        text += " I grew up in {city2}[, though|, funnily enough|]."
    return render(rng, text, **p)


def interview(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    pairs = ["Q: [How old are you?|Your age?|And your age?]\nA: {age}.",
             "Q: [Where do you live?|Where are you based?|Which city?]\nA: [In {city}.|{city}.]"]  # fmt: skip
    if "job" in scene.shown:
        pairs.append("Q: [What do you do?|What's your job?]\nA: I'm {a_job}.")
    if "email" in scene.shown:
        pairs.append("Q: [Best email?|How can we reach you?]\nA: {email}")
    if "city" in scene.decoys:
        pairs.append("Q: [Where did you grow up?|Where are you from originally?]\nA: {city2}.")
    rng.shuffle(pairs)
    return render(
        rng, "\n".join(["Q: [What is your name?|Name, please?|Who are we talking to?]\nA: {name}."] + pairs), **p
    )


def quote(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    who = "{a_job} from {city}" if "job" in scene.shown else "who lives in {city}"
    text = '"[Honestly,|I think|We all know] {claim}," [said|says|argued] {name}, {age}, ' + who + "."
    text += _extras(rng, scene, "", "{Pron} [asked readers to write to|can be reached at] {email}.")
    return render(rng, text, **p)


def profile(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    parts = ["{name}", "{age}", "{city}"] + [f"{{{k}}}" for k in ("job", "email") if k in scene.shown]
    style = rng.randrange(3)
    if style == 0:
        return render(rng, " | ".join(parts), **p)
    if style == 1:
        marks = ("👤", "🎂", "📍", "💼", "✉️")
        return render(rng, "\n".join(f"{m} {part}" for m, part in zip(marks, parts)), **p)
    text = "{name}, {age}. [Based in|Living in|Lives in] {city}."
    return render(rng, text + _extras(rng, scene, "{a_job} by trade.", "Contact: {email}"), **p)


def application(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    lines = ["[Applicant|Name]: {name}", "[Age|Age (years)]: {age}", "[Current city|City of residence]: {city}",
             "[Previous city|Hometown]: {city2}", "[Years of experience|Experience]: {n}"]  # fmt: skip
    if "job" in scene.shown:
        lines.insert(3, "[Current job|Occupation]: {job}")
    if "email" in scene.shown:
        lines.append("Email: {email}")
    return render(rng, "\n".join(lines), **p)


def news(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    who = "{city} {job} {name}, {age}," if "job" in scene.shown else "{name}, {age}, of {city},"
    text = who + " [said|told reporters|argued] on {day} that {claim}."
    text += _extras(rng, scene, "", "[Readers can write to|Comments go to] {email}.")
    return render(rng, text, **p)


def relative(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    text = "{name}, {age}, [lives|has lived for years] in {city}."
    text += _extras(rng, scene, "{Pron} works as {a_job}.", "{Poss} email is {email}.")
    text += " {Poss} {rel} {other} is {age2} and [lives in|is based in] {city2}."
    return render(rng, text, **p)


def moved(rng: random.Random, scene: Scene) -> str:
    p = _person(rng, scene)
    text = "After [growing up|years] in {city2}, {name} [moved to|settled in] {city}. [The|Now] {age}-year-old"
    text += (
        " [works as {a_job} there.|is {a_job}.]"
        if "job" in scene.shown
        else " [loves it there.|has no plans to leave.]"
    )
    text += _extras(rng, scene, "", "[Write to|Contact] {pron} at {email}.")
    return render(rng, text, **p)


Form = Callable[[random.Random, Scene], str]
# name -> (renderer, what a request calls the text)
FORMS: dict[str, tuple[Form, tuple[str, ...]]] = {
    "sentence": (sentence, ("sentence", "text", "line")),
    "paragraph": (paragraph, ("text", "paragraph", "description", "note", "passage")),
    "dialogue": (dialogue, ("conversation", "chat", "dialogue", "exchange")),
    "message": (message, ("message", "text message", "text", "chat message")),
    "email": (email, ("email", "message", "mail")),
    "record": (record, ("record", "form", "entry", "details")),
    "bullets": (bullets, ("list", "notes", "bullet points")),
    "table": (table, ("table", "table row", "markdown table")),
    "csv": (csv_row, ("CSV", "CSV row", "CSV snippet", "export")),
    "one-line": (one_line, ()),  # the kind's line_nouns: receipt line, ad, ...
}
SIGNATURE_FORMS: dict[str, tuple[Form, tuple[str, ...]]] = {
    "signature": (signature, ("signature", "email signature", "sign-off")),
}
PERSON_FORMS: dict[str, tuple[Form, tuple[str, ...]]] = {
    "self-intro": (self_intro, ("introduction", "message", "post")),
    "interview": (interview, ("interview", "Q&A", "transcript")),
    "quote": (quote, ("quote", "news snippet", "article excerpt")),
    "profile": (profile, ("profile", "bio")),
    "application": (application, ("application", "form")),
    "news": (news, ("news item", "article", "report")),
    "relative": (relative, ("text", "paragraph", "note")),
    "moved": (moved, ("text", "story", "note")),
}
