"""TinyLFU's frequency sketch (conservative update) and its staleness cap, on a manual clock and a seeded
RNG: known access sequences evict exactly the expected keys."""

from __future__ import annotations

from zlib import crc32

from cacheserver.clock import ManualClock
from cacheserver.config import Config
from cacheserver.keyspace.eviction import tinylfu
from cacheserver.keyspace.eviction.tinylfu import Sketch
from cacheserver.keyspace.memory import key_usage
from cacheserver.server import Server


def make_server() -> tuple[Server, ManualClock]:
    config = Config()
    config.set_value("maxmemory-policy", "allkeys-tinylfu")
    config.set_value("maxmemory-samples", "16")  # more than the keys: every key is scored, choices exact
    clock = ManualClock()
    server = Server(config, clock)
    server.evictor.rng.seed(7)
    server.config.set_value("maxmemory", "100mb")
    return server, clock


def evict_one(server: Server) -> list[bytes]:
    db = server.keyspace.dbs[0]
    before = set(db.data)
    per_key = min(key_usage(k, v, False) for k, v in db.data.items())
    server.config.set_value("maxmemory", str(server.evictor.used_memory() - per_key + 1))
    assert server.evictor.perform_evictions()
    server.config.set_value("maxmemory", "100mb")
    return sorted(before - set(db.data))


def slots(sketch: Sketch, key: bytes) -> list[int]:
    h = crc32(key)
    step = ((h * 0x9E3779B1) >> 15) | 1
    return [r * sketch.width + ((h + r * step) & sketch.mask) for r in range(4)]


def test_conservative_update_leaves_a_counter_shared_with_a_more_frequent_key() -> None:
    sketch = Sketch()
    hot = b"hot"
    # A key sharing exactly one counter with "hot" (found by search: the hash is fixed, crc32).
    other = next(
        k for k in (b"k%d" % i for i in range(100_000)) if len(set(slots(sketch, k)) & set(slots(sketch, hot))) == 1
    )
    shared = (set(slots(sketch, other)) & set(slots(sketch, hot))).pop()
    for _ in range(5):
        sketch.add(hot)
    sketch.add(other)
    # other's minimum was 0: only its counters at 0 went up; the shared one stays at hot's 5.
    assert sketch.table[shared] == 5
    assert (sketch.estimate(hot), sketch.estimate(other)) == (5, 1)
    sketch.add(other)
    assert (sketch.table[shared], sketch.estimate(other)) == (5, 2)


def test_sketch_width_and_halving_period_follow_the_keys_held() -> None:
    server, clock = make_server()
    db = server.keyspace.dbs[0]
    for i in range(100):
        db.set(b"key:%d" % i, b"v")
    sketch = db.policy.sketch
    assert sketch.width == 1024  # the power of two at least WIDTH_FACTOR (8) x 100 keys
    assert sketch.period == tinylfu.AGING * 1024 == 8192


def test_idle_popular_key_is_capped_and_evicted_before_a_less_popular_recent_one() -> None:
    server, clock = make_server()
    db = server.keyspace.dbs[0]
    for key in (b"a", b"b", b"c"):
        db.set(key, b"v" * 10)
    policy = db.policy
    policy.newcomers.clear()  # a, b, c are established
    for _ in range(9):
        db.lookup(b"a")  # a: 10 accesses, the last at tick 12
    for _ in range(300):
        db.lookup(b"c")  # c: saturates at 63
    for _ in range(3):
        db.lookup(b"b")  # b: 4 accesses, the last just now (tick 315)
    assert policy.tick == 315 and policy.last[b"a"] == 12
    assert policy.sketch.period == 512 and policy.sketch.added == 315  # no halving yet
    # a's history says 10, but it has been idle 304 accesses: at most 2 * 512 // 304 = 3 per period.
    assert policy.sketch.estimate(b"a") == 10
    assert [policy.worth(k) for k in (b"a", b"b", b"c")] == [3, 4, 63]
    assert evict_one(server) == [b"a"]
    assert b"a" not in policy.last and sorted(policy.last) == [b"b", b"c"]


def test_a_key_read_again_is_worth_its_full_estimate() -> None:
    server, clock = make_server()
    db = server.keyspace.dbs[0]
    for key in (b"a", b"b"):
        db.set(key, b"v" * 10)
    policy = db.policy
    policy.newcomers.clear()
    for _ in range(5):
        db.lookup(b"a")
    for _ in range(300):
        db.lookup(b"b")
    assert policy.worth(b"a") == 2 * 512 // 301  # 3: capped while idle
    db.lookup(b"a")
    assert policy.worth(b"a") == 7  # read again: the sketch's estimate, uncapped
    assert evict_one(server) == [b"a"]  # still the less frequent of the two


def test_only_a_miss_on_a_key_the_sketch_counts_is_a_remiss() -> None:
    server, clock = make_server()
    db = server.keyspace.dbs[0]
    policy = db.policy
    db.set(b"a", b"v")
    db.set(b"b", b"v")
    assert policy.remisses == 0  # first sightings: a scan's misses look like these
    db.delete(b"a")
    db.set(b"a", b"v")  # a came back after leaving: counted before
    assert policy.remisses == 1


def test_shift_detector_halves_the_sketch_when_remisses_more_than_double() -> None:
    server, clock = make_server()
    db = server.keyspace.dbs[0]
    policy = db.policy
    db.set(b"hot", b"v")
    for _ in range(39):
        db.lookup(b"hot")
    assert policy.sketch.estimate(b"hot") == 40
    policy.ema = 0.01
    policy.checked = policy.tick - 1000
    policy.remisses = 15  # 0.015 per access: 1.5x the average, noise
    policy._detect_shift()
    assert policy.sketch.estimate(b"hot") == 40 and policy.ema == (3 * 0.01 + 0.015) / 4
    policy.checked = policy.tick - 1000
    policy.remisses = 30  # 0.030: more than twice 0.01125, the popular set moved
    policy._detect_shift()
    assert policy.sketch.estimate(b"hot") == 20 and policy.sketch.added == 0 and policy.ema == 0.03
    assert (policy.checked, policy.remisses) == (policy.tick, 0)
