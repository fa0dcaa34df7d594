"""Crash test for write-back: writers and flushers run as separate processes and are SIGKILLed at random
(seeded) points of a write load, each once it has done some work (so a slow start on a busy machine does not
turn the test into one of killed idle processes), then restarted; a fresh flusher drains what is left. Afterwards the SQLite
store must hold every acknowledged write exactly once, in per-key order, and each key's last acknowledged
value (or a later write that the server executed but whose writer died before hearing the answer).

A writer logs a write's intent before calling ``write`` and its acknowledgement (with the stream ID) only
after ``write`` returned, each line in one ``write(2)`` to an O_APPEND file, so a SIGKILL loses at most the
acknowledgement of the one write in flight. Killing the server is out of scope until the server has
persistence (AOF): a write acknowledged by a server that dies without it is lost by definition.

Run as a script, this file is the child process: ``writer PORT LOG WRITER_ID INCARNATION`` or
``flusher PORT DB``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PARTITIONS = 4
FLUSHER = dict(partitions=PARTITIONS, coalesce=False, batch=50, block_ms=50, lease_ms=400, min_idle_ms=200)
KILLS = 8


def _writer(port: int, log: str, writer_id: int, incarnation: int) -> None:
    import redis

    from cacheserver.caching.write_back import WriteBack

    wb = WriteBack(redis.Redis(port=port), partitions=PARTITIONS, check_eviction_policy=False)
    rng = random.Random(writer_id * 1000 + incarnation)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    n = 0
    while True:
        key, value = f"w{writer_id}:k{rng.randrange(6)}", f"{incarnation}-{n}"
        os.write(fd, f"T {key} {value}\n".encode())
        rid = wb.write(key, value)
        os.write(fd, f"A {key} {value} {rid}\n".encode())
        n += 1
        time.sleep(0.002)


def _flusher(port: int, db: str) -> None:
    import redis

    from cacheserver.caching.write_back import Flusher, SQLiteStore

    Flusher(redis.Redis(port=port), SQLiteStore(db, history=True), **FLUSHER).run()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "writer":
        _writer(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        _flusher(int(sys.argv[2]), sys.argv[3])
    sys.exit(0)


def _spawn(*args: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, __file__, *map(str, args)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _read_log(path: Path) -> tuple[dict[str, list[tuple[str, str]]], dict[str, set[str]]]:
    """Acknowledged writes per key in order, (value, stream id); and every attempted value per key."""
    acked: dict[str, list[tuple[str, str]]] = {}
    attempted: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["T"] and len(parts) == 3:
            attempted.setdefault(parts[1], set()).add(parts[2])
        elif parts[:1] == ["A"] and len(parts) == 4:
            acked.setdefault(parts[1], []).append((parts[2], parts[3]))
    return acked, attempted


def test_killed_writers_and_flushers_lose_no_acknowledged_write(target, tmp_path) -> None:
    from cacheserver.caching.write_back import Flusher, SQLiteStore, parse_id

    client = target.client()
    client.flushall()
    db = str(tmp_path / "store.db")
    SQLiteStore(db, history=True).close()  # the schema exists before two processes race to create it
    logs = [tmp_path / "writer0.log", tmp_path / "writer1.log"]
    rng = random.Random(9)
    incarnations = {"writer0": 0, "writer1": 0, "flusher": 0}

    def start(role: str) -> subprocess.Popen:
        incarnations[role] += 1
        if role == "flusher":
            return _spawn("flusher", target.port, db)
        wid = int(role[-1])
        return _spawn("writer", target.port, logs[wid], wid, incarnations[role])

    store = SQLiteStore(db, history=True)

    def progress(role: str) -> int:
        """Writes a writer had acknowledged, or records the flushers applied: it grows while ``role`` works."""
        if role == "flusher":
            return len(store.history_of())
        log = logs[int(role[-1])]
        return sum(line.startswith("A ") for line in log.read_text().splitlines()) if log.exists() else 0

    procs = {role: start(role) for role in incarnations}
    marks = dict.fromkeys(procs, 0)
    try:
        for _ in range(KILLS):
            role = rng.choice(sorted(procs))
            # Kill at a random point after the process did some work, however slowly a busy machine starts it.
            deadline = time.monotonic() + 10
            while progress(role) <= marks[role] and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            procs[role].send_signal(signal.SIGKILL)
            procs[role].wait(10)
            marks[role] = progress(role)
            time.sleep(rng.uniform(0.0, 0.2))
            procs[role] = start(role)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGKILL)
        for proc in procs.values():
            proc.wait(10)
    assert incarnations == {"writer0": 4, "writer1": 3, "flusher": 4}

    assert len(store.history_of()) > 0  # the killed flushers did flush
    flusher = Flusher(client, store, **FLUSHER)
    backlog = flusher.drain(20)
    flusher.close()
    assert (backlog.length, backlog.pending, backlog.dead_letters) == (0, 0, 0)

    acked: dict[str, list[tuple[str, str]]] = {}
    attempted: dict[str, set[str]] = {}
    for log in logs:
        a, t = _read_log(log)
        acked.update(a)
        attempted.update(t)
    assert sum(map(len, acked.values())) > 100  # the load really ran
    values = store.items()
    for key, writes in acked.items():
        history = [(value, sid) for k, _, value, sid in store.history_of(key)]
        sids = [parse_id(sid) for _, sid in history]
        assert sids == sorted(set(sids))  # each record applied once, in stream-ID (= per-key) order
        assert all(value in attempted[key] for value, _ in history)  # nothing that no writer sent
        acked_values = {value for value, _ in writes}
        assert [row for row in history if row[0] in acked_values] == writes  # every ack, once, in order
        # After the last acknowledged write, only writes whose writer died waiting for the answer.
        last = history.index(writes[-1])
        assert all(value not in acked_values for value, _ in history[last + 1:])
        assert values[key] == history[-1][0]
    store.close()
