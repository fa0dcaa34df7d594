"""bit (LuaBitOp) through a real ScriptEngine: numeric strings read as glibc's strtod reads them, NaN
payloads included. Expected values read from redis-server 7.0.15."""

from __future__ import annotations

import math
import struct

import pytest

from cacheserver.scripting.libs.common import lua_tonumber, strtod_nan


@pytest.mark.parametrize(
    "expr, value",
    [
        ("bit.tobit('nan(123)')", 123),
        ("bit.tobit('-nan(0x7fffffff)')", 2147483647),
        ("bit.tobit('NAN(017)')", 15),
        ("bit.tobit('nan(99999999999999999999)')", -1),
        ("bit.tobit('nan(08)')", 0),
        ("bit.tobit('nan')", 0),
        ("bit.tohex('nan(77)')", b"0000004d"),
    ],
)
def test_nan_payload(run, expr: str, value) -> None:
    assert run(f"return {expr}") == value


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def test_strtod_nan_and_lua_tonumber() -> None:
    assert _bits(strtod_nan(b"nan")) == 0x7FF8000000000000
    assert _bits(strtod_nan(b"nan(0x8000000000001)")) == 0x7FF8000000000001  # the quiet bit is not payload
    assert _bits(strtod_nan(b"nan(0x1g)")) == 0x7FF8000000000000
    assert _bits(lua_tonumber(b" -nan(5) ")) == 0xFFF8000000000005
    assert math.isnan(lua_tonumber(b"nan()"))
