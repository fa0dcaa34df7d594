"""RESP parsing over a real socket, against cacheserver and redis-server: errors, inline commands, chunking, limits.

Every expected byte string here is what Redis 7.0.15 sends (each test runs against both servers).
A protocol error is answered with ``-ERR Protocol error: ...`` and closes that connection only; the
requests before it in the same chunk still run.
"""

from __future__ import annotations

import random
import socket
import threading
import time

import pytest
from helpers import RawConnection, RedisProcess, encode_command

from cacheserver.testing import ServerThread

INLINE_MAX = 64 * 1024


def protocol_error(message: bytes) -> bytes:
    return b"-ERR Protocol error: " + message + b"\r\n"


def read_until_closed(conn: RawConnection, wait: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (fails if it stays open)."""
    assert conn.is_closed(wait), f"connection still open; received {conn.buf!r}"
    data, conn.buf = conn.buf, b""
    return data


MALFORMED = [
    (b"*abc\r\n", b"invalid multibulk length"),
    (b"*\r\n", b"invalid multibulk length"),
    (b"*1\r\n$abc\r\n", b"invalid bulk length"),
    (b"*1\r\n$\r\n", b"invalid bulk length"),
    (b"*1\r\nfoo\r\n", b"expected '$', got 'f'"),
    (b"*1\r\n:5\r\n", b"expected '$', got ':'"),
    (b"*1\r\n+OK\r\n", b"expected '$', got '+'"),
    (b"*2\r\n$3\r\nGET\r\n*1\r\n$1\r\na\r\n", b"expected '$', got '*'"),
    # RESP3 types as arguments (some read as bytes or lists by a generic RESP parser)
    (b"*2\r\n$4\r\nECHO\r\n(12\r\n", b"expected '$', got '('"),
    (b"*2\r\n$4\r\nECHO\r\n=5\r\ntxt:a\r\n", b"expected '$', got '='"),
    (b"*2\r\n$4\r\nECHO\r\n,1.5\r\n", b"expected '$', got ','"),
    (b"*2\r\n$4\r\nECHO\r\n#t\r\n", b"expected '$', got '#'"),
    (b"*2\r\n$4\r\nECHO\r\n_\r\n", b"expected '$', got '_'"),
    (b"*2\r\n$4\r\nECHO\r\n~1\r\n$1\r\na\r\n", b"expected '$', got '~'"),
    (b"*2\r\n$4\r\nECHO\r\n>1\r\n$1\r\na\r\n", b"expected '$', got '>'"),
    (b"*2\r\n$4\r\nECHO\r\n|1\r\n$1\r\na\r\n$1\r\nb\r\n", b"expected '$', got '|'"),
    (b"*2\r\n$4\r\nECHO\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n", b"expected '$', got '%'"),
    (b"*1\r\n\r\n", b"expected '$', got ' '"),  # CR is sent as a space
    (b"*1\r\n\xff\r\n", b"expected '$', got '\xff'"),  # any other byte raw
    (b"*1\r\n$-1\r\n", b"invalid bulk length"),
    (b"*1\r\n$-2\r\n", b"invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", b"invalid bulk length"),
    (b"*01\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"*1\r\n$536870913\r\n", b"invalid bulk length"),  # above proto-max-bulk-len (512mb)
    (b"*2147483648\r\n", b"invalid multibulk length"),  # above INT_MAX
    (b"*3000000000\r\n", b"invalid multibulk length"),
    (b"*99999999999999999999\r\n", b"invalid multibulk length"),
    (b'set a "b\r\n', b"unbalanced quotes in request"),
    (b"set a 'b\r\n", b"unbalanced quotes in request"),
    (b'set a "b"c\r\n', b"unbalanced quotes in request"),
    (b"x" * (INLINE_MAX + 100), b"too big inline request"),
    (b"*" + b"1" * (INLINE_MAX + 100), b"too big mbulk count string"),
    (b"*1\r\n$" + b"1" * (INLINE_MAX + 100), b"too big bulk count string"),
]


@pytest.mark.parametrize("data, message", MALFORMED, ids=[repr(d[:24]) for d, _ in MALFORMED])
def test_malformed_request_is_answered_and_closes_only_that_connection(target, data, message):
    with target.raw() as bystander, target.raw() as conn:
        assert bystander.command("SET", "proto:before", "1") == b"+OK\r\n"
        conn.send(encode_command("SET", "proto:k", "v") + b"PING\r\n" + data)
        assert read_until_closed(conn) == b"+OK\r\n+PONG\r\n" + protocol_error(message)
        # the requests before the bad one ran; other clients are not affected
        assert bystander.command("GET", "proto:k") == b"$1\r\nv\r\n"
        assert bystander.command("PING") == b"+PONG\r\n"


def test_proto_max_bulk_len_set_at_runtime(target):
    with target.raw() as admin:
        assert admin.command("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
        try:
            with target.raw() as conn:
                conn.send(b"*2\r\n$4\r\nECHO\r\n$1048576\r\n")  # exactly the limit: accepted, waits
                assert not conn.is_closed(0.3)
            with target.raw() as conn:
                conn.send(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n")
                assert read_until_closed(conn) == protocol_error(b"invalid bulk length")
        finally:
            assert admin.command("CONFIG", "SET", "proto-max-bulk-len", "512mb") == b"+OK\r\n"


def test_huge_but_valid_multibulk_count_waits_for_its_arguments(target):
    with target.raw() as conn:
        conn.send(b"*2147483647\r\n$4\r\nPING\r\n")
        assert not conn.is_closed(0.3)
        assert conn.buf == b""
        with target.raw() as other:
            assert other.command("PING") == b"+PONG\r\n"


@pytest.mark.parametrize(
    "data",
    [b"echo a\x00b\r\nPING\r\n", b"*1\r\n\x00\r\n", b"*1\x00\r\n"],
)
def test_nul_before_the_line_end_keeps_the_line_open(target, data):
    """Redis finds line ends with strchr, which stops at a NUL: the request never completes."""
    with target.raw() as conn:
        conn.send(data)
        assert not conn.is_closed(0.3)
        assert conn.buf == b""


def test_blocked_client_gets_its_protocol_error_after_it_is_unblocked(target):
    with target.raw() as blocked, target.raw() as pusher:
        blocked.send(encode_command("BLPOP", "proto:blk", "0"))
        for _ in range(200):  # wait until the server has taken the BLPOP
            if b"cmd=blpop" in pusher.command("CLIENT", "LIST", "TYPE", "normal"):
                break
            time.sleep(0.01)
        blocked.send(b"PING\r\n*abc\r\n")  # Redis does not read a blocked client's input
        assert not blocked.is_closed(0.3)
        assert blocked.buf == b""
        assert pusher.command("LPUSH", "proto:blk", "x") == b":1\r\n"
        assert read_until_closed(blocked) == (
            b"*2\r\n$9\r\nproto:blk\r\n$1\r\nx\r\n+PONG\r\n" + protocol_error(b"invalid multibulk length")
        )


def test_empty_and_negative_multibulk_are_ignored(raw):
    raw.send(b"*0\r\n*-1\r\n*-10\r\n")
    assert raw.command("PING") == b"+PONG\r\n"


def test_bytes_after_a_bulk_payload_are_not_checked(raw):
    raw.send(b"*1\r\n$4\r\nPINGxx")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.command("ECHO", "ok") == b"$2\r\nok\r\n"


def test_simple_string_as_a_command_name(raw):
    raw.send(encode_command("PING") + b"+foo\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_reply() == b"-ERR unknown command '+foo', with args beginning with: \r\n"


@pytest.mark.parametrize(
    "tail, lines",
    [
        (b"$0\r\n\r\n", [b"$0"]),
        (b"$-1\r\n", [b"$-1"]),
        (b"_\r\n", [b"_"]),
        (b"$1\r\nx\r\n", [b"$1", b"x"]),
        (b"%1\r\n$1\r\na\r\n$1\r\nb\r\n", [b"%1", b"$1", b"a", b"$1", b"b"]),
        (b"~1\r\n$1\r\na\r\n", [b"~1", b"$1", b"a"]),
        (b">1\r\n$1\r\na\r\n", [b">1", b"$1", b"a"]),
        (b"|1\r\n$1\r\na\r\n$1\r\nb\r\n", [b"|1", b"$1", b"a", b"$1", b"b"]),
        (b"(12\r\n=5\r\ntxt:a\r\n+OK\r\n", [b"(12", b"=5", b"txt:a", b"+OK"]),
    ],
)
def test_non_multibulk_items_after_a_request_are_inline_commands(raw, tail, lines):
    # In one chunk after a well-formed request: Redis reads each line as an inline command.
    raw.send(encode_command("PING") + tail + encode_command("PING"))
    assert raw.read_reply() == b"+PONG\r\n"
    for line in lines:
        assert raw.read_reply() == b"-ERR unknown command '%b', with args beginning with: \r\n" % line
    assert raw.read_reply() == b"+PONG\r\n"


def test_arguments_that_start_like_resp3_headers(raw):
    # Bulk arguments beginning with + ( = ~ > | % in one pipelined chunk are plain arguments.
    values = ["+1", "(2", "=3", "~", ">4", "|5", "%6", "+"]
    raw.send(b"".join(encode_command("SET", f"k{i}", v) for i, v in enumerate(values)) + encode_command(
        "MGET", *(f"k{i}" for i in range(len(values)))))
    for _ in values:
        assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"*8\r\n" + b"".join(b"$%d\r\n%b\r\n" % (len(v), v.encode()) for v in values)


def test_pipelined_inline_lines(raw):
    raw.send(b"SET k  v\r\n\r\n  \r\nGET k\nECHO\tx\r\nECHO a\rb\r\nPING\n")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$1\r\nv\r\n"
    assert raw.read_reply() == b"$1\r\nx\r\n"
    assert raw.read_reply() == b"-ERR wrong number of arguments for 'echo' command\r\n"
    assert raw.read_reply() == b"+PONG\r\n"


def test_inline_vertical_tab_and_form_feed_are_spaces_only_between_words(raw):
    # sdssplitargs skips isspace() between words, but only space, tab, CR, LF and NUL end a word.
    raw.send(b"\x0bECHO a\x0bb\r\n")
    assert raw.read_reply() == b"$3\r\na\x0bb\r\n"
    raw.send(b"ECHO\x0c a\r\n")
    assert raw.read_reply() == b"-ERR unknown command 'ECHO\x0c', with args beginning with: 'a' \r\n"


def test_empty_multibulk_between_requests_is_ignored(raw):
    raw.send(encode_command("PING") + b"*0\r\n*-1\r\n" + encode_command("ECHO", "x"))
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_reply() == b"$1\r\nx\r\n"


# -- inline commands ------------------------------------------------------------------------------------


def test_inline_commands(raw):
    raw.send(b"PING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    raw.send(b'set a "b c"\r\nget a\r\n')
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$3\r\nb c\r\n"
    raw.send(b"\r\n\r\n   \r\n\t\n\nPING\n")  # empty lines are ignored; a bare LF ends a line
    assert raw.read_reply() == b"+PONG\r\n"
    raw.send(b"PING\rPING\r\n")  # a lone CR is a space
    assert raw.read_reply() == b"$4\r\nPING\r\n"


@pytest.mark.parametrize(
    "line, reply",
    [
        (b'echo "\\x41\\x4a\\n"', b"$3\r\nAJ\n\r\n"),
        (b'echo "\\x4G"', b"$3\r\nx4G\r\n"),
        (b'echo "\\q\\"\\\\"', b'$3\r\nq"\\\r\n'),
        (b"echo 'a\\'b'", b"$3\r\na'b\r\n"),
        (b"echo '\\n'", b"$2\r\n\\n\r\n"),
        (b'echo ""', b"$0\r\n\r\n"),
        (b"echo ''", b"$0\r\n\r\n"),
        (b'echo a"b c"', b"$4\r\nab c\r\n"),
        (b"echo \t  spaced\t ", b"$6\r\nspaced\r\n"),
        (b'echo "a" "b"', b"-ERR wrong number of arguments for 'echo' command\r\n"),
    ],
)
def test_inline_quoting_follows_sdssplitargs(raw, line, reply):
    raw.send(line + b"\r\n")
    assert raw.read_reply() == reply


@pytest.mark.parametrize("line", [b"echo ''x", b'echo "a"b', b'echo "unterminated', b"echo 'a\\'"])
def test_inline_closing_quote_must_end_the_argument(target, line):
    with target.raw() as conn:
        conn.send(line + b"\r\n")
        assert read_until_closed(conn) == protocol_error(b"unbalanced quotes in request")


def test_inline_request_of_exactly_the_limit_is_accepted(raw):
    raw.send(b"ECHO " + b"x" * (INLINE_MAX - 5) + b"\r\n")
    reply = raw.read_reply()
    assert reply == b"$%d\r\n" % (INLINE_MAX - 5) + b"x" * (INLINE_MAX - 5) + b"\r\n"


# -- chunking ---------------------------------------------------------------------------------------------

PIPELINE = [
    ("SET", "chunk:a", "hello world"),
    ("GET", "chunk:a"),
    ("SET", "chunk:bin", b"\x00\r\n*1\r\n$3\r\n\xff"),
    ("GET", "chunk:bin"),
    ("ECHO", ""),
    ("PING",),
    ("GET", "chunk:missing"),
    ("SET", "chunk:big", "v" * 3000),
    ("GET", "chunk:big"),
    ("SET", "chunk:a", "again", "GET"),
    ("NOSUCHCOMMAND", "x"),
    ("PING", "last"),
]


def pipeline_bytes() -> bytes:
    return b"".join(encode_command(*cmd) for cmd in PIPELINE) + b"ECHO inline\r\n\r\n"


def read_replies(conn: RawConnection, n: int) -> list[bytes]:
    return [conn.read_reply() for _ in range(n)]


def expected_pipeline_replies(target) -> list[bytes]:
    with target.raw() as conn:
        conn.send(pipeline_bytes())
        return read_replies(conn, len(PIPELINE) + 1)


def test_pipeline_sent_whole(target):
    replies = expected_pipeline_replies(target)
    assert replies[:4] == [b"+OK\r\n", b"$11\r\nhello world\r\n", b"+OK\r\n", b"$12\r\n\x00\r\n*1\r\n$3\r\n\xff\r\n"]
    assert replies[4:7] == [b"$0\r\n\r\n", b"+PONG\r\n", b"$-1\r\n"]
    assert replies[9:] == [
        b"$11\r\nhello world\r\n",
        b"-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \r\n",
        b"$4\r\nlast\r\n",
        b"$6\r\ninline\r\n",
    ]


def test_pipeline_one_byte_at_a_time(target):
    expected = expected_pipeline_replies(target)
    data = pipeline_bytes()
    with target.raw() as conn:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            conn.send(data[i : i + 1])
        assert read_replies(conn, len(expected)) == expected


def test_pipeline_split_in_two_at_every_byte(target):
    data = b"".join(encode_command(*cmd) for cmd in PIPELINE[:6]) + b"ECHO inline\r\n"
    with target.raw() as conn:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.send(data)
        expected = read_replies(conn, 7)
        for i in range(1, len(data)):
            conn.send(data[:i])
            conn.send(data[i:])
            assert read_replies(conn, 7) == expected, f"split at {i}"


def test_pipeline_in_random_chunks(target):
    expected = expected_pipeline_replies(target)
    data = pipeline_bytes()
    rng = random.Random(7)
    with target.raw() as conn:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(20):
            pos = 0
            while pos < len(data):
                step = rng.randint(1, 64)
                conn.send(data[pos : pos + step])
                pos += step
            assert read_replies(conn, len(expected)) == expected


def test_ten_megabyte_value_round_trips(raw):
    value = bytes(random.Random(1).getrandbits(8) for _ in range(256)) * (10 * 1024 * 1024 // 256)
    assert raw.command("SET", "proto:big", value) == b"+OK\r\n"
    assert raw.command("GET", "proto:big") == b"$%d\r\n" % len(value) + value + b"\r\n"


def test_pipeline_of_ten_thousand_commands_in_one_write(raw):
    data = b"".join(encode_command("SET", f"p:{i}", str(i)) for i in range(5000))
    data += b"".join(encode_command("GET", f"p:{i}") for i in range(5000))
    sender = threading.Thread(target=raw.send, args=(data,))
    sender.start()
    replies = read_replies(raw, 10_000)
    sender.join()
    assert replies[:5000] == [b"+OK\r\n"] * 5000
    assert replies[5000:] == [b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(5000)]


# -- client-query-buffer-limit ------------------------------------------------------------------------


def assert_closed_without_reply(conn: RawConnection, chunks: list[bytes]) -> None:
    try:
        for chunk in chunks:
            conn.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        return  # closed while we were still sending
    assert conn.is_closed(5.0)
    assert conn.buf == b""


def query_buffer_limit_scenario(host: str, port: int) -> None:
    """With a 1mb limit: a request whose pending bytes pass it closes its client, no one else's."""
    with RawConnection(host, port) as bystander, RawConnection(host, port) as conn:
        assert conn.command("PING") == b"+PONG\r\n"
        assert_closed_without_reply(conn, [b"*1\r\n$2000000\r\n"] + [b"x" * 100_000] * 15)
        assert bystander.command("PING") == b"+PONG\r\n"
    with RawConnection(host, port) as conn:
        # arguments already parsed do not count against the limit, only the unparsed buffer does:
        # 1.4mb of arguments in 200kb pieces are all read (then refused by ECHO's arity)
        conn.send(b"*8\r\n$4\r\nECHO\r\n")
        for _ in range(7):
            conn.send(b"$200000\r\n" + b"y" * 200_000 + b"\r\n")
        assert conn.read_reply() == b"-ERR wrong number of arguments for 'echo' command\r\n"
        assert conn.command("PING") == b"+PONG\r\n"


def test_client_query_buffer_limit_set_at_runtime(target):
    with target.raw() as admin:
        assert admin.command("CONFIG", "SET", "client-query-buffer-limit", "1mb") == b"+OK\r\n"
        try:
            query_buffer_limit_scenario(target.host, target.port)
        finally:
            assert admin.command("CONFIG", "SET", "client-query-buffer-limit", "1gb") == b"+OK\r\n"


def test_client_query_buffer_limit_from_the_config():
    with ServerThread(client_query_buffer_limit="1mb") as srv:
        query_buffer_limit_scenario(srv.host, srv.port)


# -- unauthenticated clients ----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["cacheserver", "redis"])
def auth_server(request):
    """A server with requirepass 'pw': (host, port)."""
    if request.param == "redis":
        proc = RedisProcess().start()  # its start-up check needs PING without a password
        with RawConnection(proc.host, proc.port) as admin:
            assert admin.command("CONFIG", "SET", "requirepass", "pw") == b"+OK\r\n"
        yield proc.host, proc.port
        proc.stop()
    else:
        with ServerThread(requirepass="pw") as srv:
            yield srv.host, srv.port


@pytest.mark.parametrize(
    "data, reply",
    [
        (b"*11\r\n", protocol_error(b"unauthenticated multibulk length")),
        (b"*1\r\n$16385\r\n", protocol_error(b"unauthenticated bulk length")),
        (
            b"PING\r\n" + encode_command("GET", "a") + b"*20\r\n",
            b"-NOAUTH Authentication required.\r\n" * 2 + protocol_error(b"unauthenticated multibulk length"),
        ),
    ],
)
def test_unauthenticated_limits(auth_server, data, reply):
    with RawConnection(*auth_server) as conn:
        conn.send(data)
        assert read_until_closed(conn) == reply


def test_unauthenticated_limits_are_the_edge(auth_server):
    with RawConnection(*auth_server) as conn:
        conn.send(b"*10\r\n$16384\r\n")
        assert not conn.is_closed(0.3)


def test_auth_lifts_the_limits_for_the_rest_of_the_same_chunk(auth_server):
    big = "x" * 20000
    with RawConnection(*auth_server) as conn:
        conn.send(encode_command("AUTH", "pw") + encode_command("ECHO", big) + encode_command("ECHO", *"abcdefghijkl"))
        assert conn.read_reply() == b"+OK\r\n"
        assert conn.read_reply() == b"$20000\r\n" + big.encode() + b"\r\n"
        assert conn.read_reply() == b"-ERR wrong number of arguments for 'echo' command\r\n"
