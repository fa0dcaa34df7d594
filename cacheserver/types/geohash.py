"""Geohash arithmetic as Redis 7.0's geohash.c and geohash_helper.c do it, bit for bit.

A position is stored as a sorted set score: longitude and latitude are each cut into 2**26 steps over
[-180, 180] and [-85.05112878, 85.05112878] (the Web Mercator limits), and the two 26-bit cell numbers
are interleaved (latitude on the even bits, longitude on the odd) into a 52-bit integer. Decoding gives
the centre of the cell, not the input, which is why GEOPOS answers differ slightly from what was added.

A search (GEORADIUS, GEOSEARCH) picks a coarser step whose cell is about the size of the area, takes
the cell holding the centre and its 8 neighbours (dropping those the area cannot reach), and scans the
score range of each box in that order: the order unsorted results come out in. Every float operation
keeps C's order of evaluation so that doubles round as Redis's do; a score is turned into its 64-bit
integer as x86-64's ``(uint64_t)`` cast does, since a zset may hold any score.

``pqsort`` is Redis's partial quicksort (used when COUNT keeps fewer results than were found): it is
not stable, so ties between equal distances come out in its order, not a stable sort's.

Rules: pure functions; imports nothing of the server.
"""

from __future__ import annotations

import math
from collections.abc import Callable

LONG_MIN = -180.0
LONG_MAX = 180.0
LAT_MIN = -85.05112878
LAT_MAX = 85.05112878
STEP_MAX = 26

EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
_D_R = math.pi / 180.0

_U64 = (1 << 64) - 1
_TWO63 = 9223372036854775808.0
_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"

# Neighbour boxes in the order Redis scans them (geo.c membersOfAllNeighbors).
CENTRE, NORTH, SOUTH, EAST, WEST, NORTH_EAST, NORTH_WEST, SOUTH_EAST, SOUTH_WEST = range(9)


def _cos(x: float) -> float:
    """C's ``cos``: NaN for an infinite argument (an infinite radius makes one) instead of raising."""
    return math.cos(x) if math.isfinite(x) else math.nan


def _asin(x: float) -> float:
    """C's ``asin``: NaN outside [-1, 1] instead of raising."""
    return math.asin(x) if -1.0 <= x <= 1.0 else math.nan


def interleave64(xlo: int, ylo: int) -> int:
    """Spread the low 32 bits of ``xlo`` on the even bits and those of ``ylo`` on the odd bits."""
    x = xlo & 0xFFFFFFFF
    y = ylo & 0xFFFFFFFF
    x = (x | (x << 16)) & 0x0000FFFF0000FFFF
    y = (y | (y << 16)) & 0x0000FFFF0000FFFF
    x = (x | (x << 8)) & 0x00FF00FF00FF00FF
    y = (y | (y << 8)) & 0x00FF00FF00FF00FF
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y << 4)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x << 2)) & 0x3333333333333333
    y = (y | (y << 2)) & 0x3333333333333333
    x = (x | (x << 1)) & 0x5555555555555555
    y = (y | (y << 1)) & 0x5555555555555555
    return (x | (y << 1)) & _U64


def deinterleave64(interleaved: int) -> int:
    """The inverse of ``interleave64``: even bits in the low 32 bits, odd bits in the high 32."""
    x = interleaved & _U64
    y = x >> 1
    x &= 0x5555555555555555
    y &= 0x5555555555555555
    x = (x | (x >> 1)) & 0x3333333333333333
    y = (y | (y >> 1)) & 0x3333333333333333
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F
    y = (y | (y >> 2)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF
    y = (y | (y >> 4)) & 0x00FF00FF00FF00FF
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF
    y = (y | (y >> 8)) & 0x0000FFFF0000FFFF
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF
    y = (y | (y >> 16)) & 0x00000000FFFFFFFF
    return x | (y << 32)


def _to_u32(d: float) -> int:
    """C's ``(uint32_t)`` of a non-negative double below 2**32 (truncation)."""
    return int(d) & 0xFFFFFFFF


def encode(
    longitude: float,
    latitude: float,
    step: int,
    lat_min: float = LAT_MIN,
    lat_max: float = LAT_MAX,
) -> int | None:
    """``geohashEncode`` over [-180, 180] x [lat_min, lat_max]: the ``2*step``-bit hash, or None
    outside Redis's limits."""
    if longitude > LONG_MAX or longitude < LONG_MIN or latitude > LAT_MAX or latitude < LAT_MIN:
        return None
    if latitude < lat_min or latitude > lat_max:
        return None
    lat_offset = (latitude - lat_min) / (lat_max - lat_min)
    long_offset = (longitude - LONG_MIN) / (LONG_MAX - LONG_MIN)
    scale = float(1 << step)
    lat_offset *= scale
    long_offset *= scale
    return interleave64(_to_u32(lat_offset), _to_u32(long_offset))


def align52(bits: int, step: int) -> int:
    """``geohashAlign52Bits``: a ``2*step``-bit hash shifted up to a 52-bit score."""
    return (bits << (52 - step * 2)) & _U64


def score_to_bits(score: float) -> int:
    """The ``(uint64_t)`` cast geo.c applies to a score, as x86-64 code computes it (scores a geo
    command never wrote can be negative, huge or infinite)."""
    if score < _TWO63:
        if score <= -_TWO63 or score != score:
            return 0x8000000000000000
        return int(score) & _U64
    t = score - _TWO63
    if t >= _TWO63:  # the conversion's "indefinite" 0x8000... xor the top bit
        return 0
    return int(t) ^ 0x8000000000000000


def decode_area(
    bits: int, step: int, lat_min: float = LAT_MIN, lat_max: float = LAT_MAX
) -> tuple[float, float, float, float]:
    """``geohashDecode``: the cell's (longitude min, longitude max, latitude min, latitude max)."""
    sep = deinterleave64(bits)
    lat_scale = lat_max - lat_min
    long_scale = LONG_MAX - LONG_MIN
    ilato = sep & 0xFFFFFFFF
    ilono = sep >> 32
    div = float(1 << step)
    return (
        LONG_MIN + (ilono * 1.0 / div) * long_scale,
        LONG_MIN + ((ilono + 1) * 1.0 / div) * long_scale,
        lat_min + (ilato * 1.0 / div) * lat_scale,
        lat_min + ((ilato + 1) * 1.0 / div) * lat_scale,
    )


def decode_score(score: float) -> tuple[float, float]:
    """A zset score -> (longitude, latitude): the centre of its step-26 cell, clamped to the limits."""
    lon_min, lon_max, lat_min, lat_max = decode_area(score_to_bits(score), STEP_MAX)
    lon = (lon_min + lon_max) / 2
    if lon > LONG_MAX:
        lon = LONG_MAX
    if lon < LONG_MIN:
        lon = LONG_MIN
    lat = (lat_min + lat_max) / 2
    if lat > LAT_MAX:
        lat = LAT_MAX
    if lat < LAT_MIN:
        lat = LAT_MIN
    return lon, lat


def encode_score(longitude: float, latitude: float) -> int:
    """GEOADD's score: the step-26 hash of a position inside the limits."""
    bits = encode(longitude, latitude, STEP_MAX)
    if bits is None:
        raise ValueError("position outside the geohash limits")
    return bits  # align52 of a step-26 hash is the hash itself


def geohash_string(longitude: float, latitude: float) -> bytes:
    """GEOHASH's 11 characters: the position re-encoded over the standard [-90, 90] latitudes, in
    base32, the 11th character always '0' (52 bits fill only 10)."""
    bits = encode(longitude, latitude, STEP_MAX, -90.0, 90.0) or 0
    alphabet = _ALPHABET
    out = bytearray(11)
    for i in range(10):
        out[i] = alphabet[(bits >> (52 - (i + 1) * 5)) & 0x1F]
    out[10] = 48
    return bytes(out)


def distance(lon1d: float, lat1d: float, lon2d: float, lat2d: float) -> float:
    """``geohashGetDistance``: the haversine great-circle distance in meters."""
    lat1r = lat1d * _D_R
    lon1r = lon1d * _D_R
    lat2r = lat2d * _D_R
    lon2r = lon2d * _D_R
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    return 2.0 * EARTH_RADIUS_IN_METERS * _asin(math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r) * v * v))


def estimate_steps(range_meters: float, lat: float) -> int:
    """``geohashEstimateStepsByRadius``: the step whose cells are about the size of the search area."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    if step < 1:
        step = 1
    if step > 26:
        step = 26
    return step


_X_BITS = 0xAAAAAAAAAAAAAAAA  # the interleaved hash's longitude bits
_Y_BITS = 0x5555555555555555  # its latitude bits


def _move(bits: int, step: int, d: int, moving: int, kept: int) -> int:
    """One cell east/west (``moving`` the X bits) or north/south (the Y bits), ``d`` > 0 forward:
    geohash_move_x/geohash_move_y, carrying through the other coordinate's bits."""
    m = bits & moving
    zz = kept >> (64 - step * 2)
    m = m + (zz + 1) if d > 0 else (m | zz) - (zz + 1)
    m &= moving >> (64 - step * 2)
    return (m | (bits & kept)) & _U64


def _move_x(bits: int, step: int, d: int) -> int:
    return _move(bits, step, d, _X_BITS, _Y_BITS)


def _move_y(bits: int, step: int, d: int) -> int:
    return _move(bits, step, d, _Y_BITS, _X_BITS)


def neighbours(bits: int, step: int) -> list[int]:
    """The 9 boxes around a hash, in scan order: centre, N, S, E, W, NE, NW, SE, SW (wrapping at the
    edges of the grid, as Redis's modular moves do)."""
    east = _move_x(bits, step, 1)
    west = _move_x(bits, step, -1)
    return [
        bits,
        _move_y(bits, step, 1),
        _move_y(bits, step, -1),
        east,
        west,
        _move_y(east, step, 1),
        _move_y(west, step, 1),
        _move_y(east, step, -1),
        _move_y(west, step, -1),
    ]


class Shape:
    """A search area: a circle of ``radius`` or a ``width`` x ``height`` box, in units of
    ``conversion`` meters, centred on (``longitude``, ``latitude``)."""

    __slots__ = ("longitude", "latitude", "box", "radius", "width", "height", "conversion")

    def __init__(
        self,
        longitude: float,
        latitude: float,
        conversion: float,
        radius: float = 0.0,
        width: float = 0.0,
        height: float = 0.0,
        box: bool = False,
    ) -> None:
        self.longitude = longitude
        self.latitude = latitude
        self.conversion = conversion
        self.radius = radius
        self.width = width
        self.height = height
        self.box = box

    def bounds(self) -> tuple[float, float, float, float]:
        """``geohashBoundingBox``: (min longitude, min latitude, max longitude, max latitude)."""
        longitude = self.longitude
        latitude = self.latitude
        height = self.conversion * (self.height / 2 if self.box else self.radius)
        width = self.conversion * (self.width / 2 if self.box else self.radius)
        lat_delta = (height / EARTH_RADIUS_IN_METERS) / _D_R
        long_delta_top = (width / EARTH_RADIUS_IN_METERS / _cos((latitude + lat_delta) * _D_R)) / _D_R
        long_delta_bottom = (width / EARTH_RADIUS_IN_METERS / _cos((latitude - lat_delta) * _D_R)) / _D_R
        if latitude < 0:
            min_lon = longitude - long_delta_bottom
            max_lon = longitude + long_delta_bottom
        else:
            min_lon = longitude - long_delta_top
            max_lon = longitude + long_delta_top
        return min_lon, latitude - lat_delta, max_lon, latitude + lat_delta

    def boxes(self) -> list[tuple[int, int] | None]:
        """``geohashCalculateAreasByShapeWGS84``: the 9 (hash, step) boxes to scan, in scan order,
        None for a box the area cannot reach."""
        min_lon, min_lat, max_lon, max_lat = self.bounds()
        longitude = self.longitude
        latitude = self.latitude
        if self.box:
            w = self.width / 2
            h = self.height / 2
            radius_meters = math.sqrt(w * w + h * h)
        else:
            radius_meters = self.radius
        radius_meters *= self.conversion
        steps = estimate_steps(radius_meters, latitude)
        bits = encode(longitude, latitude, steps) or 0
        boxes = neighbours(bits, steps)
        north = decode_area(boxes[NORTH], steps)
        south = decode_area(boxes[SOUTH], steps)
        east = decode_area(boxes[EAST], steps)
        west = decode_area(boxes[WEST], steps)
        decrease_step = north[3] < max_lat or south[2] > min_lat or east[1] < max_lon or west[0] > min_lon
        if steps > 1 and decrease_step:
            steps -= 1
            bits = encode(longitude, latitude, steps) or 0
            boxes = neighbours(bits, steps)
        out: list[tuple[int, int] | None] = [(b, steps) for b in boxes]
        if steps >= 2:
            area = decode_area(bits, steps)
            if area[2] < min_lat:
                out[SOUTH] = out[SOUTH_WEST] = out[SOUTH_EAST] = None
            if area[3] > max_lat:
                out[NORTH] = out[NORTH_EAST] = out[NORTH_WEST] = None
            if area[0] < min_lon:
                out[WEST] = out[SOUTH_WEST] = out[NORTH_WEST] = None
            if area[1] > max_lon:
                out[EAST] = out[SOUTH_EAST] = out[NORTH_EAST] = None
        return out

    def distance_if_inside(self, lon: float, lat: float) -> float | None:
        """The distance in meters from the centre to a point inside the area; None outside
        (``geohashGetDistanceIfInRadiusWGS84`` / ``geohashGetDistanceIfInRectangle``)."""
        x1 = self.longitude
        y1 = self.latitude
        if not self.box:
            d = distance(x1, y1, lon, lat)
            return None if d > self.radius * self.conversion else d
        width_m = self.width * self.conversion
        height_m = self.height * self.conversion
        if distance(lon, lat, x1, lat) > width_m / 2 or distance(lon, lat, lon, y1) > height_m / 2:
            return None
        return distance(x1, y1, lon, lat)


def box_score_range(bits: int, step: int) -> tuple[int, int]:
    """``scoresOfGeoHashBox``: the scores [min, max) of every step-26 hash inside a box."""
    return align52(bits, step), align52(bits + 1, step)


def pqsort(items: list, cmp: Callable[[object, object], int], lrange: int, rrange: int) -> None:
    """Redis's ``pqsort`` (pqsort.c, NetBSD's quicksort pruned to the part that can hold positions
    ``lrange..rrange``): sorts ``items`` in place well enough that those positions are final."""
    _pqsort(items, 0, len(items), cmp, lrange, rrange)


def _med3(a: list, i: int, j: int, k: int, cmp: Callable[[object, object], int]) -> int:
    if cmp(a[i], a[j]) < 0:
        if cmp(a[j], a[k]) < 0:
            return j
        return k if cmp(a[i], a[k]) < 0 else i
    if cmp(a[j], a[k]) > 0:
        return j
    return i if cmp(a[i], a[k]) < 0 else k


def _vecswap(a: list, i: int, j: int, n: int) -> None:
    for t in range(n):
        a[i + t], a[j + t] = a[j + t], a[i + t]


def _pqsort(a: list, lo: int, n: int, cmp: Callable[[object, object], int], lrange: int, rrange: int) -> None:
    while True:
        if n < 7:
            for pm in range(lo + 1, lo + n):
                pl = pm
                while pl > lo and cmp(a[pl - 1], a[pl]) > 0:
                    a[pl], a[pl - 1] = a[pl - 1], a[pl]
                    pl -= 1
            return
        pm = lo + n // 2
        if n > 7:
            pl = lo
            pn = lo + n - 1
            if n > 40:
                d = n // 8
                pl = _med3(a, pl, pl + d, pl + 2 * d, cmp)
                pm = _med3(a, pm - d, pm, pm + d, cmp)
                pn = _med3(a, pn - 2 * d, pn - d, pn, cmp)
            pm = _med3(a, pl, pm, pn, cmp)
        a[lo], a[pm] = a[pm], a[lo]
        pa = pb = lo + 1
        pc = pd = lo + n - 1
        while True:
            while pb <= pc:
                r = cmp(a[pb], a[lo])
                if r > 0:
                    break
                if r == 0:
                    a[pa], a[pb] = a[pb], a[pa]
                    pa += 1
                pb += 1
            while pb <= pc:
                r = cmp(a[pc], a[lo])
                if r < 0:
                    break
                if r == 0:
                    a[pc], a[pd] = a[pd], a[pc]
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            a[pb], a[pc] = a[pc], a[pb]
            pb += 1
            pc -= 1
        pn = lo + n
        r = min(pa - lo, pb - pa)
        _vecswap(a, lo, pb - r, r)
        r = min(pd - pc, pn - pd - 1)
        _vecswap(a, pb, pn - r, r)
        r = pb - pa
        if r > 1:
            hi = lo + r - 1
            if not ((lrange < lo and rrange < lo) or (lrange > hi and rrange > hi)):
                _pqsort(a, lo, r, cmp, lrange, rrange)
        r = pd - pc
        if r <= 1:
            return
        lo = pn - r
        n = r
        hi = lo + r - 1
        if (lrange < lo and rrange < lo) or (lrange > hi and rrange > hi):
            return
