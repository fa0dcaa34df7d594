"""What the four libraries share: the error they raise, Lua's number text, deep recursion."""

from __future__ import annotations

import functools
import math
import re
import struct
import sys
from typing import Any

from lupa import lua51

from cacheserver.types.sorted_set import strtod_whole

lua_type = lua51.lua_type
_TO_BITS = struct.Struct("<Q").pack
_FROM_BITS = struct.Struct("<d").unpack


class LuaError(Exception):
    """Raised by a library function: the prelude's wrapper turns it into a Lua ``error(message)``,
    positioned at the script's line as luaL_error does; ``positioned=False`` for an error that Lua's
    core raises inside a C function (lua_settable's "table index is nil"), which names no line."""

    def __init__(self, message: str, positioned: bool = True) -> None:
        super().__init__(message)
        self.positioned = positioned


def deep(fn: Any) -> Any:
    """Run a recursive codec with Python recursion to spare for its own nesting limit (cjson's 1000
    levels, cmsgpack's 4000), so that input nested that deep meets the library's error, not Python's.
    Python-to-Python calls take no C stack in 3.11, so the raised limit costs nothing else."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + 10_000)
        try:
            return fn(*args)
        finally:
            sys.setrecursionlimit(limit)

    return run


def num_text(x: float) -> bytes:
    """A Lua number as Lua 5.1 prints it (``%.14g``: 2^53 is 9.007199254741e+15); lupa hands integral
    values over as ``int``, which prints the same way through ``%g``."""
    if x != x:
        return b"nan" if math.copysign(1.0, x) > 0 else b"-nan"
    if math.isinf(x):
        return b"inf" if x > 0 else b"-inf"
    return b"%.14g" % x


_LUA_SPACE = b" \t\n\r\x0b\x0c"
_QUIET_NAN = 0x7FF8000000000000
_PAYLOAD_MASK = (1 << 51) - 1  # the mantissa below the quiet bit
_NAN_BASE = re.compile(rb"0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*)")


def strtod_nan(token: bytes) -> float:
    """The NaN glibc's strtod reads from ``nan`` or ``nan(chars)`` (no sign; the caller negates): a
    ``chars`` that strtoull (base 0: decimal, 0x hex, 0 octal) reads in full is put in the mantissa
    below the quiet bit, so ``nan(123)`` has payload 123; any other ``chars`` leaves the plain NaN."""
    mant = 0
    if token.endswith(b")") and b"(" in token:
        chars = token[token.index(b"(") + 1 : -1]
        m = _NAN_BASE.match(chars)
        if m is not None and m.end() == len(chars):
            hexa, octal, dec = m.groups()
            mant = int(hexa, 16) if hexa else int(octal, 8) if octal else int(dec)
            mant = min(mant, (1 << 64) - 1)  # strtoull's overflow: ULLONG_MAX
    return _FROM_BITS(_TO_BITS(_QUIET_NAN | (mant & _PAYLOAD_MASK)))[0]


def lua_tonumber(v: Any) -> int | float | None:
    """Lua 5.1's ``lua_tonumber``: a number as it is; a string as ``luaO_str2d`` reads it (glibc's
    strtod over the C string, so a NUL ends it, hex, ``inf`` and ``nan`` are read, blanks around are
    allowed); None for anything else, as for a string that is not a number."""
    cls = v.__class__
    if cls is int or cls is float:
        return v
    if cls is not bytes:
        return None
    text = v.split(b"\0", 1)[0].strip(_LUA_SPACE)
    if not text:
        return None
    unsigned = text[1:] if text[:1] in (b"+", b"-") else text
    low = unsigned.lower()
    payload = low[4:-1].replace(b"_", b"")
    if low == b"nan" or (low.startswith(b"nan(") and low.endswith(b")") and (not payload or payload.isalnum())):
        nan = strtod_nan(unsigned)
        return -nan if text[:1] == b"-" else nan
    return strtod_whole(text)


def lua_typename(v: Any) -> str:
    """Lua's name for the type of a value that came from Lua (``luaL_typename``)."""
    if v is None:
        return "nil"
    cls = v.__class__
    if cls is bool:
        return "boolean"
    if cls is int or cls is float:
        return "number"
    if cls is bytes:
        return "string"
    return lua_type(v) or "userdata"
