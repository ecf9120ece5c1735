"""Stop strings on streamed text: the one place that cuts a reply at the first stop and decides how
much of its end to hold back, for the one-at-a-time server path and the batched decoder alike."""

from __future__ import annotations


def held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many characters at the end of `text` could be the start of a stop string (not shown yet)."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class StopScanner:
    """Cuts a stream of text at the first stop string. Only an ending that may start a stop is held
    back, so text streams as soon as it cannot be part of one."""

    def __init__(self, stops):
        self.stops = tuple(s for s in stops if s)
        self.buffer = ""  # received, not shown yet

    def feed(self, text: str) -> tuple[str, bool]:
        """The text safe to show now, and whether a stop string was reached (then nothing more is)."""
        self.buffer += text
        hits = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            out, self.buffer = self.buffer[: min(hits)], ""
            return out, True
        cut = len(self.buffer) - held_back(self.buffer, self.stops)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out, False

    def flush(self) -> str:
        """What was held back, at the end of the stream (no stop came)."""
        out, self.buffer = self.buffer, ""
        return out
