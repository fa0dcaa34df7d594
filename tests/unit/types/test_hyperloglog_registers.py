"""The HyperLogLog data structure: hashing, register packing, sparse opcodes, estimator accuracy.

Byte-for-byte agreement with Redis is proven in tests/integration/test_hyperloglog.py; these tests pin
the pieces (with values Redis's own code produces) and check the properties the format promises.
"""

from __future__ import annotations

import math
import random

from cacheserver.types import hyperloglog as H


def _sparse_of(elements: list[bytes], max_bytes: int = 3000) -> bytearray:
    hll = bytearray(H.EMPTY)
    for e in elements:
        assert H.add(hll, e, max_bytes) >= 0
    return hll


def _dense_of(elements: list[bytes]) -> bytearray:
    hll = bytearray(H.EMPTY)
    assert H.sparse_to_dense(hll)
    for e in elements:
        H.dense_add(hll, e)
    return hll


def _slow_get(hll: bytes | bytearray, index: int) -> int:
    """A register read straight from the bit layout (reference for the lane tricks)."""
    bits = int.from_bytes(hll[H.HDR_SIZE :], "little")
    return (bits >> (6 * index)) & 63


def test_pat_len_matches_redis() -> None:
    # (register, run) pairs read back from Redis 7.0 with PFDEBUG GETREG after PFADD of one element.
    assert H.pat_len(b"") == (5938, 2)
    assert H.pat_len(b"a") == (12711, 2)
    assert H.pat_len(b"hello") == (9216, 1)
    assert H.pat_len(b"12345678") == (10579, 3)
    assert H.pat_len(b"redis hyperloglog") == (2599, 1)
    assert H.pat_len(b"\x00\xff" * 9) == (7404, 1)


def test_murmurhash_blocks_and_tail_agree_with_a_reference() -> None:
    def reference(data: bytes, seed: int = H.HASH_SEED) -> int:
        m, mask = 0xC6A4A7935BD1E995, (1 << 64) - 1
        h = (seed ^ (len(data) * m)) & mask
        n8 = len(data) // 8 * 8
        for i in range(0, n8, 8):
            k = int.from_bytes(data[i : i + 8], "little")
            k = (k * m) & mask
            k ^= k >> 47
            k = (k * m) & mask
            h ^= k
            h = (h * m) & mask
        rest = data[n8:]
        for i in range(len(rest) - 1, -1, -1):
            h ^= rest[i] << (8 * i)
        if rest:
            h = (h * m) & mask
        h ^= h >> 47
        h = (h * m) & mask
        return h ^ (h >> 47)

    rng = random.Random(7)
    for n in list(range(0, 40)) + [64, 100, 1000]:
        data = bytes(rng.getrandbits(8) for _ in range(n))
        assert H.murmurhash64a(data) == reference(data)


def test_pat_len_counts_trailing_zeros_plus_one_with_sentinel() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        e = rng.getrandbits(64).to_bytes(8, "little")
        h = H.murmurhash64a(e)
        index, count = H.pat_len(e)
        assert index == h & 16383
        rest = h >> 14
        expected = 1
        while not rest & 1 and expected <= 50:
            rest >>= 1
            expected += 1
        assert count == expected
        assert 1 <= count <= 51


def test_dense_add_matches_generic_register_update() -> None:
    rng = random.Random(5)
    elements = [rng.randbytes(rng.randrange(0, 30)) for _ in range(20000)]
    fast = _dense_of(elements)
    regs = [0] * H.REGISTERS
    for e in elements:
        i, c = H.pat_len(e)
        regs[i] = max(regs[i], c)
    assert [_slow_get(fast, i) for i in range(H.REGISTERS)] == regs
    assert list(H.dense_to_raw(fast)) == regs


def test_register_packing_round_trip_and_neighbours_untouched() -> None:
    rng = random.Random(11)
    raw = bytes(rng.getrandbits(6) for _ in range(H.REGISTERS))
    hll = bytearray(H.EMPTY)
    H.sparse_to_dense(hll)
    hll[H.HDR_SIZE :] = H.raw_to_dense_registers(raw)
    assert bytes(H.dense_to_raw(hll)) == raw
    assert all(_slow_get(hll, i) == raw[i] for i in range(0, H.REGISTERS, 97))
    # The last register ends exactly at the last byte: raising it touches nothing beyond.
    before = bytes(hll)
    assert H.dense_set(hll, H.REGISTERS - 1, 63) == (raw[-1] < 63)
    assert len(hll) == H.DENSE_SIZE and hll[:-1] == before[:-1]
    assert H.dense_set(hll, 0, 0) == 0


def test_raw_max_is_registerwise_maximum() -> None:
    rng = random.Random(13)
    a = bytes(rng.getrandbits(6) for _ in range(H.REGISTERS))
    b = bytes(rng.getrandbits(6) for _ in range(H.REGISTERS))
    assert bytes(H.raw_max(a, b)) == bytes(max(x, y) for x, y in zip(a, b, strict=True))


def test_raw_histogram_counts_every_value() -> None:
    rng = random.Random(17)
    raw = bytes(min(63, int(rng.expovariate(0.4))) for _ in range(H.REGISTERS))
    expected = [0] * 64
    for v in raw:
        expected[v] += 1
    assert H.raw_histogram(raw) == expected
    assert H.raw_histogram(bytes(H.REGISTERS)) == [H.REGISTERS] + [0] * 63


def test_empty_hll_layout() -> None:
    assert H.EMPTY == b"HYLL\x01\x00\x00\x00" + bytes(8) + b"\x7f\xff"
    assert H.count(H.EMPTY) == 0
    assert H.decode_sparse(H.EMPTY) == "Z:16384"


def test_sparse_split_and_merge_opcodes() -> None:
    hll = bytearray(H.EMPTY)
    assert H.sparse_set(hll, 1000, 2, 3000) == 1
    assert H.decode_sparse(hll) == "Z:1000 v:2,1 Z:15383"
    assert H.sparse_set(hll, 1020, 3, 3000) == 1
    assert H.sparse_set(hll, 1021, 3, 3000) == 1
    # Adjacent VALs of one value are fused; short zero runs use the one-byte ZERO opcode.
    assert H.decode_sparse(hll) == "Z:1000 v:2,1 z:19 v:3,2 Z:15362"
    assert H.sparse_set(hll, 1020, 3, 3000) == 0
    assert H.sparse_set(hll, 1020, 1, 3000) == 0
    assert hll[15] & 0x80
    assert H.sparse_set(hll, 0, 5, 3000) == 1
    assert H.decode_sparse(hll).startswith("v:5,1 Z:999 v:2,1")


def test_sparse_promotes_on_big_value_and_on_size() -> None:
    hll = bytearray(H.EMPTY)
    H.sparse_set(hll, 10, 3, 3000)
    assert H.sparse_set(hll, 20, 33, 3000) == 1
    assert hll[4] == H.DENSE and len(hll) == H.DENSE_SIZE
    assert _slow_get(hll, 10) == 3 and _slow_get(hll, 20) == 33
    small = bytearray(H.EMPTY)
    assert H.sparse_set(small, 100, 1, 20) == 1  # 18 + 3 bytes would exceed 20
    assert small[4] == H.DENSE


def test_sparse_and_dense_agree() -> None:
    rng = random.Random(19)
    elements = [rng.randbytes(12) for _ in range(1500)]
    sparse = _sparse_of(elements, max_bytes=1 << 20)
    dense = _dense_of(elements)
    assert sparse[4] == H.SPARSE
    assert H.registers(sparse) == H.dense_to_raw(dense)
    assert H.count(sparse) == H.count(dense)
    assert H.sparse_to_dense(sparse)
    assert sparse[H.HDR_SIZE :] == dense[H.HDR_SIZE :]


def test_corrupted_sparse_is_reported() -> None:
    short = bytearray(H.EMPTY[:-2] + b"\x7f\xfe")  # XZERO:16383: one register missing
    assert H.sparse_histogram(short) is None
    assert H.registers(short) is None
    assert H.sparse_to_dense(short) is False
    too_long = bytearray(H.EMPTY + b"\x80")
    assert H.count(too_long) is None
    empty_body = bytearray(H.EMPTY[:16])
    assert H.sparse_set(empty_body, 5, 1, 3000) == -1


def test_merge_into_sparse_matches_sequential_sets() -> None:
    rng = random.Random(23)
    target = _sparse_of([rng.randbytes(8) for _ in range(300)])
    other = _sparse_of([rng.randbytes(8) for _ in range(300)])
    union = H.raw_max(H.registers(target), H.registers(other))
    expected = bytearray(target)
    for i in range(H.REGISTERS):
        if union[i]:
            H.sparse_set(expected, i, union[i], 3000)
    merged = bytearray(target)
    assert H.merge_into(merged, union, 3000) == 0
    assert merged == expected


def test_cached_cardinality_header() -> None:
    hll = bytearray(H.EMPTY)
    assert H.cached_cardinality(hll) == 0
    H.invalidate_cache(hll)
    assert H.cached_cardinality(hll) is None
    H.set_cached_cardinality(hll, 123456)
    assert H.cached_cardinality(hll) == 123456
    assert hll[8:16] == (123456).to_bytes(8, "little")


def test_is_hll_header_rules() -> None:
    assert H.is_hll(H.EMPTY)
    assert not H.is_hll(b"HYLL\x01\x00\x00")
    assert not H.is_hll(b"HYLX" + H.EMPTY[4:])
    assert not H.is_hll(b"HYLL\x02" + H.EMPTY[5:])
    assert not H.is_hll(b"HYLL\x00" + H.EMPTY[5:])  # dense must be exactly 12304 bytes
    assert H.is_hll(b"HYLL\x00" + bytes(H.DENSE_SIZE - 5))


def test_estimator_edge_values() -> None:
    assert H.estimate([H.REGISTERS] + [0] * 63) == 0
    all_one = [0, H.REGISTERS] + [0] * 62
    assert H.estimate(all_one) == round(H.ALPHA_INF * H.REGISTERS * H.REGISTERS / (H.REGISTERS / 2 + H.REGISTERS * H._tau(1.0)))


def test_standard_error_within_three_sigma() -> None:
    """Seeded data: the relative error at several cardinalities stays within 3 standard errors."""
    sigma = 1.04 / math.sqrt(H.REGISTERS)
    rng = random.Random(2024)
    hll = _dense_of([])
    n = 0
    errors = []
    for target in (1000, 10_000, 50_000, 200_000):
        while n < target:
            H.dense_add(hll, rng.getrandbits(64).to_bytes(8, "little"))
            n += 1
        est = H.count(hll)
        errors.append(abs(est - n) / n)
        assert abs(est - n) / n < 3 * sigma, (n, est)
    assert sum(errors) / len(errors) < 2 * sigma
