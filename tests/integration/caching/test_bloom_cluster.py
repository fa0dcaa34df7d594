"""Shared Bloom filters on a real 3-node Redis Cluster (sync and asyncio RedisCluster clients)."""

from __future__ import annotations

import asyncio
import warnings

from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from cacheserver.caching.bloom import (
    AsyncSharedBloomFilter,
    BloomCapacityWarning,
    BloomFilter,
    ScalableBloomFilter,
    SharedBloomFilter,
)


def test_shared_filters_keep_their_keys_on_one_slot(cluster) -> None:
    client = RedisCluster(host="127.0.0.1", port=cluster.ports[0])
    client.flushall()
    names = [f"filter-{i}" for i in range(12)]
    assert len({client.keyslot(f"{{{n}}}:bloom:bits") for n in names}) > 8  # spread over the nodes
    for n in names:
        assert client.keyslot(f"{{{n}}}:bloom:meta") == client.keyslot(f"{{{n}}}:bloom:bits")
        fixed = SharedBloomFilter(client, n, 300, 0.01)
        local = BloomFilter(300, 0.01)
        keys = [f"{n}:{i}" for i in range(200)]
        assert fixed.add_many(keys) == local.add_many(keys)
        assert client.get(f"{{{n}}}:bloom:bits") == local.to_bytes()
        assert all(fixed.contains_many(keys))
    scalable = SharedBloomFilter(client, "grow", 50, 0.01, scalable=True)
    local = ScalableBloomFilter(50, 0.01)
    keys = [f"g{i}" for i in range(200)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BloomCapacityWarning)
        assert scalable.add_many_flags(keys) == [local.add(k) for k in keys]
    assert scalable.info().filters == 3 and client.get("{grow}:bloom:bits") == local.to_bytes()
    assert scalable.load().to_bytes() == local.to_bytes()
    client.close()


def test_async_cluster_client(cluster) -> None:
    async def main() -> None:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster.ports[0])
        await client.flushall()
        shared = AsyncSharedBloomFilter(client, "async", 100, 0.01)
        local = BloomFilter(100, 0.01)
        keys = [f"a{i}" for i in range(60)]
        assert await shared.add_many(keys) == local.add_many(keys)
        assert await client.get("{async}:bloom:bits") == local.to_bytes()
        probes = [f"absent:{i}" for i in range(300)]
        assert await shared.contains_many(probes) == local.contains_many(probes)
        await shared.save(local)
        assert (await shared.load()).to_bytes() == local.to_bytes()
        await client.aclose()

    asyncio.run(main())
