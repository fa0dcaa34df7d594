"""Servers under benchmark: cacheserver and a real redis-server as subprocesses on free loopback ports.

    from servers import bench_parser, load_note, running, server_names

    args = bench_parser(__doc__).parse_args()       # --quick, --servers cacheserver,redis, --redis-server
    load_note()                                     # on stderr when the machine is busy
    for name in server_names(args):
        with running(name, args) as server:         # started, answering PING; stopped and cleaned up after
            client = server.client()                # a redis.Redis on its port
            ...

``with running_both(args, cpus) as servers:`` runs both at once, for benches that alternate between them
(``add_server_options(parser)`` adds ``--servers``/``--redis-server`` to a parser of one's own). Every server binds 127.0.0.1 on a free port and
runs without persistence (``--save '' --appendonly no``) in a working directory of its own. A stopped
``Server`` can be started again on the same port (the caching bench's outage scenario).

Rules: loopback only; a server that does not answer PING in time, or exits, fails the bench at once;
every server started is stopped (terminate, then kill after 10 s) when its ``with`` block ends.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("cacheserver", "redis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_ping(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64) == b"+PONG\r\n":
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"server on port {port} did not answer PING within {timeout}s")


def argv_for(name: str, port: int, workdir: str, redis_server: str = "redis-server") -> list[str]:
    """The command line of ``name`` ("cacheserver" or "redis") on ``port``, without persistence."""
    common = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if name == "cacheserver":
        return [sys.executable, "-m", "cacheserver", *common]
    if name == "redis":
        return [redis_server, *common, "--daemonize", "no", "--dir", workdir]
    raise ValueError(f"unknown server {name!r}: choose from {', '.join(NAMES)}")


class Server:
    """One server under test, run as a subprocess; ``cpu_seconds()`` reads its CPU time from /proc."""

    def __init__(self, name: str, argv: list[str], port: int, workdir: str) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self, cpus: set[int] | None = None) -> Server:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        with open(os.path.join(self.workdir, f"{self.name}.log"), "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        if cpus:
            os.sched_setaffinity(self.proc.pid, cpus)
        try:
            wait_for_ping(self.port, self.proc)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def cpu_seconds(self) -> float:
        """CPU time of all the server's threads: schedstat (ns) where the kernel has it, else stat (ticks)."""
        pid = self.proc.pid
        total_ns = 0
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total_ns += int(f.read().split()[0])
            return total_ns / 1e9
        except (OSError, ValueError, IndexError):
            pass
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def flushall(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(64)


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every side-by-side bench has: ``--quick``, ``--servers``, ``--redis-server``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, to check it works (a busy machine)")
    add_server_options(parser)
    return parser


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--servers", default=",".join(NAMES), help="servers to run, comma-separated "
                        f"({','.join(NAMES)})")
    parser.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server",
                        help="the redis-server binary")


def server_names(args: argparse.Namespace) -> list[str]:
    return [name.strip() for name in args.servers.split(",") if name.strip()]


@contextlib.contextmanager
def running(name: str, args: argparse.Namespace | None = None, cpus: set[int] | None = None) -> Iterator[Server]:
    """``name`` started on a free port in a temporary directory; stopped and the directory removed after."""
    workdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
    binary = getattr(args, "redis_server", None) or "redis-server"
    server = Server(name, argv_for(name, port := free_port(), workdir, binary), port, workdir)
    try:
        yield server.start(cpus)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def running_both(args: argparse.Namespace | None = None, cpus: set[int] | None = None) -> Iterator[list[Server]]:
    """cacheserver and redis-server, both running in one temporary directory; stopped and removed after."""
    workdir = tempfile.mkdtemp(prefix="bench-servers-")
    binary = getattr(args, "redis_server", None) or "redis-server"
    started: list[Server] = []
    try:
        for name in NAMES:
            port = free_port()
            started.append(Server(name, argv_for(name, port, workdir, binary), port, workdir).start(cpus))
        yield started
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def total_commands(client: redis.Redis) -> int:
    """Commands the server has processed so far (INFO counts itself)."""
    return int(client.info("stats")["total_commands_processed"])


def load_note() -> None:
    """A note on stderr when the machine is busy at the start: its results will be noisy."""
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average {load:.2f} at start: results will be noisy", file=sys.stderr)
