"""Active expiry: a deadline index per database, drained earliest-first in time-boxed cron slices.

Redis samples its expires table (20 keys a loop, again while more than 10% were stale), which leaves up
to ~10% of volatile keys expired but resident. Here each Database keeps a min-heap of
``(deadline_ms, key)``: a cycle pops exactly the keys that are due, so expired keys are reclaimed within
a cron tick or two however many there are, and the cost is O(log n) per TTL set and per key reclaimed.

Rules: the heap is an index, not the truth. ``Database.expires`` is; a heap entry whose deadline no
longer matches ``expires`` (TTL changed, PERSIST, key deleted or overwritten) is stale and skipped when
popped. Stale entries are bounded: the heap is rebuilt from ``expires`` when it grows past twice its
size (on SET EX and in the cron). A cycle stops at its time budget (checked every 64 keys) so other
clients keep being served during a mass expiry; the server reschedules the cron early while keys are
still due. Deleting goes through ``Database.expire_key``: stats, the ``expired`` event, WATCH.
"""

from __future__ import annotations

import heapq
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cacheserver.keyspace.database import Database, Keyspace

# Rebuild the heap once it holds this many more entries than there are volatile keys.
STALE_SLACK = 1024


def rebuild_deadlines(db: Database) -> None:
    """Drop stale entries: the heap again holds exactly one entry per volatile key."""
    heap = [(when, key) for key, when in db.expires.items()]
    heapq.heapify(heap)
    db.deadlines = heap


def expire_due(db: Database, now_ms: int, stop_at: float) -> int:
    """Delete the keys of ``db`` whose deadline is <= ``now_ms``, earliest first, until none is left
    or ``stop_at`` (a ``time.perf_counter`` value) is reached. Returns how many were deleted."""
    heap = db.deadlines
    expires = db.expires
    pop = heapq.heappop
    perf = time.perf_counter
    n = 0
    while heap and heap[0][0] <= now_ms:
        when, key = pop(heap)
        if expires.get(key) == when:
            db.expire_key(key)
            n += 1
            if not n & 63 and perf() >= stop_at:
                break
    return n


def active_expire_cycle(ks: Keyspace, budget_s: float) -> int:
    """One cron slice: reclaim due keys in every database within ``budget_s`` seconds of work.
    Starts where the previous slice stopped so a busy database cannot starve the others."""
    now = ks.clock.refresh()
    stop_at = time.perf_counter() + budget_s
    dbs = ks.dbs
    count = len(dbs)
    start = ks.active_expire_next_db % count
    n = 0
    for i in range(count):
        db = dbs[(start + i) % count]
        heap = db.deadlines
        if not heap:
            continue
        if len(heap) > 2 * len(db.expires) + STALE_SLACK:
            rebuild_deadlines(db)
        n += expire_due(db, now, stop_at)
        if db.deadlines and db.deadlines[0][0] <= now:
            ks.active_expire_next_db = (start + i) % count  # out of budget: resume here next time
            return n
    ks.active_expire_next_db = 0
    return n


def has_backlog(ks: Keyspace) -> bool:
    """Keys already due but not yet reclaimed (the server then runs the next cycle sooner)."""
    now = ks.clock.now_ms
    return any(db.deadlines and db.deadlines[0][0] <= now for db in ks.dbs)
