"""Shared Bloom filters against our server and a real redis-server (each test runs on both)."""

from __future__ import annotations

import asyncio
import random
import warnings

import pytest
import redis
import redis.asyncio

from cacheserver.caching import AsyncCache, Cache, ReadThrough
from cacheserver.caching.bloom import (
    AsyncSharedBloomFilter,
    BloomCapacityWarning,
    BloomFilter,
    BloomInfo,
    ScalableBloomFilter,
    SharedBloomFilter,
)
from cacheserver.caching.guard import BloomGuard, bloom_guard


def _client(target) -> redis.Redis:
    client = target.client()
    client.flushall()
    return client


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BloomCapacityWarning)
        return fn(*args)


def test_fixed_filter_bitmap_is_the_local_bytearray(target) -> None:
    client = _client(target)
    shared = SharedBloomFilter(client, "users", 1000, 0.01, batch_size=300)
    local = BloomFilter(1000, 0.01)
    keys = [f"user:{i}" for i in range(700)] + [b"raw-bytes-key", "user:1"]
    assert shared.add_many_flags(keys) == [local.add(k) for k in keys]
    assert client.get("{users}:bloom:bits") == local.to_bytes()
    assert client.strlen("{users}:bloom:bits") == 1199  # pre-sized: ceil(9586 / 8) bytes
    assert client.hgetall("{users}:bloom:meta") == {
        b"config": b"bloom1 fixed 1000 0.01", b"filters": b"1", b"count": str(local.count).encode()}
    probes = [f"absent:{i}" for i in range(3000)]
    assert shared.contains_many(probes) == local.contains_many(probes)
    assert all(shared.contains_many(keys)) and shared.might_contain("user:5") is True
    assert shared.add("user:5") is False
    info = shared.info()
    assert (info.filters, info.count, info.capacity, info.nbytes) == (1, local.count, 1000, 1199)
    assert info.saturation == local.saturation
    client.close()


def test_large_filter_offsets_match(target) -> None:
    client = _client(target)
    shared = SharedBloomFilter(client, "big", 3_000_000, 0.001)  # 43M bits: offsets of 8 digits
    local = BloomFilter(3_000_000, 0.001)
    keys = [f"id:{i}" for i in range(300)]
    assert shared.add_many(keys) == local.add_many(keys) == 300
    assert client.strlen("{big}:bloom:bits") == local.nbytes == 5_391_596
    assert client.get("{big}:bloom:bits") == local.to_bytes()
    assert client.bitcount("{big}:bloom:bits") == 300 * 10
    client.close()


def test_load_and_save_move_a_filter_between_process_and_server(target) -> None:
    client = _client(target)
    local = BloomFilter(500, 0.01)
    local.add_many(f"k{i}" for i in range(200))
    shared = SharedBloomFilter(client, "ids", 500, 0.01)
    assert shared.info() == BloomInfo(0, 0, 0, 0.0, 0, 0.0)
    assert shared.contains_many(["k1", "k2"]) == [False, False]  # nothing stored yet
    shared.save(local)
    assert client.get("{ids}:bloom:bits") == local.to_bytes()
    assert shared.contains_many(["k1", "k199", "nope"]) == [True, True, False]
    copy = shared.load()
    assert isinstance(copy, BloomFilter) and copy.to_bytes() == local.to_bytes() and copy.count == 200
    with pytest.raises(ValueError):
        shared.save(BloomFilter(400, 0.01))
    other = SharedBloomFilter(client, "ids", 400, 0.01)  # other positions: refused by the server
    with pytest.raises(redis.ResponseError, match="another configuration: bloom1 fixed 500 0.01"):
        other.add("x")
    with pytest.raises(ValueError):
        other.load()
    assert shared.clear() is True and client.exists("{ids}:bloom:meta", "{ids}:bloom:bits") == 0
    client.close()


def test_scalable_filter_grows_on_the_server_like_the_local_one(target) -> None:
    client = _client(target)
    shared = SharedBloomFilter(client, "s", 100, 0.01, scalable=True, batch_size=120)
    local = ScalableBloomFilter(100, 0.01)
    keys = [f"k{i}" for i in range(500)]
    with pytest.warns(BloomCapacityWarning) as record:
        flags = shared.add_many_flags(keys)
    assert [str(w.message)[:40] for w in record] == [
        "sub-filter 0 of bloom filter 's' is 80% ", "sub-filter 1 of bloom filter 's' is 80% "]
    assert flags == _quiet(lambda: [local.add(k) for k in keys])
    assert client.get("{s}:bloom:bits") == local.to_bytes()
    info = shared.info()
    assert (info.filters, info.count, info.capacity) == (3, local.count, 700) == (len(local.filters), local.count,
                                                                                   local.capacity)
    assert client.hget("{s}:bloom:meta", "filters") == b"3"
    assert all(shared.contains_many(keys))
    probes = [f"absent:{i}" for i in range(2000)]
    assert shared.contains_many(probes) == local.contains_many(probes)
    copy = shared.load()
    assert isinstance(copy, ScalableBloomFilter) and copy.to_bytes() == local.to_bytes()
    assert copy.count == local.count
    client.flushall()
    shared.save(local)
    assert shared.info() == info
    client.close()


def test_async_shared_filter(target) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        await client.flushall()
        shared = AsyncSharedBloomFilter(client, "a", 200, 0.01, scalable=True)
        local = ScalableBloomFilter(200, 0.01)
        keys = [f"k{i}" for i in range(300)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BloomCapacityWarning)
            assert await shared.add_many(keys) == local.add_many(keys)
        assert await client.get("{a}:bloom:bits") == local.to_bytes()
        assert await shared.might_contain("k7") is True and await shared.add("k7") is False
        probes = [f"absent:{i}" for i in range(500)]
        assert await shared.contains_many(probes) == local.contains_many(probes)
        assert (await shared.info()).filters == 2
        copy = await shared.load()
        await shared.clear()
        await shared.save(copy)
        assert await client.get("{a}:bloom:bits") == local.to_bytes()
        await client.aclose()

    asyncio.run(main())


def test_guard_with_shared_filter_in_front_of_a_cached_loader(target) -> None:
    client = _client(target)
    bloom = SharedBloomFilter(client, "products", 100, 0.01)
    bloom.add_many(["1", "2"])
    store = {1: "one", 2: "two"}
    queries = []

    def load(product_id: int) -> str | None:
        queries.append(product_id)
        return store.get(product_id)

    guard = BloomGuard(bloom, load)
    reads = ReadThrough(Cache(client, ttl=5, beta=None), guard, key="product:{product_id}", cache_none=True,
                        none_ttl=30)
    rng = random.Random(5)
    for _ in range(40):
        product_id = rng.choice([1, 2, 10_000 + rng.randrange(1000)])  # about half are absent
        assert reads(product_id) == store.get(product_id)
    assert sorted(queries) == [1, 2]
    assert guard.stats.as_dict() == {"blocked": 10, "passed": 2, "false_positives": 0}  # 10 absent IDs, cached
    client.close()


def test_async_guard_with_async_shared_filter(target) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        await client.flushall()
        bloom = AsyncSharedBloomFilter(client, "items", 100, 0.01)
        await bloom.add("3")
        queries = []

        @bloom_guard(bloom)
        async def load(item_id: int) -> str:
            queries.append(item_id)
            return f"item {item_id}"

        cache = AsyncCache(client, ttl=5, beta=None)
        got = [await cache.get_or_load(f"item:{i}", lambda i=i: load(i)) for i in (3, 4, 5, 3)]
        assert got == ["item 3", None, None, "item 3"] and queries == [3]
        assert load.guard.stats.blocked == 2
        await client.aclose()

    asyncio.run(main())
