"""String commands: GET, SET and friends."""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import LLONG_MAX, parse_ll
from cacheserver.protocol.replies import OK


def string_reply(v: bytes | bytearray | int | None) -> bytes | bytearray | None:
    """A stored string as a bulk reply (integers are kept as ints and printed on the way out)."""
    if v.__class__ is int:
        return b"%d" % v  # type: ignore[str-format]
    return v  # type: ignore[return-value]


@command(
    "get",
    2,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="string",
    summary="Return the string value of a key.",
    complexity="O(1)",
    syntax="key",
)
def get(c: Any, argv: list[bytes]) -> Any:
    v = c.db.get_string(argv[1])
    if v.__class__ is int:
        return b"%d" % v
    return v


_NX, _XX, _GET, _KEEPTTL = 1, 2, 4, 8
_EX, _PX, _EXAT, _PXAT = 16, 32, 64, 128
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
)
def set_(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    if len(argv) == 3:
        db.set(key, argv[2])
        db.ks.dirty += 1
        if db.ks.notify_flags:
            db.ks.emit(ev.STRING, b"set", key, db.index)
        return OK
    flags = 0
    expire_arg = b""
    i = 3
    n = len(argv)
    while i < n:
        opt = _SET_OPTIONS.get(argv[i].upper(), 0)
        if opt == _NX and not flags & _XX:
            flags |= _NX
        elif opt == _XX and not flags & _NX:
            flags |= _XX
        elif opt == _GET:
            flags |= _GET
        elif opt == _KEEPTTL and not flags & _ANY_EXPIRE:
            flags |= _KEEPTTL
        elif opt & _ANY_EXPIRE and not flags & (_KEEPTTL | _ANY_EXPIRE) and i + 1 < n:
            flags |= opt
            i += 1
            expire_arg = argv[i]
        else:
            raise errors.SYNTAX
        i += 1
    deadline = expire_deadline(c, expire_arg, flags, "set") if flags & _ANY_EXPIRE else 0
    old = None
    if flags & _GET:
        old = string_reply(db.get_string(key))
    found = db.lookup(key) is not None if not flags & _GET else old is not None or db.exists(key)
    if (flags & _NX and found) or (flags & _XX and not found):
        return old if flags & _GET else None
    db.set(key, argv[2], keep_ttl=bool(flags & _KEEPTTL))
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.STRING, b"set", key, db.index)
    if deadline:
        db.set_expire(key, deadline)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"expire", key, db.index)
    return old if flags & _GET else OK
