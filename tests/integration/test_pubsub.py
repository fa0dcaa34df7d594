"""Pub/sub against both servers: confirmation and message frames byte for byte (RESP2 arrays, RESP3
pushes), the RESP2 subscribed context, PUBSUB introspection, RESET and disconnect cleanup, redis-py's
PubSub (sync, threaded, asyncio; RESP2 and RESP3), redis-cli SUBSCRIBE, and a stalled subscriber cut
off by ``client-output-buffer-limit pubsub`` while the others keep receiving.

The servers are shared by the whole session: each test uses its own channel names, and PUBSUB
CHANNELS is always asked with a pattern that only this test's channels match.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time

import pytest
import redis.asyncio as aioredis
from helpers import RawConnection, encode_command, require_binary

GATE_ERROR = (
    b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
    b"in this context\r\n"
)


def pipeline(conn: RawConnection, *commands: list, replies: int | None = None) -> bytes:
    """Send ``commands`` in one write and return the concatenated bytes of ``replies`` replies."""
    conn.send(b"".join(encode_command(*cmd) for cmd in commands))
    n = len(commands) if replies is None else replies
    return b"".join(conn.read_reply() for _ in range(n))


def frame(kind: bytes, *items: bytes | int | None, resp: int = 2) -> bytes:
    """A pub/sub frame as Redis writes it."""
    out = [b"%s%d\r\n" % (b"*" if resp == 2 else b">", len(items) + 1), b"$%d\r\n%s\r\n" % (len(kind), kind)]
    for item in items:
        if item is None:
            out.append(b"$-1\r\n" if resp == 2 else b"_\r\n")
        elif isinstance(item, int):
            out.append(b":%d\r\n" % item)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(item), item))
    return b"".join(out)


def hello3(conn: RawConnection) -> None:
    assert conn.command("HELLO", "3").startswith(b"%7\r\n")


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# -- confirmations -------------------------------------------------------------------------------------


def test_subscribe_confirmations_resp2(target):
    with target.raw() as c:
        got = pipeline(
            c,
            ["SUBSCRIBE", "ps:a", "ps:b", "ps:a"],
            ["PSUBSCRIBE", "ps:x*"],
            ["SSUBSCRIBE", "ps:s1"],
            replies=5,
        )
        assert got == (
            frame(b"subscribe", b"ps:a", 1)
            + frame(b"subscribe", b"ps:b", 2)
            + frame(b"subscribe", b"ps:a", 2)
            + frame(b"psubscribe", b"ps:x*", 3)
            + frame(b"ssubscribe", b"ps:s1", 1)
        )
        # Unsubscribing from what one never had still confirms, with the unchanged count.
        assert pipeline(c, ["UNSUBSCRIBE", "ps:zz"]) == frame(b"unsubscribe", b"ps:zz", 3)
        assert pipeline(c, ["PUNSUBSCRIBE"]) == frame(b"punsubscribe", b"ps:x*", 2)
        assert pipeline(c, ["SUNSUBSCRIBE"]) == frame(b"sunsubscribe", b"ps:s1", 0)
        c.send(encode_command("UNSUBSCRIBE"))
        both = [c.read_reply(), c.read_reply()]  # in the server's own (hash) order
        assert both in (
            [frame(b"unsubscribe", b"ps:a", 1), frame(b"unsubscribe", b"ps:b", 0)],
            [frame(b"unsubscribe", b"ps:b", 1), frame(b"unsubscribe", b"ps:a", 0)],
        )
        # Out of the subscribed context: ordinary commands run again.
        assert c.command("PING") == b"+PONG\r\n"


@pytest.mark.parametrize("resp", [2, 3])
def test_unsubscribe_from_nothing(target, resp):
    with target.raw() as c:
        if resp == 3:
            hello3(c)
        got = pipeline(c, ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"])
        assert got == (
            frame(b"unsubscribe", None, 0, resp=resp)
            + frame(b"punsubscribe", None, 0, resp=resp)
            + frame(b"sunsubscribe", None, 0, resp=resp)
        )
    if resp == 2:
        assert got == (
            b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
            b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
            b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
        )
    else:
        assert got == (
            b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
            b">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n"
            b">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n"
        )


def test_resp2_subscribed_context(target):
    with target.raw() as c:
        assert pipeline(c, ["SUBSCRIBE", "ps:ctx"]) == frame(b"subscribe", b"ps:ctx", 1)
        assert c.command("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
        assert c.command("PING", "hi") == b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
        assert c.command("GET", "k") == GATE_ERROR % b"get"
        assert c.command("PUBLISH", "ps:ctx", "m") == GATE_ERROR % b"publish"
        assert c.command("PUBSUB", "NUMSUB", "ps:ctx") == GATE_ERROR % b"pubsub|numsub"
        assert pipeline(c, ["UNSUBSCRIBE", "ps:ctx"]) == frame(b"unsubscribe", b"ps:ctx", 0)
        assert c.command("PING") == b"+PONG\r\n"
        # Shard subscriptions alone put the client in the subscribed context too.
        assert pipeline(c, ["SSUBSCRIBE", "ps:ctx"]) == frame(b"ssubscribe", b"ps:ctx", 1)
        assert c.command("GET", "k") == GATE_ERROR % b"get"
        assert c.command("QUIT") == b"+OK\r\n"


def test_resp3_any_command_and_self_delivery_order(target):
    """In RESP3 a subscriber runs any command; a message it publishes to itself arrives as a push
    before the PUBLISH reply, in pipeline order."""
    with target.raw() as c:
        hello3(c)
        got = pipeline(
            c,
            ["SUBSCRIBE", "ps:self"],
            ["PUBLISH", "ps:self", "m1"],
            ["PSUBSCRIBE", "ps:se*"],
            ["PUBLISH", "ps:self", "m2"],
            ["SET", "ps:k", "v"],
            ["PING"],
            ["SPUBLISH", "ps:self", "x"],
            ["SSUBSCRIBE", "ps:self"],
            ["SPUBLISH", "ps:self", "y"],
            replies=13,
        )
        assert got == (
            frame(b"subscribe", b"ps:self", 1, resp=3)
            + frame(b"message", b"ps:self", b"m1", resp=3)
            + b":1\r\n"
            + frame(b"psubscribe", b"ps:se*", 2, resp=3)
            + frame(b"message", b"ps:self", b"m2", resp=3)
            + frame(b"pmessage", b"ps:se*", b"ps:self", b"m2", resp=3)
            + b":2\r\n"
            + b"+OK\r\n"
            + b"+PONG\r\n"
            + b":0\r\n"
            + frame(b"ssubscribe", b"ps:self", 1, resp=3)
            + frame(b"smessage", b"ps:self", b"y", resp=3)
            + b":1\r\n"
        )
        c.command("DEL", "ps:k")


# -- messages ------------------------------------------------------------------------------------------


def test_message_frames_and_receiver_counts(target):
    r = target.client()
    with target.raw() as sub2, target.raw() as sub3:
        hello3(sub3)
        pipeline(sub2, ["SUBSCRIBE", "ps:msg"], ["PSUBSCRIBE", "ps:m*"], ["SSUBSCRIBE", "ps:msg"], replies=3)
        pipeline(sub3, ["SUBSCRIBE", "ps:msg"])
        payload = b"bin\x00\r\n\xff"
        # sub2 twice (channel and pattern), sub3 once.
        assert r.publish("ps:msg", payload) == 3
        assert sub2.read_reply() == frame(b"message", b"ps:msg", payload)
        assert sub2.read_reply() == frame(b"pmessage", b"ps:m*", b"ps:msg", payload)
        assert sub3.read_reply() == frame(b"message", b"ps:msg", payload, resp=3)
        # Shard messages: exact channel subscribers only, patterns never see them.
        assert r.execute_command("SPUBLISH", "ps:msg", "s") == 1
        assert sub2.read_reply() == frame(b"smessage", b"ps:msg", b"s")
        assert r.publish("ps:nobody", "x") == 0
        assert r.execute_command("SPUBLISH", "ps:nobody", "x") == 0
        assert r.publish("ps:m", "short") == 1
        assert sub2.read_reply() == frame(b"pmessage", b"ps:m*", b"ps:m", b"short")
    r.close()


@pytest.mark.parametrize(
    "pattern, matching, not_matching",
    [
        (b"ps:h?llo", [b"ps:hello", b"ps:hallo"], [b"ps:hllo", b"ps:heello"]),
        (b"ps:h*llo", [b"ps:hllo", b"ps:heeeello"], [b"ps:hell"]),
        (b"ps:h[ae]llo", [b"ps:hello", b"ps:hallo"], [b"ps:hillo"]),
        (b"ps:h[^e]llo", [b"ps:hallo", b"ps:hbllo"], [b"ps:hello"]),
        (b"ps:h[a-b]llo", [b"ps:hallo", b"ps:hbllo"], [b"ps:hcllo"]),
        (b"ps:h\\*llo", [b"ps:h*llo"], [b"ps:hello"]),
    ],
)
def test_pattern_matching(target, pattern, matching, not_matching):
    r = target.client()
    with target.raw() as sub:
        assert pipeline(sub, ["PSUBSCRIBE", pattern]) == frame(b"psubscribe", pattern, 1)
        for channel in not_matching + matching:
            r.publish(channel, b"m")
        for channel in matching:
            assert sub.read_reply() == frame(b"pmessage", pattern, channel, b"m")
        assert r.pubsub_numpat() >= 1
    r.close()


# -- PUBSUB --------------------------------------------------------------------------------------------


def test_pubsub_introspection(target):
    r = target.client()
    with target.raw() as a, target.raw() as b:
        pipeline(a, ["SUBSCRIBE", "ps:i:one", "ps:i:two"], ["SSUBSCRIBE", "ps:i:sh"], replies=3)
        pipeline(b, ["SUBSCRIBE", "ps:i:one"], ["PSUBSCRIBE", "ps:i:*"], replies=2)
        assert sorted(r.pubsub_channels("ps:i:*")) == [b"ps:i:one", b"ps:i:two"]
        assert r.pubsub_channels("ps:i:t*") == [b"ps:i:two"]
        assert r.pubsub_numsub("ps:i:one", "ps:i:two", "ps:i:none") == [
            (b"ps:i:one", 2),
            (b"ps:i:two", 1),
            (b"ps:i:none", 0),
        ]
        assert r.execute_command("PUBSUB", "SHARDCHANNELS", "ps:i:*") == [b"ps:i:sh"]
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "ps:i:sh", "ps:i:one") == [b"ps:i:sh", 1, b"ps:i:one", 0]
    r.close()
    with target.raw() as raw:
        assert raw.command("PUBSUB", "NUMSUB") == b"*0\r\n"
        assert raw.command("PUBSUB", "SHARDNUMSUB") == b"*0\r\n"
        assert raw.command("PUBSUB", "CHANNELS", "ps:i:*") == b"*0\r\n"
        assert raw.command("PUBSUB", "CHANNELS", "a", "b") == (
            b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
        )
        assert raw.command("PUBSUB", "FOO") == b"-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"
        assert raw.command("PUBSUB", "NUMPAT", "x") == b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
        assert raw.command("PUBSUB") == b"-ERR wrong number of arguments for 'pubsub' command\r\n"
        assert raw.command("SUBSCRIBE") == b"-ERR wrong number of arguments for 'subscribe' command\r\n"
        assert raw.command("PUBLISH", "a") == b"-ERR wrong number of arguments for 'publish' command\r\n"
        assert raw.command("SPUBLISH", "a") == b"-ERR wrong number of arguments for 'spublish' command\r\n"
        help_reply = raw.command("PUBSUB", "HELP")
        assert help_reply.startswith(b"*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
        assert help_reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")
        assert b"+    pattern subscriptions(default: no channels).\r\n" in help_reply


def test_numpat_counts_distinct_patterns(target):
    r = target.client()
    before = r.pubsub_numpat()
    with target.raw() as a, target.raw() as b:
        pipeline(a, ["PSUBSCRIBE", "ps:np:*"])
        pipeline(b, ["PSUBSCRIBE", "ps:np:*"], ["PSUBSCRIBE", "ps:np2:*"], replies=2)
        assert r.pubsub_numpat() == before + 2
        info = r.info("stats")
        assert info["pubsub_patterns"] == before + 2
    r.close()


def test_reset_and_disconnect_unsubscribe(target):
    r = target.client()
    with target.raw() as c:
        pipeline(c, ["SUBSCRIBE", "ps:gone"], ["PSUBSCRIBE", "ps:gone*"], ["SSUBSCRIBE", "ps:gone"], replies=3)
        assert r.pubsub_numsub("ps:gone") == [(b"ps:gone", 1)]
        assert c.command("RESET") == b"+RESET\r\n"
        assert r.pubsub_numsub("ps:gone") == [(b"ps:gone", 0)]
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "ps:gone") == [b"ps:gone", 0]
        assert r.publish("ps:gone", "x") == 0
        assert c.command("GET", "ps:nokey") == b"$-1\r\n"
        pipeline(c, ["SUBSCRIBE", "ps:gone"])
    assert wait_for(lambda: r.pubsub_numsub("ps:gone") == [(b"ps:gone", 0)])
    assert r.publish("ps:gone", "x") == 0
    r.close()


def test_client_list_shows_subscriptions(target):
    r = target.client()
    with target.raw() as c:
        pipeline(
            c, ["CLIENT", "SETNAME", "ps-lister"], ["SUBSCRIBE", "ps:l1", "ps:l2"], ["PSUBSCRIBE", "ps:l*"], replies=4
        )
        line = next(x for x in r.client_list() if x["name"] == "ps-lister")
        assert (line["flags"], line["sub"], line["psub"]) == ("P", "2", "1")
        assert any(x["name"] == "ps-lister" for x in r.client_list(_type="pubsub"))
    r.close()


# -- redis-py ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pubsub_get_message(target, protocol):
    r = target.client(protocol=protocol)
    p = r.pubsub()
    p.subscribe("ps:py:chan")
    p.psubscribe("ps:py:pat*")
    assert p.get_message(timeout=2) == {"type": "subscribe", "pattern": None, "channel": b"ps:py:chan", "data": 1}
    assert p.get_message(timeout=2) == {"type": "psubscribe", "pattern": None, "channel": b"ps:py:pat*", "data": 2}
    publisher = target.client()
    assert publisher.publish("ps:py:chan", "hello") == 1
    assert publisher.publish("ps:py:pattern", "world") == 1
    assert p.get_message(timeout=2) == {"type": "message", "pattern": None, "channel": b"ps:py:chan", "data": b"hello"}
    assert p.get_message(timeout=2) == {
        "type": "pmessage",
        "pattern": b"ps:py:pat*",
        "channel": b"ps:py:pattern",
        "data": b"world",
    }
    p.unsubscribe("ps:py:chan")
    assert p.get_message(timeout=2) == {"type": "unsubscribe", "pattern": None, "channel": b"ps:py:chan", "data": 1}
    p.close()
    publisher.close()
    r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_listen_and_handlers(target, protocol):
    r = target.client(protocol=protocol)
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("ps:listen")
    publisher = target.client()
    assert wait_for(lambda: publisher.pubsub_numsub("ps:listen") == [(b"ps:listen", 1)])
    for i in range(5):
        publisher.publish("ps:listen", f"m{i}")
    publisher.publish("ps:listen", "stop")
    got = []
    for message in p.listen():
        if message["data"] == b"stop":
            break
        got.append(message["data"])
    assert got == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    p.close()
    publisher.close()
    r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_run_in_thread(target, protocol):
    r = target.client(protocol=protocol)
    received: list[bytes] = []
    done = threading.Event()

    def handler(message):
        received.append(message["data"])
        if len(received) == 3:
            done.set()

    p = r.pubsub()
    p.subscribe(**{"ps:thread": handler})
    worker = p.run_in_thread(sleep_time=0.01, daemon=True)
    publisher = target.client()
    try:
        assert wait_for(lambda: publisher.pubsub_numsub("ps:thread") == [(b"ps:thread", 1)])
        for i in range(3):
            publisher.publish("ps:thread", f"t{i}")
        assert done.wait(5)
        assert received == [b"t0", b"t1", b"t2"]
    finally:
        worker.stop()
        worker.join(5)
        p.close()
        publisher.close()
        r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_asyncio_pubsub(target, protocol):
    async def scenario():
        r = aioredis.Redis(host=target.host, port=target.port, protocol=protocol)
        p = r.pubsub()
        await p.subscribe("ps:aio")
        await p.psubscribe("ps:aio*")
        first = await p.get_message(timeout=2)
        second = await p.get_message(timeout=2)
        publisher = aioredis.Redis(host=target.host, port=target.port, protocol=protocol)
        assert await publisher.publish("ps:aio", "x") == 2
        messages = [await p.get_message(timeout=2), await p.get_message(timeout=2)]
        await p.unsubscribe()
        await p.punsubscribe()
        await p.aclose()
        await publisher.aclose()
        await r.aclose()
        return first, second, messages

    first, second, messages = asyncio.run(scenario())
    assert first == {"type": "subscribe", "pattern": None, "channel": b"ps:aio", "data": 1}
    assert second == {"type": "psubscribe", "pattern": None, "channel": b"ps:aio*", "data": 2}
    assert messages == [
        {"type": "message", "pattern": None, "channel": b"ps:aio", "data": b"x"},
        {"type": "pmessage", "pattern": b"ps:aio*", "channel": b"ps:aio", "data": b"x"},
    ]


def test_redis_cli_subscribe_prints_messages(target):
    binary = require_binary("redis-cli")
    proc = subprocess.Popen(
        [binary, "-h", target.host, "-p", str(target.port), "SUBSCRIBE", "ps:cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    r = target.client()
    try:
        assert wait_for(lambda: r.pubsub_numsub("ps:cli") == [(b"ps:cli", 1)])
        r.publish("ps:cli", "first")
        r.publish("ps:cli", "second")
        time.sleep(0.3)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        r.close()
    assert out == b"subscribe\nps:cli\n1\nmessage\nps:cli\nfirst\nmessage\nps:cli\nsecond\n"


# -- slow subscribers ----------------------------------------------------------------------------------


@pytest.fixture
def small_pubsub_limit(target):
    """A small pubsub output limit for one test; the default is restored afterwards."""
    r = target.client()
    saved = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    yield r
    r.config_set("client-output-buffer-limit", saved)
    r.close()


def stalled_subscriber(target, channel: str) -> socket.socket:
    """A subscriber that never reads: small receive buffer, and nothing recv()'d after subscribing."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((target.host, target.port))
    s.sendall(encode_command("CLIENT", "SETNAME", "ps-stalled") + encode_command("SUBSCRIBE", channel))
    return s


def test_stalled_subscriber_is_disconnected_hard_limit(target, small_pubsub_limit):
    r = small_pubsub_limit
    r.config_set("client-output-buffer-limit", "pubsub 262144 131072 60")
    assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == (
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 262144 131072 60"
    )
    stalled = stalled_subscriber(target, "ps:slow")
    good = r.pubsub(ignore_subscribe_messages=True)
    good.subscribe("ps:slow")
    try:
        assert wait_for(lambda: r.pubsub_numsub("ps:slow") == [(b"ps:slow", 2)])
        payload = b"x" * 1000
        received: list[bytes] = []
        sent = 0
        # Publish until the stalled one is gone (bounded: 40 MB would pass every kernel buffer).
        while sent < 40000:
            receivers = r.publish("ps:slow", payload + b"%d" % sent)
            sent += 1
            while (m := good.get_message(timeout=0)) is not None:
                received.append(m["data"])
            if receivers == 1:
                break
        assert receivers == 1
        assert r.pubsub_numsub("ps:slow") == [(b"ps:slow", 1)]
        assert not any(x["name"] == "ps-stalled" for x in r.client_list())
        # The good subscriber got every message, in order, and keeps receiving.
        r.publish("ps:slow", b"after")
        while len(received) < sent + 1:
            m = good.get_message(timeout=5)
            assert m is not None
            received.append(m["data"])
        assert received == [payload + b"%d" % i for i in range(sent)] + [b"after"]
    finally:
        stalled.close()
        good.close()


def test_stalled_subscriber_is_disconnected_soft_limit(target, small_pubsub_limit):
    """Above the soft limit for longer than the soft seconds: disconnected, while a hard limit of 0
    (none) alone would never cut it off."""
    r = small_pubsub_limit
    r.config_set("client-output-buffer-limit", "pubsub 0 65536 1")
    stalled = stalled_subscriber(target, "ps:soft")
    try:
        assert wait_for(lambda: r.pubsub_numsub("ps:soft") == [(b"ps:soft", 1)])
        payload = b"y" * 4000
        deadline = time.monotonic() + 30
        receivers = 1
        while receivers and time.monotonic() < deadline:
            burst = r.pipeline(transaction=False)
            for _ in range(64):
                burst.publish("ps:soft", payload)
            receivers = burst.execute()[-1]
            time.sleep(0.02)
        assert receivers == 0
        assert not any(x["name"] == "ps-stalled" for x in r.client_list())
    finally:
        stalled.close()


def test_normal_clients_keep_no_output_limit(target):
    r = target.client()
    assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"].startswith("normal 0 0 0 ")
    r.close()
