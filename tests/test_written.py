"""`loco data import-written`: written word problems are trained on only when their program,
run in the sandbox, prints the stated answer from the question's own numbers; written code
requests only when their solution passes their tests there; neither may copy a benchmark item.
The programs really run (the sandbox of this host; rlimits only where it has no isolation, which
the tests allow so they pass on any host)."""

from __future__ import annotations

import json

import pytest

from loco_mlx.data.written import import_written, read_written
from loco_mlx.errors import LocoError
from tests.helpers import assert_user_error, loco

GOOD = {
    "question": "Four cinema tickets cost $12.50 each and I paid with a $100 note. How much change came back?",
    "program": "tickets = 4\nprice_per_ticket = 12.5\npaid = 100\nchange = paid - tickets * price_per_ticket"
    "\nprint(round(change, 2))",
    "answer": 50,
}


def problem(question: str, program: str, answer) -> dict:
    return {"question": question, "program": program, "answer": answer}


def write(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_a_program_that_prints_its_answer_becomes_one_fenced_reply(tmp_path):
    src = write(tmp_path / "written.jsonl", [GOOD])
    kept, dropped = import_written(src, str(tmp_path / "out.jsonl"), [], allow_unsandboxed=True)
    assert (kept, dropped) == (1, [])
    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert row["messages"][0] == {"role": "user", "content": GOOD["question"]}
    assert row["messages"][1]["content"] == "```python\n" + GOOD["program"] + "\n```"


def test_each_failing_check_drops_its_problem_with_the_reason(tmp_path):
    rows = [
        GOOD,
        problem("Tom has 12 apples and eats 5. How many are left?", "apples = 12\neaten = 5\nprint(apples - eaten)", 8),
        problem(
            "A shirt costs $20. How much do 3 cost?",
            "shirt = 20\ncount = 3\ntax = 1.08\nprint(shirt * count * tax)",
            64.8,
        ),
        problem("What is 7 times 6?", "a = 7\nb = 6\nprint(a * b / c)", 42),
        problem(
            "A room holds 30 people and 80 chairs. How many people fit in 2 rooms?",
            "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\nprint(30 * 2)",
            60,
        ),
        problem("How many legs do 4 dogs have?", "dogs = 4\nlegs = dogs * 4", 16),
        dict(GOOD),  # the same question twice teaches it twice
    ]
    src = write(tmp_path / "written.jsonl", rows)
    kept, dropped = import_written(src, str(tmp_path / "out.jsonl"), [], allow_unsandboxed=True)
    assert kept == 1
    why = {d.line: d.reason for d in dropped}
    assert "printed 7, the stated answer is 8" in why[2]
    assert "uses 1.08, which the question does not state" in why[3]
    assert "failed in the sandbox" in why[4] and "NameError" in why[4]
    assert "failed in the sandbox" in why[5]  # no network for someone else's code
    assert "one print(...)" in why[6]
    assert "earlier line" in why[7]


def test_stated_percentages_and_word_numbers_may_be_written_as_fractions(tmp_path):
    rows = [
        problem(
            "A $40 jacket is 15% off. What does it cost now?",
            "price = 40\nsale_price = price * 0.85\nprint(round(sale_price, 2))",
            34,
        ),
        problem(
            "Half of the 30 pupils walk to school. How many walk?",
            "pupils = 30\nwalkers = pupils * 0.5\nprint(int(walkers))",
            15,
        ),
    ]
    kept, dropped = import_written(write(tmp_path / "w.jsonl", rows), str(tmp_path / "o.jsonl"), [],
                                    allow_unsandboxed=True)  # fmt: skip
    assert (kept, dropped) == (2, [])


def test_a_near_copy_of_a_benchmark_item_is_dropped(tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        json.dumps(
            {
                "id": "b1",
                "input": "Maria has 40 stickers and gives 12 of them to her brother "
                "and 5 to her friend. How many stickers does Maria have left?",
                "expected": 23,
            }
        )
        + "\n"
    )
    question = "Maria has 50 stickers and gives 10 of them to her brother and 7 to her friend. How many stickers "
    copy = problem(
        question + "does Maria have left?", "stickers = 50\nbrother = 10\nfriend = 7\nprint(stickers - 17)", 33
    )
    kept, dropped = import_written(write(tmp_path / "w.jsonl", [GOOD, copy]), str(tmp_path / "o.jsonl"),
                                    [str(bench)], allow_unsandboxed=True)  # fmt: skip
    assert kept == 1 and [d.line for d in dropped] == [2] and "'b1'" in dropped[0].reason


def test_nothing_passing_writes_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text("previous\n")
    bad = problem("What is 2 + 2?", "print(5)", 4)
    with pytest.raises(LocoError, match="none of 1 written rows passed"):
        import_written(write(tmp_path / "w.jsonl", [bad]), str(out), [], allow_unsandboxed=True)
    assert out.read_text() == "previous\n"


def test_bad_rows_name_their_line(tmp_path):
    src = write(tmp_path / "w.jsonl", [GOOD, {"question": "q", "program": "print(1)", "answer": "1"}])
    with pytest.raises(LocoError, match=r'w.jsonl:2: "answer" must be a number'):
        read_written(src)


def test_no_isolation_is_refused_unless_allowed(tmp_path, monkeypatch):
    from loco_mlx.evaluation import sandbox

    monkeypatch.setattr(sandbox, "isolation", lambda: "none")
    with pytest.raises(LocoError, match="--allow-unsandboxed-tools"):
        import_written(write(tmp_path / "w.jsonl", [GOOD]), str(tmp_path / "o.jsonl"), [])
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_reports_drops_and_user_errors(tmp_path):
    src = write(tmp_path / "w.jsonl", [GOOD, problem("What is 2 + 2?", "print(5)", 4)])
    result = loco("data", "import-written", src, "--out", str(tmp_path / "o.jsonl"), "--allow-unsandboxed-tools")
    assert result.returncode == 0, result.stderr
    assert "w.jsonl:2: the program printed 5, the stated answer is 4" in result.stdout
    assert "wrote 1 checked rows" in result.stdout
    assert_user_error(loco("data", "import-written", str(tmp_path / "missing.jsonl"), "--out", "x.jsonl"),
                      "no such file")  # fmt: skip


def code(request: str, solution: str, tests: str) -> dict:
    return {"request": request, "solution": solution, "tests": tests}


def test_code_requests_are_kept_when_the_solution_passes_its_tests(tmp_path):
    rows = [
        code(
            "I need `double_all(xs)`: every number of xs times two.",
            "def double_all(xs):\n    return [2 * x for x in xs]",
            "assert double_all([1, 2]) == [2, 4]\nassert double_all([]) == []",
        ),
        code(
            "Write shout(s) returning s in capitals.",
            "def shout(s):\n    return s.lower()",
            "assert shout('hi') == 'HI'",
        ),
        code(
            "Write a helper that counts words.",
            "def count_words(s):\n    return len(s.split())",
            "assert count_words('a b') == 2",
        ),
        code("python: def spin(n) -> n", "def spin(n):\n    while True:\n        pass", "assert spin(1) == 1"),
        code("Write f(x).", "def f(x):\n    return x", "assert f(1) == 1\nassert ("),
    ]
    kept, dropped = import_written(write(tmp_path / "c.jsonl", rows), str(tmp_path / "o.jsonl"), [],
                                    allow_unsandboxed=True)  # fmt: skip
    assert kept == 1
    why = {d.line: d.reason for d in dropped}
    assert "fails its tests" in why[2] and "AssertionError" in why[2]
    assert "does not name count_words" in why[3]
    assert "fails its tests in the sandbox (timeout)" in why[4]  # a loop ends at the sandbox's wall clock
    assert "the tests are not Python" in why[5]
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert row["messages"][1]["content"] == "```python\ndef double_all(xs):\n    return [2 * x for x in xs]\n```"


def test_one_kind_of_row_per_file(tmp_path):
    src = write(tmp_path / "w.jsonl", [GOOD, code("Write f(x).", "def f(x):\n    return x", "assert f(1) == 1")])
    with pytest.raises(LocoError, match="w.jsonl:2: expected .*one kind per file"):
        read_written(src)


def test_a_code_request_for_a_function_a_benchmark_tests_is_dropped(tmp_path):
    """The same task in other words: the benchmark's tests call `shout`, so a written `shout` is not trained on."""
    bench = tmp_path / "bench.jsonl"
    item = {
        "id": "c7",
        "input": "Give me upper-case text.",
        "expected": "assert shout('a') == 'A'\n",
        "scorer": "code_exec",
    }
    bench.write_text(json.dumps(item) + "\n")
    rows = [
        code(
            "Write shout(s) returning s in capitals.",
            "def shout(s):\n    return s.upper()",
            "assert shout('hi') == 'HI'",
        ),
        code(
            "Write whisper(s) returning s in lower case.",
            "def whisper(s):\n    return s.lower()",
            "assert whisper('HI') == 'hi'",
        ),
    ]
    kept, dropped = import_written(write(tmp_path / "c.jsonl", rows), str(tmp_path / "o.jsonl"), [str(bench)],
                                    allow_unsandboxed=True)  # fmt: skip
    assert kept == 1 and [(d.line, d.reason) for d in dropped] == [
        (1, "writes shout, the function benchmark item 'c7' tests")
    ]


def extraction(request: str, answer) -> dict:
    return {"request": request, "json": answer}


def test_json_extractions_keep_the_requested_keys_and_the_texts_values(tmp_path):
    rows = [
        extraction(
            "Mia Ortega, 34, lives in Lyon. JSON with keys full_name, years, town please.",
            {"full_name": "Mia Ortega", "years": 34, "town": "Lyon"},
        ),
        extraction(
            "Mia Ortega, 34, lives in Lyon. JSON with keys full_name and town.", {"name": "Mia Ortega", "town": "Lyon"}
        ),  # a key the request never asked for
        extraction(
            "Order 7781 ships on 3 March 2025 to Oslo. Give order_id, ship_date (YYYY-MM-DD), city.",
            {"order_id": "7781", "ship_date": "2025-03-03", "city": "Bergen"},
        ),  # a value not in the text
        extraction(
            "Order 7781 ships on 3 March 2025. Give order_id and ship_date as YYYY-MM-DD.",
            {"order_id": 7781, "ship_date": "2025-03-03"},
        ),  # a converted date is fine
    ]
    kept, dropped = import_written(write(tmp_path / "j.jsonl", rows), str(tmp_path / "o.jsonl"), [])
    assert kept == 2
    assert {d.line: d.reason for d in dropped} == {
        2: "the request does not spell out the key 'name'",
        3: "the value 'Bergen' of 'city' is not in the request",
    }
    first = json.loads((tmp_path / "o.jsonl").read_text().splitlines()[0])
    assert first["messages"][1]["content"] == '{"full_name": "Mia Ortega", "years": 34, "town": "Lyon"}'
