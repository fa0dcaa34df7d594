"""The libraries Redis preloads for scripts: cjson, cmsgpack, bit (LuaBitOp) and struct (lua_struct).

They are written in Python and exposed to Lua through closures built by the prelude. Behaviour follows
the C libraries Redis 7.0 ships for the cases scripts use: cjson's number formatting (``%.14g``), escaping
of ``/`` and control characters, ``cjson.null``; LuaBitOp's 32-bit results; MessagePack's smallest
encodings. Errors are raised as Lua errors with the C libraries' texts.
"""

from __future__ import annotations

import functools
import math
import struct as pystruct
import sys
from typing import Any

from lupa import lua51

_lua_type = lua51.lua_type


def _deep(fn: Any) -> Any:
    """Run a recursive codec with Python recursion to spare for its own nesting limit (cjson's 1000
    levels, cmsgpack's 4000), so that input nested that deep meets the library's error, not Python's.
    Python-to-Python calls take no C stack in 3.11, so the raised limit costs nothing else."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + 10_000)
        try:
            return fn(*args)
        finally:
            sys.setrecursionlimit(limit)

    return run


MSGPACK_MAX_DEPTH = 4000


class LuaError(Exception):
    """Raised by a library function: the prelude's wrapper turns it into a Lua ``error(message)``."""


def _num_text(x: float) -> bytes:
    """A Lua number as Lua 5.1 prints it (``%.14g``)."""
    if isinstance(x, int):
        return b"%d" % x
    if x != x:
        return b"nan" if math.copysign(1.0, x) > 0 else b"-nan"
    if math.isinf(x):
        return b"inf" if x > 0 else b"-inf"
    return b"%.14g" % x


# -- cjson ----------------------------------------------------------------------------------------------

_JSON_ESCAPES = {i: b"\\u%04x" % i for i in range(32)}
_JSON_ESCAPES.update({8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r", 34: b'\\"', 92: b"\\\\", 47: b"\\/"})
_JSON_ESCAPES[127] = b"\\u007f"


def _json_string(s: bytes) -> bytes:
    out = bytearray(b'"')
    esc = _JSON_ESCAPES
    for b in s:
        e = esc.get(b)
        if e is None:
            out.append(b)
        else:
            out += e
    out += b'"'
    return bytes(out)


class CJson:
    def __init__(self, lua: Any, null: Any) -> None:
        self.lua = lua
        self.null = null

    def functions(self) -> dict:
        return {
            b"encode": self.encode,
            b"decode": self.decode,
            b"null": self.null,
            b"encode_keep_buffer": lambda *a: True,
            b"encode_max_depth": lambda *a: 1000,
            b"decode_max_depth": lambda *a: 1000,
            b"encode_number_precision": lambda *a: 14,
            b"encode_invalid_numbers": lambda *a: False,
            b"decode_invalid_numbers": lambda *a: True,
            b"encode_sparse_array": lambda *a: (False, 2, 10),
        }

    @_deep
    def encode(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise LuaError("bad argument #1 to 'encode' (expected 1 argument)")
        out = bytearray()
        self._encode(args[0], out, 0)
        return bytes(out)

    def _encode(self, v: Any, out: bytearray, depth: int) -> None:
        if isinstance(v, bytes):
            out += _json_string(v)
        elif v is True:
            out += b"true"
        elif v is False:
            out += b"false"
        elif v is None:
            out += b"null"
        elif isinstance(v, (int, float)):
            if isinstance(v, float) and (v != v or math.isinf(v)):
                raise LuaError("Cannot serialise number: must not be NaN or Inf")
            out += _num_text(v)
        else:
            kind = _lua_type(v)
            if kind == "table":
                if depth >= 1000:
                    raise LuaError("Cannot serialise, excessive nesting (1001)")
                self._encode_table(v, out, depth + 1)
            elif kind == "userdata":
                out += b"null"
            else:
                raise LuaError(f"Cannot serialise {kind}: type not supported")

    def _encode_table(self, t: Any, out: bytearray, depth: int) -> None:
        items = list(t.items())
        n = len(items)
        max_index = 0
        is_array = n > 0
        for k, _ in items:
            if isinstance(k, (int, float)) and not isinstance(k, bool) and k >= 1 and k == int(k):
                max_index = max(max_index, int(k))
            else:
                is_array = False
                break
        if is_array and max_index > n * 2 and max_index > 10:
            raise LuaError("Cannot serialise table: excessively sparse array")
        if is_array:
            values = dict(items)
            out += b"["
            for i in range(1, max_index + 1):
                if i > 1:
                    out += b","
                self._encode(values.get(i), out, depth)
            out += b"]"
            return
        out += b"{"
        first = True
        for k, v in items:
            if not first:
                out += b","
            first = False
            if isinstance(k, bytes):
                out += _json_string(k)
            elif isinstance(k, (int, float)) and not isinstance(k, bool):
                out += b'"' + _num_text(k) + b'"'
            else:
                raise LuaError("Cannot serialise table: table key must be a number or string")
            out += b":"
            self._encode(v, out, depth)
        out += b"}"

    @_deep
    def decode(self, *args: Any) -> Any:
        if len(args) != 1:
            raise LuaError("bad argument #1 to 'decode' (expected 1 argument)")
        text = args[0]
        if isinstance(text, (int, float)):
            text = _num_text(text)
        if not isinstance(text, bytes):
            raise LuaError(f"bad argument #1 to 'decode' (string expected, got {_lua_type(text) or 'nil'})")
        parser = _JsonParser(text, self)
        value = parser.value(0)
        parser.skip()
        if parser.pos != len(text):
            parser.fail("the end")
        return value


_TOKEN_NAMES = {
    b"{": "T_OBJ_BEGIN",
    b"}": "T_OBJ_END",
    b"[": "T_ARR_BEGIN",
    b"]": "T_ARR_END",
    b",": "T_COMMA",
    b":": "T_COLON",
    b'"': "T_STRING",
}


class _JsonParser:
    def __init__(self, text: bytes, cj: CJson) -> None:
        self.s = text
        self.pos = 0
        self.cj = cj

    def fail(self, expected: str) -> None:
        """cjson's parse error: names the token found where ``expected`` was wanted."""
        s, p = self.s, self.pos
        while p < len(s) and s[p] in b" \t\r\n":
            p += 1
        if p >= len(s):
            found = "T_END"
        else:
            ch = s[p : p + 1]
            found = _TOKEN_NAMES.get(ch)
            if found is None:
                if ch in b"-0123456789":
                    found = "T_NUMBER"
                elif s.startswith(b"true", p) or s.startswith(b"false", p):
                    found = "T_BOOLEAN"
                elif s.startswith(b"null", p):
                    found = "T_NULL"
                else:
                    found = "invalid token"
        raise LuaError(f"Expected {expected} but found {found} at character {p + 1}")

    def skip(self) -> None:
        s, n = self.s, len(self.s)
        while self.pos < n and s[self.pos] in b" \t\r\n":
            self.pos += 1

    def value(self, depth: int) -> Any:
        self.skip()
        s = self.s
        if self.pos >= len(s):
            self.fail("value")
        ch = s[self.pos]
        if ch == 0x7B:  # {
            if depth >= 1000:
                raise LuaError(f"Found too many nested data structures ({depth + 1}) at character {self.pos + 1}")
            self.pos += 1
            t = self.cj.lua.table()
            self.skip()
            if self.pos < len(s) and s[self.pos] == 0x7D:
                self.pos += 1
                return t
            while True:
                self.skip()
                if self.pos >= len(s) or s[self.pos] != 0x22:
                    self.fail("object key string")
                key = self.string()
                self.skip()
                if self.pos >= len(s) or s[self.pos] != 0x3A:
                    self.fail("colon")
                self.pos += 1
                t[key] = self.value(depth + 1)
                self.skip()
                if self.pos < len(s) and s[self.pos] == 0x2C:
                    self.pos += 1
                    continue
                if self.pos < len(s) and s[self.pos] == 0x7D:
                    self.pos += 1
                    return t
                self.fail("comma or object end")
        if ch == 0x5B:  # [
            if depth >= 1000:
                raise LuaError(f"Found too many nested data structures ({depth + 1}) at character {self.pos + 1}")
            self.pos += 1
            t = self.cj.lua.table()
            self.skip()
            if self.pos < len(s) and s[self.pos] == 0x5D:
                self.pos += 1
                return t
            i = 1
            while True:
                t[i] = self.value(depth + 1)
                i += 1
                self.skip()
                if self.pos < len(s) and s[self.pos] == 0x2C:
                    self.pos += 1
                    continue
                if self.pos < len(s) and s[self.pos] == 0x5D:
                    self.pos += 1
                    return t
                self.fail("comma or array end")
        if ch == 0x22:
            return self.string()
        for word, val in ((b"true", True), (b"false", False), (b"null", self.cj.null)):
            if s.startswith(word, self.pos):
                self.pos += len(word)
                return val
        end = self.pos
        while end < len(s) and s[end] in b"+-0123456789.eE":
            end += 1
        if end == self.pos:
            self.fail("value")
        try:
            x = float(s[self.pos : end])
        except ValueError:
            self.fail("value")
        self.pos = end
        return int(x) if x.is_integer() and abs(x) < 2**53 else x

    def string(self) -> bytes:
        s = self.s
        self.pos += 1
        out = bytearray()
        while True:
            if self.pos >= len(s):
                self.fail("string end")
            ch = s[self.pos]
            if ch == 0x22:
                self.pos += 1
                return bytes(out)
            if ch == 0x5C:
                esc = s[self.pos + 1 : self.pos + 2]
                simple = {b"b": 8, b"f": 12, b"n": 10, b"r": 13, b"t": 9, b'"': 34, b"\\": 92, b"/": 47}
                if esc in simple:
                    out.append(simple[esc])
                    self.pos += 2
                elif esc == b"u":
                    try:
                        cp = int(s[self.pos + 2 : self.pos + 6], 16)
                    except ValueError:
                        self.fail("string")
                    self.pos += 6
                    if 0xD800 <= cp < 0xDC00 and s[self.pos : self.pos + 2] == b"\\u":
                        low = int(s[self.pos + 2 : self.pos + 6], 16)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                        self.pos += 6
                    out += chr(cp).encode("utf-8", "surrogatepass")
                else:
                    self.fail("string")
                continue
            out.append(ch)
            self.pos += 1


# -- bit (LuaBitOp) -------------------------------------------------------------------------------------


def _tobit(x: Any) -> int:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise LuaError("bad argument #1 to 'tobit' (number expected)")
    # LuaBitOp adds 2^52+2^51 to the double and keeps the low 32 bits: rounding, then wrapping.
    n = int(round(x)) if isinstance(x, float) else x
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def _bitop(fn: Any) -> Any:
    def op(*args: Any) -> int:
        if not args:
            raise LuaError("bad argument #1 (number expected, got no value)")
        acc = _tobit(args[0]) & 0xFFFFFFFF
        for a in args[1:]:
            acc = fn(acc, _tobit(a) & 0xFFFFFFFF)
        return _tobit(acc)

    return op


def _shift(fn: Any) -> Any:
    def op(x: Any = None, n: Any = None) -> int:
        return _tobit(fn(_tobit(x) & 0xFFFFFFFF, _tobit(n) & 31))

    return op


def _tohex(x: Any = None, n: Any = 8) -> bytes:
    v = _tobit(x) & 0xFFFFFFFF
    n = _tobit(n)
    digits = "0123456789abcdef"
    if n < 0:
        n = -n
        digits = digits.upper()
    n = min(n, 8)
    out = ""
    for _ in range(n):
        out = digits[v & 15] + out
        v >>= 4
    return out.encode()


BIT = {
    b"tobit": lambda x=None: _tobit(x),
    b"bnot": lambda x=None: _tobit(~_tobit(x)),
    b"band": _bitop(lambda a, b: a & b),
    b"bor": _bitop(lambda a, b: a | b),
    b"bxor": _bitop(lambda a, b: a ^ b),
    b"lshift": _shift(lambda v, n: v << n),
    b"rshift": _shift(lambda v, n: v >> n),
    b"arshift": _shift(lambda v, n: (v - (1 << 32) if v & 0x80000000 else v) >> n),
    b"rol": _shift(lambda v, n: (v << n) | (v >> (32 - n)) if n else v),
    b"ror": _shift(lambda v, n: (v >> n) | (v << (32 - n)) if n else v),
    b"bswap": lambda x=None: _tobit(int.from_bytes((_tobit(x) & 0xFFFFFFFF).to_bytes(4, "little"), "big")),
    b"tohex": _tohex,
}


# -- struct (lua_struct) --------------------------------------------------------------------------------

_STRUCT_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "i": 4, "I": 4, "f": 4, "d": 8}


def _struct_items(fmt: bytes) -> list[tuple[str, int, str]]:
    """Parse a lua_struct format into (endianness, size, code) items."""
    items = []
    endian = "<"
    f = fmt.decode("latin-1")
    i = 0
    while i < len(f):
        ch = f[i]
        i += 1
        if ch in " ":
            continue
        if ch in "<>=!":
            if ch in "<>":
                endian = ch
            elif ch == "=":
                endian = "<"
            while i < len(f) and f[i].isdigit():
                i += 1
            continue
        num = ""
        while i < len(f) and f[i].isdigit():
            num += f[i]
            i += 1
        if ch in "iI":
            size = int(num) if num else 4
            if not 1 <= size <= 8:
                raise LuaError(f"integral size {size} is larger than limit of 8")
        elif ch == "c":
            size = int(num) if num else 1
        elif ch in _STRUCT_SIZES:
            size = _STRUCT_SIZES[ch]
        elif ch in "sx":
            size = 0 if ch == "s" else 1
        else:
            raise LuaError(f"invalid format option '{ch}'")
        items.append((endian, size, ch))
    return items


def struct_pack(fmt: bytes = b"", *args: Any) -> bytes:
    out = bytearray()
    ai = 0
    for endian, size, code in _struct_items(fmt):
        if code == "x":
            out.append(0)
            continue
        if ai >= len(args):
            raise LuaError(f"bad argument #{ai + 2} to 'pack' (number expected, got no value)")
        v = args[ai]
        ai += 1
        if code in "bBhHlLTiI":
            n = int(v) if not isinstance(v, bytes) else int(float(v))
            out += (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little" if endian == "<" else "big")
        elif code in "fd":
            out += pystruct.pack(endian + code, float(v))
        elif code == "c":
            s = v if isinstance(v, bytes) else _num_text(v)
            out += s[:size] + b"\0" * (size - len(s[:size])) if size else s
        elif code == "s":
            s = v if isinstance(v, bytes) else _num_text(v)
            out += s + b"\0"
    return bytes(out)


def struct_unpack(fmt: bytes = b"", data: bytes = b"", init: Any = 1) -> tuple:
    pos = int(init) - 1
    values: list[Any] = []
    for endian, size, code in _struct_items(fmt):
        if code == "x":
            pos += 1
            continue
        if code == "s":
            end = data.find(b"\0", pos)
            if end < 0:
                raise LuaError("unfinished string in data")
            values.append(data[pos:end])
            pos = end + 1
            continue
        if pos + size > len(data):
            raise LuaError("bad argument #2 to 'unpack' (data string too short)")
        chunk = data[pos : pos + size]
        pos += size
        if code in "bhliT" or code == "i":
            values.append(int.from_bytes(chunk, "little" if endian == "<" else "big", signed=True))
        elif code in "BHLI":
            values.append(int.from_bytes(chunk, "little" if endian == "<" else "big"))
        elif code in "fd":
            values.append(pystruct.unpack(endian + code, chunk)[0])
        elif code == "c":
            values.append(chunk)
    values.append(pos + 1)
    return tuple(values)


def struct_size(fmt: bytes = b"") -> int:
    total = 0
    for _, size, code in _struct_items(fmt):
        if code == "s":
            raise LuaError("options 'c0' - 's' have undefined sizes")
        total += size
    return total


STRUCT = {b"pack": struct_pack, b"unpack": struct_unpack, b"size": struct_size}


# -- cmsgpack -------------------------------------------------------------------------------------------


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
        elif _lua_type(v) == "table" and depth < 16:
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

    @_deep
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
