"""Circuit breaker for cache outages: after N consecutive connection errors, skip the cache for a cool-down.

Without it, every call during an outage waits for its own connect or socket timeout before falling back to
the loader. States: CLOSED (use the cache) -> OPEN after ``threshold`` consecutive failures (skip it) ->
HALF_OPEN once ``cooldown`` has passed, when exactly one caller probes; its success closes the breaker, its
failure re-opens it for another cool-down.
"""

from __future__ import annotations

import threading

from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    def __init__(self, threshold: int = 3, cooldown: float = 0.5, clock: SystemClock = SYSTEM_CLOCK) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.state = CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """May this call use the cache? In HALF_OPEN only the one probing call may."""
        if self.state == CLOSED:
            return True
        with self._lock:
            if self.state == OPEN:
                if self.clock.monotonic() - self.opened_at < self.cooldown:
                    return False
                self.state = HALF_OPEN
                self._probing = False
            if self.state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return self.state == CLOSED

    def success(self) -> None:
        if self.state == CLOSED and self.failures == 0:
            return
        with self._lock:
            self.state = CLOSED
            self.failures = 0
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.state == HALF_OPEN or self.failures >= self.threshold:
                self.state = OPEN
                self.opened_at = self.clock.monotonic()
                self._probing = False
