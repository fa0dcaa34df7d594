"""The lease lock against our server and a real redis-server: exclusivity, owner-only release and extend,
expiry takeover, fencing tokens, waiters woken by release, timeouts, asyncio, and a contended counter."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis.asyncio
from helpers import wait_blocked

from cacheserver.caching.locks import Lock, LockLost, LockTimeout


def test_exclusive_acquire_and_keys(r) -> None:
    a, b = Lock(r, "job", lease_ms=5000), Lock(r, "job", lease_ms=5000)
    assert a.locked() is False
    assert a.acquire(blocking=False) is True and a.fence == 1
    assert b.acquire(blocking=False) is False and b.token is None and b.fence is None
    assert a.locked() is True and r.get("{job}:lock") == a.token
    assert 4000 < r.pttl("{job}:lock") <= 5000 and r.ttl("{job}:fence") == -1
    with pytest.raises(RuntimeError):
        a.acquire(blocking=False)  # not reentrant: one Lock object is one holder
    assert a.release() is True and a.locked() is False
    assert r.lrange("{job}:wake", 0, -1) == [b"1"] and 0 < r.pttl("{job}:wake") <= 5000
    assert b.acquire(blocking=False) is True and b.fence == 2


def test_release_and_extend_only_by_the_owner(r) -> None:
    owner, other = Lock(r, "res", lease_ms=5000), Lock(r, "res", lease_ms=5000)
    assert owner.acquire(blocking=False)
    with pytest.raises(RuntimeError):
        other.release()  # it never held the lock
    other.token = b"forged"
    assert other.release() is False
    other.token = b"forged"
    assert other.extend(60_000) is False and other.token is None
    assert r.get("{res}:lock") == owner.token and r.pttl("{res}:lock") <= 5000
    assert owner.extend(60_000) is True and r.pttl("{res}:lock") > 5000
    assert owner.release() is True and r.exists("{res}:lock") == 0


def test_expired_holder_is_taken_over_and_cannot_release_its_successor(r) -> None:
    dead = Lock(r, "t", lease_ms=150)
    assert dead.acquire() is True  # ...and its process dies: it never releases
    successor = Lock(r, "t", lease_ms=5000)
    assert successor.acquire(timeout=5) is True  # waits for the lease to run out, nobody wakes it
    assert (dead.fence, successor.fence) == (1, 2)
    assert dead.release() is False and dead.token is None  # too late: the lease was gone
    assert dead.acquire(blocking=False) is False
    assert r.get("{t}:lock") == successor.token
    dead.token = b"stale"
    assert dead.extend() is False and r.get("{t}:lock") == successor.token


def test_fencing_tokens_grow_and_a_store_rejects_stale_writes(r) -> None:
    fences = []
    for _ in range(5):
        with Lock(r, "acct", lease_ms=5000) as held:
            fences.append(held.fence)
    assert fences == [1, 2, 3, 4, 5]

    store = {"fence": 0, "value": None}

    def write(value: str, fence: int) -> bool:  # what a fencing-aware store does
        if fence < store["fence"]:
            return False
        store.update(fence=fence, value=value)
        return True

    paused = Lock(r, "acct", lease_ms=100)
    assert paused.acquire()
    r.delete("{acct}:lock")  # its lease runs out while it is paused
    with Lock(r, "acct", lease_ms=5000) as successor:
        assert write("new", successor.fence) is True
    assert write("stale", paused.fence) is False and store == {"fence": 7, "value": "new"}


def test_a_release_wakes_a_blocked_waiter(r) -> None:
    holder = Lock(r, "w", lease_ms=30_000)
    assert holder.acquire()
    # recheck and lease are far longer than the join below: only the release's wake can let the waiter in
    waiter = Lock(r, "w", lease_ms=30_000, recheck=30)
    got = []
    thread = threading.Thread(target=lambda: got.append(waiter.acquire(timeout=20)))
    thread.start()
    wait_blocked(r, 1)  # the waiter is in BLPOP on the wake list
    assert holder.release() is True
    thread.join(10)
    assert not thread.is_alive() and got == [True]
    assert waiter.fence == 2 and r.get("{w}:lock") == waiter.token
    assert r.exists("{w}:wake") == 0  # the waiter took the wake
    waiter.release()


def test_acquire_timeout(r) -> None:
    holder = Lock(r, "busy", lease_ms=30_000)
    assert holder.acquire()
    assert Lock(r, "busy").acquire(timeout=0.2) is False
    with pytest.raises(LockTimeout):
        with Lock(r, "busy", wait_timeout=0.1):
            pass
    assert r.get("{busy}:lock") == holder.token and holder.release()


def test_context_manager_reports_a_lost_lease(r) -> None:
    with pytest.raises(LockLost):
        with Lock(r, "lost", lease_ms=5000):
            r.delete("{lost}:lock")  # as if the lease had run out
    with pytest.raises(ValueError):  # the block's own error is not masked by the lost lease
        with Lock(r, "lost", lease_ms=5000):
            r.delete("{lost}:lock")
            raise ValueError("boom")
    with pytest.raises(TypeError):
        async def use() -> None:
            async with Lock(r, "lost"):
                pass

        asyncio.run(use())


def test_threads_incrementing_under_the_lock_reach_the_exact_total(r, target) -> None:
    r.set("counter", 0)
    errors = []

    def worker() -> None:
        c = target.client()
        try:
            for _ in range(15):
                with Lock(c, "counter", lease_ms=10_000, wait_timeout=20):
                    value = int(c.get("counter"))  # read-modify-write: only safe under the lock
                    c.set("counter", value + 1)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and int(r.get("counter")) == 90
    assert int(r.get("{counter}:fence")) == 90


def test_asyncio_lock(target) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        await client.flushall()
        holder = Lock(client, "a", lease_ms=30_000)
        async with holder:
            assert holder.fence == 1 and await holder.locked() is True
            assert await Lock(client, "a").acquire(blocking=False) is False
            assert await Lock(client, "a").acquire(timeout=0.1) is False
            waiter = Lock(client, "a", lease_ms=30_000, recheck=30)
            task = asyncio.ensure_future(waiter.acquire(timeout=20))

            async def blocked() -> None:
                while int((await client.info("clients"))["blocked_clients"]) != 1:
                    await asyncio.sleep(0.005)

            await asyncio.wait_for(blocked(), 10)  # the waiter is in BLPOP on the wake list
            assert await holder.extend(40_000) is True
        assert await asyncio.wait_for(task, 10) is True and waiter.fence == 2
        assert await holder.locked() is True and await waiter.release() is True
        with pytest.raises(TypeError):
            with waiter:
                pass

        counter = {"n": 0}

        async def worker() -> None:
            for _ in range(10):
                async with Lock(client, "count", lease_ms=10_000, wait_timeout=20):
                    n = counter["n"]
                    await asyncio.sleep(0)  # another task would interleave here without the lock
                    counter["n"] = n + 1

        await asyncio.gather(*(worker() for _ in range(5)))
        assert counter["n"] == 50
        await client.aclose()

    asyncio.run(main())
