"""Write-back (write-behind) that loses nothing: writes are acknowledged once the server holds them durably
enough to be flushed, and flusher workers apply them to the store later, in batches, exactly once per key state.

The write path. ``WriteBack.write(key, value)`` runs one Lua script that appends a record (key, op, the value
encoded by codecs.py) to a Redis Stream and stores the new cache entry, without TTL, with the record's
stream ID in it. The caller gets the stream ID back only after the server ran the script: an acknowledged
write is in the stream. ``delete(key)`` is the same with a tombstone entry, so reads answer "absent" at once.

Key layout (cluster-safe by construction). A key maps to one of ``partitions`` partitions by CRC32, always
the same one, and every key of a partition carries the hash tag ``{p<i>}``: the stream ``<prefix>:{p<i>}:
stream``, its dead-letter stream ``...:dlq``, its ownership lease ``...:owner`` and the entries
``<prefix>:{p<i>}:e:<key>`` all live on one slot, so each script touches one slot. (The first ``{...}`` of a
name is its hash tag, so braces inside a user key change nothing.) Never change ``partitions`` while a
backlog exists: keys would move to other streams and lose their order.

The flush path. A ``Flusher`` owns partitions through leases (``SET NX PX`` with a token, renewed between
rounds every third of ``lease_ms``; another flusher takes a partition over when its owner stops renewing, so
``lease_ms`` must exceed a round: ``block_ms`` plus the slowest ``store.apply``). One owner per partition is
what keeps per-key order: a consumer group alone would hand two records of a key to two workers that could
apply them in either order. (A flusher that stalls past its lease may apply records its successor applies
too: the idempotent store makes that harmless for the data, but an append-only history could then miss the
older of two overlapping writes.) For each owned partition the flusher reads with XREADGROUP (COUNT, BLOCK),
coalesces the batch per key (last write wins; ``coalesce=False`` applies every record, for stores that keep
history), calls ``store.apply(writes)`` and, only after the store committed, runs one script that XACKs and
XDELs the records and gives each flushed entry its TTL (the flusher's ``clean_ttl``) if the entry still holds
the stream ID that was flushed (a newer write keeps it dirty and without TTL). Acked records are deleted, so
XLEN is the backlog.

The read path. ``read(key)`` answers from the entry (dirty or clean; a tombstone reads as absent), else from
``store.load`` and caches the answer for the writer's ``clean_ttl`` (an absent key as a negative entry) with a
script that never replaces an existing entry. A load that raced a write flushed and expired meanwhile can
cache the older value for at most ``clean_ttl``.

Failures. Records stay pending until acknowledged. A partition with pending records reads nothing new: its
pending records are reclaimed with XAUTOCLAIM once idle ``min_idle_ms`` (its dead owner's, or our own that
failed) and applied first, and only a prefix of the pending list in ID order is applied, so no record ever
overtakes an older one of its partition. When a batch fails, its writes are retried one by one: a failing
write holds back the later writes of its key (they stay pending); others go through. A write whose records
were delivered ``max_attempts`` times and failed again is moved to ``...:dlq`` (XADD + XACK + XDEL in one
script) and counted; its entry is dropped if it still holds that record, so the cache does not vouch for a
value the store refused. Later writes of that key are then applied after it: the dead letter is never
silent, and replaying it is a no-op for an idempotent store (its ID is older than the key's checkpoint).
Records delivered together with a poison record count as delivered too, so they have fewer attempts left.

Idempotency. The store gets each write's stream ID and must ignore a write whose ID is not newer than the
last one it applied for that key (``SQLiteStore`` keeps that checkpoint in the same transaction), so a crash
between commit and XACK causes no duplicate effect.

Limits. The write needs scripting (EVALSHA; Redis 7 and our server both have it): a MULTI/EXEC form cannot
put the stream ID XADD chooses into the entry. ``min_idle_ms`` is both the takeover delay for a dead owner's
records and the retry delay for failed writes; keep it at most ``lease_ms``. Consumers of dead flushers stay
in the group (empty) until removed with XGROUP DELCONSUMER. On a cluster, partitions are read one per call
(one slot each), sharing ``block_ms``.

Durability rules. Dirty entries and streams have no TTL; with a ``volatile-*`` or ``noeviction``
maxmemory-policy, keys without TTL are never evicted, so an unflushed write survives both expiry and
eviction. ``WriteBack`` checks ``CONFIG GET maxmemory-policy`` once and warns (``EvictionPolicyWarning``) on
an ``allkeys-*`` policy; a server that refuses CONFIG is not an error. The stream lives in the server's
memory: surviving a server crash needs persistence (AOF with ``appendfsync always``), not covered here.
Clients must not decode responses (values are bytes). Nothing here imports the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import socket
import sqlite3
import threading
import time
import warnings
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import redis

from cacheserver.caching import lease
from cacheserver.caching.backend import REDIS_ERRORS, is_cluster
from cacheserver.caching.cache import MISS
from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock
from cacheserver.caching.codecs import Codec, CodecError, JsonCodec, decode_entry, encode_entry
from cacheserver.caching.flows import AppCall, Call, Eval, Flow, Sleep, run_async, run_sync
from cacheserver.caching.scripts import Script

SET, DELETE = "set", "del"


class EvictionPolicyWarning(UserWarning):
    """The server may evict keys without TTL (an ``allkeys-*`` policy): unflushed writes could be lost."""


# -- scripts -------------------------------------------------------------------------------------------
# KEYS: stream, entry. ARGV: key, op, encoded entry. The type check comes first: a script that failed after
# its XADD would leave a record without its entry (scripts are not rolled back).
WRITE_SCRIPT = Script("""\
local t = redis.call('TYPE', KEYS[2]).ok
if t ~= 'none' and t ~= 'hash' then
  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
end
local id = redis.call('XADD', KEYS[1], '*', 'k', ARGV[1], 'op', ARGV[2], 'v', ARGV[3])
redis.call('HSET', KEYS[2], 'v', ARGV[3], 'id', id)
redis.call('PERSIST', KEYS[2])
return id
""")

# KEYS: entry. ARGV: encoded entry, ttl ms. A read-through fill never replaces an entry (a dirty one above all).
FILL_SCRIPT = Script("""\
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'id', '0')
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
""")

# KEYS: stream, dlq, entry keys... ARGV: group, n_ack, n_dead, ttl_ms, the ids to ack, n_dead records of six
# fields (id, key, op, value, deliveries, reason), then per entry key: its flushed id and 'x' (give it its
# TTL) or 'd' (dead-lettered: drop it), both only if the entry still holds that id.
ACK_SCRIPT = Script("""\
local group, nack, ndead, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
local ids = {}
for _ = 1, nack do ids[#ids + 1] = ARGV[i]; i = i + 1 end
for _ = 1, ndead do
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[i], 'k', ARGV[i + 1], 'op', ARGV[i + 2], 'v', ARGV[i + 3],
             'deliveries', ARGV[i + 4], 'reason', ARGV[i + 5])
  ids[#ids + 1] = ARGV[i]
  i = i + 6
end
local acked = 0
if #ids > 0 then
  acked = redis.call('XACK', KEYS[1], group, unpack(ids))
  redis.call('XDEL', KEYS[1], unpack(ids))
end
local touched = 0
for j = 3, #KEYS do
  if redis.call('HGET', KEYS[j], 'id') == ARGV[i] then
    if ARGV[i + 1] == 'd' then
      redis.call('DEL', KEYS[j])
    elseif ttl > 0 then
      redis.call('PEXPIRE', KEYS[j], ttl)
    end
    touched = touched + 1
  end
  i = i + 2
end
return {acked, touched}
""")


# -- layout and pure logic (shared by the sync and async drivers, unit-tested alone) --------------------
@dataclasses.dataclass(frozen=True)
class Layout:
    """Where a key's records and entry live: ``partitions`` streams under ``prefix``."""

    prefix: str = "wb"
    partitions: int = 4

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError("partitions must be at least 1")

    def partition(self, key: str) -> int:
        # CRC32, not hash(): every process must map a key to the same partition.
        return zlib.crc32(key.encode()) % self.partitions

    def base(self, p: int) -> str:
        return f"{self.prefix}:{{p{p}}}"

    def stream(self, p: int) -> str:
        return self.base(p) + ":stream"

    def dlq(self, p: int) -> str:
        return self.base(p) + ":dlq"

    def owner(self, p: int) -> str:
        return self.base(p) + ":owner"

    def entry(self, key: str, p: int | None = None) -> str:
        return f"{self.base(self.partition(key) if p is None else p)}:e:{key}"


def parse_id(stream_id: str | bytes) -> tuple[int, int]:
    """A stream ID as a comparable (milliseconds, sequence) pair."""
    if isinstance(stream_id, bytes):
        stream_id = stream_id.decode()
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """One stream record as read back: ``raw`` is the encoded entry, ``deliveries`` the delivery count."""

    id: str
    key: str
    op: str
    raw: bytes
    deliveries: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class StoreWrite:
    """What the store applies: the key's new state (``value`` None for a delete) as of ``stream_id``.

    ``stream_id`` is the idempotency hint: a store must skip a write whose ID is not newer than the last one it
    applied for ``key`` (compare with ``parse_id``). ``record_ids`` are the records this write stands for
    (several when coalesced); ``error`` is set when the value could not be decoded (a poison record).
    """

    key: str
    op: str
    value: Any
    stream_id: str
    record_ids: tuple[str, ...]
    deliveries: int = 1
    error: str | None = None


class Store(Protocol):
    """The application's store as the flusher sees it.

    ``apply(writes)`` commits all writes in one transaction or raises; it must be idempotent per key by
    ``StoreWrite.stream_id``. ``load(key)`` returns the stored value or ``MISS``. Either may be a coroutine
    function for the asyncio classes; a plain one is run in a worker thread there.
    """

    def apply(self, writes: Sequence[StoreWrite]) -> Any: ...

    def load(self, key: str) -> Any: ...


def plan_writes(records: Sequence[Record], codec: Codec, coalesce: bool = True) -> list[StoreWrite]:
    """The store writes for a batch of one partition's records, in stream-ID order.

    Coalesced, a key's records become one write carrying the last record's state and ID (last write wins:
    each record holds the key's whole new value); otherwise each record is one write.
    """
    by_key: dict[str, list[Record]] = {}
    if coalesce:
        for r in records:
            by_key.setdefault(r.key, []).append(r)
        groups = list(by_key.values())
    else:
        groups = [[r] for r in records]
    writes = []
    for group in groups:
        last = group[-1]
        value, error = None, None
        try:
            entry = decode_entry(codec, last.raw)
            if entry is None:
                error = "undecodable entry (unknown format or codec, or corrupt payload)"
            elif last.op == SET:
                value = entry.value
        except CodecError as exc:
            error = f"refused by the codec: {exc}"
        if last.op not in (SET, DELETE):
            error = f"unknown op {last.op!r}"
        writes.append(StoreWrite(last.key, last.op, value, last.id, tuple(r.id for r in group),
                                 max(r.deliveries for r in group), error))
    writes.sort(key=lambda w: parse_id(w.stream_id))
    return writes


def dead_letter_due(deliveries: int, max_attempts: int) -> bool:
    """Whether a write that just failed goes to the dead-letter stream: it was delivered ``max_attempts`` times."""
    return deliveries >= max_attempts


@dataclasses.dataclass
class Outcome:
    """What became of a batch: applied, dead-lettered (with the reason), left pending for a retry."""

    done: list[StoreWrite] = dataclasses.field(default_factory=list)
    dead: list[tuple[StoreWrite, str]] = dataclasses.field(default_factory=list)
    retry: list[StoreWrite] = dataclasses.field(default_factory=list)
    store_calls: int = 0


def parse_entries(entries: Any) -> list[tuple[str, dict]]:
    """redis-py's stream entries ([(id, {field: value})]) as (str id, fields); deleted entries dropped."""
    out = []
    for item in entries or ():
        if item is None:
            continue
        rid, fields = item[0], item[1]
        if fields is None:
            continue
        if isinstance(fields, list):  # unparsed field list
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        out.append((rid.decode() if isinstance(rid, bytes) else rid, fields))
    return out


def parse_read(reply: Any) -> dict[str, list[tuple[str, dict]]]:
    """XREADGROUP's reply, RESP2 ([[stream, entries]]) or RESP3 ({stream: [entries]}), per stream name."""
    if not reply:
        return {}
    pairs = reply.items() if isinstance(reply, dict) else reply
    out = {}
    for name, entries in pairs:
        if entries and isinstance(entries[0], list):  # RESP3 wraps the entries once more
            entries = entries[0]
        out[name.decode() if isinstance(name, bytes) else name] = parse_entries(entries)
    return out


def to_record(rid: str, fields: dict, deliveries: int = 1) -> Record:
    key = fields.get(b"k", b"")
    op = fields.get(b"op", b"")
    return Record(rid, key.decode() if isinstance(key, bytes) else str(key),
                  op.decode() if isinstance(op, bytes) else str(op), fields.get(b"v", b""), deliveries)


@dataclasses.dataclass
class WriteBackStats:
    """Counters of one writer or flusher (approximate under heavy threading, like ``CacheStats``)."""

    writes: int = 0  # acknowledged writes and deletes
    applied: int = 0  # records whose effect the store committed (coalesced ones included)
    coalesced: int = 0  # records superseded by a later record of their key in the same batch
    store_batches: int = 0  # successful store.apply calls
    retried: int = 0  # writes that failed and stay pending for another attempt
    dead_lettered: int = 0  # records moved to the dead-letter stream
    reclaimed: int = 0  # records claimed back with XAUTOCLAIM (a dead owner's, or our own failed ones)
    errors: int = 0  # flusher steps that failed on the cache connection

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Backlog:
    """What is not flushed yet: records in the streams (unread + pending), pending ones, unread ones
    (XINFO GROUPS lag; None when the server cannot tell), the age of the oldest one (flush lag, seconds) and
    the dead letters kept."""

    length: int
    pending: int
    lag: int | None
    oldest_age: float | None
    dead_letters: int


def _check_client(client: Any) -> bool:
    """Whether ``client`` is a cluster client; refuses clients that decode responses (values are bytes)."""
    get_kwargs = getattr(client, "get_connection_kwargs", None)
    kwargs = get_kwargs() if callable(get_kwargs) else {}
    if isinstance(kwargs, dict) and kwargs.get("decode_responses"):
        raise ValueError("write-back needs a client with decode_responses=False (entries are bytes)")
    return is_cluster(client)


def _policies(reply: Any) -> list[str]:
    """maxmemory-policy values in a CONFIG GET reply (one dict, or one per node on a cluster)."""
    if isinstance(reply, dict):
        out = []
        for name, value in reply.items():
            if isinstance(value, dict):
                out.extend(_policies(value))
            elif (name.decode() if isinstance(name, bytes) else name) == "maxmemory-policy":
                out.append(value.decode() if isinstance(value, bytes) else str(value))
        return out
    return []


class _Endpoint:
    """What writers and flushers share: the client, the store, the key layout, the codec, stats."""

    def __init__(self, client: Any, store: Any, prefix: str, partitions: int, codec: Codec | None,
                 clean_ttl: float, clock: SystemClock) -> None:
        self.client = client
        self.store = store
        self.layout = Layout(prefix, partitions)
        self.codec = codec or JsonCodec()
        self.clean_ttl_ms = max(0, int(clean_ttl * 1000))
        self.clock = clock
        self.cluster = _check_client(client)
        self.stats = WriteBackStats()


# -- the writer ----------------------------------------------------------------------------------------
class _WriterCore(_Endpoint):
    def __init__(self, client: Any, store: Any = None, *, prefix: str = "wb", partitions: int = 4,
                 codec: Codec | None = None, clean_ttl: float = 300.0, check_eviction_policy: bool = True,
                 clock: SystemClock = SYSTEM_CLOCK) -> None:
        super().__init__(client, store, prefix, partitions, codec, clean_ttl, clock)
        self._policy_checked = not check_eviction_policy

    def policy_flow(self) -> Flow:
        self._policy_checked = True
        try:
            reply = yield Call("config_get", "maxmemory-policy")
        except Exception:  # CONFIG may be renamed, disabled or forbidden by ACL: not our business
            return None
        for policy in _policies(reply):
            if policy.startswith("allkeys"):
                warnings.warn(
                    f"maxmemory-policy is {policy}: the server may evict dirty write-back entries and streams; "
                    "use noeviction or a volatile-* policy", EvictionPolicyWarning, stacklevel=4)
                return policy
        return None

    def write_flow(self, key: str, op: str, value: Any) -> Flow:
        if not self._policy_checked:
            yield from self.policy_flow()
        p = self.layout.partition(key)
        raw = encode_entry(self.codec, value, 0.0, 0.0, negative=op == DELETE)
        rid = yield Eval(WRITE_SCRIPT, [self.layout.stream(p), self.layout.entry(key, p)], [key, op, raw])
        self.stats.writes += 1
        return rid.decode() if isinstance(rid, bytes) else rid

    def read_flow(self, key: str, default: Any) -> Flow:
        ekey = self.layout.entry(key)
        raw = yield Call("hget", ekey, "v")
        entry = decode_entry(self.codec, raw)
        if entry is not None:
            return default if entry.negative else entry.value
        if self.store is None:
            return default
        value = yield AppCall(self.store.load, key)
        absent = value is MISS
        fill = encode_entry(self.codec, None if absent else value, 0.0, 0.0, negative=absent)
        yield Eval(FILL_SCRIPT, [ekey], [fill, self.clean_ttl_ms])
        return default if absent else value


class WriteBack(_WriterCore):
    """Write-back over a synchronous redis-py client (``redis.Redis`` or ``RedisCluster``).

    ``write``/``delete`` return the stream ID once the server holds the record and the entry; ``read``
    answers from the cache, else from ``store.load`` (read-through, the entry then cached for ``clean_ttl``).
    """

    def write(self, key: str, value: Any) -> str:
        return run_sync(self.write_flow(key, SET, value), self.client)

    def delete(self, key: str) -> str:
        return run_sync(self.write_flow(key, DELETE, None), self.client)

    def read(self, key: str, default: Any = None) -> Any:
        return run_sync(self.read_flow(key, default), self.client)

    def check_eviction_policy(self) -> str | None:
        """The ``allkeys-*`` policy found (after warning about it), else None; CONFIG refused is None."""
        return run_sync(self.policy_flow(), self.client)


class AsyncWriteBack(_WriterCore):
    """Write-back over ``redis.asyncio`` clients; same contract as ``WriteBack``."""

    async def write(self, key: str, value: Any) -> str:
        return await run_async(self.write_flow(key, SET, value), self.client)

    async def delete(self, key: str) -> str:
        return await run_async(self.write_flow(key, DELETE, None), self.client)

    async def read(self, key: str, default: Any = None) -> Any:
        return await run_async(self.read_flow(key, default), self.client)

    async def check_eviction_policy(self) -> str | None:
        return await run_async(self.policy_flow(), self.client)


# -- the flusher ---------------------------------------------------------------------------------------
class _FlusherCore(_Endpoint):
    def __init__(self, client: Any, store: Any, *, prefix: str = "wb", partitions: int = 4,
                 codec: Codec | None = None, group: str = "flushers", consumer: str | None = None,
                 batch: int = 100, block_ms: int = 1000, coalesce: bool = True, max_attempts: int = 5,
                 min_idle_ms: int = 10_000, lease_ms: int = 10_000, clean_ttl: float = 300.0,
                 max_partitions: int | None = None, clock: SystemClock = SYSTEM_CLOCK) -> None:
        if not 1 <= batch <= 1000:
            raise ValueError("batch must be between 1 and 1000")  # the ack script unpacks the IDs
        if lease_ms < 3 * block_ms:
            raise ValueError("lease_ms must be at least 3 * block_ms: leases are renewed between blocking reads")
        super().__init__(client, store, prefix, partitions, codec, clean_ttl, clock)
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.batch = batch
        self.block_ms = block_ms
        self.coalesce = coalesce
        self.max_attempts = max_attempts
        self.min_idle_ms = min_idle_ms
        self.lease_ms = lease_ms
        self.max_partitions = partitions if max_partitions is None else max_partitions
        self.token = lease.new_token()
        self.owned: set[int] = set()
        self.suspect: set[int] = set()  # owned partitions that may have pending records
        self._renewed_at = float("-inf")
        self.stopped = False

    # -- ownership -----------------------------------------------------------------------------------
    def leases_flow(self) -> Flow:
        """Renew our partition leases and take free ones, every third of ``lease_ms``."""
        now = self.clock.monotonic()
        if now - self._renewed_at < self.lease_ms / 3000.0:
            return None
        self._renewed_at = now
        for p in range(self.layout.partitions):
            okey = self.layout.owner(p)
            if p in self.owned:
                if not (yield Eval(lease.EXTEND, [okey], [self.token, self.lease_ms])):
                    self.owned.discard(p)  # we were too slow and someone took it over
                    self.suspect.discard(p)
            elif len(self.owned) < self.max_partitions:
                if (yield Call("set", okey, self.token, nx=True, px=self.lease_ms)):
                    yield from self.group_flow(p)
                    self.owned.add(p)
                    self.suspect.add(p)  # the previous owner may have left pending records
        return None

    def group_flow(self, p: int) -> Flow:
        try:
            yield Call("xgroup_create", self.layout.stream(p), self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def release_flow(self) -> Flow:
        for p in sorted(self.owned):
            yield Eval(lease.RELEASE, [self.layout.owner(p)], [self.token])
        self.owned.clear()
        self.suspect.clear()

    # -- one round -----------------------------------------------------------------------------------
    def step_flow(self) -> Flow:
        """One round over the owned partitions; returns how many records it settled (applied or dead)."""
        yield from self.leases_flow()
        if not self.owned:
            yield Sleep(min(self.block_ms, self.lease_ms / 3) / 1000.0)
            return 0
        handled, clear = 0, []
        for p in sorted(self.owned):
            n, is_clear = yield from self.recover_flow(p)
            handled += n
            if is_clear:
                clear.append(p)
        if clear:
            handled += yield from self.read_flow(clear, block=handled == 0)
        elif handled == 0:  # every partition waits for pending records to become claimable
            yield Sleep(min(self.block_ms, max(self.min_idle_ms, 10)) / 1000.0 / 4)
        return handled

    def recover_flow(self, p: int) -> Flow:
        """Settle pending records of partition ``p`` that are idle enough; (settled, nothing pending)."""
        if p not in self.suspect:
            return 0, True
        stream = self.layout.stream(p)
        summary = yield from self.nogroup_guard(p, Call("xpending", stream, self.group))
        if not summary or not summary["pending"]:
            self.suspect.discard(p)
            return 0, True
        claimed = yield Call("xautoclaim", stream, self.group, self.consumer, self.min_idle_ms, "0-0",
                              count=self.batch)
        entries = parse_entries(claimed[1])
        if not entries:
            return 0, False
        self.stats.reclaimed += len(entries)
        # Only the run of claimed records that starts the pending list may go: a pending record that is not
        # idle yet must not be overtaken by younger ones.
        pending = yield Call("xpending_range", stream, self.group, summary["min"], entries[-1][0],
                              count=len(entries))
        counts = {}
        for info, (rid, _) in zip(pending, entries, strict=False):
            mid = info["message_id"]
            if (mid.decode() if isinstance(mid, bytes) else mid) != rid:
                break
            counts[rid] = info["times_delivered"]
        records = [to_record(rid, fields, counts[rid]) for rid, fields in entries if rid in counts]
        if not records:
            return 0, False
        settled = yield from self.process_flow(p, records)
        self.suspect.add(p)  # more may be pending (past this batch, or not idle yet): look again next round
        return settled, False

    def read_flow(self, partitions: list[int], block: bool) -> Flow:
        if self.cluster:  # one slot per call: read the partitions one by one, sharing the block time
            reply: dict[str, list] = {}
            share = max(1, self.block_ms // len(partitions)) if block else None
            for p in partitions:
                got = yield from self.nogroup_guard(p, Call(
                    "xreadgroup", self.group, self.consumer, {self.layout.stream(p): ">"}, count=self.batch,
                    block=share))
                reply.update(parse_read(got))
        else:
            got = yield from self.nogroup_guard(None, Call(
                "xreadgroup", self.group, self.consumer, {self.layout.stream(p): ">" for p in partitions},
                count=self.batch, block=self.block_ms if block and self.block_ms > 0 else None))
            reply = parse_read(got)
        handled = 0
        for p in partitions:
            entries = reply.get(self.layout.stream(p))
            if entries:
                handled += yield from self.process_flow(p, [to_record(rid, f) for rid, f in entries])
        return handled

    def nogroup_guard(self, p: int | None, call: Call) -> Flow:
        """Run ``call``; a stream or group deleted under us (FLUSHALL) is recreated and the call answers None."""
        try:
            return (yield call)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
        for q in sorted(self.owned) if p is None else (p,):
            yield from self.group_flow(q)
        return None

    # -- applying a batch ----------------------------------------------------------------------------
    def apply_flow(self, writes: list[StoreWrite]) -> Flow:
        """Apply ``writes`` in one store call; when that fails, one by one, holding back a failed key."""
        outcome = Outcome()
        if not writes:
            return outcome
        if all(w.error is None for w in writes):
            try:
                yield AppCall(self.store.apply, writes)
                outcome.store_calls += 1
                outcome.done = list(writes)
                return outcome
            except Exception:
                pass
        blocked: set[str] = set()
        for w in writes:
            if w.key in blocked:  # an older write of this key failed: this one must not overtake it
                outcome.retry.append(w)
                continue
            reason = w.error
            if reason is None:
                try:
                    yield AppCall(self.store.apply, [w])
                    outcome.store_calls += 1
                    outcome.done.append(w)
                    continue
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"
            if dead_letter_due(w.deliveries, self.max_attempts):
                outcome.dead.append((w, reason))
            else:
                outcome.retry.append(w)
                blocked.add(w.key)
        return outcome

    def process_flow(self, p: int, records: list[Record]) -> Flow:
        self.suspect.add(p)  # until acknowledged: a failure anywhere below leaves these records pending
        writes = plan_writes(records, self.codec, self.coalesce)
        outcome = yield from self.apply_flow(writes)
        by_id = {r.id: r for r in records}
        ack_ids = [rid for w in outcome.done for rid in w.record_ids]
        dead_args: list[Any] = []
        for w, reason in outcome.dead:
            for rid in w.record_ids:
                r = by_id[rid]
                dead_args += [rid, r.key, r.op, r.raw, r.deliveries, reason]
        # Per entry, the newest flushed (or dead) ID decides: a newer write keeps the entry dirty.
        touch: dict[str, tuple[str, str]] = {}
        for w in outcome.done:
            touch[w.key] = (w.stream_id, "x")
        for w, _ in outcome.dead:
            if w.key not in touch or parse_id(w.stream_id) > parse_id(touch[w.key][0]):
                touch[w.key] = (w.stream_id, "d")
        if ack_ids or dead_args:
            keys = [self.layout.stream(p), self.layout.dlq(p)] + [self.layout.entry(k, p) for k in touch]
            args = [self.group, len(ack_ids), len(dead_args) // 6, self.clean_ttl_ms, *ack_ids,
                    *dead_args]
            for stream_id, action in touch.values():
                args += [stream_id, action]
            yield Eval(ACK_SCRIPT, keys, args)
        self.stats.store_batches += outcome.store_calls
        self.stats.applied += len(ack_ids)
        self.stats.coalesced += len(ack_ids) - len(outcome.done)
        self.stats.dead_lettered += len(dead_args) // 6
        if outcome.retry:
            self.stats.retried += len(outcome.retry)
        else:
            self.suspect.discard(p)
        return len(ack_ids) + len(dead_args) // 6

    # -- observing -----------------------------------------------------------------------------------
    def backlog_flow(self) -> Flow:
        length = pending = dead = 0
        lag: int | None = 0
        oldest: tuple[int, int] | None = None
        for p in range(self.layout.partitions):
            stream = self.layout.stream(p)
            n = yield Call("xlen", stream)
            dead += yield Call("xlen", self.layout.dlq(p))
            length += n
            if not n:
                continue
            first = yield Call("xrange", stream, "-", "+", count=1)
            if first:
                oid = parse_id(first[0][0])
                oldest = oid if oldest is None else min(oldest, oid)
            try:
                groups = yield Call("xinfo_groups", stream)
            except redis.ResponseError:
                groups = []
            info = next((g for g in groups if _text(g.get("name")) == self.group), None)
            if info is None:  # nobody reads this stream yet: all of it is unread
                lag = None if lag is None else lag + n
                continue
            pending += int(info.get("pending") or 0)
            group_lag = info.get("lag")
            lag = None if lag is None or group_lag is None else lag + int(group_lag)
        age = None if oldest is None else max(0.0, self.clock.time() - oldest[0] / 1000.0)
        return Backlog(length, pending, lag, age, dead)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Flusher(_FlusherCore):
    """Flushes the write-back streams to ``store`` with a synchronous client: ``run()`` in a thread or process,
    ``step()`` for one round, ``drain()`` until the backlog is empty, ``close()`` to hand the partitions on."""

    def step(self) -> int:
        return run_sync(self.step_flow(), self.client)

    def run(self, error_pause: float = 0.5) -> None:
        """Flush until ``stop()``; cache connection errors are counted and retried after ``error_pause``."""
        while not self.stopped:
            try:
                self.step()
            except REDIS_ERRORS:
                self.stats.errors += 1
                time.sleep(error_pause)
        self.close()

    def stop(self) -> None:
        self.stopped = True

    def drain(self, timeout: float = 30.0) -> Backlog:
        """Step until nothing is left to flush (or ``timeout`` real seconds); returns the backlog then."""
        deadline = time.monotonic() + timeout
        while True:
            if self.step() == 0:
                backlog = self.backlog()
                if backlog.length == 0 or time.monotonic() >= deadline:
                    return backlog

    def backlog(self) -> Backlog:
        return run_sync(self.backlog_flow(), self.client)

    def close(self) -> None:
        """Release our partition leases so another flusher takes them over at once."""
        try:
            run_sync(self.release_flow(), self.client)
        except REDIS_ERRORS:
            pass  # the leases expire on their own


class AsyncFlusher(_FlusherCore):
    """The flusher on asyncio clients; same contract as ``Flusher``."""

    async def step(self) -> int:
        return await run_async(self.step_flow(), self.client)

    async def run(self, error_pause: float = 0.5) -> None:
        while not self.stopped:
            try:
                await self.step()
            except REDIS_ERRORS:
                self.stats.errors += 1
                await asyncio.sleep(error_pause)
        await self.close()

    def stop(self) -> None:
        self.stopped = True

    async def drain(self, timeout: float = 30.0) -> Backlog:
        deadline = time.monotonic() + timeout
        while True:
            if await self.step() == 0:
                backlog = await self.backlog()
                if backlog.length == 0 or time.monotonic() >= deadline:
                    return backlog

    async def backlog(self) -> Backlog:
        return await run_async(self.backlog_flow(), self.client)

    async def close(self) -> None:
        try:
            await run_async(self.release_flow(), self.client)
        except REDIS_ERRORS:
            pass


# -- a reference store ---------------------------------------------------------------------------------
class SQLiteStore:
    """A reference store: one row per key (value, tombstone flag, checkpoint = last applied stream ID), and
    with ``history=True`` an append-only table of every applied write.

    ``apply`` runs in one transaction; a write whose stream ID is not newer than the key's checkpoint is
    skipped (counted in ``skipped``), so re-applying a batch after a crash between commit and XACK changes
    nothing. Values are stored with ``codec``. Safe to share across threads (one lock, one connection).
    """

    def __init__(self, path: str, *, history: bool = False, codec: Codec | None = None) -> None:
        self.path = path
        self.history = history
        self.codec = codec or JsonCodec()
        self.skipped = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS wb_data (key TEXT PRIMARY KEY, value BLOB, "
                         "deleted INTEGER NOT NULL, stream_ms INTEGER NOT NULL, stream_seq INTEGER NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS wb_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "key TEXT NOT NULL, op TEXT NOT NULL, value BLOB, stream_id TEXT NOT NULL)")

    def apply(self, writes: Sequence[StoreWrite]) -> None:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for w in writes:
                    ms, seq = parse_id(w.stream_id)
                    row = db.execute("SELECT stream_ms, stream_seq FROM wb_data WHERE key = ?", (w.key,)).fetchone()
                    if row is not None and (row[0], row[1]) >= (ms, seq):
                        self.skipped += 1
                        continue
                    blob = None if w.op == DELETE else self.codec.dumps(w.value)
                    db.execute("INSERT INTO wb_data (key, value, deleted, stream_ms, stream_seq) VALUES (?, ?, ?, ?, ?)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value, deleted = excluded.deleted,"
                               " stream_ms = excluded.stream_ms, stream_seq = excluded.stream_seq",
                               (w.key, blob, int(w.op == DELETE), ms, seq))
                    if self.history:
                        db.execute("INSERT INTO wb_history (key, op, value, stream_id) VALUES (?, ?, ?, ?)",
                                   (w.key, w.op, blob, w.stream_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def load(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value, deleted FROM wb_data WHERE key = ?", (key,)).fetchone()
        if row is None or row[1]:
            return MISS
        return self.codec.loads(row[0])

    def checkpoint(self, key: str) -> str | None:
        """The stream ID of the last write applied for ``key``."""
        with self._lock:
            row = self._db.execute("SELECT stream_ms, stream_seq FROM wb_data WHERE key = ?", (key,)).fetchone()
        return None if row is None else f"{row[0]}-{row[1]}"

    def items(self) -> dict[str, Any]:
        """Every live key and its value."""
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM wb_data WHERE deleted = 0").fetchall()
        return {k: self.codec.loads(v) for k, v in rows}

    def history_of(self, key: str | None = None) -> list[tuple[str, str, Any, str]]:
        """Applied writes in the order applied: (key, op, value, stream_id)."""
        query = "SELECT key, op, value, stream_id FROM wb_history"
        params: Iterable[Any] = ()
        if key is not None:
            query, params = query + " WHERE key = ?", (key,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", params).fetchall()
        return [(k, op, None if v is None else self.codec.loads(v), sid) for k, op, v, sid in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
