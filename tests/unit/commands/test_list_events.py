"""Keyspace events, dirty counts and WATCH effects of the list commands (t_list.c's notifications),
checked without sockets."""

from __future__ import annotations

from typing import Any

from helpers import InProcess

from cacheserver.keyspace import notifications as ev
from cacheserver.network.client_state import ClientState


class Harness(InProcess):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[bytes, bytes]] = []
        self.ks.publish = lambda channel, message: self.events.append((channel, message)) or 1
        self.ks.notify_flags = ev.KEYEVENT | ev.ALL
        self.default = self.client()

    def run(self, *args: Any, c: ClientState | None = None) -> Any:
        return super().run(c or self.default, *args)

    def take(self) -> list[tuple[bytes, bytes]]:
        out, self.events[:] = [(ch.split(b":")[1], key) for ch, key in self.events], []
        return out


def test_push_and_pop_events() -> None:
    h = Harness()
    h.run("LPUSH", "l", "a", "b")
    assert h.take() == [(b"lpush", b"l")]
    h.run("RPUSHX", "l", "c")
    assert h.take() == [(b"rpush", b"l")]
    h.run("LPUSHX", "nokey", "c")
    assert h.take() == []
    h.run("RPOP", "l", "2")
    assert h.take() == [(b"rpop", b"l")]
    h.run("LPOP", "l")
    assert h.take() == [(b"lpop", b"l"), (b"del", b"l")]
    h.run("LPOP", "l")
    assert h.take() == []


def test_move_events_push_before_pop() -> None:
    h = Harness()
    h.run("RPUSH", "src", "1", "2")
    h.take()
    h.run("LMOVE", "src", "dst", "LEFT", "RIGHT")
    assert h.take() == [(b"rpush", b"dst"), (b"lpop", b"src")]
    h.run("RPOPLPUSH", "src", "dst")
    assert h.take() == [(b"lpush", b"dst"), (b"rpop", b"src"), (b"del", b"src")]


def test_in_place_change_events() -> None:
    h = Harness()
    h.run("RPUSH", "l", "a", "b", "a")
    h.take()
    h.run("LSET", "l", "0", "z")
    assert h.take() == [(b"lset", b"l")]
    h.run("LINSERT", "l", "BEFORE", "nope", "x")
    assert h.take() == []
    h.run("LINSERT", "l", "BEFORE", "b", "x")
    assert h.take() == [(b"linsert", b"l")]
    h.run("LREM", "l", "0", "nope")
    assert h.take() == []
    h.run("LREM", "l", "0", "a")
    assert h.take() == [(b"lrem", b"l")]
    h.run("LTRIM", "l", "0", "-1")
    assert h.take() == [(b"ltrim", b"l")]
    h.run("LTRIM", "l", "5", "1")
    assert h.take() == [(b"ltrim", b"l"), (b"del", b"l")]
    h.run("RPUSH", "l", "a")
    h.take()
    h.run("LREM", "l", "0", "a")
    assert h.take() == [(b"lrem", b"l"), (b"del", b"l")]


def test_blocking_pops_emit_pop_then_del() -> None:
    h = Harness()
    h.run("RPUSH", "l", "a", "b", "c")
    h.take()
    h.run("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2")
    assert h.take() == [(b"rpop", b"l")]
    h.run("BLPOP", "l", "0")
    assert h.take() == [(b"lpop", b"l"), (b"del", b"l")]
    waiter = ClientState(2, h.server, lambda data: None, lambda: None)
    h.run("BLPOP", "l", "0", c=waiter)
    h.run("RPUSH", "l", "v")
    assert h.take() == [(b"rpush", b"l"), (b"lpop", b"l"), (b"del", b"l")]


def test_dirty_counts_elements() -> None:
    h = Harness()
    before = h.ks.dirty
    h.run("RPUSH", "l", "a", "b", "c", "d")
    assert h.ks.dirty - before == 4
    h.run("LPOP", "l", "3")
    assert h.ks.dirty - before == 7
    h.run("LTRIM", "l", "0", "-1")
    assert h.ks.dirty - before == 7


def test_watched_keys_are_touched_by_in_place_changes() -> None:
    h = Harness()
    h.run("RPUSH", "l", "a", "b")
    watcher = ClientState(3, h.server, lambda data: None, lambda: None)
    db = h.ks.dbs[0]
    for command in (["RPUSH", "l", "c"], ["LPOP", "l"], ["LSET", "l", "0", "x"], ["LINSERT", "l", "AFTER", "x", "y"],
                    ["LREM", "l", "1", "y"], ["LTRIM", "l", "0", "5"], ["LMOVE", "l", "l", "LEFT", "RIGHT"]):
        watcher.dirty_cas = False
        db.watched[b"l"] = [watcher]
        h.run(*command)
        assert watcher.dirty_cas, command
