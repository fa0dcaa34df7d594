"""Differential testing: random command sequences sent to cacheserver and to a real redis-server, replies
compared exactly.

A ``Generator`` draws commands from a seeded RNG over a small shared key space (so that keys change
type, go empty, collide with WRONGTYPE) and a value pool full of edge cases (empty, negative, huge,
non-numeric, float-looking). Only deterministic commands are drawn: nothing random (SPOP, RANDOMKEY...)
and nothing that reads the clock (TTL...). Replies are compared after decoding, errors by their full
text; the replies of commands whose order Redis leaves unspecified (a set's members, KEYS) are sorted
first. Usable as a library (the test in ``integration/test_differential.py``) and from the command
line to search many seeds:

    python tests/differential.py --seeds 200 --length 400
"""

from __future__ import annotations

import random
import socket
import sys
from collections import Counter
from typing import Any

import hiredis

KEYS = [b"k1", b"k2", b"k3", b"k4", b"{t}a", b"{t}b"]
FIELDS = [b"f1", b"f2", b"f3", b"f4", b"10", b"-1"]
VALUES = [
    b"", b"0", b"1", b"-1", b"7", b"42", b"100", b"-100", b"3.5", b"-0.25", b"1e3", b"abc", b"hello world",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"18446744073709551616",
    b" 1", b"1 ", b"+1", b"01", b"0x10", b"inf", b"-inf", b"nan", b"1.0", b"\x00\xff", b"a" * 50,
]
INTS = [b"0", b"1", b"-1", b"2", b"-2", b"3", b"5", b"10", b"-10", b"100", b"x", b"1.5", b"9223372036854775807",
        b"-9223372036854775808", b"99999999999999999999"]
# Expiry arguments: long enough never to expire during a run, or invalid.
TTLS = [b"1000", b"100000", b"0", b"-1", b"x", b"9223372036854775807", b"-9223372036854775808", b"1.5"]
PTTLS = [b"1000000", b"100000000", b"0", b"-1", b"x", b"9223372036854775807", b"-9223372036854775808", b"1.5"]
# Deadlines the generator gives as absolute times: read back exactly (others depend on the moment).
ABSOLUTE = {4102444800, 4102444800123, 4102444800000}
SCORES = [b"0", b"1", b"-1", b"2.5", b"-3.25", b"10", b"1e2", b"inf", b"-inf", b"+inf", b"(1", b"(2.5", b"x",
          b"nan", b"0.1", b"1.7976931348623157e308", b"3"]
LEX = [b"-", b"+", b"[a", b"(a", b"[m", b"(z", b"[", b"a", b"[f1", b"(f3"]

# Not called from the scripts drawn: transactions, connection state, and commands that are not allowed.
SCRIPT_EXCLUDED = {b"MULTI", b"EXEC", b"DISCARD", b"WATCH", b"UNWATCH", b"@other", b"SELECT", b"SWAPDB", b"EVAL", b"EVAL_RO"}
# Replies whose element order Redis does not define: compared sorted.
UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"KEYS", b"HKEYS", b"HVALS", b"HGETALL"}


GROUPS = ("string", "string", "bits", "generic", "generic", "list", "list", "hash", "set", "zset", "zset", "stream",
          "stream", "hll", "bulk", "blocking", "script", "scan", "multi")
# Groups whose commands may run inside a transaction or a script (a whole SCAN iteration is many commands).
PLAIN_GROUPS = tuple(g for g in GROUPS if g not in ("scan", "multi"))
# Timeouts of blocking commands: a millisecond at most (the sequence waits out each one on an empty
# key), or invalid; never 0, which would wait forever outside MULTI.
BLOCK_TIMEOUTS = [b"0.001", b"0.001", b"0.0001", b"-1", b"x", b"-0.5", b"inf"]
STREAM_IDS = [b"0-0", b"0-1", b"1-0", b"1-1", b"2-0", b"3-5", b"5", b"5-*", b"7-*", b"10-0", b"10-*", b"18446744073709551615-18446744073709551615",
              b"x", b"-1", b"1-x"]
RANGE_IDS = [b"-", b"+", b"0", b"1", b"1-1", b"(1-1", b"3", b"(3-5", b"5-0", b"10", b"(10-0", b"x", b"(-", b"(+"]


def pick(rng: random.Random, pool: list[bytes]) -> bytes:
    return rng.choice(pool)


class Generator:
    """Random commands, each a list of bytes arguments."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.queued: list[list[bytes]] = []

    def key(self) -> bytes:
        return pick(self.rng, KEYS)

    def value(self) -> bytes:
        return pick(self.rng, VALUES)

    def num(self) -> bytes:
        return pick(self.rng, INTS)

    def small(self) -> bytes:
        return str(self.rng.randint(-6, 12)).encode()

    def field(self) -> bytes:
        return pick(self.rng, FIELDS)

    def member(self) -> bytes:
        return self.rng.choice(FIELDS + [b"a", b"b", b"m", b"z", b"1", b"2", b"3"])

    def command(self) -> list[bytes]:
        if self.queued:
            return self.queued.pop(0)
        return self.draw(True)

    def plain(self) -> list[bytes]:
        """A command for a transaction: one whose reply is always determined by the data (the checks
        for SORT's and lex ranges' chance-dependent answers run outside MULTI only)."""
        while True:
            args = self.draw(False)
            name = args[0].upper()
            if name != b"SORT" and name not in LEX_COMMANDS and b"BYLEX" not in (a.upper() for a in args):
                return args

    def draw(self, multi: bool) -> list[bytes]:
        rng = self.rng
        if multi and rng.random() < 0.06:
            # WATCH, then a change (or none) from another client, then a transaction: EXEC must fail
            # exactly when Redis's would (a touched key, an expiry, a flush, a SWAPDB...).
            keys = [self.key() for _ in range(rng.randint(1, 2))]
            plan = [[b"WATCH", *keys]]
            for _ in range(rng.randint(0, 2)):
                plan.append([OTHER, *self.draw(False)])
            plan += [[b"MULTI"], self.plain(), [b"EXEC"] if rng.random() < 0.9 else [b"DISCARD"]]
            if rng.random() < 0.1:
                plan.insert(1, [b"UNWATCH"])
            self.queued = plan[1:]
            return plan[0]
        group = rng.choice(GROUPS if multi else PLAIN_GROUPS)
        if group == "multi":
            # A transaction of a few commands, sometimes with one that fails at queue time
            # (EXECABORT) or discarded instead of executed.
            body = [self.plain() for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.15:
                body.insert(rng.randrange(len(body) + 1), [b"SET", self.key()])  # wrong arity
            self.queued = body + [[b"DISCARD"] if rng.random() < 0.1 else [b"EXEC"]]
            return [b"MULTI"]
        return getattr(self, "g_" + group)()

    # -- strings -------------------------------------------------------------------------------------
    def g_string(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(22)
        if c == 0:
            opts = rng.sample([[b"NX"], [b"XX"], [b"GET"], [b"KEEPTTL"], [b"EX", b"1000"], [b"PX", b"100000"],
                               [b"EX", pick(rng, TTLS)], [b"PX", pick(rng, PTTLS)]], rng.randint(0, 2))
            return [b"SET", k, self.value()] + [a for o in opts for a in o]
        if c == 1:
            return [b"GET", k]
        if c == 2:
            return [b"APPEND", k, self.value()]
        if c == 3:
            return [b"INCR", k]
        if c == 4:
            return [b"DECR", k]
        if c == 5:
            return [b"INCRBY", k, self.num()]
        if c == 6:
            return [b"DECRBY", k, self.num()]
        if c == 7:
            return [b"INCRBYFLOAT", k, pick(rng, SCORES + VALUES)]
        if c == 8:
            return [b"GETRANGE", k, self.small(), self.small()]
        if c == 9:
            return [b"SETRANGE", k, self.small(), self.value()]
        if c == 10:
            return [b"STRLEN", k]
        if c == 11:
            return [b"GETSET", k, self.value()]
        if c == 12:
            return [b"GETDEL", k]
        if c == 13:
            n = rng.randint(1, 3)
            return [b"MSET"] + [a for _ in range(n) for a in (self.key(), self.value())]
        if c == 14:
            return [b"MGET"] + [self.key() for _ in range(rng.randint(1, 4))]
        if c == 15:
            return [b"MSETNX"] + [a for _ in range(rng.randint(1, 2)) for a in (self.key(), self.value())]
        if c == 16:
            return [b"SETNX", k, self.value()]
        if c == 17:
            opts = rng.choice([[], [b"LEN"], [b"IDX"], [b"IDX", b"WITHMATCHLEN"], [b"IDX", b"MINMATCHLEN", b"2"]])
            return [b"LCS", k, self.key()] + opts
        if c == 18:
            return [b"SUBSTR", k, self.small(), self.small()]
        if c == 19:
            return [b"GETEX", k] + rng.choice([[], [b"PERSIST"], [b"EX", b"1000"], [b"EX", pick(rng, TTLS)], [b"PX", pick(rng, PTTLS)]])
        if c == 20:
            return [b"SETEX", k, pick(rng, TTLS), self.value()]
        return [b"PSETEX", k, pick(rng, PTTLS), self.value()]

    # -- bitmaps -------------------------------------------------------------------------------------
    def g_bits(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(7)
        if c == 0:
            return [b"SETBIT", k, str(rng.randint(-1, 70)).encode(), rng.choice([b"0", b"1", b"2"])]
        if c == 1:
            return [b"GETBIT", k, str(rng.randint(-1, 70)).encode()]
        if c == 2:
            args = [b"BITCOUNT", k]
            if rng.random() < 0.7:
                args += [self.small(), self.small()]
                if rng.random() < 0.5:
                    args.append(rng.choice([b"BYTE", b"BIT", b"bit", b"XX"]))
            return args
        if c == 3:
            args = [b"BITPOS", k, rng.choice([b"0", b"1", b"2"])]
            for _ in range(rng.randint(0, 2)):
                args.append(self.small())
            if len(args) == 5 and rng.random() < 0.5:
                args.append(rng.choice([b"BYTE", b"BIT"]))
            return args
        if c == 4:
            op = rng.choice([b"AND", b"OR", b"XOR", b"NOT", b"nor"])
            return [b"BITOP", op, self.key()] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 5:
            args = [b"BITFIELD", k]
            for _ in range(rng.randint(1, 3)):
                t = rng.choice([b"u8", b"i8", b"u4", b"i16", b"u63", b"i64", b"u64", b"x3"])
                off = rng.choice([b"0", b"3", b"#1", b"100", b"-1"])
                op = rng.randrange(4)
                if op == 0:
                    args += [b"GET", t, off]
                elif op == 1:
                    args += [b"SET", t, off, self.num()]
                elif op == 2:
                    args += [b"INCRBY", t, off, self.num()]
                else:
                    args += [b"OVERFLOW", rng.choice([b"WRAP", b"SAT", b"FAIL", b"BAD"])]
            return args
        return [b"BITFIELD_RO", k, b"GET", rng.choice([b"u8", b"i5"]), rng.choice([b"0", b"4"])]

    # -- generic -------------------------------------------------------------------------------------
    def g_generic(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(18)
        if c == 0:
            return [b"DEL"] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 1:
            return [b"EXISTS"] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 2:
            return [b"TYPE", k]
        if c == 3:
            return [b"RENAME", k, self.key()]
        if c == 4:
            return [b"RENAMENX", k, self.key()]
        if c == 5:
            return [b"COPY", k, self.key()] + rng.choice([[], [b"REPLACE"], [b"DB", b"0"], [b"DB", b"x"]])
        if c == 6:
            cmd = rng.choice([b"EXPIRE", b"PEXPIRE"])
            t = rng.choice([b"100000", b"200000", b"x", b"9223372036854775807", b"-9223372036854775808"])
            return [cmd, k, t] + rng.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"NX", b"XX"], [b"GT", b"LT"]])
        if c == 7:
            return [b"PERSIST", k]
        if c == 8:
            return [b"KEYS", b"*"]
        if c == 9:
            return [b"DBSIZE"]
        if c == 10:
            return [b"TOUCH"] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 11:
            return [b"UNLINK", k]
        if c == 12:
            # Absolute deadlines far ahead read back exactly; past ones delete the key.
            cmd = rng.choice([b"EXPIREAT", b"PEXPIREAT"])
            when = rng.choice([b"4102444800", b"4102444800123", b"1", b"0", b"-5", b"x"])
            return [cmd, k, when] + rng.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"]])
        if c == 13:
            return [rng.choice([b"EXPIRETIME", b"PEXPIRETIME"]), k]
        if c == 14:
            # (A deadline in the past would leave the key to active expiry, at a moment of its own.)
            unit, when = rng.choice([(b"EXAT", b"4102444800"), (b"PXAT", b"4102444800123")])
            return [b"SET", k, self.value(), unit, rng.choice([when, when, b"0", b"x"])]
        if c == 15:
            return [b"MOVE", k, rng.choice([b"1", b"0", b"16", b"x"])]
        if c == 16:
            return [b"SWAPDB", b"0", b"1"] if rng.random() < 0.5 else [b"SELECT", rng.choice([b"0", b"1", b"16", b"x"])]
        return [b"SORT", k, b"BY", rng.choice([b"nosort", b"{t}*", b"k*->f1", b"x"]), b"GET", b"#", b"GET",
                rng.choice([b"k*->f2", b"{t}*", b"#"])] + rng.choice([[], [b"ALPHA"], [b"DESC", b"LIMIT", b"0", b"3"]])

    # -- lists ---------------------------------------------------------------------------------------
    def g_list(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(18)
        if c <= 1:
            return [rng.choice([b"LPUSH", b"RPUSH"]), k] + [self.member() for _ in range(rng.randint(1, 4))]
        if c == 2:
            return [rng.choice([b"LPUSHX", b"RPUSHX"]), k, self.member()]
        if c == 3:
            return [rng.choice([b"LPOP", b"RPOP"]), k] + rng.choice([[], [self.small()], [b"x"]])
        if c == 4:
            return [b"LLEN", k]
        if c == 5:
            return [b"LRANGE", k, self.small(), self.small()]
        if c == 6:
            return [b"LINDEX", k, self.small()]
        if c == 7:
            return [b"LSET", k, self.small(), self.member()]
        if c == 8:
            return [b"LINSERT", k, rng.choice([b"BEFORE", b"AFTER", b"MIDDLE"]), self.member(), self.member()]
        if c == 9:
            return [b"LREM", k, self.small(), self.member()]
        if c == 10:
            return [b"LTRIM", k, self.small(), self.small()]
        if c == 11:
            args = [b"LPOS", k, self.member()]
            for _ in range(rng.randint(0, 2)):
                args += rng.choice([[b"RANK", self.small()], [b"COUNT", self.small()], [b"MAXLEN", self.small()]])
            return args
        if c == 12:
            return [b"LMOVE", k, self.key(), rng.choice([b"LEFT", b"RIGHT"]), rng.choice([b"LEFT", b"RIGHT", b"UP"])]
        if c == 13:
            return [b"RPOPLPUSH", k, self.key()]
        if c == 14:
            n = rng.randint(1, 2)
            args = [b"LMPOP", str(n).encode()] + [self.key() for _ in range(n)] + [rng.choice([b"LEFT", b"RIGHT"])]
            if rng.random() < 0.5:
                args += [b"COUNT", self.small()]
            return args
        if c == 15:
            return [b"SORT", k] + rng.choice([[], [b"ALPHA"], [b"DESC", b"ALPHA"], [b"LIMIT", b"0", b"2"]])
        return [b"LRANGE", k, b"0", b"-1"]

    # -- hashes --------------------------------------------------------------------------------------
    def g_hash(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(14)
        if c <= 1:
            return [b"HSET", k] + [a for _ in range(rng.randint(1, 3)) for a in (self.field(), self.value())]
        if c == 2:
            return [b"HSETNX", k, self.field(), self.value()]
        if c == 3:
            return [b"HGET", k, self.field()]
        if c == 4:
            return [b"HMGET", k] + [self.field() for _ in range(rng.randint(1, 3))]
        if c == 5:
            return [b"HDEL", k] + [self.field() for _ in range(rng.randint(1, 3))]
        if c == 6:
            return [b"HEXISTS", k, self.field()]
        if c == 7:
            return [b"HLEN", k]
        if c == 8:
            return [rng.choice([b"HKEYS", b"HVALS", b"HGETALL"]), k]
        if c == 9:
            return [b"HINCRBY", k, self.field(), self.num()]
        if c == 10:
            return [b"HINCRBYFLOAT", k, self.field(), pick(rng, SCORES + VALUES)]
        if c == 11:
            return [b"HSTRLEN", k, self.field()]
        if c == 12:
            return [b"HMSET", k, self.field(), self.value()]
        return [b"OBJECT", b"ENCODING", k]

    # -- sets ----------------------------------------------------------------------------------------
    def g_set(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(14)
        if c <= 1:
            return [b"SADD", k] + [self.member() for _ in range(rng.randint(1, 4))]
        if c == 2:
            return [b"SREM", k] + [self.member() for _ in range(rng.randint(1, 3))]
        if c == 3:
            return [b"SISMEMBER", k, self.member()]
        if c == 4:
            return [b"SMISMEMBER", k] + [self.member() for _ in range(rng.randint(1, 3))]
        if c == 5:
            return [b"SCARD", k]
        if c == 6:
            return [b"SMEMBERS", k]
        if c == 7:
            return [b"SMOVE", k, self.key(), self.member()]
        if c == 8:
            return [rng.choice([b"SINTER", b"SUNION", b"SDIFF"])] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 9:
            cmd = rng.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"])
            return [cmd, self.key()] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 10:
            n = rng.randint(1, 3)
            args = [b"SINTERCARD", str(n).encode()] + [self.key() for _ in range(n)]
            if rng.random() < 0.4:
                args += [b"LIMIT", self.small()]
            return args
        if c == 11:
            return [b"SORT", k] + rng.choice([[], [b"ALPHA"], [b"DESC"], [b"LIMIT", b"1", b"2", b"ALPHA"]])
        return [b"OBJECT", b"ENCODING", k]

    # -- sorted sets ---------------------------------------------------------------------------------
    def g_zset(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(22)
        if c <= 2:
            opts = rng.sample([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"], rng.randint(0, 2))
            pairs = [a for _ in range(rng.randint(1, 3)) for a in (pick(rng, SCORES), self.member())]
            return [b"ZADD", k] + opts + pairs
        if c == 3:
            return [b"ZINCRBY", k, pick(rng, SCORES), self.member()]
        if c == 4:
            return [b"ZREM", k] + [self.member() for _ in range(rng.randint(1, 3))]
        if c == 5:
            return [b"ZCARD", k]
        if c == 6:
            return [b"ZSCORE", k, self.member()]
        if c == 7:
            return [b"ZMSCORE", k] + [self.member() for _ in range(rng.randint(1, 3))]
        if c == 8:
            return [rng.choice([b"ZRANK", b"ZREVRANK"]), k, self.member()]
        if c == 9:
            args = [b"ZRANGE", k]
            mode = rng.randrange(3)
            if mode == 0:
                args += [self.small(), self.small()]
            elif mode == 1:
                args += [pick(rng, SCORES), pick(rng, SCORES), b"BYSCORE"]
            else:
                args += [pick(rng, LEX), pick(rng, LEX), b"BYLEX"]
            if rng.random() < 0.3:
                args.append(b"REV")
            if rng.random() < 0.3:
                args += [b"LIMIT", self.small(), self.small()]
            if rng.random() < 0.4:
                args.append(b"WITHSCORES")
            return args
        if c == 10:
            return [rng.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]), k, pick(rng, SCORES), pick(rng, SCORES)] + \
                rng.choice([[], [b"WITHSCORES"], [b"LIMIT", b"0", b"2"], [b"WITHSCORES", b"LIMIT", b"1", b"-1"]])
        if c == 11:
            return [rng.choice([b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"]), k, pick(rng, LEX), pick(rng, LEX)]
        if c == 12:
            return [b"ZCOUNT", k, pick(rng, SCORES), pick(rng, SCORES)]
        if c == 13:
            return [b"ZLEXCOUNT", k, pick(rng, LEX), pick(rng, LEX)]
        if c == 14:
            cmd = rng.randrange(3)
            if cmd == 0:
                return [b"ZREMRANGEBYRANK", k, self.small(), self.small()]
            if cmd == 1:
                return [b"ZREMRANGEBYSCORE", k, pick(rng, SCORES), pick(rng, SCORES)]
            return [b"ZREMRANGEBYLEX", k, pick(rng, LEX), pick(rng, LEX)]
        if c == 15:
            return [rng.choice([b"ZPOPMIN", b"ZPOPMAX"]), k] + rng.choice([[], [self.small()]])
        if c == 16:
            n = rng.randint(1, 3)
            cmd = rng.choice([b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"])
            args = [cmd, self.key(), str(n).encode()] + [self.key() for _ in range(n)]
            if cmd != b"ZDIFFSTORE":
                if rng.random() < 0.4:
                    args += [b"WEIGHTS"] + [pick(rng, SCORES) for _ in range(rng.choice([n, n, n - 1]))]
                if rng.random() < 0.4:
                    args += [b"AGGREGATE", rng.choice([b"SUM", b"MIN", b"MAX", b"AVG"])]
            return args
        if c == 17:
            n = rng.randint(1, 3)
            cmd = rng.choice([b"ZUNION", b"ZINTER", b"ZDIFF"])
            args = [cmd, str(n).encode()] + [self.key() for _ in range(n)]
            if rng.random() < 0.5:
                args.append(b"WITHSCORES")
            return args
        if c == 18:
            n = rng.randint(1, 2)
            args = [b"ZMPOP", str(n).encode()] + [self.key() for _ in range(n)] + [rng.choice([b"MIN", b"MAX"])]
            if rng.random() < 0.5:
                args += [b"COUNT", self.small()]
            return args
        if c == 19:
            return [b"ZRANGESTORE", self.key(), k, self.small(), self.small()]
        if c == 20:
            n = rng.randint(1, 2)
            return [b"ZINTERCARD", str(n).encode()] + [self.key() for _ in range(n)]
        return [b"OBJECT", b"ENCODING", k]


    # -- streams -------------------------------------------------------------------------------------
    def g_stream(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(20)
        if c <= 3:
            args = [b"XADD", k]
            if rng.random() < 0.1:
                args.append(b"NOMKSTREAM")
            if rng.random() < 0.25:
                args += [rng.choice([b"MAXLEN", b"MINID"])] + rng.choice([[], [b"="], [b"~"]])
                args.append(rng.choice([b"0", b"1", b"2", b"5", b"-1", b"x", b"3-0"]))
                if rng.random() < 0.3:
                    args += [b"LIMIT", rng.choice([b"0", b"1", b"10", b"-1"])]
            args.append(pick(rng, STREAM_IDS))
            for _ in range(rng.choice([1, 1, 2, 0])):
                args += [self.field(), self.value()]
            return args
        if c == 4:
            return [b"XLEN", k]
        if c <= 6:
            cmd = rng.choice([b"XRANGE", b"XREVRANGE"])
            args = [cmd, k, pick(rng, RANGE_IDS), pick(rng, RANGE_IDS)]
            if rng.random() < 0.4:
                args += [b"COUNT", self.small()]
            return args
        if c == 7:
            return [b"XDEL", k] + [pick(rng, STREAM_IDS[:10]) for _ in range(rng.randint(1, 3))]
        if c == 8:
            args = [b"XTRIM", k, rng.choice([b"MAXLEN", b"MINID", b"LEN"])] + rng.choice([[], [b"="], [b"~"]])
            args.append(rng.choice([b"0", b"1", b"3", b"5-0", b"-1"]))
            if rng.random() < 0.3:
                args += [b"LIMIT", rng.choice([b"0", b"2", b"-1"])]
            return args
        if c == 9:
            args = [b"XGROUP", b"CREATE", k, rng.choice([b"g1", b"g2"]), rng.choice([b"$", b"0", b"1-1", b"x"])]
            if rng.random() < 0.5:
                args.append(b"MKSTREAM")
            if rng.random() < 0.3:
                args += [b"ENTRIESREAD", rng.choice([b"0", b"2", b"-1", b"-2", b"x"])]
            return args
        if c == 10:
            args = [b"XGROUP", b"SETID", k, rng.choice([b"g1", b"g2"]), rng.choice([b"$", b"0", b"3-5"])]
            if rng.random() < 0.3:
                args += [b"ENTRIESREAD", rng.choice([b"1", b"-1"])]
            return args
        if c == 11:
            sub = rng.choice([b"DESTROY", b"CREATECONSUMER", b"DELCONSUMER"])
            args = [b"XGROUP", sub, k, rng.choice([b"g1", b"g2"])]
            if sub != b"DESTROY":
                args.append(rng.choice([b"c1", b"c2"]))
            return args
        if c <= 13:
            args = [b"XREADGROUP", b"GROUP", rng.choice([b"g1", b"g2"]), rng.choice([b"c1", b"c2"])]
            if rng.random() < 0.5:
                args += [b"COUNT", rng.choice([b"1", b"2", b"0", b"-1"])]
            if rng.random() < 0.2:
                args.append(b"NOACK")
            keys = [k] if rng.random() < 0.8 else [k, self.key()]
            return args + [b"STREAMS"] + keys + [rng.choice([b">", b">", b"0", b"3-5"]) for _ in keys]
        if c == 14:
            return [b"XACK", k, rng.choice([b"g1", b"g2"])] + [pick(rng, STREAM_IDS[:10]) for _ in range(rng.randint(1, 3))]
        if c == 15:
            args = [b"XPENDING", k, rng.choice([b"g1", b"g2"])]
            if rng.random() < 0.2:
                args += [b"-", b"+", b"x"]
            return args
        if c == 16:
            args = [b"XCLAIM", k, rng.choice([b"g1", b"g2"]), rng.choice([b"c1", b"c2"]), b"0"]
            args += [pick(rng, STREAM_IDS[:10]) for _ in range(rng.randint(1, 2))]
            return args + [b"JUSTID"] + rng.choice([[], [b"FORCE"], [b"RETRYCOUNT", b"3"], [b"LASTID", b"10-0"]])
        if c == 17:
            args = [b"XAUTOCLAIM", k, rng.choice([b"g1", b"g2"]), rng.choice([b"c1", b"c2"]), b"0",
                    rng.choice([b"0", b"0-0", b"3-5", b"x"])]
            if rng.random() < 0.5:
                args += [b"COUNT", rng.choice([b"1", b"2", b"0", b"x"])]
            return args + [b"JUSTID"]
        if c == 18:
            return [b"XINFO", rng.choice([b"STREAM", b"GROUPS"]), k]
        return [b"XSETID", k, rng.choice([b"10-0", b"1-0", b"100-100", b"x"])] + rng.choice(
            [[], [b"ENTRIESADDED", b"5"], [b"ENTRIESADDED", b"100", b"MAXDELETEDID", b"0-1"]])

    # -- big values and containers: encoding conversions, long ranges ---------------------------------------
    def g_bulk(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(9)
        n = rng.choice([20, 120, 130, 200, 520])
        if c == 0:
            return [b"RPUSH", k] + [b"e%d" % i for i in range(n)]
        if c == 1:
            return [b"HSET", k] + [a for i in range(n) for a in (b"f%d" % i, b"v%d" % i)]
        if c == 2:
            return [b"HSET", k, self.field(), b"v" * rng.choice([64, 65, 100])]
        if c == 3:
            return [b"SADD", k] + [b"%d" % (i * rng.choice([1, 7, -3])) for i in range(n)]
        if c == 4:
            return [b"ZADD", k] + [a for i in range(n) for a in (b"%d" % (i % 17), b"m%d" % i)]
        if c == 5:
            return [b"ZADD", k, b"1", b"z" * rng.choice([64, 65])]
        if c == 6:
            return [b"SETRANGE", k, rng.choice([b"100", b"1000", b"100000", b"536870912"]), rng.choice([b"", b"x"])]
        if c == 7:
            return [b"OBJECT", b"ENCODING", k]
        return [b"SET", k, b"s" * rng.choice([44, 45, 100])]

    # -- blocking commands: served at once, timing out within a millisecond, or refused ---------------
    def g_blocking(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(8)
        t = pick(rng, BLOCK_TIMEOUTS)
        if c == 0:
            return [rng.choice([b"BLPOP", b"BRPOP"])] + [self.key() for _ in range(rng.randint(1, 2))] + [t]
        if c == 1:
            return [b"BLMOVE", k, self.key(), rng.choice([b"LEFT", b"RIGHT"]), rng.choice([b"LEFT", b"RIGHT"]), t]
        if c == 2:
            return [b"BRPOPLPUSH", k, self.key(), t]
        if c == 3:
            n = rng.randint(1, 2)
            args = [b"BLMPOP", t, str(n).encode()] + [self.key() for _ in range(n)] + [rng.choice([b"LEFT", b"RIGHT"])]
            return args + rng.choice([[], [b"COUNT", self.small()]])
        if c == 4:
            return [rng.choice([b"BZPOPMIN", b"BZPOPMAX"])] + [self.key() for _ in range(rng.randint(1, 2))] + [t]
        if c == 5:
            n = rng.randint(1, 2)
            args = [b"BZMPOP", t, str(n).encode()] + [self.key() for _ in range(n)] + [rng.choice([b"MIN", b"MAX"])]
            return args + rng.choice([[], [b"COUNT", self.small()]])
        if c == 6:
            ms = rng.choice([b"1", b"1", b"-1", b"x"])
            return [b"XREAD", b"BLOCK", ms, b"STREAMS", k, rng.choice([b"$", b"0", b"3-5"])]
        ms = rng.choice([b"1", b"1", b"-1"])
        return [b"XREADGROUP", b"GROUP", rng.choice([b"g1", b"g2"]), b"c1", b"BLOCK", ms, b"STREAMS", k,
                rng.choice([b">", b"0"])]

    # -- Lua scripts: any command through redis.call / redis.pcall, its reply converted both ways -------
    SCRIPTS = [
        b"return redis.call(unpack(ARGV))",
        b"local r = redis.pcall(unpack(ARGV)) if type(r) == 'table' and r.err then return 'caught: ' .. r.err end return r",
        b"local r = redis.pcall(unpack(ARGV)) return {type(r), r}",
        b"redis.setresp(3) return redis.call(unpack(ARGV))",
        b"redis.setresp(3) local r = redis.call(unpack(ARGV)) return {type(r), r}",
        b"return {1, 2.5, -3.9, true, false, 'x', {err='ERR nested'}, {ok='fine'}, nil, 'after nil'}",
        b"return redis.error_reply('MYERR custom')",
        b"return redis.status_reply('ALL GOOD')",
        b"return {err='plain'}",
        b"error('raised')",
        b"return redis.call('nosuchcommand')",
        b"return redis.pcall('nosuchcommand')",
        b"return #KEYS + #ARGV",
        b"return 3.99",
        b"return -0.5",
        b"local t = {} for i = 1, 5 do t[i] = i end t[3] = nil return t",
        b"return cjson.encode({a=1})",
        b"return redis.sha1hex(ARGV[1] or '')",
        b"x = 1",
        b"return",
    ]

    def g_script(self) -> list[bytes]:
        rng = self.rng
        while True:
            # any command whose reply depends on the data alone (no set order, no lex range over a
            # skiplist), that does not block or change the connection
            inner = self.plain()
            name = inner[0].upper()
            if name not in SCRIPT_EXCLUDED and name not in UNORDERED and not name.startswith((b"B", b"XREAD")):
                break
        script = rng.choice(self.SCRIPTS)
        if rng.random() < 0.1:
            numkeys = rng.choice([b"-1", b"x", b"99"])
        else:
            numkeys = b"0"
        return [rng.choice([b"EVAL", b"EVAL", b"EVAL_RO"]), script, numkeys, *inner]

    # -- whole SCAN, HSCAN, SSCAN and ZSCAN iterations -----------------------------------------------
    def g_scan(self) -> list[bytes]:
        rng = self.rng
        name = rng.choice([b"SCAN", b"SCAN", b"HSCAN", b"SSCAN", b"ZSCAN"])
        args = [SCAN, name] if name == b"SCAN" else [SCAN, name, self.key()]
        if rng.random() < 0.05:
            args.append(rng.choice([b"x", b"-1", b"18446744073709551616", b"00"]))  # a cursor to start from
        if rng.random() < 0.5:
            pool = [b"*", b"k*", b"{t}*", b"k[12]", b"*a"] if name == b"SCAN" else [b"*", b"f*", b"*1", b"e1*", b"m?", b"[a-m]*"]
            args += [rng.choice([b"MATCH", b"match"]), rng.choice(pool)]
        if rng.random() < 0.5:
            args += [b"COUNT", rng.choice([b"1", b"3", b"10", b"1000", b"0", b"-1", b"x"])]
        if name == b"SCAN" and rng.random() < 0.3:
            args += [b"TYPE", rng.choice([b"string", b"hash", b"list", b"set", b"zset", b"stream", b"STRING", b"nosuch"])]
        if rng.random() < 0.03:
            args += rng.choice([[b"MATCH"], [b"NOSUCH", b"1"], [b"TYPE", b"string"]])
        return args

    # -- HyperLogLog ---------------------------------------------------------------------------------
    def g_hll(self) -> list[bytes]:
        rng, k = self.rng, self.key()
        c = rng.randrange(5)
        if c <= 1:
            return [b"PFADD", k] + [self.value() + self.member() for _ in range(rng.randint(0, 5))]
        if c == 2:
            return [b"PFCOUNT"] + [self.key() for _ in range(rng.randint(1, 3))]
        if c == 3:
            return [b"PFMERGE", k] + [self.key() for _ in range(rng.randint(0, 2))]
        return [b"GET", k]


class Conn:
    """A raw RESP connection that decodes replies with hiredis (errors as ``ReplyError`` values)."""

    def __init__(self, host: str, port: int, resp: int = 2) -> None:
        self.address = (host, port)
        self.resp = resp
        self.sock = socket.create_connection((host, port), timeout=10)
        self.reader = hiredis.Reader()
        if resp == 3:
            self.call([b"HELLO", b"3"])

    def call(self, args: list[bytes]) -> Any:
        self.sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args))
        return self.read()

    def read(self) -> Any:
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return reply
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.reader.feed(data)

    def close(self) -> None:
        self.sock.close()


def errors_as_text(reply: Any) -> Any:
    if isinstance(reply, hiredis.ReplyError):
        return ("error", str(reply))
    if isinstance(reply, list):
        return [errors_as_text(r) for r in reply]
    if isinstance(reply, dict):
        return {errors_as_text(k): errors_as_text(v) for k, v in reply.items()}
    return reply


def normal(args: list[bytes], reply: Any, queued: list[list[bytes]] | None = None) -> Any:
    """A comparable form of ``reply``: errors by text, unordered replies sorted; an EXEC's replies
    each as its queued command's."""
    if args[0].upper() == b"EXEC" and isinstance(reply, list) and queued is not None:
        return [normal(q, r) for q, r in zip(queued, reply, strict=True)]
    reply = errors_as_text(reply)
    if isinstance(reply, tuple):
        return reply
    if args[0].upper() in (b"EXPIRETIME", b"PEXPIRETIME") and isinstance(reply, int) and reply > 0:
        return reply if reply in ABSOLUTE else "relative"
    if b"OBJECT" in (a.upper() for a in args[:4]) and reply in (b"int", b"embstr", b"raw"):  # or a script's
        # A string's encoding depends on its history in Redis (INCRBYFLOAT stores "3" as embstr, BITOP
        # as raw); ours follows the content alone: compared elsewhere, by content.
        return b"string"
    if args[0].upper() == b"SORT" and isinstance(reply, list) and _unsorted(args):
        # BY nosort (or a pattern without ``*``) leaves a set in its internal order: compare the
        # GET groups sorted.
        n = max(1, sum(1 for a in args if a.upper() == b"GET"))
        return sorted(tuple(reply[i : i + n]) for i in range(0, len(reply), n))
    if args[0].upper() in UNORDERED and isinstance(reply, list):
        if args[0].upper() == b"HGETALL":
            return sorted(zip(reply[::2], reply[1::2], strict=True))
        return sorted(reply)
    return reply


LEX_COMMANDS = {b"ZRANGEBYLEX", b"ZREVRANGEBYLEX", b"ZLEXCOUNT", b"ZREMRANGEBYLEX"}


def _order_undefined(args: list[bytes], ours: Conn, redis: Conn) -> bool:
    """Whether Redis's answer to ``args`` depends on more than the data: SORT of a set with ties
    (its hash table order decides) and a lex range over a skiplist whose scores differ (its random
    levels decide). Asked before the command runs, of both servers so that their statistics stay
    alike (TYPE, OBJECT ENCODING and ZRANGE change no data)."""
    name = args[0].upper()

    def ask(query: list[bytes]) -> Any:
        ours.call(query)
        return redis.call(query)

    if name == b"SORT" and len(args) > 2:
        upper = [a.upper() for a in args]
        if b"BY" in upper and b"ALPHA" in upper:
            return True  # keys without a BY value tie, and ties are left to the C library's qsort
        return ask([b"TYPE", args[1]]) == b"set"
    lex = name in LEX_COMMANDS or (name == b"ZRANGE" and any(a.upper() == b"BYLEX" for a in args))
    if lex and ask([b"OBJECT", b"ENCODING", args[1]]) == b"skiplist":
        reply = ask([b"ZRANGE", args[1], b"0", b"-1", b"WITHSCORES"])
        scores = [pair[1] for pair in reply] if reply and isinstance(reply[0], list) else reply[1::2]
        return len(set(scores)) > 1
    return False


def _hits(conn: Conn) -> tuple[int, int]:
    stats = conn.call([b"INFO", b"stats"])
    fields = dict(line.split(":", 1) for line in (stats.decode() if isinstance(stats, bytes) else stats).splitlines()
                  if ":" in line)
    return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])


def _stats(conn: Conn, less: Counter | None = None) -> dict[str, str]:
    """The counters a command sequence decides: calls, rejected and failed calls per command, error
    replies per prefix, keyspace hits and misses, keys per database (times left out). ``less``: counts
    to take off (``keyspace_hits``, ``keyspace_misses``, calls by ``cmdstat_<name>``)."""
    less = less or Counter()
    out: dict[str, str] = {}
    for section in (b"commandstats", b"errorstats", b"keyspace"):
        text = conn.call([b"INFO", section])
        for line in (text.decode() if isinstance(text, bytes) else text).splitlines():
            if ":" not in line or line.startswith("#"):
                continue
            name, _, value = line.partition(":")
            if name.startswith("cmdstat_"):
                fields = dict(f.split("=") for f in value.split(","))
                fields["calls"] = str(int(fields["calls"]) - less[name])
                if fields["calls"] == fields["rejected_calls"] == fields["failed_calls"] == "0":
                    continue  # only whole iterations' calls, which are taken off
                value = ",".join(f"{k}={fields[k]}" for k in ("calls", "rejected_calls", "failed_calls"))
            elif name.startswith("db"):
                value = ",".join(f for f in value.split(",") if not f.startswith("avg_ttl"))
            out[name] = value
    stats = conn.call([b"INFO", b"stats"])
    for line in (stats.decode() if isinstance(stats, bytes) else stats).splitlines():
        if line.startswith(("keyspace_hits:", "keyspace_misses:")):
            name, _, value = line.partition(":")
            out[name] = str(int(value) - less[name])
    return out


def _unsorted(args: list[bytes]) -> bool:
    for i in range(2, len(args) - 1):
        if args[i].upper() == b"BY" and b"*" not in args[i + 1]:
            return True
    return False


class Listener:
    """A subscriber to every keyspace and keyevent notification of one server. ``events`` returns what
    arrived since the last call: the server is asked to PUBLISH a token on a sync channel of its own,
    and everything up to that message is the notifications sent before it, in order."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = Conn(host, port)
        self.conn.call([b"PSUBSCRIBE", b"__key*__:*"])
        self.conn.call([b"SUBSCRIBE", SYNC_CHANNEL])
        self.token = 0

    def events(self, server: Conn) -> list[tuple[bytes, bytes]]:
        self.token += 1
        token = b"%d" % self.token
        server.call([b"PUBLISH", SYNC_CHANNEL, token])
        out = []
        while True:
            message = self.conn.read()
            if message[0] == b"message" and message[1] == SYNC_CHANNEL:
                if message[2] == token:
                    return out
            elif message[0] == b"pmessage":
                out.append((message[2], message[3]))

    def close(self) -> None:
        self.conn.close()


class Tracker:
    """A RESP3 client with CLIENT TRACKING on that reads every key after each command (MGET), so
    that each command's invalidation pushes show which keys it modified, in which order; an
    alternative to ``Listener`` with the same ``events``."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = Conn(host, port, 3)
        self.conn.call([b"CLIENT", b"TRACKING", b"ON"])

    def events(self, server: Conn) -> list[list]:
        self.conn.sock.sendall(b"*%d\r\n$4\r\nMGET\r\n" % (len(KEYS) + 1) + b"".join(b"$%d\r\n%b\r\n" % (len(k), k) for k in KEYS))
        out = []
        while True:
            message = self.conn.read()
            if not isinstance(message, hiredis.PushNotification):
                return out
            out.append(list(message))

    def close(self) -> None:
        self.conn.close()


SYNC_CHANNEL = b"differential-sync"
OTHER = b"@other"  # a command's first word: run it on a second client of each server
SCAN = b"@scan"  # a command's first word: a whole iteration of the SCAN-family command that follows


def scan_all(conn: Conn, args: list[bytes]) -> tuple[Any, int]:
    """A whole iteration (``args``: the command and its key, then an optional cursor to start from, then
    options) -> (the distinct elements seen, sorted, or the error; the number of calls made)."""
    has_key = args[0].upper() != b"SCAN"
    head, rest = args[: 1 + has_key], args[1 + has_key :]
    cursor = b"0"
    if rest and rest[0].upper() not in (b"MATCH", b"COUNT", b"TYPE"):
        cursor, rest = rest[0], rest[1:]
    pairs = args[0].upper() in (b"HSCAN", b"ZSCAN")
    seen: set[Any] = set()
    calls = 0
    while True:
        reply = errors_as_text(conn.call([*head, cursor, *rest]))
        calls += 1
        if isinstance(reply, tuple):
            return reply, calls
        cursor, elements = reply
        seen.update(zip(elements[::2], elements[1::2], strict=True) if pairs else elements)
        if cursor == b"0" or calls > 100_000:
            return sorted(seen), calls
# Encoding thresholds a sequence may run under (Redis's defaults first): small ones make small
# containers convert, so OBJECT ENCODING and the conversions are compared too.
THRESHOLDS = {
    b"hash-max-listpack-entries": [b"128", b"4"],
    b"hash-max-listpack-value": [b"64", b"3"],
    b"set-max-intset-entries": [b"512", b"4"],
    b"zset-max-listpack-entries": [b"128", b"4"],
    b"zset-max-listpack-value": [b"64", b"3"],
    b"list-max-listpack-size": [b"-2", b"4"],
}


def run(seed: int, length: int, ours: Conn, redis: Conn, listeners: tuple[Any, Any] | None = None) -> str | None:
    """Run one seeded sequence on both servers (flushed first); a description of the first difference.
    With ``listeners`` (one per server), what each command makes them hear is compared too: keyspace
    notifications (``Listener``) or tracking invalidations (``Tracker``)."""
    rng = random.Random(seed)
    config = [(name, rng.choice(values)) for name, values in THRESHOLDS.items()]
    for conn in (ours, redis):
        conn.call([b"FLUSHALL"])
        conn.call([b"CONFIG", b"RESETSTAT"])
        conn.call([b"CONFIG", b"SET", *(a for pair in config for a in pair)])
        if listeners is not None:
            conn.call([b"CONFIG", b"SET", b"notify-keyspace-events", b"KEAmn"])
    if listeners is not None:
        for listener, conn in zip(listeners, (ours, redis), strict=True):
            listener.events(conn)  # the FLUSHALL's
    try:
        return _run(seed, length, ours, redis, listeners)
    finally:
        for conn in (ours, redis):
            if queued_open(conn):
                conn.call([b"DISCARD"])
            conn.call([b"SELECT", b"0"])
            conn.call([b"CONFIG", b"SET", *(a for name, values in THRESHOLDS.items() for a in (name, values[0]))])
            conn.call([b"CONFIG", b"SET", b"notify-keyspace-events", b""])


def queued_open(conn: Conn) -> bool:
    """Whether ``conn`` is inside MULTI (a sequence can stop at a difference there)."""
    return conn.call([b"PING"]) == b"QUEUED"


def _run(seed: int, length: int, ours: Conn, redis: Conn, listeners: tuple[Any, Any] | None) -> str | None:
    gen = Generator(seed)
    history: list[bytes] = []
    queued: list[list[bytes]] | None = None  # the commands of an open MULTI
    others: tuple[Conn, Conn] | None = None  # second clients, opened when first needed
    adjust: tuple[Counter, Counter] = (Counter(), Counter())  # the SCAN iterations' own counts, per server
    try:
        for _ in range(length):
            args = gen.command()
            history.append(b" ".join(args))
            first, second = ours, redis
            if args[0] == OTHER:
                if others is None:
                    others = (Conn(*ours.address, ours.resp), Conn(*redis.address, redis.resp))
                first, second = others
                args = args[1:]
            name = args[0].upper()
            if name == SCAN:
                # The elements of a whole iteration are compared; how many calls it took is each
                # server's own (its table sizes), and so are the calls and key lookups they count.
                args = args[1:]
                before = [_hits(conn) for conn in (ours, redis)]
                (a, calls_a), (b, calls_b) = scan_all(ours, args), scan_all(redis, args)
                delta = [tuple(x - y for x, y in zip(_hits(conn), was, strict=True))
                         for conn, was in zip((ours, redis), before, strict=True)]
                if a == b and [d * calls_b for d in delta[0]] != [d * calls_a for d in delta[1]]:
                    a, b = (a, delta[0], calls_a), (b, delta[1], calls_b)  # not the same lookup per call
                for extra, d, calls in zip(adjust, delta, (calls_a, calls_b), strict=True):
                    extra["keyspace_hits"] += d[0]
                    extra["keyspace_misses"] += d[1]
                    extra["cmdstat_" + args[0].decode().lower()] += calls
                if a != b:
                    tail = b"\n".join(history[-12:]).decode("latin-1")
                    return f"seed {seed}, command {len(history)}:\n{tail}\n  ours:  {a!r}\n  redis: {b!r}"
                if listeners is not None:
                    for listener, conn in zip(listeners, (ours, redis), strict=True):
                        listener.events(conn)  # none: a SCAN meets no expired key in these sequences
                continue
            loose = queued is None and _order_undefined(args, first, second)
            a = normal(args, first.call(args), queued)
            b = normal(args, second.call(args), queued)
            if name == b"MULTI":
                queued = []
            elif name in (b"EXEC", b"DISCARD"):
                queued = None
            elif queued is not None and a == b"QUEUED":
                queued.append(args)
            if listeners is not None and queued is None:
                events = [listener.events(conn) for listener, conn in zip(listeners, (ours, redis), strict=True)]
                if name == b"SORT":
                    # BY and GET look keys up in the order of the source's elements, for a set or a
                    # sorted set the order of its hash table: the same events, in an order left to it.
                    events = [sorted(e) for e in events]
                if events[0] != events[1] and not loose:
                    tail = b"\n".join(history[-12:]).decode("latin-1")
                    return f"seed {seed}, command {len(history)}:\n{tail}\n  ours:  {events[0]!r}\n  redis: {events[1]!r}"
            if loose and not isinstance(a, tuple) and not isinstance(b, tuple):
                if name == b"ZREMRANGEBYLEX":
                    return None  # what it removed is left to chance: the servers' data may differ from here
                if b"LIMIT" in (x.upper() for x in args) or not isinstance(a, list) or not isinstance(b, list):
                    continue  # which elements (or how many) is left to chance: only errors compared
                a, b = sorted(map(repr, a)), sorted(map(repr, b))
            if a != b:
                tail = b"\n".join(history[-12:]).decode("latin-1")
                return f"seed {seed}, command {len(history)}:\n{tail}\n  ours:  {a!r}\n  redis: {b!r}"
        if queued is not None:  # the sequence ended inside MULTI
            ours.call([b"DISCARD"])
            redis.call([b"DISCARD"])
            if listeners is not None:
                for listener, conn in zip(listeners, (ours, redis), strict=True):
                    listener.events(conn)
        a, b = (_stats(conn, extra) for conn, extra in zip((ours, redis), adjust, strict=True))
        if a != b:
            keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            lines = "\n".join(f"  {k}: ours {a.get(k)} | redis {b.get(k)}" for k in keys)
            return f"seed {seed}, statistics after {len(history)} commands:\n{lines}"
        return None
    finally:
        for conn in others or ():
            conn.close()


# CONFIG SET's parsing, directive by directive: each value below is set on both servers (and the
# directive put back), and the replies and the values read back must be the same. Left out: directives
# that would change how the servers are reached or what they write to disk, and activedefrag, which
# Debian's Redis refuses (built without its own jemalloc) where an official build, and we, accept it.
CONFIG_VALUES = [
    b"x", b"-1", b"0", b"99999999999999999999", b"yes", b"", b"1k", b"-5mb", b"1.5", b"10gb", b"no", b"100", b"YES",
    b"1G", b"5%", b"101%", b"3600 1", b"01", b"+1", b"1e3", b"0x10", b" ", b"2147483648", b"-2147483649",
    b"4294967296", b"9223372036854775808", b"-9223372036854775808", b"allkeys-lru", b"KEA", b"debug", b"on", b"kb",
    b"{port}", b"{title}", b"normal 0 0 0", b"normal 0 0", b"99.99999 0.1234567", b"nan", b"inf", b"50 99", b"50 ",
]
CONFIG_SKIPPED = {
    b"requirepass", b"masterauth", b"masteruser", b"port", b"bind", b"dir", b"dbfilename", b"appendonly",
    b"appendfilename", b"appenddirname", b"logfile", b"unixsocket", b"unixsocketperm", b"save", b"aclfile", b"pidfile",
    b"replicaof", b"slaveof", b"daemonize", b"enable-debug-command", b"enable-protected-configs",
    b"enable-module-command", b"io-threads", b"syslog-enabled", b"supervised", b"always-show-logo",
    b"set-proc-title", b"maxclients", b"protected-mode", b"bind-source-addr", b"shutdown-on-sigterm",
    b"shutdown-on-sigint", b"oom-score-adj", b"oom-score-adj-values", b"repl-diskless-sync", b"activedefrag",
    b"min-replicas-to-write", b"min-slaves-to-write",
}


def config_differences(ours: Conn, redis: Conn) -> list[str]:
    """CONFIG SET of every directive Redis lists (less ``CONFIG_SKIPPED``) with each of
    ``CONFIG_VALUES``: the differences in reply or in the value read back."""
    out = []
    names = redis.call([b"CONFIG", b"GET", b"*"])[0::2]
    for name in sorted(names):
        if name in CONFIG_SKIPPED or name.startswith((b"tls-", b"cluster-")):
            continue
        original = redis.call([b"CONFIG", b"GET", name])[1]
        for value in CONFIG_VALUES:
            a = errors_as_text(ours.call([b"CONFIG", b"SET", name, value]))
            b = errors_as_text(redis.call([b"CONFIG", b"SET", name, value]))
            got_a = ours.call([b"CONFIG", b"GET", name])
            got_b = redis.call([b"CONFIG", b"GET", name])
            if a != b or got_a != got_b:
                out.append(f"CONFIG SET {name.decode()} {value!r}: ours {a!r} {got_a!r} | redis {b!r} {got_b!r}")
            for conn in (ours, redis):
                conn.call([b"CONFIG", b"SET", name, original])
    return out


def main(argv: list[str]) -> int:
    import argparse

    from cacheserver.testing import ServerThread
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from helpers import RedisProcess

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--length", type=int, default=300)
    p.add_argument("--resp", type=int, default=2)
    p.add_argument("--events", action="store_true", help="compare each command's keyspace notifications too")
    p.add_argument("--tracking", action="store_true", help="compare each command's tracking invalidations too")
    args = p.parse_args(argv)
    srv = ServerThread().start()
    proc = RedisProcess().start()
    failures = 0
    try:
        ours = Conn("127.0.0.1", srv.port, args.resp)
        redis = Conn(proc.host, proc.port, args.resp)
        listeners = None
        if args.events:
            listeners = (Listener("127.0.0.1", srv.port), Listener(proc.host, proc.port))
        elif args.tracking:
            listeners = (Tracker("127.0.0.1", srv.port), Tracker(proc.host, proc.port))
        for seed in range(args.first, args.first + args.seeds):
            diff = run(seed, args.length, ours, redis, listeners)
            if diff:
                failures += 1
                print(diff, "\n", flush=True)
    finally:
        srv.stop()
        proc.stop()
    print(f"{failures} of {args.seeds} seeds differ")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
