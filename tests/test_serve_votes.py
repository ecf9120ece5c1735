"""`votes` on the server's chat route: many samples, one reply, and `loco.vote` saying how it was chosen.

Runs the real app under uvicorn over the fake backend (tests/fake_backend.py: sampled replies are
"It is 7.", "I think 7." and "Maybe 9.") and the scripted one for tool adapters, so the vote's
arithmetic is exact; the batched path is the same `run_selected` call (serve/batched.py sends a request
with votes down its one-at-a-time path).
"""

from __future__ import annotations

import json

import httpx
import pytest

from loco_mlx.inference import tools
from tests.fake_backend import fake_engine, serve_fake, tool_engine

GOOD = "```python\nbags = 3\napples_per_bag = 20\neaten = 2\nleft = bags * apples_per_bag - eaten\nprint(left)\n```"
OTHER = "```python\nprint(3 * 20)\n```"


def _ask(url: str, **body) -> dict:
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()


def _streamed(url: str, **body) -> list[dict]:
    with httpx.stream("POST", f"{url}/v1/chat/completions", json={**body, "stream": True}, timeout=60) as r:
        return [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]


QUESTION = [{"role": "user", "content": "Ana has 3 bags of 20 apples and eats 2. How many are left?"}]


def test_votes_return_the_majority_answer_and_how_it_was_chosen(tmp_path):
    engine = fake_engine(tmp_path)
    with serve_fake(engine, tmp_path) as url:
        reply = _ask(url, model="base", messages=QUESTION, votes=8, seed=3)
        chunks = _streamed(url, model="base", messages=QUESTION, votes=8, seed=3)
        plain = _ask(url, model="base", messages=QUESTION)
    vote = reply["loco"]["vote"]
    assert vote["method"] == "numeric" and vote["answer"] == "7" and vote["samples"] == 8
    assert sum(count for _, count in vote["distribution"]) == 8 and vote["distribution"][0][0] == "7"
    assert reply["choices"][0]["message"]["content"] in ("It is 7.", "I think 7.")
    assert vote["summary"].startswith("numeric vote over 8: 7 x")
    # usage counts every sample decoded, not only the reply returned
    assert reply["usage"]["completion_tokens"] > len(reply["choices"][0]["message"]["content"])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == reply["choices"][0]["message"]["content"]  # the same seed, the same vote, streamed
    assert chunks[-1]["loco"]["vote"] == vote
    assert "vote" not in plain["loco"] and plain["choices"][0]["message"]["content"] == "The answer is 42."
    assert engine.backend.batches[0][1].temperature == 0.7  # temperature 0 (the default) samples at 0.7


def test_votes_sample_at_the_requests_temperature(tmp_path):
    engine = fake_engine(tmp_path)
    with serve_fake(engine, tmp_path) as url:
        _ask(url, model="base", messages=QUESTION, votes=3, temperature=1.2)
    assert engine.backend.batches[-1] == (3, engine.backend.batches[-1][1])
    assert engine.backend.batches[-1][1].temperature == 1.2


def test_a_reply_cut_at_max_tokens_says_length(tmp_path):
    with serve_fake(fake_engine(tmp_path), tmp_path) as url:
        reply = _ask(url, model="base", messages=QUESTION, votes=4, max_tokens=3)
    assert reply["choices"][0]["finish_reason"] == "length" and len(reply["choices"][0]["message"]["content"]) == 3


def test_votes_with_stop_strings_or_on_completions_are_refused(tmp_path):
    with serve_fake(fake_engine(tmp_path), tmp_path) as url:
        body = {"model": "base", "messages": QUESTION, "votes": 3, "stop": ["7"]}
        stopped = httpx.post(f"{url}/v1/chat/completions", json=body)
        completion = httpx.post(f"{url}/v1/completions", json={"model": "base", "prompt": "2+2=", "votes": 3})
    assert stopped.status_code == 400 and "votes and stop" in stopped.json()["error"]["message"]
    assert completion.status_code == 400 and completion.json()["error"]["param"] == "votes"


@pytest.mark.parametrize("votes", [0, 17, "five", "3", True, 2.0])
def test_votes_out_of_range_are_400(tmp_path, votes):
    with serve_fake(fake_engine(tmp_path), tmp_path) as url:
        response = httpx.post(
            f"{url}/v1/chat/completions", json={"model": "base", "messages": QUESTION, "votes": votes}
        )
    assert response.status_code == 400 and "votes" in response.json()["error"]["message"]


def test_votes_over_a_tool_adapters_programs_take_what_most_printed(tmp_path):
    engine = tool_engine(tmp_path, [GOOD, OTHER, GOOD])
    with serve_fake(engine, tmp_path) as url:
        reply = _ask(url, model="calc", messages=QUESTION, votes=3)
    assert reply["choices"][0]["message"]["content"] == "The answer is 58."
    assert reply["loco"]["vote"]["distribution"] == [["58", 2], ["60", 1]]


def test_votes_on_a_code_request_run_no_model_code_on_the_server(tmp_path, monkeypatch):
    """The server runs programs only for adapters that declare the tool: a code request's samples are not run
    on its examples there (as `loco generate --votes` does), the likeliest is returned."""

    def refuse(*args, **kwargs):
        raise AssertionError("a program was executed")

    monkeypatch.setattr(tools, "run_program", refuse)
    square = "```python\ndef square(n):\n    return n * n\n```"
    engine = tool_engine(tmp_path, [square] * 3)
    request = [{"role": "user", "content": "Write a function square(n), e.g. square(2) -> 4 and square(3) -> 9."}]
    with serve_fake(engine, tmp_path) as url:
        reply = _ask(url, model="math", messages=request, votes=3)
    assert reply["choices"][0]["message"]["content"] == square and reply["loco"]["vote"]["method"] == "best"
