"""Real clients built on server-side Lua, unchanged, against both servers: redis-py's Lock and
register_script, a `limits` moving-window rate limiter, python-redis-lock."""

from __future__ import annotations

import threading
import time

import pytest
import redis_lock
from limits import parse, storage, strategies
from redis.exceptions import LockNotOwnedError


def test_redis_py_lock_acquire_extend_release(r):
    lock = r.lock("res", timeout=10)
    assert lock.acquire(blocking=False)
    token = r.get("res")
    assert token == lock.local.token
    assert not r.lock("res", timeout=10).acquire(blocking=False)
    assert lock.extend(5)
    assert 10_000 < r.pttl("res") <= 15_000
    assert lock.extend(3, replace_ttl=True)
    assert 0 < r.pttl("res") <= 3_000
    assert lock.reacquire()
    lock.release()
    assert r.get("res") is None


def test_redis_py_lock_release_by_token_only(r):
    lock = r.lock("res", timeout=10)
    assert lock.acquire(blocking=False)
    r.set("res", "someone-else")
    with pytest.raises(LockNotOwnedError):
        lock.release()
    assert r.get("res") == b"someone-else"


def test_redis_py_lock_expires_and_blocking_acquire(r, target):
    holder = r.lock("res", timeout=0.3)
    assert holder.acquire(blocking=False)
    other = target.client().lock("res", timeout=5, blocking_timeout=5, sleep=0.05)
    assert other.acquire()  # waits until the holder's timeout expires the key
    with pytest.raises(LockNotOwnedError):
        holder.release()
    other.release()


def test_register_script_loads_after_noscript(r):
    r.script_flush()
    script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert r.script_exists(script.sha) == [False]
    assert script(keys=["n"], args=[5]) == 5  # EVALSHA -> NOSCRIPT -> SCRIPT LOAD -> EVALSHA
    assert r.script_exists(script.sha) == [True]
    assert script(keys=["n"], args=[2]) == 7
    pipe = r.pipeline()
    script(keys=["n"], args=[1], client=pipe)
    r.script_flush()
    assert pipe.execute() == [8]  # the pipeline loads missing scripts first


def test_limits_moving_window(target):
    backend = storage.RedisStorage(f"redis://{target.host}:{target.port}")
    backend.reset()
    limiter = strategies.MovingWindowRateLimiter(backend)
    limit = parse("3/minute")
    assert [limiter.hit(limit, "user") for _ in range(4)] == [True, True, True, False]
    assert not limiter.test(limit, "user")
    stats = limiter.get_window_stats(limit, "user")
    assert stats.remaining == 0
    assert limiter.hit(limit, "other")
    limiter.clear(limit, "user")
    assert limiter.hit(limit, "user")
    backend.reset()


def test_python_redis_lock(r, target):
    redis_lock.reset_all(r)
    lock = redis_lock.Lock(r, "job", expire=10, id=b"owner-1")
    assert lock.acquire(blocking=False)
    assert lock.locked()
    assert lock.get_owner_id() == "owner-1"
    assert not redis_lock.Lock(r, "job", expire=10).acquire(blocking=False)
    lock.extend(20)
    assert 10 < r.ttl("lock:job") <= 20
    other_client = target.client()
    waiter = redis_lock.Lock(other_client, "job", expire=10)
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(waiter.acquire(timeout=5)))
    t.start()
    time.sleep(0.2)
    lock.release()  # signals the waiter through the lock's list
    t.join(5)
    assert got == [True]
    with pytest.raises(redis_lock.NotAcquired):
        lock.release()
    waiter.release()
    assert not lock.locked()
    other_client.close()


def test_python_redis_lock_reset(r):
    lock = redis_lock.Lock(r, "job2", expire=10)
    assert lock.acquire(blocking=False)
    lock.reset()
    assert not lock.locked()
    assert redis_lock.Lock(r, "job2", expire=10).acquire(blocking=False)
    redis_lock.reset_all(r)
