"""Geo commands against cacheserver and redis-server: GEOADD options, positions and geohashes decoded
from scores, distances in every unit, searches by radius and box with every option (reply shapes in
RESP2 and RESP3, box-scan order, COUNT/ANY, tie order under COUNT), STORE/STOREDIST, errors in Redis's
order and words, notifications, keyspace hits/misses, and a seeded side-by-side comparison."""

from __future__ import annotations

import random

from helpers import RawConnection, keyevents

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
BAD_UNIT = b"-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"
NOT_DECODED = b"-ERR could not decode requested zset member\r\n"

SICILY = ("13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
PALERMO_RESP2 = b"*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"
PALERMO_RESP3 = b"*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"
CATANIA_RESP2 = b"*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n"
CATANIA_RESP3 = b"*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n"


def _sicily(raw) -> None:
    assert raw.command("GEOADD", "Sicily", *SICILY) == b":2\r\n"


# -- GEOADD -----------------------------------------------------------------------------------------------


def test_geoadd_stores_the_geohash_as_a_zset_score(r):
    assert r.execute_command("GEOADD", "Sicily", *SICILY) == 2
    assert r.zscore("Sicily", "Palermo") == 3479099956230698.0
    assert r.zscore("Sicily", "Catania") == 3479447370796909.0
    assert r.type("Sicily") == b"zset"
    assert r.object("encoding", "Sicily") == b"listpack"
    assert r.execute_command("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo") == 0


def test_geoadd_nx_xx_ch(r):
    r.execute_command("GEOADD", "Sicily", *SICILY)
    assert r.execute_command("GEOADD", "Sicily", "NX", "13", "38", "Palermo", "12", "37", "Agrigento") == 1
    assert r.zscore("Sicily", "Palermo") == 3479099956230698.0  # NX leaves existing members alone
    assert r.execute_command("GEOADD", "Sicily", "XX", "CH", "13", "38", "Palermo", "11", "36", "Nope") == 1
    assert r.zscore("Sicily", "Nope") is None
    assert r.execute_command("GEOADD", "Sicily", "ch", "13.361389", "38.115556", "Palermo", "11", "36", "T") == 2
    assert r.execute_command("GEOADD", "Sicily", "CH", "11", "36", "T") == 0
    assert r.execute_command("GEOADD", "missing", "XX", "1", "2", "m") == 0
    assert r.exists("missing") == 0


def test_geoadd_converts_to_skiplist_like_zadd(r):
    r.config_set("zset-max-listpack-entries", 4)
    try:
        args = []
        for i in range(5):
            args += [str(10 + i / 10), "45", f"m{i}"]
        assert r.execute_command("GEOADD", "g", *args[:12]) == 4
        assert r.object("encoding", "g") == b"listpack"
        assert r.execute_command("GEOADD", "g", *args[12:]) == 1
        assert r.object("encoding", "g") == b"skiplist"
        assert r.execute_command("GEOSEARCH", "g", "FROMLONLAT", "10.2", "45", "BYRADIUS", "10", "km", "ASC") == [
            b"m2",
            b"m1",
            b"m3",
        ]
    finally:
        r.config_set("zset-max-listpack-entries", 128)


def test_geoadd_errors(raw):
    assert (
        raw.command("GEOADD", "g", "200", "10", "x") == b"-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n"
    )
    assert (
        raw.command("GEOADD", "g", "20", "86", "x") == b"-ERR invalid longitude,latitude pair 20.000000,86.000000\r\n"
    )
    assert raw.command("GEOADD", "g", "-inf", "0", "x") == b"-ERR invalid longitude,latitude pair -inf,0.000000\r\n"
    assert (
        raw.command("GEOADD", "g", "1", "-85.0511288", "x")
        == b"-ERR invalid longitude,latitude pair 1.000000,-85.051129\r\n"
    )
    assert raw.command("GEOADD", "g", "abc", "10", "x") == NOT_FLOAT
    assert raw.command("GEOADD", "g", "1", "nan", "x") == NOT_FLOAT
    assert raw.command("GEOADD", "g", "NX", "XX", "1", "2", "x") == SYNTAX
    assert raw.command("GEOADD", "g", "1", "2", "x", "3") == SYNTAX
    assert raw.command("GEOADD", "g", "CH", "CH", "CH") == SYNTAX
    assert raw.command("GEOADD", "g", "GT", "1", "2", "x", "3", "4") == NOT_FLOAT  # GT is ZADD's, not GEOADD's
    assert raw.command("GEOADD", "g", "1", "2") == b"-ERR wrong number of arguments for 'geoadd' command\r\n"
    assert raw.command("EXISTS", "g") == b":0\r\n"
    raw.command("SET", "s", "v")
    assert (
        raw.command("GEOADD", "s", "1", "200", "x") == b"-ERR invalid longitude,latitude pair 1.000000,200.000000\r\n"
    )
    assert raw.command("GEOADD", "s", "1", "2", "x") == WRONGTYPE
    # the limits themselves are valid positions
    assert raw.command("GEOADD", "g", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne") == b":2\r\n"
    assert raw.command("GEOPOS", "g", "sw", "ne") == (
        b"*2\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n"
        b"*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n"
    )


# -- GEOPOS / GEOHASH / GEODIST ---------------------------------------------------------------------------


def test_geopos_resp2_and_resp3(target):
    raw = target.raw()
    try:
        raw.command("FLUSHALL")
        _sicily(raw)
        assert raw.command("GEOPOS", "Sicily", "Palermo", "nx", "Catania") == (
            b"*3\r\n" + PALERMO_RESP2 + b"*-1\r\n" + CATANIA_RESP2
        )
        assert raw.command("GEOPOS", "nokey", "a", "b") == b"*2\r\n*-1\r\n*-1\r\n"
        assert raw.command("GEOPOS", "Sicily") == b"*0\r\n"
        raw.command("HELLO", "3")
        assert raw.command("GEOPOS", "Sicily", "Palermo", "nx", "Catania") == (
            b"*3\r\n" + PALERMO_RESP3 + b"_\r\n" + CATANIA_RESP3
        )
        assert raw.command("GEOPOS", "nokey", "a") == b"*1\r\n_\r\n"
    finally:
        raw.close()


def test_geopos_of_scores_geoadd_never_writes(raw):
    # Scores out of the 52-bit range are cast to uint64 as the C code does, then clamped when decoded.
    raw.command("ZADD", "z", "-1", "neg", "1e300", "big", "-1e300", "small", "inf", "inf", "5e18", "e18", "1.5", "frac")
    assert raw.command("GEOPOS", "z", "neg", "big", "small", "inf", "e18", "frac") == (
        b"*6\r\n"
        b"*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n"
        b"*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n"
        b"*2\r\n$3\r\n180\r\n$21\r\n-85.05112751263942528\r\n"
        b"*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n"
        b"*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n"
        b"*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112497791824921\r\n"
    )
    assert raw.command("GEOHASH", "z", "neg", "big", "frac") == (
        b"*3\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj210\r\n"
    )


def test_geohash(raw):
    _sicily(raw)
    raw.command("GEOADD", "Sicily", "12", "37", "Agrigento")
    assert raw.command("GEOHASH", "Sicily", "Palermo", "Catania", "Agrigento", "nope") == (
        b"*4\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$11\r\nsq8d3pdhs70\r\n$-1\r\n"
    )
    assert raw.command("GEOHASH", "nokey", "a", "b") == b"*2\r\n$-1\r\n$-1\r\n"
    assert raw.command("GEOHASH", "Sicily") == b"*0\r\n"
    raw.command("HELLO", "3")
    assert raw.command("GEOHASH", "Sicily", "Palermo", "x") == b"*2\r\n$11\r\nsqc8b49rny0\r\n_\r\n"


def test_geodist_units_and_nulls(raw):
    _sicily(raw)
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania") == b"$11\r\n166274.1516\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "m") == b"$11\r\n166274.1516\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "km") == b"$8\r\n166.2742\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "MI") == b"$8\r\n103.3182\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "Ft") == b"$11\r\n545518.8700\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Palermo") == b"$6\r\n0.0000\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "nope") == b"$-1\r\n"
    assert raw.command("GEODIST", "nokey", "a", "b") == b"$-1\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "yd") == BAD_UNIT
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania", "km", "x") == SYNTAX
    assert raw.command("GEODIST", "Sicily", "a") == b"-ERR wrong number of arguments for 'geodist' command\r\n"
    raw.command("SET", "s", "v")
    assert raw.command("GEODIST", "s", "a", "b") == WRONGTYPE
    assert raw.command("GEODIST", "s", "a", "b", "yd") == BAD_UNIT  # the unit is checked first
    raw.command("HELLO", "3")
    # a distance is a bulk string in RESP3 too; a missing one is RESP3's null
    assert raw.command("GEODIST", "Sicily", "Palermo", "Catania") == b"$11\r\n166274.1516\r\n"
    assert raw.command("GEODIST", "Sicily", "Palermo", "nope") == b"_\r\n"


# -- searches ---------------------------------------------------------------------------------------------


def test_georadius_options_resp2(raw):
    _sicily(raw)
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "200", "km") == b"*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST") == (
        b"*2\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n"
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD") == (
        b"*2\r\n*2\r\n$7\r\nPalermo\r\n" + PALERMO_RESP2 + b"*2\r\n$7\r\nCatania\r\n" + CATANIA_RESP2
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "200", "km", "withcoord", "withhash", "withdist", "asc") == (
        b"*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n"
        + CATANIA_RESP2
        + b"*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n"
        + PALERMO_RESP2
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "200000", "m", "DESC", "COUNT", "1", "WITHDIST") == (
        b"*1\r\n*2\r\n$7\r\nPalermo\r\n$11\r\n190442.4298\r\n"
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "10", "km") == b"*0\r\n"
    assert raw.command("GEORADIUS", "nokey", "15", "37", "10", "km") == b"*0\r\n"


def test_georadius_options_resp3(target):
    raw = target.raw()
    try:
        raw.command("FLUSHALL")
        _sicily(raw)
        raw.command("HELLO", "3")
        assert raw.command(
            "GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"
        ) == (
            b"*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n"
            + CATANIA_RESP3
            + b"*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n"
            + PALERMO_RESP3
        )
        assert raw.command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "WITHCOORD") == (
            b"*1\r\n*2\r\n$7\r\nPalermo\r\n" + PALERMO_RESP3
        )
    finally:
        raw.close()


def test_georadiusbymember_and_ro_variants(r):
    r.execute_command("GEOADD", "Sicily", *SICILY, "12", "37", "Agrigento")
    assert r.execute_command("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST") == [
        [b"Palermo", b"0.0000"],
        [b"Catania", b"166.2742"],
        [b"Agrigento", b"172.6363"],
    ]
    assert r.execute_command("GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", "180", "km", "ASC") == [
        b"Agrigento",
        b"Palermo",
    ]
    assert r.execute_command("GEORADIUS_RO", "Sicily", "15", "37", "300", "km", "WITHHASH", "ASC") == [
        [b"Catania", 3479447370796909],
        [b"Palermo", 3479099956230698],
        [b"Agrigento", 3475952690022668],
    ]
    assert r.execute_command("GEORADIUS", "Sicily", "15", "37", "300", "km", "DESC", "COUNT", "2", "WITHDIST") == [
        [b"Agrigento", b"266.4766"],
        [b"Palermo", b"190.4424"],
    ]


def test_geosearch_radius_box_member_count_any(r):
    r.execute_command("GEOADD", "Sicily", *SICILY, "12", "37", "Agrigento", "11", "36", "Trapani")
    assert r.execute_command(
        "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHDIST"
    ) == [
        [b"Catania", b"56.4413"],
        [b"Palermo", b"190.4424"],
    ]
    assert r.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km") == [b"Palermo"]
    assert r.execute_command(
        "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1000", "km", "COUNT", "1", "ANY"
    ) == [b"Trapani"]
    # COUNT without ANY sorts nearest first; with ANY the first found are kept, unsorted
    assert r.execute_command(
        "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1000", "km", "COUNT", "2"
    ) == [
        b"Catania",
        b"Palermo",
    ]
    assert r.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Trapani", "BYBOX", "2000", "100", "km", "DESC") == [
        b"Trapani"
    ]
    assert r.execute_command("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m") == []


def test_unsorted_results_follow_the_box_scan(r):
    pts = []
    for i in range(12):
        pts += [str(2.0 + 0.37 * (i % 4)), str(48.0 + 0.41 * (i // 4)), f"p{i}"]
    r.execute_command("GEOADD", "grid", *pts)
    expected = [b"p0", b"p4", b"p1", b"p2", b"p5", b"p6", b"p8", b"p9", b"p10", b"p3", b"p7", b"p11"]
    assert r.execute_command("GEORADIUS", "grid", "2.6", "48.4", "80", "km") == expected
    assert r.execute_command("GEOSEARCH", "grid", "FROMLONLAT", "2.6", "48.4", "BYBOX", "120", "100", "km") == expected


def test_equal_distances_keep_redis_order(r):
    # Sorting everything is stable (glibc's merge sort); COUNT below the total uses Redis's pqsort.
    args = []
    for i in range(21):
        lon, lat = [(10.0, 45.0), (10.1, 45.0), (10.0, 45.2)][i % 3]
        args += [str(lon), str(lat), "t%02d" % i]
    r.execute_command("GEOADD", "ties", *args)
    search = ("GEOSEARCH", "ties", "FROMLONLAT", "10", "45", "BYRADIUS", "100", "km")
    assert r.execute_command(*search, "COUNT", "10", "ASC") == [
        b"t00", b"t06", b"t09", b"t03", b"t12", b"t15", b"t18", b"t10", b"t01", b"t04",
    ]  # fmt: skip
    assert r.execute_command(*search, "COUNT", "10", "DESC") == [
        b"t02", b"t17", b"t14", b"t20", b"t11", b"t08", b"t05", b"t10", b"t01", b"t04",
    ]  # fmt: skip
    assert r.execute_command(*search, "DESC") == [
        b"t02", b"t05", b"t08", b"t11", b"t14", b"t17", b"t20", b"t01", b"t04", b"t07", b"t10",
        b"t13", b"t16", b"t19", b"t00", b"t03", b"t06", b"t09", b"t12", b"t15", b"t18",
    ]  # fmt: skip
    assert r.execute_command(*search, "COUNT", "3", "ANY") == [b"t00", b"t03", b"t06"]


def test_huge_and_zero_areas(r):
    r.execute_command(
        "GEOADD", "w", "-179.99", "0", "a", "179.99", "0", "b", "0", "85.05", "c", "0", "-85.05", "d", "0", "0", "h"
    )
    # a and b are as far: a stable sort keeps them in scan order
    assert r.execute_command("GEORADIUS", "w", "0", "0", "inf", "km", "ASC") == [b"h", b"c", b"d", b"b", b"a"]
    assert r.execute_command("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "inf", "inf", "m") == [
        b"h",
        b"c",
        b"b",
        b"d",
        b"a",
    ]
    assert r.execute_command("GEORADIUS", "w", "0", "0", "0", "km", "WITHDIST") == []
    assert r.execute_command("GEORADIUS", "w", "179.995", "0", "5", "km", "WITHDIST") == [
        [b"b", b"0.5563"],
        [b"a", b"1.6686"],
    ]


def test_search_errors(raw):
    _sicily(raw)
    g = ("GEOSEARCH", "Sicily")
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "-1", "km") == b"-ERR radius cannot be negative\r\n"
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "x", "km") == b"-ERR need numeric radius\r\n"
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "kmx") == BAD_UNIT
    assert raw.command("GEORADIUS", "Sicily", "181", "37", "1", "km") == (
        b"-ERR invalid longitude,latitude pair 181.000000,37.000000\r\n"
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0") == b"-ERR COUNT must be > 0\r\n"
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "x") == NOT_INT
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT") == SYNTAX
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY") == (
        b"-ERR the ANY argument requires COUNT argument\r\n"
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "d", "WITHDIST") == (
        b"-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"
    )
    assert raw.command("GEORADIUS", "Sicily", "15", "37", "1", "km", "STOREDIST") == SYNTAX
    assert raw.command("GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d") == SYNTAX
    assert raw.command("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "1", "km", "STOREDIST", "d") == SYNTAX
    assert raw.command("GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km") == NOT_DECODED
    assert raw.command("GEORADIUSBYMEMBER", "Sicily", "nope", "-1", "xx") == NOT_DECODED
    # no source key: the member and radius are never looked at
    assert raw.command("GEORADIUSBYMEMBER", "nokey", "nope", "-1", "xx") == b"*0\r\n"
    assert raw.command(*g, "FROMMEMBER", "nope", "BYRADIUS", "1", "m") == NOT_DECODED
    assert raw.command(*g, "BYRADIUS", "1", "km") == b"-ERR wrong number of arguments for 'geosearch' command\r\n"
    assert raw.command(*g, "BYRADIUS", "1", "km", "ASC", "WITHDIST") == (
        b"-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH\r\n"
    )
    assert raw.command("geosearch", "Sicily", "FROMLONLAT", "1", "2", "ASC", "ANY") == (
        b"-ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch\r\n"
    )
    assert raw.command(*g, "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "BYBOX", "1", "1", "m") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "m", "BYRADIUS", "1", "m") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "STORE", "d") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "STOREDIST") == SYNTAX
    assert raw.command(*g, "FROMLONLAT", "x", "2", "BYRADIUS", "1", "m") == NOT_FLOAT
    assert (
        raw.command(*g, "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "m")
        == b"-ERR height or width cannot be negative\r\n"
    )
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "m") == b"-ERR need numeric width\r\n"
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYBOX", "1", "y", "m") == b"-ERR need numeric height\r\n"
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "yd") == BAD_UNIT
    assert raw.command(*g, "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "COUNT", "-3") == b"-ERR COUNT must be > 0\r\n"
    assert raw.command("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "WITHDIST") == (
        b"-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"
    )
    # a missing source still has its arguments checked
    assert raw.command("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m", "ANY") == (
        b"-ERR the ANY argument requires COUNT argument\r\n"
    )
    raw.command("SET", "s", "v")
    assert (
        raw.command("GEOSEARCH", "s", "FROMMEMBER", "x")
        == b"-ERR wrong number of arguments for 'geosearch' command\r\n"
    )
    assert raw.command("GEOSEARCH", "s", "FROMLONLAT", "x", "2", "BYRADIUS", "1", "m") == WRONGTYPE
    assert raw.command("GEORADIUS", "s", "1", "2", "-1", "m") == WRONGTYPE
    assert raw.command("GEOPOS", "s", "a") == WRONGTYPE
    assert raw.command("GEOHASH", "s", "a") == WRONGTYPE


# -- STORE / STOREDIST ------------------------------------------------------------------------------------


def test_georadius_store_and_storedist(r):
    r.execute_command("GEOADD", "Sicily", *SICILY, "12", "37", "Agrigento")
    assert r.execute_command("GEORADIUS", "Sicily", "15", "37", "300", "km", "STORE", "dst", "COUNT", "2", "DESC") == 2
    assert (
        r.zrange("dst", 0, -1, withscores=True)
        == [(b"Palermo", 3479099956230698.0), (b"Agrigento", 3475952690022668.0)][::-1]
    )
    assert r.execute_command("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST", "dst") == 3
    assert r.zrange("dst", 0, -1, withscores=True) == [
        (b"Palermo", 0.0),
        (b"Catania", 166.27415156960032),
        (b"Agrigento", 172.6363143137554),
    ]
    assert r.object("encoding", "dst") == b"listpack"
    # the last of STORE / STOREDIST wins
    assert r.execute_command("GEORADIUS", "Sicily", "15", "37", "60", "km", "STOREDIST", "a", "STORE", "b") == 1
    assert r.exists("a") == 0
    assert r.zscore("b", "Catania") == 3479447370796909.0
    # an empty result deletes the destination
    r.expire("dst", 100)
    assert r.execute_command("GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst") == 0
    assert r.exists("dst") == 0
    r.set("dst", "x")
    assert r.execute_command("GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "dst") == 0
    assert r.exists("dst") == 0


def test_geosearchstore(r):
    r.execute_command("GEOADD", "Sicily", *SICILY, "12", "37", "Agrigento")
    r.set("dst", "not a zset")
    r.expire("dst", 100)
    store = ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37")
    assert r.execute_command(*store, "BYBOX", "400", "400", "km", "STOREDIST") == 2
    assert r.ttl("dst") == -1
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"Catania", 56.4412578701582), (b"Palermo", 190.44242984775784)]
    assert r.execute_command(*store, "BYRADIUS", "300", "km", "COUNT", "1", "ASC") == 1
    assert r.zrange("dst", 0, -1, withscores=True) == [(b"Catania", 3479447370796909.0)]
    assert r.execute_command(*store, "BYRADIUS", "1", "m") == 0
    assert r.exists("dst") == 0
    r.config_set("zset-max-listpack-entries", 2)
    try:
        assert r.execute_command(*store, "BYRADIUS", "300", "km") == 3
        assert r.object("encoding", "dst") == b"skiplist"
    finally:
        r.config_set("zset-max-listpack-entries", 128)


# -- effects ----------------------------------------------------------------------------------------------


def test_notifications(target, r):
    r.execute_command("GEOADD", "src", *SICILY)
    events = keyevents(
        target,
        r,
        ("GEOADD", "g", "1", "2", "a"),
        ("GEOADD", "g", "NX", "1", "2", "a"),
        ("GEORADIUS", "src", "15", "37", "200", "km", "STORE", "d1"),
        ("GEOSEARCHSTORE", "d2", "src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
        ("GEOSEARCHSTORE", "d2", "src", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "d1"),
        ("GEOSEARCH", "src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    )
    assert events == [
        (b"zadd", b"g"),
        (b"georadiusstore", b"d1"),
        (b"geosearchstore", b"d2"),
        (b"del", b"d2"),
        (b"del", b"d1"),
    ]


def test_keyspace_hits_and_misses(r):
    r.execute_command("GEOADD", "Sicily", *SICILY)
    r.config_resetstat()

    def stats():
        info = r.info("stats")
        return info["keyspace_hits"], info["keyspace_misses"]

    r.execute_command("GEOADD", "Sicily", "1", "2", "x")
    assert stats() == (0, 0)
    r.execute_command("GEOPOS", "Sicily", "Palermo")
    r.execute_command("GEOHASH", "nokey", "a")
    assert stats() == (1, 1)
    r.execute_command("GEODIST", "Sicily", "Palermo", "Catania")
    r.execute_command("GEODIST", "nokey", "a", "b")
    assert stats() == (2, 2)
    r.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km")
    r.execute_command("GEORADIUSBYMEMBER", "nokey", "a", "1", "km")
    r.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km")
    assert stats() == (4, 3)


def test_command_getkeys_for_store_destinations(raw):
    getkeys = ("COMMAND", "GETKEYS")
    assert raw.command(*getkeys, "GEORADIUS", "k", "1", "2", "3", "m", "STOREDIST", "e", "STORE", "d") == (
        b"*3\r\n$1\r\nk\r\n$1\r\nd\r\n$1\r\ne\r\n"
    )
    assert raw.command(*getkeys, "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "d", "STORE", "f") == (
        b"*2\r\n$1\r\nk\r\n$1\r\nd\r\n"
    )
    assert raw.command(*getkeys, "GEORADIUSBYMEMBER", "k", "m", "STORE", "d", "STOREDIST", "e") == (
        b"*2\r\n$1\r\nk\r\n$1\r\ne\r\n"
    )
    assert raw.command(*getkeys, "GEORADIUS", "k", "1", "2", "3", "m", "STORE") == b"*1\r\n$1\r\nk\r\n"
    assert raw.command(*getkeys, "GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m") == (
        b"*2\r\n$1\r\nd\r\n$1\r\ns\r\n"
    )


# -- side by side -----------------------------------------------------------------------------------------

_CENTRES = [(13.36, 38.11), (-122.4, 37.7), (0.0, 0.0), (179.9, -10.0), (-179.95, 60.0), (2.35, 84.9), (100.0, -70.0)]
_UNITS = {"m": 1.0, "km": 1000.0, "mi": 1609.34, "ft": 0.3048, "KM": 1000.0}


def _random_session(rng: random.Random) -> list[tuple[str, ...]]:
    """GEOADDs of members scattered around a few centres (some at one shared position), then random
    searches of every kind with random options, stores and the zsets they made, distances."""
    cmds: list[tuple[str, ...]] = [("FLUSHALL",), ("CONFIG", "SET", "zset-max-listpack-entries", "64")]
    spots = [(round(rng.uniform(-10, 10), 4), round(rng.uniform(40, 50), 4)) for _ in range(5)]
    for k in range(4):
        args = ["GEOADD", f"g{k}"]
        for i in range(rng.choice([6, 50, 150])):
            if rng.random() < 0.3:
                lon, lat = rng.choice(spots)
            else:
                cx, cy = rng.choice(_CENTRES)
                spread = rng.choice([0.01, 0.5, 3.0])
                lon = max(-180.0, min(180.0, cx + rng.gauss(0, spread)))
                lat = max(-85.05, min(85.05, cy + rng.gauss(0, spread)))
            args += [repr(round(lon, rng.choice([2, 6, 9]))), repr(round(lat, rng.choice([2, 6, 9]))), f"m{i}"]
        cmds.append(tuple(args))
    for _ in range(150):
        key = f"g{rng.randrange(4)}"
        cx, cy = rng.choice(_CENTRES + spots)
        lon = repr(max(-180.0, min(180.0, cx + rng.gauss(0, 1))))
        lat = repr(max(-85.0, min(85.0, cy + rng.gauss(0, 1))))
        unit = rng.choice(list(_UNITS))
        size = rng.choice([100, 5000, 50000, 300000, 3e6, 8e6]) / _UNITS[unit]
        opts: list[str] = []
        for flag, p in (("WITHDIST", 0.5), ("WITHCOORD", 0.3), ("WITHHASH", 0.3)):
            if rng.random() < p:
                opts.append(flag)
        if rng.random() < 0.6:
            opts.append(rng.choice(["ASC", "DESC"]))
        if rng.random() < 0.5:
            opts += ["COUNT", str(rng.choice([1, 2, 3, 7, 20, 60]))]
            if rng.random() < 0.3:
                opts.append("ANY")
        member = f"m{rng.randrange(6)}"
        origin = ["FROMMEMBER", member] if rng.random() < 0.3 else ["FROMLONLAT", lon, lat]
        if rng.random() < 0.5:
            shape = ["BYRADIUS", repr(size), unit]
        else:
            shape = ["BYBOX", repr(size * rng.uniform(0.5, 2)), repr(size * rng.uniform(0.5, 2)), unit]
        kind = rng.random()
        if kind < 0.45:
            cmds.append(("GEOSEARCH", key, *origin, *shape, *opts))
        elif kind < 0.65:
            cmds.append(("GEORADIUS", key, lon, lat, repr(size), unit, *opts))
        elif kind < 0.75:
            cmds.append(("GEORADIUSBYMEMBER_RO", key, member, repr(size), unit, *opts))
        else:
            plain = [o for o in opts if not o.startswith("WITH")]
            if rng.random() < 0.5:
                plain.append("STOREDIST")
            cmds.append(("GEOSEARCHSTORE", "dst", key, *origin, *shape, *plain))
            cmds.append(("ZRANGE", "dst", "0", "-1", "WITHSCORES"))
            cmds.append(("OBJECT", "ENCODING", "dst"))
        if rng.random() < 0.2:
            a, b = f"m{rng.randrange(50)}", f"m{rng.randrange(50)}"
            cmds.append(("GEODIST", key, a, b, unit))
            cmds.append(("GEOPOS", key, a, b))
            cmds.append(("GEOHASH", key, a, b))
    cmds.append(("CONFIG", "SET", "zset-max-listpack-entries", "128"))
    return cmds


def test_random_searches_answer_as_redis(cacheserver_thread, redis_process):
    for resp, seed in ((2, 1), (2, 2), (2, 3), (2, 4), (3, 5), (3, 6)):
        ours = RawConnection("127.0.0.1", cacheserver_thread.port)
        theirs = RawConnection(redis_process.host, redis_process.port)
        try:
            if resp == 3:
                assert ours.command("HELLO", "3")[:1] == theirs.command("HELLO", "3")[:1] == b"%"
            compared = 0
            for cmd in _random_session(random.Random(seed)):
                expected = theirs.command(*cmd)
                assert ours.command(*cmd) == expected, (seed, cmd)
                compared += 1
            assert compared > 150
        finally:
            ours.close()
            theirs.close()


def test_geo_replies_inside_scripts_and_transactions(raw):
    _sicily(raw)
    script = "return redis.call('GEORADIUS', KEYS[1], 15, 37, 200, 'km', 'WITHCOORD', 'WITHDIST', 'WITHHASH')"
    assert raw.command("EVAL", script, "1", "Sicily") == (
        b"*2\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n"
        + PALERMO_RESP2
        + b"*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n"
        + CATANIA_RESP2
    )
    # under RESP3 a script sees a coordinate as a double (a Lua number: returned, it becomes an integer)
    resp3 = (
        "redis.setresp(3); local p = redis.call('GEOPOS', KEYS[1], 'Palermo', 'x'); return {p[1][1]['double'], p[2]}"
    )
    assert raw.command("EVAL", resp3, "1", "Sicily") == b"*1\r\n:13\r\n"
    assert (
        raw.command(
            "EVAL_RO",
            "return redis.call('GEOSEARCHSTORE', 'd', KEYS[1], 'FROMMEMBER', 'Palermo', 'BYRADIUS', 1, 'm')",
            "1",
            "Sicily",
        )[:5]
        == b"-ERR "
    )
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("GEOPOS", "Sicily", "Catania") == b"+QUEUED\r\n"
    assert raw.command("GEOSEARCHSTORE", "d", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*2\r\n*1\r\n" + CATANIA_RESP2 + b":1\r\n"
