"""The shipped json adapter (adapters/json) on the real embedded base uses the keys it is asked for.

A user's key names are their own: the 8 requests in tests/fixtures/json_odd_keys.jsonl name every
field with a word pair nobody would guess (`ember_ref`, `quillCount`...), so a reply can only get
them right by copying what the request says, not by recalling a training vocabulary. They were drawn
once by the json generator (random.Random(7), two product, event, book and order schemas each, the
keys swapped for ten made-up word pairs) and frozen on 2026-12-06, so a change to the generator's wording no longer
changes what this test asks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import InferenceConfig, build_messages

pytestmark = pytest.mark.integration

JSON_ADAPTER = Path(__file__).resolve().parents[1] / "adapters" / "json"
REQUESTS = Path(__file__).resolve().parent / "fixtures" / "json_odd_keys.jsonl"
TRAINING_KEYS = {"name", "age", "city", "title", "author", "price", "date", "location", "product", "quantity"}


def odd_requests() -> list[tuple[str, list[str]]]:
    """(request, the keys it asks for, in order)."""
    rows = [json.loads(line) for line in REQUESTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["prompt"], row["keys"]) for row in rows]


def keys_of(reply: str) -> list[str]:
    """The keys a reply writes, in order, read as `"key":` so that a bad value elsewhere does not hide them."""
    return re.findall(r'"([^"\\]+)"\s*:', reply)


def test_the_requests_name_keys_no_training_vocabulary_has():
    requests = odd_requests()
    assert len(requests) == 8
    for prompt, keys in requests:
        assert keys and not {key.lower().replace("-", "").replace("_", "") for key in keys} & TRAINING_KEYS
        assert all(key in prompt for key in keys)  # the request states each key verbatim


def test_the_json_adapter_uses_the_requested_keys_verbatim(default_engine):
    requests = odd_requests()
    default_engine.adapter_paths["json"] = JSON_ADAPTER
    default_engine.use_adapter("json")
    try:
        answers = default_engine.answer_batch(
            [build_messages(prompt) for prompt, _ in requests], SamplingConfig(max_tokens=160, temperature=0.0),
            InferenceConfig(), batch_size=8,
        )  # fmt: skip
    finally:
        default_engine.use_adapter(None)
    replies = [(keys, keys_of(a.text), a.text) for (_, keys), a in zip(requests, answers)]
    # the keys written are the ones asked for, spelled as asked, not renamed nor from a training vocabulary
    # (the first json adapter wrote its own keys, or no JSON, on all 8). On these requests two replies of the
    # shipped adapter hold a key not asked for (one a stray space, " LanternValue"): at most two may.
    renamed = [r for r in replies if not r[1] or not set(r[1]) <= set(r[0])]
    assert len(renamed) <= 2, renamed
    # and most replies hold every requested key in order (the retrained adapter drops a field now and then)
    whole = [r for r in replies if r[1] == r[0]]
    assert len(whole) >= 5, replies
