"""Answering from the command line: one-shot `loco generate` and the `loco chat` REPL.

History is trimmed from the oldest turn when the next prompt would not leave room
for the reply; the current message is never cut (too long -> a clear error). In
chat, `/adapter NAME` switches specialists in milliseconds through the engine's
pool; a failed switch leaves the current adapter in place. A tool adapter's program and its
output are shown dim before the answer (`/program` folds them to one line in chat).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from loco_mlx.errors import LocoError
from loco_mlx.inference.backend import GenerationStats, Message, SamplingConfig, StreamEvent
from loco_mlx.inference.engine import Engine, InferenceConfig, build_messages, reread
from loco_mlx.inference.voting import MAX_VOTES

HELP = """commands:
  /adapter NAME   switch to a registered adapter (/adapter none: the plain base;
                  /adapter auto: let the router pick for each message)
  /why            why the router chose the adapter for the last message
  /adapters       list the adapters this base can use
  /stats          memory of loaded adapters, switch times, last turn
  /program        fold or unfold tool programs (/program last: show the last one)
  /votes N        sample N replies and answer with the one the votes pick (/votes 1: off)
  /clear          forget the conversation so far
  /system TEXT    set the system prompt (empty: remove it) and clear
  /help           show this help
  /quit           leave (also Ctrl-D)"""


@dataclass
class ChatSession:
    engine: Engine
    sampling: SamplingConfig
    system: str | None = None
    history: list[Message] = field(default_factory=list)
    dropped_turns: int = 0
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    last_stats: GenerationStats | None = None
    last_decision: object | None = None  # the router's Decision for the last message (--adapter auto)
    last_tool: object | None = None  # the ToolRun of the last reply, when a tool adapter answered
    show_programs: bool = True  # /program folds them

    def clear(self) -> None:
        self.history.clear()

    def fit_messages(self, user_text: str) -> list[Message]:
        """Messages for the next turn, dropping the oldest exchanges until the reply has room."""
        engine = self.engine
        # Leave room for a reasonable reply, but never demand more than half the window.
        reserve = min(self.sampling.max_tokens, engine.context_length // 2)
        while True:
            messages = build_messages(user_text, self.system, self.history)
            sent = reread(messages) if self.inference.reread else messages  # measure what is sent
            if len(engine.encode_chat(sent)) + reserve <= engine.context_length:
                return messages
            if not self.history:
                raise LocoError(
                    f"this message is too long for the model's {engine.context_length}-token context; shorten it"
                )
            del self.history[:2]  # one user turn and its reply
            self.dropped_turns += 1

    def send(self, user_text: str) -> Iterator[StreamEvent]:
        messages = self.fit_messages(user_text)
        self.last_decision = self.engine.route(user_text)
        note = route_note(self.last_decision)
        if note:
            yield StreamEvent("", notice=note)
        reply = []
        self.last_tool = None
        if self.inference.votes > 1:
            result = self.engine.vote(messages, self.sampling, self.inference)
            reply.append(result.text)
            yield StreamEvent(result.text)
            yield StreamEvent("", None, result.describe())
        else:
            for event in self.engine.chat(messages, self.sampling, self.inference):
                if event.part == "answer":
                    reply.append(event.text)
                self.last_stats = event.stats or self.last_stats
                self.last_tool = event.tool or self.last_tool
                yield event
        self.history += [{"role": "user", "content": user_text}, {"role": "assistant", "content": "".join(reply)}]


def label(engine: Engine) -> str:
    base = engine.base
    adapter = (engine.adapter or "base") + (" (auto)" if engine.auto else "")
    return f"{base.record.id} + {adapter} ({base.device}, {base.compute_mode})"


def route_note(decision) -> str | None:
    """A short notice when routing was unsure or saw only part of the message; None otherwise."""
    if decision is None:
        return None
    notes = []
    if decision.low_confidence:
        runner_up = decision.confidence - decision.margin
        notes.append(
            f"routed to {decision.label} with little margin ({decision.confidence:.2f} vs {runner_up:.2f}); "
            "/adapter NAME picks one yourself"
        )
    if decision.truncated:
        notes.append(f"the message is {decision.tokens} tokens: routed on its first and last parts")
    return "(" + "; ".join(notes) + ")" if notes else None


def stats_line(stats: GenerationStats | None, name: str) -> str:
    if stats is None:
        return f"[{name}]"
    return (
        f"[{name} | prompt {stats.prompt_tokens} tok, {stats.prompt_tps:.1f} tok/s | "
        f"reply {stats.generated_tokens} tok, {stats.decode_tps:.1f} tok/s | {stats.finish_reason}]"
    )


DIM, PLAIN = "\x1b[2m", "\x1b[0m"


class ReplyPrinter:
    """Writes a reply's events as they come: a tool adapter's program and its output dim (or folded
    to one line), then the answer on a line of its own."""

    def __init__(self, write: Callable[[str], object], styled: bool, folded: bool = False):
        self.write, self.styled, self.folded = write, styled, folded
        self.part = "answer"

    def __call__(self, event: StreamEvent) -> None:
        if event.part != self.part:
            self._close(self.part)
            self.part = event.part
            if event.part != "answer" and not self.folded:
                self.write((DIM if self.styled else "") + ("output: " if event.part == "output" else ""))
        if event.part == "answer":
            self.write(event.text)
        elif not self.folded:
            self.write(event.text.rstrip("\n") if event.part == "output" else event.text)

    def _close(self, part: str) -> None:
        if part == "answer":
            return
        if self.folded:
            if part == "program":
                self.write("(program ran; /program shows it)\n")
        else:
            self.write((PLAIN if self.styled else "") + "\n")


def show_tool(run, write) -> None:
    """The last tool run in full (/program last)."""
    if run is None:
        write("(the last reply ran no program)")
        return
    write(run.program or "(no program)")
    write(f"output: {run.output.strip() or '(none)'}  exit {run.exit_status}  {run.seconds:.2f} s  "
          f"{run.attempts} attempt(s), isolation {run.isolation}" + ("; fell back to the plain base" if run.fallback
                                                                     else ""))  # fmt: skip


def answer_once(engine: Engine, prompt: str, cfg, out: Callable[[str], object], err: Callable[[str], object],
                styled: bool = False) -> None:  # fmt: skip
    """`loco generate`: stream one reply (or vote), then a stats line on stderr."""
    messages = build_messages(prompt, cfg.system)
    note = route_note(engine.route(prompt))
    if note:
        err(note)
    if cfg.inference.votes > 1:
        result = engine.vote(messages, cfg.sampling, cfg.inference)
        out(result.text + "\n")
        err(f"[{label(engine)} | {result.describe()}]")
        return
    stats, check, show = None, None, ReplyPrinter(out, styled)
    for event in engine.chat(messages, cfg.sampling, cfg.inference):
        if event.notice:
            err(event.notice)
        show(event)
        stats, check = event.stats or stats, event.check or check
    out("\n")
    if check is not None:  # votes run more functions on the same examples and keep the best
        err(check.notice() + ("" if check.right == len(check.outcomes) else "; --votes 10 tries more"))
    err(stats_line(stats, label(engine)))


def _program(session: ChatSession, arg: str, write) -> None:
    if arg == "last":
        show_tool(session.last_tool, write)
        return
    session.show_programs = not session.show_programs
    write(f"(tool programs {'shown' if session.show_programs else 'folded to one line'})")


def _clear(session: ChatSession, arg: str, write) -> None:
    session.clear()
    write("(conversation cleared)")


def _votes(session: ChatSession, arg: str, write) -> None:
    if not arg.strip():
        write(f"(votes: {session.inference.votes}; /votes N sets them, /votes 1 turns them off)")
        return
    try:
        votes = int(arg)
    except ValueError:
        votes = 0
    if not 1 <= votes <= MAX_VOTES:
        write(f"/votes takes a whole number from 1 to {MAX_VOTES}, got {arg.strip()!r}")
        return
    session.inference = replace(session.inference, votes=votes)
    write(f"(votes {'off' if votes == 1 else f'on: {votes} samples at {session.inference.vote_temperature}'})")


def _system(session: ChatSession, arg: str, write) -> None:
    session.system = arg or None
    session.clear()
    write(f"(system prompt {'set' if session.system else 'removed'}; conversation cleared)")


def _adapter(session: ChatSession, arg: str, write) -> None:
    engine = session.engine
    if not arg:
        write(f"(current adapter: {engine.adapter or 'none'}{', chosen by the router' if engine.auto else ''})")
    elif arg == "auto":
        if engine.router is None:
            write("(no router here: start chat with --adapter auto)")
        else:
            engine.routing = True
            write("(the router picks the adapter for each message)")
    else:
        try:
            seconds = engine.use_adapter(arg)
            engine.routing = False
        except LocoError as exc:
            write(f"error: {exc} (still using {engine.adapter or 'the plain base'})")
        else:
            write(f"(now using {engine.adapter or 'the plain base'}; switched in {seconds * 1000:.2f} ms)")


def _why(session: ChatSession, arg: str, write) -> None:
    from loco_mlx.router.accuracy import explain_lines

    if session.last_decision is None:
        write("(nothing routed yet: routing is on with --adapter auto)")
        return
    write(f"(routed to {session.last_decision.label})")
    for line in explain_lines(session.last_decision):
        write(f"  {line}")


def _adapters(session: ChatSession, arg: str, write) -> None:
    engine = session.engine
    names = sorted(engine.adapter_paths)
    if not names:
        write("(no adapters for this base; register one with `loco adapters add DIR`)")
    for name in names:
        mark = "*" if name == engine.adapter else " "
        loaded = " (loaded)" if engine.is_loaded(name) else ""
        write(f" {mark} {name}{loaded}  {engine.adapter_paths[name]}")


def _stats(session: ChatSession, arg: str, write) -> None:
    engine = session.engine
    for name, size in engine.adapter_memory():
        write(f"  {name}: {size / 2**20:.2f} MiB")
    times = sorted(engine.switch_seconds())
    if times:
        write(f"  switches: {len(times)}, median {times[len(times) // 2] * 1000:.2f} ms")
    write(f"  history: {len(session.history) // 2} turns; last: {stats_line(session.last_stats, label(engine))}")


COMMANDS = {
    "/help": lambda session, arg, write: write(HELP),
    "/clear": _clear,
    "/system": _system,
    "/votes": _votes,
    "/adapter": _adapter,
    "/why": _why,
    "/adapters": _adapters,
    "/stats": _stats,
    "/program": _program,
}


def _command(session: ChatSession, text: str, write) -> bool:
    """Run a slash command; False means quit."""
    command, _, arg = text.partition(" ")
    if command in ("/quit", "/exit"):
        return False
    action = COMMANDS.get(command)
    if action is None:
        write(f"unknown command {command}; /help lists them")
    else:
        action(session, arg.strip(), write)
    return True


def run_repl(session: ChatSession, read: Callable[[str], str] = input, write=print, styled: bool = False) -> None:
    if read is input:
        try:
            import readline  # noqa: F401  (arrow keys and history for input())
        except ImportError:  # Windows
            pass
    write(f"chatting with {label(session.engine)}; /help for commands, /quit to leave")
    while True:
        try:
            line = read(">>> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            if not _command(session, text, write):
                return
            continue
        note, check = None, None
        show = ReplyPrinter(lambda t: write(t, end="", flush=True), styled, folded=not session.show_programs)
        try:
            for event in session.send(text):
                if event.notice:
                    write(event.notice)
                show(event)
                note, check = event.note or note, event.check or check
        except LocoError as exc:
            write(f"error: {exc}")
            continue
        except KeyboardInterrupt:
            write("\n(interrupted)")
            continue
        write("")
        if check is not None:
            write(check.notice())
        if session.dropped_turns:
            write(f"(dropped {session.dropped_turns} oldest turn(s) to fit the context window)")
            session.dropped_turns = 0
        write(f"[{label(session.engine)} | {note}]" if note else stats_line(session.last_stats, label(session.engine)))
