"""Caching patterns for application code, over any redis-py client (sync, asyncio, cluster).

Layout:
  cache.py          cache-aside read path: hits, SWR/stale-if-error, single-flight, lease, fail-open
  read_through.py   a cache bound to its loader; decorators.py: ``@cached`` built on it
  write_through.py  write-through and write-around
  write_back.py     write-behind through Redis Streams: acknowledged writes, flushers, a reference SQLite store
  single_flight.py  one load per key per process (threads or tasks)
  lease.py          lease tokens, compare-and-delete/extend (Lua or WATCH/MULTI)
  locks.py          a lease lock with fencing tokens (one server or one cluster slot; not Redlock)
  ratelimit.py      token bucket, leaky bucket, fixed window, sliding log and sliding counter, one script each
  bloom.py          Bloom filters, local or shared on the server, fixed or scalable
  guard.py          a Bloom filter in front of a loader: absent keys never reach the store
  early_expiry.py   XFetch probabilistic early refresh
  breaker.py        circuit breaker for cache outages
  flows.py          the sans-IO drivers: flows yield operations, run with blocking calls or awaits
  scripts.py        Lua scripts run by EVALSHA, EVAL on NOSCRIPT
  backend.py        redis-py adapters and an in-memory fake; codecs.py entry format; keys.py key templates;
  stats.py          counters; clock.py wall/monotonic/manual clocks

This package imports nothing from the server: it is a client library.
"""

from cacheserver.caching.backend import AsyncMemoryBackend, AsyncRedisBackend, MemoryBackend, RedisBackend
from cacheserver.caching.bloom import (
    AsyncSharedBloomFilter,
    BloomCapacityWarning,
    BloomFilter,
    BloomInfo,
    ScalableBloomFilter,
    SharedBloomFilter,
)
from cacheserver.caching.breaker import CircuitBreaker
from cacheserver.caching.cache import MISS, AsyncCache, Cache, CacheUnavailable, Policy
from cacheserver.caching.clock import ManualClock, SystemClock
from cacheserver.caching.codecs import CodecError, JsonCodec, MsgpackCodec, SignedPickleCodec
from cacheserver.caching.decorators import cached
from cacheserver.caching.guard import NOT_FOUND, BloomGuard, GuardStats, bloom_guard
from cacheserver.caching.keys import KeyTemplateError
from cacheserver.caching.locks import Lock, LockLost, LockTimeout
from cacheserver.caching.ratelimit import (
    Decision,
    FixedWindow,
    LeakyBucket,
    RateLimited,
    RateLimiter,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
    rate_limited,
)
from cacheserver.caching.read_through import ReadThrough
from cacheserver.caching.stats import CacheStats
from cacheserver.caching.write_back import (
    AsyncFlusher,
    AsyncWriteBack,
    Backlog,
    EvictionPolicyWarning,
    Flusher,
    SQLiteStore,
    Store,
    StoreWrite,
    WriteBack,
    WriteBackStats,
)
from cacheserver.caching.write_through import awrite_around, awrite_through, write_around, write_through

__all__ = [
    "MISS",
    "NOT_FOUND",
    "AsyncCache",
    "AsyncFlusher",
    "AsyncMemoryBackend",
    "AsyncRedisBackend",
    "AsyncSharedBloomFilter",
    "AsyncWriteBack",
    "Backlog",
    "BloomCapacityWarning",
    "BloomFilter",
    "BloomGuard",
    "BloomInfo",
    "Cache",
    "CacheStats",
    "CacheUnavailable",
    "CircuitBreaker",
    "CodecError",
    "Decision",
    "EvictionPolicyWarning",
    "FixedWindow",
    "Flusher",
    "GuardStats",
    "JsonCodec",
    "KeyTemplateError",
    "LeakyBucket",
    "Lock",
    "LockLost",
    "LockTimeout",
    "ManualClock",
    "MemoryBackend",
    "MsgpackCodec",
    "Policy",
    "RateLimited",
    "RateLimiter",
    "ReadThrough",
    "RedisBackend",
    "SQLiteStore",
    "ScalableBloomFilter",
    "SharedBloomFilter",
    "SignedPickleCodec",
    "SlidingWindowCounter",
    "SlidingWindowLog",
    "Store",
    "StoreWrite",
    "SystemClock",
    "TokenBucket",
    "WriteBack",
    "WriteBackStats",
    "awrite_around",
    "awrite_through",
    "bloom_guard",
    "cached",
    "rate_limited",
    "write_around",
    "write_through",
]
