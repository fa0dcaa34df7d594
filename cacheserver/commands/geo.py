"""Geo commands, as Redis 7.0's geo.c: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS[BYMEMBER][_RO],
GEOSEARCH and GEOSEARCHSTORE, over sorted sets whose scores are 52-bit geohashes (types/geohash.py).

Rules: GEOADD is ZADD with the positions encoded as scores (it runs the ZADD handler, so the event,
encoding conversions and replies are ZADD's). Searches parse as georadiusGeneric does: the source key
is looked up (and type-checked) first, then options in the order given, each failing on its own error,
then the cross-option checks; a missing source answers an empty array (or 0, deleting the STORE key).
Results come in box-scan order unless sorted; COUNT without ANY sorts ascending; sorting uses a stable
sort for all results (glibc's qsort is a merge sort) and Redis's pqsort when COUNT keeps fewer.

Replies: distances are bulk strings with 4 decimals in both protocols; coordinates are the decoded
cell centres printed as a long double "%.17Lf" with trailing zeros removed, bulk strings in RESP2 and
doubles in RESP3; hashes are integers. Replies are encoded here at once (they nest three levels).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cacheserver import errors
from cacheserver.commands import sorted_sets
from cacheserver.commands.generic import keyspec
from cacheserver.commands.sorted_sets import _built_as_skiplist
from cacheserver.commands.spec import command
from cacheserver.errors import CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import parse_double, parse_ll
from cacheserver.protocol.replies import EMPTY_ARRAY, Raw
from cacheserver.types import geohash
from cacheserver.types.geohash import LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN, Shape
from cacheserver.types.sorted_set import SortedSet

UNSUPPORTED_UNIT = CommandError("unsupported unit provided. please use M, KM, FT, MI")
NEED_RADIUS = CommandError("need numeric radius")
NEED_WIDTH = CommandError("need numeric width")
NEED_HEIGHT = CommandError("need numeric height")
RADIUS_NEGATIVE = CommandError("radius cannot be negative")
BOX_NEGATIVE = CommandError("height or width cannot be negative")
COUNT_POSITIVE = CommandError("COUNT must be > 0")
ANY_NEEDS_COUNT = CommandError("the ANY argument requires COUNT argument")
MEMBER_NOT_DECODED = CommandError("could not decode requested zset member")
STORE_WITH = CommandError("STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
SEARCHSTORE_WITH = CommandError("GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")

_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}

# georadiusGeneric's flags.
_COORDS, _MEMBER, _NOSTORE, _SEARCH, _SEARCHSTORE = 1, 2, 4, 8, 16
_SORT_NONE, _SORT_ASC, _SORT_DESC = 0, 1, 2


# -- arguments --------------------------------------------------------------------------------------------


def _unit(arg: bytes) -> float:
    to_meters = _UNITS.get(arg.lower())
    if to_meters is None:
        raise UNSUPPORTED_UNIT
    return to_meters


def _lon_lat(lon_arg: bytes, lat_arg: bytes) -> tuple[float, float]:
    """extractLongLatOrReply: two doubles inside the geohash limits."""
    lon = parse_double(lon_arg)
    if lon is None:
        raise errors.NOT_FLOAT
    lat = parse_double(lat_arg)
    if lat is None:
        raise errors.NOT_FLOAT
    if lon < LONG_MIN or lon > LONG_MAX or lat < LAT_MIN or lat > LAT_MAX:
        raise CommandError("invalid longitude,latitude pair %f,%f" % (lon, lat))
    return lon, lat


def _radius(shape: Shape, radius_arg: bytes, unit_arg: bytes) -> None:
    radius = parse_double(radius_arg)
    if radius is None:
        raise NEED_RADIUS
    if radius < 0:
        raise RADIUS_NEGATIVE
    shape.radius = radius
    shape.conversion = _unit(unit_arg)
    shape.box = False


def _box(shape: Shape, width_arg: bytes, height_arg: bytes, unit_arg: bytes) -> None:
    width = parse_double(width_arg)
    if width is None:
        raise NEED_WIDTH
    height = parse_double(height_arg)
    if height is None:
        raise NEED_HEIGHT
    if height < 0 or width < 0:
        raise BOX_NEGATIVE
    shape.width = width
    shape.height = height
    shape.conversion = _unit(unit_arg)
    shape.box = True


def _member_position(zs: SortedSet, member: bytes) -> tuple[float, float]:
    score = zs.scores.get(member)
    if score is None:
        raise MEMBER_NOT_DECODED
    return geohash.decode_score(score)


# -- replies ----------------------------------------------------------------------------------------------


def _human(d: float) -> bytes:
    """A double as Redis prints a long double for humans: "%.17Lf" without trailing zeros."""
    text = b"%.17f" % d
    if b"." in text:
        text = text.rstrip(b"0").rstrip(b".")
    if text == b"-0":
        return b"0"
    return text


def _coord(d: float, resp: int) -> bytes:
    text = _human(d)
    if resp == 2:
        return b"$%d\r\n%b\r\n" % (len(text), text)
    return b",%b\r\n" % text


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(b), b)


def _distance_reply(d: float) -> bytes:
    return b"%.4f" % d


# -- GEOADD -----------------------------------------------------------------------------------------------


@command(
    "geoadd",
    -5,
    flags="write denyoom",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Add members with their longitude and latitude to a geospatial index (a sorted set).",
    complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    syntax="key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]",
    key_specs=[keyspec("RW update")],
    history=[("6.2.0", "Added the `CH`, `NX` and `XX` options.")],
)
def geoadd(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    nx = xx = False
    longidx = 2
    while longidx < n:
        opt = argv[longidx].lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt != b"ch":
            break
        longidx += 1
    if (n - longidx) % 3 or (nx and xx):
        raise errors.SYNTAX
    zargv = [b"zadd"]
    zargv += argv[1:longidx]
    for i in range(longidx, n, 3):
        lon, lat = _lon_lat(argv[i], argv[i + 1])
        zargv.append(b"%d" % geohash.encode_score(lon, lat))
        zargv.append(argv[i + 2])
    return sorted_sets.zadd(c, zargv)


# -- GEODIST / GEOHASH / GEOPOS ---------------------------------------------------------------------------


@command(
    "geodist",
    -4,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Return the distance between two members of a geospatial index.",
    complexity="O(log(N))",
    syntax="key member1 member2 [M | KM | FT | MI]",
    key_specs=[keyspec("RO access")],
)
def geodist(c: Any, argv: list[bytes]) -> Any:
    to_meter = 1.0
    if len(argv) == 5:
        to_meter = _unit(argv[4])
    elif len(argv) > 5:
        raise errors.SYNTAX
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return None
    scores = zs.scores
    s1 = scores.get(argv[2])
    s2 = scores.get(argv[3])
    if s1 is None or s2 is None:
        return None
    lon1, lat1 = geohash.decode_score(s1)
    lon2, lat2 = geohash.decode_score(s2)
    return _distance_reply(geohash.distance(lon1, lat1, lon2, lat2) / to_meter)


@command(
    "geohash",
    -2,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Return members of a geospatial index as standard 11-character geohash strings.",
    complexity="O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
    syntax="key [member [member ...]]",
    key_specs=[keyspec("RO access")],
)
def geohash_(c: Any, argv: list[bytes]) -> list:
    zs = c.db.get_typed(argv[1], SortedSet)
    if zs is None:
        return [None] * (len(argv) - 2)
    get = zs.scores.get
    out: list = []
    for member in argv[2:]:
        score = get(member)
        if score is None:
            out.append(None)
        else:
            out.append(geohash.geohash_string(*geohash.decode_score(score)))
    return out


@command(
    "geopos",
    -2,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Return the longitude and latitude of members of a geospatial index.",
    complexity="O(N) where N is the number of members requested.",
    syntax="key [member [member ...]]",
    key_specs=[keyspec("RO access")],
)
def geopos(c: Any, argv: list[bytes]) -> Raw:
    zs = c.db.get_typed(argv[1], SortedSet)
    resp = c.resp
    null = b"*-1\r\n" if resp == 2 else b"_\r\n"
    parts = [b"*%d\r\n" % (len(argv) - 2)]
    get = zs.scores.get if zs is not None else None
    for member in argv[2:]:
        score = get(member) if get is not None else None
        if score is None:
            parts.append(null)
        else:
            lon, lat = geohash.decode_score(score)
            parts.append(b"*2\r\n" + _coord(lon, resp) + _coord(lat, resp))
    return Raw(b"".join(parts))


# -- searches ---------------------------------------------------------------------------------------------


def _asc(a: tuple, b: tuple) -> int:
    if a[0] > b[0]:
        return 1
    if a[0] == b[0]:
        return 0
    return -1


def _desc(a: tuple, b: tuple) -> int:
    return -_asc(a, b)


def _scan(zs: SortedSet, shape: Shape, limit: int) -> list[tuple[float, bytes, float, float, float]]:
    """membersOfAllNeighbors: (distance, member, score, longitude, latitude) of the members inside
    the shape, box after box; with ``limit``, stop once that many were found (ANY)."""
    found: list[tuple[float, bytes, float, float, float]] = []
    append = found.append
    boxes = shape.boxes()
    last = 0
    order = zs.order
    decode = geohash.decode_score
    inside = shape.distance_if_inside
    for i, box in enumerate(boxes):
        if box is None:
            continue
        # Huge areas make neighbours repeat: skip a box equal to the last one scanned (Redis never
        # compares with the centre box, index 0, which is why ``last`` starts at 0).
        if last and box == boxes[last]:
            continue
        if found and limit and len(found) >= limit:
            break
        lo, hi = geohash.box_score_range(box[0], box[1])
        first, stop = zs.score_range(float(lo), False, float(hi), True)
        for score, member in order.islice(first, stop):
            lon, lat = decode(score)
            dist = inside(lon, lat)
            if dist is not None:
                append((dist, member, score, lon, lat))
            if found and limit and len(found) >= limit:
                break
        last = i
    return found


def _georadius(c: Any, argv: list[bytes], src_index: int, flags: int) -> Any:
    db = c.db
    zs = db.get_typed(argv[src_index], SortedSet)
    storekey = None
    storedist = False
    shape = Shape(0.0, 0.0, 1.0)
    if flags & _COORDS:
        base = 6
        shape.longitude, shape.latitude = _lon_lat(argv[2], argv[3])
        _radius(shape, argv[4], argv[5])
    elif flags & _MEMBER:
        base = 5
        if zs is not None:
            shape.longitude, shape.latitude = _member_position(zs, argv[2])
            _radius(shape, argv[3], argv[4])
    else:
        base = 2
        if flags & _SEARCHSTORE:
            base = 3
            storekey = argv[1]
    search = flags & _SEARCH
    withdist = withhash = withcoord = any_ = False
    frommember = fromloc = byradius = bybox = False
    sort = _SORT_NONE
    count = 0
    n = len(argv)
    i = base
    while i < n:
        arg = argv[i].lower()
        left = n - i - 1  # arguments after this one
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            any_ = True
        elif arg == b"asc":
            sort = _SORT_ASC
        elif arg == b"desc":
            sort = _SORT_DESC
        elif arg == b"count" and left >= 1:
            count = parse_ll(argv[i + 1])
            if count is None:
                raise errors.NOT_INTEGER
            if count <= 0:
                raise COUNT_POSITIVE
            i += 1
        elif arg in (b"store", b"storedist") and left >= 1 and not flags & (_NOSTORE | _SEARCH):
            storekey = argv[i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & _SEARCH and flags & _SEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and left >= 1 and search and not fromloc:
            if zs is not None:
                shape.longitude, shape.latitude = _member_position(zs, argv[i + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and left >= 2 and search and not frommember:
            shape.longitude, shape.latitude = _lon_lat(argv[i + 1], argv[i + 2])
            fromloc = True
            i += 2
        elif arg == b"byradius" and left >= 2 and search and not bybox:
            _radius(shape, argv[i + 1], argv[i + 2])
            byradius = True
            i += 2
        elif arg == b"bybox" and left >= 3 and search and not byradius:
            _box(shape, argv[i + 1], argv[i + 2], argv[i + 3])
            bybox = True
            i += 3
        else:
            raise errors.SYNTAX
        i += 1

    if storekey is not None and (withdist or withhash or withcoord):
        raise SEARCHSTORE_WITH if flags & _SEARCHSTORE else STORE_WITH
    name = argv[0].decode("utf-8", "surrogateescape")
    if search and not (frommember or fromloc):
        raise CommandError(f"exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
    if search and not (byradius or bybox):
        raise CommandError(f"exactly one of BYRADIUS and BYBOX can be specified for {name}")
    if any_ and not count:
        raise ANY_NEEDS_COUNT

    if zs is None:
        if storekey is None:
            return EMPTY_ARRAY
        if db.delete(storekey):
            ks = db.ks
            ks.dirty += 1
            if ks.notify_flags:
                ks.emit(ev.GENERIC, b"del", storekey, db.index)
        return 0

    if count and sort == _SORT_NONE and not any_:
        sort = _SORT_ASC
    found = _scan(zs, shape, count if any_ else 0)
    if not found and storekey is None:
        return EMPTY_ARRAY
    total = len(found)
    returned = total if not count or total < count else count
    if sort != _SORT_NONE:
        if returned == total:
            found.sort(key=_distance_key, reverse=sort == _SORT_DESC)
        else:
            geohash.pqsort(found, _asc if sort == _SORT_ASC else _desc, 0, returned - 1)
    conversion = shape.conversion

    if storekey is None:
        resp = c.resp
        options = withdist + withhash + withcoord
        parts = [b"*%d\r\n" % returned]
        append = parts.append
        for dist, member, score, lon, lat in found[:returned]:
            if options:
                append(b"*%d\r\n" % (options + 1))
            append(_bulk(member))
            if withdist:
                append(_bulk(_distance_reply(dist / conversion)))
            if withhash:
                append(b":%d\r\n" % int(score))
            if withcoord:
                append(b"*2\r\n" + _coord(lon, resp) + _coord(lat, resp))
        return Raw(b"".join(parts))

    ks = db.ks
    if returned:
        if storedist:
            pairs = [(dist / conversion, member) for dist, member, _, _, _ in found[:returned]]
        else:
            pairs = [(score, member) for _, member, score, _, _ in found[:returned]]
        pairs.sort()
        db.set(storekey, _built_as_skiplist(c, pairs))
        if ks.notify_flags:
            ks.emit(ev.ZSET, b"geosearchstore" if search else b"georadiusstore", storekey, db.index)
        ks.dirty += returned
    elif db.delete(storekey):
        ks.dirty += 1
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", storekey, db.index)
    return returned


def _distance_key(item: tuple) -> float:
    return item[0]


def _keyword_key(argv: list[bytes], keyword: bytes, startfrom: int) -> int:
    """A keyword key spec's key: the argument after the first ``keyword`` at or after ``startfrom``
    (never the last argument); 0 when there is none."""
    for i in range(startfrom, len(argv) - 1):
        if argv[i].lower() == keyword:
            return i + 1
    return 0


def _store_keys_from(startfrom: int) -> Callable[[list[bytes]], list[int]]:
    """The keys GEORADIUS[BYMEMBER]'s key specs find: the source, then the STORE and the STOREDIST
    destinations (each the first one after the fixed arguments)."""

    def store_keys(argv: list[bytes]) -> list[int]:
        keys = [1]
        for keyword in (b"store", b"storedist"):
            at = _keyword_key(argv, keyword, startfrom)
            if at:
                keys.append(at)
        return keys

    return store_keys


def _store_keyspec(keyword: str, startfrom: int) -> dict:
    return {
        "flags": ["OW", "update"],
        "begin_search": {"type": "keyword", "spec": {"keyword": keyword, "startfrom": startfrom}},
        "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
    }


_UNIT = "<M | KM | FT | MI>"
_RADIUS_OPTIONS = "[WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"
_STORE_OPTIONS = " [STORE key] [STOREDIST key]"
_RADIUS_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited "
    "by center and radius and M is the number of items inside the index."
)
_SEARCH_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape "
    "provided as the filter and M is the number of items inside the shape"
)
_FROM_BY = f"<FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius {_UNIT} | BYBOX width height {_UNIT}>"
_RADIUS_HISTORY = [
    ("6.2.0", "Added the `ANY` option for `COUNT`."),
    ("7.0.0", "Added support for uppercase unit names."),
]
_RO_HISTORY = [("6.2.0", "Added the `ANY` option for `COUNT`.")]
_UNIT_HISTORY = [("7.0.0", "Added support for uppercase unit names.")]


@command(
    "georadius",
    -6,
    flags="write denyoom movablekeys",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Query a geospatial index for members within a distance of a position, optionally storing them.",
    complexity=_RADIUS_COMPLEXITY,
    syntax=f"key longitude latitude radius {_UNIT} {_RADIUS_OPTIONS}{_STORE_OPTIONS}",
    key_specs=[keyspec("RO access"), _store_keyspec("STORE", 6), _store_keyspec("STOREDIST", 6)],
    getkeys=_store_keys_from(6),
    history=_RADIUS_HISTORY,
    doc_flags="deprecated",
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
)
def georadius(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 1, _COORDS)


@command(
    "georadiusbymember",
    -5,
    flags="write denyoom movablekeys",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.0",
    summary="Query a geospatial index for members within a distance of a member, optionally storing them.",
    complexity=_RADIUS_COMPLEXITY,
    syntax=f"key member radius {_UNIT} {_RADIUS_OPTIONS}{_STORE_OPTIONS}",
    key_specs=[keyspec("RO access"), _store_keyspec("STORE", 5), _store_keyspec("STOREDIST", 5)],
    getkeys=_store_keys_from(5),
    history=_UNIT_HISTORY,
    doc_flags="deprecated",
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
)
def georadiusbymember(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 1, _MEMBER)


@command(
    "georadius_ro",
    -6,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.10",
    summary="Query a geospatial index for members within a distance of a position (read-only GEORADIUS).",
    complexity=_RADIUS_COMPLEXITY,
    syntax=f"key longitude latitude radius {_UNIT} {_RADIUS_OPTIONS}",
    key_specs=[keyspec("RO access")],
    history=_RO_HISTORY,
    doc_flags="deprecated",
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` with the `BYRADIUS` argument",
)
def georadius_ro(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 1, _COORDS | _NOSTORE)


@command(
    "georadiusbymember_ro",
    -5,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="3.2.10",
    summary="Query a geospatial index for members within a distance of a member (read-only GEORADIUSBYMEMBER).",
    complexity=_RADIUS_COMPLEXITY,
    syntax=f"key member radius {_UNIT} {_RADIUS_OPTIONS}",
    key_specs=[keyspec("RO access")],
    doc_flags="deprecated",
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
)
def georadiusbymember_ro(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 1, _MEMBER | _NOSTORE)


@command(
    "geosearch",
    -7,
    flags="readonly",
    keys=(1, 1, 1),
    group="geo",
    since="6.2.0",
    summary="Query a geospatial index for members inside a circle or a box.",
    complexity=_SEARCH_COMPLEXITY,
    syntax=f"key {_FROM_BY} [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]",
    key_specs=[keyspec("RO access")],
    history=_UNIT_HISTORY,
)
def geosearch(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 1, _SEARCH)


@command(
    "geosearchstore",
    -8,
    flags="write denyoom",
    keys=(1, 2, 1),
    group="geo",
    since="6.2.0",
    summary="Store the members of a geospatial index inside a circle or a box in another key.",
    complexity=_SEARCH_COMPLEXITY,
    syntax=f"destination source {_FROM_BY} [ASC | DESC] [COUNT count [ANY]] [STOREDIST]",
    key_specs=[keyspec("OW update"), keyspec("RO access", begin=2)],
    history=_UNIT_HISTORY,
)
def geosearchstore(c: Any, argv: list[bytes]) -> Any:
    return _georadius(c, argv, 2, _SEARCH | _SEARCHSTORE)
