"""Keyspace events, dirty counts and WATCH effects of the generic commands, checked without sockets
(pub/sub delivery is not needed to see what the keyspace emits)."""

from __future__ import annotations

from typing import Any

from cacheserver.clock import ManualClock
from cacheserver.keyspace import notifications as ev
from cacheserver.network.client_state import ClientState
from cacheserver.server import Server


class Harness:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.server = Server(clock=self.clock)
        self.ks = self.server.keyspace
        self.events: list[tuple[bytes, bytes]] = []
        self.ks.publish = lambda channel, message: self.events.append((channel, message)) or 1
        self.ks.notify_flags = ev.KEYEVENT | ev.ALL
        self.client = ClientState(1, self.server, lambda data: None, lambda: None)

    def run(self, *args: Any) -> Any:
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        spec = self.server.table.lookup(argv[0])
        assert spec is not None
        return spec.handler(self.client, argv)

    def take(self) -> list[tuple[bytes, bytes]]:
        out, self.events[:] = list(self.events), []
        return out


def test_events() -> None:
    h = Harness()
    h.run("SET", "a", "1")
    h.take()
    assert h.run("EXPIRE", "a", 100) == 1
    assert h.take() == [(b"__keyevent@0__:expire", b"a")]
    assert h.run("PERSIST", "a") == 1
    assert h.take() == [(b"__keyevent@0__:persist", b"a")]
    h.run("RENAME", "a", "b")
    assert h.take() == [(b"__keyevent@0__:rename_from", b"a"), (b"__keyevent@0__:rename_to", b"b")]
    h.run("COPY", "b", "c", "DB", 2)
    assert h.take() == [(b"__keyevent@2__:copy_to", b"c")]
    h.run("MOVE", "b", 3)
    assert h.take() == [(b"__keyevent@0__:move_from", b"b"), (b"__keyevent@3__:move_to", b"b")]
    h.run("SET", "d", "1")
    h.take()
    assert h.run("PEXPIREAT", "d", 1) == 1  # a past deadline deletes: reported as del, not expired
    assert h.take() == [(b"__keyevent@0__:del", b"d")]
    h.run("SET", "e", "1")
    h.run("SET", "f", "1")
    h.take()
    assert h.run("DEL", "e", "f", "nokey") == 2
    assert h.take() == [(b"__keyevent@0__:del", b"e"), (b"__keyevent@0__:del", b"f")]


def test_lazy_expiry_through_commands_emits_expired() -> None:
    h = Harness()
    h.run("SET", "a", "1", "PX", 50)
    h.take()
    h.clock.advance(50)
    assert h.run("TTL", "a") == -2
    assert h.take() == [(b"__keyevent@0__:expired", b"a")]


def test_keymiss_and_hits() -> None:
    h = Harness()
    h.ks.notify_flags |= ev.KEY_MISS
    h.run("EXISTS", "x")
    assert h.take() == [(b"__keyevent@0__:keymiss", b"x")]
    h.run("OBJECT", "ENCODING", "x")  # OBJECT never reports keymiss
    assert h.take() == []
    h.run("SET", "y", "1")
    hits = h.ks.hits
    h.run("TYPE", "y")
    assert h.ks.hits == hits + 1


def test_dirty_counts() -> None:
    h = Harness()
    h.run("SET", "a", "1")
    h.run("SET", "b", "1")
    before = h.ks.dirty
    h.run("DEL", "a", "b", "c")
    assert h.ks.dirty == before + 2
    h.run("EXPIRE", "nokey", 10)
    assert h.ks.dirty == before + 2


def test_object_does_not_touch_and_touch_does() -> None:
    h = Harness()
    h.run("SET", "a", "1")
    h.clock.advance(5000)
    assert h.run("OBJECT", "IDLETIME", "a") == 5
    h.run("TTL", "a")
    h.run("EXISTS", "a")
    assert h.run("OBJECT", "IDLETIME", "a") == 5
    h.run("TOUCH", "a")
    assert h.run("OBJECT", "IDLETIME", "a") == 0


def test_rename_counts_as_an_access() -> None:
    h = Harness()
    h.run("SET", "a", "1")
    h.clock.advance(3000)
    h.run("RENAME", "a", "b")  # RENAME looks the key up for writing (a touch), like Redis
    h.clock.advance(2000)
    assert h.run("OBJECT", "IDLETIME", "b") == 2


def test_watch_sees_expire_and_delete() -> None:
    h = Harness()
    h.run("SET", "a", "1")
    h.client.dirty_cas = False
    h.server.keyspace.dbs[0].watched[b"a"] = [h.client]
    h.run("EXPIRE", "a", 100)
    assert h.client.dirty_cas
    h.client.dirty_cas = False
    h.run("PERSIST", "a")
    assert h.client.dirty_cas
    h.client.dirty_cas = False
    h.run("DEL", "a")
    assert h.client.dirty_cas
