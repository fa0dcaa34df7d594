"""SORT and SORT_RO against cacheserver and redis-server: numeric and ALPHA order, BY (key and hash field
patterns, nosort), GET (several, #, hash fields), LIMIT, STORE, errors, and lists/sets/sorted sets."""

from __future__ import annotations

import pytest
import redis
from helpers import keyevents

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_numeric_and_alpha(raw, r):
    r.rpush("l", "3", "10", "-1", "2.5", "2.5e0")
    assert r.sort("l") == [b"-1", b"2.5", b"2.5e0", b"3", b"10"]
    assert r.sort("l", desc=True) == [b"10", b"3", b"2.5e0", b"2.5", b"-1"]
    assert r.sort("l", alpha=True) == [b"-1", b"10", b"2.5", b"2.5e0", b"3"]
    assert r.sort("l", alpha=True, desc=True) == [b"3", b"2.5e0", b"2.5", b"10", b"-1"]
    assert r.sort("l", start=1, num=2) == [b"2.5", b"2.5e0"]
    assert r.sort("l", start=-5, num=2) == [b"-1", b"2.5"]
    assert r.sort("l", start=4, num=10) == [b"10"]
    assert r.sort("l", start=5, num=10) == []
    assert r.sort("l", start=1, num=-1) == [b"2.5", b"2.5e0", b"3", b"10"]
    assert r.sort("l", start=1, num=0) == []
    assert r.sort("nokey") == []
    assert r.sort_ro("l") == [b"-1", b"2.5", b"2.5e0", b"3", b"10"]
    r.rpush("bad", "1", "x")
    assert raw.command("SORT", "bad") == b"-ERR One or more scores can't be converted into double\r\n"
    assert raw.command("SORT", "bad", "ALPHA") == b"*2\r\n$1\r\n1\r\n$1\r\nx\r\n"
    r.rpush("odd", " 5", "", "inf", "-inf", "0x10")
    assert r.sort("odd") == [b"-inf", b"", b" 5", b"0x10", b"inf"]
    r.rpush("nan", "nan")
    assert raw.command("SORT", "nan") == b"-ERR One or more scores can't be converted into double\r\n"


@pytest.mark.parametrize(
    "text, score",
    [("1 ", None), ("  ", None), ("1e400", None), ("-1e400", None), ("1e-400", None), ("1e-310", None),
     ("0x1p99999", None), ("0.000e-999", 0.0), ("-0", 0.0), ("1\x002", 1.0), ("Infinity", "inf"), ("nan", None)],
)
def test_scores_are_read_as_strtod_with_its_range_check(raw, r, text, score):
    # Redis reads each score with strtod over the C string (so a NUL ends it) and refuses what
    # strtod does not consume whole, what sets ERANGE (overflow, underflow, a subnormal) and NaN.
    text = text.encode()
    r.rpush("l", text, "0.5")
    r.set("w_a", text)
    r.rpush("byl", "a", "b")
    r.set("w_b", "0.5")
    if score is None:
        error = b"-ERR One or more scores can't be converted into double\r\n"
        assert raw.command("SORT", "l") == error
        assert raw.command("SORT", "byl", "BY", "w_*") == error
    else:
        first = [text, b"0.5"] if score == "inf" or score > 0.5 else [b"0.5", text]
        assert r.sort("l", desc=True) == first
        assert r.sort("byl", by="w_*", desc=True) == ([b"a", b"b"] if first[0] == text else [b"b", b"a"])


def test_by_and_get(raw, r):
    r.rpush("l", "a", "b", "c")
    r.mset({"w_a": "3", "w_b": "1", "w_c": "2", "o_a": "A", "o_b": "B"})
    r.hset("h_a", "f", "30")
    r.hset("h_b", "f", "10")
    r.hset("h_c", "f", "20")
    assert r.sort("l", by="w_*") == [b"b", b"c", b"a"]
    assert r.sort("l", by="h_*->f", desc=True) == [b"a", b"c", b"b"]
    assert r.sort("l", by="w_*", get=["#", "o_*", "h_*->f", "nostar"]) == [
        b"b", b"B", b"10", None, b"c", None, b"20", None, b"a", b"A", b"30", None]
    assert r.sort("l", by="nosort", desc=True) == [b"c", b"b", b"a"]
    assert r.sort("l", by="nosort", start=1, num=1) == [b"b"]
    assert r.sort("l", by="missing_*") == [b"a", b"b", b"c"]  # every score is 0: ties compare the elements
    assert r.sort("l", by="o_*", alpha=True) == [b"c", b"a", b"b"]  # no BY key sorts first
    assert r.sort("l", by="o_*", alpha=True, desc=True) == [b"b", b"a", b"c"]
    assert r.sort("l", by="nosort", get="h_*->") == [None, None, None]
    r.set("h_a", "not a hash")
    assert r.sort("l", by="h_*->f") == [b"a", b"b", b"c"]
    r.set("w_b", "x")
    assert raw.command("SORT", "l", "BY", "w_*") == b"-ERR One or more scores can't be converted into double\r\n"


def test_sets_and_sorted_sets(r):
    r.sadd("s", "5", "1", "3")
    assert r.sort("s") == [b"1", b"3", b"5"]
    assert r.sort("s", by="nosort") == [b"1", b"3", b"5"]  # an intset iterates in order
    r.zadd("z", {"a": 3, "b": 1, "c": 2})
    assert r.sort("z", alpha=True) == [b"a", b"b", b"c"]
    assert r.sort("z", by="nosort") == [b"b", b"c", b"a"]
    assert r.sort("z", by="nosort", desc=True) == [b"a", b"c", b"b"]
    assert r.sort("z", by="nosort", start=1, num=5) == [b"c", b"a"]
    assert r.sort("z", by="nosort", desc=True, start=1, num=1) == [b"c"]
    r.sadd("w", "b", "a", "c")
    # Sorting a set into STORE without sorting is forced into ALPHA order, so the result is deterministic.
    assert r.sort("w", by="nosort", store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"a", b"b", b"c"]


def test_store(raw, r):
    r.rpush("l", "3", "1", "2")
    r.set("k_1", "one")
    assert r.sort("l", store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"1", b"2", b"3"]
    assert r.type("dst") == b"list"
    assert r.sort("l", get=["k_*", "#"], store="dst") == 6
    assert r.lrange("dst", 0, -1) == [b"one", b"1", b"", b"2", b"", b"3"]
    r.expire("dst", 100)
    assert r.sort("l", store="dst", start=0, num=1) == 1
    assert r.ttl("dst") == -1
    assert r.sort("nokey", store="dst") == 0
    assert r.exists("dst") == 0
    assert raw.command("SORT_RO", "l", "STORE", "dst") == b"-ERR syntax error\r\n"
    assert raw.command("COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "0", "1", "STORE", "dst") == (
        b"*2\r\n$1\r\nl\r\n$3\r\ndst\r\n")


def test_errors(raw):
    raw.command("RPUSH", "l", "1")
    raw.command("SET", "str", "v")
    raw.command("HSET", "h", "f", "v")
    assert raw.command("SORT", "str") == WRONGTYPE
    assert raw.command("SORT", "h") == WRONGTYPE
    assert raw.command("SORT_RO", "h") == WRONGTYPE
    assert raw.command("SORT", "l", "FOO") == b"-ERR syntax error\r\n"
    assert raw.command("SORT", "l", "LIMIT", "1") == b"-ERR syntax error\r\n"
    assert raw.command("SORT", "l", "LIMIT", "x", "1") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("SORT", "l", "BY") == b"-ERR syntax error\r\n"
    assert raw.command("SORT", "l", "GET") == b"-ERR syntax error\r\n"
    assert raw.command("SORT", "l", "STORE") == b"-ERR syntax error\r\n"
    assert raw.command("SORT", "str", "FOO") == b"-ERR syntax error\r\n"
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("SORT", "l", "GET", "nostar") == b"*1\r\n_\r\n"
    assert raw.command("SORT", "nokey") == b"*0\r\n"


def test_events(target, r):
    r.rpush("l", "2", "1")
    events = keyevents(target, r, ("SORT", "l", "STORE", "dst"), ("SORT", "nokey", "STORE", "dst"),
                       ("SORT", "nokey", "STORE", "dst"))
    assert events == [(b"sortstore", b"dst"), (b"del", b"dst")]


def test_sort_converts_a_small_sorted_set_to_a_skiplist(r):
    # Redis converts a listpack zset for SORT, for good (sortCommandGeneric), even when the sort
    # itself fails; a syntax error is found first and leaves it alone.
    r.zadd("z", {"a": 1, "b": 2})
    assert r.object("encoding", "z") == b"listpack"
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        r.execute_command("SORT", "z", "FOO")
    assert r.object("encoding", "z") == b"listpack"
    with pytest.raises(redis.ResponseError, match="One or more scores can't be converted into double"):
        r.sort("z")
    assert r.object("encoding", "z") == b"skiplist"
    r.zadd("y", {"1": 1})
    assert r.sort("y", start=5, num=1) == []
    assert r.object("encoding", "y") == b"skiplist"
    r.zadd("x", {"1": 1})
    assert r.execute_command("SORT_RO", "x") == [b"1"]
    assert r.object("encoding", "x") == b"skiplist"
