"""cmsgpack (lua-cmsgpack 0.4.0, as Redis 7.0 ships it): pack, unpack, unpack_one and unpack_limit.

Behaves as the C library does, down to its quirks:

- A number is packed as an integer when it is one that fits int64 (not infinite), else as a float32
  when the double survives the round trip through float (the infinities do), else as a float64.
- A table is an array when its keys are exactly the numbers 1..N (each one a C int), else a map whose
  entries follow ``lua_next``'s order; a table nested 16 levels deep packs as nil, and so does any value
  that is not a string, number, boolean or table.
- Strings use fixstr, str8, str16 or str32; unpack knows no bin or ext type ("Bad data format").
- uint64 is read as a signed int64, and every integer becomes a double, as lua_pushinteger makes it.
- The C code's Lua stack (8000 slots at most) is counted, so that huge argument lists, long streams of
  values and deep nesting fail where Redis's ``luaL_checkstack`` fails, with its texts.
"""

from __future__ import annotations

import math
import struct as pystruct
from typing import Any

from cacheserver.scripting.libs.common import LuaError, deep, lua_tonumber, lua_type, lua_typename, num_text

MSGPACK_MAX_DEPTH = 4000  # nested containers unpack can build before the Lua stack runs out
MAX_NESTING = 16  # LUACMSGPACK_MAX_NESTING: a table this deep packs as nil
LUAI_MAXCSTACK = 8000  # slots a C function may use (Lua 5.1's lua_checkstack limit)

_INT64_MIN = -(1 << 63)
_TOO_MANY_VALUES = "too many return values at once; use unpack_one or unpack_limit instead."
_F32 = pystruct.Struct(">f")
_F64 = pystruct.Struct(">d")
_NONE = object()  # a missing argument (Lua's "none"), unlike an explicit nil (None)


def _check_stack(top: int, space: int, what: str) -> None:
    """luaL_checkstack: ``top`` slots in use, ``space`` more wanted."""
    if top + space > LUAI_MAXCSTACK:
        raise LuaError(f"stack overflow ({what})")


def _c_int(n: int) -> int:
    """A lua_Integer cast to a C int (what ``%d`` prints of ``(int) x``)."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def _lua_number(n: int) -> int | float:
    """An integer as lua_pushinteger leaves it: a double, exact only up to 2^53."""
    return n if -(1 << 53) <= n <= 1 << 53 else float(n)


def _encode_int(n: int, out: bytearray) -> None:
    if n >= 0:
        if n <= 127:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            out += b"\xcd" + n.to_bytes(2, "big")
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + n.to_bytes(4, "big")
        else:
            out += b"\xcf" + n.to_bytes(8, "big")
    elif n >= -32:
        out.append(n & 0xFF)
    elif n >= -128:
        out += b"\xd0" + n.to_bytes(1, "big", signed=True)
    elif n >= -32768:
        out += b"\xd1" + n.to_bytes(2, "big", signed=True)
    elif n >= -(1 << 31):
        out += b"\xd2" + n.to_bytes(4, "big", signed=True)
    else:
        out += b"\xd3" + n.to_bytes(8, "big", signed=True)


def _encode_number(v: int | float, out: bytearray) -> None:
    if v.__class__ is int:
        if _INT64_MIN <= v < -_INT64_MIN:
            _encode_int(v, out)
            return
        v = float(v)
    # IS_INT64_EQUIVALENT: finite and unchanged by the cast to int64 (a NaN never is)
    if not math.isinf(v) and v == v and v.is_integer() and _INT64_MIN <= v < -_INT64_MIN:
        _encode_int(int(v), out)
        return
    try:
        f = _F32.pack(v)
    except OverflowError:  # beyond float's range: C's (float) cast gives inf or FLT_MAX, never equal
        f = None
    if f is not None and _F32.unpack(f)[0] == v:
        out += b"\xca" + f
    else:
        out += b"\xcb" + _F64.pack(v)


def _encode_len(n: int, out: bytearray, fix: int, b16: bytes, b32: bytes) -> None:
    if n <= 15:
        out.append(fix | n)
    elif n <= 0xFFFF:
        out += b16 + n.to_bytes(2, "big")
    else:
        out += b32 + (n & 0xFFFFFFFF).to_bytes(4, "big")


def _is_array(items: list) -> bool:
    """table_is_an_array: every key a number that is a positive C int, the largest equal to the count."""
    biggest = 0
    for k, _ in items:
        if k.__class__ is bool or k.__class__ not in (int, float):
            return False
        if k <= 0 or not (-(1 << 31) <= k < 1 << 31) or k != int(k):
            return False
        biggest = max(biggest, int(k))
    return biggest == len(items)


class CMsgpack:
    def __init__(self, lua: Any) -> None:
        self.lua = lua
        # Built while the runtime still has its debug library (the prelude removes it later).
        self._contents = lua.execute(_CONTENTS)

    def functions(self) -> dict:
        return {  # in luaopen_create's order
            b"pack": self.pack,
            b"unpack": self.unpack,
            b"unpack_one": self.unpack_one,
            b"unpack_limit": self.unpack_limit,
            b"_NAME": b"cmsgpack",
            b"_VERSION": b"lua-cmsgpack 0.4.0",
            b"_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
            b"_DESCRIPTION": b"MessagePack C implementation for Lua",
        }

    # -- packing -------------------------------------------------------------------------------------

    def pack(self, *args: Any) -> bytes:
        nargs = len(args)
        if nargs == 0:
            raise LuaError("bad argument #0 to 'pack' (MessagePack pack needs input.)")
        if nargs + nargs > LUAI_MAXCSTACK:
            raise LuaError("bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)")
        out = bytearray()
        # Each argument is copied to the top of a stack holding the arguments and the strings
        # packed so far.
        for i, a in enumerate(args):
            self._encode(a, out, 0, nargs + i + 1)
        return bytes(out)

    def _encode(self, v: Any, out: bytearray, level: int, top: int) -> None:
        """Append ``v`` at nesting ``level``; ``top`` counts the stack slots in use, ``v``'s included."""
        cls = v.__class__
        if cls is bytes:
            n = len(v)
            if n < 32:
                out.append(0xA0 | n)
            elif n <= 0xFF:
                out += b"\xd9" + n.to_bytes(1, "big")
            elif n <= 0xFFFF:
                out += b"\xda" + n.to_bytes(2, "big")
            else:
                out += b"\xdb" + (n & 0xFFFFFFFF).to_bytes(4, "big")
            out += v
        elif cls is bool:
            out.append(0xC3 if v else 0xC2)
        elif cls is int or cls is float:
            _encode_number(v, out)
        elif v is not None and level < MAX_NESTING and lua_type(v) == "table":
            _check_stack(top, 2, "in function table_is_an_array")
            items = list(self._contents(v).items())
            if _is_array(items):
                n = len(items)
                _encode_len(n, out, 0x90, b"\xdc", b"\xdd")
                _check_stack(top, 1, "in function mp_encode_lua_table_as_array")
                values = {int(k): x for k, x in items}
                for i in range(1, n + 1):
                    self._encode(values[i], out, level + 1, top + 1)
            else:
                _check_stack(top, 3, "in function mp_encode_lua_table_as_map")
                _encode_len(len(items), out, 0x80, b"\xde", b"\xdf")
                for k, x in items:
                    self._encode(k, out, level + 1, top + 3)
                    self._encode(x, out, level + 1, top + 2)
        else:
            out.append(0xC0)

    # -- unpacking -----------------------------------------------------------------------------------

    @deep
    def unpack(self, *args: Any) -> tuple:
        return self._unpack_full("unpack", args[0] if args else _NONE, 0, 0, max(len(args), 1))

    @deep
    def unpack_one(self, *args: Any) -> tuple:
        offset = self._opt_integer("unpack_one", args, 1)
        return self._unpack_full("unpack_one", args[0] if args else _NONE, 1, offset, 1)

    @deep
    def unpack_limit(self, *args: Any) -> tuple:
        limit = self._check_integer("unpack_limit", args, 1)
        offset = self._opt_integer("unpack_limit", args, 2)
        return self._unpack_full("unpack_limit", args[0] if args else _NONE, limit, offset, 1)

    @staticmethod
    def _check_integer(name: str, args: tuple, i: int) -> int:
        """luaL_checkinteger on argument ``i`` (0-based): lua_tonumber, then the C cast to int64."""
        v = args[i] if i < len(args) else _NONE
        n = lua_tonumber(v) if v is not _NONE else None
        if n is None:
            got = "no value" if v is _NONE else lua_typename(v)
            raise LuaError(f"bad argument #{i + 1} to '{name}' (number expected, got {got})")
        if n.__class__ is float:
            # x86-64's cvttsd2si: truncation, and INT64_MIN for NaN or a value beyond int64
            n = int(n) if not math.isinf(n) and n == n and _INT64_MIN <= n < -_INT64_MIN else _INT64_MIN
        return n

    @classmethod
    def _opt_integer(cls, name: str, args: tuple, i: int) -> int:
        if i >= len(args) or args[i] is None:
            return 0
        return cls._check_integer(name, args, i)

    def _unpack_full(self, name: str, data: Any, limit: int, offset: int, top: int) -> tuple:
        """mp_unpack_full: ``top`` is the stack slots the call's arguments hold."""
        if data.__class__ is int or data.__class__ is float:
            data = num_text(data)
        elif data.__class__ is not bytes:
            got = "no value" if data is _NONE else lua_typename(data)
            raise LuaError(f"bad argument #1 to '{name}' (string expected, got {got})")
        size = len(data)
        if offset < 0 or limit < 0:
            raise LuaError(f"Invalid request to unpack with offset of {_c_int(offset)} and limit of {_c_int(size)}.")
        if offset > size:
            raise LuaError(f"Start offset {_c_int(offset)} greater than input length {_c_int(size)}.")
        decode_all = not limit and not offset
        values: list = []
        pos = offset
        while pos < size and (decode_all or len(values) < limit):
            v, pos = self._decode(data, pos, top)
            values.append(v)
            top += 1
        if decode_all:
            return tuple(values)
        _check_stack(top, 1, "in function mp_unpack_full")
        return (-1 if pos == size else pos, *values)

    def _decode(self, d: bytes, p: int, top: int) -> tuple[Any, int]:
        """The value at ``p`` and the position after it; ``top`` counts the stack slots in use."""
        if p >= len(d):
            raise LuaError("Missing bytes in input.")
        _check_stack(top, 1, _TOO_MANY_VALUES)
        b = d[p]
        if b < 0x80:
            return b, p + 1
        if b >= 0xE0:
            return b - 256, p + 1
        if b < 0x90:
            return self._map(d, p + 1, b & 15, top)
        if b < 0xA0:
            return self._array(d, p + 1, b & 15, top)
        if b < 0xC0:
            return self._bytes(d, p + 1, b & 31)
        if b == 0xC0:
            return None, p + 1
        if b == 0xC2:
            return False, p + 1
        if b == 0xC3:
            return True, p + 1
        spec = _FIXED.get(b)
        if spec is not None:
            size, kind = spec
            end = p + 1 + size
            if end > len(d):
                raise LuaError("Missing bytes in input.")
            raw = d[p + 1 : end]
            if kind == "f":
                return _F32.unpack(raw)[0], end
            if kind == "d":
                return _F64.unpack(raw)[0], end
            # uint64 too is pushed as a signed lua_Integer
            return _lua_number(int.from_bytes(raw, "big", signed=kind == "i" or size == 8)), end
        spec = _SIZED.get(b)
        if spec is None:
            raise LuaError("Bad data format in input.")
        size, kind = spec
        if p + 1 + size > len(d):
            raise LuaError("Missing bytes in input.")
        n = int.from_bytes(d[p + 1 : p + 1 + size], "big")
        p += 1 + size
        if kind == "s":
            return self._bytes(d, p, n)
        if kind == "a":
            return self._array(d, p, n, top)
        return self._map(d, p, n, top)

    @staticmethod
    def _bytes(d: bytes, p: int, n: int) -> tuple[bytes, int]:
        if p + n > len(d):
            raise LuaError("Missing bytes in input.")
        return d[p : p + n], p + n

    def _array(self, d: bytes, p: int, n: int, top: int) -> tuple[Any, int]:
        t = self.lua.table()
        top += 1  # the new table
        _check_stack(top, 1, "in function mp_decode_to_lua_array")
        for i in range(1, n + 1):
            # the index is pushed before the value is decoded
            t[i], p = self._decode(d, p, top + 1)
        return t, p

    def _map(self, d: bytes, p: int, n: int, top: int) -> tuple[Any, int]:
        t = self.lua.table()
        top += 1
        for _ in range(n):
            k, p = self._decode(d, p, top)
            v, p = self._decode(d, p, top + 1)
            # lua_settable's own errors, raised from C with no line of the script
            if k is None:
                raise LuaError("table index is nil", positioned=False)
            if k.__class__ is float and k != k:
                raise LuaError("table index is NaN", positioned=False)
            t[k] = v
        return t, p


# Redis marks its global tables read-only in place; our sandbox shows scripts empty proxies of them
# instead (prelude.protect: a metatable with __index the real table, __metatable false), so the
# entries lua_next would see in Redis are those of the proxied table.
_CONTENTS = """
local getmt, next, rawget, type = debug.getmetatable, next, rawget, type
return function(t)
  if next(t) == nil then
    local mt = getmt(t)
    if mt and rawget(mt, '__metatable') == false and type(rawget(mt, '__index')) == 'table'
        and type(rawget(mt, '__newindex')) == 'function' then
      return rawget(mt, '__index')
    end
  end
  return t
end
"""

# first byte -> (bytes after it, how to read them): unsigned, signed, float, double
_FIXED = {
    0xCC: (1, "u"),
    0xCD: (2, "u"),
    0xCE: (4, "u"),
    0xCF: (8, "u"),
    0xD0: (1, "i"),
    0xD1: (2, "i"),
    0xD2: (4, "i"),
    0xD3: (8, "i"),
    0xCA: (4, "f"),
    0xCB: (8, "d"),
}
# first byte -> (bytes of its length, what follows): string, array, map
_SIZED = {
    0xD9: (1, "s"),
    0xDA: (2, "s"),
    0xDB: (4, "s"),
    0xDC: (2, "a"),
    0xDD: (4, "a"),
    0xDE: (2, "m"),
    0xDF: (4, "m"),
}
