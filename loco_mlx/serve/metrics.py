"""What /health says about the work in progress: requests waiting or running, rows decoding, recent
decode throughput and how many requests each model answered. Written by the model thread, read by the
event loop, hence the lock."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque

BASE_LABEL = "base"  # the requests-per-model key of the plain base


class ServeMetrics:
    window_s = 10.0  # tokens/s covers the decoding of the last this many seconds

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending = 0  # requests waiting or running: /health's "queue"
        self.rows = 0  # requests decoding right now (the one-at-a-time path: 0 or 1)
        self._requests: Counter[str] = Counter()
        self._decoded: deque[tuple[float, int, float]] = deque()  # (ended at, tokens, seconds spent)

    def count_pending(self, change: int) -> None:
        with self._lock:
            self.pending += change

    def count_rows(self, change: int) -> None:
        with self._lock:
            self.rows += change

    def set_rows(self, rows: int) -> None:
        with self._lock:
            self.rows = rows

    def started(self, adapter: str | None) -> None:
        with self._lock:
            self._requests[adapter or BASE_LABEL] += 1

    def decoded(self, tokens: int, seconds: float) -> None:
        """`tokens` decoded in `seconds` (one batch step, or one whole one-at-a-time reply)."""
        now = time.monotonic()
        with self._lock:
            self._decoded.append((now, tokens, seconds))
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._decoded and self._decoded[0][0] < now - self.window_s:
            self._decoded.popleft()

    def tokens_per_s(self) -> float:
        """Tokens over the time spent decoding them, in the last window (0 when nothing was decoded)."""
        with self._lock:
            self._forget(time.monotonic())
            tokens = sum(t for _, t, _ in self._decoded)
            seconds = sum(s for _, _, s in self._decoded)
        return tokens / seconds if seconds > 0 else 0.0

    def snapshot(self) -> dict:
        tokens_per_s = round(self.tokens_per_s(), 2)
        with self._lock:
            requests = dict(sorted(self._requests.items()))
            counts = {"queue": self.pending, "active_rows": self.rows}
        return {**counts, "tokens_per_s": tokens_per_s, "requests": requests}
