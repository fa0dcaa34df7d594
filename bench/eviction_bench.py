"""Eviction hit ratio, side by side with Redis: the same key traces replayed through both servers.

    python bench/eviction_bench.py --quick                  # a smoke run: zipf 1.0 only, short trace
    python bench/eviction_bench.py                          # every trace: 100k keys, cache 10k, 1M requests
    python bench/eviction_bench.py --overhead               # also redis-benchmark SET/GET, maxmemory on vs 0

Each trace is replayed as a cache would see it: GET key, and SET key on a miss. Every (server, policy)
pair is a *lane* with a server process of its own, so lanes run side by side; the replay steps through
the trace in lockstep over the lanes (each lane's server sees exactly the sequential command stream).

Exactness of the pipelining. A GET's reply decides whether a SET follows, and every command changes
the eviction state the next one meets (access stamps, LFU counters, which key the next write evicts),
so no command may be sent before the client knows it is the next one. The only replies known in
advance are the misses of a key's *first* access in the trace: the server was flushed and no key of the
trace's name space was ever written since, so that GET must return nil and its SET must follow. A round
trip therefore carries the pending SET of the previous request (if its GET missed), then GET+SET of every
first access in a row, then the next GET whose reply is unknown; the commands a server receives, and
their order, are exactly those of one-request-one-reply. The replay asserts that every first-access GET
did return nil. No Lua script or MULTI is used: Redis evicts before each command it processes, but not
between the commands of a script or a transaction, so either would change when keys are evicted.

maxmemory is fixed per lane so that the server holds ``--cache`` keys: the lane loads that many keys
(named like the trace's) with maxmemory 0, reads used_memory, sets maxmemory to it, then fills past the
limit and corrects maxmemory by the per-key cost until it holds ``--cache`` keys. Redis's used_memory
also counts client buffers, which move, so during the replay every lane's DBSIZE is sampled (after a GET,
where it changes nothing: Redis has evicted before that GET already, ours evicts before writes only) and,
unless ``--no-hold``, maxmemory is nudged by half the per-key cost times the shortfall when the key
count drifts by more than ``DRIFT`` (0.2%). The mean, minimum and maximum keys held, and the number of
corrections, are printed for every lane.

Traces (seeded): Zipf alpha 0.8 / 1.0 / 1.2 over ``--keys`` keys (popular keys spread over the name
space); ``scan`` (Zipf 1.0 with a burst of ``requests / 5`` one-time keys in the middle); ``shift`` (Zipf
1.0 whose popular set moves by a third of the keys every quarter of the trace). Two ratios per run: the
whole trace (cold start included: first accesses are compulsory misses no policy avoids) and the steady
state, leaving out the first ``--warmup`` fraction of requests (for every lane alike).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import hiredis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import Server, argv_for, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS_POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random"]
OUR_POLICIES = REDIS_POLICIES + ["allkeys-fifo", "allkeys-sieve", "allkeys-s3fifo", "allkeys-tinylfu"]
VALUE = b"v" * 64
TRACES = ["zipf0.8", "zipf1.0", "zipf1.2", "scan", "shift"]
DRIFT = 0.002  # key-count drift (fraction of --cache) beyond which --hold corrects maxmemory
SAMPLES = 200  # DBSIZE samples per lane per trace
# First accesses sent in one round trip at most: the batch (~8.5 KB) and its replies (~5 KB) must fit in
# Redis's 16 KB query buffer and static reply buffer, or the extra buffer memory (counted in used_memory,
# which Redis evicts against) would evict keys a one-request-per-round-trip replay keeps.
BATCH = 64


def zipf_sampler(n: int, alpha: float, rng: random.Random):
    cum = list(itertools.accumulate(1.0 / (i + 1) ** alpha for i in range(n)))
    perm = list(range(n))
    rng.shuffle(perm)  # popular keys are not the lowest-numbered ones
    return lambda k: rng.choices(perm, cum_weights=cum, k=k)


def make_trace(kind: str, keys: int, requests: int, seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    alpha = {"zipf0.8": 0.8, "zipf1.2": 1.2}.get(kind, 1.0)
    trace = zipf_sampler(keys, alpha, rng)(requests)
    if kind == "scan":
        mid = requests // 2
        burst = requests // 5
        trace[mid : mid + burst] = range(keys, keys + burst)  # keys seen once, never again
    elif kind == "shift":
        quarter = requests // 4
        for i in range(requests):
            trace[i] = (trace[i] + (i // quarter) * (keys // 3)) % keys
    return trace


def command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


class Client:
    """A minimal blocking RESP client: send a batch of commands, read that many replies (hiredis)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def send(self, payload: bytes) -> None:
        self.sock.sendall(payload)

    def read(self, n: int) -> list:
        out = []
        reader = self.reader
        while len(out) < n:
            reply = reader.gets()
            if reply is False:
                data = self.sock.recv(65536)
                if not data:
                    raise RuntimeError("server closed the connection")
                reader.feed(data)
                continue
            if isinstance(reply, hiredis.ReplyError):
                raise RuntimeError(f"server error: {reply}")
            out.append(reply)
        return out

    def call(self, *args: bytes):
        self.send(command(*args))
        return self.read(1)[0]

    def info_field(self, field: bytes) -> int:
        text = self.call(b"INFO", b"memory")
        start = text.index(field + b":") + len(field) + 1
        return int(text[start : text.index(b"\r\n", start)])

    def close(self) -> None:
        self.sock.close()


def fill(c: Client, count: int) -> None:
    """SET key:0 .. key:count-1, pipelined (order kept, one reply read per command)."""
    for lo in range(0, count, BATCH):
        hi = min(count, lo + BATCH)
        c.send(b"".join(command(b"SET", b"key:%d" % i, VALUE) for i in range(lo, hi)))
        c.read(hi - lo)


def calibrate(c: Client, policy: str, cache: int) -> tuple[int, int]:
    """Set maxmemory so that the server, flushed, holds ``cache`` keys of the trace's shape.
    Returns (maxmemory, per-key cost)."""
    c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
    c.call(b"FLUSHALL")
    c.call(b"CONFIG", b"SET", b"maxmemory-policy", policy.encode())
    empty = c.info_field(b"used_memory")
    fill(c, cache)
    limit = c.info_field(b"used_memory")
    per_key = max(1, (limit - empty) // cache)
    for _ in range(6):
        c.call(b"FLUSHALL")
        c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % limit)
        fill(c, cache + cache // 2)
        held = c.call(b"DBSIZE")
        if abs(held - cache) <= max(1, cache * DRIFT / 2):
            break
        limit += (cache - held) * per_key
        c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
    c.call(b"FLUSHALL")
    c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % limit)
    return limit, per_key


@dataclass
class Lane:
    """One (server, policy) pair: its server process, connection and counts for the current trace."""

    server: str
    policy: str
    srv: Server
    client: Client | None = None
    limit: int = 0
    per_key: int = 1
    pending_set: bytes = b""  # the SET owed for the last GET that missed, sent with the next batch
    hits: int = 0
    hits_steady: int = 0
    held: list[int] = field(default_factory=list)
    corrections: int = 0


def segments(trace: list[int], sample_every: int, full: int):
    """The trace cut into round trips: (payload of first accesses, their count, the closing request's
    index, its GET or None at the end, whether DBSIZE follows). First accesses are GET+SET pairs. Key
    counts are sampled only once ``full`` distinct keys have been written (the cache is full by then)."""
    seen: set[int] = set()
    head: list[bytes] = []
    firsts = 0
    next_sample = sample_every
    for i, k in enumerate(trace):
        key = b"key:%d" % k
        if k not in seen and firsts < BATCH:
            seen.add(k)
            head.append(command(b"GET", key))
            head.append(command(b"SET", key, VALUE))
            firsts += 1
            continue
        seen.add(k)
        sample = i >= next_sample and len(seen) >= full
        if sample:
            next_sample = i + sample_every
        yield b"".join(head), firsts, i, key, sample
        head = []
        firsts = 0
    yield b"".join(head), firsts, len(trace), None, False


def replay(lanes: list[Lane], trace: list[int], cache: int, warmup: float, hold: bool) -> tuple[int, int]:
    """Replay ``trace`` through every lane in lockstep. Returns (steady-state start index, first
    accesses in the steady part: compulsory misses there)."""
    start = int(len(trace) * warmup)
    for lane in lanes:
        lane.client = Client(lane.srv.port)
        lane.limit, lane.per_key = calibrate(lane.client, lane.policy, cache)
        lane.pending_set = b""
        lane.hits = lane.hits_steady = lane.corrections = 0
        lane.held = []
    dbsize = command(b"DBSIZE")
    cold_steady = 0
    first_seen: set[int] = set()
    seen_before_start = set(trace[:start])
    for k in trace[start:]:
        if k not in seen_before_start and k not in first_seen:
            first_seen.add(k)
            cold_steady += 1
    for head, firsts, i, key, sample in segments(trace, max(1, len(trace) // SAMPLES), cache + cache // 10):
        tail = b""
        n = 2 * firsts
        if key is not None:
            tail = command(b"GET", key)
            n += 1
            if sample:
                tail += dbsize
                n += 1
        for lane in lanes:
            lane.client.send(lane.pending_set + head + tail)
        for lane in lanes:
            replies = lane.client.read(n + (1 if lane.pending_set else 0))
            if lane.pending_set:
                replies = replies[1:]
            for j in range(0, 2 * firsts, 2):
                if replies[j] is not None:
                    raise AssertionError(f"{lane.server} {lane.policy}: a first access hit: pipelining unsound")
            lane.pending_set = b""
            if key is None:
                continue
            if replies[2 * firsts] is None:
                lane.pending_set = command(b"SET", key, VALUE)
            else:
                lane.hits += 1
                if i >= start:
                    lane.hits_steady += 1
            if sample:
                held = replies[-1]
                lane.held.append(held)
                if hold and abs(held - cache) > cache * DRIFT:
                    # Half the estimated step: a key's marginal cost is below the average per_key
                    # (which includes the hash table), and a full step overshoots and oscillates.
                    lane.limit += (cache - held) * lane.per_key // 2
                    lane.client.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % lane.limit)
                    lane.corrections += 1
    for lane in lanes:
        if lane.pending_set:
            lane.client.send(lane.pending_set)
            lane.client.read(1)
        lane.held.append(lane.client.call(b"DBSIZE"))
        lane.client.call(b"CONFIG", b"SET", b"maxmemory", b"0")
        lane.client.call(b"FLUSHALL")
        lane.client.close()
    return start, cold_steady


def overhead(
    servers: dict[str, Server], requests: int, pipelines: list[int], repeat: int = 3, pin: bool = False
) -> list[str]:
    """redis-benchmark SET/GET throughput with eviction active (allkeys-lru, maxmemory 10 MB above the
    empty server, 100k random keys, filled by 200k untimed SETs first) vs maxmemory 0 (filled alike),
    per pipeline depth: medians of ``repeat`` rounds, each round running maxmemory 0 and eviction on in
    turn (which goes first alternates)."""
    lines = [
        "| server | test | -P | maxmemory 0 ops/s | evicting ops/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, srv in servers.items():
        c = Client(srv.port)
        results: dict[tuple[str, int, str], list[float]] = {}
        for pipeline in pipelines:
            for round_ in range(repeat):
                for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                    c.call(b"FLUSHALL")
                    c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
                    if mode == "on":
                        c.call(b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lru")
                        used = c.info_field(b"used_memory")
                        c.call(b"CONFIG", b"SET", b"maxmemory", b"%d" % (used + 10_000_000))
                    # Fill first (untimed), so that eviction is active from the first timed SET on.
                    fill = ["redis-benchmark", "-p", str(srv.port), "-t", "set", "-n", "200000", "-r", "100000"]
                    subprocess.run([*fill, "-P", "16", "-q"], capture_output=True, timeout=600, check=True)
                    cmd = ["redis-benchmark", "-p", str(srv.port), "-t", "set,get", "-n", str(requests)]
                    cmd += ["-r", "100000", "-P", str(pipeline), "-q", "--csv"]
                    out = subprocess.run(
                        cmd,
                        capture_output=True,
                        text=True,
                        timeout=600,
                        preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if pin else None,
                    ).stdout
                    for row in out.splitlines()[1:]:
                        cells = [x.strip('"') for x in row.split(",")]
                        results.setdefault((cells[0], pipeline, mode), []).append(float(cells[1]))
        c.call(b"CONFIG", b"SET", b"maxmemory", b"0")
        c.call(b"FLUSHALL")
        c.close()
        for pipeline in pipelines:
            for test in ("SET", "GET"):
                off = statistics.median(results.get((test, pipeline, "off"), [0]))
                on = statistics.median(results.get((test, pipeline, "on"), [0]))
                lines.append(f"| {name} | {test} | {pipeline} | {off:,.0f} | {on:,.0f} | {on / off if off else 0:.2f} |")
    return lines


def svg_plot(results: dict, traces: list[str], path: str, title: str, labels: dict | None = None) -> None:
    """A grouped bar chart of miss ratios (one group per trace, one bar per lane), as a plain SVG."""
    lanes = [(s, p) for s in ("redis", "cacheserver") for p in (REDIS_POLICIES if s == "redis" else OUR_POLICIES)]
    colors = [
        "#9ecae1",
        "#4292c6",
        "#c6dbef",
        "#fdae6b",
        "#e6550d",
        "#a63603",
        "#31a354",
        "#74c476",
        "#756bb1",
        "#de2d26",
    ]
    width, height, left, bottom, top = 980, 420, 60, 60, 40
    group = (width - left - 20) / len(traces)
    bar = group / (len(lanes) + 1)
    top_miss = max(1 - r for r in results.values()) * 1.1 or 1
    scale = (height - bottom - top) / top_miss
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 120}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="20" font-size="14">{title}</text>',
    ]
    for t in range(6):
        v = top_miss * t / 5
        y = height - bottom - v * scale
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    out.append(
        f'<text x="14" y="{(height - bottom) / 2 + top:.0f}" transform="rotate(-90 14 '
        f'{(height - bottom) / 2 + top:.0f})">miss ratio (lower is better)</text>'
    )
    for g, trace in enumerate(traces):
        x0 = left + g * group + bar / 2
        for j, lane in enumerate(lanes):
            ratio = results.get((trace, *lane))
            if ratio is None:
                continue
            h = (1 - ratio) * scale
            x = x0 + j * bar
            out.append(
                f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{colors[j % len(colors)]}"/>'
            )
        out.append(
            f'<text x="{x0 + len(lanes) * bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{(labels or {}).get(trace, trace)}</text>'
        )
    for j, (s, p) in enumerate(lanes):
        x = left + (j % 5) * 180
        y = height + (j // 5) * 18
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colors[j % len(colors)]}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{"redis" if s == "redis" else "ours"} {p}</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=100_000)
    p.add_argument("--cache", type=int, default=10_000, help="keys each server holds")
    p.add_argument("--requests", type=int, default=1_000_000)
    p.add_argument("--traces", default=",".join(TRACES))
    p.add_argument(
        "--policies", default=",".join(OUR_POLICIES), help="policies to run (both servers where Redis has them)"
    )
    p.add_argument("--servers", default="cacheserver,redis")
    p.add_argument(
        "--warmup", type=float, default=0.5, help="fraction of each trace left out of the steady-state ratio"
    )
    p.add_argument(
        "--no-hold",
        dest="hold",
        action="store_false",
        help="do not correct maxmemory when the key count drifts during a replay",
    )
    p.add_argument("--plot", default="", help="write a miss-ratio bar chart (SVG) of the steady state here")
    p.add_argument("--json", default="", help="also write the ratios and key counts here (JSON)")
    p.add_argument("--plot-json", default="", help="only draw --plot from these comma-separated --json files")
    p.add_argument("--quick", action="store_true", help="zipf1.0 only, 10k keys, cache 1k, 20k requests")
    p.add_argument("--overhead", action="store_true", help="also run redis-benchmark SET/GET, eviction on/off")
    p.add_argument("--overhead-only", action="store_true", help="only the redis-benchmark SET/GET overhead runs")
    p.add_argument("--overhead-pipelines", default="1,16", help="redis-benchmark -P depths of the overhead runs")
    p.add_argument("--overhead-requests", type=int, default=200_000, help="requests per overhead run")
    p.add_argument("--overhead-repeat", type=int, default=3, help="rounds per overhead figure (medians)")
    p.add_argument("--pin", action="store_true", help="overhead runs: servers on CPU 0, redis-benchmark on CPU 1")
    args = p.parse_args(argv)
    if args.quick:
        args.traces, args.keys, args.cache, args.requests = "zipf1.0", 10_000, 1_000, 20_000
    if args.plot_json:
        steady, labels = {}, {}
        for path in args.plot_json.split(","):
            saved = json.loads(Path(path).read_text())
            requests = saved["title"].split(", ")[-1]  # "... cache C, N requests"
            for kind, name, policy, ratio in saved["steady"]:
                steady[(kind, name, policy)] = ratio
                labels[kind] = f"{kind} ({requests.split()[0]} req.)"
        order = [t for t in TRACES if t in labels] + [t for t in labels if t not in TRACES]
        svg_plot(steady, order, args.plot, "Miss ratio, steady state (runs: " + args.plot_json + ")", labels)
        return 0
    policies = args.policies.split(",")
    kinds = args.servers.split(",")
    workdir = tempfile.mkdtemp(prefix="bench-eviction-")
    pipelines = [int(x) for x in args.overhead_pipelines.split(",")]
    if args.overhead_only:
        servers: dict[str, Server] = {}
        try:
            for name in kinds:
                port = free_port()
                servers[name] = Server(name, argv_for(name, port, workdir), port, workdir).start({0} if args.pin else None)
            print("\n".join(overhead(servers, args.overhead_requests, pipelines, args.overhead_repeat, args.pin)))
        finally:
            for srv in servers.values():
                srv.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    lanes: list[Lane] = []
    try:
        for name in kinds:
            for policy in policies:
                if name == "redis" and policy not in REDIS_POLICIES:
                    continue
                port = free_port()
                srv = Server(f"{name}-{policy}", argv_for(name, port, workdir), port, workdir).start(None)
                lanes.append(Lane(name, policy, srv))
        print(
            f"keys {args.keys}, cache {args.cache} keys, {args.requests} requests per trace; whole trace, "
            f"then steady state (first {args.warmup:.0%} of requests left out)\n"
        )
        header = "| trace | server | " + " | ".join(policies) + " |"
        rule = "|---|---|" + "---|" * len(policies)
        whole_rows, steady_rows, held_rows, notes = [], [], [], []
        steady: dict[tuple[str, str, str], float] = {}
        whole: dict[tuple[str, str, str], float] = {}
        for kind in args.traces.split(","):
            trace = make_trace(kind, args.keys, args.requests)
            t0 = time.monotonic()
            start, cold = replay(lanes, trace, args.cache, args.warmup, args.hold)
            distinct = len(set(trace))
            print(
                f"  ({kind}: {time.monotonic() - t0:.0f}s, {distinct} distinct keys, compulsory misses "
                f"{distinct / len(trace):.3f} of the whole trace, {cold / (len(trace) - start):.3f} of the "
                f"steady part)",
                file=sys.stderr,
                flush=True,
            )
            notes.append(
                f"{kind}: compulsory misses {distinct / len(trace):.3f} whole, {cold / (len(trace) - start):.3f} steady"
            )
            for name in kinds:
                by = {lane.policy: lane for lane in lanes if lane.server == name}
                w, s, h = [], [], []
                for policy in policies:
                    lane = by.get(policy)
                    if lane is None:
                        w.append("-")
                        s.append("-")
                        h.append("-")
                        continue
                    w.append(f"{lane.hits / len(trace):.4f}")
                    whole[(kind, name, policy)] = lane.hits / len(trace)
                    ratio = lane.hits_steady / (len(trace) - start)
                    steady[(kind, name, policy)] = ratio
                    s.append(f"{ratio:.4f}")
                    held = lane.held
                    h.append(f"{sum(held) / len(held):.0f} ({min(held)}-{max(held)}, {lane.corrections})")
                whole_rows.append(f"| {kind} | {name} | " + " | ".join(w) + " |")
                steady_rows.append(f"| {kind} | {name} | " + " | ".join(s) + " |")
                held_rows.append(f"| {kind} | {name} | " + " | ".join(h) + " |")
        print("Hit ratio, whole trace (cold start included):\n")
        print("\n".join([header, rule, *whole_rows]))
        print(f"\nHit ratio, steady state (first {args.warmup:.0%} of each trace left out):\n")
        print("\n".join([header, rule, *steady_rows]))
        print("\nKeys held: mean (min-max) of the samples, and maxmemory corrections made:\n")
        print("\n".join([header, rule, *held_rows]))
        print("\n" + "; ".join(notes))
        title = f"Miss ratio, steady state: {args.keys} keys, cache {args.cache}, {args.requests} requests"
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "title": title,
                        "argv": sys.argv[1:],
                        "steady": [[*k, v] for k, v in steady.items()],
                        "whole": [[*k, v] for k, v in whole.items()],
                    }
                )
            )
        if args.plot:
            svg_plot(
                steady,
                args.traces.split(","),
                args.plot,
                f"Miss ratio, steady state: {args.keys} keys, cache {args.cache}, {args.requests} requests",
            )
        if args.overhead:
            print()
            first = {lane.server: lane.srv for lane in lanes}
            print("\n".join(overhead(first, args.overhead_requests, pipelines, args.overhead_repeat, args.pin)))
    finally:
        for lane in lanes:
            lane.srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
