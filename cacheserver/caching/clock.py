"""Time for the caching library: a wall clock for expiries stored in entries, a monotonic one for durations.

Every pattern takes its clock as a parameter so tests drive time by hand (``ManualClock``) and stay
deterministic; nothing here reads ``time`` directly except ``SystemClock``.
"""

from __future__ import annotations

import time


class SystemClock:
    """The real clocks: ``time()`` is wall time in seconds (shared across machines through the entries it
    stamps), ``monotonic()`` measures loader durations and deadlines."""

    __slots__ = ()

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to; wall and monotonic time advance together."""

    __slots__ = ("now",)

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


SYSTEM_CLOCK = SystemClock()
