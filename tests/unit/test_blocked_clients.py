"""blocking.py's bookkeeping without sockets: waiter queues, ready keys, serving order, deferral inside
transactions, cleanup on answer, disconnect and CLIENT UNBLOCK, and the cost-free path when nobody waits.

(Named apart from tests/integration/test_blocking.py: pytest's default import mode needs unique names.)
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import InProcess

from cacheserver.blocking import parse_timeout
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.protocol.replies import NO_REPLY, NULL_ARRAY
from cacheserver.types.list import List


class Harness(InProcess):
    """Clients are registered with the server (so blocking can find them) and keep what is pushed."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[int, list[bytes]] = {}

    def client(self) -> ClientState:
        sent: list[bytes] = []
        c = super().client(sent.append)
        self.sent[c.id] = sent
        self.server.clients[c.id] = c
        return c


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_nothing_is_queued_when_nobody_waits(h: Harness) -> None:
    c = h.client()
    h.run(c, "RPUSH", "q", "a")
    assert h.ks.ready_keys == {}
    assert h.db.blocking_keys == {}
    assert h.server.after_command is None


def test_block_records_the_waiter_and_serving_cleans_up(h: Harness) -> None:
    waiter, pusher = h.client(), h.client()
    assert h.run(waiter, "BLPOP", "a", "b", "a", "0") == b""
    w = waiter.blocked
    assert w is not None and w.keys == [b"a", b"b"]
    assert list(h.db.blocking_keys) == [b"a", b"b"]
    assert h.server.blocking.blocked_clients == 1
    assert h.server.after_command is not None
    h.run(pusher, "RPUSH", "b", "x")
    assert h.sent[waiter.id] == [b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n"]
    assert waiter.blocked is None
    assert h.db.blocking_keys == {}
    assert h.ks.ready_keys == {}
    assert h.server.blocking.blocked_clients == 0
    assert h.server.after_command is None
    assert h.db.peek(b"b") is None


def test_first_come_first_served_and_only_as_many_as_elements(h: Harness) -> None:
    first, second, third, pusher = h.client(), h.client(), h.client(), h.client()
    for c in (first, second, third):
        h.run(c, "BRPOP", "q", "0")
    h.run(pusher, "LPUSH", "q", "x", "y")
    assert h.sent[first.id] == [b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"]
    assert h.sent[second.id] == [b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n"]
    assert h.sent[third.id] == []
    assert list(h.db.blocking_keys[b"q"]) == [third.blocked]


def test_waiter_keeps_its_place_when_the_key_cannot_serve_it(h: Harness) -> None:
    zset_like, lister, pusher = h.client(), h.client(), h.client()
    db = h.db
    calls: list[bytes] = []

    def never(c: Any, key: bytes) -> Any:
        calls.append(key)
        return None

    assert h.server.blocking.block(zset_like, db, [b"q"], 0, never) is NO_REPLY
    h.run(lister, "BLPOP", "q", "0")
    h.run(pusher, "RPUSH", "q", "v")
    assert calls == [b"q"]
    assert h.sent[lister.id] == [b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"]
    assert list(db.blocking_keys[b"q"]) == [zset_like.blocked]


def test_blmove_chain_is_served_in_one_pass(h: Harness) -> None:
    mover, popper, pusher = h.client(), h.client(), h.client()
    h.run(mover, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    h.run(popper, "BLPOP", "dst", "0")
    h.run(pusher, "RPUSH", "src", "v")
    assert h.sent[mover.id] == [b"$1\r\nv\r\n"]
    assert h.sent[popper.id] == [b"*2\r\n$3\r\ndst\r\n$1\r\nv\r\n"]
    assert h.ks.ready_keys == {}


def test_no_blocking_inside_multi_or_atomic(h: Harness) -> None:
    c = h.client()
    blocking = h.server.blocking
    c.multi = []
    assert blocking.may_block(c) is False
    assert blocking.block(c, h.db, [b"q"], 0, lambda c, k: None) is NULL_ARRAY
    c.multi = None
    with blocking.atomic():
        assert blocking.may_block(c) is False
        assert h.server.table.lookup(b"blpop").handler(c, [b"BLPOP", b"q", b"0"]) is NULL_ARRAY
        assert h.server.table.lookup(b"blmove").handler(c, [b"BLMOVE", b"q", b"d", b"LEFT", b"LEFT", b"0"]) is None
    assert c.blocked is None and h.db.blocking_keys == {}


def test_serving_waits_until_the_transaction_ends(h: Harness) -> None:
    waiter, writer = h.client(), h.client()
    h.run(waiter, "BLPOP", "q", "0")
    blocking = h.server.blocking
    lpush = h.server.table.lookup(b"lpush").handler
    with blocking.atomic():
        lpush(writer, [b"LPUSH", b"q", b"a"])
        h.server.after_command(writer)  # a nested command's hook: must not serve yet
        assert h.sent[waiter.id] == []
        lpush(writer, [b"LPUSH", b"q", b"b"])
    h.server.after_command(writer)  # what the dispatcher does after EXEC itself
    assert h.sent[waiter.id] == [b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"]


def test_disconnect_forgets_the_waiter(h: Harness) -> None:
    waiter, pusher = h.client(), h.client()
    h.run(waiter, "BLPOP", "q", "0")
    h.server.client_disconnected(waiter)
    assert h.db.blocking_keys == {} and h.server.blocking.blocked_clients == 0
    h.run(pusher, "RPUSH", "q", "v")
    assert h.sent[waiter.id] == []
    assert list(h.db.peek(b"q")) == [b"v"]


def test_unblock_with_timeout_or_error(h: Harness) -> None:
    a, b = h.client(), h.client()
    blocking = h.server.blocking
    h.run(a, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    h.run(b, "BLPOP", "q", "0")
    assert blocking.unblock(a.id, error=False) is True
    assert blocking.unblock(b.id, error=True) is True
    assert blocking.unblock(b.id, error=True) is False
    assert h.sent[a.id] == [b"*-1\r\n"]
    assert h.sent[b.id] == [b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"]
    assert h.server.stats.error_counts.get("UNBLOCKED") == 1


def test_later_requests_are_held_while_blocked(h: Harness) -> None:
    c = h.client()
    out = bytearray()
    reqs = [[b"BLPOP", b"q", b"0"], [b"PING"]]
    assert h.server.dispatcher.run(c, reqs, out) == 1
    assert c.pending == [[b"PING"]]
    assert bytes(out) == b""


def test_swapdb_makes_waited_keys_ready(h: Harness) -> None:
    waiter, other = h.client(), h.client()
    h.run(waiter, "BLPOP", "q", "0")
    h.ks.dbs[1].set(b"q", List([b"v"]))
    h.ks.dbs[0].swap_contents(h.ks.dbs[1])
    h.server.after_command(other)
    assert h.sent[waiter.id] == [b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"]


@pytest.mark.parametrize(
    "arg, ms",
    [(b"0", 0), (b"2", 2000), (b"1.5", 1500), (b"0.0001", 1), (b"-0.0001", 0), (b"1e-3", 1), (b"0x10", 16000)],
)
def test_parse_timeout(arg: bytes, ms: int) -> None:
    assert parse_timeout(arg) == ms


@pytest.mark.parametrize(
    "arg, message",
    [
        (b"abc", "timeout is not a float or out of range"),
        (b"nan", "timeout is not a float or out of range"),
        (b" 1", "timeout is not a float or out of range"),
        (b"-1", "timeout is negative"),
        (b"inf", "timeout is negative"),
        (b"1e20", "timeout is negative"),
    ],
)
def test_parse_timeout_errors(arg: bytes, message: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_timeout(arg)
    assert info.value.message == message
