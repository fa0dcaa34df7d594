"""Bit helpers against straightforward bit-by-bit models of Redis's bitops.c and t_string.c LCS."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cacheserver.types.bitmap import (
    OVERFLOW_FAIL,
    OVERFLOW_SAT,
    OVERFLOW_WRAP,
    LcsTable,
    bitop,
    bitpos,
    count_bits,
    get_signed,
    get_unsigned,
    set_bits,
    signed_overflow,
    unsigned_overflow,
)

data_st = st.binary(max_size=12)
index_st = st.integers(min_value=-120, max_value=120)


def bits_of(data: bytes) -> list[int]:
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def clamp(start: int, end: int, total: int) -> tuple[int, int]:
    start = max(start + total if start < 0 else start, 0)
    end = max(end + total if end < 0 else end, 0)
    return start, min(end, total - 1)


def model_count(data: bytes, start: int, end: int, bit_unit: bool) -> int:
    if start < 0 and end < 0 and start > end:
        return 0
    total = len(data) * 8 if bit_unit else len(data)
    s, e = clamp(start, end, total)
    if s > e:
        return 0
    lo, hi = (s, e) if bit_unit else (s * 8, e * 8 + 7)
    return sum(bits_of(data)[lo : hi + 1])


def model_bitpos(data: bytes, bit: int, start: int | None, end: int | None, bit_unit: bool) -> int:
    bits = bits_of(data)
    if start is None:
        lo, hi = 0, len(bits) - 1
    else:
        total = len(bits) if bit_unit else len(data)
        s, e = clamp(start, total - 1 if end is None else end, total)
        if s > e:
            return -1
        lo, hi = (s, e) if bit_unit else (s * 8, e * 8 + 7)
    if hi < lo:
        return -1
    for i in range(lo, hi + 1):
        if bits[i] == bit:
            return i
    if bit == 0 and end is None:
        return (hi // 8 + 1) * 8
    return -1


@given(data_st, index_st, index_st, st.booleans())
def test_count_bits(data, start, end, bit_unit):
    assert count_bits(data, start, end, bit_unit) == model_count(data, start, end, bit_unit)
    assert count_bits(data) == sum(bits_of(data))


@given(data_st, st.integers(0, 1), st.one_of(st.none(), index_st), st.one_of(st.none(), index_st), st.booleans())
def test_bitpos(data, bit, start, end, bit_unit):
    if start is None:
        end = None
    if end is None:
        bit_unit = False  # Redis's syntax takes BIT/BYTE only after an end
    assert bitpos(data, bit, start, end, bit_unit) == model_bitpos(data, bit, start, end, bit_unit)


@given(data_st, st.integers(0, 100), st.integers(1, 64))
def test_get_bits(data, offset, bits):
    padded = bits_of(data) + [0] * (offset + bits)
    want = int("".join(map(str, padded[offset : offset + bits])), 2)
    assert get_unsigned(data, offset, bits) == want
    assert get_signed(data, offset, bits) == (want - (1 << bits) if want >> (bits - 1) else want)


@given(data_st, st.integers(0, 30), st.integers(1, 64), st.integers(-(2**63), 2**64 - 1))
def test_set_bits(data, offset, bits, value):
    buf = bytearray(data)
    need = (offset + bits + 7) // 8
    buf.extend(bytes(max(0, need - len(buf))))
    before = bits_of(bytes(buf))
    set_bits(buf, offset, bits, value)
    after = bits_of(bytes(buf))
    field = [int(c) for c in format(value & ((1 << bits) - 1), f"0{bits}b")]
    assert after == before[:offset] + field + before[offset + bits :]


def s64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def model_signed(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """checkSignedBitfieldOverflow, transcribed with explicit int64 wrap-arounds."""
    mx = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr, minincr = s64(mx - value), s64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        kind, sat = 1, mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        kind, sat = -1, mn
    else:
        return 0, 0
    if owtype == OVERFLOW_WRAP:
        c = (value + incr) & ((1 << 64) - 1)
        if bits < 64:
            c = c | (((1 << 64) - 1) << bits) if c >> (bits - 1) & 1 else c & ((1 << bits) - 1)
        return kind, s64(c)
    return kind, sat


@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1), st.integers(1, 64),
       st.sampled_from([OVERFLOW_WRAP, OVERFLOW_SAT]))  # fmt: skip
def test_signed_overflow(value, incr, bits, owtype):
    assert signed_overflow(value, incr, bits, owtype) == model_signed(value, incr, bits, owtype)


@given(st.integers(0, 2**63), st.integers(-(2**63), 2**63 - 1), st.integers(1, 63))
def test_unsigned_overflow_wrap_and_sat(value, incr, bits):
    mx = (1 << bits) - 1
    kind, limit = unsigned_overflow(value, incr, bits, OVERFLOW_WRAP)
    total = value + incr
    if value <= mx and 0 <= total <= mx:
        assert kind == 0
    else:
        assert kind != 0 and limit == total % (1 << bits)
        kind2, sat = unsigned_overflow(value, incr, bits, OVERFLOW_SAT)
        assert kind2 == kind and sat == (mx if kind > 0 else 0)
    assert unsigned_overflow(value, incr, bits, OVERFLOW_FAIL)[0] == kind


def test_bitop():
    assert bitop(b"AND", [b"\xff\x0f", b"\x0f"]) == b"\x0f\x00"
    assert bitop(b"OR", [b"\x01", None, b"\x10\x00\x01"]) == b"\x11\x00\x01"
    assert bitop(b"XOR", [b"ab", b"ab", b"c"]) == b"c\x00"
    assert bitop(b"NOT", [b"\x00\xf0"]) == b"\xff\x0f"
    assert bitop(b"AND", [None, b""]) == b""
    assert bitop(b"AND", [None, b"\xff"]) == b"\x00"


def model_lcs(a: bytes, b: bytes) -> tuple[int, bytes, list[tuple[int, int, int, int]]]:
    """The DP table and walk of lcsCommand, cell by cell."""
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            t[i][j] = t[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(t[i - 1][j], t[i][j - 1])
    i, j = len(a), len(b)
    out = bytearray()
    ranges = []
    arange_start = len(a)
    arange_end = brange_start = brange_end = 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            out.append(a[i - 1])
            if arange_start == len(a):
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            i -= 1
            j -= 1
        else:
            if t[i - 1][j] > t[i][j - 1]:
                i -= 1
            else:
                j -= 1
            if arange_start != len(a):
                emit = True
        if emit:
            ranges.append((arange_start, arange_end, brange_start, brange_end))
            arange_start = len(a)
    out.reverse()
    return t[len(a)][len(b)], bytes(out), ranges


small_text = st.lists(st.sampled_from(b"abc"), max_size=20).map(bytes)


@given(small_text, small_text)
def test_lcs_matches_model_small_alphabet(a, b):
    length, text, ranges = model_lcs(a, b)
    table = LcsTable(a, b)
    assert table.length == length
    assert table.walk() == (text, ranges)
    assert LcsTable(a, b, keep_rows=False).length == length


@given(st.binary(max_size=30), st.binary(max_size=30))
def test_lcs_matches_model(a, b):
    length, text, ranges = model_lcs(a, b)
    table = LcsTable(a, b)
    assert (table.length, *table.walk()) == (length, text, ranges)


def is_subsequence(small: bytes, big: bytes) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def test_lcs_walk_on_large_input():
    a = bytes(range(256)) * 12
    b = bytes(reversed(range(256))) * 12
    table = LcsTable(a, b)
    text, ranges = table.walk()
    assert table.length == len(text) == 23
    assert is_subsequence(text, a) and is_subsequence(text, b)
    assert sum(r[1] - r[0] + 1 for r in ranges) == len(text)
    assert all(a[r[0] : r[1] + 1] == b[r[2] : r[3] + 1] for r in ranges)
