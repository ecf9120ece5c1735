"""The `loco chat` REPL: multi-turn history kept inside the context window, slash commands.

History is trimmed from the oldest turn when the next prompt would not leave room
for the reply; the current message is never cut (too long -> a clear error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from loco_mlx.engine import Engine, GenerationStats, Message, SamplingConfig, StreamEvent, build_messages
from loco_mlx.errors import LocoError

HELP = """commands:
  /help    show this help
  /clear   forget the conversation so far
  /system TEXT   set the system prompt (empty: remove it) and clear
  /quit    leave (also Ctrl-D)"""


@dataclass
class ChatSession:
    engine: Engine
    sampling: SamplingConfig
    system: str | None = None
    history: list[Message] = field(default_factory=list)
    dropped_turns: int = 0

    def clear(self) -> None:
        self.history.clear()

    def fit_messages(self, user_text: str) -> list[Message]:
        """Messages for the next turn, dropping the oldest exchanges until the reply has room."""
        backend = self.engine.backend
        # Leave room for a reasonable reply, but never demand more than half the window.
        reserve = min(self.sampling.max_tokens, backend.context_length // 2)
        while True:
            messages = build_messages(user_text, self.system, self.history)
            if len(backend.encode_chat(messages)) + reserve <= backend.context_length:
                return messages
            if not self.history:
                raise LocoError(
                    f"this message is too long for the model's {backend.context_length}-token context; shorten it"
                )
            del self.history[:2]  # one user turn and its reply
            self.dropped_turns += 1

    def send(self, user_text: str) -> Iterator[StreamEvent]:
        messages = self.fit_messages(user_text)
        reply = []
        for event in self.engine.chat(messages, self.sampling):
            reply.append(event.text)
            yield event
        self.history += [{"role": "user", "content": user_text}, {"role": "assistant", "content": "".join(reply)}]


def stats_line(stats: GenerationStats | None, label: str) -> str:
    if stats is None:
        return f"[{label}]"
    return (
        f"[{label} | prompt {stats.prompt_tokens} tok, {stats.prompt_tps:.1f} tok/s | "
        f"reply {stats.generated_tokens} tok, {stats.decode_tps:.1f} tok/s | {stats.finish_reason}]"
    )


def run_repl(session: ChatSession, label: str, read: Callable[[str], str] = input, write=print) -> None:
    if read is input:
        try:
            import readline  # noqa: F401  (arrow keys and history for input())
        except ImportError:  # Windows
            pass
    write(f"chatting with {label}; /help for commands, /quit to leave")
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
            command, _, arg = text.partition(" ")
            if command in ("/quit", "/exit"):
                return
            if command == "/help":
                write(HELP)
            elif command == "/clear":
                session.clear()
                write("(conversation cleared)")
            elif command == "/system":
                session.system = arg.strip() or None
                session.clear()
                write(f"(system prompt {'set' if session.system else 'removed'}; conversation cleared)")
            else:
                write(f"unknown command {command}; /help lists them")
            continue
        stats = None
        try:
            for event in session.send(text):
                write(event.text, end="", flush=True)
                stats = event.stats or stats
        except LocoError as exc:
            write(f"error: {exc}")
            continue
        except KeyboardInterrupt:
            write("\n(interrupted)")
            continue
        write("")
        if session.dropped_turns:
            write(f"(dropped {session.dropped_turns} oldest turn(s) to fit the context window)")
            session.dropped_turns = 0
        write(stats_line(stats, label))
