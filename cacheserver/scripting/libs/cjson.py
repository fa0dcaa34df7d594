"""cjson (lua_cjson 2.1 as Redis 7.0 ships it): encode, decode, cjson.null and the configuration functions."""

from __future__ import annotations

import math
from typing import Any

from cacheserver.scripting.libs.common import LuaError, deep, lua_type, num_text

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

    @deep
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
            out += num_text(v)
        else:
            kind = lua_type(v)
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
                out += b'"' + num_text(k) + b'"'
            else:
                raise LuaError("Cannot serialise table: table key must be a number or string")
            out += b":"
            self._encode(v, out, depth)
        out += b"}"

    @deep
    def decode(self, *args: Any) -> Any:
        if len(args) != 1:
            raise LuaError("bad argument #1 to 'decode' (expected 1 argument)")
        text = args[0]
        if isinstance(text, (int, float)):
            text = num_text(text)
        if not isinstance(text, bytes):
            raise LuaError(f"bad argument #1 to 'decode' (string expected, got {lua_type(text) or 'nil'})")
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
