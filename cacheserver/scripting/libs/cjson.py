"""cjson (lua_cjson 2.1.0 as Redis 7.0 ships it): encode, decode, cjson.null, cjson.new and the
configuration functions, whose settings last for the Lua state (later calls and later scripts).

Numbers are written with ``%.<precision>g`` and read with C's strtod (hex, inf, nan accepted while
decode_invalid_numbers is on). lupa hands an integral Lua number to Python as an int, which loses the
sign of zero: inside tables that sign is asked of Lua (zeros only); a bare ``cjson.encode(-0)`` reaches
us as 0 and cannot be told apart.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from typing import Any

from cacheserver.scripting.libs.common import LuaError, lua_type, strtod_nan

_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1
# Lua 5.1's LUAI_MAXCSTACK: lua_checkstack refuses a C function more stack slots than this.
_MAX_C_STACK = 8000

_ESCAPES = {bytes([i]): b"\\u%04x" % i for i in range(32)}
_ESCAPES.update({b"\b": b"\\b", b"\t": b"\\t", b"\n": b"\\n", b"\f": b"\\f", b"\r": b"\\r"})
_ESCAPES.update({b'"': b'\\"', b"\\": b"\\\\", b"/": b"\\/", b"\x7f": b"\\u007f"})
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x1f"\\/\x7f]')


def _escape(m: re.Match) -> bytes:
    return _ESCAPES[m.group()]


def _json_string(s: bytes) -> bytes:
    if _NEEDS_ESCAPE.search(s) is None:
        return b'"' + s + b'"'
    return b'"' + _NEEDS_ESCAPE.sub(_escape, s) + b'"'


def _deep(fn: Any) -> Any:
    """Recursion headroom for nesting up to what Lua's C stack allows a raised depth limit (about
    8000 levels, a few Python frames each); pure-Python recursion takes no C stack in 3.11."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + 40_000)
        try:
            return fn(*args)
        finally:
            sys.setrecursionlimit(limit)

    return run


# lupa hands a coroutine over as one of these (and its lua_type says "function")
_THREAD_CLASSES = frozenset({"_LuaThread", "_LuaCoroutineFunction"})


def _type_name(v: Any) -> str:
    """Lua's type name of a value as lupa handed it over (our own Python callables are C functions to
    a script)."""
    if v is None:
        return "nil"
    if v is True or v is False:
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, bytes):
        return "string"
    if type(v).__name__ in _THREAD_CLASSES:
        return "thread"
    return lua_type(v) or "function"


def _c_int(d: float) -> int:
    """A double assigned to a C int through lua_Integer (x86-64: truncated, out of range -> INT64_MIN),
    then its low 32 bits."""
    if d != d or d >= 2.0**63 or d < -(2.0**63):
        n = -(2**63)
    else:
        n = int(d)
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


# glibc strtod's grammar (the token never starts with white space)
_STRTOD = re.compile(
    rb"[+-]?(?:inf(?:inity)?|nan(?:\([0-9a-z_]*\))?"
    rb"|0x(?:[0-9a-f]+(?:\.[0-9a-f]*)?|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?"
    rb"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?)",
    re.I,
)


def _strtod_value(text: bytes) -> float:
    body = text.lstrip(b"+-")
    neg = text[:1] == b"-"
    low = body.lower()
    if low.startswith(b"nan"):
        v = strtod_nan(body)
    elif low.startswith(b"inf"):
        v = math.inf
    elif low.startswith(b"0x"):
        v = float.fromhex(body.decode())
    else:
        v = float(body)
    return -v if neg else v


def _str_to_number(s: bytes) -> float | None:
    """Lua 5.1's lua_tonumber of a string: strtod on the C string, white space around it."""
    text = s.split(b"\0", 1)[0].lstrip(b" \t\n\v\f\r")
    m = _STRTOD.match(text)
    if m is None or text[m.end() :].strip(b" \t\n\v\f\r"):
        return None
    return _strtod_value(m.group())


def _check_integer(args: tuple, i: int, fname: str) -> int:
    """luaL_checkinteger(i) stored in a C int."""
    v = args[i - 1]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _c_int(v)
    d = _str_to_number(v) if isinstance(v, bytes) else None
    if d is None:
        raise LuaError(f"bad argument #{i} to '{fname}' (number expected, got {_type_name(v)})")
    return _c_int(d)


class _Config:
    __slots__ = (
        "sparse_convert",
        "sparse_ratio",
        "sparse_safe",
        "encode_max_depth",
        "decode_max_depth",
        "encode_invalid",
        "decode_invalid",
        "keep_buffer",
        "precision",
        "number_fmt",
    )

    def __init__(self) -> None:
        self.sparse_convert = 0
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.encode_invalid = 0  # 0 refuse, 1 write inf/nan, 2 write null
        self.decode_invalid = 1
        self.keep_buffer = 1
        self.precision = 14
        self.number_fmt = b"%.14g"


_BOOL_OPTIONS = ("off", "on")
_INVALID_OPTIONS = ("off", "on", "null")


class CJson:
    """One cjson module table with its own configuration (cjson.new makes another)."""

    def __init__(self, lua: Any, null: Any) -> None:
        self.lua = lua
        self.null = null
        self.cfg = _Config()
        self._helpers()

    def _helpers(self) -> None:
        # The sign of a zero value or key, asked of Lua: lupa turns -0 into the int 0.
        self._neg_zero_value = self.lua.eval("function(t, k) return 1 / rawget(t, k) < 0 end")
        self._neg_zero_key = self.lua.eval(
            "function(t) for k in next, t do if k == 0 then return 1 / k < 0 end end return false end"
        )

    def reset(self) -> None:
        """The defaults again (a new Lua state: SCRIPT FLUSH)."""
        self.cfg = _Config()

    def functions(self) -> dict:
        return {
            b"encode": self.encode,
            b"decode": self.decode,
            b"null": self.null,
            b"new": self.new,
            b"encode_sparse_array": self.encode_sparse_array,
            b"encode_max_depth": self.encode_max_depth,
            b"decode_max_depth": self.decode_max_depth,
            b"encode_number_precision": self.encode_number_precision,
            b"encode_keep_buffer": self.encode_keep_buffer,
            b"encode_invalid_numbers": self.encode_invalid_numbers,
            b"decode_invalid_numbers": self.decode_invalid_numbers,
            b"_NAME": b"cjson",
            b"_VERSION": b"2.1.0",
        }

    # -- configuration ---------------------------------------------------------------------------------

    def new(self, *args: Any) -> Any:
        other = CJson.__new__(CJson)
        other.lua, other.null, other.cfg = self.lua, self.null, _Config()
        other._neg_zero_value, other._neg_zero_key = self._neg_zero_value, self._neg_zero_key
        return self.lua.table_from(other.functions())

    @staticmethod
    def _arg_init(args: tuple, n: int, fname: str) -> tuple:
        if len(args) > n:
            raise LuaError(f"bad argument #{n + 1} to '{fname}' (found too many arguments)")
        return args + (None,) * (n - len(args))

    @staticmethod
    def _integer_option(args: tuple, i: int, current: int, lo: int, hi: int, fname: str) -> int:
        if args[i - 1] is None:
            return current
        value = _check_integer(args, i, fname)
        if not lo <= value <= hi:
            # lua_cjson names argument 1 whatever the option's position
            raise LuaError(f"bad argument #1 to '{fname}' (expected integer between {lo} and {hi})")
        return value

    @staticmethod
    def _enum_option(args: tuple, i: int, current: int, options: tuple, fname: str) -> int:
        v = args[i - 1]
        if v is None:
            return current
        if v is True or v is False:
            return int(v)
        if isinstance(v, (int, float)):
            name = b"%.14g" % v
        elif isinstance(v, bytes):
            name = v.split(b"\0", 1)[0]
        else:
            raise LuaError(f"bad argument #{i} to '{fname}' (string expected, got {_type_name(v)})")
        text = name.decode("latin-1")
        if text in options:
            return options.index(text)
        raise LuaError(f"bad argument #{i} to '{fname}' (invalid option '{text}')")

    @staticmethod
    def _enum_result(setting: int, options: tuple) -> Any:
        return bool(setting) if setting in (0, 1) else options[setting].encode()

    def encode_sparse_array(self, *args: Any) -> tuple:
        name = "encode_sparse_array"
        args = self._arg_init(args, 3, name)
        cfg = self.cfg
        # each option is stored before the next one is checked, as in C
        cfg.sparse_convert = self._enum_option(args, 1, cfg.sparse_convert, _BOOL_OPTIONS, name)
        cfg.sparse_ratio = self._integer_option(args, 2, cfg.sparse_ratio, 0, _INT_MAX, name)
        cfg.sparse_safe = self._integer_option(args, 3, cfg.sparse_safe, 0, _INT_MAX, name)
        return (bool(cfg.sparse_convert), cfg.sparse_ratio, cfg.sparse_safe)

    def encode_max_depth(self, *args: Any) -> int:
        args = self._arg_init(args, 1, "encode_max_depth")
        self.cfg.encode_max_depth = self._integer_option(
            args, 1, self.cfg.encode_max_depth, 1, _INT_MAX, "encode_max_depth"
        )
        return self.cfg.encode_max_depth

    def decode_max_depth(self, *args: Any) -> int:
        args = self._arg_init(args, 1, "decode_max_depth")
        self.cfg.decode_max_depth = self._integer_option(
            args, 1, self.cfg.decode_max_depth, 1, _INT_MAX, "decode_max_depth"
        )
        return self.cfg.decode_max_depth

    def encode_number_precision(self, *args: Any) -> int:
        name = "encode_number_precision"
        args = self._arg_init(args, 1, name)
        cfg = self.cfg
        cfg.precision = self._integer_option(args, 1, cfg.precision, 1, 14, name)
        cfg.number_fmt = b"%%.%dg" % cfg.precision
        return cfg.precision

    def encode_keep_buffer(self, *args: Any) -> Any:
        args = self._arg_init(args, 1, "encode_keep_buffer")
        self.cfg.keep_buffer = self._enum_option(args, 1, self.cfg.keep_buffer, _BOOL_OPTIONS, "encode_keep_buffer")
        return self._enum_result(self.cfg.keep_buffer, _BOOL_OPTIONS)

    def encode_invalid_numbers(self, *args: Any) -> Any:
        args = self._arg_init(args, 1, "encode_invalid_numbers")
        self.cfg.encode_invalid = self._enum_option(
            args, 1, self.cfg.encode_invalid, _INVALID_OPTIONS, "encode_invalid_numbers"
        )
        return self._enum_result(self.cfg.encode_invalid, _INVALID_OPTIONS)

    def decode_invalid_numbers(self, *args: Any) -> Any:
        args = self._arg_init(args, 1, "decode_invalid_numbers")
        self.cfg.decode_invalid = self._enum_option(
            args, 1, self.cfg.decode_invalid, _BOOL_OPTIONS, "decode_invalid_numbers"
        )
        return self._enum_result(self.cfg.decode_invalid, _BOOL_OPTIONS)

    # -- encoding --------------------------------------------------------------------------------------

    @_deep
    def encode(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise LuaError("bad argument #1 to 'encode' (expected 1 argument)")
        out = bytearray()
        self._value(args[0], out, 0, 1)
        return bytes(out)

    def _number(self, v: Any, out: bytearray, neg_zero: bool = False) -> None:
        if isinstance(v, float) and (v != v or v == math.inf or v == -math.inf):
            mode = self.cfg.encode_invalid
            if mode == 0:
                raise LuaError("Cannot serialise number: must not be NaN or Inf")
            if mode == 2:
                out += b"null"
            elif v != v:
                out += b"nan"
            else:
                out += b"inf" if v > 0 else b"-inf"
            return
        if neg_zero:
            v = -0.0
        out += self.cfg.number_fmt % v

    def _value(self, v: Any, out: bytearray, depth: int, slots: int) -> None:
        """json_append_data: ``depth`` tables enclose ``v``, whose encoding holds ``slots`` slots of the
        C function's Lua stack (the argument, then a value per array level and a key and value per
        object level)."""
        if isinstance(v, bytes):
            out += _json_string(v)
        elif v is True:
            out += b"true"
        elif v is False:
            out += b"false"
        elif v is None:
            out += b"null"
        elif isinstance(v, (int, float)):
            self._number(v, out)
        else:
            kind = lua_type(v)
            if kind == "table":
                self._table(v, out, depth + 1, slots)
            elif kind == "userdata":
                out += b"null"
            else:
                raise LuaError(f"Cannot serialise {_type_name(v)}: type not supported")

    def _table(self, t: Any, out: bytearray, depth: int, slots: int) -> None:
        cfg = self.cfg
        if depth > cfg.encode_max_depth or slots + 3 > _MAX_C_STACK:
            raise LuaError(f"Cannot serialise, excessive nesting ({depth})")
        items = list(t.items())
        length = self._array_length(items)
        if length > 0:
            values = dict(items)
            out += b"["
            for i in range(1, length + 1):
                if i > 1:
                    out += b","
                x = values.get(i)
                if type(x) is int and x == 0:
                    self._number(x, out, self._neg_zero_value(t, i))
                else:
                    self._value(x, out, depth, slots + 1)
            out += b"]"
            return
        out += b"{"
        first = True
        for k, x in items:
            if first:
                first = False
            else:
                out += b","
            if isinstance(k, bytes):
                out += _json_string(k)
                out += b":"
            elif isinstance(k, (int, float)) and not isinstance(k, bool):
                out += b'"'
                self._number(k, out, type(k) is int and k == 0 and self._neg_zero_key(t))
                out += b'":'
            else:
                raise LuaError(f"Cannot serialise {_type_name(k)}: table key must be a number or string")
            if type(x) is int and x == 0:
                self._number(x, out, self._neg_zero_value(t, k))
            else:
                self._value(x, out, depth, slots + 2)
        out += b"}"

    def _array_length(self, items: list) -> int:
        """lua_array_length: the array's length, or -1 (or a negative max) for an object."""
        cfg = self.cfg
        top = 0  # a C int: a key past INT_MAX is stored as INT_MIN (x86-64 conversion)
        count = 0
        for k, _ in items:
            tk = type(k)
            if (tk is int or tk is float) and k >= 1 and (tk is int or k == math.inf or k.is_integer()):
                if k > top:
                    top = int(k) if k < 2**31 else _INT_MIN
                count += 1
                continue
            return -1
        ratio = cfg.sparse_ratio
        if ratio > 0:
            limit = (count * ratio) & 0xFFFFFFFF
            if limit & 0x80000000:
                limit -= 1 << 32
            if top > limit and top > cfg.sparse_safe:
                if not cfg.sparse_convert:
                    raise LuaError("Cannot serialise table: excessively sparse array")
                return -1
        return top

    # -- decoding --------------------------------------------------------------------------------------

    @_deep
    def decode(self, *args: Any) -> Any:
        if len(args) != 1:
            raise LuaError("bad argument #1 to 'decode' (expected 1 argument)")
        text = args[0]
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = b"%.14g" % text
        elif not isinstance(text, bytes):
            raise LuaError(f"bad argument #1 to 'decode' (string expected, got {_type_name(text)})")
        if len(text) >= 2 and (text[0] == 0 or text[1] == 0):
            raise LuaError("JSON parser does not support UTF-16 or UTF-32")
        return _Parser(text, self).run()


# Token kinds, named as lua_cjson's errors name them.
T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END, T_STRING, T_NUMBER, T_BOOLEAN, T_NULL, T_COLON, T_COMMA, T_END = (
    "T_OBJ_BEGIN",
    "T_OBJ_END",
    "T_ARR_BEGIN",
    "T_ARR_END",
    "T_STRING",
    "T_NUMBER",
    "T_BOOLEAN",
    "T_NULL",
    "T_COLON",
    "T_COMMA",
    "T_END",
)
_SINGLE = {0x7B: T_OBJ_BEGIN, 0x7D: T_OBJ_END, 0x5B: T_ARR_BEGIN, 0x5D: T_ARR_END, 0x2C: T_COMMA, 0x3A: T_COLON}
_WHITESPACE = b" \t\n\r"
_UNKNOWN = frozenset(b'fiInNt"+-0123456789')
_ESCAPE_CHARS = {0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x74: 9, 0x6E: 10, 0x66: 12, 0x72: 13}
_HEX = frozenset(b"0123456789abcdefABCDEF")
_STRING_STOP = re.compile(rb'["\\\x00]')


class _Parser:
    """lua_cjson's tokenizer and recursive parser over the text with a NUL after it (the C code reads
    a NUL-terminated string: an embedded NUL ends the text)."""

    def __init__(self, text: bytes, cj: CJson) -> None:
        self.s = text + b"\0"
        self.p = 0
        self.cj = cj
        self.cfg = cj.cfg
        self.depth = 0
        # token: kind, index, value (kind None: an error, value its text)
        self.kind: str | None = None
        self.index = 0
        self.value: Any = None

    def run(self) -> Any:
        self.next_token()
        v = self.process_value(1)
        self.next_token()
        if self.kind != T_END:
            self.fail("the end")
        return v

    def fail(self, expected: str) -> None:
        found = self.value if self.kind is None else self.kind
        raise LuaError(f"Expected {expected} but found {found} at character {self.index + 1}")

    def error_token(self, what: str) -> None:
        self.kind = None
        self.index = self.p
        self.value = what

    def next_token(self) -> None:
        s = self.s
        p = self.p
        ch = s[p]
        while ch in _WHITESPACE:
            p += 1
            ch = s[p]
        self.p = self.index = p
        single = _SINGLE.get(ch)
        if single is not None:
            self.kind = single
            self.p = p + 1
            return
        if ch == 0:
            self.kind = T_END
            return
        if ch not in _UNKNOWN:
            self.error_token("invalid token")
            return
        if ch == 0x22:
            self.string_token()
            return
        decode_invalid = self.cfg.decode_invalid
        if ch == 0x2D or 0x30 <= ch <= 0x39:
            if not decode_invalid and self.invalid_number():
                self.error_token("invalid number")
                return
            self.number_token()
            return
        if s.startswith(b"true", p):
            self.kind, self.value, self.p = T_BOOLEAN, True, p + 4
        elif s.startswith(b"false", p):
            self.kind, self.value, self.p = T_BOOLEAN, False, p + 5
        elif s.startswith(b"null", p):
            self.kind, self.value, self.p = T_NULL, self.cj.null, p + 4
        elif decode_invalid and self.invalid_number():
            self.number_token()
        else:
            self.error_token("invalid token")

    def invalid_number(self) -> bool:
        """json_is_invalid_number: text strtod takes that strict JSON does not (+, hex, leading zeros,
        inf, nan)."""
        s, p = self.s, self.p
        if s[p] == 0x2B:
            return True
        if s[p] == 0x2D:
            p += 1
        if s[p] == 0x30:
            ch2 = s[p + 1]
            return (ch2 | 0x20) == 0x78 or 0x30 <= ch2 <= 0x39
        if s[p] <= 0x39:
            return False
        low = s[p : p + 3].lower()
        return low == b"inf" or low == b"nan"

    def number_token(self) -> None:
        m = _STRTOD.match(self.s, self.p)
        if m is None:
            self.error_token("invalid number")
            return
        self.kind = T_NUMBER
        self.value = _strtod_value(m.group())
        self.p = m.end()

    def string_token(self) -> None:
        s = self.s
        p = self.p + 1
        out = bytearray()
        stop = _STRING_STOP.search
        while True:
            q = stop(s, p).start()  # always found: the text ends with a NUL
            out += s[p:q]
            p = q
            ch = s[p]
            if ch == 0x22:
                self.p = p + 1
                self.kind = T_STRING
                self.value = bytes(out)
                return
            self.p = p
            if ch == 0:
                self.error_token("unexpected end of string")
                return
            esc = s[p + 1]
            if esc == 0x75:  # \u
                n = self.unicode_escape(p, out)
                if n < 0:
                    self.error_token("invalid unicode escape code")
                    return
                p += n
                continue
            c = _ESCAPE_CHARS.get(esc)
            if c is None:
                self.error_token("invalid escape code")
                return
            out.append(c)
            p += 2

    def unicode_escape(self, p: int, out: bytearray) -> int:
        """Appends the UTF-8 of the \\uXXXX (or surrogate pair) at ``p``; its length, or -1."""
        s = self.s
        cp = self.hex4(p + 2)
        if cp < 0:
            return -1
        length = 6
        if (cp & 0xF800) == 0xD800:
            if cp & 0x400:
                return -1
            if s[p + 6 : p + 8] != b"\\u":
                return -1
            low = self.hex4(p + 8)
            if low < 0 or (low & 0xFC00) != 0xDC00:
                return -1
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        out += chr(cp).encode("utf-8")
        return length

    def hex4(self, p: int) -> int:
        digits = self.s[p : p + 4]
        if len(digits) < 4 or not all(c in _HEX for c in digits):
            return -1
        return int(digits, 16)

    def descend(self, slots: int, stack: int) -> None:
        self.depth += 1
        if self.depth > self.cfg.decode_max_depth or stack + slots > _MAX_C_STACK:
            raise LuaError(f"Found too many nested data structures ({self.depth}) at character {self.p}")

    def process_value(self, stack: int) -> Any:
        """json_process_value for the current token; ``stack``: slots the C function's Lua stack holds
        below this value (the argument, a table per enclosing array, a table and key per object)."""
        kind = self.kind
        if kind == T_STRING or kind == T_NUMBER or kind == T_BOOLEAN or kind == T_NULL:
            return self.value
        if kind == T_OBJ_BEGIN:
            return self.object(stack)
        if kind == T_ARR_BEGIN:
            return self.array(stack)
        self.fail("value")

    def object(self, stack: int) -> Any:
        self.descend(3, stack)
        t = self.cj.lua.table()
        self.next_token()
        if self.kind == T_OBJ_END:
            self.depth -= 1
            return t
        while True:
            if self.kind != T_STRING:
                self.fail("object key string")
            key = self.value
            self.next_token()
            if self.kind != T_COLON:
                self.fail("colon")
            self.next_token()
            t[key] = self.process_value(stack + 2)
            self.next_token()
            if self.kind == T_OBJ_END:
                self.depth -= 1
                return t
            if self.kind != T_COMMA:
                self.fail("comma or object end")
            self.next_token()

    def array(self, stack: int) -> Any:
        self.descend(2, stack)
        t = self.cj.lua.table()
        self.next_token()
        if self.kind == T_ARR_END:
            self.depth -= 1
            return t
        i = 1
        while True:
            t[i] = self.process_value(stack + 1)
            i += 1
            self.next_token()
            if self.kind == T_ARR_END:
                self.depth -= 1
                return t
            if self.kind != T_COMMA:
                self.fail("comma or array end")
            self.next_token()
