"""Fixtures for the caching library against live servers: a fault-injecting TCP proxy and a 3-node Redis Cluster.

The proxy sits between a client and a server on a free loopback port; ``outage()`` drops every connection
and refuses new ones until ``restore()``. The cluster is three real ``redis-server`` processes with
``cluster-enabled yes`` in temporary directories, joined by ``redis-cli --cluster create`` and always torn
down. Our server has no cluster mode, so cluster tests run against real Redis only.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))

from helpers import RawConnection, free_port, require_binary  # noqa: E402


class FaultProxy:
    """A thread-per-connection TCP relay that can drop all connections and refuse new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.closed = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def outage(self) -> None:
        self.down = True
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.closed = True
        self.outage()
        self.listener.close()


@pytest.fixture
def proxy(target):
    p = FaultProxy(target.host, target.port)
    yield p
    p.close()


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class LocalCluster:
    """Three cluster-enabled redis-server processes on free loopback ports, no replicas."""

    def __init__(self) -> None:
        self.server = require_binary("redis-server")
        self.cli = require_binary("redis-cli")
        self.ports = [_cluster_port() for _ in range(3)]
        self.dirs = [tempfile.mkdtemp(prefix="redis-cluster-") for _ in self.ports]
        self.procs: list[subprocess.Popen] = []

    def start(self) -> LocalCluster:
        for port, d in zip(self.ports, self.dirs, strict=True):
            self.procs.append(subprocess.Popen(
                [self.server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", f"{d}/nodes.conf", "--cluster-node-timeout", "5000",
                 "--save", "", "--appendonly", "no", "--dir", d, "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            self._wait(lambda port=port: RawConnection("127.0.0.1", port, 1).command("PING") == b"+PONG\r\n")
        subprocess.run(
            [self.cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        for port in self.ports:
            self._wait(lambda port=port: b"cluster_state:ok" in RawConnection("127.0.0.1", port, 1).command(
                "CLUSTER", "INFO"))
        return self

    @staticmethod
    def _wait(ready, deadline: float = 30.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("cluster node did not become ready")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster():
    c = LocalCluster()
    try:
        yield c.start()
    finally:
        c.stop()
