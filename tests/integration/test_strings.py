"""String commands against cacheserver and redis-server: replies, error texts and edge cases."""

from __future__ import annotations

import time

import pytest

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"


# -- GET / SET -------------------------------------------------------------------------------------------


def test_get_set_basic(raw):
    assert raw.command("GET", "k") == b"$-1\r\n"
    assert raw.command("SET", "k", "v") == b"+OK\r\n"
    assert raw.command("GET", "k") == b"$1\r\nv\r\n"
    assert raw.command("SET", "k", "") == b"+OK\r\n"
    assert raw.command("GET", "k") == b"$0\r\n\r\n"
    assert raw.command("SET", "k") == b"-ERR wrong number of arguments for 'set' command\r\n"


def test_set_nx_xx(r):
    assert r.set("k", "1", xx=True) is None
    assert r.get("k") is None
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.get("k") == b"1"
    assert r.set("k", "3", xx=True) is True
    assert r.get("k") == b"3"


def test_set_get_option(raw):
    assert raw.command("SET", "k", "a", "GET") == b"$-1\r\n"
    assert raw.command("SET", "k", "b", "GET") == b"$1\r\na\r\n"
    # NX together with GET (allowed since 7.0): the old value comes back, nothing is written
    assert raw.command("SET", "k", "c", "NX", "GET") == b"$1\r\nb\r\n"
    assert raw.command("GET", "k") == b"$1\r\nb\r\n"
    assert raw.command("SET", "new", "c", "NX", "GET") == b"$-1\r\n"
    assert raw.command("GET", "new") == b"$1\r\nc\r\n"
    assert raw.command("SET", "missing", "x", "XX", "GET") == b"$-1\r\n"
    assert raw.command("GET", "missing") == b"$-1\r\n"
    assert raw.command("INCR", "n") == b":1\r\n"
    assert raw.command("SET", "n", "x", "GET") == b"$1\r\n1\r\n"


def test_set_option_conflicts(raw):
    for args in (
        ("NX", "XX"),
        ("XX", "NX"),
        ("EX", "10", "PX", "100"),
        ("PX", "10", "EXAT", "100"),
        ("EX", "10", "KEEPTTL"),
        ("KEEPTTL", "PXAT", "10"),
        ("EX",),
        ("FOO",),
        ("PERSIST",),
    ):
        assert raw.command("SET", "k", "v", *args) == SYNTAX, args


def test_set_expire_errors(raw):
    bad = b"-ERR invalid expire time in 'set' command\r\n"
    assert raw.command("SET", "k", "v", "EX", "0") == bad
    assert raw.command("SET", "k", "v", "PX", "-5") == bad
    assert raw.command("SET", "k", "v", "EX", "9223372036854775807") == bad
    assert raw.command("SET", "k", "v", "PX", "9223372036854775807") == bad
    assert raw.command("SET", "k", "v", "EXAT", "0") == bad
    assert raw.command("SET", "k", "v", "EX", "1.5") == NOT_INT
    assert raw.command("SET", "k", "v", "EX", "abc") == NOT_INT
    assert raw.command("GET", "k") == b"$-1\r\n"


def test_set_expire_options(r):
    r.set("k", "v", ex=100)
    assert 99 <= r.ttl("k") <= 100
    r.set("k", "v", px=100000)
    assert 99000 <= r.pttl("k") <= 100000
    r.set("k", "v", exat=int(time.time()) + 100)
    assert 98 <= r.ttl("k") <= 100
    r.set("k", "v", pxat=int(time.time() * 1000) + 100000)
    assert 98 <= r.ttl("k") <= 100
    r.set("k", "w", keepttl=True)
    assert 98 <= r.ttl("k") <= 100
    r.set("k", "x")
    assert r.ttl("k") == -1
    r.set("k", "gone", pxat=1)
    assert r.get("k") is None


def test_setnx_setex_psetex(raw):
    assert raw.command("SETNX", "k", "a") == b":1\r\n"
    assert raw.command("SETNX", "k", "b") == b":0\r\n"
    assert raw.command("GET", "k") == b"$1\r\na\r\n"
    assert raw.command("SETEX", "k", "100", "v") == b"+OK\r\n"
    assert raw.command("GET", "k") == b"$1\r\nv\r\n"
    assert raw.command("PSETEX", "p", "100000", "v") == b"+OK\r\n"
    assert raw.command("GET", "p") == b"$1\r\nv\r\n"
    assert raw.command("SETEX", "k", "0", "v") == b"-ERR invalid expire time in 'setex' command\r\n"
    assert raw.command("SETEX", "k", "-1", "v") == b"-ERR invalid expire time in 'setex' command\r\n"
    assert raw.command("SETEX", "k", "x", "v") == NOT_INT
    assert raw.command("PSETEX", "k", "0", "v") == b"-ERR invalid expire time in 'psetex' command\r\n"
    assert raw.command("SETEX", "k", "v") == b"-ERR wrong number of arguments for 'setex' command\r\n"


def test_getex(raw):
    assert raw.command("GETEX", "k") == b"$-1\r\n"
    assert raw.command("GETEX", "k", "EX", "0") == b"$-1\r\n"  # a missing key wins over a bad time
    raw.command("SET", "k", "v")
    assert raw.command("GETEX", "k", "EX", "100") == b"$1\r\nv\r\n"
    assert raw.command("GETEX", "k", "PERSIST") == b"$1\r\nv\r\n"
    assert raw.command("GETEX", "k", "EX", "10", "EX", "20") == b"$1\r\nv\r\n"
    assert raw.command("GETEX", "k", "EX", "0") == b"-ERR invalid expire time in 'getex' command\r\n"
    assert raw.command("GETEX", "k", "PX", "-1") == b"-ERR invalid expire time in 'getex' command\r\n"
    assert raw.command("GETEX", "k", "EX", "x") == NOT_INT
    assert raw.command("GETEX", "k", "PERSIST", "EX", "10") == SYNTAX
    assert raw.command("GETEX", "k", "EX", "10", "PX", "10") == SYNTAX
    assert raw.command("GETEX", "k", "KEEPTTL") == SYNTAX
    assert raw.command("GETEX", "k", "NX") == SYNTAX
    assert raw.command("GETEX", "k", "EX") == SYNTAX
    # an absolute time in the past deletes the key, the value is still returned
    assert raw.command("GETEX", "k", "EXAT", "1") == b"$1\r\nv\r\n"
    assert raw.command("GET", "k") == b"$-1\r\n"
    raw.command("SET", "k", "v")
    assert raw.command("GETEX", "k", "PXAT", "1") == b"$1\r\nv\r\n"
    assert raw.command("GET", "k") == b"$-1\r\n"


def test_getdel_getset(raw):
    assert raw.command("GETDEL", "k") == b"$-1\r\n"
    raw.command("SET", "k", "v")
    assert raw.command("GETDEL", "k") == b"$1\r\nv\r\n"
    assert raw.command("GET", "k") == b"$-1\r\n"
    assert raw.command("GETSET", "k", "a") == b"$-1\r\n"
    raw.command("INCR", "n")
    assert raw.command("GETDEL", "n") == b"$1\r\n1\r\n"


def test_mget_mset_msetnx(raw):
    assert raw.command("MSET", "a", "1", "b", "2") == b"+OK\r\n"
    assert raw.command("MGET", "a", "b", "c") == b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    assert raw.command("MSET", "a", "1", "b") == b"-ERR wrong number of arguments for 'mset' command\r\n"
    assert raw.command("MSET", "a") == b"-ERR wrong number of arguments for 'mset' command\r\n"
    assert raw.command("MSETNX", "a", "1", "b") == b"-ERR wrong number of arguments for 'msetnx' command\r\n"
    assert raw.command("MSETNX", "c", "3", "a", "9") == b":0\r\n"
    assert raw.command("GET", "c") == b"$-1\r\n"
    assert raw.command("MSETNX", "c", "3", "d", "4") == b":1\r\n"
    assert raw.command("MGET", "c", "d") == b"*2\r\n$1\r\n3\r\n$1\r\n4\r\n"
    # the last of repeated keys wins
    assert raw.command("MSET", "x", "1", "x", "2") == b"+OK\r\n"
    assert raw.command("GET", "x") == b"$1\r\n2\r\n"
    raw.command("INCR", "n")
    assert raw.command("MGET", "n") == b"*1\r\n$1\r\n1\r\n"


def test_append_strlen(raw):
    assert raw.command("APPEND", "k", "Hello") == b":5\r\n"
    assert raw.command("APPEND", "k", " World") == b":11\r\n"
    assert raw.command("GET", "k") == b"$11\r\nHello World\r\n"
    assert raw.command("STRLEN", "k") == b":11\r\n"
    assert raw.command("STRLEN", "nokey") == b":0\r\n"
    assert raw.command("APPEND", "k", "") == b":11\r\n"
    raw.command("SET", "n", "10")
    raw.command("INCR", "n")
    assert raw.command("STRLEN", "n") == b":2\r\n"
    assert raw.command("APPEND", "n", "5") == b":3\r\n"
    assert raw.command("GET", "n") == b"$3\r\n115\r\n"
    assert raw.command("INCR", "n") == b":116\r\n"


def test_append_in_multi_keeps_earlier_reply(raw):
    raw.command("SET", "k", "a")
    raw.command("APPEND", "k", "b")
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("GET", "k") == b"+QUEUED\r\n"
    assert raw.command("APPEND", "k", "c") == b"+QUEUED\r\n"
    assert raw.command("GET", "k") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*3\r\n$2\r\nab\r\n:3\r\n$3\r\nabc\r\n"


def test_append_limit(target):
    with target.raw() as c:
        c.command("FLUSHALL")
        c.command("CONFIG", "SET", "proto-max-bulk-len", "1048576")
        try:
            c.command("SETRANGE", "k", "1048570", "x")
            assert c.command("APPEND", "k", "123456") == (
                b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
            )
            assert c.command("APPEND", "k", "12345") == b":1048576\r\n"
            assert c.command("SETRANGE", "k", "1048576", "x") == (
                b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
            )
            assert c.command("SETRANGE", "new", "1048576", "") == b":0\r\n"
            assert c.command("SETRANGE", "new", "1048576", "x") == (
                b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
            )
            assert c.command("SETRANGE", "new", "9223372036854775807", "x") == (
                b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
            )
            assert c.command("SETBIT", "b", str(1048576 * 8), "1") == (
                b"-ERR bit offset is not an integer or out of range\r\n"
            )
            assert c.command("SETBIT", "b", str(1048576 * 8 - 1), "1") == b":0\r\n"
            assert c.command("STRLEN", "b") == b":1048576\r\n"
        finally:
            c.command("CONFIG", "SET", "proto-max-bulk-len", "536870912")
            c.command("FLUSHALL")


def test_ttl_kept_or_dropped(raw):
    # the same option twice is accepted, the last value wins
    assert raw.command("SET", "k", "v", "EX", "10", "EX", "20") == b"+OK\r\n"
    assert raw.command("TTL", "k") == b":20\r\n"
    assert raw.command("SET", "k", "v", "NX", "NX") == b"$-1\r\n"
    assert raw.command("SET", "k", "v", "keepttl", "KEEPTTL") == b"+OK\r\n"
    assert raw.command("TTL", "k") == b":20\r\n"
    assert raw.command("SETEX", "k", "100", "v") == b"+OK\r\n"
    assert raw.command("TTL", "k") == b":100\r\n"
    assert raw.command("PSETEX", "p", "100000", "v") == b"+OK\r\n"
    assert raw.command("TTL", "p") == b":100\r\n"
    # GETEX
    assert raw.command("GETEX", "k", "PX", "50000") == b"$1\r\nv\r\n"
    assert raw.command("TTL", "k") == b":50\r\n"
    assert raw.command("GETEX", "k") == b"$1\r\nv\r\n"
    assert raw.command("TTL", "k") == b":50\r\n"
    assert raw.command("GETEX", "k", "PERSIST") == b"$1\r\nv\r\n"
    assert raw.command("TTL", "k") == b":-1\r\n"
    assert raw.command("GETEX", "k", "EX", "10", "EX", "20") == b"$1\r\nv\r\n"
    assert raw.command("TTL", "k") == b":20\r\n"
    # writers that replace the value drop the TTL
    raw.command("GETSET", "k", "b")
    assert raw.command("TTL", "k") == b":-1\r\n"
    raw.command("EXPIRE", "k", "100")
    raw.command("MSET", "k", "3")
    assert raw.command("TTL", "k") == b":-1\r\n"
    # writers that edit the value keep it
    for edit in (("APPEND", "k", "b"), ("SETRANGE", "k", "1", "X"), ("INCRBYFLOAT", "k", "1"), ("INCR", "k"),
                 ("SETBIT", "k", "100", "1"), ("BITFIELD", "k", "SET", "u8", "0", "65")):  # fmt: skip
        raw.command("SET", "k", "12", "EX", "100")
        raw.command(*edit)
        assert raw.command("TTL", "k") == b":100\r\n", edit


# -- counters ---------------------------------------------------------------------------------------------


def test_incr_decr(raw):
    assert raw.command("INCR", "n") == b":1\r\n"
    assert raw.command("INCRBY", "n", "10") == b":11\r\n"
    assert raw.command("DECR", "n") == b":10\r\n"
    assert raw.command("DECRBY", "n", "20") == b":-10\r\n"
    assert raw.command("GET", "n") == b"$3\r\n-10\r\n"
    assert raw.command("INCRBY", "n", "-5") == b":-15\r\n"
    raw.command("SET", "s", "41")
    assert raw.command("INCR", "s") == b":42\r\n"


def test_incr_errors(raw):
    for bad in ("abc", "1.0", " 1", "1 ", "+1", "01", "-0", "", "99999999999999999999", "1e3"):
        raw.command("SET", "k", bad)
        assert raw.command("INCR", "k") == NOT_INT, bad
    assert raw.command("INCRBY", "k2", "x") == NOT_INT
    assert raw.command("INCRBY", "k2", "1.5") == NOT_INT
    assert raw.command("DECRBY", "k2", "") == NOT_INT
    raw.command("SET", "m", "9223372036854775807")
    assert raw.command("INCR", "m") == b"-ERR increment or decrement would overflow\r\n"
    assert raw.command("INCRBY", "m", "0") == b":9223372036854775807\r\n"
    raw.command("SET", "m", "-9223372036854775808")
    assert raw.command("DECR", "m") == b"-ERR increment or decrement would overflow\r\n"
    assert raw.command("INCRBY", "m", "-1") == b"-ERR increment or decrement would overflow\r\n"
    assert raw.command("DECRBY", "m", "-9223372036854775808") == b"-ERR decrement would overflow\r\n"
    assert raw.command("DECRBY", "z", "-9223372036854775807") == b":9223372036854775807\r\n"
    assert raw.command("INCRBY", "m", "9223372036854775807") == b":-1\r\n"
    assert raw.command("INCRBY", "k3", "9223372036854775808") == NOT_INT


def test_incrbyfloat(raw):
    raw.command("SET", "k", "10.5")
    assert raw.command("INCRBYFLOAT", "k", "0.1") == b"$4\r\n10.6\r\n"
    assert raw.command("GET", "k") == b"$4\r\n10.6\r\n"
    raw.command("SET", "k", "5.0e3")
    assert raw.command("INCRBYFLOAT", "k", "2.0e2") == b"$4\r\n5200\r\n"
    assert raw.command("INCRBYFLOAT", "new", "-1.5") == b"$4\r\n-1.5\r\n"
    raw.command("INCR", "i")
    assert raw.command("INCRBYFLOAT", "i", "0.25") == b"$4\r\n1.25\r\n"


@pytest.mark.parametrize(
    "start, incr, expected",
    [
        # recorded from redis-server 7.0.15 (x86-64, long double)
        ("3.0e3", "1e-5", b"3000.00001000000000007"),
        ("0.1", "0.2", b"0.3"),
        ("-1", "0.3", b"-0.7"),
        ("1", "-1", b"0"),
        ("-0", "0", b"0"),
        ("1.5", "-1.5000000000000000001", b"0"),
        ("123456789012345678901234567890", "1", b"123456789012345678899921813504"),
        ("9223372036854775807", "1", b"9223372036854775808"),
        ("1e-17", "0", b"0.00000000000000001"),
        ("5e-18", "0", b"0"),
        ("2.5e-17", "0", b"0.00000000000000002"),
        ("0.000003814697265625", "0", b"0.00000381469726562"),
        ("3.14159265358979323846264338327950288", "0", b"3.14159265358979324"),
        ("-3e-18", "0", b"0"),
        ("0x1p3", "0x.8", b"8.5"),
        ("1.", ".5", b"1.5"),
        ("1e+2", "1E-2", b"100.01"),
        ("1e-4940", "0", b"0"),
        ("1e20", "1", b"100000000000000000000"),
        ("1e30", "1", b"1000000000000000000024696061952"),
    ],
)
def test_incrbyfloat_long_double(raw, start, incr, expected):
    raw.command("SET", "f", start)
    assert raw.command("INCRBYFLOAT", "f", incr) == b"$%d\r\n%s\r\n" % (len(expected), expected)


def test_incrbyfloat_huge_exponent(raw):
    raw.command("SET", "f", "1e4000")
    reply = raw.command("INCRBYFLOAT", "f", "1")
    assert reply.startswith(b"$4000\r\n99999999999999999999654638730996237849324925835069576313")
    assert reply.endswith(b"29951206648276349901340672\r\n")


def test_incrbyfloat_errors(raw):
    not_float = b"-ERR value is not a valid float\r\n"
    nan_inf = b"-ERR increment would produce NaN or Infinity\r\n"
    raw.command("SET", "k", "abc")
    assert raw.command("INCRBYFLOAT", "k", "1") == not_float
    raw.command("SET", "k", "1")
    for bad in ("x", "nan", " 1", "1 ", "1e", "", "1e5000", "1e-5000", "0x", "."):
        assert raw.command("INCRBYFLOAT", "k", bad) == not_float, bad
    assert raw.command("INCRBYFLOAT", "k", "inf") == nan_inf
    assert raw.command("INCRBYFLOAT", "k", "-INFINITY") == nan_inf
    raw.command("SET", "big", "1.1e4932")
    assert raw.command("INCRBYFLOAT", "big", "1.1e4932") == nan_inf
    assert raw.command("GET", "k") == b"$1\r\n1\r\n"


# -- ranges -----------------------------------------------------------------------------------------------


def test_getrange(raw):
    raw.command("SET", "k", "This is a string")
    cases = [
        (0, 3, b"This"),
        (-3, -1, b"ing"),
        (0, -1, b"This is a string"),
        (10, 100, b"string"),
        (5, 3, b""),
        (-1, -5, b""),
        (-100, 3, b"This"),
        (100, 200, b""),
        (-100, -50, b"T"),
        (15, 15, b"g"),
    ]
    for start, end, expected in cases:
        assert raw.command("GETRANGE", "k", start, end) == b"$%d\r\n%s\r\n" % (len(expected), expected)
        assert raw.command("SUBSTR", "k", start, end) == b"$%d\r\n%s\r\n" % (len(expected), expected)
    assert raw.command("GETRANGE", "nokey", 0, -1) == b"$0\r\n\r\n"
    assert raw.command("GETRANGE", "k", "a", 1) == NOT_INT
    assert raw.command("GETRANGE", "nokey", "a", 1) == NOT_INT
    raw.command("SET", "e", "")
    assert raw.command("GETRANGE", "e", 0, -1) == b"$0\r\n\r\n"
    raw.command("SET", "n", "12345")
    raw.command("INCR", "n")
    assert raw.command("GETRANGE", "n", 1, 2) == b"$2\r\n23\r\n"


def test_setrange(raw):
    raw.command("SET", "k", "Hello World")
    assert raw.command("SETRANGE", "k", 6, "Redis") == b":11\r\n"
    assert raw.command("GET", "k") == b"$11\r\nHello Redis\r\n"
    assert raw.command("SETRANGE", "z", 5, "x") == b":6\r\n"
    assert raw.command("GET", "z") == b"$6\r\n\x00\x00\x00\x00\x00x\r\n"
    assert raw.command("SETRANGE", "k", 13, "!") == b":14\r\n"
    assert raw.command("GET", "k") == b"$14\r\nHello Redis\x00\x00!\r\n"
    assert raw.command("SETRANGE", "missing", 3, "") == b":0\r\n"
    assert raw.command("GET", "missing") == b"$-1\r\n"
    assert raw.command("SETRANGE", "k", 100, "") == b":14\r\n"
    assert raw.command("SETRANGE", "k", -1, "x") == b"-ERR offset is out of range\r\n"
    assert raw.command("SETRANGE", "k", "x", "x") == NOT_INT
    raw.command("SET", "n", "100")
    raw.command("INCR", "n")
    assert raw.command("SETRANGE", "n", 0, "9") == b":3\r\n"
    assert raw.command("GET", "n") == b"$3\r\n901\r\n"


# -- LCS --------------------------------------------------------------------------------------------------


def test_lcs(raw):
    raw.command("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.command("LCS", "key1", "key2") == b"$6\r\nmytext\r\n"
    assert raw.command("LCS", "key1", "key2", "LEN") == b":6\r\n"
    assert raw.command("LCS", "key1", "nokey") == b"$0\r\n\r\n"
    assert raw.command("LCS", "nokey", "nokey", "LEN") == b":0\r\n"
    assert raw.command("LCS", "key1", "key2", "LEN", "IDX") == (
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
    )
    assert raw.command("LCS", "key1", "key2", "FOO") == SYNTAX
    assert raw.command("LCS", "key1", "key2", "MINMATCHLEN") == SYNTAX
    assert raw.command("LCS", "key1", "key2", "MINMATCHLEN", "x") == NOT_INT


def test_lcs_idx_resp2(raw):
    raw.command("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.command("LCS", "key1", "key2", "IDX") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
        b"$3\r\nlen\r\n:6\r\n"
    )
    assert raw.command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    )
    assert raw.command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
        b"$3\r\nlen\r\n:6\r\n"
    )
    assert raw.command("LCS", "nokey", "key2", "IDX") == b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"


def test_lcs_idx_resp3(target):
    with target.raw() as c:
        c.command("HELLO", "3")
        c.command("FLUSHALL")
        c.command("MSET", "key1", "ohmytext", "key2", "mynewtext")
        assert c.command("LCS", "key1", "key2", "IDX", "WITHMATCHLEN") == (
            b"%2\r\n$7\r\nmatches\r\n*2\r\n"
            b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
            b"$3\r\nlen\r\n:6\r\n"
        )
        c.command("FLUSHALL")


def test_lcs_walk_matches_redis(r):
    # tie-breaking in the walk back decides which of several equally long answers comes out
    pairs = [
        ("abcabcabc", "cbacbacba"),
        ("aaaa", "aa"),
        ("GXTXAYB", "AGGTAB"),
        ("ABCBDAB", "BDCABA"),
        ("1234567890", "0987654321"),
        ("banana", "atana"),
    ]
    results = []
    for a, b in pairs:
        r.mset({"a": a, "b": b})
        results.append((r.execute_command("LCS", "a", "b"), r.execute_command("LCS", "a", "b", "IDX", "WITHMATCHLEN")))
    assert results == [
        (b"cbabc", [b"matches", [[[8, 8], [6, 6], 1], [[7, 7], [4, 4], 1], [[6, 6], [2, 2], 1], [[4, 4], [1, 1], 1],
                                 [[2, 2], [0, 0], 1]], b"len", 5]),
        (b"aa", [b"matches", [[[2, 3], [0, 1], 2]], b"len", 2]),
        (b"GTAB", [b"matches", [[[6, 6], [5, 5], 1], [[4, 4], [4, 4], 1], [[2, 2], [3, 3], 1], [[0, 0], [1, 1], 1]],
                   b"len", 4]),
        (b"BDAB", [b"matches", [[[5, 6], [3, 4], 2], [[3, 4], [0, 1], 2]], b"len", 4]),
        (b"0", [b"matches", [[[9, 9], [0, 0], 1]], b"len", 1]),
        (b"aana", [b"matches", [[[3, 5], [2, 4], 3], [[1, 1], [0, 0], 1]], b"len", 4]),
    ]  # fmt: skip


def test_lcs_table_limit(target):
    with target.raw() as c:
        c.command("FLUSHALL")
        c.command("CONFIG", "SET", "proto-max-bulk-len", "1048576")
        try:
            c.command("SET", "a", "a" * 600)
            assert c.command("LCS", "a", "a", "LEN") == (
                b"-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
            )
            c.command("SET", "b", "a" * 500)
            assert c.command("LCS", "b", "b", "LEN") == b":500\r\n"
        finally:
            c.command("CONFIG", "SET", "proto-max-bulk-len", "536870912")
            c.command("FLUSHALL")


# -- WRONGTYPE --------------------------------------------------------------------------------------------


def test_wrongtype(raw):
    raw.command("RPUSH", "l", "a")
    for args in (
        ("GET", "l"),
        ("SET", "l", "v", "GET"),
        ("SET", "l", "v", "NX", "GET"),
        ("GETEX", "l"),
        ("GETEX", "l", "EX", "0"),
        ("GETDEL", "l"),
        ("GETSET", "l", "v"),
        ("APPEND", "l", "v"),
        ("STRLEN", "l"),
        ("INCR", "l"),
        ("DECRBY", "l", "1"),
        ("INCRBYFLOAT", "l", "1"),
        ("GETRANGE", "l", "0", "1"),
        ("SETRANGE", "l", "0", "x"),
        ("SETRANGE", "l", "0", ""),
    ):
        assert raw.command(*args) == WRONGTYPE, args
    assert raw.command("INCRBY", "l", "x") == NOT_INT  # the increment is parsed before the lookup
    assert raw.command("GETRANGE", "l", "x", "1") == NOT_INT
    assert raw.command("MGET", "l", "nokey") == b"*2\r\n$-1\r\n$-1\r\n"
    assert raw.command("MSETNX", "l", "1", "z", "2") == b":0\r\n"
    assert raw.command("SETNX", "l", "v") == b":0\r\n"
    assert raw.command("LCS", "l", "nokey") == b"-ERR The specified keys must contain string values\r\n"
    assert raw.command("SET", "l", "v", "XX") == b"+OK\r\n"  # SET overwrites any type
    assert raw.command("GET", "l") == b"$1\r\nv\r\n"
    raw.command("DEL", "l")
    raw.command("RPUSH", "l", "a")
    assert raw.command("MSET", "l", "v") == b"+OK\r\n"
    assert raw.command("GET", "l") == b"$1\r\nv\r\n"
