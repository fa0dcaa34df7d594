"""Test helpers: a raw RESP socket, a real redis-server process, binary lookup with CI rules."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_binary(name: str) -> str:
    """Path of an external tool; in CI its absence fails the test, elsewhere it skips it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install -y redis-server redis-tools)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode_command(*args: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def reply_length(buf: bytes, pos: int = 0) -> int | None:
    """Length in bytes of the complete RESP2/RESP3 value at ``buf[pos:]``, or None if incomplete."""
    if pos >= len(buf):
        return None
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind = buf[pos : pos + 1]
    head = buf[pos + 1 : nl]
    end = nl + 2
    if kind in b"+-:_,#(":
        return end - pos
    if kind in b"$=!":
        n = int(head)
        if n < 0:
            return end - pos
        if len(buf) < end + n + 2:
            return None
        return end + n + 2 - pos
    if kind in b"*~>%|":
        n = int(head)
        if n < 0:
            return end - pos
        count = n * 2 if kind in b"%|" else n
        cur = end
        for _ in range(count):
            ln = reply_length(buf, cur)
            if ln is None:
                return None
            cur += ln
        return cur - pos
    raise ValueError(f"not RESP: {buf[pos:pos + 20]!r}")


class RawConnection:
    """A plain socket speaking RESP: send exact bytes, read exact reply bytes."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_reply(self) -> bytes:
        while True:
            n = reply_length(self.buf)
            if n is not None:
                reply, self.buf = self.buf[:n], self.buf[n:]
                return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread: {self.buf!r}")
            self.buf += chunk

    def command(self, *args: bytes | str | int) -> bytes:
        self.send(encode_command(*args))
        return self.read_reply()

    def is_closed(self, wait: float = 2.0) -> bool:
        """True if the server closed the connection (after any pending replies are read)."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RedisProcess:
    """A real redis-server on 127.0.0.1 and a free port, for side-by-side behaviour tests."""

    def __init__(self, *extra: str) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.dir = tempfile.mkdtemp(prefix="redis-compat-")
        self.extra = extra
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisProcess:
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self.dir,
            "--enable-debug-command", "yes",
            "--daemonize", "no",
            *self.extra,
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with RawConnection(self.host, self.port, timeout=1) as c:
                    if c.command("PING") == b"+PONG\r\n":
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def keyevents(target, r, *commands) -> list[tuple[bytes, bytes]]:
    """Run ``commands`` with every keyspace event enabled; return the (event, key) pairs they emitted, in
    order (keyevent channels). A marker message published afterwards tells when all have arrived."""
    marker = b"keyevents:marker"
    sub = target.raw()
    try:
        sub.send(encode_command("PSUBSCRIBE", "__keyevent@*__:*") + encode_command("SUBSCRIBE", marker))
        sub.read_reply()
        sub.read_reply()
        r.config_set("notify-keyspace-events", "KEA")
        try:
            for cmd in commands:
                try:
                    r.execute_command(*cmd)
                except Exception:  # an error reply is part of what some tests check: events stay recorded
                    pass
        finally:
            r.config_set("notify-keyspace-events", "")
        r.publish(marker, b"end")
        out = []
        while True:
            frame = sub.read_reply().split(b"\r\n")
            if frame[2] == b"message" and frame[4] == marker:
                return out
            if frame[2] == b"pmessage":
                out.append((frame[6].split(b":", 1)[1], frame[8]))
    finally:
        sub.close()


# -- blocking commands ----------------------------------------------------------------------------------


def watch_aborts(target, r, key: str, *changes) -> list[bool]:
    """For each change (a function of another client, run between WATCH ``key`` and EXEC): whether
    the transaction was aborted (redis-py's WatchError)."""
    import redis

    other = target.client()
    aborted = []
    try:
        for change in changes:
            with r.pipeline() as pipe:
                pipe.watch(key)
                change(other)
                pipe.multi()
                pipe.exists(key)
                try:
                    pipe.execute()
                    aborted.append(False)
                except redis.WatchError:
                    aborted.append(True)
    finally:
        other.close()
    return aborted


def blocked_clients(r) -> int:
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, n: int) -> None:
    """Wait until the server counts exactly ``n`` blocked clients."""
    deadline = time.monotonic() + 10
    while blocked_clients(r) != n:
        assert time.monotonic() < deadline, f"expected {n} blocked clients"
        time.sleep(0.005)


class Blocked(threading.Thread):
    """Send one command on its own raw connection (it blocks there) and keep the reply."""

    def __init__(self, target, *args) -> None:
        super().__init__(daemon=True)
        self.conn = RawConnection(target.host, target.port, timeout=20)
        self.args = args
        self.reply: bytes | None = None

    def run(self) -> None:
        self.reply = self.conn.command(*self.args)

    def result(self) -> bytes:
        self.join(20)
        assert not self.is_alive()
        self.conn.close()
        return self.reply


def block(target, r, *args) -> Blocked:
    """Start ``args`` on a new connection and return once the server counts it as blocked."""
    before = blocked_clients(r)
    t = Blocked(target, *args)
    t.start()
    wait_blocked(r, before + 1)
    return t


# -- caching library --------------------------------------------------------------------------------------


def one_load_herd(caches, callers_per_cache: int, lease_waiters: int, value: str, join_timeout: float):
    """Call ``get_or_load("hot")`` ``callers_per_cache`` times on each cache at once; the first caller's
    loader holds until ``lease_waiters`` callers wait on its lease (the other caches; a cache's other
    callers wait on its local single-flight) -> (one entry a load, the results)."""
    holder_in = threading.Event()
    release = threading.Event()
    loads = []

    def loader() -> str:
        loads.append(1)
        holder_in.set()
        release.wait(5)
        return value

    results = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(c.get_or_load("hot", loader)))
        for c in caches
        for _ in range(callers_per_cache)
    ]
    threads[0].start()
    holder_in.wait(5)
    for t in threads[1:]:
        t.start()
    # Release only when every caller has missed (so each took its part in this round) and the other
    # caches wait on the lease: the command counts then do not depend on how threads were scheduled.
    deadline = time.monotonic() + 10
    while (
        sum(c.stats.lease_waits for c in caches) < lease_waiters
        or sum(c.stats.misses for c in caches) < len(threads)
    ):
        assert time.monotonic() < deadline, "callers did not all miss and wait"
        time.sleep(0.001)
    release.set()
    for t in threads:
        t.join(join_timeout)
    return loads, results


# -- in-process server --------------------------------------------------------------------------------------


class InProcess:
    """A Server on a manual clock driven without sockets: make clients, run commands, read reply bytes."""

    def __init__(self) -> None:
        from cacheserver.clock import ManualClock
        from cacheserver.server import Server

        self.clock = ManualClock()
        self.server = Server(clock=self.clock)
        self.ks = self.server.keyspace
        self.db = self.ks.dbs[0]
        self.next_id = 0

    def client(self, send=None):
        """A new client (ids 1, 2, ...); ``send`` receives what is pushed to it (dropped by default)."""
        from cacheserver.network.client_state import ClientState

        self.next_id += 1
        return ClientState(self.next_id, self.server, send or (lambda data: None), lambda: None)

    def run(self, c, *args) -> bytes:
        """One command as client ``c`` (arguments: bytes, or anything str() spells) -> its reply bytes."""
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = bytearray()
        self.server.dispatcher.run(c, [argv], out)
        return bytes(out)


# Lua helpers for scripts that show a library call's result as text: hex(s), dump(v) (17-digit numbers,
# %q strings, tables sorted by entry) and all(...). Errors in the expression after it name line 9.
LUA_PRE = r"""local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end
local function dump(v) local t = type(v)
  if t == 'number' then return string.format('%.17g', v) end
  if t == 'string' then return string.format('%q', v) end
  if t ~= 'table' then return tostring(v) end
  local items = {} for k, x in pairs(v) do items[#items + 1] = dump(k) .. '=' .. dump(x) end
  table.sort(items) return '{' .. table.concat(items, ',') .. '}' end
local function all(...) local out = {} for i = 1, select('#', ...) do out[i] = dump((select(i, ...))) end return table.concat(out, ' ') end
"""


def pcall_shown(expr: str) -> str:
    """A script that evaluates ``expr`` under pcall and returns ``"<ok> <value>"``."""
    return LUA_PRE + f"local ok, v = pcall(function() return {expr} end) return tostring(ok) .. ' ' .. tostring(v)"

