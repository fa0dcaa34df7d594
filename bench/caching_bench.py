"""Stampede and overhead benchmarks of cacheserver.caching against our server and a real redis-server.

    python bench/caching_bench.py --quick          # short runs (the machine is shared)
    python bench/caching_bench.py --servers redis  # one server only

Scenarios (see bench/README.md): cold burst (P processes x C callers, loader L), hot key through repeated
expiries, XFetch recomputes per expiry for several beta, lock holder killed with SIGKILL, hit-path overhead
over a raw redis-py GET (sync and async), and an outage (the server stopped mid-run, then started again).
Prints one block per server.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servers import Server, bench_parser, load_note, running, server_names, total_commands  # noqa: E402

from cacheserver.caching import AsyncCache, Cache, CircuitBreaker  # noqa: E402
from cacheserver.caching.codecs import JsonCodec, decode_entry  # noqa: E402


def p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else float("nan")


# -- cold burst ------------------------------------------------------------------------------------------
# Each process opens its connection pool before the burst, as a running application has: the handshake
# redis-py sends on a new connection (HELLO, CLIENT SETINFO x2) is not part of the caching flow, and the
# servers count it differently (Redis 7.0 refuses CLIENT SETINFO, a 7.2 command, and does not count it).
def _burst_process(port: int, callers: int, load_s: float, ready: mp.Queue, go: mp.Event, start_at: mp.Value,
                   out: mp.Queue) -> None:
    client = redis.Redis(port=port, max_connections=callers + 4)
    pool = client.connection_pool
    for conn in [pool.get_connection() for _ in range(callers + 1)]:
        pool.release(conn)
    cache = Cache(client, ttl=60, lease_ms=2000, beta=None)

    def loader() -> str:
        time.sleep(load_s)
        client.incr("bench:loads")
        return "value"

    latencies: list[float] = []

    def call() -> None:
        go.wait()
        delay = start_at.value - time.time()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        cache.get_or_load("bench:cold", loader)
        latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for t in threads:
        t.start()
    ready.put(os.getpid())
    for t in threads:
        t.join()
    out.put(latencies)


def cold_burst(port: int, procs: int, callers: int, load_s: float) -> dict:
    client = redis.Redis(port=port)
    client.flushall()
    out: mp.Queue = mp.Queue()
    ready: mp.Queue = mp.Queue()
    go = mp.Event()
    start_at = mp.Value("d", 0.0)
    ps = [mp.Process(target=_burst_process, args=(port, callers, load_s, ready, go, start_at, out))
          for _ in range(procs)]
    for p in ps:
        p.start()
    for _ in ps:
        ready.get()
    before = total_commands(client)
    start_at.value = time.time() + 0.2
    go.set()
    latencies = [x for _ in ps for x in out.get()]
    for p in ps:
        p.join()
    loads = int(client.get("bench:loads") or 0)
    commands = total_commands(client) - before - 2 - loads  # INFO itself, the GET above, the loader's INCRs
    waiting = procs * callers - 1
    return {"loads": loads, "p99_ms": p99(latencies) * 1000, "p50_ms": statistics.median(latencies) * 1000,
            "cmds_per_waiter": (commands - 4) / waiting}


# -- hot key ---------------------------------------------------------------------------------------------
def hot_key(port: int, seconds: float, rate: float, ttl: float, load_s: float, beta: float | None,
            stale_ttl: float) -> dict:
    client = redis.Redis(port=port, max_connections=64)
    client.flushall()
    cache = Cache(client, ttl=ttl, stale_ttl=stale_ttl, beta=beta, lease_ms=2000)
    replaced: list[float | None] = []

    def loader() -> float:
        entry = decode_entry(JsonCodec(), client.get("bench:hot"))
        replaced.append(entry.fresh_until if entry else None)
        time.sleep(load_s)
        return time.time()

    cache.get_or_load("bench:hot", loader)  # warm
    cache.stats.reset()  # the warm-up's own miss is not a caller waiting once warm
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    interval = 1.0 / rate
    sem = threading.Semaphore(32)

    def one() -> None:
        try:
            t0 = time.perf_counter()
            cache.get_or_load("bench:hot", loader)
            latencies.append(time.perf_counter() - t0)
        finally:
            sem.release()

    next_at = time.monotonic()
    while time.monotonic() < deadline:
        sem.acquire()
        threading.Thread(target=one).start()
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    for _ in range(32):
        sem.acquire()
    cache.drain()
    generations = len(set(replaced[1:]))
    return {
        "loads": len(replaced) - 1,
        "bound": seconds / ttl + 1,
        "per_expiry": (len(replaced) - 1) / generations if generations else float("nan"),
        "waiting": cache.stats.misses + cache.stats.lease_waits,
        "p99_ms": p99(latencies) * 1000,
        "req_s": len(latencies) / seconds,
    }


# -- lock holder killed ----------------------------------------------------------------------------------
def _holder(port: int, lease_ms: int) -> None:
    cache = Cache(redis.Redis(port=port), ttl=60, lease_ms=lease_ms, beta=None)
    cache.get_or_load("bench:killed", lambda: time.sleep(3600))


def killed_holder(port: int, lease_ms: int) -> dict:
    client = redis.Redis(port=port)
    client.flushall()
    proc = mp.Process(target=_holder, args=(port, lease_ms))
    proc.start()
    while not client.exists("bench:killed:lease"):
        time.sleep(0.005)
    time.sleep(lease_ms / 1000)  # let the heartbeat extend it at least twice
    waiter = Cache(redis.Redis(port=port), ttl=60, lease_ms=lease_ms, beta=None)
    result: list[float] = []
    t = threading.Thread(target=lambda: (waiter.get_or_load("bench:killed", lambda: "mine"),
                                         result.append(time.perf_counter())))
    t.start()
    time.sleep(0.1)
    killed_at = time.perf_counter()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    t.join(10)
    return {"takeover_ms": (result[0] - killed_at) * 1000 if result else float("nan"), "lease_ms": lease_ms}


# -- hit path overhead -----------------------------------------------------------------------------------
# Raw GETs and cache hits alternate in short blocks and the ratio is taken over the medians of the blocks, so
# a burst of load from elsewhere on a shared machine hits both sides alike instead of skewing one long loop.
HIT_BLOCK = 200


def _overhead(raw_blocks: list[float], cache_blocks: list[float]) -> float:
    return (statistics.median(cache_blocks) / statistics.median(raw_blocks) - 1) * 100


def hit_overhead(port: int, n: int) -> dict:
    client = redis.Redis(port=port)
    client.flushall()
    cache = Cache(client, ttl=600, beta=None)
    cache.get_or_load("bench:hit", lambda: {"v": 1})
    raw_blocks: list[float] = []
    cache_blocks: list[float] = []
    for _ in range(max(1, n // HIT_BLOCK)):
        t0 = time.perf_counter()
        for _ in range(HIT_BLOCK):
            client.get("bench:hit")
        t1 = time.perf_counter()
        for _ in range(HIT_BLOCK):
            cache.get_or_load("bench:hit", dict)
        t2 = time.perf_counter()
        raw_blocks.append(t1 - t0)
        cache_blocks.append(t2 - t1)

    async def async_blocks() -> float:
        aclient = redis.asyncio.Redis(port=port)
        acache = AsyncCache(aclient, ttl=600, beta=None)

        async def load() -> dict:
            return {"v": 1}

        await acache.get_or_load("bench:hit", load)
        raws: list[float] = []
        hits: list[float] = []
        for _ in range(max(1, n // HIT_BLOCK)):
            t0 = time.perf_counter()
            for _ in range(HIT_BLOCK):
                await aclient.get("bench:hit")
            t1 = time.perf_counter()
            for _ in range(HIT_BLOCK):
                await acache.get_or_load("bench:hit", load)
            t2 = time.perf_counter()
            raws.append(t1 - t0)
            hits.append(t2 - t1)
        await aclient.aclose()
        return _overhead(raws, hits)

    return {"sync_pct": _overhead(raw_blocks, cache_blocks), "async_pct": asyncio.run(async_blocks()),
            "raw_get_us": statistics.median(raw_blocks) / HIT_BLOCK * 1e6}


# -- outage --------------------------------------------------------------------------------------------
def outage(server: Server, up_s: float, down_s: float, after_s: float, rate: float,
           client_retry: Retry | None) -> dict:
    """One caller at ``rate`` calls/s on a cached key; the server is stopped after ``up_s`` and started again
    ``down_s`` later (empty: no persistence). Extra latency is a call's time minus its loader's time."""
    kwargs = {"retry": client_retry} if client_retry is not None else {}
    client = redis.Redis(port=server.port, socket_connect_timeout=0.5, socket_timeout=0.5, **kwargs)
    client.flushall()
    cache = Cache(client, ttl=60, beta=None, breaker=CircuitBreaker(threshold=3, cooldown=0.5))
    calls: list[tuple[float, float, float, bool]] = []  # start, latency, loader time, went through the cache
    errors = []
    marks: dict[str, float] = {}
    stop = threading.Event()

    def caller() -> None:
        loader_time = [0.0]

        def loader() -> str:
            t = time.perf_counter()
            value = "row"
            loader_time[0] = time.perf_counter() - t
            return value

        while not stop.is_set():
            loader_time[0] = 0.0
            skipped = cache.stats.bypassed + cache.stats.cache_errors
            t0 = time.perf_counter()
            try:
                cache.get_or_load("bench:outage", loader)
            except Exception as exc:  # the target: never reached
                errors.append(exc)
            latency = time.perf_counter() - t0
            calls.append((t0, latency, loader_time[0], skipped == cache.stats.bypassed + cache.stats.cache_errors))
            pause = 1.0 / rate - latency
            if pause > 0:
                time.sleep(pause)

    thread = threading.Thread(target=caller)
    thread.start()
    time.sleep(up_s)
    marks["down"] = time.perf_counter()
    server.stop()
    time.sleep(down_s)
    server.start()
    marks["up"] = time.perf_counter()
    time.sleep(after_s)
    stop.set()
    thread.join(30)
    client.close()
    while_down = [lat - lt for t0, lat, lt, _ in calls if marks["down"] <= t0 < marks["up"] - 0.02]
    back = [t0 for t0, _, _, cached in calls if t0 >= marks["up"] and cached]
    return {
        "exceptions": len(errors),
        "calls_down": len(while_down),
        "p99_extra_ms": p99(while_down) * 1000,
        "max_extra_ms": max(while_down, default=float("nan")) * 1000,
        "recovery_ms": (back[0] - marks["up"]) * 1000 if back else float("nan"),
    }


def main() -> None:
    parser = bench_parser(__doc__)
    args = parser.parse_args()
    load_note()
    hot_seconds = 3.0 if args.quick else 6.0
    for name in server_names(args):
        with running(name, args) as server:
            port = server.port
            print(f"\n== {name} ==")
            r = cold_burst(port, 4, 25, 0.2)
            print(f"cold burst 4x25 L=200ms: loads={r['loads']} p50={r['p50_ms']:.0f} p99={r['p99_ms']:.0f} ms "
                  f"cmds/waiting caller={r['cmds_per_waiter']:.2f}")
            r = hot_key(port, hot_seconds, 650, 1.0, 0.1, 1.0, 1.0)
            print(f"hot key {hot_seconds:.0f}s TTL=1s L=100ms: loads={r['loads']} (bound {r['bound']:.0f}) "
                  f"waiting={r['waiting']} p99={r['p99_ms']:.1f} ms at {r['req_s']:.0f} req/s")
            for beta in (0.5, 1.0, 2.0):
                r = hot_key(port, hot_seconds, 200, 1.0, 0.1, beta, 0.0)
                print(f"xfetch beta={beta}: recomputes per expiry={r['per_expiry']:.2f} loads={r['loads']}")
            r = killed_holder(port, 1000)
            print(f"holder SIGKILLed: takeover after {r['takeover_ms']:.0f} ms (lease {r['lease_ms']} ms)")
            r = hit_overhead(port, 4000 if args.quick else 20000)
            print(f"hit path over raw GET ({r['raw_get_us']:.0f} us): sync {r['sync_pct']:+.1f}%  "
                  f"async {r['async_pct']:+.1f}%")
            # Last: it stops and restarts the server. A cache client should fail fast; with redis-py's default
            # retry policy the first call of an outage sits in the client's own backoff (reported too).
            for label, retry in (("client retry once, no backoff", Retry(NoBackoff(), 1)),
                                 ("redis-py default retry", None)):
                r = outage(server, 0.5, 1.5 if args.quick else 3.0, 1.5, 500, retry)
                print(f"outage ({label}): exceptions={r['exceptions']} calls while down={r['calls_down']} "
                      f"extra p99={r['p99_extra_ms']:.2f} ms max={r['max_extra_ms']:.1f} ms "
                      f"recovered {r['recovery_ms']:.0f} ms after restart")


if __name__ == "__main__":
    main()
