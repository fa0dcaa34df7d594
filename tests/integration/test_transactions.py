"""MULTI/EXEC/DISCARD/WATCH/UNWATCH against both servers: exact replies in RESP2 and RESP3, EXECABORT,
runtime errors in place, which changes abort a WATCHed transaction (writers of every type, expiry,
FLUSHALL/FLUSHDB/SWAPDB), blocking commands and notifications inside EXEC, MONITOR, CLIENT LIST,
stats and slow log, and redis-py's pipelines and ``transaction()`` retry loops.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

import hiredis
import pytest
import redis
import redis.asyncio
from helpers import RawConnection, encode_command

OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"
PONG1 = b"*1\r\n+PONG\r\n"
NIL2 = b"*-1\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"


def drain(conn: RawConnection, wait: float = 0.3) -> bytes:
    """Everything the server sent within ``wait`` seconds of silence."""
    conn.sock.settimeout(wait)
    try:
        while True:
            chunk = conn.sock.recv(65536)
            if not chunk:
                break
            conn.buf += chunk
    except (TimeoutError, OSError):
        pass
    data, conn.buf = conn.buf, b""
    return data


def pipeline(conn: RawConnection, *commands: tuple) -> bytes:
    """Send ``commands`` in one write and return all the bytes answered."""
    conn.send(b"".join(encode_command(*c) for c in commands))
    return drain(conn)


# -- replies and errors --------------------------------------------------------------------------------


def test_multi_exec_replies(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("SET", "a", "1") == QUEUED
    assert raw.command("INCR", "a") == QUEUED
    assert raw.command("GET", "a") == QUEUED
    assert raw.command("EXEC") == b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"
    assert raw.command("GET", "a") == b"$1\r\n2\r\n"


def test_exec_in_resp3_is_the_same_array(raw):
    raw.command("HELLO", "3")
    raw.command("HSET", "h", "f", "v")
    assert raw.command("MULTI") == OK
    assert raw.command("HGETALL", "h") == QUEUED
    assert raw.command("GET", "missing") == QUEUED
    assert raw.command("EXEC") == b"*2\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n_\r\n"


def test_empty_transaction(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("EXEC") == b"*0\r\n"


def test_refused_exec_discards_the_transaction(target, raw):
    abort = b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    assert raw.command("EXEC", "extra") == abort  # even outside MULTI
    assert raw.command("MULTI") == OK
    assert raw.command("SET", "a", "1") == QUEUED
    assert raw.command("EXEC", "extra") == abort
    assert raw.command("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.command("EXISTS", "a") == b":0\r\n"
    with target.raw() as subscriber:
        subscriber.command("SUBSCRIBE", "c")
        assert subscriber.command("EXEC") == (
            b"-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / "
            b"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        )


def test_nested_multi_and_watch_inside_multi_do_not_doom_the_transaction(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    assert raw.command("WATCH", "x") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    assert raw.command("PING") == QUEUED
    assert raw.command("EXEC") == PONG1


def test_exec_and_discard_without_multi(raw):
    assert raw.command("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.command("DISCARD") == b"-ERR DISCARD without MULTI\r\n"
    assert raw.command("UNWATCH") == OK


@pytest.mark.parametrize(
    "bad, error",
    [
        (("NOSUCHCMD", "x"), b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"),
        (("SET", "a"), b"-ERR wrong number of arguments for 'set' command\r\n"),
        (("CONFIG", "NOSUCH"), b"-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"),
        (("CONFIG", "GET"), b"-ERR wrong number of arguments for 'config|get' command\r\n"),
        (("SHUTDOWN",), b"-ERR Command not allowed inside a transaction\r\n"),
    ],
)
def test_rejected_command_aborts_exec(raw, bad, error):
    assert raw.command("MULTI") == OK
    assert raw.command("SET", "a", "1") == QUEUED
    assert raw.command(*bad) == error
    assert raw.command("SET", "b", "1") == QUEUED
    assert raw.command("EXEC") == EXECABORT
    assert raw.command("EXEC") == b"-ERR EXEC without MULTI\r\n"  # the transaction is gone
    assert raw.command("EXISTS", "a", "b") == b":0\r\n"


def test_runtime_errors_are_returned_in_place(raw):
    raw.command("SET", "s", "text")
    assert raw.command("MULTI") == OK
    for cmd in (("INCR", "s"), ("LPUSH", "s", "x"), ("SET", "t", "1"), ("INCRBY", "t", "x"), ("GET", "t")):
        assert raw.command(*cmd) == QUEUED
    assert raw.command("EXEC") == (
        b"*5\r\n-ERR value is not an integer or out of range\r\n"
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        b"+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\n1\r\n"
    )


def test_discard_drops_the_queue(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("SET", "a", "1") == QUEUED
    assert raw.command("DISCARD") == OK
    assert raw.command("EXISTS", "a") == b":0\r\n"
    assert raw.command("DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_pipelined_transaction(raw):
    got = pipeline(raw, ("MULTI",), ("SET", "a", "1"), ("FOO",), ("EXEC",), ("GET", "a"))
    assert got == OK + QUEUED + b"-ERR unknown command 'FOO', with args beginning with: \r\n" + EXECABORT + b"$-1\r\n"


def test_select_inside_transaction(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("SELECT", "9") == QUEUED
    assert raw.command("SET", "a", "9") == QUEUED
    assert raw.command("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"
    assert raw.command("GET", "a") == b"$1\r\n9\r\n"  # the SELECT stays in effect after EXEC
    raw.command("SELECT", "0")
    assert raw.command("GET", "a") == b"$-1\r\n"


def test_client_reply_off_inside_transaction(raw):
    # Redis 7.0 writes the array header before running the queue, then drops the silenced replies.
    got = pipeline(raw, ("MULTI",), ("CLIENT", "REPLY", "OFF"), ("SET", "a", "b"), ("EXEC",), ("CLIENT", "REPLY", "ON"))
    assert got == OK + QUEUED + QUEUED + b"*2\r\n" + OK


def test_client_reply_skip_inside_transaction_silences_the_command_after_exec(raw):
    commands = [("MULTI",), ("SET", "a", "b"), ("CLIENT", "REPLY", "SKIP"), ("EXEC",), ("GET", "a"), ("PING",)]
    assert pipeline(raw, *commands) == OK + QUEUED + QUEUED + b"*2\r\n+OK\r\n+PONG\r\n"


def test_reset_discards_transaction_and_watches(target, raw):
    other = target.raw()
    try:
        raw.command("SET", "k", "1")
        assert raw.command("WATCH", "k") == OK
        assert raw.command("MULTI") == OK
        assert raw.command("SET", "a", "1") == QUEUED
        assert raw.command("RESET") == b"+RESET\r\n"
        other.command("SET", "k", "2")
        assert raw.command("EXISTS", "a") == b":0\r\n"
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == PONG1
    finally:
        other.close()


# -- WATCH ----------------------------------------------------------------------------------------------


def _watched_exec(target, raw, setup: list[str], change: str) -> bytes:
    """WATCH k after ``setup``; another client runs ``change``; then MULTI PING EXEC."""
    other = target.raw()
    try:
        for line in setup:
            raw.command(*line.split())
        assert raw.command("WATCH", "k") == OK
        other.command(*change.split())
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        return raw.command("EXEC")
    finally:
        other.close()


STR = ["SET k v", "SET src abc"]
LIST = ["RPUSH k a b c", "RPUSH src x"]
HASH = ["HSET k f 1 g 2", "HSET src f 1"]
SET = ["SADD k a b c", "SADD src a x"]
ZSET = ["ZADD k 1 a 2 b 3 c", "ZADD src 1 a 5 x"]

# Every writer must count as a change for WATCH (Redis's signalModifiedKey), whoever runs it.
TOUCHING = [
    (STR, "SET k v"),  # the same value still counts
    (STR, "APPEND k x"),
    (STR, "BITFIELD k SET u8 0 1"),
    (STR, "BITOP AND k src"),
    (["SET k 1"], "DECR k"),
    (["SET k 1"], "DECRBY k 2"),
    (["SET k 1"], "INCR k"),
    (["SET k 1"], "INCRBY k 2"),
    (["SET k 1"], "INCRBYFLOAT k 1.5"),
    (STR, "DEL k"),
    (STR, "UNLINK k"),
    (STR, "GETDEL k"),
    (STR, "GETEX k EX 100"),
    (STR, "GETSET k z"),
    (STR, "MSET k z"),
    (STR, "PSETEX k 1000 z"),
    (STR, "SETEX k 100 z"),
    (STR, "SETBIT k 0 1"),
    (STR, "SETRANGE k 0 z"),
    (STR, "EXPIRE k 100"),
    (STR, "PEXPIRE k 100000"),
    (STR, "EXPIREAT k 99999999999"),
    (STR, "PEXPIREAT k 99999999999000"),
    (STR, "EXPIRE k 0"),
    (["SET k v EX 100"], "PERSIST k"),
    (STR, "RENAME k other"),
    (STR, "RENAME src k"),
    (STR, "RENAMENX k other"),
    (STR, "COPY src k REPLACE"),
    (STR, "MOVE k 1"),
    ([], "SET k v"),  # a missing watched key that appears
    ([], "INCR k"),
    (LIST, "LPUSH k x"),
    (LIST, "RPUSH k x"),
    (LIST, "LPUSHX k x"),
    (LIST, "RPUSHX k x"),
    (LIST, "LPOP k"),
    (LIST, "RPOP k"),
    (LIST, "LINSERT k BEFORE b z"),
    (LIST, "LREM k 0 a"),
    (LIST, "LSET k 0 z"),
    (LIST, "LTRIM k 0 0"),
    (LIST, "LTRIM k 0 -1"),
    (LIST, "LMOVE k dst LEFT RIGHT"),
    (LIST, "LMOVE src k LEFT RIGHT"),
    (LIST, "RPOPLPUSH k k"),
    (LIST, "LMPOP 1 k LEFT"),
    (LIST, "BLPOP k 0"),
    (LIST, "BRPOP k 0"),
    (LIST, "BLMOVE src k LEFT LEFT 0"),
    (LIST, "BRPOPLPUSH k dst 0"),
    (LIST, "BLMPOP 0 1 k RIGHT"),
    (LIST, "SORT src ALPHA STORE k"),
    (HASH, "HSET k f 9"),
    (HASH, "HSET k f 1"),
    (HASH, "HDEL k f"),
    (HASH, "HINCRBY k f 1"),
    (HASH, "HINCRBYFLOAT k f 1.5"),
    (HASH, "HMSET k z 1"),
    (HASH, "HSETNX k new 1"),
    (SET, "SADD k z"),
    (SET, "SREM k a"),
    (SET, "SPOP k"),
    (SET, "SMOVE k dst a"),
    (SET, "SMOVE src k x"),
    (SET, "SDIFFSTORE k src"),
    (SET, "SINTERSTORE k src"),
    (SET, "SUNIONSTORE k src"),
    (SET, "SINTERSTORE k nothing"),
    (ZSET, "ZADD k 9 a"),
    (ZSET, "ZINCRBY k 1 a"),
    (ZSET, "ZREM k a"),
    (ZSET, "ZPOPMIN k"),
    (ZSET, "ZPOPMAX k"),
    (ZSET, "ZMPOP 1 k MIN"),
    (ZSET, "BZPOPMIN k 0"),
    (ZSET, "BZMPOP 0 1 k MAX"),
    (ZSET, "ZREMRANGEBYRANK k 0 0"),
    (ZSET, "ZREMRANGEBYSCORE k 1 1"),
    (ZSET, "ZREMRANGEBYLEX k [a [a"),
    (ZSET, "ZRANGESTORE k src 0 -1"),
    (ZSET, "ZUNIONSTORE k 1 src"),
    (ZSET, "ZINTERSTORE k 1 src"),
    (ZSET, "ZDIFFSTORE k 1 src"),
    (["PFADD k a"], "PFADD k b"),
    (["PFADD k a", "PFADD src z"], "PFMERGE k src"),
    (STR, "FLUSHDB"),
    (STR, "FLUSHALL"),
    (STR, "SWAPDB 0 1"),
    (["SELECT 1", "SET k v", "SELECT 0"], "SWAPDB 0 1"),  # the watched key appears by the swap
    (["SET k v EX 100"], "GETEX k PERSIST"),
    (STR, "SET k v KEEPTTL"),
    (STR, "SET k v GET"),
    (STR, "SETRANGE k 0 v"),
    (["SET k 5"], "INCRBY k 0"),
    (["SET k 1"], "INCRBYFLOAT k 0"),
    (HASH, "HINCRBY k f 0"),
    (HASH, "HDEL k nofield f"),
    (LIST, "LTRIM k 5 10"),
    (LIST, "LMOVE k k LEFT LEFT"),
    (LIST, "LSET k 0 a"),
    (["PFADD k a", "PFADD src a"], "PFMERGE k src"),
]

# Commands that leave the watched key as it was: Redis does not signal them.
NOT_TOUCHING = [
    (STR, "GET k"),
    (STR, "GETEX k"),
    (STR, "SET k z NX"),
    (STR, "SETNX k z"),
    (STR, "MSETNX k z src z"),
    (STR, "PERSIST k"),
    (STR, "COPY k copy"),
    (STR, "RENAMENX src k"),
    (STR, "SET other v"),
    (STR, "DEL other"),
    ([], "DEL k"),
    ([], "EXPIRE k 100"),
    ([], "LPUSHX k x"),
    ([], "GETDEL k"),
    (["SET k v EX 100"], "EXPIRE k 200 NX"),
    (LIST, "LREM k 0 zz"),
    (LIST, "LPOP other"),
    (HASH, "HSETNX k f 5"),
    (HASH, "HDEL k nofield"),
    (SET, "SADD k a"),
    (SET, "SREM k nomember"),
    (SET, "SMOVE k dst nomember"),
    (ZSET, "ZADD k NX 5 a"),
    (ZSET, "ZREM k nomember"),
    (ZSET, "ZREMRANGEBYSCORE k 100 200"),
    (["PFADD k a"], "PFADD k a"),
    ([], "FLUSHALL"),
    ([], "SWAPDB 0 1"),
    (["SELECT 1", "SET k v", "FLUSHDB", "SELECT 0", "SET k v"], "SELECT 0"),
    (["SET k v", "SELECT 1", "SET k v", "SELECT 0"], "MOVE src 1"),
    (STR, "SETBIT k 7 0"),  # the bit was already 0 (and the value only changes representation)
    (STR, "BITFIELD k SET u8 0 118"),  # 118 is "v": the same byte
    (STR, "BITFIELD k GET u8 0"),
    (STR, "GETEX k PERSIST"),
    (STR, "EXPIRE k 100 XX"),
    (STR, "RENAME k k"),
    (STR, "COPY src k"),
    (STR, "SWAPDB 0 0"),
    (LIST, "LINSERT k BEFORE nomatch z"),
    (LIST, "LPOP k 0"),
    (SET, "SPOP k 0"),
    (SET, "SMOVE k k a"),
    (ZSET, "ZADD k XX 1 nomember"),
    (ZSET, "ZADD k 1 a"),
    (ZSET, "ZINCRBY k 0 a"),
    (ZSET, "ZPOPMIN k 0"),
    (ZSET, "ZREMRANGEBYRANK k 5 10"),
    ([], "ZUNIONSTORE k 1 nothing"),
    ([], "SORT nothing STORE k"),
    ([], "BITOP OR k nothing"),
    (["PFADD k a"], "PFADD k"),
]


@pytest.mark.parametrize("setup, change", TOUCHING, ids=[c for _, c in TOUCHING])
def test_watch_aborts_on_change(target, raw, setup, change):
    assert _watched_exec(target, raw, setup, change) == NIL2


@pytest.mark.parametrize("setup, change", NOT_TOUCHING, ids=[c for _, c in NOT_TOUCHING])
def test_watch_ignores_non_changes(target, raw, setup, change):
    assert _watched_exec(target, raw, setup, change) == PONG1


def test_flush_of_another_database_does_not_abort(target, raw):
    assert _watched_exec(target, raw, STR, "FLUSHDB") == NIL2
    other = target.raw()
    try:
        raw.command("SET", "k", "v")
        assert raw.command("WATCH", "k") == OK
        other.command("SELECT", "1")
        other.command("FLUSHDB")
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == PONG1
    finally:
        other.close()


def test_watch_in_another_database(target, raw):
    other = target.raw()
    try:
        raw.command("SELECT", "3")
        assert raw.command("WATCH", "k") == OK
        raw.command("SELECT", "0")
        other.command("SET", "k", "db0")  # same name, other database: not watched
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == PONG1
        raw.command("SELECT", "3")
        assert raw.command("WATCH", "k") == OK
        raw.command("SELECT", "0")
        other.command("SELECT", "3")
        other.command("SET", "k", "db3")
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == NIL2
    finally:
        other.close()


def test_own_modification_aborts(raw):
    raw.command("SET", "k", "1")
    assert raw.command("WATCH", "k") == OK
    assert raw.command("INCR", "k") == b":2\r\n"
    assert raw.command("MULTI") == OK
    assert raw.command("INCR", "k") == QUEUED
    assert raw.command("EXEC") == NIL2
    assert raw.command("GET", "k") == b"$1\r\n2\r\n"


def test_null_array_in_resp3(raw):
    raw.command("HELLO", "3")
    assert raw.command("WATCH", "k") == OK
    raw.command("SET", "k", "1")
    assert raw.command("MULTI") == OK
    assert raw.command("PING") == QUEUED
    assert raw.command("EXEC") == b"_\r\n"


def test_exec_and_discard_and_unwatch_end_watches(target, raw):
    other = target.raw()
    try:
        for end in (("MULTI", "EXEC"), ("MULTI", "DISCARD"), ("UNWATCH",)):
            assert raw.command("WATCH", "k") == OK
            for cmd in end:
                raw.command(cmd)
            other.command("SET", "k", "x")
            assert raw.command("MULTI") == OK
            assert raw.command("PING") == QUEUED
            assert raw.command("EXEC") == PONG1, end
    finally:
        other.close()


def test_unwatch_clears_a_dirty_transaction(target, raw):
    other = target.raw()
    try:
        assert raw.command("WATCH", "k") == OK
        other.command("SET", "k", "x")
        assert raw.command("UNWATCH") == OK
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == PONG1
    finally:
        other.close()


def test_watching_more_keys_after_a_change_still_aborts(target, raw):
    other = target.raw()
    try:
        assert raw.command("WATCH", "k") == OK
        other.command("SET", "k", "x")
        assert raw.command("WATCH", "k", "j") == OK
        assert raw.command("MULTI") == OK
        assert raw.command("PING") == QUEUED
        assert raw.command("EXEC") == NIL2
    finally:
        other.close()


def test_watched_key_modified_inside_own_transaction_does_not_abort_it(raw):
    raw.command("SET", "k", "1")
    assert raw.command("WATCH", "k") == OK
    assert raw.command("MULTI") == OK
    assert raw.command("INCR", "k") == QUEUED
    assert raw.command("INCR", "k") == QUEUED
    assert raw.command("EXEC") == b"*2\r\n:2\r\n:3\r\n"


def test_dirty_transaction_wins_over_nothing_but_execabort_wins_over_dirty(target, raw):
    other = target.raw()
    try:
        assert raw.command("WATCH", "k") == OK
        other.command("SET", "k", "x")
        assert raw.command("MULTI") == OK
        assert raw.command("SET", "a") == b"-ERR wrong number of arguments for 'set' command\r\n"
        assert raw.command("EXEC") == EXECABORT
    finally:
        other.close()


# -- WATCH and expiry -------------------------------------------------------------------------------------


@pytest.fixture
def no_active_expire(raw):
    """Expired keys stay stored until something touches them (DEBUG SET-ACTIVE-EXPIRE 0)."""
    assert raw.command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    yield
    raw.command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def _expired_key(raw, key: str = "k") -> None:
    raw.command("SET", key, "v", "PX", "1")
    time.sleep(0.01)


def _exec_ping(raw) -> bytes:
    assert raw.command("MULTI") == OK
    assert raw.command("PING") == QUEUED
    return raw.command("EXEC")


def test_key_expiring_after_watch_aborts_even_if_still_stored(raw, no_active_expire):
    raw.command("SET", "k", "v", "PX", "50")
    assert raw.command("WATCH", "k") == OK
    time.sleep(0.08)
    assert _exec_ping(raw) == NIL2


def test_key_expiring_after_watch_and_reclaimed_aborts(target, raw):
    other = target.raw()
    try:
        raw.command("SET", "k", "v", "PX", "50")
        assert raw.command("WATCH", "k") == OK
        time.sleep(0.08)
        assert other.command("GET", "k") == b"$-1\r\n"
        assert _exec_ping(raw) == NIL2
    finally:
        other.close()


def test_key_already_expired_at_watch_time_is_no_change(raw, no_active_expire):
    _expired_key(raw)
    assert raw.command("WATCH", "k") == OK
    assert _exec_ping(raw) == PONG1


def test_key_already_expired_at_watch_time_then_reclaimed_is_no_change(target, raw, no_active_expire):
    other = target.raw()
    try:
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        assert other.command("GET", "k") == b"$-1\r\n"  # lazy expiry deletes it
        assert _exec_ping(raw) == PONG1
    finally:
        other.close()


def test_key_already_expired_at_watch_time_then_written_aborts(target, raw, no_active_expire):
    other = target.raw()
    try:
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        other.command("SET", "k", "new")
        assert _exec_ping(raw) == NIL2
    finally:
        other.close()


def test_key_already_expired_at_watch_time_then_reclaimed_then_written_aborts(target, raw, no_active_expire):
    other = target.raw()
    try:
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        assert other.command("EXISTS", "k") == b":0\r\n"
        other.command("SET", "k", "new")
        assert _exec_ping(raw) == NIL2
    finally:
        other.close()


def test_key_already_expired_at_watch_time_then_flushed_is_no_change(target, raw, no_active_expire):
    other = target.raw()
    try:
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        other.command("FLUSHALL")
        assert _exec_ping(raw) == PONG1
        # and after the flush the key is an ordinary missing key again: writing it is a change
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        other.command("FLUSHDB")
        other.command("SET", "k", "new")
        assert _exec_ping(raw) == NIL2
    finally:
        other.close()


def test_swapdb_with_expired_keys(target, raw, no_active_expire):
    other = target.raw()
    try:
        # a missing watched key replaced by an expired one: logically still missing
        other.command("SELECT", "1")
        other.command("SET", "k", "v", "PX", "1")
        time.sleep(0.01)
        assert raw.command("WATCH", "k") == OK
        other.command("SWAPDB", "0", "1")
        assert _exec_ping(raw) == PONG1
        # an expired watched key swapped away for nothing: no change
        raw.command("FLUSHALL")
        _expired_key(raw)
        assert raw.command("WATCH", "k") == OK
        other.command("SWAPDB", "0", "1")
        assert _exec_ping(raw) == PONG1
        # an expired watched key replaced by a live one: a change
        raw.command("FLUSHALL")
        _expired_key(raw)
        other.command("SET", "k", "live")  # other is in db 1
        assert raw.command("WATCH", "k") == OK
        other.command("SWAPDB", "0", "1")
        assert _exec_ping(raw) == NIL2
        # an expired watched key replaced by another expired one: no change
        raw.command("FLUSHALL")
        _expired_key(raw)
        other.command("SET", "k", "v", "PX", "1")
        time.sleep(0.01)
        assert raw.command("WATCH", "k") == OK
        other.command("SWAPDB", "0", "1")
        assert _exec_ping(raw) == PONG1
    finally:
        other.close()


# -- blocking, notifications, monitor ----------------------------------------------------------------------


def test_blocking_commands_inside_exec_do_not_block(raw):
    assert raw.command("MULTI") == OK
    for cmd in (("BLPOP", "nolist", "0"), ("BZPOPMIN", "noz", "0"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "0")):
        assert raw.command(*cmd) == QUEUED
    assert raw.command("RPUSH", "l", "x") == QUEUED
    assert raw.command("BRPOP", "l", "0") == QUEUED
    assert raw.command("EXEC") == b"*5\r\n*-1\r\n*-1\r\n$-1\r\n:1\r\n*2\r\n$1\r\nl\r\n$1\r\nx\r\n"


def test_monitor_is_refused_inside_exec(raw):
    assert raw.command("MULTI") == OK
    assert raw.command("MONITOR") == QUEUED
    assert raw.command("EXEC") == b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    assert raw.command("PING") == b"+PONG\r\n"


def test_blocked_client_is_served_after_exec(target, raw):
    waiter = target.raw()
    try:
        waiter.send(encode_command("BLPOP", "q", "0"))
        time.sleep(0.1)
        # pushed and popped inside one transaction: the waiter never sees it
        got = pipeline(raw, ("MULTI",), ("RPUSH", "q", "a"), ("LPOP", "q"), ("EXEC",))
        assert got == OK + QUEUED + QUEUED + b"*2\r\n:1\r\n$1\r\na\r\n"
        got = pipeline(raw, ("MULTI",), ("RPUSH", "q", "b", "c"), ("LPOP", "q"), ("EXEC",))
        assert got == OK + QUEUED + QUEUED + b"*2\r\n:2\r\n$1\r\nb\r\n"
        assert waiter.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
        assert raw.command("LLEN", "q") == b":0\r\n"
    finally:
        waiter.close()


def test_messages_to_self_land_inside_the_exec_array(raw):
    raw.command("HELLO", "3")
    assert raw.command("SUBSCRIBE", "ch") == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    got = pipeline(raw, ("MULTI",), ("PUBLISH", "ch", "x"), ("PING",), ("EXEC",))
    assert got == OK + QUEUED + QUEUED + b"*2\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n:1\r\n+PONG\r\n"


def test_keyspace_events_inside_exec(target, raw):
    r = target.client()
    listener = target.raw()
    r.config_set("notify-keyspace-events", "KEA")
    try:
        listener.command("SUBSCRIBE", "__keyevent@0__:set")
        got = pipeline(raw, ("MULTI",), ("SET", "a", "1"), ("SET", "b", "2"), ("EXEC",))
        assert got == OK + QUEUED + QUEUED + b"*2\r\n+OK\r\n+OK\r\n"
        frames = drain(listener)
        assert frames == (
            b"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\na\r\n"
            b"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nb\r\n"
        )
        # in RESP3 the client's own events come inside the array, before the reply that caused them
        raw.command("HELLO", "3")
        raw.command("SUBSCRIBE", "__keyevent@0__:del")
        got = pipeline(raw, ("MULTI",), ("DEL", "a"), ("EXEC",))
        assert got == OK + QUEUED + b"*1\r\n>3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\na\r\n:1\r\n"
    finally:
        r.config_set("notify-keyspace-events", "")
        listener.close()
        r.close()


def test_monitor_shows_the_transaction_as_it_runs(target, raw):
    monitor = target.raw()
    try:
        assert monitor.command("MONITOR") == OK
        pipeline(
            raw,
            ("MULTI",),
            ("SET", "a", "1"),
            ("SELECT", "2"),
            ("GET", "a"),
            ("EXEC",),
            ("MULTI",),
            ("FOO",),
            ("EXEC",),
            ("SELECT", "0"),
        )
        lines = re.sub(rb"\+\d+\.\d+ \[(\d+) [^\]]*\]", rb"[\1]", drain(monitor)).split(b"\r\n")
        assert lines[:8] == [
            b'[0] "MULTI"',
            b'[0] "SET" "a" "1"',
            b'[2] "SELECT" "2"',
            b'[2] "GET" "a"',
            b'[2] "EXEC"',
            b'[2] "MULTI"',
            b'[2] "EXEC"',
            lines[7],  # SELECT 0: which database a monitor line shows for SELECT is not this test's concern
        ]
        assert lines[7].endswith(b'"SELECT" "0"')
    finally:
        monitor.close()


# -- introspection and stats ----------------------------------------------------------------------------------


def test_command_info(r):
    info = r.execute_command("COMMAND", "INFO", "multi", "exec", "discard", "watch", "unwatch")
    flat = {
        name: (e["arity"], e["flags"], e["first_key_pos"], e["last_key_pos"], e["step_count"], e["acl_categories"])
        for name, e in info.items()
    }
    common = ["noscript", "loading", "stale", "fast", "allow_busy"]
    assert flat == {
        "multi": (1, common, 0, 0, 0, ["@fast", "@transaction"]),
        "exec": (1, ["noscript", "loading", "stale", "skip_slowlog"], 0, 0, 0, ["@slow", "@transaction"]),
        "discard": (1, common, 0, 0, 0, ["@fast", "@transaction"]),
        "watch": (-2, common, 1, -1, 1, ["@fast", "@transaction"]),
        "unwatch": (1, common, 0, 0, 0, ["@fast", "@transaction"]),
    }


def test_command_info_watch_key_specs(raw):
    assert raw.command("COMMAND", "INFO", "watch") == (
        b"*1\r\n*10\r\n$5\r\nwatch\r\n:-2\r\n*5\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n+allow_busy\r\n"
        b":1\r\n:-1\r\n:1\r\n*2\r\n+@fast\r\n+@transaction\r\n*0\r\n"
        b"*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
        b"$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
        b"$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
    )
    assert raw.command("COMMAND", "GETKEYS", "WATCH", "a", "b") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_command_docs(raw):
    reader = hiredis.Reader()
    reader.feed(raw.command("COMMAND", "DOCS", "watch", "exec", "multi", "discard", "unwatch"))
    flat = reader.gets()
    docs = {flat[i]: dict(zip(flat[i + 1][::2], flat[i + 1][1::2], strict=True)) for i in range(0, len(flat), 2)}
    for doc in docs.values():
        del doc[b"summary"]  # our own words
    assert docs == {
        b"watch": {
            b"since": b"2.2.0",
            b"group": b"transactions",
            b"complexity": b"O(1) for every key.",
            b"arguments": [[b"name", b"key", b"type", b"key", b"key_spec_index", 0, b"flags", [b"multiple"]]],
        },
        b"exec": {
            b"since": b"1.2.0",
            b"group": b"transactions",
            b"complexity": b"Depends on commands in the transaction",
        },
        b"multi": {b"since": b"1.2.0", b"group": b"transactions", b"complexity": b"O(1)"},
        b"discard": {
            b"since": b"2.0.0",
            b"group": b"transactions",
            b"complexity": b"O(N), when N is the number of queued commands",
        },
        b"unwatch": {b"since": b"2.2.0", b"group": b"transactions", b"complexity": b"O(1)"},
    }


def _cmdstat(r, name: str) -> dict:
    return r.info("commandstats").get(f"cmdstat_{name}", {})


def test_stats_count_queued_commands_when_they_run(target, r):
    r.config_resetstat()
    with target.raw() as conn:
        pipeline(conn, ("MULTI",), ("SET", "a", "1"), ("INCR", "nope", "x"), ("LPUSH", "a", "x"), ("EXEC",))
        pipeline(conn, ("MULTI",), ("SET", "a", "1"), ("EXEC",))
    assert _cmdstat(r, "multi")["calls"] == 2
    assert _cmdstat(r, "exec")["calls"] == 2
    assert _cmdstat(r, "exec")["failed_calls"] == 1
    assert _cmdstat(r, "set")["calls"] == 1  # the aborted transaction's SET never ran
    assert "cmdstat_lpush" not in r.info("commandstats")
    assert _cmdstat(r, "incr")["rejected_calls"] == 1
    errors = r.info("errorstats")
    assert errors["errorstat_EXECABORT"] == {"count": 1}
    assert errors["errorstat_ERR"] == {"count": 1}


def test_unknown_subcommand_counts_as_an_error_of_no_command(target, r):
    r.config_resetstat()
    with target.raw() as conn:
        assert conn.command("CLIENT", "NOSUCH") == b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"
        assert conn.command("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"
        pipeline(conn, ("MULTI",), ("CONFIG", "NOSUCH"), ("EXEC",))
    stat = {"calls": 0, "usec": 0, "usec_per_call": 0.0, "rejected_calls": 1, "failed_calls": 0}
    assert _cmdstat(r, "client") == stat  # the arity error only
    assert "cmdstat_config" not in r.info("commandstats")
    errors = r.info("errorstats")
    assert errors["errorstat_ERR"] == {"count": 3}
    assert errors["errorstat_EXECABORT"] == {"count": 1}


def test_runtime_error_inside_exec_counts_for_the_command_only(target, r):
    r.config_resetstat()
    r.set("s", "x")
    with target.raw() as conn:
        pipeline(conn, ("MULTI",), ("LPUSH", "s", "x"), ("EXEC",))
    assert _cmdstat(r, "lpush")["failed_calls"] == 1
    assert _cmdstat(r, "exec")["failed_calls"] == 0
    assert r.info("errorstats") == {"errorstat_WRONGTYPE": {"count": 1}}


def test_slowlog_has_the_queued_commands_not_exec(target, r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        with target.raw() as conn:
            conn.command("SLOWLOG", "RESET")
            pipeline(conn, ("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("EXEC",))
            r.config_set("slowlog-log-slower-than", 10000)
        names = [e["command"] for e in reversed(r.slowlog_get(20))]
        assert names[names.index(b"SLOWLOG RESET") + 1 :][:3] == [b"MULTI", b"SET a 1", b"GET a"]
        assert not any(n.startswith(b"EXEC") for n in names)
    finally:
        r.config_set("slowlog-log-slower-than", 10000)


def _client_line(r, client_id: int) -> str:
    return r.execute_command("CLIENT", "LIST", "ID", client_id).decode()


def test_client_list_shows_the_transaction(target, r):
    with target.raw() as conn:
        client_id = int(conn.command("CLIENT", "ID")[1:-2])
        assert re.search(r" flags=N .* multi=-1 ", _client_line(r, client_id))
        conn.command("MULTI")
        conn.command("SET", "a", "1")
        conn.command("GET", "a")
        assert re.search(r" flags=x .* multi=2 .* cmd=get ", _client_line(r, client_id))
        conn.command("NOSUCH")
        conn.command("SET", "b", "1")  # a doomed transaction queues nothing more
        assert re.search(r" multi=2 ", _client_line(r, client_id))
        conn.command("DISCARD")
        conn.command("WATCH", "k")
        r.set("k", "changed")
        assert re.search(r" flags=d ", _client_line(r, client_id))
        conn.command("MULTI")
        conn.command("SET", "c", "1")
        assert re.search(r" flags=xd .* multi=0 ", _client_line(r, client_id))


def test_client_list_inside_exec_still_shows_the_transaction(raw):
    client_id = raw.command("CLIENT", "ID")[1:-2].decode()
    assert raw.command("MULTI") == OK
    assert raw.command("CLIENT", "LIST", "ID", client_id) == QUEUED
    reply = raw.command("EXEC").decode()
    assert re.search(r" flags=x .* multi=1 .* cmd=exec ", reply)  # the command the client sent last


def test_paused_writes_wait_to_be_queued(target, raw):
    admin = target.raw()
    try:
        client_id = raw.command("CLIENT", "ID")[1:-2].decode()
        assert admin.command("CLIENT", "PAUSE", "100000", "WRITE") == OK
        raw.send(encode_command("MULTI") + encode_command("GET", "a") + encode_command("SET", "a", "1"))
        assert raw.read_reply() == OK
        assert raw.read_reply() == QUEUED  # a read is queued at once
        assert re.search(rb" multi=1 ", admin.command("CLIENT", "LIST", "ID", client_id))  # the SET waits
        assert admin.command("CLIENT", "UNPAUSE") == OK
        assert raw.read_reply() == QUEUED
        assert raw.command("EXEC") == b"*2\r\n$-1\r\n+OK\r\n"
    finally:
        admin.command("CLIENT", "UNPAUSE")
        admin.close()


# -- redis-py -------------------------------------------------------------------------------------------------


def test_redis_py_pipeline_transaction(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a").lpush("l", "x", "y").lrange("l", 0, -1).get("missing")
        assert pipe.execute() == [True, 2, 2, [b"y", b"x"], None]


def test_redis_py_pipeline_transaction_resp3(r3):
    with r3.pipeline(transaction=True) as pipe:
        pipe.hset("h", mapping={"f": "v"}).hgetall("h").zadd("z", {"m": 1.5}).zscore("z", "m")
        assert pipe.execute() == [1, {b"f": b"v"}, 1, 1.5]


def test_redis_py_pipeline_runtime_error(r):
    r.set("s", "x")
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).lpush("s", "x").get("a")
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            pipe.execute()
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 2).lpush("s", "x").get("a")
        results = pipe.execute(raise_on_error=False)
        assert results[0] is True and results[2] == b"2"
        assert isinstance(results[1], redis.ResponseError)


def test_redis_py_pipeline_execabort(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).execute_command("SET", "a")
        with pytest.raises(redis.ResponseError):
            pipe.execute()
    assert r.get("a") is None


def test_redis_py_watch_error(target, r):
    other = target.client()
    try:
        with r.pipeline() as pipe:
            pipe.watch("k")
            other.set("k", "theirs")
            pipe.multi()
            pipe.set("k", "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert r.get("k") == b"theirs"
    finally:
        other.close()


def test_redis_py_transaction_helper_retries(target, r):
    r.set("counter", 10)
    other = target.client()
    attempts = []

    def double(pipe):
        value = int(pipe.get("counter"))
        if not attempts:
            other.incr("counter")  # a concurrent change on the first attempt forces a retry
        attempts.append(value)
        pipe.multi()
        pipe.set("counter", value * 2)

    try:
        assert r.transaction(double, "counter") == [True]
        assert attempts == [10, 11]
        assert r.get("counter") == b"22"
    finally:
        other.close()


def test_concurrent_watch_increments_are_exact(target, r):
    r.set("total", 0)
    threads, per_thread = 4, 40

    def worker():
        client = target.client()
        try:
            for _ in range(per_thread):

                def incr(pipe):
                    value = int(pipe.get("total"))
                    pipe.multi()
                    pipe.set("total", value + 1)

                client.transaction(incr, "total")
        finally:
            client.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert r.get("total") == b"%d" % (threads * per_thread)


def test_django_style_mset_and_expire_in_multi(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.mset({":1:a": b"x", ":1:b": b"y"})
        pipe.expire(":1:a", 300)
        pipe.expire(":1:b", 300)
        assert pipe.execute() == [True, True, True]
    assert r.mget(":1:a", ":1:b") == [b"x", b"y"]
    assert 0 < r.ttl(":1:a") <= 300 and 0 < r.ttl(":1:b") <= 300


def test_redis_py_asyncio_pipeline_and_watch(target):
    async def scenario():
        client = redis.asyncio.Redis(host=target.host, port=target.port)
        other = redis.asyncio.Redis(host=target.host, port=target.port)
        try:
            await client.flushall()
            async with client.pipeline(transaction=True) as pipe:
                pipe.set("a", 1).incrby("a", 5).get("a")
                assert await pipe.execute() == [True, 6, b"6"]
            async with client.pipeline() as pipe:
                await pipe.watch("a")
                await other.set("a", 0)
                pipe.multi()
                pipe.incr("a")
                with pytest.raises(redis.WatchError):
                    await pipe.execute()

            async def bump(pipe):
                value = int(await pipe.get("a"))
                pipe.multi()
                pipe.set("a", value + 100)

            assert await client.transaction(bump, "a") == [True]
            assert await client.get("a") == b"100"
        finally:
            await client.aclose()
            await other.aclose()

    asyncio.run(scenario())
