"""Dates, times and numbers in the form a request asks for, written by code (inference/json_formats.py and
json_numbers.py).

Pure tests of the reading, the conversion and the streaming rewriter; the engine's wiring is tested on
a stand-in backend that replays a fixed guided reply (a fake has no logits for a guide to pick from, so
the model's part is mocked there and the test says so); the real base runs it in test_json_guide.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from loco_mlx.inference.backend import GenerationStats, SamplingConfig, StreamEvent
from loco_mlx.inference.json_formats import (
    DATE_FORMAT,
    NAME_FORMAT,
    NUMBER_FORMAT,
    NUMBER_OR_WORD_FORMAT,
    TIME_FORMAT,
    FormatRewriter,
    ValueFormat,
    time_mentions,
    to_date,
    to_time,
    without_format,
)
from loco_mlx.inference.json_numbers import scan_copied, scan_copied_number, scan_number, to_number
from loco_mlx.inference.json_request import format_choices, guided_keys, stated_format
from loco_mlx.inference.voting import Sample
from tests.helpers import json_training_rows

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "text,date",
    [("March 3, 2024", "2024-03-03"), ("14 March 2025", "2025-03-14"), ("22/11/2024", "2024-11-22"),
     ("2 Sept 2025", "2025-09-02"), ("Wednesday, 21 May 2025", "2025-05-21"), ("Saturday August 16 2025", "2025-08-16"),
     ("Aug. 16th, 2025", "2025-08-16"), ("2024.10.03 14:22", "2024-10-03"), ("2024-7-3", "2024-07-03"),
     ("Mon 14 Apr", "2025-04-14"),  # the year from the request
     ("03/04/2025", None), ("31 Feb 2024", None), ("2025-13-01", None), ("next Tuesday", None), ("", None)],
)  # fmt: skip
def test_dates_are_read_only_when_one_reading_is_possible(text, date):
    assert to_date(text, "Dates as YYYY-MM-DD, the year is 2025.") == date


def test_a_date_without_its_year_needs_exactly_one_year_stated_in_the_request():
    assert to_date("14 Apr", "no year here") is None
    assert to_date("14 Apr", "in 2024, then in 2025") is None
    assert to_date("14 Apr", "Invoice total 2000 EUR, due 14 Apr") is None  # an amount is no year
    assert to_date("14 Apr", "all dates are in 2025") == "2025-04-14"


def test_a_year_the_reading_did_not_take_leaves_the_date_as_written():
    assert to_date("May 1-3, 2024", "in 2023") is None
    assert to_date("March 3, '24", "in 2023") is None
    assert to_date("\u017fep 3, 2024") is None  # not an ASCII month name


@pytest.mark.parametrize(
    "text,time",
    [("3:30 PM", "15:30"), ("8 PM", "20:00"), ("8:00", "08:00"), ("2240", "22:40"), ("4.45pm", "16:45"),
     ("12 am", "00:00"), ("noon", "12:00"), ("Wed 19 Mar, 4.45pm", "16:45"), ("2024.10.03 14:22", "14:22"),
     ("21NOV", None), ("13", None), ("24h HH:MM", None), ("13 pm", None), ("25:10", None),
     ("at 3:30 PM", "15:30"), ("Fri 9:45 pm", "21:45"), ("March 3, 2024 at 3:30 PM", "15:30"),
     ("June 3, 2024 at 1430", None), ("19.03.2025 16:45", "16:45"), ("9:00 or 10:30", None)],
)  # fmt: skip
def test_times_become_24_hour(text, time):
    assert TIME_FORMAT.convert(text) == time
    if time and " " not in text:
        assert to_time(text) == time


@pytest.mark.parametrize(
    "request_text,key,fmt",
    [("order_number, order_date (as YYYY-MM-DD), quantity", "order_date", DATE_FORMAT),
     ("return start_date, end_date. Dates as YYYY-MM-DD, the year is 2025.", "end_date", DATE_FORMAT),
     ("Keys: passenger, boarding_time. boarding_time as HH:MM.", "boarding_time", TIME_FORMAT),
     ("candidate, time_24h (HH:MM), meeting_link", "time_24h", TIME_FORMAT),
     ("give me show_time in 24-hour time", "show_time", TIME_FORMAT),
     ("return start_date, end_date. Dates as YYYY-MM-DD.", "venue", None),  # no date in its name
     ("order_date, total", "order_date", None),  # no format asked for
     ("window_start, window_end (HH:MM)", "window_start", None),  # said of another key only
     ("created_at (YYYY-MM-DD HH:MM)", "created_at", None),  # a longer format is not ours
     ("split_time (HH:MM:SS)", "split_time", None),
     ("start_date (YYYY-MM-DD), end_date (DD/MM/YYYY)", "end_date", None),  # its own format wins
     ("start_time (HH:MM), end_time (h:mm AM/PM)", "end_time", None),
     ("We reply within 24 hours. Keys: created_time, note", "created_time", None),  # a span, not a format
     ("Keys: created_time, time_zone. Times as HH:MM.", "time_zone", None),  # its last word is not time
     ("Get organizer_email, date (ISO, YYYY-MM-DD), duration", "date", DATE_FORMAT),
     ("name, date (ISO), start_time", "date", DATE_FORMAT), ("dob as ISO 8601", "dob", DATE_FORMAT),
     ("start_date as ISO datetime", "start_date", None), ("start_time (ISO)", "start_time", None),
     ("window_start and window_end (both HH:MM), crew", "window_start", TIME_FORMAT),
     ("window_start and window_end (both HH:MM), crew", "window_end", TIME_FORMAT),
     ("order, new_ship_date, old_ship_date (both YYYY-MM-DD)", "order", None),  # "both": two keys, not three
     ("from_date, to_date, note (all YYYY-MM-DD)", "from_date", DATE_FORMAT),
     ("name, from_date (all YYYY-MM-DD)", "name", None)],  # "all" of the keys that say date
)  # fmt: skip
def test_a_request_says_which_values_take_a_format(request_text, key, fmt):
    assert stated_format(request_text, key) == fmt


@pytest.mark.parametrize(
    "text,times",
    [("Garage sale Sat 8am-1pm, 14 Birch Ln. Kids bikes $15", ["8am", "1pm"]),
     ("delivered on 2024/07/03 at 4:15 PM", ["4:15 PM"]),
     ("moved to Wed 19 Mar, 4.45pm. Reply at 8 a.m.", ["4.45pm", "8 a.m."]),
     ("BANANAS 1.29 / 03/08/24 5:52 PM", ["5:52 PM"]), ("departs 16:45 (was 15:10)", ["16:45", "15:10"]),
     ("14:00–15:30 (CEST) at noon, not in the afternoon", ["14:00", "15:30", "noon"]),
     ("Mondays 2:30–3:45 pm, hours 10–11 am, or 11-1 pm, 12–2 pm", ["2:30 pm", "3:45 pm", "10 am", "11 am",
                                                                    "1 pm", "12 pm", "2 pm"]),
     ("start_time (24h HH:MM), version 2.10, price 12.99, 25:10, 3 pm", ["3 pm"])],
)  # fmt: skip
def test_the_times_a_request_writes_are_found_as_it_writes_them(text, times):
    assert time_mentions(text) == times


def test_a_time_key_chooses_among_the_requests_own_times():
    """ "start_time (24h HH:MM)" was answered "24h HH:MM" by the json adapter: the guide now offers the times."""
    request = "Garage sale Sat 8am-1pm. I only want: start_time (24h HH:MM), end_time (24h HH:MM), price"
    assert format_choices(request, TIME_FORMAT) == ('"8am"', '"1pm"', "null")
    assert format_choices("start_time (24h HH:MM), no time given", TIME_FORMAT) is None  # none written: anything
    assert format_choices(request, DATE_FORMAT) is None


def test_on_our_training_data_a_time_key_has_its_answer_among_its_choices():
    """Choices that leave out the right time would make a right answer impossible: every one but a
    voicemail's ("quarter to four", where the only time written is its length, 0:42) holds it."""
    missed, offered = [], 0
    for request, answer in json_training_rows():
        for key in guided_keys(request) or []:
            choices = format_choices(request, stated_format(request, key))
            if choices is None:
                continue
            offered += 1
            readings = {TIME_FORMAT.convert(json.loads(choice)) for choice in choices if choice != "null"}
            if answer.get(key) is not None and answer[key] not in readings:
                missed.append((key, answer[key], choices))
    assert offered > 50 and missed == [("appointment_time", "15:45", ('"0:42"', "null"))]


def test_on_our_training_data_every_value_marked_is_in_its_format():
    """A wrong mark would have the code rewrite a value nobody asked to be rewritten: a date or time is in its
    format, and a name asked for bare or a value asked without a mark is one that converting leaves alone."""
    patterns = {DATE_FORMAT: r"\d{4}-\d\d-\d\d", TIME_FORMAT: r"\d\d:\d\d"}
    marked, bare = 0, 0
    for request, answer in json_training_rows():
        for key in guided_keys(request) or []:
            fmt = stated_format(request, key)
            value = answer.get(key)
            if fmt in patterns:
                marked += 1
                assert value is None or re.fullmatch(patterns[fmt], str(value)), (key, value, request)
            elif fmt is not None:
                bare += 1
                assert value is None or fmt.convert(value) in (None, value), (key, value, request)
    assert marked > 150 and bare == 11  # the README says 11


@pytest.mark.parametrize(
    "request_text,key,fmt",
    [("instructor (name without the title), room", "instructor", NAME_FORMAT),
     ("supervisor (name only, no title)", "supervisor", NAME_FORMAT),
     ("patient_name (no title), dob", "patient_name", NAME_FORMAT),
     ("candidate_name (no honorific)", "candidate_name", NAME_FORMAT),
     ("field (just the field name, without the plot note)", "field", NAME_FORMAT),
     ("app_version (without the v), os", "app_version", without_format("v")),
     ("username (without @)", "username", without_format("@")),
     ("invoice_number (without the #)", "invoice_number", without_format("#")),
     ("model (without screen size)", "model", None), ("title (no subtitle)", "title", None),
     ("name, job_title", "name", None)],
)  # fmt: skip
def test_a_request_may_ask_for_a_name_bare_or_a_value_without_its_mark(request_text, key, fmt):
    assert stated_format(request_text, key) == fmt


def test_a_value_format_is_one_code_can_write_and_says_which_it_is():
    assert str(without_format("v")) == "without v" and without_format("v") == ValueFormat("without", "v")
    assert TIME_FORMAT.rewrites_text and not TIME_FORMAT.reads_number and NUMBER_FORMAT.reads_number
    assert NUMBER_OR_WORD_FORMAT.copies_word and not NUMBER_FORMAT.copies_word
    assert NUMBER_FORMAT.convert("48,650,000") is None  # numbers are read by to_number, as the reply streams
    with pytest.raises(ValueError, match="'weekday'"):
        ValueFormat("weekday")
    with pytest.raises(ValueError, match="without"):
        ValueFormat("without")  # a mark is needed
    with pytest.raises(ValueError, match="'@'"):
        ValueFormat("date", "@")


@pytest.mark.parametrize(
    "value,fmt,out",
    [("Prof. Carla Reyes", NAME_FORMAT, "Carla Reyes"), ("Frau Dr. Sabine Krüger", NAME_FORMAT, "Sabine Krüger"),
     ("RN Grace Mwangi", NAME_FORMAT, "Grace Mwangi"), ("Mrs Joan Pettigrew", NAME_FORMAT, "Joan Pettigrew"),
     ("Field 7 (north plot)", NAME_FORMAT, "Field 7"), ("Ana Ruiz, MD", NAME_FORMAT, "Ana Ruiz"),
     ("Hon Wai Lee", NAME_FORMAT, "Hon Wai Lee"), ("Dr.", NAME_FORMAT, "Dr."),
     ("Drew Barry", NAME_FORMAT, "Drew Barry"), ("v4.2.1", without_format("v"), "4.2.1"),
     ("version 4", without_format("v"), None), ("@lhoang", without_format("@"), "lhoang"),
     ("#2024-017", without_format("#"), "2024-017"), ("lhoang", without_format("@"), None),
     ("@", without_format("@"), None)],
)  # fmt: skip
def test_a_name_loses_its_title_and_note_and_a_value_its_mark(value, fmt, out):
    rewritten = FormatRewriter(["k"], [fmt]).rewrite(json.dumps({"k": value}, ensure_ascii=False))
    assert json.loads(rewritten)["k"] == (out or value)  # None: left as the model wrote it
    assert fmt.convert(value) == out


def test_the_rewriter_holds_a_formatted_value_until_it_is_whole_then_converts_it():
    reply = '{"order_date": "March 3, 2024", "qty": 2, "note": "3 PM"}'
    rewriter = FormatRewriter(["order_date", "qty", "note"], [DATE_FORMAT, None, None])
    shown = [rewriter.feed(c) for c in reply]
    assert "".join(shown) + rewriter.flush() == '{"order_date": "2024-03-03", "qty": 2, "note": "3 PM"}'
    assert "".join(shown[: len('{"order_date": "Mar')]) == '{"order_date": '  # held: nothing of it shown yet
    assert FormatRewriter(["t"], [TIME_FORMAT]).rewrite('{"t": "3:30 PM"}') == '{"t": "15:30"}'


def test_what_cannot_be_read_is_left_as_the_model_wrote_it():
    rewriter = FormatRewriter(["d", "t"], [DATE_FORMAT, TIME_FORMAT])
    assert rewriter.rewrite('{"d": "next Tuesday", "t": null}') == '{"d": "next Tuesday", "t": null}'
    cut = FormatRewriter(["a", "d"], [None, DATE_FORMAT])  # cut off at max_tokens inside the value
    assert cut.rewrite('{"a": "x", "d": "14 Mar') == '{"a": "x", "d": "14 Mar'
    other = FormatRewriter(["d"], [DATE_FORMAT])  # not the scaffold it expects: passed through
    assert other.rewrite("I cannot help with that.") == "I cannot help with that."


class _Replay:
    """Mocked model: replays `text` for any guided prompt, a character per event (the engine's rewriting
    is what is tested, not the model)."""

    name = "replay"

    def __init__(self, text: str):
        from tests.fake_backend import FakeBackend

        self.fake, self.text = FakeBackend(), text
        self.tokenizer, self.adapters, self.info = self.fake.tokenizer, self.fake.adapters, self.fake.info

    def encode_chat(self, messages):
        return self.fake.encode_chat(messages)

    def stream(self, prompt_ids, sampling, guide=None):
        for i, char in enumerate(self.text, 1):
            last = i == len(self.text)
            yield StreamEvent(char, GenerationStats(len(prompt_ids), i, 1.0, 1.0, "stop") if last else None)

    def generate_batch(self, prompts, sampling, guides=None):
        return [Sample(self.text, -0.1, len(self.text)) for _ in prompts]


def test_the_engine_rewrites_guided_dates_when_streaming_and_in_batches(monkeypatch):
    from loco_mlx.inference import engine as engine_module
    from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages

    reply = '{"order_id": "A-5", "order_date": "March 3, 2024"}'
    engine = Engine(_Replay(reply))

    # mocked: a guide needs the real tokenizer's vocabulary; this one only carries the keys and formats
    def stand_in(tokenizer, keys, stops, source, kinds, formats, context, copy_numbers=False):
        assert copy_numbers  # a request's own key list: an extraction, whose numbers are the request's
        return SimpleNamespace(keys=keys, rewriter=lambda: FormatRewriter(keys, formats, context))

    monkeypatch.setattr(engine_module, "make_guide", stand_in)
    messages = build_messages("Extract order_id, order_date (YYYY-MM-DD) as JSON: order A-5, placed March 3, 2024.")
    greedy = SamplingConfig(max_tokens=200, temperature=0.0)
    events = list(engine.chat(messages, greedy, InferenceConfig(reread=False)))
    want = '{"order_id": "A-5", "order_date": "2024-03-03"}'
    assert "".join(e.text for e in events) == want and events[-1].stats is not None
    assert engine.answer_batch([messages], greedy, InferenceConfig(reread=False))[0].text == want
    off = engine.answer_batch([messages], greedy, InferenceConfig(reread=False, json_guide="off"))
    assert off[0].text == reply  # unguided: nothing is rewritten


def test_the_engine_writes_a_name_bare_where_the_request_asks(monkeypatch):
    from loco_mlx.inference import engine as engine_module
    from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages

    engine = Engine(_Replay('{"student": "Tomás", "supervisor": "Prof. Carla Reyes"}'))

    # mocked as above: the guide's vocabulary is not what is tested
    def stand_in(tokenizer, keys, stops, source, kinds, formats, context, copy_numbers=False):
        return SimpleNamespace(keys=keys, rewriter=lambda: FormatRewriter(keys, formats, context))

    monkeypatch.setattr(engine_module, "make_guide", stand_in)
    ask = "Tomás, 3rd year, supervised by Prof. Carla Reyes. JSON: student, supervisor (name only, no title)"
    greedy = SamplingConfig(max_tokens=200, temperature=0.0)
    answer = engine.answer_batch([build_messages(ask)], greedy, InferenceConfig(reread=False))[0]
    assert answer.text == '{"student": "Tomás", "supervisor": "Carla Reyes"}'


def test_the_batched_server_sends_the_rewritten_text():
    from loco_mlx.serve.batched import BatchWorker, LiveRow
    from loco_mlx.serve.worker import Piece

    sent = []
    handle = SimpleNamespace(text="", tokens=[], done=False, finish_reason="stop", stats=None)
    row = LiveRow(SimpleNamespace(emit=sent.append), handle, rewriter=FormatRewriter(["d"], [DATE_FORMAT]))
    worker = SimpleNamespace(metrics=SimpleNamespace(count_pending=lambda n: None))
    for piece in ('{"d": "14 Ma', 'rch 2025"}'):
        handle.text += piece
        BatchWorker._forward(worker, row)
    assert "".join(p.text for p in sent if isinstance(p, Piece)) == '{"d": "2025-03-14"}'


def test_a_fresh_guide_keeps_its_formats():
    from loco_mlx.inference.json_guide import JsonGuide

    guide = JsonGuide(["d", "n"], ["a", "b"], {1}, formats=[DATE_FORMAT, None], context="in 2025")
    assert guide.fresh().rewriter().rewrite('{"d": "14 Apr", "n": 1}') == '{"d": "2025-04-14", "n": 1}'
    assert JsonGuide(["d"], ["a"], {0}).rewriter() is None  # no format: nothing to rewrite


def test_streamed_pieces_of_any_size_give_the_whole_reply_rewritten():
    import random

    rng = random.Random(5)
    keys, formats = ["d\u00e9but", "t", "note"], [DATE_FORMAT, TIME_FORMAT, None]
    reply = '{"d\\u00e9but": "2 Sept 2025", "t": "4.45pm", "note": "say \\"hi\\" at 3 PM"}'
    whole = FormatRewriter(keys, formats).rewrite(reply)
    assert whole == '{"d\\u00e9but": "2025-09-02", "t": "16:45", "note": "say \\"hi\\" at 3 PM"}'
    for _ in range(200):
        rewriter, cuts = FormatRewriter(keys, formats), sorted(rng.sample(range(1, len(reply)), 6))
        pieces = [reply[a:b] for a, b in zip([0, *cuts], [*cuts, len(reply)])]
        assert "".join(rewriter.feed(p) for p in pieces) + rewriter.flush() == whole


def test_a_number_past_pythons_digit_limit_does_not_break_the_reply():
    reply = '{"n": ' + "9" * 5000 + ', "d": "14 March 2025"}'
    assert FormatRewriter(["n", "d"], [None, DATE_FORMAT]).rewrite(reply) == reply  # passed through as written


def test_the_server_cuts_at_stop_strings_before_rewriting_as_its_batch_does():
    import threading

    from loco_mlx.serve.worker import generate

    reply = '{"t": "3:30 PM", "d": "March 3, 2024"}'
    events = [StreamEvent(c) for c in reply]
    for stop, want in (("PM", '{"t": "3:30 '), ("-", '{"t": "15:30", "d": "2024-03-03"}')):
        sent = []
        rewriter = FormatRewriter(["t", "d"], [TIME_FORMAT, DATE_FORMAT])
        generate(iter(events), 5, [stop], sent.append, threading.Event(), rewriter)
        assert "".join(p.text for p in sent) == want, stop


# --- numbers as the text writes them ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,number",
    [("48,650,000", "48650000"), ("1,380.00", "1380.00"), ("74k", "74000"), ("$1.1M", "1100000"),
     ("$154.2 million", "154200000"), ("1.800,00", "1800.00"), ("342,00", "342.00"), ("1,5", "1.5"),
     ("19%", "19"), ("-€12.50", "-12.50"), ("₩72,000,000", "72000000"), ("1380", "1380"), ("2.5e3", "2500"),
     ("0.100", "0.100"), ("1.25k", "1250"),
     ("12,34,5", None), ("1,2345", None), ("abc", None), ("", None), ("06", None), ("74 k", None)],
)  # fmt: skip
def test_a_number_as_the_text_writes_it_becomes_a_json_number(text, number):
    assert to_number(text) == number
    if number is not None:
        assert isinstance(json.loads(number), (int, float))


def test_a_number_json_would_not_write_must_be_written_so_in_the_request():
    request = "Total IDR 48,650,000; subtotal 1.800,00; ages 2, 3; log at 06:00; 74k miles"
    assert scan_number("48,", request) == (True, False)  # may go on as 48,650,000
    assert scan_number("48,650,000", request) == (True, True)
    assert scan_number("1.800,00", request) == (True, True)
    assert scan_number("2,", request) == (False, False)  # a comma the request never follows with digits ends it
    assert scan_number("12,3", request) == (False, False)
    assert scan_number("06", request) == (False, False)  # the hour of 06:00 is no number
    assert scan_number("1380.5", request) == (True, True)  # what JSON writes is always allowed
    assert scan_number("74k", request) == (True, True)
    assert scan_number("19k", request) == (False, False)  # a suffix too is the request's
    assert scan_number("13 ", request) == (False, False)  # a lone space cannot force " billion"
    assert scan_number("2 ", "2 adults") == (False, False)  # nor " thousand" where the request goes on in words
    assert scan_number("154.2 m", "$154.2 million") == (True, False)
    assert scan_number("2.5e3", request) == (True, True)  # JSON's exponent is no suffix


def test_a_guided_number_is_one_the_request_writes_in_any_of_its_forms():
    """The json adapter wrote 4865000 for "IDR 48,650,000" and 3.3 for a 45-minute interview: a number is now
    one the request writes, as it writes it, as JSON writes it, with its suffix worked out, or in words."""
    request = "IDR 48,650,000 for two adults; Comp: $165k–$190k; subtotal 1.800,00; twenty-nine years; 45-minute"
    assert scan_copied_number("4865000", request) == (True, False)  # may still become 48650000
    assert scan_copied_number("48650000", request) == (True, True)
    assert scan_copied_number("48,650,000", request) == (True, True)
    assert scan_copied_number("48650001", request) == (False, False)
    assert scan_copied_number("190000", request) == (True, True) and scan_copied_number("190k", request)[1]
    assert scan_copied_number("1800", request) == (True, True) and scan_copied_number("1800.00", request)[1]
    assert scan_copied_number("29", request) == (True, True) and scan_copied_number("2", request) == (True, True)
    assert scan_copied_number("3.3", request) == (False, False)
    assert scan_copied_number("45", request) == (True, True)
    row = "Severance,series,Apple TV+,2022,8.7\nyear (int), rating; a third-year PhD"
    assert scan_copied_number("2022", row)[1] and scan_copied_number("8.7", row)[1]  # a CSV row's numbers, each
    assert scan_copied_number("3", row)[1]  # "third"
    assert scan_copied_number("3.3", "no numbers here") == (True, True)  # none to copy: any number
    assert scan_copied_number("4", "pickup at 4:15 PM, 2 bags") == (False, False)  # a time's hour is no count


def test_on_our_written_requests_most_numbers_answered_are_ones_the_request_writes():
    """The README's counts: of the 504 numbers in the answers of data/json-written, 471 (93%) are among the
    numbers their request writes (the rest are sums, counts and conversions that copying cannot give), and 62
    appear there only with separators or a suffix."""
    from decimal import Decimal

    from loco_mlx.inference.json_numbers import _copy_forms

    numbers = copied = separated = 0
    for line in (ROOT / "data/json-written/written.jsonl").read_text().splitlines():
        row = json.loads(line)
        forms = {Decimal(to_number(form) or form) for form in _copy_forms(row["request"])}
        plain = {Decimal(n) for n in re.findall(r"(?<![\d.,])\d+(?:\.\d+)?(?![\d]|[.,]\d)", row["request"])}
        written = {to_number(n) for n in re.findall(r"\d[\d.,]*\d(?:k|K|M|bn| million|%)?|\d", row["request"])}
        for value in row["json"].values():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                number = Decimal(str(value))
                numbers += 1
                copied += number in forms
                separated += number not in plain and number in {Decimal(n) for n in written if n}
    assert (numbers, copied) == (504, 471)
    assert separated == 62  # the answer written only with separators or a suffix ("48,650,000", "74k")


def test_numbers_are_rewritten_whole_whatever_the_pieces():
    import random

    rng = random.Random(7)
    keys, formats = ["total_idr", "adults", "note", "price"], [NUMBER_FORMAT] * 4
    reply = '{"total_idr": 48,650,000, "adults": 2, "note": "IDR 48,650,000", "price": $1.1M}'
    whole = FormatRewriter(keys, formats).rewrite(reply)
    assert json.loads(whole) == {"total_idr": 48650000, "adults": 2, "note": "IDR 48,650,000", "price": 1100000}
    for _ in range(200):
        rewriter, cuts = FormatRewriter(keys, formats), sorted(rng.sample(range(1, len(reply)), 8))
        pieces = [reply[a:b] for a, b in zip([0, *cuts], [*cuts, len(reply)])]
        assert "".join(rewriter.feed(p) for p in pieces) + rewriter.flush() == whole


def test_a_number_is_held_only_until_the_scaffold_after_it_is_there():
    rewriter = FormatRewriter(["a", "b"], [NUMBER_FORMAT, NUMBER_FORMAT])
    assert rewriter.feed('{"a": 48,') == '{"a": '  # "48," may still be 48,650
    assert rewriter.feed("650") == ""
    assert rewriter.feed(', "b": ') == '48650, "b": '
    assert rewriter.feed('"a long') == '"a long'  # a string in a key that may take a number is not held
    assert rewriter.feed(' text"}') == ' text"}'


def test_a_number_cut_short_is_shown_as_written():
    rewriter = FormatRewriter(["a", "b"], [NUMBER_FORMAT, None])
    assert rewriter.feed('{"a": 48,650') + rewriter.flush() == '{"a": 48,650'


def test_a_schema_from_the_api_gets_numbers_as_the_text_writes_them(monkeypatch):
    from loco_mlx.inference import engine as engine_module
    from loco_mlx.inference.engine import Engine, build_messages

    seen = {}

    # mocked: a guide needs the real tokenizer's vocabulary; this records what the engine asks of it
    def stand_in(tokenizer, keys, stops, source, kinds, formats, context, copy_numbers=False):
        seen.update(keys=keys, formats=formats, context=context, copy_numbers=copy_numbers)

    monkeypatch.setattr(engine_module, "make_guide", stand_in)
    engine = Engine(_Replay("{}"))
    messages = build_messages("The villa costs IDR 48,650,000 for 2 adults.")
    engine.json_guide(messages, None, keys=["total", "resort", "adults"], kinds=[None, frozenset({"string"}), None])
    assert seen == {
        "keys": ["total", "resort", "adults"],
        "formats": [NUMBER_OR_WORD_FORMAT, None, NUMBER_OR_WORD_FORMAT],
        "context": messages[-1]["content"],
        "copy_numbers": False,
    }  # fmt: skip  (a schema may make one up)


def test_a_value_of_any_kind_begun_with_a_digit_may_go_on_as_text_the_request_writes():
    request = "Screening at 13:00, ticket 2024-017, 2 adults, 32 EUR"
    assert scan_copied("13:", request) == (True, False)
    assert scan_copied("13:00", request) == (True, True)
    assert scan_copied("32 ", request) == (False, False)  # one word: "32 EUR" for a price is no text value
    assert scan_copied("13:00,", request) == (False, False)  # a comma ends the value
    assert scan_copied("1.800", "subtotal 1.800,00 EUR") == (True, False)  # but not a number's own comma
    assert scan_copied("13:30", request) == (False, False)  # not the request's
    assert scan_copied("February", request) == (False, False)  # text that begins with a letter is quoted
    keys, formats = ["time", "ticket", "adults", "price"], [NUMBER_OR_WORD_FORMAT] * 3 + [NUMBER_FORMAT]
    reply = '{"time": 13:00, "ticket": 2024-017, "adults": 2, "price": 32}'
    assert json.loads(FormatRewriter(keys, formats, request).rewrite(reply)) == {
        "time": "13:00", "ticket": "2024-017", "adults": 2, "price": 32}  # fmt: skip


def test_a_json_schema_date_format_is_written_by_code_as_a_requests_would_be(monkeypatch):
    from loco_mlx.inference import engine as engine_module
    from loco_mlx.inference.engine import Engine, build_messages
    from loco_mlx.inference.json_request import schema_format
    from loco_mlx.serve.app import response_keys
    from loco_mlx.serve.schema import ResponseFormat

    properties = {"due": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "time"},
                  "total": {"type": "number"}, "note": {}}  # fmt: skip
    wanted = ResponseFormat.model_validate(
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": properties}}}
    )
    keys, kinds, formats = response_keys(wanted)
    assert keys == ["due", "at", "total", "note"]
    assert formats == [DATE_FORMAT, None, None, None]  # RFC 3339's time: not ours
    assert kinds[0] == frozenset({"string"}) and schema_format("date") is None
    assert response_keys(ResponseFormat(type="json_object")) == ([], None, None)
    seen = {}

    # mocked: a guide needs the real tokenizer's vocabulary; this records what the engine asks of it
    def stand_in(tokenizer, keys, stops, source, kinds, formats, context, copy_numbers=False):
        seen.update(formats=formats)
        return SimpleNamespace(keys=keys, rewriter=lambda: FormatRewriter(keys, formats, context))

    monkeypatch.setattr(engine_module, "make_guide", stand_in)
    messages = build_messages("Pay 1,380.00 by March 3, 2024.")
    guide = Engine(_Replay("{}")).json_guide(messages, None, keys, kinds, formats)
    assert seen["formats"] == [DATE_FORMAT, None, NUMBER_FORMAT, NUMBER_OR_WORD_FORMAT]
    reply = '{"due": "March 3, 2024", "at": "9 AM", "total": 1,380.00, "note": null}'
    assert json.loads(guide.rewriter().rewrite(reply)) == {
        "due": "2024-03-03",
        "at": "9 AM",
        "total": 1380,
        "note": None,
    }


def test_the_rewriter_reads_a_final_pair_once_so_a_long_reply_costs_linear_time(monkeypatch):
    """Each piece re-reads only the value being written: a pair whose next scaffold arrived is final."""
    keys = [f"k{i}" for i in range(40)]
    reply = "{" + ", ".join(f'"{k}": "{k} value"' for k in keys) + "}"
    rewriter, reads = FormatRewriter(keys, [DATE_FORMAT] + [None] * 39), []
    converted = FormatRewriter._converted
    monkeypatch.setattr(FormatRewriter, "_converted", lambda self, *a: reads.append(a) or converted(self, *a))
    shown = "".join(rewriter.feed(c) for c in reply) + rewriter.flush()
    assert shown == reply
    assert len(reads) <= 2 * len(reply)  # re-reading every pair per piece would be ~40 times more
