"""Entity kinds of the JSON extraction domain: their fields, how texts state them, and their values.

A field says how it can be named and written: `keys` are the key names a request may use (words,
spelled in snake_case, camelCase... by the request; `{unit}` takes the value's unit, as in
price_usd), `labels` how a record or table heads it, `tags` a short fragment for lists and
receipt lines, `says` a verb phrase about the entity for prose ("lives in {v}"), and `decoys` a
verb phrase that carries another value of the same field, which is not the asked one ("grew up
in {v}"). Patterns fill {v} (the value as written), {a_v} (with its article) and {s} (a plural s).
Key synonyms are chosen so that no two fields of one kind share a meaning: "location" is the
city of a person but never a key of an event, which has a venue and a city.

A kind's `draw` makes all its values at once, so related ones agree (an order's total is its
quantity times its unit price; an address's postcode fits its country); `refer` names the entity
in prose from fields always in the text (`fixed`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Callable

from loco_mlx.data.synth.json_values import (
    CITIES,
    COMPANIES,
    CURRENCIES,
    JOBS,
    ROLES,
    Value,
    clock,
    code,
    count,
    date,
    decimal,
    email_for,
    flag,
    money,
    money_value,
    person_name,
    phone,
    text,
    year,
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # str | int | float | bool | date | time: what a typed skeleton says
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    tags: tuple[str, ...]
    says: tuple[str, ...]
    decoys: tuple[str, ...] = ()
    tags_no: tuple[str, ...] = ()  # a false flag's tags and phrases
    says_no: tuple[str, ...] = ()
    optional: bool = True  # may be left out of the text (when the request allows null)
    shown: bool = True  # False for a part of another field (a first name), never written apart


@dataclass(frozen=True)
class Kind:
    name: str
    nouns: tuple[str, ...]  # what a request calls it
    line_nouns: tuple[str, ...]  # what a request calls its one-line form (receipt line, ad...)
    fields: tuple[Field, ...]  # in their natural order
    draw: Callable[[random.Random], dict[str, Value]]
    refer: tuple[str, ...]  # how prose names it, from fixed fields
    subject: str  # the field whose pronoun prose uses
    fixed: tuple[str, ...]  # fields always in the text
    contexts: tuple[str, ...]  # why someone asks
    fillers: tuple[str, ...]  # sentences that state nothing asked

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _split(spec: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in spec.split("|") if part.strip()) if spec else ()


def spec(name: str, type_: str, keys: str, labels: str, tags: str, says: str, decoys: str = "", **more) -> Field:
    """A field from `|`-separated alternatives, to keep the tables below readable."""
    split = {k: _split(v) if isinstance(v, str) else v for k, v in more.items()}
    return Field(name, type_, _split(keys), _split(labels), _split(tags), _split(says), _split(decoys), **split)


def flag_field(name: str, keys: str, labels: str, tags: str, tags_no: str, says: str, says_no: str) -> Field:
    return spec(name, "bool", keys, labels, tags, says, tags_no=tags_no, says_no=says_no)


def pick(rng: random.Random, options: str) -> Value:
    return text(rng.choice(_split(options)))


# --- person ------------------------------------------------------------------------------------------

NAME = spec("name", "str", "name|full name|person name|display name", "Name|Full name", "{v}", "")
FIRST = spec("first", "str", "first name|given name|forename", "", "", "", optional=False, shown=False)
LAST = spec("last", "str", "last name|surname|family name", "", "", "", optional=False, shown=False)
AGE = spec("age", "int", "age|age years|years old", "Age", "{v} years old|age {v}|{v} y/o",
        "is {v}|is {v} years old|turned {v} this year|is now {v}",
        "has a son aged {v}|has a {v}-year-old sister|shares a flat with a {v}-year-old")  # fmt: skip
CITY = spec("city", "str", "city|town|location|current city|city of residence|based in",
         "City|Town|Location|Based in|Lives in", "{v}|based in {v}|lives in {v}",
         "lives in {v}|is based in {v}|has a flat in {v}|now lives in {v}",
         "grew up in {v}|was born in {v}|moved away from {v} years ago|often visits {v}")  # fmt: skip
JOB = spec("job", "str", "job|occupation|profession|job title|line of work", "Job|Occupation|Profession|Works as",
        "{v}|works as {a_v}", "works as {a_v}|is {a_v}|has a job as {a_v}|earns a living as {a_v}",
        "used to work as {a_v}|has a brother who is {a_v}|trained as {a_v} before switching careers")  # fmt: skip
EMPLOYER = spec("employer", "str", "employer|company|organisation|organization|workplace",
             "Employer|Company|Works at", "at {v}|{v}", "works at {v}|is employed by {v}|is on the staff of {v}",
             "used to work at {v}|turned down an offer from {v}")  # fmt: skip
EMAIL = spec("email", "str", "email|email address|mail|contact email", "Email|E-mail|Mail", "{v}|email {v}",
          "can be reached at {v}|uses the address {v}|reads email at {v}")  # fmt: skip
PHONE = spec("phone", "str", "phone|phone number|mobile|telephone|tel", "Phone|Mobile|Tel|Telephone",
          "{v}|tel. {v}|mob {v}", "can be called on {v}|has the number {v}|answers the phone on {v}")  # fmt: skip
BIRTH = spec("birth", "date", "birth date|date of birth|dob|birthday", "Date of birth|Born|DOB", "born {v}",
          "was born on {v}")  # fmt: skip


def draw_person(rng: random.Random) -> dict[str, Value]:
    name = person_name(rng)
    first, last = name.written.split(" ", 1)
    age = count(rng, 19, 78)
    birth = date(rng, 2024 - age.data, 2024 - age.data)
    return {"name": name, "first": text(first), "last": text(last), "age": age, "city": text(rng.choice(CITIES)),
            "job": text(rng.choice(JOBS)), "employer": text(rng.choice(COMPANIES)),
            "email": email_for(rng, name.written), "phone": phone(rng), "birth": birth}  # fmt: skip


PERSON_FILLERS = (
    "{Pron} has two cats and a very old bicycle.", "{Pron} is learning to play the cello.",
    "Most weekends {pron} goes hiking with {who}.", "{Pron} hosts a quiz night every {n}th of the month.",
    "{Pron} recently finished a course on first aid.", "Friends say {pron} makes the best coffee in town.",
    "{Pron} volunteers at the library on Saturdays.", "{Pron} ran a half marathon in {place} last spring.",
)  # fmt: skip

PERSON = Kind(
    "person", ("person", "individual"), ("profile line", "one-liner", "entry"),
    (NAME, FIRST, LAST, AGE, CITY, JOB, EMPLOYER, EMAIL, PHONE, BIRTH), draw_person, ("{name}",), "name", ("name",),
    ("I'm updating our staff directory.", "This is for a customer database import.",
     "We're cleaning up old membership records.", "I keep a spreadsheet of the people I interview.",
     "Our HR tool needs this in a fixed shape.", "I'm sorting through sign-up forms from the weekend."),
    PERSON_FILLERS,
)  # fmt: skip

# Plain requests as people ask them: name, age and city, sometimes the job or the email, keys as is.
BASIC_FIELDS = tuple(replace(f, keys=(f.name,)) for f in (NAME, AGE, CITY, JOB, EMAIL))
PERSON_BASIC = replace(
    PERSON,
    name="person-basic",
    nouns=("person",),
    fields=BASIC_FIELDS + (EMPLOYER, PHONE),
    contexts=("Quick one.", "Another one for the list.", "Here's one from the sign-up sheet."),
)

# --- product -----------------------------------------------------------------------------------------

MODELS = ("Arc", "Nimbus", "Halo", "Drift", "Summit", "Pebble", "Vega", "Tundra", "Echo", "Atlas", "Nova", "Ripple",
          "Zephyr", "Cinder", "Lumen")  # fmt: skip
ITEMS = ("desk lamp", "electric kettle", "hiking backpack", "wireless mouse", "yoga mat", "coffee grinder",
         "water bottle", "office chair", "bluetooth speaker", "rain jacket", "chef's knife", "phone case",
         "standing desk", "air purifier", "running shoes", "travel mug", "camping stove", "sleeping bag")  # fmt: skip
BRANDS = "Kestrel|Lumo|Halden|Brio|Orbit|Terra|Vantage|Pico|Fjord|Maple & Co|Oakridge|Sundial"
COLOURS = "matte black|sage green|off-white|navy blue|burnt orange|slate grey|red|white|sand beige|forest green"

PRODUCT_FIELDS = (
    spec("product", "str", "product|product name|name|item|item name|title", "Product|Item|Name", "{v}", ""),
    spec("brand", "str", "brand|manufacturer|maker|brand name|make", "Brand|Made by|Manufacturer", "by {v}|{v}",
      "is made by {v}|comes from {v}|is built by {v}"),
    spec("price", "float", "price|cost|unit price|price {unit}|current price", "Price|Cost|Now", "{v}|now {v}|at {v}",
      "costs {v}|sells for {v}|is priced at {v}|goes for {v}",
      "was {v} before the sale|cost {v} last year|used to sell for {v}"),
    spec("colour", "str", "color|colour|finish|color name", "Colour|Color|Finish", "in {v}|{v}",
      "comes in {v}|is finished in {v}", "is also sold in {v}|was first released in {v}"),
    spec("weight", "float", "weight|weight {unit}|mass", "Weight", "{v} kg", "weighs {v} kg|comes in at {v} kg",
      "ships in a box of {v} kg"),
    flag_field("stock", "in stock|is in stock|available|is available", "In stock|Available",
               "in stock", "sold out|out of stock", "is in stock|is available now|is on the shelves",
               "is sold out|is out of stock|is unavailable at the moment"),
    spec("sku", "str", "sku|product code|item code|article number", "SKU|Code|Art. no.", "SKU {v}|#{v}",
      "has the code {v}|is listed under {v}"),
    spec("rating", "float", "rating|stars|average rating|review score", "Rating|Stars", "{v}/5|{v} stars|rated {v}",
      "is rated {v} out of 5|has {v} stars|averages {v} stars", "had {v} stars at launch"),
    spec("warranty", "int", "warranty years|warranty|guarantee years", "Warranty", "{v}-year warranty",
      "comes with a {v}-year warranty"),
)  # fmt: skip


def draw_product(rng: random.Random) -> dict[str, Value]:
    return {"product": text(f"{rng.choice(MODELS)} {rng.choice(ITEMS)}"), "brand": pick(rng, BRANDS),
            "price": money(rng, 4, 400), "colour": pick(rng, COLOURS),
            "weight": decimal(rng, 0.2, 9.5, 1, "kg"), "stock": flag(rng),
            "sku": code(rng, rng.choice(("AA-9999-AA", "999-9999", "AAA9999"))),
            "rating": decimal(rng, 2.5, 5.0, 1), "warranty": count(rng, 1, 5)}  # fmt: skip


PRODUCT = Kind(
    "product", ("product", "item"), ("price tag", "shop listing", "catalogue line"), PRODUCT_FIELDS, draw_product,
    ("the {product}", "{product}", "this {product}"), "product", ("product",),
    ("We're cleaning up the product catalogue.", "I'm comparing a few things before I buy.",
     "This goes into our inventory sheet.", "I scraped this from a shop page."),
    ("It ships in recycled packaging.", "Reviews mention how quiet it is.", "Over {n} people bought one last month.",
     "The box also includes a spare part.", "Delivery takes {n} working days.", "It won a design award in {place}."),
)  # fmt: skip

# --- order line --------------------------------------------------------------------------------------

STATUSES = "shipped|pending|delivered|cancelled|processing|on hold"
ORDER_FIELDS = (
    spec("order", "str", "order id|order number|order no|order ref|reference", "Order|Order no.|Order #|Ref",
      "order {v}|#{v}", ""),
    spec("item", "str", "item|product|item name|product name|article|description", "Item|Product|Description|Article",
      "{v}", "is for the {v}|covers the {v}|contains the {v}"),
    spec("quantity", "int", "quantity|qty|units|number of items|item count", "Qty|Quantity|Units",
      "{v} x|x{v}|qty {v}|{v} pcs", "has {v} unit{s}|has a quantity of {v}|covers {v} piece{s}",
      "was first placed with {v} unit{s}"),
    spec("unit_price", "float", "unit price|price each|price per unit|unit cost|unit price {unit}",
      "Unit price|Price|Each", "@ {v}|{v} each|at {v} each",
      "charges {v} per unit|lists {v} per item|has a unit price of {v}"),
    spec("total", "float", "total|line total|total price|subtotal|total {unit}|amount due", "Total|Line total|Amount",
      "= {v}|total {v}", "comes to {v}|totals {v}|adds up to {v}", optional=False),
    spec("customer", "str", "customer|customer name|buyer|ordered by|client", "Customer|Buyer|Ship to|Sold to",
      "for {v}|cust. {v}", "was placed by {v}|belongs to {v}|was ordered by {v}", "is a gift for {v}"),
    spec("date", "date", "order date|date|ordered on|placed on|purchase date", "Date|Order date|Ordered",
      "{v}|ordered {v}", "was placed on {v}|was ordered on {v}|dates from {v}", "is expected on {v}"),
    spec("status", "str", "status|order status|state", "Status", "{v}", "is {v}|is marked {v}|shows as {v}"),
)  # fmt: skip


def draw_order(rng: random.Random) -> dict[str, Value]:
    quantity = count(rng, 1, 12)
    currency, style = rng.choice(CURRENCIES), rng.randrange(4)
    price = money(rng, 2, 180, currency=currency, style=style)
    total = money_value(round(quantity.data * price.data, 2), currency, style)
    return {"order": code(rng, rng.choice(("A-9999", "ORD-99999", "SO-9999", "AA99999"))),
            "item": text(f"{rng.choice(MODELS)} {rng.choice(ITEMS)}"), "quantity": quantity, "unit_price": price,
            "total": total, "customer": person_name(rng), "date": date(rng), "status": pick(rng, STATUSES)}  # fmt: skip


ORDER = Kind(
    "order", ("order", "order line", "purchase"), ("receipt line", "order line", "line item"), ORDER_FIELDS,
    draw_order, ("order {order}", "the order {order}"), "order", ("order",),
    ("I'm reconciling last month's orders.", "Our accounting import wants this format.",
     "A customer forwarded this and I need it structured.", "This came out of the shop's order log."),
    ("Shipping was free because of a voucher.", "The parcel went out from the {place} warehouse.",
     "Support ticket {n} is linked to it.", "A second order from the same address is still open.",
     "The courier tried to deliver it twice."),
)  # fmt: skip

# --- event -------------------------------------------------------------------------------------------

EVENTS = ("Jazz Night", "Spring Book Fair", "Harbour Fun Run", "Open Data Meetup", "Winter Craft Market",
          "Film Club Screening", "Community Cleanup Day", "Startup Pitch Evening", "Food Truck Festival",
          "Chess Open", "Choir Concert", "Poetry Slam", "Vintage Fair", "Science Café")  # fmt: skip
VENUES = ("Riverside Park", "Union Hall", "Pier Four", "St Mary's Church", "Kingsway Arena", "Hotel Lusitano",
          "Café Central", "Studio Nine", "Millbrook Library", "Harbour Hall", "Greenfield Barn")  # fmt: skip
EVENT_FIELDS = (
    spec("title", "str", "event|event name|name|title|event title", "Event|Name|What", "{v}", ""),
    spec("date", "date", "date|event date|when|day|start date", "Date|When|Day", "{v}|on {v}",
      "takes place on {v}|is on {v}|happens on {v}|is scheduled for {v}",
      "was announced on {v}|opens ticket sales on {v}"),
    spec("time", "time", "start time|starts at|start|begins at", "Time|Start|Starts at", "{v}|from {v}|starts {v}",
      "starts at {v}|begins at {v}|kicks off at {v}", "ends at {v}"),
    spec("venue", "str", "venue|venue name|hall|held at", "Venue|Where|Place|Location", "at {v}|@ {v}",
      "is held at {v}|takes place at {v}|will be at {v}", "used to be held at {v}"),
    spec("city", "str", "city|town|host city", "City|Town", "{v}|in {v}", "happens in {v}|comes to {v}",
      "moves to {v} next year|was in {v} last year"),
    spec("price", "float", "ticket price|price|entry fee|admission|ticket price {unit}",
      "Tickets|Entry|Price|Admission",
      "tickets {v}|entry {v}|{v}", "costs {v} to attend|charges {v} for entry|has tickets at {v}",
      "charged {v} last year"),
    spec("organiser", "str", "organizer|organiser|host|organised by|run by", "Organiser|Host|Organizer|By",
      "by {v}|hosted by {v}", "is organised by {v}|is hosted by {v}|is run by {v}", "is sponsored by {v}"),
    spec("capacity", "int", "capacity|max attendees|seats|spaces", "Capacity|Seats|Places",
      "{v} seats|max {v} people|{v} places", "has room for {v} people|can hold {v} guests|is capped at {v} attendees",
      "drew {v} visitors last year|has sold {v} tickets so far"),
)  # fmt: skip


def draw_event(rng: random.Random) -> dict[str, Value]:
    organiser = rng.choice((rng.choice(COMPANIES), person_name(rng).written))
    return {"title": text(rng.choice(EVENTS)), "date": date(rng), "time": clock(rng), "venue": text(rng.choice(VENUES)),
            "city": text(rng.choice(CITIES)), "price": money(rng, 5, 80, cents=rng.random() < 0.5),
            "organiser": text(organiser), "capacity": count(rng, 20, 2500)}  # fmt: skip


EVENT = Kind(
    "event", ("event",), ("listing", "calendar entry", "poster line"), EVENT_FIELDS, draw_event,
    ("the {title}", "this year's {title}", "the {title}"), "title", ("title",),
    ("I'm adding events to our community calendar.", "This is for the newsletter's what's-on section.",
     "I want to put this in my calendar app.", "Our events page is fed from JSON."),
    ("Parking nearby is limited.", "Last year around {n} people came.", "Volunteers are still needed.",
     "Food will be available from local vendors.", "Bring a friend from {place} if you like."),
)  # fmt: skip

# --- book --------------------------------------------------------------------------------------------

TITLES = ("The Salt Road", "Quiet Harbours", "A Map of Small Things", "The Lantern Keeper", "Winter Orchard",
          "Borrowed Rivers", "The Glass Staircase", "Nine Letters Home", "Under the Copper Sky", "The Last Ferryman",
          "A Year of Tides", "Paper Birds", "The Ninth Hour", "Field Notes on Silence")  # fmt: skip
PUBLISHERS = "Harbour Press|Longleaf Books|Granite House|Paperkite|Northlight Editions|Quill & Ink|Bramble Books"
GENRES = ("mystery novel|memoir|science fiction novel|historical novel|thriller|poetry collection|cookbook|"
          "biography|short story collection")  # fmt: skip
BOOK_FIELDS = (
    spec("title", "str", "title|book title|book|name", "Title|Book", "{v}|“{v}”", ""),
    spec("author", "str", "author|author name|writer|written by", "Author|By|Writer", "by {v}",
      "was written by {v}|is by {v}|comes from the pen of {v}", "has a foreword by {v}|was translated by {v}"),
    spec("year", "int", "year|publication year|year published|first published", "Year|Published",
      "({v})|pub. {v}", "came out in {v}|was published in {v}|first appeared in {v}",
      "was reissued in {v}|was adapted for TV in {v}"),
    spec("pages", "int", "pages|page count|number of pages|num pages", "Pages|Length", "{v} pages|{v} pp.",
      "runs to {v} pages|has {v} pages|is {v} pages long"),
    spec("publisher", "str", "publisher|published by|imprint|publishing house", "Publisher|Imprint", "{v}|pub. by {v}",
      "is published by {v}|comes from {v}|was released by {v}", "was turned down by {v}"),
    spec("genre", "str", "genre|category|book genre", "Genre|Category", "{v}", "is {a_v}|is shelved as {a_v}"),
    spec("isbn", "str", "isbn|isbn 13|isbn number", "ISBN", "ISBN {v}", "has the ISBN {v}|is listed as ISBN {v}"),
    spec("price", "float", "price|cost|price {unit}|list price", "Price|RRP", "{v}",
      "sells for {v}|costs {v}|retails at {v}", "used to cost {v}"),
)  # fmt: skip


def draw_book(rng: random.Random) -> dict[str, Value]:
    return {"title": text(rng.choice(TITLES)), "author": person_name(rng), "year": year(rng, 1952, 2024),
            "pages": count(rng, 96, 880), "publisher": pick(rng, PUBLISHERS), "genre": pick(rng, GENRES),
            "isbn": code(rng, "978-9-999-99999-9"), "price": money(rng, 7, 45)}  # fmt: skip


BOOK = Kind(
    "book", ("book", "title"), ("catalogue entry", "reading-list line", "shelf entry"), BOOK_FIELDS, draw_book,
    ("{title}", "the book {title}", "{title}"), "title", ("title",),
    ("I'm cataloguing my bookshelf.", "Our library system imports JSON.", "This is for the book club's reading list.",
     "I'm building a small reading tracker."),
    ("The cover was redesigned for the paperback.", "It sold about {n} thousand copies.",
     "A reviewer in {place} called it unforgettable.", "Our book club read it in one month.",
     "The audiobook is narrated by {who}."),
)  # fmt: skip

# --- job posting -------------------------------------------------------------------------------------

JOB_TITLES = ("Senior Data Analyst", "Junior Web Developer", "Night Shift Nurse", "Warehouse Supervisor",
              "Product Designer", "Sous Chef", "Mechanical Engineer", "Customer Support Agent", "Payroll Specialist",
              "Primary School Teacher", "Delivery Driver", "IT Support Technician", "Marketing Assistant")  # fmt: skip
POSTING_FIELDS = (
    spec("title", "str", "job title|title|role|position|job|position title", "Role|Position|Job title|Job", "{v}", ""),
    spec("company", "str", "company|employer|organisation|organization|hiring company|company name",
      "Company|Employer|Organisation", "at {v}|{v}", "is at {v}|is with {v}|is being advertised by {v}",
      "was posted by the recruiter {v}"),
    spec("location", "str", "location|city|office location|based in|work location", "Location|Based in|Office|City",
      "{v}|based in {v}", "is based in {v}|sits in the {v} office", "has a second office in {v}"),
    spec("salary", "int", "salary|annual salary|pay|salary {unit}|yearly pay|compensation", "Salary|Pay",
      "{v} a year|{v}/yr|{v} per annum", "pays {v} a year|offers {v} per year|comes with a salary of {v}",
      "offers a signing bonus of {v}|paid {v} when it was last advertised"),
    flag_field("remote", "remote|is remote|remote ok|work from home", "Remote|Remote work", "remote|fully remote",
               "on-site|office based", "is fully remote|can be done from home",
               "is on-site only|needs you in the office every day"),
    spec("type", "str", "employment type|contract|contract type|job type|hours", "Type|Contract|Hours", "{v}",
      "is {v}|is offered on a {v} basis"),
    spec("experience", "int",
      "experience years|years experience|min experience|experience required|years of experience",
      "Experience|Min. experience", "{v}+ year{s}' experience|{v} yr{s} exp",
      "asks for {v} year{s} of experience|needs at least {v} year{s} of experience"),
    spec("deadline", "date", "deadline|closing date|apply by|application deadline|closes",
      "Closing date|Deadline|Apply by", "apply by {v}|closes {v}", "closes on {v}|takes applications until {v}",
      "was posted on {v}"),
)  # fmt: skip


def draw_posting(rng: random.Random) -> dict[str, Value]:
    return {"title": text(rng.choice(JOB_TITLES)), "company": text(rng.choice(COMPANIES)),
            "location": text(rng.choice(CITIES)), "salary": money(rng, 28_000, 140_000, cents=False, step=1000),
            "remote": flag(rng), "type": pick(rng, "full-time|part-time|contract|temporary|freelance"),
            "experience": count(rng, 1, 10), "deadline": date(rng)}  # fmt: skip


POSTING = Kind(
    "posting", ("job posting", "job ad", "vacancy", "job listing"), ("job ad", "listing", "vacancy line"),
    POSTING_FIELDS, draw_posting, ("the {title} role", "the {title} position", "the {title} opening"), "title",
    ("title",),
    ("I'm tracking job applications in a spreadsheet.", "Our job board imports postings as JSON.",
     "I'm comparing a few openings.", "A recruiter sent this over."),
    ("The team has {n} people.", "Interviews happen over two rounds.", "There is a gym on site.",
     "The previous holder moved to {place}.", "Questions go to {who} in HR."),
)  # fmt: skip

# --- address -----------------------------------------------------------------------------------------

# city, country, streets, postcode pattern (json_values.code), whether the house number comes first
PLACES = (
    ("Lisbon", "Portugal", ("Rua Augusta", "Rua do Ouro", "Avenida da Liberdade"), "1999-999", False),
    ("Berlin", "Germany", ("Torstraße", "Oranienstraße", "Karl-Marx-Allee"), "19999", False),
    ("London", "United Kingdom", ("Baker Street", "Mare Street", "Holloway Road"), "N9 9AA", True),
    ("Toronto", "Canada", ("Queen Street West", "Dundas Street", "Bloor Street"), "M9A 9A9", True),
    ("Boston", "USA", ("Elm Street", "Beacon Street", "Tremont Street"), "02199", True),
    ("Madrid", "Spain", ("Calle Mayor", "Gran Vía", "Calle de Alcalá"), "28099", False),
    ("Dublin", "Ireland", ("Grafton Street", "Capel Street", "Dame Street"), "D09 A9A9", True),
    ("Paris", "France", ("Rue Oberkampf", "Rue de Rivoli", "Boulevard Voltaire"), "75099", True),
    ("Amsterdam", "Netherlands", ("Prinsengracht", "Damrak", "Overtoom"), "1099 AA", False),
    ("Oslo", "Norway", ("Karl Johans gate", "Thorvald Meyers gate"), "0999", False),
    ("Melbourne", "Australia", ("Flinders Street", "Collins Street", "Lygon Street"), "3099", True),
)
ADDRESS_FIELDS = (
    spec("recipient", "str", "name|recipient|addressee|full name|contact", "Name|To|Recipient", "{v}", ""),
    spec("street", "str", "street|street address|address line 1|address 1|line 1", "Street|Address|Line 1", "{v}",
      "is at {v}|can be found at {v}|has moved to {v}", "used to be at {v}"),
    spec("city", "str", "city|town|locality|city name", "City|Town", "{v}", "is based in {v}|is in the city of {v}",
      "moved here from {v}|has a second address in {v}"),
    spec("postcode", "str", "postcode|postal code|zip|zip code|post code", "Postcode|Postal code|ZIP", "{v}",
      "has the postcode {v}|uses the postal code {v}"),
    spec("country", "str", "country|country name|nation", "Country", "{v}", "is in {v}|is located in {v}"),
)  # fmt: skip


def draw_address(rng: random.Random) -> dict[str, Value]:
    city, country, streets, postcode, number_first = rng.choice(PLACES)
    number = rng.randint(2, 240)
    street = f"{number} {rng.choice(streets)}" if number_first else f"{rng.choice(streets)} {number}"
    recipient = person_name(rng) if rng.random() < 0.7 else text(rng.choice(COMPANIES))
    return {"recipient": recipient, "street": text(street), "city": text(city), "postcode": code(rng, postcode),
            "country": text(country)}  # fmt: skip


ADDRESS = Kind(
    "address", ("address", "postal address", "mailing address"), ("address line", "label", "envelope line"),
    ADDRESS_FIELDS, draw_address, ("{recipient}",), "recipient", ("recipient",),
    ("I'm printing shipping labels.", "Our CRM wants addresses split into fields.",
     "I need to fill in a delivery form.", "These are for the wedding invitations."),
    ("The doorbell doesn't work, so knock.", "Deliveries are accepted until {n} pm.",
     "Leave parcels with {who} next door.", "The building has {n} floors and no lift."),
)  # fmt: skip

# --- flight ------------------------------------------------------------------------------------------

AIRLINES = (("TP", "TAP Air Portugal"), ("BA", "British Airways"), ("LH", "Lufthansa"), ("KL", "KLM"),
            ("AC", "Air Canada"), ("EK", "Emirates"), ("QF", "Qantas"), ("IB", "Iberia"), ("AF", "Air France"),
            ("SK", "SAS"))  # fmt: skip
FLIGHT_FIELDS = (
    spec("flight", "str", "flight number|flight|flight no|flight code|flight id", "Flight|Flight no.", "{v}|flight {v}",
      ""),
    spec("airline", "str", "airline|carrier|operator|airline name", "Airline|Carrier|Operated by", "{v}",
      "is operated by {v}|is flown by {v}", "is sold as a codeshare by {v}"),
    spec("origin", "str", "origin|from|departure city|departs from|from city", "From|Origin|Departs from", "from {v}",
      "leaves from {v}|departs from {v}|flies out of {v}", "connects through {v}"),
    spec("destination", "str", "destination|to|arrival city|arrives at|to city|destination city",
      "To|Destination|Arrives in", "to {v}", "flies to {v}|goes to {v}|lands in {v}", "stops over in {v}"),
    spec("date", "date", "date|departure date|flight date|departs on|travel date", "Date|Departure date", "{v}|on {v}",
      "departs on {v}|leaves on {v}|flies on {v}", "has a return leg on {v}"),
    spec("time", "time", "departure time|dep time|departs at|takeoff time", "Departs|Dep.|Time", "dep {v}|departs {v}",
      "leaves at {v}|departs at {v}|takes off at {v}", "lands at {v}|starts boarding at {v}"),
    spec("gate", "str", "gate|gate number|departure gate", "Gate", "gate {v}",
      "boards at gate {v}|leaves from gate {v}",
      "was moved from gate {v}"),
    spec("seat", "str", "seat|seat number|seat no", "Seat", "seat {v}", "has you in seat {v}|puts you in seat {v}"),
    spec("terminal", "int", "terminal|terminal number|departure terminal", "Terminal", "T{v}|terminal {v}",
      "leaves from terminal {v}|checks in at terminal {v}"),
)  # fmt: skip


def draw_flight(rng: random.Random) -> dict[str, Value]:
    prefix, airline = rng.choice(AIRLINES)
    origin, destination = rng.sample(CITIES, 2)
    number = f"{prefix}{rng.choice(('', ' '))}{rng.randint(10, 2999)}"
    return {"flight": text(number), "airline": text(airline), "origin": text(origin),
            "destination": text(destination), "date": date(rng), "time": clock(rng),
            "gate": code(rng, rng.choice(("A99", "B9", "C99", "D9", "E99"))),
            "seat": text(f"{rng.randint(1, 38)}{rng.choice('ABCDEF')}"), "terminal": count(rng, 1, 5)}  # fmt: skip


FLIGHT = Kind(
    "flight", ("flight", "booking", "flight booking"), ("itinerary line", "boarding pass line", "ticket line"),
    FLIGHT_FIELDS, draw_flight, ("flight {flight}", "your flight {flight}"), "flight", ("flight",),
    ("I'm putting my trip into a travel app.", "I forward these to my assistant as JSON.",
     "This is from a booking confirmation.", "I want to log my flights this year."),
    ("Check-in closes {n} minutes before departure.", "Meals can be pre-ordered online.",
     "Your booking code is on the receipt.", "Hand luggage is limited to {n} kg.", "{who} is on the same booking."),
)  # fmt: skip

# --- recipe ------------------------------------------------------------------------------------------

DISHES = ("lemon risotto", "chickpea curry", "banana bread", "shakshuka", "miso ramen", "apple crumble", "lentil soup",
          "fish tacos", "mushroom stroganoff", "pad thai", "spinach lasagne", "carrot cake", "tomato tart")  # fmt: skip
CUISINES = "Italian|Indian|Mexican|Japanese|Thai|Lebanese|Portuguese|Ethiopian|Korean|Greek"
RECIPE_FIELDS = (
    spec("dish", "str", "dish|recipe|recipe name|name|title|dish name", "Recipe|Dish", "{v}", ""),
    spec("servings", "int", "servings|serves|portions|yield|number of servings", "Serves|Servings|Portions|Makes",
      "serves {v}|{v} portions|for {v}", "serves {v}|makes {v} portion{s}|feeds {v} people", "doubles easily to {v}"),
    spec("prep", "int", "prep time|prep minutes|prep time {unit}|preparation time", "Prep|Prep time|Preparation",
      "prep {v} min|{v} min prep", "takes {v} minutes to prepare|needs {v} minutes of prep",
      "keeps for {v} days in the fridge"),
    spec("cook", "int", "cook time|cooking time|cook minutes|cook time {unit}", "Cook|Cook time|Cooking",
      "cook {v} min|{v} min cooking", "cooks in {v} minutes|needs {v} minutes on the heat",
      "rests for {v} minutes before serving"),
    spec("calories", "int", "calories|kcal|calories per serving|energy kcal", "Calories|kcal|Energy",
      "{v} kcal|{v} cal",
      "has {v} calories per serving|comes to {v} kcal a portion"),
    flag_field("vegetarian", "vegetarian|is vegetarian|veggie|meat free", "Vegetarian|Veggie", "vegetarian|(V)",
               "contains meat|non-veg", "is vegetarian|is meat-free", "is not vegetarian|contains meat"),
    spec("cuisine", "str", "cuisine|style|cuisine type", "Cuisine|Style", "{v}",
      "is a classic {v} dish|comes from {v} cooking", "was adapted from {v} cooking"),
)  # fmt: skip


def draw_recipe(rng: random.Random) -> dict[str, Value]:
    return {"dish": text(rng.choice(DISHES)), "servings": count(rng, 1, 12), "prep": count(rng, 5, 45, "min"),
            "cook": count(rng, 8, 95, "min"), "calories": count(rng, 150, 900), "vegetarian": flag(rng),
            "cuisine": pick(rng, CUISINES)}  # fmt: skip


RECIPE = Kind(
    "recipe", ("recipe", "dish"), ("recipe card", "menu line", "meal-plan entry"), RECIPE_FIELDS, draw_recipe,
    ("the {dish}", "this {dish}", "my {dish}"), "dish", ("dish",),
    ("I'm building a meal planner.", "My recipe app imports JSON.", "I'm sorting my grandmother's recipe cards.",
     "This is for a weekly menu."),
    ("Preheat the oven to {n} degrees.", "A squeeze of lime at the end helps.", "{who} taught me this one.",
     "It freezes well.", "I first ate it in {place}."),
)  # fmt: skip

# --- invoice -----------------------------------------------------------------------------------------

INVOICE_FIELDS = (
    spec("number", "str", "invoice number|invoice no|invoice id|invoice|ref", "Invoice|Invoice no.|Invoice #|Ref",
      "invoice {v}|{v}", ""),
    spec("client", "str", "client|customer|bill to|billed to|client name", "Client|Bill to|Customer|Billed to",
      "for {v}|to {v}", "is billed to {v}|was issued to {v}|is addressed to {v}"),
    spec("supplier", "str", "supplier|vendor|issuer|seller|from", "From|Supplier|Vendor", "from {v}",
      "was issued by {v}|comes from {v}"),
    spec("amount", "float", "amount|total|amount due|total {unit}|amount {unit}|balance",
      "Amount due|Total|Amount|Balance", "{v}|total {v}|due {v}", "comes to {v}|is for {v}|asks for {v}",
      "includes {v} in VAT|was reduced by {v}"),
    spec("issued", "date", "issue date|date|invoice date|issued|issued on", "Date|Issued|Invoice date",
      "issued {v}|dated {v}", "is dated {v}|was issued on {v}"),
    spec("due", "date", "due date|due|payment due|due by|pay by", "Due|Due date|Pay by", "due {v}|pay by {v}",
      "is due on {v}|must be paid by {v}|falls due on {v}"),
    flag_field("paid", "paid|is paid|settled|payment received", "Paid|Settled", "PAID|paid in full",
               "UNPAID|outstanding", "has been paid|was settled in full", "is still unpaid|has not been paid yet"),
    spec("vat", "int", "vat rate|tax rate|vat|vat percent|tax percent", "VAT|Tax rate", "VAT {v}%|{v}% tax",
      "charges VAT at {v}%|includes tax at {v}%"),
)  # fmt: skip


def draw_invoice(rng: random.Random) -> dict[str, Value]:
    client, supplier = rng.sample(COMPANIES, 2)
    return {"number": code(rng, rng.choice(("INV-9999", "2024-999", "AA-99999", "INV/99/999"))),
            "client": text(client), "supplier": text(supplier), "amount": money(rng, 80, 9000),
            "issued": date(rng), "due": date(rng), "paid": flag(rng), "vat": count(rng, 5, 25)}  # fmt: skip


INVOICE = Kind(
    "invoice", ("invoice", "bill"), ("ledger line", "statement line", "payment line"), INVOICE_FIELDS, draw_invoice,
    ("invoice {number}", "the invoice {number}"), "number", ("number",),
    ("I'm doing the quarterly bookkeeping.", "Our accounts payable tool takes JSON.", "I need to chase late payments.",
     "This was pasted from a PDF."),
    ("Bank details are on page two.", "Late payments add {n}% interest.", "Questions go to {who} in accounts.",
     "A copy was sent to the {place} office.", "The PDF was attached to the email."),
)  # fmt: skip

# --- contact -----------------------------------------------------------------------------------------

CONTACT_FIELDS = (
    NAME,
    FIRST,
    LAST,
    spec("role", "str", "title|role|job title|position|position title", "Title|Role|Position", "{v}",
      "is {v}|works as {v}|holds the title {v}"),
    spec("company", "str", "company|organisation|organization|employer|company name|org", "Company|Organisation|Org",
      "{v}|at {v}", "works at {v}|is with {v}|represents {v}", "used to be at {v}"),
    spec("phone", "str", "phone|phone number|mobile|tel|telephone|direct line", "Phone|Mobile|Tel|T",
      "{v}|tel {v}|m: {v}",
      "can be reached on {v}|has the number {v}", "shares the switchboard number {v}"),
    spec("email", "str", "email|email address|mail|contact email", "Email|E-mail|E", "{v}",
      "can be emailed at {v}|uses {v}|writes from {v}"),
    spec("website", "str", "website|url|web|homepage|site", "Web|Website|Site", "{v}",
      "has the website {v}|lists {v} as the website"),
    spec("city", "str", "city|location|office city|based in", "City|Office|Location", "{v}",
      "is based in {v}|works out of {v}", "travels to {v} every month"),
)  # fmt: skip


def draw_contact(rng: random.Random) -> dict[str, Value]:
    person = draw_person(rng)
    company = rng.choice(COMPANIES)
    domain = "".join(c for c in company.lower() if c.isalnum())
    return {"name": person["name"], "first": person["first"], "last": person["last"], "role": text(rng.choice(ROLES)),
            "company": text(company), "phone": person["phone"], "email": email_for(rng, person["name"].written),
            "website": text(f"www.{domain}.com"), "city": person["city"]}  # fmt: skip


CONTACT = Kind(
    "contact", ("contact", "person", "business contact"), ("contact card", "address-book line", "card"),
    CONTACT_FIELDS, draw_contact, ("{name}",), "name", ("name",),
    ("I'm moving our contacts into a new CRM.", "I met a lot of people at the trade fair.",
     "This is for our address book export.", "I'm updating the supplier contact list."),
    ("We met at the trade fair in {place}.", "{Pron} prefers calls after {n} am.", "{Pron} was introduced by {who}.",
     "{Pron} is on holiday until next week."),
)  # fmt: skip

# --- movie -------------------------------------------------------------------------------------------

FILMS = ("The Last Ferry", "Paper Moons", "Northern Lights", "Salt and Smoke", "A Quiet Year", "The Glass Orchard",
         "Red Sky Morning", "The Night Train", "Small Fires", "Borrowed Time", "Harvest", "The Lighthouse Keeper",
         "Silver Lining Road")  # fmt: skip
GENRES_FILM = "drama|comedy|thriller|documentary|romantic comedy|horror film|animated feature|western"
LANGUAGES = "Portuguese|Korean|French|Spanish|English|Hindi|Japanese|Swahili|Polish"
MOVIE_FIELDS = (
    spec("title", "str", "title|movie|film|movie title|film title|name", "Title|Film|Movie", "{v}|“{v}”", ""),
    spec("director", "str", "director|directed by|filmmaker|director name", "Director|Dir.|Directed by",
      "dir. {v}|directed by {v}", "was directed by {v}|is by director {v}|comes from director {v}", "stars {v}"),
    spec("year", "int", "year|release year|released|year released", "Year|Released", "({v})|{v}",
      "came out in {v}|was released in {v}", "was remastered in {v}|got a sequel in {v}"),
    spec("runtime", "int", "runtime|runtime minutes|runtime {unit}|length|duration|duration minutes",
      "Runtime|Length|Running time", "{v} min|{v} minutes", "runs {v} minutes|is {v} minutes long|lasts {v} minutes",
      "has a {v}-minute director's cut"),
    spec("genre", "str", "genre|category|film genre", "Genre", "{v}", "is {a_v}"),
    spec("rating", "float", "rating|score|critic score|review score", "Rating|Score", "{v}/10|★ {v}",
      "is rated {v} out of 10|scores {v}/10|holds a {v} rating"),
    spec("language", "str", "language|original language|lang|spoken language", "Language", "in {v}|{v}",
      "is in {v}|was shot in {v}", "has subtitles in {v}"),
)  # fmt: skip


def draw_movie(rng: random.Random) -> dict[str, Value]:
    return {"title": text(rng.choice(FILMS)), "director": person_name(rng), "year": year(rng, 1960, 2024),
            "runtime": count(rng, 78, 190, "min"),
            "genre": pick(rng, GENRES_FILM), "rating": decimal(rng, 5.0, 9.5, 1),
            "language": pick(rng, LANGUAGES)}  # fmt: skip


MOVIE = Kind(
    "movie", ("film", "movie"), ("listing", "programme line", "watchlist entry"), MOVIE_FIELDS, draw_movie,
    ("{title}", "the film {title}", "the movie {title}"), "title", ("title",),
    ("I'm logging what I watched this year.", "Our cinema's programme page reads JSON.",
     "This is for a film club database.", "I'm building a watchlist app."),
    ("The soundtrack is worth hearing on its own.", "It was shot in {n} days.", "{who} recommended it to me.",
     "It premiered at a festival in {place}."),
)  # fmt: skip

# --- apartment listing -------------------------------------------------------------------------------

AREAS = (("Alfama", "Lisbon"), ("Graça", "Lisbon"), ("Kreuzberg", "Berlin"), ("Neukölln", "Berlin"),
         ("Shoreditch", "London"), ("Brixton", "London"), ("Le Marais", "Paris"), ("Belleville", "Paris"),
         ("Lavapiés", "Madrid"), ("Chamberí", "Madrid"), ("De Pijp", "Amsterdam"), ("Jordaan", "Amsterdam"),
         ("Leslieville", "Toronto"), ("Södermalm", "Stockholm"))  # fmt: skip
APARTMENT_FIELDS = (
    spec("area", "str", "neighbourhood|neighborhood|district|quarter", "District|Neighbourhood|Location",
      "{v}", ""),
    spec("city", "str", "city|town|municipality", "City", "{v}", "is in {v}"),
    spec("rent", "int", "rent|monthly rent|price|rent {unit}|rent per month|cost per month", "Rent|Price|Per month",
      "{v}/month|{v} a month|{v} pcm|{v} per month", "rents for {v} a month|costs {v} per month|goes for {v} a month",
      "needs a deposit of {v}"),
    spec("bedrooms", "int", "bedrooms|beds|bedroom count|num bedrooms", "Bedrooms|Beds", "{v} bed|{v} bedroom{s}|{v}BR",
      "has {v} bedroom{s}|comes with {v} bedroom{s}"),
    spec("bathrooms", "int", "bathrooms|baths|bathroom count", "Bathrooms|Baths", "{v} bath|{v} bathroom{s}",
      "has {v} bathroom{s}"),
    spec("size", "int", "size|area sqm|floor area|size m2|square metres", "Size|Floor area|m²",
      "{v} m²|{v} sqm|{v} sq m", "measures {v} square metres|is {v} m²|has {v} m² of floor space",
      "comes with a {v} m² garden"),
    flag_field("furnished", "furnished|is furnished|furniture included", "Furnished", "furnished", "unfurnished",
               "comes furnished|is fully furnished", "comes unfurnished|is let unfurnished"),
    flag_field("pets", "pets allowed|pets|pet friendly|allows pets", "Pets|Pets allowed", "pets OK|pet-friendly",
               "no pets", "allows pets|is pet-friendly", "does not allow pets|has a no-pets rule"),
    spec("available", "date", "available from|available|move in date|available date",
      "Available|Available from|Move-in",
      "available {v}|from {v}", "is available from {v}|is free from {v}", "was listed on {v}"),
    spec("floor", "int", "floor|floor number|storey|level", "Floor|Level", "floor {v}|level {v}",
      "is on floor {v}|sits on level {v}"),
)  # fmt: skip


def draw_apartment(rng: random.Random) -> dict[str, Value]:
    area, city = rng.choice(AREAS)
    return {"area": text(area), "city": text(city), "rent": money(rng, 600, 3800, cents=False, step=25),
            "bedrooms": count(rng, 1, 5), "bathrooms": count(rng, 1, 3), "size": count(rng, 28, 180, "sqm"),
            "furnished": flag(rng), "pets": flag(rng), "available": date(rng), "floor": count(rng, 1, 12)}  # fmt: skip


APARTMENT = Kind(
    "apartment", ("listing", "flat", "apartment"), ("ad", "listing", "classified"), APARTMENT_FIELDS, draw_apartment,
    ("the flat in {area}", "the apartment in {area}", "this {area} flat"), "area", ("area",),
    ("I'm flat hunting and keep a spreadsheet.", "Our rental site imports listings as JSON.",
     "I'm comparing places before viewings.", "A friend sent me this listing."),
    ("Viewings are on weekday evenings.", "The landlord, {who}, lives nearby.", "The tram stop is {n} minutes away.",
     "The previous tenants moved to {place}.", "Bills are not included."),
)  # fmt: skip

# --- car listing -------------------------------------------------------------------------------------

CARS = (("Toyota", "Corolla"), ("Volkswagen", "Golf"), ("Renault", "Clio"), ("Ford", "Focus"), ("Honda", "Civic"),
        ("Kia", "Niro"), ("Skoda", "Octavia"), ("Peugeot", "208"), ("Nissan", "Leaf"), ("Mazda", "CX-5"),
        ("Hyundai", "Kona"), ("Volvo", "V60"), ("Fiat", "Panda"))  # fmt: skip
CAR_FIELDS = (
    spec("make", "str", "make|brand|manufacturer|car make", "Make|Brand", "{v}", ""),
    spec("model", "str", "model|car model|model name", "Model", "{v}", ""),
    spec("year", "int", "year|model year|registration year|first registered", "Year|Reg.|First registered",
      "{v}|({v})", "is from {v}|was first registered in {v}|dates from {v}", "last changed hands in {v}"),
    spec("mileage", "int", "mileage|mileage km|odometer|odometer km|kilometres", "Mileage|Odometer|KM", "{v} km",
      "has {v} km on the clock|has done {v} km", "had {v} km at its last service"),
    spec("price", "int", "price|asking price|price {unit}|cost|sale price", "Price|Asking price",
      "{v}|asking {v}|{v} ono",
      "is priced at {v}|is for sale at {v}|is listed for {v}", "was bought new for {v}"),
    spec("fuel", "str", "fuel|fuel type|engine|powertrain", "Fuel|Engine", "{v}", "has {a_v} engine|uses {a_v} engine"),
    spec("colour", "str", "colour|color|paint|exterior colour", "Colour|Color|Paint", "{v}",
      "is painted {v}|comes in {v}",
      "has a {v} interior"),
    spec("gearbox", "str", "transmission|gearbox|gears", "Gearbox|Transmission", "{v}", "has {a_v} gearbox"),
)  # fmt: skip


def draw_car(rng: random.Random) -> dict[str, Value]:
    make, model = rng.choice(CARS)
    return {"make": text(make), "model": text(model), "year": year(rng, 2005, 2024),
            "mileage": count(rng, 5000, 220_000), "price": money(rng, 2000, 45_000, cents=False, step=50),
            "fuel": pick(rng, "petrol|diesel|electric|hybrid"),
            "colour": pick(rng, "silver|dark blue|white|red|graphite grey|black|green"),
            "gearbox": pick(rng, "manual|automatic")}  # fmt: skip


CAR = Kind(
    "car", ("car", "vehicle", "car listing"), ("ad", "listing", "classified"), CAR_FIELDS, draw_car,
    ("the {make} {model}", "this {make} {model}", "the {make} {model}"), "make", ("make", "model"),
    ("I'm shopping for a used car.", "Our dealership feed is JSON.", "I'm comparing ads from a few sites.",
     "My dad asked me to track these listings."),
    ("The seller is in a hurry to move.", "It has had {n} previous owners.", "Test drives can be booked with {who}.",
     "It was imported from {place}.", "New tyres were fitted last winter."),
)  # fmt: skip

# --- appointment -------------------------------------------------------------------------------------

SERVICES = ("check-up", "dental cleaning", "eye test", "haircut", "physio session", "vaccination", "blood test",
            "car service", "tax consultation", "piano lesson", "massage", "passport photo", "X-ray",
            "vet check-up", "driving lesson")  # fmt: skip
PRACTICES = ("Riverside Clinic", "Harbour Dental", "Oakwood Health Centre", "Clearview Opticians", "Studio Mane",
             "Northgate Physio", "Main Street Garage", "Bright Smile Dental", "Elm Tree Surgery",
             "Willow Vet Practice")  # fmt: skip
APPOINTMENT_FIELDS = (
    spec("ref", "str", "booking ref|booking reference|reference|confirmation number|booking id",
      "Booking ref|Ref|Confirmation no.", "ref {v}|#{v}", ""),
    spec("client", "str", "patient|client|customer|name|booked by|patient name", "Patient|Client|Name|For",
      "for {v}|{v}", "is for {v}|was booked by {v}|is in {v}'s name", "was moved from {v}'s slot"),
    spec("service", "str", "service|appointment type|reason|treatment|type", "Service|Type|Reason|Treatment",
      "{v}", "is a {v}|is for a {v}|covers a {v}"),
    spec("date", "date", "date|appointment date|day|scheduled for", "Date|Day|When", "{v}|on {v}",
      "is on {v}|falls on {v}|is scheduled for {v}", "was first set for {v}"),
    spec("time", "time", "time|start time|appointment time|starts at|slot", "Time|At|Slot|Start",
      "at {v}|{v}", "starts at {v}|is at {v}|begins at {v}", "was moved from {v}|ends at {v}"),
    spec("duration", "int", "duration|length|duration minutes|duration {unit}|minutes", "Duration|Length",
      "{v} min|{v} minutes", "lasts {v} minutes|takes {v} minutes|runs for {v} minutes"),
    spec("place", "str", "clinic|practice|location|place|provider|where", "Clinic|Practice|Location|Where",
      "at {v}|@ {v}", "is at {v}|takes place at {v}", "used to be at {v}"),
    spec("fee", "float", "fee|price|cost|fee {unit}|amount", "Fee|Price|Cost", "{v}|fee {v}",
      "costs {v}|has a fee of {v}|is charged at {v}"),
)  # fmt: skip


def draw_appointment(rng: random.Random) -> dict[str, Value]:
    minutes = rng.choice((15, 20, 30, 45, 60, 90))  # slots come in round lengths
    return {"ref": code(rng, rng.choice(("BK-9999", "A99999", "BKG-999", "9999-AA"))), "client": person_name(rng),
            "service": text(rng.choice(SERVICES)), "date": date(rng), "time": clock(rng),
            "duration": Value(minutes, str(minutes), "min"), "place": text(rng.choice(PRACTICES)),
            "fee": money(rng, 20, 240, cents=rng.random() < 0.4)}  # fmt: skip


APPOINTMENT = Kind(
    "appointment", ("appointment", "booking"), ("booking line", "calendar entry", "reminder"), APPOINTMENT_FIELDS,
    draw_appointment, ("booking {ref}", "the appointment {ref}"), "ref", ("ref",),
    ("I'm putting my appointments into a calendar app.", "The reminder service reads JSON.",
     "Our front desk keeps bookings in a spreadsheet.", "This came from the clinic's confirmation email."),
    ("Please arrive ten minutes early.", "Cancellations need {n} hours' notice.", "Parking is free for patients.",
     "A reminder text goes out the day before.", "The practice moved here from {place} last year."),
)  # fmt: skip


KINDS: tuple[Kind, ...] = (PERSON, PERSON_BASIC, PRODUCT, ORDER, EVENT, BOOK, POSTING, ADDRESS, FLIGHT, RECIPE,
                           INVOICE, CONTACT, MOVIE, APARTMENT, CAR, APPOINTMENT)  # fmt: skip
