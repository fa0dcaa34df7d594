"""allkeys-lfu / volatile-lfu: Redis's LFU, an 8-bit logarithmic (Morris) counter that decays with time.

The counter lives in the key's ``Database.lru`` stamp, laid out as Redis's 24-bit ``lru`` field: the
last decrement time in minutes (16 bits) above the counter (8 bits). A new key starts at
``LFU_INIT_VAL`` (5) so it is not evicted before it had a chance to be read. On access the counter first
decays by one per ``lfu-decay-time`` minutes elapsed, then grows with probability
1 / ((counter - 5) * lfu-log-factor + 1): with the default factor 10 it takes about a million hits to
saturate at 255. OBJECT FREQ reads the decayed counter without touching it.

The policy is hooked (counting needs every read) and keeps the keys in a ``KeyIndex``, so that a key
created a moment ago is already a candidate, as in Redis, where new keys (counter 5) are the first to go.
Volatile variants sample ``expires`` through the snapshot sampler.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

from cacheserver.keyspace.eviction.base import KeyIndex, SampledPolicy

LFU_INIT_VAL = 5
BATCH = 16  # victims chosen per sample: each sample is maxmemory-samples x BATCH keys


def minutes(now_ms: int) -> int:
    return (now_ms // 60000) & 0xFFFF


def decayed(stamp: int, now_min: int, decay_time: int) -> int:
    """LFUDecrAndReturn: the counter after the decay periods elapsed since its last decrement."""
    counter = stamp & 0xFF
    if decay_time:
        ldt = stamp >> 8
        elapsed = now_min - ldt if now_min >= ldt else 65535 - ldt + now_min
        periods = elapsed // decay_time
        if periods:
            return 0 if periods > counter else counter - periods
    return counter


def log_incr(counter: int, log_factor: int, r: float) -> int:
    """LFULogIncr with ``r`` uniform in [0, 1]."""
    if counter == 255:
        return 255
    base = counter - LFU_INIT_VAL
    if base < 0:
        base = 0
    if r < 1.0 / (base * log_factor + 1):
        return counter + 1
    return counter


class LFU(SampledPolicy):
    __slots__ = ("index",)
    name = "lfu"
    lfu = True
    hooks = True

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.index = KeyIndex(db.data)
        self.members = self.index.pos

    def reset(self) -> None:
        super().reset()
        self.index = KeyIndex()
        self.members = self.index.pos

    def insert(self, key: bytes) -> None:
        db = self.db
        db.lru[key] = (minutes(db.ks.clock.now_ms) << 8) | LFU_INIT_VAL
        self.index.add(key)

    def access(self, key: bytes) -> None:
        db = self.db
        ev = self.evictor
        now = minutes(db.ks.clock.now_ms)
        stamp = db.lru.get(key)
        counter = LFU_INIT_VAL if stamp is None else decayed(stamp, now, ev.lfu_decay_time)
        db.lru[key] = (now << 8) | log_incr(counter, ev.lfu_log_factor, ev.rng.random())

    def delete(self, key: bytes) -> None:
        self.index.discard(key)

    def rebuild(self) -> None:
        # Coming from another policy the stamps are LRU clocks: every key starts over as a new one.
        stamp = (minutes(self.db.ks.clock.now_ms) << 8) | LFU_INIT_VAL
        lru = self.db.lru
        for key in self.db.data:
            lru[key] = stamp

    def sample(self, source: dict) -> list[bytes]:
        if self.volatile:
            return super().sample(source)
        ev = self.evictor
        return self.index.draw(ev.samples, ev.rng)

    def scores(self, keys: list[bytes]) -> list[float]:
        db = self.db
        now = minutes(db.ks.clock.now_ms)
        decay = self.evictor.lfu_decay_time
        get = db.lru.get
        out = []
        for key in keys:
            stamp = get(key)
            out.append(255 - LFU_INIT_VAL if stamp is None else 255 - decayed(stamp, now, decay))
        return out

    def refill(self) -> bool:
        """Rank ``maxmemory-samples x BATCH`` sampled keys by decayed counter (lowest first, then by
        draw order) and make the ``BATCH`` lowest the next victims: Redis's rule (the least frequent
        of ``maxmemory-samples`` keys per eviction) with the sampling done for 16 evictions at once."""
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return False
        ev = self.evictor
        n = ev.samples * BATCH
        if self.volatile:
            chunk = self.sampler.draw(source, n, ev.rng, db.removed)
        else:
            chunk = self.index.draw(n, ev.rng)
        stamps = list(map(db.lru.get, chunk, repeat(-1)))
        now = minutes(db.ks.clock.now_ms)
        decay = ev.lfu_decay_time
        # Decremented this minute: no decay due, the counter is the low byte. A missing key ranks last.
        counters = [
            (s & 0xFF if s >> 8 == now else decayed(s, now, decay)) if s >= 0 else 256 for s in stamps
        ]
        best = sorted(range(len(chunk)), key=counters.__getitem__)[:BATCH]
        best.reverse()
        self.victims = list(zip(map(stamps.__getitem__, best), map(chunk.__getitem__, best), strict=True))
        return True
