"""allkeys-lru / volatile-lru: Redis's approximated LRU over the 24-bit seconds clock in ``Database.lru``.

The database stamps every access already (the stamp OBJECT IDLETIME reads), so this policy adds no
per-access work and needs no hooks: a victim is the idlest of a sample fed into the candidate pool.
A victim is needed for every evicted key, so the sampling is batched, with C-level steps only: a sample
of ``maxmemory-samples`` x ``BATCH`` keys, spread evenly over a snapshot of the keys from a random
offset, is ranked by stamp in one sort, and its ``BATCH`` idlest keys are the next victims, each taken
only if it was not read since it was ranked (its stamp is unchanged). This is Redis's rule (the idlest
of ``maxmemory-samples`` keys per eviction) with the sampling done for 16 evictions at once; the 16-key
candidate pool becomes the ranked batch. With no more keys than a sample, every key is ranked: exact.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import repeat
from operator import add, mul
from typing import Any

from cacheserver.clock import LRU_CLOCK_MAX
from cacheserver.keyspace.eviction.base import SampledPolicy

BATCH = 16  # victims chosen per sample: each sample is maxmemory-samples x BATCH keys

def idle_seconds(now: int, stamp: int) -> int:
    """Redis's estimateObjectIdleTime: the 24-bit clock wraps about every 194 days."""
    return now - stamp if now >= stamp else now + (LRU_CLOCK_MAX - stamp)


class LRU(SampledPolicy):
    __slots__ = ("chunk", "ranks", "next")
    name = "lru"

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.chunk: list[bytes] = []  # the last sample
        self.ranks: list[int] = []  # its idlest keys: stamp << shift | position in ``chunk``, ascending
        self.next = 0  # the next rank to try

    def reset(self) -> None:
        super().reset()
        self.chunk = []
        self.ranks = []
        self.next = 0

    def scores(self, keys: list[bytes]) -> list[float]:
        db = self.db
        now = db.ks.clock.lru
        get = db.lru.get
        return [idle_seconds(now, get(key, now)) for key in keys]

    def victim(self) -> bytes | None:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return None
        get = db.lru.get
        for _ in range(8):
            ranks = self.ranks
            chunk = self.chunk
            shift = len(chunk).bit_length()
            mask = (1 << shift) - 1
            i = self.next
            while i < len(ranks):
                rank = ranks[i]
                i += 1
                key = chunk[rank & mask]
                if get(key) == rank >> shift and key in source:  # not read (nor removed) since
                    self.next = i
                    return key
            if not self._sample(source):
                return SampledPolicy.victim(self)  # across a wrap of the clock: by idle time
        return None

    def _sample(self, source: dict) -> bool:
        """Draw ``samples x BATCH`` keys spread evenly over the snapshot from a random offset, and
        rank the ``BATCH`` idlest; False if some stamp predates a wrap of the clock."""
        db = self.db
        ev = self.evictor
        size = len(source)
        want = ev.samples * BATCH
        if size <= want:
            chunk = list(source)  # every key is a candidate: the choice is exact
        else:
            sampler = self.sampler
            keys = sampler.keys
            drift = max(16, size >> 3)
            churn = db.removed
            if keys is None or churn - sampler.taken_at > drift or abs(len(keys) - size) > drift:
                keys = sampler._take(source, churn)
            step = len(keys) // want
            chunk = keys[int(ev.rng.random() * step) :: step]
        n = len(chunk)
        shift = n.bit_length()
        # One C-level pass: rank = stamp << shift | position (a removed key's stamp is -1: it sorts
        # first and is skipped); ints compare fast and never tie, so the order is by stamp, then by
        # position in the sample.
        ranks = sorted(map(add, map(mul, map(db.lru.get, chunk, repeat(-1)), repeat(1 << shift)), range(n)))
        start = bisect_left(ranks, 0)
        if ranks and ranks[-1] >> shift > db.ks.clock.lru:
            self.ranks = []
            return False
        self.chunk = chunk
        self.ranks = ranks[start : start + BATCH]
        self.next = 0
        return True
