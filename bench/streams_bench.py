"""Streams side by side with Redis: XADD through redis-benchmark, and consumer-group throughput.

    python bench/streams_bench.py --quick        # smoke run: does it work? (about half a minute)
    python bench/streams_bench.py                # XADD at -P 1 and -P 16, group throughput, 3 repetitions
    python bench/streams_bench.py --consumers 8 --seconds 10 --pin

XADD runs as a redis-benchmark custom command, ``XADD mystream * myfield myvalue`` (redis-benchmark 7.0
has no ``-t xadd``), on the ``redis_benchmark`` harness's servers with its CPU-per-request measurement. The consumer-group run
starts one producer process (pipelined XADD windows) and N consumer processes of one group (XREADGROUP
COUNT 100 BLOCK 100, then one pipelined XACK of what they read) for a fixed time, and reports entries
produced, read and acknowledged per second, and the server's CPU per acknowledged entry. Targets (the
issue's): XADD at least 0.7 of Redis's ops/s at -P 1 and 0.35 at -P 16; group throughput at least 0.5.
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redis_benchmark import Run, Server, start_servers, table  # noqa: E402

STREAM = "bench:stream"
GROUP = "bench"
XADD_COMMAND = ["XADD", "mystream", "*", "myfield", "myvalue"]


def run_command(args: argparse.Namespace, server: Server, pipeline: int, requests: int) -> Run:
    """One redis-benchmark run of ``XADD_COMMAND`` (the harness's ``run_benchmark`` takes ``-t`` names)."""
    argv = [args.redis_benchmark, "-h", "127.0.0.1", "-p", str(server.port), "-n", str(requests),
            "-c", str(args.clients), "-P", str(pipeline), "--csv", *XADD_COMMAND]
    cpu_before = server.cpu_seconds()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=args.run_timeout,
                          preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if args.pin else None)
    cpu_after = server.cpu_seconds()
    if proc.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed on {server.name}: {proc.stderr.strip()}")
    row = next(iter(csv.DictReader(io.StringIO(proc.stdout))))
    return Run(server=server.name, test="XADD", pipeline=pipeline, clients=args.clients, requests=requests,
               rps=float(row["rps"]), p50_ms=float(row["p50_latency_ms"]), p99_ms=float(row["p99_latency_ms"]),
               cpu_us_per_request=(cpu_after - cpu_before) * 1e6 / requests)


def _producer(port: int, stop_at: float, window: int, size: int, counts) -> None:
    client = redis.Redis(port=port)
    payload = b"x" * size
    n = 0
    while time.monotonic() < stop_at:
        pipe = client.pipeline(transaction=False)
        for _ in range(window):
            pipe.xadd(STREAM, {"payload": payload})
        pipe.execute()
        n += window
    counts["produced"] = n


def _consumer(port: int, name: str, stop_at: float, drain_until: float, counts) -> None:
    client = redis.Redis(port=port)
    read = acked = 0
    while True:
        now = time.monotonic()
        if now >= drain_until:
            break
        reply = client.xreadgroup(GROUP, name, {STREAM: ">"}, count=100, block=100)
        if not reply:
            if now >= stop_at:
                break
            continue
        ids = [entry_id for _, entries in reply for entry_id, _ in entries]
        read += len(ids)
        acked += client.xack(STREAM, GROUP, *ids)
    counts[name] = (read, acked)


def group_run(server: Server, args: argparse.Namespace) -> dict:
    client = redis.Redis(port=server.port)
    client.delete(STREAM)
    client.xgroup_create(STREAM, GROUP, "$", mkstream=True)
    ctx = mp.get_context("fork")
    counts = ctx.Manager().dict()
    start = time.monotonic() + 0.3
    stop_at = start + args.seconds
    drain_until = stop_at + args.drain
    names = [f"c{i}" for i in range(args.consumers)]
    procs = [ctx.Process(target=_consumer, args=(server.port, n, stop_at, drain_until, counts)) for n in names]
    procs.append(ctx.Process(target=_producer, args=(server.port, stop_at, args.window, args.size, counts)))
    cpu_before = server.cpu_seconds()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    cpu = server.cpu_seconds() - cpu_before
    read = sum(counts[n][0] for n in names)
    acked = sum(counts[n][1] for n in names)
    pending = client.xpending(STREAM, GROUP)["pending"]
    client.delete(STREAM)
    client.close()
    return {
        "produced/s": counts["produced"] / elapsed,
        "read/s": read / elapsed,
        "acked/s": acked / elapsed,
        "us CPU/entry": cpu * 1e6 / max(acked, 1),
        "left pending": pending,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=100000, help="XADD requests at -P 1 (100000)")
    p.add_argument("--pipelined-requests", type=int, default=400000, help="XADD requests at -P 16 (400000)")
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark connections (50)")
    p.add_argument("--consumers", type=int, default=4, help="consumers in the group (4)")
    p.add_argument("--window", type=int, default=50, help="XADDs per producer round trip (50)")
    p.add_argument("--size", type=int, default=64, help="payload bytes per entry (64)")
    p.add_argument("--seconds", type=float, default=5.0, help="producing time per group run (5)")
    p.add_argument("--drain", type=float, default=3.0, help="max seconds for consumers to catch up (3)")
    p.add_argument("--repeat", type=int, default=3, help="runs per cell; medians shown (3)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, short runs")
    p.add_argument("--pin", action="store_true", help="servers on CPU 0, load generators on CPU 1")
    p.add_argument("--run-timeout", type=float, default=600.0)
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat = 1
        args.requests = min(args.requests, 20000)
        args.pipelined_requests = min(args.pipelined_requests, 100000)
        args.seconds = min(args.seconds, 2.0)
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average {load:.2f} at start: results will be noisy", file=sys.stderr)
    workdir = tempfile.mkdtemp(prefix="cacheserver-streams-bench-")
    servers: list[Server] = []
    xadd: dict[tuple[str, int], list] = {}
    groups: dict[str, list[dict]] = {}
    try:
        servers = start_servers(args, workdir)
        if args.pin:
            os.sched_setaffinity(0, {1})
        for rep in range(args.repeat):
            order = servers if rep % 2 == 0 else servers[::-1]
            for pipeline, n in ((1, args.requests), (16, args.pipelined_requests)):
                for server in order:
                    run = run_command(args, server, pipeline, n)
                    xadd.setdefault((server.name, pipeline), []).append(run)
                    server.flushall()
            for server in order:
                groups.setdefault(server.name, []).append(group_run(server, args))
                server.flushall()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    ours, theirs = "cacheserver", "redis"
    rows = []
    for pipeline in (1, 16):
        a = statistics.median(r.rps for r in xadd[(ours, pipeline)])
        b = statistics.median(r.rps for r in xadd[(theirs, pipeline)])
        ca = statistics.median(r.cpu_us_per_request for r in xadd[(ours, pipeline)])
        cb = statistics.median(r.cpu_us_per_request for r in xadd[(theirs, pipeline)])
        rows.append(["XADD", str(pipeline), f"{a:,.0f}", f"{b:,.0f}", f"{a / b:.2f}", f"{ca:.2f}", f"{cb:.2f}",
                     f"{ca / cb:.2f}"])
    print("\n".join(table(["test", "-P", "ours ops/s", "redis ops/s", "ratio", "ours us CPU/req",
                           "redis us CPU/req", "CPU ratio"], rows, markdown=False)))
    print()
    rows = []
    for metric in ("produced/s", "read/s", "acked/s", "us CPU/entry"):
        a = statistics.median(g[metric] for g in groups[ours])
        b = statistics.median(g[metric] for g in groups[theirs])
        rows.append([metric, f"{a:,.2f}" if metric.startswith("us") else f"{a:,.0f}",
                     f"{b:,.2f}" if metric.startswith("us") else f"{b:,.0f}", f"{a / b:.2f}" if b else "-"])
    lost = max(g["left pending"] for g in groups[ours] + groups[theirs])
    print(f"consumer group: 1 producer (window {args.window}), {args.consumers} consumers, {args.seconds:g} s")
    print("\n".join(table(["metric", "ours", "redis", "ratio"], rows, markdown=False)))
    if lost:
        print(f"note: up to {lost} entries were still pending at the end of a run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
