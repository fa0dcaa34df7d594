"""Write-through and write-around never leave a stale entry behind."""

from __future__ import annotations

import asyncio

import pytest

from cacheserver.caching import (
    MISS,
    AsyncCache,
    AsyncMemoryBackend,
    Cache,
    CacheUnavailable,
    ManualClock,
    MemoryBackend,
    awrite_around,
    awrite_through,
    write_around,
    write_through,
)


def test_write_through_stores_then_caches(cache: Cache) -> None:
    db = {}
    write_through(cache, "u:1", {"n": 1}, lambda v: db.update(u1=v))
    assert db == {"u1": {"n": 1}} and cache.get("u:1") == {"n": 1}


def test_store_failure_removes_the_old_entry(cache: Cache) -> None:
    cache.set("u:1", "old")

    def store(value: object) -> None:
        raise RuntimeError("constraint")

    with pytest.raises(RuntimeError):
        write_through(cache, "u:1", "new", store)
    assert cache.get("u:1") is MISS


class FailingSetBackend(MemoryBackend):
    def set(self, key: str, value: bytes, px: int) -> None:
        raise ConnectionError("lost the cache mid-write")


def test_cache_write_failure_removes_the_old_entry() -> None:
    memory = FailingSetBackend(ManualClock())
    memory.data["u:1"] = [b"stale", None]
    cache = Cache(memory, ttl=10)
    write_through(cache, "u:1", "new", lambda v: None)
    assert "u:1" not in memory.data


def test_write_through_reports_when_the_cache_cannot_even_delete() -> None:
    memory = MemoryBackend(ManualClock())
    cache = Cache(memory, ttl=10)
    memory.down = True
    with pytest.raises(CacheUnavailable):
        write_through(cache, "u:1", "new", lambda v: None)


def test_write_around_invalidates(cache: Cache) -> None:
    cache.set("u:1", "old")
    assert write_around(cache, "u:1", lambda: "stored") == "stored"
    assert cache.get("u:1") is MISS


def test_async_write_through_and_around() -> None:
    async def main() -> None:
        clock = ManualClock()
        cache = AsyncCache(AsyncMemoryBackend(MemoryBackend(clock)), clock=clock, ttl=10)

        async def store(value: object) -> str:
            return "ok"

        assert await awrite_through(cache, "k", [1], store) == "ok"
        assert await cache.get("k") == [1]

        async def failing(value: object = None) -> None:
            raise RuntimeError

        with pytest.raises(RuntimeError):
            await awrite_through(cache, "k", [2], failing)
        assert await cache.get("k") is MISS
        await cache.set("k", 3)

        async def plain() -> str:
            return "done"

        assert await awrite_around(cache, "k", plain) == "done"
        assert await cache.get("k") is MISS

    asyncio.run(main())
