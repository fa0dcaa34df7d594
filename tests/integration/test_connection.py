"""Connection commands against cacheserver and redis-server: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET."""

from __future__ import annotations

import pytest
import redis


def test_ping_and_echo(raw):
    assert raw.command("PING") == b"+PONG\r\n"
    assert raw.command("PING", "hi") == b"$2\r\nhi\r\n"
    assert raw.command("ECHO", "x y") == b"$3\r\nx y\r\n"
    assert raw.command("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_unknown_command_text(raw):
    assert raw.command("NOSUCH", "a", "b") == (
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"
    )
    assert raw.command("nosuch") == b"-ERR unknown command 'nosuch', with args beginning with: \r\n"


def test_unknown_command_long_args_are_cut(raw):
    reply = raw.command("NOSUCH", "a" * 200, "b")
    assert reply == b"-ERR unknown command 'NOSUCH', with args beginning with: '" + b"a" * 128 + b"' \r\n"


def test_hello_3_map(target):
    with target.raw() as c:
        reply = c.command("HELLO", "3")
        assert reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n")
        assert b"$5\r\nproto\r\n:3\r\n" in reply
        assert reply.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n")
        assert c.command("PING") == b"+PONG\r\n"
        assert c.command("GET", "nokey") == b"_\r\n"


def test_hello_errors(raw):
    assert raw.command("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert raw.command("HELLO", "x") == b"-ERR Protocol version is not an integer or out of range\r\n"
    assert raw.command("HELLO", "3", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"
    assert raw.command("HELLO", "2", "SETNAME", "a b") == (
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    )


def test_hello_2_is_flat_array(raw):
    reply = raw.command("HELLO", "2")
    assert reply.startswith(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n")


def test_auth_without_password(raw):
    assert raw.command("AUTH", "x") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n"
    )
    assert raw.command("AUTH", "default", "anything") == b"+OK\r\n"
    assert raw.command("AUTH", "nobody", "x") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.command("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"


def test_select(r, raw):
    assert raw.command("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert raw.command("SELECT", "-1") == b"-ERR DB index is out of range\r\n"
    assert raw.command("SELECT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("SELECT", "1") == b"+OK\r\n"
    assert raw.command("SET", "k", "db1") == b"+OK\r\n"
    assert r.get("k") is None
    assert raw.command("GET", "k") == b"$3\r\ndb1\r\n"


def test_quit_closes_after_ok(raw):
    assert raw.command("QUIT") == b"+OK\r\n"
    assert raw.is_closed()


def test_reset(raw):
    assert raw.command("SELECT", "2") == b"+OK\r\n"
    assert raw.command("HELLO", "3").startswith(b"%")
    assert raw.command("RESET") == b"+RESET\r\n"
    assert raw.command("GET", "x") == b"$-1\r\n"  # back to RESP2
    assert raw.command("CLIENT", "INFO").find(b" db=0 ") > 0


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_roundtrip(target, protocol):
    client = target.client(protocol=protocol)
    try:
        client.flushall()
        assert client.ping() is True
        assert client.set("greeting", "hello") is True
        assert client.get("greeting") == b"hello"
        assert client.echo("x") == b"x"
    finally:
        client.close()


def test_pipeline_of_many_commands(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"k{i}", i)
    for i in range(1000):
        pipe.get(f"k{i}")
    replies = pipe.execute()
    assert replies[:1000] == [True] * 1000
    assert replies[1000:] == [str(i).encode() for i in range(1000)]


def test_wrongpass_maps_to_redis_py_error(r):
    with pytest.raises(redis.AuthenticationError):
        r.execute_command("AUTH", "nobody", "pw")
