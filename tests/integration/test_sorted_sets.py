"""Sorted set commands against cacheserver and redis-server: replies, reply types (RESP2 and RESP3),
score printing, errors, encodings, keyspace effects and blocking pops."""

from __future__ import annotations

from helpers import block, keyevents, watch_aborts

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
NOT_FLOAT_RANGE = b"-ERR min or max is not a float\r\n"
NOT_LEX_RANGE = b"-ERR min or max not valid string range item\r\n"


def test_zadd_options_and_replies(r):
    assert r.execute_command("ZADD", "z", "1", "a", "2", "b") == 2
    assert r.execute_command("ZADD", "z", "NX", "5", "a", "3", "c") == 1
    assert r.zscore("z", "a") == 1.0
    assert r.execute_command("ZADD", "z", "XX", "5", "a", "4", "d") == 0
    assert r.execute_command("ZADD", "z", "XX", "CH", "6", "a", "2", "b") == 1
    assert r.execute_command("ZADD", "z", "GT", "CH", "1", "a", "7", "b") == 1
    assert r.execute_command("ZADD", "z", "LT", "CH", "9", "a", "0", "c") == 1
    assert r.execute_command("ZADD", "z", "GT", "10", "new") == 1
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", 0.0), (b"a", 6.0), (b"b", 7.0), (b"new", 10.0)]
    assert r.execute_command("ZADD", "z", "XX", "INCR", "1", "nope") is None
    assert r.execute_command("ZADD", "z", "NX", "INCR", "1", "a") is None
    assert r.execute_command("ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert r.zadd("z", {"a": 1.5}, incr=True) == 7.5
    assert r.zadd("z", {"a": 0}, incr=True) == 7.5
    assert r.zincrby("z", 2, "fresh") == 2.0
    assert r.execute_command("ZADD", "xx", "XX", "1", "a") == 0
    assert r.exists("xx") == 0


def test_zadd_errors(raw):
    assert (
        raw.command("ZADD", "z", "NX", "XX", "1", "a")
        == b"-ERR XX and NX options at the same time are not compatible\r\n"
    )
    gt_lt = b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    assert raw.command("ZADD", "z", "GT", "LT", "1", "a") == gt_lt
    assert raw.command("ZADD", "z", "NX", "GT", "1", "a") == gt_lt
    assert (
        raw.command("ZADD", "z", "INCR", "1", "a", "2", "b")
        == b"-ERR INCR option supports a single increment-element pair\r\n"
    )
    assert raw.command("ZADD", "z", "1", "a", "2") == SYNTAX
    assert raw.command("ZADD", "z", "NX", "a") == SYNTAX
    assert raw.command("ZADD", "z", "nan", "a") == NOT_FLOAT
    assert raw.command("ZADD", "z", "1e999", "a") == NOT_FLOAT
    assert raw.command("ZADD", "z", " 1", "a") == NOT_FLOAT
    assert raw.command("ZADD", "z", "1", "a", "x", "b") == NOT_FLOAT
    assert raw.command("EXISTS", "z") == b":0\r\n"
    assert raw.command("ZADD", "z", "inf", "a") == b":1\r\n"
    assert raw.command("ZINCRBY", "z", "-inf", "a") == b"-ERR resulting score is not a number (NaN)\r\n"
    assert raw.command("ZINCRBY", "z", "x", "a") == NOT_FLOAT
    raw.command("SET", "s", "v")
    assert raw.command("ZADD", "s", "x", "a") == NOT_FLOAT  # scores are parsed before the type check
    assert raw.command("ZADD", "s", "1", "a") == WRONGTYPE


def test_scores_print_as_redis_7_0_prints_doubles(raw):
    raw.command("ZADD", "z", "1.1", "a", "3", "b", "inf", "c", "-inf", "d", "1e20", "e", "0.1", "f")
    assert raw.command("ZSCORE", "z", "a") == b"$18\r\n1.1000000000000001\r\n"
    assert raw.command("ZSCORE", "z", "b") == b"$1\r\n3\r\n"
    assert raw.command("ZSCORE", "z", "c") == b"$3\r\ninf\r\n"
    assert raw.command("ZSCORE", "z", "d") == b"$4\r\n-inf\r\n"
    assert raw.command("ZSCORE", "z", "e") == b"$5\r\n1e+20\r\n"
    assert raw.command("ZSCORE", "z", "f") == b"$19\r\n0.10000000000000001\r\n"
    assert raw.command("ZSCORE", "z", "nope") == b"$-1\r\n"
    assert raw.command("ZINCRBY", "z", "0.2", "f") == b"$19\r\n0.30000000000000004\r\n"
    raw.command("HELLO", "3")
    assert raw.command("ZSCORE", "z", "a") == b",1.1000000000000001\r\n"
    assert raw.command("ZSCORE", "z", "c") == b",inf\r\n"
    assert raw.command("ZSCORE", "z", "nope") == b"_\r\n"
    assert raw.command("ZMSCORE", "z", "b", "nope") == b"*2\r\n,3\r\n_\r\n"
    assert raw.command("ZMSCORE", "nokey", "b") == b"*1\r\n_\r\n"


def test_negative_zero_is_zero_in_a_listpack_but_kept_by_a_skiplist(raw):
    raw.command("ZADD", "lp", "-0", "a")
    assert raw.command("ZSCORE", "lp", "a") == b"$1\r\n0\r\n"
    assert raw.command("ZINCRBY", "lp", "-0", "new") == b"$2\r\n-0\r\n"  # the reply is the new score itself
    assert raw.command("ZSCORE", "lp", "new") == b"$1\r\n0\r\n"
    raw.command("ZADD", "sl", "-0", "a", "0", "x" * 65)  # "a" went into the listpack before the conversion
    assert raw.command("ZSCORE", "sl", "a") == b"$1\r\n0\r\n"
    raw.command("ZADD", "sl", "-0", "b")
    assert raw.command("OBJECT", "ENCODING", "sl") == b"$8\r\nskiplist\r\n"
    assert raw.command("ZSCORE", "sl", "b") == b"$2\r\n-0\r\n"


def test_withscores_shapes(raw):
    raw.command("ZADD", "z", "1", "a", "2.5", "b")
    assert (
        raw.command("ZRANGE", "z", "0", "-1", "WITHSCORES") == b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n"
    )
    assert raw.command("ZRANGE", "z", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    raw.command("HELLO", "3")
    assert (
        raw.command("ZRANGE", "z", "0", "-1", "WITHSCORES") == b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    )
    assert raw.command("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    )
    assert raw.command("ZUNION", "1", "z", "WITHSCORES") == b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    assert raw.command("ZRANGE", "nokey", "0", "-1", "WITHSCORES") == b"*0\r\n"


def test_ranks_and_rank_ranges(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 3, "e": 5})
    assert r.zrank("z", "c") == 2
    assert r.zrevrank("z", "c") == 2
    assert r.zrevrank("z", "e") == 0
    assert r.zrank("z", "nope") is None
    assert r.zrank("nokey", "a") is None
    assert r.zrange("z", 1, 2) == [b"b", b"c"]
    assert r.zrange("z", -2, -1) == [b"d", b"e"]
    assert r.zrange("z", -100, 100) == [b"a", b"b", b"c", b"d", b"e"]
    assert r.zrange("z", 3, 1) == []
    assert r.zrange("z", 5, 10) == []
    assert r.zrevrange("z", 0, 1) == [b"e", b"d"]
    assert r.zrevrange("z", -2, -1, withscores=True) == [(b"b", 2.0), (b"a", 1.0)]
    assert r.execute_command("ZRANGE", "z", "0", "1", "REV") == [b"e", b"d"]
    assert r.zcard("z") == 5
    assert r.zcard("nokey") == 0


def test_score_ranges(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "neg": float("-inf"), "pos": float("inf")})
    assert r.zrangebyscore("z", 2, 4) == [b"b", b"c", b"d"]
    assert r.zrangebyscore("z", "(2", "(4") == [b"c"]
    assert r.zrangebyscore("z", "-inf", "(1") == [b"neg"]
    assert r.zrangebyscore("z", "(5", "+inf") == [b"pos"]
    assert r.zrangebyscore("z", "(inf", "+inf") == []
    assert r.zrangebyscore("z", 3, 3) == [b"c"]
    assert r.zrangebyscore("z", "(3", 3) == []
    assert r.zrangebyscore("z", 4, 2) == []
    assert r.zrevrangebyscore("z", 4, 2) == [b"d", b"c", b"b"]
    assert r.zrevrangebyscore("z", "+inf", "-inf", start=1, num=2) == [b"e", b"d"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=2, num=3) == [b"b", b"c", b"d"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=5, num=-1) == [b"e", b"pos"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=-1, num=2) == []
    assert r.zrangebyscore("z", "-inf", "+inf", start=7, num=2) == []
    assert r.zrangebyscore("z", "-inf", "+inf", start=0, num=0) == []
    assert r.execute_command("ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES") == [b"b", b"2", b"c", b"3"]
    assert r.execute_command("ZRANGE", "z", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2") == [b"d", b"c"]
    assert r.zcount("z", "-inf", "+inf") == 7
    assert r.zcount("z", "(1", "(5") == 3
    assert r.zcount("nokey", 0, 1) == 0
    # strtod rules: "(" alone is an exclusive 0, hex and leading spaces are read, overflow is infinity.
    r.zadd("zero", {"z": 0, "one": 1})
    assert r.zrangebyscore("zero", "(", "+inf") == [b"one"]
    assert r.zrangebyscore("zero", " 0x1", "1e999") == [b"one"]
    assert r.zrangebyscore("zero", "", "0") == [b"z"]


def test_range_errors(raw):
    raw.command("ZADD", "z", "0", "a")
    assert raw.command("ZRANGEBYSCORE", "z", "nan", "1") == NOT_FLOAT_RANGE
    assert raw.command("ZRANGEBYSCORE", "z", "1 ", "2") == NOT_FLOAT_RANGE
    assert raw.command("ZRANGEBYSCORE", "z", "(1x", "2") == NOT_FLOAT_RANGE
    assert raw.command("ZCOUNT", "z", "a", "1") == NOT_FLOAT_RANGE
    assert raw.command("ZRANGEBYLEX", "z", "a", "+") == NOT_LEX_RANGE
    assert raw.command("ZRANGEBYLEX", "z", "-", "+a") == NOT_LEX_RANGE
    assert raw.command("ZLEXCOUNT", "z", "", "+") == NOT_LEX_RANGE
    assert raw.command("ZRANGE", "z", "0", "1", "LIMIT", "0", "1") == (
        b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
    )
    assert raw.command("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == (
        b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
    )
    assert raw.command("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX") == SYNTAX
    assert raw.command("ZRANGEBYSCORE", "z", "0", "1", "REV") == SYNTAX
    assert raw.command("ZRANGE", "z", "0", "1", "LIMIT", "0") == SYNTAX
    assert raw.command("ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1") == NOT_INT
    assert raw.command("ZRANGE", "z", "a", "1") == NOT_INT
    assert raw.command("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1") == (
        b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
    )
    assert raw.command("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES") == SYNTAX
    raw.command("SET", "s", "v")
    assert raw.command("ZRANGE", "s", "x", "1") == NOT_INT  # arguments first, then the type
    assert raw.command("ZRANGE", "s", "0", "1") == WRONGTYPE


def test_lex_ranges(r):
    r.zadd("z", {m: 0 for m in ["a", "b", "c", "d", "e", "ab"]})
    assert r.zrangebylex("z", "-", "+") == [b"a", b"ab", b"b", b"c", b"d", b"e"]
    assert r.zrangebylex("z", "[ab", "(d") == [b"ab", b"b", b"c"]
    assert r.zrangebylex("z", "(a", "[b") == [b"ab", b"b"]
    assert r.zrangebylex("z", "-", "+", start=1, num=2) == [b"ab", b"b"]
    assert r.zrevrangebylex("z", "+", "-", start=1, num=2) == [b"d", b"c"]
    assert r.zrevrangebylex("z", "(c", "[ab") == [b"b", b"ab"]
    assert r.zrangebylex("z", "+", "-") == []
    assert r.zrangebylex("z", "[c", "(c") == []
    assert r.zlexcount("z", "[b", "+") == 4
    assert r.zlexcount("z", "-", "(a") == 0
    assert r.execute_command("ZRANGE", "z", "[e", "[d", "BYLEX", "REV") == [b"e", b"d"]
    # Mixed scores: Redis walks the listpack from the lowest score.
    r.zadd("mixed", {"c": 1, "a": 2, "b": 3})
    assert r.zrangebylex("mixed", "[b", "+") == [b"c", b"a", b"b"]
    assert r.zrangebylex("mixed", "[b", "[b") == []
    assert r.zrangebylex("mixed", "-", "[b") == []  # the lowest-scored member is already past "b"
    assert r.zrevrangebylex("mixed", "[b", "-") == []
    assert r.zrevrangebylex("mixed", "+", "[b") == [b"b"]  # walking down from the top, "a" ends it
    assert r.zrevrangebylex("mixed", "(c", "-") == []
    assert r.zlexcount("mixed", "[a", "[b") == 0


def test_zrangestore(r):
    r.zadd("src", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert r.execute_command("ZRANGESTORE", "dst", "src", "1", "2") == 2
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"b", 2.0), (b"c", 3.0)]
    assert r.execute_command("ZRANGESTORE", "dst", "src", "+inf", "(2", "BYSCORE", "REV", "LIMIT", "0", "1") == 1
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"d", 4.0)]
    r.set("str", "x")
    assert r.execute_command("ZRANGESTORE", "str", "src", "0", "0") == 1
    assert r.type("str") == b"zset"
    assert r.execute_command("ZRANGESTORE", "dst", "src", "5", "6") == 0
    assert r.exists("dst") == 0
    r.zadd("dst", {"x": 1})
    assert r.execute_command("ZRANGESTORE", "dst", "nokey", "0", "-1") == 0
    assert r.exists("dst") == 0


def test_zrem_and_removal_ranges_delete_empty_sets(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrem("z", "a", "nope") == 1
    assert r.zrem("z", "b", "c", "b") == 2
    assert r.exists("z") == 0
    assert r.zrem("z", "a") == 0
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert r.zremrangebyrank("z", 0, 1) == 2
    assert r.zremrangebyrank("z", 5, 10) == 0
    assert r.zremrangebyscore("z", "(3", 4) == 1
    assert r.zrange("z", 0, -1) == [b"c", b"e"]
    assert r.zremrangebyscore("z", "-inf", "+inf") == 2
    assert r.exists("z") == 0
    r.zadd("z", {"a": 0, "b": 0, "c": 0})
    assert r.zremrangebylex("z", "(a", "+") == 2
    assert r.zremrangebylex("z", "-", "+") == 1
    assert r.exists("z") == 0


def test_zpop_shapes(raw):
    raw.command("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("ZPOPMAX", "z", "2") == b"*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"
    assert raw.command("ZPOPMIN", "z", "0") == b"*0\r\n"
    assert raw.command("ZPOPMIN", "z", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("ZPOPMIN", "z", "x") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("ZPOPMIN", "z", "1", "2") == SYNTAX
    assert raw.command("ZPOPMIN", "nokey") == b"*0\r\n"
    raw.command("HELLO", "3")
    raw.command("ZADD", "z", "1", "a", "5", "e")
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert raw.command("ZPOPMIN", "z", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert raw.command("ZPOPMAX", "z", "10") == b"*1\r\n*2\r\n$1\r\ne\r\n,5\r\n"
    assert raw.command("EXISTS", "z") == b":0\r\n"
    raw.command("SET", "s", "v")
    assert raw.command("ZPOPMIN", "s") == WRONGTYPE


def test_zmpop(raw):
    raw.command("ZADD", "z", "1", "a", "2", "b", "3", "c")
    assert raw.command("ZMPOP", "2", "nokey", "z", "MIN") == b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("ZMPOP", "1", "z", "max", "COUNT", "5") == (
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    )
    assert raw.command("ZMPOP", "1", "z", "MIN") == b"*-1\r\n"
    assert raw.command("ZMPOP", "0", "z", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("ZMPOP", "x", "z", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("ZMPOP", "2", "z", "MIN") == SYNTAX
    assert raw.command("ZMPOP", "1", "z", "LEFT") == SYNTAX
    assert raw.command("ZMPOP", "1", "z", "MIN", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert raw.command("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1") == SYNTAX
    raw.command("SET", "s", "v")
    assert raw.command("ZMPOP", "2", "s", "z", "MIN") == WRONGTYPE
    raw.command("HELLO", "3")
    assert raw.command("ZMPOP", "1", "z", "MIN") == b"_\r\n"
    raw.command("ZADD", "z", "7", "x")
    assert raw.command("ZMPOP", "1", "z", "MIN") == b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nx\r\n,7\r\n"


def test_bzpop_answers_at_once_and_times_out(raw):
    raw.command("ZADD", "z", "1", "a", "2", "b")
    assert raw.command("BZPOPMIN", "nokey", "z", "0") == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("BZPOPMAX", "z", "0") == b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert raw.command("BZPOPMIN", "z", "0.01") == b"*-1\r\n"
    assert raw.command("BZPOPMIN", "z", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.command("BZPOPMIN", "z", "x") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BZMPOP", "0.01", "1", "z", "MIN") == b"*-1\r\n"
    assert raw.command("BZMPOP", "x", "1", "z", "MIN") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BZMPOP", "x", "0", "z", "MIN") == b"-ERR numkeys should be greater than 0\r\n"
    raw.command("SET", "s", "v")
    assert raw.command("BZPOPMIN", "s", "0") == WRONGTYPE
    raw.command("MULTI")
    raw.command("BZPOPMIN", "z", "0")
    assert raw.command("EXEC") == b"*1\r\n*-1\r\n"


def test_bzpop_waiters_are_served_by_zadd(target, r):
    popmin = block(target, r, "BZPOPMIN", "z", "0")
    mpop = block(target, r, "BZMPOP", "0", "2", "other", "z", "MAX", "COUNT", "2")
    assert r.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert popmin.result() == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert mpop.result() == b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.exists("z") == 0
    waiter = block(target, r, "BZPOPMAX", "q", "0")
    r.zadd("src", {"x": 5})
    assert r.execute_command("ZUNIONSTORE", "q", "1", "src") == 1
    assert waiter.result() == b"*3\r\n$1\r\nq\r\n$1\r\nx\r\n$1\r\n5\r\n"


def test_zrandmember(raw, r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrandmember("z") in (b"a", b"b", b"c")
    assert r.zrandmember("nokey") is None
    assert r.zrandmember("z", 10, withscores=True) == [b"c", b"3", b"b", b"2", b"a", b"1"]  # whole set, from the top
    assert sorted(r.zrandmember("z", 2)) in ([b"a", b"b"], [b"a", b"c"], [b"b", b"c"])
    picks = r.zrandmember("z", -20, withscores=True)
    assert len(picks) == 40
    assert {(picks[i], picks[i + 1]) for i in range(0, 40, 2)} <= {(b"a", b"1"), (b"b", b"2"), (b"c", b"3")}
    assert r.zrandmember("z", 0) == []
    assert r.zrandmember("nokey", 5) == []
    assert raw.command("ZRANDMEMBER", "z", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    )
    assert raw.command("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES") == b"-ERR value is out of range\r\n"
    assert raw.command("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES") == b"-ERR value is out of range\r\n"
    assert raw.command("ZRANDMEMBER", "z", "1", "WITHSCORE") == SYNTAX
    assert raw.command("ZRANDMEMBER", "z", "1", "WITHSCORES", "x") == SYNTAX
    assert raw.command("ZRANDMEMBER", "z", "x") == NOT_INT
    assert raw.command("ZRANDMEMBER", "z", "1", "WITHSCORES") in (
        b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
        b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        b"*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    )
    raw.command("HELLO", "3")
    assert raw.command("ZRANDMEMBER", "z", "-1", "WITHSCORES") in (
        b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n",
        b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n",
        b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n",
    )


def test_union_inter_diff(r):
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    assert r.zunion(["a", "b"], withscores=True) == [(b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)]
    assert r.zinter(["a", "b"], withscores=True) == [(b"y", 12.0), (b"z", 23.0)]
    assert r.zinter(["a", "b"], aggregate="MIN", withscores=True) == [(b"y", 2.0), (b"z", 3.0)]
    assert r.zunion({"a": 2, "b": -1}, aggregate="MAX", withscores=True) == [
        (b"w", -30.0),
        (b"x", 2.0),
        (b"y", 4.0),
        (b"z", 6.0),
    ]
    assert r.zdiff(["a", "b"], withscores=True) == [b"x", b"1"]
    assert r.zdiff(["a", "a"]) == []
    assert r.zdiff(["nokey", "a"]) == []
    assert r.zunion(["a", "nokey"]) == [b"x", b"y", b"z"]
    assert r.zinter(["a", "nokey"]) == []
    assert r.zunionstore("dst", ["a", "b"]) == 4
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)]
    assert r.zinterstore("dst", {"a": 1, "b": 0}) == 2
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"y", 2.0), (b"z", 3.0)]
    assert r.zdiffstore("dst", ["b", "a"]) == 1
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"w", 30.0)]
    assert r.zinterstore("dst", ["a", "nokey"]) == 0
    assert r.exists("dst") == 0
    assert r.zintercard(2, ["a", "b"]) == 2
    assert r.zintercard(2, ["a", "b"], limit=1) == 1
    assert r.zintercard(1, ["a"], limit=0) == 3
    # inf + -inf sums to 0 (not NaN); inf * 0 weights to 0
    r.zadd("p", {"m": float("inf")})
    r.zadd("n", {"m": float("-inf")})
    assert r.zunion(["p", "n"], withscores=True) == [(b"m", 0.0)]
    assert r.zunion({"p": 0}, withscores=True) == [(b"m", 0.0)]


def test_set_operation_errors(raw):
    raw.command("ZADD", "a", "1", "x")
    raw.command("SET", "s", "v")
    assert raw.command("ZUNION", "0", "a") == b"-ERR at least 1 input key is needed for 'zunion' command\r\n"
    assert raw.command("ZINTERSTORE", "d", "0", "a") == (
        b"-ERR at least 1 input key is needed for 'zinterstore' command\r\n"
    )
    assert raw.command("ZINTERCARD", "0", "a") == b"-ERR at least 1 input key is needed for 'zintercard' command\r\n"
    assert raw.command("ZUNION", "x", "a") == NOT_INT
    assert raw.command("ZUNION", "3", "a") == SYNTAX
    assert raw.command("ZUNION", "2", "a", "a", "WEIGHTS", "1") == SYNTAX
    assert raw.command("ZUNION", "1", "a", "WEIGHTS", "1", "2") == SYNTAX
    assert raw.command("ZUNION", "1", "a", "WEIGHTS", "x") == b"-ERR weight value is not a float\r\n"
    assert raw.command("ZUNION", "1", "a", "AGGREGATE", "AVG") == SYNTAX
    assert raw.command("ZUNIONSTORE", "d", "1", "a", "WITHSCORES") == SYNTAX
    assert raw.command("ZDIFF", "1", "a", "WEIGHTS", "1") == SYNTAX
    assert raw.command("ZINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.command("ZINTERCARD", "1", "a", "LIMIT", "x") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.command("ZINTERCARD", "1", "a", "WITHSCORES") == SYNTAX
    assert raw.command("ZUNION", "2", "a", "s", "WEIGHTS", "x") == WRONGTYPE  # keys are checked first


def test_wrongtype_everywhere(raw):
    raw.command("SET", "s", "v")
    for args in (
        ["ZINCRBY", "s", "1", "a"],
        ["ZREM", "s", "a"],
        ["ZCARD", "s"],
        ["ZSCORE", "s", "a"],
        ["ZMSCORE", "s", "a"],
        ["ZRANK", "s", "a"],
        ["ZREVRANK", "s", "a"],
        ["ZREVRANGE", "s", "0", "1"],
        ["ZRANGEBYSCORE", "s", "0", "1"],
        ["ZREVRANGEBYSCORE", "s", "1", "0"],
        ["ZRANGEBYLEX", "s", "-", "+"],
        ["ZREVRANGEBYLEX", "s", "+", "-"],
        ["ZCOUNT", "s", "0", "1"],
        ["ZLEXCOUNT", "s", "-", "+"],
        ["ZREMRANGEBYRANK", "s", "0", "1"],
        ["ZREMRANGEBYSCORE", "s", "0", "1"],
        ["ZREMRANGEBYLEX", "s", "-", "+"],
        ["ZPOPMAX", "s"],
        ["ZRANDMEMBER", "s"],
        ["ZRANDMEMBER", "s", "2"],
        ["ZRANGESTORE", "d", "s", "0", "1"],
        ["ZINTER", "1", "s"],
        ["ZDIFFSTORE", "d", "1", "s"],
        ["ZINTERCARD", "1", "s"],
        ["ZSCAN", "s", "0"],
    ):
        assert raw.command(*args) == WRONGTYPE, args
    raw.command("ZADD", "z", "1", "a")
    for args in (["LPUSH", "z", "a"], ["GET", "z"], ["INCR", "z"]):
        assert raw.command(*args) == WRONGTYPE, args
    assert raw.command("TYPE", "z") == b"+zset\r\n"


def test_object_encoding_follows_the_listpack_limits(r):
    r.zadd("small", {f"m{i}": i for i in range(128)})
    assert r.object("encoding", "small") == b"listpack"
    r.zadd("small", {"m0": 5})  # an update does not convert
    assert r.object("encoding", "small") == b"listpack"
    r.zadd("small", {"m128": 1})
    assert r.object("encoding", "small") == b"skiplist"
    r.zremrangebyrank("small", 0, -3)
    assert r.object("encoding", "small") == b"skiplist"  # converted for good
    r.zadd("long", {"x" * 64: 1})
    assert r.object("encoding", "long") == b"listpack"
    r.zadd("long", {"y" * 65: 1})
    assert r.object("encoding", "long") == b"skiplist"
    assert r.zunionstore("back", ["long"]) == 2
    assert r.object("encoding", "back") == b"skiplist"
    r.zrem("long", "y" * 65)
    assert r.zunionstore("back", ["long"]) == 1
    assert r.object("encoding", "back") == b"listpack"  # stored results are re-encoded
    assert r.execute_command("ZRANGESTORE", "back", "small", "0", "-1") == 2
    assert r.object("encoding", "back") == b"listpack"
    assert r.config_set("zset-max-listpack-entries", 0)
    try:
        r.zadd("zero", {"a": 1})
        assert r.object("encoding", "zero") == b"skiplist"
    finally:
        r.config_set("zset-max-listpack-entries", 128)


def test_zscan(r):
    r.zadd("small", {"a": 1, "b": 2.5, "c": 3})
    assert r.zscan("small", 0) == (0, [(b"a", 1.0), (b"b", 2.5), (b"c", 3.0)])
    assert r.zscan("small", 0, match="[ab]", count=1) == (0, [(b"a", 1.0), (b"b", 2.5)])
    assert r.zscan("nokey", 0) == (0, [])
    members = {f"m{i}": i for i in range(300)}
    r.zadd("big", members)
    seen = {}
    cursor = 0
    while True:
        cursor, batch = r.zscan("big", cursor, count=20)
        seen.update(batch)
        if cursor == 0:
            break
    assert seen == {k.encode(): float(v) for k, v in members.items()}


def test_zscan_errors(raw):
    raw.command("ZADD", "z", "1", "a")
    assert raw.command("ZSCAN", "z", "x") == b"-ERR invalid cursor\r\n"
    assert raw.command("ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert raw.command("ZSCAN", "z", "0", "COUNT") == SYNTAX
    assert raw.command("ZSCAN", "z", "0", "COUNT", "x") == NOT_INT
    assert raw.command("ZSCAN", "z", "0", "TYPE", "zset") == SYNTAX
    assert raw.command("ZSCAN", "z", "0") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    raw.command("HELLO", "3")
    assert raw.command("ZSCAN", "z", "0") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"


def test_keyspace_events(target, r):
    r.config_set("notify-keyspace-events", "KEA")
    p = target.client().pubsub()
    try:
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=2)["type"] == "psubscribe"
        r.zadd("z", {"a": 1, "b": 2})
        r.zadd("z", {"a": 1})  # no change: no event
        r.zincrby("z", 1, "a")
        r.zrem("z", "nope")
        r.zrem("z", "a")
        r.zadd("z", {"c": 3, "d": 4})
        r.zpopmin("z")
        r.zremrangebyscore("z", "-inf", "+inf")
        r.zadd("z", {"e": 1})
        r.zunionstore("u", ["z"])
        r.zinterstore("u", ["nokey"])
        r.execute_command("ZRANGESTORE", "rs", "z", "0", "-1")
        events = []
        while True:
            m = p.get_message(timeout=0.5)
            if m is None:
                break
            events.append((m["channel"].split(b":", 1)[1], m["data"]))
        assert events == [
            (b"zadd", b"z"),
            (b"zincr", b"z"),
            (b"zrem", b"z"),
            (b"zadd", b"z"),
            (b"zpopmin", b"z"),
            (b"zremrangebyscore", b"z"),
            (b"del", b"z"),
            (b"zadd", b"z"),
            (b"zunionstore", b"u"),
            (b"del", b"u"),
            (b"zrangestore", b"rs"),
        ]
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")


def test_watch_sees_sorted_set_changes(target, r):
    r.zadd("z", {"a": 1})
    changes = (lambda o: o.zadd("z", {"a": 2}), lambda o: o.zpopmin("z"), lambda o: o.zadd("z", {"b": 1}))
    assert watch_aborts(target, r, "z", *changes) == [True] * 3


def test_zadd_plain_digit_scores(raw):
    # ZADD key score member with a score of decimal digits only (the benchmarked request)
    assert raw.command("ZADD", "z", "0", "a") == b":1\r\n"
    assert raw.command("ZADD", "z", "0", "a") == b":0\r\n"
    assert raw.command("ZADD", "z", "007", "b") == b":1\r\n"
    assert raw.command("ZADD", "z", "12345678901234567890123", "c") == b":1\r\n"
    assert raw.command("ZADD", "z", "9" * 308, "d") == b":1\r\n"
    assert raw.command("ZADD", "z", "9" * 309, "e") == NOT_FLOAT  # overflows a double: strtod's ERANGE
    assert raw.command("ZADD", "z", "1" + "0" * 400, "e") == NOT_FLOAT
    assert raw.command("ZADD", "z", "00000000000000000000000000000", "a") == b":0\r\n"
    assert raw.command("ZRANGE", "z", "0", "-1", "WITHSCORES") == (
        b"*8\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$1\r\n7\r\n$1\r\nc\r\n$22\r\n1.2345678901234568e+22\r\n"
        b"$1\r\nd\r\n$6\r\n1e+308\r\n"
    )
    assert raw.command("ZADD", "z", "3", "a") == b":0\r\n"
    assert raw.command("ZSCORE", "z", "a") == b"$1\r\n3\r\n"


def test_zpop_without_count_on_missing_and_single_member_sets(target, r, raw):
    assert raw.command("ZPOPMAX", "nokey") == b"*0\r\n"
    r.zadd("z", {"a": 1})
    events = keyevents(target, r, ("ZPOPMIN", "nokey"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z"))
    assert events == [(b"zpopmax", b"z"), (b"del", b"z")]
    r.set("s", "v")
    assert raw.command("ZPOPMAX", "s") == WRONGTYPE
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("ZPOPMAX", "nokey") == b"*0\r\n"
    assert raw.command("ZPOPMIN", "nokey") == b"*0\r\n"


def test_zpop_without_count_score_text(raw):
    raw.command("ZADD", "z", "-inf", "lo", "-0.5", "neg", "1.1", "frac", "1e20", "big", "+inf", "hi")
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$2\r\nlo\r\n$4\r\n-inf\r\n"
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$2\r\nhi\r\n$3\r\ninf\r\n"
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$3\r\nneg\r\n$4\r\n-0.5\r\n"
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$3\r\nbig\r\n$5\r\n1e+20\r\n"
    raw.command("MULTI")
    raw.command("ZPOPMIN", "z")
    assert raw.command("EXEC") == b"*1\r\n*2\r\n$4\r\nfrac\r\n$18\r\n1.1000000000000001\r\n"
    assert raw.command("EXISTS", "z") == b":0\r\n"
    raw.command("ZADD", "z", "-inf", "lo", "2.5", "mid", "+inf", "hi")
    assert raw.command("EVAL", "return redis.call('ZPOPMIN', KEYS[1])", "1", "z") == b"*2\r\n$2\r\nlo\r\n$4\r\n-inf\r\n"
    assert raw.command("EVAL", "redis.setresp(3); return redis.call('ZPOPMAX', KEYS[1])", "1", "z") == (
        b"*2\r\n$2\r\nhi\r\n$3\r\ninf\r\n"
    )
    raw.command("HELLO", "3")
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$3\r\nmid\r\n,2.5\r\n"
    raw.command("ZADD", "z", "-inf", "lo", "+inf", "hi")
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$2\r\nlo\r\n,-inf\r\n"
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$2\r\nhi\r\n,inf\r\n"


def test_zpop_without_count_whole_and_zero_scores(raw):
    # a skiplist keeps -0 (a listpack stores it as 0); whole scores print without a point up to 1e17
    raw.command("ZADD", "z", *[x for i in range(130) for x in (str(i + 10), f"m{i}")])
    raw.command("ZADD", "z", "-0", "negzero", "-12", "neg", "123456789012345", "w15", "1e16", "w17")
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$3\r\nneg\r\n$3\r\n-12\r\n"
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$7\r\nnegzero\r\n$2\r\n-0\r\n"
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$3\r\nw17\r\n$17\r\n10000000000000000\r\n"
    assert raw.command("ZPOPMAX", "z") == b"*2\r\n$3\r\nw15\r\n$15\r\n123456789012345\r\n"
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$2\r\nm0\r\n$2\r\n10\r\n"
