"""cjson through a real ScriptEngine: lua_cjson 2.1.0's numbers, arrays, errors, decoder and settings.
Every expected value was read from redis-server 7.0.15 running the same script."""

from __future__ import annotations

import pytest

from cacheserver.commands.scripting import engine_of
from cacheserver.errors import CommandError


def error(run, body: str) -> str:
    """The message of a script's error, without Redis's ``script: <sha>`` suffix."""
    reply = run(body)
    assert isinstance(reply, CommandError), reply
    return reply.message.split(" script: ")[0]


def test_numbers_are_written_with_14_digits(run):
    assert run("return cjson.encode({2^53, 1e16, 2^63, 5e-324, -1/3, 100, 1e300})") == (
        b"[9.007199254741e+15,1e+16,9.2233720368548e+18,4.9406564584125e-324,-0.33333333333333,100,1e+300]"
    )
    assert run("return cjson.encode({[2^53] = 1})") == b'{"9.007199254741e+15":1}'
    assert (
        error(run, "return cjson.encode({1, 0/0})") == "user_script:1: Cannot serialise number: must not be NaN or Inf"
    )


def test_minus_zero_keeps_its_sign_inside_tables(run):
    assert run("local z = 0 return cjson.encode({-z, {x = -z}, z})") == b'[-0,{"x":-0},0]'
    assert run("local z = 0 local t = {} t[-z] = 1 return cjson.encode(t)") == b'{"-0":1}'
    assert run("return cjson.encode({0, 1, -1})") == b"[0,1,-1]"


def test_array_detection(run):
    assert run("return cjson.encode({cjson.null, 'x', {[3] = {1}, [1] = 256, [1e10] = {2}, [2^31] = false}})") == (
        b'[null,"x",[256]]'
    )  # a key past INT_MAX becomes INT_MIN as lua_cjson's C int maximum
    assert run("return cjson.encode({[1e10] = 1})") == b'{"10000000000":1}'
    assert run("return cjson.encode({[1] = 1, [2^32 + 1] = 1})") == b'{"1":1,"4294967297":1}'
    assert run("return cjson.encode({[0] = 1})") == b'{"0":1}'
    assert run("return cjson.encode({1, 2, [1.5] = 3})") == b'{"1":1,"2":2,"1.5":3}'
    assert run("return cjson.encode({[10] = 1})") == b"[" + b"null," * 9 + b"1]"
    assert run("return cjson.encode({1, 2, nil, 4})") == b"[1,2,null,4]"
    assert run("return cjson.encode({})") == b"{}"
    for body in (
        "return cjson.encode({[11] = 1})",
        "return cjson.encode({[2^31 - 1] = 1})",
        "return cjson.encode({[1] = 1, [2] = 2, [4] = 4, [20] = 1})",
    ):
        assert error(run, body) == "user_script:1: Cannot serialise table: excessively sparse array"


def test_encode_errors_name_the_type(run):
    assert error(run, "return cjson.encode({[true] = 1})") == (
        "user_script:1: Cannot serialise boolean: table key must be a number or string"
    )
    assert error(run, "return cjson.encode({[{}] = 1})") == (
        "user_script:1: Cannot serialise table: table key must be a number or string"
    )
    assert (
        error(run, "return cjson.encode(cjson.encode)")
        == "user_script:1: Cannot serialise function: type not supported"
    )
    assert error(run, "return cjson.encode({coroutine.create(function() end)})") == (
        "user_script:1: Cannot serialise thread: type not supported"
    )
    assert error(run, "return cjson.encode()") == "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"


def test_strings_are_escaped(run):
    assert run(r"return cjson.encode({'a\0b', '\127\128', '/\"\\', '\1\31\8'})") == (
        b'["a\\u0000b","\\u007f\x80","\\/\\"\\\\","\\u0001\\u001f\\b"]'
    )


def test_decode_values(run):
    assert run("return cjson.decode('12\\0x')") == 12  # the C parser stops at a NUL
    assert run("return cjson.decode('0x10')") == 16
    assert run("return cjson.decode('-0x1p4')") == -16
    assert run("return tostring(cjson.decode('-Infinity'))") == b"-inf"
    assert run("return tostring(cjson.decode('nan(123)'))") == b"nan"
    assert run("return cjson.decode('+1')") == 1
    assert run("return cjson.decode('01')") == 1
    assert run("return cjson.decode(12)") == 12
    assert run("return string.format('%.17g', cjson.decode('[9007199254740993]')[1])") == b"9007199254740992"
    assert run("return tostring(1 / cjson.decode('-0'))") == b"-inf"
    assert run(r"return cjson.decode('\"\\ud83d\\ude00\\u00e9\\u0000!\"')") == "😀é".encode() + b"\x00!"
    assert run("""return cjson.encode(cjson.decode('{"b":1,"a":[1,2,{"c":null}],"b":5}'))""") == (
        b'{"a":[1,2,{"c":null}],"b":5}'
    )


@pytest.mark.parametrize(
    "text,message",
    [
        ("\\0", "Expected value but found T_END at character 1"),
        ("1\\0", "JSON parser does not support UTF-16 or UTF-32"),
        ('"ab\\0c"', "Expected value but found unexpected end of string at character 4"),
        ("", "Expected value but found T_END at character 1"),
        ("  ", "Expected value but found T_END at character 3"),
        ("+", "Expected value but found invalid number at character 1"),
        ("-", "Expected value but found invalid number at character 1"),
        (".5", "Expected value but found invalid token at character 1"),
        ("1e", "Expected the end but found invalid token at character 2"),
        ("0x", "Expected the end but found invalid token at character 2"),
        ("nul", "Expected value but found invalid token at character 1"),
        ('"\\\\x"', "Expected value but found invalid escape code at character 2"),
        ('"\\\\u12"', "Expected value but found invalid unicode escape code at character 2"),
        ('"\\\\ud83d"', "Expected value but found invalid unicode escape code at character 2"),
        ('"\\\\ude00"', "Expected value but found invalid unicode escape code at character 2"),
        ('"\\\\ud83d\\\\u0041"', "Expected value but found invalid unicode escape code at character 2"),
        ('"unterminated', "Expected value but found unexpected end of string at character 14"),
        ("[1,]", "Expected value but found T_ARR_END at character 4"),
        ('{"a":1,}', "Expected object key string but found T_OBJ_END at character 8"),
        ('{"a" 1}', "Expected colon but found T_NUMBER at character 6"),
        ("[1] x", "Expected the end but found invalid token at character 5"),
        ("\\11[1]", "Expected value but found invalid token at character 1"),
        ("\\200", "Expected value but found invalid token at character 1"),
    ],
)
def test_decode_errors(run, text, message):
    assert error(run, f"return cjson.decode('{text}')") == "user_script:1: " + message


def test_decode_argument_errors(run):
    assert error(run, "return cjson.decode()") == "user_script:1: bad argument #1 to 'decode' (expected 1 argument)"
    assert (
        error(run, "return cjson.decode('1', 2)") == "user_script:1: bad argument #1 to 'decode' (expected 1 argument)"
    )
    assert (
        error(run, "return cjson.decode(nil)")
        == "user_script:1: bad argument #1 to 'decode' (string expected, got nil)"
    )
    assert (
        error(run, "return cjson.decode({})")
        == "user_script:1: bad argument #1 to 'decode' (string expected, got table)"
    )


def test_depth_limits(run):
    assert error(run, "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))") == (
        "user_script:1: Found too many nested data structures (1001) at character 1001"
    )
    assert error(run, """return cjson.decode(string.rep('{"k":', 1001) .. '1' .. string.rep('}', 1001))""") == (
        "user_script:1: Found too many nested data structures (1001) at character 5001"
    )
    assert run("return #cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))") == 2000


def test_raised_depth_limits_meet_the_lua_stack(run):
    body = """cjson.encode_max_depth(100000) cjson.decode_max_depth(100000)
local out = {}
local t = {} local c = t for i = 1, 9000 do c[1] = {} c = c[1] end out[1] = select(2, pcall(cjson.encode, t))
t = {} c = t for i = 1, 9000 do c.a = {} c = c.a end out[2] = select(2, pcall(cjson.encode, t))
out[3] = select(2, pcall(cjson.decode, string.rep('[', 9000) .. string.rep(']', 9000)))
out[4] = select(2, pcall(cjson.decode, string.rep('{"a":', 9000) .. '1' .. string.rep('}', 9000)))
return out"""
    assert run(body) == [
        b"Cannot serialise, excessive nesting (7998)",
        b"Cannot serialise, excessive nesting (4000)",
        b"Found too many nested data structures (7999) at character 7999",
        b"Found too many nested data structures (4000) at character 19996",
    ]


def test_settings_persist_until_reset(run, server):
    assert run("return cjson.encode_max_depth(5)") == 5
    assert run("return cjson.encode_max_depth()") == 5
    assert error(run, "return cjson.encode({{{{{{1}}}}}})") == "user_script:1: Cannot serialise, excessive nesting (6)"
    engine_of(server).reset()  # SCRIPT FLUSH
    assert run("return cjson.encode_max_depth()") == 1000


def test_settings_functions(run):
    assert run("return {cjson.encode_sparse_array()}") == [None, 2, 10]  # false ends the array reply
    assert run("local a, b, c = cjson.encode_sparse_array(); return {tostring(a), b, c}") == [b"false", 2, 10]
    assert run("return {cjson.encode_sparse_array('on', '3', ' 0x10 ')}") == [1, 3, 16]
    assert run("return cjson.encode_number_precision('3')") == 3
    assert run("return cjson.encode({1/3, 123456, 2^53})") == b"[0.333,1.23e+05,9.01e+15]"
    assert run("return cjson.encode_invalid_numbers(true)") == 1
    assert run("return cjson.encode({1/0, -1/0, 0/0})") == b"[inf,-inf,nan]"
    assert run("return cjson.encode_invalid_numbers('null')") == b"null"
    assert run("return cjson.encode({1/0, [1/0] = 1})") == b'{"1":null,"null":1}'
    assert run("return cjson.decode_invalid_numbers(false)") is None
    assert (
        error(run, "return cjson.decode('0x10')")
        == "user_script:1: Expected value but found invalid number at character 1"
    )
    assert (
        error(run, "return cjson.decode('Infinity')")
        == "user_script:1: Expected value but found invalid token at character 1"
    )
    assert run("return cjson.encode_keep_buffer('off')") is None
    assert run("return cjson.encode_max_depth(2^32 + 5)") == 5
    assert run("return cjson.encode_max_depth(2.9)") == 2
    assert run("return {cjson._NAME, cjson._VERSION}") == [b"cjson", b"2.1.0"]
    assert run(
        "local c = cjson.new() c.encode_max_depth(1) return {c.encode_max_depth(), cjson.encode_max_depth()}"
    ) == [1, 2]


@pytest.mark.parametrize(
    "call,message",
    [
        (
            "cjson.encode_max_depth(0)",
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)",
        ),
        ("cjson.encode_max_depth('x')", "bad argument #1 to 'encode_max_depth' (number expected, got string)"),
        ("cjson.encode_max_depth(1, 2)", "bad argument #2 to 'encode_max_depth' (found too many arguments)"),
        (
            "cjson.decode_max_depth(2^40)",
            "bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)",
        ),
        (
            "cjson.encode_number_precision(15)",
            "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)",
        ),
        ("cjson.encode_invalid_numbers('bad')", "bad argument #1 to 'encode_invalid_numbers' (invalid option 'bad')"),
        ("cjson.encode_invalid_numbers(1)", "bad argument #1 to 'encode_invalid_numbers' (invalid option '1')"),
        ("cjson.encode_keep_buffer({})", "bad argument #1 to 'encode_keep_buffer' (string expected, got table)"),
        (
            "cjson.encode_sparse_array(false, 2, 10, 1)",
            "bad argument #4 to 'encode_sparse_array' (found too many arguments)",
        ),
        (
            "cjson.encode_sparse_array(false, 'x')",
            "bad argument #2 to 'encode_sparse_array' (number expected, got string)",
        ),
        (
            "cjson.encode_sparse_array(true, -1)",
            "bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)",
        ),
    ],
)
def test_settings_argument_errors(run, call, message):
    assert error(run, f"return {call}") == "user_script:1: " + message


def test_decoded_nan_keeps_its_payload(run):
    # strtod's nan(n) puts n below the quiet bit; struct.pack shows the bits
    body = "return struct.pack('>d', cjson.decode('nan(0x55)')) .. struct.pack('>d', cjson.decode('-nan(017)'))"
    assert run(body) == b"\x7f\xf8\x00\x00\x00\x00\x00\x55\xff\xf8\x00\x00\x00\x00\x00\x0f"
