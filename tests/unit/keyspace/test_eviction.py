"""Eviction policies on a manual clock and a seeded RNG: a known access sequence evicts exactly the keys
each policy should; policies switch at runtime without losing keys; events, stats and WATCH."""

from __future__ import annotations

import pytest

from cacheserver.clock import ManualClock
from cacheserver.config import Config
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.database import Database, EvictingDatabase, PolicyDatabase
from cacheserver.keyspace.eviction import POLICIES
from cacheserver.keyspace.eviction.tinylfu import Sketch
from cacheserver.keyspace.memory import key_usage
from cacheserver.server import Server


def make_server(policy: str, samples: int = 16, **cfg: str) -> tuple[Server, ManualClock]:
    config = Config()
    config.set_value("maxmemory-policy", policy)
    config.set_value("maxmemory-samples", str(samples))
    for name, value in cfg.items():
        config.set_value(name.replace("_", "-"), value)
    clock = ManualClock()
    server = Server(config, clock)
    server.evictor.rng.seed(7)
    return server, clock


def limit_to(server: Server, keys_over: int) -> None:
    """Set maxmemory so that exactly ``keys_over`` equal-sized keys must go."""
    db = server.keyspace.dbs[0]
    per_key = min(key_usage(k, v, False) for k, v in db.data.items())
    server.config.set_value("maxmemory", str(server.evictor.used_memory() - keys_over * per_key + 1))


def evict(server: Server, n: int) -> list[bytes]:
    db = server.keyspace.dbs[0]
    before = set(db.data)
    limit_to(server, n)
    assert server.evictor.perform_evictions()
    server.config.set_value("maxmemory", "100mb")  # keeps the policy's state for the next step
    return sorted(before - set(db.data))


def fill(server: Server, clock: ManualClock, keys: str, step_ms: int = 1000) -> Database:
    db = server.keyspace.dbs[0]
    for k in keys:
        db.set(k.encode(), b"v" * 10)
        clock.advance(step_ms)
    return db


def test_plain_database_while_maxmemory_is_zero() -> None:
    server, _ = make_server("allkeys-lru")
    assert all(type(db) is Database and db.policy is None for db in server.keyspace.dbs)
    server.config.set_value("maxmemory", "100mb")
    assert all(type(db) is EvictingDatabase for db in server.keyspace.dbs)
    assert server.dispatcher.gated
    server.config.set_value("maxmemory", "0")
    assert all(type(db) is Database for db in server.keyspace.dbs)
    assert not server.dispatcher.gated


def test_lru_evicts_the_idlest() -> None:
    server, clock = make_server("allkeys-lru")
    db = fill(server, clock, "abcde")
    server.config.set_value("maxmemory", "100mb")
    db.lookup(b"a")
    db.lookup(b"b")
    assert evict(server, 1) == [b"c"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 2) == [b"d", b"e"]


def test_lru_ties_go_to_the_key_inserted_last() -> None:
    """Keys last read in the same second tie on the 1-second clock: the one inserted last goes first
    (a key that has stayed longer has been read more often), not the oldest as FIFO would."""
    server, clock = make_server("allkeys-lru")
    db = fill(server, clock, "abcdef", step_ms=0)  # all stamped in one second
    server.config.set_value("maxmemory", "100mb")
    db.lookup(b"a")
    assert evict(server, 1) == [b"f"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 2) == [b"d", b"e"]


def test_volatile_lru_only_keys_with_ttl() -> None:
    server, clock = make_server("volatile-lru")
    db = fill(server, clock, "abcd")
    db.set_expire(b"c", clock.now_ms + 100_000)
    db.set_expire(b"d", clock.now_ms + 100_000)
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"c"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"d"]
    limit_to(server, 1)
    assert not server.evictor.perform_evictions()  # nothing volatile left: OOM


def test_lfu_counts_and_evicts_the_least_frequent() -> None:
    server, clock = make_server("allkeys-lfu", lfu_log_factor="0")  # factor 0: every hit counts
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd", step_ms=0)
    for key, hits in ((b"a", 3), (b"b", 1), (b"c", 0), (b"d", 2)):
        for _ in range(hits):
            db.lookup(key)
    freq = server.keyspace.object_freq
    assert [freq(db, k) for k in (b"a", b"b", b"c", b"d")] == [8, 6, 5, 7]
    assert evict(server, 1) == [b"c"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"b"]


def test_lfu_counter_decays_per_decay_time() -> None:
    server, clock = make_server("allkeys-lfu", lfu_log_factor="0", lfu_decay_time="1")
    db = fill(server, clock, "a", step_ms=0)
    for _ in range(5):
        db.lookup(b"a")
    assert server.keyspace.object_freq(db, b"a") == 10
    clock.advance(3 * 60_000)
    assert server.keyspace.object_freq(db, b"a") == 7
    db.lookup(b"a")  # decays, then counts the hit
    assert server.keyspace.object_freq(db, b"a") == 8


def test_lfu_log_increment_is_probabilistic_past_the_initial_value() -> None:
    server, clock = make_server("allkeys-lfu")  # factor 10
    db = fill(server, clock, "a", step_ms=0)
    for _ in range(100):
        db.lookup(b"a")
    counter = server.keyspace.object_freq(db, b"a")
    assert 6 < counter < 30  # 1/(10*(c-5)+1) per hit: ~ sqrt(2*100/10) above 5


def test_volatile_ttl_evicts_the_nearest_deadline() -> None:
    server, clock = make_server("volatile-ttl")
    db = fill(server, clock, "abcd")
    db.set_expire(b"a", clock.now_ms + 50_000)
    db.set_expire(b"b", clock.now_ms + 10_000)
    db.set_expire(b"c", clock.now_ms + 30_000)
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"b"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"c"]


def test_random_is_seeded() -> None:
    picks = []
    for _ in range(2):
        server, clock = make_server("allkeys-random")
        fill(server, clock, "abcdefghij")
        server.config.set_value("maxmemory", "100mb")
        picks.append(evict(server, 3))
    assert picks[0] == picks[1] and len(picks[0]) == 3


def test_volatile_random_spares_persistent_keys() -> None:
    server, clock = make_server("volatile-random")
    db = fill(server, clock, "abcdef")
    for k in (b"b", b"d"):
        db.set_expire(k, clock.now_ms + 10_000)
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 2) == [b"b", b"d"]


def test_fifo_evicts_in_creation_order_whatever_was_read() -> None:
    server, clock = make_server("allkeys-fifo")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    db.lookup(b"a")
    db.set(b"a", b"w" * 10)  # an overwrite is no re-creation
    assert evict(server, 1) == [b"a"]
    server.config.set_value("maxmemory", "100mb")
    db.delete(b"b")
    db.set(b"b", b"v" * 10)  # re-created: now the newest
    assert evict(server, 1) == [b"c"]


def test_volatile_fifo() -> None:
    server, clock = make_server("volatile-fifo")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    db.set_expire(b"c", clock.now_ms + 1000)
    db.set_expire(b"b", clock.now_ms + 1000)
    assert evict(server, 1) == [b"b"]


def test_sieve_hand_keeps_visited_keys_in_place() -> None:
    server, clock = make_server("allkeys-sieve")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    db.lookup(b"a")
    db.lookup(b"c")
    # The hand starts at the tail (a): a is visited (kept, bit cleared), b is not: b goes.
    assert evict(server, 1) == [b"b"]
    server.config.set_value("maxmemory", "100mb")
    # It moves on from where it stopped: c visited (kept), d goes.
    assert evict(server, 1) == [b"d"]
    server.config.set_value("maxmemory", "100mb")
    db.set(b"e", b"v" * 10)
    # e came in at the head, ahead of the hand, unvisited: it goes before the hand wraps.
    assert evict(server, 1) == [b"e"]
    server.config.set_value("maxmemory", "100mb")
    # Wrapped to the tail: a and c lost their bits on the way; a is the oldest.
    assert evict(server, 1) == [b"a"]


def test_s3fifo_quick_demotion_ghost_and_main() -> None:
    server, clock = make_server("allkeys-s3fifo")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcdefghij")
    policy = db.policy
    db.lookup(b"a")  # read while in the small queue: promoted to main when S is trimmed
    assert evict(server, 1) == [b"b"]  # a moves to M, b (never read) leaves, its name to the ghost
    assert list(policy.main) == [b"a"] and list(policy.ghost) == [b"b"]
    server.config.set_value("maxmemory", "100mb")
    db.set(b"b", b"v" * 10)  # back while remembered: straight into M
    assert list(policy.main) == [b"a", b"b"] and b"b" not in policy.ghost
    assert evict(server, 1) == [b"c"]


def test_s3fifo_main_reinserts_while_frequency_lasts() -> None:
    server, clock = make_server("allkeys-s3fifo")
    db = fill(server, clock, "abc")
    server.config.set_value("maxmemory", "100mb")  # chosen with keys present: they start in M
    db.lookup(b"a")
    assert evict(server, 1) == [b"b"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"c"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"a"]


def test_tinylfu_sketch_counts_halves_and_grows_without_losing_estimates() -> None:
    sketch = Sketch()
    for _ in range(7):
        sketch.add(b"hot")
    sketch.add(b"cold")
    assert (sketch.estimate(b"hot"), sketch.estimate(b"cold"), sketch.estimate(b"never")) == (7, 1, 0)
    for _ in range(60):
        sketch.add(b"hot")
    assert sketch.estimate(b"hot") == 63  # counters saturate at COUNTER_MAX
    sketch.grow()
    assert sketch.width == 128 and (sketch.estimate(b"hot"), sketch.estimate(b"cold")) == (63, 1)
    sketch.added = sketch.period - 1
    sketch.add(b"cold")  # the period's last access: every counter halves (TinyLFU's reset)
    assert (sketch.estimate(b"hot"), sketch.estimate(b"cold")) == (31, 1)


def test_tinylfu_rejects_a_newcomer_less_popular_than_the_victim() -> None:
    server, clock = make_server("allkeys-tinylfu")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    policy = db.policy
    for key in (b"a", b"b", b"c"):
        db.lookup(key)
    policy.newcomers.clear()  # a-d are established; d was never read
    db.set(b"x", b"v" * 10)  # a one-hit wonder
    assert list(policy.newcomers) == [b"x"]
    assert evict(server, 1) == [b"x"]  # estimate 1 against d's 1: the incumbent stays (ties keep it)
    server.config.set_value("maxmemory", "100mb")
    for _ in range(3):
        db.lookup(b"d")
    db.set(b"x", b"v" * 10)
    db.lookup(b"x")  # x was seen before its eviction: 3 accesses in the sketch now
    assert evict(server, 1) == [b"a"]  # x (3) beats the coldest incumbent, a (2): a goes


def test_tinylfu_main_victim_is_the_least_frequent_and_remembers_evicted_keys() -> None:
    server, clock = make_server("allkeys-tinylfu")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abc")
    policy = db.policy
    policy.newcomers.clear()
    for key, reads in ((b"a", 3), (b"b", 1), (b"c", 2)):
        for _ in range(reads):
            db.lookup(key)
    assert evict(server, 1) == [b"b"]
    assert policy.sketch.estimate(b"b") == 2  # frequency outlives the key
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"c"]


def test_tinylfu_volatile_only_evicts_keys_with_ttl() -> None:
    server, clock = make_server("volatile-tinylfu")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    db.set_expire(b"c", clock.now_ms + 100_000)
    db.set_expire(b"d", clock.now_ms + 100_000)
    db.lookup(b"d")
    assert evict(server, 1) == [b"c"]
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"d"]
    server.config.set_value("maxmemory", "100mb")
    limit_to(server, 1)
    assert not server.evictor.perform_evictions()  # a and b have no TTL


def test_tinylfu_switch_at_runtime_keeps_keys_and_evicts_by_frequency() -> None:
    server, clock = make_server("allkeys-lru")
    db = fill(server, clock, "abc")
    server.config.set_value("maxmemory", "100mb")
    server.config.set_value("maxmemory-policy", "allkeys-tinylfu")
    assert type(db) is PolicyDatabase and sorted(db.data) == [b"a", b"b", b"c"]
    assert not db.policy.newcomers  # keys held when the policy was chosen are established
    db.lookup(b"a")
    db.lookup(b"c")
    assert evict(server, 1) == [b"b"]
    server.config.set_value("maxmemory-policy", "allkeys-lru")
    assert type(db) is EvictingDatabase and sorted(db.data) == [b"a", b"c"]


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_switching_policies_keeps_every_key(policy: str) -> None:
    server, clock = make_server("allkeys-lru")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcdefgh")
    db.set_expire(b"a", clock.now_ms + 10_000)
    for name in (policy, "allkeys-lfu", policy, "allkeys-lru"):
        server.config.set_value("maxmemory-policy", name)
        assert sorted(db.data) == [c.encode() for c in "abcdefgh"]
        db.lookup(b"h")
    server.config.set_value("maxmemory-policy", policy)
    if policy != "noeviction":
        assert len(evict(server, 1)) == 1


def test_switch_to_lfu_starts_counters_fresh_and_back_restamps() -> None:
    server, clock = make_server("allkeys-lru")
    db = fill(server, clock, "ab")
    server.config.set_value("maxmemory-policy", "allkeys-lfu")
    assert type(db) is PolicyDatabase  # LFU keeps counters even without maxmemory, as Redis
    assert server.keyspace.object_freq(db, b"a") == 5
    server.config.set_value("maxmemory-policy", "allkeys-lru")
    assert type(db) is Database
    assert db.lru[b"a"] == clock.lru


def test_noeviction_reports_failure() -> None:
    server, clock = make_server("noeviction")
    fill(server, clock, "abc")
    limit_to(server, 1)
    assert not server.evictor.perform_evictions()
    assert len(server.keyspace.dbs[0]) == 3


def test_eviction_event_stat_and_watch() -> None:
    server, clock = make_server("allkeys-fifo")
    ks = server.keyspace
    published: list[tuple[bytes, bytes]] = []
    ks.publish = lambda channel, message: published.append((channel, message)) or 1
    ks.notify_flags = ev.KEYEVENT | ev.EVICTED
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "ab")

    class Watcher:
        dirty_cas = False
        watched = {(db, b"a"): False}

    db.watched[b"a"] = [Watcher]
    removed = db.removed
    assert evict(server, 1) == [b"a"]
    assert published == [(b"__keyevent@0__:evicted", b"a")]
    assert ks.evicted_keys == 1
    assert Watcher.dirty_cas
    assert db.removed == removed + 1


def test_evicts_across_databases_in_turn() -> None:
    server, clock = make_server("allkeys-lru")
    server.config.set_value("maxmemory", "100mb")
    a, b = server.keyspace.dbs[0], server.keyspace.dbs[1]
    for i in range(4):
        a.set(b"a%d" % i, b"v" * 10)
        b.set(b"b%d" % i, b"v" * 10)
    per_key = a.used // 4
    server.config.set_value("maxmemory", str(server.evictor.used_memory() - 2 * per_key + 1))
    assert server.evictor.perform_evictions()
    assert (len(a), len(b)) == (3, 3)


def test_big_write_evicted_in_batches_then_by_cron() -> None:
    server, clock = make_server("allkeys-random")
    db = server.keyspace.dbs[0]
    for i in range(3000):
        db.set(b"k%d" % i, b"v" * 10)
    server.config.set_value("maxmemory", str(server.evictor.used_memory() - (db.used * 2) // 3))
    assert server.evictor.perform_evictions(batch=500)  # still over, but running: the command may go
    assert len(db) == 2500
    for _ in range(4):
        server.evictor.cron()
    assert server.evictor.used_memory() <= server.config["maxmemory"]


def test_eviction_loop_accounts_as_remove_does() -> None:
    """The eviction loop writes ``_remove`` out: every kind of value and TTL leaves no charge behind."""
    from cacheserver.types.hash import Hash

    server, clock = make_server("allkeys-random")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcdef")
    db.replace_value(b"b", 12345)
    db.replace_value(b"c", bytearray(b"raw"))
    h = Hash()
    h[b"f"] = b"v" * 50
    db.set(b"d", h)
    db.set_expire(b"a", clock.now_ms + 10_000)
    db.set_expire(b"d", clock.now_ms + 10_000)
    removed = db.removed
    server.config.set_value("maxmemory", "1")
    assert not server.evictor.perform_evictions()  # everything went, still over the baseline
    assert (db.data, db.expires, db.lru, db.charged) == ({}, {}, {}, {})
    assert db.used == 0
    assert db.removed == removed + 6
    assert server.keyspace.evicted_keys == 6


def test_lru_passes_over_a_victim_read_after_it_was_ranked() -> None:
    server, clock = make_server("allkeys-lru")
    db = fill(server, clock, "abcde")
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"a"]  # b..e are ranked next, b first
    db.lookup(b"b")  # read since: no longer the idlest
    server.config.set_value("maxmemory", "100mb")
    assert evict(server, 1) == [b"c"]


def test_hooked_policy_forgets_evicted_keys() -> None:
    server, clock = make_server("allkeys-lfu")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "abcd")
    gone = evict(server, 2)
    assert len(gone) == 2
    assert sorted(db.policy.members) == sorted(db.data)


def test_evicting_a_stream_wakes_its_blocked_readers() -> None:
    server, clock = make_server("allkeys-random")
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, "a")
    db.blocking_keys[b"a"] = {}
    assert evict(server, 1) == [b"a"]
    assert (db, b"a") in server.keyspace.ready_keys


def test_no_event_built_when_evicted_events_are_off() -> None:
    server, clock = make_server("allkeys-lru")
    ks = server.keyspace
    published: list[tuple[bytes, bytes]] = []
    ks.publish = lambda channel, message: published.append((channel, message)) or 1
    ks.notify_flags = ev.KEYEVENT | ev.EXPIRED  # events on, but not the evicted class
    server.config.set_value("maxmemory", "100mb")
    fill(server, clock, "abc")
    assert len(evict(server, 2)) == 2
    assert published == []
    assert ks.evicted_keys == 2


def test_gate_evicts_before_each_write_of_a_full_cache() -> None:
    """One key in, one key out: the gate evicts as much as the write before it added."""
    server, clock = make_server("allkeys-lru", samples=5)
    server.config.set_value("maxmemory", "100mb")
    db = fill(server, clock, ["k%03d" % i for i in range(200)], step_ms=0)
    limit_to(server, 0)
    before = server.keyspace.evicted_keys
    for i in range(300):
        db.set(b"n%03d" % i, b"v" * 10)
        assert server.evictor.perform_evictions()
        assert server.evictor.used_memory() <= server.config["maxmemory"]
    assert server.keyspace.evicted_keys - before == 300
    assert len(db) == 200
