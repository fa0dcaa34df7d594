"""Backends: the handful of Redis commands the patterns use, over any redis-py client or in memory.

``RedisBackend`` wraps ``redis.Redis`` or ``redis.cluster.RedisCluster``; ``AsyncRedisBackend`` wraps their
asyncio twins; ``MemoryBackend`` (and ``AsyncMemoryBackend`` over it) is a dict-based fake with the same
semantics for tests. Rules that keep every operation cluster-safe: each command touches one key, a pipeline
only groups commands on the same key, and multi-key deletes are issued per key on a cluster (keys of one
invalidation may live on different slots). Values are bytes in, bytes out.

Operations: ``get``, ``set`` (PX), ``delete``, ``incr``, ``acquire``, ``release``/``extend`` (by token, atomically:
see lease.py), ``notify``/``wait``, ``tag``/``members``.
``acquire`` is ``SET key token NX PX ms GET``, PTTL and GET of the entry in one round trip: it answers None
when the lease is ours, else the holder's token, and the time its lease has left, and the entry as it is
now (a holder may have stored it between our miss and our attempt). ``notify`` pushes the new entry on the wake
list of one lease round (named after the holder's token, with a short TTL); ``wait`` is ``BLMOVE list list
LEFT RIGHT``: it rotates the one element back onto the same list, so a single push wakes every waiter of
the round at once (Redis serves each client blocked on the list while it is not empty, and the rotation
never empties it), each waiter costs one command, and a waiter arriving after the push returns at once.
``tag``/``members`` keep tag sets.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

import redis
import redis.asyncio

from cacheserver.caching import lease
from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock
from cacheserver.caching.scripts import Script

try:
    from redis.asyncio.cluster import RedisCluster as _AsyncCluster
    from redis.cluster import RedisCluster as _SyncCluster
except ImportError:  # pragma: no cover - redis-py without cluster support
    _SyncCluster = _AsyncCluster = ()  # type: ignore[assignment,misc]

# Errors meaning "the cache is unreachable" (they open the circuit breaker), as opposed to a refused command.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError, OSError)
# Every failure of a cache command: refused by the server, or the server unreachable.
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, *CONNECTION_ERRORS)


def is_cluster(client: Any) -> bool:
    """Whether ``client`` is a redis-py cluster client (sync or asyncio)."""
    return isinstance(client, (_SyncCluster, _AsyncCluster))


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class RedisBackend:
    """Synchronous backend over ``redis.Redis`` or ``redis.cluster.RedisCluster``."""

    is_async = False

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cluster = isinstance(client, _SyncCluster)
        self.scripting = lease.UNKNOWN
        self.get = client.get  # the hit path's one command: no wrapper frame in between

    def get(self, key: str) -> bytes | None:
        return self.client.get(key)

    def set(self, key: str, value: bytes, px: int) -> None:
        self.client.set(key, value, px=px)

    def delete(self, keys: list[str]) -> int:
        if not keys:
            return 0
        if self.cluster:
            return sum(self.client.delete(k) for k in keys)
        return self.client.delete(*keys)

    def incr(self, key: str) -> int:
        return self.client.incr(key)

    def acquire(self, key: str, token: bytes, px: int, entry_key: str) -> tuple[bytes | None, int, bytes | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(key, token, nx=True, px=px, get=True)
        pipe.pttl(key)
        pipe.get(entry_key)
        return tuple(pipe.execute())

    def release(self, key: str, token: bytes) -> bool:
        return self._guarded(lease.RELEASE, key, token, None)

    def extend(self, key: str, token: bytes, px: int) -> bool:
        return self._guarded(lease.EXTEND, key, token, px)

    def _guarded(self, script: Script, key: str, token: bytes, px: int | None) -> bool:
        args = (token,) if px is None else (token, px)
        if self.scripting != lease.TRANSACTIONS:
            try:
                result = script.run(self.client, (key,), args)
                self.scripting = lease.SCRIPTS
                return bool(result)
            except redis.ResponseError as exc:
                # No scripting at all: remember it. A server whose scripting fails otherwise (still being
                # built, disabled, out of memory for scripts) gets the transaction for this call only.
                if lease.is_unknown_command(exc):
                    self.scripting = lease.TRANSACTIONS
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    if pipe.get(key) != token:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    if px is None:
                        pipe.delete(key)
                    else:
                        pipe.pexpire(key, px)
                    return bool(pipe.execute()[0])
                except redis.WatchError:
                    continue

    def notify(self, key: str, payload: bytes, ttl_ms: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(key, payload)
        pipe.pexpire(key, ttl_ms)
        pipe.execute()

    def wait(self, key: str, timeout: float) -> bytes | None:
        return self.client.blmove(key, key, max(timeout, 0.001), "LEFT", "RIGHT")  # 0 would block forever

    def tag(self, tags: list[str], key: str, px: int) -> None:
        for tag in tags:
            pipe = self.client.pipeline(transaction=False)
            pipe.sadd(tag, key)
            pipe.pexpire(tag, px, nx=True)
            pipe.pexpire(tag, px, gt=True)
            pipe.execute()

    def members(self, tag: str) -> list[str]:
        return sorted(m.decode() for m in self.client.smembers(tag))


class AsyncRedisBackend:
    """Asynchronous backend over ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``."""

    is_async = True

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cluster = isinstance(client, _AsyncCluster)
        self.scripting = lease.UNKNOWN
        self.get = client.get  # the hit path's one command: no wrapper frame in between

    async def get(self, key: str) -> bytes | None:
        return await self.client.get(key)

    async def set(self, key: str, value: bytes, px: int) -> None:
        await self.client.set(key, value, px=px)

    async def delete(self, keys: list[str]) -> int:
        if not keys:
            return 0
        if self.cluster:
            n = 0
            for k in keys:
                n += await self.client.delete(k)
            return n
        return await self.client.delete(*keys)

    async def incr(self, key: str) -> int:
        return await self.client.incr(key)

    async def acquire(self, key: str, token: bytes, px: int, entry_key: str) -> tuple[bytes | None, int, bytes | None]:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(key, token, nx=True, px=px, get=True)
        pipe.pttl(key)
        pipe.get(entry_key)
        return tuple(await pipe.execute())

    async def release(self, key: str, token: bytes) -> bool:
        return await self._guarded(lease.RELEASE, key, token, None)

    async def extend(self, key: str, token: bytes, px: int) -> bool:
        return await self._guarded(lease.EXTEND, key, token, px)

    async def _guarded(self, script: Script, key: str, token: bytes, px: int | None) -> bool:
        args = (token,) if px is None else (token, px)
        if self.scripting != lease.TRANSACTIONS:
            try:
                result = await script.arun(self.client, (key,), args)
                self.scripting = lease.SCRIPTS
                return bool(result)
            except redis.ResponseError as exc:
                # No scripting at all: remember it. A server whose scripting fails otherwise (still being
                # built, disabled, out of memory for scripts) gets the transaction for this call only.
                if lease.is_unknown_command(exc):
                    self.scripting = lease.TRANSACTIONS
        while True:
            async with self.client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    if await pipe.get(key) != token:
                        await pipe.unwatch()
                        return False
                    pipe.multi()
                    if px is None:
                        pipe.delete(key)
                    else:
                        pipe.pexpire(key, px)
                    return bool((await pipe.execute())[0])
                except redis.WatchError:
                    continue

    async def notify(self, key: str, payload: bytes, ttl_ms: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(key, payload)
        pipe.pexpire(key, ttl_ms)
        await pipe.execute()

    async def wait(self, key: str, timeout: float) -> bytes | None:
        return await self.client.blmove(key, key, max(timeout, 0.001), "LEFT", "RIGHT")

    async def tag(self, tags: list[str], key: str, px: int) -> None:
        for tag in tags:
            pipe = self.client.pipeline(transaction=False)
            pipe.sadd(tag, key)
            pipe.pexpire(tag, px, nx=True)
            pipe.pexpire(tag, px, gt=True)
            await pipe.execute()

    async def members(self, tag: str) -> list[str]:
        return sorted(m.decode() for m in await self.client.smembers(tag))


class MemoryBackend:
    """An in-memory stand-in for Redis with the semantics the patterns rely on (TTL in ms on ``clock``).

    ``down = True`` makes every command raise ``redis.ConnectionError`` (an outage); ``commands`` counts the
    commands issued, by name, as a server would see them.
    """

    is_async = False

    def __init__(self, clock: SystemClock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.data: dict[str, list[Any]] = {}  # key -> [value, expire_at_ms or None]
        self.down = False
        self.commands: dict[str, int] = {}
        self.scripting = lease.SCRIPTS
        self._cond = threading.Condition()

    def _cmd(self, name: str, n: int = 1) -> None:
        if self.down:
            raise redis.ConnectionError("memory backend is down")
        self.commands[name] = self.commands.get(name, 0) + n

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def _lookup(self, key: str) -> Any:
        item = self.data.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] <= self._now_ms():
            del self.data[key]
            return None
        return item[0]

    def pttl(self, key: str) -> int:
        if self._lookup(key) is None:
            return -2
        at = self.data[key][1]
        return -1 if at is None else at - self._now_ms()

    def get(self, key: str) -> bytes | None:
        self._cmd("get")
        value = self._lookup(key)
        if value is not None and not isinstance(value, bytes):
            raise redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")
        return value

    def set(self, key: str, value: bytes, px: int) -> None:
        self._cmd("set")
        self.data[key] = [value, self._now_ms() + px]

    def delete(self, keys: list[str]) -> int:
        self._cmd("del")
        n = 0
        for k in keys:
            if self._lookup(k) is not None:
                del self.data[k]
                n += 1
        return n

    def incr(self, key: str) -> int:
        self._cmd("incr")
        value = int(self._lookup(key) or 0) + 1
        item = self.data.get(key)
        self.data[key] = [b"%d" % value, item[1] if item else None]
        return value

    def acquire(self, key: str, token: bytes, px: int, entry_key: str) -> tuple[bytes | None, int, bytes | None]:
        self._cmd("set")
        self._cmd("pttl")
        self._cmd("get")
        with self._cond:
            holder = self._lookup(key)
            if holder is None:
                self.data[key] = [token, self._now_ms() + px]
            entry = self._lookup(entry_key)
            return holder, self.pttl(key), entry if isinstance(entry, bytes) else None

    def release(self, key: str, token: bytes) -> bool:
        self._cmd("evalsha")
        with self._cond:
            if self._lookup(key) == token:
                del self.data[key]
                return True
            return False

    def extend(self, key: str, token: bytes, px: int) -> bool:
        self._cmd("evalsha")
        with self._cond:
            if self._lookup(key) == token:
                self.data[key][1] = self._now_ms() + px
                return True
            return False

    def notify(self, key: str, payload: bytes, ttl_ms: int) -> None:
        self._cmd("rpush")
        self._cmd("pexpire")
        with self._cond:
            items = self._lookup(key)
            if items is None:
                items = deque()
            items.append(payload)
            self.data[key] = [items, self._now_ms() + ttl_ms]
            self._cond.notify_all()

    def _rotate(self, key: str) -> bytes | None:
        """LMOVE key key LEFT RIGHT: the head element, moved to the tail of the same list."""
        items = self._lookup(key)
        if not items:
            return None
        items.rotate(-1)
        return items[-1]

    def wait(self, key: str, timeout: float) -> bytes | None:
        """BLMOVE rotating the list; the fake clock does not move while blocked: ``timeout`` is real seconds."""
        self._cmd("blmove")
        with self._cond:
            if not self._lookup(key):
                self._cond.wait_for(lambda: self._lookup(key), timeout=timeout)
            return self._rotate(key)

    def tag(self, tags: list[str], key: str, px: int) -> None:
        for tag in tags:
            self._cmd("sadd")
            self._cmd("pexpire", 2)
            members = self._lookup(tag)
            expire_at = self._now_ms() + px
            if members is None:
                self.data[tag] = [{key}, expire_at]
            else:
                members.add(key)
                self.data[tag][1] = max(self.data[tag][1], expire_at)

    def members(self, tag: str) -> list[str]:
        self._cmd("smembers")
        return sorted(self._lookup(tag) or ())


class AsyncMemoryBackend:
    """The memory backend behind coroutines (for tests of the async patterns on one event loop)."""

    is_async = True

    def __init__(self, memory: MemoryBackend) -> None:
        self.memory = memory

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.memory, name)

        async def call(*args: Any) -> Any:
            await asyncio.sleep(0)  # a real client yields to the loop on every command
            return method(*args)

        return call

    async def wait(self, key: str, timeout: float) -> bytes | None:
        m = self.memory
        m._cmd("blmove")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with m._cond:
                payload = m._rotate(key)
            if payload is not None:
                return payload
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.001)  # a fake: the real backend blocks in BLPOP on the server


def backend_for(client: Any) -> Any:
    """The backend for a redis-py client (sync or asyncio, standalone or cluster) or a memory backend."""
    if isinstance(client, (RedisBackend, AsyncRedisBackend, MemoryBackend, AsyncMemoryBackend)):
        return client
    if isinstance(client, (redis.asyncio.Redis, _AsyncCluster)):
        return AsyncRedisBackend(client)
    if isinstance(client, (redis.Redis, _SyncCluster)):
        return RedisBackend(client)
    raise TypeError(f"not a redis-py client: {type(client).__name__}")
