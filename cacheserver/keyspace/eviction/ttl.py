"""volatile-ttl: evict the sampled key with the nearest expiry deadline (Redis's pool, keyed by TTL)."""

from __future__ import annotations

from cacheserver.keyspace.eviction.base import SampledPolicy


class TTL(SampledPolicy):
    __slots__ = ()
    name = "ttl"

    def scores(self, keys: list[bytes]) -> list[float]:
        get = self.db.expires.get
        return [-get(key, 1 << 62) for key in keys]
