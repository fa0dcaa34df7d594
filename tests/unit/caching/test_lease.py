"""Distributed single-flight: several caches (as if several processes) sharing one backend."""

from __future__ import annotations

import threading
import time

from helpers import one_load_herd

from cacheserver.caching import Cache, MemoryBackend, SystemClock
from cacheserver.caching.lease import new_token


def test_one_load_fleet_wide_and_waiters_woken_with_the_entry() -> None:
    memory = MemoryBackend(SystemClock())
    caches = [Cache(memory, ttl=30, beta=None, lease_ms=5000) for _ in range(4)]
    loads, results = one_load_herd(caches, 5, 3, "value", 5)
    assert loads == [1] and results == ["value"] * 20
    # waiters were handed the entry by the wake list: no process re-read the key after waking
    assert memory.commands["blmove"] == 3 and memory.commands["get"] == 24
    assert memory.commands["rpush"] == 1  # one push by the holder woke every waiter: nobody re-pushed
    assert memory.pttl("hot:lease") == -2


def test_dead_holder_is_taken_over_when_its_lease_expires() -> None:
    memory = MemoryBackend(SystemClock())
    memory.acquire("k:lease", new_token(), 100, "k")  # a holder that will never finish
    cache = Cache(memory, ttl=30, beta=None, lease_ms=100)
    assert cache.get_or_load("k", lambda: "mine") == "mine"
    assert cache.stats.lease_waits == 1 and cache.stats.loads == 1


def test_holder_failure_wakes_waiters_who_then_retry() -> None:
    memory = MemoryBackend(SystemClock())
    caches = [Cache(memory, ttl=30, beta=None, lease_ms=5000) for _ in range(2)]
    holder_in = threading.Event()
    release = threading.Event()

    def failing() -> str:
        holder_in.set()
        release.wait(5)
        raise RuntimeError("db")

    errors = []

    def first() -> None:
        try:
            caches[0].get_or_load("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    results = []
    t1 = threading.Thread(target=first)
    t1.start()
    holder_in.wait(5)
    t2 = threading.Thread(target=lambda: results.append(caches[1].get_or_load("k", lambda: "second")))
    t2.start()
    while caches[1].stats.lease_waits < 1:
        pass
    release.set()
    t1.join(5)
    t2.join(5)
    assert len(errors) == 1 and results == ["second"]


def test_slow_loader_lease_is_extended_by_heartbeat() -> None:
    memory = MemoryBackend(SystemClock())
    cache = Cache(memory, ttl=30, beta=None, lease_ms=150)
    seen = []

    def slow() -> str:
        # Load until the heartbeat (every lease_ms / 3) has extended the lease three times, however late a
        # busy machine runs it; each extension restarts the lease at 150 ms.
        started = time.monotonic()
        while memory.commands.get("evalsha", 0) < 3 and time.monotonic() < started + 10:
            time.sleep(0.005)
        seen.append((memory.commands.get("evalsha", 0), memory.pttl("k:lease"), time.monotonic() - started))
        return "v"

    assert cache.get_or_load("k", slow) == "v"
    extensions, pttl, loading = seen[0]
    assert extensions == 3 and pttl > 0  # still held, by the heartbeat
    assert loading >= 0.15  # three heartbeats a third of a lease apart: past the initial lease
    assert memory.commands["evalsha"] >= 4  # the extensions, then the release


def test_release_and_extend_need_the_token() -> None:
    memory = MemoryBackend(SystemClock())
    token = new_token()
    assert memory.acquire("l", token, 1000, "e")[0] is None
    assert memory.acquire("l", new_token(), 1000, "e")[0] == token
    assert not memory.release("l", b"forged")
    assert not memory.extend("l", b"forged", 5000)
    assert memory.extend("l", token, 5000) and memory.pttl("l") > 1000
    assert memory.release("l", token) and memory.pttl("l") == -2


def test_waiting_gives_up_after_wait_timeout() -> None:
    memory = MemoryBackend(SystemClock())
    memory.acquire("k:lease", new_token(), 60_000, "k")  # alive but never finishing
    cache = Cache(memory, ttl=30, beta=None, lease_ms=60_000, wait_timeout=0.05)
    assert cache.get_or_load("k", lambda: "own") == "own"
