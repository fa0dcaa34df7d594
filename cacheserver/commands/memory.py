"""MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP: the memory estimate, in Redis's shapes.

Sizes come from ``keyspace.memory`` (the incremental estimate INFO memory reports); allocator figures
that CPython does not expose (jemalloc's active/resident) are given as the estimate and the RSS.
"""

from __future__ import annotations

import gc
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.keyspace.memory import EXPIRE_ENTRY, KEY_ENTRY, STARTUP, key_usage
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import OK, Map, Verbatim
from cacheserver.stats import process_rss

MEMORY = container(
    "memory",
    group="server",
    since="4.0.0",
    summary="A container for memory diagnostics commands.",
    complexity="Depends on subcommand.",
)
MEMORY.acl = ("@slow",)

_HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]

_EMPTY_REPORT = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
    "these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and "
    "I will be back to our programming as soon as I finished rebooting.\n"
)
_NO_ISSUES = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
)
_DEFAULT_SAMPLES = 5


@command(
    "memory|usage",
    -3,
    flags="readonly",
    keys=(2, 2, 1),
    group="server",
    since="4.0.0",
    summary="Estimate how many bytes a key and its value take.",
    complexity="O(N) where N is the number of samples.",
    syntax="key [SAMPLES count]",
    key_specs=[
        {
            "flags": ["RO"],
            "begin_search": {"type": "index", "spec": {"index": 2}},
            "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
        }
    ],
)
def memory_usage(c: Any, argv: list[bytes]) -> int | None:
    samples = _DEFAULT_SAMPLES
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            n = parse_ll(argv[i + 1])
            if n is None:
                raise errors.NOT_INTEGER
            if n < 0:
                raise errors.SYNTAX
            samples = n if n else 1 << 62  # 0: every element
            i += 2
        else:
            raise errors.SYNTAX
    db = c.db
    key = argv[2]
    v = db.peek(key)  # MEMORY USAGE neither touches the key nor counts a hit (LOOKUP_NOTOUCH)
    if v is None:
        return None
    return key_usage(key, v, key in db.expires, max(samples, 1))


def _stats(server: Any) -> Map:
    ev = server.evictor
    ev.refresh_if_small()
    ks = server.keyspace
    total = ev.used_memory()
    peak = max(ev.peak, total)
    clients = total - STARTUP - ks.used_memory()
    pairs: list[tuple[object, object]] = [
        ("peak.allocated", peak),
        ("total.allocated", total),
        ("startup.allocated", STARTUP),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", clients),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ]
    overhead = STARTUP + clients
    keys = 0
    for db in ks.dbs:
        if not db.data:
            continue
        main = KEY_ENTRY * len(db.data)
        expires = EXPIRE_ENTRY * len(db.expires)
        overhead += main + expires
        keys += len(db.data)
        pairs.append(
            (
                f"db.{db.index}",
                Map(
                    [
                        ("overhead.hashtable.main", main),
                        ("overhead.hashtable.expires", expires),
                        ("overhead.hashtable.slot-to-keys", 0),
                    ]
                ),
            )
        )
    rss = process_rss()
    dataset = max(total - overhead, 0)
    net = total - STARTUP
    pairs += [
        ("overhead.total", overhead),
        ("keys.count", keys),
        ("keys.bytes-per-key", net // keys if keys else 0),
        ("dataset.bytes", dataset),
        ("dataset.percentage", dataset * 100.0 / net if net > 0 else 0.0),
        ("peak.percentage", total * 100.0 / peak if peak else 0.0),
        ("allocator.allocated", total),
        ("allocator.active", total),
        ("allocator.resident", rss),
        ("allocator-fragmentation.ratio", 1.0),
        ("allocator-fragmentation.bytes", 0),
        ("allocator-rss.ratio", rss / total if total else 0.0),
        ("allocator-rss.bytes", rss - total),
        ("rss-overhead.ratio", 1.0),
        ("rss-overhead.bytes", 0),
        ("fragmentation", rss / total if total else 0.0),
        ("fragmentation.bytes", rss - total),
    ]
    return Map(pairs)


@command(
    "memory|stats",
    2,
    group="server",
    since="4.0.0",
    summary="Report the memory estimate broken down by what holds it.",
    complexity="O(1)",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
)
def memory_stats(c: Any, argv: list[bytes]) -> Map:
    return _stats(c.server)


@command(
    "memory|doctor",
    2,
    group="server",
    since="4.0.0",
    summary="Report memory problems and what to do about them.",
    complexity="O(1)",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
)
def memory_doctor(c: Any, argv: list[bytes]) -> Verbatim:
    server = c.server
    used = server.evictor.used_memory()
    if used < 5 * 1024 * 1024:
        return Verbatim(_EMPTY_REPORT.encode())
    lines = []
    peak = server.evictor.peak
    if peak / used > 1.5:
        lines.append(
            " * Peak memory: In the past this instance used more than 150% the memory that is currently "
            "using. The allocator is normally not able to release memory after a peak, so you can expect "
            "to see a big fragmentation ratio, however this is actually harmless and is only due to the "
            "memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than "
            "expected, the memory will be used as soon as you fill the Redis instance with more data. If "
            "the memory peak was only occasional and you want to try to reclaim memory, please try the "
            "MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"
        )
    if not lines:
        return Verbatim(_NO_ISSUES.encode())
    text = (
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
        + "".join(lines)
        + "I'm here to keep you safe, Sam. I want to help you.\n"
    )
    return Verbatim(text.encode())


@command(
    "memory|malloc-stats",
    2,
    group="server",
    since="4.0.0",
    summary="Report the memory allocator's own statistics.",
    complexity="Depends on how much memory is allocated, could be slow",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
)
def memory_malloc_stats(c: Any, argv: list[bytes]) -> Verbatim:
    return Verbatim(b"Stats not supported for the current allocator")


@command(
    "memory|purge",
    2,
    group="server",
    since="4.0.0",
    summary="Ask the allocator to give freed memory back to the system.",
    complexity="Depends on how much memory is allocated, could be slow",
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def memory_purge(c: Any, argv: list[bytes]) -> Any:
    gc.collect()  # CPython frees arenas once they are empty: a full collection is the nearest purge
    return OK


@command(
    "memory|help",
    2,
    flags="loading stale",
    group="server",
    since="4.0.0",
    summary="Show helpful text about the MEMORY subcommands.",
    complexity="O(1)",
)
def memory_help(c: Any, argv: list[bytes]) -> list[str]:
    return _HELP
