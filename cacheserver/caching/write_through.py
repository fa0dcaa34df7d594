"""Write-through and write-around: keep the cache from serving a value the store no longer has.

Write-through writes the store, then the cache, in one call. If the store write fails the entry is deleted
(the store may or may not have committed: the cache must not vouch for either); if the cache write fails the
entry is deleted too, so the next read loads from the store. Only when the cache is unreachable for both
the write and the delete can an old entry survive, until its TTL: that is reported as
``CacheUnavailable`` after the store write succeeded, so the caller knows.
Write-around writes the store and invalidates the entry; the next read loads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from cacheserver.caching.cache import AsyncCache, Cache, CacheUnavailable


def write_through(cache: Cache, key: str, value: Any, store: Callable[[Any], Any], *,
                  tags: Iterable[str] = (), namespace: str | None = None) -> Any:
    try:
        result = store(value)
    except BaseException:
        _forget(cache, key, namespace)
        raise
    try:
        cache.set(key, value, tags=tags, namespace=namespace)
    except CacheUnavailable:
        _forget(cache, key, namespace, report=True)
    return result


def write_around(cache: Cache, key: str, store: Callable[[], Any], *, namespace: str | None = None) -> Any:
    try:
        return store()
    finally:
        _forget(cache, key, namespace, report=True)


def _forget(cache: Cache, key: str, namespace: str | None, report: bool = False) -> None:
    try:
        cache.invalidate(key, namespace=namespace)
    except CacheUnavailable:
        if report:
            raise


async def awrite_through(cache: AsyncCache, key: str, value: Any, store: Callable[[Any], Awaitable[Any]], *,
                         tags: Iterable[str] = (), namespace: str | None = None) -> Any:
    try:
        result = await store(value)
    except BaseException:
        await _aforget(cache, key, namespace)
        raise
    try:
        await cache.set(key, value, tags=tags, namespace=namespace)
    except CacheUnavailable:
        await _aforget(cache, key, namespace, report=True)
    return result


async def awrite_around(cache: AsyncCache, key: str, store: Callable[[], Awaitable[Any]], *,
                        namespace: str | None = None) -> Any:
    try:
        return await store()
    finally:
        await _aforget(cache, key, namespace, report=True)


async def _aforget(cache: AsyncCache, key: str, namespace: str | None, report: bool = False) -> None:
    try:
        await cache.invalidate(key, namespace=namespace)
    except CacheUnavailable:
        if report:
            raise
