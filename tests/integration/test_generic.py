"""Generic key commands (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY, MOVE, EXPIRE family, OBJECT),
run against cacheserver and a real redis-server."""

from __future__ import annotations

import pytest
import redis

# -- DEL / UNLINK / EXISTS / TOUCH / TYPE ----------------------------------------------------------------


def test_del_counts_existing_keys(raw) -> None:
    raw.command("SET", "a", "1")
    raw.command("SET", "b", "2")
    assert raw.command("DEL", "a", "b", "c", "a") == b":2\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    raw.command("SET", "a", "1")
    assert raw.command("UNLINK", "a", "zz") == b":1\r\n"
    assert raw.command("DEL") == b"-ERR wrong number of arguments for 'del' command\r\n"


def test_exists_counts_duplicates(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("EXISTS", "a", "a", "b", "a") == b":3\r\n"


def test_touch_counts_existing(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("TOUCH", "a", "b", "a") == b":2\r\n"


def test_type(raw) -> None:
    raw.command("SET", "s", "v")
    assert raw.command("TYPE", "s") == b"+string\r\n"
    assert raw.command("TYPE", "nope") == b"+none\r\n"
    raw.command("INCR", "n") if False else raw.command("SET", "n", "12")
    assert raw.command("TYPE", "n") == b"+string\r\n"


# -- KEYS / SCAN / RANDOMKEY ------------------------------------------------------------------------------


def test_keys_patterns(r) -> None:
    for k in ("hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "a[b", ""):
        r.set(k, "1")
    assert sorted(r.keys("h?llo")) == [b"h*llo", b"hallo", b"hello", b"hxllo"]
    assert sorted(r.keys("h*llo")) == [b"h*llo", b"hallo", b"heeeello", b"hello", b"hllo", b"hxllo"]
    assert sorted(r.keys("h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(r.keys("h[^e]llo")) == [b"h*llo", b"hallo", b"hxllo"]
    assert sorted(r.keys("h[a-b]llo")) == [b"hallo"]
    assert sorted(r.keys("h[b-a]llo")) == [b"hallo"]
    assert r.keys("h\\*llo") == [b"h*llo"]
    assert r.keys("a\\[b") == [b"a[b"]
    assert r.keys("[") == []
    assert sorted(r.keys("*")) == sorted([b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo", b"a[b", b""])
    assert b"" not in r.keys("**")  # only the literal "*" shortcut matches the empty key
    assert r.keys("nomatch*") == []


def test_keys_skips_expired_keys(r) -> None:
    r.set("live", "1")
    r.set("dead", "1")
    r.pexpireat("dead", 1)  # in the past: deleted right away
    assert r.keys("*") == [b"live"]


def test_scan_errors(raw) -> None:
    assert raw.command("SCAN", "x") == b"-ERR invalid cursor\r\n"
    assert raw.command("SCAN", " 0") == b"-ERR invalid cursor\r\n"
    assert raw.command("SCAN", "18446744073709551616") == b"-ERR invalid cursor\r\n"
    assert raw.command("SCAN", "0", "COUNT", "0") == b"-ERR syntax error\r\n"
    assert raw.command("SCAN", "0", "COUNT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("SCAN", "0", "COUNT") == b"-ERR syntax error\r\n"
    assert raw.command("SCAN", "0", "FOO", "1") == b"-ERR syntax error\r\n"
    assert raw.command("SCAN", "0", "MATCH") == b"-ERR syntax error\r\n"
    assert raw.command("SCAN") == b"-ERR wrong number of arguments for 'scan' command\r\n"


def test_scan_small_db_in_one_call(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    assert raw.command("SCAN", "") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"  # strtoul reads "" as 0
    assert raw.command("SCAN", "0", "MATCH", "b*") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.command("SCAN", "0", "TYPE", "STRING") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    assert raw.command("SCAN", "0", "TYPE", "list") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.command("SCAN", "0", "TYPE", "nosuchtype") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def _full_scan(r, **kwargs) -> list[bytes]:
    out: list[bytes] = []
    cursor = 0
    while True:
        cursor, keys = r.scan(cursor, **kwargs)
        out.extend(keys)
        if cursor == 0:
            return out


def test_scan_full_iteration(r) -> None:
    r.mset({f"key:{i}": i for i in range(1000)})
    r.mset({f"other:{i}": i for i in range(100)})
    assert set(_full_scan(r, count=37)) == {f"key:{i}".encode() for i in range(1000)} | {
        f"other:{i}".encode() for i in range(100)
    }
    assert set(_full_scan(r, match="other:*", count=50)) == {f"other:{i}".encode() for i in range(100)}
    assert set(_full_scan(r, _type="string", match="key:99*")) == {b"key:99", b"key:990", b"key:991",
                                                                  b"key:992", b"key:993", b"key:994", b"key:995",
                                                                  b"key:996", b"key:997", b"key:998", b"key:999"}


def test_scan_returns_every_key_present_throughout_despite_churn(r) -> None:
    stable = {f"stable:{i}".encode() for i in range(2000)}
    r.mset({k: 1 for k in stable})
    r.mset({f"churn:{i}": 1 for i in range(2000)})
    seen: set[bytes] = set()
    cursor = 0
    step = 0
    while True:
        cursor, keys = r.scan(cursor, count=50)
        seen.update(keys)
        # Between calls: delete some churn keys, add new ones.
        r.delete(*[f"churn:{step * 40 + j}" for j in range(40)])
        r.mset({f"new:{step}:{j}": 1 for j in range(40)})
        step += 1
        if cursor == 0:
            break
    assert stable <= seen


def test_scan_cursor_is_a_decimal_string(raw) -> None:
    for i in range(30):
        raw.command("SET", f"k{i}", "1")
    reply = raw.command("SCAN", "0", "COUNT", "5")
    assert reply.startswith(b"*2\r\n$")
    cursor = reply.split(b"\r\n")[2]
    assert cursor.isdigit() and cursor != b"0"


def test_scan_skips_expired_keys(r) -> None:
    r.set("live", "1")
    r.set("dead", "1", px=1)
    r.execute_command("PEXPIREAT", "dead", 1)
    assert _full_scan(r) == [b"live"]


def test_randomkey(r) -> None:
    assert r.randomkey() is None
    r.set("only", "1")
    assert r.randomkey() == b"only"
    r.set("two", "1")
    assert r.randomkey() in (b"only", b"two")


# -- RENAME / RENAMENX ------------------------------------------------------------------------------------


def test_rename(raw) -> None:
    assert raw.command("RENAME", "nokey", "b") == b"-ERR no such key\r\n"
    assert raw.command("RENAME", "nokey", "nokey") == b"-ERR no such key\r\n"
    assert raw.command("RENAMENX", "nokey", "nokey") == b"-ERR no such key\r\n"
    raw.command("SET", "a", "1")
    assert raw.command("RENAME", "a", "a") == b"+OK\r\n"
    assert raw.command("RENAMENX", "a", "a") == b":0\r\n"
    assert raw.command("RENAME", "a", "b") == b"+OK\r\n"
    assert raw.command("GET", "b") == b"$1\r\n1\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    raw.command("SET", "c", "3")
    assert raw.command("RENAMENX", "b", "c") == b":0\r\n"
    assert raw.command("RENAME", "b", "c") == b"+OK\r\n"
    assert raw.command("GET", "c") == b"$1\r\n1\r\n"
    assert raw.command("RENAMENX", "c", "d") == b":1\r\n"


def test_rename_carries_the_ttl(r) -> None:
    r.set("a", "1", ex=100)
    r.set("b", "2")  # destination without TTL: gets the source's
    r.rename("a", "b")
    assert 0 < r.pttl("b") <= 100_000
    r.set("c", "3", ex=500)
    r.set("d", "4")
    r.rename("d", "c")  # source without TTL: the destination's old TTL goes away
    assert r.ttl("c") == -1


# -- COPY / MOVE ------------------------------------------------------------------------------------------


def test_copy(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("COPY", "a", "a") == b"-ERR source and destination objects are the same\r\n"
    assert raw.command("COPY", "a", "a", "DB", "0") == b"-ERR source and destination objects are the same\r\n"
    assert raw.command("COPY", "a", "b", "DB", "99") == b"-ERR DB index is out of range\r\n"
    assert raw.command("COPY", "a", "b", "DB", "-1") == b"-ERR DB index is out of range\r\n"
    assert raw.command("COPY", "a", "b", "DB", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("COPY", "a", "b", "DB") == b"-ERR syntax error\r\n"
    assert raw.command("COPY", "a", "b", "FOO") == b"-ERR syntax error\r\n"
    assert raw.command("COPY", "nokey", "b") == b":0\r\n"
    assert raw.command("COPY", "a", "b") == b":1\r\n"
    assert raw.command("GET", "b") == b"$1\r\n1\r\n"
    raw.command("SET", "a", "2")
    assert raw.command("COPY", "a", "b") == b":0\r\n"
    assert raw.command("COPY", "a", "b", "REPLACE") == b":1\r\n"
    assert raw.command("GET", "b") == b"$1\r\n2\r\n"
    assert raw.command("COPY", "a", "a", "DB", "1") == b":1\r\n"
    raw.command("SELECT", "1")
    assert raw.command("GET", "a") == b"$1\r\n2\r\n"


def test_copy_keeps_ttl_and_is_independent(r) -> None:
    r.set("a", "hello", ex=100)
    r.append("a", " world")
    assert r.copy("a", "b") is True
    assert 0 < r.pttl("b") <= 100_000
    r.append("a", "!")
    assert r.get("b") == b"hello world"


def test_move(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("MOVE", "a", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("MOVE", "a", "99") == b"-ERR DB index is out of range\r\n"
    assert raw.command("MOVE", "a", "0") == b"-ERR source and destination objects are the same\r\n"
    assert raw.command("MOVE", "nokey", "1") == b":0\r\n"
    assert raw.command("MOVE", "a", "1") == b":1\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    raw.command("SET", "a", "2")
    assert raw.command("MOVE", "a", "1") == b":0\r\n"  # already there
    raw.command("SELECT", "1")
    assert raw.command("GET", "a") == b"$1\r\n1\r\n"


# -- EXPIRE family ----------------------------------------------------------------------------------------


def test_expire_option_errors(raw) -> None:
    raw.command("SET", "a", "1")
    nx_err = b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    assert raw.command("EXPIRE", "a", "10", "NX", "XX") == nx_err
    assert raw.command("EXPIRE", "a", "10", "NX", "GT") == nx_err
    assert raw.command("PEXPIRE", "a", "10", "lt", "nx") == nx_err
    assert raw.command("EXPIRE", "a", "10", "GT", "LT") == (
        b"-ERR GT and LT options at the same time are not compatible\r\n"
    )
    assert raw.command("EXPIRE", "a", "10", "foo") == b"-ERR Unsupported option foo\r\n"
    assert raw.command("EXPIRE", "a", "x", "NX", "XX") == nx_err  # options are checked before the number
    assert raw.command("EXPIRE", "a", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("EXPIRE", "a", "9223372036854776") == b"-ERR invalid expire time in 'expire' command\r\n"
    assert raw.command("EXPIRE", "a", "-9223372036854776") == b"-ERR invalid expire time in 'expire' command\r\n"
    assert raw.command("EXPIREAT", "a", "9223372036854776") == (
        b"-ERR invalid expire time in 'expireat' command\r\n"
    )
    assert raw.command("PEXPIRE", "a", "9223372036854775807") == (
        b"-ERR invalid expire time in 'pexpire' command\r\n"
    )
    assert raw.command("EXPIRE", "nokey", "9223372036854776") == (
        b"-ERR invalid expire time in 'expire' command\r\n"
    )
    assert raw.command("TTL", "a") == b":-1\r\n"


def test_expire_conditions(r) -> None:
    r.set("a", "1")
    assert r.expire("a", 100, xx=True) is False
    assert r.expire("a", 100, gt=True) is False  # no TTL counts as infinite
    assert r.expire("a", 100, lt=True) is True
    assert r.expire("a", 200, nx=True) is False
    assert r.expire("a", 50, gt=True) is False
    assert r.expire("a", 200, gt=True) is True
    assert r.expire("a", 300, lt=True) is False
    assert r.expire("a", 150, xx=True) is True
    assert 140 < r.ttl("a") <= 150
    assert r.expire("nokey", 10) is False


def test_ttl_family(r) -> None:
    assert r.ttl("nokey") == -2
    assert r.pttl("nokey") == -2
    assert r.expiretime("nokey") == -2
    assert r.execute_command("PEXPIRETIME", "nokey") == -2
    r.set("a", "1")
    assert r.ttl("a") == -1
    assert r.pttl("a") == -1
    assert r.expiretime("a") == -1
    assert r.execute_command("PEXPIRETIME", "a") == -1
    r.pexpireat("a", 33177117420000)  # a fixed instant, year 3021
    assert r.execute_command("PEXPIRETIME", "a") == 33177117420000
    assert r.expiretime("a") == 33177117420
    r.pexpireat("a", 33177117420499)
    assert r.expiretime("a") == 33177117420
    r.pexpireat("a", 33177117420500)
    assert r.expiretime("a") == 33177117421  # rounded like Redis: (ms + 500) / 1000
    r.expire("a", 100)
    assert r.ttl("a") == 100
    assert 99_000 < r.pttl("a") <= 100_000


def test_expire_in_the_past_deletes(raw) -> None:
    raw.command("SET", "a", "1")
    assert raw.command("EXPIRE", "a", "-1") == b":1\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    raw.command("SET", "a", "1")
    assert raw.command("PEXPIREAT", "a", "0") == b":1\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    raw.command("SET", "a", "1")
    assert raw.command("EXPIREAT", "a", "-5") == b":1\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"


def test_persist(raw) -> None:
    assert raw.command("PERSIST", "nokey") == b":0\r\n"
    raw.command("SET", "a", "1")
    assert raw.command("PERSIST", "a") == b":0\r\n"
    raw.command("EXPIRE", "a", "100")
    assert raw.command("PERSIST", "a") == b":1\r\n"
    assert raw.command("TTL", "a") == b":-1\r\n"


# -- OBJECT -----------------------------------------------------------------------------------------------


def test_object_encoding_of_strings(raw) -> None:
    raw.command("SET", "int", "12345")
    raw.command("SET", "neg", "-9223372036854775808")
    raw.command("SET", "notcanon", "012")
    raw.command("SET", "short", "x" * 44)
    raw.command("SET", "long", "x" * 45)
    raw.command("SET", "big", "99999999999999999999")
    assert raw.command("OBJECT", "ENCODING", "int") == b"$3\r\nint\r\n"
    assert raw.command("OBJECT", "ENCODING", "neg") == b"$3\r\nint\r\n"
    assert raw.command("OBJECT", "ENCODING", "notcanon") == b"$6\r\nembstr\r\n"
    assert raw.command("OBJECT", "ENCODING", "short") == b"$6\r\nembstr\r\n"
    assert raw.command("OBJECT", "ENCODING", "long") == b"$3\r\nraw\r\n"
    assert raw.command("OBJECT", "ENCODING", "big") == b"$6\r\nembstr\r\n"
    assert raw.command("OBJECT", "ENCODING", "nokey") == b"$-1\r\n"
    raw.command("APPEND", "short", "y")
    assert raw.command("OBJECT", "ENCODING", "short") == b"$3\r\nraw\r\n"
    raw.command("INCR", "counter")
    assert raw.command("OBJECT", "ENCODING", "counter") == b"$3\r\nint\r\n"


def test_object_encoding_resp3_null(target) -> None:
    conn = target.raw()
    try:
        conn.command("HELLO", "3")
        conn.command("FLUSHALL")
        assert conn.command("OBJECT", "ENCODING", "nokey") == b"_\r\n"
    finally:
        conn.close()


def test_object_refcount_freq_idletime(raw) -> None:
    raw.command("SET", "small", "1")
    raw.command("SET", "large", "100000")
    raw.command("SET", "text", "abc")
    assert raw.command("OBJECT", "REFCOUNT", "small") == b":2147483647\r\n"
    assert raw.command("OBJECT", "REFCOUNT", "large") == b":1\r\n"
    assert raw.command("OBJECT", "REFCOUNT", "text") == b":1\r\n"
    assert raw.command("OBJECT", "REFCOUNT", "nokey") == b"$-1\r\n"
    assert raw.command("OBJECT", "FREQ", "text") == (
        b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
        b"switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
    )
    assert raw.command("OBJECT", "FREQ", "nokey") == b"$-1\r\n"
    assert raw.command("OBJECT", "IDLETIME", "text") in (b":0\r\n", b":1\r\n")
    assert raw.command("OBJECT", "IDLETIME", "nokey") == b"$-1\r\n"


def test_object_under_lfu_policy(raw) -> None:
    raw.command("SET", "k", "v")
    assert raw.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == b"+OK\r\n"
    try:
        assert raw.command("OBJECT", "IDLETIME", "k") == (
            b"-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
            b"switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
        )
        assert raw.command("OBJECT", "FREQ", "k").startswith(b":")
    finally:
        raw.command("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_object_errors_and_help(raw) -> None:
    assert raw.command("OBJECT", "ENCODING") == b"-ERR wrong number of arguments for 'object|encoding' command\r\n"
    assert raw.command("OBJECT", "FOO", "k") == b"-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n"
    help_reply = raw.command("OBJECT", "HELP")
    assert help_reply.startswith(b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert help_reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


def test_object_does_not_touch_the_key(r) -> None:
    r.set("k", "v")
    r.object("encoding", "k")
    assert r.object("idletime", "k") in (0, 1)


def test_wrongtype_free_commands_on_any_key(r) -> None:
    r.set("s", "v")
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.rename("missing", "x")
