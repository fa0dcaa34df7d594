"""CLIENT TRACKING (client-side caching) against cacheserver and redis-server, byte for byte: invalidation
pushes in RESP3 and on ``__redis__:invalidate`` in RESP2, own changes after the reply, NOLOOP, BCAST
prefixes gathered per loop iteration, OPTIN/OPTOUT with CLIENT CACHING, FLUSH's null, broken
redirections, CLIENT TRACKINGINFO/GETREDIR, CLIENT LIST flags, INFO counts and every error text."""

from __future__ import annotations

import itertools
import socket
import time

import pytest
from helpers import reply_length

_tokens = itertools.count()


class Conn:
    """A raw connection. ``call`` returns the pushes that arrived before its reply, then the reply;
    ``sync`` returns what arrived before the reply to a marker command (pushes sent meanwhile)."""

    def __init__(self, target, resp: int = 3) -> None:
        self.sock = socket.create_connection((target.host, target.port), timeout=5)
        self.buf = b""
        self.subscribed = False
        if resp == 3:
            assert self.call("HELLO", "3").startswith(b"%7\r\n")
        self.id = int(self.call("CLIENT", "ID")[1:-2])

    def send(self, *args: str | bytes) -> None:
        self.sock.sendall(_encode(args))

    def call(self, *args: str | bytes) -> bytes:
        self.send(*args)
        out = b""
        while True:
            message = self._message()
            out += message
            if not message.startswith(b">"):
                return out

    def _message(self) -> bytes:
        while True:
            end = reply_length(self.buf)
            if end is not None:
                message, self.buf = self.buf[:end], self.buf[end:]
                return message
            data = self.sock.recv(65536)
            assert data, "connection closed"
            self.buf += data

    def sync(self) -> bytes:
        token = b"sync%d" % next(_tokens)
        if self.subscribed:  # RESP2 subscribers may only PING; the reply is an array
            self.send("PING", token)
            marker = b"*2\r\n$4\r\npong\r\n$%d\r\n%b\r\n" % (len(token), token)
        else:
            self.send("ECHO", token)
            marker = b"$%d\r\n%b\r\n" % (len(token), token)
        while marker not in self.buf:
            data = self.sock.recv(65536)
            assert data, "connection closed"
            self.buf += data
        out, _, self.buf = self.buf.partition(marker)
        return out

    def close(self) -> None:
        self.sock.close()


def _encode(args) -> bytes:
    parts = [a.encode() if isinstance(a, str) else a for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts)


def push(*keys: str) -> bytes:
    return b">2\r\n$10\r\ninvalidate\r\n" + _encode(keys)


NULL_PUSH = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


@pytest.fixture
def conns(target):
    made = []

    def make(resp: int = 3) -> Conn:
        c = Conn(target, resp)
        made.append(c)
        return c

    first = make(2)
    first.call("FLUSHALL")
    first.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
    yield make
    for c in made:
        c.close()


def test_a_read_key_is_invalidated_once_by_any_change_in_any_database(conns):
    a, b = conns(), conns(2)
    assert a.call("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert a.call("GET", "k") == b"_\r\n"
    assert b.call("SET", "k", "v") == b"+OK\r\n"
    assert a.sync() == push("k")
    b.call("SET", "k", "v2")
    assert a.sync() == b""  # forgotten until read again
    a.call("MGET", "k", "k2")
    b.call("DEL", "k", "k2")  # k2 does not exist: no change, no message
    assert a.sync() == push("k")
    a.call("GET", "z")
    b.call("SELECT", "1")
    b.call("SET", "z", "1")  # the table knows key names, not databases
    assert a.sync() == push("z")
    for cmd in (("TYPE", "t1"), ("EXISTS", "t2"), ("STRLEN", "t3")):
        a.call(*cmd)
    b.call("SELECT", "0")
    b.call("MSET", "t1", "1", "t2", "2", "t3", "3")
    assert a.sync() == push("t1") + push("t2") + push("t3")
    b.call("SET", "r1", "1")
    a.call("MGET", "r1", "r2")
    b.call("RENAME", "r1", "r2")
    assert a.sync() == push("r1") + push("r2")


def test_own_changes_come_after_the_reply_unless_noloop(conns):
    a = conns()
    a.call("CLIENT", "TRACKING", "ON")
    a.call("GET", "k")
    assert a.call("SET", "k", "x") + a.sync() == b"+OK\r\n" + push("k")
    a.call("GET", "k")
    a.call("MULTI")
    a.call("SET", "k", "1")
    assert a.call("EXEC") + a.sync() == b"*1\r\n+OK\r\n" + push("k")  # after the whole transaction's reply
    assert a.call("FLUSHDB") + a.sync() == b"+OK\r\n" + NULL_PUSH
    b = conns(2)
    assert a.call("CLIENT", "TRACKING", "ON", "NOLOOP") == b"+OK\r\n"
    a.call("GET", "n")
    assert a.call("SET", "n", "1") + a.sync() == b"+OK\r\n"
    b.call("SET", "n", "2")
    assert a.sync() == b""  # its own change dropped the entry


def test_flush_tells_every_tracking_client_all_keys_are_gone(conns):
    a, b, c = conns(), conns(2), conns()
    a.call("CLIENT", "TRACKING", "ON")
    c.call("CLIENT", "TRACKING", "ON", "BCAST")
    b.call("FLUSHALL")
    assert a.sync() == NULL_PUSH
    assert c.sync() == NULL_PUSH


def test_reads_inside_scripts_and_transactions_count(conns):
    a, b = conns(), conns(2)
    a.call("CLIENT", "TRACKING", "ON")
    a.call("EVAL", "return redis.call('get', KEYS[1])", "1", "s1")
    a.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s2")
    a.call("MULTI")
    a.call("GET", "m1")
    a.call("EXEC")
    b.call("MSET", "s1", "1", "s2", "2", "m1", "3", "w1", "4")  # w1 was never read
    assert a.sync() == push("s1") + push("s2") + push("m1")


def test_bcast_gathers_the_keys_of_a_loop_iteration_per_prefix(conns):
    a, b = conns(), conns(2)
    assert a.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "acct") == b"+OK\r\n"
    b.call("SET", "user:1", "x")
    assert a.sync() == push("user:1")
    pipeline = [("SET", "user:3", "v"), ("SET", "other", "v"), ("SET", "acct9", "v"), ("SET", "user:1", "v"),
                ("DEL", "user:1")]  # fmt: skip
    b.sock.sendall(b"".join(_encode(cmd) for cmd in pipeline))
    assert b.sync() == b"+OK\r\n" * 4 + b":1\r\n"
    assert a.sync() == push("acct9") + push("user:1", "user:3")  # prefixes in order, keys sorted
    assert a.call("SET", "user:5", "q") + a.sync() == b"+OK\r\n" + push("user:5")
    assert a.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new") == b"+OK\r\n"  # adds a prefix
    info = a.call("CLIENT", "TRACKINGINFO")
    assert info == (b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
                    b"$8\r\nprefixes\r\n*3\r\n$4\r\nacct\r\n$3\r\nnew\r\n$5\r\nuser:\r\n")  # fmt: skip
    stats = a.call("INFO", "stats")
    assert b"tracking_total_prefixes:3\r\n" in stats
    d = conns()
    d.call("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")  # every key
    b.sock.sendall(_encode(("SET", "x1", "1")) + _encode(("SET", "x2", "1")))
    assert b.sync() == b"+OK\r\n+OK\r\n"
    assert d.call("SET", "x2", "2") == push("x1", "x2") + b"+OK\r\n"
    b.call("SET", "x3", "1")
    assert d.sync() == push("x3")  # NOLOOP: its own change of x2 is left out


def test_optin_and_optout(conns):
    a, b = conns(), conns(2)
    assert a.call("CLIENT", "TRACKING", "ON", "OPTIN") == b"+OK\r\n"
    a.call("GET", "o1")
    b.call("SET", "o1", "1")
    assert a.sync() == b""
    assert a.call("CLIENT", "CACHING", "YES") == b"+OK\r\n"
    assert a.call("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$8\r\nredirect\r\n:0\r\n"
        b"$8\r\nprefixes\r\n*0\r\n"
    )
    a.call("GET", "o1")
    b.call("SET", "o1", "2")
    assert a.sync() == push("o1")
    a.call("CLIENT", "CACHING", "YES")
    a.call("PING")  # the flag lasts for one command...
    a.call("GET", "o1")
    b.call("SET", "o1", "3")
    assert a.sync() == b""
    a.call("CLIENT", "CACHING", "YES")
    a.call("CLIENT", "ID")  # ...but a CLIENT command leaves it
    a.call("GET", "o1")
    b.call("SET", "o1", "4")
    assert a.sync() == push("o1")
    a.call("CLIENT", "TRACKING", "OFF")
    assert a.call("CLIENT", "TRACKING", "ON", "OPTOUT") == b"+OK\r\n"
    a.call("CLIENT", "CACHING", "NO")
    a.call("GET", "o2")
    a.call("GET", "o3")
    b.call("MSET", "o2", "1", "o3", "1")
    assert a.sync() == push("o3")


def test_redirection_to_a_resp2_subscriber_and_a_broken_one(conns):
    a, b, sub = conns(2), conns(2), conns(2)
    assert sub.call("SUBSCRIBE", "__redis__:invalidate") == (
        b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"
    )
    sub.subscribed = True
    assert a.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(sub.id)) == b"+OK\r\n"
    assert a.call("CLIENT", "GETREDIR") == b":%d\r\n" % sub.id
    a.call("GET", "r2")
    b.call("SET", "r2", "1")
    message = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
    assert sub.sync() == message + b"*1\r\n$2\r\nr2\r\n"
    b.call("FLUSHALL")
    assert sub.sync() == message + b"$-1\r\n"  # the tracking client's null: RESP2's
    assert b" flags=t db=0 " in a.call("CLIENT", "LIST", "ID", str(a.id))
    sub.close()
    a.call("GET", "r3")
    _wait_gone(b, sub.id)
    b.call("SET", "r3", "1")
    assert a.sync() == b""  # RESP2: the client cannot be told
    assert a.call("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n:%d\r\n"
        b"$8\r\nprefixes\r\n*0\r\n" % sub.id
    )
    listed = a.call("CLIENT", "LIST", "ID", str(a.id))
    assert b" flags=tR " in listed and b" redir=%d " % sub.id in listed
    d, target = conns(), conns()
    d.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(target.id))
    d.call("GET", "q1")
    b.call("SET", "q1", "1")
    assert target.sync() == push("q1")
    target.close()
    _wait_gone(b, target.id)
    d.call("GET", "q2")
    b.call("SET", "q2", "1")
    assert d.sync() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % target.id
    assert d.call("RESET") == b"+RESET\r\n"  # tracking off
    assert d.call("CLIENT", "GETREDIR") == b":-1\r\n"


def _wait_gone(conn: Conn, client_id: int) -> None:
    deadline = time.monotonic() + 5
    while b"id=%d " % client_id in conn.call("CLIENT", "LIST"):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_an_expired_key_is_invalidated(conns):
    a, b = conns(), conns(2)
    a.call("CLIENT", "TRACKING", "ON")
    b.call("SET", "e1", "1", "PX", "50")
    a.call("GET", "e1")
    deadline = time.monotonic() + 5
    got = b""
    while not got:  # active expiry deletes it within a few cron ticks
        assert time.monotonic() < deadline
        time.sleep(0.05)
        got = a.sync()
    assert got == push("e1")


def test_info_and_client_list(conns):
    a = conns()
    assert a.call("CLIENT", "GETREDIR") == b":-1\r\n"
    assert a.call("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    )
    a.call("CLIENT", "TRACKING", "ON")
    assert a.call("CLIENT", "GETREDIR") == b":0\r\n"
    a.call("MGET", "i1", "i2")
    clients = a.call("INFO", "clients")
    stats = a.call("INFO", "stats")
    assert b"tracking_clients:1\r\n" in clients
    assert b"tracking_total_keys:2\r\n" in stats and b"tracking_total_items:2\r\n" in stats
    listed = a.call("CLIENT", "INFO")
    assert b" flags=t " in listed and b" redir=0 " in listed
    assert a.call("CLIENT", "TRACKING", "OFF") == b"+OK\r\n"
    assert a.call("CLIENT", "TRACKINGINFO").startswith(b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n")


@pytest.mark.parametrize(
    "args, error",
    [
        (("ON", "PREFIX", "x"), "PREFIX option requires BCAST mode to be enabled"),
        (("ON", "BCAST", "OPTIN"), "OPTIN and OPTOUT are not compatible with BCAST"),
        (("ON", "PREFIX", "a", "BCAST", "OPTIN", "OPTOUT"), "OPTIN and OPTOUT are not compatible with BCAST"),
        (("ON", "OPTIN", "OPTOUT"), "You can't specify both OPTIN mode and OPTOUT mode"),
        (("ON", "OPTIN", "OPTOUT", "PREFIX", "x"), "PREFIX option requires BCAST mode to be enabled"),
        (("ON", "REDIRECT", "999999"), "The client ID you want redirect to does not exist"),
        (("ON", "REDIRECT", "0"), "The client ID you want redirect to does not exist"),
        (("OFF", "REDIRECT", "999999"), "The client ID you want redirect to does not exist"),
        (("ON", "REDIRECT", "x"), "value is not an integer or out of range"),
        (("ON", "BCAST", "PREFIX", "a", "PREFIX", "a"),
         "Prefix 'a' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."),
        (("ON", "BCAST", "PREFIX", "zz", "PREFIX", "zzz"),
         "Prefix 'zz' overlaps with another provided prefix 'zzz'. Prefixes for a single client must not overlap."),
        (("ON", "BOGUS"), "syntax error"),
        (("ON", "REDIRECT"), "syntax error"),
        (("OFF", "PREFIX"), "syntax error"),
        (("MAYBE",), "syntax error"),
    ],
)  # fmt: skip
def test_tracking_errors(conns, args, error):
    a = conns()
    assert a.call("CLIENT", "TRACKING", *args) == f"-ERR {error}\r\n".encode()
    assert a.call("CLIENT", "GETREDIR") == b":-1\r\n"  # nothing changed


def test_mode_changes_and_caching_errors(conns):
    a = conns()
    assert a.call("CLIENT", "CACHING", "YES") == (
        b"-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT "
        b"mode enabled\r\n"
    )
    assert a.call("CLIENT", "TRACKING", "OFF", "BCAST") == b"+OK\r\n"  # options parsed, then ignored
    a.call("CLIENT", "TRACKING", "ON")
    assert a.call("CLIENT", "CACHING", "YES") == (
        b"-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n"
    )
    assert a.call("CLIENT", "TRACKING", "ON", "BCAST") == (
        b"-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then "
        b"re-enabling it with a different mode.\r\n"
    )
    a.call("CLIENT", "TRACKING", "ON", "OPTIN")
    assert a.call("CLIENT", "CACHING", "NO") == (
        b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    )
    assert a.call("CLIENT", "CACHING", "MAYBE") == b"-ERR syntax error\r\n"
    assert a.call("CLIENT", "TRACKING", "ON", "OPTOUT") == (
        b"-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
        b"re-enabling it with a different mode.\r\n"
    )
    a.call("CLIENT", "TRACKING", "OFF")
    a.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
    assert a.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "us") == (
        b"-ERR Prefix 'us' overlaps with an existing prefix 'user:'. Prefixes for a single client must not "
        b"overlap.\r\n"
    )


def test_multi_key_changes_come_in_redis_order(conns):
    a, b = conns(), conns(2)
    a.call("CLIENT", "TRACKING", "ON")
    b.call("SADD", "src", "m", "n")
    a.call("MGET", "src", "dst", "bf")
    b.call("SMOVE", "src", "dst", "m")  # the source first, then the destination it creates
    assert a.sync() == push("src") + push("dst")
    # a BITFIELD whose only write fails (OVERFLOW FAIL) creates the key but changes nothing: no message
    assert b.call("BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "i8", "0", "1000") == b"*1\r\n$-1\r\n"
    assert a.sync() == b""
    assert b.call("STRLEN", "bf") == b":1\r\n"
