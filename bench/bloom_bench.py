"""Bloom filters and penetration guards of cacheserver.caching, against our server and a real redis-server.

    python bench/bloom_bench.py --quick            # smaller sizes (the machine is shared)
    python bench/bloom_bench.py --servers redis    # one server only

Measures (see bench/README.md, "Bloom filters"):
- accuracy of a local filter: observed false-positive rate at capacity (target <= 1.1x the configured rate),
  at twice capacity with and without scaling (target <= 2x with), false negatives (target 0), memory
  against the formula m = ceil(-n ln p / (ln 2)^2) bits (target within 5%);
- local check time per key, for keys present and absent (target <= 5 us), and add time;
- the shared filter: one batch of adds or checks is one EVALSHA (counted in INFO commandstats); time per
  batch and per key for batch sizes 1, 100, 1000;
- penetration: a loader over a fake store that counts queries, 50% of requests for IDs that do not exist,
  through ``Cache``/``ReadThrough`` in four configurations (nothing, negative caching, Bloom guard, both;
  the guard both around the loader and in front of the cache), for attack IDs that are all different
  (random) and for a small pool of 100 absent IDs asked again and again (repeat). Also: cache entries
  left (values and negative entries), server commands per request (INFO total_commands_processed).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import warnings
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servers import bench_parser, load_note, running, server_names, total_commands  # noqa: E402

from cacheserver.caching import Cache, ReadThrough  # noqa: E402
from cacheserver.caching.bloom import (  # noqa: E402
    BloomCapacityWarning,
    BloomFilter,
    ScalableBloomFilter,
    SharedBloomFilter,
    optimal_bits,
)
from cacheserver.caching.guard import BloomGuard  # noqa: E402

P = 0.01
warnings.simplefilter("ignore", BloomCapacityWarning)  # the benchmark fills filters past 80% on purpose


def _probes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"absent:{rng.getrandbits(64):016x}" for _ in range(n)]


def _fpr(f: BloomFilter | ScalableBloomFilter, probes: list[str]) -> float:
    return sum(1 for k in probes if k in f) / len(probes)


# -- local filters -------------------------------------------------------------------------------------------------
def accuracy(n: int, probes: int) -> list[tuple[str, str, str, str]]:
    keys = [f"item:{i}" for i in range(2 * n)]
    absent = _probes(probes, 99)
    fixed = BloomFilter(n, P)
    fixed.add_many(keys[:n])
    rows = [("FPR at capacity, fixed", f"{_fpr(fixed, absent):.4%}", f"<= {1.1 * P:.2%}",
             f"{_fpr(fixed, absent) / P:.2f}x")]
    false_negatives = sum(1 for k in keys[:n] if k not in fixed)
    fixed.add_many(keys[n:])
    rows.append(("FPR at 2x capacity, fixed", f"{_fpr(fixed, absent):.4%}", "(degrades)",
                 f"{_fpr(fixed, absent) / P:.2f}x"))
    scalable = ScalableBloomFilter(n, P)
    scalable.add_many(keys)
    false_negatives += sum(1 for k in keys if k not in scalable)
    rows.append(("FPR at 2x capacity, scalable", f"{_fpr(scalable, absent):.4%}", f"<= {2 * P:.2%}",
                 f"{_fpr(scalable, absent) / P:.2f}x ({len(scalable.filters)} sub-filters)"))
    rows.append(("false negatives", str(false_negatives), "0", f"of {3 * n} checks"))
    formula = optimal_bits(n, P) / 8
    rows.append(("memory, fixed", f"{fixed.nbytes:,} B", f"{formula:,.0f} B",
                 f"{fixed.nbytes / formula - 1:+.3%}"))
    return rows


def check_speed(n: int, rounds: int = 5) -> list[tuple[str, str, str, str]]:
    keys = [f"item:{i}" for i in range(n)]
    absent = _probes(n, 7)
    f = BloomFilter(n, P)
    t0 = time.perf_counter()
    f.add_many(keys)
    add_us = (time.perf_counter() - t0) / n * 1e6
    scalable = ScalableBloomFilter(n // 4, P)
    scalable.add_many(keys)

    def per_key(filt, ks) -> float:
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            for k in ks:
                k in filt  # noqa: B015 - the check is what is timed
            times.append((time.perf_counter() - t) / len(ks) * 1e6)
        return statistics.median(times)

    return [
        ("check, key present", f"{per_key(f, keys):.2f} us", "<= 5 us", f"k = {f.num_hashes}"),
        ("check, key absent", f"{per_key(f, absent):.2f} us", "<= 5 us", "stops at the first clear bit"),
        ("check, scalable, absent", f"{per_key(scalable, absent):.2f} us", "", f"{len(scalable.filters)} sub-filters"),
        ("add", f"{add_us:.2f} us", "", ""),
    ]


# -- shared filter --------------------------------------------------------------------------------------------------
def _evalsha_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "eval"))


def shared_batches(port: int, repeat: int) -> list[tuple[str, str, str, str]]:
    client = redis.Redis(port=port)
    client.flushall()
    shared = SharedBloomFilter(client, "bench", 100_000, P, batch_size=1000)
    shared.add_many(f"warm:{i}" for i in range(50_000))
    rows = []
    for size in (1, 100, 1000):
        for op in ("add", "check"):
            times, before = [], _evalsha_calls(client)
            for r in range(repeat):
                batch = [f"{op}:{size}:{r}:{i}" for i in range(size)]
                t = time.perf_counter()
                if op == "add":
                    shared.add_many(batch)
                else:
                    shared.contains_many(batch)
                times.append(time.perf_counter() - t)
            trips = (_evalsha_calls(client) - before - 1) / repeat  # INFO itself is not an EVALSHA
            ms = statistics.median(times) * 1000
            rows.append((f"{op} batch of {size}", f"{ms:.2f} ms", f"{ms * 1000 / size:.1f} us/key",
                         f"{trips:.0f} round trip(s)"))
    client.close()
    return rows


# -- penetration ----------------------------------------------------------------------------------------------------
# (name, negative caching, where the Bloom guard sits: None, around the loader, in front of the cache)
CONFIGS = (
    ("none", False, None),
    ("negative caching", True, None),
    ("Bloom, around loader", False, "loader"),
    ("Bloom, before cache", False, "front"),
    ("both, around loader", True, "loader"),
    ("both, before cache", True, "front"),
)


def counting_loader(store: dict[int, str]):
    """A loader over ``store`` and its query counts, split by whether the ID exists."""
    queries = {"hit": 0, "absent": 0}

    def load(item_id: int) -> str | None:
        queries["hit" if item_id in store else "absent"] += 1
        return store.get(item_id)

    return load, queries


def _entries(client: redis.Redis) -> int:
    """Cache entries (values and negative entries), not the leases and wake lists beside them."""
    return sum(1 for k in client.scan_iter("item:*", count=1000) if k.count(b":") == 1)


def penetration(port: int, existing: int, requests: int, pattern: str) -> list[tuple[str, ...]]:
    client = redis.Redis(port=port, max_connections=8)
    client.flushall()
    store = {i: f"row {i}" for i in range(existing)}
    shared = SharedBloomFilter(client, "ids", existing, P)
    shared.add_many(str(i) for i in store)
    bloom = shared.load()  # the guard checks a local copy: no round trip per request
    rng = random.Random(42)
    pool = [existing + 1_000_000 + i for i in range(100)]
    traffic = []
    for _ in range(requests):
        if rng.random() < 0.5:
            traffic.append(rng.randrange(existing))
        elif pattern == "random":
            traffic.append(existing + 1_000_000 + rng.getrandbits(40))
        else:
            traffic.append(rng.choice(pool))
    rows = []
    for name, negative, guard in CONFIGS:
        client.flushall()
        shared.save(bloom)
        load, queries = counting_loader(store)
        cache = Cache(client, ttl=300, beta=None)
        policy = {"cache_none": True, "none_ttl": 30} if negative else {}
        reads = ReadThrough(cache, BloomGuard(bloom, load) if guard == "loader" else load, key="item:{item_id}",
                            **policy)
        if guard == "front":
            reads = BloomGuard(bloom, reads, key=str)
        before = total_commands(client)
        t = time.perf_counter()
        for item_id in traffic:
            reads(item_id)
        elapsed = time.perf_counter() - t
        commands = total_commands(client) - before - 1  # INFO itself
        attack = sum(1 for i in traffic if i >= existing)
        rows.append((pattern, name, f"{queries['hit'] + queries['absent']:,}", f"{queries['absent']:,}",
                     f"{queries['absent'] / attack:.2%}", f"{_entries(client):,}", f"{commands / requests:.2f}",
                     f"{elapsed / requests * 1e6:.0f}"))
    client.close()
    return rows


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)) for c in [header]]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = bench_parser(__doc__)
    args = parser.parse_args()
    load_note()
    n = 20_000 if args.quick else 100_000
    print(f"== local filters, capacity {n:,}, error rate {P:.0%} ==")
    print(table(("measure", "value", "target", "note"), accuracy(n, 100_000 if args.quick else 400_000)))
    print(table(("measure", "per key", "target", "note"), check_speed(n)))
    for name in server_names(args):
        with running(name, args) as server:
            port = server.port
            print(f"\n== {name}: shared filter ==")
            print(table(("operation", "per batch", "per key", "EVALSHA per batch"),
                        shared_batches(port, 5 if args.quick else 20)))
            print(f"\n== {name}: penetration, 50% of requests for absent IDs ==")
            existing, requests = (2_000, 4_000) if args.quick else (10_000, 20_000)
            rows = penetration(port, existing, requests, "random") + penetration(port, existing, requests, "repeat")
            print(table(("attack IDs", "configuration", "store queries", "for absent IDs", "of attack requests",
                         "cache entries", "commands/request", "us/request"), rows))


if __name__ == "__main__":
    main()
