"""Rate limiters and locks on a real 3-node Redis Cluster (sync and asyncio RedisCluster clients): every
script's keys share one slot, and identities and lock names spread over all the nodes."""

from __future__ import annotations

import asyncio
import threading

from helpers import wait_blocked
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from cacheserver.caching.clock import ManualClock
from cacheserver.caching.locks import Lock
from cacheserver.caching.ratelimit import (
    FixedWindow,
    LeakyBucket,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
)


def _client(cluster) -> RedisCluster:
    client = RedisCluster(host="127.0.0.1", port=cluster.ports[0])
    client.flushall()
    return client


def _limiters(client, clock):
    return [
        TokenBucket(client, "c", rate=1, capacity=2, clock=clock),
        LeakyBucket(client, "c", rate=1, capacity=2, clock=clock),
        FixedWindow(client, "c", limit=2, window=10, clock=clock),
        SlidingWindowLog(client, "c", limit=2, window=10, clock=clock),
        SlidingWindowCounter(client, "c", limit=2, window=10, clock=clock),
    ]


def test_rate_limiters_on_cluster(cluster) -> None:
    client = _client(cluster)
    clock = ManualClock(1000.0)
    identities = [f"user:{i}" for i in range(12)]
    assert len({client.keyslot(f"{{c:{i}}}") for i in identities}) > 8
    owners = {client.get_node_from_key(f"{{c:{i}}}").port for i in identities}
    assert owners == set(cluster.ports)  # the identities live on all three nodes
    for limiter in _limiters(client, clock):
        for identity in identities:
            keys = limiter.keys(identity)
            assert len({client.keyslot(k) for k in keys}) == 1
            got = [limiter.hit(identity).allowed for _ in range(3)]
            assert got == [True, True, False], (type(limiter).__name__, identity)
        assert limiter.peek(identities[0], cost=0).remaining == 0
        assert limiter.reset(identities[0]) == len(limiter.suffixes)
        assert limiter.hit(identities[0], cost=2).allowed is True
    client.close()


def test_async_rate_limiter_on_cluster(cluster) -> None:
    async def main() -> None:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster.ports[0])
        await client.flushall()
        limiter = SlidingWindowLog(client, "a", limit=3, window=10, clock=ManualClock(1000.0))
        assert limiter.is_async
        decisions = [await limiter.hit(f"k{i % 4}") for i in range(16)]
        assert [d.allowed for d in decisions] == [True] * 12 + [False] * 4
        assert decisions[-1].retry_after == 10.0
        await client.aclose()

    asyncio.run(main())


def test_locks_on_cluster(cluster) -> None:
    client = _client(cluster)
    names = [f"order:{i}" for i in range(9)]
    assert {client.get_node_from_key(f"{{{n}}}").port for n in names} == set(cluster.ports)
    for name in names:
        first = Lock(client, name, lease_ms=5000)
        assert first.acquire(blocking=False) and first.fence == 1
        assert Lock(client, name).acquire(blocking=False) is False
        assert first.extend(10_000) and first.release()
        with Lock(client, name) as second:
            assert second.fence == 2

    holder = Lock(client, names[0], lease_ms=30_000)
    assert holder.acquire()
    waiter = Lock(RedisCluster(host="127.0.0.1", port=cluster.ports[1]), names[0], recheck=30)
    got = []
    thread = threading.Thread(target=lambda: got.append(waiter.acquire(timeout=20)))
    thread.start()
    node = client.get_redis_connection(client.get_node_from_key(f"{{{names[0]}}}"))
    wait_blocked(node, 1)  # the waiter is in BLPOP on the lock's node
    assert holder.release() is True
    thread.join(10)
    assert got == [True] and waiter.fence == 4 and waiter.release()
    waiter.client.close()
    client.close()


def test_async_lock_on_cluster(cluster) -> None:
    async def main() -> None:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster.ports[0])
        await client.flushall()
        counter = {"n": 0}

        async def worker() -> None:
            for _ in range(5):
                async with Lock(client, "shared", lease_ms=10_000, wait_timeout=20):
                    n = counter["n"]
                    await asyncio.sleep(0)
                    counter["n"] = n + 1

        await asyncio.gather(*(worker() for _ in range(4)))
        assert counter["n"] == 20 and int(await client.get("{shared}:fence")) == 20
        await client.aclose()

    asyncio.run(main())
