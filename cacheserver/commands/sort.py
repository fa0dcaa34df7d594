"""SORT and SORT_RO: sort a list, set or sorted set, with BY/GET patterns, LIMIT, ALPHA and STORE, as
Redis 7.0's sort.c.

Rules kept from Redis: a BY pattern without ``*`` means "don't sort" (lists and sorted sets keep their own
order, sets their iteration order, except that a set sorted into a STORE is sorted by ALPHA so the stored
list is deterministic); numeric sorting reads scores with ``strtod`` rules (an empty string is 0, a missing
BY key scores 0) and ties are broken by comparing the elements as bytes, so the result is deterministic;
``GET #`` is the element itself, a pattern ``key*->field`` reads a hash field, and a pattern without ``*``
finds nothing. STORE writes a list (or deletes the destination when the result is empty).
"""

from __future__ import annotations

import math
import sys
from functools import cmp_to_key
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.errors import WRONGTYPE, CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import parse_ll
from cacheserver.types.hash import Hash
from cacheserver.types.list import List
from cacheserver.types.set import Set
from cacheserver.types.sorted_set import SortedSet, strtod_whole

SCORE_NOT_DOUBLE = CommandError("One or more scores can't be converted into double")

_SPACE = b" \t\n\r\x0b\x0c"
_DBL_MIN = sys.float_info.min  # the smallest normal double: below it strtod reports ERANGE


def _strtod_score(s: bytes) -> float | None:
    """A BY value (or an element) as SORT reads it: ``strtod`` over the C string, which must consume it
    all (``strtod_whole``), and Redis's ``errno == ERANGE`` check besides: a value that overflows to an
    infinity or underflows to zero or a subnormal is refused, as is NaN."""
    v = strtod_whole(s)
    if v is None:
        return None
    if v == 0.0 or not _DBL_MIN <= abs(v) < math.inf:
        text = s.split(b"\0", 1)[0].lstrip(_SPACE).lstrip(b"+-").lower()
        if math.isinf(v):
            return v if text in (b"inf", b"infinity") else None
        hexa = text.startswith(b"0x")
        mantissa = text[2:].split(b"p", 1)[0] if hexa else text.split(b"e", 1)[0]
        if v != 0.0 or mantissa.strip(b"0."):
            return None  # a subnormal, or a zero that was not written as one
    return v


def _lookup_by_pattern(db: Any, pattern: bytes, element: bytes) -> bytes | None:
    """Redis's ``lookupKeyByPattern``: substitute the first ``*`` with the element, optionally read
    ``->field`` of a hash; None when the key is missing or of the wrong type."""
    if pattern == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2 :]
        key = pattern[:star] + element + pattern[star + 1 : arrow]
    else:
        key = pattern[:star] + element + pattern[star + 1 :]
    v = db.lookup_read(key)
    if v is None:
        return None
    if field is not None:
        if v.__class__ is not Hash:
            return None
        return v.get(field)
    if v.__class__ is bytes or v.__class__ is bytearray:
        return bytes(v)
    if v.__class__ is int:
        return b"%d" % v
    return None


def _sort(c: Any, argv: list[bytes], readonly: bool) -> Any:
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    store_key = None
    sort_by = None
    gets: list[bytes] = []
    n = len(argv)
    j = 2
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start = parse_ll(argv[j + 1])
            limit_count = parse_ll(argv[j + 2])
            if limit_start is None or limit_count is None:
                raise errors.NOT_INTEGER
            j += 2
        elif opt == b"store" and left >= 1 and not readonly:
            store_key = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            sort_by = argv[j + 1]
            dontsort = b"*" not in sort_by
            j += 1
        elif opt == b"get" and left >= 1:
            gets.append(argv[j + 1])
            j += 1
        else:
            raise errors.SYNTAX
        j += 1

    db = c.db
    value = db.lookup_read(argv[1]) if store_key is None else db.lookup(argv[1])
    cls = value.__class__
    if value is not None and cls is not List and cls is not Set and cls is not SortedSet:
        raise WRONGTYPE

    if cls is SortedSet:
        value.skiplist = True  # Redis converts a listpack zset for SORT, for good (OBJECT ENCODING)

    if dontsort and cls is Set and store_key is not None:
        dontsort, alpha, sort_by = False, True, None  # a stored result must not depend on set order

    if value is None:
        elements: list[bytes] = []
    elif cls is List:
        elements = list(value)
    elif cls is Set:
        elements = value.members()
    else:
        elements = [m for _, m in value]
    size = len(elements)

    start = 0 if limit_start < 0 else limit_start
    end = size - 1 if limit_count < 0 else start + limit_count - 1
    if start >= size:
        start, end = size - 1, size - 2
    if end >= size:
        end = size - 1

    if dontsort:
        if desc and cls is not Set:
            elements.reverse()  # lists and sorted sets are read from the tail, sets are not
    else:
        elements = _sorted(db, elements, sort_by, alpha, desc, store_key is not None)

    chosen = elements[start : end + 1] if end >= start else []
    if gets:
        out: list[bytes | None] = []
        for e in chosen:
            for pattern in gets:
                out.append(_lookup_by_pattern(db, pattern, e))
    else:
        out = chosen  # type: ignore[assignment]

    if store_key is None:
        return out
    ks = db.ks
    if out:
        result = List(b"" if v is None else v for v in out)
        db.set(store_key, result)
        ks.dirty += len(out)
        if ks.notify_flags:
            ks.emit(ev.LIST, b"sortstore", store_key, db.index)
    elif db.delete(store_key):
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", store_key, db.index)
    return len(out)


def _sorted(db: Any, elements: list[bytes], sort_by: bytes | None, alpha: bool, desc: bool, store: bool) -> list:
    if alpha:
        if sort_by is None:
            return sorted(elements, reverse=desc)
        # Elements whose BY key is missing compare below every other one (and equal among themselves).
        keyed = [(_lookup_by_pattern(db, sort_by, e), e) for e in elements]
        missing = [e for k, e in keyed if k is None]
        present = [(k, e) for k, e in keyed if k is not None]
        present.sort(key=lambda p: p[0], reverse=desc)
        ordered = [e for _, e in present]
        return ordered + missing if desc else missing + ordered
    scored = []
    failed = False
    for e in elements:
        by = e if sort_by is None else _lookup_by_pattern(db, sort_by, e)
        if by is None:
            score = 0.0
        else:
            score = _strtod_score(by)
            if score is None:
                failed = True
                score = 0.0
        scored.append((score, e))
    if failed:
        raise SCORE_NOT_DOUBLE
    scored.sort(key=cmp_to_key(_compare_scored), reverse=desc)
    return [e for _, e in scored]


def _compare_scored(a: tuple[float, bytes], b: tuple[float, bytes]) -> int:
    if a[0] != b[0]:
        return 1 if a[0] > b[0] else -1
    return (a[1] > b[1]) - (a[1] < b[1])


_SORT_SYNTAX = ("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] "
                "[STORE destination]")


_BY_GET_KEYS = {
    "notes": "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the "
    "content of the key we sort",
    "flags": ["RO", "access"],
    "begin_search": {"type": "unknown", "spec": {}},
    "find_keys": {"type": "unknown", "spec": {}},
}


def _sort_keys(argv: list[bytes]) -> list[int]:
    """The sorted key, plus the STORE destination when there is one (Redis's sortGetKeys)."""
    keys = [1]
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    i = 2
    n = len(argv)
    found_store = 0
    while i < n:
        opt = argv[i].lower()
        if opt in skip:
            i += skip[opt]
        elif opt == b"store" and i + 1 < n:
            found_store = i + 1
            i += 1
        i += 1
    if found_store:
        keys.append(found_store)
    return keys


@command("sort", -2, flags="write denyoom movablekeys", keys=(1, 1, 1), group="generic", since="1.0.0",
         summary="Sort the elements of a list, set or sorted set, optionally storing the result as a list.",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number "
         "of returned elements. When the elements are not sorted, complexity is O(N).",
         syntax=_SORT_SYNTAX, acl="@set @sortedset @list @dangerous",
         key_specs=[
             {"flags": ["RO", "access"], "begin_search": {"type": "index", "spec": {"index": 1}},
              "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}}},
             _BY_GET_KEYS,
             {"notes": "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
              "anywhere in the argument array", "flags": ["OW", "update"],
              "begin_search": {"type": "unknown", "spec": {}},
              "find_keys": {"type": "unknown", "spec": {}}},
         ],
         getkeys=_sort_keys)
def sort(c: Any, argv: list[bytes]) -> Any:
    return _sort(c, argv, False)


@command("sort_ro", -2, flags="readonly movablekeys", keys=(1, 1, 1), group="generic", since="7.0.0",
         summary="Sort the elements of a list, set or sorted set (the read-only variant of SORT).",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number "
         "of returned elements. When the elements are not sorted, complexity is O(N).",
         syntax="key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
         acl="@set @sortedset @list @dangerous",
         key_specs=[{"flags": ["RO", "access"], "begin_search": {"type": "index", "spec": {"index": 1}},
                     "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}}},
                    _BY_GET_KEYS])
def sort_ro(c: Any, argv: list[bytes]) -> Any:
    return _sort(c, argv, True)


# SORT belongs to the generic group but, unlike the rest of it, not to @keyspace in Redis's ACL categories.
for _spec in sort.specs + sort_ro.specs:  # type: ignore[attr-defined]
    _spec.acl = tuple(cat for cat in _spec.acl if cat != "@keyspace")
