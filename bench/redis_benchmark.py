"""redis-benchmark side by side: cacheserver and a real redis-server, throughput, latency and CPU per request.

    python bench/redis_benchmark.py                 # full run, about 4 minutes on 2 quiet cores
    python bench/redis_benchmark.py --quick         # a smoke run of a few seconds
    python bench/redis_benchmark.py --tests set,get,lpush,lrange_100 --repeat 5 --save

Both servers run as subprocesses on free loopback ports, without persistence. Every measurement runs
against both, alternating which goes first, ``--repeat`` times; the table shows medians. Per test and
pipeline depth (``-P 1`` and ``-P 16``, 50 clients) it reports ops/s from redis-benchmark's CSV, and the
server's CPU time per request: the server process's CPU time (all threads, from /proc) before and after
a run of that single test, divided by the requests of the run. A ``-c 1`` run per test gives p50/p99
latency. See bench/README.md for how to read the ratios.

Rules: loopback only, bounded runs, nothing that needs root (``--pin`` uses sched_setaffinity on our
own processes). The machine should be otherwise idle; the load average at start is recorded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import NAMES, Server, argv_for, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

DEFAULT_TESTS = "ping_inline,ping_mbulk,set,get,incr,mset"
# redis-benchmark's -t name -> the CSV row name of the measured test
ROW_NAMES = {
    "ping_inline": "PING_INLINE",
    "ping_mbulk": "PING_MBULK",
    "set": "SET",
    "get": "GET",
    "incr": "INCR",
    "lpush": "LPUSH",
    "rpush": "RPUSH",
    "lpop": "LPOP",
    "rpop": "RPOP",
    "sadd": "SADD",
    "hset": "HSET",
    "spop": "SPOP",
    "zadd": "ZADD",
    "zpopmin": "ZPOPMIN",
    "lrange_100": "LRANGE_100 (first 100 elements)",
    "lrange_300": "LRANGE_300 (first 300 elements)",
    "lrange_500": "LRANGE_500 (first 500 elements)",
    "lrange_600": "LRANGE_600 (first 600 elements)",
    "mset": "MSET (10 keys)",
    "xadd": "XADD",
}


# -- servers ------------------------------------------------------------------------------------------------


def start_servers(args: argparse.Namespace, workdir: str) -> list[Server]:
    """cacheserver and redis-server on free ports in ``workdir`` (pinned to CPU 0 with ``--pin``)."""
    cpus = {0} if args.pin else None
    started: list[Server] = []
    for name in NAMES:
        port = free_port()
        started.append(Server(name, argv_for(name, port, workdir, args.redis_server), port, workdir).start(cpus))
    return started


# -- runs ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    server: str
    test: str
    pipeline: int
    clients: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    rows: list[str] = field(default_factory=list)


def run_benchmark(
    args: argparse.Namespace, server: Server, test: str, pipeline: int, clients: int, requests: int
) -> Run:
    argv = [
        args.redis_benchmark,
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port),
        "-t",
        test,
        "-n",
        str(requests),
        "-c",
        str(clients),
        "-P",
        str(pipeline),
        "--csv",
    ]
    cpu_before = server.cpu_seconds()
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=args.run_timeout,
        preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if args.pin else None,
    )
    cpu_after = server.cpu_seconds()
    if proc.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed on {server.name}: {proc.stderr.strip()}")
    if "WARNING" in proc.stderr or "WARNING" in proc.stdout:
        print(f"  note: redis-benchmark warned on {server.name}: {proc.stderr.strip()}", file=sys.stderr)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    wanted = ROW_NAMES.get(test, test.upper())
    row = next((r for r in rows if r["test"] == wanted), None)
    if row is None:
        raise RuntimeError(f"no CSV row {wanted!r} for -t {test}; got {[r['test'] for r in rows]}")
    # a test may bring its own preparation rows (LRANGE_* fills a list with LPUSH first): the CPU
    # time covers every row, so it is divided by all the requests of the run
    total_requests = requests * len(rows)
    return Run(
        server=server.name,
        test=wanted,
        pipeline=pipeline,
        clients=clients,
        requests=requests,
        rps=float(row["rps"]),
        p50_ms=float(row["p50_latency_ms"]),
        p99_ms=float(row["p99_latency_ms"]),
        cpu_us_per_request=(cpu_after - cpu_before) * 1e6 / total_requests,
        rows=[r["test"] for r in rows],
    )


def measure(args: argparse.Namespace, servers: list[Server]) -> list[Run]:
    tests = [t.strip().lower() for t in args.tests.split(",") if t.strip()]
    runs: list[Run] = []
    plan: list[tuple[str, int, int, int]] = []  # (test, pipeline, clients, requests)
    for pipeline in args.pipelines:
        n = args.requests if pipeline == 1 else args.pipelined_requests
        plan += [(t, pipeline, args.clients, n) for t in tests]
    if args.latency_requests > 0:
        plan += [(t, 1, 1, args.latency_requests) for t in tests]
    total = len(plan) * args.repeat * len(servers)
    done = 0
    started = time.monotonic()
    if args.warmup > 0:
        for server in servers:
            for t in tests:
                run_benchmark(args, server, t, 16, args.clients, args.warmup)
    for rep in range(args.repeat):
        for i, (test, pipeline, clients, n) in enumerate(plan):
            # alternate which server goes first, from one measurement to the next and from one repetition
            # to the next, so that drift in the machine's state hits both alike
            order = servers if (rep + i) % 2 == 0 else servers[::-1]
            for server in order:
                run = run_benchmark(args, server, test, pipeline, clients, n)
                runs.append(run)
                done += 1
                if not args.quiet:
                    print(
                        f"  [{done}/{total} {time.monotonic() - started:5.0f}s] {server.name:11} {run.test:32} "
                        f"-P {pipeline:<2} -c {clients:<2} {run.rps:12,.0f} ops/s "
                        f"{run.cpu_us_per_request:7.2f} us CPU/req",
                        file=sys.stderr,
                    )
        for server in servers:
            server.flushall()
    return runs


# -- report -------------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(runs: list[Run], names: tuple[str, str]) -> tuple[list[dict], list[dict]]:
    ours_name, redis_name = names
    throughput: list[dict] = []
    latency: list[dict] = []
    keys: list[tuple[str, int, int]] = []
    for run in runs:
        key = (run.test, run.pipeline, run.clients)
        if key not in keys:
            keys.append(key)
    for test, pipeline, clients in keys:
        sel = [r for r in runs if (r.test, r.pipeline, r.clients) == (test, pipeline, clients)]
        ours = [r for r in sel if r.server == ours_name]
        theirs = [r for r in sel if r.server == redis_name]
        if clients == 1:
            latency.append(
                {
                    "test": test,
                    "ours_p50_ms": median([r.p50_ms for r in ours]),
                    "redis_p50_ms": median([r.p50_ms for r in theirs]),
                    "ours_p99_ms": median([r.p99_ms for r in ours]),
                    "redis_p99_ms": median([r.p99_ms for r in theirs]),
                    "ours_cpu_us": median([r.cpu_us_per_request for r in ours]),
                    "redis_cpu_us": median([r.cpu_us_per_request for r in theirs]),
                }
            )
            continue
        o_rps, r_rps = median([r.rps for r in ours]), median([r.rps for r in theirs])
        o_cpu = median([r.cpu_us_per_request for r in ours])
        r_cpu = median([r.cpu_us_per_request for r in theirs])
        throughput.append(
            {
                "test": test,
                "pipeline": pipeline,
                "clients": clients,
                "ours_ops": o_rps,
                "redis_ops": r_rps,
                "ratio": o_rps / r_rps if r_rps else float("nan"),
                "ours_cpu_us": o_cpu,
                "redis_cpu_us": r_cpu,
                "cpu_ratio": o_cpu / r_cpu if r_cpu else float("nan"),
                "extra_rows": max((len(r.rows) - 1 for r in sel), default=0),
            }
        )
    return throughput, latency


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def render(throughput: list[dict], latency: list[dict], markdown: bool = False) -> str:
    lines: list[str] = []
    head = ["test", "-P", "ours ops/s", "redis ops/s", "ratio", "ours us CPU/req", "redis us CPU/req", "CPU ratio"]
    rows = []
    for t in throughput:
        note = "*" if t["extra_rows"] else ""
        rows.append(
            [
                t["test"] + note,
                str(t["pipeline"]),
                f"{t['ours_ops']:,.0f}",
                f"{t['redis_ops']:,.0f}",
                f"{t['ratio']:.2f}",
                f"{t['ours_cpu_us']:.2f}",
                f"{t['redis_cpu_us']:.2f}",
                f"{t['cpu_ratio']:.2f}",
            ]
        )
    for pipeline in sorted({t["pipeline"] for t in throughput}):
        sel = [t for t in throughput if t["pipeline"] == pipeline]
        rows.append(
            [
                f"geomean -P {pipeline}",
                str(pipeline),
                "",
                "",
                f"{geomean([t['ratio'] for t in sel]):.2f}",
                "",
                "",
                f"{geomean([t['cpu_ratio'] for t in sel]):.2f}",
            ]
        )
    lines += table(head, rows, markdown)
    if any(t["extra_rows"] for t in throughput):
        lines.append("* CPU per request includes the test's preparation rows (e.g. LPUSH before LRANGE).")
    if latency:
        lines.append("")
        head = [
            "test (-c 1 -P 1)",
            "ours p50 ms",
            "redis p50 ms",
            "ours p99 ms",
            "redis p99 ms",
            "ours us CPU/req",
            "redis us CPU/req",
        ]
        rows = [
            [
                t["test"],
                f"{t['ours_p50_ms']:.3f}",
                f"{t['redis_p50_ms']:.3f}",
                f"{t['ours_p99_ms']:.3f}",
                f"{t['redis_p99_ms']:.3f}",
                f"{t['ours_cpu_us']:.2f}",
                f"{t['redis_cpu_us']:.2f}",
            ]
            for t in latency
        ]
        lines += table(head, rows, markdown)
    return "\n".join(lines)


def table(head: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return out
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]


def environment(args: argparse.Namespace) -> dict:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    return {
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "python": platform.python_version(),
        "redis_server": version([args.redis_server, "--version"]),
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "pinned": args.pin,
        "settings": {k: v for k, v in vars(args).items() if k not in ("redis_server", "redis_benchmark")},
    }


# -- command line -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tests", default=DEFAULT_TESTS, help=f"redis-benchmark -t names (default {DEFAULT_TESTS})")
    p.add_argument("--repeat", type=int, default=3, help="repetitions per measurement, medians reported (3)")
    p.add_argument("--requests", type=int, default=100_000, help="requests per -P 1 run (100000)")
    p.add_argument("--pipelined-requests", type=int, default=400_000, help="requests per pipelined run (400000)")
    p.add_argument(
        "--latency-requests", type=int, default=20_000, help="requests per -c 1 latency run; 0 skips (20000)"
    )
    p.add_argument("--pipelines", default="1,16", help="pipeline depths (1,16)")
    p.add_argument("--clients", type=int, default=50, help="parallel connections for throughput runs (50)")
    p.add_argument("--warmup", type=int, default=10_000, help="requests per test before measuring; 0 skips (10000)")
    p.add_argument("--quick", action="store_true", help="a smoke run: 1 repetition, small runs, no warm-up")
    p.add_argument("--pin", action="store_true", help="servers on CPU 0, redis-benchmark on CPU 1 (no root needed)")
    p.add_argument("--save", action="store_true", help="write JSON and markdown to bench/results/")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--run-timeout", type=float, default=300, help="seconds before one redis-benchmark run is abandoned")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    args = p.parse_args(argv)
    args.pipelines = [int(x) for x in str(args.pipelines).split(",") if x.strip()]
    if args.quick:
        args.repeat = 1
        args.requests = min(args.requests, 2_000)
        args.pipelined_requests = min(args.pipelined_requests, 10_000)
        args.latency_requests = min(args.latency_requests, 500)
        args.warmup = 0
    if args.pin and (os.cpu_count() or 1) < 2:
        p.error("--pin needs at least 2 CPUs")
    for tool in (args.redis_server, args.redis_benchmark):
        if shutil.which(tool) is None and not os.path.exists(tool):
            p.error(f"{tool} not found (apt-get install redis-server redis-tools)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment(args)
    if env["loadavg_at_start"][0] > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average {env['loadavg_at_start'][0]:.2f} at start: results will be noisy", file=sys.stderr)
    workdir = tempfile.mkdtemp(prefix="cacheserver-bench-")
    servers: list[Server] = []
    try:
        servers = start_servers(args, workdir)
        runs = measure(args, servers)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    throughput, latency = summarize(runs, ("cacheserver", "redis"))
    print(render(throughput, latency))
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"{stamp}.json").write_text(
            json.dumps(
                {"environment": env, "throughput": throughput, "latency": latency, "runs": [asdict(r) for r in runs]},
                indent=2,
            )
        )
        (RESULTS / f"{stamp}.md").write_text(
            f"# redis-benchmark, cacheserver vs redis-server ({env['time']}, commit {env['commit']})\n\n"
            + render(throughput, latency, markdown=True)
            + "\n"
        )
        print(f"saved bench/results/{stamp}.json and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
