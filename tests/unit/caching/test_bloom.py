"""Bloom filters (local, fixed and scalable) and the penetration guard, on the in-memory backend."""

from __future__ import annotations

import asyncio
import random
import warnings

import pytest

from cacheserver.caching import Cache, ReadThrough
from cacheserver.caching.bloom import (
    MAX_BITS,
    BloomCapacityWarning,
    BloomFilter,
    ScalableBloomFilter,
    config_string,
    filter_keys,
    hash_pair,
    optimal_bits,
    optimal_hashes,
    plan,
    positions,
)
from cacheserver.caching.guard import NOT_FOUND, BloomGuard, bloom_guard


def _probes(n: int, seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    return [f"absent:{rng.getrandbits(64):016x}" for _ in range(n)]


# -- sizing ------------------------------------------------------------------------------------------------------
def test_sizing_formula_values() -> None:
    # m = ceil(-n ln p / (ln 2)^2): 9585.06 -> 9586 bits (9.59 bits a key at 1%); k = round(9.586 ln 2) = 7
    assert optimal_bits(1000, 0.01) == 9586 and optimal_hashes(9586, 1000) == 7
    assert optimal_bits(1_000_000, 0.001) == 14_377_588 and optimal_hashes(14_377_588, 1_000_000) == 10
    assert optimal_bits(100_000, 0.01) == 958_506
    assert optimal_bits(10, 0.5) == 15 and optimal_hashes(15, 10) == 1
    f = BloomFilter(1000, 0.01)
    assert (f.num_bits, f.num_hashes, f.nbytes) == (9586, 7, 1199)  # ceil(9586 / 8) bytes
    for bad in ((0, 0.01), (10, 0.0), (10, 1.0)):
        with pytest.raises(ValueError):
            optimal_bits(*bad)


def test_scalable_plan_grows_capacity_and_tightens_error_rate() -> None:
    specs = plan(1000, 0.01, scalable=True)
    assert [(s.capacity, s.error_rate, s.bits, s.hashes, s.warn_at) for s in specs[:3]] == [
        (1000, 0.01, 9586, 7, 800), (2000, 0.005, 22056, 8, 1600), (4000, 0.0025, 49882, 9, 3200)]
    assert [(s.first_byte, s.end_byte) for s in specs[:3]] == [(0, 1199), (1199, 3956), (3956, 10192)]
    assert len(specs) == 17 and specs[-1].end_byte * 8 <= MAX_BITS
    assert plan(1000, 0.01) == specs[:1]
    assert config_string(1000, 0.01, False, 2.0, 0.5) == "bloom1 fixed 1000 0.01"
    assert config_string(1000, 0.01, True, 2.0, 0.5) == "bloom1 scalable 1000 0.01 2.0 0.5"
    with pytest.raises(ValueError):
        plan(10**9, 1e-9)  # more than 512 MiB
    with pytest.raises(ValueError):
        filter_keys("")


# -- hashing and layout ------------------------------------------------------------------------------------------
def test_hash_pair_and_positions_are_fixed() -> None:
    # The layout is shared with the server and with filters saved earlier: these values must never change.
    assert hash_pair("a") == hash_pair(b"a") == (1501271296669833, 1471457155516762)
    assert positions(*hash_pair("user:42"), 9586, 7) == [5824, 4813, 3803, 2795, 1790, 789, 9379]
    assert hash_pair("é") == hash_pair("é".encode())


def test_bits_are_set_in_setbit_order() -> None:
    f = BloomFilter(1000, 0.01)
    assert f.add("user:42") is True
    expected = bytearray(f.nbytes)
    for pos in positions(*hash_pair("user:42"), f.num_bits, f.num_hashes):
        expected[pos // 8] |= 0x80 >> (pos % 8)  # bit 0 is the most significant bit of byte 0
    assert f.to_bytes() == bytes(expected)
    assert f.add("user:42") is False and f.count == 1 and len(f) == 1
    assert "user:42" in f and f.might_contain(b"user:42") and "user:43" not in f


# -- accuracy ----------------------------------------------------------------------------------------------------
def test_no_false_negatives_on_100k_keys() -> None:
    f = BloomFilter(100_000, 0.01)
    keys = [f"item:{i}" for i in range(100_000)]
    with pytest.warns(BloomCapacityWarning, match="80000 of 100000"):
        assert f.add_many(keys) == f.count
    assert all(k in f for k in keys)
    assert f.count == 99_829  # 171 new keys found all their bits set already: not counted


def test_false_positive_rate_at_capacity_within_1_1x() -> None:
    f = BloomFilter(20_000, 0.01)
    with pytest.warns(BloomCapacityWarning):
        f.add_many(f"item:{i}" for i in range(20_000))
    probes = _probes(200_000)
    fpr = sum(1 for k in probes if k in f) / len(probes)
    assert 0.005 < fpr <= 0.011
    assert f.count == 19_970 and f.fill_ratio == 0.9985
    assert 0.517 < f.saturation < 0.519  # 1 - e^(-kn/m) with k = 7 rounded up from 6.64
    assert 0.0095 < f.expected_fpr() < 0.0101


def test_scalable_filter_at_twice_capacity_stays_within_2x() -> None:
    f = ScalableBloomFilter(10_000, 0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BloomCapacityWarning)
        f.add_many(f"item:{i}" for i in range(20_000))
    assert len(f.filters) == 2 and f.capacity == 30_000
    assert all(f"item:{i}" in f for i in range(20_000))
    probes = _probes(100_000)
    fpr = sum(1 for k in probes if k in f) / len(probes)
    assert fpr <= 0.02
    fixed = BloomFilter(10_000, 0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BloomCapacityWarning)
        fixed.add_many(f"item:{i}" for i in range(20_000))
    assert sum(1 for k in probes if k in fixed) / len(probes) > 0.1  # what scaling avoids


# -- the 80% warning ---------------------------------------------------------------------------------------------
def test_fixed_filter_warns_once_at_80_percent() -> None:
    f = BloomFilter(10, 0.01, name="ids")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(7):
            assert f.add(f"k{i}")
    with pytest.warns(BloomCapacityWarning, match=r"bloom filter 'ids' is 80% full \(8 of 10 keys\); past capacity"):
        f.add("k7")
    assert f.count == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f.add_many(f"k{i}" for i in range(8, 30))  # degrading, but warned once
    assert f.count > 10


def test_scalable_filter_warns_per_sub_filter_and_grows() -> None:
    f = ScalableBloomFilter(10, 0.01, name="ids")
    with pytest.warns(BloomCapacityWarning) as record:
        for i in range(30):
            f.add(f"k{i}")
    messages = [str(w.message) for w in record]
    assert messages[0] == ("sub-filter 0 of bloom filter 'ids' is 80% full (8 of 10 keys); "
                           "a sub-filter of capacity 20 follows at capacity")
    assert messages[1].startswith("sub-filter 1 of bloom filter 'ids' is 80% full (16 of 20 keys)")
    assert len(f.filters) == 3 and f.filters[0].count == 10 and f.filters[1].count == 20
    assert f.count == 10 + 20 + f.filters[2].count and f.capacity == 70
    assert f.fill_ratio == f.filters[2].count / 40


def test_round_trip_through_bytes() -> None:
    f = BloomFilter(500, 0.01)
    f.add_many(f"k{i}" for i in range(300))
    g = BloomFilter.from_bytes(f.to_bytes(), 500, 0.01, count=f.count)
    assert g.to_bytes() == f.to_bytes() and g.count == f.count and all(f"k{i}" in g for i in range(300))
    s = ScalableBloomFilter(100, 0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BloomCapacityWarning)
        s.add_many(f"k{i}" for i in range(400))
    t = ScalableBloomFilter.from_bytes(s.to_bytes(), 100, 0.01, count=s.filters[-1].count)
    assert len(t.filters) == 3 and t.to_bytes() == s.to_bytes() and t.count == s.count
    assert all(f"k{i}" in t for i in range(400))
    with pytest.raises(ValueError):
        BloomFilter.from_bytes(b"\0" * 2000, 500, 0.01)


# -- the guard ---------------------------------------------------------------------------------------------------
def test_guard_does_not_call_the_loader_for_absent_keys() -> None:
    bloom = BloomFilter(100, 0.01)
    bloom.add("7")
    calls = []

    def load_user(user_id: int) -> dict | None:
        calls.append(user_id)
        return {"id": user_id} if user_id == 7 else None

    guarded = BloomGuard(bloom, load_user)
    assert guarded(7) == {"id": 7}
    assert guarded(8) is None and guarded(user_id=9) is None
    assert calls == [7]
    assert guarded.stats.as_dict() == {"blocked": 2, "passed": 1, "false_positives": 0}
    assert guarded.__name__ == "load_user"

    sentinel = BloomGuard(bloom, load_user, key=lambda user_id: f"{user_id}", missing=NOT_FOUND)
    assert sentinel(8) is NOT_FOUND and calls == [7]
    with pytest.raises(TypeError):
        BloomGuard(bloom, lambda a, b: None)  # two arguments: which one is the key?


def test_guard_key_template_and_false_positive_count() -> None:
    bloom = BloomFilter(100, 0.01)
    bloom.add("org:1:user:2")

    @bloom_guard(bloom, key="org:{org}:user:{user}")
    def load(org: int, user: int) -> None:
        return None  # the store no longer has it: counted as a false positive of the filter

    assert load(1, 2) is None and load(1, 3) is None
    assert load.guard.stats.as_dict() == {"blocked": 1, "passed": 1, "false_positives": 1}


def test_async_guard_with_a_local_filter() -> None:
    bloom = BloomFilter(100, 0.01)
    bloom.add("1")
    calls = []

    @bloom_guard(bloom)
    async def load(item_id: int) -> str:
        calls.append(item_id)
        return f"item {item_id}"

    async def main() -> list:
        return [await load(1), await load(2)]

    assert asyncio.run(main()) == ["item 1", None] and calls == [1]


def test_guard_in_front_of_a_read_through(memory, clock) -> None:
    bloom = BloomFilter(100, 0.01)
    bloom.add("1")
    calls = []

    def load(item_id: int) -> str:
        calls.append(item_id)
        return f"item {item_id}"

    reads = ReadThrough(Cache(memory, clock=clock, ttl=60, beta=None), load, key="item:{item_id}")
    guarded = BloomGuard(bloom, reads, key=lambda item_id: str(item_id))
    assert guarded.loader is reads  # the read-through's attributes were not copied over the guard's
    memory.commands.clear()
    assert guarded(2) is None and memory.commands == {}  # blocked before the cache
    assert guarded(1) == "item 1" and guarded(1) == "item 1" and calls == [1]


def _penetration(memory, clock, *, negative: bool, bloom: bool) -> int:
    """Store queries for 20 reads of 2 existing and 2 absent IDs (each read 5 times)."""
    store = {1: "one", 2: "two"}
    queries = []

    def load(item_id: int) -> str | None:
        queries.append(item_id)
        return store.get(item_id)

    loader = load
    if bloom:
        f = BloomFilter(100, 0.01)
        f.add_many(str(k) for k in store)
        loader = BloomGuard(f, load)
    cache = Cache(memory, clock=clock, rng=random.Random(7), ttl=60, beta=None, lease_ms=None)
    policy = {"cache_none": True, "none_ttl": 5} if negative else {}
    reads = ReadThrough(cache, loader, key="item:{item_id}", **policy)
    for _ in range(5):
        for item_id in (1, 2, 1000, 1001):
            assert reads(item_id) == store.get(item_id)
    return len(queries)


@pytest.mark.parametrize(("negative", "bloom", "queries"), [
    (False, False, 2 + 10),  # each absent read reaches the store
    (True, False, 2 + 2),  # once per absent key and none_ttl
    (False, True, 2),  # the filter answers for absent keys
    (True, True, 2),
])
def test_four_configurations_count_store_queries(memory, clock, negative, bloom, queries) -> None:
    assert _penetration(memory, clock, negative=negative, bloom=bloom) == queries
