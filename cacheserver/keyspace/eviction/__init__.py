"""Eviction under maxmemory: the policy registry and the evictor (Redis's performEvictions).

Layout: ``base`` (the Policy interface: insert / access / delete / victim / refill, and key sampling), one module
per policy (``noeviction``, ``lru``, ``lfu``, ``random_pick``, ``ttl``, ``fifo``, ``sieve``, ``s3fifo``),
and here ``POLICIES`` (maxmemory-policy name -> policy class and scope) and ``Evictor``.

The evictor follows the configuration: while ``maxmemory`` is set (or an LFU policy needs its counters
kept, as Redis keeps them whatever maxmemory is) every database is an ``EvictingDatabase`` holding a
policy object (a ``PolicyDatabase`` when the policy has per-key hooks), and a server gate evicts before
each write command; otherwise the databases are plain and nothing runs per access. Switching policies
at runtime rebuilds the policy state from the keys in place (no key is lost). Before a command flagged
DENYOOM (or an EXEC queuing one) it evicts until used memory is under maxmemory; if that is impossible
(noeviction, or nothing evictable) the command is refused with OOM. Reads and deletes always run. At
most ``EVICT_BATCH`` keys go per command: the cron carries on from there, so one huge write cannot keep
memory far past the limit for long.

The gate runs before every write while maxmemory is set, so its common case (under the limit) is a
handful of C-level calls: used memory is the databases' running totals summed (``Database.used``, kept
by the writers), after re-estimating the containers marked stale, if any. A full cache evicts on nearly
every write, so eviction is one call per command, not per key: ``EvictingDatabase.evict`` removes keys
in one loop, taking them from the policy's ``victims`` (which ``Policy.refill`` chooses, 16 at a time
for the sampled policies), and builds an ``evicted`` event only when that class is enabled.

Deviation from Redis: the sampled policies keep a candidate pool per database rather than one pool
across databases, and databases are visited in turn.
"""

from __future__ import annotations

import random
import time
from typing import Any

from cacheserver.errors import OOM
from cacheserver.keyspace.database import Database, EvictingDatabase, PolicyDatabase
from cacheserver.keyspace.eviction.base import Policy
from cacheserver.keyspace.eviction.fifo import FIFO
from cacheserver.keyspace.eviction.lfu import LFU, decayed, minutes
from cacheserver.keyspace.eviction.lru import LRU
from cacheserver.keyspace.eviction.noeviction import NoEviction
from cacheserver.keyspace.eviction.random_pick import Random
from cacheserver.keyspace.eviction.s3fifo import S3FIFO
from cacheserver.keyspace.eviction.sieve import SIEVE
from cacheserver.keyspace.eviction.tinylfu import TinyLFU
from cacheserver.keyspace.eviction.ttl import TTL
from cacheserver.keyspace.memory import CLIENT, STARTUP

# maxmemory-policy -> (policy class, volatile): Redis's eight, then ours.
POLICIES: dict[str, tuple[type[Policy], bool]] = {
    "volatile-lru": (LRU, True),
    "volatile-lfu": (LFU, True),
    "volatile-random": (Random, True),
    "volatile-ttl": (TTL, True),
    "allkeys-lru": (LRU, False),
    "allkeys-lfu": (LFU, False),
    "allkeys-random": (Random, False),
    "noeviction": (NoEviction, False),
    "allkeys-fifo": (FIFO, False),
    "volatile-fifo": (FIFO, True),
    "allkeys-sieve": (SIEVE, False),
    "volatile-sieve": (SIEVE, True),
    "allkeys-s3fifo": (S3FIFO, False),
    "volatile-s3fifo": (S3FIFO, True),
    "allkeys-tinylfu": (TinyLFU, False),
    "volatile-tinylfu": (TinyLFU, True),
}

EVICT_BATCH = 1000  # keys evicted per command at most; the cron continues (Redis: a time limit)
SWEEP_SECONDS = 0.002  # per cron tick, re-estimating containers after writes (see ``memory``)

# Commands that may write to a database other than the client's: after one, the set of databases
# holding memory is taken again before the next check.
CROSS_DB = frozenset({"move", "copy", "swapdb", "exec", "eval", "evalsha", "fcall", "restore"})


class Evictor:
    """Keeps used memory under maxmemory for one server, per the configured policy."""

    def __init__(self, server: Any, seed: int | None = None) -> None:
        self.server = server
        self.ks = server.keyspace
        self.clients = server.clients  # each connected client counts CLIENT bytes
        self.rng = random.Random(seed)
        self.maxmemory = 0
        self.policy_name = ""
        self.samples = 5
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.tracked = False
        self.gated = False
        self.next_db = 0
        # The databases that may hold memory (keys, or a charge): used memory is summed over these only.
        # The client's database joins before each command it runs; after a command that may write
        # elsewhere (``CROSS_DB``), in a script, and every cron tick the list is taken again.
        self.live: list[Database] = []
        self.live_db: Database | None = None  # the database last checked to be in ``live``
        self.live_stale = True
        self.peak = 0
        self._sweep: list[bytes] = []
        self._sweep_db = -1  # the database being swept; -1 between passes
        self._sweep_dirty = -1
        cfg = server.config
        for name in ("maxmemory-samples", "lfu-log-factor", "lfu-decay-time"):
            cfg.watch(name, lambda v, n=name: setattr(self, n.split("maxmemory-")[-1].replace("-", "_"), v))
        cfg.watch("maxmemory", lambda v: self.configure())
        cfg.watch("maxmemory-policy", lambda v: self.configure())
        server.cron_hooks.append(self.cron)

    # -- configuration -------------------------------------------------------------------------------

    def configure(self) -> None:
        """Apply maxmemory and maxmemory-policy: swap database classes, (re)build policy state, gate."""
        cfg = self.server.config
        self.maxmemory = cfg["maxmemory"]
        name = cfg["maxmemory-policy"]
        cls, volatile = POLICIES[name]
        tracked = bool(self.maxmemory) or cls.lfu
        was_lfu = self._lfu_active()
        if tracked != self.tracked or name != self.policy_name:
            for db in self.ks.dbs:
                if tracked:
                    policy = cls(db, volatile, self)
                    if cls.lfu != was_lfu or not policy.lfu:
                        policy.rebuild()
                    db.policy = policy
                    db.__class__ = PolicyDatabase if cls.hooks else EvictingDatabase
                else:
                    db.__class__ = Database
                    db.policy = None
                if was_lfu and not cls.lfu:
                    stamp = self.ks.clock.lru  # LFU counters are no idle times: start every key fresh
                    lru = db.lru
                    for key in db.data:
                        lru[key] = stamp
        self.tracked = tracked
        self.policy_name = name
        self.ks.object_freq = self.object_freq if cls.lfu else None
        gated = bool(self.maxmemory)
        if gated != self.gated:
            if gated:
                self.server.add_gate(self.check)
            else:
                self.server.remove_gate(self.check)
            self.gated = gated

    def _lfu_active(self) -> bool:
        return bool(self.policy_name) and POLICIES[self.policy_name][0].lfu

    def object_freq(self, db: Database, key: bytes) -> int:
        """OBJECT FREQ: the decayed LFU counter, read without counting an access."""
        stamp = db.lru.get(key)
        if stamp is None:
            return 0
        return decayed(stamp, minutes(self.ks.clock.now_ms), self.lfu_decay_time)

    # -- memory --------------------------------------------------------------------------------------

    def used_memory(self) -> int:
        """INFO's used_memory: the server's baseline, its clients and the dataset estimate."""
        self.take_live()  # without a gate (maxmemory 0) nothing keeps the list current
        used = self._used()
        if used > self.peak:
            self.peak = used
        return used

    def _used(self) -> int:
        if self.live_stale:
            self.take_live()
        used = self.overhead()
        for db in self.live:
            if db.stale:
                db.recharge_stale()
            used += db.used
        return used

    def take_live(self) -> None:
        """List the databases holding keys or memory again (cron, cross-database commands)."""
        self.live = [db for db in self.ks.dbs if db.data or db.used or db.stale]
        self.live_db = None
        self.live_stale = False

    def overhead(self) -> int:
        """The part of used_memory that is not the values (MEMORY STATS overhead.total)."""
        return STARTUP + CLIENT * len(self.clients)

    # -- eviction ------------------------------------------------------------------------------------

    def check(self, c: Any, spec: Any, argv: list[bytes]) -> Any:
        """The server gate: evict before a DENYOOM command, refuse it with OOM when that fails.

        Runs before every command while maxmemory is set, so the used-memory sum is written out here
        and the eviction itself is one call per command (``Database.evict``), not one per key."""
        db = c.db
        if db is not self.live_db:  # the database this command writes to must be counted
            if db not in self.live:
                self.live.append(db)
            self.live_db = db
        if c.multi is not None or spec.name in CROSS_DB:
            self.live_stale = True  # it (or what it queues) may write elsewhere: list again next time
        if not spec.is_denyoom:
            if spec.name != "exec" or not c.multi or not any(s.is_denyoom for s, _ in c.multi):
                return None
        if self.live_stale:
            self.take_live()
        live = self.live
        used = STARTUP + CLIENT * len(self.clients)  # _used() written out: this runs on every write
        for d in live:
            if d.stale:
                d.recharge_stale()
            used += d.used
        limit = self.maxmemory
        if used <= limit:
            return None
        if len(live) == 1:  # the common case, written out (under maxmemory every database has a policy)
            return None if live[0].evict(used - limit, EVICT_BATCH) else OOM
        return None if self.perform_evictions(EVICT_BATCH, used) else OOM

    def perform_evictions(self, batch: int = EVICT_BATCH, used: int | None = None) -> bool:
        """Evict until used memory is at most maxmemory; False when still over with nothing to evict.
        ``used`` is the current used memory when the caller has just summed it."""
        limit = self.maxmemory
        if not limit:
            return True
        if used is None:
            used = self._used()
        if used <= limit:
            return True
        if self.policy_name == "noeviction":
            return False
        dbs = self.live
        if len(dbs) == 1:  # the common case: one database, one call evicts all it takes
            db = dbs[0]
            return db.policy is not None and db.evict(used - limit, batch)
        dbs = [db for db in dbs if db.data and db.policy is not None]
        evicted = 0
        while used > limit:
            if evicted >= batch:
                return True  # Redis's EVICT_RUNNING: the cron goes on, the command runs
            freed = self._evict_one(dbs)
            if freed is None:
                return False
            used -= freed
            evicted += 1
        return True

    def _evict_one(self, dbs: list[Database]) -> int | None:
        """Evict one key, taking the databases that hold keys in turn; the bytes freed, or None."""
        n = len(dbs)
        for i in range(n):
            j = (self.next_db + i) % n
            db = dbs[j]
            if not db.data:
                continue
            before = db.used
            if db.evict(1, 1):
                self.next_db = j + 1
                return before - db.used
        return None

    # -- cron ----------------------------------------------------------------------------------------

    def cron(self) -> None:
        """Recharge containers changed since the last tick, sweep the rest after writes, evict."""
        for db in self.ks.dbs:
            if db.stale:
                db.recharge_stale()
        if self._sweep or self.ks.dirty != self._sweep_dirty:
            self._sweep_step(time.perf_counter() + SWEEP_SECONDS)
        self.live_stale = True
        if self.maxmemory:
            self.perform_evictions()
        self.used_memory()  # keeps the peak current

    def _sweep_step(self, stop_at: float) -> None:
        """Re-estimate charged values in turn (containers mutated without ``signal_modified``)."""
        dbs = self.ks.dbs
        while True:
            if not self._sweep:
                self._sweep_db += 1
                if self._sweep_db >= len(dbs):
                    self._sweep_db = -1
                    self._sweep_dirty = self.ks.dirty
                    return
                self._sweep = list(dbs[self._sweep_db].charged)
                continue
            db = dbs[self._sweep_db]
            keys = self._sweep
            for _ in range(256):
                if not keys:
                    break
                db.recharge(keys.pop())
            if time.perf_counter() > stop_at:
                return

    def refresh_if_small(self, limit: int = 20_000) -> None:
        """Recharge everything if that is quick (INFO, MEMORY STATS); else the cron sweep does it."""
        if sum(len(db.charged) for db in self.ks.dbs) <= limit:
            self.refresh()

    def refresh(self) -> None:
        """Recharge every charged value now (INFO/MEMORY STATS on a small dataset, tests)."""
        for db in self.ks.dbs:
            db.stale = {}
            for key in list(db.charged):
                db.recharge(key)
