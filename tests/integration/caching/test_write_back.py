"""Write-back against our server and a real redis-server: atomic write, flush and ack, reclaim from a dead
consumer, dead letters, TTL only after a flush that is still current, read-through, backlog stats, asyncio."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest
import redis
import redis.asyncio

from cacheserver.caching import ManualClock
from cacheserver.caching.codecs import decode_entry
from cacheserver.caching.write_back import (
    AsyncFlusher,
    AsyncWriteBack,
    EvictionPolicyWarning,
    Flusher,
    Layout,
    SQLiteStore,
    WriteBack,
    parse_id,
)

FAST = dict(partitions=2, block_ms=20, lease_ms=300, min_idle_ms=40)


def _setup(target, tmp_path, history: bool = False, store_class=SQLiteStore):
    client = target.client()
    client.flushall()
    store = store_class(str(tmp_path / "store.db"), history=history)
    return client, store, WriteBack(client, store, partitions=2, clean_ttl=30)


def test_write_appends_the_record_and_stores_the_entry_in_one_step(target, tmp_path) -> None:
    client, _, wb = _setup(target, tmp_path)
    rid = wb.write("user:1", {"name": "ada"})
    p = wb.layout.partition("user:1")
    [(sid, fields)] = client.xrange(wb.layout.stream(p))
    assert sid.decode() == rid and fields[b"k"] == b"user:1" and fields[b"op"] == b"set"
    entry = client.hgetall(wb.layout.entry("user:1"))
    assert entry[b"id"].decode() == rid and entry[b"v"] == fields[b"v"]
    assert decode_entry(wb.codec, fields[b"v"]).value == {"name": "ada"}
    assert client.pttl(wb.layout.entry("user:1")) == -1  # dirty: no TTL until flushed
    assert wb.read("user:1") == {"name": "ada"} and wb.stats.writes == 1
    # A refused write leaves nothing behind: no record without its entry.
    client.set(wb.layout.entry("bad"), "a string")
    bad_stream = wb.layout.stream(wb.layout.partition("bad"))
    before = client.xlen(bad_stream)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        wb.write("bad", 1)
    assert client.xlen(bad_stream) == before and wb.stats.writes == 1


def test_flusher_applies_coalesced_batches_then_acks_and_gives_entries_their_ttl(target, tmp_path) -> None:
    client, store, wb = _setup(target, tmp_path)
    for i in range(3):
        wb.write("a", i)
    wb.write("b", "x")
    wb.delete("c")
    flusher = Flusher(client, store, clean_ttl=30, **FAST)
    assert flusher.drain(5).length == 0
    assert store.items() == {"a": 2, "b": "x"} and store.checkpoint("c") is not None
    assert flusher.stats.applied == 5 and flusher.stats.coalesced == 2 and flusher.stats.retried == 0
    for p in range(2):
        assert client.xlen(wb.layout.stream(p)) == 0  # acked records are deleted: XLEN is the backlog
        assert client.xpending(wb.layout.stream(p), "flushers")["pending"] == 0
    for key in ("a", "b", "c"):
        assert 25_000 < client.pttl(wb.layout.entry(key)) <= 30_000
    assert wb.read("c", default="gone") == "gone"  # the tombstone answers until it expires
    flusher.close()
    assert client.exists(*(wb.layout.owner(p) for p in range(2))) == 0


def test_a_write_during_the_flush_keeps_its_entry_dirty(target, tmp_path) -> None:
    client, _, wb = _setup(target, tmp_path)

    class RacingStore(SQLiteStore):
        def apply(self, writes) -> None:
            super().apply(writes)
            if writes[0].value == 1:
                self.newer = wb.write("k", 2)  # lands between the store commit and the ack

    store = RacingStore(str(tmp_path / "race.db"))
    wb.write("k", 1)
    flusher = Flusher(client, store, clean_ttl=30, **FAST)
    flusher.step()
    entry = client.hgetall(wb.layout.entry("k"))
    assert entry[b"id"].decode() == store.newer and client.pttl(wb.layout.entry("k")) == -1
    assert store.load("k") == 1
    flusher.drain(5)
    assert store.load("k") == 2 and 0 < client.pttl(wb.layout.entry("k")) <= 30_000


def test_records_of_a_dead_consumer_are_reclaimed_and_applied_in_order(target, tmp_path) -> None:
    client, store, wb = _setup(target, tmp_path, history=True)
    ids = [wb.write("k", i) for i in range(4)]
    p = wb.layout.partition("k")
    stream = wb.layout.stream(p)
    client.xgroup_create(stream, "flushers", "0")
    # A flusher that read everything and died: its lease runs out and its records are pending.
    assert len(client.xreadgroup("flushers", "dead", {stream: ">"})[0][1]) == 4
    client.set(wb.layout.owner(p), "dead-token", px=150)
    flusher = Flusher(client, store, coalesce=False, **FAST)
    deadline = time.monotonic() + 5
    while store.load("k") != 3 and time.monotonic() < deadline:
        flusher.step()
    assert [sid for _, _, _, sid in store.history_of("k")] == ids
    assert flusher.stats.reclaimed == 4 and flusher.stats.applied == 4
    assert client.xpending(stream, "flushers")["pending"] == 0
    flusher.close()


class PoisonStore(SQLiteStore):
    """Refuses every write of ("bad", 1) or of "poison", as a store with a violated constraint would."""

    def apply(self, writes) -> None:
        for w in writes:
            if (w.key, w.value) == ("bad", 1) or w.key == "poison":
                raise ValueError(f"constraint violated by {w.key}")
        super().apply(writes)


def test_poison_record_goes_to_the_dead_letter_stream_after_max_attempts(target, tmp_path) -> None:
    client, store, wb = _setup(target, tmp_path, history=True, store_class=PoisonStore)
    bad1 = wb.write("bad", 1)
    wb.write("good", 1)
    bad2 = wb.write("bad", 2)
    wb.write("poison", "x")
    flusher = Flusher(client, store, coalesce=False, max_attempts=3, **FAST)
    backlog = flusher.drain(5)
    assert backlog.length == 0 and backlog.dead_letters == 2
    assert store.items() == {"bad": 2, "good": 1}
    assert [sid for _, _, _, sid in store.history_of("bad")] == [bad2]  # after the poison, never before it
    dead = client.xrange(wb.layout.dlq(wb.layout.partition("bad")))
    dead += [] if wb.layout.partition("poison") == wb.layout.partition("bad") else client.xrange(
        wb.layout.dlq(wb.layout.partition("poison")))
    by_key = {f[b"k"]: f for _, f in dead}
    assert by_key[b"bad"][b"id"].decode() == bad1 and by_key[b"bad"][b"deliveries"] == b"3"
    assert by_key[b"bad"][b"reason"] == b"ValueError: constraint violated by bad"
    assert by_key[b"poison"][b"op"] == b"set"
    assert flusher.stats.dead_lettered == 2
    assert client.exists(wb.layout.entry("poison")) == 0  # the cache does not vouch for a refused value
    assert wb.read("poison") is None and wb.read("bad") == 2
    flusher.close()


def test_backlog_reports_length_pending_lag_and_flush_lag(target, tmp_path) -> None:
    client, store, wb = _setup(target, tmp_path)
    first = wb.write("a", 1)
    wb.write("b", 1)
    wb.write("c", 1)
    clock = ManualClock(parse_id(first)[0] / 1000 + 2.5)
    flusher = Flusher(client, store, clock=clock, partitions=2, block_ms=20, lease_ms=300, min_idle_ms=60_000,
                      max_attempts=100)
    backlog = flusher.backlog()
    assert (backlog.length, backlog.pending, backlog.lag, backlog.dead_letters) == (3, 0, 3, 0)
    assert backlog.oldest_age == pytest.approx(2.5)

    def refuse(writes) -> None:
        raise ConnectionError("store down")

    store.apply = refuse
    flusher.step()
    backlog = flusher.backlog()
    assert (backlog.length, backlog.pending, backlog.lag) == (3, 3, 0)
    assert flusher.stats.retried == 3 and flusher.stats.applied == 0
    flusher.close()


def test_read_through_loads_from_the_store_and_caches_briefly(target, tmp_path) -> None:
    client, store, wb = _setup(target, tmp_path)
    wb.write("k", "v1")
    flusher = Flusher(client, store, **FAST)
    flusher.drain(5)
    client.delete(wb.layout.entry("k"))  # evicted after its flush
    assert wb.read("k") == "v1" and 25_000 < client.pttl(wb.layout.entry("k")) <= 30_000
    assert wb.read("nope", default=0) == 0 and client.exists(wb.layout.entry("nope")) == 1  # negative entry
    wb.delete("k")
    assert store.load("k") == "v1" and wb.read("k") is None  # the unflushed delete wins over the store
    flusher.close()


def test_allkeys_policy_warns_at_the_first_write(target, tmp_path) -> None:
    client, store, _ = _setup(target, tmp_path)
    old = client.config_get("maxmemory-policy")["maxmemory-policy"]
    try:
        for policy, expected in (("allkeys-lru", [EvictionPolicyWarning]), ("volatile-lru", [])):
            client.config_set("maxmemory-policy", policy)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                WriteBack(client, store).write("k", 1)
            assert [w.category for w in caught] == expected
    finally:
        client.config_set("maxmemory-policy", old)


def test_asyncio_writer_and_flusher(target, tmp_path) -> None:
    sync = target.client()
    sync.flushall()
    store = SQLiteStore(str(tmp_path / "store.db"), history=True)

    async def main() -> tuple:
        client = redis.asyncio.Redis(host=target.host, port=target.port, protocol=2)
        wb = AsyncWriteBack(client, store, partitions=2, clean_ttl=30)
        ids = [await wb.write("a", i) for i in range(3)]
        await wb.delete("b")
        flusher = AsyncFlusher(client, store, coalesce=False, clean_ttl=30, **FAST)
        backlog = await flusher.drain(5)
        await flusher.close()
        values = (await wb.read("a"), await wb.read("b", default="none"))
        await client.aclose()
        return ids, backlog, values, flusher.stats.applied

    ids, backlog, values, applied = asyncio.run(main())
    assert backlog.length == 0 and values == (2, "none") and applied == 4
    assert [sid for _, _, _, sid in store.history_of("a")] == ids
    assert 0 < sync.pttl(Layout("wb", 2).entry("a")) <= 30_000
