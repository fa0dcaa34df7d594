"""Rate-limiter decisions and lock hand-offs per second, on our server and a real redis-server side by side.

    python bench/ratelimit_bench.py --quick            # short runs (the machine is shared)
    python bench/ratelimit_bench.py --servers redis    # one server only

Rows: a raw INCR round trip (the floor any one-command decision pays), each algorithm's ``hit`` from one
client (a script per decision), the same from P processes on one identity (contended) and on one identity
each, and a lock's uncontended acquire+release and contended hand-offs (T threads incrementing under it).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servers import bench_parser, load_note, running, server_names  # noqa: E402

from cacheserver.caching.locks import Lock  # noqa: E402
from cacheserver.caching.ratelimit import (  # noqa: E402
    FixedWindow,
    LeakyBucket,
    SlidingWindowCounter,
    SlidingWindowLog,
    TokenBucket,
)

ALGORITHMS = {
    "token bucket": lambda c: TokenBucket(c, "b", rate=1000, capacity=100),
    "leaky bucket": lambda c: LeakyBucket(c, "b", rate=1000, capacity=100),
    "fixed window": lambda c: FixedWindow(c, "b", limit=100, window=1),
    "sliding log": lambda c: SlidingWindowLog(c, "b", limit=100, window=1),
    "sliding counter": lambda c: SlidingWindowCounter(c, "b", limit=100, window=1),
}


def _rate(n: int, fn) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def single_client(port: int, n: int) -> dict[str, float]:
    client = redis.Redis(port=port)
    client.flushall()
    rows = {"raw INCR": _rate(n, lambda: client.incr("bench:incr"))}
    for name, make in ALGORITHMS.items():
        limiter = make(client)
        limiter.hit("warm")
        rows[name] = _rate(n, lambda limiter=limiter: limiter.hit("id"))
    client.close()
    return rows


def _hammer(port: int, name: str, identity: str, seconds: float, out: mp.Queue) -> None:
    client = redis.Redis(port=port)
    limiter = ALGORITHMS[name](client)
    limiter.hit(identity)
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        limiter.hit(identity)
        n += 1
    out.put(n)


def processes(port: int, procs: int, seconds: float, shared: bool) -> dict[str, float]:
    ctx = mp.get_context("fork")
    rows = {}
    for name in ALGORITHMS:
        redis.Redis(port=port).flushall()
        out = ctx.Queue()
        workers = [ctx.Process(target=_hammer, args=(port, name, "one" if shared else f"p{i}", seconds, out))
                   for i in range(procs)]
        for w in workers:
            w.start()
        total = sum(out.get(timeout=seconds + 30) for _ in workers)
        for w in workers:
            w.join()
        rows[name] = total / seconds
    return rows


def locks(port: int, n: int, threads: int) -> dict[str, float]:
    client = redis.Redis(port=port)
    client.flushall()
    lock = Lock(client, "bench")

    def pair() -> None:
        lock.acquire()
        lock.release()

    rows = {"acquire+release": _rate(n, pair)}
    per_thread = max(n // threads, 1)

    def worker() -> None:
        c = redis.Redis(port=port)
        for _ in range(per_thread):
            with Lock(c, "contended"):
                pass
        c.close()

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    rows[f"hand-offs, {threads} threads"] = per_thread * threads / (time.perf_counter() - start)
    client.close()
    return rows


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--procs", type=int, default=4)
    args = parser.parse_args()
    load_note()
    n, seconds = (1000, 0.5) if args.quick else (10000, 3.0)
    results: dict[str, dict[str, float]] = {}
    for name in server_names(args):
        with running(name, args) as server:
            port = server.port
            rows = {f"1 client: {k}": v for k, v in single_client(port, n).items()}
            rows |= {f"{args.procs} procs, one identity: {k}": v
                     for k, v in processes(port, args.procs, seconds, True).items()}
            rows |= {f"{args.procs} procs, own identities: {k}": v
                     for k, v in processes(port, args.procs, seconds, False).items()}
            rows |= {f"lock {k}": v for k, v in locks(port, n // 4, 4).items()}
            results[name] = rows
    servers = list(results)
    print(f"{'per second':<48}" + "".join(f"{s:>14}" for s in servers)
          + ("   ratio" if len(servers) == 2 else ""))
    for row in results[servers[0]]:
        values = [results[s][row] for s in servers]
        line = f"{row:<48}" + "".join(f"{v:>14,.0f}" for v in values)
        if len(values) == 2:
            line += f"   {values[0] / values[1]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
