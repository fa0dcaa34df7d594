"""struct (lua_struct) in scripts, against cacheserver and redis-server: alignment, integral sizes up
to 32 bytes, how doubles become integers (NaN, infinities, huge and negative values), floats, numeric
strings, c0 and s, unpack's position argument and results limit, and the argument errors' texts.

Each case is a Lua expression and the text Redis 7.0 shows for it under pcall: ``ok`` and then the
value (numbers with 17 digits, strings quoted with %q, packed strings in hex, every unpack result)."""

from __future__ import annotations

import re

import pytest

PREAMBLE = r"""
local function dump(v)
  if type(v) == 'number' then return string.format('%.17g', v) end
  if type(v) == 'string' then return string.format('%q', v) end
  return tostring(v)
end
local function hex(s)
  if type(s) ~= 'string' then return dump(s) end
  return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function all(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = dump((select(i, ...))) end
  return table.concat(out, ' ')
end
"""

CASES = [
    # alignment
    ("dump(struct.size('!16i3'))", b'true "5"'),
    ("dump(struct.size('!bd'))", b'true "16"'),
    ("dump(struct.size('!4bi'))", b'true "8"'),
    ("dump(struct.size('!2bi'))", b'true "6"'),
    ("dump(struct.size('!i3i3'))", b'true "10"'),
    ("hex(struct.pack('!4bi', 1, 2))", b'true "0100000002000000"'),
    ("hex(struct.pack('!16bi3', 1, 2))", b'true "010000020000"'),
    ("hex(struct.pack('!4bc2i', 1, 'ab', 2))", b'true "0161620002000000"'),
    ("hex(struct.pack('!4bsi', 1, 'ab', 2))", b'true "0161620002000000"'),
    ("all(struct.unpack('!4bi', 'abcdefgh'))", b'true "97 1751606885 9"'),
    ("all(struct.unpack('!4bi', 'abcdefghijk', 3))", b'true "99 1751606885 9"'),
    ("all(struct.unpack('!4bi', 'abcdefg'))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("hex(struct.pack('!3b', 1))", b'false "alignment 3 is not a power of 2"'),
    ("hex(struct.pack('!0b', 1))", b'false "alignment 0 is not a power of 2"'),
    # options
    ("hex(struct.pack('=b', 1))", b"false \"bad argument #1 to 'pack' (invalid format option '=')\""),
    ("hex(struct.pack('Xb', 1))", b"false \"bad argument #1 to 'pack' (invalid format option 'X')\""),
    ("hex(struct.pack('b5', 1))", b"false \"bad argument #1 to 'pack' (invalid format option '5')\""),
    ("hex(struct.pack('\\255b', 1))", b"false \"bad argument #1 to 'pack' (invalid format option '\xff')\""),
    ("all(struct.unpack('=b', 'abc'))", b"false \"bad argument #1 to 'unpack' (invalid format option '=')\""),
    ("dump(struct.size('zfIB'))", b'true "9"'),
    ("dump(struct.size('X'))", b'true "0"'),
    ("dump(struct.size('=i'))", b"false \"bad argument #1 to 'size' (invalid format option '=')\""),
    ("dump(struct.size('\\255'))", b"false \"bad argument #1 to 'size' (invalid format option '\xff')\""),
    ("dump(struct.size('s'))", b"false \"bad argument #1 to 'size' (option 's' has no fixed size)\""),
    ("dump(struct.size('zs'))", b"false \"bad argument #1 to 'size' (option 's' has no fixed size)\""),
    ("dump(struct.size('c0'))", b"false \"bad argument #1 to 'size' (option 'c0' has no fixed size)\""),
    ("dump(struct.size('xXc0'))", b"false \"bad argument #1 to 'size' (option 'c0' has no fixed size)\""),
    ("dump(struct.size('i0'))", b'true "0"'),
    ("dump(struct.size('b\\0i'))", b'true "1"'),
    ("hex(struct.pack('b\\0b', 1, 2))", b'true "01"'),
    # integral sizes
    ("dump(struct.size('i17'))", b'true "17"'),
    ("dump(struct.size('i33'))", b'false "integral size 33 is larger than limit of 32"'),
    ("dump(struct.size('i99999999999'))", b'false "integral size overflow"'),
    ("hex(struct.pack('c99999999999', 1))", b'false "integral size overflow"'),
    ("hex(struct.pack('>i17', -2))", b'true "000000000000000000fffffffffffffffe"'),
    ("hex(struct.pack('<i16', -1))", b'true "ffffffffffffffff0000000000000000"'),
    ("hex(struct.pack('>i0', -1))", b'true ""'),
    ("hex(struct.pack('>i3', -1))", b'true "ffffff"'),
    ("all(struct.unpack('>i9', '\\255\\255\\255\\255\\255\\255\\255\\255\\255'))", b'true "-1 10"'),
    ("all(struct.unpack('>i9', '\\0\\0\\0\\0\\0\\0\\0\\0\\128'))", b'true "-128 10"'),
    ("all(struct.unpack('>i9', '\\128\\0\\0\\0\\0\\0\\0\\0\\0'))", b'true "0 10"'),
    ("all(struct.unpack('>i12', '\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\1'))", b'true "-255 13"'),
    ("all(struct.unpack('>i16', '\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\128'))", b'true "128 17"'),
    ("all(struct.unpack('>I9', '\\255\\255\\255\\255\\255\\255\\255\\255\\255'))", b'true "1.8446744073709552e+19 10"'),
    ("all(struct.unpack('>I0', 'abc'))", b'true "0 1"'),
    # double to integer
    ("hex(struct.pack('>I8', 2^63))", b'true "8000000000000000"'),
    ("hex(struct.pack('>I8', 2^64))", b'true "0000000000000000"'),
    ("hex(struct.pack('>I8', 1/0))", b'true "0000000000000000"'),
    ("hex(struct.pack('>I8', -1/0))", b'true "8000000000000000"'),
    ("hex(struct.pack('>I8', 0/0))", b'true "8000000000000000"'),
    ("hex(struct.pack('>I8', -1e300))", b'true "8000000000000000"'),
    ("hex(struct.pack('>i8', -1.5))", b'true "ffffffffffffffff"'),
    ("hex(struct.pack('<h', -32769))", b'true "ff7f"'),
    ("hex(struct.pack('<H', 65536+5))", b'true "0500"'),
    ("hex(struct.pack('<T', -1))", b'true "ffffffffffffffff"'),
    # floats
    ("hex(struct.pack('>f', 1e300))", b'true "7f800000"'),
    ("hex(struct.pack('>f', 0/0))", b'true "ffc00000"'),
    ("hex(struct.pack('>d', -(0/0)))", b'true "7ff8000000000000"'),
    ("hex(struct.pack('<f', 1e-45))", b'true "01000000"'),
    ("hex(struct.pack('<f', 3.4028235677973366e38))", b'true "0000807f"'),
    ("all(struct.unpack('>f', '\\255\\192\\0\\0'))", b'true "-nan 5"'),
    ("all(struct.unpack('>f', '\\127\\128\\0\\1'))", b'true "nan 5"'),
    ("all(struct.unpack('<d', '\\0\\0\\0\\0\\0\\0\\240\\127'))", b'true "inf 9"'),
    # numbers given as strings and strings as numbers
    ("hex(struct.pack('i', ' 0x10 '))", b'true "10000000"'),
    ("hex(struct.pack('i', '0x1p4'))", b'true "10000000"'),
    ("hex(struct.pack('i', '5\\0abc'))", b'true "05000000"'),
    ("hex(struct.pack('i', '-0x10'))", b'true "f0ffffff"'),
    ("hex(struct.pack('i', 'infinity'))", b'true "00000000"'),
    ("hex(struct.pack('d', '0x1.8p1'))", b'true "0000000000000840"'),
    ("hex(struct.pack('i', '1e'))", b"false \"bad argument #2 to 'pack' (number expected, got string)\""),
    ("hex(struct.pack('i', '1_000'))", b"false \"bad argument #2 to 'pack' (number expected, got string)\""),
    ("hex(struct.pack('i', '0x'))", b"false \"bad argument #2 to 'pack' (number expected, got string)\""),
    ("hex(struct.pack('i', {}))", b"false \"bad argument #2 to 'pack' (number expected, got table)\""),
    ("hex(struct.pack('i', true))", b"false \"bad argument #2 to 'pack' (number expected, got boolean)\""),
    ("hex(struct.pack('s', 12.5))", b'true "31322e3500"'),
    ("hex(struct.pack('c0', 2^63))", b'true "392e32323333373230333638353438652b3138"'),
    ("hex(struct.pack('c0', 0/0))", b'true "2d6e616e"'),
    ("hex(struct.pack('c0', 123456789012345678))", b'true "312e32333435363738393031323335652b3137"'),
    ("hex(struct.pack('c0', true))", b"false \"bad argument #2 to 'pack' (string expected, got boolean)\""),
    ("hex(struct.pack(12))", b"false \"bad argument #1 to 'pack' (invalid format option '1')\""),
    ("hex(struct.pack(1.5))", b"false \"bad argument #1 to 'pack' (invalid format option '1')\""),
    # missing arguments
    ("hex(struct.pack())", b"false \"bad argument #1 to 'pack' (string expected, got no value)\""),
    ("hex(struct.pack(nil))", b"false \"bad argument #1 to 'pack' (string expected, got nil)\""),
    ("hex(struct.pack('i'))", b"false \"bad argument #2 to 'pack' (number expected, got nil)\""),
    ("hex(struct.pack('iii', 1))", b"false \"bad argument #3 to 'pack' (number expected, got nil)\""),
    ("hex(struct.pack('ss', 'a'))", b"false \"bad argument #3 to 'pack' (string expected, got nil)\""),
    ("all(struct.unpack())", b"false \"bad argument #1 to 'unpack' (string expected, got no value)\""),
    ("all(struct.unpack('b'))", b"false \"bad argument #2 to 'unpack' (string expected, got no value)\""),
    ("all(struct.unpack('b', nil))", b"false \"bad argument #2 to 'unpack' (string expected, got nil)\""),
    ("all(struct.unpack('b', 65))", b'true "54 2"'),
    ("dump(struct.size())", b"false \"bad argument #1 to 'size' (string expected, got no value)\""),
    ("dump(struct.size({}))", b"false \"bad argument #1 to 'size' (string expected, got table)\""),
    # strings
    ("hex(struct.pack('c3', 'a'))", b"false \"bad argument #3 to 'pack' (string too short)\""),
    ("hex(struct.pack('bc3', 1, 'a'))", b"false \"bad argument #4 to 'pack' (string too short)\""),
    ("hex(struct.pack('c3', 'abcd'))", b'true "616263"'),
    ("hex(struct.pack('c0', 'abcd'))", b'true "61626364"'),
    ("hex(struct.pack('s', 'ab\\0cd'))", b'true "616200636400"'),
    ("all(struct.unpack('s', 'abc'))", b'false "unfinished string in data"'),
    ("all(struct.unpack('s', 'ab\\0c'))", b'true "\\"ab\\" 4"'),
    ("all(struct.unpack('c2', 12.5))", b'true "\\"12\\" 3"'),
    ("all(struct.unpack('bc0', '\\3abc'))", b'true "\\"abc\\" 5"'),
    ("all(struct.unpack('bc0', '\\5abc'))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('bc0', '\\255abc'))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('sc0', '3\\0abc'))", b'true "\\"abc\\" 6"'),
    ("all(struct.unpack('sc0', ' 0x2 \\0abc'))", b'true "\\"ab\\" 9"'),
    ("all(struct.unpack('sc0', 'x\\0abc'))", b"false \"format 'c0' needs a previous size\""),
    ("all(struct.unpack('fc0', '\\0\\0\\192\\63abc'))", b'true "\\"a\\" 6"'),
    (
        "all(struct.unpack('dc0', '\\0\\0\\0\\0\\0\\0\\248\\127abc'))",
        b"false \"bad argument #2 to 'unpack' (data string too short)\"",
    ),
    ("all(struct.unpack('xc0', '\\3abc'))", b"false \"format 'c0' needs a previous size\""),
    ("all(struct.unpack('bbc0', '\\1\\2abc'))", b'true "1 \\"ab\\" 5"'),
    ("all(struct.unpack('bc0c0', '\\1\\2abc'))", b"false \"format 'c0' needs a previous size\""),
    ("all(struct.unpack('c0', 'abc'))", b"false \"format 'c0' needs a previous size\""),
    ("all(struct.unpack('c0fB', 'abcdefgh'))", b"false \"format 'c0' needs a previous size\""),
    # positions
    (
        "all(struct.unpack('c0fB', 'abcdefgh', 0))",
        b"false \"bad argument #3 to 'unpack' (offset must be 1 or greater)\"",
    ),
    ("all(struct.unpack('b', 'abc', 0.5))", b"false \"bad argument #3 to 'unpack' (offset must be 1 or greater)\""),
    ("all(struct.unpack('b', 'abc', 1.5))", b'true "97 2"'),
    ("all(struct.unpack('bb', 'abc', '2'))", b'true "98 99 4"'),
    ("all(struct.unpack('', 'abc', -1))", b'true "-1"'),
    ("all(struct.unpack('', 'abc', -2.7))", b'true "-2"'),
    ("all(struct.unpack('', 'abc', 20))", b'true "20"'),
    ("all(struct.unpack('', 'abc', 0/0))", b'true "-9.2233720368547758e+18"'),
    ("all(struct.unpack('', 'abc', 1e300))", b'true "-9.2233720368547758e+18"'),
    ("all(struct.unpack('', 'abc', ' 0x10 '))", b'true "16"'),
    ("all(struct.unpack('', 'abc', nil))", b'true "1"'),
    ("all(struct.unpack('', 'abc', 'x'))", b"false \"bad argument #3 to 'unpack' (number expected, got string)\""),
    ("all(struct.unpack('', 'abc', true))", b"false \"bad argument #3 to 'unpack' (number expected, got boolean)\""),
    ("all(struct.unpack(' ', 'abc', 20))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('<', 'abc', 4))", b'true "4"'),
    ("all(struct.unpack('<', 'abc', 5))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('s', 'abc', 5))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('x', 'abc', 4))", b"false \"bad argument #2 to 'unpack' (data string too short)\""),
    ("all(struct.unpack('x', 'abc', 3))", b'true "4"'),
    ("all(struct.unpack('b', 'a', nil, 5))", b'true "97 2"'),
    # results limit
    ("dump(select('#', struct.unpack(string.rep('b', 7997), string.rep('a', 8000))))", b'true "7998"'),
    (
        "dump(select('#', struct.unpack(string.rep('b', 7998), string.rep('a', 8000))))",
        b'false "stack overflow (too many results)"',
    ),
    ("dump(select('#', struct.unpack(string.rep('b', 7996), string.rep('a', 8000), 1)))", b'true "7997"'),
    (
        "dump(select('#', struct.unpack(string.rep('b', 7997), string.rep('a', 8000), 1)))",
        b'false "stack overflow (too many results)"',
    ),
    # a numeric string nan(n) is a NaN whose mantissa holds n (glibc's strtod)
    ("hex(struct.pack('d', 'nan(123)'))", b'true "7b0000000000f87f"'),
    ("hex(struct.pack('d', '-nan(123)'))", b'true "7b0000000000f8ff"'),
    ("hex(struct.pack('d', 'nan(0xfffffffffffff)'))", b'true "ffffffffffffff7f"'),  # the quiet bit stays
    ("hex(struct.pack('d', 'nan(0X1F)'))", b'true "1f0000000000f87f"'),
    ("hex(struct.pack('d', 'nan(abc)'))", b'true "000000000000f87f"'),
    ("hex(struct.pack('f', 'nan(0x4000000000000)'))", b'true "0000e07f"'),
    (
        "dump(select('#', struct.unpack(string.rep('b', 7997)..'x', string.rep('\\0', 8000))))",
        b'false "stack overflow (too many results)"',
    ),
]


def run(r, expr: str) -> bytes:
    script = PREAMBLE + f"local ok, v = pcall(function() return {expr} end)\nreturn dump(ok) .. ' ' .. dump(v)"
    return re.sub(rb"user_script:\d+: ", b"", r.eval(script, 0))


@pytest.mark.parametrize("expr, shown", CASES)
def test_struct_as_redis(r, expr: str, shown: bytes) -> None:
    assert run(r, expr) == shown


def test_error_outside_pcall_names_the_script_line(r) -> None:
    with pytest.raises(Exception, match=r"user_script:1: bad argument #1 to 'pack' \(invalid format option 'X'\)"):
        r.eval("return struct.pack('X', 1)", 0)
