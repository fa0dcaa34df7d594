"""The interface every eviction policy implements, and the key sampling the sampled policies share.

One ``Policy`` object per database holds that database's policy state. A policy with ``hooks`` set is
told of every key the database creates (``insert``), reads or overwrites (``access``) and removes by any
path (``delete``: DEL, expiry, eviction); its database is a ``PolicyDatabase``. A policy without hooks
(LRU, random, TTL, noeviction) reads only what every database keeps anyway, the access stamps in
``Database.lru`` and the deadlines in ``expires``, so its database pays nothing per access. The
database's eviction loop takes the next victims from ``victims``, asking ``refill`` for more: by default
that is one key, ``victim``'s; LRU, LFU and random choose 16 at a time. Every call is O(1) or
O(samples); FLUSHDB calls ``reset``, a policy chosen while keys exist ``rebuild``.

A ``volatile`` policy only ever names keys that have a TTL. Policies never delete keys themselves.

Sampled policies follow Redis's evictionPoolPopulate: ``maxmemory-samples`` keys are drawn, scored
(higher evicts first) and kept in a pool of the ``POOL_SIZE`` best candidates seen so far, a sorted list
of ``(score, seq, key)``; ``seq`` decreases with every entry so that among equal scores the entry that
came first is taken first, as in Redis's pool. A pool entry's score is not refreshed when its key is
read again (Redis's is not either); a candidate whose key is gone is dropped when it comes up.
"""

from __future__ import annotations

import random
from bisect import insort
from typing import Any


class Policy:
    """No state, no victim: the base of ``noeviction`` and of the sampled policies."""

    __slots__ = ("db", "volatile", "evictor", "members", "victims")

    name = ""
    lfu = False  # the database's ``lru`` stamps hold LFU counters while this policy is active
    hooks = False  # the database must call insert / access / delete (a PolicyDatabase)

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        self.db = db
        self.volatile = volatile
        self.evictor = evictor
        # The keys this policy has taken in (hooked policies); a key missing here is new to it.
        self.members: Any = None
        # The next victims as (stamp, key), best last: see ``refill``.
        self.victims: list[tuple[int | None, bytes]] = []

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

    def refill(self) -> bool:
        """Put the next victims in ``victims`` as ``(stamp, key)`` pairs, best last; False if there is
        none. ``stamp`` is the key's ``Database.lru`` entry when it was chosen: the database passes a
        key over if that changed (it was read since), or takes it regardless if ``stamp`` is None. A
        key that is gone by then is passed over too. By default, one key: ``victim``'s."""
        key = self.victim()
        if key is None:
            return False
        self.victims.append((None, key))
        return True


class Sampler:
    """Uniform draws from a dict's keys without per-key bookkeeping: a snapshot list of the keys, taken
    again once an eighth of its size in keys has been removed since (``churn`` counts removals: in a full
    cache each removal makes room for a key the snapshot lacks, and new keys must become candidates too)
    or its size drifted that far. Draws of keys removed since the snapshot are rejected. Copying the keys
    is C-speed, so the refresh costs a few list slots per removal."""

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
        drift = max(16, size >> 3)
        if keys is None or churn - self.taken_at > drift or abs(len(keys) - size) > drift:
            keys = self._take(source, churn)
        rnd = rng.random
        out = []
        misses = 0
        count = len(keys)
        while len(out) < n:
            k = keys[int(rnd() * count)]
            if k in source:
                out.append(k)
            else:
                misses += 1
                if misses > 4 * n:
                    keys = self._take(source, churn)
                    count = len(keys)
                    misses = 0
        return out

    def _take(self, source: dict, churn: int) -> list[bytes]:
        self.keys = keys = list(source)
        self.taken_at = churn
        return keys


class KeyIndex:
    """The keys of a database in an array with each key's position: uniform draws in O(1) with no
    snapshot lag (new keys are candidates at once). Insert appends; delete moves the last key into
    the hole. For hooked policies, whose database reports every insert and delete."""

    __slots__ = ("keys", "pos")

    def __init__(self, keys: Any = ()) -> None:
        self.keys: list[bytes] = list(keys)
        self.pos: dict[bytes, int] = {k: i for i, k in enumerate(self.keys)}

    def add(self, key: bytes) -> None:
        pos = self.pos
        if key not in pos:
            pos[key] = len(self.keys)
            self.keys.append(key)

    def discard(self, key: bytes) -> None:
        i = self.pos.pop(key, None)
        if i is not None:
            keys = self.keys
            last = keys.pop()
            if i < len(keys):  # the hole is not the last slot: fill it with the last key
                keys[i] = last
                self.pos[last] = i

    def draw(self, n: int, rng: random.Random) -> list[bytes]:
        keys = self.keys
        count = len(keys)
        if count <= n:
            return list(keys)
        rnd = rng.random
        return [keys[int(rnd() * count)] for _ in range(n)]


# Redis's EVPOOL_SIZE: the best candidates seen so far, kept across evictions.
POOL_SIZE = 16


class SampledPolicy(Policy):
    """Redis's approximated eviction: sample, score into the candidate pool, evict the best candidate
    that still exists. With no more keys than samples every key is scored: the choice is then exact.
    Subclasses give ``scores`` (the score of each sampled key, computed in one loop)."""

    __slots__ = ("pool", "sampler", "seq")

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.pool: list[tuple[float, int, bytes]] = []
        self.sampler = Sampler()
        self.seq = 0

    def reset(self) -> None:
        self.pool = []
        self.sampler = Sampler()
        self.victims = []

    def sample(self, source: dict) -> list[bytes]:
        ev = self.evictor
        return self.sampler.draw(source, ev.samples, ev.rng, self.db.removed)

    def scores(self, keys: list[bytes]) -> list[float]:
        raise NotImplementedError

    def score(self, key: bytes) -> float:
        return self.scores([key])[0]

    def victim(self) -> bytes | None:
        db = self.db
        source = db.expires if self.volatile else db.data
        if not source:
            return None
        pool = self.pool
        for _ in range(8):  # each round adds fresh samples: a pool of vanished keys cannot stall it
            keys = self.sample(source)
            seq = self.seq
            for key, score in zip(keys, self.scores(keys), strict=True):
                seq -= 1
                insort(pool, (score, seq, key))
            self.seq = seq
            if len(pool) > POOL_SIZE:
                del pool[: len(pool) - POOL_SIZE]
            while pool:
                key = pool.pop()[2]
                if key in source:
                    return key
        return None
