"""Set commands against cacheserver and redis-server: replies and reply types (RESP2/RESP3), intset
ordering and encodings, errors, keyspace events, SPOP/SRANDMEMBER counts, the multi-set families, SSCAN."""

from __future__ import annotations

from helpers import keyevents

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_add_remove_and_members(r):
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.sadd("s", "b") == 0
    assert r.scard("s") == 2
    assert r.scard("nokey") == 0
    assert r.sismember("s", "a") == 1
    assert r.sismember("s", "z") == 0
    assert r.sismember("nokey", "z") == 0
    assert r.smismember("s", "a", "z", "b") == [1, 0, 1]
    assert r.smismember("nokey", "a", "b") == [0, 0]
    assert sorted(r.smembers("s")) == [b"a", b"b"]
    assert r.srem("s", "a", "z", "a") == 1
    assert r.srem("nokey", "a") == 0
    assert r.srem("s", "b") == 1
    assert r.exists("s") == 0


def test_intset_order_and_encoding(raw, r):
    raw.command("SADD", "s", "10", "-3", "2", "100")
    assert raw.command("SMEMBERS", "s") == b"*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n"
    assert r.object("encoding", "s") == b"intset"
    assert raw.command("SSCAN", "s", "0", "COUNT", "1") == (
        b"*2\r\n$1\r\n0\r\n*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n")
    assert raw.command("SRANDMEMBER", "s", "10") == b"*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n"
    assert raw.command("SUNION", "s", "nokey") == b"*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n"
    assert raw.command("SINTER", "s", "s") == b"*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n"
    assert raw.command("SDIFF", "s", "nokey") == b"*4\r\n$2\r\n-3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n100\r\n"
    raw.command("SADD", "t", "a", "1")
    assert r.object("encoding", "t") == b"hashtable"  # 7.0 has no listpack sets
    assert raw.command("SINTERSTORE", "d", "t", "s") == b":0\r\n"
    assert raw.command("SADD", "t", "2", "10") == b":2\r\n"
    assert raw.command("SINTERSTORE", "d", "t", "s") == b":2\r\n"
    assert r.object("encoding", "d") == b"intset"  # a stored result is re-encoded from scratch
    assert raw.command("SMEMBERS", "d") == b"*2\r\n$1\r\n2\r\n$2\r\n10\r\n"
    # Not integers in string2ll's canonical form, or out of int64 range: no intset.
    for member in ("01", "+1", " 1", "9223372036854775808", "1.0"):
        r.delete("n")
        r.sadd("n", member)
        assert r.object("encoding", "n") == b"hashtable", member
    r.sadd("n2", "-9223372036854775808")
    assert r.object("encoding", "n2") == b"intset"
    r.sadd("big", *range(512))
    assert r.object("encoding", "big") == b"intset"
    r.sadd("big", 512)
    assert r.object("encoding", "big") == b"hashtable"
    r.srem("big", *range(500))
    assert r.object("encoding", "big") == b"hashtable"  # conversion is for good
    r.config_set("set-max-intset-entries", 1)
    try:
        r.sadd("c", 1)
        assert r.object("encoding", "c") == b"intset"
        r.sadd("c", 2)
        assert r.object("encoding", "c") == b"hashtable"
    finally:
        r.config_set("set-max-intset-entries", 512)


def test_reply_types_resp3(raw):
    assert raw.command("HELLO", "3").startswith(b"%7")
    raw.command("SADD", "s", "3", "1")
    assert raw.command("SMEMBERS", "s") == b"~2\r\n$1\r\n1\r\n$1\r\n3\r\n"
    assert raw.command("SMEMBERS", "nokey") == b"~0\r\n"
    assert raw.command("SINTER", "s", "nokey") == b"~0\r\n"
    assert raw.command("SUNION", "s") == b"~2\r\n$1\r\n1\r\n$1\r\n3\r\n"
    assert raw.command("SDIFF", "nokey", "s") == b"~0\r\n"
    assert raw.command("SMISMEMBER", "s", "1", "2") == b"*2\r\n:1\r\n:0\r\n"
    assert raw.command("SRANDMEMBER", "s", "5") == b"*2\r\n$1\r\n1\r\n$1\r\n3\r\n"
    assert raw.command("SRANDMEMBER", "nokey", "5") == b"*0\r\n"
    assert raw.command("SRANDMEMBER", "nokey") == b"_\r\n"
    assert raw.command("SPOP", "nokey") == b"_\r\n"
    assert raw.command("SPOP", "nokey", "2") == b"~0\r\n"
    assert raw.command("SPOP", "s", "0") == b"~0\r\n"
    assert raw.command("SPOP", "s", "2") == b"~2\r\n$1\r\n1\r\n$1\r\n3\r\n"
    assert raw.command("EXISTS", "s") == b":0\r\n"


def test_spop_and_srandmember(raw, r):
    assert raw.command("SPOP", "nokey") == b"$-1\r\n"
    assert raw.command("SPOP", "nokey", "2") == b"*0\r\n"
    assert raw.command("SPOP", "nokey", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("SPOP", "nokey", "x") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("SPOP", "nokey", "1", "2") == b"-ERR syntax error\r\n"
    assert raw.command("SRANDMEMBER", "nokey", "1", "2") == b"-ERR syntax error\r\n"
    assert raw.command("SRANDMEMBER", "nokey", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("SRANDMEMBER", "nokey", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n")
    members = {b"m%d" % i for i in range(100)}
    r.sadd("s", *members)
    assert r.srandmember("s") in members
    assert len(r.srandmember("s", -300)) == 300
    assert set(r.srandmember("s", -300)) <= members
    five = r.srandmember("s", 5)
    assert len(set(five)) == 5 and set(five) <= members
    most = r.srandmember("s", 90)
    assert len(set(most)) == 90 and set(most) <= members
    assert set(r.srandmember("s", 100)) == members
    assert r.srandmember("s", 0) == []
    popped = set(r.spop("s", 10))
    assert len(popped) == 10 and popped <= members
    popped |= set(r.spop("s", 60))
    popped.add(r.spop("s"))
    assert r.scard("s") == 29
    rest = set(r.spop("s", 100))
    assert popped | rest == members and not popped & rest
    assert r.exists("s") == 0


def test_smove(raw, r):
    r.sadd("a", "x", "y")
    r.sadd("b", "z")
    assert r.smove("a", "b", "x") is True
    assert r.smove("a", "b", "nope") is False
    assert r.smove("nokey", "b", "x") is False
    assert sorted(r.smembers("b")) == [b"x", b"z"]
    assert r.smove("a", "a", "y") is True
    assert r.smove("a", "a", "q") is False
    assert r.smove("a", "new", "y") is True
    assert r.exists("a") == 0
    assert r.smembers("new") == {b"y"}
    r.sadd("b", "y")
    assert r.smove("new", "b", "y") is True
    assert r.exists("new") == 0
    r.set("str", "v")
    assert raw.command("SMOVE", "str", "b", "x") == WRONGTYPE
    assert raw.command("SMOVE", "b", "str", "x") == WRONGTYPE
    assert raw.command("SMOVE", "nokey", "str", "x") == b":0\r\n"
    r.sadd("ints", 1)
    r.smove("b", "ints", "x")
    assert r.object("encoding", "ints") == b"hashtable"


def test_intersection_union_difference(raw, r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "4", "x")
    r.sadd("c", "3", "x", "y")
    assert sorted(r.sinter("a", "b", "c")) == [b"3", b"x"]
    assert sorted(r.sunion("a", "b", "c")) == [b"1", b"2", b"3", b"4", b"x", b"y"]
    assert sorted(r.sdiff("a", "b", "c")) == [b"1"]
    assert r.sinter("a", "nokey") == set()
    assert r.sdiff("nokey", "a") == set()
    assert r.sinterstore("d", "a", "b") == 3
    assert sorted(r.smembers("d")) == [b"2", b"3", b"x"]
    assert r.sunionstore("d", "a", "c") == 5
    assert r.sdiffstore("d", "a", "b") == 1
    assert r.smembers("d") == {b"1"}
    r.expire("d", 100)
    assert r.sunionstore("d", "a") == 4
    assert r.ttl("d") == -1
    assert r.sinterstore("d", "a", "nokey") == 0
    assert r.exists("d") == 0
    assert r.sdiffstore("d", "a", "a") == 0
    assert r.exists("d") == 0
    r.set("str", "v")
    # Every key is type-checked, even after a missing one.
    assert raw.command("SINTER", "nokey", "str") == WRONGTYPE
    assert raw.command("SINTER", "str", "nokey") == WRONGTYPE
    assert raw.command("SINTERSTORE", "d", "nokey", "str") == WRONGTYPE
    assert raw.command("SINTERCARD", "2", "nokey", "str") == WRONGTYPE
    assert raw.command("SUNION", "nokey", "str") == WRONGTYPE
    assert raw.command("SDIFF", "nokey", "str") == WRONGTYPE
    assert raw.command("SUNIONSTORE", "d", "a", "str") == WRONGTYPE
    assert raw.command("SINTERSTORE", "str", "a") == b":4\r\n"  # the destination is overwritten
    assert raw.command("TYPE", "str") == b"+set\r\n"


def test_sintercard(raw, r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "4", "x")
    assert r.sintercard(2, ["a", "b"]) == 3
    assert r.sintercard(2, ["a", "b"], limit=2) == 2
    assert r.sintercard(2, ["a", "b"], limit=0) == 3
    assert r.sintercard(1, ["a"], limit=10) == 4
    assert r.sintercard(2, ["a", "nokey"]) == 0
    assert raw.command("SINTERCARD", "0", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("SINTERCARD", "-1", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("SINTERCARD", "x", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("SINTERCARD", "3", "a", "b") == b"-ERR Number of keys can't be greater than number of args\r\n"
    assert raw.command("SINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.command("SINTERCARD", "1", "a", "LIMIT", "x") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.command("SINTERCARD", "1", "a", "LIMIT") == b"-ERR syntax error\r\n"
    assert raw.command("SINTERCARD", "1", "a", "b") == b"-ERR syntax error\r\n"
    assert raw.command("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3") == b":3\r\n"
    assert raw.command("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1") == (
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")


def test_sscan_hashtable(raw, r):
    members = {b"m%d" % i for i in range(500)}
    r.sadd("s", *members)
    seen = set()
    cursor = 0
    calls = 0
    while True:
        cursor, batch = r.sscan("s", cursor, count=20)
        seen.update(batch)
        calls += 1
        if cursor == 0:
            break
    assert seen == members and calls > 1
    assert set(r.sscan_iter("s", match="m49*")) == {b"m49", *{b"m49%d" % i for i in range(10)}}
    assert raw.command("SSCAN", "s", "x") == b"-ERR invalid cursor\r\n"
    assert raw.command("SSCAN", "s", "0", "COUNT", "0") == b"-ERR syntax error\r\n"
    assert raw.command("SSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    r.set("str", "v")
    assert raw.command("SSCAN", "str", "0") == WRONGTYPE


def test_wrongtype(raw):
    raw.command("SET", "str", "v")
    for cmd in (("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "a"),
                ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SPOP", "str"), ("SPOP", "str", "1"),
                ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"), ("SINTERCARD", "1", "str")):
        assert raw.command(*cmd) == WRONGTYPE, cmd


def test_events(target, r):
    r.sadd("src", "a", "b", "c")
    events = keyevents(
        target, r,
        ("SADD", "s", "1", "2"), ("SADD", "s", "1"), ("SREM", "s", "9"), ("SREM", "s", "1"), ("SPOP", "s"),
        ("SMOVE", "src", "dst", "a"), ("SMOVE", "src", "dst", "a"),
        ("SINTERSTORE", "i", "src", "src"), ("SUNIONSTORE", "u", "src"), ("SDIFFSTORE", "d", "src", "src"),
        ("SDIFFSTORE", "u", "src", "src"), ("SPOP", "src", "5"),
    )
    assert events == [
        (b"sadd", b"s"), (b"srem", b"s"), (b"spop", b"s"), (b"del", b"s"),
        (b"srem", b"src"), (b"sadd", b"dst"),
        (b"sinterstore", b"i"), (b"sunionstore", b"u"), (b"del", b"u"),
        (b"spop", b"src"), (b"del", b"src"),
    ]


def test_spop_count_events(target, r):
    r.sadd("s", *range(10))
    r.sadd("t", "a")
    events = keyevents(target, r, ("SPOP", "s", "3"), ("SPOP", "s", "0"), ("SMOVE", "t", "s", "a"))
    assert events == [(b"spop", b"s"), (b"srem", b"t"), (b"del", b"t"), (b"sadd", b"s")]


def test_dirty_counts(r):
    def changes() -> int:
        return r.info("persistence")["rdb_changes_since_last_save"]

    before = changes()
    r.sadd("s", "a", "b", "c")
    r.sadd("s", "a")
    r.srem("s", "a", "z")
    r.spop("s", 1)
    r.smove("s", "t", r.smembers("s").pop())
    assert changes() - before == 3 + 1 + 1 + 2


def test_one_member_at_a_time(target, r, raw):
    # SADD of a single member into an existing set (the benchmarked request) and SPOP without a count
    r.sadd("s", "5")
    events = keyevents(target, r, ("SADD", "s", "7"), ("SADD", "s", "7"), ("SADD", "s", "-2"), ("SPOP", "nokey"))
    assert events == [(b"sadd", b"s"), (b"sadd", b"s")]
    assert raw.command("SADD", "s", "5") == b":0\r\n"
    assert raw.command("SMEMBERS", "s") == b"*3\r\n$2\r\n-2\r\n$1\r\n5\r\n$1\r\n7\r\n"
    assert r.object("encoding", "s") == b"intset"
    assert raw.command("SADD", "s", "x") == b":1\r\n"
    assert r.object("encoding", "s") == b"hashtable"
    assert raw.command("SADD", "s", "x") == b":0\r\n"
    assert r.scard("s") == 4
    assert raw.command("SADD", "str", "x") == b":1\r\n"
    r.set("str", "v")
    assert raw.command("SADD", "str", "x") == WRONGTYPE
    assert raw.command("SPOP", "str") == WRONGTYPE
    assert sorted(r.spop("s") for _ in range(4)) == [b"-2", b"5", b"7", b"x"]
    assert raw.command("SPOP", "s") == b"$-1\r\n"
    assert r.exists("s") == 0


def test_spop_draws_every_member_of_a_large_set(r):
    members = {b"m%d" % i for i in range(1000)}
    r.sadd("s", *members)
    r.srandmember("s")
    r.sadd("s", "late")  # a member added after random draws began can be drawn too
    popped = [r.spop("s") for _ in range(1001)]
    assert set(popped) == members | {b"late"} and len(popped) == 1001
    assert r.exists("s") == 0
