"""Eviction hit ratio, side by side with Redis: the same key traces replayed through both servers.

    python bench/eviction_bench.py --quick                  # a smoke run: zipf 1.0 only, short trace
    python bench/eviction_bench.py --requests 100000        # every trace, every policy
    python bench/eviction_bench.py --overhead               # redis-benchmark SET/GET, maxmemory on vs 0

Each trace is replayed as a cache would see it: GET key, and SET key on a miss. Before a run the server
is flushed, the policy set, and ``maxmemory`` fixed so that the server holds ``--cache`` keys: it loads
that many keys (named like the trace's) with maxmemory 0, reads used_memory, sets maxmemory to it, then
fills the cache past the limit and corrects maxmemory by the per-key cost until it holds ``--cache``
keys (Redis's used_memory moves with allocator and buffer state, so the first guess can be off by a
third). Both servers therefore hold the same number of keys whatever their per-key cost; the keys held
at the end of each run are printed. Traces (seeded):
Zipf alpha 0.8 / 1.0 / 1.2 over ``--keys`` keys; ``scan`` (Zipf 1.0 with a burst of one-time keys in the
middle); ``shift`` (Zipf 1.0 whose popular set moves to other keys every quarter of the trace).

Rules: loopback only, bounded runs; the hit ratio counts the whole trace unless ``--warmup F`` leaves
out the first fraction F of requests (for both servers alike: steady-state ratios).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from redis_benchmark import Server, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS_POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random"]
OUR_POLICIES = REDIS_POLICIES + ["allkeys-fifo", "allkeys-sieve", "allkeys-s3fifo", "allkeys-tinylfu"]
VALUE = b"v" * 64


def zipf_sampler(n: int, alpha: float, rng: random.Random):
    cum = list(itertools.accumulate(1.0 / (i + 1) ** alpha for i in range(n)))
    total = cum[-1]
    perm = list(range(n))
    rng.shuffle(perm)  # popular keys are not the lowest-numbered ones
    return lambda: perm[bisect.bisect_left(cum, rng.random() * total)]


def make_trace(kind: str, keys: int, requests: int, seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    alpha = {"zipf0.8": 0.8, "zipf1.2": 1.2}.get(kind, 1.0)
    draw = zipf_sampler(keys, alpha, rng)
    trace = [draw() for _ in range(requests)]
    if kind == "scan":
        mid = requests // 2
        burst = requests // 5
        trace[mid : mid + burst] = range(keys, keys + burst)  # keys seen once, never again
    elif kind == "shift":
        quarter = requests // 4
        for i in range(requests):
            trace[i] = (trace[i] + (i // quarter) * (keys // 3)) % keys
    return trace


class Client:
    """A minimal blocking RESP client: one request, one reply (the replay is sequential anyway)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, *args: bytes) -> bytes:
        out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)
        self.sock.sendall(out)
        while True:
            line_end = self.buf.find(b"\r\n")
            if line_end >= 0:
                head = self.buf[:line_end]
                if head[:1] == b"$" and head != b"$-1":
                    need = line_end + 2 + int(head[1:]) + 2
                    if len(self.buf) >= need:
                        reply, self.buf = self.buf[:need], self.buf[need:]
                        return reply
                else:
                    reply, self.buf = self.buf[: line_end + 2], self.buf[line_end + 2 :]
                    return reply
            self.buf += self.sock.recv(65536)

    def info_field(self, field: bytes) -> int:
        text = self.call(b"INFO", b"memory")
        start = text.index(field + b":") + len(field) + 1
        return int(text[start : text.index(b"\r\n", start)])


def calibrate(c: Client, policy: str, cache: int) -> int:
    """Set maxmemory so that the server, flushed, holds ``cache`` keys of the trace's shape."""
    c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
    c.call(b"FLUSHALL")
    c.call(b"CONFIG", b"SET", b"maxmemory-policy", policy.encode())
    empty = c.info_field(b"used_memory")
    for i in range(cache):
        c.call(b"SET", b"key:%d" % i, VALUE)
    limit = c.info_field(b"used_memory")
    per_key = max(1, (limit - empty) // cache)
    for _ in range(4):
        c.call(b"FLUSHALL")
        c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % limit)
        for i in range(cache + cache // 2):
            c.call(b"SET", b"key:%d" % i, VALUE)
        held = int(c.call(b"DBSIZE")[1:-2])
        if held == cache:
            break
        limit += (cache - held) * per_key
        c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
    c.call(b"FLUSHALL")
    c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % limit)
    return limit


def replay(port: int, policy: str, trace: list[int], cache: int, warmup: float = 0.0) -> tuple[float, int]:
    """The hit ratio over the trace (after the first ``warmup`` fraction) and the keys held at the end."""
    c = Client(port)
    calibrate(c, policy, cache)
    hits = 0
    start = int(len(trace) * warmup)
    for i, k in enumerate(trace):
        key = b"key:%d" % k
        if c.call(b"GET", key) == b"$-1\r\n":
            c.call(b"SET", key, VALUE)
        elif i >= start:
            hits += 1
    held = int(c.call(b"DBSIZE")[1:-2])
    c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
    return hits / (len(trace) - start), held


def start(workdir: str) -> dict[str, Server]:
    ours_port, redis_port = free_port(), free_port()
    py = sys.executable
    ours = Server("cacheserver", [py, "-m", "cacheserver", "--port", str(ours_port), "--save", "", "--appendonly",
                                  "no"], ours_port, workdir)
    redis = Server("redis", ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                   redis_port, workdir)
    env_root = str(ROOT)
    os.environ["PYTHONPATH"] = env_root + os.pathsep + os.environ.get("PYTHONPATH", "")
    return {"cacheserver": ours.start(None), "redis": redis.start(None)}


def overhead(servers: dict[str, Server], requests: int) -> list[str]:
    """redis-benchmark SET/GET throughput with eviction active (maxmemory below the data) vs maxmemory 0."""
    lines = ["| server | test | maxmemory 0 ops/s | evicting ops/s | ratio |", "|---|---|---|---|---|"]
    for name, srv in servers.items():
        c = Client(srv.port)
        results = {}
        for mode in ("off", "on"):
            c.call(b"FLUSHALL")
            c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
            if mode == "on":
                c.call(b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lru")
                used = c.info_field(b"used_memory")
                c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % (used + 10_000_000))
            out = subprocess.run(
                ["redis-benchmark", "-p", str(srv.port), "-t", "set,get", "-n", str(requests), "-r", "100000",
                 "-P", "16", "-q", "--csv"], capture_output=True, text=True, timeout=600
            ).stdout
            for row in out.splitlines()[1:]:
                cells = [x.strip('"') for x in row.split(",")]
                results[(cells[0], mode)] = float(cells[1])
        c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
        for test in ("SET", "GET"):
            off, on = results.get((test, "off"), 0), results.get((test, "on"), 0)
            lines.append(f"| {name} | {test} | {off:,.0f} | {on:,.0f} | {on / off if off else 0:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=10_000)
    p.add_argument("--cache", type=int, default=1_000, help="keys each server holds (about)")
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--traces", default="zipf0.8,zipf1.0,zipf1.2,scan,shift")
    p.add_argument("--warmup", type=float, default=0.0, help="fraction of each trace left out of the ratio")
    p.add_argument("--quick", action="store_true", help="zipf1.0 only, 20k requests")
    p.add_argument("--overhead", action="store_true", help="also run redis-benchmark SET/GET, eviction on/off")
    args = p.parse_args(argv)
    if args.quick:
        args.traces, args.requests = "zipf1.0", 20_000
    with tempfile.TemporaryDirectory() as workdir:
        servers = start(workdir)
        try:
            print(f"keys {args.keys}, cache {args.cache} keys, {args.requests} requests per trace, "
                  f"warm-up excluded: {args.warmup:.0%}\n")
            print("| trace | server | " + " | ".join(OUR_POLICIES) + " |")
            print("|---|---|" + "---|" * len(OUR_POLICIES))
            held_rows = []
            for kind in args.traces.split(","):
                trace = make_trace(kind, args.keys, args.requests)
                for name, srv in servers.items():
                    cells, held = [], []
                    for policy in OUR_POLICIES:
                        if name == "redis" and policy not in REDIS_POLICIES:
                            cells.append("-")
                            held.append("-")
                            continue
                        t0 = time.monotonic()
                        ratio, keys_held = replay(srv.port, policy, trace, args.cache, args.warmup)
                        cells.append(f"{ratio:.3f}")
                        held.append(str(keys_held))
                        print(f"  ({name} {policy} {kind}: {time.monotonic() - t0:.1f}s)", file=sys.stderr)
                    print(f"| {kind} | {name} | " + " | ".join(cells) + " |", flush=True)
                    held_rows.append(f"| {kind} | {name} | " + " | ".join(held) + " |")
            print("\nKeys held at the end of each run:\n")
            print("| trace | server | " + " | ".join(OUR_POLICIES) + " |")
            print("|---|---|" + "---|" * len(OUR_POLICIES))
            print("\n".join(held_rows))
            if args.overhead:
                print()
                print("\n".join(overhead(servers, 100_000)))
        finally:
            for srv in servers.values():
                srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
