"""Tool use: an adapter that declares `tool: python` replies with a program; the engine runs it
in the sandbox and answers with what it prints.

The reply's last ```python block is run by `evaluation/sandbox.py` (no network, writes only in
its own directory, unprivileged, CPU, memory, process and wall-clock limits). Its printed output
becomes the answer ("The answer is 61."). When the program fails (an error, a timeout, no output)
the model is shown the error and writes one more; when that fails too, the plain base answers
without the tool and the answer says so. A program never runs without real isolation unless the
user passed --allow-unsandboxed-tools. A request that asks for code or JSON (unrun_requests.py) is not
answered through here: the tool adapter's program is then the reply, as written, never run.

Two drivers share the steps: `stream_with_tool` for one streamed reply (generate, chat, serve)
and `answer_with_tool` for many prompts decoded as batches (eval, voting).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Iterator

from loco_mlx.errors import LocoError
from loco_mlx.inference.answers import format_number, parse_number, strip_thinking
from loco_mlx.inference.backend import GenerationStats, Message, SamplingConfig, StreamEvent
from loco_mlx.ranges import at_least, check_settings

if TYPE_CHECKING:
    from loco_mlx.inference.engine import Engine, InferenceConfig

_FENCE = re.compile(r"```[ \t]*(python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)
RETRY_PROMPT = "That program failed: {error}\nWrite a corrected program."
FALLBACK_NOTICE = "(the program failed{twice}: {error}; answered without the tool, by the plain base)"


@dataclass(frozen=True)
class ToolSettings:
    """Whether and how programs from tool adapters run (flags --no-tools, --allow-unsandboxed-tools)."""

    enabled: bool = True
    allow_unsandboxed: bool = False  # run with rlimits only where the host has no isolation
    timeout: float = at_least(5.0, 0.1)  # wall-clock seconds per program (CPU seconds too)
    memory_mb: int = at_least(256, 32)
    retries: int = at_least(1, 0)  # programs written again after a failure, before the fallback

    def __post_init__(self):
        check_settings(self)


@dataclass
class ToolRun:
    """What happened to a reply's program: results.json keeps it per item, the server returns it as `loco.tool`."""

    tool: str
    program: str | None  # the last program run (None: the reply held none)
    output: str  # what it printed
    error: str  # why it failed ("" when it succeeded)
    exit_status: int | None  # None when it was killed on time or never ran
    seconds: float  # time in the sandbox, all attempts
    attempts: int  # programs run
    isolation: str  # namespaces | sandbox-exec | none
    answer: str | None  # "The answer is 61." (None: fell back)
    fallback: bool = False  # the plain base answered instead

    def to_dict(self) -> dict:
        return asdict(self)


def extract_program(reply: str) -> str | None:
    """The reply's last ```python block (an unclosed one at the end counts: the reply may have been cut)."""
    blocks = [code for lang, code in _FENCE.findall(strip_thinking(reply)) if lang or "print(" in code]
    # a small model may indent every line alike (" x = 1"): that is the program, not an IndentationError
    program = textwrap.dedent(blocks[-1]).strip() if blocks else ""
    return program or None


def answer_from_output(output: str) -> str | None:
    """'The answer is N.' from the program's last printed line; None when it printed nothing."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return None
    last = lines[-1]
    value = parse_number(last)
    if value is None:
        return last if last.endswith((".", "!", "?")) else last + "."
    if value.denominator != 1:  # binary float noise ("0.30000000000000004") is not part of the answer
        value = Fraction(round(float(value), 6)).limit_denominator(10**6)
    return f"The answer is {format_number(value)}."


def require_isolation(settings: ToolSettings) -> str:
    """The isolation programs will run under; a LocoError when there is none and it was not allowed."""
    from loco_mlx.evaluation.sandbox import isolation

    level = isolation()
    if level == "none" and not settings.allow_unsandboxed:
        raise LocoError(
            "this adapter answers with programs, and this host has no sandbox isolation for them (Linux needs root "
            "with namespaces, macOS sandbox-exec); pass --allow-unsandboxed-tools to run them with rlimits only, "
            "or --no-tools"
        )
    return level


def run_program(program: str, settings: ToolSettings, after: str = ""):
    """The program's SandboxResult (evaluation/sandbox.py) under the tool limits; `after` is code run
    after it in the same process (code_examples.py's checks)."""
    from loco_mlx.evaluation.sandbox import SandboxLimits, run_python

    limits = SandboxLimits(wall_seconds=settings.timeout, cpu_seconds=max(1, round(settings.timeout)),
                           memory_bytes=settings.memory_mb * 2**20)  # fmt: skip
    return run_python(program, after, limits)


def failure(result) -> str:
    """One line on why a run gave no answer."""
    if result.reason == "timeout":
        return "it ran out of time"
    if result.reason == "memory":
        return "it ran out of memory"
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    if result.passed:
        return "it printed nothing"
    return lines[-1].strip()[:300] if lines else f"it exited with status {result.returncode}"


class Attempts:
    """One reply's programs and their runs, folded into a ToolRun."""

    def __init__(self, isolation: str):
        self.isolation = isolation
        self.program: str | None = None
        self.result = None
        self.error = ""
        self.seconds = 0.0
        self.count = 0
        self.answer: str | None = None

    def run(self, reply: str, settings: ToolSettings) -> str | None:
        """Run the reply's program; its answer, or None with `self.error` set."""
        program = extract_program(reply)
        if program is None:
            self.error = "the reply holds no ```python program"
            return None
        self.program, self.count = program, self.count + 1
        self.result = run_program(program, settings)
        self.seconds += self.result.elapsed
        self.answer = answer_from_output(self.result.stdout) if self.result.passed else None
        self.error = "" if self.answer else failure(self.result)
        return self.answer

    def record(self, fallback: bool = False) -> ToolRun:
        r = self.result
        output = r.stdout if r is not None else ""
        status = r.returncode if r is not None else None
        return ToolRun("python", self.program, output, self.error, status, round(self.seconds, 3), self.count,
                       self.isolation, None if fallback else self.answer, fallback)  # fmt: skip


def retry_messages(messages: list[Message], reply: str, error: str) -> list[Message]:
    return [*messages, {"role": "assistant", "content": reply}, {"role": "user", "content": RETRY_PROMPT.format(
        error=error)}]  # fmt: skip


def fallback_notice(attempts: Attempts) -> str:
    return FALLBACK_NOTICE.format(twice=" twice" if attempts.count > 1 else "", error=attempts.error)


def _sum_stats(parts: list[GenerationStats]) -> GenerationStats | None:
    if not parts:
        return None
    first, last = parts[0], parts[-1]
    return GenerationStats(first.prompt_tokens, sum(p.generated_tokens for p in parts), first.prompt_tps,
                           last.decode_tps, last.finish_reason)  # fmt: skip


# --- one streamed reply ----------------------------------------------------------------------------


def stream_with_tool(
    engine: Engine, messages: list[Message], sampling: SamplingConfig, inference: InferenceConfig | None,
    settings: ToolSettings,
) -> Iterator[StreamEvent]:  # fmt: skip
    """The program as it is written (part "program"), its output (part "output"), then the answer
    (part "answer"); the last event carries the ToolRun and the stats of all generations."""
    attempts = Attempts(require_isolation(settings))
    stats: list[GenerationStats] = []
    prompt_ids, capped = engine.prepare_prompt(messages, sampling, inference)
    conversation = messages
    for attempt in range(settings.retries + 1):
        reply = yield from _stream_part(engine, prompt_ids, capped, "program", stats)
        answer = attempts.run(reply, settings)
        if attempts.result is not None and attempts.program is not None and attempts.result.stdout:
            yield StreamEvent(attempts.result.stdout, part="output")
        if answer is not None:
            yield StreamEvent(answer, _sum_stats(stats), part="answer", tool=attempts.record())
            return
        if attempts.program is None or attempt == settings.retries:
            break
        yield StreamEvent("", notice=f"(the program failed: {attempts.error}; the model writes it again)")
        conversation = retry_messages(conversation, reply, attempts.error)
        try:
            prompt_ids, capped = engine.prepare_prompt(conversation, sampling, None)
        except LocoError:  # no room left for a second try
            break
    yield StreamEvent("", notice=fallback_notice(attempts))
    with engine.base_only():
        prompt_ids, capped = engine.prepare_prompt(messages, sampling, inference)
        yield from _stream_part(engine, prompt_ids, capped, "answer", stats)
    yield StreamEvent("", _sum_stats(stats), part="answer", tool=attempts.record(fallback=True))


def _stream_part(engine, prompt_ids, sampling, part: str, stats: list) -> Iterator[StreamEvent]:
    """Stream one generation as `part` events (their stats held back for the last event); returns the text."""
    text = []
    for event in engine.stream(prompt_ids, sampling):
        text.append(event.text)
        if event.stats is not None:
            stats.append(event.stats)
        if event.text:
            yield StreamEvent(event.text, part=part)
    return "".join(text)


# --- many prompts in batches -----------------------------------------------------------------------


@dataclass
class ToolAnswer:
    text: str  # the final answer (or the fallback's reply)
    reply: str  # the model's last program reply
    tool: ToolRun
    mean_logprob: float = 0.0
    tokens: int = 0


def answer_with_tool(
    engine: Engine, conversations: list[list[Message]], sampling: SamplingConfig, inference: InferenceConfig | None,
    settings: ToolSettings, batch_size: int = 8, fallback: bool = True,
) -> list[ToolAnswer]:  # fmt: skip
    """Every conversation answered through its program: programs decoded in batches, run one by one,
    failures retried together, then the plain base for what is left (`fallback`; else their text is "")."""
    level = require_isolation(settings)
    attempts = [Attempts(level) for _ in conversations]
    prompts = [engine.prepare_prompt(c, sampling, inference)[0] for c in conversations]
    replies = _batched(engine, prompts, sampling, batch_size)
    samples = list(replies)
    todo = [i for i, sample in enumerate(replies) if attempts[i].run(sample.text, settings) is None]
    for _ in range(settings.retries):
        retry = [i for i in todo if attempts[i].program is not None]
        if not retry:
            break
        asked = [engine.prepare_prompt(retry_messages(conversations[i], samples[i].text, attempts[i].error),
                                       sampling, None)[0] for i in retry]  # fmt: skip
        for i, sample in zip(retry, _batched(engine, asked, sampling, batch_size)):
            samples[i] = sample
            attempts[i].run(sample.text, settings)
        todo = [i for i in todo if attempts[i].answer is None]
    out = [ToolAnswer(a.answer or "", s.text, a.record(), s.mean_logprob, s.tokens) for a, s in zip(attempts, samples)]
    if todo and fallback:
        with engine.base_only():
            plain = [engine.prepare_prompt(conversations[i], sampling, inference)[0] for i in todo]
            for i, sample in zip(todo, _batched(engine, plain, sampling, batch_size)):
                out[i] = ToolAnswer(sample.text, samples[i].text, attempts[i].record(fallback=True),
                                    sample.mean_logprob, sample.tokens)  # fmt: skip
    return out


def _batched(engine, prompts: list[list[int]], sampling: SamplingConfig, batch_size: int) -> list:
    out = []
    for start in range(0, len(prompts), batch_size):
        out += engine.generate_batch(prompts[start : start + batch_size], sampling)
    return out
