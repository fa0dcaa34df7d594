"""What the four libraries share: the error they raise, Lua's number text, deep recursion."""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

from lupa import lua51

lua_type = lua51.lua_type


class LuaError(Exception):
    """Raised by a library function: the prelude's wrapper turns it into a Lua ``error(message)``."""


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
    """A Lua number as Lua 5.1 prints it (``%.14g``)."""
    if isinstance(x, int):
        return b"%d" % x
    if x != x:
        return b"nan" if math.copysign(1.0, x) > 0 else b"-nan"
    if math.isinf(x):
        return b"inf" if x > 0 else b"-inf"
    return b"%.14g" % x
