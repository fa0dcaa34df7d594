"""Bitmap commands against cacheserver and redis-server: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD."""

from __future__ import annotations

import pytest

# WRONGTYPE needs a non-string key; tests/unit/commands/test_string_handlers.py covers cacheserver meanwhile.

NOT_INT = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
BIT_OFFSET = b"-ERR bit offset is not an integer or out of range\r\n"
BAD_TYPE = b"-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_setbit_getbit(raw):
    assert raw.command("SETBIT", "k", "7", "1") == b":0\r\n"
    assert raw.command("GET", "k") == b"$1\r\n\x01\r\n"
    assert raw.command("SETBIT", "k", "7", "1") == b":1\r\n"
    assert raw.command("SETBIT", "k", "0", "1") == b":0\r\n"
    assert raw.command("GET", "k") == b"$1\r\n\x81\r\n"
    assert raw.command("SETBIT", "k", "7", "0") == b":1\r\n"
    assert raw.command("SETBIT", "k", "20", "1") == b":0\r\n"
    assert raw.command("GET", "k") == b"$3\r\n\x80\x00\x08\r\n"
    assert raw.command("GETBIT", "k", "0") == b":1\r\n"
    assert raw.command("GETBIT", "k", "1") == b":0\r\n"
    assert raw.command("GETBIT", "k", "20") == b":1\r\n"
    assert raw.command("GETBIT", "k", "1000") == b":0\r\n"
    assert raw.command("GETBIT", "nokey", "5") == b":0\r\n"
    raw.command("SET", "n", "12")
    raw.command("INCR", "n")  # "13" int-encoded: the bits of its digits
    assert raw.command("GETBIT", "n", "2") == b":1\r\n"
    assert raw.command("GETBIT", "n", "7") == b":1\r\n"
    assert raw.command("SETBIT", "n", "6", "1") == b":0\r\n"
    assert raw.command("GET", "n") == b"$2\r\n33\r\n"


def test_setbit_errors(raw):
    value_err = b"-ERR bit is not an integer or out of range\r\n"
    assert raw.command("SETBIT", "k", "-1", "1") == BIT_OFFSET
    assert raw.command("SETBIT", "k", "x", "1") == BIT_OFFSET
    assert raw.command("SETBIT", "k", "4294967296", "1") == BIT_OFFSET  # 512MB in bits
    assert raw.command("SETBIT", "k", "0", "2") == value_err
    assert raw.command("SETBIT", "k", "0", "-1") == value_err
    assert raw.command("SETBIT", "k", "0", "x") == value_err
    assert raw.command("SETBIT", "k", "x", "2") == BIT_OFFSET
    assert raw.command("GETBIT", "k", "-1") == BIT_OFFSET
    assert raw.command("GETBIT", "k", "#1") == BIT_OFFSET
    assert raw.command("GET", "k") == b"$-1\r\n"


@pytest.mark.parametrize(
    "args, expected",
    [
        ((), 26),
        ((0, 0), 4),
        ((1, 1), 6),
        ((1, 1, "BYTE"), 6),
        ((5, 30, "BIT"), 17),
        ((-5, -1, "bit"), 2),
        ((-1, -5), 0),
        ((2, -3), 9),
        ((0, 100), 26),
        ((-100, -50), 4),
        ((47, 47, "BIT"), 0),
        ((7, 7, "BIT"), 0),
    ],
)
def test_bitcount(raw, args, expected):
    raw.command("SET", "s", "foobar")
    assert raw.command("BITCOUNT", "s", *args) == b":%d\r\n" % expected


def test_bitcount_errors(raw):
    raw.command("SET", "s", "foobar")
    assert raw.command("BITCOUNT", "s", "1") == SYNTAX
    assert raw.command("BITCOUNT", "s", "a", "b") == NOT_INT
    assert raw.command("BITCOUNT", "s", "0", "1", "foo") == SYNTAX
    assert raw.command("BITCOUNT", "s", "0", "-1", "byte", "5") == SYNTAX
    # A range of two negative ends that cannot hold anything answers 0 before the unit is read.
    assert raw.command("BITCOUNT", "s", "-2", "-5", "XX") == b":0\r\n"
    assert raw.command("BITCOUNT", "s", "-5", "-2", "XX") == SYNTAX
    # Redis 7.0 looks the key up first: a missing key answers 0 whatever follows
    assert raw.command("BITCOUNT", "nokey", "a", "b") == b":0\r\n"
    assert raw.command("BITCOUNT", "nokey", "1") == b":0\r\n"
    raw.command("SET", "e", "")
    assert raw.command("BITCOUNT", "e") == b":0\r\n"
    assert raw.command("BITCOUNT", "e", "0", "-1") == b":0\r\n"


@pytest.mark.parametrize(
    "key, args, expected",
    [
        ("b", (0,), 12),
        ("b", (1,), 0),
        ("b", (0, 2), 16),
        ("b", (1, 2), -1),
        ("b", (0, 2, -1), 16),
        ("b", (1, 1, 1), 8),
        ("b", (0, 0, 0), -1),
        ("b", (0, 0, -1, "BIT"), 12),
        ("b", (0, 7, 15, "BIT"), 12),
        ("b", (1, 13, 15, "BIT"), -1),
        ("b", (0, 2, 3, "bit"), -1),
        ("b", (1, -3, -1, "BIT"), -1),
        ("o", (0,), 24),
        ("o", (0, 0), 24),
        ("o", (0, 0, -1), -1),
        ("o", (1,), 0),
        ("z", (1,), -1),
        ("z", (0,), 0),
        ("z", (1, 0, -1), -1),
        ("o", (0, 5, 3), -1),
        ("o", (0, 1), 24),
        ("o", (0, 3, 20, "bit"), -1),
        ("o", (0, 3), -1),
        ("o", (1, -1), 16),
        ("o", (0, 100), -1),
        ("o", (0, 100, 200), -1),
        ("nokey", (0,), 0),
        ("nokey", (1,), -1),
        ("nokey", (1, "a"), -1),
    ],
)
def test_bitpos(raw, key, args, expected):
    raw.command("MSET", "b", b"\xff\xf0\x00", "z", b"\x00\x00\x00", "o", b"\xff\xff\xff")
    assert raw.command("BITPOS", key, *args) == b":%d\r\n" % expected


def test_bitpos_errors(raw):
    raw.command("SET", "s", "foobar")
    assert raw.command("BITPOS", "s", "2") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.command("BITPOS", "nokey", "-1") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.command("BITPOS", "s", "x") == NOT_INT
    assert raw.command("BITPOS", "s", "1", "a") == NOT_INT
    assert raw.command("BITPOS", "s", "1", "0", "a") == NOT_INT
    assert raw.command("BITPOS", "s", "1", "0", "1", "bits") == SYNTAX
    assert raw.command("BITPOS", "s", "1", "0", "x", "bits") == SYNTAX  # the unit is read before the end
    assert raw.command("BITPOS", "s", "1", "0", "1", "BIT", "x") == SYNTAX
    raw.command("SET", "e", "")
    assert raw.command("BITPOS", "e", "0") == b":-1\r\n"
    assert raw.command("BITPOS", "e", "1") == b":-1\r\n"


def test_bitop(raw):
    raw.command("MSET", "a", "foobar", "b", "abcdef", "c", "x")
    assert raw.command("BITOP", "AND", "d", "a", "b") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\n`bc`ab\r\n"
    assert raw.command("BITOP", "or", "d", "a", "b") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\ngoofev\r\n"
    assert raw.command("BITOP", "XOR", "d", "a", "b") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\n\x07\r\x0c\x06\x04\x14\r\n"
    assert raw.command("BITOP", "NOT", "d", "c") == b":1\r\n"
    assert raw.command("GET", "d") == b"$1\r\n\x87\r\n"
    # shorter and missing sources are zero-padded
    assert raw.command("BITOP", "AND", "d", "a", "c") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\n`\x00\x00\x00\x00\x00\r\n"
    assert raw.command("BITOP", "OR", "d", "c", "nokey", "a") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\n~oobar\r\n"
    assert raw.command("BITOP", "XOR", "d", "a", "a", "a") == b":6\r\n"
    assert raw.command("GET", "d") == b"$6\r\nfoobar\r\n"
    assert raw.command("BITOP", "AND", "a", "a", "b") == b":6\r\n"  # the destination may be a source
    assert raw.command("GET", "a") == b"$6\r\n`bc`ab\r\n"
    raw.command("SET", "n", "7")
    raw.command("INCR", "n")
    assert raw.command("BITOP", "NOT", "d", "n") == b":1\r\n"
    assert raw.command("GET", "d") == b"$1\r\n\xc7\r\n"


def test_bitop_empty_result_deletes_destination(raw):
    raw.command("SET", "d", "old")
    assert raw.command("BITOP", "OR", "d", "nokey1", "nokey2") == b":0\r\n"
    assert raw.command("GET", "d") == b"$-1\r\n"
    assert raw.command("BITOP", "NOT", "d", "nokey") == b":0\r\n"
    raw.command("SET", "e", "")
    raw.command("SET", "d", "old")
    assert raw.command("BITOP", "AND", "d", "e") == b":0\r\n"
    assert raw.command("GET", "d") == b"$-1\r\n"


def test_bitop_errors(raw):
    assert raw.command("BITOP", "NOT", "d", "a", "b") == b"-ERR BITOP NOT must be called with a single source key.\r\n"
    assert raw.command("BITOP", "NAND", "d", "a") == SYNTAX
    assert raw.command("BITOP", "AND", "d") == b"-ERR wrong number of arguments for 'bitop' command\r\n"


# recorded from redis-server 7.0.15
BITFIELD_CASES = [
    (("bf", "SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0", "GET", "u4", "#1"), [0, -100, 156, 12]),
    (("bf", "INCRBY", "i8", "0", "-100"), [56]),
    (("bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1"), [-44, -45]),
    (("bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-100", "GET", "i8", "0"), [None, -45]),
    (
        ("u", "SET", "u8", "0", "-1", "OVERFLOW", "SAT", "SET", "u8", "8", "-1", "OVERFLOW", "FAIL", "SET", "u8", "16",
         "-1", "GET", "u24", "0"),
        [0, 0, None, 16776960],
    ),
    (
        ("u", "OVERFLOW", "SAT", "SET", "u8", "0", "300", "OVERFLOW", "WRAP", "SET", "u8", "8", "300", "GET", "u16", "0"),
        [255, 255, 65324],
    ),
    (
        ("u", "OVERFLOW", "SAT", "INCRBY", "u2", "100", "5", "INCRBY", "u2", "100", "-7", "OVERFLOW", "WRAP", "INCRBY",
         "u2", "100", "5", "INCRBY", "u2", "100", "-7"),
        [3, 0, 1, 2],
    ),
    # the int64 wrap-around inside Redis's overflow check: SAT of -2**63 into an i8 gives +127
    (
        ("s", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0", "OVERFLOW", "WRAP", "SET",
         "i8", "8", "-9223372036854775808", "GET", "i8", "8"),
        [0, 127, 0, 0],
    ),
    (
        ("s", "OVERFLOW", "SAT", "SET", "i8", "16", "9223372036854775807", "OVERFLOW", "WRAP", "SET", "i8", "24",
         "9223372036854775807", "GET", "i8", "16", "GET", "i8", "24"),
        [0, 0, 127, -1],
    ),
    (
        ("w", "SET", "i64", "0", "-1", "GET", "u63", "0", "GET", "i64", "0", "INCRBY", "i64", "0", "1", "OVERFLOW",
         "SAT", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1", "OVERFLOW", "WRAP", "INCRBY",
         "i64", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "1"),
        [0, 9223372036854775807, -1, 0, 9223372036854775807, 9223372036854775807, -9223372036854775808, None,
         -9223372036854775807],
    ),
    (
        ("x", "SET", "i5", "3", "7", "GET", "i5", "3", "GET", "u3", "5", "SET", "u63", "70", "12345678901234", "GET",
         "u63", "70", "GET", "i1", "0", "SET", "i1", "0", "-1", "GET", "i1", "0", "SET", "i1", "1", "1"),
        [0, 7, 7, 0, 12345678901234, 0, 0, -1, 0],
    ),
    (("nokey", "GET", "u8", "0", "GET", "i64", "1000"), [0, 0]),
    (("nokey",), []),
    (("h", "SET", "u8", "#2", "255", "GET", "u8", "16", "INCRBY", "i4", "#3", "3", "GET", "i4", "12"), [0, 255, 3, 3]),
    (("h2", "SET", "u8", "#2305843009213693953", "1"), [0]),  # "#N" times 8 wraps around in int64: offset 8
    (("num", "GET", "u8", "0", "GET", "u8", "16", "GET", "u8", "24"), [49, 51, 0]),
]  # fmt: skip


def test_bitfield(r):
    r.set("num", "123")
    for args, expected in BITFIELD_CASES:
        assert r.execute_command("BITFIELD", *args) == expected, args
    assert r.execute_command(
        "BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1",
        "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "-2",
    ) == [-9223372036854775808, -9223372036854775808, 9223372036854775806]  # fmt: skip
    assert r.get("x") == b"\xc7\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00Y\xd3\x9eq\x7f\x90"
    assert r.get("h") == b"\x00\x03\xff"
    assert r.get("h2") == b"\x00\x01"


def test_bitfield_writes(r):
    r.execute_command("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "20", "7")
    assert r.get("f") == b"\x00\x00\x00"  # grown even though nothing was written
    r.set("n", "1")
    r.incr("n")
    assert r.execute_command("BITFIELD", "n", "INCRBY", "u8", "0", "1") == [51]
    assert r.get("n") == b"3"


def test_bitfield_errors(raw):
    assert raw.command("BITFIELD", "k", "GET", "u64", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "i65", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "i0", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "I8", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "x8", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "u", "0") == BAD_TYPE
    assert raw.command("BITFIELD", "k", "GET", "u8", "-1") == BIT_OFFSET
    assert raw.command("BITFIELD", "k", "GET", "u8", "#") == BIT_OFFSET
    assert raw.command("BITFIELD", "k", "GET", "u8", "#-1") == BIT_OFFSET
    assert raw.command("BITFIELD", "k", "GET", "u8", "4294967296") == BIT_OFFSET
    assert raw.command("BITFIELD", "k", "SET", "u8", "0", "x") == NOT_INT
    assert raw.command("BITFIELD", "k", "SET", "u8", "0") == SYNTAX
    assert raw.command("BITFIELD", "k", "GET", "u8") == SYNTAX
    assert raw.command("BITFIELD", "k", "FOO", "u8", "0") == SYNTAX
    assert raw.command("BITFIELD", "k", "OVERFLOW", "foo", "GET", "u8", "0") == (
        b"-ERR Invalid OVERFLOW type specified\r\n"
    )
    assert raw.command("BITFIELD", "k", "OVERFLOW") == SYNTAX
    assert raw.command("BITFIELD", "k", "OVERFLOW", "sat") == b"*0\r\n"
    assert raw.command("GET", "k") == b"$-1\r\n"


def test_bitfield_ro(raw):
    raw.command("SET", "k", "\x05")
    assert raw.command("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4") == b"*2\r\n:5\r\n:5\r\n"
    assert raw.command("BITFIELD_RO", "k") == b"*0\r\n"
    ro_error = b"-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    assert raw.command("BITFIELD_RO", "k", "SET", "u8", "0", "1") == ro_error
    assert raw.command("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1", "GET", "u2", "0") == ro_error
    assert raw.command("BITFIELD_RO", "k", "SET", "u64", "0", "1") == BAD_TYPE  # arguments are checked first
    assert raw.command("BITFIELD_RO", "k", "OVERFLOW", "FAIL", "GET", "u8", "0") == b"*1\r\n:5\r\n"
    assert raw.command("GET", "k") == b"$1\r\n\x05\r\n"


def test_bitfield_resp3_null(target):
    with target.raw() as c:
        c.command("HELLO", "3")
        c.command("FLUSHALL")
        assert c.command("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "0", "9") == b"*1\r\n_\r\n"
        assert c.command("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "0", "1") == b"*1\r\n:0\r\n"
        c.command("FLUSHALL")


def test_bitmap_wrongtype(raw):
    raw.command("RPUSH", "l", "a")
    for args in (
        ("SETBIT", "l", "0", "1"),
        ("GETBIT", "l", "0"),
        ("BITCOUNT", "l"),
        ("BITCOUNT", "l", "a", "b"),
        ("BITPOS", "l", "1"),
        ("BITOP", "AND", "d", "l"),
        ("BITOP", "NOT", "d", "l"),
        ("BITFIELD", "l", "GET", "u8", "0"),
        ("BITFIELD", "l"),
        ("BITFIELD", "l", "SET", "u8", "0", "1"),
        ("BITFIELD_RO", "l", "GET", "u8", "0"),
    ):
        assert raw.command(*args) == WRONGTYPE, args
    assert raw.command("SETBIT", "l", "-1", "1") == BIT_OFFSET  # arguments before the lookup
    assert raw.command("BITPOS", "l", "2") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.command("BITFIELD", "l", "GET", "u64", "0") == BAD_TYPE
    raw.command("SET", "d", "x")
    assert raw.command("BITOP", "OR", "d", "nokey", "l") == WRONGTYPE
    assert raw.command("GET", "d") == b"$1\r\nx\r\n"


def test_bitmap_encodings(raw):
    raw.command("SET", "k", "a")
    raw.command("SETBIT", "k", "0", "0")  # nothing changes, but the value is unshared
    assert raw.command("OBJECT", "ENCODING", "k") == b"$3\r\nraw\r\n"
    raw.command("SETBIT", "new", "3", "1")
    assert raw.command("OBJECT", "ENCODING", "new") == b"$3\r\nraw\r\n"
    raw.command("SET", "a", "1")
    raw.command("BITOP", "OR", "d", "a")
    assert raw.command("OBJECT", "ENCODING", "d") == b"$3\r\nraw\r\n"
