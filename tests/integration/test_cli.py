"""The ``cacheserver`` command as a subprocess: start-up log, flags, config files, bad configs, SIGTERM,
SHUTDOWN and CONFIG REWRITE."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import RawConnection, free_port

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str, cwd: str | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cacheserver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd or str(ROOT),
    )


def _wait_ready(proc: subprocess.Popen, port: int) -> RawConnection:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        try:
            conn = RawConnection("127.0.0.1", port, timeout=2)
            if conn.command("PING") == b"+PONG\r\n":
                return conn
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def spawn():
    procs: list[subprocess.Popen] = []

    def run(*args: str, cwd: str | None = None) -> subprocess.Popen:
        proc = _start(*args, cwd=cwd)
        procs.append(proc)
        return proc

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_flags_log_lines_and_sigterm(spawn):
    port = free_port()
    proc = spawn("--port", str(port), "--maxmemory", "10mb", "--save", "")
    conn = _wait_ready(proc, port)
    assert conn.command("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n"
    assert conn.command("CONFIG", "GET", "save") == b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    conn.close()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "No config file specified, using the default config." in out
    assert f"port={port}" in out
    assert "Ready to accept connections tcp" in out
    assert "Received SIGTERM scheduling shutdown..." in out
    assert "ready to exit, bye bye..." in out
    assert ":M " in out.splitlines()[0]  # pid:role timestamp level message


def test_shutdown_command_exits_zero(spawn):
    port = free_port()
    proc = spawn("--port", str(port))
    conn = _wait_ready(proc, port)
    conn.send(b"*1\r\n$8\r\nSHUTDOWN\r\n")
    assert conn.is_closed(wait=10)
    assert conn.buf == b""
    conn.close()
    proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_sigint_exits_zero(spawn):
    port = free_port()
    proc = spawn("--port", str(port))
    _wait_ready(proc, port).close()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "Received SIGINT scheduling shutdown..." in out


def test_shipped_config_file_loads(spawn, tmp_path):
    port = free_port()
    proc = spawn(str(ROOT / "conf" / "cacheserver.conf"), "--port", str(port), "--dir", str(tmp_path))
    conn = _wait_ready(proc, port)
    assert conn.command("CONFIG", "GET", "maxmemory-policy") == (
        b"*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
    )
    conn.close()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "Configuration loaded from" in out


def test_bad_directive_names_file_line_and_directive(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nport 7000\nnosuchdirective yes\n")
    proc = _start(str(conf))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"Reading the configuration file {conf}, at line 3" in err
    assert ">>> 'nosuchdirective yes'" in err
    assert "Directive 'nosuchdirective': Bad directive or wrong number of arguments" in err


def test_bad_value_is_reported(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("maxmemory 10q\n")
    proc = _start(str(conf))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "at line 1" in err and "Directive 'maxmemory': argument must be a memory value" in err


def test_bad_flag_is_reported():
    proc = _start("--maxmemory-policy", "sometimes")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "(command line)" in err and "Directive 'maxmemory-policy': argument(s) must be one of the following:" in err


def test_config_rewrite_round_trip(spawn, tmp_path):
    port = free_port()
    conf = tmp_path / "server.conf"
    conf.write_text(f'# my settings\nport {port}\nmaxmemory 1mb\nsave ""\ndir {tmp_path}\n')
    proc = spawn(str(conf))
    conn = _wait_ready(proc, port)
    assert conn.command("CONFIG", "SET", "maxmemory", "2mb", "maxmemory-policy", "allkeys-lru") == b"+OK\r\n"
    assert conn.command("CONFIG", "REWRITE") == b"+OK\r\n"
    text = conf.read_text()
    assert text.startswith("# my settings\n")
    assert "\nmaxmemory 2097152\n" in text
    assert "\nmaxmemory-policy allkeys-lru\n" in text
    conn.send(b"*1\r\n$8\r\nSHUTDOWN\r\n")
    conn.is_closed(wait=10)
    conn.close()
    proc.communicate(timeout=60)
    proc2 = spawn(str(conf))
    conn = _wait_ready(proc2, port)
    assert conn.command("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n"
    conn.close()
    proc2.send_signal(signal.SIGTERM)
    proc2.communicate(timeout=60)
    assert proc2.returncode == 0


def test_console_script_version():
    out = subprocess.run(
        [sys.executable, "-m", "cacheserver", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert out.returncode == 0 and out.stdout.startswith("cacheserver, version ")
