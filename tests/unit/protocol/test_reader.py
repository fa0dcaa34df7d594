"""RequestReader: requests cut at any byte parse back the same; fast/slow path hand-over; sdssplitargs rules.

The byte-exact error texts are proven against a real redis-server in tests/integration/test_protocol.py;
here the parser is driven directly, including states a socket test cannot force (which path a chunk
takes, what is buffered between chunks).
"""

from __future__ import annotations

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cacheserver.protocol import reader as reader_module
from cacheserver.protocol.reader import (
    PROTO_INLINE_MAX_SIZE,
    QueryBufferLimit,
    RequestReader,
    split_args,
)

NATIVE = reader_module.native_parse_requests


@pytest.fixture(autouse=True, scope="module", params=["native", "hiredis"])
def fast_path(request):
    """Every test runs twice: with the C extension's parser as the fast path, and with hiredis (what
    an install without a C compiler runs). The readers a test creates take the one chosen here."""
    if request.param == "native":
        if NATIVE is None:
            pytest.skip("cacheserver._speedups is not built (test_the_extension_is_built_in_ci fails in CI)")
        yield request.param
        return
    reader_module.native_parse_requests = None
    try:
        yield request.param
    finally:
        reader_module.native_parse_requests = NATIVE


def encode(req: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(req) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in req)


def feed_chunks(reader: RequestReader, chunks: list[bytes]) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    for chunk in chunks:
        if chunk:
            out.extend(reader.feed(chunk))
    return out


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(p for p in points if 0 < p < len(data))), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def error_text(reader: RequestReader) -> bytes:
    assert reader.error is not None
    return reader.error.encoded()


# -- any requests, any chunking -----------------------------------------------------------------------

args = st.binary(min_size=0, max_size=40) | st.sampled_from([b"", b"\r\n", b"*1\r\n", b"$3\r\n", b"+OK\r\n", b"\x00"])
requests = st.lists(st.lists(args, min_size=1, max_size=6), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(requests, st.lists(st.integers(min_value=0, max_value=4000), max_size=20))
def test_any_requests_in_any_chunks_parse_back(reqs, points):
    data = b"".join(encode(r) for r in reqs)
    reader = RequestReader()
    assert feed_chunks(reader, cut(data, points)) == reqs
    assert reader.error is None
    assert reader.pending == 0


@settings(max_examples=100, deadline=None)
@given(requests)
def test_one_byte_at_a_time(reqs):
    data = b"".join(encode(r) for r in reqs)
    reader = RequestReader()
    assert feed_chunks(reader, [data[i : i + 1] for i in range(len(data))]) == reqs
    assert reader.pending == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60), st.lists(st.integers(min_value=0, max_value=60), max_size=6))
def test_arbitrary_bytes_parse_the_same_whatever_the_chunking(data, points):
    """Whole-chunk parsing (hiredis when it can) agrees with byte-at-a-time parsing (Python only)."""
    whole = RequestReader()
    got_whole = feed_chunks(whole, cut(data, points))
    single = RequestReader()
    got_single = feed_chunks(single, [data[i : i + 1] for i in range(len(data))])
    assert got_whole == got_single
    assert (whole.error is None) == (single.error is None)
    if whole.error is not None:
        assert whole.error.encoded() == single.error.encoded()


tails = st.lists(
    st.sampled_from(
        [b"$", b"$3", b"$3\r\n", b"abc", b"\r\n", b"\n", b":1", b"-x", b"_", b"#t", b",1", b"!3", b"PING", b"*", b"*1\r\n", b"*0\r\n"]
    ),
    max_size=4,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(args, min_size=1, max_size=4), tails)
def test_a_request_with_any_tail_parses_as_byte_at_a_time(req, tail):
    """A request is accepted without the boundary probe only when hiredis holds nothing after it:
    whatever follows in the chunk (a stray type byte, a partial item or header, an inline line), the
    requests and errors are those of byte-at-a-time parsing, and a request in the next chunk too."""
    data = encode(req) + tail
    after = encode([b"ECHO", b"next"])
    whole = RequestReader()
    got_whole = feed_chunks(whole, [data, after])
    single = RequestReader()
    got_single = feed_chunks(single, [bytes([b]) for b in data + after])
    assert got_whole == got_single
    assert (whole.error is None) == (single.error is None)
    if whole.error is not None:
        assert whole.error.encoded() == single.error.encoded()


# -- the fast path and the hand-over to the Python parser ---------------------------------------------


def test_whole_requests_stay_on_the_fast_path():
    reader = RequestReader()
    assert reader.feed(encode([b"SET", b"k", b"v"]) * 3) == [[b"SET", b"k", b"v"]] * 3
    assert reader.pending == 0
    assert reader._buf is None  # nothing for the Python parser: the next chunk may take hiredis again


@pytest.mark.parametrize(
    "first, second",
    [
        (b"*2\r\n", b"$3\r\nabc\r\n$3\r\ndef\r\n"),  # header consumed by hiredis, has_data() is False
        (b"*2\r\n$3\r\nabc\r\n", b"$3\r\ndef\r\n"),  # one element consumed
        (b"*2\r\n$3\r\nab", b"c\r\n$3\r\ndef\r\n"),  # inside a bulk
        (b"*1\r\n$4\r\nPING\r\n*2\r\n", b"$3\r\nabc\r\n$3\r\ndef\r\n"),  # after a complete request
    ],
)
def test_request_split_after_hiredis_consumed_its_header(first, second):
    reader = RequestReader()
    done = reader.feed(first)
    assert reader._buf is not None  # the Python parser holds the request under way
    done += reader.feed(second)
    assert done[-1] == [b"abc", b"def"]
    assert reader.error is None and reader.pending == 0


def test_hiredis_is_empty_after_a_boundary():
    reader = RequestReader(native=False)
    reader.feed(encode([b"PING"]))
    assert reader._hiredis.gets() is False
    assert not reader._hiredis.has_data()
    # the next whole request is not mixed with anything hiredis kept
    assert reader.feed(encode([b"GET", b"x"])) == [[b"GET", b"x"]]


def test_fast_path_resumes_after_slow_path_finished():
    reader = RequestReader()
    assert reader.feed(b"PING\r\n") == [[b"PING"]]  # inline: Python parser
    assert reader._buf is None
    assert reader.feed(encode([b"ECHO", b"x"])) == [[b"ECHO", b"x"]]


def test_after_a_split_request_the_rest_of_the_chunk_goes_back_to_the_fast_path():
    data = encode([b"SET", b"k", b"v" * 100]) + encode([b"GET", b"k"]) * 3
    reader = RequestReader()
    assert reader.feed(data[:20]) == []
    assert reader._buf is not None
    assert reader.feed(data[20:]) == [[b"SET", b"k", b"v" * 100]] + [[b"GET", b"k"]] * 3
    assert reader._buf is None  # the fast path took the three GETs and ended at a boundary


def test_after_a_split_request_inline_and_partial_rest_stay_in_python():
    reader = RequestReader()
    assert reader.feed(b"*1\r\n$4\r\nPI") == []
    assert reader.feed(b"NG\r\nPING\r\nECHO x\r\n*1\r\n$4\r\nPI") == [[b"PING"], [b"PING"], [b"ECHO", b"x"]]
    assert reader.feed(b"NG\r\n" + encode([b"ECHO", b"y"]) + b"*2\r\n") == [[b"PING"], [b"ECHO", b"y"]]
    assert reader.feed(b"$1\r\na\r\n$1\r\nb\r\n") == [[b"a", b"b"]]
    assert reader.error is None and reader._buf is None


def test_long_pipeline_in_fixed_size_chunks():
    reqs = [[b"SET", b"key:%d" % i, b"x" * (i % 50)] for i in range(2000)]
    data = b"".join(encode(r) for r in reqs)
    for size in (1000, 4096, 65536):
        reader = RequestReader()
        got = feed_chunks(reader, [data[i : i + size] for i in range(0, len(data), size)])
        assert got == reqs
        assert reader.pending == 0 and reader._buf is None


def test_unauthenticated_split_request_does_not_hand_off():
    reader = RequestReader()
    reader.authenticated = False
    assert reader.feed(b"*1\r\n$4\r\nPI") == []
    assert reader.feed(b"NG\r\n" + encode([b"PING"]) * 2) == [[b"PING"]]
    assert reader.feed_buffered() == [[b"PING"]]
    assert reader.feed_buffered() == [[b"PING"]]
    assert reader.feed_buffered() == []


def test_requests_before_an_error_in_the_same_chunk_are_returned():
    reader = RequestReader()
    got = reader.feed(encode([b"SET", b"a", b"1"]) + encode([b"GET", b"a"]) + b"*1\r\n$abc\r\n")
    assert got == [[b"SET", b"a", b"1"], [b"GET", b"a"]]
    assert error_text(reader) == b"-ERR Protocol error: invalid bulk length\r\n"
    assert reader.feed(encode([b"PING"])) == []  # nothing is accepted after the error


@pytest.mark.parametrize(
    "element",
    [b":5\r\n", b"+OK\r\n", b"-ERR x\r\n", b"$-1\r\n", b"*1\r\n$1\r\na\r\n", b"_\r\n", b",1.5\r\n", b"#t\r\n"],
)
def test_non_bulk_elements_get_redis_errors_not_hiredis_values(element):
    reader = RequestReader()
    got = reader.feed(encode([b"PING"]) + b"*1\r\n" + element)
    assert got == [[b"PING"]]
    assert reader.error is not None
    assert error_text(reader).startswith(b"-ERR Protocol error: ")


def test_huge_multibulk_count_is_not_preallocated_by_hiredis():
    reader = RequestReader()
    assert reader.feed(b"*2147483647\r\n") == []  # valid for Redis: waits for 2^31-1 arguments
    assert reader.error is None and reader._args == []
    reader = RequestReader()
    assert reader.feed(encode([b"PING"]) + b"*2147483648\r\n") == [[b"PING"]]
    assert error_text(reader) == b"-ERR Protocol error: invalid multibulk length\r\n"


def test_empty_and_negative_multibulk_are_ignored():
    reader = RequestReader()
    assert reader.feed(b"*0\r\n*-1\r\n*-5\r\n" + encode([b"PING"])) == [[b"PING"]]
    assert reader.error is None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*abc\r\n", b"invalid multibulk length"),
        (b"*\r\n", b"invalid multibulk length"),
        (b"*+1\r\n", b"invalid multibulk length"),
        (b"*01\r\n", b"invalid multibulk length"),
        (b"*1\r\n$abc\r\n", b"invalid bulk length"),
        (b"*1\r\n$-1\r\n", b"invalid bulk length"),
        (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
        (b"*1\r\nfoo\r\n", b"expected '$', got 'f'"),
        (b"*1\r\n\n\r\n", b"expected '$', got ' '"),
        (b"*1\r\n\xff\r\n", b"expected '$', got '\xff'"),
        (b'set a "b\r\n', b"unbalanced quotes in request"),
        (b"x" * (PROTO_INLINE_MAX_SIZE + 1), b"too big inline request"),
        (b"*" + b"1" * (PROTO_INLINE_MAX_SIZE + 1), b"too big mbulk count string"),
        (b"*1\r\n$" + b"1" * (PROTO_INLINE_MAX_SIZE + 1), b"too big bulk count string"),
    ],
)
def test_protocol_errors(data, message):
    reader = RequestReader()
    assert reader.feed(data) == []
    assert error_text(reader) == b"-ERR Protocol error: " + message + b"\r\n"


def test_bulk_above_proto_max_bulk_len():
    reader = RequestReader(max_bulk_len=1024 * 1024)
    reader.feed(b"*1\r\n$1048576\r\n")
    assert reader.error is None
    reader = RequestReader(max_bulk_len=1024 * 1024)
    reader.feed(b"*1\r\n$1048577\r\n")
    assert error_text(reader) == b"-ERR Protocol error: invalid bulk length\r\n"


@pytest.mark.parametrize("data", [b"*1\x00\r\n", b"*1\r\n$4\x00\r\n", b"*1\r\n\x00\r\n", b"echo a\x00b\r\nPING\r\n"])
def test_nul_before_line_end_waits_like_strchr(data):
    """Redis finds line ends with strchr, which stops at a NUL: such a line is never complete."""
    reader = RequestReader()
    assert reader.feed(data) == []
    assert reader.error is None
    reader.feed(b"x" * PROTO_INLINE_MAX_SIZE)
    assert reader.error is not None and b"too big" in error_text(reader)


def test_bytes_after_a_bulk_payload_are_not_checked():
    reader = RequestReader()
    assert reader.feed(b"*1\r\n$4\r\nPINGxx") == [[b"PING"]]
    assert reader.error is None


def test_query_buffer_limit_counts_unparsed_bytes_only():
    reader = RequestReader(query_buffer_limit=1000)
    reader.feed(b"*1\r\n$2000\r\n" + b"x" * 900)
    assert reader.error is None
    reader.feed(b"x" * 200)
    assert isinstance(reader.error, QueryBufferLimit)
    # arguments already parsed do not count, as in Redis
    reader = RequestReader(query_buffer_limit=1000)
    for _ in range(5):
        reader.feed(b"$600\r\n" + b"y" * 600 + b"\r\n" if reader._args is not None else b"*9\r\n")
    assert reader.error is None


# -- unauthenticated clients ----------------------------------------------------------------------------


def test_unauthenticated_limits():
    reader = RequestReader()
    reader.authenticated = False
    reader.feed(b"*11\r\n")
    assert error_text(reader) == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    reader = RequestReader()
    reader.authenticated = False
    reader.feed(b"*1\r\n$16385\r\n")
    assert error_text(reader) == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    reader = RequestReader()
    reader.authenticated = False
    assert reader.feed(b"*10\r\n$16384\r\n") == []
    assert reader.error is None


def test_unauthenticated_client_gets_one_request_at_a_time():
    reader = RequestReader()
    reader.authenticated = False
    data = encode([b"AUTH", b"pw"]) + b"PING\r\n" + encode([b"x"] * 20)
    assert reader.feed(data) == [[b"AUTH", b"pw"]]
    reader.authenticated = True  # the AUTH succeeded
    assert reader.feed_buffered() == [[b"PING"]] + [[b"x"] * 20]
    assert reader.error is None and reader.pending == 0
    assert reader.feed_buffered() == []


# -- inline commands: sdssplitargs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, argv",
    [
        (b"set a b", [b"set", b"a", b"b"]),
        (b"  set   a\tb  ", [b"set", b"a", b"b"]),
        (b"", []),
        (b"   ", []),
        (b'set a "b c"', [b"set", b"a", b"b c"]),
        (b'"\\x41\\x4a\\x4A"', [b"AJJ"]),
        (b'"\\x4G"', [b"x4G"]),
        (b'"\\n\\r\\t\\b\\a\\q\\\\\\""', [b'\n\r\t\b\x07q\\"']),
        (b"'a\\'b'", [b"a'b"]),
        (b"'\\n'", [b"\\n"]),
        (b'""', [b""]),
        (b"''", [b""]),
        (b'a"b c"', [b"ab c"]),  # a quote inside a word opens a quoted part
        (b'"a" "b"', [b"a", b"b"]),
    ],
)
def test_split_args(line, argv):
    assert split_args(line) == argv


@pytest.mark.parametrize("line", [b'"abc', b"'abc", b'"a"b', b'a"b c"d', b"'a'b", b'"a\\"', b"''x"])
def test_split_args_unbalanced(line):
    assert split_args(line) is None


def test_inline_lines():
    reader = RequestReader()
    got = reader.feed(b'PING\r\n\r\n  \r\nset a "b c"\nPING\rPING\r\n')
    assert got == [[b"PING"], [b"set", b"a", b"b c"], [b"PING", b"PING"]]  # CR is a space
    assert reader.error is None


def test_hiredis_reader_is_still_the_fast_path():
    """The design depends on hiredis rejecting what Redis rejects for these (else Python decides)."""
    r = hiredis.Reader()
    r.feed(b"*1\r\n$3\r\nabc\r\n")
    assert r.gets() == [b"abc"]


# -- the C parser ------------------------------------------------------------------------------------


def test_the_extension_is_built_in_ci():
    """CI installs with a C compiler: a missing extension there is a broken build, not a fallback."""
    import os

    if os.environ.get("CI") != "true" and NATIVE is None:
        pytest.skip("cacheserver._speedups is not built here (pure-Python install)")
    assert NATIVE is not None


def native(data: bytes, pos: int = 0, max_bulk: int = 512 * 1024 * 1024) -> tuple[list, int]:
    if NATIVE is None:
        pytest.skip("cacheserver._speedups is not built")
    out: list = []
    return out, NATIVE(data, out, pos, max_bulk)


@pytest.mark.parametrize(
    "rest",
    [
        b"",
        b"*1\r\n$4\r\nPI",  # partial bulk
        b"*2\r\n$4\r\nPING\r\n",  # partial request
        b"*2\r",  # partial header
        b"PING\r\n",  # inline
        b"*0\r\n",  # empty multibulk: Redis skips it
        b"*-1\r\n",
        b"*01\r\n$4\r\nPING\r\n",  # leading zero
        b"*1\r\n$04\r\nPING\r\n",
        b"*+1\r\n$4\r\nPING\r\n",  # sign
        b"*1\r\n$-1\r\n",
        b"*1\n$4\r\nPING\r\n",  # LF alone
        b"*1\r\n$4\r\nPINGxx",  # the bytes after a payload are not CRLF (Redis does not check them)
        b"*1\r\n:4\r\n",  # not a bulk
        b"*1\r\n$1234567890123\r\n",  # 13 digits
        b"*1234567890123\r\n",
        b"*2147483648\r\n" + b"$0\r\n\r\n" * 3,  # above INT_MAX, and more than the chunk holds
    ],
)
def test_native_parser_takes_whole_plain_requests_and_stops_before_anything_else(rest):
    head = encode([b"SET", b"k", b""]) + encode([b"GET", b"\r\n*1\r\n"])
    got, pos = native(head + rest)
    assert got == [[b"SET", b"k", b""], [b"GET", b"\r\n*1\r\n"]]
    assert pos == len(head)


def test_native_parser_starts_at_pos_and_honours_max_bulk_len():
    data = b"xx" + encode([b"ECHO", b"a" * 10]) + encode([b"ECHO", b"b" * 11])
    got, pos = native(data, pos=2, max_bulk=10)
    assert got == [[b"ECHO", b"a" * 10]]
    assert data[pos:] == encode([b"ECHO", b"b" * 11])


def test_native_parser_allocates_nothing_for_a_count_the_chunk_cannot_hold():
    got, pos = native(b"*100000000\r\n" + b"$0\r\n\r\n" * 10)
    assert got == [] and pos == 0


@settings(max_examples=300, deadline=None)
@given(requests, st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.binary(max_size=3)), max_size=4))
def test_native_and_hiredis_readers_agree_on_damaged_pipelines(reqs, damage):
    """Whatever bytes are overwritten, both fast paths hand the same requests and the same error on."""
    data = bytearray(b"".join(encode(r) for r in reqs))
    for at, b in damage:
        data[at : at + len(b)] = b
    data = bytes(data)
    results = []
    for use_native in (True, False):
        reader = RequestReader(native=use_native)
        got = reader.feed(data) if data else []
        results.append((got, reader.error.encoded() if reader.error else None, reader.pending))
    assert results[0] == results[1]
