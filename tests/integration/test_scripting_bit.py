"""The bit library (LuaBitOp) in scripts, against cacheserver and redis-server: how arguments become 32
bits (rounding, wrapping, NaN and infinities, numeric strings), fold order, shifts, tohex and errors."""

from __future__ import annotations

import pytest


def _eval(raw, expr: str) -> bytes:
    return raw.command("EVAL", f"local ok, v = pcall(function() return {expr} end) return {{tostring(ok), v}}", "0")


@pytest.mark.parametrize(
    "expr, value",
    [
        ("bit.tobit(2.5)", 2),  # halves round to even
        ("bit.tobit(3.5)", 4),
        ("bit.tobit(-2.5)", -2),
        ("bit.tobit(2^32 + 5)", 5),
        ("bit.tobit(2^31)", -(2**31)),
        ("bit.band(1e300)", -2013235812),  # past 2^52 the sum loses the low bits
        ("bit.bnot(1e16)", -937459713),
        ("bit.bor(12345678901234567890, -33, -32768)", -1),
        ("bit.bxor(255, 1e17, 2^31)", 98083071),
        ("bit.bswap(-1e300)", -1670053752),
        ("bit.tobit(1/0)", 0),
        ("bit.bnot(-1/0)", -1),
        ("bit.rol(0/0, 1)", 0),
        ("bit.tobit(' 0x10 ')", 16),  # numeric strings, as lua_tonumber reads them
        ("bit.tobit('5\\0x')", 5),  # the C string ends at the NUL
        ("bit.tobit('nan')", 0),
        ("bit.lshift(' 5 ', 5e-324)", 5),
        ("bit.rol(1, 33)", 2),
        ("bit.ror(1, -1)", 2),
        ("bit.arshift(-256, 4)", -16),
        ("bit.rshift(-1, 28)", 15),
    ],
)
def test_arguments_become_32_bits_as_luabitop_makes_them(raw, expr: str, value: int) -> None:
    assert _eval(raw, expr) == b"*2\r\n$4\r\ntrue\r\n:%d\r\n" % value


@pytest.mark.parametrize(
    "expr, text",
    [
        ("bit.tohex(255)", b"000000ff"),
        ("bit.tohex(255, -4)", b"00FF"),
        ("bit.tohex(-1, 9)", b"ffffffff"),
        ("bit.tohex(1e16, -4)", b"8000"),
        ("bit.tohex(0/0, -9)", b"00000000"),
        ("bit.tohex(7, 0)", b""),
    ],
)
def test_tohex(raw, expr: str, text: bytes) -> None:
    assert _eval(raw, expr) == b"*2\r\n$4\r\ntrue\r\n$%d\r\n%b\r\n" % (len(text), text)


@pytest.mark.parametrize(
    "expr, message",
    [
        ("bit.band()", "bad argument #1 to 'band' (number expected, got no value)"),
        # the operands are read from the last one down: the third is refused before the second
        ("bit.band(1, 'x', {})", "bad argument #3 to 'band' (number expected, got table)"),
        ("bit.ror('\\200', 1)", "bad argument #1 to 'ror' (number expected, got string)"),
        ("bit.arshift(1, 'a')", "bad argument #2 to 'arshift' (number expected, got string)"),
        ("bit.tohex(255, nil)", "bad argument #2 to 'tohex' (number expected, got nil)"),
        ("bit.tobit(true)", "bad argument #1 to 'tobit' (number expected, got boolean)"),
        ("bit.bor(cjson.null)", "bad argument #1 to 'bor' (number expected, got userdata)"),
        ("bit.tobit('0x')", "bad argument #1 to 'tobit' (number expected, got string)"),
    ],
)
def test_argument_errors(raw, expr: str, message: str) -> None:
    text = f"user_script:1: {message}".encode()
    assert _eval(raw, expr) == b"*2\r\n$5\r\nfalse\r\n$%d\r\n%b\r\n" % (len(text), text)


@pytest.mark.parametrize(
    "expr, value",
    [
        # glibc's strtod puts nan(n)'s n in the NaN's mantissa, and LuaBitOp takes the low 32 bits of it
        ("bit.tobit('nan(123)')", 123),
        ("bit.tobit('-NaN(0x7fffffff)')", 2147483647),
        ("bit.tobit(' nan(017) ')", 15),  # strtoull's base 0: octal
        ("bit.tobit('nan(99999999999999999999)')", -1),  # overflow: ULLONG_MAX
        ("bit.tobit('nan(08)')", 0),  # n not read in full: no payload
        ("bit.tobit('nan(1_2)')", 0),
        ("bit.tobit('nan(0x)')", 0),
        ("bit.bor('nan(5)', 'nan(0x10)')", 21),
    ],
)
def test_nan_payload_of_numeric_strings(raw, expr: str, value: int) -> None:
    assert _eval(raw, expr) == b"*2\r\n$4\r\ntrue\r\n:%d\r\n" % value
