"""XFetch: the per-read refresh probability, and one recompute per expiry with the refresh lease."""

from __future__ import annotations

import math
import random
import threading
import time

import pytest

from cacheserver.caching import Cache, JsonCodec, ManualClock, MemoryBackend
from cacheserver.caching.codecs import decode_entry
from cacheserver.caching.early_expiry import refresh_lease_ms, refresh_probability, should_refresh_early


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("time_left_in_deltas", [0.25, 1.0, 3.0])
def test_refresh_chance_per_read_is_exp_minus_t_over_beta_delta(beta: float, time_left_in_deltas: float) -> None:
    rng = random.Random(42)
    delta, expiry = 0.2, 1000.0
    now = expiry - time_left_in_deltas * delta
    n = 20_000
    hits = sum(should_refresh_early(now, expiry, delta, beta, rng) for _ in range(n))
    expected = math.exp(-time_left_in_deltas / beta)
    assert refresh_probability(time_left_in_deltas * delta, delta, beta) == pytest.approx(expected)
    assert abs(hits / n - expected) < 4 * math.sqrt(expected * (1 - expected) / n) + 1e-9


def test_expired_entry_always_refreshes_and_unknown_delta_waits_for_expiry() -> None:
    rng = random.Random(1)
    assert should_refresh_early(1001.0, 1000.0, 0.1, 1.0, rng)
    assert not should_refresh_early(999.0, 1000.0, 0.0, 1.0, rng)
    assert refresh_lease_ms(0.2) == 400 and refresh_lease_ms(0.001) == 50


def test_one_recompute_per_expiry_with_the_refresh_lease() -> None:
    clock = ManualClock()
    memory = MemoryBackend(clock)
    # Several processes reading the same hot key; the loader "takes" 100 ms of manual time.
    caches = [Cache(memory, clock=clock, rng=random.Random(i), ttl=1, beta=1.0) for i in range(4)]
    version = [0]
    replaced = []  # the fresh-until of the entry each recompute replaces

    def loader() -> int:
        current = decode_entry(JsonCodec(), memory.data["k"][0]) if "k" in memory.data else None
        replaced.append(current.fresh_until if current else None)
        clock.advance(0.1)
        version[0] += 1
        return version[0]

    caches[0].get_or_load("k", loader)
    for _ in range(600):  # 6 s of reads, 400 per second, spread over the processes
        for c in caches:
            c.get_or_load("k", loader)
            c.drain()
        clock.advance(0.01)  # 4 reads per 10 ms
    misses = sum(c.stats.misses for c in caches)
    assert misses == 1  # only the very first read: every later refresh happened before expiry
    # exactly one recompute per entry lifetime: no entry was replaced twice
    assert len(replaced) > 6
    assert len(set(replaced)) == len(replaced)
    assert sum(c.stats.early_refreshes for c in caches) == len(replaced) - 1


def test_a_miss_never_joins_a_background_refresh_that_lost_its_lease() -> None:
    """A refresh that finds the refresh lease taken ends with no value: a caller that missed meanwhile must
    load for itself, not receive the refresh's empty outcome."""
    clock = ManualClock()
    gate = threading.Event()
    answered = threading.Event()

    class SlowRefreshLease(MemoryBackend):
        def acquire(self, key: str, token: bytes, px: int, entry_key: str):  # type: ignore[override]
            if key.endswith(":refresh"):
                gate.wait(5)
                try:
                    return b"another-process", px, None  # someone else refreshes
                finally:
                    answered.set()
            return super().acquire(key, token, px, entry_key)

    memory = SlowRefreshLease(clock)
    cache = Cache(memory, clock=clock, rng=random.Random(3), ttl=1, beta=1000.0)
    def first() -> str:
        clock.advance(0.1)  # the recompute time XFetch weighs
        return "v1"

    assert cache.get_or_load("k", first) == "v1"
    clock.advance(0.5)
    assert cache.get_or_load("k", lambda: "unused") == "v1"  # XFetch fires: the refresh waits on its lease
    memory.data.pop("k")  # the entry is gone (invalidated elsewhere) while that refresh is in flight
    result = []
    miss = threading.Thread(target=lambda: result.append(cache.get_or_load("k", lambda: "v2")))
    miss.start()
    deadline = time.monotonic() + 5
    while not result and time.monotonic() < deadline:  # until it has either finished or joined a flight
        call = cache.flight._calls.get("k")
        if call is not None and call.waiters:
            break
        time.sleep(0.001)
    gate.set()
    answered.wait(5)
    miss.join(5)
    cache.drain()
    assert result == ["v2"]
    assert cache.stats.early_refreshes == 0
