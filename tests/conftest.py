"""Fixtures: our server in-process and a real redis-server, both on 127.0.0.1 free ports.

Behaviour tests take ``target`` (or ``r``/``r3``/``raw``, built on it) and run twice: once against
cacheserver and once against redis-server, so every expected value in them is Redis's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).parent))

from helpers import RawConnection, RedisProcess  # noqa: E402

from cacheserver.testing import ServerThread  # noqa: E402


class Target:
    def __init__(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.host = host
        self.port = port

    @property
    def is_redis(self) -> bool:
        return self.name == "redis"

    def client(self, protocol: int = 2, **kwargs) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, protocol=protocol, **kwargs)

    def raw(self) -> RawConnection:
        return RawConnection(self.host, self.port)

    def __repr__(self) -> str:
        return self.name


@pytest.fixture(scope="session")
def cacheserver_thread():
    srv = ServerThread(enable_debug_command="yes").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def redis_process():
    proc = RedisProcess().start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def ours(cacheserver_thread) -> Target:
    return Target("cacheserver", "127.0.0.1", cacheserver_thread.port)


@pytest.fixture(scope="session", params=["cacheserver", "redis"])
def target(request) -> Target:
    if request.param == "redis":
        proc = request.getfixturevalue("redis_process")
        return Target("redis", proc.host, proc.port)
    srv = request.getfixturevalue("cacheserver_thread")
    return Target("cacheserver", "127.0.0.1", srv.port)


@pytest.fixture
def r(target: Target):
    """A RESP2 redis-py client on a flushed server."""
    client = target.client(protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(target: Target):
    """A RESP3 redis-py client on a flushed server."""
    client = target.client(protocol=3)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(target: Target):
    """A raw RESP socket on a flushed server."""
    conn = target.raw()
    conn.command("FLUSHALL")
    yield conn
    conn.close()
