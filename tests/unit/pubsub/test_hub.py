"""The pub/sub hub without sockets: registry bookkeeping, frames, fan-out scope (nothing is done for
unrelated subscribers), patterns compiled once, and the pubsub output-buffer limits on fake transports
with a manual clock."""

from __future__ import annotations

import logging

import pytest

from cacheserver.clock import ManualClock
from cacheserver.keyspace.database import Keyspace
from cacheserver.pubsub import hub as hub_module
from cacheserver.pubsub.hub import Hub


class FakeTransport:
    def __init__(self) -> None:
        self.pending = 0
        self.closing = False
        self.aborted = 0

    def get_write_buffer_size(self) -> int:
        return self.pending

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.aborted += 1
        self.closing = True


class FakeConnection:
    def __init__(self) -> None:
        self.transport = FakeTransport()


class FakeClient:
    def __init__(self, client_id: int, resp: int = 2) -> None:
        self.id = client_id
        self.addr = f"127.0.0.1:{1000 + client_id}"
        self.resp = resp
        self.channels: set[bytes] = set()
        self.patterns: dict = {}
        self.shard_channels: set[bytes] = set()
        self.sent: list[bytes] = []
        self.gate_updates = 0

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def update_gate(self) -> None:
        self.gate_updates += 1


class FakeConfig:
    def __init__(self, limits: tuple[int, int, int]) -> None:
        self.limits = limits
        self.watchers: dict = {}

    def watch(self, name, callback) -> None:
        self.watchers[name] = callback
        callback({"normal": (0, 0, 0), "pubsub": self.limits})

    def set_limits(self, limits: tuple[int, int, int]) -> None:
        self.watchers["client-output-buffer-limit"]({"pubsub": limits})


class FakeServer:
    def __init__(self, limits: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.clock = ManualClock()
        self.keyspace = Keyspace(self.clock, 16)
        self.config = FakeConfig(limits)
        self.disconnect_hooks: list = []
        self.reset_hooks: list = []
        self.cron_hooks: list = []
        self.connections: dict[int, FakeConnection] = {}

    def connection_of(self, c):
        return self.connections.get(c.id)

    def client(self, client_id: int, resp: int = 2) -> FakeClient:
        self.connections[client_id] = FakeConnection()
        return FakeClient(client_id, resp)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def test_subscribe_bookkeeping(server):
    hub = Hub(server)
    a, b = server.client(1), server.client(2)
    assert hub.subscribe(a, b"ch") is True
    assert hub.subscribe(a, b"ch") is False
    assert hub.subscribe(b, b"ch") is True
    assert hub.psubscribe(a, b"c*") is True
    assert hub.ssubscribe(b, b"sh") is True
    assert (hub.channel_count(), hub.pattern_count(), hub.shard_channel_count()) == (1, 1, 1)
    assert a.channels == {b"ch"} and set(a.patterns) == {b"c*"} and b.shard_channels == {b"sh"}
    assert hub.unsubscribe(a, b"ch") is True
    assert hub.unsubscribe(a, b"ch") is False
    assert list(hub.channels[b"ch"]) == [b]
    assert hub.unsubscribe(b, b"ch") is True
    assert b"ch" not in hub.channels  # the entry goes with its last subscriber
    assert hub.punsubscribe(a, b"c*") is True and hub.patterns == {}
    assert hub.sunsubscribe(b, b"sh") is True and hub.shard_channels == {}


def test_frames_per_protocol(server):
    hub = Hub(server)
    two, three = server.client(1, resp=2), server.client(2, resp=3)
    for c in (two, three):
        hub.subscribe(c, b"news")
        hub.psubscribe(c, b"n*")
        hub.ssubscribe(c, b"news")
    assert hub.publish(b"news", b"hi") == 4
    assert two.sent == [
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
        b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
    ]
    assert three.sent == [
        b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
        b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
    ]
    two.sent.clear()
    assert hub.spublish(b"news", b"s") == 2
    assert two.sent == [b"*3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$1\r\ns\r\n"]
    assert hub.spublish(b"nobody", b"s") == 0
    assert hub.publish(b"zzz", b"x") == 0


def test_fan_out_touches_only_the_channel_subscribers(server):
    hub = Hub(server)
    unrelated = [server.client(i) for i in range(100)]
    for i, c in enumerate(unrelated):
        hub.subscribe(c, b"other:%d" % i)
    target = server.client(1000)
    hub.subscribe(target, b"ch")
    assert hub.publish(b"ch", b"m") == 1
    assert all(c.sent == [] for c in unrelated)
    assert len(target.sent) == 1


def test_patterns_compiled_once_and_matched_once_per_publish(server, monkeypatch):
    compiled: list[bytes] = []
    calls: list[bytes] = []
    real = hub_module.compile_glob

    def counting_compile(pattern: bytes):
        compiled.append(pattern)
        match = real(pattern)

        def counting_match(s: bytes) -> bool:
            calls.append(s)
            return match(s)

        return counting_match

    monkeypatch.setattr(hub_module, "compile_glob", counting_compile)
    hub = Hub(server)
    subscribers = [server.client(i) for i in range(10)]
    for c in subscribers:
        hub.psubscribe(c, b"news.*")
    assert compiled == [b"news.*"]
    assert hub.publish(b"news.tech", b"m") == 10
    assert calls == [b"news.tech"]  # one match for the pattern, not one per subscriber


def test_unsubscribe_all_on_disconnect_and_reset(server):
    hub = Hub(server)
    c = server.client(1)
    hub.subscribe(c, b"a")
    hub.psubscribe(c, b"a*")
    hub.ssubscribe(c, b"s")
    assert hub.unsubscribe_all in server.disconnect_hooks and hub.unsubscribe_all in server.reset_hooks
    hub.unsubscribe_all(c)
    assert (c.channels, c.patterns, c.shard_channels) == (set(), {}, set())
    assert (hub.channels, hub.patterns, hub.shard_channels) == ({}, {}, {})
    assert c.gate_updates == 1


def test_keyspace_events_go_through_the_hub(server):
    hub = Hub(server)
    c = server.client(1)
    hub.subscribe(c, b"__keyevent@0__:set")
    server.keyspace.notify_flags = 0b1111111111  # K E and the classes
    server.keyspace.emit(1 << 3, b"set", b"k", 0)
    assert c.sent == [b"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"]


# -- output limits ---------------------------------------------------------------------------------------


def test_hard_limit_aborts_at_once_and_logs(caplog):
    server = FakeServer(limits=(1000, 0, 0))
    hub = Hub(server)
    slow, good = server.client(1), server.client(2)
    hub.subscribe(slow, b"ch")
    hub.subscribe(good, b"ch")
    slow_transport = server.connections[1].transport
    slow_transport.pending = 999
    with caplog.at_level(logging.WARNING, logger="cacheserver"):
        hub.publish(b"ch", b"m")
        assert slow_transport.aborted == 0
        slow_transport.pending = 1000
        hub.publish(b"ch", b"m")
    assert slow_transport.aborted == 1
    assert server.connections[2].transport.aborted == 0
    assert len(good.sent) == 2
    assert caplog.messages == [
        "Client id=1 addr=127.0.0.1:1001 scheduled to be closed ASAP for overcoming of output buffer limits."
    ]


def test_soft_limit_needs_to_last_longer_than_the_soft_seconds():
    server = FakeServer(limits=(0, 500, 2))
    hub = Hub(server)
    c = server.client(1)
    hub.subscribe(c, b"ch")
    transport = server.connections[1].transport
    transport.pending = 600
    hub.publish(b"ch", b"m")
    server.clock.advance(2000)
    hub.publish(b"ch", b"m")
    assert transport.aborted == 0  # exactly the soft seconds: not yet
    transport.pending = 100  # drained below the soft limit: the timer restarts
    hub.publish(b"ch", b"m")
    transport.pending = 600
    server.clock.advance(1500)
    hub.publish(b"ch", b"m")  # above again from here
    server.clock.advance(2000)
    hub.publish(b"ch", b"m")
    assert transport.aborted == 0
    server.clock.advance(1)
    hub.publish(b"ch", b"m")
    assert transport.aborted == 1


def test_soft_limit_enforced_by_cron_without_new_messages():
    server = FakeServer(limits=(0, 500, 1))
    hub = Hub(server)
    c = server.client(1)
    hub.subscribe(c, b"ch")
    transport = server.connections[1].transport
    transport.pending = 501
    hub.publish(b"ch", b"m")
    assert hub.check_soft_limits in server.cron_hooks
    hub.check_soft_limits()
    assert transport.aborted == 0
    server.clock.advance(1001)
    hub.check_soft_limits()
    assert transport.aborted == 1
    assert hub.soft_since == {}


def test_no_limits_never_disconnect_and_limits_follow_config(server):
    hub = Hub(server)
    c = server.client(1)
    hub.subscribe(c, b"ch")
    transport = server.connections[1].transport
    transport.pending = 1 << 40
    hub.publish(b"ch", b"m")
    assert transport.aborted == 0
    server.config.set_limits((1 << 20, 0, 0))
    hub.publish(b"ch", b"m")
    assert transport.aborted == 1
