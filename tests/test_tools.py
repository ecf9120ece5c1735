"""Tool use (inference/tools.py): a tool adapter's reply is a program, run in the real sandbox, and
the answer is what it prints; retry once on failure, then the plain base; hostile programs fail
inside the limits; adapters without the tool and --no-tools never execute anything; no isolation
means a refusal unless allowed. The model is the scripted fake (tests/fake_backend.py): its
replies are exactly the programs a test gives, so every expected value can be stated. The
sandbox, the engine and the server around it are the real ones."""

from __future__ import annotations

import json
import os
import socket

import httpx
import pytest

from loco_mlx.errors import LocoError
from loco_mlx.evaluation import sandbox
from loco_mlx.inference import tools, unrun_requests
from loco_mlx.inference.backend import SamplingConfig
from loco_mlx.inference.engine import InferenceConfig, build_messages
from loco_mlx.inference.tools import ToolSettings, answer_from_output, extract_program
from loco_mlx.inference.unrun_requests import CODE_REQUEST_NOTICE, JSON_REQUEST_NOTICE
from tests.fake_backend import PLAIN, serve_fake, tool_engine

GREEDY = SamplingConfig(max_tokens=400, temperature=0.0)
PLAINLY = InferenceConfig(reread=False)
QUESTION = build_messages("Ana has 3 bags of 20 apples and eats 2. How many are left?")
GOOD = "```python\nbags = 3\napples_per_bag = 20\neaten = 2\nleft = bags * apples_per_bag - eaten\nprint(left)\n```"
RAISES = "```python\nbags = 3\nprint(bags / 0)\n```"


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


def chat_events(engine, messages=QUESTION):
    return list(engine.chat(messages, GREEDY, PLAINLY))


# --- reading programs and outputs ----------------------------------------------------------------


def test_extract_program_takes_the_last_python_block_and_a_cut_one():
    assert extract_program(GOOD).startswith("bags = 3") and extract_program(GOOD).endswith("print(left)")
    two = fenced("print(1)") + " then " + fenced("print(2)")
    assert extract_program(two) == "print(2)"
    assert extract_program("```python\nx = 4\nprint(x") == "x = 4\nprint(x"  # cut at max_tokens: still tried
    assert extract_program("The answer is 4.") is None
    assert extract_program("```\nsome text\n```") is None  # an unlabelled block that prints nothing is not code
    assert extract_program("```python\n x = 4\n print(x)\n```") == "x = 4\nprint(x)"  # indented alike: dedented


@pytest.mark.parametrize(
    "output, answer",
    [("58\n", "The answer is 58."), ("12.75\n", "The answer is 12.75."),
     ("0.30000000000000004\n", "The answer is 0.3."), ("debug\n7\n", "The answer is 7."),
     ("Tom has 5 left\n", "Tom has 5 left."), ("", None), ("\n  \n", None)],
)  # fmt: skip
def test_answer_from_output_reads_the_last_printed_line(output, answer):
    assert answer_from_output(output) == answer


# --- the streamed path ----------------------------------------------------------------------------


def test_a_program_that_prints_the_answer_gives_that_answer(tmp_path):
    engine = tool_engine(tmp_path, [GOOD])
    engine.use_adapter("calc")
    events = chat_events(engine)
    parts = [e.part for e in events if e.text]
    assert parts == ["program"] * parts.count("program") + ["output", "answer"]
    assert "".join(e.text for e in events if e.part == "program") == GOOD
    assert [e.text for e in events if e.part == "output"] == ["58\n"]
    last = events[-1]
    assert last.text == "The answer is 58." and last.stats is not None
    run = last.tool
    assert (run.program, run.output, run.exit_status, run.attempts, run.fallback) == (
        extract_program(GOOD), "58\n", 0, 1, False)  # fmt: skip
    assert run.isolation == sandbox.isolation() and run.seconds > 0
    engine.backend.script.append(GOOD)
    answer = engine.answer(QUESTION, GREEDY, PLAINLY)
    assert answer.text == "The answer is 58." and answer.tool.output == "58\n"  # complete/answer: the answer only


def test_a_failing_program_gets_one_retry_with_its_error_shown(tmp_path):
    engine = tool_engine(tmp_path, [RAISES, GOOD])
    engine.use_adapter("calc")
    events = chat_events(engine)
    notices = [e.notice for e in events if e.notice]
    assert len(notices) == 1 and "ZeroDivisionError" in notices[0] and "writes it again" in notices[0]
    retry_prompt = engine.backend.prompts[1]
    assert RAISES in retry_prompt and "That program failed: ZeroDivisionError: division by zero" in retry_prompt
    assert events[-1].text == "The answer is 58." and events[-1].tool.attempts == 2


def test_two_failures_fall_back_to_the_plain_base_and_say_so(tmp_path):
    engine = tool_engine(tmp_path, [RAISES, RAISES])
    engine.use_adapter("calc")
    events = chat_events(engine)
    assert any("answered without the tool, by the plain base" in (e.notice or "") for e in events)
    assert "".join(e.text for e in events if e.part == "answer") == PLAIN
    run = events[-1].tool
    assert run.fallback and run.answer is None and run.attempts == 2 and "ZeroDivisionError" in run.error
    assert engine.adapter == "calc"  # the base answered for one reply only


def test_a_reply_without_a_program_is_not_retried(tmp_path):
    engine = tool_engine(tmp_path, ["I do not know."])
    engine.use_adapter("calc")
    events = chat_events(engine)
    assert events[-1].tool.fallback and events[-1].tool.program is None and events[-1].tool.attempts == 0
    assert "".join(e.text for e in events if e.part == "answer") == PLAIN


# --- hostile programs, through the tool path ------------------------------------------------------


def _listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    return server


@pytest.mark.parametrize("kind", ["infinite loop", "fork bomb", "write outside", "network", "huge allocation"])
def test_hostile_programs_fail_inside_the_limits_with_the_host_intact(tmp_path, kind):
    target = tmp_path / "escaped.txt"
    server = _listener()
    port = server.getsockname()[1]
    program = {
        "infinite loop": "while True:\n    pass",
        "fork bomb": "import os\nwhile True:\n    os.fork()",
        "write outside": f"open({str(target)!r}, 'w').write('x')\nprint(1)",
        "network": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\nprint(1)",
        "huge allocation": "x = bytearray(10**10)\nprint(len(x))",
    }[kind]
    engine = tool_engine(tmp_path, [fenced(program)] * 2, ToolSettings(timeout=1.0, memory_mb=128))
    engine.use_adapter("calc")
    try:
        run = chat_events(engine)[-1].tool
        with pytest.raises(socket.timeout):
            server.accept()  # nothing reached the host's loopback
    finally:
        server.close()
    assert run.fallback and run.attempts == 2 and run.exit_status != 0 and run.error
    assert not target.exists()
    if kind == "infinite loop":
        assert run.error == "it ran out of time" and run.seconds < 6
    if kind == "huge allocation":
        assert run.error == "it ran out of memory"
    # the host is intact: another program runs normally afterwards
    engine.backend.script.append(GOOD)
    assert chat_events(engine)[-1].text == "The answer is 58."


# --- never executed -------------------------------------------------------------------------------


@pytest.fixture
def no_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a program was executed")

    monkeypatch.setattr(tools, "run_program", refuse)


def test_an_adapter_without_the_tool_never_executes_anything(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [GOOD, GOOD])
    engine.use_adapter("math")
    assert engine.active_tool is None
    assert engine.answer(QUESTION, GREEDY, PLAINLY).text == GOOD  # the reply as written
    assert [a.text for a in engine.answer_batch([QUESTION], GREEDY, PLAINLY)] == [GOOD]


def test_no_tools_turns_execution_off(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [GOOD], ToolSettings(enabled=False))
    engine.use_adapter("calc")
    answer = engine.answer(QUESTION, GREEDY, PLAINLY)
    assert answer.text == GOOD and answer.tool is None


def test_without_isolation_tools_are_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "isolation", lambda: "none")
    engine = tool_engine(tmp_path, [GOOD])
    engine.use_adapter("calc")
    with pytest.raises(LocoError, match="--allow-unsandboxed-tools"):
        chat_events(engine)
    assert engine.backend.prompts == []  # refused before anything was generated
    with pytest.raises(LocoError, match="--allow-unsandboxed-tools"):
        engine.answer_batch([QUESTION], GREEDY, PLAINLY)
    monkeypatch.setattr(sandbox, "isolation_available", lambda: False)  # runs as the fallback sandbox would
    engine.tools = ToolSettings(allow_unsandboxed=True, timeout=2.0)
    last = chat_events(engine)[-1]
    assert last.text == "The answer is 58." and last.tool.isolation == "none"


# --- batches: eval and voting ---------------------------------------------------------------------


def test_batched_answers_retry_only_the_failures_then_fall_back(tmp_path):
    script = [GOOD, RAISES, RAISES, fenced("print(7)"), RAISES]  # first pass: 3 items; retries: items 2 and 3
    engine = tool_engine(tmp_path, script)
    engine.use_adapter("calc")
    answers = engine.answer_batch([QUESTION] * 3, GREEDY, PLAINLY, batch_size=8)
    assert [a.text for a in answers] == ["The answer is 58.", "The answer is 7.", PLAIN]
    assert [a.tool.attempts for a in answers] == [1, 2, 2]
    assert [a.tool.fallback for a in answers] == [False, False, True]
    assert [n for n, _ in engine.backend.batches] == [3, 2, 1]  # programs, retries, the base's fallback


def test_eval_scores_the_answer_and_keeps_the_program(tmp_path):
    from loco_mlx.evaluation.benchmarks import BenchmarkItem
    from loco_mlx.evaluation.gate import score_items

    engine = tool_engine(tmp_path, [GOOD])
    engine.use_adapter("calc")
    item = BenchmarkItem(id="q1", input=QUESTION[0]["content"], expected=58, scorer="numeric")
    [result] = score_items([item], engine.answer_batch([item.messages()], GREEDY, PLAINLY))
    assert result.passed and result.output == "The answer is 58."
    assert result.tool["program"] == extract_program(GOOD) and result.tool["output"] == "58\n"
    assert json.loads(json.dumps(result.tool))["exit_status"] == 0  # results.json can hold it


def test_votes_are_over_what_the_programs_printed(tmp_path):
    script = [fenced("print(2 + 3)"), fenced("print(6)"), fenced("print(10 // 2)"), RAISES, fenced("print(5.0)")]
    engine = tool_engine(tmp_path, script + [RAISES])  # the failing vote's retry fails too
    engine.use_adapter("calc")
    result = engine.vote(QUESTION, GREEDY, InferenceConfig(reread=False, votes=5))
    assert result.answer == "5" and result.text == "The answer is 5."
    assert result.distribution == [("5", 3), ("6", 1)]  # the failed program has no vote (no base fallback per vote)
    assert len(result.tools) == 5 and [t.attempts for t in result.tools] == [1, 1, 1, 2, 1]


def test_when_every_voting_program_fails_the_plain_base_votes(tmp_path):
    engine = tool_engine(tmp_path, [RAISES] * 6)
    engine.use_adapter("calc")
    result = engine.vote(QUESTION, GREEDY, InferenceConfig(reread=False, votes=3))
    assert result.text == PLAIN and all(t.fallback for t in result.tools)


# --- the macOS profile ----------------------------------------------------------------------------


def test_the_macos_profile_denies_network_and_writes_outside_the_work_dir(tmp_path):
    odd = tmp_path / 'work "dir" \\ x'
    odd.mkdir()
    profile = sandbox.macos_profile(str(odd))
    lines = profile.splitlines()
    assert lines[:4] == ["(version 1)", "(allow default)", "(deny network*)", "(deny file-write*)"]
    quoted = '"' + os.path.realpath(odd).replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert lines[4] == f'(allow file-write* (subpath {quoted}) (literal "/dev/null"))'
    assert profile.count("(") == profile.count(")")  # balanced: sandbox-exec parses it as one list per rule
    command = sandbox._launch(["python"], sandbox.SandboxLimits(), str(odd), isolate=False, seatbelt=True)
    assert command[:3] == [sandbox.SANDBOX_EXEC, "-p", profile] and command[3] == sandbox.sys.executable


def test_isolation_names_what_this_host_gives(monkeypatch):
    monkeypatch.setattr(sandbox, "isolation_available", lambda: False)
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    monkeypatch.setattr(sandbox.os.path, "exists", lambda p: p == sandbox.SANDBOX_EXEC)
    assert sandbox.isolation() == "sandbox-exec"
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    assert sandbox.isolation() == "none"


# --- the server -----------------------------------------------------------------------------------


def test_the_server_answers_with_the_result_and_reports_the_program(tmp_path):
    engine = tool_engine(tmp_path, [GOOD, GOOD])
    with serve_fake(engine, tmp_path) as url:
        body = {"model": "calc", "messages": QUESTION}
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
        assert reply["choices"][0]["message"]["content"] == "The answer is 58."
        tool = reply["loco"]["tool"]
        assert tool["program"] == extract_program(GOOD) and tool["output"] == "58\n" and tool["exit_status"] == 0
        assert tool["seconds"] > 0 and tool["fallback"] is False and reply["loco"]["notice"] is None
        chunks = []
        with httpx.stream("POST", f"{url}/v1/chat/completions", json={**body, "stream": True}, timeout=60) as r:
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    chunks.append(json.loads(line[6:]))
    parts = [c["loco"]["part"] for c in chunks if (c.get("loco") or {}).get("part")]
    assert parts == ["program", "output", "answer"]  # the program streams first, then its output and the answer
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text.startswith(GOOD) and text.endswith("58\n\nThe answer is 58.")
    assert chunks[-1]["loco"]["tool"]["output"] == "58\n"


def test_a_server_started_with_tools_off_never_runs_a_program(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [GOOD], ToolSettings(enabled=False))
    with serve_fake(engine, tmp_path) as url:
        reply = httpx.post(f"{url}/v1/chat/completions", json={"model": "calc", "messages": QUESTION}, timeout=60)
    body = reply.json()
    assert body["choices"][0]["message"]["content"] == GOOD and "tool" not in body["loco"]


def test_the_server_refuses_tools_without_isolation_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "isolation", lambda: "none")
    engine = tool_engine(tmp_path, [GOOD])
    with serve_fake(engine, tmp_path) as url:
        reply = httpx.post(f"{url}/v1/chat/completions", json={"model": "calc", "messages": QUESTION}, timeout=60)
        later = httpx.post(f"{url}/v1/chat/completions", json={"model": "base", "messages": QUESTION}, timeout=60)
    assert reply.status_code >= 400 and "--allow-unsandboxed-tools" in reply.json()["error"]["message"]
    assert later.json()["choices"][0]["message"]["content"] == PLAIN  # the server stays up


# --- generate and chat ------------------------------------------------------------------------------


def test_chat_shows_the_program_dim_and_folds_it_with_slash_program(tmp_path):
    from loco_mlx.inference.chat import ChatSession, run_repl

    engine = tool_engine(tmp_path, [GOOD, GOOD])
    engine.use_adapter("calc")
    session = ChatSession(engine, GREEDY, inference=PLAINLY)
    inputs, out = iter(["first", "/program", "second", "/program last", "/quit"]), []
    run_repl(session, read=lambda _: next(inputs), write=lambda *p, end="\n", flush=False: out.append("".join(p) + end),
             styled=True)  # fmt: skip
    text = "".join(out)
    first, second = text.split("(tool programs folded to one line)")
    assert f"\x1b[2m{GOOD}\x1b[0m\n\x1b[2moutput: 58\x1b[0m\nThe answer is 58.\n" in first
    folded_turn = second[: second.index("(program ran; /program shows it)\nThe answer is 58.")]
    assert "bags" not in folded_turn
    assert "left = bags * apples_per_bag - eaten\nprint(left)\noutput: 58  exit 0" in second  # /program last
    assert session.history[-1] == {"role": "assistant", "content": "The answer is 58."}


def test_generate_prints_the_program_then_the_answer(tmp_path):
    from loco_mlx.config import GenerateConfig
    from loco_mlx.inference.chat import answer_once

    engine = tool_engine(tmp_path, [GOOD])
    engine.use_adapter("calc")
    out, err = [], []
    cfg = GenerateConfig(sampling=GREEDY, inference=PLAINLY)
    answer_once(engine, QUESTION[0]["content"], cfg, out=out.append, err=err.append)
    assert "".join(out) == GOOD + "\noutput: 58\nThe answer is 58.\n"  # not a terminal: no colour codes
    assert err[-1].startswith("[fake-base + calc")


def test_eval_with_votes_scores_the_majority_and_keeps_its_program(tmp_path):
    from loco_mlx.evaluation.benchmarks import BenchmarkItem
    from loco_mlx.evaluation.gate import EvalSettings, answer_items, score_items

    engine = tool_engine(tmp_path, [fenced("print(58)"), fenced("print(60)"), GOOD])
    engine.use_adapter("calc")
    item = BenchmarkItem(id="q1", input=QUESTION[0]["content"], expected=58, scorer="numeric")
    [result] = score_items([item], answer_items(engine, [item], EvalSettings(votes=3, reread=False)))
    assert result.passed and result.output == "The answer is 58." and result.tool["output"] == "58\n"
    assert engine.backend.batches[-1][0] == 3 and engine.backend.batches[-1][1].temperature == 0.7


# --- a request for code gets the program as written, never run ---------------------------------------

CLAMP_REQUEST = build_messages("Write a function named clamp(x, lo, hi) that limits x to the range [lo, hi].")
CLAMP = ("Here it is:\n```python\ndef clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n"
         "print(clamp(15, 0, 10))\n```")  # fmt: skip


CODE_ASKS = [
    "Write a function named clamp(x, lo, hi) that limits x.",
    "I need a function called clamp that ...",
    "Fill in the body:\n```python\ndef clamp(x, lo, hi):\n    ...\n```",
    "python: def clamp(x, lo, hi) -> int",
    "Function: clamp\nInput: x, lo, hi\nOutput: x limited to [lo, hi]",
    "Give me a Python script that renames files.",
    "can you write me a small helper that doubles a number?",
    "Implement a Stack class with push and pop.",
    "Write a program to find 17 * 23.",
    "Write a recursive Fibonacci function",
    "Write a clamp() function",
    "Write an is_prime function",
    "Implement quicksort",
    "Can you code bubble sort?",
    "Write a decorator that logs calls",
    "Write Stack class with push and pop",
    "I need a small routine that takes a list and returns its largest item",
    "need python second_largest(nums) -> the second largest value",
    "All I need is `divisors(n)` to return them",
    "Implement the following in Python.\nDef - sum_evens(values)",
    "Spec:\n* Method = filter_long(text)",
    "Here's what I want: num_words('paper ocean code') == 3. So write num_words(sentence)",
]
WORD_PROBLEMS = [
    QUESTION[0]["content"],
    "If f(x) = 2x + 3, what is f(4)?",
    "What is gcd(48, 18)?",
    "What is clamp(15, 0, 10)?",
    "The function g is defined by g(x) = x^2 - 1. What is g(5)?",
    "Define g(x) = 3x + 1. Find g(4).",
    "Can you help with f(x) = 2x+3 at x = 4?",
    "Function: f(x)=3x-2. Find f(5).",
    "Function - f(x)=2x. f(3)?",
    "what is total_cost(3) if total_cost(n) = 4n + 2?",
    "What is `f(3)` when f(x) = x + 1?",
    "Using Python, what is 2**64?",
    "Calculate in Python: 3**20 mod 7",
    "In Python Park there are 12 snakes; 5 leave.",
    "What is the class average of 70, 80 and 90?",
    "A teacher needs to make groups for her class of 30. Groups of 4?",
    "Create a class of 25 students from 3 groups of 9; how many are left out?",
    "Write a class schedule for 6 periods",
    "I need to pay my helper $12 an hour for 6 hours. What do I owe?",
    "We need some helpers: 3 per table, 12 tables.",
    "The after-school program needs 3 buses for 130 kids; how many kids ride in each?",
    "Just like the program last year, tickets cost $5. What do 12 cost?",
    "We need the programs printed: 250 at 12 cents.",
    "The school wants to create a program for 40 students in 5 groups; how many per group?",
    "Need a code for my bike lock: 4 digits. How many codes?",
    "I want a code with 3 letters then 2 digits. How many?",
    "I need a routine: 20 pushups a day for 30 days. How many pushups?",
    "Show me a simple method to convert 68 F to C",
    "Give me a quick method to work out 15% of 240",
    "Find the area (in square meters) of a 4 m by 7 m room.",
]


@pytest.mark.parametrize("request_text", CODE_ASKS)
def test_requests_for_code_are_recognised(request_text):
    assert unrun_requests.wants_code(build_messages(request_text))


@pytest.mark.parametrize("request_text", WORD_PROBLEMS)
def test_word_problems_are_not_requests_for_code(request_text):
    assert not unrun_requests.wants_code(build_messages(request_text))


def test_a_huge_request_is_read_in_bounded_time():
    from loco_mlx.inference.unrun_requests import asks_for_code

    # a regex that backtracks over a megabyte would stall the server's model thread for minutes
    assert not asks_for_code("\n" * 500_000) and not asks_for_code("-" * 500_000 + "x")
    assert asks_for_code("Write a function named clamp(x)." + " filler" * 100_000)  # the ask is at the start


JSON_ASKS = [
    "Extract the person's name, age and city as JSON.\n\nMaria Lopez, 34, lives in Porto.",
    "Return valid JSON with the keys product, price and quantity: 3 lamps at $19.99.",
    'Fill in this template from the text: {"name": "...", "city": "..."}\n\nAna lives in Lima.',
    "Give me the record {name, age, city} for: Tom, 40, Oslo.",
    "Fields to extract:\n- order_id\n- total_usd\n\nOrder A-17 came to $42.50.",
    "Keys: name, age, city. Text: Li Wei, 29, from Xi'an.",
    "Ticket 4411 was opened by Sam on 2 May.\n\nGrab ticketId, openedBy and openedOn. Missing values -> null.",
    "→ invoice_number, total, due_date\n\nInvoice 88 for $120, due 5 June.",
    "Turn the email signature below into a dictionary with 'name' and 'phone'.\n\nBest, Kim | 555-0101",
    "Structured output needed for the row: | Lamp | 19.99 | 3 |",
    "JSON, please: who ordered, how many units, and the order date.",
]


# a brand or a set is not a key list, and "fields" and "keys" live in word problems too
NOT_JSON = [
    "How many burgers can you get at McDonald's for $20 if each costs $4?",
    "I want to buy 3 iPads at $329 each. What is the total?",
    "How much money do you need to buy a PlayStation at $499 after saving $120?",
    "Give me the iPhone price if it costs $999 with 8% tax.",
    "The sample space is {H, T}. What is P(H)?",
    "How many elements are in {x, y, z} with {y, w} added?",
    "Lily has 4 fields: 2 of corn and 2 of wheat. How many acres if each is 3 acres?",
    "A locksmith cuts keys: 12 keys per hour. How many in 6 hours?",
    "Ana wants to fill 4 fields with seeds, 30 kg each. How much seed?",
    "A robot must capture 5 keys and 3 fields in a game; each is worth 10 points. Total?",
    "I need a dictionary definition of 'ephemeral'.",
    "Give one object that is red.",
]


@pytest.mark.parametrize("request_text", NOT_JSON)
def test_look_alikes_are_not_requests_for_json(request_text):
    assert unrun_requests.kept_notice(build_messages(request_text)) is None


@pytest.mark.parametrize("request_text", JSON_ASKS)
def test_requests_for_json_are_recognised(request_text):
    assert unrun_requests.kept_notice(build_messages(request_text)) == JSON_REQUEST_NOTICE


@pytest.mark.parametrize("request_text", WORD_PROBLEMS)
def test_word_problems_are_not_requests_for_json(request_text):
    assert unrun_requests.kept_notice(build_messages(request_text)) is None


def test_a_request_for_code_that_mentions_json_is_a_request_for_code():
    request = build_messages("Write a function parse_kv(s) that returns a dict with the keys of s, like JSON.")
    assert unrun_requests.kept_notice(request) == CODE_REQUEST_NOTICE


def _conversation(*turns: str) -> list[dict]:
    roles = ["user", "assistant"] * len(turns)
    return [{"role": role, "content": text} for role, text in zip(roles, turns)]


def test_a_short_follow_up_continues_the_request_before_it():
    assert unrun_requests.kept_notice(_conversation(CLAMP_REQUEST[0]["content"], CLAMP, "make it recursive")) == (
        CODE_REQUEST_NOTICE
    )
    assert unrun_requests.wants_code(_conversation(CLAMP_REQUEST[0]["content"], CLAMP, "now without min and max"))
    assert unrun_requests.kept_notice(_conversation(JSON_ASKS[0], '{"name": "Maria"}', "add the age too")) == (
        JSON_REQUEST_NOTICE
    )


def test_a_follow_up_to_a_word_problem_still_runs_and_a_new_request_decides_alone():
    word_problem, code = QUESTION[0]["content"], CLAMP_REQUEST[0]["content"]
    assert unrun_requests.kept_notice(_conversation(word_problem, "The answer is 58.", "and with 5 bags?")) is None
    new_problem = "Ben buys 12 pencils at 35 cents each and pays with a 5 dollar bill. " * 3 + "What change?"
    assert unrun_requests.kept_notice(_conversation(code, CLAMP, new_problem)) is None
    # short new questions have numbers of their own, or nothing that points back
    assert unrun_requests.kept_notice(_conversation(code, CLAMP, word_problem)) is None
    assert unrun_requests.kept_notice(_conversation(JSON_ASKS[0], '{"name": "Maria"}', "What is 15% of 80?")) is None
    assert unrun_requests.kept_notice(_conversation(code, CLAMP, "")) is None  # nothing asked: as before


def test_follow_ups_chain_back_to_the_request():
    code = CLAMP_REQUEST[0]["content"]
    turns = _conversation(code, CLAMP, "make it recursive", "def clamp...", "now add type hints")
    assert unrun_requests.kept_notice(turns) == CODE_REQUEST_NOTICE


def test_a_huge_request_is_read_for_json_in_bounded_time():
    import time

    from loco_mlx.inference.unrun_requests import asks_for_json

    # "^\\s*" under MULTILINE backtracks quadratically over blank lines; each pattern reads spaces and tabs only
    started = time.perf_counter()
    for text in ("\n" * 500_000, " \n" * 250_000, "- a_b\n" * 100_000, "{a, " * 200_000):
        asks_for_json(text)
    assert time.perf_counter() - started < 5  # seconds, against minutes when a pattern backtracks


def test_a_request_for_json_gets_the_reply_as_written_and_nothing_runs(tmp_path, no_runs):
    # a math tool adapter sent an extraction used to run its program and answer "The answer is 147."
    reply = fenced("price = 147\nprint(price)")
    engine = tool_engine(tmp_path, [reply, reply])
    engine.use_adapter("calc")
    request = build_messages(JSON_ASKS[1])
    events = chat_events(engine, request)
    assert all(e.tool is None for e in events) and "".join(e.text for e in events) == reply
    assert [e.notice for e in events if e.notice] == [JSON_REQUEST_NOTICE]
    assert engine.answer(request, GREEDY, PLAINLY).text == reply


def test_a_request_for_code_gets_the_program_as_written_and_nothing_runs(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [CLAMP, CLAMP])
    engine.use_adapter("calc")
    events = chat_events(engine, CLAMP_REQUEST)
    assert {e.part for e in events} == {"answer"} and all(e.tool is None for e in events)
    assert "".join(e.text for e in events) == CLAMP
    assert [e.notice for e in events if e.notice] == [CODE_REQUEST_NOTICE]
    assert engine.answer(CLAMP_REQUEST, GREEDY, PLAINLY).text == CLAMP


def test_a_batch_runs_the_word_problems_and_keeps_the_code_requests_in_order(tmp_path):
    # the word problems' programs are decoded first (in their order), then the code requests
    engine = tool_engine(tmp_path, [fenced("print(1)"), fenced("print(2)"), fenced("print(3)"), "code A", "code B"])
    engine.use_adapter("calc")
    code_a, code_b = build_messages("Write a function named a_b(x)."), build_messages("Write a function named c_d(x).")
    done = []
    answers = engine.answer_batch([code_a, QUESTION, code_b, QUESTION, QUESTION], GREEDY, PLAINLY, batch_size=2,
                                  progress=done.append)  # fmt: skip
    assert [a.text for a in answers] == ["code A", "The answer is 1.", "code B", "The answer is 2.", "The answer is 3."]
    assert [a.tool is None for a in answers] == [True, False, True, False, False] and sum(done) == 5


def test_eval_scores_a_requested_function_as_code(tmp_path):
    from loco_mlx.evaluation.benchmarks import BenchmarkItem
    from loco_mlx.evaluation.gate import score_items

    engine = tool_engine(tmp_path, [CLAMP])
    engine.use_adapter("calc")
    asserts = "assert clamp(15, 0, 10) == 10\nassert clamp(-2, 0, 10) == 0"
    item = BenchmarkItem(id="c1", input=CLAMP_REQUEST[0]["content"], expected=asserts, scorer="code_exec")
    [result] = score_items([item], engine.answer_batch([item.messages()], GREEDY, PLAINLY))
    assert result.passed and result.output == CLAMP  # run by the scorer's asserts, not as the answer


def test_votes_on_a_request_for_code_pick_a_reply_not_a_number_in_it(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [CLAMP, CLAMP, CLAMP])
    engine.use_adapter("calc")
    result = engine.vote(CLAMP_REQUEST, GREEDY, InferenceConfig(reread=False, votes=3))  # vote_method "auto"
    assert result.text == CLAMP and result.tools == []
    assert result.method == "best"  # not a numeric vote over the 15 of its example call


def test_the_batched_server_decodes_a_request_for_code_as_plain_text(tmp_path):
    from loco_mlx.serve.batched import uses_tool
    from loco_mlx.serve.catalog import Target
    from loco_mlx.serve.worker import Job

    engine = tool_engine(tmp_path, [])

    def job(messages):
        return Job(Target("adapter", "calc"), "", GREEDY, [], messages=messages)

    assert uses_tool(engine, job(QUESTION), "calc") and not uses_tool(engine, job(CLAMP_REQUEST), "calc")
    assert not uses_tool(engine, job(QUESTION), "math")  # a text adapter never runs programs


def test_generate_prints_requested_code_once(tmp_path, no_runs):
    from loco_mlx.config import GenerateConfig
    from loco_mlx.inference.chat import answer_once

    engine = tool_engine(tmp_path, [CLAMP])
    engine.use_adapter("calc")
    out, err = [], []
    answer_once(engine, CLAMP_REQUEST[0]["content"], GenerateConfig(sampling=GREEDY, inference=PLAINLY),
                out=out.append, err=err.append)  # fmt: skip
    assert "".join(out) == CLAMP + "\n" and CODE_REQUEST_NOTICE in err


def test_the_server_returns_requested_code_once_streamed_or_not(tmp_path, no_runs):
    engine = tool_engine(tmp_path, [CLAMP, CLAMP])
    with serve_fake(engine, tmp_path) as url:
        body = {"model": "calc", "messages": CLAMP_REQUEST}
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60).json()
        with httpx.stream("POST", f"{url}/v1/chat/completions", json={**body, "stream": True}, timeout=60) as r:
            chunks = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    assert reply["choices"][0]["message"]["content"] == CLAMP and "tool" not in reply["loco"]
    assert reply["loco"]["notice"] == CODE_REQUEST_NOTICE and chunks[0]["loco"]["notice"] == reply["loco"]["notice"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == CLAMP
