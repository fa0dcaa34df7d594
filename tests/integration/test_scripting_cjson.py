"""cjson (lua_cjson 2.1.0) in scripts, against cacheserver and redis-server: number formatting with
%.14g, array detection (sparse arrays, non-integer keys, keys past INT_MAX), the key type in errors, the
strtod number syntax decode accepts, string escapes, error texts with their character positions, depth
limits, and the configuration functions, whose settings last for later scripts until SCRIPT FLUSH.

Each case is a Lua expression and the text Redis 7.0.15 shows for it under pcall: ``ok`` and then the
value (numbers with 17 digits, strings quoted with %q, tables with sorted entries)."""

from __future__ import annotations

import pytest

PREAMBLE = r"""local function dump(v, d)
  d = d or 0
  local t = type(v)
  if t == 'number' then return string.format('%.17g', v) end
  if t == 'string' then return string.format('%q', v) end
  if t == 'userdata' then return v == cjson.null and 'cjson.null' or 'userdata' end
  if t ~= 'table' then return tostring(v) end
  if d > 3 then return '{...}' end
  local items = {}
  for k, x in pairs(v) do items[#items + 1] = dump(k, d + 1) .. '=' .. dump(x, d + 1) end
  table.sort(items)
  return '{' .. table.concat(items, ',') .. '}'
end
local function all(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = dump((select(i, ...))) end
  return table.concat(out, ' ')
end
"""

# Errors name the script's line: the preamble above takes 18 lines.
CASES = [
    (
        "cjson.encode({-0, 2^53, 1e16, 2^63, 1e300, 5e-324, 0.1, -1/3, 100})",
        b'true "[-0,9.007199254741e+15,1e+16,9.2233720368548e+18,1e+300,4.9406564584125e-324,0.1,-0.33333333333333,100]"',
    ),
    ("cjson.encode({a = -0, [-0] = 0})", b'true "{\\"a\\":-0,\\"-0\\":-0}"'),
    (
        "cjson.encode({[true] = 1})",
        b'false "user_script:19: Cannot serialise boolean: table key must be a number or string"',
    ),
    (
        "cjson.encode({[{}] = 1})",
        b'false "user_script:19: Cannot serialise table: table key must be a number or string"',
    ),
    (
        "cjson.encode({[cjson.encode] = 1})",
        b'false "user_script:19: Cannot serialise function: table key must be a number or string"',
    ),
    ("cjson.encode(cjson.encode)", b'false "user_script:19: Cannot serialise function: type not supported"'),
    (
        "cjson.encode(coroutine.create(function() end))",
        b'false "user_script:19: Cannot serialise thread: type not supported"',
    ),
    (
        "cjson.encode({cjson.null, '\\195\\169', {[3] = {1}, [1] = 256, [1e10] = {2}, [2^31] = false}})",
        b'true "[null,\\"\xc3\xa9\\",[256]]"',
    ),
    ("cjson.encode({[1e10] = 1})", b'true "{\\"10000000000\\":1}"'),
    ("cjson.encode({[2^31 - 1] = 1})", b'false "user_script:19: Cannot serialise table: excessively sparse array"'),
    ("cjson.encode({[1] = 1, [2^32 + 1] = 1})", b'true "{\\"1\\":1,\\"4294967297\\":1}"'),
    ("cjson.encode({[0] = 1})", b'true "{\\"0\\":1}"'),
    ("cjson.encode({1, 2, [1.5] = 3})", b'true "{\\"1\\":1,\\"2\\":2,\\"1.5\\":3}"'),
    (
        "cjson.encode({[1] = 1, [2] = 2, [4] = 4, [20] = 1})",
        b'false "user_script:19: Cannot serialise table: excessively sparse array"',
    ),
    ("cjson.encode({[11] = 1})", b'false "user_script:19: Cannot serialise table: excessively sparse array"'),
    ("cjson.encode({[10] = 1})", b'true "[null,null,null,null,null,null,null,null,null,1]"'),
    ("cjson.encode({1, 2, nil, 4})", b'true "[1,2,null,4]"'),
    ("cjson.encode({[1/0] = 1})", b'false "user_script:19: Cannot serialise number: must not be NaN or Inf"'),
    ("cjson.encode(0/0)", b'false "user_script:19: Cannot serialise number: must not be NaN or Inf"'),
    (
        "cjson.encode({'a\\0b', '\\127\\128', '/\"\\\\', '\\1\\31\\8'})",
        b'true "[\\"a\\\\u0000b\\",\\"\\\\u007f\x80\\",\\"\\\\/\\\\\\"\\\\\\\\\\",\\"\\\\u0001\\\\u001f\\\\b\\"]"',
    ),
    ("cjson.encode()", b"false \"user_script:19: bad argument #1 to 'encode' (expected 1 argument)\""),
    ("cjson.encode(1, 2)", b"false \"user_script:19: bad argument #1 to 'encode' (expected 1 argument)\""),
    ("cjson.decode()", b"false \"user_script:19: bad argument #1 to 'decode' (expected 1 argument)\""),
    ("cjson.decode(nil)", b"false \"user_script:19: bad argument #1 to 'decode' (string expected, got nil)\""),
    ("cjson.decode({})", b"false \"user_script:19: bad argument #1 to 'decode' (string expected, got table)\""),
    ("cjson.decode('1', 2)", b"false \"user_script:19: bad argument #1 to 'decode' (expected 1 argument)\""),
    ("cjson.decode(12)", b"true 12"),
    ("cjson.decode('\\0')", b'false "user_script:19: Expected value but found T_END at character 1"'),
    ("cjson.decode('1\\0')", b'false "user_script:19: JSON parser does not support UTF-16 or UTF-32"'),
    ("cjson.decode('12\\0x')", b"true 12"),
    (
        "cjson.decode('\"ab\\0c\"')",
        b'false "user_script:19: Expected value but found unexpected end of string at character 4"',
    ),
    ("cjson.decode('')", b'false "user_script:19: Expected value but found T_END at character 1"'),
    ("cjson.decode('  ')", b'false "user_script:19: Expected value but found T_END at character 3"'),
    ("cjson.decode('0x10')", b"true 16"),
    ("cjson.decode('-0x1p4')", b"true -16"),
    ("cjson.decode('-Infinity')", b"true -inf"),
    ("cjson.decode('nan(123)')", b"true nan"),
    ("cjson.decode('+1')", b"true 1"),
    ("cjson.decode('+')", b'false "user_script:19: Expected value but found invalid number at character 1"'),
    ("cjson.decode('-')", b'false "user_script:19: Expected value but found invalid number at character 1"'),
    ("cjson.decode('01')", b"true 1"),
    ("cjson.decode('1.')", b"true 1"),
    ("cjson.decode('.5')", b'false "user_script:19: Expected value but found invalid token at character 1"'),
    ("cjson.decode('1e')", b'false "user_script:19: Expected the end but found invalid token at character 2"'),
    ("cjson.decode('0x')", b'false "user_script:19: Expected the end but found invalid token at character 2"'),
    ("cjson.decode('nul')", b'false "user_script:19: Expected value but found invalid token at character 1"'),
    ("cjson.decode('True')", b'false "user_script:19: Expected value but found invalid token at character 1"'),
    (
        "cjson.decode('\"\\\\x\"')",
        b'false "user_script:19: Expected value but found invalid escape code at character 2"',
    ),
    (
        "cjson.decode('\"\\\\u12\"')",
        b'false "user_script:19: Expected value but found invalid unicode escape code at character 2"',
    ),
    (
        "cjson.decode('\"\\\\ud83d\"')",
        b'false "user_script:19: Expected value but found invalid unicode escape code at character 2"',
    ),
    (
        "cjson.decode('\"\\\\ude00\"')",
        b'false "user_script:19: Expected value but found invalid unicode escape code at character 2"',
    ),
    (
        "cjson.decode('\"\\\\ud83d\\\\u0041\"')",
        b'false "user_script:19: Expected value but found invalid unicode escape code at character 2"',
    ),
    ("cjson.decode('\"\\\\ud83d\\\\ude00\\\\u00e9\\\\u0000!\"')", b'true "\xf0\x9f\x98\x80\xc3\xa9\\000!"'),
    (
        "cjson.decode('\"unterminated')",
        b'false "user_script:19: Expected value but found unexpected end of string at character 14"',
    ),
    ("cjson.decode('[1,]')", b'false "user_script:19: Expected value but found T_ARR_END at character 4"'),
    (
        "cjson.decode('{\"a\":1,}')",
        b'false "user_script:19: Expected object key string but found T_OBJ_END at character 8"',
    ),
    ("cjson.decode('{\"a\" 1}')", b'false "user_script:19: Expected colon but found T_NUMBER at character 6"'),
    ("cjson.decode('[1] x')", b'false "user_script:19: Expected the end but found invalid token at character 5"'),
    ("cjson.decode('\\11[1]')", b'false "user_script:19: Expected value but found invalid token at character 1"'),
    ("cjson.decode('\\200')", b'false "user_script:19: Expected value but found invalid token at character 1"'),
    ("cjson.decode('[-0, 1e400, 1e-400, 9007199254740993]')", b"true {1=-0,2=inf,3=0,4=9007199254740992}"),
    (
        "cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
        b'false "user_script:19: Found too many nested data structures (1001) at character 1001"',
    ),
    (
        "cjson.decode(string.rep('{\"k\":', 1001) .. '1' .. string.rep('}', 1001))",
        b'false "user_script:19: Found too many nested data structures (1001) at character 5001"',
    ),
    ("cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))):len()", b"true 2000"),
    (
        'cjson.encode(cjson.decode(\'{"b":1,"a":[1,2,{"c":null}],"b":5}\'))',
        b'true "{\\"a\\":[1,2,{\\"c\\":null}],\\"b\\":5}"',
    ),
    ("{cjson._NAME, cjson._VERSION}", b'true {1="cjson",2="2.1.0"}'),
    (
        "cjson.encode_max_depth(0)",
        b"false \"user_script:19: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)\"",
    ),
    (
        "cjson.encode_max_depth('x')",
        b"false \"user_script:19: bad argument #1 to 'encode_max_depth' (number expected, got string)\"",
    ),
    (
        "cjson.encode_max_depth(1, 2)",
        b"false \"user_script:19: bad argument #2 to 'encode_max_depth' (found too many arguments)\"",
    ),
    (
        "cjson.decode_max_depth(2^40)",
        b"false \"user_script:19: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)\"",
    ),
    (
        "cjson.encode_number_precision(15)",
        b"false \"user_script:19: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)\"",
    ),
    (
        "cjson.encode_invalid_numbers('bad')",
        b"false \"user_script:19: bad argument #1 to 'encode_invalid_numbers' (invalid option 'bad')\"",
    ),
    (
        "cjson.encode_invalid_numbers(1)",
        b"false \"user_script:19: bad argument #1 to 'encode_invalid_numbers' (invalid option '1')\"",
    ),
    (
        "cjson.encode_keep_buffer({})",
        b"false \"user_script:19: bad argument #1 to 'encode_keep_buffer' (string expected, got table)\"",
    ),
    (
        "cjson.encode_sparse_array(false, 2, 10, 1)",
        b"false \"user_script:19: bad argument #4 to 'encode_sparse_array' (found too many arguments)\"",
    ),
    (
        "cjson.encode_sparse_array(false, 'x')",
        b"false \"user_script:19: bad argument #2 to 'encode_sparse_array' (number expected, got string)\"",
    ),
    ("all(cjson.encode_sparse_array())", b'true "false 2 10"'),
    (
        "all(cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision())",
        b'true "1000 1000 14"',
    ),
    (
        "all(cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())",
        b'true "true false true"',
    ),
]


def script(expr: str) -> str:
    return PREAMBLE + f"local ok, v = pcall(function() return {expr} end)\nreturn dump(ok) .. ' ' .. dump(v)"


@pytest.fixture
def fresh(r):
    """Scripts on a Lua state whose cjson settings are the defaults (SCRIPT FLUSH after the test too)."""
    r.script_flush()
    yield r
    r.script_flush()


@pytest.mark.parametrize("expr,expected", CASES, ids=range(len(CASES)))
def test_cjson_case(fresh, expr, expected):
    assert fresh.eval(script(expr), 0) == expected


def test_encode_minus_zero_in_tables(fresh):
    # lupa hands -0 to Python as the int 0: the sign is asked of Lua for values and keys
    # (a -z computed at run time: Lua 5.1 gives the constants -0 and 0 of one function one slot)
    assert fresh.eval("local z = 0 return cjson.encode({-z, {x = -z}, z})", 0) == b'[-0,{"x":-0},0]'
    assert fresh.eval("return cjson.encode({-0, {x = -0}, 0})", 0) == b'[-0,{"x":-0},-0]'
    assert fresh.eval("local z = 0 local t = {} t[-z] = 'z' return cjson.encode(t)", 0) == b'{"-0":"z"}'


def test_settings_last_for_later_scripts_until_script_flush(fresh):
    assert fresh.eval("return cjson.encode_max_depth(5)", 0) == 5
    assert fresh.eval("return cjson.encode_max_depth()", 0) == 5
    assert fresh.eval(script("cjson.encode({{{{{1}}}}})"), 0) == b'true "[[[[[1]]]]]"'
    assert fresh.eval(script("cjson.encode({{{{{{1}}}}}})"), 0) == (
        b'false "user_script:19: Cannot serialise, excessive nesting (6)"'
    )
    fresh.script_flush()
    assert fresh.eval("return cjson.encode_max_depth()", 0) == 1000


def test_decode_max_depth(fresh):
    assert fresh.eval("return cjson.decode_max_depth(3)", 0) == 3
    assert fresh.eval(script("cjson.decode('[[[1]]]')"), 0) == b"true {1={1={1=1}}}"
    assert fresh.eval(script("cjson.decode('[[{\"a\":[1]}]]')"), 0) == (
        b'false "user_script:19: Found too many nested data structures (4) at character 8"'
    )


def test_integer_settings_arguments(fresh):
    assert fresh.eval("return cjson.encode_max_depth('  7  ')", 0) == 7
    assert fresh.eval("return cjson.encode_max_depth(2^32 + 5)", 0) == 5  # a C int's low 32 bits
    assert fresh.eval("return cjson.encode_max_depth(2.9)", 0) == 2
    assert fresh.eval("return cjson.encode_max_depth(nil)", 0) == 2
    assert fresh.eval(script("cjson.encode_max_depth(-1)"), 0) == (
        b"false \"user_script:19: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)\""
    )


def test_encode_invalid_numbers(fresh):
    assert fresh.eval("return cjson.encode_invalid_numbers('on')", 0) == 1
    assert fresh.eval("return cjson.encode({1/0, -1/0, 0/0, -(0/0)})", 0) == b"[inf,-inf,nan,nan]"
    assert fresh.eval("return cjson.encode_invalid_numbers('null')", 0) == b"null"
    assert fresh.eval("return cjson.encode({1/0, -1/0, 0/0, [1/0]=1})", 0) == b'{"1":null,"2":null,"3":null,"null":1}'
    assert fresh.eval("return cjson.encode_invalid_numbers(false)", 0) is None
    assert fresh.eval(script("cjson.encode({1/0})"), 0) == (
        b'false "user_script:19: Cannot serialise number: must not be NaN or Inf"'
    )


def test_decode_invalid_numbers_off(fresh):
    assert fresh.eval("return cjson.decode_invalid_numbers('off')", 0) is None
    # '+', 'I' and 'N' start a number only while invalid numbers are accepted
    for text, found in [
        ("0x10", "invalid number at character 1"),
        ("[1, -01]", "invalid number at character 5"),
        ("Infinity", "invalid token at character 1"),
        ("+1", "invalid token at character 1"),
        ("nul", "invalid token at character 1"),
    ]:
        assert fresh.eval(script(f"cjson.decode('{text}')"), 0) == (
            f'false "user_script:19: Expected value but found {found}"'.encode()
        )
    assert fresh.eval(script("cjson.decode('-0.5e1')"), 0) == b"true -5"


def test_encode_sparse_array(fresh):
    assert fresh.eval(script("all(cjson.encode_sparse_array(true))"), 0) == b'true "true 2 10"'
    assert fresh.eval("return cjson.encode({[1]=1, [20]=2})", 0) == b'{"1":1,"20":2}'
    assert fresh.eval(script("all(cjson.encode_sparse_array(false, 0))"), 0) == b'true "false 0 10"'
    assert fresh.eval("return cjson.encode({[1]=1, [12]=2})", 0) == b"[1" + b",null" * 10 + b",2]"
    assert fresh.eval(script("all(cjson.encode_sparse_array(false, 2, 0))"), 0) == b'true "false 2 0"'
    assert fresh.eval("return cjson.encode({[1]=1, [4]=2})", 0) == b"[1,null,null,2]"
    assert fresh.eval(script("cjson.encode({[1]=1, [5]=2})"), 0) == (
        b'false "user_script:19: Cannot serialise table: excessively sparse array"'
    )
    # each option is stored before the next is checked; a range error names argument 1
    assert fresh.eval(script("cjson.encode_sparse_array(true, -1)"), 0) == (
        b"false \"user_script:19: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)\""
    )
    assert fresh.eval(script("all(cjson.encode_sparse_array())"), 0) == b'true "true 2 0"'
    assert fresh.eval(script("cjson.encode_sparse_array('of')"), 0) == (
        b"false \"user_script:19: bad argument #1 to 'encode_sparse_array' (invalid option 'of')\""
    )


def test_encode_number_precision(fresh):
    assert fresh.eval("return cjson.encode_number_precision('3')", 0) == 3
    assert (
        fresh.eval("return cjson.encode({1/3, 123456, 2^53, [2.5]=1})", 0)
        == b'{"1":0.333,"2":1.23e+05,"3":9.01e+15,"2.5":1}'
    )


def test_keep_buffer_and_new(fresh):
    assert fresh.eval("return cjson.encode_keep_buffer('off')", 0) is None
    assert fresh.eval("return cjson.encode_keep_buffer()", 0) is None
    assert fresh.eval("return cjson.encode({1, 'a'})", 0) == b'[1,"a"]'
    # cjson.new: a module table with settings of its own
    body = "local c = cjson.new() c.encode_max_depth(1) return {c.encode_max_depth(), cjson.encode_max_depth(), c.encode({1}), select(2, pcall(c.encode, {{1}}))}"
    assert fresh.eval(body, 0) == [1, 1000, b"[1]", b"Cannot serialise, excessive nesting (2)"]


def test_decoded_nan_keeps_its_payload(fresh):
    # glibc's strtod reads nan(n) with n in the mantissa; cmsgpack shows every bit of the double
    assert fresh.eval("return cmsgpack.pack(cjson.decode('[nan(0x55), -nan(7), nan(x1), -nan]'))", 0) == (
        b"\x94\xcb\x7f\xf8\x00\x00\x00\x00\x00\x55\xcb\xff\xf8\x00\x00\x00\x00\x00\x07"
        b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\xcb\xff\xf8\x00\x00\x00\x00\x00\x00"
    )
    assert fresh.eval("return struct.pack('>d', cjson.decode('nan(99999999999999999999999)'))", 0) == (
        b"\x7f\xff\xff\xff\xff\xff\xff\xff"
    )
