"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Bitmaps are strings. A command that writes bits first turns the value into a ``bytearray`` (Redis's
"raw" encoding, as ``dbUnshareStringValue`` does) grown with zero bytes up to the highest bit written,
then edits it in place. The bit arithmetic lives in ``cacheserver.types.bitmap``; this module does the
argument rules, the order of checks of ``bitops.c``, and the keyspace bookkeeping.
"""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.commands.args import int_arg
from cacheserver.commands.spec import command
from cacheserver.commands.strings import keyspec, string_bytes
from cacheserver.errors import CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.database import STRING_TYPES
from cacheserver.numbers import parse_ll
from cacheserver.types import bitmap
from cacheserver.types.bitmap import OVERFLOW_FAIL, OVERFLOW_SAT, OVERFLOW_WRAP

_BIT_ARGUMENT = CommandError("The bit argument must be 1 or 0.")
_BITOP_NOT_ARITY = CommandError("BITOP NOT must be called with a single source key.")
_BITFIELD_TYPE = CommandError(
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
_BITFIELD_OVERFLOW = CommandError("Invalid OVERFLOW type specified")
_BITFIELD_RO_WRITE = CommandError("BITFIELD_RO only supports the GET subcommand")
_OVERFLOW_TYPES = {b"WRAP": OVERFLOW_WRAP, b"SAT": OVERFLOW_SAT, b"FAIL": OVERFLOW_FAIL}
_BITOPS = (b"AND", b"OR", b"XOR", b"NOT")
_M64 = (1 << 64) - 1


def bit_offset(c: Any, arg: bytes, bits: int = 0) -> int:
    """``getBitOffsetFromArgument``: a bit offset below proto-max-bulk-len bytes. With ``bits`` (BITFIELD)
    ``#N`` means N fields of that width."""
    by_field = bits and len(arg) > 1 and arg[0] == 35  # '#'
    v = parse_ll(arg[1:] if by_field else arg)
    if v is None:
        raise errors.BIT_OFFSET
    if by_field:
        v = ((v * bits + (1 << 63)) & _M64) - (1 << 63)  # a C int64 product: it wraps
    if v < 0 or (v >> 3) >= c.server.proto_max_bulk_len:
        raise errors.BIT_OFFSET
    return v


def _string_for_bits(db: Any, key: bytes, max_bit: int) -> tuple[bytearray, bool]:
    """``lookupStringForBitCommand``: the value as a bytearray at least ``max_bit + 1`` bits long, created
    if missing. Returns it and whether it was created or grown."""
    size = (max_bit >> 3) + 1
    v = db.lookup(key)
    if v is None:
        buf = bytearray(size)
        db.set(key, buf, signal=False)  # dbAdd: a change is signalled by the caller, if any
        return buf, True
    cls = v.__class__
    if cls is bytearray:
        buf = v
    elif cls is bytes or cls is int:
        buf = bytearray(string_bytes(v))
        db.data[key] = buf  # a representation change (dbUnshareStringValue): WATCH is told only of changes
    else:
        raise errors.WRONGTYPE
    if len(buf) < size:
        buf.extend(bytes(size - len(buf)))
        return buf, True
    return buf, False


def _modified(db: Any, key: bytes, changes: int) -> None:
    db.signal_modified(key)
    ks = db.ks
    ks.dirty += changes
    if ks.notify_flags:
        ks.emit(ev.STRING, b"setbit", key, db.index)


@command(
    "setbit",
    4,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="bitmap",
    since="2.2.0",
    summary="Set or clear the bit at an offset of a string value (zero-padding it); return the old bit.",
    complexity="O(1)",
    syntax="key offset value",
    key_specs=[keyspec("RW access update")],
)
def setbit(c: Any, argv: list[bytes]) -> int:
    key = argv[1]
    offset = bit_offset(c, argv[2])
    on = parse_ll(argv[3])
    if on is None or on & ~1:
        raise errors.BIT_VALUE
    db = c.db
    buf, grown = _string_for_bits(db, key, offset)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = 1 if buf[byte] & mask else 0
    if grown or old != on:
        if on:
            buf[byte] |= mask
        else:
            buf[byte] &= ~mask & 0xFF
        _modified(db, key, 1)
    return old


@command(
    "getbit",
    3,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="bitmap",
    since="2.2.0",
    summary="Return the bit at an offset of a string value (0 past its end or for a missing key).",
    complexity="O(1)",
    syntax="key offset",
    key_specs=[keyspec("RO access")],
)
def getbit(c: Any, argv: list[bytes]) -> int:
    offset = bit_offset(c, argv[2])
    v = c.db.get_string(argv[1])
    if v is None:
        return 0
    data = string_bytes(v)
    byte = offset >> 3
    if byte >= len(data):
        return 0
    return 1 if data[byte] & (0x80 >> (offset & 7)) else 0


def _unit(arg: bytes) -> bool:
    """BIT or BYTE (any case) -> whether offsets count bits."""
    u = arg.upper()
    if u == b"BIT":
        return True
    if u == b"BYTE":
        return False
    raise errors.SYNTAX


@command(
    "bitcount",
    -2,
    flags="readonly",
    keys=(1, 1, 1),
    group="bitmap",
    since="2.6.0",
    summary="Count the set bits of a string value, optionally within a byte or bit range.",
    complexity="O(N)",
    syntax="key [start end [BYTE | BIT]]",
    history=[("7.0.0", "Added the `BYTE|BIT` option.")],
    key_specs=[keyspec("RO access")],
)
def bitcount(c: Any, argv: list[bytes]) -> int:
    v = c.db.get_string(argv[1])  # Redis 7.0 looks the key up before reading the range
    if v is None:
        return 0
    data = string_bytes(v)
    n = len(argv)
    if n == 2:
        return bitmap.count_bits(data)
    if n == 4 or n == 5:
        start = int_arg(argv[2])
        end = int_arg(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0  # an empty range answers before the unit is read, as in Redis 7.0
        bit_unit = _unit(argv[4]) if n == 5 else False
        return bitmap.count_bits(data, start, end, bit_unit)
    raise errors.SYNTAX


@command(
    "bitpos",
    -3,
    flags="readonly",
    keys=(1, 1, 1),
    group="bitmap",
    since="2.8.7",
    summary="Find the first set or clear bit of a string value, optionally within a byte or bit range.",
    complexity="O(N)",
    syntax="key bit [start [end [BYTE | BIT]]]",
    history=[("7.0.0", "Added the `BYTE|BIT` option.")],
    key_specs=[keyspec("RO access")],
)
def bitpos(c: Any, argv: list[bytes]) -> int:
    bit = int_arg(argv[2])
    if bit != 0 and bit != 1:
        raise _BIT_ARGUMENT
    v = c.db.get_string(argv[1])
    if v is None:
        return -1 if bit else 0  # a missing key is an endless run of zeros
    data = string_bytes(v)
    n = len(argv)
    if n == 3:
        return bitmap.bitpos(data, bit)
    if n <= 6:
        start = int_arg(argv[3])
        bit_unit = _unit(argv[5]) if n == 6 else False
        end = int_arg(argv[4]) if n >= 5 else None
        return bitmap.bitpos(data, bit, start, end, bit_unit)
    raise errors.SYNTAX


@command(
    "bitop",
    -4,
    flags="write denyoom",
    keys=(2, -1, 1),
    group="bitmap",
    since="2.6.0",
    summary="Store the AND, OR, XOR or NOT of string values in a key; return the result's length.",
    complexity="O(N)",
    syntax="operation destkey key [key ...]",
    key_specs=[keyspec("OW update", begin=2), keyspec("RO access", begin=3, lastkey=-1)],
)
def bitop(c: Any, argv: list[bytes]) -> int:
    op = argv[1].upper()
    if op not in _BITOPS:
        raise errors.SYNTAX
    if op == b"NOT" and len(argv) != 4:
        raise _BITOP_NOT_ARITY
    db = c.db
    sources = []
    for i in range(3, len(argv)):
        v = db.lookup_read(argv[i])
        if v is not None and v.__class__ not in STRING_TYPES:
            raise errors.WRONGTYPE
        sources.append(None if v is None else string_bytes(v))
    result = bitmap.bitop(op, sources)
    dest = argv[2]
    ks = db.ks
    if result:
        db.set(dest, result)
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.STRING, b"set", dest, db.index)
    elif db.delete(dest):  # every source empty: no empty string is stored, the key goes
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", dest, db.index)
    return len(result)


_GET, _SET, _INCRBY = 0, 1, 2
_FIELD_OPS = {b"GET": (_GET, 2), b"SET": (_SET, 3), b"INCRBY": (_INCRBY, 3)}
# The spellings clients send, looked up before upper-casing (any other case still matches after it).
_FIELD_OPS_AS_SENT = {**_FIELD_OPS, **{k.lower(): v for k, v in _FIELD_OPS.items()}}
# Every valid type written canonically (i1..i64, u1..u63) -> (signed, bits); others go to _field_type.
_FIELD_TYPES = {b"i%d" % n: (True, n) for n in range(1, 65)} | {b"u%d" % n: (False, n) for n in range(1, 64)}


def _field_type(arg: bytes) -> tuple[bool, int]:
    """``getBitfieldTypeFromArgument``: i1..i64 or u1..u63 -> (signed, bits)."""
    if not arg or arg[0] not in b"iu":
        raise _BITFIELD_TYPE
    signed = arg[0] == 105  # 'i'
    bits = parse_ll(arg[1:])
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise _BITFIELD_TYPE
    return signed, bits


def _bitfield(c: Any, argv: list[bytes], read_only: bool) -> list:
    ops = []
    owtype = OVERFLOW_WRAP
    writes = False
    highest = 0
    n = len(argv)
    j = 2
    while j < n:
        name = argv[j]
        more = n - j - 1
        op = _FIELD_OPS_AS_SENT.get(name)
        if op is None:
            name = name.upper()
            op = _FIELD_OPS.get(name)
        if op is None or more < op[1]:
            if name.upper() == b"OVERFLOW" and more >= 1:
                owtype = _OVERFLOW_TYPES.get(argv[j + 1].upper(), -1)
                if owtype < 0:
                    raise _BITFIELD_OVERFLOW
                j += 2
                continue
            raise errors.SYNTAX
        code = op[0]
        signed, bits = _FIELD_TYPES.get(argv[j + 1]) or _field_type(argv[j + 1])
        offset = bit_offset(c, argv[j + 2], bits)
        value = 0
        if code != _GET:
            writes = True
            highest = max(highest, offset + bits - 1)
            value = int_arg(argv[j + 3])
        ops.append((code, signed, bits, offset, value, owtype))
        j += 3 if code == _GET else 4
    db = c.db
    key = argv[1]
    grown = False
    if not writes:
        v = db.lookup_read(key)
        if v is not None and v.__class__ not in STRING_TYPES:
            raise errors.WRONGTYPE
        data: bytes | bytearray = b"" if v is None else string_bytes(v)
    else:
        if read_only:
            raise _BITFIELD_RO_WRITE
        data, grown = _string_for_bits(db, key, highest)
    replies: list = []
    changes = 0
    for code, signed, bits, offset, value, ow in ops:
        if code == _GET:
            replies.append(bitmap.get_signed(data, offset, bits) if signed else bitmap.get_unsigned(data, offset, bits))
            continue
        if signed:
            old = bitmap.get_signed(data, offset, bits)
            if code == _INCRBY:
                overflow, limit = bitmap.signed_overflow(old, value, bits, ow)
                new = limit if overflow else old + value
                ret = new
            else:
                overflow, limit = bitmap.signed_overflow(value, 0, bits, ow)
                new = limit if overflow else value
                ret = old
        else:
            old = bitmap.get_unsigned(data, offset, bits)
            if code == _INCRBY:
                overflow, limit = bitmap.unsigned_overflow(old, value, bits, ow)
                new = limit if overflow else (old + value) & _M64
                ret = new
            else:
                overflow, limit = bitmap.unsigned_overflow(value & _M64, 0, bits, ow)
                new = limit if overflow else value & _M64
                ret = old
        if overflow and ow == OVERFLOW_FAIL:
            replies.append(None)
            continue
        replies.append(ret)
        bitmap.set_bits(data, offset, bits, new)  # type: ignore[arg-type]
        if grown or old != new:
            changes += 1
    if changes:
        _modified(db, key, changes)
    return replies


@command(
    "bitfield",
    -2,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="bitmap",
    since="3.2.0",
    summary="Read, write and increment integers of any width (1 to 64 bits) at any bit offset of a string.",
    complexity="O(1) for each subcommand specified",
    syntax="key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | "
    "INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] "
    "<SET encoding offset value | INCRBY encoding offset increment> ...]]",
    key_specs=[
        keyspec(
            "RW access update variable_flags", notes="This command allows both access and modification of the key"
        )
    ],
)
def bitfield(c: Any, argv: list[bytes]) -> list:
    return _bitfield(c, argv, False)


@command(
    "bitfield_ro",
    -2,
    flags="readonly fast",
    keys=(1, 1, 1),
    group="bitmap",
    since="6.0.0",
    summary="Read integers of any width at any bit offset of a string (BITFIELD limited to GET).",
    complexity="O(1) for each subcommand specified",
    syntax="key [GET encoding offset [GET encoding offset ...]]",
    key_specs=[keyspec("RO access")],
)
def bitfield_ro(c: Any, argv: list[bytes]) -> list:
    return _bitfield(c, argv, True)
