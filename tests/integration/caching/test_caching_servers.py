"""The caching library against our server and a real redis-server (each test runs on both)."""

from __future__ import annotations

import asyncio
import threading

import redis
import redis.asyncio
from helpers import one_load_herd

from cacheserver.caching import MISS, AsyncCache, Cache, CircuitBreaker, write_through
from cacheserver.caching.backend import RedisBackend
from cacheserver.caching.lease import TRANSACTIONS, new_token


def _client(target, **kw) -> redis.Redis:
    return target.client(**kw)


def test_cache_aside_round_trip(target) -> None:
    client = _client(target)
    client.flushall()
    cache = Cache(client, ttl=5, prefix="t:")
    assert cache.get_or_load("u:1", lambda: {"id": 1}) == {"id": 1}
    assert cache.get_or_load("u:1", lambda: {"id": 2}) == {"id": 1}
    assert 4000 < client.pttl("t:u:1") <= 5000
    assert client.exists("t:u:1:lease") == 0  # released after the load
    assert cache.invalidate("u:1") == 1 and cache.get("u:1") is MISS


def test_tags_and_namespaces(target) -> None:
    client = _client(target)
    client.flushall()
    cache = Cache(client, ttl=5)
    cache.get_or_load("a", lambda: 1, tags=["t1"])
    cache.get_or_load("b", lambda: 2, tags=["t1", "t2"])
    assert 0 < client.pttl("tag:t1") <= 5000
    assert cache.invalidate_tags("t1") == 3
    assert cache.get("a") is MISS and cache.get("b") is MISS
    assert cache.get_or_load("x", lambda: "v0", namespace="ns") == "v0"
    cache.bump("ns")
    assert cache.get_or_load("x", lambda: "v1", namespace="ns") == "v1"


def test_lease_release_and_extend_by_token_with_scripts_or_transactions(target) -> None:
    client = _client(target)
    client.flushall()
    for forced in (None, TRANSACTIONS):
        backend = RedisBackend(client)
        if forced:
            backend.scripting = forced
        token = new_token()
        holder, pttl, _ = backend.acquire("l", token, 1000, "e")
        assert holder is None and 0 < pttl <= 1000
        holder, pttl, _ = backend.acquire("l", new_token(), 1000, "e")
        assert holder == token and 0 < pttl <= 1000
        assert backend.release("l", b"not-the-token") is False
        assert backend.extend("l", b"not-the-token", 60_000) is False
        assert backend.extend("l", token, 60_000) is True and client.pttl("l") > 1000
        assert backend.release("l", token) is True and client.exists("l") == 0
        if forced is None and target.is_redis:
            assert backend.scripting == "scripts"  # EVALSHA, loaded by EVAL on NOSCRIPT


def test_one_load_across_clients_and_waiters_woken_by_one_push(target) -> None:
    clients = [_client(target) for _ in range(3)]
    clients[0].flushall()
    # A long lease: a waiter's wait ends early only when the holder's lease would run out. On a busy machine a
    # 3 s lease let one cache wait twice, which the herd counted as both waiters, releasing the holder before
    # the last cache asked for the lease (it then won a second round and pushed a second wake).
    caches = [Cache(c, ttl=5, lease_ms=10_000, beta=None) for c in clients]
    clients[0].config_resetstat()
    loads, results = one_load_herd(caches, 4, 2, "v", 10)
    assert loads == [1] and results == ["v"] * 12
    # one push by the holder woke both waiting caches; each waiter spent one BLMOVE and re-pushed nothing
    calls = {name: stat["calls"] for name, stat in clients[0].info("commandstats").items()}
    assert (calls["cmdstat_rpush"], calls["cmdstat_blmove"]) == (1, 2)


def test_killed_holder_is_taken_over_after_its_lease(target) -> None:
    client = _client(target)
    client.flushall()
    client.set("k:lease", b"dead-holder", px=200)
    cache = Cache(client, ttl=5, lease_ms=200, beta=None)
    assert cache.get_or_load("k", lambda: "taken over") == "taken over"
    assert cache.stats.lease_waits == 1


def test_write_through(target) -> None:
    client = _client(target)
    client.flushall()
    cache = Cache(client, ttl=5)
    write_through(cache, "w", [1, 2], lambda v: None)
    assert cache.get("w") == [1, 2]


def test_async_cache_single_flight_and_cancellation(target) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        await client.flushall()
        cache = AsyncCache(client, ttl=5, beta=None)
        started = asyncio.Event()
        finish = asyncio.Event()
        loads = []

        async def loader() -> str:
            loads.append(1)
            started.set()
            await finish.wait()
            return "v"

        first = asyncio.ensure_future(cache.get_or_load("k", loader))
        await started.wait()
        others = [asyncio.ensure_future(cache.get_or_load("k", loader)) for _ in range(5)]
        await asyncio.sleep(0.01)
        first.cancel()
        finish.set()
        assert await asyncio.gather(*others) == ["v"] * 5
        assert loads == [1]
        assert await cache.get("k") == "v"
        await client.aclose()

    asyncio.run(main())


def test_outage_through_proxy_fails_open_and_recovers(target, proxy) -> None:
    client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=1, socket_connect_timeout=1)
    client.flushall()
    breaker = CircuitBreaker(threshold=2, cooldown=0.2)
    cache = Cache(client, ttl=30, beta=None, breaker=breaker)
    assert cache.get_or_load("k", lambda: "cached") == "cached"
    proxy.outage()
    results = [cache.get_or_load("k", lambda: "from loader") for _ in range(10)]
    assert results == ["from loader"] * 10
    assert breaker.state == "open" and cache.stats.bypassed >= 8
    proxy.restore()
    done = threading.Event()
    done.wait(0.25)  # past the cool-down
    assert cache.get_or_load("k", lambda: "reloaded") == "cached"  # the probe reads the surviving entry
    assert breaker.state == "closed"
    client.close()
