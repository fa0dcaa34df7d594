"""The real redis-cli against cacheserver and redis-server: one-shot, RESP3, --pipe, --scan, --bigkeys,
--latency, --stat, stdin scripts and the interactive prompt (through a pseudo-terminal).

Each test runs against both servers, so every expected output is what redis-cli prints for Redis 7.0.15.
redis-cli prints raw replies when its output is not a terminal; ``--no-raw`` asks for the typed form.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

import pytest
from helpers import RawConnection, require_binary


def cli(target, *args: str, input: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    binary = require_binary("redis-cli")
    return subprocess.run(
        [binary, "-h", target.host, "-p", str(target.port), *args],
        input=input,
        capture_output=True,
        timeout=timeout,
    )


def out(target, *args: str, **kwargs) -> bytes:
    return cli(target, *args, **kwargs).stdout


class Terminal:
    """redis-cli on a pseudo-terminal with TERM=dumb (linenoise then reads plain lines, no escape queries)."""

    def __init__(self, target, *args: str) -> None:
        binary = require_binary("redis-cli")
        self.master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb", REDISCLI_HISTFILE="/dev/null")
        self.proc = subprocess.Popen(
            [binary, "-h", target.host, "-p", str(target.port), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.buf = b""

    def read_for(self, seconds: float) -> bytes:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.buf += chunk
        data, self.buf = self.buf, b""
        return data

    def until(self, marker: bytes, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no {marker!r} after {timeout}s; got {self.buf!r}")
            self.buf += os.read(self.master, 65536)
        i = self.buf.index(marker) + len(marker)
        data, self.buf = self.buf[:i], self.buf[i:]
        return data

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(10)
        os.close(self.master)


# -- one-shot commands ---------------------------------------------------------------------------------


def test_one_shot_commands_raw_output(target, r):
    assert out(target, "SET", "k", "v") == b"OK\n"
    assert out(target, "GET", "k") == b"v\n"
    assert out(target, "GET", "missing") == b"\n"
    assert out(target, "INCR", "n") == b"1\n"
    assert out(target, "INCR", "k") == b"ERR value is not an integer or out of range\n\n"
    assert out(target, "NOSUCH", "a") == b"ERR unknown command 'NOSUCH', with args beginning with: 'a' \n\n"
    assert out(target, "-n", "3", "SET", "x", "in-db-3") == b"OK\n"
    assert out(target, "-n", "3", "GET", "x") == b"in-db-3\n"
    assert out(target, "GET", "x") == b"\n"


def test_one_shot_commands_typed_output(target, r):
    r.set("k", "v")
    assert out(target, "--no-raw", "GET", "k") == b'"v"\n'
    assert out(target, "--no-raw", "GET", "missing") == b"(nil)\n"
    assert out(target, "--no-raw", "INCR", "n") == b"(integer) 1\n"
    assert out(target, "--no-raw", "INCR", "k") == b"(error) ERR value is not an integer or out of range\n"
    assert out(target, "--no-raw", "CONFIG", "GET", "maxmemory") == b'1) "maxmemory"\n2) "0"\n'
    assert out(target, "--csv", "CONFIG", "GET", "maxmemory") == b'"maxmemory","0"\n'


def test_value_from_stdin(target, r):
    assert out(target, "-x", "SET", "fromfile", input=b"hello\nworld") == b"OK\n"
    assert out(target, "--no-raw", "GET", "fromfile") == b'"hello\\nworld"\n'


def test_resp3(target, r):
    hello = out(target, "-3", "--no-raw", "HELLO", "3").splitlines()
    assert hello[:3] == [b'1# "server" => "redis"', b'2# "version" => "7.0.15"', b'3# "proto" => (integer) 3']
    assert hello[4:] == [b'5# "mode" => "standalone"', b'6# "role" => "master"', b'7# "modules" => (empty array)']
    assert out(target, "-3", "--no-raw", "GET", "missing") == b"(nil)\n"
    assert out(target, "-3", "--no-raw", "CONFIG", "GET", "maxmemory") == b'1# "maxmemory" => "0"\n'
    assert out(target, "-3", "CONFIG", "GET", "maxmemory") == b"maxmemory 0\n"


def test_info_server(target):
    info = out(target, "INFO", "server")
    assert info.startswith(b"# Server\r\nredis_version:7.0.15\r\n")


# -- stdin scripts and --pipe --------------------------------------------------------------------------


def test_commands_piped_to_stdin(target, r):
    result = cli(target, input=b"SET a b\nGET a\nGET nosuch\nINCR a\n")
    assert result.stdout == b"OK\nb\n\nERR value is not an integer or out of range\n\n"


def mass_insert_protocol(n: int) -> bytes:
    parts = []
    for i in range(n):
        key, value = b"key:%d" % i, b"value:%d" % i
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(key), key, len(value), value))
    return b"".join(parts)


def test_pipe_mass_insertion(target, r):
    result = cli(target, "--pipe", input=mass_insert_protocol(10_000))
    assert result.stdout == (
        b"All data transferred. Waiting for the last reply...\n"
        b"Last reply received from server.\n"
        b"errors: 0, replies: 10000\n"
    )
    assert result.returncode == 0
    assert r.dbsize() == 10_000
    assert r.get("key:9999") == b"value:9999"


def test_pipe_reports_errors(target, r):
    result = cli(target, "--pipe", input=b"SET a 1\r\nINCR a\r\nINCR nokey x\r\n")
    assert result.stdout.endswith(b"errors: 1, replies: 3\n")
    assert result.stderr == b"ERR wrong number of arguments for 'incr' command\n"
    assert result.returncode == 1
    assert r.get("a") == b"2"


# -- keyspace tools: --scan, --bigkeys ----------------------------------------------------------------


def test_scan_with_pattern(target, r):
    r.mset({f"user:{i}": i for i in range(300)})
    r.mset({f"other:{i}": i for i in range(50)})
    keys = out(target, "--scan", "--pattern", "user:1*").split()
    assert sorted(keys) == sorted(f"user:{i}".encode() for i in range(300) if str(i).startswith("1"))
    assert len(out(target, "--scan").split()) == 350
    assert len(out(target, "--scan", "--pattern", "*:4?").split()) == 20


def test_bigkeys(target, r):
    for i in range(1, 6):
        r.set(f"s:{i}", "x" * (i * 10))
    r.set("longest", "y" * 77)
    report = out(target, "--bigkeys").decode()
    summary = report[report.index("-------- summary -------") :]
    assert summary == (
        "-------- summary -------\n\n"
        "Sampled 6 keys in the keyspace!\n"
        "Total key length in bytes is 22 (avg len 3.67)\n\n"
        "Biggest string found '\"longest\"' has 77 bytes\n\n"
        "0 lists with 0 items (00.00% of keys, avg size 0.00)\n"
        "0 hashs with 0 fields (00.00% of keys, avg size 0.00)\n"
        "6 strings with 227 bytes (100.00% of keys, avg size 37.83)\n"
        "0 streams with 0 entries (00.00% of keys, avg size 0.00)\n"
        "0 sets with 0 members (00.00% of keys, avg size 0.00)\n"
        "0 zsets with 0 members (00.00% of keys, avg size 0.00)\n"
    )


def test_memkeys(target, r):
    """--memkeys sizes keys with MEMORY USAGE: allocator-dependent numbers, so the shape is checked."""
    for i in range(1, 6):
        r.set(f"s:{i}", "x" * (i * 10))
    r.set("longest", "y" * 300)
    result = cli(target, "--memkeys")
    report = result.stdout.decode()
    assert "Warning" not in report + result.stderr.decode()
    summary = report[report.index("-------- summary -------") :]
    found = re.search(r"\nBiggest string found '\"longest\"' has (\d+) bytes\n", summary)
    assert found and int(found.group(1)) >= 300, summary
    total = re.search(r"\n6 strings with (\d+) bytes \(100\.00% of keys, avg size [\d.]+\)\n", summary)
    assert total and int(total.group(1)) >= 300 + 150, summary
    assert "0 lists with 0 bytes (00.00% of keys, avg size 0.00)\n" in summary


# -- monitoring modes, bounded --------------------------------------------------------------------------


def test_latency_single_sample_when_not_a_terminal(target):
    # Off a terminal, --latency samples for one interval (-i), prints "min max avg samples" and exits.
    result = cli(target, "--latency", "-i", "0.3", timeout=30)
    assert result.returncode == 0
    assert re.fullmatch(rb"\d+ \d+ \d+\.\d\d [1-9]\d*\n", result.stdout), result.stdout


def test_latency_history_on_a_terminal(target):
    term = Terminal(target, "--latency-history", "-i", "1")
    try:
        text = term.until(b"seconds range\r\n", timeout=15)
    finally:
        term.close()
    assert re.search(rb"min: \d+, max: \d+, avg: \d+\.\d\d \(\d+ samples\) -- 1\.\d\d seconds range\r\n$", text)


def test_stat_on_a_terminal(target, r):
    r.mset({f"stat:{i}": i for i in range(42)})
    term = Terminal(target, "--stat", "-i", "0.5")
    try:
        header = term.until(b"connections          \r\n", timeout=15)
        rows = [term.until(b"\r\n", timeout=15) for _ in range(3)]
    finally:
        term.close()
    assert header == (
        b"------- data ------ --------------------- load -------------------- - child -\r\n"
        b"keys       mem      clients blocked requests            connections          \r\n"
    )
    for row in rows:
        fields = row.split()
        assert fields[0] == b"42", row  # keys
        assert re.fullmatch(rb"[\d.]+[BKMG]", fields[1]), row  # used memory, human readable
        assert int(fields[2]) >= 1 and fields[3] == b"0", row  # clients, blocked
        assert re.fullmatch(rb"\(\+\d+\)", fields[5]), row  # requests since the last row


# -- interactive prompt ------------------------------------------------------------------------------------


def test_interactive_session(target, r):
    term = Terminal(target)
    prompt = b"%s:%d> " % (target.host.encode(), target.port)
    try:
        term.until(prompt)

        def run(line: bytes, until: bytes = prompt) -> bytes:
            os.write(term.master, line + b"\n")
            reply = term.until(until)
            assert reply.startswith(line + b"\r\n")  # the terminal echoes the line
            return reply[len(line) + 2 : -len(until)]

        assert run(b"SET greeting hello") == b"OK\r\n"
        assert run(b'GET "greeting"') == b'"hello"\r\n'
        assert run(b"GET nosuch") == b"(nil)\r\n"
        assert run(b"INCR greeting") == b"(error) ERR value is not an integer or out of range\r\n"
        assert run(b"PING") == b"PONG\r\n"
        # redis-cli builds its help from COMMAND DOCS: the syntax line comes from the argument specs
        help_set = run(b"help SET")
        assert (
            b"\x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|"
            b"EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m\r\r\n"
        ) in help_set
        assert b"\x1b[33msince:\x1b[0m 1.0.0\r\r\n  \x1b[33mgroup:\x1b[0m string\r\r\n" in help_set
        db2 = b"%s:%d[2]> " % (target.host.encode(), target.port)
        assert run(b"SELECT 2", until=db2) == b"OK\r\n"
        assert run(b"GET greeting", until=db2) == b"(nil)\r\n"
        os.write(term.master, b"QUIT\n")
        term.read_for(0.5)
        assert term.proc.wait(10) == 0
    finally:
        term.close()


# -- a telnet-style session: inline commands over a plain socket -----------------------------------


def test_inline_session_over_a_plain_socket(target, r):
    with RawConnection(target.host, target.port) as conn:
        conn.send(b"PING\r\n")
        assert conn.read_reply() == b"+PONG\r\n"
        conn.send(b"SET greeting 'hello world'\r\n")
        assert conn.read_reply() == b"+OK\r\n"
        conn.send(b"GET greeting\r\n")
        assert conn.read_reply() == b"$11\r\nhello world\r\n"
        conn.send(b"DBSIZE\r\n")
        assert conn.read_reply() == b":1\r\n"
        conn.send(b"QUIT\r\n")
        assert conn.read_reply() == b"+OK\r\n"
        assert conn.is_closed()


@pytest.mark.parametrize("flag", ["-2", "-3"])
def test_commands_in_both_protocols(target, r, flag):
    r.set("k", "v")
    assert out(target, flag, "GET", "k") == b"v\n"
    assert out(target, flag, "DBSIZE") == b"1\n"
