"""cmsgpack (lua_cmsgpack 0.4 as Redis 7.0 ships it): pack and unpack."""

from __future__ import annotations

import math
import struct as pystruct
from typing import Any

from cacheserver.scripting.libs.common import LuaError, deep, lua_type

MSGPACK_MAX_DEPTH = 4000


class CMsgpack:
    def __init__(self, lua: Any) -> None:
        self.lua = lua

    def functions(self) -> dict:
        return {b"pack": self.pack, b"unpack": self.unpack}

    def pack(self, *args: Any) -> bytes:
        if not args:
            raise LuaError("MessagePack pack needs input.")
        out = bytearray()
        for a in args:
            self._pack(a, out, 0)
        return bytes(out)

    def _pack(self, v: Any, out: bytearray, depth: int) -> None:
        if v is None:
            out.append(0xC0)
        elif v is True:
            out.append(0xC3)
        elif v is False:
            out.append(0xC2)
        elif isinstance(v, bytes):
            n = len(v)
            if n < 32:
                out.append(0xA0 | n)
            elif n < 256:
                out += b"\xd9" + bytes([n])
            elif n < 65536:
                out += b"\xda" + n.to_bytes(2, "big")
            else:
                out += b"\xdb" + n.to_bytes(4, "big")
            out += v
        elif isinstance(v, (int, float)):
            if isinstance(v, float) and not v.is_integer() or isinstance(v, float) and math.isinf(v):
                f32 = pystruct.unpack(">f", pystruct.pack(">f", v))[0] if abs(v) < 3.4e38 else None
                if f32 == v:
                    out += b"\xca" + pystruct.pack(">f", v)
                else:
                    out += b"\xcb" + pystruct.pack(">d", v)
                return
            n = int(v)
            if n >= 0:
                if n < 128:
                    out.append(n)
                elif n < 256:
                    out += b"\xcc" + bytes([n])
                elif n < 65536:
                    out += b"\xcd" + n.to_bytes(2, "big")
                elif n < 1 << 32:
                    out += b"\xce" + n.to_bytes(4, "big")
                else:
                    out += b"\xcf" + (n & (1 << 64) - 1).to_bytes(8, "big")
            elif n >= -32:
                out.append(n & 0xFF)
            elif n >= -128:
                out += b"\xd0" + (n & 0xFF).to_bytes(1, "big")
            elif n >= -32768:
                out += b"\xd1" + (n & 0xFFFF).to_bytes(2, "big")
            elif n >= -(1 << 31):
                out += b"\xd2" + (n & 0xFFFFFFFF).to_bytes(4, "big")
            else:
                out += b"\xd3" + (n & (1 << 64) - 1).to_bytes(8, "big")
        elif lua_type(v) == "table" and depth < 16:
            items = list(v.items())
            n = len(items)
            is_array = all(isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= n for k, _ in items)
            if is_array:
                self._len(out, n, 0x90, b"\xdc", b"\xdd")
                values = dict(items)
                for i in range(1, n + 1):
                    self._pack(values[i], out, depth + 1)
            else:
                self._len(out, n, 0x80, b"\xde", b"\xdf")
                for k, val in items:
                    self._pack(k, out, depth + 1)
                    self._pack(val, out, depth + 1)
        else:
            out.append(0xC0)

    @staticmethod
    def _len(out: bytearray, n: int, fix: int, b16: bytes, b32: bytes) -> None:
        if n < 16:
            out.append(fix | n)
        elif n < 65536:
            out += b16 + n.to_bytes(2, "big")
        else:
            out += b32 + n.to_bytes(4, "big")

    @deep
    def unpack(self, *args: Any) -> tuple:
        data = args[0] if args else None
        if not isinstance(data, bytes):
            raise LuaError("MessagePack unpack needs input.")
        values = []
        pos = 0
        while pos < len(data):
            v, pos = self._unpack(data, pos, 0)
            values.append(v)
        return tuple(values)

    def _unpack(self, d: bytes, p: int, depth: int) -> tuple[Any, int]:
        """The value at ``p`` inside ``depth`` containers, and the position after it."""
        if p >= len(d):
            raise LuaError("Missing bytes in input.")
        b = d[p]
        p += 1
        if b < 0x80:
            return b, p
        if b >= 0xE0:
            return b - 256, p
        if 0xA0 <= b < 0xC0:
            n = b & 31
            return d[p : p + n], p + n
        if 0x90 <= b < 0xA0:
            return self._array(d, p, b & 15, depth + 1)
        if 0x80 <= b < 0x90:
            return self._map(d, p, b & 15, depth + 1)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if b in simple:
            return simple[b], p
        fixed = {
            0xCC: (1, False),
            0xCD: (2, False),
            0xCE: (4, False),
            0xCF: (8, False),
            0xD0: (1, True),
            0xD1: (2, True),
            0xD2: (4, True),
            0xD3: (8, True),
        }
        if b in fixed:
            n, signed = fixed[b]
            if p + n > len(d):
                raise LuaError("Missing bytes in input.")
            return int.from_bytes(d[p : p + n], "big", signed=signed), p + n
        if b == 0xCA:
            return pystruct.unpack(">f", d[p : p + 4])[0], p + 4
        if b == 0xCB:
            return pystruct.unpack(">d", d[p : p + 8])[0], p + 8
        lens = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}
        if b in lens:
            k = lens[b]
            n = int.from_bytes(d[p : p + k], "big")
            p += k
            return d[p : p + n], p + n
        if b in (0xDC, 0xDD):
            k = 2 if b == 0xDC else 4
            return self._array(d, p + k, int.from_bytes(d[p : p + k], "big"), depth + 1)
        if b in (0xDE, 0xDF):
            k = 2 if b == 0xDE else 4
            return self._map(d, p + k, int.from_bytes(d[p : p + k], "big"), depth + 1)
        raise LuaError("Bad data format in input.")

    # Redis's cmsgpack runs out of Lua stack at the 4000th nested container, with these texts.
    def _array(self, d: bytes, p: int, n: int, depth: int) -> tuple[Any, int]:
        if depth >= MSGPACK_MAX_DEPTH:
            raise LuaError("stack overflow (in function mp_decode_to_lua_array)")
        t = self.lua.table()
        for i in range(1, n + 1):
            t[i], p = self._unpack(d, p, depth)
        return t, p

    def _map(self, d: bytes, p: int, n: int, depth: int) -> tuple[Any, int]:
        if depth >= MSGPACK_MAX_DEPTH:
            raise LuaError("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
        t = self.lua.table()
        for _ in range(n):
            k, p = self._unpack(d, p, depth)
            v, p = self._unpack(d, p, depth)
            if k is not None:
                t[k] = v
        return t, p
