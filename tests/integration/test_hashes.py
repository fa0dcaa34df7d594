"""Hash commands against cacheserver and redis-server: replies and reply types (RESP2/RESP3), errors,
encodings, keyspace events, HSCAN and HRANDFIELD."""

from __future__ import annotations

from helpers import keyevents

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_set_get_and_delete(r):
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hset("h", mapping={"a": "x", "c": "3"}) == 1
    assert r.hget("h", "a") == b"x"
    assert r.hget("h", "zz") is None
    assert r.hget("nokey", "a") is None
    assert r.hmget("h", "a", "zz", "c") == [b"x", None, b"3"]
    assert r.hmget("nokey", "a", "b") == [None, None]
    assert r.hlen("h") == 3
    assert r.hlen("nokey") == 0
    assert r.hexists("h", "b") is True
    assert r.hexists("h", "zz") is False
    assert r.hstrlen("h", "a") == 1
    assert r.hstrlen("h", "zz") == 0
    assert r.hstrlen("nokey", "a") == 0
    # A listpack keeps insertion order: small hashes list fields as they were first set.
    assert r.hkeys("h") == [b"a", b"b", b"c"]
    assert r.hvals("h") == [b"x", b"2", b"3"]
    assert r.hgetall("h") == {b"a": b"x", b"b": b"2", b"c": b"3"}
    assert r.hsetnx("h", "a", "y") == 0
    assert r.hsetnx("h", "d", "4") == 1
    assert r.hget("h", "d") == b"4"
    assert r.hdel("h", "a", "zz", "a") == 1
    assert r.hdel("nokey", "a") == 0
    assert r.hdel("h", "b", "c", "d") == 3
    assert r.exists("h") == 0
    assert r.hkeys("nokey") == []
    assert r.hgetall("nokey") == {}


def test_reply_shapes(raw):
    raw.command("HSET", "h", "f", "v", "g", "w")
    assert raw.command("HGETALL", "h") == b"*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"
    assert raw.command("HMSET", "h", "f", "v2") == b"+OK\r\n"
    assert raw.command("HMGET", "h", "f", "zz") == b"*2\r\n$2\r\nv2\r\n$-1\r\n"
    assert raw.command("HGETALL", "nokey") == b"*0\r\n"
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("HGETALL", "h") == b"%2\r\n$1\r\nf\r\n$2\r\nv2\r\n$1\r\ng\r\n$1\r\nw\r\n"
    assert raw.command("HGETALL", "nokey") == b"%0\r\n"
    assert raw.command("HMGET", "h", "zz") == b"*1\r\n_\r\n"
    assert raw.command("HGET", "h", "zz") == b"_\r\n"
    assert raw.command("HKEYS", "nokey") == b"*0\r\n"
    assert raw.command("HVALS", "nokey") == b"*0\r\n"


def test_arity_and_wrongtype(raw):
    assert raw.command("HSET", "h", "a") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert raw.command("HSET", "h", "a", "b", "c") == b"-ERR wrong number of arguments for 'hset' command\r\n"
    assert raw.command("HMSET", "h", "a", "b", "c") == b"-ERR wrong number of arguments for 'hmset' command\r\n"
    assert raw.command("EXISTS", "h") == b":0\r\n"
    raw.command("SET", "s", "x")
    for cmd in (("HSET", "s", "a", "1"), ("HGET", "s", "a"), ("HGETALL", "s"), ("HDEL", "s", "a"),
                ("HLEN", "s"), ("HINCRBY", "s", "a", "1"), ("HINCRBYFLOAT", "s", "a", "1"), ("HSCAN", "s", "0"),
                ("HRANDFIELD", "s"), ("HSETNX", "s", "a", "1"), ("HEXISTS", "s", "a"), ("HSTRLEN", "s", "a"),
                ("HKEYS", "s"), ("HVALS", "s"), ("HMGET", "s", "a")):
        assert raw.command(*cmd) == WRONGTYPE, cmd


def test_hincrby(raw):
    assert raw.command("HINCRBY", "h", "n", "5") == b":5\r\n"
    assert raw.command("HINCRBY", "h", "n", "-7") == b":-2\r\n"
    assert raw.command("HGET", "h", "n") == b"$2\r\n-2\r\n"
    raw.command("HSET", "h", "s", "abc", "big", "9223372036854775807", "sp", " 1")
    assert raw.command("HINCRBY", "h", "s", "1") == b"-ERR hash value is not an integer\r\n"
    assert raw.command("HINCRBY", "h", "sp", "1") == b"-ERR hash value is not an integer\r\n"
    assert raw.command("HINCRBY", "h", "big", "1") == b"-ERR increment or decrement would overflow\r\n"
    assert raw.command("HINCRBY", "h", "big", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("HINCRBY", "h", "n", "9223372036854775808") == (
        b"-ERR value is not an integer or out of range\r\n")
    assert raw.command("HINCRBY", "h", "big", "-1") == b":9223372036854775806\r\n"


def test_hincrbyfloat(raw):
    assert raw.command("HINCRBYFLOAT", "h", "f", "10.5") == b"$4\r\n10.5\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "f", "0.1") == b"$4\r\n10.6\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "f", "-10.6") == b"$1\r\n0\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "g", "5.0e3") == b"$4\r\n5000\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "g", "1e5000") == b"-ERR value is not a valid float\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "big", "1e30") == b"$31\r\n1000000000000000000024696061952\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "g", "x") == b"-ERR value is not a valid float\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "g", "inf") == b"-ERR value is NaN or Infinity\r\n"
    raw.command("HSET", "h", "s", "abc", "i", "3")
    assert raw.command("HINCRBYFLOAT", "h", "s", "1") == b"-ERR hash value is not a float\r\n"
    assert raw.command("HINCRBYFLOAT", "h", "i", "1.5") == b"$3\r\n4.5\r\n"
    assert raw.command("HINCRBYFLOAT", "nokey", "x", "inf") == b"-ERR value is NaN or Infinity\r\n"


def test_encoding_thresholds(r):
    r.hset("h", "a", "1")
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "long", "x" * 64)
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "long", "x" * 65)
    assert r.object("encoding", "h") == b"hashtable"
    r.hdel("h", "long")
    assert r.object("encoding", "h") == b"hashtable"  # conversion is for good
    r.hset("big", mapping={b"f%d" % i: i for i in range(512)})
    assert r.object("encoding", "big") == b"listpack"
    r.hset("big", "one-more", "1")
    assert r.object("encoding", "big") == b"hashtable"
    r.hincrby("n", "x" * 65, 1)
    assert r.object("encoding", "n") == b"hashtable"
    r.hsetnx("nx", "x" * 65, 1)
    assert r.object("encoding", "nx") == b"hashtable"
    r.config_set("hash-max-listpack-entries", 1)
    try:
        r.hset("c", "a", "1")
        assert r.object("encoding", "c") == b"listpack"
        r.hset("c", "b", "1")
        assert r.object("encoding", "c") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)


def test_hscan(raw, r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    # A listpack is returned whole in one call, whatever COUNT says.
    assert raw.command("HSCAN", "h", "0", "COUNT", "1") == (
        b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n")
    assert raw.command("HSCAN", "h", "0", "MATCH", "b") == b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert raw.command("HSCAN", "nokey", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.command("HSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.command("HSCAN", "h", "x") == b"-ERR invalid cursor\r\n"
    assert raw.command("HSCAN", "h", "0", "COUNT", "0") == b"-ERR syntax error\r\n"
    assert raw.command("HSCAN", "h", "0", "COUNT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("HSCAN", "h", "0", "FOO", "1") == b"-ERR syntax error\r\n"
    assert raw.command("HSCAN", "h", "0", "MATCH") == b"-ERR syntax error\r\n"
    big = {b"f%d" % i: b"v%d" % i for i in range(1000)}
    r.hset("big", mapping=big)
    seen = {}
    cursor = 0
    calls = 0
    while True:
        cursor, items = r.hscan("big", cursor, count=50)
        seen.update(items)
        calls += 1
        if cursor == 0:
            break
    assert seen == big
    assert calls > 1
    assert dict(r.hscan_iter("big", match="f99*")) == {b"f99": b"v99", **{b"f99%d" % i: b"v99%d" % i for i in range(10)}}


def test_hrandfield(raw, r):
    assert raw.command("HRANDFIELD", "nokey") == b"$-1\r\n"
    assert raw.command("HRANDFIELD", "nokey", "3") == b"*0\r\n"
    assert raw.command("HRANDFIELD", "nokey", "x") == b"-ERR value is not an integer or out of range\r\n"
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert raw.command("HRANDFIELD", "h", "0") == b"*0\r\n"
    assert raw.command("HRANDFIELD", "h", "0", "WITHVALUES") == b"*0\r\n"
    assert raw.command("HRANDFIELD", "h", "5") == b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    assert raw.command("HRANDFIELD", "h", "3", "WITHVALUES") == (
        b"*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n")
    assert raw.command("HRANDFIELD", "h", "1", "WITHVALUE") == b"-ERR syntax error\r\n"
    assert raw.command("HRANDFIELD", "h", "1", "WITHVALUES", "x") == b"-ERR syntax error\r\n"
    assert raw.command("HRANDFIELD", "h", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n")
    assert raw.command("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == b"-ERR value is out of range\r\n"
    assert raw.command("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == b"-ERR value is out of range\r\n"
    assert r.hrandfield("h") in (b"a", b"b", b"c")
    picks = r.hrandfield("h", -20)
    assert len(picks) == 20 and set(picks) <= {b"a", b"b", b"c"}
    two = r.hrandfield("h", 2)
    assert len(set(two)) == 2 and set(two) <= {b"a", b"b", b"c"}
    pairs = r.hrandfield("h", -5, withvalues=True)
    assert len(pairs) == 10
    assert all({b"a": b"1", b"b": b"2", b"c": b"3"}[pairs[i]] == pairs[i + 1] for i in range(0, 10, 2))
    assert raw.command("HELLO", "3").startswith(b"%7")
    reply = raw.command("HRANDFIELD", "h", "-2", "WITHVALUES")
    assert reply.startswith(b"*2\r\n*2\r\n$1\r\n")
    assert raw.command("HRANDFIELD", "h", "3", "WITHVALUES") == (
        b"*3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n")
    assert raw.command("HRANDFIELD", "nokey") == b"_\r\n"


def test_events(target, r):
    events = keyevents(
        target, r,
        ("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HSETNX", "h", "b", "2"), ("HINCRBY", "h", "n", "1"),
        ("HINCRBYFLOAT", "h", "f", "1.5"), ("HDEL", "h", "zz"), ("HDEL", "h", "a", "b", "n"), ("HDEL", "h", "f"),
        ("HINCRBY", "h", "n", "x"),
    )
    assert events == [
        (b"hset", b"h"), (b"hset", b"h"), (b"hincrby", b"h"), (b"hincrbyfloat", b"h"),
        (b"hdel", b"h"), (b"hdel", b"h"), (b"del", b"h"),
    ]


def test_dirty_counts(r):
    before = r.info("persistence")["rdb_changes_since_last_save"]
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hset("h", "a", "1")
    r.hdel("h", "a", "zz")
    after = r.info("persistence")["rdb_changes_since_last_save"]
    assert after - before == 4


def test_one_field_of_an_existing_hash(target, r, raw):
    # HSET key field value on an existing hash (the benchmarked request): reply, event, encoding rules
    r.hset("h", "a", "1")
    events = keyevents(target, r, ("HSET", "h", "a", "1"), ("HSET", "h", "b", "2"), ("HSET", "str", "f", "v"))
    assert events == [(b"hset", b"h"), (b"hset", b"h"), (b"hset", b"str")]
    assert raw.command("HSET", "h", "a", "3") == b":0\r\n"
    assert raw.command("HSET", "h", "c", "4") == b":1\r\n"
    assert raw.command("HGETALL", "h") == b"*6\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n4\r\n"
    assert r.object("encoding", "h") == b"listpack"
    r.set("str", "v")
    assert raw.command("HSET", "str", "f", "v") == WRONGTYPE
    r.hset("long-field", "a", "1")
    r.hset("long-field", "f" * 65, "1")
    assert r.object("encoding", "long-field") == b"hashtable"
    r.hset("long-value", "a", "1")
    r.hset("long-value", "a", "v" * 65)
    assert r.object("encoding", "long-value") == b"hashtable"
    r.hset("many", mapping={"a": "1", "b": "2", "c": "3"})
    r.config_set("hash-max-listpack-entries", 2)
    try:
        # An update converts too once the hash is over the limit (lowered after it was built).
        r.hset("many", "a", "9")
        assert r.object("encoding", "many") == b"hashtable"
        r.hset("many2", mapping={"a": "1", "b": "2", "c": "3"})
        assert r.object("encoding", "many2") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)
    r.hset("many3", mapping={"a": "1", "b": "2", "c": "3"})
    r.config_set("hash-max-listpack-entries", 2)
    try:
        r.hset("many3", mapping={"a": "1", "b": "2"})
        assert r.object("encoding", "many3") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)
