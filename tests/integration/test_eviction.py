"""maxmemory and eviction as a Redis user sees them, against cacheserver and redis-server: the OOM reply,
evicted_keys, volatile-* sparing persistent keys, OBJECT FREQ/IDLETIME, policy round trips."""

from __future__ import annotations

import pytest
import redis

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
REDIS_POLICIES = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
]
OUR_POLICIES = ["allkeys-fifo", "volatile-fifo", "allkeys-sieve", "volatile-sieve", "allkeys-s3fifo", "volatile-s3fifo"]


@pytest.fixture(autouse=True)
def restore(target):
    yield
    c = target.client()
    c.config_set("maxmemory", 0)
    c.config_set("maxmemory-policy", "noeviction")
    c.config_set("notify-keyspace-events", "")
    c.config_set("lfu-log-factor", 10)
    c.close()


def headroom(r, extra: int) -> None:
    """maxmemory set ``extra`` bytes above what the server uses now."""
    r.config_set("maxmemory", r.info("memory")["used_memory"] + extra)


def test_noeviction_refuses_writes_only(raw):
    raw.command("SET", "k", "v")
    assert raw.command("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
    assert raw.command("SET", "k2", "v") == OOM
    assert raw.command("LPUSH", "l", "a") == OOM
    assert raw.command("GET", "k") == b"$1\r\nv\r\n"
    assert raw.command("EXISTS", "k") == b":1\r\n"
    assert raw.command("DEL", "k") == b":1\r\n"  # deletes are no DENYOOM command
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("SET", "k", "v") == OOM  # refused while queueing: the transaction is doomed
    assert raw.command("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert raw.command("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
    assert raw.command("SET", "k2", "v") == b"+OK\r\n"


def test_info_shows_maxmemory_and_policy(r):
    r.config_set("maxmemory", "64mb")
    r.config_set("maxmemory-policy", "allkeys-lru")
    mem = r.info("memory")
    assert (mem["maxmemory"], mem["maxmemory_human"], mem["maxmemory_policy"]) == (67108864, "64.00M", "allkeys-lru")


def test_allkeys_lru_evicts_and_counts(r):
    r.config_resetstat()
    r.config_set("maxmemory-policy", "allkeys-lru")
    headroom(r, 200_000)
    for i in range(3000):
        r.set(f"key:{i}", "x" * 200)
    size = r.dbsize()
    assert 0 < size < 3000
    assert r.info("stats")["evicted_keys"] >= 3000 - size
    assert r.info("memory")["used_memory"] <= r.info("memory")["maxmemory"] + 50_000


def test_volatile_lru_only_evicts_keys_with_a_ttl(r):
    r.config_resetstat()
    for i in range(300):
        r.set(f"volatile:{i}", "x" * 100, ex=1000)
    r.config_set("maxmemory-policy", "volatile-lru")
    headroom(r, 100_000)
    written = 0
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for i in range(10_000):
            r.set(f"persistent:{i}", "x" * 100)
            written += 1
    assert r.info("stats")["evicted_keys"] == 300
    assert r.dbsize() == written
    assert r.get(f"persistent:{written - 1}") == b"x" * 100


def test_evicted_event(r, target):
    r.config_set("notify-keyspace-events", "Ee")
    sub = target.client().pubsub()
    sub.subscribe("__keyevent@0__:evicted")
    assert sub.get_message(timeout=2)["type"] == "subscribe"
    r.config_set("maxmemory-policy", "allkeys-random")
    headroom(r, 50_000)
    for i in range(1000):
        r.set(f"key:{i}", "x" * 200)
    r.config_set("maxmemory", 0)
    message = sub.get_message(timeout=2)
    assert message["channel"] == b"__keyevent@0__:evicted"
    assert not r.exists(message["data"])
    sub.close()


def test_object_freq_under_lfu(r):
    r.config_set("maxmemory-policy", "allkeys-lfu")
    r.set("k", "v")
    assert r.object("freq", "k") == 5  # a new key starts at LFU_INIT_VAL
    r.get("k")
    assert r.object("freq", "k") == 6  # the first hit past 5 always counts
    r.set("k", "w")
    assert r.object("freq", "k") >= 6  # an overwrite keeps the history
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is selected"):
        r.object("idletime", "k")


def test_object_idletime_under_lru(r):
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.set("k", "v")
    assert r.object("idletime", "k") == 0
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        r.object("freq", "k")


@pytest.mark.parametrize("policy", REDIS_POLICIES)
def test_policy_round_trip_keeps_keys(r, policy):
    r.mset({f"key:{i}": i for i in range(100)})
    r.config_set("maxmemory", "512mb")
    assert r.config_set("maxmemory-policy", policy)
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": policy}
    assert r.info("memory")["maxmemory_policy"] == policy
    assert r.dbsize() == 100


def test_our_policies_are_ours(r, target):
    for policy in OUR_POLICIES:
        if target.is_redis:
            with pytest.raises(redis.ResponseError, match="must be one of the following"):
                r.config_set("maxmemory-policy", policy)
        else:
            assert r.config_set("maxmemory-policy", policy)
            assert r.config_get("maxmemory-policy") == {"maxmemory-policy": policy}


def test_unknown_policy_error_lists_redis_policies(raw):
    assert raw.command("CONFIG", "SET", "maxmemory-policy", "lru") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of "
        b"the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
        b"allkeys-random, noeviction\r\n"
    )


def test_maxmemory_samples_settable(r):
    r.config_set("maxmemory-samples", 10)
    assert r.config_get("maxmemory-samples") == {"maxmemory-samples": "10"}
    r.config_set("maxmemory-samples", 5)
