"""Penetration guard: a Bloom filter in front of a loader, so keys that cannot exist never reach the store.

``BloomGuard(bloom, load_user, key="{user_id}")`` is a callable with the loader's signature: it builds the
filter key from the call's arguments (a template checked against the signature, a function of the same
arguments, or by default the single argument as a str), asks the filter, and returns ``missing`` (None
unless configured, e.g. ``NOT_FOUND``) without calling the loader when the filter says the key was never
added. Otherwise it calls the loader. ``@bloom_guard(bloom, key=...)`` is the same as a decorator.

Where it goes:
- around the loader of a ``Cache`` / ``ReadThrough`` / ``@cached`` (the cache is asked first, the guard only
  on a miss): ``ReadThrough(cache, BloomGuard(bloom, load_user), key="user:{user_id}")``. Keep ``missing``
  None there: with ``cache_none=True`` (negative caching, ``none_ttl`` short) the guard's "not found" is
  cached like a store miss, so repeated attack keys stop at the cache;
- or in front of the read-through, so absent keys cost neither a cache nor a store round trip, and the
  cache holds no negative entries for them: ``BloomGuard(bloom, reads, key=lambda user_id: str(user_id))``
  (a ``ReadThrough`` has no signature to build a key from, so the key is a function). With negative
  caching behind it, only the filter's false positives are cached as None.

Rules: the filter holds every key the store has -- fill it from the store at start, and add a key to it
before the row that makes it exist is committed (added after, a reader in between would be told "not
found"). Deleted keys stay in the filter (Bloom filters cannot forget); they cost one store query each.
Sync loaders with a local or ``SharedBloomFilter`` give a sync guard; a coroutine loader or an
``AsyncSharedBloomFilter`` gives a guard whose calls return coroutines. ``stats`` counts calls blocked, calls
passed, and passed calls whose loader found nothing (the filter's false positives, when the loader answers
None or ``missing`` for an absent key).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from cacheserver.caching.bloom import AsyncSharedBloomFilter
from cacheserver.caching.keys import KeyBuilder


class _NotFound:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_FOUND"

    def __bool__(self) -> bool:
        return False


NOT_FOUND: Any = _NotFound()
"""A "not found" distinct from a stored None, for guards used outside a cache (``missing=NOT_FOUND``)."""


@dataclass
class GuardStats:
    blocked: int = 0  # the filter said absent: the loader was not called
    passed: int = 0  # the loader was called
    false_positives: int = 0  # passed, and the loader found nothing

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class BloomGuard:
    """A loader behind a Bloom filter (see the module docstring)."""

    def __init__(self, bloom: Any, loader: Callable[..., Any], *, key: str | Callable[..., Any] | None = None,
                 missing: Any = None, is_async: bool | None = None) -> None:
        # Name, docstring and __wrapped__ (so inspect.signature, and ReadThrough's key template, see the
        # loader's parameters); not the loader's __dict__, which would overwrite ours.
        functools.update_wrapper(self, loader, updated=())
        self.bloom = bloom
        self.loader = loader
        self.missing = missing
        self.stats = GuardStats()
        if callable(key):
            self._key = key
        else:
            if key is None:
                params = list(inspect.signature(loader).parameters)
                if len(params) != 1:
                    raise TypeError(f"{loader.__qualname__} takes {len(params)} arguments: give BloomGuard a key")
                key = "{" + params[0] + "}"
            builder = KeyBuilder(loader, key)
            self._key = lambda *args, **kwargs: builder.build(args, kwargs)
        if is_async is None:  # say it for a callable that returns coroutines, such as an async read-through
            is_async = isinstance(bloom, AsyncSharedBloomFilter) or inspect.iscoroutinefunction(loader)
        self.is_async = is_async

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = self._key(*args, **kwargs)
        if self.is_async:
            return self._acall(key, args, kwargs)
        if not self.bloom.might_contain(key):
            self.stats.blocked += 1
            return self.missing
        return self._found(self.loader(*args, **kwargs))

    async def _acall(self, key: Any, args: tuple, kwargs: dict) -> Any:
        present = self.bloom.might_contain(key)
        if inspect.isawaitable(present):
            present = await present
        if not present:
            self.stats.blocked += 1
            return self.missing
        value = self.loader(*args, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        return self._found(value)

    def _found(self, value: Any) -> Any:
        self.stats.passed += 1
        if value is None or value is self.missing:
            self.stats.false_positives += 1
        return value


def bloom_guard(bloom: Any, *, key: str | Callable[..., Any] | None = None,
                missing: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@bloom_guard(bloom, key="{user_id}")``: the decorated loader behind ``bloom``; a coroutine function
    stays one (so ``@cached`` on an ``AsyncCache`` accepts it). ``.guard`` is the ``BloomGuard``."""

    def decorate(loader: Callable[..., Any]) -> Callable[..., Any]:
        guard = BloomGuard(bloom, loader, key=key, missing=missing)
        if guard.is_async:

            @functools.wraps(loader)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await guard(*args, **kwargs)

        else:

            @functools.wraps(loader)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return guard(*args, **kwargs)

        wrapper.guard = guard  # type: ignore[attr-defined]
        return wrapper

    return decorate
