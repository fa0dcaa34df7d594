"""Key expiry: lazy expiry on every read path, active expiry of a burst, and which writes keep or drop
a TTL. Run against cacheserver and a real redis-server (the last test binds cacheserver to a tighter
bound than Redis's sampling achieves)."""

from __future__ import annotations

import time

import redis

BURST = 20_000


def _expire_burst(r: redis.Redis, ttl_ms: int = 100) -> None:
    pipe = r.pipeline(transaction=False)
    for i in range(BURST):
        pipe.set(f"burst:{i}", "x", px=ttl_ms)
    pipe.execute()


def _wait_for_empty(r: redis.Redis, other: redis.Redis, limit_s: float) -> tuple[float, list[bytes]]:
    """Poll DBSIZE until it reaches 0 (nobody touches the keys); PING from another client meanwhile.
    Returns the seconds it took and the PING replies seen while keys were still resident."""
    start = time.monotonic()
    pings: list[bytes] = []
    while r.dbsize():
        pings.append(other.execute_command("PING"))
        assert time.monotonic() - start < limit_s, "expired keys were not reclaimed"
        time.sleep(0.01)
    return time.monotonic() - start, pings


def test_burst_is_reclaimed_without_access(r, target) -> None:
    other = target.client()
    try:
        # A TTL long enough that the burst is still there when it has been written, even on a loaded
        # machine (at 100 ms a slow pipeline let every key expire before the first DBSIZE).
        _expire_burst(r, ttl_ms=1000)
        assert r.dbsize() > 0
        _, pings = _wait_for_empty(r, other, 6.0)
        assert set(pings) <= {True, b"PONG"}
        assert r.info("keyspace") == {}
    finally:
        other.close()


def test_burst_is_reclaimed_within_a_second(ours) -> None:
    # cacheserver keeps a deadline index, so it does not need Redis's sampling passes.
    r = ours.client()
    other = ours.client()
    try:
        r.flushall()
        _expire_burst(r)
        time.sleep(0.1)  # every key is now past its deadline
        took, pings = _wait_for_empty(r, other, 1.2)
        assert set(pings) <= {True, b"PONG"}
        assert r.info("keyspace") == {}
        assert took < 1.2
    finally:
        r.close()
        other.close()


def test_lazy_expiry_on_read_paths(r) -> None:
    readers = {
        "GET": lambda k: r.get(k),
        "EXISTS": lambda k: r.exists(k),
        "TYPE": lambda k: r.type(k),
        "TTL": lambda k: r.ttl(k),
        "PTTL": lambda k: r.pttl(k),
        "STRLEN": lambda k: r.strlen(k),
        "GETRANGE": lambda k: r.getrange(k, 0, -1),
        "MGET": lambda k: r.mget([k]),
        "OBJECT": lambda k: r.object("encoding", k),
        "TOUCH": lambda k: r.touch(k),
        "COPY": lambda k: r.copy(k, k + "-copy"),
    }
    expected = {
        "GET": None, "EXISTS": 0, "TYPE": b"none", "TTL": -2, "PTTL": -2, "STRLEN": 0, "GETRANGE": b"",
        "MGET": [None], "OBJECT": None, "TOUCH": 0, "COPY": False,
    }
    for name in readers:
        r.set(f"lazy:{name}", "value", px=20)
    time.sleep(0.06)
    for name, read in readers.items():
        assert read(f"lazy:{name}") == expected[name], name
    assert r.keys("lazy:*") == []


def test_set_drops_the_ttl_unless_keepttl(r) -> None:
    r.set("k", "v", ex=100)
    r.set("k", "w")
    assert r.ttl("k") == -1
    r.set("k", "v", ex=100)
    r.set("k", "w", keepttl=True)
    assert r.ttl("k") == 100
    r.getset("k", "x")
    assert r.ttl("k") == -1
    r.set("k", "v", ex=100)
    r.mset({"k": "y"})
    assert r.ttl("k") == -1
    r.set("k", "v", ex=100)
    r.setex("k", 50, "z")
    assert r.ttl("k") == 50


def test_in_place_writes_keep_the_ttl(r) -> None:
    r.set("n", "1", ex=100)
    r.incr("n")
    r.incrby("n", 5)
    r.incrbyfloat("n", 1.5)
    assert r.ttl("n") == 100
    r.set("s", "abc", ex=100)
    r.append("s", "def")
    r.setrange("s", 0, "X")
    assert r.get("s") == b"Xbcdef"
    assert r.ttl("s") == 100


def test_rename_and_move_carry_the_ttl(r) -> None:
    r.set("a", "1", ex=100)
    r.rename("a", "b")
    assert r.ttl("b") == 100
    r.move("b", 1)
    r.execute_command("SELECT", 1)
    try:
        assert r.ttl("b") == 100
    finally:
        r.execute_command("SELECT", 0)


def test_delete_and_recreate_forgets_the_ttl(r) -> None:
    r.set("a", "1", ex=100)
    r.delete("a")
    r.set("a", "2")
    assert r.ttl("a") == -1
