"""allkeys-sieve / volatile-sieve: SIEVE (Zhang et al., NSDI'24), a FIFO queue with a moving hand.

Each key has a visited bit, set by an access. New keys enter at the head; the hand walks from the tail
toward the head: a visited key loses its bit and stays where it is, the first unvisited key is the
victim. Unlike LRU nothing moves on a hit (an access is one dict store), and unlike CLOCK retained keys
keep their place behind newer ones, so one-hit wonders leave quickly while popular keys stay.

The queue is split at the hand into two OrderedDicts: ``ahead`` holds the keys the hand has not passed
yet in this sweep (oldest first; new keys are appended to it), ``behind`` those it passed and kept.
When ``ahead`` runs out the hand wraps to the tail: ``behind`` becomes ``ahead``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from cacheserver.keyspace.eviction.base import Policy


class SIEVE(Policy):
    __slots__ = ("ahead", "behind", "visited")
    name = "sieve"
    hooks = True

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.reset()


    def reset(self) -> None:
        self.ahead: OrderedDict[bytes, None] = OrderedDict()
        self.behind: OrderedDict[bytes, None] = OrderedDict()
        self.visited: dict[bytes, bool] = {}
        self.members = self.visited

    def rebuild(self) -> None:
        self.reset()
        self.ahead = OrderedDict.fromkeys(self.db.data)
        self.visited = dict.fromkeys(self.db.data, False)
        self.members = self.visited

    def insert(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.ahead[key] = None
        self.visited[key] = False

    def access(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.visited[key] = True

    def delete(self, key: bytes) -> None:
        if self.visited.pop(key, None) is not None:
            if self.ahead.pop(key, 0) == 0:
                self.behind.pop(key, None)

    def victim(self) -> bytes | None:
        visited = self.visited
        expires = self.db.expires if self.volatile else None
        budget = 2 * len(visited) + 2  # two sweeps clear every bit: past that, nothing qualifies
        while budget:
            budget -= 1
            if not self.ahead:
                if not self.behind:
                    return None
                self.ahead, self.behind = self.behind, OrderedDict()
            key = next(iter(self.ahead))
            if visited[key] or (expires is not None and key not in expires):
                visited[key] = False
                del self.ahead[key]
                self.behind[key] = None
                continue
            return key
        return None
