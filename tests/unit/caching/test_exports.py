"""The package's public names: ``from cacheserver.caching import *`` gives exactly ``__all__``."""

from __future__ import annotations

import cacheserver.caching as caching
from cacheserver.caching import bloom, guard, locks, ratelimit, write_back

PART_TWO = {
    bloom: ["BloomFilter", "ScalableBloomFilter", "SharedBloomFilter", "AsyncSharedBloomFilter",
            "BloomCapacityWarning", "BloomInfo"],
    guard: ["BloomGuard", "bloom_guard", "NOT_FOUND", "GuardStats"],
    ratelimit: ["Decision", "RateLimited", "RateLimiter", "TokenBucket", "LeakyBucket", "FixedWindow",
                "SlidingWindowLog", "SlidingWindowCounter", "rate_limited"],
    locks: ["Lock", "LockTimeout", "LockLost"],
    write_back: ["WriteBack", "AsyncWriteBack", "Flusher", "AsyncFlusher", "SQLiteStore", "Store", "StoreWrite",
                 "Backlog", "WriteBackStats", "EvictionPolicyWarning"],
}


def test_star_import_gives_exactly_all() -> None:
    namespace: dict = {}
    exec("from cacheserver.caching import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(caching.__all__)
    assert len(caching.__all__) == len(set(caching.__all__)) == 56


def test_every_exported_name_exists_and_is_the_modules_own() -> None:
    for name in caching.__all__:
        assert getattr(caching, name) is not None, name
    for module, names in PART_TWO.items():
        for name in names:
            assert name in caching.__all__, name
            assert getattr(caching, name) is getattr(module, name), name
