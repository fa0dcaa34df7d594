"""allkeys-fifo / volatile-fifo: evict the key created longest ago; reads change nothing.

An OrderedDict of keys in creation order: insert appends, delete unlinks, the victim is the head (for
volatile, the first key from the head that has a TTL). All O(1) in C, no per-access work.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from cacheserver.keyspace.eviction.base import Policy


class FIFO(Policy):
    __slots__ = ("queue",)
    name = "fifo"
    hooks = True

    def __init__(self, db: Any, volatile: bool, evictor: Any) -> None:
        super().__init__(db, volatile, evictor)
        self.queue: OrderedDict[bytes, None] = OrderedDict()
        self.members = self.queue


    def rebuild(self) -> None:
        self.queue = OrderedDict.fromkeys(self.db.data)
        self.members = self.queue

    def reset(self) -> None:
        self.queue = OrderedDict()
        self.members = self.queue

    def insert(self, key: bytes) -> None:
        self.db.lru[key] = self.db.ks.clock.lru
        self.queue[key] = None

    def delete(self, key: bytes) -> None:
        self.queue.pop(key, None)

    def victim(self) -> bytes | None:
        if not self.volatile:
            return next(iter(self.queue), None)
        expires = self.db.expires
        for key in self.queue:
            if key in expires:
                return key
        return None
