"""The caching library on a real 3-node Redis Cluster (sync and asyncio RedisCluster clients)."""

from __future__ import annotations

import asyncio

from helpers import one_load_herd
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from cacheserver.caching import MISS, AsyncCache, Cache
from cacheserver.caching.backend import RedisBackend
from cacheserver.caching.lease import new_token


def _client(cluster) -> RedisCluster:
    client = RedisCluster(host="127.0.0.1", port=cluster.ports[0])
    client.flushall()
    return client


def test_cache_aside_and_lease_on_cluster(cluster) -> None:
    client = _client(cluster)
    cache = Cache(client, ttl=5)
    assert cache.backend.cluster
    assert cache.get_or_load("user:{42}:profile", lambda: {"n": 1}) == {"n": 1}
    assert cache.get_or_load("user:{42}:profile", lambda: {"n": 2}) == {"n": 1}
    assert cache.backend.scripting == "scripts"  # the lease was released by EVALSHA on the key's node
    backend = RedisBackend(client)
    token = new_token()
    assert backend.acquire("l", token, 1000, "e")[0] is None
    assert backend.release("l", b"forged") is False and backend.release("l", token) is True
    client.close()


def test_tag_invalidation_spans_slots(cluster) -> None:
    client = _client(cluster)
    cache = Cache(client, ttl=5)
    keys = [f"item:{i}" for i in range(30)]  # spread over the three nodes' slots
    assert len({client.keyslot(k) for k in keys}) > 20
    for k in keys:
        cache.get_or_load(k, lambda k=k: k, tags=["all-items"])
    assert cache.invalidate_tags("all-items") == 31
    assert all(cache.get(k) is MISS for k in keys)
    assert cache.get_or_load("x", lambda: 0, namespace="fam") == 0
    cache.bump("fam")
    assert cache.get_or_load("x", lambda: 1, namespace="fam") == 1
    client.close()


def test_one_load_across_cluster_clients(cluster) -> None:
    clients = [_client(cluster) for _ in range(3)]
    caches = [Cache(c, ttl=5, lease_ms=3000, beta=None) for c in clients]
    loads, results = one_load_herd(caches, 1, 2, "v", 10)
    assert loads == [1] and results == ["v"] * 3
    for c in clients:
        c.close()


def test_async_cluster_client(cluster) -> None:
    async def main() -> None:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster.ports[0])
        await client.flushall()
        cache = AsyncCache(client, ttl=5, beta=None)
        assert cache.backend.cluster
        loads = []

        async def loader() -> int:
            loads.append(1)
            await asyncio.sleep(0.05)
            return 7

        assert await asyncio.gather(*(cache.get_or_load("a:{1}", loader) for _ in range(5))) == [7] * 5
        assert loads == [1]
        await cache.set("b", 1, tags=["t"])
        await cache.set("c", 2, tags=["t"])
        assert await cache.invalidate_tags("t") == 3
        assert await cache.get("b") is MISS
        await client.aclose()

    asyncio.run(main())
