"""allkeys-random / volatile-random: evict a uniformly random key (of those with a TTL, for volatile)."""

from __future__ import annotations

from typing import Any

from cacheserver.keyspace.eviction.base import Policy, Sampler


class Random(Policy):
    __slots__ = ("sampler",)
    name = "random"

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.sampler = Sampler()

    def reset(self) -> None:
        self.sampler = Sampler()

    def victim(self) -> bytes | None:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return None
        return self.sampler.draw(source, 1, self.evictor.rng, db.removed)[0]
