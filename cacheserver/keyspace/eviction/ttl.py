"""volatile-ttl: evict the sampled key with the nearest expiry deadline (Redis's pool, keyed by TTL)."""

from __future__ import annotations

from cacheserver.keyspace.eviction.base import SampledPolicy


class TTL(SampledPolicy):
    __slots__ = ()
    name = "ttl"

    def score(self, key: bytes) -> float:
        return -self.db.expires.get(key, 1 << 62)
