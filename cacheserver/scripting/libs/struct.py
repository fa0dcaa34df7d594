"""struct (lua_struct as Redis 7.0 ships it in deps/lua/src/lua_struct.c): pack, unpack and size.

A transcription of the C library's semantics on the platform Redis runs on (x86-64, little endian,
64-bit ``long`` and ``size_t``, 4-byte ``int``, 8-byte maximum alignment): its arithmetic on
``size_t`` wraps at 2^64, its double-to-integer casts behave as the x86-64 conversion instructions do,
and its format is a C string (it ends at the first NUL byte). Arguments are read the way Lua 5.1's
auxiliary library reads them (luaL_checknumber, luaL_checklstring, luaL_optinteger), with the same
error texts.
"""

from __future__ import annotations

import ctypes
import re
import struct as pystruct
from typing import Any

from cacheserver.scripting.libs.common import LuaError, lua_type, strtod_nan

_U64 = (1 << 64) - 1
_I64_MIN = -(1 << 63)
_TWO63 = 1 << 63
_TWO64 = 1 << 64
_INT_MAX = (1 << 31) - 1

_MAXINTSIZE = 32  # largest size of an ``i``/``I`` item
_MAXALIGN = 8  # what a bare ``!`` sets: the alignment of a double inside a struct
_SIZEOF_INT = 4
_MAXCSTACK = 8000  # LUAI_MAXCSTACK: unpack's results live on the C function's stack

_BIG, _LITTLE = 0, 1
_NATIVE = _LITTLE

# Fixed sizes (optsize); ``c``, ``i`` and ``I`` read a number, everything else has size 0.
_FIXED = {
    ord("B"): 1,
    ord("b"): 1,
    ord("H"): 2,
    ord("h"): 2,
    ord("L"): 8,
    ord("l"): 8,
    ord("T"): 8,
    ord("f"): 4,
    ord("d"): 8,
    ord("x"): 1,
}
_INTEGERS = frozenset(b"bBhHlLTiI")
_C, _S, _X, _F, _D = ord("c"), ord("s"), ord("x"), ord("f"), ord("d")
_DIGITS = frozenset(b"0123456789")
_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# What glibc's strtod accepts as a prefix (after C isspace), as lua_tonumber's luaO_str2d uses it.
_SPACE = b" \t\n\v\f\r"
_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:"
    rb"0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|((?i:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)))"
)


# -- Lua's argument checks ---------------------------------------------------------------------------


def _typename(v: Any) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, bytes):
        return "string"
    return lua_type(v) or "userdata"


def _argerror(n: int, fname: str, msg: bytes | str) -> LuaError:
    if isinstance(msg, str):
        msg = msg.encode()
    text = b"bad argument #%d to '%s' (%s)" % (n, fname.encode(), msg)
    # The message may carry a format's raw byte; the engine encodes it back with surrogateescape.
    return LuaError(text.decode("utf-8", "surrogateescape"))


def _typeerror(args: tuple, n: int, fname: str, expected: str, missing: str = "no value") -> LuaError:
    got = _typename(args[n - 1]) if n <= len(args) else missing
    return _argerror(n, fname, f"{expected} expected, got {got}")


def _str2number(s: bytes) -> float | None:
    """Lua 5.1's luaO_str2d: strtod on the C string (up to a NUL), trailing spaces allowed."""
    nul = s.find(b"\0")
    if nul >= 0:
        s = s[:nul]
    m = _STRTOD.match(s)
    if m is None or s[m.end() :].strip(_SPACE):
        return None
    sign, hexpart, dec, word = m.groups()
    if hexpart is not None:
        try:
            v = float.fromhex("0x" + hexpart.decode())
        except OverflowError:
            v = float("inf")
    elif dec is not None:
        v = float(dec)
    else:
        v = strtod_nan(word) if word[:1] in b"nN" else float("inf")
    return -v if sign == b"-" else v


def _tonumber(v: Any) -> float | None:
    """lua_tonumber: a number, or a string that reads as one; None otherwise."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, bytes):
        return _str2number(v)
    return None


def _number_text(x: float) -> bytes:
    """A number as Lua 5.1 makes it a string (LUA_NUMBER_FMT ``%.14g``, glibc's nan/inf)."""
    x = float(x)
    if x != x:
        return b"-nan" if pystruct.pack("<d", x)[7] & 0x80 else b"nan"
    if x in (float("inf"), float("-inf")):
        return b"inf" if x > 0 else b"-inf"
    return b"%.14g" % x


def _check_number(args: tuple, n: int, fname: str, missing: str = "no value") -> float:
    v = args[n - 1] if n <= len(args) else None
    d = _tonumber(v)
    if d is None:
        raise _typeerror(args, n, fname, "number", missing)
    return d


def _check_string(args: tuple, n: int, fname: str, missing: str = "no value") -> bytes:
    v = args[n - 1] if n <= len(args) else None
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _number_text(v)
    raise _typeerror(args, n, fname, "string", missing)


def _cvttsd2si(d: float) -> int:
    """A double cast to a signed 64-bit integer on x86-64: truncation, or INT64_MIN when out of range."""
    if d != d or not (-_TWO63 <= d < _TWO63):
        return _I64_MIN
    return int(d)


def _to_unsigned(d: float) -> int:
    """A double cast to ``unsigned long`` as gcc compiles it for x86-64: below 2^63 (and NaN) the
    signed conversion, from 2^63 on the signed conversion of d - 2^63 with the top bit flipped, which
    makes everything from 2^64 up (and inf) 0."""
    if d != d or d < _TWO63:
        return _cvttsd2si(d) & _U64
    if d < _TWO64:
        return int(d)
    return 0


def _signed(u: int) -> int:
    u &= _U64
    return u - _TWO64 if u & _TWO63 else u


# -- the format ---------------------------------------------------------------------------------------


def _getnum(fmt: bytes, i: int, default: int) -> tuple[int, int]:
    if i >= len(fmt) or fmt[i] not in _DIGITS:
        return default, i
    a = 0
    while i < len(fmt) and fmt[i] in _DIGITS:
        digit = fmt[i] - 48
        if a > _INT_MAX // 10 or a * 10 > _INT_MAX - digit:
            raise LuaError("integral size overflow")
        a = a * 10 + digit
        i += 1
    return a, i


def _optsize(opt: int, fmt: bytes, i: int) -> tuple[int, int]:
    size = _FIXED.get(opt)
    if size is not None:
        return size, i
    if opt == _C:
        return _getnum(fmt, i, 1)
    if opt in (73, 105):  # 'I', 'i'
        size, i = _getnum(fmt, i, _SIZEOF_INT)
        if size > _MAXINTSIZE:
            raise LuaError(f"integral size {size} is larger than limit of {_MAXINTSIZE}")
        return size, i
    return 0, i


def _gettoalign(length: int, align: int, opt: int, size: int) -> int:
    """Padding before an item of ``size`` at offset ``length`` (sizes that are not powers of 2 keep
    the C's mask arithmetic, e.g. 2 bytes before an ``i3`` under ``!16``)."""
    if size == 0 or opt == _C:
        return 0
    if size > align:
        size = align
    return (size - (length & (size - 1))) & (size - 1)


class _Header:
    __slots__ = ("endian", "align")

    def __init__(self) -> None:
        self.endian = _NATIVE
        self.align = 1


def _controloptions(opt: int, fmt: bytes, i: int, h: _Header, fname: str) -> int:
    if opt == 32:  # ' '
        return i
    if opt == 62:  # '>'
        h.endian = _BIG
        return i
    if opt == 60:  # '<'
        h.endian = _LITTLE
        return i
    if opt == 33:  # '!'
        a, i = _getnum(fmt, i, _MAXALIGN)
        if not (a > 0 and a & (a - 1) == 0):
            raise LuaError(f"alignment {a} is not a power of 2")
        h.align = a
        return i
    raise _argerror(1, fname, b"invalid format option '%c'" % opt)


def _c_format(args: tuple, fname: str) -> bytes:
    fmt = _check_string(args, 1, fname)
    nul = fmt.find(b"\0")
    return fmt if nul < 0 else fmt[:nul]


# -- pack ---------------------------------------------------------------------------------------------


def _putinteger(n: float, endian: int, size: int) -> bytes:
    value = (_cvttsd2si(n) & _U64) if n < 0 else _to_unsigned(n)
    # Bytes past the 8 of an unsigned long are zeros (the value is shifted right), whatever the sign.
    raw = value.to_bytes(8, "little") + bytes(max(0, size - 8))
    raw = raw[:size]
    return raw if endian == _LITTLE else raw[::-1]


def _float_bytes(n: float, endian: int) -> bytes:
    raw = bytes(ctypes.c_float(n))  # C's (float) conversion: rounds, overflows to inf, keeps NaN sign
    return raw if endian == _NATIVE else raw[::-1]


def struct_pack(*args: Any) -> bytes:
    """struct.pack(fmt, ...): the values laid out as the format says."""
    fmt = _c_format(args, "pack")
    h = _Header()
    arg = 2
    total = 0
    out = bytearray()
    i = 0
    # b_pack pushes a nil after its arguments, so a missing one is reported as "got nil".
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        toalign = _gettoalign(total, h.align, opt, size)
        total += toalign
        out += bytes(toalign)
        if opt in _INTEGERS:
            out += _putinteger(_check_number(args, arg, "pack", "nil"), h.endian, size)
            arg += 1
        elif opt == _X:
            out.append(0)
        elif opt == _F:
            out += _float_bytes(_check_number(args, arg, "pack", "nil"), h.endian)
            arg += 1
        elif opt == _D:
            d = _check_number(args, arg, "pack", "nil")
            arg += 1
            out += pystruct.pack("<d" if h.endian == _LITTLE else ">d", d)
        elif opt in (_C, _S):
            s = _check_string(args, arg, "pack", "nil")
            arg += 1
            if size == 0:
                size = len(s)
            if len(s) < size:
                # The C checks after moving on to the next argument: its number is one too high.
                raise _argerror(arg, "pack", "string too short")
            out += s[:size]
            if opt == _S:
                out.append(0)
                size += 1
        else:
            i = _controloptions(opt, fmt, i, h, "pack")
        total += size
    return bytes(out)


# -- unpack -------------------------------------------------------------------------------------------


def _getinteger(raw: bytes, endian: int, issigned: bool, size: int) -> float:
    # Shifting into an unsigned long keeps the last 8 bytes read (the least significant ones).
    word = raw if endian == _BIG else raw[::-1]
    value = int.from_bytes(word[-8:], "big") if word else 0
    if not issigned:
        return float(value)
    # The sign mask's shift count is taken modulo 64 by the x86-64 shift instruction (sizes over 8).
    mask = (_U64 << ((size * 8 - 1) & 63)) & _U64
    if value & mask:
        value |= mask
    return float(_signed(value))


def struct_unpack(*args: Any) -> tuple:
    """struct.unpack(fmt, data [, init]): the values read, then the position after them."""
    fmt = _c_format(args, "unpack")
    data = _check_string(args, 2, "unpack")
    if len(args) < 3 or args[2] is None:
        pos = 1
    else:
        v = _tonumber(args[2])
        if v is None:
            raise _typeerror(args, 3, "unpack", "number")
        pos = _cvttsd2si(v) & _U64  # luaL_optinteger's lua_Integer, kept in a size_t
    if pos == 0:
        raise _argerror(3, "unpack", "offset must be 1 or greater")
    pos -= 1
    ld = len(data)
    h = _Header()
    results: list[Any] = []
    stacked = len(args)  # the arguments stay on the stack under the results
    i = 0
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        pos = (pos + _gettoalign(pos, h.align, opt, size)) & _U64
        if not (size <= ld and pos <= ld - size):
            raise _argerror(2, "unpack", "data string too short")
        if stacked + len(results) + 2 > _MAXCSTACK:
            raise LuaError("stack overflow (too many results)")
        if opt in _INTEGERS:
            results.append(_getinteger(data[pos : pos + size], h.endian, opt >= 97, size))
        elif opt == _X:
            pass
        elif opt == _F:
            raw = data[pos : pos + 4]
            results.append(ctypes.c_float.from_buffer_copy(raw if h.endian == _NATIVE else raw[::-1]).value)
        elif opt == _D:
            results.append(pystruct.unpack("<d" if h.endian == _LITTLE else ">d", data[pos : pos + 8])[0])
        elif opt == _C:
            if size == 0:
                prev = _tonumber(results[-1]) if results else None
                if prev is None:
                    raise LuaError("format 'c0' needs a previous size")
                size = _to_unsigned(prev)
                results.pop()
                if not (size <= ld and pos <= ld - size):
                    raise _argerror(2, "unpack", "data string too short")
            results.append(data[pos : pos + size])
        elif opt == _S:
            end = data.find(b"\0", pos)
            if end < 0:
                raise LuaError("unfinished string in data")
            size = end - pos + 1
            results.append(data[pos:end])
        else:
            i = _controloptions(opt, fmt, i, h, "unpack")
        pos = (pos + size) & _U64
    results.append(float(_signed(pos + 1)))
    return tuple(results)


# -- size ---------------------------------------------------------------------------------------------


def struct_size(*args: Any) -> int:
    """struct.size(fmt): the bytes pack would produce, for formats of fixed size."""
    fmt = _c_format(args, "size")
    h = _Header()
    pos = 0
    i = 0
    while i < len(fmt):
        opt = fmt[i]
        i += 1
        size, i = _optsize(opt, fmt, i)
        pos += _gettoalign(pos, h.align, opt, size)
        if opt == _S:
            raise _argerror(1, "size", "option 's' has no fixed size")
        if opt == _C and size == 0:
            raise _argerror(1, "size", "option 'c0' has no fixed size")
        # Letters and digits it does not know are skipped here, where pack and unpack refuse them.
        if opt not in _ALNUM:
            i = _controloptions(opt, fmt, i, h, "size")
        pos += size
    return _signed(pos)


STRUCT = {b"pack": struct_pack, b"unpack": struct_unpack, b"size": struct_size}
