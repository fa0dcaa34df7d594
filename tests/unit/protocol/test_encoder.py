"""Encoder: every reply type in RESP2 and RESP3, byte for byte as Redis 7.0 writes it."""

from __future__ import annotations

import enum

import pytest
from helpers import reply_length
from hypothesis import given, settings
from hypothesis import strategies as st

from cacheserver.errors import CommandError
from cacheserver.protocol.encoder import RESP2, RESP3, bulk_array, encode, encode_into, format_double
from cacheserver.protocol.replies import (
    EMPTY_ARRAY,
    NO_REPLY,
    NULL_ARRAY,
    OK,
    BigNumber,
    Map,
    Push,
    Raw,
    SetReply,
    Verbatim,
)


def both(value) -> tuple[bytes, bytes]:
    return encode(value, 2), encode(value, 3)


@pytest.mark.parametrize(
    "value, resp2, resp3",
    [
        (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
        (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
        (b"a\r\nb", b"$4\r\na\r\nb\r\n", b"$4\r\na\r\nb\r\n"),
        (bytearray(b"xy"), b"$2\r\nxy\r\n", b"$2\r\nxy\r\n"),
        (memoryview(b"xy"), b"$2\r\nxy\r\n", b"$2\r\nxy\r\n"),
        ("OK", b"+OK\r\n", b"+OK\r\n"),
        (0, b":0\r\n", b":0\r\n"),
        (1023, b":1023\r\n", b":1023\r\n"),
        (1024, b":1024\r\n", b":1024\r\n"),
        (-1, b":-1\r\n", b":-1\r\n"),
        (-(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
        (2**63 - 1, b":9223372036854775807\r\n", b":9223372036854775807\r\n"),
        (True, b":1\r\n", b"#t\r\n"),
        (False, b":0\r\n", b"#f\r\n"),
        (None, b"$-1\r\n", b"_\r\n"),
        (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
        (OK, b"+OK\r\n", b"+OK\r\n"),
        (EMPTY_ARRAY, b"*0\r\n", b"*0\r\n"),
        (Raw(b":7\r\n"), b":7\r\n", b":7\r\n"),
        (NO_REPLY, b"", b""),
        (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
        (0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
        (3.0, b"$1\r\n3\r\n", b",3\r\n"),
        (-0.0, b"$2\r\n-0\r\n", b",-0\r\n"),
        (1e17, b"$5\r\n1e+17\r\n", b",1e+17\r\n"),
        (1.7976931348623157e308, b"$23\r\n1.7976931348623157e+308\r\n", b",1.7976931348623157e+308\r\n"),
        (5e-324, b"$23\r\n4.9406564584124654e-324\r\n", b",4.9406564584124654e-324\r\n"),
        (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
        (float("-inf"), b"$4\r\n-inf\r\n", b",-inf\r\n"),
        ([], b"*0\r\n", b"*0\r\n"),
        ([b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
        ((b"a",), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n"),
        (
            [[b"a", [1.5]], []],
            b"*2\r\n*2\r\n$1\r\na\r\n*1\r\n$3\r\n1.5\r\n*0\r\n",
            b"*2\r\n*2\r\n$1\r\na\r\n*1\r\n,1.5\r\n*0\r\n",
        ),
        (
            {b"k": 1, b"j": b"v"},
            b"*4\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n",
            b"%2\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n",
        ),
        (
            Map([(b"k", None), (b"k", [])]),
            b"*4\r\n$1\r\nk\r\n$-1\r\n$1\r\nk\r\n*0\r\n",
            b"%2\r\n$1\r\nk\r\n_\r\n$1\r\nk\r\n*0\r\n",
        ),
        ({}, b"*0\r\n", b"%0\r\n"),
        (SetReply([b"x", b"y"]), b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n", b"~2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
        (SetReply(), b"*0\r\n", b"~0\r\n"),
        (
            Push([b"message", b"ch", b"hi"]),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        ),
        (Verbatim(b"a\r\nb"), b"$4\r\na\r\nb\r\n", b"=8\r\ntxt:a\r\nb\r\n"),
        (Verbatim(b"# x", b"mkd"), b"$3\r\n# x\r\n", b"=7\r\nmkd:# x\r\n"),
        (BigNumber(2**70), b"$22\r\n1180591620717411303424\r\n", b"(1180591620717411303424\r\n"),
        (
            {b"m": {b"n": SetReply([True])}},
            b"*2\r\n$1\r\nm\r\n*2\r\n$1\r\nn\r\n*1\r\n:1\r\n",
            b"%1\r\n$1\r\nm\r\n%1\r\n$1\r\nn\r\n~1\r\n#t\r\n",
        ),
    ],
)
def test_reply_types(value, resp2, resp3):
    assert both(value) == (resp2, resp3)


def test_large_bulk_is_not_formatted_through_a_copy():
    value = b"x" * 100_000
    assert encode(value) == b"$100000\r\n" + value + b"\r\n"


def test_errors():
    assert both(CommandError("syntax error")) == (b"-ERR syntax error\r\n",) * 2
    assert encode(CommandError("Operation against a key", "WRONGTYPE")) == b"-WRONGTYPE Operation against a key\r\n"
    # an error text never breaks the protocol: CR and LF become spaces
    assert encode(CommandError("bad\r\nthing\nhere")) == b"-ERR bad  thing here\r\n"
    assert encode([b"ok", CommandError("inside")], 3) == b"*2\r\n$2\r\nok\r\n-ERR inside\r\n"


def test_error_subclass_is_resolved_and_cached():
    class Custom(CommandError):
        pass

    table = dict(RESP2)
    out = bytearray()
    encode_into(out, Custom("x", "BUSY"), table)
    assert bytes(out) == b"-BUSY x\r\n"
    assert table[Custom] is table[CommandError]


def test_int_enum_encodes_as_integer():
    class Flag(enum.IntEnum):
        ON = 7

    assert both(Flag.ON) == (b":7\r\n", b":7\r\n")


def test_unknown_type_is_a_bug():
    with pytest.raises(TypeError):
        encode(object())


def test_format_double():
    assert format_double(1.0) == b"1"
    assert format_double(float("nan")) == b"nan"
    assert format_double(123456789.123) == b"123456789.123"
    assert format_double(1 / 3) == b"0.33333333333333331"


values = st.recursive(
    st.binary(max_size=20)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.text(alphabet="abcXYZ ", max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.builds(SetReply, st.lists(children, max_size=4))
        | st.builds(Push, st.lists(children, max_size=4))
        | st.dictionaries(st.binary(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)


@given(values)
def test_any_value_is_exactly_one_complete_reply(value):
    for table in (RESP2, RESP3):
        out = bytearray()
        encode_into(out, value, table)
        assert reply_length(bytes(out)) == len(out)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.binary(max_size=6), min_size=1, max_size=20)
    | st.tuples(st.binary(max_size=6) | st.just(b"y" * 1500), st.integers(1, 20)).map(lambda t: [t[0]] * t[1])
    | st.lists(st.sampled_from([b"abc", b"y" * 1024, b""]), min_size=1, max_size=6)
)
def test_bulk_array_is_the_multibulk_encoding(items):
    """Items of one length (one shared separator), of mixed lengths (a separator each) and of 1024
    bytes or more (headers formatted) all give the plain multibulk encoding."""
    expected = b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%b\r\n" % (len(x), x) for x in items)
    assert bytes(bulk_array(items)) == expected
