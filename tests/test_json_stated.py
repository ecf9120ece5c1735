"""What the text states plainly is read by code (inference/json_stated.py), not guessed by the model: a
boolean's value, and that a labelled value is there (not null)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loco_mlx.inference.json_request import BOOLEAN, KINDS, NUMBER, TEXT, guided_keys, number_format, stated_kinds
from loco_mlx.inference.json_stated import (
    boolean_choices,
    key_words,
    labelled_values,
    present_kinds,
    stated_boolean,
)
from tests.helpers import json_training_rows

ROOT = Path(__file__).resolve().parents[1]
ANY = frozenset(KINDS)
SPEC_SHEET = (
    "model, has_anc (true/false), battery_hours (int), weight_grams (int), wireless_charging (true/false)\n\n"
    "Sony WH-1000XM5\n- Noise cancelling: yes\n- Battery: up to 30 hours\n- Weight: 250 g\n"
    "- Wireless charging: no\n- Colors: Black, Silver, Midnight Blue"
)


@pytest.mark.parametrize(
    "request_text,key,value",
    [(SPEC_SHEET, "wireless_charging", False),
     (SPEC_SHEET, "has_anc", None),  # "noise cancelling" is not the key's words: the model's to answer
     ("Smoker: No\nAllergies: none\n\nJSON with name, smoker (boolean), allergies", "smoker", False),
     ("Microchipped: Y\n\nreturn name, microchipped (true/false)", "microchipped", True),
     ("Hiring: data engineer\nWhere: Remote (US only)\n\nextract role, remote (bool)", "remote", True),
     ("The Lumen X2 desk lamp is back in stock at $49.99.\n\nproduct, in_stock (true/false)", "in_stock", True),
     ("I'd like a replacement part, not a refund.\n\norder, wants_refund (bool)", "wants_refund", False),
     ("Room Mate Alba, 4 nights, non-refundable\n\nhotel, refundable (boolean)", "refundable", False),
     ("Visa sponsorship not available.\n\nJSON: position, visa_sponsorship (true/false)", "visa_sponsorship", False),
     ("Cash or Venmo.\n\naddress, accepts_venmo (boolean)", "accepts_venmo", True),
     ("[x] Business cards\n[ ] Letterhead\n\nJSON: business_cards (bool), letterhead (bool)", "letterhead", False),
     ("[x] Business cards\n[ ] Letterhead\n\nJSON: business_cards (bool), letterhead (bool)", "business_cards", True),
     # what it leaves to the model: a question, a table, the key list itself, mentions that disagree
     ("Is she up to date on her kennel cough vaccine?\n\npet, kennel_cough_vaccinated (boolean)",
      "kennel_cough_vaccinated", None),
     ("store | price | in stock\nNewegg | $389 | No\n\nstore, in_stock (true/false)", "in_stock", None),
     ("0412   Ortega Dental   $2,150.00   PAID\n0413   Birchwood   $640.00   OVERDUE\n\nGive me the overdue one: "
      "client, paid (bool)", "paid", None),
     ("Give me name, remote (bool), city", "remote", None),
     ("Parking: yes. Street parking only, no parking on site.\n\nvenue, parking (bool)", "parking", None)],
)  # fmt: skip
def test_a_boolean_stated_plainly_is_read(request_text, key, value):
    keys = guided_keys(request_text) or [key]
    assert stated_boolean(request_text, key, keys) is value


def test_a_key_is_read_by_its_own_words():
    assert key_words("has_anc") == ["anc"] and key_words("acceptsVenmo") == ["venmo"]
    assert key_words("is") == ["is"] and key_words("pets-allowed") == ["pets", "allowed"]


def test_only_a_key_stated_as_a_boolean_is_held_to_what_the_text_says():
    keys = guided_keys(SPEC_SHEET)
    assert stated_kinds(SPEC_SHEET, "wireless_charging") == BOOLEAN
    assert boolean_choices(SPEC_SHEET, "wireless_charging", keys, BOOLEAN) == ("false",)
    assert boolean_choices(SPEC_SHEET, "wireless_charging", keys, TEXT) is None  # the request wants text
    assert boolean_choices(SPEC_SHEET, "wireless_charging", keys, None) is None  # nothing stated: the model's


def test_on_our_training_data_every_boolean_read_is_the_reference_answer():
    """A wrong reading would force a wrong value the model might have got right: on the 360 written and
    1,200 generated JSON requests, every boolean it decides is the reference's (the module docstring and
    the README quote these counts)."""
    decided, stated = 0, 0
    for request, answer in json_training_rows():
        keys = guided_keys(request) or list(answer)
        for key, value in answer.items():
            if stated_kinds(request, key) != BOOLEAN:
                continue
            stated += 1
            read = stated_boolean(request, key, keys)
            if read is not None:
                decided += 1
                assert read == value, (key, value, request)
    assert (decided, stated) == (33, 87)


@pytest.mark.parametrize(
    "request_text,key,kinds",
    [("Name: Oskar | Allergies: penicillin\n\nJSON with name, allergies (null if none)", "allergies", ANY - {"null"}),
     ("- Credits: 3\n- Grade: A\n\ncourse, credits (number), grade", "credits", NUMBER - {"null"}),
     ("Check-in: 6 June\n\nguest, check_in, check_out", "check_in", ANY - {"null"}),
     # nothing there, or not a label: null stays allowed
     ("Allergies: none\n\nJSON with name, allergies (null if none)", "allergies", None),
     ("Salary: DOE\n\njobTitle, salary (a number, null if not given)", "salary", None),
     ("Phone: -\n\nname, phone", "phone", None),
     ("She mentioned allergies: maybe later.\n\nname, allergies", "allergies", None),
     ("Return name and allergies as JSON.\nallergies: null if none mentioned\n\nName: Ana", "allergies", None)],
)  # fmt: skip
def test_a_value_the_text_labels_may_not_be_null(request_text, key, kinds):
    keys = guided_keys(request_text) or [key]
    assert present_kinds(request_text, key, keys, stated_kinds(request_text, key)) == kinds


def test_a_labelled_value_of_any_kind_keeps_its_one_word_copies():
    """Any kind but null still lets a value begun with a digit go on as a word of the request ("13:00")."""
    assert number_format(ANY - {"null"}) == number_format(None)
    assert present_kinds("Size: 12A\n\nsize", "size", ["size"], ('"S"', '"M"')) is None  # an enum stands
    assert labelled_values("Film: F1 | Rating: 12A\n\nfilm, rating", "rating", ["film", "rating"]) == ["12A"]


def test_on_our_training_data_no_labelled_value_is_null():
    """Refusing null where the answer is null would force a made-up value: on the 360 written and 1,200
    generated JSON requests, no key the text labels has a null answer (the module docstring's count)."""
    labelled, null = 0, []
    for request, answer in json_training_rows():
        keys = guided_keys(request) or list(answer)
        for key, value in answer.items():
            if present_kinds(request, key, keys, stated_kinds(request, key)) is not None:
                labelled += 1
                if value is None:
                    null.append((key, request))
    assert labelled == 259 and null == []


@pytest.mark.integration
def test_the_json_adapter_answers_what_the_spec_sheet_says(default_engine):
    """The shipped json adapter on the real base wrote wireless_charging true for "Wireless charging: no"
    (the written requests, 2026-12-07); read by code, the guide lets it write only false."""
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.engine import InferenceConfig, build_messages

    default_engine.adapter_paths["json"] = ROOT / "adapters" / "json"
    default_engine.use_adapter("json")
    try:
        answer = default_engine.answer_batch(
            [build_messages(SPEC_SHEET)], SamplingConfig(max_tokens=160, temperature=0.0), InferenceConfig()
        )[0]
    finally:
        default_engine.use_adapter(None)
    reply = json.loads(answer.text)
    assert list(reply) == ["model", "has_anc", "battery_hours", "weight_grams", "wireless_charging"]
    assert reply["wireless_charging"] is False
