"""List commands against cacheserver and redis-server: replies, reply types (RESP2 and RESP3), errors."""

from __future__ import annotations

from helpers import block, keyevents, watch_aborts

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_push_pop_and_length(r):
    assert r.lpush("l", "a", "b") == 2
    assert r.rpush("l", "c") == 3
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c"]
    assert r.lpushx("l", "z") == 4
    assert r.rpushx("nokey", "z") == 0
    assert r.exists("nokey") == 0
    assert r.llen("l") == 4
    assert r.llen("nokey") == 0
    assert r.lpop("l") == b"z"
    assert r.rpop("l") == b"c"
    assert r.rpop("l") == b"a"
    assert r.lpop("l") == b"b"
    assert r.exists("l") == 0
    assert r.lpop("l") is None


def test_pop_with_count_shapes(raw):
    raw.command("RPUSH", "l", "a", "b", "c", "d")
    assert raw.command("LPOP", "l", "0") == b"*0\r\n"
    assert raw.command("RPOP", "l", "2") == b"*2\r\n$1\r\nd\r\n$1\r\nc\r\n"
    assert raw.command("LPOP", "l", "5") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert raw.command("EXISTS", "l") == b":0\r\n"
    assert raw.command("LPOP", "l", "5") == b"*-1\r\n"
    assert raw.command("LPOP", "l", "0") == b"*-1\r\n"
    assert raw.command("LPOP", "l") == b"$-1\r\n"
    assert raw.command("LPOP", "l", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("LPOP", "l", "x") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("LPOP", "l", "1", "2") == b"-ERR wrong number of arguments for 'lpop' command\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LPOP", "s", "0") == WRONGTYPE
    assert raw.command("RPOP", "s") == WRONGTYPE
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("LPOP", "nokey", "1") == b"_\r\n"
    assert raw.command("LPOP", "nokey") == b"_\r\n"


def test_lrange_and_lindex(raw):
    raw.command("RPUSH", "l", "a", "b", "c", "d", "e")
    assert raw.command("LRANGE", "l", "1", "-2") == b"*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
    assert raw.command("LRANGE", "l", "-100", "100") == b"*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"
    assert raw.command("LRANGE", "l", "3", "1") == b"*0\r\n"
    assert raw.command("LRANGE", "l", "5", "10") == b"*0\r\n"
    assert raw.command("LRANGE", "l", "-2", "-1") == b"*2\r\n$1\r\nd\r\n$1\r\ne\r\n"
    assert raw.command("LRANGE", "nokey", "0", "-1") == b"*0\r\n"
    assert raw.command("LRANGE", "l", "x", "1") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("LINDEX", "l", "0") == b"$1\r\na\r\n"
    assert raw.command("LINDEX", "l", "-1") == b"$1\r\ne\r\n"
    assert raw.command("LINDEX", "l", "5") == b"$-1\r\n"
    assert raw.command("LINDEX", "nokey", "x") == b"$-1\r\n"
    assert raw.command("LINDEX", "l", "x") == b"-ERR value is not an integer or out of range\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LRANGE", "s", "0", "1") == WRONGTYPE
    assert raw.command("LRANGE", "s", "x", "1") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("LINDEX", "s", "0") == WRONGTYPE
    assert raw.command("LLEN", "s") == WRONGTYPE


def test_long_lrange_from_either_end(r):
    r.rpush("l", *range(1000))
    assert r.lrange("l", 0, 99) == [b"%d" % i for i in range(100)]
    assert r.lrange("l", 900, -1) == [b"%d" % i for i in range(900, 1000)]
    assert r.lrange("l", -300, -201) == [b"%d" % i for i in range(700, 800)]


def test_lset(raw):
    raw.command("RPUSH", "l", "a", "b")
    assert raw.command("LSET", "l", "-1", "z") == b"+OK\r\n"
    assert raw.command("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nz\r\n"
    assert raw.command("LSET", "l", "2", "x") == b"-ERR index out of range\r\n"
    assert raw.command("LSET", "l", "x", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("LSET", "nokey", "x", "x") == b"-ERR no such key\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LSET", "s", "0", "x") == WRONGTYPE


def test_linsert(raw):
    raw.command("RPUSH", "l", "a", "b", "a")
    assert raw.command("LINSERT", "l", "before", "a", "X") == b":4\r\n"
    assert raw.command("LINSERT", "l", "AFTER", "b", "Y") == b":5\r\n"
    assert raw.command("LINSERT", "l", "after", "zz", "Y") == b":-1\r\n"
    assert raw.command("LRANGE", "l", "0", "-1") == b"*5\r\n$1\r\nX\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nY\r\n$1\r\na\r\n"
    assert raw.command("LINSERT", "l", "middle", "a", "b") == b"-ERR syntax error\r\n"
    assert raw.command("LINSERT", "nokey", "before", "a", "b") == b":0\r\n"
    assert raw.command("LINSERT", "nokey", "middle", "a", "b") == b"-ERR syntax error\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LINSERT", "s", "before", "a", "b") == WRONGTYPE


def test_lrem(r, raw):
    r.rpush("l", "a", "b", "a", "c", "a", "b")
    assert r.lrem("l", -1, "b") == 1
    assert r.lrem("l", 2, "a") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]
    assert r.lrem("l", 0, "zz") == 0
    r.rpush("l", "a", "a")
    assert r.lrem("l", -2, "a") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]
    assert r.lrem("l", 0, "a") == 1
    assert r.lrem("l", 0, "b") == 1
    assert r.lrem("l", 0, "c") == 1
    assert r.exists("l") == 0
    assert r.lrem("nokey", 0, "c") == 0
    assert raw.command("LREM", "l", "x", "a") == b"-ERR value is not an integer or out of range\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LREM", "s", "0", "a") == WRONGTYPE


def test_ltrim(r, raw):
    r.rpush("l", *range(12))
    assert r.ltrim("l", 1, 10) is True
    assert r.lrange("l", 0, -1) == [b"%d" % i for i in range(1, 11)]
    assert r.ltrim("l", -3, 100) is True
    assert r.lrange("l", 0, -1) == [b"8", b"9", b"10"]
    assert r.ltrim("l", 2, 1) is True
    assert r.exists("l") == 0
    assert raw.command("LTRIM", "nokey", "0", "1") == b"+OK\r\n"
    assert raw.command("LTRIM", "nokey", "x", "1") == b"-ERR value is not an integer or out of range\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LTRIM", "s", "0", "1") == WRONGTYPE


def test_lpos(raw):
    raw.command("RPUSH", "l", "a", "b", "c", "a", "b", "c", "a")
    assert raw.command("LPOS", "l", "a") == b":0\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "-1") == b":6\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "2", "COUNT", "0") == b"*2\r\n:3\r\n:6\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "-2", "COUNT", "2") == b"*2\r\n:3\r\n:0\r\n"
    assert raw.command("LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0") == b"*1\r\n:0\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "4") == b"$-1\r\n"
    assert raw.command("LPOS", "l", "zz", "COUNT", "3") == b"*0\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "-9223372036854775808") == b":6\r\n"
    assert raw.command("LPOS", "nokey", "a") == b"$-1\r\n"
    assert raw.command("LPOS", "nokey", "a", "COUNT", "1") == b"*0\r\n"
    assert raw.command("LPOS", "l", "a", "RANK", "0") == (
        b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        b"or use negative to start from the end of the list\r\n"
    )
    assert raw.command("LPOS", "l", "a", "RANK", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("LPOS", "l", "a", "COUNT", "-1") == b"-ERR COUNT can't be negative\r\n"
    assert raw.command("LPOS", "l", "a", "COUNT", "x") == b"-ERR COUNT can't be negative\r\n"
    assert raw.command("LPOS", "l", "a", "MAXLEN", "-1") == b"-ERR MAXLEN can't be negative\r\n"
    assert raw.command("LPOS", "l", "a", "COUNT") == b"-ERR syntax error\r\n"
    assert raw.command("LPOS", "l", "a", "FOO", "1") == b"-ERR syntax error\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LPOS", "s", "a") == WRONGTYPE


def test_lmove_and_rpoplpush(r, raw):
    r.rpush("src", "1", "2", "3")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == b"1"
    assert r.lmove("src", "dst", "RIGHT", "LEFT") == b"3"
    assert r.lrange("dst", 0, -1) == [b"3", b"1"]
    assert r.lmove("dst", "dst", "LEFT", "RIGHT") == b"3"
    assert r.lrange("dst", 0, -1) == [b"1", b"3"]
    assert r.rpoplpush("src", "dst") == b"2"
    assert r.exists("src") == 0
    assert r.rpoplpush("src", "dst") is None
    assert r.lrange("dst", 0, -1) == [b"2", b"1", b"3"]
    assert raw.command("LMOVE", "dst", "x", "UP", "LEFT") == b"-ERR syntax error\r\n"
    assert raw.command("LMOVE", "nokey", "x", "LEFT", "LEFT") == b"$-1\r\n"
    raw.command("SET", "s", "x")
    assert raw.command("LMOVE", "dst", "s", "LEFT", "LEFT") == WRONGTYPE
    assert raw.command("RPOPLPUSH", "s", "dst") == WRONGTYPE
    assert r.lrange("dst", 0, -1) == [b"2", b"1", b"3"]


def test_lmpop(raw):
    raw.command("RPUSH", "l", "a", "b", "c")
    assert raw.command("LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "2") == (
        b"*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
    )
    assert raw.command("LMPOP", "1", "l", "left") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
    assert raw.command("LMPOP", "1", "l", "left") == b"*-1\r\n"
    assert raw.command("LMPOP", "0", "l", "left") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("LMPOP", "x", "l", "left") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("LMPOP", "2", "l", "left") == b"-ERR syntax error\r\n"
    assert raw.command("LMPOP", "1", "l", "middle") == b"-ERR syntax error\r\n"
    assert raw.command("LMPOP", "1", "l", "left", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert raw.command("LMPOP", "1", "l", "left", "COUNT", "1", "COUNT", "1") == b"-ERR syntax error\r\n"
    assert raw.command("LMPOP", "1", "l") == b"-ERR wrong number of arguments for 'lmpop' command\r\n"
    raw.command("SET", "s", "x")
    raw.command("RPUSH", "l", "a")
    assert raw.command("LMPOP", "2", "s", "l", "left") == WRONGTYPE
    assert raw.command("LMPOP", "2", "l", "s", "left") == b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("LMPOP", "1", "l", "left") == b"_\r\n"


def test_wrongtype_on_pushes(raw):
    raw.command("SET", "s", "x")
    assert raw.command("LPUSH", "s", "a") == WRONGTYPE
    assert raw.command("RPUSHX", "s", "a") == WRONGTYPE


def test_type_and_encoding(r):
    r.rpush("l", "a")
    assert r.type("l") == b"list"
    assert r.object("encoding", "l") == b"quicklist"
    r.rpush("big", *range(1000))
    assert r.object("encoding", "big") == b"quicklist"


def test_resp3_arrays(r3):
    r3.rpush("l", "a", "b", "c")
    assert r3.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r3.lpop("l", 2) == [b"a", b"b"]
    assert r3.lpos("l", "c", count=0) == [0]
    assert r3.lmpop(1, "l", direction="LEFT") == [b"l", [b"c"]]
    assert r3.lmpop(1, "l", direction="LEFT") is None


def test_command_getkeys_for_numkeys_commands(r):
    assert r.command_getkeys("LMPOP", "2", "a", "b", "LEFT") == ["a", "b"]
    assert r.command_getkeys("BLMPOP", "0", "2", "a", "b", "LEFT") == ["a", "b"]
    assert r.command_getkeys("BLPOP", "a", "b", "0") == ["a", "b"]
    assert r.command_getkeys("LMOVE", "a", "b", "LEFT", "LEFT") == ["a", "b"]


def test_lrange_encodes_any_element_length(raw):
    # LRANGE's reply is built in one piece: empty elements, long ones (4-digit lengths) and mixes
    raw.command("RPUSH", "l", "", "a" * 1023, "b" * 1024, "c" * 5000, "d")
    assert raw.command("LRANGE", "l", "0", "-1") == (
        b"*5\r\n$0\r\n\r\n$1023\r\n" + b"a" * 1023 + b"\r\n$1024\r\n" + b"b" * 1024
        + b"\r\n$5000\r\n" + b"c" * 5000 + b"\r\n$1\r\nd\r\n"
    )
    assert raw.command("LRANGE", "l", "0", "1") == b"*2\r\n$0\r\n\r\n$1023\r\n" + b"a" * 1023 + b"\r\n"
    assert raw.command("LRANGE", "l", "-1", "-1") == b"*1\r\n$1\r\nd\r\n"
    assert raw.command("LPOP", "l", "2") == b"*2\r\n$0\r\n\r\n$1023\r\n" + b"a" * 1023 + b"\r\n"
    assert raw.command("HELLO", "3").startswith(b"%7")
    assert raw.command("LRANGE", "l", "2", "2") == b"*1\r\n$1\r\nd\r\n"
    assert raw.command("LRANGE", "l", "3", "2") == b"*0\r\n"


def test_single_element_pushes_and_pops(target, r, raw):
    # LPUSH/RPUSH of one element onto an existing list and LPOP/RPOP without a count (the benchmarked
    # requests): replies, events, emptied lists deleted, wrong types
    r.rpush("l", "m")
    events = keyevents(
        target, r, ("LPUSH", "l", "h"), ("RPUSH", "l", "t"), ("LPOP", "l"), ("RPOP", "l"), ("RPOP", "l"),
        ("LPOP", "l"), ("RPUSH", "l", "x"), ("LPOP", "l"),
    )
    assert events == [
        (b"lpush", b"l"), (b"rpush", b"l"), (b"lpop", b"l"), (b"rpop", b"l"), (b"rpop", b"l"), (b"del", b"l"),
        (b"rpush", b"l"), (b"lpop", b"l"), (b"del", b"l"),
    ]
    assert raw.command("RPUSH", "l", "a") == b":1\r\n"
    assert raw.command("RPUSH", "l", "b") == b":2\r\n"
    assert raw.command("LPUSH", "l", "c") == b":3\r\n"
    assert raw.command("LRANGE", "l", "0", "-1") == b"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert raw.command("RPOP", "l") == b"$1\r\nb\r\n"
    assert raw.command("LPOP", "l") == b"$1\r\nc\r\n"
    assert raw.command("LPOP", "l") == b"$1\r\na\r\n"
    assert raw.command("EXISTS", "l") == b":0\r\n"
    assert raw.command("RPOP", "l") == b"$-1\r\n"
    raw.command("SET", "s", "x")
    for cmd in ("LPUSH", "RPUSH"):
        assert raw.command(cmd, "s", "e") == WRONGTYPE
    for cmd in ("LPOP", "RPOP"):
        assert raw.command(cmd, "s") == WRONGTYPE


def test_watch_sees_single_element_pushes_and_pops(target, r):
    r.rpush("l", "a", "b", "c")
    changes = (lambda o: o.lpush("l", "x"), lambda o: o.rpush("l", "y"), lambda o: o.lpop("l"), lambda o: o.rpop("l"))
    assert watch_aborts(target, r, "l", *changes) == [True] * 4


def test_repeated_lrange_sees_every_change(target, r, raw):
    # The same LRANGE sent again after each kind of change to the list, most of which keep its length
    # and the length of its elements, answers with the changed list (never the previous reply).
    raw.command("RPUSH", "l", "a", "b", "c", "d")
    steps = [
        (("LSET", "l", "1", "x"), b"a x c d"),
        (("LSET", "l", "-1", "y"), b"a x c y"),
        (("RPOPLPUSH", "l", "l"), b"y a x c"),
        (("LMOVE", "l", "l", "LEFT", "RIGHT"), b"a x c y"),
        (("LINSERT", "l", "BEFORE", "x", "z"), b"a z x c y"),
        (("LREM", "l", "1", "z"), b"a x c y"),
        (("LTRIM", "l", "1", "-1"), b"x c y"),
        (("LPUSH", "l", "p"), b"p x c y"),
        (("RPUSH", "l", "q"), b"p x c y q"),
        (("LPOP", "l"), b"x c y q"),
        (("RPOP", "l"), b"x c y"),
        (("LPUSHX", "l", "s"), b"s x c y"),
        (("RPUSHX", "l", "t"), b"s x c y t"),
        (("LPOP", "l", "2"), b"c y t"),
        (("RPOP", "l", "1"), b"c y"),
        (("LMPOP", "1", "l", "LEFT"), b"y"),
        (("EVAL", "return redis.call('LSET', KEYS[1], 0, 'w')", "1", "l"), b"w"),
        (("RPUSH", "other", "o"), b"w"),
        (("RPUSH", "l", "e"), b"w e"),
    ]
    for change, expected in steps:
        raw.command("LRANGE", "l", "0", "-1")
        raw.command(*change)
        items = expected.split()
        assert raw.command("LRANGE", "l", "0", "-1") == b"*%d\r\n" % len(items) + b"".join(
            b"$1\r\n" + item + b"\r\n" for item in items
        ), change
    # a key deleted and pushed again; a write to another key
    raw.command("DEL", "l")
    assert raw.command("LRANGE", "l", "0", "-1") == b"*0\r\n"
    raw.command("RPUSH", "l", "y", "f")
    assert raw.command("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\ny\r\n$1\r\nf\r\n"
    raw.command("RPUSH", "src", "g")
    assert raw.command("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\ny\r\n$1\r\nf\r\n"
    # a blocked BLMOVE served by a push moves an element onto the list between two equal LRANGEs
    raw.command("DEL", "src")
    waiter = block(target, r, "BLMOVE", "src", "l", "LEFT", "LEFT", "0")
    assert raw.command("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\ny\r\n$1\r\nf\r\n"
    raw.command("RPUSH", "src", "h")
    assert waiter.result() == b"$1\r\nh\r\n"
    assert raw.command("LRANGE", "l", "0", "-1") == b"*3\r\n$1\r\nh\r\n$1\r\ny\r\n$1\r\nf\r\n"
