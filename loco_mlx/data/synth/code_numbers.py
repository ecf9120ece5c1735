"""Code tasks on numbers, and small algorithms (searching, parsing, dynamic scans)."""

from __future__ import annotations

import calendar
import datetime
import math
import random
from itertools import groupby

from loco_mlx.data.synth.code_common import NUMS, WORDS, N, S, ints, task

ROMAN = (("M", 1000), ("CM", 900), ("D", 500), ("CD", 400), ("C", 100), ("XC", 90), ("L", 50), ("XL", 40),
         ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))  # fmt: skip
# One pattern per digit value 0-9, for ones, tens, hundreds: the numeral written digit by digit.
_ROMAN_DIGITS = (("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"),
                 ("", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"),
                 ("", "C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"))  # fmt: skip


def _fib(p: dict, n: int) -> int:
    seq = [0, 1]
    while len(seq) <= n:
        seq.append(seq[-1] + seq[-2])
    return seq[n]


def _fizz_input(rng: random.Random, p: dict) -> tuple:
    k, m = p["k"], p["m"]
    base = rng.choice((k * m, k, m, 1))
    n = base * rng.randint(1, 6)
    return (n if base != 1 else rng.choice([x for x in range(1, 60) if x % k and x % m]),)


def _reverse_digits(p: dict, n: int) -> int:
    out = 0
    while n:
        out, n = out * 10 + n % 10, n // 10
    return out


def _digit_count(p: dict, n: int) -> int:
    count = 1
    while n >= 10:
        n, count = n // 10, count + 1
    return count


def _collatz(p: dict, n: int) -> int:
    return 0 if n == 1 else 1 + _collatz(p, n // 2 if n % 2 == 0 else 3 * n + 1)


def _divisors(p: dict, n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _roman(n: int) -> str:
    thousands, rest = divmod(n, 1000)
    return "M" * thousands + "".join(_ROMAN_DIGITS[i][rest // 10**i % 10] for i in (2, 1, 0))


def _roman_value(p: dict, numeral: str) -> int:
    total, i = 0, 0
    while i < len(numeral):
        symbol, value = next((s, v) for s, v in ROMAN if numeral.startswith(s, i))
        total, i = total + value, i + len(symbol)
    return total


def _year(rng: random.Random, p: dict) -> tuple:
    return (rng.choice((rng.randint(1, 30) * 100, rng.randint(1, 500) * 4, rng.randint(1000, 2400))),)


def _clamp_input(rng: random.Random, p: dict) -> tuple:
    lo = rng.randint(-10, 20)
    return (rng.randint(-20, 40), lo, lo + rng.randint(0, 15))


def _brackets(rng: random.Random, p: dict) -> tuple:
    text = ""
    for _ in range(rng.randint(1, 4)):
        pair = rng.choice(("()", "[]"))
        text = rng.choice((pair[0] + text + pair[1], text + pair))
    if rng.random() < 0.5:  # unbalance it: drop, swap or flip a character
        i = rng.randrange(len(text))
        text = rng.choice((text[:i] + text[i + 1 :], text[::-1], text.replace("]", ")", 1)))
    return (text,)


def _balanced(p: dict, s: str) -> bool:
    while "()" in s or "[]" in s:
        s = s.replace("()", "").replace("[]", "")
    return s == ""


def _sorted_search(rng: random.Random, p: dict) -> tuple:
    xs = sorted(rng.sample(range(-10, 40), rng.randint(0, 8)))
    return (xs, rng.choice(xs) if xs and rng.random() < 0.6 else rng.randint(-10, 40))


def _max_run_sum(p: dict, xs: list[int]) -> int:
    return max(sum(xs[i:j]) for i in range(len(xs)) for j in range(i + 1, len(xs) + 1))


def _one_pair(rng: random.Random, p: dict) -> tuple:
    """A list with exactly one pair of positions that adds up to the target."""
    while True:
        xs = ints(rng, (2, 6), -5, 15)
        i, j = sorted(rng.sample(range(len(xs)), 2))
        target = xs[i] + xs[j]
        if sum(1 for a in range(len(xs)) for b in range(a + 1, len(xs)) if xs[a] + xs[b] == target) == 1:
            return (xs, target)


def _pair_found(p: dict, xs: list[int], target: int) -> list[int]:
    return next([a, b] for a in range(len(xs)) for b in range(a + 1, len(xs)) if xs[a] + xs[b] == target)


def _subsequence_pair(rng: random.Random, p: dict) -> tuple:
    big = rng.choice(WORDS) + rng.choice(WORDS)
    small = "".join(ch for ch in big if rng.random() < 0.4)
    if rng.random() < 0.5:
        return (small, big)
    if rng.random() < 0.5:  # a letter big lacks, somewhere in small
        i = rng.randint(0, len(small))
        return (small[:i] + rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c not in big]) + small[i:], big)
    return ("".join(rng.sample(big, rng.randint(2, 4))), big)


def _is_subsequence(p: dict, small: str, big: str) -> bool:
    rest = iter(big)
    return all(ch in rest for ch in small)


TASKS = (
    # --- easy --------------------------------------------------------------------------------------------
    task("celsius-to-fahrenheit", "easy", "numbers", ("celsius_to_fahrenheit", "to_fahrenheit", "c_to_f"),
         (("c",), ("celsius",), ("temp",)), ("temperature in degrees Celsius",),
         results=("the temperature {a} converted from Celsius to Fahrenheit with F = C * 9 / 5 + 32",
                  "the Fahrenheit value of {a} degrees Celsius (multiply by 9, divide by 5, add 32)"),
         source="""
             def __fn__(__a__):
                 return __a__ * 9 / 5 + 32
         """,
         oracle=lambda p, c: c // 5 * 9 + 32, inputs=lambda r, p: (5 * r.randint(-8, 24),), edges=((0,), (100,))),
    task("clamp", "easy", "numbers", ("clamp", "limit", "bound"), (("x", "lo", "hi"), ("value", "low", "high"),
         ("n", "smallest", "biggest")), ("number", "lower bound", "upper bound no smaller than the lower bound"),
         results=("{a} limited to the range from {b} to {c}: {b} when {a} is below it, {c} when {a} is above it, "
                  "else {a} itself",
                  "the value in [{b}, {c}] closest to {a}"),
         source="""
             def __fn__(__a__, __b__, __c__):
                 return max(__b__, min(__a__, __c__))
         """,
         oracle=lambda p, x, lo, hi: sorted([lo, x, hi])[1], inputs=_clamp_input),
    task("count-digits", "easy", "numbers", ("count_digits", "num_digits", "digit_count"), N,
         ("non-negative integer",),
         results=("how many decimal digits {a} has (0 has one digit)",
                  "the number of digits in {a}, counting 0 as one"),
         source="""
             def __fn__(__a__):
                 return len(str(__a__))
         """,
         oracle=_digit_count, inputs=lambda r, p: (r.randint(1, 10 ** r.randint(1, 9)),), edges=((0,), (10,))),
    task("triangular", "easy", "numbers", ("sum_to", "triangular", "sum_up_to"), N, ("non-negative integer",),
         results=("the sum 1 + 2 + ... + {a} of the whole numbers from 1 up to {a} (0 when {a} is 0)",
                  "the total of every integer from 1 to {a} inclusive, 0 for {a} = 0"),
         source="""
             def __fn__(__a__):
                 return __a__ * (__a__ + 1) // 2
         """,
         oracle=lambda p, n: sum(range(n + 1)), inputs=lambda r, p: (r.randint(1, 200),), edges=((0,), (1,))),
    # --- medium ------------------------------------------------------------------------------------------
    task("factorial", "medium", "numbers", ("factorial", "fact", "factorial_of"), (("n",), ("num",), ("k",)),
         ("non-negative integer",),
         results=("the factorial of {a} (the factorial of 0 is 1)", "{a}! = 1 * 2 * ... * {a}, with 0! = 1"),
         source="""
             def __fn__(__a__):
                 result = 1
                 for i in range(2, __a__ + 1):
                     result *= i
                 return result
         """,
         oracle=lambda p, n: math.factorial(n), inputs=lambda r, p: (r.randint(1, 12),), edges=((0,), (1,))),
    task("digit-sum", "medium", "numbers", ("digit_sum", "sum_digits", "sum_of_digits"), N, ("non-negative integer",),
         results=("the sum of the digits of {a}", "the total of the decimal digits of {a}"),
         does=("adds up the decimal digits of {a} and returns the total",),
         source="""
             def __fn__(__a__):
                 total = 0
                 while __a__ > 0:
                     total += __a__ % 10
                     __a__ //= 10
                 return total
         """,
         oracle=lambda p, n: sum(int(c) for c in str(n)), inputs=lambda r, p: (r.randint(1, 99999),), edges=((0,),)),
    task("is-leap-year", "medium", "numbers", ("is_leap_year", "is_leap", "leap_year"), (("year",), ("y",), ("yr",)),
         ("positive integer",),
         results=("True if {a} is a leap year in the Gregorian calendar (divisible by 4, except century years that "
                  "are not divisible by 400), else False",),
         does=("decides whether the year {a} is a leap year (every 4th year, but a century only when divisible by "
               "400) and returns True or False",),
         source="""
             def __fn__(__a__):
                 if __a__ % 400 == 0:
                     return True
                 if __a__ % 100 == 0:
                     return False
                 return __a__ % 4 == 0
         """,
         oracle=lambda p, y: calendar.isleap(y), inputs=_year, edges=((1900,), (2000,))),
    task("is-power-of-two", "medium", "numbers", ("is_power_of_two", "power_of_two", "is_pow2"), N, ("integer",),
         results=("True if {a} is a power of two (1, 2, 4, 8, ...), else False; zero and negative numbers are not",),
         does=("checks whether {a} equals 2 to some whole power (1 counts, 0 and negatives do not) and returns True "
               "or False",),
         source="""
             def __fn__(__a__):
                 if __a__ < 1:
                     return False
                 while __a__ % 2 == 0:
                     __a__ //= 2
                 return __a__ == 1
         """,
         oracle=lambda p, n: n > 0 and bin(n).count("1") == 1,
         inputs=lambda r, p: (r.choice((2 ** r.randint(0, 12), r.randint(-4, 300))),), edges=((0,), (1,))),
    task("to-binary", "medium", "numbers", ("to_binary", "binary", "bin_string"), N, ("non-negative integer",),
         results=("{a} written in base 2 as a string of 0s and 1s, without the '0b' prefix (0 gives '0')",
                  "the binary digits of {a} as a string, most significant first, with no prefix"),
         source="""
             def __fn__(__a__):
                 if __a__ == 0:
                     return "0"
                 bits = ""
                 while __a__ > 0:
                     bits = str(__a__ % 2) + bits
                     __a__ //= 2
                 return bits
         """,
         oracle=lambda p, n: format(n, "b"), inputs=lambda r, p: (r.randint(1, 300),), edges=((0,), (1,))),
    task("divisors", "medium", "numbers", ("divisors", "factors", "all_divisors"), N, ("positive integer",),
         results=("the list of every positive divisor of {a}, in increasing order",
                  "all the numbers from 1 to {a} that divide {a} exactly, smallest first, as a list"),
         source="""
             def __fn__(__a__):
                 return [d for d in range(1, __a__ + 1) if __a__ % d == 0]
         """,
         oracle=_divisors, inputs=lambda r, p: (r.randint(2, 100),), edges=((1,),)),
    # --- hard --------------------------------------------------------------------------------------------
    task("fizzbuzz", "hard", "numbers", ("fizzbuzz", "fizz_buzz", "fb"), N, ("positive integer",),
         results=("'FizzBuzz' if {a} is divisible by both {k} and {m}, 'Fizz' if it is divisible only by {k}, 'Buzz' "
                  "if it is divisible only by {m}, and otherwise {a} as a string",),
         does=("plays fizzbuzz with {k} and {m}: it returns 'Fizz' for multiples of {k}, 'Buzz' for multiples of "
               "{m}, 'FizzBuzz' for multiples of both, and str({a}) for any other {a}",),
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
    task("fibonacci", "hard", "numbers", ("fibonacci", "fib", "nth_fibonacci"), (("n",), ("k",), ("index",)),
         ("non-negative integer",),
         results=("the Fibonacci number at position {a}, counting from {fn}(0) == 0 and {fn}(1) == 1",
                  "term {a} of the sequence 0, 1, 1, 2, 3, 5, 8, ... where each term is the sum of the two before it "
                  "(term 0 is 0)"),
         source="""
             def __fn__(__a__):
                 a, b = 0, 1
                 for _ in range(__a__):
                     a, b = b, a + b
                 return a
         """,
         oracle=_fib, inputs=lambda r, p: (r.randint(2, 30),), edges=((0,), (1,))),
    task("is-prime", "hard", "numbers", ("is_prime", "prime", "check_prime"), N, ("integer",),
         results=("True if {a} is a prime number, and False otherwise (numbers below 2 are not prime)",
                  "whether {a} is prime: True when {a} is at least 2 and has no divisor other than 1 and itself"),
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
    task("gcd", "hard", "numbers", ("gcd", "greatest_common_divisor", "common_divisor"),
         (("a", "b"), ("x", "y"), ("m", "n")), ("positive integer", "positive integer"),
         results=("the greatest common divisor of {a} and {b}, found without the math module",
                  "the largest integer that divides both {a} and {b} (do not import math)"),
         source="""
             def __fn__(__a__, __b__):
                 while __b__:
                     __a__, __b__ = __b__, __a__ % __b__
                 return __a__
         """,
         oracle=lambda p, a, b: math.gcd(a, b),
         inputs=lambda r, p: (r.randint(1, 30) * r.choice((1, 2, 3, 6)), r.randint(1, 90))),
    task("lcm", "hard", "numbers", ("lcm", "least_common_multiple", "smallest_common_multiple"),
         (("a", "b"), ("x", "y"), ("m", "n")), ("positive integer", "positive integer"),
         results=("the least common multiple of {a} and {b}: the smallest positive integer that both divide",),
         does=("finds the smallest positive number that is a multiple of both {a} and {b} and returns it",),
         source="""
             def __fn__(__a__, __b__):
                 step = max(__a__, __b__)
                 multiple = step
                 while multiple % __a__ or multiple % __b__:
                     multiple += step
                 return multiple
         """,
         oracle=lambda p, a, b: a * b // math.gcd(a, b), inputs=lambda r, p: (r.randint(1, 20), r.randint(1, 20))),
    task("reverse-number", "hard", "numbers", ("reverse_number", "reverse_digits", "flip_digits"), N,
         ("non-negative integer",),
         results=("{a} with its digits in reverse order, as an integer without leading zeros (so 120 becomes 21)",),
         does=("reads the digits of {a} backwards and returns them as an integer, so 3400 gives 43",),
         source="""
             def __fn__(__a__):
                 return int(str(__a__)[::-1])
         """,
         oracle=_reverse_digits, inputs=lambda r, p: (r.randint(1, 9999) * r.choice((1, 1, 10)),), edges=((0,), (7,))),
    task("collatz-steps", "hard", "numbers", ("collatz_steps", "collatz_length", "steps_to_one"), N,
         ("positive integer",),
         results=("how many steps it takes to bring {a} down to 1, where a step halves an even number and turns an "
                  "odd one into 3 times it plus 1 (0 when {a} is 1)",),
         source="""
             def __fn__(__a__):
                 steps = 0
                 while __a__ != 1:
                     __a__ = __a__ // 2 if __a__ % 2 == 0 else 3 * __a__ + 1
                     steps += 1
                 return steps
         """,
         oracle=_collatz, inputs=lambda r, p: (r.randint(2, 60),), edges=((1,),)),
    task("digital-root", "hard", "numbers", ("digital_root", "repeated_digit_sum", "single_digit"), N,
         ("non-negative integer",),
         results=("the single digit you reach by adding up the digits of {a}, then the digits of that sum, and so on "
                  "until one digit is left",),
         does=("keeps replacing {a} by the sum of its digits until it has one digit, and returns that digit",),
         source="""
             def __fn__(__a__):
                 while __a__ >= 10:
                     __a__ = sum(int(d) for d in str(__a__))
                 return __a__
         """,
         oracle=lambda p, n: 0 if n == 0 else 1 + (n - 1) % 9, inputs=lambda r, p: (r.randint(10, 99999),),
         edges=((0,), (7,))),
    task("format-duration", "hard", "numbers", ("format_duration", "to_hms", "seconds_to_clock"),
         (("seconds",), ("secs",), ("total",)), ("non-negative number of seconds below 86400",),
         results=("{a} as an 'H:MM:SS' string: the whole hours, then the minutes and seconds with two digits each "
                  "(so 3725 gives '1:02:05')",),
         source="""
             def __fn__(__a__):
                 hours, rest = divmod(__a__, 3600)
                 minutes, sec = divmod(rest, 60)
                 return f"{hours}:{minutes:02d}:{sec:02d}"
         """,
         oracle=lambda p, s: str(datetime.timedelta(seconds=s)), inputs=lambda r, p: (r.randint(0, 86399),),
         edges=((0,), (59,), (3600,))),
    # --- algorithms ----------------------------------------------------------------------------------------
    task("longest-run", "hard", "algorithms", ("longest_run", "max_streak", "longest_streak"), NUMS, ("list",),
         results=("the length of the longest stretch of equal neighbouring items in {a} (0 for an empty list)",
                  "the size of the biggest block of consecutive equal values in {a}, or 0 when {a} is empty"),
         source="""
             def __fn__(__a__):
                 best = run = 0
                 for i, x in enumerate(__a__):
                     run = run + 1 if i and x == __a__[i - 1] else 1
                     best = max(best, run)
                 return best
         """,
         oracle=lambda p, xs: max((len(list(g)) for _, g in groupby(xs)), default=0),
         inputs=lambda r, p: (ints(r, (1, 9), 0, 2),), edges=(([],),)),
    task("binary-search", "hard", "algorithms", ("binary_search", "find_index", "search_sorted"),
         (("xs", "target"), ("items", "value"), ("sorted_nums", "x")),
         ("list of distinct integers in increasing order", "integer"),
         results=("the position of {b} in {a}, or -1 when {b} is not in it",),
         does=("finds {b} in the sorted list {a} by binary search and returns its index, or -1 if it is missing",),
         source="""
             def __fn__(__a__, __b__):
                 lo, hi = 0, len(__a__) - 1
                 while lo <= hi:
                     mid = (lo + hi) // 2
                     if __a__[mid] == __b__:
                         return mid
                     if __a__[mid] < __b__:
                         lo = mid + 1
                     else:
                         hi = mid - 1
                 return -1
         """,
         oracle=lambda p, xs, t: xs.index(t) if t in xs else -1, inputs=_sorted_search, edges=(([], 3),)),
    task("balanced-brackets", "hard", "algorithms", ("is_balanced", "balanced", "brackets_match"),
         (("s",), ("text",), ("expr",)), ("string made only of the characters ( ) [ and ]",),
         results=("True if every bracket in {a} is closed by a bracket of the same type in the right order, else "
                  "False",),
         does=("checks that the round and square brackets of {a} are properly matched and nested, and returns True "
               "or False",),
         source="""
             def __fn__(__a__):
                 stack = []
                 pairs = {")": "(", "]": "["}
                 for ch in __a__:
                     if ch in "([":
                         stack.append(ch)
                     elif not stack or stack.pop() != pairs[ch]:
                         return False
                 return not stack
         """,
         oracle=_balanced, inputs=_brackets, edges=(("",), ("(]",))),
    task("roman-to-int", "hard", "algorithms", ("roman_to_int", "from_roman", "parse_roman"),
         (("s",), ("numeral",), ("roman",)), ("Roman numeral in capital letters",),
         results=("the integer value of the Roman numeral {a} (I=1, V=5, X=10, L=50, C=100, D=500, M=1000, and a "
                  "smaller symbol before a larger one is subtracted, as in IV=4 or CM=900)",),
         source="""
             def __fn__(__a__):
                 values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
                 total = 0
                 for i, ch in enumerate(__a__):
                     if i + 1 < len(__a__) and values[ch] < values[__a__[i + 1]]:
                         total -= values[ch]
                     else:
                         total += values[ch]
                 return total
         """,
         oracle=_roman_value, inputs=lambda r, p: (_roman(r.randint(1, 3999)),), edges=(("IV",), ("MCMXCIV",))),
    task("int-to-roman", "hard", "algorithms", ("to_roman", "int_to_roman", "roman_numeral"), N,
         ("integer from 1 to 3999",),
         results=("{a} written as a Roman numeral in capitals, using the subtractive forms IV, IX, XL, XC, CD and CM "
                  "(so 1994 gives 'MCMXCIV')",),
         source="""
             def __fn__(__a__):
                 table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
                 out = ""
                 for value, symbol in table:
                     while __a__ >= value:
                         out += symbol
                         __a__ -= value
                 return out
         """,
         oracle=lambda p, n: _roman(n), inputs=lambda r, p: (r.randint(1, 3999),), edges=((4,), (9,))),
    task("max-subarray", "hard", "algorithms", ("max_subarray_sum", "best_run_sum", "max_slice_sum"), NUMS,
         ("non-empty list of integers",),
         results=("the largest sum of a run of one or more consecutive numbers of {a}",
                  "the biggest total you can get by adding up a non-empty stretch of neighbouring items of {a}"),
         source="""
             def __fn__(__a__):
                 best = current = __a__[0]
                 for x in __a__[1:]:
                     current = max(x, current + x)
                     best = max(best, current)
                 return best
         """,
         oracle=_max_run_sum, inputs=lambda r, p: (ints(r, (1, 8), -10, 10),), edges=(([-3, -1, -2],),)),
    task("two-sum", "hard", "algorithms", ("two_sum", "pair_indices", "find_pair"),
         (("nums", "target"), ("values", "goal"), ("xs", "total")),
         ("list of integers with exactly one pair of items that adds up to the second argument", "integer"),
         results=("[i, j] with i < j: the positions of the two numbers in {a} that add up to {b}",),
         does=("finds the two positions i < j whose numbers in {a} sum to {b} and returns them as the list [i, j]",),
         source="""
             def __fn__(__a__, __b__):
                 seen = {}
                 for j, x in enumerate(__a__):
                     if __b__ - x in seen:
                         return [seen[__b__ - x], j]
                     seen.setdefault(x, j)
                 return []
         """,
         oracle=_pair_found, inputs=_one_pair),
    task("pascal-row", "hard", "algorithms", ("pascal_row", "binomial_row", "triangle_row"), N,
         ("non-negative integer",),
         results=("row {a} of Pascal's triangle as a list of integers, counting the top row [1] as row 0",),
         does=("builds row {a} of Pascal's triangle, where row 0 is [1] and each inner number is the sum of the two "
               "above it, and returns it as a list",),
         source="""
             def __fn__(__a__):
                 row = [1]
                 for _ in range(__a__):
                     row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
                 return row
         """,
         oracle=lambda p, n: [math.comb(n, k) for k in range(n + 1)], inputs=lambda r, p: (r.randint(2, 9),),
         edges=((0,), (1,))),
    task("is-subsequence", "hard", "algorithms", ("is_subsequence", "subsequence_of", "appears_in_order"),
         (("small", "big"), ("s", "t"), ("needle", "haystack")), ("string", "string"),
         results=("True if the characters of {a} appear in {b} in the same order, not necessarily next to each "
                  "other, else False",),
         does=("checks whether {a} can be made by deleting some characters of {b} without reordering the rest, "
               "returning True or False",),
         source="""
             def __fn__(__a__, __b__):
                 i = 0
                 for ch in __b__:
                     if i < len(__a__) and __a__[i] == ch:
                         i += 1
                 return i == len(__a__)
         """,
         oracle=_is_subsequence, inputs=_subsequence_pair, edges=(("", "abc"),)),
    task("most-common-char", "hard", "algorithms", ("most_common_char", "most_frequent", "top_char"), S,
         ("non-empty string",),
         results=("the character that occurs most often in {a}; on a tie, the one that appears first in {a}",),
         does=("counts how often each character occurs in {a} and returns the most frequent one (the earliest in "
               "{a} on a tie)",),
         source="""
             def __fn__(__a__):
                 counts = {}
                 for ch in __a__:
                     counts[ch] = counts.get(ch, 0) + 1
                 best = __a__[0]
                 for ch in __a__:
                     if counts[ch] > counts[best]:
                         best = ch
                 return best
         """,
         oracle=lambda p, s: max(s, key=s.count), inputs=lambda r, p: (r.choice(WORDS) + r.choice(WORDS),)),
)  # fmt: skip
