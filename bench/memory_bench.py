"""Memory per key: the used_memory estimate against the RSS growth it should track, and RSS against Redis.

    python bench/memory_bench.py                  # 1M strings; 100k hashes, lists, sets, zsets of 10
    python bench/memory_bench.py --scale 0.1      # a tenth of that (a quick run)

For each type, on a fresh server of each kind: read used_memory and RSS, load the keys with pipelined
writes (redis-benchmark-like names ``key:<n>``, 3-byte string values; containers of 10 elements of about
8 bytes), wait for the estimate to settle (the cron's sweep), read both again. Reported per type:
bytes per key by the estimate and by RSS growth, their ratio (target within 25%), and RSS per key
against Redis's (target at most 3x for small strings).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eviction_bench import start  # noqa: E402

TYPES = ("string", "hash", "list", "set", "zset")


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * 4096


def load(r: redis.Redis, kind: str, n: int) -> None:
    batch = 1000
    for start_at in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start_at, min(start_at + batch, n)):
            key = f"key:{i:012d}"
            if kind == "string":
                p.set(key, "xxx")
            elif kind == "hash":
                p.hset(key, mapping={f"field:{j}": f"value:{j}" for j in range(10)})
            elif kind == "list":
                p.rpush(key, *[f"element:{j}" for j in range(10)])
            elif kind == "set":
                p.sadd(key, *[f"member:{j}" for j in range(10)])
            else:
                p.zadd(key, {f"member:{j}": j for j in range(10)})
        p.execute()


def settle(r: redis.Redis, timeout: float = 30.0) -> int:
    """used_memory once two readings a second apart agree (the sweep re-estimated every container)."""
    last = -1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        used = r.info("memory")["used_memory"]
        if used == last:
            return used
        last = used
        time.sleep(1.0)
    return last


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--types", default=",".join(TYPES))
    args = p.parse_args(argv)
    rows = []
    for kind in args.types.split(","):
        n = int((1_000_000 if kind == "string" else 100_000) * args.scale)
        per: dict[str, tuple[float, float]] = {}
        with tempfile.TemporaryDirectory() as workdir:
            servers = start(workdir)
            try:
                for name, srv in servers.items():
                    r = redis.Redis(port=srv.port, protocol=2)
                    used0, rss0 = settle(r), rss_of(srv.proc.pid)
                    load(r, kind, n)
                    used1, rss1 = settle(r), rss_of(srv.proc.pid)
                    per[name] = ((used1 - used0) / n, (rss1 - rss0) / n)
                    r.close()
            finally:
                for srv in servers.values():
                    srv.stop()
        est, rss = per["cacheserver"]
        rows.append(
            f"| {kind} | {n:,} | {est:.0f} | {rss:.0f} | {est / rss:.2f} | {per['redis'][1]:.0f} | "
            f"{rss / per['redis'][1]:.2f} |"
        )
        print(rows[-1], flush=True)
    print()
    print("| type | keys | ours: estimate B/key | ours: RSS B/key | estimate/RSS | redis: RSS B/key | RSS ours/redis |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
