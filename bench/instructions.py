"""Instructions per command through the server's data path, counted by callgrind: deterministic on a busy machine.

    python bench/instructions.py set get "sadd myset m:{r}" "xadd s * f v"
    python bench/instructions.py --pipeline 1 --keyspace 100000 set
    python bench/instructions.py --time set get          # wall-clock ns per command instead (no valgrind)
    python bench/instructions.py --config maxmemory=1mb --config maxmemory-policy=allkeys-lru set
    python bench/instructions.py --setup "SCRIPT LOAD 'return 1'" "evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0"

Each workload is a command template (``{r}`` is replaced by a random number below ``--keyspace``); the
short names ``ping``, ``set``, ``get``, ``incr``, ``mset``, ``sadd``, ``hset``, ``lpush``, ``rpop`` and
``xadd`` stand for redis-benchmark's requests. The requests are fed, ``--pipeline`` per chunk, to a
``ClientConnection`` over a fake transport, in process: what is measured is parsing, dispatch, the
command, encoding and the batch's write call, not the kernel or the event loop. A run under callgrind
with a single chunk is subtracted from one with ``--chunks`` chunks, so start-up and set-up cancel out.
``--setup`` commands (split like a shell line, so quoted arguments may hold spaces) run once before the
warm-up, e.g. SCRIPT LOAD for an EVALSHA workload. Use it to compare two versions of the code (``--root`` picks the checkout); ratios against Redis come
from redis_benchmark.py. ``--config name=value`` (repeatable) sets a directive before the server starts,
e.g. a small ``maxmemory`` so that eviction runs on every write once the warm-up has filled it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHORT = {
    "ping": "PING",
    "set": "SET key:{r} xxx",
    "get": "GET key:{r}",
    "incr": "INCR counter:{r}",
    "mset": "MSET " + " ".join("key:{r} xxx" for _ in range(10)),
    "sadd": "SADD myset element:{r}",
    "hset": "HSET myhash element:{r} xxx",
    "lpush": "LPUSH mylist xxx",
    "rpop": "RPOP mylist",
    "xadd": "XADD mystream * myfield xxx",
}


def _encode(args: list[bytes]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%b\r\n" % (len(a), a))
    return b"".join(out)


def _chunks(template: str, pipeline: int, keyspace: int, count: int, seed: int = 1) -> list[bytes]:
    rnd = random.Random(seed)
    parts = template.split()

    def request() -> bytes:
        return _encode([re.sub(r"\{r\}", lambda _: "%012d" % rnd.randrange(keyspace), p).encode() for p in parts])

    return [b"".join(request() for _ in range(pipeline)) for _ in range(count)]


def run_inline(
    template: str, pipeline: int, keyspace: int, chunks: int, setup: tuple[str, ...] = (), config: tuple[str, ...] = ()
) -> float:
    """Feed ``chunks`` chunks to one connection; returns the seconds spent in data_received."""
    import asyncio

    from cacheserver.config import Config
    from cacheserver.network.connection import ClientConnection
    from cacheserver.server import Server

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def get_extra_info(self, name: str, default: object = None) -> object:
            return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

        def is_closing(self) -> bool:
            return False

        def close(self) -> None:
            pass

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    cfg = Config()
    # Under valgrind (and on a loaded machine) a command can pass the slow log's 10 ms and cost a
    # slowlog entry that a real run never would: off unless --config turns it back on.
    cfg.set_value("slowlog-log-slower-than", "-1", startup=True)
    for pair in config:
        name, _, value = pair.partition("=")
        cfg.set_value(name, value, startup=True)
    server = Server(cfg)
    conn = ClientConnection(server)

    async def connect() -> None:
        conn.connection_made(Transport())  # type: ignore[arg-type]

    loop.run_until_complete(connect())
    for line in setup:
        conn.data_received(_encode([a.encode() for a in shlex.split(line)]))
    data = _chunks(template, pipeline, keyspace, 500)  # the same set-up whatever ``chunks`` is
    for chunk in _chunks(template, pipeline, keyspace, 50, seed=2):  # warm up: keys exist, code is hot
        conn.data_received(chunk)
    start = time.perf_counter()
    for i in range(chunks):
        conn.data_received(data[i % len(data)])
    return time.perf_counter() - start


def _callgrind_total(root: Path, args: list[str]) -> int:
    python = os.path.realpath(sys.executable)
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONHASHSEED="0")
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, __file__, "--child", *args],
        capture_output=True, text=True, env=env, cwd=root, check=True,
    )
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if m is None:
        raise RuntimeError(f"callgrind gave no count: {proc.stderr[-500:]}")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="+", help="short names or command templates")
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--keyspace", type=int, default=1, help="random keys drawn from this many (1: one key)")
    ap.add_argument("--chunks", type=int, default=1000)
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose cacheserver package is measured")
    ap.add_argument("--time", action="store_true", help="wall-clock ns per command, best of 5, no valgrind")
    ap.add_argument("--config", action="append", default=[], metavar="NAME=VALUE",
                    help="set a directive before the server starts (repeatable)")
    ap.add_argument("--setup", action="append", default=[], help="a command run once before the warm-up (repeatable)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_inline(SHORT.get(args.workloads[0], args.workloads[0]), args.pipeline, args.keyspace, args.chunks, tuple(args.setup),
                   tuple(args.config))
        return
    if not args.time and shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install -y valgrind), or use --time")
    for workload in args.workloads:
        template = SHORT.get(workload, workload)
        commands = args.chunks * args.pipeline
        if args.time:
            sys.path.insert(0, str(args.root))
            best = min(
                run_inline(template, args.pipeline, args.keyspace, args.chunks, tuple(args.setup), tuple(args.config))
                for _ in range(5)
            )
            print(f"{workload:32s} {best / commands * 1e9:9.0f} ns/command")
            continue
        setup = [a for line in args.setup for a in ("--setup", line)]
        setup += [f"--config={pair}" for pair in args.config]
        common = ["--pipeline", str(args.pipeline), "--keyspace", str(args.keyspace), *setup, template]
        base = _callgrind_total(args.root, [*common, "--chunks", "1"])
        full = _callgrind_total(args.root, [*common, "--chunks", str(args.chunks + 1)])
        print(f"{workload:32s} {(full - base) / commands:9.0f} instructions/command")


if __name__ == "__main__":
    main()
