"""Small Python functions, each with asserts computed by an independent oracle.

A template is one task (reverse a string, fizzbuzz, run-length encoding...). Each sample varies
the function and parameter names, the wording, a task parameter where there is one, and the
test inputs. The reply is the reference solution in a ```python block; the benchmark's expected
value is the assert lines, run after the model's code by the code_exec scorer. Outputs are
computed by a separate oracle, not by the reference solution, and every sample's solution is run
against its asserts when drawn. Tiers are per task: easy ones are a line with a built-in, medium
ones a loop with a condition, hard ones several branches or state.
"""

from __future__ import annotations

import math
import random
import textwrap
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Callable

from loco_mlx.data.synth.common import Domain, Sample, Template, render
from loco_mlx.errors import LocoError

WORDS = ("apple", "river", "stone", "light", "garden", "music", "window", "planet", "coffee", "forest", "yellow",
         "bridge", "candle", "orange", "silver", "rocket", "pencil", "summer", "dragon", "tree", "sky", "moon",
         "book", "chair", "table", "mountain", "ocean", "happy", "quick", "brown", "fox", "jumps", "lazy", "dog",
         "code", "data", "paper", "stream", "cloud", "green", "rhythm", "spy")  # fmt: skip
PALINDROMES = ("level", "radar", "noon", "civic", "kayak", "refer", "racecar", "madam", "stats", "a", "abba")
FRAMES = (
    "Write a Python function `{sig}` that {desc}.",
    "Implement `{sig}` in Python. It {desc}.",
    "Define a function {sig} which {desc}.",
    "I need a Python function `{sig}`: it {desc}.",
    "Create a function called {fn} that takes {argwords} and {desc}.",
    "Complete this function so that it {desc}.\n\n```python\ndef {sig}:\n    pass\n```",
    "Write `{sig}`. The function {desc}.",
    "Please write a short Python function named {fn}. Given {argwords}, it {desc}.",
    "Python exercise: {fn}({args}) {desc}. Write it.",
)
EXAMPLES = (" For example, `{call}` returns `{result}`.", " Example: {call} == {result}", " So {call} gives {result}.")
N_TESTS = 5


@dataclass(frozen=True)
class Task:
    slug: str
    tier: str
    names: tuple[str, ...]  # function names to choose from
    args: tuple[tuple[str, ...], ...]  # parameter-name choices
    descs: tuple[str, ...]  # "returns ..."; {a} {b} are the parameter names, {fn} the function, others params
    source: str  # the reference solution; __fn__, __a__, __b__ and __<param>__ are replaced
    oracle: Callable[..., Any]  # oracle(params, *args): the expected output, computed another way
    inputs: Callable[[random.Random, dict], tuple]  # the arguments of one call
    params: Callable[[random.Random], dict] = lambda rng: {}
    edges: tuple[tuple, ...] = ()  # argument tuples worth testing often (an empty list, 0, ...)


def _make(task: Task) -> Callable[[random.Random], Sample]:
    def make(rng: random.Random) -> Sample:
        fn, args, params = rng.choice(task.names), rng.choice(task.args), task.params(rng)
        names = {"fn": fn, "a": args[0], "b": args[-1], **params}
        source = task.source
        for key, value in names.items():
            source = source.replace(f"__{key}__", str(value))
        calls = _calls(rng, task, params)
        results = [task.oracle(params, *call) for call in calls]
        shown = [f"{fn}({', '.join(repr(x) for x in call)})" for call in calls]
        tests = "".join(f"assert {call} == {result!r}\n" for call, result in zip(shown, results))
        desc = render(rng, rng.choice(task.descs), **names)
        argwords = args[0] if len(args) == 1 else f"{args[0]} and {args[1]}"
        prompt = render(
            rng, rng.choice(FRAMES), sig=f"{fn}({', '.join(args)})", fn=fn, args=", ".join(args), argwords=argwords,
            desc=desc,
        )  # fmt: skip
        if rng.random() < 0.5:  # an example call half the time: prompts vary, and it pins down the format
            example = rng.choice(EXAMPLES).format(call=shown[0], result=repr(results[0]))
            prompt += "\n\n" + example.lstrip() if prompt.endswith("```") else example
        return Sample(prompt, f"```python\n{source}```", tests, task.tier)

    return make


def _calls(rng: random.Random, task: Task, params: dict) -> list[tuple]:
    calls, seen = [], set()
    if task.edges and rng.random() < 0.7:
        calls.append(rng.choice(task.edges))
        seen.add(repr(calls[0]))
    for _ in range(50):
        if len(calls) == N_TESTS:
            break
        call = task.inputs(rng, params)
        if repr(call) not in seen:
            seen.add(repr(call))
            calls.append(call)
    rng.shuffle(calls)
    return calls


def _ints(rng: random.Random, n: tuple[int, int], lo: int = -20, hi: int = 50) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(*n))]


def _sentence(rng: random.Random, n: tuple[int, int] = (1, 7)) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(*n)))


def _mixed_case(rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in _sentence(rng, (1, 4)))


def _palindrome_or_not(rng: random.Random, p: dict) -> tuple:
    if rng.random() < 0.5:
        return (rng.choice(PALINDROMES),)
    return (rng.choice(WORDS),)


def _anagram_pair(rng: random.Random, p: dict) -> tuple:
    word = rng.choice(WORDS)
    letters = list(word)
    rng.shuffle(letters)
    if rng.random() < 0.5:
        return (word, "".join(letters))
    letters[rng.randrange(len(letters))] = rng.choice("xyzq")
    return (word, "".join(letters))


def _runs(rng: random.Random, p: dict) -> tuple:
    letters = rng.sample("abcdxyz", rng.randint(1, 4))
    return ("".join(ch * rng.randint(1, 4) for ch in letters),)


def _two_distinct(rng: random.Random, p: dict) -> tuple:
    values = _ints(rng, (2, 7))
    if len(set(values)) < 2:
        values.append(values[0] + rng.randint(1, 9))
    if rng.random() < 0.4:
        values.append(max(values))  # a repeated maximum: the distinct second value is wanted
    return (values,)


def _average_list(rng: random.Random, p: dict) -> tuple:
    values = _ints(rng, (1, 6), 0, 40)
    values.append(len(values) + 1 - sum(values) % (len(values) + 1) + rng.randint(0, 3) * (len(values) + 1))
    return (values,)  # the sum is a multiple of the length, so the mean is a whole number


def _fizz_input(rng: random.Random, p: dict) -> tuple:
    k, m = p["k"], p["m"]
    base = rng.choice((k * m, k, m, 1))
    n = base * rng.randint(1, 6)
    return (n if base != 1 else rng.choice([x for x in range(1, 60) if x % k and x % m]),)


def _sorted_pair(rng: random.Random, p: dict) -> tuple:
    return (sorted(_ints(rng, (0, 5))), sorted(_ints(rng, (0, 5))))


def _rle(p: dict, s: str) -> str:
    return "".join(f"{ch}{len(list(run))}" for ch, run in groupby(s))


def _fib(p: dict, n: int) -> int:
    seq = [0, 1]
    while len(seq) <= n:
        seq.append(seq[-1] + seq[-2])
    return seq[n]


def _count_by(pred: Callable[[Any], bool], items) -> int:
    return len([x for x in items if pred(x)])


def _t(slug: str, tier: str, names: tuple[str, ...], args: tuple[tuple[str, ...], ...], **kw) -> Task:
    """A Task whose source is written indented in the table below."""
    return Task(slug, tier, names, args, source=textwrap.dedent(kw.pop("source")).strip("\n") + "\n", **kw)


# parameter-name choices shared by several tasks
S = (("s",), ("text",), ("word",))
TEXT = (("sentence",), ("text",), ("s",))
NUMS = (("nums",), ("numbers",), ("values",))
N = (("n",), ("num",), ("x",))
PAIR = (("nums", "limit"), ("values", "threshold"), ("numbers", "n"))

TASKS = (
    # --- easy: one line with a built-in -------------------------------------------------------------
    _t("reverse-string", "easy", ("reverse_string", "reverse_text", "backwards"), S,
       descs=("returns {a} reversed", "returns the string {a} with its characters in reverse order",
              "gives back the characters of {a} from last to first"),
       source="""
           def __fn__(__a__):
               return __a__[::-1]
       """,
       oracle=lambda p, s: "".join(reversed(s)), inputs=lambda r, p: (_sentence(r, (1, 3)),), edges=(("",),)),
    _t("largest", "easy", ("largest", "max_value", "biggest"), NUMS,
       descs=("returns the largest number in the non-empty list {a}",
              "returns the biggest value in the list {a}, which is never empty",
              "finds the maximum of the non-empty list {a} and returns it"),
       source="""
           def __fn__(__a__):
               return max(__a__)
       """,
       oracle=lambda p, xs: sorted(xs)[-1], inputs=lambda r, p: (_ints(r, (1, 8)),)),
    _t("sum-squares", "easy", ("sum_of_squares", "square_sum", "sum_squares"), NUMS,
       descs=("returns the sum of the squares of the numbers in {a} (0 for an empty list)",
              "squares every number in the list {a} and returns the total of those squares (0 when {a} is empty)"),
       source="""
           def __fn__(__a__):
               return sum(x * x for x in __a__)
       """,
       oracle=lambda p, xs: sum(x**2 for x in xs), inputs=lambda r, p: (_ints(r, (1, 6), -9, 12),), edges=(([],),)),
    _t("count-words", "easy", ("count_words", "word_count", "num_words"), TEXT,
       descs=("returns the number of words in {a}; words are separated by single spaces",
              "counts the words in the string {a} (single spaces between words) and returns that count"),
       source="""
           def __fn__(__a__):
               return len(__a__.split())
       """,
       oracle=lambda p, s: s.count(" ") + 1 if s else 0, inputs=lambda r, p: (_sentence(r),), edges=(("",),)),
    _t("squares-list", "easy", ("squares", "square_all", "squared"), NUMS,
       descs=("returns a new list with every number in {a} squared, in the same order",
              "returns the list of the squares of the numbers in {a}, keeping their order"),
       source="""
           def __fn__(__a__):
               return [x * x for x in __a__]
       """,
       oracle=lambda p, xs: [x**2 for x in xs], inputs=lambda r, p: (_ints(r, (1, 6), -9, 12),), edges=(([],),)),
    _t("celsius-to-fahrenheit", "easy", ("celsius_to_fahrenheit", "to_fahrenheit", "c_to_f"),
       (("c",), ("celsius",), ("temp",)),
       descs=("converts the temperature {a} from Celsius to Fahrenheit with F = C * 9 / 5 + 32 and returns it",
              "returns the Fahrenheit value of {a} degrees Celsius (multiply by 9, divide by 5, add 32)"),
       source="""
           def __fn__(__a__):
               return __a__ * 9 / 5 + 32
       """,
       oracle=lambda p, c: c // 5 * 9 + 32, inputs=lambda r, p: (5 * r.randint(-8, 24),), edges=((0,), (100,))),
    _t("count-upper", "easy", ("count_upper", "uppercase_count", "num_capitals"), S,
       descs=("returns how many uppercase letters there are in {a}",
              "counts the capital letters in the string {a} and returns the count"),
       source="""
           def __fn__(__a__):
               return sum(1 for ch in __a__ if ch.isupper())
       """,
       oracle=lambda p, s: _count_by(lambda c: "A" <= c <= "Z", s), inputs=lambda r, p: (_mixed_case(r),),
       edges=(("",),)),
    _t("product", "easy", ("product", "multiply_all", "list_product"), NUMS,
       descs=("returns the product of all the numbers in {a}, or 1 when {a} is empty",
              "multiplies the numbers of the list {a} together and returns the result (1 for an empty list)"),
       source="""
           def __fn__(__a__):
               result = 1
               for x in __a__:
                   result *= x
               return result
       """,
       oracle=lambda p, xs: math.prod(xs), inputs=lambda r, p: (_ints(r, (1, 5), -5, 9),), edges=(([],),)),
    _t("first-and-last", "easy", ("first_and_last", "ends", "first_last"), NUMS,
       descs=("returns a list holding the first and the last element of the non-empty list {a}",
              "returns [first, last]: the first and last items of {a}, which is never empty"),
       source="""
           def __fn__(__a__):
               return [__a__[0], __a__[-1]]
       """,
       oracle=lambda p, xs: [xs[0], xs[len(xs) - 1]], inputs=lambda r, p: (_ints(r, (1, 6)),)),
    _t("average", "easy", ("average", "mean", "list_average"), NUMS,
       descs=("returns the average (arithmetic mean) of the numbers in the non-empty list {a}",
              "returns the sum of the non-empty list {a} divided by its length"),
       source="""
           def __fn__(__a__):
               return sum(__a__) / len(__a__)
       """,
       oracle=lambda p, xs: sum(xs) // len(xs), inputs=_average_list),
    # --- medium: a loop or a filter with a condition -------------------------------------------------
    _t("count-vowels", "medium", ("count_vowels", "vowel_count", "num_vowels"), S,
       descs=("returns how many vowels (a, e, i, o, u) the lowercase string {a} contains",
              "counts the vowels a, e, i, o and u in the lowercase string {a} and returns the count"),
       source="""
           def __fn__(__a__):
               count = 0
               for ch in __a__:
                   if ch in "aeiou":
                       count += 1
               return count
       """,
       oracle=lambda p, s: sum(s.count(v) for v in "aeiou"), inputs=lambda r, p: (_sentence(r, (1, 4)),),
       edges=(("",), ("rhythm",))),
    _t("sum-evens", "medium", ("sum_evens", "sum_of_evens", "even_sum"), NUMS,
       descs=("returns the sum of the even numbers in {a}",
              "adds up only the even numbers of the list {a} and returns the total"),
       source="""
           def __fn__(__a__):
               return sum(x for x in __a__ if x % 2 == 0)
       """,
       oracle=lambda p, xs: sum(filter(lambda x: not x & 1, xs)), inputs=lambda r, p: (_ints(r, (1, 8)),),
       edges=(([],), ([1, 3, 5],))),
    _t("factorial", "medium", ("factorial", "fact", "factorial_of"), (("n",), ("num",), ("k",)),
       descs=("returns the factorial of the non-negative integer {a} (the factorial of 0 is 1)",
              "returns {a}! = 1 * 2 * ... * {a} for a non-negative integer {a}, with 0! = 1"),
       source="""
           def __fn__(__a__):
               result = 1
               for i in range(2, __a__ + 1):
                   result *= i
               return result
       """,
       oracle=lambda p, n: math.factorial(n), inputs=lambda r, p: (r.randint(1, 12),), edges=((0,), (1,))),
    _t("is-palindrome", "medium", ("is_palindrome", "palindrome", "reads_same_backwards"), S,
       descs=("returns True if the string {a} reads the same forwards and backwards, and False otherwise",
              "tells whether {a} is a palindrome, returning True or False"),
       source="""
           def __fn__(__a__):
               return __a__ == __a__[::-1]
       """,
       oracle=lambda p, s: all(s[i] == s[len(s) - 1 - i] for i in range(len(s))), inputs=_palindrome_or_not),
    _t("count-char", "medium", ("count_char", "char_count", "occurrences"),
       (("s", "ch"), ("text", "c"), ("word", "letter")),
       descs=("returns how many times the character {b} appears in the string {a}",
              "counts the occurrences of the single character {b} in {a} and returns the number"),
       source="""
           def __fn__(__a__, __b__):
               count = 0
               for x in __a__:
                   if x == __b__:
                       count += 1
               return count
       """,
       oracle=lambda p, s, c: s.count(c), inputs=lambda r, p: (_sentence(r, (1, 3)), r.choice("aeonrst"))),
    _t("sum-multiples", "medium", ("sum_multiples", "sum_divisible", "multiples_sum"), NUMS,
       descs=("returns the sum of the numbers in {a} that are divisible by {k}",
              "adds up the numbers of {a} that are multiples of {k} and returns the total"),
       source="""
           def __fn__(__a__):
               return sum(x for x in __a__ if x % __k__ == 0)
       """,
       oracle=lambda p, xs: sum(x for x in xs if x / p["k"] == x // p["k"]),
       inputs=lambda r, p: (_ints(r, (1, 8), 0, 60),),
       params=lambda r: {"k": r.choice((3, 4, 5, 6, 7))}, edges=(([],),)),
    _t("long-words", "medium", ("long_words", "filter_long", "longer_words"), TEXT,
       descs=("returns a list of the words in {a} (separated by single spaces) that have more than {k} letters, "
              "in their original order",
              "keeps only the words of {a} longer than {k} letters and returns them as a list, in order; words "
              "are separated by single spaces"),
       source="""
           def __fn__(__a__):
               return [w for w in __a__.split() if len(w) > __k__]
       """,
       oracle=lambda p, s: [w for w in s.split(" ") if s and len(w) >= p["k"] + 1], inputs=lambda r, p: (_sentence(r),),
       params=lambda r: {"k": r.choice((3, 4, 5, 6))}),
    _t("capitalize-words", "medium", ("capitalize_words", "title_words", "cap_words"), TEXT,
       descs=("returns {a} with the first letter of every word in upper case; {a} is lowercase words separated by "
              "single spaces",
              "makes the first letter of each word of {a} a capital and returns the new string ({a} holds "
              "lowercase words and single spaces)"),
       source="""
           def __fn__(__a__):
               return " ".join(w[0].upper() + w[1:] for w in __a__.split(" "))
       """,
       oracle=lambda p, s: s.title(), inputs=lambda r, p: (_sentence(r),)),
    _t("dedupe", "medium", ("dedupe", "remove_duplicates", "unique_in_order"), NUMS,
       descs=("returns a new list without the duplicates in {a}, keeping the first occurrence of each value in order",
              "removes repeated values from {a} and returns the rest as a list, in the order they first appear"),
       source="""
           def __fn__(__a__):
               seen = set()
               out = []
               for x in __a__:
                   if x not in seen:
                       seen.add(x)
                       out.append(x)
               return out
       """,
       oracle=lambda p, xs: list(dict.fromkeys(xs)), inputs=lambda r, p: (_ints(r, (1, 9), 0, 6),), edges=(([],),)),
    _t("count-greater", "medium", ("count_greater", "count_above", "num_greater"), PAIR,
       descs=("returns how many numbers in {a} are greater than {b}",
              "counts the values in the list {a} that are strictly greater than {b}"),
       source="""
           def __fn__(__a__, __b__):
               return sum(1 for x in __a__ if x > __b__)
       """,
       oracle=lambda p, xs, t: _count_by(lambda x: t < x, xs),
       inputs=lambda r, p: (_ints(r, (1, 8)), r.randint(-5, 30))),
    _t("digit-sum", "medium", ("digit_sum", "sum_digits", "sum_of_digits"), N,
       descs=("returns the sum of the digits of the non-negative integer {a}",
              "adds up the decimal digits of {a}, a non-negative integer, and returns the total"),
       source="""
           def __fn__(__a__):
               total = 0
               while __a__ > 0:
                   total += __a__ % 10
                   __a__ //= 10
               return total
       """,
       oracle=lambda p, n: sum(int(c) for c in str(n)), inputs=lambda r, p: (r.randint(1, 99999),), edges=((0,),)),
    _t("spread", "medium", ("value_range", "spread", "max_minus_min"), NUMS,
       descs=("returns the difference between the largest and the smallest number in the non-empty list {a}",
              "returns how far apart the maximum and the minimum of the non-empty list {a} are (max minus min)"),
       source="""
           def __fn__(__a__):
               return max(__a__) - min(__a__)
       """,
       oracle=lambda p, xs: sorted(xs)[-1] - sorted(xs)[0], inputs=lambda r, p: (_ints(r, (1, 8)),)),
    _t("all-unique", "medium", ("all_unique", "has_unique_chars", "no_repeats"), S,
       descs=("returns True if no character appears more than once in the string {a}, and False otherwise",
              "checks that every character of {a} is different from the others and returns True or False",
              "returns False as soon as some character repeats in {a}, else True"),
       source="""
           def __fn__(__a__):
               return len(set(__a__)) == len(__a__)
       """,
       oracle=lambda p, s: all(s.count(c) == 1 for c in s), inputs=lambda r, p: (r.choice(WORDS),), edges=(("",),)),
    # --- hard: several branches or some state --------------------------------------------------------
    _t("fizzbuzz", "hard", ("fizzbuzz", "fizz_buzz", "fb"), N,
       descs=("returns 'FizzBuzz' if {a} is divisible by both {k} and {m}, 'Fizz' if it is divisible only by {k}, "
              "'Buzz' if it is divisible only by {m}, and otherwise {a} as a string",
              "plays fizzbuzz with {k} and {m}: it returns 'Fizz' for multiples of {k}, 'Buzz' for multiples of "
              "{m}, 'FizzBuzz' for multiples of both, and str({a}) for any other {a}"),
       source="""
           def __fn__(__a__):
               if __a__ % __k__ == 0 and __a__ % __m__ == 0:
                   return "FizzBuzz"
               if __a__ % __k__ == 0:
                   return "Fizz"
               if __a__ % __m__ == 0:
                   return "Buzz"
               return str(__a__)
       """,
       oracle=lambda p, n: ("Fizz" * (n % p["k"] == 0) + "Buzz" * (n % p["m"] == 0)) or str(n), inputs=_fizz_input,
       params=lambda r: dict(zip("km", r.choice(((3, 5), (2, 7), (3, 4), (4, 5), (3, 7)))))),
    _t("fibonacci", "hard", ("fibonacci", "fib", "nth_fibonacci"), (("n",), ("k",), ("index",)),
       descs=("returns the Fibonacci number at position {a}, counting from {fn}(0) == 0 and {fn}(1) == 1",
              "returns the {a}-th term of the sequence 0, 1, 1, 2, 3, 5, 8, ... where each term is the sum of the "
              "two before it (the term at 0 is 0)"),
       source="""
           def __fn__(__a__):
               a, b = 0, 1
               for _ in range(__a__):
                   a, b = b, a + b
               return a
       """,
       oracle=_fib, inputs=lambda r, p: (r.randint(2, 30),), edges=((0,), (1,))),
    _t("is-prime", "hard", ("is_prime", "prime", "check_prime"), N,
       descs=("returns True if the integer {a} is a prime number, and False otherwise (numbers below 2 are not prime)",
              "decides whether {a} is prime: True when {a} is at least 2 and has no divisor other than 1 and "
              "itself, else False"),
       source="""
           def __fn__(__a__):
               if __a__ < 2:
                   return False
               d = 2
               while d * d <= __a__:
                   if __a__ % d == 0:
                       return False
                   d += 1
               return True
       """,
       oracle=lambda p, n: n >= 2 and all(n % d for d in range(2, n)), inputs=lambda r, p: (r.randint(0, 120),),
       edges=((1,), (2,))),
    _t("gcd", "hard", ("gcd", "greatest_common_divisor", "common_divisor"), (("a", "b"), ("x", "y"), ("m", "n")),
       descs=("returns the greatest common divisor of the positive integers {a} and {b}, without the math module",
              "finds the largest integer that divides both {a} and {b} (positive integers) and returns it, "
              "without importing math"),
       source="""
           def __fn__(__a__, __b__):
               while __b__:
                   __a__, __b__ = __b__, __a__ % __b__
               return __a__
       """,
       oracle=lambda p, a, b: math.gcd(a, b),
       inputs=lambda r, p: (r.randint(1, 30) * r.choice((1, 2, 3, 6)), r.randint(1, 90))),
    _t("second-largest", "hard", ("second_largest", "runner_up", "second_max"), NUMS,
       descs=("returns the second largest distinct value in {a}, a list holding at least two different numbers",
              "returns the biggest number in {a} that is smaller than its maximum ({a} has at least two "
              "different values)"),
       source="""
           def __fn__(__a__):
               return sorted(set(__a__))[-2]
       """,
       oracle=lambda p, xs: max(x for x in xs if x != max(xs)), inputs=_two_distinct),
    _t("run-length", "hard", ("run_length", "rle", "compress"), S,
       descs=("returns the run-length encoding of {a}: each run of a repeated character becomes the character "
              "followed by the length of the run, so 'aaab' becomes 'a3b1'",
              "compresses {a} by writing each block of equal characters as that character and the block's "
              "length (for example 'xxyzzz' gives 'x2y1z3')"),
       source="""
           def __fn__(__a__):
               out = ""
               i = 0
               while i < len(__a__):
                   j = i
                   while j < len(__a__) and __a__[j] == __a__[i]:
                       j += 1
                   out += __a__[i] + str(j - i)
                   i = j
               return out
       """,
       oracle=_rle, inputs=_runs, edges=(("",),)),
    _t("is-anagram", "hard", ("is_anagram", "anagrams", "same_letters"), (("a", "b"), ("s", "t"), ("first", "second")),
       descs=("returns True if the strings {a} and {b} contain exactly the same letters the same number of times, "
              "and False otherwise",
              "checks whether {b} is an anagram of {a} (a rearrangement of the same letters) and returns True or "
              "False"),
       source="""
           def __fn__(__a__, __b__):
               return sorted(__a__) == sorted(__b__)
       """,
       oracle=lambda p, a, b: Counter(a) == Counter(b), inputs=_anagram_pair),
    _t("reverse-number", "hard", ("reverse_number", "reverse_digits", "flip_digits"), N,
       descs=("returns the non-negative integer {a} with its digits in reverse order, dropping leading zeros "
              "(so 120 becomes 21)",
              "reads the digits of {a} backwards and returns them as an integer, e.g. 3400 gives 43"),
       source="""
           def __fn__(__a__):
               return int(str(__a__)[::-1])
       """,
       oracle=lambda p, n: _reverse_digits(n), inputs=lambda r, p: (r.randint(1, 9999) * r.choice((1, 1, 10)),),
       edges=((0,), (7,))),
    _t("first-greater", "hard", ("first_greater", "index_above", "find_first_above"), PAIR,
       descs=("returns the index of the first number in {a} that is greater than {b}, or -1 if there is none",
              "scans {a} from the start and returns the position of the first value above {b}; when no value is "
              "above {b} it returns -1"),
       source="""
           def __fn__(__a__, __b__):
               for i, x in enumerate(__a__):
                   if x > __b__:
                       return i
               return -1
       """,
       oracle=lambda p, xs, t: next((i for i in range(len(xs)) if xs[i] > t), -1),
       inputs=lambda r, p: (_ints(r, (1, 7)), r.randint(0, 40)),
       edges=(([], 5),)),
    _t("merge-sorted", "hard", ("merge_sorted", "merge_lists", "combine_sorted"),
       (("a", "b"), ("left", "right"), ("xs", "ys")),
       descs=("returns one sorted list holding all the numbers of the two sorted lists {a} and {b}",
              "merges the ascending lists {a} and {b} into a single ascending list, keeping duplicates, and "
              "returns it"),
       source="""
           def __fn__(__a__, __b__):
               out = []
               i = j = 0
               while i < len(__a__) and j < len(__b__):
                   if __a__[i] <= __b__[j]:
                       out.append(__a__[i])
                       i += 1
                   else:
                       out.append(__b__[j])
                       j += 1
               return out + __a__[i:] + __b__[j:]
       """,
       oracle=lambda p, a, b: sorted(a + b), inputs=_sorted_pair),
)  # fmt: skip


def _reverse_digits(n: int) -> int:
    out = 0
    while n:
        out, n = out * 10 + n % 10, n // 10
    return out


def verify(sample: Sample) -> None:
    """The reply is one python block, and its code passes the sample's asserts.

    Run here with exec: the code is this module's own reference solution, not model output; the
    tests check model output with the code_exec scorer's sandbox instead.
    """
    if not (sample.reply.startswith("```python\n") and sample.reply.endswith("```")) or sample.reply.count("```") != 2:
        raise LocoError(f"reply {sample.reply[:40]!r} is not one ```python block")
    if not isinstance(sample.expected, str) or sample.expected.count("assert ") < 3:
        raise LocoError(f"tests {sample.expected!r} have fewer than 3 asserts")
    code = sample.reply.removeprefix("```python\n").removesuffix("```")
    try:
        exec(compile(code + "\n" + sample.expected, "<reference>", "exec"), {"__name__": "loco_synth_check"})
    except Exception as exc:  # any failure of the reference is a bug in the task
        raise LocoError(f"the reference solution fails its tests: {type(exc).__name__}: {exc}") from None


TEMPLATES = [Template(task.slug, task.tier, _make(task)) for task in TASKS]
DOMAIN = Domain("code", "code_exec", tuple(TEMPLATES), verify)
