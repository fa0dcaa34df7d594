"""The interface every eviction policy implements, and the key sampling the sampled policies share.

One ``Policy`` object per database holds that database's policy state. The database calls ``insert``
when a key is created, ``access`` when a key is read or overwritten, ``delete`` when a key is removed
(by any path: DEL, expiry, eviction, FLUSHDB); the evictor calls ``victim`` for the next key to evict,
then deletes that key through the database, which calls ``delete``. Every call is O(1) or O(samples).

A ``volatile`` policy only ever names keys that have a TTL. Policies never delete keys themselves.
"""

from __future__ import annotations

import random
from typing import Any


class Policy:
    """No state, no victim: the base of ``noeviction`` and of the sampled policies."""

    __slots__ = ("db", "volatile", "evictor")

    name = ""
    lfu = False  # the database's ``lru`` stamps hold LFU counters while this policy is active

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        self.db = db
        self.volatile = volatile
        self.evictor = evictor

    def __contains__(self, key: bytes) -> bool:
        return True

    def rebuild(self) -> None:
        """Take every key of the database in, oldest first (a policy chosen while keys exist)."""

    def reset(self) -> None:
        """The database was emptied (FLUSHDB)."""

    def insert(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru

    def access(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru

    def delete(self, key: bytes) -> None:
        pass

    def victim(self) -> bytes | None:
        return None


class Sampler:
    """Uniform draws from a dict's keys in O(1) amortised: a snapshot list of the keys, taken again once
    a quarter of its size in keys has been removed since (``churn`` counts removals: in a full cache
    each removal makes room for a key the snapshot lacks, and new keys must become candidates too).
    Draws of keys removed since the snapshot are rejected."""

    __slots__ = ("keys", "taken_at")

    def __init__(self) -> None:
        self.keys: list[bytes] | None = None
        self.taken_at = 0

    def draw(self, source: dict, n: int, rng: random.Random, churn: int = 0) -> list[bytes]:
        """``n`` keys of ``source`` (all of them, in order, when it has no more than ``n``)."""
        size = len(source)
        if size <= n:
            return list(source)
        keys = self.keys
        if keys is None or churn - self.taken_at > max(16, size >> 2) or abs(len(keys) - size) > max(16, size >> 2):
            keys = self._take(source, churn)
        out = []
        misses = 0
        while len(out) < n:
            k = keys[rng.randrange(len(keys))]
            if k in source:
                out.append(k)
            else:
                misses += 1
                if misses > 4 * n:
                    keys = self._take(source, churn)
                    misses = 0
        return out

    def _take(self, source: dict, churn: int) -> list[bytes]:
        self.keys = keys = list(source)
        self.taken_at = churn
        return keys


# Redis's EVPOOL_SIZE: the best candidates seen so far, kept across evictions.
POOL_SIZE = 16


class SampledPolicy(Policy):
    """Redis's approximated eviction (evictionPoolPopulate): sample ``maxmemory-samples`` keys, keep
    the ``POOL_SIZE`` best candidates by ``score`` (higher evicts first), evict the best that still
    exists. With no more keys than samples every key is scored: the choice is then exact."""

    __slots__ = ("pool", "sampler")

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.pool: dict[bytes, float] = {}
        self.sampler = Sampler()

    def reset(self) -> None:
        self.pool = {}
        self.sampler = Sampler()

    def score(self, key: bytes) -> float:
        raise NotImplementedError

    def victim(self) -> bytes | None:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return None
        pool = self.pool
        for key in self.sampler.draw(source, self.evictor.samples, self.evictor.rng, db.removed):
            pool[key] = self.score(key)
        while pool:
            if len(pool) > POOL_SIZE:
                for key in sorted(pool, key=pool.__getitem__)[: len(pool) - POOL_SIZE]:
                    del pool[key]
            best = max(pool, key=pool.__getitem__)
            del pool[best]
            if best in source:
                return best
        return None
