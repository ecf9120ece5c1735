"""Code tasks on strings: counting, filtering, rewriting and comparing text."""

from __future__ import annotations

import random
import string
from collections import Counter
from itertools import groupby

from loco_mlx.data.synth.code_common import TEXT, WORDS, WORDS_TEXT, S, count_by, digits, mixed_case, sentence, task

PALINDROMES = ("level", "radar", "noon", "civic", "kayak", "refer", "racecar", "madam", "stats", "a", "abba")


def _palindrome_or_not(rng: random.Random, p: dict) -> tuple:
    return (rng.choice(PALINDROMES if rng.random() < 0.5 else WORDS),)


def _anagram_pair(rng: random.Random, p: dict) -> tuple:
    word = rng.choice(WORDS)
    letters = list(word)
    rng.shuffle(letters)
    if rng.random() < 0.5:
        letters[rng.randrange(len(letters))] = rng.choice("xyzq")
    return (word, "".join(letters))


def _text_and_char(rng: random.Random, p: dict) -> tuple:
    text = sentence(rng, (1, 3))
    return (text, rng.choice(text.replace(" ", "") if rng.random() < 0.6 else "aeonrst"))


def _one_or_two_words(rng: random.Random, p: dict) -> tuple:
    return (rng.choice(WORDS) + (rng.choice(WORDS) if rng.random() < 0.5 else ""),)


def _runs(rng: random.Random, p: dict) -> tuple:
    letters = rng.sample("abcdxyz", rng.randint(1, 4))
    return ("".join(ch * rng.randint(1, 4) for ch in letters),)


def _snake(rng: random.Random, p: dict) -> tuple:
    return ("_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))),)


def _rle(p: dict, s: str) -> str:
    return "".join(f"{ch}{len(list(run))}" for ch, run in groupby(s))


def _caesar(p: dict, s: str) -> str:
    letters = string.ascii_lowercase
    return s.translate(str.maketrans(letters, letters[p["k"] :] + letters[: p["k"]]))


def _camel(p: dict, s: str) -> str:
    out, upper = "", False
    for ch in s:
        if ch == "_":
            upper = True
        else:
            out, upper = out + (ch.upper() if upper else ch), False
    return out


def _first_repeat(p: dict, s: str):
    return next((s[j] for j in range(len(s)) if s[j] in s[:j]), None)


def _acronym(p: dict, s: str) -> str:
    return "".join(ch for i, ch in enumerate(s.upper()) if ch != " " and (i == 0 or s[i - 1] == " "))


TASKS = (
    # --- easy ------------------------------------------------------------------------------------------
    task("reverse-string", "easy", "strings", ("reverse_string", "reverse_text", "backwards"), S, ("string",),
         results=("{a} reversed", "the string {a} with its characters in reverse order",
                  "the characters of {a} from last to first, as a string"),
         does=("reverses the string {a} and returns the result",),
         source="""
             def __fn__(__a__):
                 return __a__[::-1]
         """,
         oracle=lambda p, s: "".join(reversed(s)), inputs=lambda r, p: (sentence(r, (1, 3)),), edges=(("",),)),
    task("count-words", "easy", "strings", ("count_words", "word_count", "num_words"), TEXT, (WORDS_TEXT,),
         results=("the number of words in {a} (0 for an empty string)",
                  "how many space-separated words {a} contains, 0 when it is empty"),
         does=("counts the words in the string {a} and returns that count (0 for '')",),
         source="""
             def __fn__(__a__):
                 return len(__a__.split())
         """,
         oracle=lambda p, s: s.count(" ") + 1 if s else 0, inputs=lambda r, p: (sentence(r),), edges=(("",),)),
    task("count-upper", "easy", "strings", ("count_upper", "uppercase_count", "num_capitals"), S, ("string",),
         results=("how many uppercase letters there are in {a}", "the number of capital letters in {a}"),
         does=("counts the capital letters in the string {a} and returns the count",),
         source="""
             def __fn__(__a__):
                 return sum(1 for ch in __a__ if ch.isupper())
         """,
         oracle=lambda p, s: count_by(lambda c: "A" <= c <= "Z", s), inputs=lambda r, p: (mixed_case(r),),
         edges=(("",),)),
    task("swap-case", "easy", "strings", ("swap_case", "invert_case", "flip_case"), S, ("string",),
         results=("{a} with every upper-case letter made lower case and every lower-case letter made upper case",
                  "a copy of {a} where the case of each letter is flipped (other characters unchanged)"),
         does=("flips the case of every letter in {a} and returns the new string",),
         source="""
             def __fn__(__a__):
                 return __a__.swapcase()
         """,
         oracle=lambda p, s: "".join(c.lower() if c.isupper() else c.upper() for c in s),
         inputs=lambda r, p: (mixed_case(r),), edges=(("",),)),
    task("reverse-words", "easy", "strings", ("reverse_words", "words_backwards", "flip_words"), TEXT, (WORDS_TEXT,),
         results=("{a} with its words in reverse order, still separated by single spaces",
                  "the words of {a} from last to first, joined with single spaces"),
         does=("reverses the order of the words in {a} (not the letters) and returns the new sentence",),
         source="""
             def __fn__(__a__):
                 return " ".join(__a__.split()[::-1])
         """,
         oracle=lambda p, s: " ".join(w for _, w in sorted(enumerate(s.split(" ")), reverse=True)),
         inputs=lambda r, p: (sentence(r, (1, 5)),), edges=(("",),)),
    task("mask", "easy", "strings", ("mask", "mask_tail", "hide_all_but_last"), (("s",), ("card",), ("code",)),
         ("string of digits",),
         results=("{a} with every character except the last {k} replaced by '#' (a string of at most {k} "
                  "characters comes back unchanged)",
                  "a string as long as {a} that keeps only its last {k} characters and shows '#' in place of each "
                  "character before them"),
         source="""
             def __fn__(__a__):
                 return "#" * (len(__a__) - __k__) + __a__[-__k__:]
         """,
         oracle=lambda p, s: "".join("#" if i < len(s) - p["k"] else c for i, c in enumerate(s)),
         inputs=lambda r, p: (digits(r, (1, 12)),), params=lambda r: {"k": r.choice((2, 3, 4))}),
    # --- medium ----------------------------------------------------------------------------------------
    task("count-vowels", "medium", "strings", ("count_vowels", "vowel_count", "num_vowels"), S, ("lowercase string",),
         results=("how many vowels (a, e, i, o, u) the lowercase string {a} contains",
                  "the number of characters of {a} that are one of a, e, i, o and u"),
         does=("counts the vowels a, e, i, o and u in the lowercase string {a} and returns the count",),
         source="""
             def __fn__(__a__):
                 count = 0
                 for ch in __a__:
                     if ch in "aeiou":
                         count += 1
                 return count
         """,
         oracle=lambda p, s: sum(s.count(v) for v in "aeiou"), inputs=lambda r, p: (sentence(r, (1, 4)),),
         edges=(("",), ("rhythm",))),
    task("remove-vowels", "medium", "strings", ("remove_vowels", "strip_vowels", "without_vowels"), S,
         ("lowercase string",),
         results=("{a} with every vowel (a, e, i, o, u) removed", "the string {a} without its vowels a, e, i, o and u"),
         does=("deletes the vowels a, e, i, o and u from {a} and returns what is left",),
         source="""
             def __fn__(__a__):
                 return "".join(ch for ch in __a__ if ch not in "aeiou")
         """,
         oracle=lambda p, s: s.translate(str.maketrans("", "", "aeiou")), inputs=lambda r, p: (sentence(r, (1, 3)),),
         edges=(("",), ("rhythm",))),
    task("is-palindrome", "medium", "strings", ("is_palindrome", "palindrome", "reads_same_backwards"), S,
         ("lowercase string",),
         results=("True if the string {a} reads the same forwards and backwards, and False otherwise",
                  "whether {a} is a palindrome, as True or False"),
         does=("tells whether {a} is a palindrome, returning True or False",),
         source="""
             def __fn__(__a__):
                 return __a__ == __a__[::-1]
         """,
         oracle=lambda p, s: all(s[i] == s[len(s) - 1 - i] for i in range(len(s))), inputs=_palindrome_or_not),
    task("count-char", "medium", "strings", ("count_char", "char_count", "occurrences"),
         (("s", "ch"), ("text", "c"), ("word", "letter")), ("string", "single character"),
         results=("how many times the character {b} appears in the string {a}",
                  "the number of occurrences of {b} in {a}"),
         does=("counts the occurrences of the single character {b} in {a} and returns the number",),
         source="""
             def __fn__(__a__, __b__):
                 count = 0
                 for x in __a__:
                     if x == __b__:
                         count += 1
                 return count
         """,
         oracle=lambda p, s, c: s.count(c), inputs=_text_and_char),
    task("long-words", "medium", "strings", ("long_words", "filter_long", "longer_words"), TEXT, (WORDS_TEXT,),
         results=("a list of the words in {a} that have more than {k} letters, in their original order",
                  "the words of {a} longer than {k} letters, as a list in the order they appear"),
         does=("keeps only the words of {a} longer than {k} letters and returns them as a list, in order",),
         source="""
             def __fn__(__a__):
                 return [w for w in __a__.split() if len(w) > __k__]
         """,
         oracle=lambda p, s: [w for w in s.split(" ") if s and len(w) >= p["k"] + 1],
         inputs=lambda r, p: (sentence(r),),
         params=lambda r: {"k": r.choice((3, 4, 5, 6))}),
    task("capitalize-words", "medium", "strings", ("capitalize_words", "title_words", "cap_words"), TEXT,
         (WORDS_TEXT,),
         results=("{a} with the first letter of every word in upper case",
                  "a copy of {a} in which each word starts with a capital letter"),
         does=("makes the first letter of each word of {a} a capital and returns the new string",),
         source="""
             def __fn__(__a__):
                 return " ".join(w[0].upper() + w[1:] for w in __a__.split(" "))
         """,
         oracle=lambda p, s: s.title(), inputs=lambda r, p: (sentence(r),)),
    task("all-unique", "medium", "strings", ("all_unique", "has_unique_chars", "no_repeats"), S, ("string",),
         results=("True if no character appears more than once in the string {a}, and False otherwise",
                  "whether every character of {a} is different from all the others (True or False)"),
         does=("checks that every character of {a} is different from the others and returns True or False",),
         source="""
             def __fn__(__a__):
                 return len(set(__a__)) == len(__a__)
         """,
         oracle=lambda p, s: all(s.count(c) == 1 for c in s), inputs=_one_or_two_words, edges=(("",),)),
    task("acronym", "medium", "strings", ("acronym", "initials", "abbreviate"), TEXT, (WORDS_TEXT,),
         results=("the first letter of every word of {a}, upper-cased and joined together (so 'portable network "
                  "graphics' gives 'PNG')",
                  "the acronym of {a}: the capitalised first letters of its words, with no spaces between them"),
         source="""
             def __fn__(__a__):
                 return "".join(w[0].upper() for w in __a__.split())
         """,
         oracle=_acronym, inputs=lambda r, p: (sentence(r, (1, 5)),)),
    task("longest-word", "medium", "strings", ("longest_word", "find_longest", "biggest_word"), TEXT,
         ("non-empty " + WORDS_TEXT,),
         results=("the longest word in {a}; when several words share the greatest length, the first of them",
                  "the word of {a} with the most letters (the earliest one on a tie)"),
         source="""
             def __fn__(__a__):
                 best = ""
                 for w in __a__.split():
                     if len(w) > len(best):
                         best = w
                 return best
         """,
         oracle=lambda p, s: max(s.split(" "), key=len), inputs=lambda r, p: (sentence(r, (1, 6)),)),
    task("truncate", "medium", "strings", ("truncate", "shorten", "clip_text"),
         (("s", "n"), ("text", "limit"), ("title", "width")), ("string", "non-negative integer"),
         results=("{a} unchanged when it has at most {b} characters, otherwise its first {b} characters followed "
                  "by '...'",),
         does=("cuts {a} down to its first {b} characters and adds '...' when it is longer than {b}, returning "
               "{a} as it is otherwise",),
         source="""
             def __fn__(__a__, __b__):
                 if len(__a__) <= __b__:
                     return __a__
                 return __a__[:__b__] + "..."
         """,
         oracle=lambda p, s, n: s if len(s) < n + 1 else "".join(s[i] for i in range(n)) + "...",
         inputs=lambda r, p: (sentence(r, (1, 3)), r.randint(0, 12))),
    task("zero-pad", "medium", "strings", ("zero_pad", "pad_number", "left_pad"),
         (("n", "width"), ("num", "size"), ("x", "digits")), ("non-negative integer", "positive integer"),
         results=("{a} as a string, padded on the left with zeros to at least {b} characters (so 42 with 5 gives "
                  "'00042')",
                  "the digits of {a} as a string with enough '0' characters in front to make it {b} long, or just "
                  "the digits when they are already that long"),
         source="""
             def __fn__(__a__, __b__):
                 text = str(__a__)
                 return "0" * (__b__ - len(text)) + text
         """,
         oracle=lambda p, n, w: f"{n:0{w}d}", inputs=lambda r, p: (r.randint(0, 99999), r.randint(1, 8))),
    task("snake-to-camel", "medium", "strings", ("snake_to_camel", "to_camel_case", "camelize"),
         (("name",), ("s",), ("identifier",)), ("snake_case string of lowercase words joined by underscores",),
         results=("{a} in camelCase: the underscores removed and every word after the first capitalised (so "
                  "'max_line_length' gives 'maxLineLength')",),
         does=("converts the snake_case name {a} to camelCase (drop the underscores, capitalise each word but the "
               "first) and returns it",),
         source="""
             def __fn__(__a__):
                 first, *rest = __a__.split("_")
                 return first + "".join(w.capitalize() for w in rest)
         """,
         oracle=_camel, inputs=_snake),
    # --- hard ------------------------------------------------------------------------------------------
    task("run-length", "hard", "strings", ("run_length", "rle", "compress"), S, ("string",),
         results=("the run-length encoding of {a}: each run of a repeated character becomes the character followed by "
                  "the length of the run, so 'aaab' becomes 'a3b1'",),
         does=("compresses {a} by writing each block of equal characters as that character and the block's length "
               "(for example 'xxyzzz' gives 'x2y1z3') and returns the result",),
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
    task("is-anagram", "hard", "strings", ("is_anagram", "anagrams", "same_letters"),
         (("a", "b"), ("s", "t"), ("first", "second")), ("string", "string"),
         results=("True if the strings {a} and {b} contain exactly the same letters the same number of times, and "
                  "False otherwise",
                  "whether {b} is an anagram of {a} (a rearrangement of the same letters), as True or False"),
         source="""
             def __fn__(__a__, __b__):
                 return sorted(__a__) == sorted(__b__)
         """,
         oracle=lambda p, a, b: Counter(a) == Counter(b), inputs=_anagram_pair),
    task("caesar", "hard", "strings", ("caesar", "shift_letters", "rotate_letters"), TEXT, (WORDS_TEXT,),
         results=("{a} with every letter moved {k} places forward in the alphabet, wrapping from z back to a; "
                  "spaces stay as they are",),
         does=("applies a Caesar shift of {k} to the lowercase letters of {a} (z wraps round to a, spaces are kept) "
               "and returns the new string",),
         source="""
             def __fn__(__a__):
                 out = ""
                 for ch in __a__:
                     if "a" <= ch <= "z":
                         out += chr((ord(ch) - ord("a") + __k__) % 26 + ord("a"))
                     else:
                         out += ch
                 return out
         """,
         oracle=_caesar, inputs=lambda r, p: (sentence(r, (1, 3)),),
         params=lambda r: {"k": r.choice((1, 2, 3, 5, 13))}),
    task("first-repeat", "hard", "strings", ("first_repeat", "first_repeated_char", "first_duplicate"), S, ("string",),
         results=("the first character of {a} that has already appeared earlier in it, reading from left to right, or "
                  "None when no character repeats",),
         does=("scans {a} from the left and returns the first character it has seen before, or None if there is "
               "no such character",),
         source="""
             def __fn__(__a__):
                 seen = set()
                 for ch in __a__:
                     if ch in seen:
                         return ch
                     seen.add(ch)
                 return None
         """,
         oracle=_first_repeat, inputs=_one_or_two_words,
         edges=(("",), ("abc",))),
)  # fmt: skip
