"""allkeys-s3fifo / volatile-s3fifo: S3-FIFO (Yang et al., SOSP'23), three FIFO queues.

New keys enter a small queue S (about 10% of the keys); most of them are read once or never, and S
lets them go quickly ("quick demotion") while their names go to a ghost queue G. A key read while in S
moves to the main queue M when S is trimmed; a key inserted again while its name is in G goes straight
to M. M is a FIFO with reinsertion: a key with a non-zero frequency is put back at the head with its
frequency decremented. Frequencies are 2-bit counters (0..3) bumped by an access: one dict store.

Capacity is in bytes here, not in keys, so the 10% is of the keys currently held; G remembers as many
names as M holds keys.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from cacheserver.keyspace.eviction.base import Policy

SMALL_RATIO = 0.1
MOVE_TO_MAIN = 1  # accesses while in S that promote a key to M


class S3FIFO(Policy):
    __slots__ = ("small", "main", "ghost", "freq")
    name = "s3fifo"
    hooks = True

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.reset()


    def reset(self) -> None:
        self.small: OrderedDict[bytes, None] = OrderedDict()
        self.main: OrderedDict[bytes, None] = OrderedDict()
        self.ghost: OrderedDict[bytes, None] = OrderedDict()
        self.freq: dict[bytes, int] = {}
        self.members = self.freq

    def rebuild(self) -> None:
        self.reset()
        self.main = OrderedDict.fromkeys(self.db.data)  # keys already resident count as established
        self.freq = dict.fromkeys(self.db.data, 0)
        self.members = self.freq

    def insert(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.freq[key] = 0
        if self.ghost.pop(key, 1) is None:
            self.main[key] = None
        else:
            self.small[key] = None

    def access(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        f = self.freq.get(key)
        if f is not None and f < 3:
            self.freq[key] = f + 1

    def delete(self, key: bytes) -> None:
        if self.freq.pop(key, None) is not None:
            if self.small.pop(key, 0) == 0:
                self.main.pop(key, None)

    def victim(self) -> bytes | None:
        small, main, freq = self.small, self.main, self.freq
        expires = self.db.expires if self.volatile else None
        budget = 4 * len(freq) + 4  # enough to demote every key and clear every count
        while budget and freq:
            budget -= 1
            if small and (len(small) >= SMALL_RATIO * len(freq) or not main):
                key = next(iter(small))
                del small[key]
                if freq[key] >= MOVE_TO_MAIN:
                    freq[key] = 0
                    main[key] = None
                    continue
                if expires is not None and key not in expires:
                    main[key] = None  # not evictable here: it lives on in M
                    continue
                small[key] = None  # stays listed until the evictor deletes it
                small.move_to_end(key, last=False)
                self._remember(key)
                return key
            key = next(iter(main))
            f = freq[key]
            if f or (expires is not None and key not in expires):
                freq[key] = f - 1 if f else 0
                main.move_to_end(key)
                continue
            return key
        return None

    def _remember(self, key: bytes) -> None:
        ghost = self.ghost
        ghost[key] = None
        limit = max(len(self.main), 1)
        while len(ghost) > limit:
            ghost.popitem(last=False)
