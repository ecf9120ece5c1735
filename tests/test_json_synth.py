"""The JSON extraction generator: each request names its own keys, in its own order, and the reply follows it.

verify refuses a reply that renames, reorders or drops a key, states a value the text does not,
or writes null where the request does not allow it; a generated set uses many key spellings and
wordings, keeps plain name/age/city requests in the mix, and writes null only when asked to.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from loco_mlx.data import synth
from loco_mlx.data.diversity import MIN_DISTINCT_4GRAMS, MIN_OPENINGS, measure, opening
from loco_mlx.data.synth.common import Sample
from loco_mlx.data.synth.json_extract import DOMAIN, stated_key_lists, verify
from loco_mlx.data.synth.json_forms import FORMS
from loco_mlx.data.synth.json_kinds import KINDS
from loco_mlx.errors import LocoError

BASIC_KEYS = {"name", "age", "city", "job", "email"}


@pytest.fixture(scope="module")
def data():
    return synth.generate("json", train=600, valid=20, benchmark=40, seed=7)


@pytest.fixture(scope="module")
def samples(data):
    return data.train + data.valid + data.benchmark


def wrong(sample: Sample, reply: dict) -> Sample:
    """The sample with `reply` as its reference, as a buggy generator would write it."""
    return Sample(sample.prompt, json.dumps(reply, ensure_ascii=False), reply, sample.difficulty, sample.template)


def first_with(samples, test) -> Sample:
    return next(s for s in samples if test(s))


def is_plain_person(sample: Sample) -> bool:
    return {"name", "age", "city"} <= set(sample.expected) <= BASIC_KEYS


# --- verify refuses wrong replies --------------------------------------------------------------------


def test_verify_accepts_every_generated_sample(samples):
    for sample in samples:
        verify(sample)


def test_verify_refuses_a_renamed_key(samples):
    sample = first_with(samples, lambda s: "city" in s.expected and "town" not in s.prompt.lower())
    renamed = {("town" if key == "city" else key): value for key, value in sample.expected.items()}
    with pytest.raises(LocoError, match="not a list the request states"):
        verify(wrong(sample, renamed))
    first = next(iter(sample.expected))
    suffixed = {(f"{key}_value" if key == first else key): value for key, value in sample.expected.items()}
    with pytest.raises(LocoError, match="not a list the request states"):
        verify(wrong(sample, suffixed))


def test_verify_refuses_a_reordered_or_dropped_key(samples):
    sample = first_with(samples, lambda s: len(s.expected) >= 3)
    keys = list(sample.expected)
    swapped = {key: sample.expected[key] for key in [keys[1], keys[0], *keys[2:]]}
    with pytest.raises(LocoError, match="not a list the request states"):
        verify(wrong(sample, swapped))
    dropped = {key: sample.expected[key] for key in keys[:-1]}
    with pytest.raises(LocoError, match="not a list the request states"):
        verify(wrong(sample, dropped))


def test_verify_refuses_a_value_not_in_the_text(samples):
    sample = first_with(samples, lambda s: any(isinstance(v, str) for v in s.expected.values()))
    key = next(k for k, v in sample.expected.items() if isinstance(v, str))
    with pytest.raises(LocoError, match="is not in the text"):
        verify(wrong(sample, dict(sample.expected, **{key: "Atlantis"})))
    sample = first_with(samples, lambda s: any(type(v) is int for v in s.expected.values()))
    key = next(k for k, v in sample.expected.items() if type(v) is int)
    with pytest.raises(LocoError, match="is not a number in the text"):
        verify(wrong(sample, dict(sample.expected, **{key: 987654321})))


def test_verify_refuses_a_null_the_request_does_not_allow(samples):
    sample = first_with(samples, lambda s: "null" not in s.prompt.lower())
    key = next(iter(sample.expected))
    with pytest.raises(LocoError, match="does not allow null"):
        verify(wrong(sample, dict(sample.expected, **{key: None})))


def test_verify_refuses_a_reply_that_is_not_the_expected_object(samples):
    sample = samples[0]
    pairs = list(sample.expected.items())
    reversed_reply = json.dumps(dict(reversed(pairs)), ensure_ascii=False)
    with pytest.raises(LocoError, match="is not the expected object"):
        verify(Sample(sample.prompt, reversed_reply, sample.expected, sample.difficulty))
    pretty = json.dumps(sample.expected, ensure_ascii=False, indent=2)
    with pytest.raises(LocoError, match="as json.dumps writes it"):
        verify(Sample(sample.prompt, pretty, sample.expected, sample.difficulty))


def test_stated_key_lists_reads_inline_lists_bullets_and_skeletons():
    prompt = (
        "Extract `name`, `age` (number), and `home_city` from the text as JSON. Use null if missing.\n\n"
        'Fill in:\n{"sku": "", "inStock": "..."}\n\nKeys:\n- first_name\n- lastName\n\nAna and Tom, 34.'
    )
    lists = stated_key_lists(prompt)
    assert ["name", "age", "home_city"] in lists
    assert ["sku", "inStock"] in lists and ["first_name", "lastName"] in lists
    assert ["name", "age"] not in lists  # a list is read whole: a reply without home_city is refused


# --- what a generated set holds ------------------------------------------------------------------------


def test_key_names_vary_in_spelling_and_casing(data):
    keys = Counter(key for s in data.train for key in s.expected)
    assert len(keys) >= 300
    assert sum(bool(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", k)) for k in keys) >= 60  # camelCase
    assert sum(bool(re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)+", k)) for k in keys) >= 60  # snake_case
    assert any(re.fullmatch(r"(?:[A-Z][a-z0-9]+){2,}", k) for k in keys)  # PascalCase
    assert any("-" in k for k in keys)  # kebab-case
    assert {"city", "town", "location"} <= set(keys)  # one meaning, several names
    assert any(k.endswith(("_usd", "_eur", "_gbp", "Usd", "Eur", "Gbp")) for k in keys)  # a unit suffix


def test_key_order_follows_the_request(data):
    plain_orders = Counter(tuple(s.expected) for s in data.train if set(s.expected) == {"name", "age", "city"})
    assert ("name", "age", "city") in plain_orders and len(plain_orders) >= 2  # not always the natural order
    for sample in data.train:
        assert list(sample.expected) in stated_key_lists(sample.prompt), sample.prompt
        assert list(json.loads(sample.reply)) == list(sample.expected)


def test_plain_person_requests_are_in_the_mix_and_worded_variously(data):
    plain = [s for s in data.train if is_plain_person(s)]
    assert 0.08 <= len(plain) / len(data.train) <= 0.18
    assert any("job" in s.expected for s in plain) and any("email" in s.expected for s in plain)
    assert len({opening(s.prompt) for s in plain}) >= 0.6 * len(plain)
    for sample in plain:
        assert sample.expected["name"] in sample.prompt and type(sample.expected["age"]) is int


def test_nulls_only_where_the_request_allows_them(data):
    with_null = [s for s in data.train if None in s.expected.values()]
    allowing = [s for s in data.train if re.search(r"\bnull\b", s.prompt, re.IGNORECASE)]
    assert len(with_null) >= 0.05 * len(data.train)
    assert all(s in allowing for s in with_null)
    assert len(allowing) > len(with_null)  # saying null may be used does not mean a value is missing
    assert not any(None in s.expected.values() for s in data.train if is_plain_person(s))


def test_values_are_typed_and_dates_normalised_only_when_asked(data):
    values = [v for s in data.train for v in s.expected.values()]
    assert any(type(v) is int for v in values) and any(type(v) is float for v in values)
    assert any(v is True for v in values) and any(v is False for v in values)
    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    for sample in data.train:
        for value in sample.expected.values():
            if isinstance(value, str) and iso.fullmatch(value) and value not in sample.prompt:
                assert re.search(r"YYYY-MM-DD|\bISO\b", sample.prompt), sample.prompt


def test_times_converted_to_24_hour_only_when_asked(data):
    converted = 0
    for sample in data.train:
        for value in sample.expected.values():
            if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value) and value not in sample.prompt:
                assert re.search(r"24-hour|24h|HH:MM", sample.prompt), sample.prompt
                assert re.search(r"\d ?[ap]\.?m\b", sample.prompt, re.IGNORECASE), sample.prompt  # a 12-hour time
                converted += 1
    assert converted >= 5  # the set teaches the conversion, not only copying


def test_verify_refuses_a_time_left_on_the_12_hour_clock(samples):
    sample = first_with(
        samples,
        lambda s: any(isinstance(v, str) and re.fullmatch(r"\d{2}:\d{2}", v) and v not in s.prompt
                      for v in s.expected.values()),
    )  # fmt: skip
    key = next(k for k, v in sample.expected.items() if isinstance(v, str) and re.fullmatch(r"\d{2}:\d{2}", v))
    hour, minute = (int(part) for part in sample.expected[key].split(":"))
    shifted = {**sample.expected, key: f"{(hour + 1) % 24:02d}:{minute:02d}"}  # an hour off: not the time the text says
    with pytest.raises(LocoError, match="not in the text"):
        verify(wrong(sample, shifted))


def test_some_requests_ask_for_a_dict_or_record_without_saying_json(data):
    unnamed = [s for s in data.train if "json" not in s.prompt.lower()]
    assert len(unnamed) >= len(data.train) // 10
    assert any(re.search(r"\bdict(?:ionary)?\b", s.prompt, re.IGNORECASE) for s in unnamed)


def test_requests_are_worded_variously(data):
    found = measure([s.prompt for s in data.train])
    assert found.openings >= MIN_OPENINGS and found.distinct_4grams >= MIN_DISTINCT_4GRAMS, found.summary()


def test_every_kind_and_form_is_trained_on(data):
    trained = {s.template for s in data.train}
    assert len(KINDS) >= 14
    for kind in KINDS:
        assert any(t.startswith(f"{kind.name}-") for t in trained), kind.name
    for form in FORMS:
        assert any(t.endswith(f"-{form}") for t in trained), form
    assert len(DOMAIN.templates) >= 150
