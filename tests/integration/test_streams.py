"""Stream commands against cacheserver and a real redis-server: IDs, ranges, trimming, consumer groups,
XINFO, blocking reads, keyspace events and reply shapes in RESP2 and RESP3."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from helpers import keyevents

MAXU = 18446744073709551615


def _ids(entries):
    return [e[0] for e in entries]


# -- XADD ------------------------------------------------------------------------------------------------


def test_xadd_ids_and_errors(raw):
    assert raw.command("XADD", "s", "1-1", "a", "1") == b"$3\r\n1-1\r\n"
    assert raw.command("XADD", "s", "1-*", "b", "2") == b"$3\r\n1-2\r\n"
    assert raw.command("XADD", "s", "5", "c", "3") == b"$3\r\n5-0\r\n"
    assert raw.command("XADD", "s", "5-0", "c", "3") == (
        b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    )
    assert raw.command("XADD", "s", "4-*", "c", "3") == (
        b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    )
    assert raw.command("XADD", "t", "0-0", "a", "b") == b"-ERR The ID specified in XADD must be greater than 0-0\r\n"
    assert raw.command("XADD", "t", "0", "a", "b") == b"-ERR The ID specified in XADD must be greater than 0-0\r\n"
    assert raw.command("XADD", "t", "0-*", "a", "b") == b"$3\r\n0-1\r\n"
    invalid = b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XADD", "s", "x-1", "a", "b") == invalid
    assert raw.command("XADD", "s", "18446744073709551616-0", "a", "b") == invalid
    assert raw.command("XADD", "s", "-", "a", "b") == invalid
    assert raw.command("XADD", "s", "1-2-3", "a", "b") == invalid
    assert raw.command("XADD", "s", "*", "a") == b"-ERR wrong number of arguments for 'xadd' command\r\n"
    assert raw.command("XADD", "s", "*", "a", "b", "c") == b"-ERR wrong number of arguments for 'xadd' command\r\n"
    assert raw.command("XADD", "s", "MAXLEN", "1") == b"-ERR wrong number of arguments for 'xadd' command\r\n"
    assert raw.command("XLEN", "t") == b":1\r\n"
    assert raw.command("XADD", "u", f"{MAXU}-{MAXU}", "a", "b") == b"$41\r\n%b\r\n" % f"{MAXU}-{MAXU}".encode()
    assert raw.command("XADD", "u", "*", "a", "b") == (
        b"-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"
    )
    assert raw.command("XADD", "v", f"5-{MAXU}", "a", "b").startswith(b"$")
    assert raw.command("XADD", "v", "5-*", "a", "b") == b"-ERR Elements are too large to be stored\r\n"
    assert raw.command("XADD", "v", "6-*", "a", "b") == b"$3\r\n6-0\r\n"


def test_xadd_auto_ids_are_monotonic_and_nomkstream(r):
    first = r.xadd("s", {"a": "1"})
    second = r.xadd("s", {"a": "2"})
    assert second > first or (second.split(b"-")[0] == first.split(b"-")[0])
    assert r.xadd("missing", {"a": "1"}, nomkstream=True) is None
    assert r.exists("missing") == 0
    r.xadd("far", {"a": "1"}, id="99999999999999-5")
    assert r.xadd("far", {"a": "2"}) == b"99999999999999-6"
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.xadd("str", {"a": "1"})


def test_xadd_option_errors(raw):
    assert raw.command("XADD", "s", "MAXLEN", "1", "MINID", "5", "*", "a", "b") == (
        b"-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n"
    )
    assert raw.command("XADD", "s", "MAXLEN", "-1", "*", "a", "b") == b"-ERR The MAXLEN argument must be >= 0.\r\n"
    assert raw.command("XADD", "s", "MAXLEN", "x", "*", "a", "b") == (
        b"-ERR value is not an integer or out of range\r\n"
    )
    assert raw.command("XADD", "s", "MAXLEN", "5", "LIMIT", "5", "*", "a", "b") == (
        b"-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
    )
    assert raw.command("XADD", "s", "LIMIT", "5", "*", "a", "b") == (
        b"-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
    )
    assert raw.command("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "*", "a", "b") == (
        b"-ERR The LIMIT argument must be >= 0.\r\n"
    )
    assert raw.command("XADD", "s", "NOMKSTREAM", "*", "a", "b") == b"$-1\r\n"
    assert raw.command("EXISTS", "s") == b":0\r\n"


def test_xadd_trims(r):
    for i in range(1, 11):
        r.xadd("s", {"f": i}, id=f"{i}-0", maxlen=5, approximate=False)
    assert r.xlen("s") == 5
    assert _ids(r.xrange("s")) == [b"6-0", b"7-0", b"8-0", b"9-0", b"10-0"]
    r.xadd("s", {"f": 11}, id="11-0", minid="9", approximate=False)
    assert _ids(r.xrange("s")) == [b"9-0", b"10-0", b"11-0"]


def test_approximate_trimming_removes_whole_nodes(r):
    for i in range(1, 351):
        r.xadd("s", {"f": "v"}, id=f"{i}-0")
    assert r.xtrim("s", maxlen=120, approximate=True) == 200
    assert r.xlen("s") == 150
    assert r.xtrim("s", maxlen=0, approximate=True, limit=100) == 100
    assert r.xlen("s") == 50
    assert r.xtrim("s", minid="330", approximate=True) == 0
    assert r.xtrim("s", minid="330", approximate=False) == 29
    assert r.xrange("s", count=1)[0][0] == b"330-0"
    for i in range(351, 1001):
        r.xadd("s", {"f": "v"}, id=f"{i}-0", maxlen=300, approximate=True)
    info = r.xinfo_stream("s")
    assert (info["length"], info["radix-tree-keys"]) == (300, 3)



def test_xadd_auto_id_forms_nodes_and_payloads(r):
    # ``key * field value`` and ``key MAXLEN ~ n * field value`` (any case), with fields that change:
    # nodes of 100 entries, approximate trimming by whole nodes.
    for i in range(700):
        field = "f" if i % 7 else "g"
        if i % 2:
            r.execute_command("XADD", "s", "maxlen", "~", "250", "*", field, str(i))
        else:
            r.execute_command("XADD", "s", "*", field, str(i))
    info = r.xinfo_stream("s")
    assert (info["length"], info["radix-tree-keys"], info["entries-added"]) == (300, 3, 700)
    entries = r.xrange("s")
    assert entries[0][1] == {b"f": b"400"}
    assert entries[6][1] == {b"g": b"406"}
    assert entries[-1][1] == {b"f": b"699"}
    ids = [tuple(map(int, e[0].split(b"-"))) for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == 300
    # values and fields of 1024 bytes and more, and a node limit in bytes
    big = "x" * 1500
    r.config_set("stream-node-max-bytes", "200")
    try:
        for i in range(40):
            r.execute_command("XADD", "t", "*", big if i == 3 else "field", big if i % 10 == 9 else "v%d" % i)
    finally:
        r.config_set("stream-node-max-bytes", "4096")
    entries = r.xrange("t")
    assert len(entries) == 40
    assert entries[3][1] == {big.encode(): b"v3"}
    assert entries[9][1] == {b"field": big.encode()}
    assert entries[39][1] == {b"field": big.encode()}
    assert entries[38][1] == {b"field": b"v38"}


def test_xadd_auto_id_after_a_future_id_an_emptied_stream_and_unlimited_node_entries(raw, r):
    # ``*`` after an explicit ID in the future: the sequence goes on (past 1023, then over the top of
    # the sequence into the next millisecond)
    assert raw.command("XADD", "s", "99999999999999-1500", "f", "v") == b"$19\r\n99999999999999-1500\r\n"
    assert raw.command("XADD", "s", "*", "f", "v") == b"$19\r\n99999999999999-1501\r\n"
    assert raw.command("XADD", "s", "MAXLEN", "~", "5", "*", "f", "w") == b"$19\r\n99999999999999-1502\r\n"
    assert raw.command("XADD", "s", f"99999999999999-{MAXU - 1}", "f", "v").startswith(b"$35\r\n")
    assert raw.command("XADD", "s", "*", "f", "v") == b"$35\r\n99999999999999-%d\r\n" % MAXU
    assert raw.command("XADD", "s", "*", "f", "v") == b"$17\r\n100000000000000-0\r\n"
    assert raw.command("XADD", "s", "*", "f", "v") == b"$17\r\n100000000000000-1\r\n"
    assert r.xrange("s", "100000000000000", "+") == [(b"100000000000000-0", {b"f": b"v"}),
                                                   (b"100000000000000-1", {b"f": b"v"})]
    # a stream whose every entry was deleted has no node left: the next entry starts one
    r.xadd("e", {"f": "v"}, id="1-0")
    r.xdel("e", "1-0")
    new_id = r.xadd("e", {"f": "v"})
    info = r.xinfo_stream("e")
    assert (info["length"], info["radix-tree-keys"], info["entries-added"]) == (1, 1, 2)
    assert (info["max-deleted-entry-id"], info["first-entry"][0]) == (b"1-0", new_id)
    # stream-node-max-entries 0: no limit by count
    r.config_set("stream-node-max-entries", "0")
    try:
        for _ in range(150):
            r.execute_command("XADD", "u", "*", "f", "v")
    finally:
        r.config_set("stream-node-max-entries", "100")
    info = r.xinfo_stream("u")
    assert (info["length"], info["radix-tree-keys"], info["entries-added"]) == (150, 1, 150)


def test_xtrim_errors_and_counts(raw):
    for i in range(1, 6):
        raw.command("XADD", "s", f"{i}-0", "f", "v")
    assert raw.command("XTRIM", "s", "LIMIT", "5") == (
        b"-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
    )
    assert raw.command("XTRIM", "s", "FOO", "1") == b"-ERR syntax error\r\n"
    assert raw.command("XTRIM", "s", "MAXLEN", "-1") == b"-ERR The MAXLEN argument must be >= 0.\r\n"
    assert raw.command("XTRIM", "missing", "MAXLEN", "1") == b":0\r\n"
    assert raw.command("XTRIM", "s", "MAXLEN", "=", "3") == b":2\r\n"
    assert raw.command("XTRIM", "s", "MINID", "5") == b":2\r\n"
    assert raw.command("XTRIM", "s", "MAXLEN", "0") == b":1\r\n"
    assert raw.command("EXISTS", "s") == b":1\r\n"
    assert raw.command("XLEN", "s") == b":0\r\n"


# -- ranges and deletion ---------------------------------------------------------------------------------


def test_ranges(r, raw):
    for i in range(1, 6):
        r.xadd("s", {"f": i, "g": "x"}, id=f"{i}-{i}")
    assert r.xrange("s", "2", "4") == [(b"2-2", {b"f": b"2", b"g": b"x"}), (b"3-3", {b"f": b"3", b"g": b"x"}),
                                       (b"4-4", {b"f": b"4", b"g": b"x"})]
    assert _ids(r.xrange("s", "(2-2", "(5-5")) == [b"3-3", b"4-4"]
    assert _ids(r.xrevrange("s", "+", "-", count=2)) == [b"5-5", b"4-4"]
    assert _ids(r.xrevrange("s", "(5-5", "(1-1")) == [b"4-4", b"3-3", b"2-2"]
    assert raw.command("XRANGE", "s", "-", "+", "COUNT", "0") == b"*-1\r\n"
    assert _ids(r.xrange("s", "5", "1")) == []
    assert raw.command("XRANGE", "s", "3-3", "3-3") == b"*1\r\n*2\r\n$3\r\n3-3\r\n*4\r\n$1\r\nf\r\n$1\r\n3\r\n$1\r\ng\r\n$1\r\nx\r\n"
    assert raw.command("XRANGE", "s", "-", "+", "COUNT", "-3") == b"*-1\r\n"
    assert raw.command("XRANGE", "missing", "-", "+", "COUNT", "0") == b"*0\r\n"
    assert raw.command("XRANGE", "s", "(-", "+") == b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XRANGE", "s", "-", "(0-0") == b"-ERR invalid end ID for the interval\r\n"
    assert raw.command("XRANGE", "s", f"({MAXU}-{MAXU}", "+") == b"-ERR invalid start ID for the interval\r\n"
    assert raw.command("XRANGE", "s", "-", "+", "COUNT") == b"-ERR syntax error\r\n"
    assert raw.command("XRANGE", "s", "-", "+", "COUNT", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("XRANGE", "missing", "-", "+") == b"*0\r\n"
    assert raw.command("XRANGE", "missing", "x", "+") == b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XRANGE", "s", " 2", "+2") == raw.command("XRANGE", "s", "2", "2-18446744073709551615")


def test_xdel(r, raw):
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    assert raw.command("XDEL", "missing", "x") == b":0\r\n"
    assert raw.command("XDEL", "s", "x") == b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert r.xdel("s", "2-0", "4-0", "9-0") == 2
    assert _ids(r.xrange("s")) == [b"1-0", b"3-0", b"5-0"]
    assert _ids(r.xrevrange("s", "4", "2")) == [b"3-0"]
    assert r.xdel("s", "1-0", "3-0", "5-0") == 3
    assert r.xlen("s") == 0
    assert r.exists("s") == 1
    info = r.xinfo_stream("s")
    assert info["max-deleted-entry-id"] == b"5-0"
    assert info["recorded-first-entry-id"] == b"0-0"
    assert info["first-entry"] is None and info["last-entry"] is None
    assert info["entries-added"] == 5


def test_xsetid(raw):
    raw.command("XADD", "s", "1-1", "a", "1")
    raw.command("XADD", "s", "2-1", "b", "2")
    assert raw.command("XSETID", "s", "0-1") == (
        b"-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"
    )
    assert raw.command("XSETID", "missing", "5") == b"-ERR no such key\r\n"
    assert raw.command("XSETID", "s", "9", "ENTRIESADDED", "-1") == b"-ERR entries_added must be positive\r\n"
    assert raw.command("XSETID", "s", "9", "ENTRIESADDED", "1") == (
        b"-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n"
    )
    assert raw.command("XSETID", "s", "9", "MAXDELETEDID", "10") == (
        b"-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n"
    )
    assert raw.command("XSETID", "s", "9", "FOO") == b"-ERR syntax error\r\n"
    assert raw.command("XSETID", "s", "9-9", "ENTRIESADDED", "7", "MAXDELETEDID", "3-0") == b"+OK\r\n"
    assert raw.command("XADD", "s", "9-9", "a", "b") == (
        b"-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"
    )
    assert raw.command("XADD", "s", "9-*", "a", "b") == b"$4\r\n9-10\r\n"


def test_xsetid_may_go_below_max_deleted(r):
    r.xadd("s", {"a": 1}, id="5-0")
    r.xadd("s", {"a": 1}, id="6-0")
    r.xdel("s", "6-0")
    assert r.execute_command("XSETID", "s", "5-5") == b"OK"
    assert r.xadd("s", {"a": 1}, id="5-*") == b"5-6"


def test_wrongtype_everywhere(raw):
    raw.command("SET", "k", "v")
    wrong = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    for cmd in (
        ("XADD", "k", "*", "a", "b"), ("XLEN", "k"), ("XRANGE", "k", "-", "+"), ("XREVRANGE", "k", "+", "-"),
        ("XDEL", "k", "1"), ("XTRIM", "k", "MAXLEN", "1"), ("XREAD", "STREAMS", "k", "0"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"), ("XGROUP", "CREATE", "k", "g", "$"),
        ("XACK", "k", "g", "1"), ("XPENDING", "k", "g"), ("XCLAIM", "k", "g", "c", "0", "1"),
        ("XAUTOCLAIM", "k", "g", "c", "0", "0"), ("XINFO", "STREAM", "k"), ("XINFO", "GROUPS", "k"),
        ("XSETID", "k", "1"),
    ):
        assert raw.command(*cmd) == wrong, cmd


# -- XREAD -------------------------------------------------------------------------------------------------


def test_xread_shapes(raw, r3):
    raw.command("XADD", "s", "1-1", "a", "1")
    raw.command("XADD", "s", "2-1", "b", "2")
    assert raw.command("XREAD", "COUNT", "1", "STREAMS", "s", "missing", "0", "0") == (
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    )
    assert raw.command("XREAD", "STREAMS", "s", "2-1") == b"*-1\r\n"
    assert raw.command("XREAD", "STREAMS", "s", "$") == b"*-1\r\n"
    raw.command("HELLO", "3")
    assert raw.command("XREAD", "STREAMS", "s", "1-1") == (
        b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    )
    assert raw.command("XREAD", "STREAMS", "s", "2-1") == b"_\r\n"
    assert r3.xread({"s": "0"}, count=5) == {b"s": [[(b"1-1", {b"a": b"1"}), (b"2-1", {b"b": b"2"})]]}


def test_xread_errors(raw):
    raw.command("XADD", "s", "1-1", "a", "1")
    assert raw.command("XREAD", "STREAMS", "s", ">") == (
        b"-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n"
    )
    assert raw.command("XREAD", "STREAMS", "s", "1", "2") == (
        b"-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"
    )
    assert raw.command("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0") == (
        b"-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\r\n"
    )
    assert raw.command("XREAD", "NOACK", "STREAMS", "s", "0") == (
        b"-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.\r\n"
    )
    assert raw.command("XREAD", "BLOCK", "-1", "STREAMS", "s", "0") == b"-ERR timeout is negative\r\n"
    assert raw.command("XREAD", "BLOCK", "x", "STREAMS", "s", "0") == b"-ERR timeout is not an integer or out of range\r\n"
    assert raw.command("XREAD", "FOO", "STREAMS", "s", "0") == b"-ERR syntax error\r\n"
    assert raw.command("XREAD", "STREAMS", "s", "+") == b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XREADGROUP", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">") == b"-ERR Missing GROUP option for XREADGROUP\r\n"


def test_xread_block_wakes_on_xadd(target, r):
    r.xadd("s", {"a": "1"}, id="1-0")
    out = {}
    reader = target.client()

    def read():
        out["reply"] = reader.xread({"s": "$"}, block=5000)

    t = threading.Thread(target=read)
    t.start()
    _wait_blocked(r, 1)
    r.xadd("s", {"b": "2"}, id="2-0")
    t.join(5)
    assert out["reply"] == [[b"s", [(b"2-0", {b"b": b"2"})]]]
    assert reader.xread({"s": "$"}, block=10) == []
    reader.close()


def test_xread_block_inside_multi_does_not_block(raw):
    raw.command("MULTI")
    raw.command("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    raw.command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "nokey", ">")
    assert raw.command("EXEC") == (
        b"*2\r\n*-1\r\n-NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option\r\n"
    )


def test_xadd_in_multi_wakes_waiters_after_exec(target, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    reader = target.raw()
    reader.send(b"*10\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$5\r\nalice\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n"
                b"$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n$1\r\n>\r\n")
    assert reader.read_reply().startswith(b"-ERR Unbalanced")
    reader.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$5\r\nalice\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n"
                b"$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n")
    _wait_blocked(r, 1)
    p = r.pipeline(transaction=True)
    p.xadd("s", {"a": "1"}, id="1-0")
    p.xadd("s", {"b": "2"}, id="2-0")
    p.execute()
    assert reader.read_reply() == (
        b"*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        b"*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    )
    reader.close()
    assert r.xpending("s", "g")["pending"] == 2


def test_blocked_waiters_served_in_order_and_timeout(target, r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    readers = [target.raw() for _ in range(2)]
    for i, rd in enumerate(readers):
        rd.send(b"*11\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$2\r\nc%d\r\n$5\r\nCOUNT\r\n$1\r\n1\r\n"
                b"$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n" % i)
        _wait_blocked(r, i + 1)
    r.xadd("s", {"a": "1"}, id="1-0")
    assert b"1-0" in readers[0].read_reply()
    r.xadd("s", {"a": "2"}, id="2-0")
    assert b"2-0" in readers[1].read_reply()
    for rd in readers:
        rd.close()
    timed = target.raw()
    assert timed.command("XREAD", "BLOCK", "50", "STREAMS", "s", "$") == b"*-1\r\n"
    timed.command("HELLO", "3")
    assert timed.command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">") == b"_\r\n"
    timed.close()


def test_blocked_xreadgroup_errors_when_stream_or_group_goes(target, r):
    for action, expected in (
        (lambda: r.delete("s"), b"-UNBLOCKED the stream key no longer exists\r\n"),
        (lambda: r.set("s", "x"), b"-UNBLOCKED the stream key no longer exists\r\n"),
        (lambda: r.flushall(), b"-UNBLOCKED the stream key no longer exists\r\n"),
        (lambda: r.xgroup_destroy("s", "g"),
         b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"),
    ):
        r.delete("s")
        r.xgroup_create("s", "g", "$", mkstream=True)
        rd = target.raw()
        rd.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n"
                b"$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n")
        _wait_blocked(r, 1)
        action()
        assert rd.read_reply() == expected
        rd.close()


def test_blocked_xread_survives_deletion(target, r):
    r.xadd("s", {"a": "1"}, id="1-0")
    rd = target.raw()
    rd.send(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$3\r\n1-0\r\n")
    _wait_blocked(r, 1)
    r.delete("s")
    r.set("s", "x")
    r.delete("s")
    r.xadd("s", {"b": "2"}, id="2-0")
    assert rd.read_reply() == b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    rd.close()


def _wait_blocked(r, n):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if r.info("clients")["blocked_clients"] >= n:
            return
        time.sleep(0.005)
    raise AssertionError("client did not block")


# -- consumer groups ---------------------------------------------------------------------------------------


def test_xgroup_errors(raw):
    raw.command("XADD", "s", "1-1", "a", "1")
    raw.command("XGROUP", "CREATE", "s", "g", "0")
    needs_key = (b"-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use "
                 b"the MKSTREAM option to create an empty stream automatically.\r\n")
    assert raw.command("XGROUP", "CREATE", "nokey", "g", "$") == needs_key
    assert raw.command("XGROUP", "DESTROY", "nokey", "g") == needs_key
    assert raw.command("XGROUP", "CREATE", "s", "g", "$") == b"-BUSYGROUP Consumer Group name already exists\r\n"
    assert raw.command("XGROUP", "CREATE", "s", "g2", "$", "foo") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'foo'. Try XGROUP HELP.\r\n"
    ).replace(b"'foo'", b"'CREATE'")
    assert raw.command("XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "-2") == (
        b"-ERR value for ENTRIESREAD must be positive or -1\r\n"
    )
    assert raw.command("XGROUP", "SETID", "s", "nog", "0") == b"-NOGROUP No such consumer group 'nog' for key name 's'\r\n"
    assert raw.command("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "x") == (
        b"-ERR value is not an integer or out of range\r\n"
    )
    assert raw.command("XGROUP", "SETID", "s", "g", "0", "foo", "1") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n"
    )
    assert raw.command("XGROUP", "CREATE", "s", "g3", "-") == b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XGROUP", "SETID", "s", "g", "+") == b"+OK\r\n"
    assert raw.command("XGROUP", "FOO", "s", "g") == b"-ERR unknown subcommand 'FOO'. Try XGROUP HELP.\r\n"
    assert raw.command("XGROUP", "CREATE", "s") == b"-ERR wrong number of arguments for 'xgroup|create' command\r\n"
    assert raw.command("XGROUP", "DELCONSUMER", "s", "g", "zed") == b":0\r\n"
    assert raw.command("XGROUP", "CREATECONSUMER", "s", "g", "zed") == b":1\r\n"
    assert raw.command("XGROUP", "CREATECONSUMER", "s", "g", "zed") == b":0\r\n"
    assert raw.command("XGROUP", "DESTROY", "s", "g") == b":1\r\n"
    assert raw.command("XGROUP", "DESTROY", "s", "g") == b":0\r\n"
    help_reply = raw.command("XGROUP", "HELP")
    assert help_reply.startswith(b"*17\r\n+XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert raw.command("XINFO", "HELP").startswith(b"*9\r\n+XINFO <subcommand>")


def test_consumer_group_flow(r):
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    assert r.xgroup_create("s", "g", "0") is True
    got = r.xreadgroup("g", "alice", {"s": ">"}, count=2)
    assert got == [[b"s", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]]]
    got = r.xreadgroup("g", "bob", {"s": ">"}, count=1)
    assert _ids(got[0][1]) == [b"3-0"]
    assert r.xreadgroup("g", "alice", {"s": "0"}) == [[b"s", [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]]]
    assert r.xreadgroup("g", "alice", {"s": "9"}) == [[b"s", []]]
    summary = r.xpending("s", "g")
    assert summary == {"pending": 3, "min": b"1-0", "max": b"3-0",
                       "consumers": [{"name": b"alice", "pending": 2}, {"name": b"bob", "pending": 1}]}
    assert r.xack("s", "g", "1-0", "3-0", "9-0") == 2
    assert r.xack("s", "nog", "2-0") == 0
    assert r.xack("nokey", "g", "2-0") == 0
    rows = r.xpending_range("s", "g", "-", "+", 10)
    assert [(x["message_id"], x["consumer"], x["times_delivered"]) for x in rows] == [(b"2-0", b"alice", 2)]
    assert r.xpending_range("s", "g", "-", "+", 10, consumername="nobody") == []
    assert r.xpending_range("s", "g", "-", "+", 10, idle=100000) == []
    groups = r.xinfo_groups("s")
    assert groups == [{"name": b"g", "consumers": 2, "pending": 1, "last-delivered-id": b"3-0",
                       "entries-read": 3, "lag": 2}]
    consumers = r.xinfo_consumers("s", "g")
    assert [(x["name"], x["pending"]) for x in consumers] == [(b"alice", 1), (b"bob", 0)]
    assert r.xgroup_delconsumer("s", "g", "alice") == 1
    assert r.xpending("s", "g")["pending"] == 0
    r.xreadgroup("g", "carol", {"s": ">"}, noack=True)
    assert r.xpending("s", "g")["pending"] == 0
    assert r.xinfo_groups("s")[0]["lag"] == 0


def test_xpending_empty_and_errors(raw):
    raw.command("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    assert raw.command("XPENDING", "s", "g") == b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    assert raw.command("XPENDING", "s", "g", "-", "+", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("XPENDING", "s", "g", "-", "+") == b"-ERR syntax error\r\n"
    assert raw.command("XPENDING", "s", "g", "IDLE", "5", "-", "+") == b"-ERR syntax error\r\n"
    assert raw.command("XPENDING", "nokey", "g") == b"-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"
    assert raw.command("XPENDING", "s", "g", "-", "(0-0", "10") == b"-ERR invalid end ID for the interval\r\n"
    raw.command("HELLO", "3")
    assert raw.command("XPENDING", "s", "g") == b"*4\r\n:0\r\n_\r\n_\r\n_\r\n"


def test_lag_and_entries_read(r):
    r.xadd("s", {"a": 1}, id="1-1")
    r.xadd("s", {"b": 2}, id="2-1")
    r.xgroup_create("s", "g", "$")
    r.xgroup_create("s", "g0", "0")
    r.xgroup_create("s", "gm", "1-1")
    r.xgroup_create("s", "ge", "0", entries_read=1)
    info = {g["name"]: (g["entries-read"], g["lag"]) for g in r.xinfo_groups("s")}
    assert info == {b"g": (None, 0), b"g0": (None, 2), b"gm": (None, 1), b"ge": (1, 1)}
    r.xadd("s", {"c": 3}, id="3-1")
    r.xdel("s", "2-1")
    info = {g["name"]: (g["entries-read"], g["lag"]) for g in r.xinfo_groups("s")}
    assert info == {b"g": (None, None), b"g0": (None, None), b"gm": (None, None), b"ge": (1, None)}
    r.xreadgroup("g0", "c", {"s": ">"})
    info = {g["name"]: (g["entries-read"], g["lag"]) for g in r.xinfo_groups("s")}
    assert info[b"g0"] == (3, 0)


def test_xclaim(r, raw):
    for i in range(1, 4):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "alice", {"s": ">"})
    assert r.xclaim("s", "g", "bob", 3600000, ["1-0"]) == []
    assert r.xclaim("s", "g", "bob", 0, ["1-0", "2-0"]) == [(b"1-0", {b"f": b"1"}), (b"2-0", {b"f": b"2"})]
    assert r.xclaim("s", "g", "carol", 0, ["2-0"], justid=True, retrycount=7) == [b"2-0"]
    rows = {x["message_id"]: (x["consumer"], x["times_delivered"]) for x in r.xpending_range("s", "g", "-", "+", 10)}
    assert rows == {b"1-0": (b"bob", 2), b"2-0": (b"carol", 7), b"3-0": (b"alice", 1)}
    r.xdel("s", "3-0")
    assert r.xclaim("s", "g", "bob", 0, ["3-0"]) == []
    assert r.xpending("s", "g")["pending"] == 2
    r.xadd("s", {"f": 4}, id="4-0")
    assert r.xclaim("s", "g", "dave", 0, ["4-0"], force=True, justid=True) == [b"4-0"]
    assert raw.command("XCLAIM", "s", "g", "c", "x", "1-0") == b"-ERR Invalid min-idle-time argument for XCLAIM\r\n"
    assert raw.command("XCLAIM", "s", "g", "c", "0", "1-0", "foo") == b"-ERR Unrecognized XCLAIM option 'foo'\r\n"
    assert raw.command("XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x") == (
        b"-ERR Invalid IDLE option argument for XCLAIM\r\n"
    )
    assert raw.command("XCLAIM", "nokey", "g", "c", "0", "1-0") == (
        b"-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"
    )
    assert raw.command("XCLAIM", "s", "g", "c", "0", "1-0", "JUSTID", "LASTID", "9-0") == b"*1\r\n$3\r\n1-0\r\n"
    assert r.xinfo_groups("s")[0]["last-delivered-id"] == b"9-0"


def test_xautoclaim(r, raw):
    for i in range(1, 6):
        r.xadd("s", {"f": i}, id=f"{i}-0")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "alice", {"s": ">"})
    r.xdel("s", "2-0")
    # a deleted entry counts against COUNT: one claimed, one cleared, the cursor is the next pending ID
    assert r.xautoclaim("s", "g", "bob", 0, "0", count=2) == [b"3-0", [(b"1-0", {b"f": b"1"})], [b"2-0"]]
    assert raw.command("XAUTOCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID") == (
        b"*3\r\n$3\r\n0-0\r\n*3\r\n$3\r\n3-0\r\n$3\r\n4-0\r\n$3\r\n5-0\r\n*0\r\n"
    )
    assert r.xautoclaim("s", "g", "bob", 3600000, "0") == [b"0-0", [], []]
    assert raw.command("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0") == b"-ERR COUNT must be > 0\r\n"
    assert raw.command("XAUTOCLAIM", "s", "g", "c", "x", "0") == b"-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n"
    assert raw.command("XAUTOCLAIM", "s", "g", "c", "0", "0", "foo") == b"-ERR syntax error\r\n"
    assert raw.command("XAUTOCLAIM", "nokey", "g", "c", "0", "0") == b"-NOGROUP No such key 'nokey' or consumer group 'g'\r\n"
    assert raw.command("XAUTOCLAIM", "s", "g", "c", "0", "x") == b"-ERR Invalid stream ID specified as stream command argument\r\n"


def test_xinfo_stream(r, r3, raw):
    r.xadd("s", {"a": 1}, id="1-1")
    r.xadd("s", {"b": 2}, id="2-1")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=1)
    info = r.xinfo_stream("s")
    assert info == {"length": 2, "radix-tree-keys": 1, "radix-tree-nodes": 2, "last-generated-id": b"2-1",
                    "max-deleted-entry-id": b"0-0", "entries-added": 2, "recorded-first-entry-id": b"1-1",
                    "groups": 1, "first-entry": (b"1-1", {b"a": b"1"}), "last-entry": (b"2-1", {b"b": b"2"})}
    full = r.xinfo_stream("s", full=True)
    assert full["entries"] == {b"1-1": {b"a": b"1"}, b"2-1": {b"b": b"2"}}
    group = full["groups"][0]
    assert (group["name"], group["last-delivered-id"], group["entries-read"], group["lag"], group["pel-count"]) == (
        b"g", b"1-1", 1, 1, 1)
    assert [p[0] for p in group["pending"]] == [b"1-1"]
    assert group["pending"][0][1] == b"alice"
    assert group["consumers"][0]["name"] == b"alice" and group["consumers"][0]["pel-count"] == 1
    assert r3.xinfo_stream("s")["length"] == 2
    syntax = b"-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n"
    assert raw.command("XINFO", "STREAM", "s", "foo") == syntax
    assert raw.command("XINFO", "STREAM", "s", "FULL", "COUNT") == syntax
    assert raw.command("XINFO", "STREAM", "nokey") == b"-ERR no such key\r\n"
    assert raw.command("XINFO", "GROUPS", "nokey") == b"-ERR no such key\r\n"
    assert raw.command("XINFO", "CONSUMERS", "s", "nog") == b"-NOGROUP No such consumer group 'nog' for key name 's'\r\n"
    assert raw.command("XINFO", "FOO", "s") == b"-ERR unknown subcommand 'FOO'. Try XINFO HELP.\r\n"
    assert raw.command("TYPE", "s") == b"+stream\r\n"
    assert raw.command("OBJECT", "ENCODING", "s") == b"$6\r\nstream\r\n"


def test_copy_is_independent(r):
    r.xadd("s", {"a": 1}, id="1-0")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "c", {"s": ">"})
    assert r.copy("s", "t") is True
    r.xack("s", "g", "1-0")
    r.xadd("s", {"a": 2}, id="2-0")
    assert r.xlen("t") == 1
    assert r.xpending("t", "g")["pending"] == 1


def test_keyspace_events(target, r):
    events = keyevents(
        target, r,
        ("XADD", "s", "1-0", "a", "1"),
        ("XADD", "s", "MAXLEN", "1", "2-0", "a", "1"),
        ("XDEL", "s", "2-0"),
        ("XDEL", "s", "9-0"),
        ("XGROUP", "CREATE", "s", "g", "$"),
        ("XGROUP", "SETID", "s", "g", "0"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "c"),
        ("XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"),
        ("XGROUP", "DELCONSUMER", "s", "g", "c"),
        ("XGROUP", "DESTROY", "s", "g"),
        ("XSETID", "s", "5-0"),
        ("XTRIM", "s", "MAXLEN", "0"),
        ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),
    )
    # XREADGROUP with nothing to serve creates no consumer; XTRIM on an empty stream deletes nothing
    assert events == [
        (b"xadd", b"s"), (b"xadd", b"s"), (b"xtrim", b"s"), (b"xdel", b"s"),
        (b"xgroup-create", b"s"), (b"xgroup-setid", b"s"), (b"xgroup-createconsumer", b"s"),
        (b"xgroup-delconsumer", b"s"), (b"xgroup-destroy", b"s"), (b"xsetid", b"s"), (b"xgroup-create", b"m"),
    ]


def test_watch_sees_stream_changes(target, r):
    r.xadd("s", {"a": 1}, id="1-0")
    other = target.client()
    outcome = {}
    for name, change in (
        ("xadd", lambda: other.xadd("s", {"b": 2})),
        ("xgroup create", lambda: other.xgroup_create("s", "g", "0")),
        ("xreadgroup", lambda: other.xreadgroup("g", "c", {"s": ">"})),
        ("xack", lambda: other.xack("s", "g", "1-0")),
        ("xgroup setid", lambda: other.xgroup_setid("s", "g", "0")),
        ("xdel", lambda: other.xdel("s", "1-0")),
        ("xsetid", lambda: other.execute_command("XSETID", "s", "99999999999999-0")),
        ("xtrim", lambda: other.xtrim("s", maxlen=0, approximate=False)),
    ):
        p = r.pipeline(transaction=True)
        p.watch("s")
        change()
        p.multi()
        p.xlen("s")
        try:
            p.execute()
            outcome[name] = "ran"
        except redis.WatchError:
            outcome[name] = "aborted"
    other.close()
    # consumer-group bookkeeping does not touch WATCHed keys in Redis 7.0; entry changes do
    assert outcome == {"xadd": "aborted", "xgroup create": "ran", "xreadgroup": "ran", "xack": "ran",
                       "xgroup setid": "ran", "xdel": "aborted", "xsetid": "ran", "xtrim": "aborted"}


def test_xadd_reports_a_bad_id_before_the_option_checks(raw):
    # Redis parses XADD's ID where the options end, before it checks LIMIT against the strategy.
    invalid = b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.command("XADD", "s", "MINID", "0", "LIMIT", "0", "1-x", "f", "v") == invalid
    assert raw.command("XADD", "s", "NOMKSTREAM", "LIMIT", "5", "x", "f", "v") == invalid
    assert raw.command("XADD", "s", "MAXLEN", "0", "LIMIT", "0", "1-1", "f", "v") == (
        b"-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"
    )
    assert raw.command("XADD", "s", "NOMKSTREAM", "LIMIT", "5", "5-*", "f", "v") == (
        b"-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"
    )


def test_xrange_count_zero_answers_null_even_for_an_empty_interval(raw):
    raw.command("XADD", "s", "1-1", "f", "v")
    assert raw.command("XRANGE", "s", "+", "0", "COUNT", "-2") == b"*-1\r\n"
    assert raw.command("XREVRANGE", "s", "0", "+", "COUNT", "0") == b"*-1\r\n"
    assert raw.command("XRANGE", "s", "+", "0") == b"*0\r\n"
    assert raw.command("XRANGE", "nokey", "+", "0", "COUNT", "0") == b"*0\r\n"


def test_xreadgroup_creates_a_consumer_only_when_it_serves_it(r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    assert r.xreadgroup("g", "c1", {"s": ">"}) == []  # nothing new: no consumer
    assert r.xreadgroup("g", "c2", {"s": "0"}) == [[b"s", []]]  # its history: always served
    assert r.xreadgroup("g", "c3", {"s": ">"}, block=10) == []  # timed out: no consumer either
    r.xadd("s", {"f": "v"}, id="1-1")
    assert r.xreadgroup("g", "c4", {"s": ">"}, noack=True) == [[b"s", [(b"1-1", {b"f": b"v"})]]]
    assert r.xreadgroup("g", "c5", {"s": ">"}) == []
    assert [c["name"] for c in r.xinfo_consumers("s", "g")] == [b"c2", b"c4"]
    assert r.xgroup_createconsumer("s", "g", "c1") == 1
    assert r.xgroup_createconsumer("s", "g", "c4") == 0


def test_xreadgroup_with_nothing_new_leaves_the_consumer_idle(r):
    r.xgroup_create("s", "g", "$", mkstream=True)
    r.xgroup_createconsumer("s", "g", "c")
    time.sleep(0.05)
    assert r.xreadgroup("g", "c", {"s": ">"}) == []
    assert r.xinfo_consumers("s", "g")[0]["idle"] >= 50


def test_implicitly_created_consumers_are_announced(target, r):
    # XREADGROUP, XCLAIM and XAUTOCLAIM create a missing consumer as XGROUP CREATECONSUMER does,
    # event included; one that is not served (nothing new, nothing claimed) is not created.
    r.xadd("s", {"f": "v"}, id="1-1")
    r.xgroup_create("s", "g", "0")
    events = keyevents(
        target, r,
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", ">"),
        ("XCLAIM", "s", "g", "c4", "0", "1-1"),
        ("XAUTOCLAIM", "s", "g", "c5", "0", "0"),
        ("XAUTOCLAIM", "s", "g", "c6", "0", "9"),
    )
    assert events == [(b"xgroup-createconsumer", b"s")] * 4
    assert sorted(c["name"] for c in r.xinfo_consumers("s", "g")) == [b"c1", b"c2", b"c4", b"c5"]


def test_stream_key_specs(raw, r):
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "XADD", "s", "*", "f", "v") == (
        b"*1\r\n*2\r\n$1\r\ns\r\n*2\r\n+RW\r\n+update\r\n"
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "XAUTOCLAIM", "s", "g", "c", "0", "0") == (
        b"*1\r\n*2\r\n$1\r\ns\r\n*2\r\n+RW\r\n+delete\r\n"
    )
    assert raw.command("COMMAND", "GETKEYSANDFLAGS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", "0", "0") == (
        b"*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+RO\r\n+access\r\n"
    )
    r.response_callbacks.clear()
    [xadd] = r.execute_command("COMMAND", "INFO", "xadd")
    assert xadd[8][0][:4] == [
        b"notes",
        b"UPDATE instead of INSERT because of the optional trimming feature",
        b"flags",
        [b"RW", b"update"],
    ]
    [xreadgroup] = r.execute_command("COMMAND", "INFO", "xreadgroup")
    assert xreadgroup[8][0][3] == [b"type", b"keyword", b"spec", [b"keyword", b"STREAMS", b"startfrom", 4]]
