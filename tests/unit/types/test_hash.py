"""The hash type: listpack-to-hashtable conversion rules, copies, and WATCH effects of hash commands."""

from __future__ import annotations

from helpers import InProcess

from cacheserver.types.hash import Hash


def test_conversion_is_one_way() -> None:
    h = Hash()
    h[b"a"] = b"1"
    h.note_write(b"a", b"1", max_entries=2, max_value=4)
    assert h.encoding(None) == "listpack"
    h[b"b"] = b"12345"
    h.note_write(b"b", b"12345", max_entries=2, max_value=4)
    assert h.encoding(None) == "hashtable"
    del h[b"b"]
    assert h.encoding(None) == "hashtable"


def test_entry_limit_and_field_length() -> None:
    h = Hash()
    for i in range(3):
        h[b"%d" % i] = b"v"
        h.note_write(b"%d" % i, b"v", max_entries=3, max_value=64)
    assert h.listpack
    h[b"3"] = b"v"
    h.note_write(b"3", b"v", max_entries=3, max_value=64)
    assert not h.listpack
    g = Hash()
    g[b"x" * 65] = b""
    g.note_write(b"x" * 65, b"", max_entries=3, max_value=64)
    assert not g.listpack


def test_copy_keeps_type_order_and_encoding() -> None:
    h = Hash()
    h.update({b"b": b"2", b"a": b"1"})
    h.listpack = False
    c = h.copy()
    assert type(c) is Hash and list(c) == [b"b", b"a"] and c.encoding(None) == "hashtable"
    c[b"z"] = b"9"
    assert b"z" not in h


def test_watch_sees_in_place_hash_changes() -> None:
    h = InProcess()
    client, watcher = h.client(), h.client()
    db = h.db

    def run(*args: str) -> bytes:
        return h.run(client, *args)

    run("HSET", "h", "a", "1", "n", "1")
    for command in (("HSET", "h", "b", "2"), ("HSETNX", "h", "c", "3"), ("HDEL", "h", "c"),
                    ("HINCRBY", "h", "n", "1"), ("HINCRBYFLOAT", "h", "n", "0.5")):
        watcher.dirty_cas = False
        db.watched[b"h"] = [watcher]
        run(*command)
        assert watcher.dirty_cas, command
    watcher.dirty_cas = False
    run("HDEL", "h", "missing")
    run("HSETNX", "h", "a", "x")
    assert not watcher.dirty_cas
