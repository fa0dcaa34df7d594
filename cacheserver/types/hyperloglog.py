"""HyperLogLog in Redis's exact string format: hashing, sparse and dense registers, the Ertl estimator.

An HLL is a string value (``bytearray`` here, edited in place) laid out as Redis lays it out, so the
bytes GET returns, restores and replicates are interchangeable with Redis 7.0's:

    "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality (8 bytes, little
    endian; the top bit of the last byte set = stale) | registers

- dense: 16384 six-bit registers packed LSB first, 12288 bytes. Register ``i`` starts at bit ``6*i``;
  when that bit offset within its byte is 0 or 2 the register lies in one byte, at 4 or 6 it spans two.
- sparse: run-length opcodes. ZERO ``00xxxxxx`` (1..64 zero registers), XZERO ``01xxxxxx yyyyyyyy``
  (1..16384 zero registers), VAL ``1vvvvvxx`` (value 1..32 repeated 1..4 times).

Rules: every mutation follows Redis's algorithm step by step (which opcode is split how, which adjacent
VALs are merged, when the value is promoted to dense), because the resulting bytes are observable.
Functions that can meet a corrupted sparse value report it (-1 / None / False) instead of raising; the
command layer turns that into INVALIDOBJ. This module knows nothing of keys, clients or replies.

Speed: an add to a dense HLL is a pure-Python MurmurHash64A plus one or two byte updates. Whole-register
work (histograms, merges, conversions) never loops over 16384 registers in Python: the 12288 packed bytes
are split into the three byte lanes of each 4-register group with extended slices, each lane is
reshaped with ``bytes.translate``, and lanes are combined with big-integer OR/AND/subtract, which act on
all 4096 byte lanes at once because no lane ever carries into its neighbour.
"""

from __future__ import annotations

import math
import re
from collections import Counter

HLL_P = 14
HLL_Q = 64 - HLL_P
REGISTERS = 1 << HLL_P
P_MASK = REGISTERS - 1
HDR_SIZE = 16
DENSE_BYTES = REGISTERS * 6 // 8
DENSE_SIZE = HDR_SIZE + DENSE_BYTES
DENSE = 0
SPARSE = 1
MAX_ENCODING = 1
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
HASH_SEED = 0xADC83B19

_M = 0xC6A4A7935BD1E995
_MASK64 = 0xFFFFFFFFFFFFFFFF
_SENTINEL = 1 << HLL_Q

_NONZERO = re.compile(rb"[^\x00]")

# An empty HLL: sparse, cached cardinality 0 (valid), one XZERO covering all registers.
EMPTY = b"HYLL\x01\x00\x00\x00" + bytes(8) + bytes(((REGISTERS - 1) >> 8 | 0x40, (REGISTERS - 1) & 0xFF))


# -- hashing -------------------------------------------------------------------------------------------


def murmurhash64a(data: bytes, seed: int = HASH_SEED) -> int:
    """MurmurHash2 64-bit (Redis's endian-neutral variant): blocks and tail read little endian."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK64
    tail = n & ~7
    for i in range(0, tail, 8):
        k = int.from_bytes(data[i : i + 8], "little") * _M & _MASK64
        k = (k ^ (k >> 47)) * _M & _MASK64
        h = (h ^ k) * _M & _MASK64
    if n & 7:
        h = (h ^ int.from_bytes(data[tail:], "little")) * _M & _MASK64
    h = (h ^ (h >> 47)) * _M & _MASK64
    return h ^ (h >> 47)


def pat_len(ele: bytes) -> tuple[int, int]:
    """(register index, run length) of an element: the low 14 hash bits pick the register; the count is
    the position of the first 1 bit among the other 50 (bit 50 set as a sentinel, so 1..51)."""
    h = murmurhash64a(ele)
    x = (h >> HLL_P) | _SENTINEL
    return h & P_MASK, (x & -x).bit_length()


# -- header --------------------------------------------------------------------------------------------


def is_hll(v: bytes | bytearray) -> bool:
    """Redis's isHLLObjectOrReply test on a string value's bytes (only the header is checked)."""
    return (
        len(v) >= HDR_SIZE
        and v[:4] == b"HYLL"
        and v[4] <= MAX_ENCODING
        and (v[4] != DENSE or len(v) == DENSE_SIZE)
    )


def cached_cardinality(hll: bytes | bytearray) -> int | None:
    """The cached cardinality, or None when the value was modified since it was computed."""
    if hll[15] & 0x80:
        return None
    return int.from_bytes(hll[8:16], "little")


def set_cached_cardinality(hll: bytearray, card: int) -> None:
    hll[8:16] = card.to_bytes(8, "little")


def invalidate_cache(hll: bytearray) -> None:
    hll[15] |= 0x80


# -- dense ---------------------------------------------------------------------------------------------


def dense_set(hll: bytearray, index: int, count: int) -> int:
    """Raise register ``index`` to ``count`` if it is lower; 1 if it changed."""
    pos = HDR_SIZE + (index * 6 >> 3)
    fb = index * 6 & 7
    if fb <= 2:
        b = hll[pos]
        if count > (b >> fb) & 63:
            hll[pos] = (b & ~(63 << fb)) | (count << fb)
            return 1
        return 0
    w = hll[pos] | hll[pos + 1] << 8
    if count > (w >> fb) & 63:
        w = (w & ~(63 << fb)) | (count << fb)
        hll[pos] = w & 0xFF
        hll[pos + 1] = w >> 8
        return 1
    return 0


def dense_add(hll: bytearray, ele: bytes) -> int:
    """PFADD of one element to a dense HLL: the hash and register update inlined (the hot path)."""
    n = len(ele)
    h = (HASH_SEED ^ (n * _M)) & _MASK64
    tail = n & ~7
    for i in range(0, tail, 8):
        k = int.from_bytes(ele[i : i + 8], "little") * _M & _MASK64
        k = (k ^ (k >> 47)) * _M & _MASK64
        h = (h ^ k) * _M & _MASK64
    if n & 7:
        h = (h ^ int.from_bytes(ele[tail:], "little")) * _M & _MASK64
    h = (h ^ (h >> 47)) * _M & _MASK64
    h ^= h >> 47
    x = (h >> HLL_P) | _SENTINEL
    count = (x & -x).bit_length()
    index = h & P_MASK
    pos = HDR_SIZE + (index * 6 >> 3)
    fb = index * 6 & 7
    if fb <= 2:
        b = hll[pos]
        if count > (b >> fb) & 63:
            hll[pos] = (b & ~(63 << fb)) | (count << fb)
            return 1
        return 0
    w = hll[pos] | hll[pos + 1] << 8
    if count > (w >> fb) & 63:
        w = (w & ~(63 << fb)) | (count << fb)
        hll[pos] = w & 0xFF
        hll[pos + 1] = w >> 8
        return 1
    return 0


def _table(f) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(f(b) & 0xFF for b in range(256))


# Lane reshaping tables. A group of 3 packed bytes b0 b1 b2 holds registers r0..r3:
# r0 = b0 & 63, r1 = b0 >> 6 | (b1 & 15) << 2, r2 = b1 >> 4 | (b2 & 3) << 4, r3 = b2 >> 2.
_LOW6 = _table(lambda b: b & 63)
_SHR6 = _table(lambda b: b >> 6)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_SHR4 = _table(lambda b: b >> 4)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_SHR2 = _table(lambda b: b >> 2)
# ... and back: b0 = r0 | (r1 & 3) << 6, b1 = r1 >> 2 | (r2 & 15) << 4, b2 = r2 >> 4 | r3 << 2.
_LOW2_SHL6 = _table(lambda b: (b & 3) << 6)
_SHR2_6 = _table(lambda b: (b & 63) >> 2)
_LOW4_SHL4 = _table(lambda b: (b & 15) << 4)
_SHR4_6 = _table(lambda b: (b & 63) >> 4)
_SHL2 = _table(lambda b: (b & 63) << 2)

_GROUPS = REGISTERS // 4


def _or_lanes(a: bytes, b: bytes) -> bytes:
    """Bytewise OR of two equal-length byte strings whose set bits never overlap."""
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _dense_lanes(hll: bytes | bytearray) -> tuple[bytes, bytes, bytes, bytes]:
    """Registers 4k, 4k+1, 4k+2 and 4k+3 of a dense HLL as four 4096-byte strings."""
    packed = bytes(hll[HDR_SIZE:DENSE_SIZE])
    b0, b1, b2 = packed[0::3], packed[1::3], packed[2::3]
    return (
        b0.translate(_LOW6),
        _or_lanes(b0.translate(_SHR6), b1.translate(_LOW4_SHL2)),
        _or_lanes(b1.translate(_SHR4), b2.translate(_LOW2_SHL4)),
        b2.translate(_SHR2),
    )


def dense_to_raw(hll: bytes | bytearray) -> bytearray:
    """The 16384 registers of a dense HLL, one byte each."""
    raw = bytearray(REGISTERS)
    raw[0::4], raw[1::4], raw[2::4], raw[3::4] = _dense_lanes(hll)
    return raw


def raw_to_dense_registers(raw: bytes | bytearray) -> bytearray:
    """Pack 16384 one-byte registers (values taken modulo 64) into the dense 12288-byte layout."""
    raw = bytes(raw)
    r0, r1, r2, r3 = raw[0::4], raw[1::4], raw[2::4], raw[3::4]
    packed = bytearray(DENSE_BYTES)
    packed[0::3] = _or_lanes(r0.translate(_LOW6), r1.translate(_LOW2_SHL6))
    packed[1::3] = _or_lanes(r1.translate(_SHR2_6), r2.translate(_LOW4_SHL4))
    packed[2::3] = _or_lanes(r2.translate(_SHR4_6), r3.translate(_SHL2))
    return packed


_LANE_HIGH = int.from_bytes(b"\x80" * REGISTERS, "little")
_LANE_LOW = int.from_bytes(b"\x01" * REGISTERS, "little")
_LANE_ALL = (1 << (8 * REGISTERS)) - 1


def raw_max(a: bytes | bytearray, b: bytes | bytearray) -> bytearray:
    """Registerwise maximum of two raw register arrays (values below 128), without a Python loop.

    Per lane, (a | 0x80) - b keeps its 0x80 bit exactly when a >= b and never borrows from the next
    lane; that bit, spread to a full-lane mask, selects a or b.
    """
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = (((x | _LANE_HIGH) - y) >> 7) & _LANE_LOW
    mask = ge * 0xFF
    return bytearray(((x & mask) | (y & ~mask & _LANE_ALL)).to_bytes(REGISTERS, "little"))


# -- sparse --------------------------------------------------------------------------------------------


def _val(value: int, runlen: int) -> int:
    return ((value - 1) << 2 | (runlen - 1)) | 0x80


def _zero_run(length: int) -> bytes:
    """A run of zero registers as one ZERO or XZERO opcode, as Redis splits them."""
    if length > SPARSE_ZERO_MAX_LEN:
        n = length - 1
        return bytes((n >> 8 | 0x40, n & 0xFF))
    return bytes((length - 1,))


def sparse_to_dense(hll: bytearray) -> bool:
    """Convert a sparse HLL to dense in place (header kept); False if the sparse data is corrupted."""
    if hll[4] == DENSE:
        return True
    raw = sparse_to_raw(hll)
    if raw is None:
        return False
    hll[4] = DENSE
    hll[HDR_SIZE:] = raw_to_dense_registers(raw)
    return True


def sparse_to_raw(hll: bytes | bytearray) -> bytearray | None:
    """The registers of a sparse HLL, one byte each; None if the opcodes do not cover exactly 16384."""
    raw = bytearray(REGISTERS)
    idx = 0
    p = HDR_SIZE
    end = len(hll)
    while p < end:
        b = hll[p]
        if b < 0x40:
            idx += b + 1
            p += 1
        elif b < 0x80:
            idx += ((b & 0x3F) << 8 | (hll[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            runlen = (b & 3) + 1
            if idx + runlen > REGISTERS or idx < 0:
                return None
            value = ((b >> 2) & 0x1F) + 1
            raw[idx : idx + runlen] = bytes((value,)) * runlen
            idx += runlen
            p += 1
    if idx != REGISTERS:
        return None
    return raw


def sparse_histogram(hll: bytes | bytearray) -> list[int] | None:
    """Register-value histogram of a sparse HLL; None if the runs do not add up to 16384."""
    histo = [0] * 64
    idx = 0
    p = HDR_SIZE
    end = len(hll)
    while p < end:
        b = hll[p]
        if b < 0x40:
            runlen = b + 1
            histo[0] += runlen
            p += 1
        elif b < 0x80:
            runlen = ((b & 0x3F) << 8 | (hll[p + 1] if p + 1 < end else 0)) + 1
            histo[0] += runlen
            p += 2
        else:
            runlen = (b & 3) + 1
            histo[((b >> 2) & 0x1F) + 1] += runlen
            p += 1
        idx += runlen
    if idx != REGISTERS:
        return None
    return histo


def sparse_set(hll: bytearray, index: int, count: int, max_bytes: int, hint: list | None = None) -> int:
    """Raise register ``index`` of a sparse HLL to ``count`` (Redis's hllSparseSet, step for step).

    Returns 1 if it changed, 0 if not, -1 if the sparse data is corrupted. May promote ``hll`` to
    dense (in place) when ``count`` exceeds 32 or the value would grow past ``max_bytes``.

    ``hint`` lets a caller setting registers in increasing order (PFMERGE) resume the opcode scan
    instead of starting over: a list of ``(offset, first register)`` opcode boundaries that no later
    call changes (everything up to the opcode before the one modified), read and extended in place.
    """
    if count > SPARSE_VAL_MAX_VALUE:
        return _promote(hll, index, count)
    end = len(hll)
    if hint:
        p, first = hint[-1]
        prev = hint[-2][0] if len(hint) > 1 else -1
    else:
        p, first, prev = HDR_SIZE, 0, -1
        if hint is not None:
            hint.append((p, first))
    span = 0
    # Step 1: find the opcode covering ``index``; ``prev`` is the opcode before it (-1 if none).
    while p < end:
        b = hll[p]
        if b < 0x40:
            span = b + 1
            oplen = 1
        elif b >= 0x80:
            span = (b & 3) + 1
            oplen = 1
        else:
            span = ((b & 0x3F) << 8 | (hll[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
        if hint is not None:
            hint.append((p, first))
    if span == 0 or p >= end:
        return -1
    if hint is not None:
        # Merges below start at ``prev`` and keep its offset and first register; the opcode at ``p``
        # may move, so it is no longer a safe place to resume.
        hint.pop()
    b = hll[p]
    is_xzero = 0x40 <= b < 0x80
    # Step 2: the cases that change the opcode in place.
    if b >= 0x80:
        runlen = (b & 3) + 1
        oldcount = ((b >> 2) & 0x1F) + 1
        if oldcount >= count:
            return 0
        if runlen == 1:
            hll[p] = _val(count, 1)
            return _merge_vals(hll, prev, end)
    elif b == 0:  # a ZERO of length 1
        hll[p] = _val(count, 1)
        return _merge_vals(hll, prev, end)
    # Step 3: split the opcode into (before, our VAL, after).
    last = first + span - 1
    if b < 0x80:
        seq = b""
        if index != first:
            seq = _zero_run(index - first)
        seq += bytes((_val(count, 1),))
        if index != last:
            seq += _zero_run(last - index)
    else:
        curval = ((b >> 2) & 0x1F) + 1
        seq = b""
        if index != first:
            seq = bytes((_val(curval, index - first),))
        seq += bytes((_val(count, 1),))
        if index != last:
            seq += bytes((_val(curval, last - index),))
    oldlen = 2 if is_xzero else 1
    delta = len(seq) - oldlen
    if delta > 0 and end + delta > max_bytes:
        return _promote(hll, index, count)
    hll[p : p + oldlen] = seq
    return _merge_vals(hll, prev, end + delta)


def _merge_vals(hll: bytearray, prev: int, end: int) -> int:
    """Step 4 of hllSparseSet: from the opcode before the change, look at up to 5 opcodes and fuse
    adjacent VALs of equal value whose lengths fit one VAL; then mark the cached cardinality stale."""
    p = prev if prev >= 0 else HDR_SIZE
    scan = 5
    while p < end and scan:
        scan -= 1
        b = hll[p]
        if b < 0x80:
            p += 2 if b >= 0x40 else 1
            continue
        if p + 1 < end:
            b2 = hll[p + 1]
            if b2 >= 0x80 and (b >> 2) & 0x1F == (b2 >> 2) & 0x1F:
                length = (b & 3) + (b2 & 3) + 2
                if length <= SPARSE_VAL_MAX_LEN:
                    hll[p + 1] = _val(((b >> 2) & 0x1F) + 1, length)
                    del hll[p]
                    end -= 1
                    continue
        p += 1
    hll[15] |= 0x80
    return 1


def _promote(hll: bytearray, index: int, count: int) -> int:
    if not sparse_to_dense(hll):
        return -1
    dense_set(hll, index, count)
    return 1


def add(hll: bytearray, ele: bytes, max_bytes: int) -> int:
    """PFADD of one element (hllAdd): 1 if a register changed, 0 if not, -1 if corrupted."""
    if hll[4] == DENSE:
        return dense_add(hll, ele)
    if hll[4] == SPARSE:
        index, count = pat_len(ele)
        return sparse_set(hll, index, count, max_bytes)
    return -1


# -- counting and merging ------------------------------------------------------------------------------


def raw_histogram(raw: bytes | bytearray) -> list[int]:
    """How many registers hold each value (0..63), for one-byte-per-register data in any order.

    Counting byte by byte in Python costs milliseconds; instead each value's registers are deleted
    with one ``bytes.translate`` and counted by the shrinkage. Values are taken most common first (as
    guessed from a small sample), so the string shrinks fast and the passes stay short.
    """
    histo = [0] * 64
    rest = bytes(raw)
    for value, _ in Counter(rest[::61]).most_common():
        left = rest.translate(None, _ONE_BYTE[value])
        histo[value & 63] += len(rest) - len(left)
        rest = left
    while rest:
        value = rest[0]
        left = rest.translate(None, _ONE_BYTE[value])
        histo[value & 63] += len(rest) - len(left)
        rest = left
    return histo


_ONE_BYTE = [bytes((v,)) for v in range(256)]


def registers(hll: bytes | bytearray) -> bytearray | None:
    """All registers of a (header-valid) HLL, one byte each; None if its sparse data is corrupted."""
    if hll[4] == DENSE:
        return dense_to_raw(hll)
    return sparse_to_raw(hll)


def histogram(hll: bytes | bytearray) -> list[int] | None:
    if hll[4] == DENSE:
        return raw_histogram(b"".join(_dense_lanes(hll)))
    return sparse_histogram(hll)


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prev = z
        z += x * y
        y += y
        if z_prev == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prev = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prev == z:
            return z / 3


def estimate(histo: list[int]) -> int:
    """Cardinality from a register histogram: Ertl's improved estimator as Redis 7.0 computes it
    (arXiv:1702.01284), rounded half away from zero like llroundl."""
    m = float(REGISTERS)
    z = m * _tau((m - histo[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    r = math.floor(e)
    if e - r >= 0.5:
        r += 1
    return int(r)


def count(hll: bytes | bytearray) -> int | None:
    """The estimated cardinality of one HLL (ignoring its cache); None if corrupted."""
    histo = histogram(hll)
    return None if histo is None else estimate(histo)


def merge_into(target: bytearray, raw: bytes | bytearray, max_bytes: int) -> int:
    """Raise ``target``'s registers to the raw registers ``raw`` (PFMERGE's write step): dense targets
    take the registerwise maximum; sparse ones get one hllSparseSet per non-zero register, in order,
    so the opcodes come out as Redis writes them (and may be promoted half-way). -1 if corrupted."""
    if target[4] == DENSE:
        current = dense_to_raw(target)
        target[HDR_SIZE:] = raw_to_dense_registers(raw_max(current, raw))
        return 0
    hint: list = []
    for index in _nonzero(raw):
        if target[4] == DENSE:
            dense_set(target, index, raw[index])
            continue
        if sparse_set(target, index, raw[index], max_bytes, hint) < 0:
            return -1
    return 0


def _nonzero(raw: bytes | bytearray) -> list[int]:
    return [m.start() for m in _NONZERO.finditer(raw)]


# -- debugging -----------------------------------------------------------------------------------------


def decode_sparse(hll: bytes | bytearray) -> str:
    """PFDEBUG DECODE: the opcodes as text ("z:N", "Z:N", "v:value,len")."""
    parts = []
    p = HDR_SIZE
    end = len(hll)
    while p < end:
        b = hll[p]
        if b < 0x40:
            parts.append("z:%d" % (b + 1))
            p += 1
        elif b < 0x80:
            parts.append("Z:%d" % (((b & 0x3F) << 8 | (hll[p + 1] if p + 1 < end else 0)) + 1))
            p += 2
        else:
            parts.append("v:%d,%d" % (((b >> 2) & 0x1F) + 1, (b & 3) + 1))
            p += 1
    return " ".join(parts)
