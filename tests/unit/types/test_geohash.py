"""The geohash arithmetic: interleaving, encode/decode within Redis's precision, the standard geohash
string, distances, step estimates, neighbour boxes, the uint64 cast of odd scores and pqsort."""

from __future__ import annotations

import functools

from hypothesis import given
from hypothesis import strategies as st

from cacheserver.types import geohash as gh

LONS = st.floats(min_value=gh.LONG_MIN, max_value=gh.LONG_MAX, allow_nan=False)
LATS = st.floats(min_value=gh.LAT_MIN, max_value=gh.LAT_MAX, allow_nan=False)
# Half a step-26 cell, the most a decoded position can be from the encoded one (plus rounding).
HALF_CELL_LON = 360.0 / (1 << 26) / 2 + 1e-12
HALF_CELL_LAT = (gh.LAT_MAX - gh.LAT_MIN) / (1 << 26) / 2 + 1e-12


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_interleave_round_trips(x, y):
    bits = gh.interleave64(x, y)
    assert bits < 2**64
    assert gh.deinterleave64(bits) == x | (y << 32)


def test_interleave_puts_the_first_argument_on_even_bits():
    assert gh.interleave64(1, 0) == 1
    assert gh.interleave64(0, 1) == 2
    assert gh.interleave64(0b11, 0b01) == 0b0111


def test_palermo_encodes_and_decodes_as_redis():
    score = gh.encode_score(13.361389, 38.115556)
    assert score == 3479099956230698
    lon, lat = gh.decode_score(float(score))
    assert "%.17f" % lon == "13.36138933897018433"
    assert "%.17f" % lat == "38.11555639549629859"
    assert gh.geohash_string(lon, lat) == b"sqc8b49rny0"


@given(LONS, LATS)
def test_encode_decode_round_trips_within_half_a_cell(lon, lat):
    score = gh.encode_score(lon, lat)
    assert 0 <= score < 2**54  # an edge of exactly 180 or LAT_MAX overflows into bit 53 or 52
    dlon, dlat = gh.decode_score(float(score))
    if score >= 2**53:
        return  # longitude 180 exactly: the score does not fit a double's mantissa (see below)
    assert abs(dlon - lon) <= HALF_CELL_LON
    assert abs(dlat - lat) <= HALF_CELL_LAT
    assert gh.LONG_MIN <= dlon <= gh.LONG_MAX
    assert gh.LAT_MIN <= dlat <= gh.LAT_MAX


@given(LONS, LATS)
def test_a_decoded_position_encodes_to_the_same_score(lon, lat):
    score = gh.encode_score(lon, lat)
    if score < 2**52:  # the clamped top edge is the one exception
        assert gh.encode_score(*gh.decode_score(float(score))) == score


def test_longitude_180_loses_a_bit_in_the_score_as_in_redis():
    score = gh.encode_score(180.0, 8.0)
    assert score == 10138596791046161
    assert float(score) == 10138596791046160.0
    lon, lat = gh.decode_score(float(score))
    assert lon == 180.0
    assert "%.17f" % lat == "7.99999694050443821"  # GEOPOS on redis-server says the same


def test_positions_outside_the_limits_do_not_encode():
    assert gh.encode(180.0000001, 0, 26) is None
    assert gh.encode(0, 85.06, 26) is None
    assert gh.encode(0, 86.0, 26, -90.0, 90.0) is None  # Redis's limits apply to any range


def test_score_to_bits_follows_the_x86_cast():
    assert gh.score_to_bits(3479099956230698.0) == 3479099956230698
    assert gh.score_to_bits(1.9) == 1
    assert gh.score_to_bits(-1.0) == 2**64 - 1
    assert gh.score_to_bits(-1e300) == 2**63
    assert gh.score_to_bits(1e300) == 0
    assert gh.score_to_bits(float("inf")) == 0
    assert gh.score_to_bits(float("-inf")) == 2**63
    assert gh.score_to_bits(2.0**63) == 2**63
    assert gh.score_to_bits(2.0**64 - 2048) == 2**64 - 2048


def test_decode_clamps_to_the_limits():
    assert gh.decode_score(-1.0) == (180.0, gh.LAT_MAX)
    lon, lat = gh.decode_score(0.0)
    assert "%.17f" % lon == "-179.99999731779098511"
    assert "%.17f" % lat == "-85.05112751263942528"


def test_distance_is_haversine_with_redis_radius():
    palermo = gh.decode_score(3479099956230698.0)
    catania = gh.decode_score(3479447370796909.0)
    assert "%.4f" % gh.distance(*palermo, *catania) == "166274.1516"
    assert gh.distance(*palermo, *palermo) == 0.0
    # a quarter of the equator
    assert abs(gh.distance(0.0, 0.0, 90.0, 0.0) - 2.0 * gh.EARTH_RADIUS_IN_METERS * (3.141592653589793 / 4)) < 1e-6


def test_estimate_steps():
    assert gh.estimate_steps(0, 0) == 26
    assert gh.estimate_steps(1, 0) == 24
    assert gh.estimate_steps(1000, 0) == 14
    assert gh.estimate_steps(1000, 70) == 13  # wider cells towards the poles
    assert gh.estimate_steps(1000, -81) == 12
    assert gh.estimate_steps(5_000_000, 0) == 2
    assert gh.estimate_steps(10_000_000, 0) == 1
    assert gh.estimate_steps(float("inf"), 0) == 1


def test_neighbours_are_the_adjacent_cells():
    step = 10
    bits = gh.encode(13.36, 38.11, step)
    boxes = gh.neighbours(bits, step)
    assert boxes[gh.CENTRE] == bits
    lon_min, lon_max, lat_min, lat_max = gh.decode_area(bits, step)
    north = gh.decode_area(boxes[gh.NORTH], step)
    south = gh.decode_area(boxes[gh.SOUTH], step)
    east = gh.decode_area(boxes[gh.EAST], step)
    west = gh.decode_area(boxes[gh.WEST], step)
    ne = gh.decode_area(boxes[gh.NORTH_EAST], step)
    sw = gh.decode_area(boxes[gh.SOUTH_WEST], step)
    assert north[2] == lat_max and north[0] == lon_min
    assert south[3] == lat_min and south[0] == lon_min
    assert east[0] == lon_max and east[2] == lat_min
    assert west[1] == lon_min and west[2] == lat_min
    assert ne[0] == lon_max and ne[2] == lat_max
    assert sw[1] == lon_min and sw[3] == lat_min


def test_neighbours_wrap_around_the_grid():
    step = 4
    bits = gh.encode(179.9, 0.0, step)
    east = gh.decode_area(gh.neighbours(bits, step)[gh.EAST], step)
    assert east[0] == -180.0


def test_box_score_range_covers_the_cell():
    step = 13
    bits = gh.encode(13.36, 38.11, step)
    lo, hi = gh.box_score_range(bits, step)
    assert hi - lo == 1 << (52 - 2 * step)
    assert lo <= gh.encode_score(13.36, 38.11) < hi


def test_shape_boxes_drop_unreachable_neighbours():
    small = gh.Shape(13.36, 38.11, 1.0, radius=10.0)
    boxes = small.boxes()
    assert boxes[gh.CENTRE] is not None
    assert boxes.count(None) >= 5  # a 10 m circle well inside its cell reaches few of the neighbours
    world = gh.Shape(0.0, 0.0, 1000.0, radius=20000.0)
    assert all(b is not None and b[1] == 1 for b in world.boxes())


def test_shape_distance_if_inside():
    circle = gh.Shape(0.0, 0.0, 1000.0, radius=100.0)
    assert circle.distance_if_inside(0.5, 0.5) is not None
    assert circle.distance_if_inside(1.0, 0.0) is None
    box = gh.Shape(0.0, 0.0, 1000.0, width=200.0, height=50.0, box=True)
    assert box.distance_if_inside(0.8, 0.0) is not None
    assert box.distance_if_inside(0.0, 0.3) is None
    lon_only = box.distance_if_inside(0.8, 0.0)
    assert lon_only == gh.distance(0.0, 0.0, 0.8, 0.0)


def test_bounds_of_an_infinite_radius_are_nan_not_an_exception():
    shape = gh.Shape(0.0, 0.0, 1.0, radius=float("inf"))
    min_lon, min_lat, max_lon, max_lat = shape.bounds()
    assert min_lon != min_lon and max_lon != max_lon
    assert min_lat == float("-inf") and max_lat == float("inf")


def _cmp(a: tuple[int, int], b: tuple[int, int]) -> int:
    return (a[0] > b[0]) - (a[0] < b[0])


@given(st.lists(st.integers(0, 6), max_size=120), st.integers(1, 130))
def test_pqsort_places_the_first_k_in_order(keys, k):
    items = [(key, i) for i, key in enumerate(keys)]
    k = min(k, len(items)) or 1
    out = list(items)
    gh.pqsort(out, _cmp, 0, k - 1)
    assert sorted(out, key=lambda t: t[1]) == items  # a permutation
    assert [t[0] for t in out[:k]] == sorted(keys)[:k]


def test_pqsort_leaves_ties_where_the_c_code_does():
    # The whole array after Redis's pqsort.c (compiled) ran on the same input: equal keys are not
    # kept in their original order, unlike a stable sort.
    items = [(i % 3, i) for i in range(21)]
    gh.pqsort(items, _cmp, 0, 9)
    assert [i for _, i in items] == [0, 12, 9, 3, 18, 15, 6, 10, 1, 4, 7, 13, 16, 19, 14, 5, 20, 17, 11, 8, 2]
    stable = sorted(((i % 3, i) for i in range(21)), key=functools.cmp_to_key(_cmp))
    assert [i for _, i in stable][:4] == [0, 3, 6, 9]
