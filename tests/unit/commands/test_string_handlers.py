"""String and bitmap handlers called directly on a Database: WRONGTYPE, stored representations, events."""

from __future__ import annotations

import pytest

from cacheserver import errors
from cacheserver.commands import bitmaps, strings
from cacheserver.keyspace import notifications as ev
from cacheserver.network.client_state import ClientState
from cacheserver.server import Server


class Container(list):
    """Any value that is not a string (the other types' classes are not needed here)."""


@pytest.fixture
def client():
    server = Server()
    c = ClientState(1, server, lambda b: None, lambda: None)
    c.db.set(b"l", Container([b"a"]))
    return c


def call(c, handler, *args):
    return handler(c, [handler.specs[0].name.encode(), *[a if isinstance(a, bytes) else str(a).encode() for a in args]])


WRONGTYPE_CALLS = [
    (strings.get, b"l"),
    (strings.set_, b"l", b"v", b"GET"),
    (strings.set_, b"l", b"v", b"NX", b"GET"),
    (strings.getex, b"l", b"EX", b"0"),
    (strings.getdel, b"l"),
    (strings.getset, b"l", b"v"),
    (strings.append, b"l", b"v"),
    (strings.strlen, b"l"),
    (strings.incr, b"l"),
    (strings.decrby, b"l", b"1"),
    (strings.incrbyfloat, b"l", b"1"),
    (strings.getrange, b"l", b"0", b"1"),
    (strings.setrange, b"l", b"0", b""),
    (bitmaps.setbit, b"l", b"0", b"1"),
    (bitmaps.getbit, b"l", b"0"),
    (bitmaps.bitcount, b"l", b"a", b"b"),
    (bitmaps.bitpos, b"l", b"1"),
    (bitmaps.bitop, b"AND", b"d", b"nokey", b"l"),
    (bitmaps.bitfield, b"l"),
    (bitmaps.bitfield, b"l", b"SET", b"u8", b"0", b"1"),
    (bitmaps.bitfield_ro, b"l", b"GET", b"u8", b"0"),
]


@pytest.mark.parametrize("request_", WRONGTYPE_CALLS, ids=lambda v: b" ".join(v[1:]).decode())
def test_wrongtype(client, request_):
    handler, *args = request_
    with pytest.raises(errors.CommandError) as info:
        call(client, handler, *args)
    assert info.value is errors.WRONGTYPE
    assert client.db.lookup(b"l") == [b"a"]


def test_wrongtype_exceptions(client):
    # these never fail on the type: MGET answers nil, SET/MSET overwrite, the NX forms see an existing key
    assert call(client, strings.mget, b"l", b"nokey") == [None, None]
    assert call(client, strings.setnx, b"l", b"v") == 0
    assert call(client, strings.msetnx, b"l", b"v") == 0
    with pytest.raises(errors.CommandError) as info:
        call(client, strings.lcs, b"l", b"nokey")
    assert info.value.message == "The specified keys must contain string values"
    call(client, strings.set_, b"l", b"v")
    assert client.db.lookup(b"l") == b"v"


def test_representations(client):
    db = client.db
    call(client, strings.set_, b"k", b"10")
    assert db.lookup(b"k").__class__ is bytes
    call(client, strings.incr, b"k")
    assert db.lookup(b"k") == 11
    call(client, strings.append, b"k", b"5")
    assert db.lookup(b"k") == bytearray(b"115")
    call(client, strings.incrbyfloat, b"k", b"0.5")
    assert db.lookup(b"k") == b"115.5" and db.lookup(b"k").__class__ is bytes
    call(client, strings.append, b"new", b"x")
    assert db.lookup(b"new").__class__ is bytes
    call(client, strings.setrange, b"r", b"2", b"x")
    assert db.lookup(b"r") == bytearray(b"\x00\x00x")
    call(client, bitmaps.setbit, b"b", b"1", b"1")
    assert db.lookup(b"b") == bytearray(b"\x40")
    call(client, strings.mset, b"m1", b"a", b"m2", b"b")
    assert db.lookup(b"m2").__class__ is bytes


def test_replies_do_not_share_the_stored_bytearray(client):
    call(client, strings.set_, b"k", b"a")
    call(client, strings.append, b"k", b"b")
    got = call(client, strings.get, b"k")
    many = call(client, strings.mget, b"k")
    call(client, strings.append, b"k", b"c")
    assert got == b"ab" and got.__class__ is bytes
    assert many == [b"ab"]


def test_keyspace_events(client):
    ks = client.db.ks
    events: list[tuple[bytes, bytes]] = []
    ks.publish = lambda channel, message: events.append((channel, message)) or 0
    ks.notify_flags = ev.KEYEVENT | ev.ALL
    db = client.db
    call(client, strings.set_, b"k", b"1", b"EX", b"100")
    call(client, strings.incrby, b"k", b"2")
    call(client, strings.incrbyfloat, b"k", b"0.5")
    call(client, strings.append, b"k", b"x")
    call(client, strings.setrange, b"k", b"0", b"y")
    call(client, strings.getex, b"k", b"PERSIST")
    call(client, strings.getex, b"k", b"PX", b"5000")
    call(client, strings.mset, b"a", b"1", b"b", b"2")
    call(client, bitmaps.setbit, b"a", b"0", b"0")  # unshared to raw, no bit changed: no event
    call(client, bitmaps.setbit, b"a", b"0", b"1")
    call(client, bitmaps.bitfield, b"a", b"SET", b"u8", b"0", b"1")
    call(client, bitmaps.bitop, b"OR", b"d", b"a")
    call(client, bitmaps.bitop, b"OR", b"d", b"nokey")
    call(client, strings.getdel, b"a")
    call(client, strings.setex, b"e", b"10", b"v")
    call(client, strings.getex, b"e", b"EXAT", b"1")
    call(client, strings.setnx, b"n", b"1")
    call(client, strings.getset, b"n", b"2")
    call(client, strings.msetnx, b"x", b"1")
    call(client, strings.psetex, b"y", b"100", b"v")
    call(client, strings.set_, b"z", b"1", b"KEEPTTL")
    call(client, strings.decr, b"z")
    call(client, strings.set_, b"z", b"v", b"NX", b"GET")
    names = [message if channel.startswith(b"__keyevent") else None for channel, message in events]
    assert [(channel.split(b":", 1)[1], key) for channel, key in events] == [
        (b"set", b"k"),
        (b"expire", b"k"),
        (b"incrby", b"k"),
        (b"incrbyfloat", b"k"),
        (b"append", b"k"),
        (b"setrange", b"k"),
        (b"persist", b"k"),
        (b"expire", b"k"),
        (b"set", b"a"),
        (b"set", b"b"),
        (b"setbit", b"a"),
        (b"setbit", b"a"),
        (b"set", b"d"),
        (b"del", b"d"),
        (b"del", b"a"),
        (b"set", b"e"),
        (b"expire", b"e"),
        (b"del", b"e"),
        (b"set", b"n"),
        (b"set", b"n"),
        (b"set", b"x"),
        (b"set", b"y"),
        (b"expire", b"y"),
        (b"set", b"z"),
        (b"incrby", b"z"),
    ]  # the sequence redis-server 7.0.15 publishes for the same commands
    assert names == [key for _, key in events]
    assert db.lookup(b"d") is None


def test_dirty_counts(client):
    ks = client.db.ks
    start = ks.dirty
    call(client, strings.mset, b"a", b"1", b"b", b"2")
    assert ks.dirty == start + 2
    call(client, bitmaps.setbit, b"a", b"2", b"1")  # "1" is 0x31: bit 2 is already 1
    assert ks.dirty == start + 2
    call(client, bitmaps.bitfield, b"a", b"SET", b"u4", b"0", b"3", b"SET", b"u4", b"4", b"1", b"INCRBY", b"u4", b"0", b"0")
    assert ks.dirty == start + 2  # "1" is 0x31: both nibbles already hold those values
    call(client, bitmaps.bitfield, b"a", b"SET", b"u4", b"0", b"4", b"SET", b"u4", b"4", b"2")
    assert ks.dirty == start + 4
