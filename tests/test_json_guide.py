"""Guided JSON: reading the requested keys (inference/json_request.py), and decoding exactly that object
(inference/json_guide.py).

The key reader is checked against the reference replies of our JSON training data (generated and
written), where a wrong key list would force wrong keys: it must never be wrong there. The guide is
driven here by a "model" over a vocabulary of single characters that wants to write other keys; the
real base, on both backends, is the integration test at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from loco_mlx.inference.json_formats import NUMBER_FORMAT, NUMBER_OR_WORD_FORMAT
from loco_mlx.inference.json_guide import JsonGuide, scan_value
from loco_mlx.inference.json_request import (
    BOOLEAN,
    NUMBER,
    TEXT,
    guided_keys,
    requested_keys,
    schema_kinds,
    stated_kinds,
)
from tests.helpers import json_training_rows

ROOT = Path(__file__).resolve().parents[1]

READ = [
    ("Extract as JSON with keys: name, age, city\n\nAna, 31, Lima.", ["name", "age", "city"]),
    (
        "Give me rma, carrier, drop_off_deadline (YYYY-MM-DD) and refund_amount (number).",
        ["rma", "carrier", "drop_off_deadline", "refund_amount"],
    ),
    ('Fill this: {"brand":"","model":"","lan_ports":0}', ["brand", "model", "lan_ports"]),
    ("Convert to {name, organisation, role, workPhone, email}", ["name", "organisation", "role", "workPhone", "email"]),
    (
        'Return JSON with these keys:\n1. "qty" (int)\n2. "orderNo" (text)\n3. "total" (number)',
        ["qty", "orderNo", "total"],
    ),
    ("We need it in JSON: `title`, `company` and `salary_gbp`.", ["title", "company", "salary_gbp"]),
    (
        "Output JSON keys in this order: rma_number, product, condition (as written).",
        ["rma_number", "product", "condition"],
    ),
    (
        "Extract into JSON the town, addressee, address_1, and zip_code. Output must be valid JSON.",
        ["town", "addressee", "address_1", "zip_code"],
    ),
    ("Keys: book-title, writer", ["book-title", "writer"]),
    (
        "I need title, author and due_date as JSON. Also item_count as a number.",
        ["title", "author", "due_date", "item_count"],
    ),
]
NOT_READ = [
    "What is 15% of 80?",
    "Tell me about Lima, Quito and Bogota.",
    "ref,Status,Item,date\nGT82956,pending,kettle,2023-03-16",  # a CSV header is data, not a request
    "Nikhil: Okay, noted.",
    "Extract the person's details as JSON.",  # asks for JSON, names no keys: decoded as before
]


@pytest.mark.parametrize("request_text,keys", READ)
def test_reads_the_keys_a_request_names(request_text, keys):
    assert requested_keys(request_text) == keys


@pytest.mark.parametrize("request_text", NOT_READ)
def test_names_no_keys_where_there_are_none(request_text):
    assert requested_keys(request_text) is None


def test_a_json_adapter_guides_a_key_list_that_does_not_say_json():
    request = "London Symphony Orchestra, Barbican Hall, 23 Jan 2025\n\norchestra, conductor, venue, date (YYYY-MM-DD)"
    assert guided_keys(request) is None  # the base (or another adapter) may be asked anything: plain words
    assert guided_keys(request, json_replies=True) == ["orchestra", "conductor", "venue", "date"]
    code = "Write a Python function that returns a dict with keys name, age and city."
    assert guided_keys(code, json_replies=True) is None  # never a request for code


def test_the_engine_guides_so_for_an_adapter_whose_manifest_says_json(tmp_path, monkeypatch):
    from loco_mlx.inference import engine as engine_module
    from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages
    from tests.fake_backend import FakeBackend

    for name, domain in (("json", "json"), ("math", "math")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "loco_adapter.json").write_text(json.dumps({"name": name, "domain": domain}))
    engine = Engine(FakeBackend(), {name: tmp_path / name for name in ("json", "math")})
    # mocked: a guide needs a real tokenizer's vocabulary; this records the keys the engine guides
    monkeypatch.setattr(engine_module, "make_guide", lambda tokenizer, keys, *rest: keys)
    messages = build_messages("Ana Silva, 31, Lima.\n\nname, age, city")
    keys = InferenceConfig()
    assert engine.json_guide(messages, keys, adapter="json") == ["name", "age", "city"]
    assert engine.json_guide(messages, keys, adapter="math") is None
    assert engine.json_guide(messages, keys, adapter=None) is None
    assert engine.json_guide(messages, keys) is None  # the active adapter: the base
    engine.use_adapter("json")
    assert engine.json_guide(messages, keys) == ["name", "age", "city"]
    assert engine.json_guide(messages, InferenceConfig(json_guide="off")) is None


def test_no_guide_for_a_request_for_code():
    assert guided_keys("Write a function that returns a dict with keys: name, age") is None
    assert guided_keys("Return JSON with keys: name, age\n\nAna is 31.") == ["name", "age"]


def test_on_our_training_data_the_keys_read_are_never_wrong_and_mostly_found():
    """Checked against the keys of each reference reply: a wrong list would force wrong keys."""
    rows = [(request, list(answer)) for request, answer in json_training_rows()]
    read = [(requested_keys(request), keys) for request, keys in rows]
    wrong = [(got, keys) for got, keys in read if got is not None and got != keys]
    assert wrong == []
    assert sum(got is not None for got, _ in read) / len(rows) > 0.85


@pytest.mark.parametrize(
    "request_text,key,kinds",
    [("total (number), paid (true/false)", "total", NUMBER), ("total (number), paid (true/false)", "paid", BOOLEAN),
     ("price (number), firm_price (bool)", "price", NUMBER), ("due (YYYY-MM-DD) and amount", "due", TEXT),
     ("give me the start_time in 24h", "start_time", TEXT), ("give me seats as a number", "seats", NUMBER),
     ("give me guest_name, nights", "guest_name", TEXT), ("give me capacity, nights", "capacity", None),
     ("give me runtime_minutes", "runtime_minutes", None)],
)  # fmt: skip
def test_a_request_states_what_kind_of_value_a_key_takes(request_text, key, kinds):
    assert stated_kinds(request_text, key) == kinds


def test_on_our_training_data_the_kinds_read_always_admit_the_reference_value():
    kind = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}
    checked = 0
    for line in (ROOT / "data/json-written/written.jsonl").read_text().splitlines():
        row = json.loads(line)
        for key, value in row["json"].items():
            kinds = stated_kinds(row["request"], key)
            if kinds is not None:
                checked += 1
                assert ("null" if value is None else kind[type(value)]) in kinds, (key, value, row["request"])
    assert checked > 300


def test_schema_kinds_read_json_schema_types_and_enums():
    assert schema_kinds({"type": "string", "enum": ["low", "high"]}) == ('"low"', '"high"')
    assert schema_kinds({"const": 3}) == ("3",)
    assert schema_kinds({"type": "integer"}) == frozenset({"number"})
    assert schema_kinds({"type": ["string", "null"]}) == frozenset({"string", "null"})
    assert schema_kinds({"description": "anything"}) is None


def test_a_key_that_takes_text_never_gets_a_number():
    assert isinstance(json.loads(guided(["time"], '{"time": 13}', kinds=[TEXT]))["time"], str)


@pytest.mark.parametrize(
    "text,state",
    [('"ab', (True, False)), ('"ab"', (True, True)), ("12", (True, True)), ("12.", (True, False)),
     ("tr", (True, False)), ("null", (True, True)), ("[1, 2", (True, False)), ('[1, "x"]', (True, True)),
     ('{"a": 1}', (True, True)), ('{"a" 1', (False, False)), ('"a"x', (False, False)), ("[,", (False, False)),
     ("01", (False, False)), ('"\\q"', (False, False))],
)  # fmt: skip
def test_scan_value_knows_a_json_value_and_its_beginnings(text, state):
    assert scan_value(text) == state


def test_scan_value_copies_strings_from_the_source():
    assert scan_value('"Lyo', "based in Lyon") == (True, False)
    assert scan_value('"Lyx', "based in Lyon") == (False, False)
    assert scan_value('{"town": "Lyon"}', "based in Lyon") == (True, True)  # object keys are free


# --- the guide over a vocabulary of characters ---------------------------------------------------------

CHARS = [chr(i) for i in range(32, 127)] + ['", "', '"}', "<special>", "<eos>"]
EOS, SPECIAL = len(CHARS) - 1, len(CHARS) - 2


def guided(keys: list[str], wants: str, source: str | None = None, limit: int = 200, **options) -> str:
    """What the guide writes for a "model" that, at step i, likes the i-th character of `wants` best, then
    a closing quote, a closing brace, its special token and the end of the reply, in that order."""
    guide = JsonGuide(keys, CHARS, {EOS}, {SPECIAL}, source, **options)
    out = ""
    for step in range(limit):
        logits = np.zeros(len(CHARS))
        logits[CHARS.index('"')], logits[CHARS.index("}")], logits[SPECIAL], logits[EOS] = 4.5, 4.4, 4.0, 3.0
        if step < len(wants):
            logits[CHARS.index(wants[step])] = 5.0
        token = guide.pick(logits)
        if token == EOS:
            return out
        guide.advance(token)
        out += CHARS[token]
    raise AssertionError(f"no end after {limit} tokens: {out!r}")


def test_the_requested_keys_are_written_verbatim_whatever_the_model_wants():
    reply = guided(["personName", "e-mail_2", "Zip Code"], '{"name": "Vera", "mail": "v@x.io", "zip": 12}')
    assert list(json.loads(reply)) == ["personName", "e-mail_2", "Zip Code"]


@pytest.mark.parametrize("seed", range(5))
def test_generated_schemas_with_unusual_key_names_come_back_exactly(seed):
    rng = np.random.default_rng(seed)
    pool = ["x", "Qty_2", "camelCaseKey", "kebab-key", "ÄÖ", "with space", "UPPER", "a.b", "price_usd", "_id"]
    keys = list(rng.choice(pool, size=rng.integers(2, 6), replace=False))
    reply = guided(keys, '{"a": 1, "b": "two", "c": null}')
    assert list(json.loads(reply)) == keys


def test_values_are_the_models_and_the_reply_ends_only_when_closed():
    reply = guided(["name", "age"], '{"name": "Ana", "age": 31}')
    assert json.loads(reply) == {"name": "Ana", "age": 31}
    # a model that would stop early still closes the object
    early = json.loads(guided(["a", "b"], '{"a": 1'))
    assert list(early) == ["a", "b"] and early["a"] == 1


def test_copy_mode_keeps_string_values_to_pieces_of_the_request():
    reply = guided(["web"], '{"web": "www.quaysidearchats.com"}', source="site: www.quaysidearchitects.com")
    assert json.loads(reply)["web"] in "site: www.quaysidearchitects.com"


def test_an_enum_value_is_one_of_its_values():
    wants = '{"priority": "urgent", "n": 2}'
    assert json.loads(guided(["priority", "n"], wants))["priority"] == "urgent"  # no rule: the model's own value
    enum = json.loads(guided(["priority", "n"], wants, kinds=[('"low"', '"high"', "null"), None]))
    assert enum["priority"] in ("low", "high", None)


def test_a_string_value_that_runs_on_is_closed():
    reply = guided(["a"], '{"a": "' + "x" * 50, max_text=10)
    assert set(json.loads(reply)["a"]) == {"x"} and len(json.loads(reply)["a"]) <= 11


def test_a_number_is_written_as_the_request_writes_it_and_read_by_code():
    request = "Villa for 2 adults, total IDR 48,650,000, 74k points"
    options = dict(formats=[NUMBER_FORMAT, NUMBER_FORMAT, NUMBER_FORMAT], context=request)
    guide_reply = guided(["total_idr", "adults", "points"], '{"total_idr": 48,650,000, "adults": 2, "points": 74k}',
                         **options)  # fmt: skip
    assert guide_reply == '{"total_idr": 48,650,000, "adults": 2, "points": 74k}'
    rewritten = JsonGuide(["total_idr", "adults", "points"], CHARS, {EOS}, **options).rewriter().rewrite(guide_reply)
    assert json.loads(rewritten) == {"total_idr": 48650000, "adults": 2, "points": 74000}
    # "2," the request never writes with digits after it: the comma ends the value, as without the format
    reply = guided(["a", "b"], '{"a": 2,5, "b": 1}', **dict(options, formats=[NUMBER_FORMAT, NUMBER_FORMAT]))
    assert json.loads(reply)["a"] == 2


def test_an_extractions_number_is_one_the_request_writes():
    request = "Villa for two adults, total IDR 48,650,000"
    options = dict(formats=[NUMBER_FORMAT, NUMBER_FORMAT], context=request, copy_numbers=True)
    reply = guided(["total_idr", "adults"], '{"total_idr": 4865000, "adults": 3}', **options)  # a digit dropped
    assert json.loads(reply)["total_idr"] == 48650000  # not ended short
    assert json.loads(reply)["adults"] != 3  # the request writes no 3
    free = guided(["total_idr", "adults"], '{"total_idr": 4865000, "adults": 3}', **dict(options, copy_numbers=False))
    assert json.loads(free) == {"total_idr": 4865000, "adults": 3}  # a schema's numbers may be made up


def test_a_value_of_any_kind_may_be_copied_unquoted_but_a_number_is_cut_where_it_ends():
    request = "Screening at 13:00, 2 adults"
    wants = '{"time": 13:00, "adults": 2 adults}'
    free = dict(formats=[NUMBER_OR_WORD_FORMAT, NUMBER_OR_WORD_FORMAT], context=request)
    reply = guided(["time", "adults"], wants, **free)
    assert reply.startswith('{"time": 13:00, "adults": 2')
    rewritten = JsonGuide(["time", "adults"], CHARS, {EOS}, **free).rewriter().rewrite(reply)
    assert json.loads(rewritten)["time"] == "13:00"
    number = dict(formats=[NUMBER_FORMAT, NUMBER_FORMAT], context=request)  # a key that takes a number: cut at 13
    assert json.loads(guided(["time", "adults"], wants, **number))["time"] == 13


def test_a_text_value_the_model_begins_as_a_number_is_opened_as_a_string():
    # the likeliest allowed token after the model's "1" is a junk token that merely starts with a quote
    vocab = [*CHARS, '");']
    guide = JsonGuide(["t"], vocab, {EOS}, {SPECIAL}, kinds=[TEXT], candidates=1)
    out = ""
    for want in '{"t": 116:15"}':  # the first "1" is the step the string is opened on
        logits = np.zeros(len(vocab))
        logits[vocab.index('");')], logits[vocab.index('"')] = 3.0, 1.0
        logits[vocab.index(want)] = 5.0
        token = guide.pick(logits)
        guide.advance(token)
        out += vocab[token]
        if guide.done:
            break
    assert out == '{"t": "16:15"}'


def test_a_guide_never_takes_a_special_token():
    guide = JsonGuide(["a"], CHARS, {EOS}, {SPECIAL})
    logits = np.zeros(len(CHARS))
    logits[SPECIAL] = 10.0
    assert guide.pick(logits) == CHARS.index("{")


def test_sampling_draws_only_allowed_tokens():
    rng = np.random.default_rng(0)
    for _ in range(20):
        guide = JsonGuide(["k"], CHARS, {EOS}, {SPECIAL})
        assert CHARS[guide.pick(np.zeros(len(CHARS)), temperature=1.0, rng=rng)] == "{"


# --- the real base, on both backends ---------------------------------------------------------------------

REQUEST = "Return JSON with keys: fullName, years_old, home-town\n\nAna Silva is 31 and lives in Lima."


@pytest.mark.integration
def test_the_engine_guides_a_request_that_names_keys_on_mlx(default_engine):
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.engine import InferenceConfig, build_messages

    sampling = SamplingConfig(max_tokens=60, temperature=0.0)
    messages = build_messages(REQUEST)
    answer = default_engine.answer(messages, sampling, InferenceConfig(json_guide="keys"))
    assert list(json.loads(answer.text)) == ["fullName", "years_old", "home-town"]
    plain = default_engine.answer(messages, sampling, InferenceConfig(json_guide="off"))
    assert plain.text != answer.text  # the guide changed the reply: the base alone writes something else
    batch = default_engine.answer_batch([messages], sampling, InferenceConfig(json_guide="keys"))
    assert batch[0].text == answer.text


@pytest.mark.integration
@pytest.mark.llamacpp
def test_the_engine_guides_the_same_way_on_llama_cpp(default_home, default_engine, monkeypatch):
    from loco_mlx.bases.store import BaseStore
    from loco_mlx.inference.backend import SamplingConfig
    from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages
    from loco_mlx.inference.llamacpp import LlamaCppBackend

    monkeypatch.setenv("LOCO_HOME", str(default_home))
    engine = Engine(LlamaCppBackend(BaseStore(default_home).get("smollm2-135m-instruct")))
    try:
        sampling = SamplingConfig(max_tokens=60, temperature=0.0)
        answer = engine.answer(build_messages(REQUEST), sampling, InferenceConfig(json_guide="copy"))
        reply = json.loads(answer.text)
        assert list(reply) == ["fullName", "years_old", "home-town"]
        assert all(v in REQUEST for v in reply.values() if isinstance(v, str))
    finally:
        engine.close()
