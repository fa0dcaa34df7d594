"""Pub/sub side by side: N publishers, M subscribers on one channel, cacheserver against a real redis-server.

    python bench/pubsub_bench.py --quick                  # smoke run: does it work? (a few seconds)
    python bench/pubsub_bench.py                          # 1 and 4 publishers x 10 subscribers, 3 x 5 s each
    python bench/pubsub_bench.py --publishers 1,4,8 --subscribers 50 --size 256 --pin

Both servers are started by ``servers.running_both`` (subprocesses on free loopback ports, no
persistence). The load generator is this process: one uvloop event loop holding every publisher and
subscriber connection. Each publisher sends PUBLISH in pipelined windows (``--window`` outstanding
requests) for ``--seconds``; each message carries its send time (``perf_counter_ns``, one clock since
publishers and subscribers share the process), so a subscriber knows each message's publish-to-receive
latency when its bytes arrive. Reported per server and scenario (medians over ``--repeat`` runs):

- delivered msg/s: messages received by all subscribers / (last receive - first publish);
- p50 and p99 publish-to-receive latency;
- server CPU µs per delivered message (the server process's CPU time across the run, from /proc),
  the fairer figure when the single-process load generator is the bottleneck.

Rules: loopback only; every run is bounded (``--seconds`` plus at most ``--drain`` seconds to collect
what is still in flight); servers are stopped on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

import hiredis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redis_benchmark import table  # noqa: E402
from servers import Server, load_note, running_both  # noqa: E402

CHANNEL = b"bench:pubsub"
STAMP = 20  # digits of the nanosecond timestamp at the start of each payload


def command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


class Subscriber(asyncio.Protocol):
    """Counts the messages of CHANNEL and records each one's latency (receive time per read chunk)."""

    def __init__(self, latencies: array) -> None:
        self.reader = hiredis.Reader()
        self.latencies = latencies
        self.received = 0
        self.last_ns = 0
        self.subscribed = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(command(b"SUBSCRIBE", CHANNEL))  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        self.reader.feed(data)
        latencies = self.latencies
        while (reply := self.reader.gets()) is not False:
            if reply[0] == b"message":
                latencies.append(now - int(reply[2][:STAMP]))
                self.received += 1
            elif reply[0] == b"subscribe" and not self.subscribed.done():
                self.subscribed.set_result(None)
        self.last_ns = now


class Publisher(asyncio.Protocol):
    """PUBLISH in windows of ``window`` requests; the next window goes when all replies are in."""

    def __init__(self, size: int, window: int, stop_at_ns: int) -> None:
        self.reader = hiredis.Reader()
        self.padding = b"x" * max(0, size - STAMP)
        self.window = window
        self.stop_at_ns = stop_at_ns
        self.outstanding = 0
        self.published = 0
        self.done = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send_window(self) -> None:
        now = time.perf_counter_ns()
        if now >= self.stop_at_ns:
            if not self.done.done():
                self.done.set_result(None)
            return
        payload = b"%020d" % now + self.padding
        self.transport.write(command(b"PUBLISH", CHANNEL, payload) * self.window)  # type: ignore[union-attr]
        self.outstanding = self.window
        self.published += self.window

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.reader.gets() is not False:
            self.outstanding -= 1
        if self.outstanding == 0:
            self.send_window()


@dataclass
class Run:
    server: str
    publishers: int
    subscribers: int
    published: int
    delivered: int
    seconds: float
    msgs_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_msg: float


async def one_run(
    port: int, publishers: int, subscribers: int, args: argparse.Namespace
) -> tuple[int, int, float, array]:
    loop = asyncio.get_running_loop()
    latencies = array("q")
    subs = []
    for _ in range(subscribers):
        _, proto = await loop.create_connection(lambda: Subscriber(latencies), "127.0.0.1", port)
        subs.append(proto)
    await asyncio.wait_for(asyncio.gather(*(s.subscribed for s in subs)), 10)
    start_ns = time.perf_counter_ns()
    stop_at = start_ns + int(args.seconds * 1e9)
    pubs = []
    for _ in range(publishers):
        _, proto = await loop.create_connection(lambda: Publisher(args.size, args.window, stop_at), "127.0.0.1", port)
        pubs.append(proto)
    for p in pubs:
        p.send_window()
    await asyncio.wait_for(asyncio.gather(*(p.done for p in pubs)), args.seconds + 30)
    published = sum(p.published for p in pubs)
    expected = published * subscribers
    drain_until = time.monotonic() + args.drain
    while sum(s.received for s in subs) < expected and time.monotonic() < drain_until:
        await asyncio.sleep(0.01)
    delivered = sum(s.received for s in subs)
    last_ns = max(s.last_ns for s in subs)
    for proto in [*subs, *pubs]:
        proto.transport.close()
    await asyncio.sleep(0.05)
    return published, delivered, (last_ns - start_ns) / 1e9, latencies


def percentile(values: array, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


def measure(args: argparse.Namespace, servers: list[Server]) -> list[Run]:
    runs: list[Run] = []
    for repeat in range(args.repeat):
        for publishers in args.publishers:
            order = servers if (repeat + publishers) % 2 == 0 else list(reversed(servers))
            for server in order:
                cpu0 = server.cpu_seconds()
                published, delivered, seconds, lat = run_async(one_run(server.port, publishers, args.subscribers, args))
                cpu = server.cpu_seconds() - cpu0
                run = Run(
                    server.name,
                    publishers,
                    args.subscribers,
                    published,
                    delivered,
                    seconds,
                    delivered / seconds if seconds > 0 else 0.0,
                    percentile(lat, 0.50),
                    percentile(lat, 0.99),
                    cpu * 1e6 / delivered if delivered else float("nan"),
                )
                runs.append(run)
                if not args.quiet:
                    print(
                        f"  {run.server:<12} {publishers} pub x {args.subscribers} sub: {run.msgs_per_s:,.0f} msg/s, "
                        f"p99 {run.p99_ms:.2f} ms, {run.cpu_us_per_msg:.2f} us CPU/msg"
                        + (
                            ""
                            if delivered == published * args.subscribers
                            else f" (lost {published * args.subscribers - delivered})"
                        ),
                        file=sys.stderr,
                    )
    return runs


def run_async(coro):
    """Run on uvloop when installed (as the server does), else on asyncio's default loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    return uvloop.run(coro)


def render(runs: list[Run]) -> str:
    head = [
        "publishers x subscribers",
        "ours msg/s",
        "redis msg/s",
        "ratio",
        "ours p50 ms",
        "redis p50 ms",
        "ours p99 ms",
        "redis p99 ms",
        "ours us CPU/msg",
        "redis us CPU/msg",
        "CPU ratio",
    ]
    rows = []
    for publishers in sorted({r.publishers for r in runs}):

        def med(server: str, attr: str, publishers: int = publishers) -> float:
            values = [getattr(r, attr) for r in runs if r.server == server and r.publishers == publishers]
            return statistics.median(values)

        ours, redis = med("cacheserver", "msgs_per_s"), med("redis", "msgs_per_s")
        ours_cpu, redis_cpu = med("cacheserver", "cpu_us_per_msg"), med("redis", "cpu_us_per_msg")
        subscribers = runs[0].subscribers
        rows.append(
            [
                f"{publishers} x {subscribers}",
                f"{ours:,.0f}",
                f"{redis:,.0f}",
                f"{ours / redis:.2f}" if redis else "-",
                f"{med('cacheserver', 'p50_ms'):.2f}",
                f"{med('redis', 'p50_ms'):.2f}",
                f"{med('cacheserver', 'p99_ms'):.2f}",
                f"{med('redis', 'p99_ms'):.2f}",
                f"{ours_cpu:.2f}",
                f"{redis_cpu:.2f}",
                f"{ours_cpu / redis_cpu:.2f}" if redis_cpu else "-",
            ]
        )
    return "\n".join(table(head, rows, markdown=False))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--publishers", default="1,4", help="publisher counts to run, comma-separated (1,4)")
    p.add_argument("--subscribers", type=int, default=10, help="subscribers to the channel (10)")
    p.add_argument("--size", type=int, default=64, help="payload bytes, at least the 20-digit stamp (64)")
    p.add_argument("--window", type=int, default=16, help="PUBLISH requests in flight per publisher (16)")
    p.add_argument("--seconds", type=float, default=5.0, help="publishing time per run (5)")
    p.add_argument("--drain", type=float, default=5.0, help="max seconds to collect messages in flight (5)")
    p.add_argument("--repeat", type=int, default=3, help="runs per scenario and server; medians shown (3)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 repetition of 1 s")
    p.add_argument("--pin", action="store_true", help="servers on CPU 0, this load generator on CPU 1")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    args = p.parse_args(argv)
    args.publishers = [int(x) for x in args.publishers.split(",") if x.strip()]
    if args.quick:
        args.repeat = 1
        args.seconds = min(args.seconds, 1.0)
        args.drain = min(args.drain, 2.0)
    if shutil.which(args.redis_server) is None and not os.path.exists(args.redis_server):
        p.error(f"{args.redis_server} not found (apt-get install redis-server)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_note()
    with running_both(args, {0} if args.pin else None) as servers:
        if args.pin:
            os.sched_setaffinity(0, {1})
        runs = measure(args, servers)
    print(render(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
