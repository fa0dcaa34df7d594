"""The sorted set type: members with double scores, ordered by (score, member bytes), as Redis's zset.

Layout (Redis's dict + skiplist, in Python): ``scores`` maps member -> score and ``order`` is a
``sortedcontainers.SortedList`` of ``(score, member)`` tuples. Tuples compare by score, then by member
bytes (memcmp then length, exactly Redis's ``sdscmp``), so equal scores order by member. Every update is
a dict operation plus an O(log n) SortedList insert/remove; a rank is a bisection; a range by rank,
score or lex is a bisection plus a slice, O(log n + k).

Invariants: ``scores`` and ``order`` hold the same members; a score is never NaN. ``scores`` keeps
insertion order (an update assigns in place, it never re-inserts), and ``removed`` counts removals:
ZSCAN's resumable cursors rely on both.

Encoding: Redis starts a zset as a listpack and converts it for good to a skiplist once it holds more
than ``zset-max-listpack-entries`` members or one longer than ``zset-max-listpack-value`` bytes. The
commands decide that when they insert (``skiplist`` is the flag); the type only remembers it, and stores
what a listpack would: a listpack writes scores as text through ``d2string``, which prints -0 as "0", so
while the set is a listpack a zero score is stored as +0.0.

Ranges follow t_zset.c: score bounds are ``(score, exclusive)`` pairs, lex bounds are ``LexBound``s
("-", "+", "[m", "(m"). A lex range is only meaningful when all scores are equal; when they are not,
the answer is the one Redis's listpack walk gives (first member >= min in score order, then on while
<= max), which is deterministic, unlike a skiplist's.

Rules: pure data structure; imports nothing of the server.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator

from sortedcontainers import SortedList

from cacheserver.types.list import index_range

_INF = math.inf
_nextafter = math.nextafter


class LexBound:
    """One end of a lex range: ``-`` (below everything), ``+`` (above everything) or a member with
    an inclusive/exclusive flag."""

    __slots__ = ("value", "exclusive", "infinity")

    def __init__(self, value: bytes, exclusive: bool, infinity: int = 0) -> None:
        self.value = value
        self.exclusive = exclusive
        self.infinity = infinity  # -1 for "-", +1 for "+", 0 for a member

    def __repr__(self) -> str:
        if self.infinity:
            return "LexBound('-')" if self.infinity < 0 else "LexBound('+')"
        return f"LexBound({'(' if self.exclusive else '['}{self.value!r})"


# What glibc's strtod consumes as a decimal number (hex and infinities are handled apart).
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPACE = b" \t\n\r\x0b\x0c"


def strtod_whole(arg: bytes) -> float | None:
    """``strtod`` that must consume the whole C string, as ``zslParseRange`` uses it: leading
    whitespace, hex floats and infinities are accepted, overflow gives an infinity, an empty string
    reads as 0 and the text stops at a NUL byte. None for trailing garbage or NaN."""
    nul = arg.find(b"\0")
    if nul >= 0:
        arg = arg[:nul]
    if not arg:
        return 0.0
    body = arg.lstrip(_SPACE)
    if not body:
        return None  # nothing converted: strtod leaves the end pointer on the first space
    sign = body[:1]
    unsigned = body[1:] if sign in (b"+", b"-") else body
    low = unsigned.lower()
    if low in (b"inf", b"infinity"):
        return -_INF if sign == b"-" else _INF
    if low.startswith(b"0x"):
        if body[-1:] in _SPACE:
            return None  # float.fromhex forgives trailing space, strtod does not
        try:
            return float.fromhex(body.decode("ascii"))
        except OverflowError:
            return -_INF if sign == b"-" else _INF
        except (ValueError, UnicodeDecodeError):
            return None
    if _DECIMAL.fullmatch(body) is None:
        return None
    return float(body)


def parse_score_bound(arg: bytes) -> tuple[float, bool] | None:
    """One end of a score range (``zslParseRange``): "1.5", "(1.5", "-inf", "+inf"; None if invalid."""
    exclusive = arg[:1] == b"("
    value = strtod_whole(arg[1:] if exclusive else arg)
    if value is None:
        return None
    return value, exclusive


LEX_MIN = LexBound(b"", True, -1)
LEX_MAX = LexBound(b"", True, 1)


def parse_lex_bound(arg: bytes) -> LexBound | None:
    """``zslParseLexRangeItem``: "-", "+", "[member" or "(member"; None if malformed."""
    if not arg:
        return None
    first = arg[0]
    if first == 43:  # '+'
        return LEX_MAX if len(arg) == 1 else None
    if first == 45:  # '-'
        return LEX_MIN if len(arg) == 1 else None
    if first == 40:  # '('
        return LexBound(arg[1:], True)
    if first == 91:  # '['
        return LexBound(arg[1:], False)
    return None


def _lex_cmp(a: LexBound, b: LexBound) -> int:
    """``sdscmplex`` of two bounds: "-" below and "+" above every member (and equal to themselves)."""
    if a.infinity or b.infinity:
        return (a.infinity > b.infinity) - (a.infinity < b.infinity) if a.infinity != b.infinity else 0
    return (a.value > b.value) - (a.value < b.value)


def lex_gte_min(member: bytes, lo: LexBound) -> bool:
    if lo.infinity:
        return lo.infinity < 0
    return member > lo.value if lo.exclusive else member >= lo.value


def lex_lte_max(member: bytes, hi: LexBound) -> bool:
    if hi.infinity:
        return hi.infinity > 0
    return member < hi.value if hi.exclusive else member <= hi.value


def lex_range_empty(lo: LexBound, hi: LexBound) -> bool:
    """True when no member can lie in [lo, hi] (Redis's quick test before walking)."""
    cmp = _lex_cmp(lo, hi)
    return cmp > 0 or (cmp == 0 and (lo.exclusive or hi.exclusive))


class SortedSet:
    __slots__ = ("scores", "order", "skiplist", "removed")

    def __init__(self, items: Iterable[tuple[bytes, float]] = ()) -> None:
        self.scores: dict[bytes, float] = {}
        self.order = SortedList()
        self.skiplist = False  # Redis's encoding: False = listpack, True = skiplist (for good)
        self.removed = 0
        for member, score in items:
            self.insert(member, score)

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: object) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        """(score, member) pairs in order."""
        return iter(self.order)

    def __repr__(self) -> str:
        return f"SortedSet({list(self.order)!r})"

    def encoding(self, config: object = None) -> str:
        """OBJECT ENCODING, as decided when members were inserted (see the module docstring)."""
        return "skiplist" if self.skiplist else "listpack"

    def copy(self) -> SortedSet:
        """An independent copy with the same encoding (COPY)."""
        other = SortedSet.__new__(SortedSet)
        other.scores = dict(self.scores)
        other.order = SortedList(self.order)
        other.skiplist = self.skiplist
        other.removed = 0
        return other

    def members(self) -> Iterator[bytes]:
        """Members in insertion order (the set-operation interface shared with plain sets)."""
        return iter(self.scores)

    def items(self) -> Iterable[tuple[bytes, float]]:
        """(member, score) pairs in insertion order."""
        return self.scores.items()

    # -- updates -------------------------------------------------------------------------------------

    def insert(self, member: bytes, score: float) -> None:
        """Add a member that is not present."""
        if not self.skiplist and score == 0.0:
            score = 0.0
        self.scores[member] = score
        self.order.add((score, member))

    def update(self, member: bytes, old: float, new: float) -> None:
        """Change the score of a present member from ``old`` to ``new``."""
        if not self.skiplist and new == 0.0:
            new = 0.0
        self.scores[member] = new
        order = self.order
        order.remove((old, member))
        order.add((new, member))

    def add(self, member: bytes, score: float) -> bool:
        """Insert or update; True if the member is new."""
        old = self.scores.get(member)
        if old is None:
            self.insert(member, score)
            return True
        if old != score:
            self.update(member, old, score)
        return False

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        self.removed += 1
        return True

    def pop(self, index: int) -> tuple[float, bytes]:
        """Remove and return the pair at ``index`` (0 = lowest, -1 = highest): ZPOPMIN/ZPOPMAX."""
        pair = self.order.pop(index)
        del self.scores[pair[1]]
        self.removed += 1
        return pair

    def remove_slice(self, start: int, stop: int) -> int:
        """Remove the pairs at order positions ``start <= i < stop``; returns how many were removed."""
        if start >= stop:
            return 0
        order = self.order
        scores = self.scores
        if stop - start == len(order):
            n = len(order)
            scores.clear()
            order.clear()
        else:
            for _, member in order.islice(start, stop):
                del scores[member]
            n = stop - start
            del order[start:stop]
        self.removed += n
        return n

    # -- reads ---------------------------------------------------------------------------------------

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def rank(self, member: bytes, reverse: bool = False) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        r = self.order.bisect_left((score, member))
        return len(self.scores) - 1 - r if reverse else r

    def at(self, index: int) -> tuple[float, bytes]:
        return self.order[index]

    def slice(self, start: int, stop: int, reverse: bool = False) -> list[tuple[float, bytes]]:
        """Pairs at positions ``start <= i < stop`` (clipped), in order or reversed."""
        if start >= stop:
            return []
        if reverse:
            return list(self.order.islice(start, stop, reverse=True))
        return self.order[start:stop]

    def rank_range(self, start: int, end: int) -> tuple[int, int]:
        """Redis's inclusive, negative-aware ``start..end`` rank range -> positions [lo, hi)."""
        return index_range(start, end, len(self.scores))

    def score_range(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool) -> tuple[int, int]:
        """Positions [first, last) of the members whose score lies in the range."""
        if lo > hi or (lo == hi and (lo_ex or hi_ex)):
            return 0, 0
        order = self.order
        if lo_ex:
            if lo == _INF:
                return 0, 0
            lo = _nextafter(lo, _INF)
        # (score, b"") sorts before every member of that score: a bisection on the score alone.
        first = order.bisect_left((lo, b""))
        if hi_ex:
            last = order.bisect_left((hi, b""))
        elif hi == _INF:
            last = len(order)
        else:
            last = order.bisect_left((_nextafter(hi, _INF), b""))
        return first, max(first, last)

    def count_in_score_range(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool) -> int:
        first, last = self.score_range(lo, lo_ex, hi, hi_ex)
        return last - first

    def lex_range(self, lo: LexBound, hi: LexBound, reverse: bool = False) -> tuple[int, int]:
        """Positions [first, last) of the members in the lex range. ``reverse`` walks from the highest
        end (ZREVRANGEBYLEX), which only differs from a forward walk when scores are not all equal."""
        order = self.order
        n = len(order)
        if not n or lex_range_empty(lo, hi):
            return 0, 0
        if not lex_gte_min(order[-1][1], lo) or not lex_lte_max(order[0][1], hi):
            return 0, 0
        score = order[0][0]
        if order[-1][0] == score:
            # One score for all: members are sorted, so both ends are bisections.
            if lo.infinity:
                first = 0
            elif lo.exclusive:
                first = order.bisect_right((score, lo.value))
            else:
                first = order.bisect_left((score, lo.value))
            if hi.infinity:
                last = n
            elif hi.exclusive:
                last = order.bisect_left((score, hi.value))
            else:
                last = order.bisect_right((score, hi.value))
            return first, max(first, last)
        # Mixed scores: the walk Redis does over a listpack.
        if reverse:
            last = n
            for pair in order.islice(0, n, reverse=True):
                if lex_lte_max(pair[1], hi):
                    break
                last -= 1
            if last == 0 or not lex_gte_min(order[last - 1][1], lo):
                return 0, 0
            first = last - 1
            while first > 0 and lex_gte_min(order[first - 1][1], lo):
                first -= 1
            return first, last
        first = 0
        for pair in order:
            if lex_gte_min(pair[1], lo):
                break
            first += 1
        if first == n or not lex_lte_max(order[first][1], hi):
            return 0, 0
        last = first + 1
        while last < n and lex_lte_max(order[last][1], hi):
            last += 1
        return first, last
