"""Write-back benchmark: acknowledged writes per second and flush throughput, our server beside Redis.

    python bench/write_back_bench.py --quick          # short runs (the machine is shared)
    python bench/write_back_bench.py --servers redis  # one server only

Measured per server (fresh, ``--save '' --appendonly no``):
  * acknowledged writes/s: one synchronous client calling ``WriteBack.write`` in a loop (one EVALSHA per
    write: XADD + HSET + PERSIST), with p50/p99 latency, next to a plain ``SET`` loop on the same client;
  * flush throughput: a backlog of N records over K keys drained by one ``Flusher`` into a SQLite file
    (batch 100), with per-key coalescing and without (each record applied, history kept): records/s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servers import bench_parser, load_note, running, server_names  # noqa: E402

from cacheserver.caching.write_back import Flusher, SQLiteStore, WriteBack  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def acked_writes(port: int, n: int, keys: int) -> dict:
    client = redis.Redis(port=port)
    client.flushall()
    wb = WriteBack(client, check_eviction_policy=False)
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        wb.write(f"user:{i % keys}", {"n": i, "name": "someone"})
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(n):
        client.set(f"plain:{i % keys}", b"x" * 40)
    plain = n / (time.perf_counter() - start)
    client.close()
    return {"writes_s": n / elapsed, "p50_us": statistics.median(latencies) * 1e6,
            "p99_us": pct(latencies, 0.99) * 1e6, "set_s": plain}


def flush_throughput(port: int, n: int, keys: int, coalesce: bool) -> dict:
    client = redis.Redis(port=port)
    client.flushall()
    wb = WriteBack(client, check_eviction_policy=False)
    for i in range(n):
        wb.write(f"user:{i % keys}", {"n": i})
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(f"{d}/store.db", history=not coalesce)
        flusher = Flusher(client, store, coalesce=coalesce, batch=100, block_ms=10)
        start = time.perf_counter()
        backlog = flusher.drain(120)
        elapsed = time.perf_counter() - start
        flusher.close()
        store.close()
    client.close()
    assert backlog.length == 0, backlog
    return {"records_s": n / elapsed, "store_batches": flusher.stats.store_batches}


def main() -> None:
    parser = bench_parser(__doc__)
    args = parser.parse_args()
    load_note()
    n = 2000 if args.quick else 20000
    rows = []
    for name in server_names(args):
        with running(name, args) as server:
            w = acked_writes(server.port, n, 1000)
            c = flush_throughput(server.port, n, 1000, True)
            h = flush_throughput(server.port, n, 1000, False)
            rows.append((name, w, c, h))
    print(f"\n{n} writes over 1000 keys, one synchronous client")
    print(f"{'server':<12} {'acked writes/s':>15} {'p50 us':>8} {'p99 us':>8} {'plain SET/s':>12} "
          f"{'flush rec/s coalesced':>22} {'flush rec/s each':>17}")
    for name, w, c, h in rows:
        print(f"{name:<12} {w['writes_s']:>15.0f} {w['p50_us']:>8.0f} {w['p99_us']:>8.0f} {w['set_s']:>12.0f} "
              f"{c['records_s']:>22.0f} {h['records_s']:>17.0f}")


if __name__ == "__main__":
    main()
