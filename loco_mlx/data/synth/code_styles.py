"""How a function request is worded: ten styles, each with many wordings of its own.

A style is a way people ask (an instruction, a need, a stub to fill in, a terse one-liner, an
example call, a spec list, a question, a back-story, a chat message, a description of what the
code does before its name); a wording is one way of saying it. People say "function", and also
"helper", "routine", "utility", "snippet" or "method": the pools use them all, so neither the
adapter nor the router fitted on its prompts learns that a code request says "function".

Every pool of wordings keeps a fixed third apart (chosen by a seed of the pool's name) that only
held-out tasks use, so a held-out benchmark item is an unseen task in unseen words,
and the generated benchmark measures both kinds of generalisation at once.

Every wording names the function as the asserts call it and shows its signature (or lists the
arguments in order), and says what it returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from loco_mlx.data.synth.code_common import argument
from loco_mlx.data.synth.common import article, render
from loco_mlx.errors import LocoError

HELD_SHARE = 1 / 3  # of each pool's wordings, used only by held-out tasks
P_LEAD_IN, P_CLOSING, P_EXAMPLE = 0.15, 0.2, 0.3


@dataclass(frozen=True)
class Request:
    """What a wording may say about one sample's function."""

    fn: str
    args: tuple[str, ...]
    kinds: tuple[str, ...]
    does: str  # a third-person verb phrase: "returns s reversed"
    do: str  # the same in the base form: "return s reversed"
    result: str  # the return value as a noun phrase: "s reversed"
    examples: tuple[tuple[str, str], ...]  # (call, repr of its result): the sample's tests; wordings show one or two

    def fields(self) -> dict[str, str]:
        (call, value), (call2, value2) = self.examples[0], self.examples[-1]
        return {
            "fn": self.fn, "sig": f"{self.fn}({', '.join(self.args)})", "args": ", ".join(self.args),
            "takes": self.takes(), "does": self.does, "do": self.do,
            "Do": self.do[0].upper() + self.do[1:], "result": self.result, "call": call, "value": value,
            "call2": call2, "value2": value2, "argdocs": self.argdocs(),
        }  # fmt: skip

    def takes(self) -> str:
        """ "a string s and an integer n": the arguments, in order, with what each is."""
        return _listed([argument(name, kind) for name, kind in zip(self.args, self.kinds)])

    def argdocs(self) -> str:
        """The arguments as the lines of a docstring's Args section."""
        return "\n".join(f"        {name}: {article(kind)}" for name, kind in zip(self.args, self.kinds))


class Wordings:
    """A pool of wordings; a fixed third of it is kept for held-out tasks."""

    def __init__(self, name: str, *items: str) -> None:
        if len(items) < 3 or len(set(items)) != len(items):
            raise LocoError(f"wording pool {name} needs at least 3 distinct wordings, got {len(items)}")
        held = set(
            random.Random(f"loco-code-wordings:{name}").sample(range(len(items)), round(len(items) * HELD_SHARE))
        )
        self.name = name
        self.seen = tuple(w for i, w in enumerate(items) if i not in held)
        self.held = tuple(w for i, w in enumerate(items) if i in held)


class Say:
    """Picks and fills wordings for one request: from the held-back part of each pool for a held-out task."""

    def __init__(self, rng: random.Random, request: Request, held: bool) -> None:
        self.rng, self.request, self.held = rng, request, held
        self.fields = request.fields()

    def __call__(self, pool: Wordings) -> str:
        wording = self.rng.choice(pool.held if self.held else pool.seen)
        return render(self.rng, wording, **self.fields)

    def maybe(self, chance: float, pool: Wordings) -> str:
        return self(pool) if self.rng.random() < chance else ""


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _join(*parts: str) -> str:
    """Non-empty parts, one space apart, or a blank line before a part that starts a block."""
    out = ""
    for part in filter(None, parts):
        gap = "" if not out else "\n\n" if part.startswith(("```", ">>>", "\n")) or out.endswith("```") else " "
        out += gap + part.lstrip("\n")
    return out


# --- wordings shared by styles ---------------------------------------------------------------------

LEAD_INS = Wordings(
    "lead-ins",
    "Hi!",
    "Hello.",
    "Hey there.",
    "Quick question.",
    "Small Python task.",
    "Here's one for you.",
    "Hope you can help.",
    "I have a request.",
    "Another one:",
    "Okay, next task.",
    "Good evening!",
    "Can I ask for some code?",
    "Python, please.",
    "One more thing to code.",
    "Morning!",
)
CLOSINGS = Wordings(
    "closings",
    "Thanks!",
    "Thanks in advance.",
    "Just the function, please.",
    "Keep it simple.",
    "No imports needed.",
    "It should return the value, not print it.",
    "Only the code, please.",
    "Short and readable is best.",
    "Cheers.",
    "Plain Python is fine.",
    "You can assume the input is valid.",
    "Please keep it to one function.",
    "Much appreciated!",
    "A short answer is fine.",
    "No classes, just a function.",
)
EXAMPLE_TAILS = Wordings(
    "example-tails",
    "For example, `{call}` returns `{value}`.",
    "Example: {call} == {value}",
    "So {call} gives {value}.",
    "e.g. {call} -> {value}",
    "({call} should be {value}.)",
    ">>> {call}\n{value}",
    "Something like {call} → {value}.",
    "Test: `assert {call} == {value}`",
    "For instance {call} is {value}.",
    "Calling {call} must give {value}.",
    "With {call} I expect {value}.",
    "Sample: {call} returns {value}, and {call2} returns {value2}.",
    "As an example, {call} == {value} and {call2} == {value2}.",
    "Expected: {call} → {value}",
)

# --- styles ----------------------------------------------------------------------------------------

NAMED = Wordings(
    "named",
    "Write a [Python |]function [named|called] `{sig}` that {does}.",
    "Write {sig} in Python. It {does}.",
    "Implement `{sig}`: it {does}.",
    "Define {sig} so that it {does}.",
    "Please write a function {sig} which {does}.",
    "Create `{sig}`, a function that {does}.",
    "Code up {sig}. Given {takes}, it {does}.",
    "Your task: write `{sig}`, which {does}.",
    "Write the Python function {sig}. It takes {takes} and {does}.",
    "Make a function named {fn} with the signature `{sig}` that {does}.",
    "Give me {sig}: it should {do}.",
    "Produce a Python implementation of `{sig}` that {does}.",
    "Add a function `{sig}` to my module; it {does}.",
    "Using plain Python, write {sig} to {do}.",
    "Build {sig} so it {does}.",
    "Write me a little function, {sig}, to {do}.",
    "In Python, define `{sig}`, which should {do}.",
    "Write code for {sig}. The function must {do}.",
    "Implement the function {fn}. Signature: `{sig}`. It {does}.",
    "Program a function {sig} that will {do}.",
    "Write a function `{sig}`. When called, it {does}.",
    "Put together {sig}; all it has to do is {do}.",
    "With {takes} as input, {sig} {does}. Write it.",
    "Define a [Python |]function {sig}. Its job is to {do}.",
    "Write a helper `{sig}` that {does}.",
    "Write a small routine, {sig}, that {does}.",
    "Implement a utility {sig}: it {does}.",
    "Write the method {sig} (a plain function is fine); it {does}.",
)
NEED = Wordings(
    "need",
    "I need a function called `{sig}` that {does}.",
    "I need a [Python |]function {fn} that takes {takes} and {does}.",
    "I'd like a function {sig} which {does}.",
    "I want {sig} to {do}. Can you write it?",
    "We need `{sig}`: given {takes}, it should {do}.",
    "Looking for a function, {sig}, that {does}.",
    "My project needs a helper {sig} that {does}.",
    "What I need is {sig}, which {does}.",
    "I'm after a small function `{sig}` that {does}.",
    "I have to write {sig}; it should {do}. Could you do it for me?",
    "Need a helper: {sig}. It {does}.",
    "I would like to have a function {sig} that {does}.",
    "There should be a function {sig} in my code that {does}. Please write it.",
    "All I need is `{sig}` to {do}.",
    "We're missing a function {sig} that {does}; please add it.",
    "I'm looking for an implementation of {sig} that {does}.",
    "It would help me to have {sig}, a function that {does}.",
    "My code calls {sig}, but it doesn't exist yet. It {does}.",
    "Our codebase needs {fn}, taking {takes}, that {does}.",
    "I require a function {sig} to {do}.",
    "For this I need {sig}: something that will {do}.",
    "Someone on my team needs `{sig}`; it {does}.",
    "I need a little utility, {sig}, that {does}.",
    "I'd like a reusable routine {sig} to {do}.",
    "I want a snippet for {sig}: it {does}.",
)
STUB_CODES = Wordings(
    "stub-code",
    'def {sig}:\n    """{Do}."""\n',
    'def {sig}:\n    """Return {result}."""\n    pass\n',
    'def {sig}:\n    """{Do}.\n\n    >>> {call}\n    {value}\n    """\n    ...\n',
    'def {sig}:\n    """\n    {Do}.\n    """\n    raise NotImplementedError\n',
    'def {sig}:\n    """{Do}.\n\n    Args:\n{argdocs}\n\n    Returns:\n        {result}\n    """\n',
    "# {Do}.\ndef {sig}:\n    pass\n",
    "def {sig}:\n    # TODO: {do}\n    pass\n",
    'def {sig}:\n    """{Do}.\n\n    Example: {call} == {value}\n    """\n    # your code here\n',
    'def {sig}:\n    """Given {takes}, return {result}."""\n    return None  # FIXME\n',
    "def {sig}:\n    # should {do}\n    ...\n",
    'def {sig}:\n    """\n    Return {result}.\n\n    {call} -> {value}\n    """\n',
    "# {fn}: {does}\n# e.g. {call} == {value}\ndef {sig}:\n    pass\n",
)
STUB_BEFORE = Wordings(
    "stub-before",
    "Implement this function:",
    "Fill in the body of this function.",
    "Complete the following Python function.",
    "Here's a stub, please implement it:",
    "Can you write the body for this?",
    "Finish this so the docstring holds:",
    "Write the implementation:",
    "Please complete:",
    "I have this signature and description; implement it.",
    "Make this function work:",
    "Replace the placeholder with a working implementation:",
    "Turn this stub into working code.",
    "Code this up:",
    "This function is still empty. Could you write it?",
    "What goes inside this function?",
    "Help me finish this:",
    "Write the missing code:",
    "The body of this is missing:",
)
STUB_AFTER = Wordings(
    "stub-after",
    "Implement it.",
    "Fill it in, please.",
    "Can you complete it?",
    "Please write the body.",
    "Make it do what the comment says.",
    "How would you finish this?",
    "Could you implement that for me?",
    "Write the rest.",
    "That's all I have so far; please finish it.",
    "Now make it work.",
    "Implement the function above.",
    "Complete the body so it behaves as described.",
)
TERSE = Wordings(
    "terse",
    "python: def {sig} -> {result}",
    "def {sig} -> {result}  (python)",
    "py: {sig} -> {result}",
    "{sig} -> {result}. python please",
    "python fn {sig}: {result}",
    "quick python: {sig} returns {result}",
    "`{sig}` -> {result}",
    "python3, {sig}, returns {result}",
    "func {sig} => {result} (python)",
    "{sig} in python -> {result}",
    "need python {sig} -> {result}",
    "python one-off: def {sig} -> {result}",
    "def {sig}: # returns {result}",
    "impl {sig} -> {result}, python",
    "python | {sig} | returns {result}",
    "write {sig} -> {result}",
    "{fn}({args}): {result}. py",
    "py func {sig} ; out: {result}",
)
BY_EXAMPLE = Wordings(
    "by-example",
    "Write {sig} so that {call} returns {value}. In general it {does}.",
    "{call} should return {value}. Write {sig}, which {does}.",
    "Here's what I want: {call} == {value}. So write {sig}, a function that {does}.",
    "Example: {call} -> {value}. Implement {sig}: it {does}.",
    "I want {sig} to {do}. For instance, {call} gives {value}.",
    "Can you write {sig}? It {does}; e.g. {call} returns {value}.",
    "Write {sig}. It {does}, for example {call} is {value} and {call2} is {value2}.",
    "Given {takes}, {sig} {does}. Like this: {call} → {value}. Please implement it.",
    "Write a function `{sig}` that {does}.\n\n>>> {call}\n{value}\n>>> {call2}\n{value2}",
    "Make {call} evaluate to {value}: write {sig} that {does}.",
    "If I call {call} I should get {value}, and {call2} should give {value2}. The function {sig} {does}.",
    "Look at this: {call} returns {value}. Write {sig} so that it {does}.",
    "Two examples of {sig}: {call} == {value} and {call2} == {value2}. In words, it {does}. Write it.",
    "When {call} runs, the answer is {value}. That is because {fn} {does}. Implement {sig}.",
    "Input {call}, output {value}. Write {sig} to {do}.",
    "Expected behaviour of {sig}: it {does}, so {call} is {value}.",
    "Using {call} == {value} as a guide, write {sig} that {does}.",
)
SPEC_HEADERS = Wordings(
    "spec-headers",
    "Spec:",
    "Write a function to this spec.",
    "Implement the following in Python.",
    "Task spec",
    "Requirements:",
    "Please implement:",
    "Here is the spec for a function:",
    "Function spec (Python)",
    "To do:",
    "Build this function.",
    "A small Python function, as specified:",
    "Write code that meets this spec:",
    "Specification",
    "From the ticket:",
    "Coding exercise",
)
SPEC_NAME = Wordings("spec-name", "Function", "Name", "Signature", "Def", "Function name", "Method")
SPEC_INPUT = Wordings("spec-input", "Input", "Inputs", "Arguments", "Args", "Parameters", "Takes", "Params")
SPEC_OUTPUT = Wordings("spec-output", "Output", "Returns", "Return value", "Result", "Gives", "Return")
SPEC_EXAMPLE = Wordings("spec-example", "Example", "Sample", "E.g.", "Test", "Case", "For example")
QUESTION = Wordings(
    "question",
    "How would I write {sig} that {does}?",
    "How do I write a Python function {sig} that {does}?",
    "What's the simplest way to write {sig} so it {does}?",
    "Could you write {sig}? It should {do}.",
    "Can you show me how to implement {sig}, which {does}?",
    "How can I write {sig} to {do}?",
    "Any idea how to code {sig} that {does}?",
    "Is there a neat way to write {sig} to {do}?",
    "What would {sig} look like if it has to {do}?",
    "Would you write {sig} for me? It {does}.",
    "How should {sig} be written so that it {does}?",
    "Can someone help me write {sig}? It needs to {do}.",
    "What's a clean Python implementation of {sig} that {does}?",
    "How would you implement {sig} in Python, given that it {does}?",
    "Could you help me with {sig}? I want it to {do}.",
    "Do you know how to write {sig} that {does}?",
    "Which code makes {sig} {do}?",
    "How might one write {sig}, a function that {does}?",
    "What is the Python for {sig} if it should {do}?",
    "Where do I start with {sig}? It {does}.",
    "Can {sig} be written in a few lines so that it {does}?",
    "How do I write a helper {sig} that {does}?",
    "What would a routine {sig} look like that {does}?",
    "Could you show me a snippet for {sig}? It {does}.",
)
STORIES = Wordings(
    "stories",
    "I'm writing a small inventory script for our shop.",
    "I'm putting together a toy project to learn Python.",
    "My teacher gave us a list of practice exercises.",
    "We're cleaning up the survey data from last week.",
    "I maintain a little command-line tool at work.",
    "For a coding interview next week I'm practising small problems.",
    "Our team is building a dashboard for the warehouse.",
    "I'm making a word game for my kids.",
    "At work we parse a lot of text files.",
    "I'm refactoring some old code into small helpers.",
    "My spreadsheet macros are getting out of hand, so I'm moving them to Python.",
    "I've just started learning Python.",
    "This is for a chat bot I run for my friends.",
    "I'm grading homework and want to automate some checks.",
    "I volunteer at a library and keep the catalogue in a script.",
    "Our club tracks scores in a little Python program.",
    "I'm porting a JavaScript utility file to Python.",
    "There's a data-cleaning step in my pipeline that keeps growing.",
    "I write small scripts to help with my accounting.",
    "My robot project has a Python controller.",
    "I'm building a budgeting app.",
    "We run a weekly quiz night and I keep the results in Python.",
    "For my thesis I process lots of small measurements.",
    "I'm working through a book of programming puzzles.",
    "In my game, the level editor is written in Python.",
    "Our school's timetable tool is a pile of Python scripts.",
    "I'm automating a few boring reports for my manager.",
    "My side project is a tiny web app for recipes.",
    "We have a legacy module with no tests, and I'm rewriting it piece by piece.",
    "I teach an evening class and need worked examples.",
    "Every morning I run a script that tidies my notes.",
    "The garden club asked me to sort out their member list.",
)
STORY_BRIDGES = Wordings(
    "story-bridges",
    "I need {sig}, which {does}.",
    "As part of it, I need {sig} that {does}.",
    "One piece is a function {sig} that {does}.",
    "Could you write {sig} for it? It should {do}.",
    "What's missing is {sig}: it {does}.",
    "Part of that is writing {sig} to {do}.",
    "Now I'm stuck on {sig}, which has to {do}.",
    "The next step is a function `{sig}` that {does}.",
    "So I'd like {sig} to {do}.",
    "It needs a helper, {sig}, that {does}.",
    "Can you help with {sig}? It {does}.",
    "For that I want a function {fn} that takes {takes} and {does}.",
    "Somewhere in there I need {sig} to {do}.",
    "Right now I need `{sig}`; it {does}.",
    "Please write {sig} for me: it {does}.",
)
CASUAL = Wordings(
    "casual",
    "hey, can you write {sig}? it should {do}",
    "quick one - {sig}, it {does}. thx",
    "yo i need {sig} that {does}",
    "pls write {sig} which {does}",
    "ok so i need {sig} to {do}, can u help",
    "could u code {sig}? just needs to {do}",
    "writing {sig} rn, it {does}. how do i do it",
    "gimme {sig} that {does} thanks",
    "hmm how do i make {sig} {do}",
    "so {sig} is supposed to {do}... help?",
    "need {sig} asap, it {does}",
    "lol i can't figure out {sig}. it just {does}",
    "any chance u could write {sig}? it {does}",
    "{sig}: {does}. write it for me?",
    "hi! {sig} should {do}, can you do that one",
    "ugh, {sig} again. it {does}, pls help",
)

DESCRIBE = Wordings(  # what the code does first, its name last (as people ask before they think of a name)
    "describe",
    "Write a small helper that takes {takes} and {does}. Call it `{fn}`.",
    "Could you write me a routine that takes {takes} and {does}? Name it {sig}.",
    "I'd like a reusable snippet: given {takes}, it {does}. Please call the function {fn}.",
    "Show me how to write a utility that takes {takes} and {does}. Its name should be {sig}.",
    "What would a method look like that takes {takes} and {does}? Let's call it {fn}.",
    "How can I write a few lines of Python that take {takes} and {do}? Wrap them in {sig}.",
    "Need a tiny tool: feed it {takes}, get back {result}. Call it {sig}.",
    "Write some code that, given {takes}, returns {result}. Put it in a function {sig}.",
    "Looking for a compact routine to {do}, taking {takes}. I'll call it as {sig}.",
    "Make me a helper that {does}, given {takes}. Name it `{fn}`, please.",
    "Can you write a short piece of code to {do}? It should be a function {sig}.",
    "I want a snippet that {does} when given {takes}. Define it as {sig}.",
    "How do I code something that takes {takes} and gives back {result}? Use the name {fn}.",
    "A quick utility, please: it takes {takes} and {does}. The name is {fn}.",
    "Something that takes {takes} and {does} would save me a lot of time. Could you write it as {sig}?",
    "Show me a neat way to {do}, given {takes}. A function named {fn} would be ideal.",
    "Please write a bit of Python that {does}; it gets {takes}. I'd call it {sig}.",
    "Is there a clean way to {do} for {takes}? Put it in a helper called {fn}.",
)


def named(say: Say) -> str:
    return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(NAMED), say.maybe(P_EXAMPLE, EXAMPLE_TAILS),
                 say.maybe(P_CLOSING, CLOSINGS))  # fmt: skip


def need(say: Say) -> str:
    return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(NEED), say.maybe(P_EXAMPLE, EXAMPLE_TAILS),
                 say.maybe(P_CLOSING, CLOSINGS))  # fmt: skip


def stub(say: Say) -> str:
    code = "```python\n" + say(STUB_CODES) + "```"
    if say.rng.random() < 0.6:
        return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(STUB_BEFORE), code, say.maybe(P_CLOSING, CLOSINGS))
    return _join(code, say(STUB_AFTER), say.maybe(P_CLOSING, CLOSINGS))


def terse(say: Say) -> str:
    line = say(TERSE)
    return line + "\n" + say(EXAMPLE_TAILS) if say.rng.random() < P_EXAMPLE else line


def by_example(say: Say) -> str:
    return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(BY_EXAMPLE), say.maybe(P_CLOSING, CLOSINGS))


def spec(say: Say) -> str:
    """A Function / Input / Output list, with a header or not, bulleted or not."""
    bullet = say.rng.choice(("", "- ", "* ", "• "))
    sep = say.rng.choice((": ", " - ", " = ", " :: "))
    lines = [f"{bullet}{say(SPEC_NAME)}{sep}{say.fields['sig']}", f"{bullet}{say(SPEC_INPUT)}{sep}{_inputs(say)}",
             f"{bullet}{say(SPEC_OUTPUT)}{sep}{say.fields['result']}"]  # fmt: skip
    if say.rng.random() < 0.4:
        lines.append(f"{bullet}{say(SPEC_EXAMPLE)}{sep}{say.fields['call']} -> {say.fields['value']}")
    intro = _join(say.maybe(P_LEAD_IN, LEAD_INS), say(SPEC_HEADERS) if say.rng.random() < 0.75 else "")
    return intro + ("\n" if intro else "") + "\n".join(lines)


def _inputs(say: Say) -> str:
    request = say.request
    pairs = list(zip(request.args, request.kinds))
    form = say.rng.randrange(3)
    if form == 0:
        return ", ".join(f"{name} ({kind})" for name, kind in pairs)
    if form == 1:
        return "; ".join(f"{name}: {article(kind)}" for name, kind in pairs)
    return request.takes()


def question(say: Say) -> str:
    return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(QUESTION), say.maybe(P_EXAMPLE, EXAMPLE_TAILS),
                 say.maybe(P_CLOSING, CLOSINGS))  # fmt: skip


def story(say: Say) -> str:
    return _join(say(STORIES), say(STORY_BRIDGES), say.maybe(P_EXAMPLE, EXAMPLE_TAILS), say.maybe(P_CLOSING, CLOSINGS))


def casual(say: Say) -> str:
    return _join(say(CASUAL), say.maybe(P_EXAMPLE / 2, EXAMPLE_TAILS))


def describe(say: Say) -> str:
    return _join(say.maybe(P_LEAD_IN, LEAD_INS), say(DESCRIBE), say.maybe(P_EXAMPLE, EXAMPLE_TAILS),
                 say.maybe(P_CLOSING, CLOSINGS))  # fmt: skip


STYLES: dict[str, Callable[[Say], str]] = {
    "named": named, "need": need, "stub": stub, "terse": terse, "example": by_example, "spec": spec,
    "question": question, "story": story, "casual": casual, "describe": describe,
}  # fmt: skip


def request_text(rng: random.Random, style: str, request: Request, held: bool) -> str:
    """The prompt: `request` worded in `style`, from the held-back wordings when `held`."""
    if style not in STYLES:
        raise LocoError(f"unknown request style {style!r}; styles: {', '.join(STYLES)}")
    return STYLES[style](Say(rng, request, held)).strip()
