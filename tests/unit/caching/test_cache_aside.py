"""Cache-aside, read-through and the decorator over the in-memory backend, with a manual clock."""

from __future__ import annotations

import asyncio
import random

import pytest

from cacheserver.caching import (
    MISS,
    AsyncCache,
    AsyncMemoryBackend,
    Cache,
    KeyTemplateError,
    ManualClock,
    MemoryBackend,
    ReadThrough,
)


class Loader:
    def __init__(self, *results: object) -> None:
        self.results = list(results)
        self.calls = 0

    def __call__(self, *args: object) -> object:
        self.calls += 1
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result


def test_miss_then_hit_and_stats(cache: Cache) -> None:
    load = Loader({"name": "ada"})
    assert cache.get_or_load("u:1", load) == {"name": "ada"}
    assert cache.get_or_load("u:1", load) == {"name": "ada"}
    assert load.calls == 1
    stats = cache.stats.as_dict()
    assert (stats["hits"], stats["misses"], stats["loads"], stats["load_failures"]) == (1, 1, 1, 0)
    assert "cacheserver_caching_hits_total 1" in cache.stats.prometheus()


def test_entry_expires_after_ttl(cache: Cache, clock: ManualClock) -> None:
    load = Loader(1, 2)
    assert cache.get_or_load("k", load) == 1
    clock.advance(10.001)
    assert cache.get_or_load("k", load) == 2
    assert load.calls == 2


def test_none_is_not_cached_unless_chosen(cache: Cache) -> None:
    load = Loader(None)
    cache.get_or_load("k", load)
    cache.get_or_load("k", load)
    assert load.calls == 2
    policy = cache.make_policy(cache_none=True)
    cache.get_or_load("n", load, policy=policy)
    assert cache.get_or_load("n", load, policy=policy) is None
    assert load.calls == 3
    assert cache.get("n") is None and cache.get("absent") is MISS


def test_negative_entries_have_their_own_ttl(cache: Cache, clock: ManualClock) -> None:
    policy = cache.make_policy(cache_none=True, none_ttl=1)
    load = Loader(None, "found")
    assert cache.get_or_load("k", load, policy=policy) is None
    clock.advance(1.001)
    assert cache.get_or_load("k", load, policy=policy) == "found"


def test_stale_while_revalidate_serves_stale_and_refreshes_in_background(cache: Cache, clock: ManualClock) -> None:
    policy = cache.make_policy(ttl=10, stale_ttl=30)
    load = Loader("v1", "v2")
    cache.get_or_load("k", load, policy=policy)
    clock.advance(11)
    assert cache.get_or_load("k", load, policy=policy) == "v1"
    cache.drain()
    assert cache.stats.stale_served == 1
    assert cache.get_or_load("k", load, policy=policy) == "v2"
    assert load.calls == 2


def test_stale_if_error_serves_stale_when_loader_fails(cache: Cache, clock: ManualClock) -> None:
    policy = cache.make_policy(ttl=10, stale_ttl=30, stale_while_revalidate=False)
    load = Loader("v1", RuntimeError("db down"))
    cache.get_or_load("k", load, policy=policy)
    clock.advance(11)
    assert cache.get_or_load("k", load, policy=policy) == "v1"
    assert (cache.stats.load_failures, cache.stats.stale_served) == (1, 1)
    clock.advance(30)  # past the stale window: nothing left to serve
    with pytest.raises(RuntimeError, match="db down"):
        cache.get_or_load("k", load, policy=policy)


def test_loader_error_without_stale_propagates_and_caches_nothing(cache: Cache, memory: MemoryBackend) -> None:
    with pytest.raises(ValueError):
        cache.get_or_load("k", Loader(ValueError("bad")))
    assert cache.get("k") is MISS
    assert memory.pttl("k:lease") == -2  # the lease was released


def test_jitter_spreads_ttls(memory: MemoryBackend, clock: ManualClock) -> None:
    cache = Cache(memory, clock=clock, rng=random.Random(1), ttl=100, jitter=0.2, beta=None)
    for i in range(20):
        cache.get_or_load(f"k{i}", Loader(i))
    ttls = {memory.pttl(f"k{i}") for i in range(20)}
    assert len(ttls) == 20
    assert all(100_000 <= t <= 120_000 for t in ttls)


def test_tags_invalidate_every_tagged_entry(cache: Cache) -> None:
    cache.get_or_load("profile:42", Loader("p"), tags=["user:42"])
    cache.get_or_load("orders:42", Loader("o"), tags=["user:42", "orders"])
    cache.get_or_load("profile:7", Loader("q"), tags=["user:7"])
    assert cache.invalidate_tags("user:42") == 3  # two entries and the tag set
    assert cache.get("profile:42") is MISS and cache.get("orders:42") is MISS
    assert cache.get("profile:7") == "q"


def test_namespace_bump_invalidates_a_family(cache: Cache) -> None:
    load = Loader("a", "b")
    assert cache.get_or_load("x", load, namespace="users") == "a"
    assert cache.get_or_load("x", load, namespace="users") == "a"
    assert cache.bump("users") == 1
    assert cache.get_or_load("x", load, namespace="users") == "b"
    assert load.calls == 2


def test_prefix_applies_to_every_key(memory: MemoryBackend, clock: ManualClock) -> None:
    cache = Cache(memory, clock=clock, prefix="app:", ttl=5, beta=None)
    cache.set("k", 1)
    assert "app:k" in memory.data
    assert cache.get("k") == 1
    assert cache.invalidate("k") == 1


def test_decorator_methods(cache: Cache) -> None:
    calls = []

    @cache.cached(key="user:{user_id}", ttl=5)
    def get_user(user_id: int, verbose: bool = False) -> dict:
        calls.append(user_id)
        return {"id": user_id, "n": len(calls)}

    assert get_user(1) == {"id": 1, "n": 1}
    assert get_user(1, verbose=True) == {"id": 1, "n": 1}
    assert get_user.key(1) == "user:1"
    assert get_user.get(1) == {"id": 1, "n": 1}
    assert get_user.get(2) is MISS
    get_user.set({"id": 2, "n": 0}, 2)
    assert get_user(2) == {"id": 2, "n": 0}
    assert get_user.refresh(1) == {"id": 1, "n": 2}
    assert get_user(1) == {"id": 1, "n": 2}
    assert get_user.invalidate(1) == 1
    assert get_user(1) == {"id": 1, "n": 3}
    assert get_user.__name__ == "get_user"


def test_decorator_rejects_unknown_template_field_when_applied(cache: Cache) -> None:
    with pytest.raises(KeyTemplateError, match="user_id"):

        @cache.cached(key="user:{user_id}")
        def get_user(uid: int) -> None: ...


def test_decorator_refuses_async_function_on_sync_cache(cache: Cache) -> None:
    with pytest.raises(TypeError, match="AsyncCache"):

        @cache.cached(key="k")
        async def f() -> None: ...


def test_read_through_object(cache: Cache) -> None:
    load = Loader("row")
    users = ReadThrough(cache, lambda user_id: load(user_id), key="u:{user_id}", namespace="users")
    assert users.get(3) == "row" and users(3) == "row"
    assert load.calls == 1
    users.invalidate_all()
    assert users.get(user_id=3) == "row"
    assert load.calls == 2


def test_async_decorator_and_cache() -> None:
    async def main() -> None:
        clock = ManualClock()
        cache = AsyncCache(AsyncMemoryBackend(MemoryBackend(clock)), clock=clock, ttl=5, beta=None)
        calls = []

        @cache.cached(key="item:{item_id}")
        async def get_item(item_id: int) -> list:
            calls.append(item_id)
            await asyncio.sleep(0)
            return [item_id]

        results = await asyncio.gather(*(get_item(9) for _ in range(10)))
        assert results == [[9]] * 10
        assert calls == [9]
        assert await get_item.get(9) == [9]
        assert await get_item.invalidate(9) == 1
        assert await get_item.get(9) is MISS
        with pytest.raises(TypeError, match="needs Cache"):

            @cache.cached(key="k")
            def sync_fn() -> None: ...

    asyncio.run(main())
