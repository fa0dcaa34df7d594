"""The cmsgpack library (lua-cmsgpack 0.4.0) in scripts, against cacheserver and redis-server: number
encodings (int64 detection, float32 round trip), string and container headers, array detection,
nesting, malformed input, argument errors, unpack_one and unpack_limit, errors that name no line."""

from __future__ import annotations

import pytest
from helpers import pcall_shown


def _outcome(raw, expr: str) -> bytes:
    return raw.command("EVAL", pcall_shown(expr), "0")


def _bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


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
        ("hex(cmsgpack.pack(string.rep('x', 31))):sub(1, 4)", b"true bf78"),
        ("hex(cmsgpack.pack(string.rep('x', 32))):sub(1, 6)", b"true d92078"),
        ("hex(cmsgpack.pack(string.rep('x', 255))):sub(1, 6)", b"true d9ff78"),
        ("hex(cmsgpack.pack(string.rep('x', 256))):sub(1, 8)", b"true da010078"),
        ("hex(cmsgpack.pack(string.rep('x', 65535))):sub(1, 8)", b"true daffff78"),
        ("hex(cmsgpack.pack(string.rep('x', 65536))):sub(1, 12)", b"true db0001000078"),
        ("hex(cmsgpack.pack({a = {b = 1}})), hex(cmsgpack.pack(math.huge))", b"true 81a16181a16201"),
    ],
)
def test_cmsgpack_matches_lua_cmsgpack(raw, expr: str, expected: bytes) -> None:
    assert _outcome(raw, expr) == _bulk(expected)


def test_table_index_errors_name_no_line(raw) -> None:
    assert raw.command("EVAL", "return cmsgpack.unpack('\\129\\192\\1')", "0") == (
        b"-ERR table index is nil script: fc5ecea28c7c4519bafde8e9710d8f45499f865b, on @user_script:1.\r\n"
    )


def test_long_stream_of_values_meets_the_stack_limit(raw) -> None:
    assert _outcome(raw, "select('#', cmsgpack.unpack(string.rep('\\0', 7999)))") == _bulk(b"true 7999")
    assert _outcome(raw, "select('#', cmsgpack.unpack_limit(string.rep('\\0', 8000), 7998))") == _bulk(b"true 7999")
    assert _outcome(raw, "cmsgpack.unpack(string.rep('\\0', 8000))") == _bulk(
        b"false user_script:9: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
    )
