"""Transaction and WATCH bookkeeping without sockets: who is registered where, what EXEC, DISCARD,
UNWATCH, RESET and disconnection leave behind, the expired-at-WATCH flag under a manual clock, and
the client state EXEC restores."""

from __future__ import annotations

from typing import Any

from helpers import InProcess

Harness = InProcess


def test_watch_registers_each_key_once_and_unwatch_forgets() -> None:
    h = Harness()
    c = h.client()
    assert h.run(c, "WATCH", "a", "b", "a") == b"+OK\r\n"
    assert h.run(c, "WATCH", "a") == b"+OK\r\n"
    assert h.db.watched == {b"a": [c], b"b": [c]}
    assert c.watched == {(h.db, b"a"): False, (h.db, b"b"): False}
    h.run(c, "UNWATCH")
    assert h.db.watched == {}
    assert c.watched == {}


def test_watchers_of_one_key_are_removed_one_by_one() -> None:
    h = Harness()
    c1, c2 = h.client(), h.client()
    h.run(c1, "WATCH", "k")
    h.run(c2, "WATCH", "k")
    assert h.db.watched[b"k"] == [c1, c2]
    h.run(c1, "MULTI")
    h.run(c1, "EXEC")
    assert h.db.watched[b"k"] == [c2]
    h.run(c2, "MULTI")
    h.run(c2, "DISCARD")
    assert h.db.watched == {}


def test_disconnect_and_reset_drop_watches_and_transaction() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "WATCH", "k")
    h.server.client_disconnected(c)
    assert h.db.watched == {} and c.watched == {}
    c2 = h.client()
    h.run(c2, "WATCH", "k")
    h.run(h.client(), "SET", "k", "v")
    h.run(c2, "MULTI")
    assert c2.dirty_cas and c2.gated
    assert h.run(c2, "RESET") == b"+RESET\r\n"
    assert c2.multi is None and not c2.dirty_cas and not c2.multi_error
    assert h.db.watched == {} and c2.watched == {}
    assert not c2.gated


def test_watch_in_several_databases() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "WATCH", "k")
    h.run(c, "SELECT", "5")
    h.run(c, "WATCH", "k")
    db5 = h.server.keyspace.dbs[5]
    assert h.db.watched == {b"k": [c]} and db5.watched == {b"k": [c]}
    h.run(c, "UNWATCH")
    assert h.db.watched == {} and db5.watched == {}


def test_gate_follows_multi() -> None:
    h = Harness()
    c = h.client()
    assert not c.gated
    h.run(c, "MULTI")
    assert c.gated and c.multi == []
    h.run(c, "SET", "a", "1")
    assert [argv for _, argv in c.multi] == [[b"SET", b"a", b"1"]]
    h.run(c, "EXEC")
    assert c.multi is None and not c.gated


def test_doomed_transaction_queues_nothing() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "MULTI")
    h.run(c, "SET", "a", "1")
    assert h.run(c, "NOSUCH").startswith(b"-ERR unknown command")
    assert c.multi_error
    assert h.run(c, "SET", "b", "1") == b"+QUEUED\r\n"
    assert len(c.multi) == 1
    assert h.run(c, "EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert c.multi is None and not c.multi_error


def test_dirty_transaction_queues_nothing() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "WATCH", "k")
    h.run(c, "MULTI")
    h.run(h.client(), "SET", "k", "v")
    assert h.run(c, "SET", "b", "1") == b"+QUEUED\r\n"
    assert c.multi == []
    assert h.run(c, "EXEC") == b"*-1\r\n"


def test_key_expired_at_watch_time_is_flagged() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "SET", "k", "v", "PX", "100")
    h.clock.advance(200)
    h.run(c, "WATCH", "k")
    assert c.watched == {(h.db, b"k"): True}
    h.server.keyspace.active_expire_cycle(1.0)  # reclaiming it is no change
    assert b"k" not in h.db.data
    assert c.watched == {(h.db, b"k"): False} and not c.dirty_cas
    h.run(h.client(), "SET", "k", "again")  # but the key appearing again is
    assert c.dirty_cas


def test_key_expiring_after_watch_dirties_at_exec_only() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "SET", "k", "v", "PX", "100")
    h.run(c, "WATCH", "k")
    h.clock.advance(200)
    assert not c.dirty_cas  # nothing removed it yet
    h.run(c, "MULTI")
    h.run(c, "PING")
    assert h.run(c, "EXEC") == b"*-1\r\n"


def test_touch_all_watched_on_flush() -> None:
    h = Harness()
    live, missing, expired = h.client(), h.client(), h.client()
    h.run(live, "SET", "live", "v")
    h.run(expired, "SET", "gone", "v", "PX", "10")
    h.clock.advance(20)
    h.run(live, "WATCH", "live")
    h.run(missing, "WATCH", "missing")
    h.run(expired, "WATCH", "gone")
    h.run(h.client(), "FLUSHDB")
    assert live.dirty_cas
    assert not missing.dirty_cas
    assert not expired.dirty_cas and expired.watched == {(h.db, b"gone"): False}


def test_touch_all_watched_on_swapdb() -> None:
    h = Harness()
    other_db = h.server.keyspace.dbs[1]
    w = h.client()
    h.run(w, "WATCH", "k")
    writer = h.client()
    h.run(writer, "SELECT", "1")
    h.run(writer, "SET", "k", "v", "PX", "10")
    h.clock.advance(20)
    h.run(writer, "SWAPDB", "0", "1")  # a missing key replaced by an expired one: flagged, not dirty
    assert not w.dirty_cas and w.watched == {(h.db, b"k"): True}
    assert b"k" in h.db.data and b"k" not in other_db.data


def test_exec_restores_send_and_serves_the_queue_atomically() -> None:
    h = Harness()
    c = h.client()
    send = c.send
    h.run(c, "MULTI")
    h.run(c, "BLPOP", "nolist", "0")
    h.run(c, "RPUSH", "l", "x")
    assert h.run(c, "EXEC") == b"*2\r\n*-1\r\n:1\r\n"
    assert c.send is send
    assert h.server.blocking.depth == 0
    assert c.blocked is None


def test_internal_error_inside_exec_is_answered_in_place() -> None:
    h = Harness()
    c = h.client()
    spec = h.server.table.lookup(b"ping")
    original = spec.handler

    def broken(client: Any, argv: list[bytes]) -> Any:
        raise RuntimeError("boom")

    spec.handler = broken
    try:
        h.run(c, "MULTI")
        h.run(c, "PING")
        h.run(c, "SET", "a", "1")
        assert h.run(c, "EXEC") == b"*2\r\n-ERR internal error\r\n+OK\r\n"
    finally:
        spec.handler = original
    assert c.multi is None and not c.gated


def test_exec_reply_is_encoded_in_the_protocol_of_the_moment() -> None:
    h = Harness()
    c = h.client()
    h.run(c, "MULTI")
    h.run(c, "GET", "missing")
    h.run(c, "HELLO", "3")
    h.run(c, "GET", "missing")
    reply = h.run(c, "EXEC")
    assert reply.startswith(b"*3\r\n$-1\r\n%")  # HELLO's own map is already RESP3
    assert reply.endswith(b"_\r\n")
