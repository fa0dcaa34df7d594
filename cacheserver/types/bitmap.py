"""Bit operations on byte strings, with Redis's rules: bit 0 is the most significant bit of byte 0.

Pure functions over ``bytes``/``bytearray``: ranges (BITCOUNT, BITPOS), bitfields (BITFIELD's integer
reads, writes and overflow rules, emulating the int64/uint64 arithmetic of ``bitops.c``), BITOP, and the
bit-parallel longest common subsequence behind LCS. Whole-string work is done with ``int.from_bytes``
and ``bytes`` methods so it runs at C speed, never a Python loop per byte.
"""

from __future__ import annotations

_M64 = (1 << 64) - 1
_CHUNK = 1 << 20  # bytes per step of whole-string scans: bounds the temporaries on 512MB values
_NOT_TABLE = bytes(255 - i for i in range(256))

OVERFLOW_WRAP = 0
OVERFLOW_SAT = 1
OVERFLOW_FAIL = 2


def _s64(v: int) -> int:
    """``v`` as a C int64_t (two's complement wrap)."""
    v &= _M64
    return v - (1 << 64) if v >> 63 else v


def clamp_range(start: int, end: int, total: int) -> tuple[int, int]:
    """Redis's negative-index rules for a [start, end] range over ``total`` units (GETRANGE, BITCOUNT,
    BITPOS): negative counts from the end, then both are clamped into the string."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


def _popcount(data: bytes | bytearray, start: int, end: int) -> int:
    """Set bits in ``data[start:end]``, a chunk at a time so no huge temporary is made."""
    total = 0
    for pos in range(start, end, _CHUNK):
        total += int.from_bytes(data[pos : min(end, pos + _CHUNK)], "big").bit_count()
    return total


def count_bits(data: bytes | bytearray, start: int | None = None, end: int | None = None, bit_unit: bool = False) -> int:
    """BITCOUNT: set bits in the whole string, or in [start, end] (bytes, or bits if ``bit_unit``)."""
    if start is None or end is None:
        return _popcount(data, 0, len(data))
    if start < 0 and end < 0 and start > end:
        return 0
    total = len(data) * 8 if bit_unit else len(data)
    start, end = clamp_range(start, end, total)
    if start > end:
        return 0
    if not bit_unit:
        return _popcount(data, start, end + 1)
    first, last = start >> 3, end >> 3
    count = _popcount(data, first, last + 1)
    # Take away the bits of the edge bytes that lie outside the range.
    count -= (data[first] >> (8 - (start & 7))).bit_count()
    count -= (data[last] & ((1 << (7 - (end & 7))) - 1)).bit_count()
    return count


def _first_bit(data: bytes | bytearray, bit: int, lo: int, hi: int) -> int:
    """Index of the first bit equal to ``bit`` within bits [lo, hi] of ``data``, or -1."""
    first, last = lo >> 3, hi >> 3
    head = 0xFF << (8 - (lo & 7)) & 0xFF  # bits of the first byte before ``lo``
    tail = (1 << (7 - (hi & 7))) - 1  # bits of the last byte after ``hi``
    no_match = b"\x00" if bit else b"\xff"
    pos = first
    while pos <= last:
        end = min(last + 1, pos + _CHUNK)
        chunk = bytearray(data[pos:end])
        # Give the bits outside the range the value we are not looking for.
        if pos == first:
            chunk[0] = chunk[0] & ~head & 0xFF if bit else chunk[0] | head
        if end == last + 1:
            chunk[-1] = chunk[-1] & ~tail & 0xFF if bit else chunk[-1] | tail
        rest = chunk.lstrip(no_match)
        if rest:
            byte = rest[0] if bit else rest[0] ^ 0xFF
            return (pos + len(chunk) - len(rest)) * 8 + 8 - byte.bit_length()
        pos = end
    return -1


def bitpos(
    data: bytes | bytearray, bit: int, start: int | None = None, end: int | None = None, bit_unit: bool = False
) -> int:
    """BITPOS on an existing string: position of the first ``bit`` in the range, or -1.

    ``end`` None means "not given": looking for 0 then treats the string as padded with zeros on the
    right, so the answer is the first bit past it; with an explicit end it is -1.
    """
    n = len(data)
    if start is None:
        if n == 0:
            return -1
        lo, hi = 0, n * 8 - 1
    else:
        total = n * 8 if bit_unit else n
        s, e = clamp_range(start, total - 1 if end is None else end, total)
        if s > e:
            return -1
        lo, hi = (s, e) if bit_unit else (s * 8, e * 8 + 7)
    pos = _first_bit(data, bit, lo, hi)
    if pos >= 0 or bit or end is not None:
        return pos
    return ((hi >> 3) + 1) * 8  # no clear bit: the first bit of the implicit zero padding


# -- bitfields -------------------------------------------------------------------------------------------


def get_unsigned(data: bytes | bytearray, offset: int, bits: int) -> int:
    """The ``bits``-wide unsigned integer at bit ``offset`` (missing bytes read as zero)."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    chunk = data[first : last + 1]
    width = (last - first + 1) * 8
    v = int.from_bytes(chunk, "big") << (width - len(chunk) * 8)
    return (v >> (width - (offset & 7) - bits)) & ((1 << bits) - 1)


def get_signed(data: bytes | bytearray, offset: int, bits: int) -> int:
    v = get_unsigned(data, offset, bits)
    if v >> (bits - 1):
        v -= 1 << bits
    return v


def set_bits(data: bytearray, offset: int, bits: int, value: int) -> None:
    """Store the low ``bits`` bits of ``value`` at bit ``offset``; ``data`` is long enough already."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    width = (last - first + 1) * 8
    shift = width - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    v = int.from_bytes(data[first : last + 1], "big")
    v = (v & ~mask) | ((value << shift) & mask)
    data[first : last + 1] = v.to_bytes(width >> 3, "big")


def unsigned_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """``checkUnsignedBitfieldOverflow``: (overflow, limit). ``value`` is a uint64, ``incr`` an int64.

    overflow is 1 (too big), -1 (below zero) or 0; limit is the value to store on overflow under WRAP
    or SAT (meaningless under FAIL)."""
    mx = (1 << bits) - 1
    if value > mx or (incr > 0 and incr > mx - value):
        if owtype == OVERFLOW_SAT:
            return 1, mx
        return 1, (value + incr) & mx
    if incr < 0 and incr < _s64(-value):
        if owtype == OVERFLOW_SAT:
            return -1, 0
        return -1, (value + incr) & mx
    return 0, 0


def signed_overflow(value: int, incr: int, bits: int, owtype: int) -> tuple[int, int]:
    """``checkSignedBitfieldOverflow``: (overflow, limit), with the int64 wrap-arounds of the C code."""
    mx = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr = _s64(mx - value)
    minincr = _s64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        overflow, limit = 1, mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        overflow, limit = -1, mn
    else:
        return 0, 0
    if owtype != OVERFLOW_WRAP:
        return overflow, limit
    c = (value + incr) & _M64
    if bits < 64:
        c &= (1 << bits) - 1
        if c >> (bits - 1):
            c -= 1 << bits
        return overflow, c
    return overflow, _s64(c)


# -- BITOP -----------------------------------------------------------------------------------------------


def bitop(op: bytes, sources: list[bytes | bytearray | None]) -> bytearray:
    """BITOP AND|OR|XOR|NOT over sources (None = missing key = empty string), zero-padded to the
    longest; an empty result means every source was empty."""
    maxlen = max((len(s) for s in sources if s is not None), default=0)
    if maxlen == 0:
        return bytearray()
    if op == b"NOT":
        return bytearray(sources[0].translate(_NOT_TABLE))  # type: ignore[union-attr]
    acc = None
    for s in sources:
        v = int.from_bytes(s, "big") << ((maxlen - len(s)) * 8) if s else 0
        if acc is None:
            acc = v
        elif op == b"AND":
            acc &= v
        elif op == b"OR":
            acc |= v
        else:
            acc ^= v
    return bytearray(acc.to_bytes(maxlen, "big"))  # type: ignore[union-attr]


# -- LCS -------------------------------------------------------------------------------------------------


class LcsTable:
    """The LCS dynamic-programming table of ``a`` and ``b``, stored as one bit vector per row.

    Row ``i`` (a's first i bytes against b) is an int whose bit ``j`` is 0 exactly when
    LCS(i, j+1) = LCS(i, j) + 1, so LCS(i, j) = j - popcount(row_i & (2**j - 1)) (Hyyrö's bit-parallel
    algorithm): the table costs len(a) big-int steps to build instead of len(a)*len(b) Python steps.
    """

    __slots__ = ("a", "b", "rows", "length")

    def __init__(self, a: bytes | bytearray, b: bytes | bytearray, keep_rows: bool = True) -> None:
        self.a = a
        self.b = b
        m = len(b)
        full = (1 << m) - 1
        masks: dict[int, int] = {}
        for j, ch in enumerate(b):
            masks[ch] = masks.get(ch, 0) | (1 << j)
        v = full
        rows = [v] if keep_rows else None
        for ch in a:
            u = v & masks.get(ch, 0)
            v = ((v + u) | (v - u)) & full
            if rows is not None:
                rows.append(v)
        self.rows = rows
        self.length = m - v.bit_count()

    def at(self, i: int, j: int) -> int:
        """LCS of a[:i] and b[:j]."""
        return j - (self.rows[i] & ((1 << j) - 1)).bit_count()  # type: ignore[index]

    def walk(self) -> tuple[bytes, list[tuple[int, int, int, int]]]:
        """The LCS string and its matching ranges, walked back from the end exactly as Redis does
        (on a tie it steps in b): ranges are (a_start, a_end, b_start, b_end), last match first."""
        a, b = self.a, self.b
        i, j = len(a), len(b)
        out = bytearray()
        ranges: list[tuple[int, int, int, int]] = []
        cur: list[int] | None = None  # [a_start, a_end, b_start, b_end] of the range being extended
        while i > 0 and j > 0:
            if a[i - 1] == b[j - 1]:
                out.append(a[i - 1])
                if cur is None:
                    cur = [i - 1, i - 1, j - 1, j - 1]
                else:
                    cur[0] -= 1
                    cur[2] -= 1
                i -= 1
                j -= 1
                if cur[0] == 0 or cur[2] == 0:
                    ranges.append((cur[0], cur[1], cur[2], cur[3]))
                    cur = None
            else:
                if self.at(i - 1, j) > self.at(i, j - 1):
                    i -= 1
                else:
                    j -= 1
                if cur is not None:
                    ranges.append((cur[0], cur[1], cur[2], cur[3]))
                    cur = None
        out.reverse()
        return bytes(out), ranges
