"""cmsgpack through a real ScriptEngine: lua-cmsgpack 0.4.0's number and string encodings, array
detection, nesting limit, decoding errors, unpack_one and unpack_limit, and the Lua stack limits the C
code meets. Every expected value was read from redis-server 7.0.15 running the same script."""

from __future__ import annotations

import pytest

from cacheserver.commands.scripting import engine_of
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.server import Server

# Helpers the expressions use; errors name line 9, where the expression sits.
PRE = r"""local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end
local function dump(v) local t = type(v)
  if t == 'number' then return string.format('%.17g', v) end
  if t == 'string' then return string.format('%q', v) end
  if t ~= 'table' then return tostring(v) end
  local items = {} for k, x in pairs(v) do items[#items + 1] = dump(k) .. '=' .. dump(x) end
  table.sort(items) return '{' .. table.concat(items, ',') .. '}' end
local function all(...) local out = {} for i = 1, select('#', ...) do out[i] = dump((select(i, ...))) end return table.concat(out, ' ') end
"""


@pytest.fixture(scope="module")
def server():
    return Server()


@pytest.fixture
def run(server):
    eng = engine_of(server)
    c = ClientState(1, server, lambda d: None, lambda: None)

    def run(body: str):
        sha, script = eng.create_script(body.encode("latin-1"))
        try:
            return eng.run_script(
                c, script.function, sha.decode(), 0, False, True, [b"eval", body.encode("latin-1"), b"0"]
            )
        except CommandError as e:
            return e

    return run


def outcome(run, expr: str) -> bytes:
    """``ok value`` of the expression evaluated under pcall."""
    return run(PRE + f"local ok, v = pcall(function() return {expr} end) return tostring(ok) .. ' ' .. tostring(v)")


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("hex(cmsgpack.pack(2^64))", b"true ca5f800000"),
        ("hex(cmsgpack.pack(2^63))", b"true ca5f000000"),
        ("hex(cmsgpack.pack(-2^63))", b"true d38000000000000000"),
        ("hex(cmsgpack.pack(-1e300))", b"true cbfe37e43c8800759c"),
        ("hex(cmsgpack.pack(1/0, -1/0))", b"true ca7f800000caff800000"),
        ("hex(cmsgpack.pack(0/0))", b"true cbfff8000000000000"),
        ("hex(cmsgpack.pack(1.5, 0.1, 2^-149))", b"true ca3fc00000cb3fb999999999999aca00000001"),
        (
            "hex(cmsgpack.pack(127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32))",
            b"true 7fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000",
        ),
        (
            "hex(cmsgpack.pack(-32, -33, -128, -129, -32768, -32769, -2^31, -2^31-1))",
            b"true e0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff",
        ),
        ("hex(cmsgpack.pack({}))", b"true 90"),
        ("hex(cmsgpack.pack({1, 2, nil, 4}))", b"true 83010102020404"),
        ("hex(cmsgpack.pack({[1] = 1, [2] = 2, [4] = 4}))", b"true 83010102020404"),
        ("hex(cmsgpack.pack({[0] = 1}))", b"true 810001"),
        ("hex(cmsgpack.pack({[2^31] = 1}))", b"true 81ce8000000001"),
        ("hex(cmsgpack.pack({['1'] = 1}))", b"true 81a13101"),
        ("hex(cmsgpack.pack({[1.5] = true}))", b"true 81ca3fc00000c3"),
        ("hex(cmsgpack.pack({{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}))", b"true 91919191919191919191919191919191c0"),
        ("hex(cmsgpack.pack(nil, true, false, cjson.null, type))", b"true c0c3c2c0c0"),
        ("hex(cmsgpack.pack('a', 1, {2}))", b"true a161019102"),
        ("cmsgpack.pack()", b"false user_script:9: bad argument #0 to 'pack' (MessagePack pack needs input.)"),
        ("all(cmsgpack.unpack('\\144\\163ab'))", b"false user_script:9: Missing bytes in input."),
        ("all(cmsgpack.unpack('\\196\\002ab\\204\\255'))", b"false user_script:9: Bad data format in input."),
        ("all(cmsgpack.unpack('\\193'))", b"false user_script:9: Bad data format in input."),
        ("all(cmsgpack.unpack('\\217\\3ab'))", b"false user_script:9: Missing bytes in input."),
        ("all(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))", b"true -1"),
        ("all(cmsgpack.unpack('\\207\\0\\32\\0\\0\\0\\0\\0\\1'))", b"true 9007199254740992"),
        ("all(cmsgpack.unpack('\\211\\127\\255\\255\\255\\255\\255\\255\\255'))", b"true 9.2233720368547758e+18"),
        ("all(cmsgpack.unpack('\\202\\127\\128\\0\\0\\202\\63\\192\\0\\0'))", b"true inf 1.5"),
        ("all(cmsgpack.unpack('\\217\\3abc\\218\\0\\2de\\219\\0\\0\\0\\1f'))", b'true "abc" "de" "f"'),
        ("all(cmsgpack.unpack('\\220\\0\\2\\1\\2\\222\\0\\1\\161a\\1'))", b'true {1=1,2=2} {"a"=1}'),
        ("all(cmsgpack.unpack(12))", b"true 49 50"),
        ("all(cmsgpack.unpack(''))", b"true "),
        ("cmsgpack.unpack()", b"false user_script:9: bad argument #1 to 'unpack' (string expected, got no value)"),
        ("cmsgpack.unpack({})", b"false user_script:9: bad argument #1 to 'unpack' (string expected, got table)"),
        ("cmsgpack.unpack('\\129\\192\\1')", b"false table index is nil"),
        ("cmsgpack.unpack('\\129\\203\\127\\248\\0\\0\\0\\0\\0\\0\\1')", b"false table index is NaN"),
        ("all(cmsgpack.unpack('\\129\\1\\192'))", b"true {}"),
        ("all(cmsgpack.unpack_one('\\1\\2\\3'))", b"true 1 1"),
        ("all(cmsgpack.unpack_one('\\1\\2\\3', 2))", b"true -1 3"),
        ("all(cmsgpack.unpack_one('\\1\\2\\3', 3))", b"true -1"),
        ("all(cmsgpack.unpack_one('\\1\\2\\3', ' 1 '))", b"true 2 2"),
        ("cmsgpack.unpack_one('\\1\\2\\3', 4)", b"false user_script:9: Start offset 4 greater than input length 3."),
        (
            "cmsgpack.unpack_one('\\1\\2\\3', -1)",
            b"false user_script:9: Invalid request to unpack with offset of -1 and limit of 3.",
        ),
        (
            "cmsgpack.unpack_one('\\1\\2\\3', 'x')",
            b"false user_script:9: bad argument #2 to 'unpack_one' (number expected, got string)",
        ),
        (
            "cmsgpack.unpack_one()",
            b"false user_script:9: bad argument #1 to 'unpack_one' (string expected, got no value)",
        ),
        ("all(cmsgpack.unpack_limit('\\1\\2\\3', 2))", b"true 2 1 2"),
        ("all(cmsgpack.unpack_limit('\\1\\2\\3', 0))", b"true 1 2 3"),
        ("all(cmsgpack.unpack_limit('\\1\\2\\3', 0, 1))", b"true 1"),
        (
            "cmsgpack.unpack_limit('\\1\\2\\3', -5, 1)",
            b"false user_script:9: Invalid request to unpack with offset of 1 and limit of 3.",
        ),
        (
            "cmsgpack.unpack_limit('\\1\\2\\3', 1, 2^33)",
            b"false user_script:9: Start offset 0 greater than input length 3.",
        ),
        (
            "cmsgpack.unpack_limit('\\1\\2\\3')",
            b"false user_script:9: bad argument #2 to 'unpack_limit' (number expected, got no value)",
        ),
        ("all(cmsgpack._NAME, cmsgpack._VERSION)", b'true "cmsgpack" "lua-cmsgpack 0.4.0"'),
        ("select('#', cmsgpack.unpack(string.rep('\\0', 7999)))", b"true 7999"),
        (
            "cmsgpack.unpack(string.rep('\\0', 8000))",
            b"false user_script:9: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
        ),
        ("select('#', cmsgpack.unpack_limit(string.rep('\\0', 8000), 7998))", b"true 7999"),
        (
            "cmsgpack.unpack_limit(string.rep('\\0', 8000), 7999)",
            b"false user_script:9: stack overflow (in function mp_unpack_full)",
        ),
        (
            "(function() local t = {} for i = 1, 4000 do t[i] = i end return #cmsgpack.pack(unpack(t)) end)()",
            b"true 11618",
        ),
        (
            "(function() local t = {} for i = 1, 4001 do t[i] = i end return #cmsgpack.pack(unpack(t)) end)()",
            b"false user_script:9: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)",
        ),
        (
            "(function() local t = {} for i = 1, 4000 do t[i] = {} end return #cmsgpack.pack(unpack(t)) end)()",
            b"false user_script:9: stack overflow (in function table_is_an_array)",
        ),
        ("hex(cmsgpack.pack(string.rep('x', 31))):sub(1, 4)", b"true bf78"),
        ("hex(cmsgpack.pack(string.rep('x', 32))):sub(1, 6)", b"true d92078"),
        ("hex(cmsgpack.pack(string.rep('x', 255))):sub(1, 6)", b"true d9ff78"),
        ("hex(cmsgpack.pack(string.rep('x', 256))):sub(1, 8)", b"true da010078"),
        ("hex(cmsgpack.pack(string.rep('x', 65535))):sub(1, 8)", b"true daffff78"),
        ("hex(cmsgpack.pack(string.rep('x', 65536))):sub(1, 12)", b"true db0001000078"),
        ("hex(cmsgpack.pack({a = {b = 1}})), hex(cmsgpack.pack(math.huge))", b"true 81a16181a16201"),
    ],
)
def test_matches_redis(run, expr: str, expected: bytes) -> None:
    assert outcome(run, expr) == expected


def test_errors_outside_pcall(run) -> None:
    # luaL_error's texts name the script's line; lua_settable's "table index is nil" names none.
    reply = run("return cmsgpack.unpack('\\129\\192\\1')")
    assert isinstance(reply, CommandError)
    assert reply.text.startswith("ERR table index is nil script: ")
    reply = run("return cmsgpack.pack()")
    assert reply.text.startswith(
        "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: "
    )


def test_pcall_of_the_function_itself_names_no_function(run) -> None:
    assert run("return {pcall(cmsgpack.pack)}") == [None, b"bad argument #0 to '?' (MessagePack pack needs input.)"]
    assert run("return {pcall(cmsgpack.unpack, '\\129\\192\\1')}") == [None, b"table index is nil"]


def test_round_trip_keeps_values(run) -> None:
    body = "return all(cmsgpack.unpack(cmsgpack.pack({1, 'a', {x = 2.5, y = {true, false}}, -70000}, 'b')))"
    assert run(PRE + body) == b'{1=1,2="a",3={"x"=2.5,"y"={1=true,2=false}},4=-70000} "b"'
