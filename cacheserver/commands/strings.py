"""String commands: GET/SET and their variants, counters, ranges, MGET/MSET and LCS.

Values are stored as ``bytes`` (as the client sent them), ``bytearray`` once modified in place (APPEND,
SETRANGE: Redis's "raw" encoding) or ``int`` (results of INCR and friends, printed on the way out).
A ``bytearray`` is never handed out as a reply: a later in-place write (inside the same MULTI, say)
would change a reply not yet encoded, so readers copy it to ``bytes``.

Order of checks follows ``t_string.c`` exactly (argument parsing, key lookup, type check, range
checks), because which error wins is visible to clients.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.errors import CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.database import STRING_TYPES
from cacheserver.numbers import (
    LLONG_MAX,
    LLONG_MIN,
    format_long_double_human,
    parse_ll,
    parse_long_double,
    round_long_double,
)
from cacheserver.protocol.replies import OK
from cacheserver.types.bitmap import LcsTable, clamp_range

_DECREMENT_OVERFLOW = CommandError("decrement would overflow")
_LCS_WRONGTYPE = CommandError("The specified keys must contain string values")
_LCS_LEN_AND_IDX = CommandError("If you want both the length and indexes, please just use IDX.")
_LCS_TOO_LONG = CommandError("String too long for LCS")
_LCS_TOO_BIG = CommandError("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
_UINT32_MAX = (1 << 32) - 1


def keyspec(flags: str, begin: int = 1, lastkey: int = 0, keystep: int = 1, notes: str = "") -> dict:
    """A key spec as COMMAND INFO shows it: keys found by index ``begin`` then a range."""
    spec: dict = {}
    if notes:
        spec["notes"] = notes
    spec["flags"] = flags.split()
    spec["begin_search"] = {"type": "index", "spec": {"index": begin}}
    spec["find_keys"] = {"type": "range", "spec": {"lastkey": lastkey, "keystep": keystep, "limit": 0}}
    return spec


def string_reply(v: bytes | bytearray | int | None) -> bytes | None:
    """A stored string as a bulk reply (integers are kept as ints and printed on the way out)."""
    cls = v.__class__
    if cls is int:
        return b"%d" % v  # type: ignore[str-format]
    if cls is bytearray:
        return bytes(v)  # type: ignore[arg-type]
    return v  # type: ignore[return-value]


def string_bytes(v: bytes | bytearray | int) -> bytes | bytearray:
    """The text of a stored string (an int-encoded value as its decimal digits), not copied."""
    return b"%d" % v if v.__class__ is int else v  # type: ignore[return-value]


def check_string_length(c: Any, size: int, append: int) -> None:
    """``checkStringLength``: the resulting string may not exceed proto-max-bulk-len."""
    if size + append > c.server.proto_max_bulk_len:
        raise errors.STRING_TOO_LONG


# -- GET / SET family --------------------------------------------------------------------------------


@command(
    "get",
    2,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="string",
    summary="Return the string value of a key.",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RO access")],
)
def get(c: Any, argv: list[bytes]) -> Any:
    v = c.db.get_string(argv[1])
    cls = v.__class__
    if cls is bytes or v is None:
        return v
    if cls is int:
        return b"%d" % v
    return bytes(v)  # a bytearray (APPEND, SETRANGE): the reply must not alias the stored value


_NX, _XX, _GET, _KEEPTTL = 1, 2, 4, 8
_EX, _PX, _EXAT, _PXAT, _PERSIST = 16, 32, 64, 128, 256
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT
_SET_OPTIONS = {
    b"NX": _NX,
    b"XX": _XX,
    b"GET": _GET,
    b"KEEPTTL": _KEEPTTL,
    b"EX": _EX,
    b"PX": _PX,
    b"EXAT": _EXAT,
    b"PXAT": _PXAT,
}
_GETEX_OPTIONS = {b"EX": _EX, b"PX": _PX, b"EXAT": _EXAT, b"PXAT": _PXAT, b"PERSIST": _PERSIST}


def parse_set_options(argv: list[bytes], table: dict[bytes, int]) -> tuple[int, bytes]:
    """``parseExtendedStringArgumentsOrReply`` for SET (``_SET_OPTIONS``) and GETEX (``_GETEX_OPTIONS``):
    returns (flags, expire argument). Repeating an option is allowed, conflicting ones are a syntax
    error, exactly as in Redis (``EX 1 EX 2`` is fine, ``EX 1 PX 2`` is not)."""
    flags = 0
    expire_arg = b""
    i = 3 if table is _SET_OPTIONS else 2
    n = len(argv)
    while i < n:
        opt = table.get(argv[i].upper(), 0)
        if opt == _NX and not flags & _XX:
            flags |= _NX
        elif opt == _XX and not flags & _NX:
            flags |= _XX
        elif opt == _GET:
            flags |= _GET
        elif opt == _KEEPTTL and not flags & (_ANY_EXPIRE | _PERSIST):
            flags |= _KEEPTTL
        elif opt == _PERSIST and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif opt & _ANY_EXPIRE and not flags & (_KEEPTTL | _PERSIST | (_ANY_EXPIRE & ~opt)) and i + 1 < n:
            flags |= opt
            i += 1
            expire_arg = argv[i]
        else:
            raise errors.SYNTAX
        i += 1
    return flags, expire_arg


def expire_deadline(c: Any, arg: bytes, unit_flag: int, command_name: str) -> int:
    """An EX/PX/EXAT/PXAT argument -> absolute deadline in ms, with Redis's checks and errors."""
    ms = parse_ll(arg)
    if ms is None:
        raise errors.NOT_INTEGER
    if ms <= 0 or (unit_flag & (_EX | _EXAT) and ms > LLONG_MAX // 1000):
        raise errors.invalid_expire(command_name)
    if unit_flag & (_EX | _EXAT):
        ms *= 1000
    if unit_flag & (_EX | _PX):
        ms += c.server.clock.now_ms
    if ms > LLONG_MAX:
        raise errors.invalid_expire(command_name)
    return ms


def _set_with_expire(c: Any, key: bytes, value: bytes, deadline: int, keep_ttl: bool = False) -> None:
    """``setKey`` + notifications, then the deadline if any (SET, SETEX, PSETEX)."""
    db = c.db
    db.set(key, value, keep_ttl=keep_ttl)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"set", key, db.index)
    if deadline:
        db.set_expire(key, deadline)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"expire", key, db.index)


@command(
    "set",
    -3,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="string",
    summary="Set the string value of a key, optionally only if it exists or not, with a TTL.",
    complexity="O(1)",
    syntax="key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
    "PXAT unix-time-milliseconds | KEEPTTL]",
    history=[
        ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
        ("6.0.0", "Added the `KEEPTTL` option."),
        ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
        ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
    ],
    key_specs=[keyspec("RW access update variable_flags", notes="RW and ACCESS due to the optional `GET` argument")],
)
def set_(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    if len(argv) == 3:
        db.set(key, argv[2])
        ks = db.ks
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.STRING, b"set", key, db.index)
        return OK
    flags, expire_arg = parse_set_options(argv, _SET_OPTIONS)
    deadline = expire_deadline(c, expire_arg, flags, "set") if flags & _ANY_EXPIRE else 0
    if flags & _GET:
        old = string_reply(db.get_string(key))
        found = old is not None or db.exists(key)
    else:
        old = None
        found = db.lookup(key) is not None
    if (flags & _NX and found) or (flags & _XX and not found):
        return old
    _set_with_expire(c, key, argv[2], deadline, keep_ttl=bool(flags & _KEEPTTL))
    return old if flags & _GET else OK


@command(
    "setnx",
    3,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    summary="Set the string value of a key only if the key does not exist.",
    complexity="O(1)",
    syntax="key value",
    key_specs=[keyspec("OW insert")],
)
def setnx(c: Any, argv: list[bytes]) -> int:
    if c.db.lookup(argv[1]) is not None:
        return 0
    _set_with_expire(c, argv[1], argv[2], 0)
    return 1


@command(
    "setex",
    4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.0.0",
    summary="Set the string value and the time to live in seconds of a key.",
    complexity="O(1)",
    syntax="key seconds value",
    key_specs=[keyspec("OW update")],
)
def setex(c: Any, argv: list[bytes]) -> Any:
    _set_with_expire(c, argv[1], argv[3], expire_deadline(c, argv[2], _EX, "setex"))
    return OK


@command(
    "psetex",
    4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.6.0",
    summary="Set the string value and the time to live in milliseconds of a key.",
    complexity="O(1)",
    syntax="key milliseconds value",
    key_specs=[keyspec("OW update")],
)
def psetex(c: Any, argv: list[bytes]) -> Any:
    _set_with_expire(c, argv[1], argv[3], expire_deadline(c, argv[2], _PX, "psetex"))
    return OK


@command(
    "getex",
    -2,
    flags="write fast",
    keys=(1, 1, 1),
    group="string",
    since="6.2.0",
    summary="Return the string value of a key and optionally change or remove its time to live.",
    complexity="O(1)",
    syntax="key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
    key_specs=[keyspec("RW access update", notes="RW and UPDATE because it changes the TTL")],
)
def getex(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    flags, expire_arg = parse_set_options(argv, _GETEX_OPTIONS)
    db = c.db
    v = db.get_string(key)
    if v is None:
        return None
    deadline = expire_deadline(c, expire_arg, flags, "getex") if flags & _ANY_EXPIRE else 0
    reply = string_reply(v)
    ks = db.ks
    if flags & (_EXAT | _PXAT) and deadline <= c.server.clock.now_ms:
        db.delete(key)  # an absolute time already past: the key goes now, as DEL
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
    elif deadline:
        db.set_expire(key, deadline)
        db.signal_modified(key)
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"expire", key, db.index)
    elif flags & _PERSIST and db.persist(key):
        db.signal_modified(key)
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"persist", key, db.index)
    return reply


@command(
    "getdel",
    2,
    flags="write fast",
    keys=(1, 1, 1),
    group="string",
    since="6.2.0",
    summary="Return the string value of a key and delete the key.",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RW access delete")],
)
def getdel(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    v = db.get_string(key)
    if v is None:
        return None
    db.delete(key)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"del", key, db.index)
    return string_reply(v)


@command(
    "getset",
    3,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    summary="Set the string value of a key and return its previous value.",
    complexity="O(1)",
    syntax="key value",
    key_specs=[keyspec("RW access update")],
    doc_flags="deprecated",
    deprecated_since="6.2.0",
    replaced_by="`SET` with the `!GET` argument",
)
def getset(c: Any, argv: list[bytes]) -> Any:
    old = string_reply(c.db.get_string(argv[1]))
    _set_with_expire(c, argv[1], argv[2], 0)
    return old


# -- multiple keys -----------------------------------------------------------------------------------


@command(
    "mget",
    -2,
    flags="readonly fast",
    keys=(1, -1, 1),
    group="string",
    summary="Return the string values of several keys (nil for a missing key or another type).",
    complexity="O(N) where N is the number of keys to retrieve.",
    syntax="key [key ...]",
    tips="request_policy:multi_shard",
    key_specs=[keyspec("RO access", lastkey=-1)],
)
def mget(c: Any, argv: list[bytes]) -> list:
    lookup_read = c.db.lookup_read
    out = []
    append = out.append
    for i in range(1, len(argv)):
        v = lookup_read(argv[i])
        cls = v.__class__
        if cls is bytes:
            append(v)
        elif cls is int:
            append(b"%d" % v)
        elif cls is bytearray:
            append(bytes(v))
        else:
            append(None)  # missing, or not a string: MGET never fails on a type
    return out


def _set_pairs(db: Any, argv: list[bytes]) -> None:
    """Store each key/value pair of ``argv[1:]`` as SET would (MSET, MSETNX)."""
    ks = db.ks
    n = len(argv)
    if ks.notify_flags & ev.STRING:
        set_key = db.set
        for i in range(1, n, 2):
            set_key(argv[i], argv[i + 1])
            ks.emit(ev.STRING, b"set", argv[i], db.index)
    else:
        db.set_pairs(argv)
    ks.dirty += n >> 1


@command(
    "mset",
    -3,
    flags="write denyoom",
    keys=(1, -1, 2),
    group="string",
    since="1.0.1",
    summary="Set several keys to several string values.",
    complexity="O(N) where N is the number of keys to set.",
    syntax="key value [key value ...]",
    tips="request_policy:multi_shard response_policy:all_succeeded",
    key_specs=[keyspec("OW update", lastkey=-1, keystep=2)],
)
def mset(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if not n & 1:
        raise errors.wrong_arity("mset")
    _set_pairs(c.db, argv)
    return OK


@command(
    "msetnx",
    -3,
    flags="write denyoom",
    keys=(1, -1, 2),
    group="string",
    since="1.0.1",
    summary="Set several keys to several string values, only if none of the keys exists.",
    complexity="O(N) where N is the number of keys to set.",
    syntax="key value [key value ...]",
    tips="request_policy:multi_shard response_policy:agg_min",
    key_specs=[keyspec("OW insert", lastkey=-1, keystep=2)],
)
def msetnx(c: Any, argv: list[bytes]) -> int:
    n = len(argv)
    if not n & 1:
        raise errors.wrong_arity("msetnx")
    db = c.db
    for i in range(1, n, 2):
        if db.lookup(argv[i]) is not None:
            return 0
    _set_pairs(db, argv)
    return 1


# -- in-place edits ----------------------------------------------------------------------------------


@command(
    "append",
    3,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="2.0.0",
    summary="Append a string to the value of a key (creating it if missing); return the new length.",
    complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
    "already present value is of any size, since the dynamic string library used by Redis will double the "
    "free space available on every reallocation.",
    syntax="key value",
    key_specs=[keyspec("RW insert")],
)
def append(c: Any, argv: list[bytes]) -> int:
    key, tail = argv[1], argv[2]
    db = c.db
    v = db.lookup(key)
    if v is None:
        db.set(key, tail)
        total = len(tail)
    else:
        cls = v.__class__
        if cls is bytearray:
            check_string_length(c, len(v), len(tail))
            v += tail
            db.signal_modified(key)
        elif cls is bytes or cls is int:
            text = string_bytes(v)
            check_string_length(c, len(text), len(tail))
            v = bytearray(text)
            v += tail
            db.replace_value(key, v)
        else:
            raise errors.WRONGTYPE
        total = len(v)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"append", key, db.index)
    return total


@command(
    "strlen",
    2,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="string",
    since="2.2.0",
    summary="Return the length of the string value of a key (0 if missing).",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RO")],
)
def strlen(c: Any, argv: list[bytes]) -> int:
    v = c.db.get_string(argv[1])
    if v is None:
        return 0
    return len(string_bytes(v))


def _range_args(argv: list[bytes]) -> tuple[int, int]:
    start = parse_ll(argv[2])
    end = parse_ll(argv[3])
    if start is None or end is None:
        raise errors.NOT_INTEGER
    return start, end


@command(
    "getrange",
    4,
    flags="readonly",
    keys=(1, 1, 1),
    group="string",
    since="2.4.0",
    summary="Return a substring of the string value of a key, by inclusive byte offsets.",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined by "
    "the returned length, but because creating a substring from an existing string is very cheap, it can be "
    "considered O(1) for small strings.",
    syntax="key start end",
    key_specs=[keyspec("RO access")],
)
def getrange(c: Any, argv: list[bytes]) -> bytes:
    start, end = _range_args(argv)
    v = c.db.get_string(argv[1])
    if v is None:
        return b""
    if start < 0 and end < 0 and start > end:
        return b""
    text = string_bytes(v)
    start, end = clamp_range(start, end, len(text))
    if start > end:
        return b""
    return bytes(text[start : end + 1])


@command(
    "substr",
    4,
    flags="readonly",
    keys=(1, 1, 1),
    group="string",
    summary="Return a substring of the string value of a key (the old name of GETRANGE).",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined by "
    "the returned length, but because creating a substring from an existing string is very cheap, it can be "
    "considered O(1) for small strings.",
    syntax="key start end",
    key_specs=[keyspec("RO access")],
    doc_flags="deprecated",
    deprecated_since="2.0.0",
    replaced_by="`GETRANGE`",
)
def substr(c: Any, argv: list[bytes]) -> bytes:
    return getrange(c, argv)


@command(
    "setrange",
    4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.2.0",
    summary="Overwrite part of a string value from a byte offset, zero-padding as needed; return the new length.",
    complexity="O(1), not counting the time taken to copy the new string in place. Usually, this string is "
    "very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length "
    "of the value argument.",
    syntax="key offset value",
    key_specs=[keyspec("RW update")],
)
def setrange(c: Any, argv: list[bytes]) -> int:
    key, value = argv[1], argv[3]
    offset = parse_ll(argv[2])
    if offset is None:
        raise errors.NOT_INTEGER
    if offset < 0:
        raise errors.OFFSET_OUT_OF_RANGE
    db = c.db
    v = db.lookup(key)
    end = offset + len(value)
    if v is None:
        if not value:
            return 0
        check_string_length(c, offset, len(value))
        buf = bytearray(end)
        buf[offset:] = value
        db.set(key, buf)
    else:
        cls = v.__class__
        if cls not in STRING_TYPES:
            raise errors.WRONGTYPE
        if not value:
            return len(string_bytes(v))
        check_string_length(c, offset, len(value))
        if cls is bytearray:
            buf = v
        else:
            buf = bytearray(string_bytes(v))
            db.replace_value(key, buf)
        if len(buf) < end:
            buf.extend(bytes(end - len(buf)))
        buf[offset:end] = value
        db.signal_modified(key)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"setrange", key, db.index)
    return len(buf)


# -- counters ----------------------------------------------------------------------------------------


def incr_by(c: Any, key: bytes, incr: int) -> int:
    """``incrDecrCommand``: the stored integer becomes an ``int``; the TTL is kept."""
    db = c.db
    new = db.incr_by(key, incr)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"incrby", key, db.index)
    return new


_COUNTER = dict(flags="write denyoom fast", keys=(1, 1, 1), group="string", complexity="O(1)")
_COUNTER_KEYS = [keyspec("RW access update")]


@command("incr", 2, summary="Add one to the integer value of a key (0 if missing).", syntax="key",
         key_specs=_COUNTER_KEYS, **_COUNTER)  # fmt: skip
def incr(c: Any, argv: list[bytes]) -> int:
    # incr_by written out: INCR is the counter everyone benchmarks
    key = argv[1]
    db = c.db
    new = db.incr_by(key, 1)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"incrby", key, db.index)
    return new


@command("decr", 2, summary="Subtract one from the integer value of a key (0 if missing).", syntax="key",
         key_specs=_COUNTER_KEYS, **_COUNTER)  # fmt: skip
def decr(c: Any, argv: list[bytes]) -> int:
    return incr_by(c, argv[1], -1)


@command("incrby", 3, summary="Add an integer to the integer value of a key (0 if missing).",
         syntax="key increment", key_specs=_COUNTER_KEYS, **_COUNTER)  # fmt: skip
def incrby(c: Any, argv: list[bytes]) -> int:
    n = parse_ll(argv[2])
    if n is None:
        raise errors.NOT_INTEGER
    return incr_by(c, argv[1], n)


@command("decrby", 3, summary="Subtract an integer from the integer value of a key (0 if missing).",
         syntax="key decrement", key_specs=_COUNTER_KEYS, **_COUNTER)  # fmt: skip
def decrby(c: Any, argv: list[bytes]) -> int:
    n = parse_ll(argv[2])
    if n is None:
        raise errors.NOT_INTEGER
    if n == LLONG_MIN:
        raise _DECREMENT_OVERFLOW  # its negation does not fit in 64 bits
    return incr_by(c, argv[1], -n)


@command(
    "incrbyfloat",
    3,
    since="2.6.0",
    summary="Add a floating point number to the value of a key (0 if missing); return the new value.",
    syntax="key increment",
    key_specs=_COUNTER_KEYS,
    **_COUNTER,
)
def incrbyfloat(c: Any, argv: list[bytes]) -> bytes:
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    if v is None:
        current: Fraction | float | None = Fraction(0)
    elif v.__class__ is int:
        current = Fraction(v)
    elif v.__class__ in STRING_TYPES:
        current = parse_long_double(v)
    else:
        raise errors.WRONGTYPE
    if current is None:
        raise errors.NOT_FLOAT
    increment = parse_long_double(argv[2])
    if increment is None:
        raise errors.NOT_FLOAT
    if current.__class__ is float or increment.__class__ is float:
        raise errors.NAN_OR_INF  # an infinite operand: the sum is infinite or NaN
    total = round_long_double(current + increment)  # type: ignore[operator]
    if total is None:
        raise errors.NAN_OR_INF
    text = format_long_double_human(total)
    if v is None:
        db.set(key, text)
    else:
        db.replace_value(key, text)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"incrbyfloat", key, db.index)
    return text


# -- LCS ---------------------------------------------------------------------------------------------


@command(
    "lcs",
    -3,
    flags="readonly",
    keys=(1, 2, 1),
    group="string",
    since="7.0.0",
    summary="Find the longest common subsequence of the string values of two keys.",
    complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
    syntax="key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]",
    key_specs=[keyspec("RO access", lastkey=1)],
)
def lcs(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    va = db.lookup_read(argv[1])
    vb = db.lookup_read(argv[2])
    if (va is not None and va.__class__ not in STRING_TYPES) or (vb is not None and vb.__class__ not in STRING_TYPES):
        raise _LCS_WRONGTYPE
    a = b"" if va is None else bytes(string_bytes(va))
    b = b"" if vb is None else bytes(string_bytes(vb))
    get_len = get_idx = with_match_len = False
    min_match_len = 0
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        if opt == b"IDX":
            get_idx = True
        elif opt == b"LEN":
            get_len = True
        elif opt == b"WITHMATCHLEN":
            with_match_len = True
        elif opt == b"MINMATCHLEN" and i + 1 < n:
            min_match_len = parse_ll(argv[i + 1])
            if min_match_len is None:
                raise errors.NOT_INTEGER
            if min_match_len < 0:
                min_match_len = 0
            i += 1
        else:
            raise errors.SYNTAX
        i += 1
    if get_idx and get_len:
        raise _LCS_LEN_AND_IDX
    if len(a) >= _UINT32_MAX - 1 or len(b) >= _UINT32_MAX - 1:
        raise _LCS_TOO_LONG
    if (len(a) + 1) * (len(b) + 1) * 4 > c.server.proto_max_bulk_len:
        raise _LCS_TOO_BIG  # Redis's table would be this big: refuse as Redis does
    if get_len:
        return LcsTable(a, b, keep_rows=False).length
    table = LcsTable(a, b)
    text, ranges = table.walk()
    if not get_idx:
        return text
    matches = []
    for a_start, a_end, b_start, b_end in ranges:
        match_len = a_end - a_start + 1
        if min_match_len and match_len < min_match_len:
            continue
        item: list = [[a_start, a_end], [b_start, b_end]]
        if with_match_len:
            item.append(match_len)
        matches.append(item)
    return {b"matches": matches, b"len": table.length}
