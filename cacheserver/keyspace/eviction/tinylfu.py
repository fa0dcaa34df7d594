"""allkeys-tinylfu / volatile-tinylfu: TinyLFU admission (Einziger et al., 2017) in front of a sampled LFU.

Every access, to a resident key or to one being created after a miss, is counted in a count-min sketch
that also remembers keys no longer held: frequency survives eviction, which a per-key counter (Redis's
LFU) cannot do. The sketch is 4 rows of ``width`` 8-bit counters saturating at ``COUNTER_MAX`` (63: a
key at the eviction boundary of a Zipf 1.0 cache reaches ~17 per period, so TinyLFU's 4-bit counters
would saturate there); a key's estimate is the smallest of its 4 counters. An
access raises only the key's counters that equal that minimum (conservative update: the others already
over-count it through collisions), which keeps collision noise well below the signal of a key at the
eviction boundary. Every ``AGING`` x ``width`` counted accesses (64x-128x the keys held) all counters
are halved, so old popularity fades (TinyLFU's reset). A long period keeps the counts of keys near the
boundary apart (a shorter one costs Zipf 1.0 about 0.2 points of hit ratio); a moved popular set is
caught by the shift detector instead, which halves early:

Shift detector. A *re-miss* is a miss on a key the sketch already counts (one seen recently, but not
held). Every ``len(keys) + 1024`` counted accesses the re-miss rate per access is compared with its
running average (``ema``, weight 1/``SHIFT_EMA``): when it has more than doubled (``SHIFT``), the
popular set has moved (keys that come back now are no longer admitted), and the counters are halved at
once, so the new popular keys catch up with the old ones' counts. A scan (one-time keys: misses on
keys never counted) does not raise that rate. The re-miss rate also climbs while a cold cache warms up,
which can trigger one early halving; it shrinks every count alike, so the order of keys is kept.

A held key's worth is its estimate capped by its idle time: idle for ``idle`` counted accesses, a key
is unlikely to come back more than ``STALE`` x period / ``idle`` times a period, whatever its slowly
halving history says (``worth``). Keys that were popular before the popular set moved go first instead
of waiting for several halvings. Idle time is counted in accesses (``tick``), not in seconds, so the
choice depends on the access sequence only.

Eviction is in two steps, both by worth:
- Admission. New keys wait in ``newcomers`` (oldest first). While more than ``WINDOW`` of the keys are
  newcomers, the oldest one contests its place against the main victim: it stays (and the victim is
  evicted) only if it is worth more; otherwise it is the one evicted. One-hit wonders therefore leave
  first, while a key that was popular before its eviction comes back to stay.
- Main victim: the key worth least among a sample of ``maxmemory-samples`` keys fed into Redis's
  16-entry candidate pool (``SampledPolicy``), newcomers excluded; a candidate is re-estimated when it
  comes up, and goes back into the pool if it has become worth more than the next one.

Cost: an access is one crc32, 4 counter reads and updates, and one dict store (``last``); insert and
delete are O(1) (``KeyIndex``, an OrderedDict; the detector's check is O(1) once per window); a victim is
O(samples). The sketch has 4 x ``width``
bytes, ``width`` the power of two at least ``WIDTH_FACTOR`` (8) x the keys held (at least 64), doubled
as the database grows (estimates are kept: a doubled row is the old row twice); a halving is one
``bytes.translate`` of the table, O(1) amortised over the period. crc32 keeps choices identical across
runs (Python's ``hash`` is salted).
"""

from __future__ import annotations

from bisect import insort
from collections import OrderedDict
from typing import Any
from zlib import crc32

from cacheserver.keyspace.eviction.base import POOL_SIZE, KeyIndex, SampledPolicy

COUNTER_MAX = 63
AGING = 8  # counted accesses between two halvings, per sketch column (x width: 64x-128x the keys)
WINDOW = 0.01  # fraction of the keys that may wait as newcomers before admission contests start
MIN_WIDTH = 64
STALE = 2  # see ``worth``
WIDTH_FACTOR = 8  # sketch columns per key held (at least; a power of two)
SHIFT = 2.0  # a re-miss rate this many times its running average halves the sketch at once
SHIFT_EMA = 4  # the running average's memory, in detector windows
_HALVE = bytes(i >> 1 for i in range(256))


class Sketch:
    """A count-min sketch of 4 rows; row ``i`` indexes a key at ``h1 + i * h2`` (double hashing)."""

    __slots__ = ("table", "width", "mask", "added", "period")

    def __init__(self, width: int = MIN_WIDTH) -> None:
        self.width = width
        self.mask = width - 1
        self.table = bytearray(4 * width)
        self.added = 0
        self.period = AGING * width

    def add(self, key: bytes) -> int:
        """Conservative update: only the counters at the key's current minimum go up (the others
        already over-count it through collisions), which keeps collision noise far below plain adds.
        Returns the key's estimate before this access."""
        h = crc32(key)
        step = ((h * 0x9E3779B1) >> 15) | 1
        mask = self.mask
        width = self.width
        table = self.table
        i0 = h & mask
        i1 = width + ((h + step) & mask)
        i2 = 2 * width + ((h + 2 * step) & mask)
        i3 = 3 * width + ((h + 3 * step) & mask)
        low = min(table[i0], table[i1], table[i2], table[i3])
        if low < COUNTER_MAX:
            if table[i0] == low:
                table[i0] = low + 1
            if table[i1] == low:
                table[i1] = low + 1
            if table[i2] == low:
                table[i2] = low + 1
            if table[i3] == low:
                table[i3] = low + 1
        self.added += 1
        if self.added >= self.period:
            self.halve()
        return low

    def halve(self) -> None:
        """TinyLFU's reset: every counter halved; the next periodic one is a full period away."""
        self.added = 0
        self.table = self.table.translate(_HALVE)

    def estimate(self, key: bytes) -> int:
        h = crc32(key)
        step = ((h * 0x9E3779B1) >> 15) | 1
        mask = self.mask
        width = self.width
        table = self.table
        return min(
            table[h & mask],
            table[width + ((h + step) & mask)],
            table[2 * width + ((h + 2 * step) & mask)],
            table[3 * width + ((h + 3 * step) & mask)],
        )

    def grow(self) -> None:
        """Double the width, keeping every estimate: index bits only gain a high bit."""
        w = self.width
        t = self.table
        self.table = bytearray().join(t[r * w : (r + 1) * w] * 2 for r in range(4))
        self.width = 2 * w
        self.mask = 2 * w - 1
        self.period = AGING * self.width


class TinyLFU(SampledPolicy):
    __slots__ = ("sketch", "index", "newcomers", "tick", "last", "remisses", "checked", "ema")
    name = "tinylfu"
    hooks = True

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.sketch = Sketch()
        self.index = KeyIndex()
        self.newcomers: OrderedDict[bytes, None] = OrderedDict()
        self.members = self.index.pos
        self.tick = 0  # accesses counted so far: the clock of ``last``
        self.last: dict[bytes, int] = {}  # each held key's tick at its last access
        self.remisses = 0  # inserts of keys the sketch counted already, since the tick ``checked``
        self.checked = 0
        self.ema = 0.0  # the shift detector's running average of re-misses per access

    def reset(self) -> None:
        super().reset()
        self.index = KeyIndex()
        self.newcomers = OrderedDict()
        self.members = self.index.pos
        self.last = {}
        self.remisses = 0
        self.checked = self.tick
        self.ema = 0.0

    def rebuild(self) -> None:
        """Keys already held are established: none is a newcomer, every one counted once."""
        self.reset()
        self.index = KeyIndex(self.db.data)
        self.members = self.index.pos
        self._fit(len(self.index.keys))
        stamp = self.db.ks.clock.lru
        lru = self.db.lru
        add = self.sketch.add
        last = self.last
        tick = self.tick
        for key in self.index.keys:
            lru[key] = stamp
            last[key] = tick
            add(key)

    def _fit(self, keys: int) -> None:
        sketch = self.sketch
        while sketch.width < WIDTH_FACTOR * keys:
            sketch.grow()

    def insert(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.tick += 1
        self.last[key] = self.tick
        index = self.index
        if self.sketch.add(key):
            self.remisses += 1
        if self.tick - self.checked >= len(index.keys) + 1024:
            self._detect_shift()
        index.add(key)
        if len(index.keys) * WIDTH_FACTOR > self.sketch.width:
            self.sketch.grow()
        newcomers = self.newcomers
        newcomers[key] = None
        # Newcomers beyond twice the window (writes with no eviction between) are taken in uncontested.
        if len(newcomers) > 2 * WINDOW * len(index.keys) + 16:
            newcomers.popitem(last=False)

    def _detect_shift(self) -> None:
        """Halve the sketch when the re-miss rate of the window just ended has more than doubled."""
        rate = self.remisses / (self.tick - self.checked)
        self.checked = self.tick
        self.remisses = 0
        ema = self.ema
        if not ema:
            self.ema = rate
        elif rate > SHIFT * ema:
            self.sketch.halve()
            self.ema = rate  # the new level: one shift halves once
        else:
            self.ema = ((SHIFT_EMA - 1) * ema + rate) / SHIFT_EMA

    def access(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.tick += 1
        self.last[key] = self.tick
        self.sketch.add(key)

    def delete(self, key: bytes) -> None:
        self.index.discard(key)
        self.last.pop(key, None)
        if self.newcomers:
            self.newcomers.pop(key, None)

    def sample(self, source: dict) -> list[bytes]:
        if self.volatile:
            return super().sample(source)
        ev = self.evictor
        return self.index.draw(ev.samples, ev.rng)

    def worth(self, key: bytes) -> int:
        """The key's sketch estimate, capped by what its idle time allows: a key idle for ``idle``
        accesses is unlikely to come back more than ``STALE * period / idle`` times a period, whatever
        its (halved, but slowly fading) history says. Keys popular before a shift go first."""
        est = self.sketch.estimate(key)
        idle = self.tick - self.last.get(key, self.tick) + 1
        cap = STALE * self.sketch.period // idle
        return est if est <= cap else cap

    def scores(self, keys: list[bytes]) -> list[float]:
        worth = self.worth
        return [-worth(key) for key in keys]

    def victim(self) -> bytes | None:
        newcomers = self.newcomers
        source = self.db.expires if self.volatile else self.db.data
        while len(newcomers) > WINDOW * len(self.index.keys):
            candidate = next(iter(newcomers))
            del newcomers[candidate]
            if candidate not in source:
                continue  # volatile: a newcomer without a TTL is not evictable, it simply joins
            incumbent = self._main_victim(source)
            if incumbent is None:
                return candidate
            estimate = self.worth
            if estimate(candidate) > estimate(incumbent):
                return incumbent
            self.seq -= 1
            insort(self.pool, (-estimate(incumbent), self.seq, incumbent))  # it stays a candidate
            return candidate
        found = self._main_victim(source)
        if found is None and newcomers:
            for key in newcomers:
                if key in source:
                    return key
        return found

    def _main_victim(self, source: dict) -> bytes | None:
        """The pool's best candidate that still exists and is not a newcomer (None if none found)."""
        if not source:
            return None
        pool = self.pool
        newcomers = self.newcomers
        estimate = self.worth
        for _ in range(8):
            keys = self.sample(source)
            seq = self.seq
            for key in keys:
                if key in newcomers:
                    continue
                seq -= 1
                insort(pool, (-estimate(key), seq, key))
            self.seq = seq
            if len(pool) > POOL_SIZE:
                del pool[: len(pool) - POOL_SIZE]
            while pool:
                score, seq, key = pool.pop()
                if key not in source or key in newcomers:
                    continue
                now = -estimate(key)
                if now < score and pool and now < pool[-1][0]:
                    insort(pool, (now, seq, key))  # read since it was scored: the next one is colder
                    continue
                return key
        return None
