"""Caching patterns for application code, over any redis-py client (sync, asyncio, cluster).

Layout:
  cache.py          cache-aside read path: hits, SWR/stale-if-error, single-flight, lease, fail-open
  read_through.py   a cache bound to its loader; decorators.py: ``@cached`` built on it
  write_through.py  write-through and write-around
  single_flight.py  one load per key per process (threads or tasks)
  lease.py          lease tokens, compare-and-delete/extend (Lua or WATCH/MULTI)
  early_expiry.py   XFetch probabilistic early refresh
  breaker.py        circuit breaker for cache outages
  backend.py        redis-py adapters and an in-memory fake; codecs.py entry format; keys.py key templates;
  stats.py          counters; clock.py wall/monotonic/manual clocks

This package imports nothing from the server: it is a client library.
"""

from cacheserver.caching.backend import AsyncMemoryBackend, AsyncRedisBackend, MemoryBackend, RedisBackend
from cacheserver.caching.breaker import CircuitBreaker
from cacheserver.caching.cache import MISS, AsyncCache, Cache, CacheUnavailable, Policy
from cacheserver.caching.clock import ManualClock, SystemClock
from cacheserver.caching.codecs import CodecError, JsonCodec, MsgpackCodec, SignedPickleCodec
from cacheserver.caching.decorators import cached
from cacheserver.caching.keys import KeyTemplateError
from cacheserver.caching.read_through import ReadThrough
from cacheserver.caching.stats import CacheStats
from cacheserver.caching.write_through import awrite_around, awrite_through, write_around, write_through

__all__ = [
    "MISS", "AsyncCache", "AsyncMemoryBackend", "AsyncRedisBackend", "Cache", "CacheStats", "CacheUnavailable",
    "CircuitBreaker", "CodecError", "JsonCodec", "KeyTemplateError", "ManualClock", "MemoryBackend",
    "MsgpackCodec", "Policy", "ReadThrough", "RedisBackend", "SignedPickleCodec", "SystemClock", "awrite_around",
    "awrite_through", "cached", "write_around", "write_through",
]
