"""Read-through: a cache object bound to its loader, so callers ask the cache and never the store.

``ReadThrough(cache, loader, key="user:{user_id}")`` takes its key template and arguments from the loader's
signature (checked at construction). Its methods return what the cache returns: values for a ``Cache``,
coroutines for an ``AsyncCache``, so one class serves both. The ``@cached`` decorator is this object in the
shape of the function it wraps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cacheserver.caching.keys import KeyBuilder


class ReadThrough:
    def __init__(
        self,
        cache: Any,
        loader: Callable[..., Any],
        key: str | None = None,
        *,
        tags: Iterable[str] = (),
        namespace: str | None = None,
        **policy: Any,
    ) -> None:
        self.cache = cache
        self.loader = loader
        default_prefix = "" if key is not None else f"{loader.__module__}.{loader.__qualname__}:"
        self.keys = KeyBuilder(loader, key, default_prefix)
        self.tags = [KeyBuilder(loader, t) for t in tags]
        self.namespace = namespace
        self.policy = cache.make_policy(**policy)

    def key(self, *args: Any, **kwargs: Any) -> str:
        """The entry's key for these arguments (before prefix and namespace version)."""
        return self.keys.build(args, kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        """The value for these arguments: from the cache, else loaded once and stored."""
        return self.cache.get_or_load(
            self.keys.build(args, kwargs),
            lambda: self.loader(*args, **kwargs),
            tags=[t.build(args, kwargs) for t in self.tags] if self.tags else (),
            namespace=self.namespace,
            policy=self.policy,
        )

    __call__ = get

    def peek(self, *args: Any, **kwargs: Any) -> Any:
        """The cached value or ``MISS``, without loading."""
        return self.cache.get(self.keys.build(args, kwargs), namespace=self.namespace)

    def put(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        return self.cache.set(
            self.keys.build(args, kwargs),
            value,
            tags=[t.build(args, kwargs) for t in self.tags],
            namespace=self.namespace,
            policy=self.policy,
        )

    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        """Load now and store, whatever is cached; returns the new value."""
        return self.cache.refresh(
            self.keys.build(args, kwargs),
            lambda: self.loader(*args, **kwargs),
            tags=[t.build(args, kwargs) for t in self.tags],
            namespace=self.namespace,
            policy=self.policy,
        )

    def invalidate(self, *args: Any, **kwargs: Any) -> Any:
        return self.cache.invalidate(self.keys.build(args, kwargs), namespace=self.namespace)

    def invalidate_all(self) -> Any:
        """Bump the namespace version: every entry of this family is invalid at once."""
        if self.namespace is None:
            raise ValueError("invalidate_all needs a namespace")
        return self.cache.bump(self.namespace)
