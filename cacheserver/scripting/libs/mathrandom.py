"""math.random and math.randomseed as Redis replaces them: a drand48 generator of its own (rand.c).

Redis swaps Lua's math.random (the C library's rand()) for ``redisLrand48`` so that every system draws
the same sequence. Its state is one for the whole process: it starts from drand48's initial state, is
not reset by EVAL, FCALL or SCRIPT FLUSH, and only ``math.randomseed`` sets it. A draw is
``lrand48() % INT32_MAX / INT32_MAX``; the one- and two-argument forms scale it as Lua 5.1 does.
"""

from __future__ import annotations

import math
from typing import Any

from cacheserver.scripting.libs.common import LuaError, lua_tonumber, lua_typename

_A = 0x5DEECE66D
_C = 0xB
_MASK = (1 << 48) - 1
_INITIAL = 0x1234ABCD330E  # drand48's state before any seeding
_INT32_MAX = 0x7FFFFFFF


def _checkint(args: tuple, i: int, name: str) -> int:
    """``luaL_checkint``: a number (or numeric string) truncated toward zero to a C int."""
    v = lua_tonumber(args[i])
    if v is None:
        raise LuaError(f"bad argument #{i + 1} to '{name}' (number expected, got {lua_typename(args[i])})")
    n = int(v) if math.isfinite(v) and abs(v) < 2**63 else 0  # x86-64 converts those to INT64_MIN: low bits 0
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


class LuaRandom:
    def __init__(self) -> None:
        self.state = _INITIAL

    def lrand48(self) -> int:
        self.state = (_A * self.state + _C) & _MASK
        return self.state >> 17

    def random(self, *args: Any) -> float | int:
        r = (self.lrand48() % _INT32_MAX) / _INT32_MAX  # drawn before the arguments are checked
        if not args:
            return r
        if len(args) == 1:
            u = _checkint(args, 0, "random")
            if u < 1:
                raise LuaError("bad argument #1 to 'random' (interval is empty)")
            return math.floor(r * u) + 1
        if len(args) == 2:
            low = _checkint(args, 0, "random")
            up = _checkint(args, 1, "random")
            if low > up:
                raise LuaError("bad argument #2 to 'random' (interval is empty)")
            width = (up - low + 1) & 0xFFFFFFFF  # a C int: a range of 2^32 wraps
            width = width - (1 << 32) if width & 0x80000000 else width
            return math.floor(r * width) + low
        raise LuaError("wrong number of arguments")

    def randomseed(self, *args: Any) -> tuple:
        if not args:
            raise LuaError("bad argument #1 to 'randomseed' (number expected, got no value)")
        seed = _checkint(args, 0, "randomseed")
        self.state = ((seed & 0xFFFFFFFF) << 16) | 0x330E
        return ()  # no results, as the C function (lupa unpacks a returned tuple; None would be one nil)
