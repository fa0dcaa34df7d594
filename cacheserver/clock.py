"""The cached clock: read once per read batch and per cron tick, not once per key lookup.

Everything that compares against "now" (expiry, idle time, LRU/LFU stamps) reads ``now_ms`` from
here, so one batch of pipelined commands sees one instant, as Redis's ``commandTimeSnapshot`` does.
Tests replace it with a ``ManualClock``.
"""

from __future__ import annotations

import time

LRU_CLOCK_MAX = (1 << 24) - 1  # Redis keeps a 24-bit LRU clock with 1 s resolution

_time = time.time


class Clock:
    __slots__ = ("now_ms", "lru")

    def __init__(self) -> None:
        self.now_ms = 0
        self.lru = 0
        self.refresh()

    def refresh(self) -> int:
        now = int(_time() * 1000)
        self.now_ms = now
        self.lru = (now // 1000) & LRU_CLOCK_MAX
        return now


class ManualClock(Clock):
    """A clock that moves only when told to (unit tests)."""

    __slots__ = ("_fixed",)

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._fixed = start_ms
        super().__init__()

    def refresh(self) -> int:
        self.now_ms = self._fixed
        self.lru = (self._fixed // 1000) & LRU_CLOCK_MAX
        return self._fixed

    def advance(self, ms: int) -> None:
        self._fixed += ms
        self.refresh()
