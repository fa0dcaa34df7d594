"""A distributed lease lock with fencing tokens, for any redis-py client (sync or asyncio, standalone or cluster).

    lock = Lock(client, "invoice:42", lease_ms=10_000)
    with lock:                                   # async with, over a redis.asyncio client
        store.write(row, fence=lock.fence)       # the store refuses a fence older than the last it saw

How it works, on three keys of one hash slot (``{name}`` is the tag, so it works on a cluster):
  ``{name}:lock``   the holder's random token, ``SET NX PX lease_ms``: the lock frees itself when the lease
                    runs out, so a holder that dies is taken over without anyone's help;
  ``{name}:fence``  a counter incremented by the same script that grants the lock: each holder gets a fencing
                    token greater than every earlier holder's (no TTL: it must never restart);
  ``{name}:wake``   the wake list: a release pushes one element, and one blocked waiter BLPOPs it and tries
                    again; the next release wakes the next waiter. A list rather than pub/sub, so a release
                    that happens between a waiter's failed attempt and its BLPOP is not missed.
A waiter's BLPOP lasts at most until the holder's lease would run out (the script answers its PTTL), and at
most ``recheck`` seconds, so a holder that died, or a wake taken by a waiter that then gave up, delays the
others by a bounded time, without polling. Release and extend check the token in the same script that
deletes or extends, so only the holder can do either, even just after its lease expired.

Limits (documented because they are real):
- One server, or one cluster slot on its master: this is not Redlock. A failover that loses the lock key
  (asynchronous replication) can grant the lock twice; the fencing token still only grows if the fence key
  survived, so stores that check it stay safe in the common cases, not in all.
- A holder can outlive its lease: a long GC pause, a stalled VM or a slow network, and its lease expires
  while it still believes it holds the lock. Nothing on the lock's side can prevent that; the fencing token
  is what makes it harmless: pass ``lock.fence`` with every write and have the store reject a fence lower
  than the highest it has accepted. Extend the lease (``extend``) for work longer than ``lease_ms``.
- One ``Lock`` object is one would-be holder: give each thread or task its own object (same name). Acquiring
  an object that already holds the lock raises ``RuntimeError`` (it is not reentrant).

The flows (acquire, release, extend) are written once as generators yielding server operations (flows.py);
``Lock`` drives them with blocking calls over a sync client, or returns awaitables over an asyncio client.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from cacheserver.caching import lease
from cacheserver.caching.backend import backend_for
from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock
from cacheserver.caching.flows import Call, Eval, Flow, run_async, run_sync
from cacheserver.caching.lease import new_token
from cacheserver.caching.scripts import Script

# KEYS: lock, fence. ARGV: token, lease ms. Answers {1, fencing token} or {0, the holder's PTTL}.
_ACQUIRE = Script("""\
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
""")

# KEYS: lock, wake. ARGV: token, wake TTL ms. Keeps at most one pending wake: one waiter per release.
_RELEASE = Script("""\
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('DEL', KEYS[2])
  redis.call('RPUSH', KEYS[2], '1')
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
""")

class LockTimeout(TimeoutError):
    """``with lock:`` gave up waiting after ``wait_timeout`` seconds."""


class LockLost(RuntimeError):
    """The lease ran out before ``with lock:`` released it: the block did not run exclusively to its end."""


class Lock:
    """A lease lock named ``name``; see the module docstring. Times: ``lease_ms`` in ms, others in seconds.

    ``wait_timeout`` bounds how long ``with lock:`` waits (None: no bound); ``recheck`` bounds one wait
    between attempts. After a successful acquire, ``token`` is this holder's secret and ``fence`` its
    fencing token. Over an asyncio client, ``acquire``/``release``/``extend``/``locked`` return awaitables.
    """

    def __init__(
        self,
        client: Any,
        name: str,
        lease_ms: int = 10_000,
        *,
        wait_timeout: float | None = None,
        recheck: float = 1.0,
        clock: SystemClock = SYSTEM_CLOCK,
    ) -> None:
        if lease_ms < 1:
            raise ValueError("lease_ms must be positive")
        self.client = client
        self.is_async = backend_for(client).is_async
        self.name = name
        self.lease_ms = int(lease_ms)
        self.wait_timeout = wait_timeout
        self.recheck = recheck
        self.clock = clock
        self.lock_key, self.fence_key, self.wake_key = (f"{{{name}}}:lock", f"{{{name}}}:fence", f"{{{name}}}:wake")
        self.token: bytes | None = None
        self.fence: int | None = None

    # -- public API: each call runs one flow on the right driver ------------------------------------------
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool | Awaitable[bool]:
        """Take the lock; blocking, wait up to ``timeout`` seconds (None: until it is ours). True if held."""
        return self._run(self._acquire(blocking, timeout))

    def release(self) -> bool | Awaitable[bool]:
        """Give the lock up. False if the lease had already run out (someone else may hold it now)."""
        return self._run(self._release())

    def extend(self, lease_ms: int | None = None) -> bool | Awaitable[bool]:
        """Restart the lease at ``lease_ms`` (default: the lock's). False if it had already run out."""
        return self._run(self._extend(self.lease_ms if lease_ms is None else int(lease_ms)))

    def locked(self) -> bool | Awaitable[bool]:
        """Whether anyone holds the lock now."""
        return self._run(self._locked())

    def __enter__(self) -> Lock:
        if self.is_async:
            raise TypeError("a Lock over an asyncio client is used with 'async with'")
        if not self.acquire(timeout=self.wait_timeout):
            raise LockTimeout(f"lock {self.name!r} not acquired within {self.wait_timeout}s")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.release() and exc_type is None:
            raise LockLost(f"lock {self.name!r}: the lease ran out before the block ended")

    async def __aenter__(self) -> Lock:
        if not self.is_async:
            raise TypeError("a Lock over a synchronous client is used with 'with'")
        if not await self.acquire(timeout=self.wait_timeout):
            raise LockTimeout(f"lock {self.name!r} not acquired within {self.wait_timeout}s")
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not await self.release() and exc_type is None:
            raise LockLost(f"lock {self.name!r}: the lease ran out before the block ended")

    # -- flows ------------------------------------------------------------------------------------------
    def _acquire(self, blocking: bool, timeout: float | None) -> Flow:
        if self.token is not None:
            raise RuntimeError(f"this Lock object already holds {self.name!r}; use one Lock per holder")
        token = new_token()
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        while True:
            granted, value = yield Eval(_ACQUIRE, [self.lock_key, self.fence_key], (token, self.lease_ms))
            if granted:
                self.token, self.fence = token, int(value)
                return True
            if not blocking:
                return False
            # Until a release wakes us, or the holder's lease runs out (nobody pushes then), or recheck.
            wait = self.recheck if value < 0 else min(self.recheck, value / 1000 + 0.001)
            if deadline is not None:
                left = deadline - self.clock.monotonic()
                if left <= 0:
                    return False
                wait = min(wait, left)
            yield Call("blpop", [self.wake_key], max(wait, 0.001))

    def _release(self) -> Flow:
        token = self._held_token()
        self.token = self.fence = None
        released = yield Eval(_RELEASE, [self.lock_key, self.wake_key], (token, self.lease_ms))
        return bool(released)

    def _extend(self, lease_ms: int) -> Flow:
        extended = yield Eval(lease.EXTEND, [self.lock_key], (self._held_token(), lease_ms))
        if not extended:
            self.token = self.fence = None
        return bool(extended)

    def _locked(self) -> Flow:
        return bool((yield Call("exists", self.lock_key)))

    def _held_token(self) -> bytes:
        if self.token is None:
            raise RuntimeError(f"lock {self.name!r} is not held by this Lock object")
        return self.token

    def _run(self, flow: Flow) -> Any:
        return run_async(flow, self.client) if self.is_async else run_sync(flow, self.client)
