"""Circuit breaker state machine and fail-open behaviour of the cache during an outage."""

from __future__ import annotations

import pytest

from cacheserver.caching import MISS, Cache, CacheUnavailable, CircuitBreaker, ManualClock, MemoryBackend
from cacheserver.caching.breaker import CLOSED, HALF_OPEN, OPEN


def test_opens_after_threshold_then_half_open_probe() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=3, cooldown=1.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == CLOSED
    breaker.failure()
    assert breaker.state == OPEN and not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow() and breaker.state == HALF_OPEN
    assert not breaker.allow()  # one probe at a time
    breaker.failure()
    assert breaker.state == OPEN and not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()
    breaker.success()
    assert breaker.state == CLOSED and breaker.allow() and breaker.failures == 0


def test_success_resets_consecutive_count() -> None:
    breaker = CircuitBreaker(threshold=2, clock=ManualClock())
    breaker.failure()
    breaker.success()
    breaker.failure()
    assert breaker.state == CLOSED


def test_cache_fails_open_skips_cache_while_open_and_recovers() -> None:
    clock = ManualClock()
    memory = MemoryBackend(clock)
    cache = Cache(memory, clock=clock, ttl=60, beta=None, breaker=CircuitBreaker(threshold=2, cooldown=1, clock=clock))
    memory.down = True
    calls = []
    for i in range(5):
        assert cache.get_or_load("k", lambda i=i: calls.append(i) or i) == i
    assert calls == [0, 1, 2, 3, 4]
    assert cache.breaker.state == OPEN
    assert cache.stats.cache_errors == 2  # two calls met the outage, the rest skipped the cache
    assert cache.stats.bypassed == 3
    memory.down = False
    clock.advance(1)
    assert cache.get_or_load("k", lambda: "back") == "back"  # the probe fills the cache again
    assert cache.breaker.state == CLOSED
    assert cache.get("k") == "back"


def test_fail_closed_policy_raises() -> None:
    memory = MemoryBackend(ManualClock())
    memory.down = True
    cache = Cache(memory, ttl=60, fail_open=False)
    with pytest.raises(CacheUnavailable):
        cache.get_or_load("k", lambda: 1)
    with pytest.raises(CacheUnavailable):
        cache.set("k", 1)
    memory.down = False
    assert cache.get("k") is MISS
