"""Set commands: SADD and friends, SPOP/SRANDMEMBER, SMOVE, the SINTER/SUNION/SDIFF families and SSCAN,
as Redis 7.0's t_set.c.

Rules: a set that loses its last member is deleted (``del`` notified after the command's own event);
every write checks the intset rules with the ``set-max-intset-entries`` of that moment; sets built by
the *STORE commands are encoded as Redis encodes a set built by adding members one by one; in-place
changes tell WATCH through ``db.signal_modified`` (the one-member SADD and SPOP paths only touch WATCH
and leave the size re-estimate to the memory sweep, as list writes do). Reply order follows Redis where
it is defined: intsets are listed in ascending order. Keys are looked up in Redis's order, so the first
error (or the early empty answer of SINTER on a missing key) is Redis's.
"""

from __future__ import annotations

import random
from typing import Any

from cacheserver import errors
from cacheserver.commands.args import numkeys_positions
from cacheserver.commands.generic import keyspec, scan_collection, scan_cursor
from cacheserver.commands.spec import command
from cacheserver.errors import WRONGTYPE, CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import LLONG_MAX, parse_ll
from cacheserver.protocol.replies import EMPTY_ARRAY, SetReply
from cacheserver.types.set import Set

NUMKEYS = CommandError("numkeys should be greater than 0")
TOO_MANY_KEYS = CommandError("Number of keys can't be greater than number of args")
LIMIT_NEGATIVE = CommandError("LIMIT can't be negative")
COUNT_RANGE = CommandError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")

# A negative SRANDMEMBER count repeats members, so its reply is as long as asked: Redis 7.0 accepts up to
# LONG_MAX and then exhausts its memory building the reply. We refuse replies longer than this instead.
RANDOM_REPLY_MAX = 1 << 24
TOO_MANY = CommandError(f"value is out of range, value must between -{RANDOM_REPLY_MAX} and 9223372036854775807")

_EMPTY_SET = SetReply()


def _max_intset(c: Any) -> int:
    return c.server.config.values["set-max-intset-entries"]


def _delete_if_empty(db: Any, key: bytes, s: Set) -> None:
    if not s:
        db.delete(key)
        if db.ks.notify_flags:
            db.ks.emit(ev.GENERIC, b"del", key, db.index)


# -- single-set writes ----------------------------------------------------------------------------------


@command("sadd", -3, flags="write denyoom fast", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Add one or more members to a set, creating the set if needed.",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments.", syntax="key member [member ...]",
         history=[("2.4.0", "Accepts multiple `member` arguments.")], key_specs=[keyspec("RW insert")])
def sadd(c: Any, argv: list[bytes]) -> int:
    key = argv[1]
    db = c.db
    s = db.lookup(key)
    if s.__class__ is Set and len(argv) == 3:
        # One member into an existing set, the benchmarked path: a member already there is no write.
        member = argv[2]
        if member in s:
            return 0
        s.add(member)
        if s.snapshot is not None:
            s.snapshot.append(member)
        if s.intset:
            s.note_added((member,), _max_intset(c))
        if db.watched:  # no stale mark: the memory sweep re-estimates sets (as lists)
            db.touch_watched(key)
        ks = db.ks
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.SET, b"sadd", key, db.index)
        return 1
    if s is None:
        s = Set(argv[2:])
        s.note_added(s, _max_intset(c))
        db.set(key, s)
        added = len(s)
    elif s.__class__ is not Set:
        raise WRONGTYPE
    else:
        added = s.add_members(argv[2:])
        if not added:
            return 0
        if s.intset:
            s.note_added(argv[2:], _max_intset(c))
        db.signal_modified(key)
    ks = db.ks
    ks.dirty += added
    if ks.notify_flags:
        ks.emit(ev.SET, b"sadd", key, db.index)
    return added


@command("srem", -3, flags="write fast", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Remove one or more members from a set, and the set once it is empty.",
         complexity="O(N) where N is the number of members to be removed.", syntax="key member [member ...]",
         history=[("2.4.0", "Accepts multiple `member` arguments.")], key_specs=[keyspec("RW delete")])
def srem(c: Any, argv: list[bytes]) -> int:
    key = argv[1]
    db = c.db
    s = db.get_typed(key, Set, read=False)
    if s is None:
        return 0
    n = len(s)
    if len(argv) == 3:
        s.discard(argv[2])
    else:
        s.difference_update(argv[2:])
    removed = n - len(s)
    if not removed:
        return 0
    ks = db.ks
    ks.dirty += removed
    db.signal_modified(key)
    if ks.notify_flags:
        ks.emit(ev.SET, b"srem", key, db.index)
    _delete_if_empty(db, key, s)
    return removed


@command("smove", 4, flags="write fast", keys=(1, 2, 1), group="set", since="1.0.0",
         summary="Move a member from one set to another.", complexity="O(1)",
         syntax="source destination member", key_specs=[keyspec("RW access delete"), keyspec("RW insert", begin=2)])
def smove(c: Any, argv: list[bytes]) -> int:
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    db = c.db
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is None:
        return 0
    if src.__class__ is not Set or (dst is not None and dst.__class__ is not Set):
        raise WRONGTYPE
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.discard(member)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.SET, b"srem", src_key, db.index)
    _delete_if_empty(db, src_key, src)
    db.signal_modified(src_key)  # before the destination's creation signals it: Redis's order
    if dst is None:
        dst = Set()
        db.set(dst_key, dst)
    ks.dirty += 1
    if dst.add_member(member):
        dst.note_added((member,), _max_intset(c))
        ks.dirty += 1
        db.signal_modified(dst_key)
        if ks.notify_flags:
            ks.emit(ev.SET, b"sadd", dst_key, db.index)
    return 1


@command("spop", -2, flags="write fast", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Remove and return one or more random members of a set.",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
         syntax="key [count]", tips="nondeterministic_output",
         history=[("3.2.0", "Added the `count` argument.")], key_specs=[keyspec("RW access delete")])
def spop(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n != 2:
        if n > 3:
            raise errors.SYNTAX
        return _spop_count(c, c.db, argv[1], argv[2])
    key = argv[1]
    db = c.db
    s = db.lookup(key)
    if s is None:
        return None
    if s.__class__ is not Set:
        raise WRONGTYPE
    member = s.random_member()
    s.remove(member)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.SET, b"spop", key, db.index)
    if not s:
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    elif db.watched:  # no stale mark: the memory sweep re-estimates sets (as lists)
        db.touch_watched(key)
    return member


def _spop_count(c: Any, db: Any, key: bytes, arg: bytes) -> Any:
    count = parse_ll(arg)
    if count is None or count < 0:
        raise errors.MUST_BE_POSITIVE
    s = db.get_typed(key, Set, read=False)
    if s is None or count == 0:
        return _EMPTY_SET
    ks = db.ks
    size = len(s)
    if ks.notify_flags:
        ks.emit(ev.SET, b"spop", key, db.index)
    if count >= size:
        # The whole set: Redis replies it in set order and deletes the key.
        members = s.members()
        db.delete(key)
        ks.dirty += size
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
        return SetReply(members)
    if count * 5 < size:
        popped = [s.pop_random() for _ in range(count)]
    else:
        popped = random.sample(list(s), count)
        s.difference_update(popped)
    ks.dirty += count
    db.signal_modified(key)
    return SetReply(popped)


@command("srandmember", -2, flags="readonly", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Return one or more random members of a set, without removing them.",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
         "count.", syntax="key [count]", tips="nondeterministic_output",
         history=[("2.6.0", "Added the optional `count` argument.")], key_specs=[keyspec("RO access")])
def srandmember(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n > 3:
        raise errors.SYNTAX
    db = c.db
    if n == 2:
        s = db.get_typed(argv[1], Set)
        return None if s is None else s.random_member()
    count = parse_ll(argv[2])
    if count is None:
        raise errors.NOT_INTEGER
    if count < -LLONG_MAX:
        raise COUNT_RANGE
    s = db.get_typed(argv[1], Set)
    if s is None or count == 0:
        return EMPTY_ARRAY
    size = len(s)
    if count < 0:
        k = -count
        if k > RANDOM_REPLY_MAX:
            raise TOO_MANY
        if size > 64 and k * 4 < size:
            pick = s.random_member
            return [pick() for _ in range(k)]
        return random.choices(list(s), k=k)
    if count >= size:
        return s.members()
    if count * 5 < size:
        chosen: set[bytes] = set()
        pick = s.random_member
        while len(chosen) < count:
            chosen.add(pick())
        return list(chosen)
    return random.sample(list(s), count)


# -- single-set reads ---------------------------------------------------------------------------------


@command("sismember", 3, flags="readonly fast", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Tell whether a value is a member of a set.", complexity="O(1)", syntax="key member",
         key_specs=[keyspec("RO")])
def sismember(c: Any, argv: list[bytes]) -> int:
    s = c.db.get_typed(argv[1], Set)
    return 1 if s is not None and argv[2] in s else 0


@command("smismember", -3, flags="readonly fast", keys=(1, 1, 1), group="set", since="6.2.0",
         summary="Tell for each of several values whether it is a member of a set.",
         complexity="O(N) where N is the number of elements being checked for membership",
         syntax="key member [member ...]", key_specs=[keyspec("RO access")])
def smismember(c: Any, argv: list[bytes]) -> list[int]:
    s = c.db.get_typed(argv[1], Set)
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("scard", 2, flags="readonly fast", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Return the number of members of a set.", complexity="O(1)", syntax="key",
         key_specs=[keyspec("RO")])
def scard(c: Any, argv: list[bytes]) -> int:
    s = c.db.get_typed(argv[1], Set)
    return 0 if s is None else len(s)


@command("smembers", 2, flags="readonly", keys=(1, 1, 1), group="set", since="1.0.0",
         summary="Return all the members of a set.", complexity="O(N) where N is the set cardinality.",
         syntax="key", tips="nondeterministic_output_order", key_specs=[keyspec("RO access")])
def smembers(c: Any, argv: list[bytes]) -> SetReply:
    s = c.db.get_typed(argv[1], Set)
    return _EMPTY_SET if s is None else SetReply(s.members())


@command("sscan", -3, flags="readonly", keys=(1, 1, 1), group="set", since="2.8.0",
         summary="Iterate over the members of a set, a few at a time.",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
         "cursor to return back to 0. N is the number of elements inside the collection.",
         syntax="key cursor [MATCH pattern] [COUNT count]", tips="nondeterministic_output",
         key_specs=[keyspec("RO access")])
def sscan(c: Any, argv: list[bytes]) -> list[Any]:
    cursor = scan_cursor(argv[2])
    s = c.db.get_typed(argv[1], Set)
    if s is None:
        return [b"0", []]
    # An intset is answered in one call, in order; a hash table's members come in no fixed order.
    nxt, members = scan_collection(c, argv, cursor, "sscan", s, s, 0, s.members() if s.intset else None,
                                   ordered=False)
    return [nxt, members]


# -- several sets ---------------------------------------------------------------------------------------


def _intersection(c: Any, keys: list[bytes], limit: int = 0) -> tuple[Set | None, list[bytes]]:
    """(None, []) if a key is missing (every key is type-checked first, as in Redis), else the smallest
    set and the members of the intersection in the order Redis lists them. Every source is a read
    (hits, misses, keymiss), for the STORE variants too, as in Redis 7.0."""
    db = c.db
    sets = [db.get_typed(key, Set) for key in keys]
    if None in sets:
        return None, []
    smallest = min(sets, key=len)
    others = [s for s in sets if s is not smallest]
    if not others:
        members = smallest.members()
        return smallest, members[:limit] if limit else members
    members = smallest.members() if smallest.intset else smallest
    out: list[bytes] = []
    for m in members:
        for o in others:
            if m not in o:
                break
        else:
            out.append(m)
            if limit and len(out) >= limit:
                break
    return smallest, out


def _store(c: Any, dst_key: bytes, members: Any, event: bytes) -> int:
    """Store a computed set at ``dst_key`` (drops its TTL), or delete ``dst_key`` if it is empty."""
    db = c.db
    ks = db.ks
    if members:
        db.set(dst_key, Set.of(members, _max_intset(c)))
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.SET, event, dst_key, db.index)
        return len(members)
    if db.delete(dst_key):
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", dst_key, db.index)
    return 0


def _union_or_diff(c: Any, keys: list[bytes], diff: bool) -> Set:
    """The union (or difference) as the new set Redis builds for it (an intset when it can be); the
    sources are reads, as for ``_intersection``."""
    db = c.db
    sets: list[Set | None] = [db.get_typed(key, Set) for key in keys]
    first = sets[0]
    if diff:
        if first is None:
            result = Set()
        else:
            result = Set(first)
            for s in sets[1:]:
                if s is not None:
                    result.difference_update(s)
                    if not result:
                        break
    else:
        result = Set()
        for s in sets:
            if s is not None:
                result.update(s)
    result.note_added(result, _max_intset(c))
    return result


@command("sinter", -2, flags="readonly", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Return the intersection of several sets.",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
         syntax="key [key ...]", tips="nondeterministic_output_order", key_specs=[keyspec("RO access", lastkey=-1)])
def sinter(c: Any, argv: list[bytes]) -> SetReply:
    _, members = _intersection(c, argv[1:])
    return SetReply(members)


@command("sintercard", -3, flags="readonly movablekeys", keys=(0, 0, 0), group="set", since="7.0.0",
         summary="Return the number of members in the intersection of several sets, counting up to a limit.",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
         syntax="numkeys key [key ...] [LIMIT limit]",
         key_specs=[{
             "flags": ["RO", "access"],
             "begin_search": {"type": "index", "spec": {"index": 1}},
             "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
         }],
         getkeys=numkeys_positions(1))
def sintercard(c: Any, argv: list[bytes]) -> int:
    numkeys = parse_ll(argv[1])
    if numkeys is None or numkeys < 1:
        raise NUMKEYS
    n = len(argv)
    if numkeys > n - 2:
        raise TOO_MANY_KEYS
    limit = 0
    i = 2 + numkeys
    while i < n:
        if argv[i].lower() == b"limit" and i + 1 < n:
            i += 1
            v = parse_ll(argv[i])
            if v is None or v < 0:
                raise LIMIT_NEGATIVE
            limit = v
        else:
            raise errors.SYNTAX
        i += 1
    _, members = _intersection(c, argv[2 : 2 + numkeys], limit)
    return len(members)


@command("sinterstore", -3, flags="write denyoom", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Store the intersection of several sets in a key.",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
         syntax="destination key [key ...]",
         key_specs=[keyspec("RW update"), keyspec("RO access", begin=2, lastkey=-1)])
def sinterstore(c: Any, argv: list[bytes]) -> int:
    _, members = _intersection(c, argv[2:])
    return _store(c, argv[1], members, b"sinterstore")


@command("sunion", -2, flags="readonly", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Return the union of several sets.",
         complexity="O(N) where N is the total number of elements in all given sets.",
         syntax="key [key ...]", tips="nondeterministic_output_order", key_specs=[keyspec("RO access", lastkey=-1)])
def sunion(c: Any, argv: list[bytes]) -> SetReply:
    return SetReply(_union_or_diff(c, argv[1:], False).members())


@command("sunionstore", -3, flags="write denyoom", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Store the union of several sets in a key.",
         complexity="O(N) where N is the total number of elements in all given sets.",
         syntax="destination key [key ...]",
         key_specs=[keyspec("OW update"), keyspec("RO access", begin=2, lastkey=-1)])
def sunionstore(c: Any, argv: list[bytes]) -> int:
    return _store(c, argv[1], _union_or_diff(c, argv[2:], False), b"sunionstore")


@command("sdiff", -2, flags="readonly", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Return the members of the first set that are in none of the other sets.",
         complexity="O(N) where N is the total number of elements in all given sets.",
         syntax="key [key ...]", tips="nondeterministic_output_order", key_specs=[keyspec("RO access", lastkey=-1)])
def sdiff(c: Any, argv: list[bytes]) -> SetReply:
    return SetReply(_union_or_diff(c, argv[1:], True).members())


@command("sdiffstore", -3, flags="write denyoom", keys=(1, -1, 1), group="set", since="1.0.0",
         summary="Store the members of the first set that are in none of the other sets in a key.",
         complexity="O(N) where N is the total number of elements in all given sets.",
         syntax="destination key [key ...]",
         key_specs=[keyspec("OW update"), keyspec("RO access", begin=2, lastkey=-1)])
def sdiffstore(c: Any, argv: list[bytes]) -> int:
    return _store(c, argv[1], _union_or_diff(c, argv[2:], True), b"sdiffstore")
