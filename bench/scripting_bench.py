"""EVALSHA side by side: a small script (GET + INCR) through redis-benchmark, cacheserver against Redis.

    python bench/scripting_bench.py --quick        # smoke run: does it work? (seconds)
    python bench/scripting_bench.py                # -P 1 and -P 16, 3 repetitions, medians
    python bench/scripting_bench.py --pin --requests 200000

Both servers are started by ``redis_benchmark.start_servers`` (subprocesses on free loopback ports, no
persistence). The script is loaded with SCRIPT LOAD on each, then ``redis-benchmark`` runs the custom
command ``EVALSHA <sha> 1 bench:script:n`` (``-c 50``) and its ``--csv`` ops/s are compared; the two
servers alternate going first. The target is at least 0.3 of Redis's ops/s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redis_benchmark import Server, start_servers, table  # noqa: E402

SCRIPT = b"local v = redis.call('GET', KEYS[1]) return redis.call('INCR', KEYS[1])"
KEY = "bench:script:n"


def script_load(port: int) -> str:
    body = b"*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$%d\r\n%b\r\n" % (len(SCRIPT), SCRIPT)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(body)
        reply = s.recv(256)
    if not reply.startswith(b"$40\r\n"):
        raise RuntimeError(f"SCRIPT LOAD failed on port {port}: {reply!r}")
    return reply[5:45].decode()


def run_once(args: argparse.Namespace, server: Server, sha: str, pipeline: int) -> float:
    cmd = [
        args.redis_benchmark,
        "-p",
        str(server.port),
        "-n",
        str(args.requests),
        "-c",
        "50",
        "-P",
        str(pipeline),
        "--csv",
        "EVALSHA",
        sha,
        "1",
        KEY,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return float(rows[-1][1])


def measure(args: argparse.Namespace, servers: list[Server]) -> dict[tuple[str, int], list[float]]:
    shas = {s.name: script_load(s.port) for s in servers}
    results: dict[tuple[str, int], list[float]] = {}
    for pipeline in args.pipelines:
        for rep in range(args.repeat):
            order = servers if rep % 2 == 0 else list(reversed(servers))
            for server in order:
                ops = run_once(args, server, shas[server.name], pipeline)
                results.setdefault((server.name, pipeline), []).append(ops)
                if not args.quiet:
                    print(f"  {server.name} -P {pipeline} run {rep + 1}: {ops:,.0f} ops/s", file=sys.stderr)
    return results


def render(results: dict[tuple[str, int], list[float]], pipelines: list[int]) -> str:
    rows = []
    for p in pipelines:
        ours = statistics.median(results[("cacheserver", p)])
        redis = statistics.median(results[("redis", p)])
        rows.append([f"{p}", f"{ours:,.0f}", f"{redis:,.0f}", f"{ours / redis:.2f}"])
    return "\n".join(table(["-P", "ours ops/s", "redis ops/s", "ratio"], rows, False))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=100_000, help="EVALSHA requests per run (100000)")
    p.add_argument("--pipelines", default="1,16", help="-P values, comma-separated (1,16)")
    p.add_argument("--repeat", type=int, default=3, help="runs per server and -P; medians shown (3)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 repetition of 20000 requests")
    p.add_argument("--pin", action="store_true", help="servers on CPU 0, redis-benchmark on CPU 1")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    args = p.parse_args(argv)
    args.pipelines = [int(x) for x in args.pipelines.split(",")]
    if args.quick:
        args.requests, args.repeat = 20_000, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average {load:.2f} at start: results will be noisy", file=sys.stderr)
    workdir = tempfile.mkdtemp(prefix="cacheserver-scripting-bench-")
    servers: list[Server] = []
    try:
        servers = start_servers(args, workdir)
        if args.pin:
            os.sched_setaffinity(0, {1})
        results = measure(args, servers)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(results, args.pipelines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
