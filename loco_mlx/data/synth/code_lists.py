"""Code tasks on lists and dicts: aggregates, filters, reshaping, counting and lookups."""

from __future__ import annotations

import functools
import math
import operator
import random
import statistics
from collections import deque
from itertools import accumulate, combinations, zip_longest

from loco_mlx.data.synth.code_common import NUMS, PAIR, count_by, few_words, ints, sentence, task, word_dict

_GAP = object()  # fills the shorter list in zip_longest; never a list item


def _two_distinct(rng: random.Random, p: dict) -> tuple:
    values = ints(rng, (2, 7))
    if len(set(values)) < 2:
        values.append(values[0] + rng.randint(1, 9))
    if rng.random() < 0.4:
        values.append(max(values))  # a repeated maximum: the distinct second value is wanted
    return (values,)


def _average_list(rng: random.Random, p: dict) -> tuple:
    values = ints(rng, (1, 6), 0, 40)
    values.append(len(values) + 1 - sum(values) % (len(values) + 1) + rng.randint(0, 3) * (len(values) + 1))
    return (values,)  # the sum is a multiple of the length, so the mean is a whole number


def _sorted_pair(rng: random.Random, p: dict) -> tuple:
    return (sorted(ints(rng, (0, 5))), sorted(ints(rng, (0, 5))))


def _maybe_sorted(rng: random.Random, p: dict) -> tuple:
    values = ints(rng, (2, 6), 0, 20)
    if rng.random() < 0.5:
        return (sorted(values),)
    return (sorted(values, reverse=True) if values == sorted(values) else values,)  # out of order when it can be


def _pairs_and_target(rng: random.Random, p: dict) -> tuple:
    values = ints(rng, (2, 7), 0, 9)
    pair = rng.sample(values, 2)
    return (values, sum(pair) if rng.random() < 0.7 else rng.randint(4, 14))  # mostly a target some pair reaches


def _with_multiple(rng: random.Random, p: dict) -> tuple:
    values = ints(rng, (1, 7), 0, 60)
    if rng.random() < 0.6:
        values.insert(rng.randint(0, len(values)), p["k"] * rng.randint(1, 8))
    return (values,)


def _missing(rng: random.Random, p: dict) -> tuple:
    values = list(range(rng.randint(1, 9) + 1))
    values.remove(rng.choice(values))
    rng.shuffle(values)
    return (values,)


def _matrix(rng: random.Random, p: dict) -> tuple:
    cols = rng.randint(1, 4)
    return ([ints(rng, (cols, cols), 0, 9) for _ in range(rng.randint(1, 3))],)


def _unique_max(rng: random.Random, p: dict) -> tuple:
    d = word_dict(rng, (1, 5), distinct=True)
    return (d,)


def _two_counts(rng: random.Random, p: dict) -> tuple:
    keys = few_words(rng, (2, 6), vocabulary=5)
    half = rng.randint(0, len(keys))
    return ({k: rng.randint(1, 9) for k in keys[:half]}, {k: rng.randint(1, 9) for k in keys[half:]})


def _nested(rng: random.Random, p: dict) -> tuple:
    return ([ints(rng, (0, 3), 0, 9) for _ in range(rng.randint(1, 4))],)


def _keys_values(rng: random.Random, p: dict) -> tuple:
    d = word_dict(rng, (0, 4))
    return (list(d), list(d.values()))


def _in_order(items) -> list:
    """The distinct items in first-seen order: a set's order changes with the hash seed, and it shows in the asserts."""
    return list(dict.fromkeys(items))


def _rotated(p: dict, xs: list, k: int) -> list:
    ring = deque(xs)
    ring.rotate(-k)
    return list(ring)


TASKS = (
    # --- easy: lists -----------------------------------------------------------------------------------
    task("largest", "easy", "lists", ("largest", "max_value", "biggest"), NUMS, ("non-empty list of numbers",),
         results=("the largest number in the non-empty list {a}", "the maximum of {a}, which is never empty"),
         does=("finds the maximum of the non-empty list {a} and returns it",),
         source="""
             def __fn__(__a__):
                 return max(__a__)
         """,
         oracle=lambda p, xs: sorted(xs)[-1], inputs=lambda r, p: (ints(r, (1, 8)),)),
    task("sum-squares", "easy", "lists", ("sum_of_squares", "square_sum", "sum_squares"), NUMS, ("list of integers",),
         results=("the sum of the squares of the numbers in {a} (0 for an empty list)",
                  "the total of x * x over every x in {a}, or 0 when {a} is empty"),
         does=("squares every number in the list {a} and returns the total of those squares (0 when {a} is empty)",),
         source="""
             def __fn__(__a__):
                 return sum(x * x for x in __a__)
         """,
         oracle=lambda p, xs: sum(x**2 for x in xs), inputs=lambda r, p: (ints(r, (1, 6), -9, 12),), edges=(([],),)),
    task("squares-list", "easy", "lists", ("squares", "square_all", "squared"), NUMS, ("list of integers",),
         results=("a new list with every number in {a} squared, in the same order",
                  "the list of the squares of the numbers in {a}, keeping their order"),
         source="""
             def __fn__(__a__):
                 return [x * x for x in __a__]
         """,
         oracle=lambda p, xs: [x**2 for x in xs], inputs=lambda r, p: (ints(r, (1, 6), -9, 12),), edges=(([],),)),
    task("product", "easy", "lists", ("product", "multiply_all", "list_product"), NUMS, ("list of integers",),
         results=("the product of all the numbers in {a}, or 1 when {a} is empty",
                  "every number of {a} multiplied together (1 for an empty list)"),
         does=("multiplies the numbers of the list {a} together and returns the result (1 for an empty list)",),
         source="""
             def __fn__(__a__):
                 result = 1
                 for x in __a__:
                     result *= x
                 return result
         """,
         oracle=lambda p, xs: math.prod(xs), inputs=lambda r, p: (ints(r, (1, 5), -5, 9),), edges=(([],),)),
    task("first-and-last", "easy", "lists", ("first_and_last", "ends", "first_last"), NUMS, ("non-empty list",),
         results=("a list holding the first and the last element of the non-empty list {a}",
                  "[first, last]: the first and last items of {a}, which is never empty"),
         source="""
             def __fn__(__a__):
                 return [__a__[0], __a__[-1]]
         """,
         oracle=lambda p, xs: [xs[0], xs[len(xs) - 1]], inputs=lambda r, p: (ints(r, (1, 6)),)),
    task("average", "easy", "lists", ("average", "mean", "list_average"), NUMS, ("non-empty list of numbers",),
         results=("the average (arithmetic mean) of the numbers in the non-empty list {a}",
                  "the sum of the non-empty list {a} divided by its length"),
         source="""
             def __fn__(__a__):
                 return sum(__a__) / len(__a__)
         """,
         oracle=lambda p, xs: sum(xs) // len(xs), inputs=_average_list),
    task("positives", "easy", "lists", ("positives", "only_positive", "keep_positive"), NUMS, ("list of integers",),
         results=("a list of the numbers in {a} that are greater than zero, in their original order",
                  "the positive numbers of {a} (zero excluded), in order"),
         does=("drops every number of {a} that is zero or negative and returns the rest as a list",),
         source="""
             def __fn__(__a__):
                 return [x for x in __a__ if x > 0]
         """,
         oracle=lambda p, xs: list(filter(lambda x: x > 0, xs)), inputs=lambda r, p: (ints(r, (1, 7), -9, 9),),
         edges=(([],), ([0],))),
    task("is-sorted", "easy", "lists", ("is_sorted", "in_order", "is_ascending"), NUMS, ("list of numbers",),
         results=("True when every number of {a} is at least as big as the one before it (an empty list counts as "
                  "sorted), otherwise False",
                  "whether {a} is in non-decreasing order, as True or False"),
         source="""
             def __fn__(__a__):
                 return all(__a__[i] <= __a__[i + 1] for i in range(len(__a__) - 1))
         """,
         oracle=lambda p, xs: xs == sorted(xs), inputs=_maybe_sorted, edges=(([],), ([3, 3],))),
    # --- easy: dicts -----------------------------------------------------------------------------------
    task("sum-values", "easy", "dicts", ("sum_values", "total", "dict_total"), (("d",), ("prices",), ("counts",)),
         ("dict whose values are numbers",),
         results=("the sum of all the values in {a} (0 for an empty dict)", "the total of the values of {a}"),
         source="""
             def __fn__(__a__):
                 return sum(__a__.values())
         """,
         oracle=lambda p, d: functools.reduce(operator.add, d.values(), 0), inputs=lambda r, p: (word_dict(r, (1, 5)),),
         edges=(({},),)),
    task("zip-to-dict", "easy", "dicts", ("zip_to_dict", "make_dict", "pair_up"),
         (("keys", "values"), ("names", "scores"), ("labels", "numbers")),
         ("list of distinct strings", "list of numbers of the same length"),
         results=("a dict that maps each item of {a} to the item of {b} at the same position",),
         does=("pairs the items of {a} with the items of {b} position by position and returns them as a dict",),
         source="""
             def __fn__(__a__, __b__):
                 return dict(zip(__a__, __b__))
         """,
         oracle=lambda p, ks, vs: {ks[i]: vs[i] for i in range(len(ks))}, inputs=_keys_values),
    # --- medium: lists ---------------------------------------------------------------------------------
    task("sum-evens", "medium", "lists", ("sum_evens", "sum_of_evens", "even_sum"), NUMS, ("list of integers",),
         results=("the sum of the even numbers in {a}", "the total of the numbers of {a} that are divisible by 2"),
         does=("adds up only the even numbers of the list {a} and returns the total",),
         source="""
             def __fn__(__a__):
                 return sum(x for x in __a__ if x % 2 == 0)
         """,
         oracle=lambda p, xs: sum(filter(lambda x: not x & 1, xs)), inputs=lambda r, p: (ints(r, (1, 8)),),
         edges=(([],), ([1, 3, 5],))),
    task("sum-multiples", "medium", "lists", ("sum_multiples", "sum_divisible", "multiples_sum"), NUMS,
         ("list of non-negative integers",),
         results=("the sum of the numbers in {a} that are divisible by {k}",
                  "the total of the multiples of {k} in {a} (0 when there are none)"),
         does=("adds up the numbers of {a} that are multiples of {k} and returns the total",),
         source="""
             def __fn__(__a__):
                 return sum(x for x in __a__ if x % __k__ == 0)
         """,
         oracle=lambda p, xs: sum(x for x in xs if x / p["k"] == x // p["k"]),
         inputs=_with_multiple,
         params=lambda r: {"k": r.choice((3, 4, 5, 6, 7))}, edges=(([],),)),
    task("dedupe", "medium", "lists", ("dedupe", "remove_duplicates", "unique_in_order"), NUMS, ("list",),
         results=("a new list without the duplicates in {a}, keeping the first occurrence of each value in order",
                  "the distinct values of {a} in the order they first appear"),
         does=("removes repeated values from {a} and returns the rest as a list, in the order they first appear",),
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
         oracle=lambda p, xs: list(dict.fromkeys(xs)), inputs=lambda r, p: (ints(r, (1, 9), 0, 6),), edges=(([],),)),
    task("count-greater", "medium", "lists", ("count_greater", "count_above", "num_greater"), PAIR,
         ("list of numbers", "number"),
         results=("how many numbers in {a} are greater than {b}", "the count of values in {a} strictly above {b}"),
         does=("counts the values in the list {a} that are strictly greater than {b} and returns the count",),
         source="""
             def __fn__(__a__, __b__):
                 return sum(1 for x in __a__ if x > __b__)
         """,
         oracle=lambda p, xs, t: count_by(lambda x: t < x, xs),
         inputs=lambda r, p: (ints(r, (1, 8)), r.randint(-5, 30))),
    task("spread", "medium", "lists", ("value_range", "spread", "max_minus_min"), NUMS, ("non-empty list of numbers",),
         results=("the difference between the largest and the smallest number in the non-empty list {a}",
                  "max minus min of {a}, a list that is never empty"),
         source="""
             def __fn__(__a__):
                 return max(__a__) - min(__a__)
         """,
         oracle=lambda p, xs: sorted(xs)[-1] - sorted(xs)[0], inputs=lambda r, p: (ints(r, (1, 8)),)),
    task("running-sum", "medium", "lists", ("running_sum", "cumulative_sum", "prefix_sums"), NUMS,
         ("list of integers",),
         results=("a list whose item at position i is the sum of the numbers of {a} from position 0 up to i",
                  "the running totals of {a}, one per item (so [1, 2, 3] gives [1, 3, 6])"),
         source="""
             def __fn__(__a__):
                 total = 0
                 out = []
                 for x in __a__:
                     total += x
                     out.append(total)
                 return out
         """,
         oracle=lambda p, xs: list(accumulate(xs)), inputs=lambda r, p: (ints(r, (1, 6), -9, 20),), edges=(([],),)),
    task("rotate-left", "medium", "lists", ("rotate_left", "rotate", "shift_left"),
         (("xs", "k"), ("items", "steps"), ("values", "n")), ("list", "non-negative integer"),
         results=("{a} rotated {b} places to the left: the first {b} items move to the end, in order, and a {b} "
                  "larger than the length wraps around (an empty list stays empty)",),
         does=("moves the first {b} items of {a} to its end, wrapping around when {b} is larger than the list, and "
               "returns the new list",),
         source="""
             def __fn__(__a__, __b__):
                 if not __a__:
                     return []
                 __b__ %= len(__a__)
                 return __a__[__b__:] + __a__[:__b__]
         """,
         oracle=_rotated,
         inputs=lambda r, p: (ints(r, (1, 6), 0, 9), r.randint(0, 8)), edges=(([], 2),)),
    task("differences", "medium", "lists", ("differences", "diffs", "steps_between"), NUMS, ("list of integers",),
         results=("the list of differences between neighbouring numbers of {a}: each item minus the one before it",
                  "[{a}[1] - {a}[0], {a}[2] - {a}[1], ...], empty when {a} has fewer than two items"),
         source="""
             def __fn__(__a__):
                 return [y - x for x, y in zip(__a__, __a__[1:])]
         """,
         oracle=lambda p, xs: [xs[i] - xs[i - 1] for i in range(1, len(xs))], inputs=lambda r, p: (ints(r, (2, 6)),),
         edges=(([],), ([5],))),
    task("flatten", "medium", "lists", ("flatten", "flatten_once", "concat_lists"),
         (("lists",), ("nested",), ("groups",)), ("list of lists",),
         results=("one list holding the items of every inner list of {a}, in order",
                  "the inner lists of {a} joined end to end into a single list"),
         source="""
             def __fn__(__a__):
                 out = []
                 for inner in __a__:
                     for x in inner:
                         out.append(x)
                 return out
         """,
         oracle=lambda p, ls: sum(ls, []), inputs=_nested, edges=(([],), ([[]],))),
    task("index-of-max", "medium", "lists", ("index_of_max", "argmax", "max_index"), NUMS,
         ("non-empty list of numbers",),
         results=("the position of the largest number in {a}; when it occurs more than once, the first position",
                  "the index of the first occurrence of the maximum of {a}"),
         source="""
             def __fn__(__a__):
                 best = 0
                 for i in range(1, len(__a__)):
                     if __a__[i] > __a__[best]:
                         best = i
                 return best
         """,
         oracle=lambda p, xs: xs.index(max(xs)), inputs=lambda r, p: (ints(r, (1, 8), 0, 9),)),
    task("transpose", "medium", "lists", ("transpose", "flip_matrix", "swap_rows_columns"),
         (("matrix",), ("grid",), ("rows",)), ("non-empty list of lists that all have the same length",),
         results=("the transpose of {a}: a list whose i-th list holds the i-th item of every row of {a}",
                  "the columns of {a} as a list of lists, in order"),
         source="""
             def __fn__(__a__):
                 return [[row[i] for row in __a__] for i in range(len(__a__[0]))]
         """,
         oracle=lambda p, m: [list(col) for col in zip(*m)], inputs=_matrix),
    # --- medium: dicts ---------------------------------------------------------------------------------
    task("letter-counts", "medium", "dicts", ("letter_counts", "char_counts", "count_letters"),
         (("word",), ("s",), ("text",)), ("string",),
         results=("a dict that maps each character of {a} to the number of times it occurs",
                  "a dict of character counts for {a}: every character that appears, with how often it appears"),
         source="""
             def __fn__(__a__):
                 counts = {}
                 for ch in __a__:
                     counts[ch] = counts.get(ch, 0) + 1
                 return counts
         """,
         oracle=lambda p, s: {c: s.count(c) for c in _in_order(s)}, inputs=lambda r, p: (sentence(r, (1, 1)),),
         edges=(("",),)),
    task("word-frequency", "medium", "dicts", ("word_frequency", "word_counts", "count_each_word"),
         (("sentence",), ("text",), ("s",)), ("string of lowercase words separated by single spaces",),
         results=("a dict mapping every word of {a} to how many times it appears",
                  "how often each word occurs in {a}, as a dict from word to count (empty for '')"),
         source="""
             def __fn__(__a__):
                 counts = {}
                 for w in __a__.split():
                     counts[w] = counts.get(w, 0) + 1
                 return counts
         """,
         oracle=lambda p, s: {w: s.split().count(w) for w in _in_order(s.split())},
         inputs=lambda r, p: (" ".join(few_words(r, (1, 6))),), edges=(("",),)),
    task("invert-dict", "medium", "dicts", ("invert", "invert_dict", "swap_keys_values"),
         (("d",), ("mapping",), ("table",)), ("dict whose values are all different",),
         results=("a new dict with the keys and values of {a} swapped", "{a} inverted: each value maps to its key"),
         source="""
             def __fn__(__a__):
                 return {v: k for k, v in __a__.items()}
         """,
         oracle=lambda p, d: dict(zip(d.values(), d.keys())),
         inputs=lambda r, p: (word_dict(r, (0, 4), distinct=True),)),
    task("key-of-max", "medium", "dicts", ("key_of_max", "max_key", "top_key"), (("d",), ("scores",), ("counts",)),
         ("non-empty dict of numbers whose largest value occurs once",),
         results=("the key of {a} whose value is the largest", "the key that {a} maps to its biggest value"),
         source="""
             def __fn__(__a__):
                 best = None
                 for key in __a__:
                     if best is None or __a__[key] > __a__[best]:
                         best = key
                 return best
         """,
         oracle=lambda p, d: max(d, key=d.get), inputs=_unique_max),
    task("filter-dict", "medium", "dicts", ("filter_dict", "at_least", "keep_large"),
         (("d", "minimum"), ("scores", "cutoff"), ("prices", "floor")), ("dict of numbers", "number"),
         results=("a new dict with only the items of {a} whose value is at least {b}",
                  "the part of {a} whose values are {b} or more, as a new dict"),
         source="""
             def __fn__(__a__, __b__):
                 return {k: v for k, v in __a__.items() if v >= __b__}
         """,
         oracle=lambda p, d, t: dict(filter(lambda kv: not kv[1] < t, d.items())),
         inputs=lambda r, p: (word_dict(r, (1, 5)), r.randint(0, 50))),
    # --- hard: lists and dicts -------------------------------------------------------------------------
    task("second-largest", "hard", "lists", ("second_largest", "runner_up", "second_max"), NUMS,
         ("list holding at least two different numbers",),
         results=("the second largest distinct value in {a}",
                  "the biggest number in {a} that is smaller than its maximum"),
         source="""
             def __fn__(__a__):
                 return sorted(set(__a__))[-2]
         """,
         oracle=lambda p, xs: max(x for x in xs if x != max(xs)), inputs=_two_distinct),
    task("first-greater", "hard", "lists", ("first_greater", "index_above", "find_first_above"), PAIR,
         ("list of numbers", "number"),
         results=("the index of the first number in {a} that is greater than {b}, or -1 if there is none",),
         does=("scans {a} from the start and returns the position of the first value above {b}, or -1 when no "
               "value is above {b}",),
         source="""
             def __fn__(__a__, __b__):
                 for i, x in enumerate(__a__):
                     if x > __b__:
                         return i
                 return -1
         """,
         oracle=lambda p, xs, t: next((i for i in range(len(xs)) if xs[i] > t), -1),
         inputs=lambda r, p: (ints(r, (1, 7)), r.randint(0, 40)), edges=(([], 5),)),
    task("chunk", "hard", "lists", ("chunk", "chunks", "split_into"), (("xs", "size"), ("items", "n"), ("values", "k")),
         ("list", "positive integer"),
         results=("{a} cut into consecutive lists of {b} items each, in order, where the last list may be shorter",
                  "a list of the pieces of {a}, each {b} items long except perhaps the last"),
         source="""
             def __fn__(__a__, __b__):
                 return [__a__[i : i + __b__] for i in range(0, len(__a__), __b__)]
         """,
         oracle=lambda p, xs, n: [xs[i - n : i] for i in range(n, len(xs) + n, n)],
         inputs=lambda r, p: (ints(r, (1, 8), 0, 9), r.randint(1, 4)), edges=(([], 3),)),
    task("interleave", "hard", "lists", ("interleave", "alternate", "weave"), (("xs", "ys"), ("first", "second"),
         ("left", "right")), ("list", "list"),
         results=("a list that takes items from {a} and {b} in turn, starting with {a}; once one list runs out, the "
                  "rest of the other follows",),
         source="""
             def __fn__(__a__, __b__):
                 out = []
                 for i in range(max(len(__a__), len(__b__))):
                     if i < len(__a__):
                         out.append(__a__[i])
                     if i < len(__b__):
                         out.append(__b__[i])
                 return out
         """,
         oracle=lambda p, a, b: [x for pair in zip_longest(a, b, fillvalue=_GAP) for x in pair if x is not _GAP],
         inputs=lambda r, p: (ints(r, (0, 4), 0, 9), ints(r, (0, 4), 10, 30))),
    task("median", "hard", "lists", ("median", "middle_value", "list_median"), NUMS, ("non-empty list of numbers",),
         results=("the median of {a}: the middle value once sorted, or the mean of the two middle values when {a} "
                  "has an even length",),
         source="""
             def __fn__(__a__):
                 ordered = sorted(__a__)
                 mid = len(ordered) // 2
                 if len(ordered) % 2:
                     return ordered[mid]
                 return (ordered[mid - 1] + ordered[mid]) / 2
         """,
         oracle=lambda p, xs: statistics.median(xs), inputs=lambda r, p: (ints(r, (1, 7), 0, 30),)),
    task("count-pairs", "hard", "lists", ("count_pairs", "pairs_with_sum", "count_pair_sums"),
         (("nums", "target"), ("values", "total"), ("xs", "goal")), ("list of integers", "integer"),
         results=("how many pairs of positions i < j there are with {a}[i] + {a}[j] == {b}",
                  "the number of ways to pick two items of {a} at different positions whose sum is {b}"),
         source="""
             def __fn__(__a__, __b__):
                 count = 0
                 for i in range(len(__a__)):
                     for j in range(i + 1, len(__a__)):
                         if __a__[i] + __a__[j] == __b__:
                             count += 1
                 return count
         """,
         oracle=lambda p, xs, t: sum(1 for x, y in combinations(xs, 2) if x + y == t),
         inputs=_pairs_and_target),
    task("missing-number", "hard", "lists", ("missing_number", "find_missing", "the_gap"), NUMS,
         ("list of distinct integers",),
         results=("the one number missing from {a}, which holds every integer from 0 to len({a}) except one, in any "
                  "order",),
         does=("finds which integer from 0 to len({a}) is absent from {a} (exactly one is) and returns it",),
         source="""
             def __fn__(__a__):
                 n = len(__a__)
                 return n * (n + 1) // 2 - sum(__a__)
         """,
         oracle=lambda p, xs: next(i for i in range(len(xs) + 1) if i not in xs), inputs=_missing),
    task("merge-counts", "hard", "dicts", ("merge_counts", "add_counts", "combine_counts"),
         (("a", "b"), ("first", "second"), ("left", "right")), ("dict of numbers", "dict of numbers"),
         results=("a new dict holding every key of {a} and {b}, where a key found in both maps to the sum of its two "
                  "values",),
         does=("merges the dicts {a} and {b} into a new one, adding the values of keys they share, and returns it",),
         source="""
             def __fn__(__a__, __b__):
                 out = dict(__a__)
                 for key, value in __b__.items():
                     out[key] = out.get(key, 0) + value
                 return out
         """,
         oracle=lambda p, a, b: {k: a.get(k, 0) + b.get(k, 0) for k in _in_order([*a, *b])}, inputs=_two_counts),
    task("group-by-length", "hard", "dicts", ("group_by_length", "by_length", "words_by_length"),
         (("words",), ("items",), ("names",)), ("list of strings",),
         results=("a dict mapping each word length to the list of words in {a} with that length, in their original "
                  "order",),
         does=("groups the strings of {a} by their length and returns a dict from length to the list of those "
               "strings, in order",),
         source="""
             def __fn__(__a__):
                 groups = {}
                 for w in __a__:
                     groups.setdefault(len(w), []).append(w)
                 return groups
         """,
         oracle=lambda p, ws: {n: [w for w in ws if len(w) == n] for n in _in_order(len(w) for w in ws)},
         inputs=lambda r, p: (sentence(r, (1, 5)).split(" "),), edges=(([],),)),
    task("keys-by-value", "hard", "dicts", ("keys_by_value", "rank_keys", "sorted_keys"),
         (("d",), ("scores",), ("votes",)), ("dict of numbers",),
         results=("the keys of {a} in a list, from the largest value to the smallest, with keys of equal value in "
                  "alphabetical order",),
         does=("ranks the keys of {a} by their values, biggest first (ties broken alphabetically), and returns them "
               "as a list",),
         source="""
             def __fn__(__a__):
                 return sorted(__a__, key=lambda k: (-__a__[k], k))
         """,
         oracle=lambda p, d: [k for k, v in sorted(sorted(d.items()), key=lambda kv: kv[1], reverse=True)],
         inputs=lambda r, p: (word_dict(r, (0, 5), 0, 6),)),
    task("merge-sorted", "hard", "algorithms", ("merge_sorted", "merge_lists", "combine_sorted"),
         (("a", "b"), ("left", "right"), ("xs", "ys")), ("sorted list of numbers",) * 2,
         results=("one sorted list holding all the numbers of the two sorted lists {a} and {b}, duplicates kept",),
         does=("merges the ascending lists {a} and {b} into a single ascending list, keeping duplicates, and returns "
               "it",),
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
