"""allkeys-lru / volatile-lru: Redis's approximated LRU over the 24-bit seconds clock in ``Database.lru``.

The database stamps every access already (the stamp OBJECT IDLETIME reads), so this policy adds no
per-access work: a victim is the idlest of a sample fed into the candidate pool.
"""

from __future__ import annotations

from cacheserver.clock import LRU_CLOCK_MAX
from cacheserver.keyspace.eviction.base import SampledPolicy


def idle_seconds(now: int, stamp: int) -> int:
    """Redis's estimateObjectIdleTime: the 24-bit clock wraps about every 194 days."""
    return now - stamp if now >= stamp else now + (LRU_CLOCK_MAX - stamp)


class LRU(SampledPolicy):
    __slots__ = ()
    name = "lru"

    def score(self, key: bytes) -> float:
        db = self.db
        now = db.ks.clock.lru
        return idle_seconds(now, db.lru.get(key, now))
