"""The list type: a deque of byte strings with Redis's index, range, trim, remove and search rules.

A ``List`` is a ``collections.deque`` subclass, so pushes and pops at both ends are the deque's own O(1)
C methods and the command handlers call them directly (``appendleft``, ``pop`` ...). The methods added
here carry the rules Redis applies to indexes: negative indexes count from the tail, ranges are
inclusive and clipped, and walks start from whichever end is nearer, as a quicklist's do.

Rules: elements are ``bytes``; an empty list is never stored (the keyspace deletes the key), but this
type itself allows emptiness so a command can pop everything and then delete.
"""

from __future__ import annotations

from collections import deque
from itertools import islice


def index_range(start: int, end: int, n: int) -> tuple[int, int]:
    """Redis's inclusive ``start..end`` over ``n`` elements (LRANGE, LTRIM, ZRANGE by rank): negative
    indexes count from the tail, then the range is clipped -> positions [lo, hi), (0, 0) when empty."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return 0, 0
    if end >= n:
        end = n - 1
    return start, end + 1


class List(deque):
    __slots__ = ()

    def encoding(self, config: object = None) -> str:
        """OBJECT ENCODING: Redis 7.0 keeps every list in a quicklist (listpack lists came in 7.2)."""
        return "quicklist"

    def get(self, index: int) -> bytes | None:
        """The element at ``index`` (negative from the tail), None when out of range (LINDEX)."""
        n = len(self)
        if index < 0:
            index += n
        if index < 0 or index >= n:
            return None
        return self[index]

    def set_at(self, index: int, value: bytes) -> bool:
        """Replace the element at ``index`` (LSET); False when out of range."""
        n = len(self)
        if index < 0:
            index += n
        if index < 0 or index >= n:
            return False
        self[index] = value
        return True

    def range(self, start: int, end: int) -> list[bytes]:
        """Elements ``start..end`` inclusive with Redis's clipping (LRANGE), walked from the nearer end."""
        n = len(self)
        lo, hi = index_range(start, end, n)
        if lo == hi:
            return []
        if (hi - lo) * 2 > n:
            # Most of the list: copying the whole deque is one C loop at about a third of islice's cost
            # per element, so copy and slice.
            return list(self) if hi - lo == n else list(self)[lo:hi]
        skip_tail = n - hi
        if skip_tail < lo:
            out = list(islice(reversed(self), skip_tail, n - lo))
            out.reverse()
            return out
        return list(islice(self, lo, hi))

    def pop_head(self, count: int) -> list[bytes]:
        """Remove and return up to ``count`` elements from the head, in list order."""
        popleft = self.popleft
        return [popleft() for _ in range(min(count, len(self)))]

    def pop_tail(self, count: int) -> list[bytes]:
        """Remove and return up to ``count`` elements from the tail, last element first (RPOP count)."""
        pop = self.pop
        return [pop() for _ in range(min(count, len(self)))]

    def insert_at_pivot(self, pivot: bytes, value: bytes, after: bool) -> bool:
        """Insert ``value`` before or after the first ``pivot`` from the head (LINSERT)."""
        try:
            i = self.index(pivot)
        except ValueError:
            return False
        self.insert(i + 1 if after else i, value)
        return True

    def remove_matches(self, value: bytes, count: int) -> int:
        """Remove occurrences of ``value`` (LREM): ``count`` > 0 the first ones from the head, < 0 the
        first ones from the tail, 0 all of them. Returns how many were removed."""
        if count == 1:
            try:
                self.remove(value)
            except ValueError:
                return 0
            return 1
        limit = -count if count < 0 else count
        kept: list[bytes] = []
        removed = 0
        for x in reversed(self) if count < 0 else self:
            if x == value and (not limit or removed < limit):
                removed += 1
            else:
                kept.append(x)
        if removed:
            if count < 0:
                kept.reverse()
            self.clear()
            self.extend(kept)
        return removed

    def trim(self, start: int, end: int) -> int:
        """Keep only ``start..end`` inclusive (LTRIM's clipping); returns how many elements were removed."""
        n = len(self)
        ltrim, hi = index_range(start, end, n)
        if ltrim == hi:
            self.clear()
            return n
        rtrim = n - hi
        if ltrim + rtrim <= (n >> 1) + 64:
            # Popping costs per removed element, rebuilding per kept one: do the cheaper.
            popleft = self.popleft
            for _ in range(ltrim):
                popleft()
            pop = self.pop
            for _ in range(rtrim):
                pop()
        else:
            kept = list(islice(self, ltrim, n - rtrim))
            self.clear()
            self.extend(kept)
        return ltrim + rtrim

    def positions(self, value: bytes, rank: int, count: int, maxlen: int) -> list[int]:
        """Indexes of ``value`` (LPOS): from the ``rank``-th match on (negative: scanning from the tail),
        up to ``count`` of them (0: all), comparing at most ``maxlen`` elements (0: no limit)."""
        n = len(self)
        out: list[int] = []
        if rank < 0:
            need = -rank
            source = reversed(self)
        else:
            need = rank
            source = iter(self)
        if maxlen:
            source = islice(source, maxlen)
        matches = 0
        for index, x in enumerate(source):
            if x == value:
                matches += 1
                if matches >= need:
                    out.append(index if rank > 0 else n - 1 - index)
                    if count and len(out) >= count:
                        break
        return out
