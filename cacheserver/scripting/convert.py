"""RESP <-> Lua conversion, as Redis 7.0's script_lua.c (redisProtocolToLuaType / luaReplyToRedisReply).

Command replies reach Lua from our reply values directly (never through RESP bytes, except ``Raw``
constants, parsed once here): under ``redis.setresp(2)`` a status is ``{ok=...}``, a null is ``false``,
maps flatten to arrays and doubles become strings; under ``redis.setresp(3)`` maps, sets, doubles, big
numbers, booleans and verbatim strings keep their RESP3 shape and a null is ``nil``. A script's return
value goes the other way into a reply value for the caller's protocol.
"""

from __future__ import annotations

import math
from typing import Any

from lupa import lua51

from cacheserver.errors import CommandError
from cacheserver.numbers import format_double
from cacheserver.protocol.replies import BigNumber, Dual, Map, NoReply, Push, Raw, SetReply, Verbatim

LuaTable = _LuaTable = type(lua51.LuaRuntime().table())  # lupa does not export the class
_lua_type = lua51.lua_type
_LLONG_MIN = -(1 << 63)


def _truncate(x: float) -> int:
    """``(long long)`` of a Lua number, as C on x86-64 (out of range and NaN give LLONG_MIN)."""
    if x != x or math.isinf(x) or not (-(2.0**63) <= x < 2.0**63):
        return _LLONG_MIN
    return int(x)


class ToLua:
    """Reply values -> Lua values for one runtime."""

    def __init__(self, lua: Any) -> None:
        self.table_from = lua.table_from
        self.lua = lua

    def error_table(self, e: CommandError) -> Any:
        text = e.text.rstrip("\r\n")
        return self.table_from({b"err": text.encode("utf-8", "surrogateescape")})

    def convert(self, v: Any, resp: int) -> Any:
        cls = v.__class__
        if cls is bytes or cls is int:
            return v
        if cls is str:
            return self.table_from({b"ok": v.encode("utf-8", "surrogateescape")})
        if v is None:
            return None if resp == 3 else False
        if cls is bool:
            return v if resp == 3 else int(v)
        if cls is Raw:
            return parse_raw(self, bytes(v), resp)
        if cls is list or cls is tuple or cls is Push:
            return self.table_from([self.convert(x, resp) for x in v])
        if cls is SetReply:
            if resp == 3:
                return self.table_from({b"set": self.table_from({x: True for x in v if x is not None})})
            return self.table_from([self.convert(x, resp) for x in v])
        if cls is float:
            if resp == 3:
                return self.table_from({b"double": v})
            return format_double(v)
        if cls is dict or cls is Map:
            pairs = v.items() if cls is dict else v.pairs
            if resp == 3:
                t = self.lua.table()
                for k, val in pairs:
                    t[self.convert(k, resp)] = self.convert(val, resp)
                return self.table_from({b"map": t})
            flat = []
            for k, val in pairs:
                flat.append(self.convert(k, resp))
                flat.append(self.convert(val, resp))
            return self.table_from(flat)
        if cls is CommandError or isinstance(v, CommandError):
            return self.error_table(v)
        if cls is Dual:
            return parse_raw(self, v.resp3 if resp == 3 else v.resp2, resp)
        if cls is Verbatim:
            if resp == 3:
                inner = self.table_from({b"format": v.fmt, b"string": v.text})
                return self.table_from({b"verbatim_string": inner})
            return v.text
        if cls is BigNumber:
            text = str(v.value).encode()
            return self.table_from({b"big_number": text}) if resp == 3 else text
        if cls is NoReply:
            return None if resp == 3 else False
        if isinstance(v, bytes):
            return bytes(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, str):
            return self.convert(str(v), resp)
        if isinstance(v, list):
            return self.table_from([self.convert(x, resp) for x in v])
        raise TypeError(f"no Lua conversion for {cls!r}")


def parse_raw(to: ToLua, data: bytes, resp: int) -> Any:
    value, _ = _parse(to, data, 0, resp)
    return value


def _parse(to: ToLua, d: bytes, p: int, resp: int) -> tuple[Any, int]:
    nl = d.index(b"\r\n", p)
    kind = d[p : p + 1]
    head = d[p + 1 : nl]
    p = nl + 2
    if kind == b"+":
        return to.table_from({b"ok": head}), p
    if kind == b"-":
        return to.table_from({b"err": head}), p
    if kind == b":":
        return int(head), p
    if kind == b"$" or kind == b"=":
        n = int(head)
        if n < 0:
            return (None if resp == 3 else False), p
        body = d[p : p + n]
        if kind == b"=":
            if resp == 3:
                inner = to.table_from({b"format": body[:3], b"string": body[4:]})
                return to.table_from({b"verbatim_string": inner}), p + n + 2
            body = body[4:]
        return body, p + n + 2
    if kind == b"_":
        return (None if resp == 3 else False), p
    if kind == b"#":
        return (head == b"t") if resp == 3 else int(head == b"t"), p
    if kind == b",":
        return (to.table_from({b"double": float(head)}) if resp == 3 else head), p
    if kind == b"(":
        return (to.table_from({b"big_number": head}) if resp == 3 else head), p
    n = int(head)
    if n < 0:
        return (None if resp == 3 else False), p
    if kind == b"%":
        t = to.lua.table()
        for _ in range(n):
            k, p = _parse(to, d, p, resp)
            v, p = _parse(to, d, p, resp)
            t[k] = v
        return to.table_from({b"map": t}), p
    items = []
    for _ in range(n):
        v, p = _parse(to, d, p, resp)
        items.append(v)
    if kind == b"~" and resp == 3:
        return to.table_from({b"set": to.table_from({x: True for x in items})}), p
    return to.table_from(items), p


def to_reply(v: Any, resp: int) -> Any:
    """A script's return value -> a reply value; ``resp`` is the script's own (redis.setresp), which
    decides only how booleans go out (RESP2: true is 1, false is null)."""
    cls = v.__class__
    if cls is bytes:
        return v
    if cls is int:
        return v
    if cls is float:
        return _truncate(v)
    if cls is bool:
        if resp == 3:
            return v
        return 1 if v else None
    if cls is _LuaTable:
        return _table_reply(v, resp)
    return None


def _clean(text: bytes) -> str:
    return text.decode("utf-8", "surrogateescape").replace("\r", " ").replace("\n", " ")


class PassedOnError(CommandError):
    """An error table that carries ``ignore_error_stats_update`` (a command's error a script caught with
    redis.pcall): errorstats counted it when the command failed, so its reply does not count again."""

    __slots__ = ()


def _table_reply(t: Any, resp: int) -> Any:
    err = t[b"err"]
    if err.__class__ is bytes:
        e = error_from_text(err)
        if t[b"ignore_error_stats_update"]:
            e.__class__ = PassedOnError
        return e
    ok = t[b"ok"]
    if ok.__class__ is bytes:
        return _clean(ok)
    double = t[b"double"]
    if double.__class__ is float or double.__class__ is int:
        return float(double)
    big = t[b"big_number"]
    if big.__class__ is bytes:
        text = _clean(big).encode("utf-8", "surrogateescape")
        return Dual(b"$%d\r\n%b\r\n" % (len(text), text), b"(%b\r\n" % text)
    m = t[b"map"]
    if m.__class__ is _LuaTable:
        return Map([(to_reply(k, resp), to_reply(val, resp)) for k, val in m.items()])
    s = t[b"set"]
    if s.__class__ is _LuaTable:
        return SetReply(to_reply(k, resp) for k in s.keys())
    out = []
    i = 1
    while True:
        item = t[i]
        if item is None:
            return out
        out.append(to_reply(item, resp))
        i += 1


def error_from_text(text: bytes) -> CommandError:
    """An error reply whose whole text (code included) is ``text``, as ``-%s``."""
    s = _clean(text)
    code, sep, rest = s.partition(" ")
    if not sep or not code:  # no code, or a text that starts with a space: kept whole
        return CommandError(s, "")
    return CommandError(rest, code)
