"""bit (LuaBitOp 1.0.2): 32-bit operations on Lua numbers."""

from __future__ import annotations

from typing import Any

from cacheserver.scripting.libs.common import LuaError


def _tobit(x: Any) -> int:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise LuaError("bad argument #1 to 'tobit' (number expected)")
    # LuaBitOp adds 2^52+2^51 to the double and keeps the low 32 bits: rounding, then wrapping.
    n = int(round(x)) if isinstance(x, float) else x
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def _bitop(fn: Any) -> Any:
    def op(*args: Any) -> int:
        if not args:
            raise LuaError("bad argument #1 (number expected, got no value)")
        acc = _tobit(args[0]) & 0xFFFFFFFF
        for a in args[1:]:
            acc = fn(acc, _tobit(a) & 0xFFFFFFFF)
        return _tobit(acc)

    return op


def _shift(fn: Any) -> Any:
    def op(x: Any = None, n: Any = None) -> int:
        return _tobit(fn(_tobit(x) & 0xFFFFFFFF, _tobit(n) & 31))

    return op


def _tohex(x: Any = None, n: Any = 8) -> bytes:
    v = _tobit(x) & 0xFFFFFFFF
    n = _tobit(n)
    digits = "0123456789abcdef"
    if n < 0:
        n = -n
        digits = digits.upper()
    n = min(n, 8)
    out = ""
    for _ in range(n):
        out = digits[v & 15] + out
        v >>= 4
    return out.encode()


BIT = {
    b"tobit": lambda x=None: _tobit(x),
    b"bnot": lambda x=None: _tobit(~_tobit(x)),
    b"band": _bitop(lambda a, b: a & b),
    b"bor": _bitop(lambda a, b: a | b),
    b"bxor": _bitop(lambda a, b: a ^ b),
    b"lshift": _shift(lambda v, n: v << n),
    b"rshift": _shift(lambda v, n: v >> n),
    b"arshift": _shift(lambda v, n: (v - (1 << 32) if v & 0x80000000 else v) >> n),
    b"rol": _shift(lambda v, n: (v << n) | (v >> (32 - n)) if n else v),
    b"ror": _shift(lambda v, n: (v >> n) | (v << (32 - n)) if n else v),
    b"bswap": lambda x=None: _tobit(int.from_bytes((_tobit(x) & 0xFFFFFFFF).to_bytes(4, "little"), "big")),
    b"tohex": _tohex,
}
