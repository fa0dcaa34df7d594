"""List commands: pushes, pops (with counts), ranges, LSET/LINSERT/LREM/LTRIM/LPOS, moves, and the
blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP, as Redis 7.0's t_list.c.

Rules: a list that becomes empty is deleted (``del`` notified after the pop event); every command checks
the type of each key it touches (WRONGTYPE, the destination of a move included); in-place changes tell
WATCH through the database. Arguments are checked in Redis's order, so the first error is Redis's.
Blocking commands answer at once when they can and otherwise hand a ``serve`` function to
``server.blocking`` (see blocking.py), which runs it when a pushed key makes the client serviceable.
"""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.blocking import parse_timeout
from cacheserver.commands.args import int_arg, numkeys_positions
from cacheserver.commands.generic import keyspec
from cacheserver.commands.spec import command
from cacheserver.errors import WRONGTYPE, CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import LLONG_MAX, parse_ll
from cacheserver.protocol.encoder import bulk_array
from cacheserver.protocol.replies import EMPTY_ARRAY, NULL_ARRAY, OK
from cacheserver.types.list import List

HEAD = 0
TAIL = 1

NUMKEYS = CommandError("numkeys should be greater than 0")
COUNT_POSITIVE = CommandError("count should be greater than 0")
RANK_ZERO = CommandError(
    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
COUNT_NEGATIVE = CommandError("COUNT can't be negative")
MAXLEN_NEGATIVE = CommandError("MAXLEN can't be negative")
INDEX_OUT_OF_RANGE = CommandError("index out of range")

_POP_EVENTS = (b"lpop", b"rpop")
_PUSH_EVENTS = (b"lpush", b"rpush")
_SIDES = {b"LEFT": HEAD, b"RIGHT": TAIL}


def _keynum_spec(begin: int) -> dict:
    return {
        "flags": ["RW", "access", "delete"],
        "begin_search": {"type": "index", "spec": {"index": begin}},
        "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
    }


def _side(arg: bytes) -> int:
    side = _SIDES.get(arg.upper())
    if side is None:
        raise errors.SYNTAX
    return side


def elements_removed(db: Any, key: bytes, lst: List, event: bytes, count: int) -> None:
    """After popping ``count`` elements: the pop event, deletion of an emptied list (``del``), WATCH,
    dirty (Redis's listElementsRemoved)."""
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.LIST, event, key, db.index)
    if not lst:
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    elif db.watched:
        db.touch_watched(key)
    ks.dirty += count


# -- pushes ---------------------------------------------------------------------------------------------


def _push(c: Any, argv: list[bytes], where: int, only_existing: bool) -> int:
    db = c.db
    return _push_onto(c, db, argv[1], db.lookup(argv[1]), argv, where, only_existing)


def _push_onto(c: Any, db: Any, key: bytes, lst: Any, argv: list[bytes], where: int, only_existing: bool) -> int:
    """The push of ``argv[2:]``, given the value ``lst`` already looked up at ``key``."""
    if lst is None:
        if only_existing:
            return 0
        lst = List()
        db.set(key, lst)  # signals the key ready for blocked clients
    elif lst.__class__ is not List:
        raise WRONGTYPE
    elif db.watched:
        db.touch_watched(key)
    if len(argv) == 3:
        if where == HEAD:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    elif where == HEAD:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    ks = db.ks
    ks.dirty += len(argv) - 2
    if ks.notify_flags:
        ks.emit(ev.LIST, _PUSH_EVENTS[where], key, db.index)
    return len(lst)


_PUSH_HISTORY = [("2.4.0", "Accepts multiple `element` arguments.")]


@command("lpush", -3, flags="write denyoom fast", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Prepend one or more elements to a list, creating it if needed.",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments.", syntax="key element [element ...]", history=_PUSH_HISTORY,
         key_specs=[keyspec("RW insert")])
def lpush(c: Any, argv: list[bytes]) -> int:
    db = c.db
    key = argv[1]
    lst = db.lookup(key)
    if lst.__class__ is List and len(argv) == 3:
        # One element onto an existing list: _push_onto written out, the benchmarked path.
        if db.watched:
            db.touch_watched(key)
        lst.appendleft(argv[2])
        ks = db.ks
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.LIST, b"lpush", key, db.index)
        return len(lst)
    return _push_onto(c, db, key, lst, argv, HEAD, False)


@command("rpush", -3, flags="write denyoom fast", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Append one or more elements to a list, creating it if needed.",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments.", syntax="key element [element ...]", history=_PUSH_HISTORY,
         key_specs=[keyspec("RW insert")])
def rpush(c: Any, argv: list[bytes]) -> int:
    db = c.db
    key = argv[1]
    lst = db.lookup(key)
    if lst.__class__ is List and len(argv) == 3:
        # One element onto an existing list: _push_onto written out, the benchmarked path.
        if db.watched:
            db.touch_watched(key)
        lst.append(argv[2])
        ks = db.ks
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.LIST, b"rpush", key, db.index)
        return len(lst)
    return _push_onto(c, db, key, lst, argv, TAIL, False)


@command("lpushx", -3, flags="write denyoom fast", keys=(1, 1, 1), group="list", since="2.2.0",
         summary="Prepend elements to a list only when the list exists.",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments.", syntax="key element [element ...]",
         history=[("4.0.0", "Accepts multiple `element` arguments.")], key_specs=[keyspec("RW insert")])
def lpushx(c: Any, argv: list[bytes]) -> int:
    return _push(c, argv, HEAD, True)


@command("rpushx", -3, flags="write denyoom fast", keys=(1, 1, 1), group="list", since="2.2.0",
         summary="Append elements to a list only when the list exists.",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
         "multiple arguments.", syntax="key element [element ...]",
         history=[("4.0.0", "Accepts multiple `element` arguments.")], key_specs=[keyspec("RW insert")])
def rpushx(c: Any, argv: list[bytes]) -> int:
    return _push(c, argv, TAIL, True)


# -- pops -----------------------------------------------------------------------------------------------


def _pop_one(db: Any, key: bytes, lst: Any, where: int) -> Any:
    """LPOP/RPOP without a count, given the value ``lst`` already looked up at ``key``."""
    if lst is None:
        return None
    if lst.__class__ is not List:
        raise WRONGTYPE
    value = lst.popleft() if where == HEAD else lst.pop()
    ks = db.ks
    if ks.notify_flags:  # elements_removed, inlined
        ks.emit(ev.LIST, _POP_EVENTS[where], key, db.index)
    if not lst:
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    elif db.watched:
        db.touch_watched(key)
    ks.dirty += 1
    return value


def _pop_count(c: Any, argv: list[bytes], where: int) -> Any:
    """LPOP/RPOP key count."""
    if len(argv) > 3:
        raise errors.wrong_arity(argv[0].decode("utf-8", "surrogateescape").lower())
    count = parse_ll(argv[2])
    if count is None or count < 0:
        raise errors.MUST_BE_POSITIVE
    db = c.db
    key = argv[1]
    lst = db.get_typed(key, List, read=False)
    if lst is None:
        return NULL_ARRAY
    if not count:
        return EMPTY_ARRAY
    values = lst.pop_head(count) if where == HEAD else lst.pop_tail(count)
    elements_removed(db, key, lst, _POP_EVENTS[where], len(values))
    return bulk_array(values)


_POP_HISTORY = [("6.2.0", "Added the `count` argument.")]


@command("lpop", -2, flags="write fast", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Remove and return the first elements of a list; the list is deleted when emptied.",
         complexity="O(N) where N is the number of elements returned", syntax="key [count]", history=_POP_HISTORY,
         key_specs=[keyspec("RW access delete")])
def lpop(c: Any, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        return _pop_count(c, argv, HEAD)
    db = c.db
    key = argv[1]
    lst = db.lookup(key)
    if lst.__class__ is List and len(lst) > 1:
        # _pop_one written out for a list that stays non-empty: the benchmarked path.
        value = lst.popleft()
        ks = db.ks
        if ks.notify_flags:
            ks.emit(ev.LIST, b"lpop", key, db.index)
        if db.watched:
            db.touch_watched(key)
        ks.dirty += 1
        return value
    return _pop_one(db, key, lst, HEAD)


@command("rpop", -2, flags="write fast", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Remove and return the last elements of a list; the list is deleted when emptied.",
         complexity="O(N) where N is the number of elements returned", syntax="key [count]", history=_POP_HISTORY,
         key_specs=[keyspec("RW access delete")])
def rpop(c: Any, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        return _pop_count(c, argv, TAIL)
    db = c.db
    key = argv[1]
    lst = db.lookup(key)
    if lst.__class__ is List and len(lst) > 1:
        # _pop_one written out for a list that stays non-empty: the benchmarked path.
        value = lst.pop()
        ks = db.ks
        if ks.notify_flags:
            ks.emit(ev.LIST, b"rpop", key, db.index)
        if db.watched:
            db.touch_watched(key)
        ks.dirty += 1
        return value
    return _pop_one(db, key, lst, TAIL)


# -- reads ----------------------------------------------------------------------------------------------


@command("llen", 2, flags="readonly fast", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Return the length of a list.", complexity="O(1)", syntax="key", key_specs=[keyspec("RO")])
def llen(c: Any, argv: list[bytes]) -> int:
    lst = c.db.get_typed(argv[1], List)
    return 0 if lst is None else len(lst)


@command("lrange", 4, flags="readonly", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Return a range of elements of a list.",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
         "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
         syntax="key start stop", key_specs=[keyspec("RO access")])
def lrange(c: Any, argv: list[bytes]) -> Any:
    start = parse_ll(argv[2])
    end = parse_ll(argv[3])
    if start is None or end is None:
        raise errors.NOT_INTEGER
    lst = c.db.lookup_read(argv[1])
    if lst is None:
        return EMPTY_ARRAY
    if lst.__class__ is not List:
        raise WRONGTYPE
    return bulk_array(lst.range(start, end))


@command("lindex", 3, flags="readonly", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Return the element at an index of a list.",
         complexity="O(N) where N is the number of elements to traverse to get to the element at index. This "
         "makes asking for the first or the last element of the list O(1).",
         syntax="key index", key_specs=[keyspec("RO access")])
def lindex(c: Any, argv: list[bytes]) -> bytes | None:
    lst = c.db.get_typed(argv[1], List)
    if lst is None:
        return None
    return lst.get(int_arg(argv[2]))


@command("lpos", -3, flags="readonly", keys=(1, 1, 1), group="list", since="6.0.6",
         summary="Return the indexes of the elements of a list that match a value.",
         complexity="O(N) where N is the number of elements in the list, for the average case. When searching for "
         "elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may "
         "run in constant time.", syntax="key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
         key_specs=[keyspec("RO access")])
def lpos(c: Any, argv: list[bytes]) -> Any:
    rank, count, maxlen = 1, -1, 0  # count -1: no COUNT option, reply a single index
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].upper()
        more = j + 1 < n
        if opt == b"RANK" and more:
            j += 1
            rank = int_arg(argv[j])
            if rank == 0:
                raise RANK_ZERO
        elif opt == b"COUNT" and more:
            j += 1
            count = parse_ll(argv[j])
            if count is None or count < 0:
                raise COUNT_NEGATIVE
        elif opt == b"MAXLEN" and more:
            j += 1
            maxlen = parse_ll(argv[j])
            if maxlen is None or maxlen < 0:
                raise MAXLEN_NEGATIVE
        else:
            raise errors.SYNTAX
        j += 1
    if rank < -LLONG_MAX:
        # Redis negates the rank in a C long: the minimum stays negative, so every match from the tail
        # counts and the COUNT test overflows (never stops).
        rank = -1
        if count != -1:
            count = 0
    lst = c.db.lookup_read(argv[1])
    if lst is None:
        return EMPTY_ARRAY if count != -1 else None
    if lst.__class__ is not List:
        raise WRONGTYPE
    found = lst.positions(argv[2], rank, 1 if count == -1 else count, maxlen)
    if count != -1:
        return found
    return found[0] if found else None


# -- in-place changes -----------------------------------------------------------------------------------


def _modified(db: Any, key: bytes, event: bytes, dirty: int) -> None:
    if db.watched:
        db.touch_watched(key)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.LIST, event, key, db.index)
    ks.dirty += dirty


@command("lset", 4, flags="write denyoom", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Set the value of an element of a list by its index.",
         complexity="O(N) where N is the length of the list. Setting either the first or the last element of the "
         "list is O(1).", syntax="key index element", key_specs=[keyspec("RW update")])
def lset(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    lst = db.get_typed(argv[1], List, read=False)
    if lst is None:
        raise errors.NO_SUCH_KEY
    if not lst.set_at(int_arg(argv[2]), argv[3]):
        raise INDEX_OUT_OF_RANGE
    _modified(db, argv[1], b"lset", 1)
    return OK


@command("linsert", 5, flags="write denyoom", keys=(1, 1, 1), group="list", since="2.2.0",
         summary="Insert an element before or after another element of a list.",
         complexity="O(N) where N is the number of elements to traverse before seeing the value pivot. This means "
         "that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting "
         "somewhere on the right end (tail) is O(N).", syntax="key <BEFORE | AFTER> pivot element",
         key_specs=[keyspec("RW insert")])
def linsert(c: Any, argv: list[bytes]) -> int:
    side = argv[2].upper()
    if side == b"AFTER":
        after = True
    elif side == b"BEFORE":
        after = False
    else:
        raise errors.SYNTAX
    db = c.db
    lst = db.get_typed(argv[1], List, read=False)
    if lst is None:
        return 0
    if not lst.insert_at_pivot(argv[3], argv[4], after):
        return -1
    _modified(db, argv[1], b"linsert", 1)
    return len(lst)


@command("lrem", 4, flags="write", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Remove elements equal to a value from a list.",
         complexity="O(N+M) where N is the length of the list and M is the number of elements removed.",
         syntax="key count element", key_specs=[keyspec("RW delete")])
def lrem(c: Any, argv: list[bytes]) -> int:
    count = int_arg(argv[2])
    db = c.db
    key = argv[1]
    lst = db.get_typed(key, List, read=False)
    if lst is None:
        return 0
    removed = lst.remove_matches(argv[3], count)
    ks = db.ks
    if removed:
        _modified(db, key, b"lrem", removed)
    if not lst:
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    return removed


@command("ltrim", 4, flags="write", keys=(1, 1, 1), group="list", since="1.0.0",
         summary="Trim a list to a range of its elements.",
         complexity="O(N) where N is the number of elements to be removed by the operation.",
         syntax="key start stop", key_specs=[keyspec("RW delete")])
def ltrim(c: Any, argv: list[bytes]) -> Any:
    start = parse_ll(argv[2])
    end = parse_ll(argv[3])
    if start is None or end is None:
        raise errors.NOT_INTEGER
    db = c.db
    key = argv[1]
    lst = db.get_typed(key, List, read=False)
    if lst is None:
        return OK
    removed = lst.trim(start, end)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.LIST, b"ltrim", key, db.index)
    if not lst:
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    elif db.watched:
        db.touch_watched(key)
    ks.dirty += removed
    return OK


# -- moves ----------------------------------------------------------------------------------------------


def move_element(db: Any, src_key: bytes, src: List, dst_key: bytes, wherefrom: int, whereto: int) -> bytes:
    """Pop from ``src`` and push onto ``dst_key`` (LMOVE's core). WRONGTYPE, raised before anything
    changes, if the destination holds another type."""
    dst = db.lookup(dst_key)
    if dst is not None and dst.__class__ is not List:
        raise WRONGTYPE
    value = src.popleft() if wherefrom == HEAD else src.pop()
    ks = db.ks
    if dst is None:
        dst = List()
        db.set(dst_key, dst)  # may make the destination ready for other blocked clients
    elif db.watched:
        db.touch_watched(dst_key)
    if whereto == HEAD:
        dst.appendleft(value)
    else:
        dst.append(value)
    if ks.notify_flags:
        ks.emit(ev.LIST, _PUSH_EVENTS[whereto], dst_key, db.index)
    elements_removed(db, src_key, src, _POP_EVENTS[wherefrom], 1)
    return value


def _lmove(c: Any, src_key: bytes, dst_key: bytes, wherefrom: int, whereto: int) -> bytes | None:
    db = c.db
    src = db.get_typed(src_key, List, read=False)
    if src is None:
        return None
    return move_element(db, src_key, src, dst_key, wherefrom, whereto)


@command("lmove", 5, flags="write denyoom", keys=(1, 2, 1), group="list", since="6.2.0",
         summary="Pop an element from one end of a list, push it to one end of another, and return it.",
         complexity="O(1)", syntax="source destination <LEFT | RIGHT> <LEFT | RIGHT>",
         key_specs=[keyspec("RW access delete"), keyspec("RW insert", begin=2)])
def lmove(c: Any, argv: list[bytes]) -> bytes | None:
    wherefrom = _side(argv[3])
    whereto = _side(argv[4])
    return _lmove(c, argv[1], argv[2], wherefrom, whereto)


@command("rpoplpush", 3, flags="write denyoom", keys=(1, 2, 1), group="list", since="1.2.0",
         summary="Pop the last element of a list, push it to the head of another, and return it.",
         complexity="O(1)", syntax="source destination", deprecated_since="6.2.0",
         replaced_by="`LMOVE` with the `RIGHT` and `LEFT` arguments", doc_flags="deprecated",
         key_specs=[keyspec("RW access delete"), keyspec("RW insert", begin=2)])
def rpoplpush(c: Any, argv: list[bytes]) -> bytes | None:
    return _lmove(c, argv[1], argv[2], TAIL, HEAD)


# -- multi-key pops ---------------------------------------------------------------------------------------


def _parse_mpop(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], int, int]:
    """LMPOP/BLMPOP arguments after the timeout: ``numkeys key [key ...] LEFT|RIGHT [COUNT count]``."""
    numkeys = parse_ll(argv[numkeys_at])
    if numkeys is None or numkeys <= 0:
        raise NUMKEYS
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise errors.SYNTAX
    where = _side(argv[where_at])
    count = -1
    j = where_at + 1
    n = len(argv)
    while j < n:
        if count == -1 and argv[j].upper() == b"COUNT" and j + 1 < n:
            j += 1
            count = parse_ll(argv[j])
            if count is None or count <= 0:
                raise COUNT_POSITIVE
        else:
            raise errors.SYNTAX
        j += 1
    return argv[numkeys_at + 1 : where_at], where, 1 if count == -1 else count


def _pop_with_key(db: Any, key: bytes, lst: List, where: int, count: int) -> list:
    values = lst.pop_head(count) if where == HEAD else lst.pop_tail(count)
    elements_removed(db, key, lst, _POP_EVENTS[where], len(values))
    return [key, bulk_array(values)]


@command("lmpop", -4, flags="write", group="list", since="7.0.0",
         summary="Pop elements from the first non-empty list among several keys.",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
         syntax="numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", getkeys=numkeys_positions(1),
         key_specs=[_keynum_spec(1)])
def lmpop(c: Any, argv: list[bytes]) -> Any:
    keys, where, count = _parse_mpop(argv, 1)
    db = c.db
    for key in keys:
        lst = db.get_typed(key, List, read=False)
        if lst:
            return _pop_with_key(db, key, lst, where, count)
    return NULL_ARRAY


# -- blocking -------------------------------------------------------------------------------------------


def _blocking_pop(c: Any, keys: list[bytes], where: int, timeout_arg: bytes, count: int) -> Any:
    """BLPOP/BRPOP (``count`` -1: reply [key, element]) and BLMPOP (reply [key, [elements]])."""
    timeout_ms = parse_timeout(timeout_arg)
    db = c.db
    for key in keys:
        lst = db.get_typed(key, List, read=False)
        if lst:
            if count != -1:
                return _pop_with_key(db, key, lst, where, count)
            value = lst.popleft() if where == HEAD else lst.pop()
            elements_removed(db, key, lst, _POP_EVENTS[where], 1)
            return [key, value]

    def serve(client: Any, key: bytes) -> Any:
        lst = db.peek(key)
        if lst.__class__ is not List or not lst:
            return None
        if count != -1:
            return _pop_with_key(db, key, lst, where, count)
        value = lst.popleft() if where == HEAD else lst.pop()
        elements_removed(db, key, lst, _POP_EVENTS[where], 1)
        return [key, value]

    return c.server.blocking.block(c, db, keys, timeout_ms, serve)


_BPOP_HISTORY = [("6.0.0", "`timeout` is interpreted as a double instead of an integer.")]


@command("blpop", -3, flags="write noscript blocking", keys=(1, -2, 1), group="list", since="2.0.0",
         summary="Pop the first element of the first non-empty list, blocking until one is available.",
         complexity="O(N) where N is the number of provided keys.", syntax="key [key ...] timeout",
         history=_BPOP_HISTORY, key_specs=[keyspec("RW access delete", lastkey=-2)])
def blpop(c: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(c, argv[1:-1], HEAD, argv[-1], -1)


@command("brpop", -3, flags="write noscript blocking", keys=(1, -2, 1), group="list", since="2.0.0",
         summary="Pop the last element of the first non-empty list, blocking until one is available.",
         complexity="O(N) where N is the number of provided keys.", syntax="key [key ...] timeout",
         history=_BPOP_HISTORY, key_specs=[keyspec("RW access delete", lastkey=-2)])
def brpop(c: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(c, argv[1:-1], TAIL, argv[-1], -1)


@command("blmpop", -5, flags="write blocking", group="list", since="7.0.0",
         summary="Pop elements from the first non-empty list among several keys, blocking until one is available.",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
         syntax="timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", getkeys=numkeys_positions(2),
         key_specs=[_keynum_spec(2)])
def blmpop(c: Any, argv: list[bytes]) -> Any:
    keys, where, count = _parse_mpop(argv, 2)
    return _blocking_pop(c, keys, where, argv[1], count)


def _blocking_move(c: Any, src_key: bytes, dst_key: bytes, wherefrom: int, whereto: int, timeout_arg: bytes) -> Any:
    timeout_ms = parse_timeout(timeout_arg)
    db = c.db
    src = db.get_typed(src_key, List, read=False)
    if src is not None:
        return move_element(db, src_key, src, dst_key, wherefrom, whereto)
    blocking = c.server.blocking
    if not blocking.may_block(c):
        return None

    def serve(client: Any, key: bytes) -> Any:
        lst = db.peek(key)
        if lst.__class__ is not List or not lst:
            return None
        try:
            return move_element(db, key, lst, dst_key, wherefrom, whereto)
        except CommandError as e:  # destination of another type: the client is answered with the error
            return e

    return blocking.block(c, db, [src_key], timeout_ms, serve)


@command("blmove", 6, flags="write denyoom noscript blocking", keys=(1, 2, 1), group="list", since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it; block until one is available.",
         complexity="O(1)", syntax="source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout",
         key_specs=[keyspec("RW access delete"), keyspec("RW insert", begin=2)])
def blmove(c: Any, argv: list[bytes]) -> Any:
    wherefrom = _side(argv[3])
    whereto = _side(argv[4])
    return _blocking_move(c, argv[1], argv[2], wherefrom, whereto, argv[5])


@command("brpoplpush", 4, flags="write denyoom noscript blocking", keys=(1, 2, 1), group="list", since="2.2.0",
         summary="Pop the last element of a list, push it to the head of another and return it; block until one "
         "is available.", complexity="O(1)", syntax="source destination timeout",
         history=_BPOP_HISTORY, deprecated_since="6.2.0",
         replaced_by="`BLMOVE` with the `RIGHT` and `LEFT` arguments", doc_flags="deprecated",
         key_specs=[keyspec("RW access delete"), keyspec("RW insert", begin=2)])
def brpoplpush(c: Any, argv: list[bytes]) -> Any:
    return _blocking_move(c, argv[1], argv[2], TAIL, HEAD, argv[3])


# -- CLIENT UNBLOCK (here until the CLIENT module declares it: it only drives server.blocking) ----------------

UNBLOCK_REASON = CommandError("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")


@command("client|unblock", -3, flags="admin noscript loading stale", group="connection", since="5.0.0",
         summary="Unblock a client blocked in a blocking command, as if it timed out or with an error.",
         complexity="O(log N) where N is the number of client connections", syntax="client-id [TIMEOUT | ERROR]")
def client_unblock(c: Any, argv: list[bytes]) -> int:
    if len(argv) > 4:
        raise CommandError(
            f"unknown subcommand or wrong number of arguments for '{errors.arg_text(argv[1])}'. Try CLIENT HELP."
        )
    error = False
    if len(argv) == 4:
        reason = argv[3].upper()
        if reason == b"ERROR":
            error = True
        elif reason != b"TIMEOUT":
            raise UNBLOCK_REASON
    client_id = int_arg(argv[2])
    return 1 if c.server.blocking.unblock(client_id, error) else 0
