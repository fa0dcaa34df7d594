"""bit (LuaBitOp 1.0.2, as Redis 7.0 ships it): 32-bit operations on Lua numbers.

Every argument becomes 32 bits the way LuaBitOp makes it: ``lua_tonumber`` (numeric strings count, any
other value reads as 0), plus 2^52+2^51 in double arithmetic, and the low 32 bits of the sum. That rounds
fractions half to even and wraps larger integers, and makes NaN and the infinities 0. A result is the
signed 32-bit value as a Lua number. An argument that is not a number is refused only when its bits are
0 (LuaBitOp's ``b == 0 && !lua_isnumber`` test), which for a non-number is always.
"""

from __future__ import annotations

import struct
from typing import Any

from cacheserver.scripting.libs.common import LuaError, lua_tonumber, lua_typename

_TO_BITS = struct.Struct("<d").pack
_FROM_BITS = struct.Struct("<Q").unpack
_MAGIC = 6755399441055744.0  # 2^52 + 2^51: the sum's low 32 bits are the rounded integer


def _arg(name: str, args: tuple, i: int) -> int:
    """Argument ``i`` (0-based) as unsigned 32 bits (LuaBitOp's ``barg``)."""
    v = args[i] if i < len(args) else _NONE
    n = lua_tonumber(v) if v is not _NONE else None
    if n is None:
        got = "no value" if v is _NONE else lua_typename(v)
        raise LuaError(f"bad argument #{i + 1} to '{name}' (number expected, got {got})")
    return _FROM_BITS(_TO_BITS(float(n) + _MAGIC))[0] & 0xFFFFFFFF


_NONE = object()  # a missing argument (Lua's "none"), unlike an explicit nil (None)


def _signed(b: int) -> int:
    b &= 0xFFFFFFFF
    return b - 0x100000000 if b & 0x80000000 else b


def tobit(*args: Any) -> int:
    return _signed(_arg("tobit", args, 0))


def bnot(*args: Any) -> int:
    return _signed(~_arg("bnot", args, 0))


def _fold(name: str, op: Any) -> Any:
    def fold(*args: Any) -> int:
        b = _arg(name, args, 0)
        for i in range(len(args) - 1, 0, -1):  # LuaBitOp folds from the last argument down
            b = op(b, _arg(name, args, i))
        return _signed(b)

    return fold


def _shift(name: str, op: Any) -> Any:
    def shift(*args: Any) -> int:
        b = _arg(name, args, 0)
        return _signed(op(b, _arg(name, args, 1) & 31))

    return shift


def bswap(*args: Any) -> int:
    b = _arg("bswap", args, 0)
    return _signed(int.from_bytes(b.to_bytes(4, "little"), "big"))


def tohex(*args: Any) -> bytes:
    b = _arg("tohex", args, 0)
    n = 8 if len(args) < 2 else _signed(_arg("tohex", args, 1))  # nil is an argument, unlike none
    digits = b"0123456789abcdef"
    if n < 0:
        n = -n
        digits = b"0123456789ABCDEF"
    n = min(n, 8)
    return bytes(digits[(b >> (4 * (n - 1 - i))) & 15] for i in range(n))


BIT = {
    b"tobit": tobit,
    b"bnot": bnot,
    b"band": _fold("band", lambda a, b: a & b),
    b"bor": _fold("bor", lambda a, b: a | b),
    b"bxor": _fold("bxor", lambda a, b: a ^ b),
    b"lshift": _shift("lshift", lambda b, n: b << n),
    b"rshift": _shift("rshift", lambda b, n: b >> n),
    b"arshift": _shift("arshift", lambda b, n: _signed(b) >> n),
    b"rol": _shift("rol", lambda b, n: (b << n) | (b >> (32 - n))),
    b"ror": _shift("ror", lambda b, n: (b >> n) | (b << (32 - n))),
    b"bswap": bswap,
    b"tohex": tohex,
}
