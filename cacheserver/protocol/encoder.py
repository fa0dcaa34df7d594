"""Reply values -> RESP2 or RESP3 bytes, appended to one output buffer per read batch.

Dispatch is on ``type(value)`` through a dict per protocol version (see ``replies`` for the mapping);
subclasses of the known types are resolved once and cached in the table. This module imports nothing
of the server; ``errors`` only for the error type.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from cacheserver.errors import CommandError
from cacheserver.numbers import format_double
from cacheserver.protocol.replies import (
    BigNumber,
    Dual,
    Map,
    NoReply,
    Push,
    Raw,
    SetReply,
    Verbatim,
)

Encoder = Callable[[bytearray, Any, dict], None]

SMALL_INTS = [b":%d\r\n" % i for i in range(0, 1024)]
# "\r\n$<n>\r\n": the end of one bulk string and the header of the next, for lengths below 1024;
# BULK_HEADERS[n] is "$<n>\r\n" alone. Three appends with a header from the table cost less than
# formatting the header and the payload together.
BULK_SEPARATORS = [b"\r\n$%d\r\n" % n for n in range(1024)]
BULK_HEADERS = [sep[2:] for sep in BULK_SEPARATORS]


def _bulk(out: bytearray, v: bytes, t: dict) -> None:
    n = len(v)
    out += BULK_HEADERS[n] if n < 1024 else b"$%d\r\n" % n
    out += v
    out += b"\r\n"


def bulk_array(items: list[bytes]) -> Raw:
    """An array of plain ``bytes`` encoded at once (the same bytes in RESP2 and RESP3), for replies
    whose items are known to be bytes (LRANGE, SMEMBERS...): the generic encoder's per-item dispatch
    and header formatting dominate those otherwise.

    The reply is one join over [``*<count>``, sep, item, sep, item, ..., ``\r\n``] whose separators
    come from a table by each item's length, so the per-item work runs in C (map, slice assignment,
    join) rather than in a Python loop."""
    n = len(items)
    if not n:
        return _EMPTY_ARRAY
    lens = list(map(len, items))
    size = lens[0]
    if size < 1024 and lens.count(size) == n:
        # Items of one length (a queue of IDs, fixed-size records) share one separator: one join.
        sep = BULK_SEPARATORS[size]
        return Raw(b"".join((b"*%d" % n, sep, sep.join(items), b"\r\n")))
    parts: list[bytes] = [b""] * (2 * n + 2)
    parts[0] = b"*%d" % n
    try:
        parts[1:-1:2] = itemgetter(*lens)(BULK_SEPARATORS)  # n > 1 here: a tuple
    except IndexError:  # an item of 1024 bytes or more: format the headers one by one
        parts[1:-1:2] = [b"\r\n$%d\r\n" % size for size in lens]
    parts[2:-1:2] = items
    parts[-1] = b"\r\n"
    return Raw(b"".join(parts))


_EMPTY_ARRAY = Raw(b"*0\r\n")


def _int(out: bytearray, v: int, t: dict) -> None:
    if 0 <= v < 1024:
        out += SMALL_INTS[v]
    else:
        out += b":%d\r\n" % v


def _simple(out: bytearray, v: str, t: dict) -> None:
    out += b"+" + v.encode("utf-8", "surrogateescape") + b"\r\n"


def _raw(out: bytearray, v: bytes, t: dict) -> None:
    out += v


def _error(out: bytearray, v: CommandError, t: dict) -> None:
    out += v.encoded()


def _noreply(out: bytearray, v: NoReply, t: dict) -> None:
    pass


def _array(out: bytearray, v: list, t: dict) -> None:
    out += b"*%d\r\n" % len(v)
    get = t.get
    for item in v:
        f = get(item.__class__)
        if f is None:
            f = _resolve(item.__class__, t)
        f(out, item, t)


def _aggregate(prefix: bytes) -> Encoder:
    def enc(out: bytearray, v: list, t: dict) -> None:
        out += prefix + b"%d\r\n" % len(v)
        get = t.get
        for item in v:
            f = get(item.__class__)
            if f is None:
                f = _resolve(item.__class__, t)
            f(out, item, t)

    return enc


def _pairs(v: dict | Map):
    return v.pairs if v.__class__ is Map else v.items()


def _map2(out: bytearray, v: dict | Map, t: dict) -> None:
    pairs = _pairs(v)
    out += b"*%d\r\n" % (2 * len(pairs))
    for k, item in pairs:
        encode_into(out, k, t)
        encode_into(out, item, t)


def _map3(out: bytearray, v: dict | Map, t: dict) -> None:
    pairs = _pairs(v)
    out += b"%%%d\r\n" % len(pairs)
    for k, item in pairs:
        encode_into(out, k, t)
        encode_into(out, item, t)


def _none2(out: bytearray, v: None, t: dict) -> None:
    out += b"$-1\r\n"


def _none3(out: bytearray, v: None, t: dict) -> None:
    out += b"_\r\n"


def _bool2(out: bytearray, v: bool, t: dict) -> None:
    out += b":1\r\n" if v else b":0\r\n"


def _bool3(out: bytearray, v: bool, t: dict) -> None:
    out += b"#t\r\n" if v else b"#f\r\n"


def _double2(out: bytearray, v: float, t: dict) -> None:
    _bulk(out, format_double(v), t)


def _double3(out: bytearray, v: float, t: dict) -> None:
    out += b"," + format_double(v) + b"\r\n"


def _dual2(out: bytearray, v: Dual, t: dict) -> None:
    out += v.resp2


def _dual3(out: bytearray, v: Dual, t: dict) -> None:
    out += v.resp3


def _verbatim2(out: bytearray, v: Verbatim, t: dict) -> None:
    _bulk(out, v.text, t)


def _verbatim3(out: bytearray, v: Verbatim, t: dict) -> None:
    body = v.fmt + b":" + v.text
    out += b"=%d\r\n" % len(body) + body + b"\r\n"


def _bignum2(out: bytearray, v: BigNumber, t: dict) -> None:
    _bulk(out, b"%d" % v.value, t)


def _bignum3(out: bytearray, v: BigNumber, t: dict) -> None:
    out += b"(%d\r\n" % v.value


_COMMON: dict[type, Encoder] = {
    bytes: _bulk,
    bytearray: _bulk,
    memoryview: lambda out, v, t: _bulk(out, bytes(v), t),
    int: _int,
    str: _simple,
    Raw: _raw,
    CommandError: _error,
    NoReply: _noreply,
    list: _array,
    tuple: _array,
}

RESP2: dict[type, Encoder] = {
    **_COMMON,
    type(None): _none2,
    bool: _bool2,
    float: _double2,
    dict: _map2,
    Map: _map2,
    SetReply: _array,
    Push: _array,
    Dual: _dual2,
    Verbatim: _verbatim2,
    BigNumber: _bignum2,
}

RESP3: dict[type, Encoder] = {
    **_COMMON,
    type(None): _none3,
    bool: _bool3,
    float: _double3,
    dict: _map3,
    Map: _map3,
    SetReply: _aggregate(b"~"),
    Push: _aggregate(b">"),
    Dual: _dual3,
    Verbatim: _verbatim3,
    BigNumber: _bignum3,
}


def _resolve(cls: type, table: dict) -> Encoder:
    """Find the encoder of a subclass (an error subclass, an IntEnum) and remember it."""
    for base in cls.__mro__[1:]:
        f = table.get(base)
        if f is not None:
            table[cls] = f
            return f
    raise TypeError(f"no RESP encoding for {cls.__name__}")


def encode_into(out: bytearray, value: Any, table: dict) -> None:
    f = table.get(value.__class__)
    if f is None:
        f = _resolve(value.__class__, table)
    f(out, value, table)


def encode(value: Any, resp: int = 2) -> bytes:
    """Encode one value to bytes (tests and cold paths; the connection uses ``encode_into``)."""
    out = bytearray()
    encode_into(out, value, RESP3 if resp == 3 else RESP2)
    return bytes(out)
