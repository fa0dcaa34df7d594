"""allkeys-random / volatile-random: evict a uniformly random key (of those with a TTL, for volatile).

Victims are drawn ``BATCH`` at a time (``refill``): the draws are independent and uniform whenever they
are made, so drawing ahead changes nothing but the cost per eviction."""

from __future__ import annotations

from itertools import repeat
from typing import Any

from cacheserver.keyspace.eviction.base import Policy, Sampler

BATCH = 16  # victims drawn per refill


class Random(Policy):
    __slots__ = ("sampler",)
    name = "random"

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.sampler = Sampler()

    def reset(self) -> None:
        self.sampler = Sampler()
        self.victims = []

    def victim(self) -> bytes | None:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return None
        return self.sampler.draw(source, 1, self.evictor.rng, db.removed)[0]

    def refill(self) -> bool:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return False
        keys = self.sampler.draw(source, BATCH, self.evictor.rng, db.removed)
        self.victims = list(zip(repeat(None), keys))
        return True
