"""Sorted set commands, as Redis 7.0's t_zset.c: ZADD and friends, ranges by rank/score/lex, pops
(blocking ones included), random members, set operations (ZUNION/ZINTER/ZDIFF and their STORE forms,
ZINTERCARD) and ZSCAN.

Rules: arguments are checked in Redis's order (options, then scores or ranges, then the key's type), so
the first error is Redis's; an emptied zset is deleted (``del`` notified after the command's event);
every change tells WATCH through the database and bumps ``dirty`` as Redis does. Scores are floats in
replies: a RESP2 bulk string printed "%.17g" (integers without ".0", inf/-inf) or a RESP3 double.
WITHSCORES replies are flat [member, score, ...] in RESP2 and [[member, score], ...] in RESP3.

Encoding: a zset is a "listpack" until an insert takes it past ``zset-max-listpack-entries`` members or
brings a member longer than ``zset-max-listpack-value`` bytes; then it is a "skiplist" for good, as in
Redis (``_before_insert``). Stored results (ZUNIONSTORE...) are built the way Redis builds them.
Set operations accept plain sets (score 1) through a duck-typed view: anything the keyspace calls a
"set" that can be iterated for its members and asked ``member in value``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from cacheserver import errors
from cacheserver.blocking import parse_timeout
from cacheserver.commands.args import numkeys_positions
from cacheserver.commands.generic import keyspec, scan_collection, scan_cursor
from cacheserver.commands.spec import command
from cacheserver.errors import WRONGTYPE, CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.database import type_name
from cacheserver.numbers import LLONG_MAX, format_double, parse_double, parse_ll
from cacheserver.protocol.replies import EMPTY_ARRAY, NULL_ARRAY, Raw
from cacheserver.types.sorted_set import LexBound, SortedSet, parse_lex_bound, parse_score_bound

XX_NX = CommandError("XX and NX options at the same time are not compatible")
GT_LT_NX = CommandError("GT, LT, and/or NX options at the same time are not compatible")
INCR_SINGLE = CommandError("INCR option supports a single increment-element pair")
SCORE_NAN = CommandError("resulting score is not a number (NaN)")
NOT_FLOAT_RANGE = CommandError("min or max is not a float")
NOT_LEX_RANGE = CommandError("min or max not valid string range item")
LIMIT_NEEDS_BY = CommandError("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
WITHSCORES_BYLEX = CommandError("syntax error, WITHSCORES not supported in combination with BYLEX")
WEIGHT_NOT_FLOAT = CommandError("weight value is not a float")
LIMIT_NEGATIVE = CommandError("LIMIT can't be negative")
NUMKEYS = CommandError("numkeys should be greater than 0")
COUNT_POSITIVE = CommandError("count should be greater than 0")
OUT_OF_RANGE = CommandError("value is out of range")

LONG_MAX = LLONG_MAX
_MIN, _MAX = 0, 1
_INF = float("inf")
_POP_EVENTS = (b"zpopmin", b"zpopmax")
_SET_TYPE = "set"


# -- helpers ----------------------------------------------------------------------------------------------


def _keynum_spec(flags: str, begin: int) -> dict:
    return {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": begin}},
        "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
    }


def _before_insert(c: Any, zs: SortedSet, member: bytes) -> None:
    """Redis converts a listpack zset to a skiplist before an insert that would break its limits."""
    if not zs.skiplist:
        values = c.server.config.values
        if len(zs.scores) >= values["zset-max-listpack-entries"] or len(member) > values["zset-max-listpack-value"]:
            zs.skiplist = True


def _deleted_if_empty(db: Any, key: bytes, zs: SortedSet) -> None:
    """Delete an emptied zset (after the command's own event, as Redis orders them)."""
    if not zs.scores:
        db.delete(key)
        ks = db.ks
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)


def _notify(db: Any, event: bytes, key: bytes) -> None:
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.ZSET, event, key, db.index)


def _flat_pairs(pairs: Iterable[tuple[float, bytes]]) -> list:
    out: list = []
    append = out.append
    for score, member in pairs:
        append(member)
        append(score)
    return out


def _nested_pairs(pairs: Iterable[tuple[float, bytes]]) -> list:
    return [[member, score] for score, member in pairs]


def _members_reply(pairs: Iterable[tuple[float, bytes]]) -> Raw:
    """Members only, encoded at once (the same bytes in RESP2 and RESP3)."""
    items = [b"$%d\r\n%b\r\n" % (len(m), m) for _, m in pairs]
    return Raw(b"*%d\r\n" % len(items) + b"".join(items))


def _range_reply(c: Any, pairs: list[tuple[float, bytes]], withscores: bool) -> Any:
    """(score, member) pairs -> members, or WITHSCORES: flat in RESP2, [member, score] pairs in RESP3."""
    if not withscores:
        return _members_reply(pairs)
    return _flat_pairs(pairs) if c.resp == 2 else _nested_pairs(pairs)


def _store(c: Any, dst: bytes, zs: SortedSet | None, event: bytes) -> int:
    """Store a computed zset at ``dst`` (an empty result deletes ``dst``): Redis's STORE epilogue."""
    db = c.db
    ks = db.ks
    if zs is None or not zs.scores:
        if db.delete(dst):
            ks.dirty += 1
            if ks.notify_flags:
                ks.emit(ev.GENERIC, b"del", dst, db.index)
        return 0
    db.set(dst, zs)
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.ZSET, event, dst, db.index)
    return len(zs.scores)


def _built_as_skiplist(c: Any, pairs: list[tuple[float, bytes]]) -> SortedSet:
    """A zset from sorted (score, member) pairs the way set operations make one: a skiplist, turned
    into a listpack when it fits (``zsetConvertToListpackIfNeeded``)."""
    zs = SortedSet()
    values = c.server.config.values
    maxlen = max((len(m) for _, m in pairs), default=0)
    if len(pairs) > values["zset-max-listpack-entries"] or maxlen > values["zset-max-listpack-value"]:
        zs.skiplist = True
    else:
        pairs = [(s + 0.0 if s == 0.0 else s, m) for s, m in pairs]  # listpack text: -0 reads back as 0
    zs.scores = {m: s for s, m in pairs}
    zs.order.update(pairs)
    return zs


# -- ZADD / ZINCRBY -------------------------------------------------------------------------------------

_NX, _XX, _GT, _LT, _INCR, _CH = 1, 2, 4, 8, 16, 32
_ZADD_OPTIONS = {b"NX": _NX, b"XX": _XX, b"GT": _GT, b"LT": _LT, b"INCR": _INCR, b"CH": _CH}


def _zadd_generic(c: Any, argv: list[bytes], flags: int) -> Any:
    n = len(argv)
    i = 2
    options = _ZADD_OPTIONS
    while i < n:
        opt = options.get(argv[i].upper())
        if opt is None:
            break
        flags |= opt
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise errors.SYNTAX
    if flags & _NX and flags & _XX:
        raise XX_NX
    if (flags & _NX and flags & (_GT | _LT)) or (flags & _GT and flags & _LT):
        raise GT_LT_NX
    incr = flags & _INCR
    if incr and elements > 2:
        raise INCR_SINGLE
    scores = []
    for j in range(i, n, 2):
        s = parse_double(argv[j])
        if s is None:
            raise errors.NOT_FLOAT
        scores.append(s)
    key = argv[1]
    db = c.db
    zs = db.get_typed(key, SortedSet, read=False)
    if zs is None:
        if flags & _XX:
            return None if incr else 0
        zs = SortedSet()
        db.set(key, zs)
    nx, xx, gt, lt = flags & _NX, flags & _XX, flags & _GT, flags & _LT
    member_scores = zs.scores
    added = updated = processed = 0
    score = 0.0
    for k, score in enumerate(scores):
        member = argv[i + 1 + 2 * k]
        cur = member_scores.get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    raise SCORE_NAN
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            if score != cur:
                zs.update(member, cur, score)
                updated += 1
        elif not xx:
            _before_insert(c, zs, member)
            zs.insert(member, score)
            added += 1
            processed += 1
    if added or updated:
        db.ks.dirty += added + updated
        db.signal_modified(key)
        _notify(db, b"zincr" if incr else b"zadd", key)
    if incr:
        return score if processed else None
    return added + updated if flags & _CH else added


@command(
    "zadd",
    -4,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Add members with scores to a sorted set, or update their scores.",
    complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    syntax="key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
    key_specs=[keyspec("RW update")],
    history=[
        ("2.4.0", "Accepts multiple elements."),
        ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
        ("6.2.0", "Added the `GT` and `LT` options."),
    ],
)
def zadd(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 4:
        # ZADD key score member: the common case, a handful of dict/SortedList operations.
        arg = argv[2]
        if arg.isdigit():
            # Plain decimal digits: float() rounds them as strtod does; an overflow to inf is refused.
            score = float(arg)
            if score == _INF:
                score = None
        else:
            score = parse_double(arg)
        if score is not None:
            key = argv[1]
            member = argv[3]
            db = c.db
            zs = db.lookup(key)
            if zs is None:
                zs = SortedSet()
                _before_insert(c, zs, member)
                zs.insert(member, score)
                db.set(key, zs)
                added = 1
            elif zs.__class__ is not SortedSet:
                raise WRONGTYPE
            else:
                cur = zs.scores.get(member)
                if cur is None:
                    _before_insert(c, zs, member)
                    zs.insert(member, score)
                    added = 1
                elif cur != score:
                    zs.update(member, cur, score)
                    added = 0
                else:
                    return 0
                if db.watched:  # no stale mark: the memory sweep re-estimates zsets (as lists)
                    db.touch_watched(key)
            ks = db.ks
            ks.dirty += 1
            if ks.notify_flags:
                ks.emit(ev.ZSET, b"zadd", key, db.index)
            return added
    return _zadd_generic(c, argv, 0)


@command(
    "zincrby",
    4,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Increment the score of a member of a sorted set.",
    complexity="O(log(N)) where N is the number of elements in the sorted set.",
    syntax="key increment member",
    key_specs=[keyspec("RW access update")],
)
def zincrby(c: Any, argv: list[bytes]) -> Any:
    return _zadd_generic(c, argv, _INCR)


@command(
    "zrem",
    -3,
    flags="write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Remove members from a sorted set.",
    complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
    "elements to be removed.",
    syntax="key member [member ...]",
    key_specs=[keyspec("RW delete")],
    history=[("2.4.0", "Accepts multiple elements.")],
)
def zrem(c: Any, argv: list[bytes]) -> int:
    key = argv[1]
    db = c.db
    zs = db.get_typed(key, SortedSet, read=False)
    if zs is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        if zs.remove(member):
            deleted += 1
            if not zs.scores:
                break
    if deleted:
        _notify(db, b"zrem", key)
        _deleted_if_empty(db, key, zs)
        db.signal_modified(key)
        db.ks.dirty += deleted
    return deleted


# -- simple reads -----------------------------------------------------------------------------------------


@command(
    "zcard",
    2,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Return the number of members of a sorted set.",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RO")],
)
def zcard(c: Any, argv: list[bytes]) -> int:
    zs = c.db.get_typed(argv[1], SortedSet)
    return 0 if zs is None else len(zs.scores)


@command(
    "zscore",
    3,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Return the score of a member of a sorted set.",
    complexity="O(1)",
    syntax="key member",
    key_specs=[keyspec("RO access")],
)
def zscore(c: Any, argv: list[bytes]) -> float | None:
    zs = c.db.get_typed(argv[1], SortedSet)
    return None if zs is None else zs.scores.get(argv[2])


@command(
    "zmscore",
    -3,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Return the scores of several members of a sorted set.",
    complexity="O(N) where N is the number of members being requested.",
    syntax="key member [member ...]",
    key_specs=[keyspec("RO access")],
)
def zmscore(c: Any, argv: list[bytes]) -> list:
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return [None] * (len(argv) - 2)
    get = zs.scores.get
    return [get(m) for m in argv[2:]]


def _zrank(c: Any, argv: list[bytes], reverse: bool) -> int | None:
    zs = c.db.get_typed(argv[1], SortedSet)
    return None if zs is None else zs.rank(argv[2], reverse)


@command(
    "zrank",
    3,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Return the rank of a member in a sorted set, lowest score first.",
    complexity="O(log(N))",
    syntax="key member",
    key_specs=[keyspec("RO access")],
)
def zrank(c: Any, argv: list[bytes]) -> int | None:
    return _zrank(c, argv, False)


@command(
    "zrevrank",
    3,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Return the rank of a member in a sorted set, highest score first.",
    complexity="O(log(N))",
    syntax="key member",
    key_specs=[keyspec("RO access")],
)
def zrevrank(c: Any, argv: list[bytes]) -> int | None:
    return _zrank(c, argv, True)


# -- ranges -----------------------------------------------------------------------------------------------

_AUTO, _RANK, _SCORE, _LEX = 0, 1, 2, 3
_FORWARD, _REVERSE = 1, 2


def _score_range(lo_arg: bytes, hi_arg: bytes) -> tuple[float, bool, float, bool]:
    lo = parse_score_bound(lo_arg)
    hi = parse_score_bound(hi_arg)
    if lo is None or hi is None:
        raise NOT_FLOAT_RANGE
    return lo[0], lo[1], hi[0], hi[1]


def _lex_range(lo_arg: bytes, hi_arg: bytes) -> tuple[LexBound, LexBound]:
    lo = parse_lex_bound(lo_arg)
    hi = parse_lex_bound(hi_arg)
    if lo is None or hi is None:
        raise NOT_LEX_RANGE
    return lo, hi


def _select(zs: SortedSet, first: int, last: int, reverse: bool, offset: int, limit: int) -> list:
    """The (score, member) pairs of positions [first, last) after LIMIT offset/count, in the order
    the range is walked. A negative offset walks off the end (Redis's ``while (offset--)``); a
    negative count means no limit."""
    if offset < 0:
        return []
    n = last - first - offset
    if 0 <= limit < n:
        n = limit
    if n <= 0:
        return []
    if reverse:
        return zs.slice(last - offset - n, last - offset, reverse=True)
    return zs.slice(first + offset, first + offset + n)


def _zrange_generic(c: Any, argv: list[bytes], at: int, store: bool, rangetype: int, direction: int) -> Any:
    """ZRANGE and its older forms (``zrangeGenericCommand``); ``at`` is the source key's position.
    Returns the reply, or for ZRANGESTORE the selected (score, member) pairs."""
    withscores = False
    offset, limit = 0, -1
    n = len(argv)
    j = at + 3
    while j < n:
        opt = argv[j].upper()
        if not store and opt == b"WITHSCORES":
            withscores = True
        elif opt == b"LIMIT" and n - j - 1 >= 2:
            offset = parse_ll(argv[j + 1])  # type: ignore[assignment]
            limit = parse_ll(argv[j + 2])  # type: ignore[assignment]
            if offset is None or limit is None:
                raise errors.NOT_INTEGER
            j += 2
        elif direction == _AUTO and opt == b"REV":
            direction = _REVERSE
        elif rangetype == _AUTO and opt == b"BYLEX":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"BYSCORE":
            rangetype = _SCORE
        else:
            raise errors.SYNTAX
        j += 1
    reverse = direction == _REVERSE
    if rangetype == _AUTO:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise LIMIT_NEEDS_BY
    if withscores and rangetype == _LEX:
        raise WITHSCORES_BYLEX
    lo_arg, hi_arg = argv[at + 1], argv[at + 2]
    if reverse and rangetype != _RANK:
        lo_arg, hi_arg = hi_arg, lo_arg  # the range is given as max, min
    if rangetype == _RANK:
        start = parse_ll(lo_arg)
        end = parse_ll(hi_arg)
        if start is None or end is None:
            raise errors.NOT_INTEGER
    elif rangetype == _SCORE:
        bounds = _score_range(lo_arg, hi_arg)
    else:
        lex = _lex_range(lo_arg, hi_arg)
    zs = c.db.get_typed(argv[at], SortedSet)
    if zs is None:
        return [] if store else EMPTY_ARRAY
    if rangetype == _RANK:
        first, last = zs.rank_range(start, end)
        if reverse:
            size = len(zs.scores)
            pairs = zs.slice(size - last, size - first, reverse=True)
        else:
            pairs = zs.slice(first, last)
    elif rangetype == _SCORE:
        if 0 < offset and offset >= len(zs.scores):
            return [] if store else EMPTY_ARRAY
        first, last = zs.score_range(*bounds)
        pairs = _select(zs, first, last, reverse, offset, limit)
    else:
        first, last = zs.lex_range(lex[0], lex[1], reverse)
        pairs = _select(zs, first, last, reverse, offset, limit)
    if store:
        return pairs
    return _range_reply(c, pairs, withscores)


_RANGE_KEYSPEC = [keyspec("RO access")]
_RANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
)


@command(
    "zrange",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Return a range of members of a sorted set, by rank, score or lex order.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
    key_specs=_RANGE_KEYSPEC,
    history=[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")],
)
def zrange(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _AUTO, _AUTO)


@command(
    "zrangestore",
    -5,
    flags="write denyoom",
    keys=(1, 2, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Store a range of members of a sorted set in another key.",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements stored into the destination key.",
    syntax="dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
    key_specs=[keyspec("OW update"), keyspec("RO access", begin=2)],
)
def zrangestore(c: Any, argv: list[bytes]) -> int:
    pairs = _zrange_generic(c, argv, 2, True, _AUTO, _AUTO)
    zs = None
    if pairs:
        # Redis adds the range one member at a time to a new listpack zset (zsetAdd's conversions).
        zs = SortedSet()
        for score, member in pairs:
            _before_insert(c, zs, member)
            zs.insert(member, score)
    return _store(c, argv[1], zs, b"zrangestore")


@command(
    "zrevrange",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Return a range of members of a sorted set by rank, highest score first.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key start stop [WITHSCORES]",
    key_specs=_RANGE_KEYSPEC,
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` argument",
    doc_flags="deprecated",
)
def zrevrange(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _RANK, _REVERSE)


@command(
    "zrangebyscore",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.0.5",
    summary="Return the members of a sorted set within a score range.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key min max [WITHSCORES] [LIMIT offset count]",
    key_specs=_RANGE_KEYSPEC,
    history=[("2.0.0", "Added the `WITHSCORES` modifier.")],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `BYSCORE` argument",
    doc_flags="deprecated",
)
def zrangebyscore(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _SCORE, _FORWARD)


@command(
    "zrevrangebyscore",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.2.0",
    summary="Return the members of a sorted set within a score range, highest score first.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key max min [WITHSCORES] [LIMIT offset count]",
    key_specs=_RANGE_KEYSPEC,
    history=[("2.1.6", "`min` and `max` can be exclusive.")],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` and `BYSCORE` arguments",
    doc_flags="deprecated",
)
def zrevrangebyscore(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _SCORE, _REVERSE)


@command(
    "zrangebylex",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Return the members of a sorted set within a lexicographical range.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key min max [LIMIT offset count]",
    key_specs=_RANGE_KEYSPEC,
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `BYLEX` argument",
    doc_flags="deprecated",
)
def zrangebylex(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _LEX, _FORWARD)


@command(
    "zrevrangebylex",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Return the members of a sorted set within a lexicographical range, in reverse order.",
    complexity=_RANGE_COMPLEXITY,
    syntax="key max min [LIMIT offset count]",
    key_specs=_RANGE_KEYSPEC,
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` and `BYLEX` arguments",
    doc_flags="deprecated",
)
def zrevrangebylex(c: Any, argv: list[bytes]) -> Any:
    return _zrange_generic(c, argv, 1, False, _LEX, _REVERSE)


@command(
    "zcount",
    4,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Count the members of a sorted set within a score range.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    syntax="key min max",
    key_specs=_RANGE_KEYSPEC,
)
def zcount(c: Any, argv: list[bytes]) -> int:
    bounds = _score_range(argv[2], argv[3])
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return 0
    first, last = zs.score_range(*bounds)
    return last - first


@command(
    "zlexcount",
    4,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Count the members of a sorted set within a lexicographical range.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    syntax="key min max",
    key_specs=_RANGE_KEYSPEC,
)
def zlexcount(c: Any, argv: list[bytes]) -> int:
    lo, hi = _lex_range(argv[2], argv[3])
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return 0
    first, last = zs.lex_range(lo, hi)
    return last - first


def _zremrange(c: Any, argv: list[bytes], rangetype: int, event: bytes) -> int:
    if rangetype == _RANK:
        start = parse_ll(argv[2])
        end = parse_ll(argv[3])
        if start is None or end is None:
            raise errors.NOT_INTEGER
    elif rangetype == _SCORE:
        bounds = _score_range(argv[2], argv[3])
    else:
        lex = _lex_range(argv[2], argv[3])
    key = argv[1]
    db = c.db
    zs = db.get_typed(key, SortedSet, read=False)
    if zs is None:
        return 0
    if rangetype == _RANK:
        first, last = zs.rank_range(start, end)
    elif rangetype == _SCORE:
        first, last = zs.score_range(*bounds)
    else:
        first, last = zs.lex_range(lex[0], lex[1])
    deleted = zs.remove_slice(first, last)
    if deleted:
        db.signal_modified(key)
        _notify(db, event, key)
        _deleted_if_empty(db, key, zs)
        db.ks.dirty += deleted
    return deleted


_REMRANGE_KEYSPEC = [keyspec("RW delete")]
_REMRANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
    "removed by the operation."
)


@command(
    "zremrangebyrank",
    4,
    flags="write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Remove the members of a sorted set within a rank range.",
    complexity=_REMRANGE_COMPLEXITY,
    syntax="key start stop",
    key_specs=_REMRANGE_KEYSPEC,
)
def zremrangebyrank(c: Any, argv: list[bytes]) -> int:
    return _zremrange(c, argv, _RANK, b"zremrangebyrank")


@command(
    "zremrangebyscore",
    4,
    flags="write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Remove the members of a sorted set within a score range.",
    complexity=_REMRANGE_COMPLEXITY,
    syntax="key min max",
    key_specs=_REMRANGE_KEYSPEC,
)
def zremrangebyscore(c: Any, argv: list[bytes]) -> int:
    return _zremrange(c, argv, _SCORE, b"zremrangebyscore")


@command(
    "zremrangebylex",
    4,
    flags="write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Remove the members of a sorted set within a lexicographical range.",
    complexity=_REMRANGE_COMPLEXITY,
    syntax="key min max",
    key_specs=_REMRANGE_KEYSPEC,
)
def zremrangebylex(c: Any, argv: list[bytes]) -> int:
    return _zremrange(c, argv, _LEX, b"zremrangebylex")


# -- pops -------------------------------------------------------------------------------------------------


def _pop(db: Any, key: bytes, zs: SortedSet, where: int, count: int) -> list[tuple[float, bytes]]:
    """Pop up to ``count`` members from one end, with the event, dirty count and deletion."""
    size = len(zs.scores)
    if count == 1:
        pairs = [zs.pop(0 if where == _MIN else -1)]
    else:
        if count > size:
            count = size
        if where == _MIN:
            pairs = zs.slice(0, count)
            zs.remove_slice(0, count)
        else:
            pairs = zs.slice(size - count, size, reverse=True)
            zs.remove_slice(size - count, size)
    db.ks.dirty += len(pairs)
    _notify(db, _POP_EVENTS[where], key)
    db.signal_modified(key)
    _deleted_if_empty(db, key, zs)
    return pairs


def _pop_one(c: Any, db: Any, key: bytes, zs: SortedSet, index: int, event: bytes) -> Raw:
    """ZPOPMIN/ZPOPMAX without a count: ``_pop`` of one pair, its flat [member, score] reply encoded
    here (a bulk member, then the score as a bulk string in RESP2 or a double in RESP3)."""
    score, member = zs.pop(index)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.ZSET, event, key, db.index)
    if not zs.scores:
        _deleted_if_empty(db, key, zs)
    elif db.watched:  # no stale mark: the memory sweep re-estimates zsets (as lists)
        db.touch_watched(key)
    if -1e15 < score < 1e15 and score == (whole := int(score)) and whole:
        text = b"%d" % whole  # what "%.17g" prints for a whole number of up to 15 digits, minus its dtoa
    else:
        text = format_double(score)
    if c.resp == 2:
        return Raw(b"*2\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(member), member, len(text), text))
    return Raw(b"*2\r\n$%d\r\n%b\r\n,%b\r\n" % (len(member), member, text))


def _zpop_minmax(c: Any, argv: list[bytes], where: int) -> Any:
    if len(argv) > 3:
        raise errors.SYNTAX
    count = -1
    if len(argv) == 3:
        count = parse_ll(argv[2])  # type: ignore[assignment]
        if count is None or count < 0:
            raise errors.MUST_BE_POSITIVE
    key = argv[1]
    db = c.db
    zs = db.get_typed(key, SortedSet, read=False)
    if zs is None or count == 0:
        return EMPTY_ARRAY
    pairs = _pop(db, key, zs, where, 1 if count == -1 else count)
    if c.resp > 2 and count != -1:
        return _nested_pairs(pairs)
    return _flat_pairs(pairs)


_POP_KEYSPEC = [keyspec("RW access delete")]
_POP_COMPLEXITY = (
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."
)


@command(
    "zpopmin",
    -2,
    flags="write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Remove and return the members with the lowest scores of a sorted set.",
    complexity=_POP_COMPLEXITY,
    syntax="key [count]",
    key_specs=_POP_KEYSPEC,
)
def zpopmin(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return _zpop_no_count(c, argv[1], 0, b"zpopmin")
    return _zpop_minmax(c, argv, _MIN)


def _zpop_no_count(c: Any, key: bytes, index: int, event: bytes) -> Any:
    """ZPOPMIN/ZPOPMAX without a count, the benchmarked path: _zpop_minmax written out."""
    db = c.db
    zs = db.lookup(key)
    if zs is None:
        return EMPTY_ARRAY
    if zs.__class__ is not SortedSet:
        raise WRONGTYPE
    return _pop_one(c, db, key, zs, index, event)


@command(
    "zpopmax",
    -2,
    flags="write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Remove and return the members with the highest scores of a sorted set.",
    complexity=_POP_COMPLEXITY,
    syntax="key [count]",
    key_specs=_POP_KEYSPEC,
)
def zpopmax(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return _zpop_no_count(c, argv[1], -1, b"zpopmax")
    return _zpop_minmax(c, argv, _MAX)


def _parse_mpop(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], int, int]:
    """``numkeys key [key ...] MIN|MAX [COUNT count]`` of ZMPOP/BZMPOP."""
    numkeys = parse_ll(argv[numkeys_at])
    if numkeys is None or numkeys < 1:
        raise NUMKEYS
    where_at = numkeys_at + numkeys + 1
    n = len(argv)
    if where_at >= n:
        raise errors.SYNTAX
    side = argv[where_at].upper()
    if side == b"MIN":
        where = _MIN
    elif side == b"MAX":
        where = _MAX
    else:
        raise errors.SYNTAX
    count = -1
    j = where_at + 1
    while j < n:
        if count == -1 and argv[j].upper() == b"COUNT" and j + 1 < n:
            j += 1
            count = parse_ll(argv[j])  # type: ignore[assignment]
            if count is None or count < 1:
                raise COUNT_POSITIVE
        else:
            raise errors.SYNTAX
        j += 1
    return argv[numkeys_at + 1 : where_at], where, 1 if count == -1 else count


_MPOP_COMPLEXITY = (
    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the "
    "sorted set, and M being the number of elements popped."
)


@command(
    "zmpop",
    -4,
    flags="write",
    group="sorted-set",
    since="7.0.0",
    summary="Remove and return the lowest or highest scoring members of the first non-empty sorted set.",
    complexity=_MPOP_COMPLEXITY,
    syntax="numkeys key [key ...] <MIN | MAX> [COUNT count]",
    getkeys=numkeys_positions(1),
    key_specs=[_keynum_spec("RW access delete", 1)],
)
def zmpop(c: Any, argv: list[bytes]) -> Any:
    keys, where, count = _parse_mpop(argv, 1)
    db = c.db
    for key in keys:
        zs = db.get_typed(key, SortedSet, read=False)
        if zs is not None:
            return [key, _nested_pairs(_pop(db, key, zs, where, count))]
    return NULL_ARRAY


def _blocking_pop(c: Any, keys: list[bytes], where: int, timeout_arg: bytes, count: int) -> Any:
    """BZPOPMIN/BZPOPMAX (``count`` -1: reply [key, member, score]) and BZMPOP ([key, [[m, s], ...]])."""
    timeout_ms = parse_timeout(timeout_arg)
    db = c.db

    def pop_reply(key: bytes, zs: SortedSet) -> list:
        if count == -1:
            score, member = _pop(db, key, zs, where, 1)[0]
            return [key, member, score]
        return [key, _nested_pairs(_pop(db, key, zs, where, count))]

    for key in keys:
        zs = db.get_typed(key, SortedSet, read=False)
        if zs is not None:
            return pop_reply(key, zs)

    def serve(client: Any, key: bytes) -> Any:
        zs = db.peek(key)
        if zs.__class__ is not SortedSet or not zs.scores:
            return None
        return pop_reply(key, zs)

    return c.server.blocking.block(c, db, keys, timeout_ms, serve)


_BPOP_HISTORY = [("6.0.0", "`timeout` is interpreted as a double instead of an integer.")]


@command(
    "bzpopmin",
    -3,
    flags="write noscript blocking fast",
    keys=(1, -2, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Remove and return the lowest scoring member of the first non-empty sorted set, blocking "
    "until one is available.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    syntax="key [key ...] timeout",
    key_specs=[keyspec("RW access delete", lastkey=-2)],
    history=_BPOP_HISTORY,
)
def bzpopmin(c: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(c, argv[1:-1], _MIN, argv[-1], -1)


@command(
    "bzpopmax",
    -3,
    flags="write noscript blocking fast",
    keys=(1, -2, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Remove and return the highest scoring member of the first non-empty sorted set, blocking "
    "until one is available.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    syntax="key [key ...] timeout",
    key_specs=[keyspec("RW access delete", lastkey=-2)],
    history=_BPOP_HISTORY,
)
def bzpopmax(c: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(c, argv[1:-1], _MAX, argv[-1], -1)


@command(
    "bzmpop",
    -5,
    flags="write blocking",
    group="sorted-set",
    since="7.0.0",
    summary="Remove and return the lowest or highest scoring members of the first non-empty sorted set, "
    "blocking until one is available.",
    complexity=_MPOP_COMPLEXITY,
    syntax="timeout numkeys key [key ...] <MIN | MAX> [COUNT count]",
    getkeys=numkeys_positions(2),
    key_specs=[_keynum_spec("RW access delete", 2)],
)
def bzmpop(c: Any, argv: list[bytes]) -> Any:
    keys, where, count = _parse_mpop(argv, 2)
    return _blocking_pop(c, keys, where, argv[1], count)


# -- ZRANDMEMBER --------------------------------------------------------------------------------------------


def _encoded_pick(member: bytes, score: float, withscores: bool, resp: int) -> bytes:
    head = b"$%d\r\n%b\r\n" % (len(member), member)
    if not withscores:
        return head
    text = format_double(score)
    if resp == 2:
        return head + b"$%d\r\n%b\r\n" % (len(text), text)
    return b"*2\r\n" + head + b"," + text + b"\r\n"


def _zrandmember_count(c: Any, key: bytes, count: int, withscores: bool) -> Any:
    zs = c.db.get_typed(key, SortedSet)
    if zs is None or count == 0:
        return EMPTY_ARRAY
    order = zs.order
    size = len(order)
    resp = c.resp
    if count < 0 or count == 1:
        # Picks with repetition (Redis's CASE 1), written straight into the reply bytes: a huge count
        # costs its reply and nothing more.
        count = -count if count < 0 else count
        out = bytearray(b"*%d\r\n" % (count * 2 if withscores and resp == 2 else count))
        randrange = random.randrange
        if count > size:
            encoded = [_encoded_pick(m, s, withscores, resp) for s, m in order]
            for _ in range(count):
                out += encoded[randrange(size)]
        else:
            for _ in range(count):
                score, member = order[randrange(size)]
                out += _encoded_pick(member, score, withscores, resp)
        return Raw(out)
    if count >= size:
        pairs = list(reversed(order))  # Redis walks the whole zset from its tail
    else:
        pairs = [order[i] for i in random.sample(range(size), count)]
    return _range_reply(c, pairs, withscores)


@command(
    "zrandmember",
    -2,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Return random members of a sorted set.",
    complexity="O(N) where N is the number of members returned",
    syntax="key [count [WITHSCORES]]",
    key_specs=[keyspec("RO access")],
    tips="nondeterministic_output",
)
def zrandmember(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n >= 3:
        count = parse_ll(argv[2])
        if count is None:
            raise errors.NOT_INTEGER
        if count < -LONG_MAX:
            raise CommandError(f"value is out of range, value must between {-LONG_MAX} and {LONG_MAX}")
        if n > 4 or (n == 4 and argv[3].upper() != b"WITHSCORES"):
            raise errors.SYNTAX
        withscores = n == 4
        if withscores and (count < -(LONG_MAX // 2) or count > LONG_MAX // 2):
            raise OUT_OF_RANGE
        return _zrandmember_count(c, argv[1], count, withscores)
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return None
    return zs.order[random.randrange(len(zs.order))][1]


# -- set operations -------------------------------------------------------------------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_SUM, _AGG_MIN, _AGG_MAX = 0, 1, 2
_AGGREGATES = {b"SUM": _SUM, b"MIN": _AGG_MIN, b"MAX": _AGG_MAX}
_STORE_EVENTS = (b"zunionstore", b"zinterstore", b"zdiffstore")


class _SetScores:
    """A plain set seen as a sorted set whose members all score 1 (Redis's zuiNext over a set)."""

    __slots__ = ("members",)

    def __init__(self, members: Any) -> None:
        self.members = members

    def __len__(self) -> int:
        return len(self.members)

    def get(self, member: bytes) -> float | None:
        return 1.0 if member in self.members else None

    def items(self) -> Iterable[tuple[bytes, float]]:
        return ((m, 1.0) for m in self.members)


_EMPTY: dict = {}


def _source(db: Any, key: bytes) -> Any:
    """The member -> score view of an input key: a zset's dict, a set's view, or empty."""
    v = db.lookup_read(key)
    if v is None:
        return _EMPTY
    if v.__class__ is SortedSet:
        return v.scores
    if type_name(v) == _SET_TYPE:
        return _SetScores(v)
    raise WRONGTYPE


def _aggregate(target: float, value: float, aggregate: int) -> float:
    if aggregate == _SUM:
        target = target + value
        return 0.0 if target != target else target  # inf + -inf: Redis keeps 0
    if aggregate == _AGG_MIN:
        return value if value < target else target
    return value if value > target else target


def _inter(inputs: list, aggregate: int, card_only: bool, limit: int) -> Any:
    first, w0 = inputs[0]
    rest = inputs[1:]
    result: dict[bytes, float] = {}
    cardinality = 0
    if not len(first):
        return 0 if card_only else result
    for member, s in first.items():
        score = w0 * s
        if score != score:
            score = 0.0
        for src, w in rest:
            value = src.get(member)
            if value is None:
                break
            score = _aggregate(score, value * w, aggregate)
        else:
            if card_only:
                cardinality += 1
                if limit and cardinality >= limit:
                    break
            else:
                result[member] = score
    return cardinality if card_only else result


def _union(inputs: list, aggregate: int) -> dict[bytes, float]:
    acc: dict[bytes, float] = {}
    get = acc.get
    for src, w in inputs:
        for member, s in src.items():
            score = w * s
            if score != score:
                score = 0.0
            cur = get(member)
            acc[member] = score if cur is None else _aggregate(cur, score, aggregate)
    return acc


def _diff(sources: list) -> dict[bytes, float]:
    first = sources[0]
    rest = [s for s in sources[1:] if len(s)]
    if any(s is first for s in rest):
        return {}
    return {m: s for m, s in first.items() if not any(src.get(m) is not None for src in rest)}


def _zsetop(c: Any, argv: list[bytes], numkeys_at: int, op: int, store: bool, card_only: bool) -> Any:
    """``zunionInterDiffGenericCommand``: returns (member -> score dict, withscores), or for ZINTERCARD
    the cardinality."""
    setnum = parse_ll(argv[numkeys_at])
    if setnum is None:
        raise errors.NOT_INTEGER
    if setnum < 1:
        name = argv[0].decode("latin-1").lower()
        raise CommandError(f"at least 1 input key is needed for '{name}' command")
    n = len(argv)
    if setnum > n - (numkeys_at + 1):
        raise errors.SYNTAX
    db = c.db
    first = numkeys_at + 1
    sources = [_source(db, argv[first + i]) for i in range(setnum)]
    weights = [1.0] * setnum
    aggregate = _SUM
    withscores = False
    limit = 0
    j = first + setnum
    while j < n:
        remaining = n - j
        opt = argv[j].upper()
        if op != _DIFF and not card_only and remaining >= setnum + 1 and opt == b"WEIGHTS":
            j += 1
            for i in range(setnum):
                w = parse_double(argv[j])
                if w is None:
                    raise WEIGHT_NOT_FLOAT
                weights[i] = w
                j += 1
        elif op != _DIFF and not card_only and remaining >= 2 and opt == b"AGGREGATE":
            agg = _AGGREGATES.get(argv[j + 1].upper())
            if agg is None:
                raise errors.SYNTAX
            aggregate = agg
            j += 2
        elif not store and not card_only and opt == b"WITHSCORES":
            withscores = True
            j += 1
        elif card_only and remaining >= 2 and opt == b"LIMIT":
            limit = parse_ll(argv[j + 1])  # type: ignore[assignment]
            if limit is None or limit < 0:
                raise LIMIT_NEGATIVE
            j += 2
        else:
            raise errors.SYNTAX
    if op == _DIFF:
        return _diff(sources), withscores
    # Smallest input first, as Redis sorts them (each weight travels with its input).
    inputs = sorted(zip(sources, weights, strict=False), key=lambda sw: len(sw[0]))
    if op == _INTER:
        result = _inter(inputs, aggregate, card_only, limit)
        if card_only:
            return result
        return result, withscores
    return _union(inputs, aggregate), withscores


def _sorted_pairs(result: dict[bytes, float]) -> list[tuple[float, bytes]]:
    return sorted([(s, m) for m, s in result.items()])


def _zsetop_reply(c: Any, argv: list[bytes], op: int) -> Any:
    result, withscores = _zsetop(c, argv, 1, op, False, False)
    return _range_reply(c, _sorted_pairs(result), withscores)


def _zsetop_store(c: Any, argv: list[bytes], op: int) -> int:
    result, _ = _zsetop(c, argv, 2, op, True, False)
    zs = _built_as_skiplist(c, _sorted_pairs(result)) if result else None
    return _store(c, argv[1], zs, _STORE_EVENTS[op])


_OP_READ_KEYSPEC = [_keynum_spec("RO access", 1)]
_OP_STORE_KEYSPEC = [keyspec("OW update"), _keynum_spec("RO access", 2)]
_UNION_COMPLEXITY = (
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of "
    "elements in the resulting sorted set."
)
_INTER_COMPLEXITY = (
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input "
    "sorted sets and M being the number of elements in the resulting sorted set."
)
_DIFF_COMPLEXITY = (
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of "
    "the first set, and K is the size of the result set."
)
_WEIGHTED_SYNTAX = "[WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"


@command(
    "zunion",
    -3,
    flags="readonly",
    group="sorted-set",
    since="6.2.0",
    summary="Return the union of sorted sets (and sets), with weights and an aggregate.",
    complexity=_UNION_COMPLEXITY,
    syntax="numkeys key [key ...] " + _WEIGHTED_SYNTAX + " [WITHSCORES]",
    getkeys=numkeys_positions(1),
    key_specs=_OP_READ_KEYSPEC,
)
def zunion(c: Any, argv: list[bytes]) -> Any:
    return _zsetop_reply(c, argv, _UNION)


@command(
    "zinter",
    -3,
    flags="readonly",
    group="sorted-set",
    since="6.2.0",
    summary="Return the intersection of sorted sets (and sets), with weights and an aggregate.",
    complexity=_INTER_COMPLEXITY,
    syntax="numkeys key [key ...] " + _WEIGHTED_SYNTAX + " [WITHSCORES]",
    getkeys=numkeys_positions(1),
    key_specs=_OP_READ_KEYSPEC,
)
def zinter(c: Any, argv: list[bytes]) -> Any:
    return _zsetop_reply(c, argv, _INTER)


@command(
    "zdiff",
    -3,
    flags="readonly",
    group="sorted-set",
    since="6.2.0",
    summary="Return the members of the first sorted set that are in none of the others.",
    complexity=_DIFF_COMPLEXITY,
    syntax="numkeys key [key ...] [WITHSCORES]",
    getkeys=numkeys_positions(1),
    key_specs=_OP_READ_KEYSPEC,
)
def zdiff(c: Any, argv: list[bytes]) -> Any:
    return _zsetop_reply(c, argv, _DIFF)


@command(
    "zunionstore",
    -4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Store the union of sorted sets (and sets) in a key.",
    complexity=_UNION_COMPLEXITY,
    syntax="destination numkeys key [key ...] " + _WEIGHTED_SYNTAX,
    getkeys=numkeys_positions(2, (1,)),
    key_specs=_OP_STORE_KEYSPEC,
)
def zunionstore(c: Any, argv: list[bytes]) -> int:
    return _zsetop_store(c, argv, _UNION)


@command(
    "zinterstore",
    -4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Store the intersection of sorted sets (and sets) in a key.",
    complexity=_INTER_COMPLEXITY,
    syntax="destination numkeys key [key ...] " + _WEIGHTED_SYNTAX,
    getkeys=numkeys_positions(2, (1,)),
    key_specs=_OP_STORE_KEYSPEC,
)
def zinterstore(c: Any, argv: list[bytes]) -> int:
    return _zsetop_store(c, argv, _INTER)


@command(
    "zdiffstore",
    -4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Store the members of the first sorted set that are in none of the others in a key.",
    complexity=_DIFF_COMPLEXITY,
    syntax="destination numkeys key [key ...]",
    getkeys=numkeys_positions(2, (1,)),
    key_specs=_OP_STORE_KEYSPEC,
)
def zdiffstore(c: Any, argv: list[bytes]) -> int:
    return _zsetop_store(c, argv, _DIFF)


@command(
    "zintercard",
    -3,
    flags="readonly",
    group="sorted-set",
    since="7.0.0",
    summary="Count the members of the intersection of sorted sets (and sets), up to an optional limit.",
    complexity="O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    syntax="numkeys key [key ...] [LIMIT limit]",
    getkeys=numkeys_positions(1),
    key_specs=_OP_READ_KEYSPEC,
)
def zintercard(c: Any, argv: list[bytes]) -> int:
    return _zsetop(c, argv, 1, _INTER, False, True)


# -- ZSCAN ------------------------------------------------------------------------------------------------


@command(
    "zscan",
    -3,
    flags="readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.0",
    summary="Iterate over the members and scores of a sorted set, a few at a time.",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.",
    syntax="key cursor [MATCH pattern] [COUNT count]",
    key_specs=[keyspec("RO access")],
    tips="nondeterministic_output",
)
def zscan(c: Any, argv: list[bytes]) -> list:
    cursor = scan_cursor(argv[2])
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return [b"0", []]
    scores = zs.scores
    # A listpack is answered whole in one call, in score order.
    whole = None if zs.skiplist else [m for _, m in zs.order]
    nxt, members = scan_collection(c, argv, cursor, "zscan", zs, scores, zs.removed, whole)
    out: list = []
    for member in members:
        out.append(member)
        out.append(format_double(scores[member]))
    return [nxt, out]
