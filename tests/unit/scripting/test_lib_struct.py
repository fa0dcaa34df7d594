"""struct (lua_struct) through a real ScriptEngine and through its Python functions: values and error
texts checked against Redis 7.0.15, and no exception but LuaError for any input."""

from __future__ import annotations

import random

import pytest

from cacheserver.scripting import libs
from cacheserver.scripting.libs import LuaError


def _hex(run, expr: str) -> bytes:
    """The bytes struct.pack returned, in hex, or the error text pcall caught."""
    return run(
        "local ok, v = pcall(function() return " + expr + " end) "
        "if not ok then return v end "
        "return (v:gsub('.', function(c) return string.format('%02x', c:byte()) end))"
    )


def _all(run, expr: str) -> list | bytes:
    """Every value of a call (numbers with 17 digits), or the error text pcall caught."""
    return run(
        "local r = {pcall(function() return " + expr + " end)} "
        "if not r[1] then return r[2] end "
        "for i = 2, #r do r[i - 1] = type(r[i]) == 'number' and string.format('%.17g', r[i]) or r[i] end "
        "r[#r] = nil return r"
    )


@pytest.mark.parametrize(
    "expr, value",
    [
        ("struct.pack('!16bi3', 1, 2)", b"010000020000"),  # i3 under !16 takes 2 bytes of padding
        ("struct.pack('d', 'nan(123)')", b"7b0000000000f87f"),  # glibc's strtod: n in the mantissa
        ("struct.pack('d', '-nan(0xfffffffffffff)')", b"ffffffffffffffff"),
        ("struct.pack('d', 'nan(08)')", b"000000000000f87f"),  # n not read in full: a plain NaN
        ("struct.pack('!bd', 1, 2)", b"01000000000000000000000000000040"),  # bare '!': 8
        ("struct.pack('!4bc2i', 1, 'ab', 2)", b"0161620002000000"),  # c is never aligned
        ("struct.pack('>i17', -2)", b"000000000000000000fffffffffffffffe"),  # 8 bytes of value at most
        ("struct.pack('>i0', -1)", b""),
        ("struct.pack('>I8', 2^64)", b"0000000000000000"),
        ("struct.pack('>I8', 1/0)", b"0000000000000000"),
        ("struct.pack('>I8', -1/0)", b"8000000000000000"),
        ("struct.pack('>I8', 0/0)", b"8000000000000000"),
        ("struct.pack('>i8', -1.5)", b"ffffffffffffffff"),
        ("struct.pack('>f', 1e300)", b"7f800000"),
        ("struct.pack('>d', -(0/0))", b"7ff8000000000000"),
        ("struct.pack('i', ' 0x10 ')", b"10000000"),
        ("struct.pack('i', '5\\0abc')", b"05000000"),
        ("struct.pack('d', '0x1.8p1')", b"0000000000000840"),
        ("struct.pack('c0', 123456789012345678)", b"312e32333435363738393031323335652b3137"),
        ("struct.pack('b\\0b', 1, 2)", b"01"),
        ("struct.pack('i', '1e')", b"user_script:1: bad argument #2 to 'pack' (number expected, got string)"),
        ("struct.pack('iii', 1)", b"user_script:1: bad argument #3 to 'pack' (number expected, got nil)"),
        ("struct.pack('bc3', 1, 'a')", b"user_script:1: bad argument #4 to 'pack' (string too short)"),
        ("struct.pack('c0', true)", b"user_script:1: bad argument #2 to 'pack' (string expected, got boolean)"),
        ("struct.pack()", b"user_script:1: bad argument #1 to 'pack' (string expected, got no value)"),
        ("struct.pack(12)", b"user_script:1: bad argument #1 to 'pack' (invalid format option '1')"),
        ("struct.pack('=b', 1)", b"user_script:1: bad argument #1 to 'pack' (invalid format option '=')"),
        ("struct.pack('\\255b', 1)", b"user_script:1: bad argument #1 to 'pack' (invalid format option '\xff')"),
        ("struct.pack('!3b', 1)", b"user_script:1: alignment 3 is not a power of 2"),
        ("struct.pack('i33', 1)", b"user_script:1: integral size 33 is larger than limit of 32"),
        ("struct.pack('c99999999999', 1)", b"user_script:1: integral size overflow"),
    ],
)
def test_pack(run, expr: str, value: bytes) -> None:
    assert _hex(run, expr) == value


@pytest.mark.parametrize(
    "expr, values",
    [
        ("struct.unpack('!4bi', 'abcdefghijk', 3)", [b"99", b"1751606885", b"9"]),
        ("struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128')", [b"-128", b"10"]),  # sign bit 7 (71 mod 64)
        ("struct.unpack('>i9', '\\128\\0\\0\\0\\0\\0\\0\\0\\0')", [b"0", b"10"]),
        ("struct.unpack('>I9', '\\255\\255\\255\\255\\255\\255\\255\\255\\255')", [b"1.8446744073709552e+19", b"10"]),
        ("struct.unpack('>f', '\\255\\192\\0\\0')", [b"-nan", b"5"]),
        ("struct.unpack('bc0', '\\3abc')", [b"abc", b"5"]),
        ("struct.unpack('sc0', ' 0x2 \\0abc')", [b"ab", b"9"]),
        ("struct.unpack('fc0', '\\0\\0\\192\\63abc')", [b"a", b"6"]),
        ("struct.unpack('bbc0', '\\1\\2abc')", [b"1", b"ab", b"5"]),
        ("struct.unpack('s', 'ab\\0c')", [b"ab", b"4"]),
        ("struct.unpack('', 'abc', -1)", [b"-1"]),
        ("struct.unpack('', 'abc', 0/0)", [b"-9.2233720368547758e+18"]),
        ("struct.unpack('', 'abc', ' 0x10 ')", [b"16"]),
        ("struct.unpack('b', 'abc', 1.5)", [b"97", b"2"]),
        ("struct.unpack('b', 65)", [b"54", b"2"]),
        ("struct.unpack('c0', 'abc')", b"user_script:1: format 'c0' needs a previous size"),
        ("struct.unpack('xc0', '\\3abc')", b"user_script:1: format 'c0' needs a previous size"),
        ("struct.unpack('bc0', '\\255abc')", b"user_script:1: bad argument #2 to 'unpack' (data string too short)"),
        ("struct.unpack('<', 'abc', 5)", b"user_script:1: bad argument #2 to 'unpack' (data string too short)"),
        ("struct.unpack('s', 'abc')", b"user_script:1: unfinished string in data"),
        (
            "struct.unpack('c0fB', 'abcdefgh', 0)",
            b"user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)",
        ),
        ("struct.unpack('b', 'abc', 0.5)", b"user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)"),
        (
            "struct.unpack('', 'abc', true)",
            b"user_script:1: bad argument #3 to 'unpack' (number expected, got boolean)",
        ),
        ("struct.unpack('b')", b"user_script:1: bad argument #2 to 'unpack' (string expected, got no value)"),
        ("struct.unpack('Xb', 'abc')", b"user_script:1: bad argument #1 to 'unpack' (invalid format option 'X')"),
        ("select('#', struct.unpack(string.rep('b', 7997), string.rep('a', 8000)))", [b"7998"]),
        (
            "struct.unpack(string.rep('b', 7998), string.rep('a', 8000))",
            b"user_script:1: stack overflow (too many results)",
        ),
        (
            "struct.unpack(string.rep('b', 7997), string.rep('a', 8000), 1)",
            b"user_script:1: stack overflow (too many results)",
        ),
    ],
)
def test_unpack(run, expr: str, values: list | bytes) -> None:
    assert _all(run, expr) == values


@pytest.mark.parametrize(
    "expr, value",
    [
        ("struct.size('!16i3')", [b"5"]),
        ("struct.size('zfIB')", [b"9"]),  # letters it does not know are skipped
        ("struct.size('X')", [b"0"]),
        ("struct.size('i17')", [b"17"]),
        ("struct.size('!i3i3')", [b"10"]),
        ("struct.size('s')", b"user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)"),
        ("struct.size('xXc0')", b"user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)"),
        ("struct.size('=i')", b"user_script:1: bad argument #1 to 'size' (invalid format option '=')"),
        ("struct.size({})", b"user_script:1: bad argument #1 to 'size' (string expected, got table)"),
    ],
)
def test_size(run, expr: str, value: list | bytes) -> None:
    assert _all(run, expr) == value


def test_python_functions_round_trip() -> None:
    packed = libs.struct_pack(b">i2I4s", -3, 70000, b"ab")
    assert packed == b"\xff\xfd\x00\x01\x11\x70ab\x00"
    assert libs.struct_unpack(b">i2I4s", packed) == (-3, 70000, b"ab", 10)
    assert libs.struct_size(b"!8bd") == 16


def test_no_exception_but_lua_error() -> None:
    """Random formats and arguments: a value or a LuaError, never another exception."""
    rng = random.Random(7)
    items = [
        "b",
        "B",
        "h",
        "H",
        "l",
        "L",
        "T",
        "i",
        "I",
        "i3",
        "i9",
        "I17",
        "i0",
        "i33",
        "f",
        "d",
        "s",
        "c",
        "c0",
        "c5",
        "x",
        "X",
        "z",
        "=",
        "!",
        "!2",
        "!3",
        "<",
        ">",
        " ",
        "\0",
        "\xff",
        "c2147483647",
        "9",
    ]
    values = [
        0,
        -1,
        2**63,
        -(2**63),
        1e300,
        -1e300,
        float("nan"),
        float("inf"),
        float("-inf"),
        0.5,
        b"",
        b"abc",
        b" 0x10 ",
        b"3\0",
        b"nan",
        None,
        True,
    ]
    for _ in range(3000):
        fmt = "".join(rng.choice(items) for _ in range(rng.randint(0, 5))).encode("latin-1")
        args = [rng.choice(values) for _ in range(rng.randint(0, 4))]
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
        calls = [
            (libs.struct_pack, (fmt, *args)),
            (libs.struct_unpack, (fmt, data, *args[:1])),
            (libs.struct_size, (fmt,)),
        ]
        for fn, fn_args in calls:
            try:
                result = fn(*fn_args)
            except LuaError:
                continue
            if fn is libs.struct_pack:  # what pack made, unpack reads back or refuses with a LuaError
                try:
                    libs.struct_unpack(fmt, result)
                except LuaError:
                    pass


def test_floats_keep_c_conversions() -> None:
    assert libs.struct_pack(b"<f", 1e-45) == b"\x01\x00\x00\x00"
    assert libs.struct_pack(b"<f", 3.4028235677973366e38) == b"\x00\x00\x80\x7f"  # rounds up to inf
    assert libs.struct_unpack(b">d", b"\x7f\xf0" + bytes(6)) == (float("inf"), 9)
