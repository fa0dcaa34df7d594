"""The set type: a Python set of members (bytes) that remembers Redis's encoding and ordering.

Redis 7.0 has two set encodings. An intset holds only members that are integers in int64 range (the
canonical decimal form ``string2ll`` accepts) while there are at most ``set-max-intset-entries`` of them;
it is a sorted array, so SMEMBERS, SSCAN and whole-set replies list the members in ascending numeric
order. Any other member, or one member too many, converts the set to a hash table for good (7.0 has no
listpack sets). The ``intset`` flag records that state; ``members`` gives the reply order.

Random picks (SPOP, SRANDMEMBER) need indexable storage that a set lacks, so draws come from a snapshot
list of the members. Invariant: the snapshot holds every current member (writers that add members call
``add_member``/``note_added``, which append to it), plus members removed since it was taken, which draws
reject; it is taken again once those stale entries exceed a quarter of the set.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from cacheserver.numbers import parse_ll

_SMALL = 64  # below this many members a fresh list per draw is cheaper than keeping a snapshot
# An index is drawn as int(random() * k), a C call, where random.randrange runs Python code: the bias
# is below k / 2**53, nothing for a set that fits in memory.
_random = random.random


class Set(set):
    __slots__ = ("intset", "snapshot")

    def __init__(self, members: Iterable[bytes] = ()) -> None:
        super().__init__(members)
        self.intset = True
        self.snapshot: list[bytes] | None = None

    @classmethod
    def of(cls, members: Iterable[bytes], max_intset: int) -> Set:
        """A new set holding ``members``, encoded as Redis would encode it after adding them."""
        s = cls(members)
        s.note_added(s, max_intset)
        return s

    def add_member(self, member: bytes) -> bool:
        """Add one member; True if it was new. The caller then checks the encoding with ``note_added``."""
        n = len(self)
        self.add(member)
        if len(self) == n:
            return False
        if self.snapshot is not None:
            self.snapshot.append(member)
        return True

    def add_members(self, members: Iterable[bytes]) -> int:
        """Add several members; returns how many were new."""
        n = len(self)
        self.update(members)
        added = len(self) - n
        if added and self.snapshot is not None:
            self.snapshot = None  # cheaper to take it again than to find which members were new
        return added

    def note_added(self, members: Iterable[bytes], max_intset: int) -> None:
        """Convert to a hash table if the members just added broke an intset rule (never converts back)."""
        if self.intset:
            if len(self) > max_intset:
                self.intset = False
                return
            for m in members:
                if parse_ll(m) is None:
                    self.intset = False
                    return

    def members(self) -> list[bytes]:
        """The members in the order Redis lists them: ascending for an intset."""
        if self.intset:
            return sorted(self, key=int)
        return list(self)

    def encoding(self, config: Any) -> str:
        return "intset" if self.intset else "hashtable"

    def random_member(self) -> bytes:
        """A uniformly random member of a non-empty set."""
        n = len(self)
        if n <= _SMALL:
            self.snapshot = None
            return list(self)[int(_random() * n)]
        snap = self.snapshot
        if snap is None or len(snap) > n + (n >> 2):
            snap = self.snapshot = list(self)
        k = len(snap)
        for _ in range(8):
            m = snap[int(_random() * k)]
            if m in self:
                return m
        snap = self.snapshot = list(self)
        return snap[int(_random() * n)]

    def pop_random(self) -> bytes:
        m = self.random_member()
        self.remove(m)
        return m

    def copy(self) -> Set:  # type: ignore[override]
        s = Set(self)
        s.intset = self.intset
        return s
