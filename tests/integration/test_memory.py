"""MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP and INFO memory, against cacheserver and redis-server."""

from __future__ import annotations

import pytest

HELP = [
    b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return memory problems reports.",
    b"MALLOC-STATS",
    b"    Return internal statistics report from the memory allocator.",
    b"PURGE",
    b"    Attempt to purge dirty pages for reclamation by the allocator.",
    b"STATS",
    b"    Return information about the memory usage of the server.",
    b"USAGE <key> [SAMPLES <count>]",
    b"    Return memory in bytes used by <key> and its value. Nested values are",
    b"    sampled up to <count> times (default: 5, 0 means sample all).",
    b"HELP",
    b"    Prints this help.",
]


def test_usage_of_each_type_grows_with_the_value(r):
    r.set("small", "x")
    r.set("big", "x" * 10_000)
    small, big = r.memory_usage("small"), r.memory_usage("big")
    assert 0 < small < 200 and 10_000 < big < 12_000
    r.hset("h", mapping={f"f{i}": "v" * 20 for i in range(100)})
    r.rpush("l", *["e" * 20 for _ in range(100)])
    r.sadd("s", *[f"m{i}" * 5 for i in range(100)])
    r.zadd("z", {f"m{i}": i for i in range(100)})
    for key in ("h", "l", "s", "z"):
        assert r.memory_usage(key) > 100 * 8
        assert r.memory_usage(key, samples=0) > 100 * 8


def test_usage_missing_key_and_errors(raw):
    assert raw.command("MEMORY", "USAGE", "nokey") == b"$-1\r\n"
    raw.command("SET", "k", "v")
    assert raw.command("MEMORY", "USAGE", "k", "SAMPLES", "-1") == b"-ERR syntax error\r\n"
    assert raw.command("MEMORY", "USAGE", "k", "SAMPLES", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("MEMORY", "USAGE", "k", "SAMPLES") == b"-ERR syntax error\r\n"
    assert raw.command("MEMORY", "USAGE", "k", "BOGUS", "1") == b"-ERR syntax error\r\n"
    assert raw.command("MEMORY", "USAGE", "k", "samples", "0").startswith(b":")
    assert raw.command("MEMORY", "USAGE") == b"-ERR wrong number of arguments for 'memory|usage' command\r\n"
    assert raw.command("MEMORY", "NOPE").startswith(b"-ERR unknown subcommand 'NOPE'. Try MEMORY HELP.")


def test_usage_does_not_touch_the_key(r):
    r.set("k", "v")
    r.object("idletime", "k")
    hits = r.info("stats")["keyspace_hits"]
    r.memory_usage("k")
    assert r.info("stats")["keyspace_hits"] == hits


def test_stats_shape(r):
    r.set("k", "v")
    stats = r.memory_stats()
    assert list(stats)[:10] == [
        "peak.allocated",
        "total.allocated",
        "startup.allocated",
        "replication.backlog",
        "clients.slaves",
        "clients.normal",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
    ]
    assert list(stats["db.0"]) == [
        "overhead.hashtable.main",
        "overhead.hashtable.expires",
        "overhead.hashtable.slot-to-keys",
    ]
    assert list(stats)[-18:] == [
        "db.0",
        "overhead.total",
        "keys.count",
        "keys.bytes-per-key",
        "dataset.bytes",
        "dataset.percentage",
        "peak.percentage",
        "allocator.allocated",
        "allocator.active",
        "allocator.resident",
        "allocator-fragmentation.ratio",
        "allocator-fragmentation.bytes",
        "allocator-rss.ratio",
        "allocator-rss.bytes",
        "rss-overhead.ratio",
        "rss-overhead.bytes",
        "fragmentation",
        "fragmentation.bytes",
    ]
    assert stats["keys.count"] == 1
    assert stats["total.allocated"] <= stats["peak.allocated"]


def test_stats_resp3_types(r3):
    r3.set("k", "v")
    stats = r3.execute_command("MEMORY", "STATS")
    assert isinstance(stats[b"dataset.percentage"], float)
    assert isinstance(stats[b"keys.count"], int)


def test_doctor_on_a_small_instance(raw):
    text = (
        b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
        b"these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and "
        b"I will be back to our programming as soon as I finished rebooting.\n"
    )
    assert raw.command("MEMORY", "DOCTOR") == b"$%d\r\n%b\r\n" % (len(text), text)


def test_purge_malloc_stats_help(r):
    assert r.execute_command("MEMORY", "PURGE") in (b"OK", True)
    assert isinstance(r.execute_command("MEMORY", "MALLOC-STATS"), bytes)
    assert r.execute_command("MEMORY", "HELP") == HELP


def test_info_memory_tracks_the_dataset(r):
    before = r.info("memory")
    r.mset({f"key:{i}": "x" * 100 for i in range(2000)})
    after = r.info("memory")
    grown = after["used_memory"] - before["used_memory"]
    assert 2000 * 100 < grown < 2000 * 600
    assert after["used_memory_peak"] >= after["used_memory"]
    assert after["maxmemory"] == 0 and after["maxmemory_policy"] == "noeviction"
    assert after["used_memory_human"].endswith(("K", "M"))
    r.flushall()
    assert r.info("memory")["used_memory"] < after["used_memory"] - 2000 * 100


@pytest.mark.parametrize("kind", ["hash", "list", "set", "zset"])
def test_info_memory_follows_container_growth(r, kind):
    before = r.info("memory")["used_memory"]
    for i in range(200):
        if kind == "hash":
            r.hset("c", f"field:{i}", "v" * 50)
        elif kind == "list":
            r.rpush("c", "v" * 50)
        elif kind == "set":
            r.sadd("c", f"member:{i}" + "v" * 50)
        else:
            r.zadd("c", {f"member:{i}" + "v" * 50: i})
    assert r.memory_usage("c") > 200 * 50
    grown = r.info("memory")["used_memory"] - before
    assert grown > 200 * 50
