"""Keyspace notifications against both servers: the exact events (and their order) each command emits,
``expired`` from active expiry without any access, the class letters of ``notify-keyspace-events``,
and its CONFIG SET/GET round trip.

How events are collected without sleeping: a RESP2 subscriber listens to ``__key*__:*`` and to a
marker channel; after the commands under test ran, the marker is published, and everything that
arrived before it is the commands' events, in order.
"""

from __future__ import annotations

import time

import pytest
from helpers import RawConnection, encode_command

MARKER = b"ntf:marker"


class Events:
    """A subscriber to every keyspace and keyevent channel of the server."""

    def __init__(self, target, r) -> None:
        self.r = r
        self.conn: RawConnection = target.raw()
        self.conn.send(encode_command("PSUBSCRIBE", "__key*__:*") + encode_command("SUBSCRIBE", MARKER))
        self.conn.read_reply()
        self.conn.read_reply()

    def collect(self) -> list[tuple[bytes, bytes]]:
        """(channel, message) pairs received since the last call."""
        self.r.publish(MARKER, b"end")
        out = []
        while True:
            items = _parse_frame(self.conn.read_reply())
            if items[0] == b"message" and items[1] == MARKER:
                return out
            out.append((items[2], items[3]))

    def events(self) -> list[tuple[bytes, bytes]]:
        """(event, key) from the keyevent channels only."""
        return [(ch.split(b":", 1)[1], msg) for ch, msg in self.collect() if ch.startswith(b"__keyevent@")]

    def close(self) -> None:
        self.conn.close()


def _parse_frame(data: bytes) -> list[bytes]:
    lines = data.split(b"\r\n")
    items, i = [], 1
    while i < len(lines) - 1:
        n = int(lines[i][1:])
        items.append(lines[i + 1][:n] if n >= 0 else None)
        i += 2
    return items


@pytest.fixture
def notify(target, r):
    """Set notify-keyspace-events for one test (restored to off afterwards); yields ``(set, events)``."""
    ev = Events(target, r)

    def configure(flags: str) -> None:
        r.config_set("notify-keyspace-events", flags)

    configure("KEA")
    yield configure, ev
    r.config_set("notify-keyspace-events", "")
    ev.close()


def run(r, *commands):
    for cmd in commands:
        r.execute_command(*cmd)


@pytest.mark.parametrize(
    "setup, commands, expected",
    [
        ([], [("SET", "k", "v")], [(b"set", b"k")]),
        ([], [("SET", "k", "v", "EX", "100")], [(b"set", b"k"), (b"expire", b"k")]),
        ([], [("SET", "k", "v", "PX", "100000", "GET")], [(b"set", b"k"), (b"expire", b"k")]),
        ([("SET", "k", "v")], [("SET", "k", "w", "NX")], []),
        ([], [("SETEX", "k", "100", "v")], [(b"set", b"k"), (b"expire", b"k")]),
        ([], [("MSET", "a", "1", "b", "2")], [(b"set", b"a"), (b"set", b"b")]),
        ([("SET", "a", "1")], [("DEL", "a", "missing")], [(b"del", b"a")]),
        ([("SET", "a", "1")], [("UNLINK", "a")], [(b"del", b"a")]),
        ([("SET", "a", "1")], [("GETDEL", "a")], [(b"del", b"a")]),
        ([("SET", "k", "1")], [("EXPIRE", "k", "100"), ("PERSIST", "k")], [(b"expire", b"k"), (b"persist", b"k")]),
        ([("SET", "k", "1")], [("PEXPIRE", "k", "-1")], [(b"del", b"k")]),
        (
            [("SET", "k", "1")],
            [("GETEX", "k", "EX", "100"), ("GETEX", "k", "PERSIST")],
            [(b"expire", b"k"), (b"persist", b"k")],
        ),
        ([("SET", "a", "1")], [("RENAME", "a", "b")], [(b"rename_from", b"a"), (b"rename_to", b"b")]),
        (
            [("SET", "a", "1"), ("SET", "b", "2")],
            [("RENAME", "a", "b")],
            [(b"rename_from", b"a"), (b"rename_to", b"b")],
        ),
        ([("SET", "a", "1")], [("COPY", "a", "b")], [(b"copy_to", b"b")]),
        ([("SET", "a", "1")], [("MOVE", "a", "1")], [(b"move_from", b"a"), (b"move_to", b"a")]),
        ([], [("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"), ("DECRBY", "n", "2")], [(b"incrby", b"n")] * 4),
        ([], [("INCRBYFLOAT", "f", "1.5")], [(b"incrbyfloat", b"f")]),
        ([], [("APPEND", "s", "ab"), ("SETRANGE", "s", "1", "x")], [(b"append", b"s"), (b"setrange", b"s")]),
        ([], [("SETBIT", "bits", "3", "1")], [(b"setbit", b"bits")]),
        ([], [("PFADD", "h", "a")], [(b"pfadd", b"h")]),
        ([], [("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c")], [(b"lpush", b"l"), (b"rpush", b"l")]),
        (
            [("RPUSH", "l", "a", "b")],
            [("LPOP", "l"), ("RPOP", "l")],
            [(b"lpop", b"l"), (b"rpop", b"l"), (b"del", b"l")],
        ),
        ([("RPUSH", "l", "a", "b", "c")], [("LTRIM", "l", "5", "10")], [(b"ltrim", b"l"), (b"del", b"l")]),
        (
            [("RPUSH", "l", "a")],
            [("LSET", "l", "0", "b"), ("LINSERT", "l", "BEFORE", "b", "c")],
            [(b"lset", b"l"), (b"linsert", b"l")],
        ),
        (
            [("RPUSH", "l", "a")],
            [("LMOVE", "l", "m", "LEFT", "RIGHT")],
            [(b"rpush", b"m"), (b"lpop", b"l"), (b"del", b"l")],
        ),
        ([("RPUSH", "l", "a")], [("BLPOP", "l", "0")], [(b"lpop", b"l"), (b"del", b"l")]),
        ([], [("HSET", "h", "f", "v"), ("HDEL", "h", "f")], [(b"hset", b"h"), (b"hdel", b"h"), (b"del", b"h")]),
        ([], [("HINCRBY", "h", "f", "2")], [(b"hincrby", b"h")]),
        ([], [("SADD", "s", "a"), ("SREM", "s", "a")], [(b"sadd", b"s"), (b"srem", b"s"), (b"del", b"s")]),
        ([("SADD", "s", "a")], [("SPOP", "s")], [(b"spop", b"s"), (b"del", b"s")]),
        (
            [],
            [("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "2", "a"), ("ZREM", "z", "a")],
            [(b"zadd", b"z"), (b"zincr", b"z"), (b"zrem", b"z"), (b"del", b"z")],
        ),
        ([("SET", "a", "1")], [("FLUSHALL",)], []),
    ],
    ids=lambda v: (
        " ".join(c[0] for c in v)
        if isinstance(v, list) and v and isinstance(v[0], tuple) and isinstance(v[0][0], str)
        else None
    ),
)
def test_command_events(r, notify, setup, commands, expected):
    configure, ev = notify
    configure("")
    run(r, *setup)
    configure("KEA")
    run(r, *commands)
    assert ev.events() == expected


def test_keyspace_and_keyevent_channels(r, notify):
    _, ev = notify
    r.set("k", "v")
    assert ev.collect() == [(b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k")]


def test_events_name_the_database(target, notify):
    configure, ev = notify
    other = target.client(db=5)
    other.set("k5", "v")
    assert ev.collect() == [(b"__keyspace@5__:k5", b"set"), (b"__keyevent@5__:set", b"k5")]
    other.delete("k5")
    other.close()


def test_active_expiry_emits_expired_without_access(target, r, notify):
    """A key with a 100 ms TTL that nobody touches: the server's own expiry cycle deletes it and emits
    ``expired`` within two seconds."""
    configure, _ = notify
    configure("Ex")
    with target.raw() as sub:
        assert sub.command("SUBSCRIBE", "__keyevent@0__:expired") == (
            b"*3\r\n$9\r\nsubscribe\r\n$22\r\n__keyevent@0__:expired\r\n:1\r\n"
        )
        r.set("short", "v", px=100)
        sub.sock.settimeout(2.0)
        assert sub.read_reply() == b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$5\r\nshort\r\n"


def test_lazy_expiry_emits_expired(r, notify):
    configure, ev = notify
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("lazy", "v", px=1)
        configure("Eg")  # 'x' is not enabled yet: the expiry below must come from the GET
        ev.collect()
        configure("Ex")
        time.sleep(0.01)
        assert r.get("lazy") is None
        assert ev.events() == [(b"expired", b"lazy")]
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("K$", [(b"__keyspace@0__:k", b"set")]),
        ("E$", [(b"__keyevent@0__:set", b"k")]),
        ("Eg", [(b"__keyevent@0__:del", b"k")]),
        ("E", []),
        ("$", []),
        ("KEl", []),
        (
            "KEA",
            [
                (b"__keyspace@0__:k", b"set"),
                (b"__keyevent@0__:set", b"k"),
                (b"__keyspace@0__:k", b"del"),
                (b"__keyevent@0__:del", b"k"),
            ],
        ),
        ("Em", [(b"__keyevent@0__:keymiss", b"k")]),
        ("En", [(b"__keyevent@0__:new", b"k")]),
        ("EA", [(b"__keyevent@0__:set", b"k"), (b"__keyevent@0__:del", b"k")]),
    ],
)
def test_class_letters(r, notify, flags, expected):
    """SET, DEL, then GET of the missing key: which of their events each class set lets through
    ('m' and 'n' are not part of 'A')."""
    configure, ev = notify
    configure(flags)
    r.set("k", "v")
    r.delete("k")
    r.get("k")
    assert ev.collect() == expected


@pytest.mark.parametrize(
    "value, shown",
    [
        ("KEA", "AKE"),
        ("Elg", "glE"),
        ("$lshzxetmdn", "$lshzxetdnm"),
        ("gE$", "g$E"),
        ("KA", "AK"),
        ("Km", "Km"),
        ("En", "nE"),
        ("Ag$", "A"),
        ("An", "A"),
        ("Anm", "Am"),
        ("KEn", "nKE"),
        ("", ""),
    ],
)
def test_config_round_trip(r, value, shown):
    try:
        assert r.config_set("notify-keyspace-events", value) is True
        assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": shown}
    finally:
        r.config_set("notify-keyspace-events", "")


def test_config_rejects_unknown_class(raw):
    assert raw.command("CONFIG", "SET", "notify-keyspace-events", "KEQ") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
        b"Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n"
    )


def test_disabled_by_default_publishes_nothing(r, notify):
    configure, ev = notify
    configure("")
    r.set("k", "v")
    r.delete("k")
    assert ev.collect() == []


def test_resp3_subscriber_sees_its_own_events_before_the_reply(target, r):
    r.config_set("notify-keyspace-events", "E$")
    try:
        with target.raw() as c:
            assert c.command("HELLO", "3").startswith(b"%7\r\n")
            c.send(encode_command("PSUBSCRIBE", "__keyevent@0__:*") + encode_command("SET", "own", "v"))
            assert c.read_reply() == b">3\r\n$10\r\npsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:1\r\n"
            assert c.read_reply() == (
                b">4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$3\r\nown\r\n"
            )
            assert c.read_reply() == b"+OK\r\n"
    finally:
        r.config_set("notify-keyspace-events", "")
