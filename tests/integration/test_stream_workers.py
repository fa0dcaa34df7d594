"""A worker queue built on a stream with redis-py, against both servers: a producer appends, consumers of
one group read and acknowledge in threads, one consumer dies holding unacknowledged entries and a
rescuer takes them over with XAUTOCLAIM. Every message must be processed exactly once, none lost."""

from __future__ import annotations

import threading
import time

MESSAGES = 300
DEADLINE_S = 30.0


def test_every_message_processed_exactly_once(target):
    admin = target.client()
    admin.flushall()
    admin.xgroup_create("jobs", "workers", "$", mkstream=True)
    lock = threading.Lock()
    processed: dict[bytes, str] = {}
    duplicates: list[bytes] = []
    stop = threading.Event()
    deadline = time.monotonic() + DEADLINE_S

    def record(entry_id: bytes, who: str) -> None:
        with lock:
            if entry_id in processed:
                duplicates.append(entry_id)
            processed[entry_id] = who

    def worker(name: str, dies_after: int | None) -> None:
        client = target.client()
        seen = 0
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                reply = client.xreadgroup("workers", name, {"jobs": ">"}, count=7, block=50)
                for _, entries in reply:
                    for entry_id, _fields in entries:
                        seen += 1
                        if dies_after is not None and seen > dies_after:
                            return  # killed: this entry and the rest of the batch stay pending
                        if client.xack("jobs", "workers", entry_id) == 1:
                            record(entry_id, name)
        finally:
            client.close()

    threads = [
        threading.Thread(target=worker, args=("w1", None)),
        threading.Thread(target=worker, args=("w2", None)),
        threading.Thread(target=worker, args=("doomed", 20)),
    ]
    for t in threads:
        t.start()

    producer = target.client()
    produced = []
    for i in range(MESSAGES):
        produced.append(producer.xadd("jobs", {"n": i, "payload": "x" * (i % 17)}))
    producer.close()

    # Wait until the group has handed out everything, then stop the live workers.
    while time.monotonic() < deadline:
        if admin.xinfo_groups("jobs")[0]["last-delivered-id"] == produced[-1]:
            break
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join(DEADLINE_S)

    # The rescuer claims whatever stayed pending long enough (the dead consumer's entries).
    rescuer = target.client()
    while time.monotonic() < deadline and admin.xpending("jobs", "workers")["pending"]:
        cursor = "0-0"
        while True:
            cursor, claimed, deleted = rescuer.xautoclaim("jobs", "workers", "rescuer", 200, cursor, count=25)
            assert deleted == []
            for entry_id, _fields in claimed:
                if rescuer.xack("jobs", "workers", entry_id) == 1:
                    record(entry_id, "rescuer")
            if cursor == b"0-0":
                break
        time.sleep(0.05)
    rescuer.close()

    assert duplicates == []
    assert sorted(processed) == sorted(produced)
    assert len(processed) == MESSAGES
    assert "rescuer" in processed.values()
    assert admin.xpending("jobs", "workers")["pending"] == 0
    consumers = {c["name"]: c["pending"] for c in admin.xinfo_consumers("jobs", "workers")}
    assert consumers[b"doomed"] == 0
    admin.close()
