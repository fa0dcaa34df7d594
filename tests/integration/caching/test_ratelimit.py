"""Rate limiters against our server and a real redis-server: exact decisions at known times (ManualClock),
TTLs, the decorator, asyncio, and processes that together never exceed the limit."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time

import pytest
import redis.asyncio

from cacheserver.caching.clock import ManualClock
from cacheserver.caching.keys import KeyTemplateError
from cacheserver.caching.ratelimit import (
    Decision,
    FixedWindow,
    LeakyBucket,
    RateLimited,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
    rate_limited,
)


def outcome(d: Decision) -> tuple:
    return d.allowed, d.remaining, d.retry_after, d.reset_after


def test_token_bucket_burst_refill_and_cost(r) -> None:
    clock = ManualClock(1000.0)
    tb = TokenBucket(r, "api", rate=1, capacity=3, clock=clock)
    assert [outcome(tb.hit("alice")) for _ in range(4)] == [
        (True, 2, 0.0, 1.0), (True, 1, 0.0, 2.0), (True, 0, 0.0, 3.0), (False, 0, 1.0, 3.0)]
    assert tb.hit("alice").limit == 3
    clock.advance(0.5)
    assert outcome(tb.hit("alice")) == (False, 0, 0.5, 2.5)
    clock.advance(0.5)
    assert outcome(tb.hit("alice")) == (True, 0, 0.0, 3.0)
    clock.advance(10)  # refills to the capacity, not beyond
    assert outcome(tb.hit("alice", cost=3)) == (True, 0, 0.0, 3.0)
    clock.advance(1)
    assert outcome(tb.hit("alice", cost=2)) == (False, 1, 1.0, 2.0)
    assert outcome(tb.hit("bob", cost=2)) == (True, 1, 0.0, 2.0)  # identities are independent
    with pytest.raises(ValueError):
        tb.hit("alice", cost=4)  # more than the capacity could never pass


def test_token_bucket_fractional_rate_and_peek(r) -> None:
    clock = ManualClock(1000.0)
    tb = TokenBucket(r, "slow", rate=0.5, capacity=2, clock=clock)  # one token every 2 s
    assert outcome(tb.hit("k", cost=2)) == (True, 0, 0.0, 4.0)
    clock.advance(1.5)
    assert outcome(tb.peek("k")) == (False, 0, 0.5, 2.5)
    assert outcome(tb.peek("k", cost=0)) == (True, 0, 0.0, 2.5)
    clock.advance(0.5)
    assert outcome(tb.peek("k")) == (True, 0, 0.0, 4.0)  # what hit would answer...
    assert outcome(tb.peek("k")) == (True, 0, 0.0, 4.0)  # ...but nothing was taken
    assert outcome(tb.hit("k")) == (True, 0, 0.0, 4.0)
    assert outcome(tb.hit("k")) == (False, 0, 2.0, 4.0)


def test_leaky_bucket_admits_like_the_token_bucket_and_paces_with_delay(r) -> None:
    clock = ManualClock(1000.0)
    lb = LeakyBucket(r, "jobs", rate=2, capacity=3, clock=clock)
    got = [lb.hit("q") for _ in range(4)]
    assert [(d.allowed, d.remaining, d.delay, d.reset_after) for d in got] == [
        (True, 2, 0.0, 0.5), (True, 1, 0.5, 1.0), (True, 0, 1.0, 1.5), (False, 0, 0.0, 1.5)]
    assert got[3].retry_after == 0.5
    clock.advance(0.25)
    assert outcome(lb.hit("q")) == (False, 0, 0.25, 1.25)
    clock.advance(0.25)
    d = lb.hit("q")
    assert (d.allowed, d.delay, d.remaining) == (True, 1.0, 0)  # leaves the queue after the two ahead of it
    assert TokenBucket(r, "jobs", rate=2, capacity=3, clock=clock).hit("q").delay == 0.0


def test_fixed_window_boundaries(r) -> None:
    clock = ManualClock(1003.0)  # windows of 10 s start at multiples of 10 s: this one ends at 1010
    fw = FixedWindow(r, "login", limit=3, window=10, clock=clock)
    assert [outcome(fw.hit("ip")) for _ in range(4)] == [
        (True, 2, 0.0, 7.0), (True, 1, 0.0, 7.0), (True, 0, 0.0, 7.0), (False, 0, 7.0, 7.0)]
    clock.advance(6.999)
    assert outcome(fw.hit("ip")) == (False, 0, 0.001, 0.001)
    clock.advance(0.001)
    assert outcome(fw.hit("ip", cost=2)) == (True, 1, 0.0, 10.0)
    assert outcome(fw.hit("ip", cost=2)) == (False, 1, 10.0, 10.0)
    assert outcome(fw.peek("ip")) == (True, 0, 0.0, 10.0)
    assert outcome(fw.peek("other")) == (True, 2, 0.0, 10.0)
    assert outcome(fw.peek("other", cost=0)) == (True, 3, 0.0, 0.0)


def test_sliding_window_log_is_exact(r) -> None:
    clock = ManualClock(1000.0)
    log = SlidingWindowLog(r, "sms", limit=3, window=10, clock=clock)
    seen = []
    for t in (0, 2, 4):
        clock.now = 1000.0 + t
        seen.append(outcome(log.hit("n")))
    assert seen == [(True, 2, 0.0, 10.0), (True, 1, 0.0, 10.0), (True, 0, 0.0, 10.0)]
    clock.now = 1005.0
    assert outcome(log.hit("n")) == (False, 0, 5.0, 9.0)  # the request at 1000 leaves at 1010
    assert outcome(log.hit("n", cost=2)) == (False, 0, 7.0, 9.0)  # the one at 1002 must leave too
    clock.now = 1009.999
    assert outcome(log.hit("n")) == (False, 0, 0.001, 4.001)
    clock.now = 1010.0
    assert outcome(log.hit("n")) == (True, 0, 0.0, 10.0)
    assert outcome(log.hit("n")) == (False, 0, 2.0, 10.0)
    assert r.zcard(log.keys("n")[0]) == 3
    clock.now = 1100.0
    assert outcome(log.hit("n", cost=3)) == (True, 0, 0.0, 10.0)
    assert r.zcard(log.keys("n")[0]) == 3  # the old entries were trimmed


def test_sliding_window_counter_weights_the_previous_window(r) -> None:
    clock = ManualClock(1000.0)  # the start of a 10 s window
    swc = SlidingWindowCounter(r, "feed", limit=10, window=10, clock=clock)
    assert outcome(swc.hit("u", cost=6)) == (True, 4, 0.0, 20.0)
    clock.now = 1005.0
    assert outcome(swc.hit("u", cost=4)) == (True, 0, 0.0, 15.0)
    assert outcome(swc.hit("u")) == (False, 0, 6.0, 15.0)  # this window is full: wait for the next one
    clock.now = 1010.0
    assert outcome(swc.hit("u")) == (False, 0, 1.0, 10.0)  # all 10 of the previous window still count
    clock.now = 1011.0
    assert outcome(swc.hit("u")) == (True, 0, 0.0, 19.0)  # 10 * 0.9 + 1
    clock.now = 1013.0
    assert outcome(swc.hit("u")) == (True, 1, 0.0, 17.0)  # 10 * 0.7 + 2 = 9
    clock.now = 1030.0
    assert outcome(swc.peek("u", cost=0)) == (True, 10, 0.0, 0.0)


def test_keys_share_a_slot_and_expire_when_idle(r) -> None:
    clock = ManualClock(1003.0)
    tb = TokenBucket(r, "api", rate=1, capacity=3, clock=clock)
    fw = FixedWindow(r, "api", limit=3, window=10, clock=clock)
    log = SlidingWindowLog(r, "api", limit=3, window=10, clock=clock)
    swc = SlidingWindowCounter(r, "api", limit=3, window=10, clock=clock)
    assert log.keys("u:1") == ["rl:{api:u:1}:log", "rl:{api:u:1}:seq"]
    for limiter in (tb, fw, log, swc):
        limiter.hit("u:1", cost=2)
    expected = {"rl:{api:u:1}:tb": 2000, "rl:{api:u:1}:fw": 7000, "rl:{api:u:1}:log": 10_000,
                "rl:{api:u:1}:seq": 10_000, "rl:{api:u:1}:swc": 17_000}
    assert sorted(k.decode() for k in r.keys("*")) == sorted(expected)
    for key, ttl in expected.items():
        assert ttl - 1000 < r.pttl(key) <= ttl  # the server's clock moves on meanwhile
    for limiter in (tb, fw, log, swc):
        assert limiter.peek("u:2", cost=0).allowed and limiter.peek("u:2").allowed
    assert r.dbsize() == 5  # peeks store nothing
    assert log.reset("u:1") == 2 and r.exists("rl:{api:u:1}:log") == 0


def test_server_time_option(r) -> None:
    fw = FixedWindow(r, "st", limit=2, window=3600, server_time=True)
    decisions = [fw.hit("x") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[2].remaining == 0 and 0 < decisions[2].retry_after <= 3600


def test_scripts_survive_script_flush(r) -> None:
    fw = FixedWindow(r, "f", limit=5, window=60, clock=ManualClock(1000.0))
    assert fw.hit("a").remaining == 4
    r.script_flush()  # EVALSHA answers NOSCRIPT: the script is sent again with EVAL
    assert fw.hit("a").remaining == 3


def test_decorator_raises_or_falls_back(r) -> None:
    clock = ManualClock(1000.0)
    limiter = FixedWindow(r, "search", limit=2, window=60, clock=clock)
    calls = []

    @rate_limited(limiter, key="user:{user_id}")
    def search(user_id: int, q: str) -> str:
        calls.append(q)
        return q.upper()

    assert search(7, "a") == "A" and search(7, q="b") == "B"
    with pytest.raises(RateLimited) as denied:
        search(7, "c")
    assert denied.value.retry_after == 20.0 and denied.value.identity == "user:7"
    assert search(8, "d") == "D" and calls == ["a", "b", "d"]

    @rate_limited(limiter, key="{who}", cost=2, fallback=lambda who: f"later, {who}")
    def heavy(who: str) -> str:
        return "done"

    assert heavy("eve") == "done" and heavy("eve") == "later, eve"
    with pytest.raises(KeyTemplateError):
        rate_limited(limiter, key="{nobody}")(search)
    with pytest.raises(TypeError):

        @rate_limited(limiter)
        async def wrong_kind() -> None: ...


def test_asyncio_limiters_and_decorator(target) -> None:
    async def main() -> None:
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        await client.flushall()
        clock = ManualClock(1000.0)
        tb = TokenBucket(client, "a", rate=1, capacity=2, clock=clock)
        assert [outcome(await tb.hit("x")) for _ in range(3)] == [
            (True, 1, 0.0, 1.0), (True, 0, 0.0, 2.0), (False, 0, 1.0, 2.0)]
        log = SlidingWindowLog(client, "a", limit=2, window=5, clock=clock)
        assert outcome(await log.hit("x", cost=2)) == (True, 0, 0.0, 5.0)
        assert outcome(await log.peek("x")) == (False, 0, 5.0, 5.0)
        assert await log.reset("x") == 2

        @rate_limited(tb, key="{user}")
        async def fetch(user: str) -> str:
            return user

        async def later(user: str) -> str:
            return "fallback " + user

        paced = rate_limited(tb, key="{user}", fallback=later)(fetch.__wrapped__)
        assert await fetch("y") == "y" and await fetch("y") == "y"
        with pytest.raises(RateLimited):
            await fetch("y")
        assert await paced("y") == "fallback y"
        await client.aclose()

    asyncio.run(main())


def _hammer(port: int, kind: str, start_at: float, seconds: float, out: mp.Queue) -> None:
    import redis as redis_sync

    client = redis_sync.Redis(port=port)
    if kind == "fixed":  # a frozen clock: every hit falls in the same window
        limiter = FixedWindow(client, "mp", limit=50, window=10, clock=ManualClock(1003.0))
    elif kind == "log":
        limiter = SlidingWindowLog(client, "mp", limit=50, window=30)
    else:
        limiter = TokenBucket(client, "mp", rate=20, capacity=30)
    while time.time() < start_at:
        time.sleep(0.001)
    allowed = attempts = 0
    while time.time() < start_at + seconds:
        attempts += 1
        allowed += limiter.hit("shared").allowed
    out.put((allowed, attempts))
    client.close()


@pytest.mark.parametrize("kind", ["fixed", "log", "token"])
def test_processes_together_never_exceed_the_limit(target, r, kind) -> None:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at, seconds = time.time() + 0.3, 0.8
    procs = [ctx.Process(target=_hammer, args=(target.port, kind, start_at, seconds, out)) for _ in range(4)]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=20) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()
    allowed = sum(a for a, _ in results)
    assert sum(n for _, n in results) > 200  # the limiters were really contended
    if kind == "token":
        # a full bucket of 30, then 20 a second over the run (and the time processes took to start)
        elapsed = time.time() - start_at
        assert 30 <= allowed <= 30 + 20 * elapsed + 1
    else:
        assert allowed == 50
