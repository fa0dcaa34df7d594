"""``@cached``: cache-aside as a decorator for sync and async functions.

    @cache.cached(key="user:{user_id}", ttl=60, tags=["user:{user_id}"])
    def get_user(user_id): ...

The key template is checked against the function's signature when the decorator is applied. The wrapped
function keeps its name and gains ``.key(...)``, ``.get(...)`` (cached value or ``MISS``), ``.set(value,
...)``, ``.refresh(...)``, ``.invalidate(...)`` and ``.invalidate_all()`` (with a namespace). A coroutine
function needs an ``AsyncCache`` and a plain one a ``Cache``: mixing them is refused at decoration time.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from cacheserver.caching.read_through import ReadThrough


def cached(cache: Any, key: str | None = None, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    def decorate(func: Callable[..., Any]) -> Any:
        is_async = inspect.iscoroutinefunction(func)
        if is_async != cache.backend.is_async:
            kind = "coroutine function" if is_async else "plain function"
            raise TypeError(f"{func.__qualname__} is a {kind}; it needs {'AsyncCache' if is_async else 'Cache'}")
        bound = ReadThrough(cache, func, key, **options)

        if is_async:

            @functools.wraps(func)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await bound.get(*args, **kwargs)

        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return bound.get(*args, **kwargs)

        wrapper.key = bound.key  # type: ignore[attr-defined]
        wrapper.get = bound.peek  # type: ignore[attr-defined]
        wrapper.set = bound.put  # type: ignore[attr-defined]
        wrapper.refresh = bound.refresh  # type: ignore[attr-defined]
        wrapper.invalidate = bound.invalidate  # type: ignore[attr-defined]
        wrapper.invalidate_all = bound.invalidate_all  # type: ignore[attr-defined]
        wrapper.read_through = bound  # type: ignore[attr-defined]
        return wrapper

    return decorate
