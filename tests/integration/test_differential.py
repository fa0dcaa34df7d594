"""Random command sequences against cacheserver and redis-server side by side (``tests/differential.py``):
every reply must be the same, errors by their full text.

Each case replays ten seeded sequences of 400 commands over a small shared key space: strings, bitmaps,
expiry with absolute deadlines, lists, hashes, sets, sorted sets, streams with consumer groups,
HyperLogLog, SORT, big containers crossing the encoding thresholds (under Redis's default thresholds or
small ones), and MULTI/EXEC around them; the keyspace notifications of each command (RESP2 cases), the
invalidations a CLIENT TRACKING client receives after each command (RESP3 cases) and
the statistics the sequence decides (commandstats, errorstats, hits and misses, keys per database) are
compared too. The first difference fails the case with the last commands before it. The Lua libraries (cjson,
cmsgpack, bit, struct) are compared through random scripts of their own (``differential_lua.py``). More seeds from the command line:
``python tests/differential.py --seeds 500``.
"""

from __future__ import annotations

import random

import pytest
from differential import Conn, Listener, Tracker, config_differences, errors_as_text, run
from differential_lua import DUMP, LuaLibGenerator

SEEDS_PER_CASE = 10


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("first", [i * SEEDS_PER_CASE for i in range(8)])
def test_same_replies_as_redis(cacheserver_thread, redis_process, resp: int, first: int) -> None:
    if resp == 3:
        first += 10_000  # other sequences than the RESP2 cases'
    ours = Conn("127.0.0.1", cacheserver_thread.port, resp)
    redis = Conn(redis_process.host, redis_process.port, resp)
    # RESP2 cases compare each command's keyspace notifications too, RESP3 cases the invalidations a
    # tracking client receives (which keys each command modified, in order)
    if resp == 2:
        listeners = (Listener("127.0.0.1", cacheserver_thread.port), Listener(redis_process.host, redis_process.port))
    else:
        listeners = (Tracker("127.0.0.1", cacheserver_thread.port), Tracker(redis_process.host, redis_process.port))
    try:
        seeds = range(first, first + SEEDS_PER_CASE)
        differences = [d for seed in seeds if (d := run(seed, 400, ours, redis, listeners))]
    finally:
        for conn in (ours, redis, *(listeners or ())):
            conn.close()
    assert differences == []


def test_config_set_parses_as_redis_does(cacheserver_thread, redis_process) -> None:
    ours = Conn("127.0.0.1", cacheserver_thread.port)
    redis = Conn(redis_process.host, redis_process.port)
    try:
        assert config_differences(ours, redis) == []
    finally:
        ours.close()
        redis.close()


@pytest.mark.parametrize("seed", range(8))
def test_lua_libraries_as_redis_has_them(cacheserver_thread, redis_process, seed: int) -> None:
    # Random calls of cjson, cmsgpack, bit and struct under pcall (tests/differential_lua.py): every
    # value and every error text as Redis's C libraries give them.
    ours = Conn("127.0.0.1", cacheserver_thread.port)
    redis = Conn(redis_process.host, redis_process.port)
    gen = LuaLibGenerator(random.Random(seed))
    differences = []
    try:
        for _ in range(1000):
            call = [b"EVAL", gen.script(), b"0"]
            a, b = errors_as_text(ours.call(call)), errors_as_text(redis.call(call))
            if a != b:
                differences.append((call[1][len(DUMP) :], a, b))
    finally:
        ours.close()
        redis.close()
    assert differences == []
