"""HyperLogLog commands against cacheserver and redis-server: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

Interoperability is the point: the stored values are compared through GET (a SHA-256 prefix of the
bytes for the larger ones), so equal digests on both targets mean byte-identical HLLs.
"""

from __future__ import annotations

import hashlib

import pytest
import redis

HEADER_SPARSE = b"HYLL\x01\x00\x00\x00"
NOT_HLL = b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
CORRUPTED = b"-INVALIDOBJ Corrupted HLL object detected\r\n"


def digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()[:16]


def fill(r: redis.Redis, key: str, n: int, prefix: bytes) -> None:
    """PFADD prefix0..prefix(n-1), 1000 elements per command."""
    for i in range(0, n, 1000):
        r.pfadd(key, *[prefix + b"%d" % j for j in range(i, min(n, i + 1000))])


@pytest.mark.parametrize(
    "n, length, before, card, after, cache",
    [
        (0, 18, "a548e8daa487445a", 0, "d9596e4bda3ed904", "0000000000000000"),
        (1, 21, "e8131e43fcc99b3a", 1, "d1544d4d61d4e610", "0100000000000000"),
        (10, 48, "0e9eb357c8eebc63", 10, "aec1d29682abfa65", "0a00000000000000"),
        (100, 289, "36ab75237d7752fc", 100, "afa9e93d9f433717", "6400000000000000"),
        (1000, 1892, "a18a0f485230f4b2", 999, "b6b8b2bad8824cfb", "e703000000000000"),
        (5000, 12304, "2efe2730466cb7e1", 4959, "672a5d106ac2908a", "5f13000000000000"),
        (100000, 12304, "df7f9fda0c79c41e", 98893, "7fbc065660fb4fe9", "4d82010000000000"),
    ],
)
def test_pfadd_values_are_redis_bytes(r, n, length, before, card, after, cache):
    assert r.pfadd("k") == 1
    fill(r, "k", n, b"el:")
    value = r.get("k")
    assert len(value) == length
    assert digest(value) == before
    assert value[15] & 0x80  # cache marked stale by the adds
    assert r.pfcount("k") == card
    value = r.get("k")
    assert digest(value) == after
    assert value[8:16].hex() == cache
    assert r.pfcount("k") == card


def test_small_values_exact(r):
    r.pfadd("k1", "el:0")
    assert r.get("k1") == HEADER_SPARSE + b"\x00" * 7 + b"\x80" + b"e\x10\x88Z\xed"
    assert r.pfcount("k1") == 1
    assert r.get("k1") == HEADER_SPARSE + b"\x01" + b"\x00" * 7 + b"e\x10\x88Z\xed"


def test_pfadd_replies(raw):
    assert raw.command("PFADD", "h") == b":1\r\n"
    assert raw.command("PFADD", "h") == b":0\r\n"
    assert raw.command("PFADD", "h", "a", "b") == b":1\r\n"
    assert raw.command("PFADD", "h", "a", "b") == b":0\r\n"
    assert raw.command("PFADD", "h", "b", "c") == b":1\r\n"
    assert raw.command("PFCOUNT", "h") == b":3\r\n"
    assert raw.command("PFCOUNT", "nokey") == b":0\r\n"
    assert raw.command("PFADD") == b"-ERR wrong number of arguments for 'pfadd' command\r\n"
    assert raw.command("PFCOUNT") == b"-ERR wrong number of arguments for 'pfcount' command\r\n"
    assert raw.command("PFMERGE") == b"-ERR wrong number of arguments for 'pfmerge' command\r\n"


def test_empty_merge_creates_empty_hll(r):
    assert r.pfmerge("e") is True
    assert r.get("e") == HEADER_SPARSE + b"\x00" * 7 + b"\x80\x7f\xff"
    assert r.pfcount("e") == 0


def test_pfcount_union(r):
    fill(r, "a", 300, b"a:")
    fill(r, "b", 300, b"b:")
    fill(r, "c", 5000, b"c:")
    assert r.pfcount("a", "b", "c") == 5541
    assert r.pfcount("a", "b", "nokey") == 604
    assert r.pfcount("nokey", "nokey2") == 0
    # The union is computed on the side: no source is written.
    assert r.get("a")[15] & 0x80


def test_pfmerge_sparse_and_dense(r):
    fill(r, "a", 300, b"a:")
    fill(r, "b", 300, b"b:")
    fill(r, "c", 5000, b"c:")
    assert r.pfmerge("d", "a", "b") is True
    value = r.get("d")
    assert (len(value), digest(value)) == (1221, "ada21ac0db36b6de")
    assert r.execute_command("PFDEBUG", "ENCODING", "d") == b"sparse"
    assert r.pfcount("d") == 604
    # Merging into an existing HLL keeps its cached cardinality bytes, marked stale.
    r.pfcount("a")
    r.pfmerge("a", "b")
    value = r.get("a")
    assert (len(value), digest(value), value[8:16].hex()) == (1221, "c69279a8195d20bd", "2b01000000000080")
    assert r.pfcount("a") == 604
    # One dense input makes the destination dense.
    r.pfmerge("d2", "b", "c")
    value = r.get("d2")
    assert (len(value), digest(value)) == (12304, "e1e34a070cc046f5")
    assert r.pfcount("d2") == 5247


def test_pfmerge_sparse_promoted_half_way(r):
    fill(r, "big1", 1500, b"x:")
    fill(r, "big2", 1500, b"y:")
    assert len(r.get("big1")) == 2727
    r.pfmerge("big1", "big2")
    value = r.get("big1")
    assert (len(value), digest(value)) == (12304, "0d78c0fe44c6b629")
    assert r.pfcount("big1") == 2994


def test_sparse_max_bytes_config(target):
    r = target.client()
    r.flushall()
    try:
        r.config_set("hll-sparse-max-bytes", 100)
        fill(r, "s", 100, b"s:")
        value = r.get("s")
        assert (len(value), digest(value)) == (12304, "c38ae9df9a3f8e94")
    finally:
        r.config_set("hll-sparse-max-bytes", 3000)
        r.close()


def test_not_an_hll_is_wrongtype(raw):
    raw.command("SET", "str", "hello world, not an hll")
    raw.command("SET", "num", "12345")
    raw.command("SET", "shortdense", b"HYLL\x00" + bytes(20))
    raw.command("SET", "badenc", HEADER_SPARSE.replace(b"\x01", b"\x02") + bytes(8) + b"\x7f\xff")
    for key in ("str", "num", "shortdense", "badenc"):
        assert raw.command("PFADD", key, "a") == NOT_HLL
        assert raw.command("PFCOUNT", key) == NOT_HLL
        assert raw.command("PFCOUNT", "nokey", key) == NOT_HLL
        assert raw.command("PFMERGE", "dest", key) == NOT_HLL
        assert raw.command("PFMERGE", key, "nokey") == NOT_HLL
        assert raw.command("PFDEBUG", "ENCODING", key) == NOT_HLL
    assert raw.command("EXISTS", "dest") == b":0\r\n"


def test_corrupted_sparse(raw):
    # XZERO:16383 covers one register too few.
    raw.command("SET", "f", HEADER_SPARSE + bytes(7) + b"\x80\x7f\xfe")
    assert raw.command("PFADD", "f", "a") == b":1\r\n"  # the scan reaches 'a''s register before the gap
    assert raw.command("PFDEBUG", "DECODE", "f") == b"$20\r\nZ:12711 v:2,1 Z:3671\r\n"
    assert raw.command("PFCOUNT", "f") == CORRUPTED
    assert raw.command("PFCOUNT", "f", "nokey") == CORRUPTED
    assert raw.command("PFMERGE", "g", "f") == CORRUPTED
    assert raw.command("EXISTS", "g") == b":0\r\n"
    assert raw.command("PFDEBUG", "GETREG", "f") == CORRUPTED
    assert raw.command("PFDEBUG", "TODENSE", "f") == CORRUPTED


def test_cached_cardinality_is_trusted(raw):
    raw.command("SET", "cached", HEADER_SPARSE + (42).to_bytes(8, "little") + b"\x7f\xfe")
    assert raw.command("PFCOUNT", "cached") == b":42\r\n"
    raw.command("PFADD", "h", "a", "b", "c")
    assert raw.command("PFCOUNT", "h") == b":3\r\n"
    raw.command("APPEND", "h", "xyz")
    assert raw.command("PFCOUNT", "h") == b":3\r\n"
    assert raw.command("PFADD", "h", "d") == b":1\r\n"
    assert raw.command("PFCOUNT", "h") == CORRUPTED


def test_pfdebug(raw):
    raw.command("PFADD", "dd", "x", "y")
    assert raw.command("PFDEBUG", "ENCODING", "dd") == b"+sparse\r\n"
    assert raw.command("PFDEBUG", "decode", "dd") == b"$30\r\nZ:14932 v:3,1 Z:1441 v:2,1 z:9\r\n"
    assert raw.command("PFDEBUG", "TODENSE", "dd") == b":1\r\n"
    assert raw.command("PFDEBUG", "TODENSE", "dd") == b":0\r\n"
    assert raw.command("PFDEBUG", "ENCODING", "dd") == b"+dense\r\n"
    assert raw.command("PFDEBUG", "DECODE", "dd") == b"-ERR HLL encoding is not sparse\r\n"
    assert raw.command("PFCOUNT", "dd") == b":2\r\n"
    assert raw.command("PFDEBUG", "NOPE", "dd") == b"-ERR Unknown PFDEBUG subcommand 'NOPE'\r\n"
    assert raw.command("PFDEBUG", "ENCODING", "nokey") == b"-ERR The specified key does not exist\r\n"
    assert raw.command("PFDEBUG", "ENCODING") == b"-ERR wrong number of arguments for 'pfdebug' command\r\n"


def test_pfdebug_getreg_converts_to_dense(r):
    r.pfadd("g", "x", "y")
    regs = r.execute_command("PFDEBUG", "GETREG", "g")
    assert len(regs) == 16384
    assert [(i, v) for i, v in enumerate(regs) if v] == [(14932, 3), (16374, 2)]
    assert r.execute_command("PFDEBUG", "ENCODING", "g") == b"dense"
    assert len(r.get("g")) == 12304


def test_pfselftest(raw):
    assert raw.command("PFSELFTEST") == b"+OK\r\n"


def test_command_info(raw):
    """COMMAND INFO as Redis 7.0 sends it: flags, key positions, ACL categories, key specs."""
    expected = {
        "pfadd": (
            b'*1\r\n*10\r\n$5\r\npfadd\r\n:-2\r\n*3\r\n+write\r\n+denyoom\r\n+fast\r\n:1\r\n:1\r\n:1\r\n'
            b'*3\r\n+@write\r\n+@hyperloglog\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RW\r\n'
            b'+insert\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n'
            b'$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n'
            b'*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n'
        ),
        "pfcount": (
            b'*1\r\n*10\r\n$7\r\npfcount\r\n:-2\r\n*1\r\n+readonly\r\n:1\r\n:-1\r\n:1\r\n*3\r\n+@read\r\n'
            b'+@hyperloglog\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$90\r\n'
            b'RW because it may change the internal representation of the key, and propagate to replicas\r\n'
            b'$5\r\nflags\r\n*2\r\n+RW\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n'
            b'index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n'
            b'$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n'
            b'limit\r\n:0\r\n*0\r\n'
        ),
        "pfmerge": (
            b'*1\r\n*10\r\n$7\r\npfmerge\r\n:-2\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:1\r\n*3\r\n'
            b'+@write\r\n+@hyperloglog\r\n+@slow\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n'
            b'+access\r\n+insert\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\n'
            b'spec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n'
            b'$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n'
            b'*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n'
            b'$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\n'
            b'type\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n'
            b'$5\r\nlimit\r\n:0\r\n*0\r\n'
        ),
        "pfdebug": (
            b'*1\r\n*10\r\n$7\r\npfdebug\r\n:3\r\n*3\r\n+write\r\n+denyoom\r\n+admin\r\n:2\r\n:2\r\n:1\r\n'
            b'*5\r\n+@write\r\n+@hyperloglog\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*1\r\n*6\r\n'
            b'$5\r\nflags\r\n*2\r\n+RW\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n'
            b'index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n'
            b'$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\n'
            b'limit\r\n:0\r\n*0\r\n'
        ),
        "pfselftest": (
            b'*1\r\n*10\r\n$10\r\npfselftest\r\n:1\r\n*1\r\n+admin\r\n:0\r\n:0\r\n:0\r\n*4\r\n'
            b'+@hyperloglog\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n'
        ),
    }
    for name, reply in expected.items():
        assert raw.command("COMMAND", "INFO", name) == reply


def test_dirty_counts(r):
    def changes() -> int:
        return r.info("persistence")["rdb_changes_since_last_save"]

    base = changes()
    r.pfadd("h", "x", "y")  # created + two registers
    assert changes() - base == 3
    r.pfadd("h", "x")
    assert changes() - base == 3
    r.pfcount("h")  # the cache is written
    assert changes() - base == 4
    r.pfcount("h")  # ... once
    assert changes() - base == 4
    r.pfmerge("h")
    assert changes() - base == 5
    r.pfcount("h", "h")
    assert changes() - base == 5


def test_values_move_between_servers(ours, redis_process):
    """GET from one server, SET into the other: same count, and further adds stay byte-identical."""
    ws = redis.Redis(host=ours.host, port=ours.port)
    rs = redis.Redis(host=redis_process.host, port=redis_process.port)
    try:
        for src, dst in ((rs, ws), (ws, rs)):
            src.flushall()
            dst.flushall()
            for key, n in (("small", 50), ("sparse", 1200), ("dense", 20000)):
                fill(src, key, n, key.encode() + b":")
                dst.set(key, src.get(key))
                assert dst.pfcount(key) == src.pfcount(key)
                assert dst.get(key) == src.get(key)
                fill(src, key, 1500, b"more:")
                fill(dst, key, 1500, b"more:")
                assert dst.get(key) == src.get(key)
                assert dst.pfcount(key) == src.pfcount(key)
            assert dst.pfcount("small", "sparse", "dense") == src.pfcount("small", "sparse", "dense")
            dst.pfmerge("m", "small", "sparse")
            src.pfmerge("m", "small", "sparse")
            assert dst.get("m") == src.get("m")
    finally:
        ws.close()
        rs.close()
