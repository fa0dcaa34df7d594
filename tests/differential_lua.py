"""Random scripts over the libraries Redis preloads for Lua: cjson, cmsgpack, bit and struct, and
math.random / math.randomseed as Redis replaces them.

Each script evaluates one library call (or a few, each under its own ``pcall``) under ``pcall`` and
returns a text that shows every value it produced: numbers with 17 digits (so ``-0``, a rounding or an
integer past 2^53 shows), strings quoted with ``%q``, tables with their entries sorted by the text of
their keys, and an error by its message. Settings that outlive a script are put back by the script
itself: cjson's settings are restored to Redis's defaults after use, and a script that draws from
math.random seeds the generator first, so every script's result depends on that script alone.
Redis's own libraries are C (lua_cjson, lua_cmsgpack, LuaBitOp, lua_struct); ours are written in
Python, so these scripts compare two implementations of the same behaviour through ``EVAL``.

Used by ``differential.py`` (the ``lualib`` group); ``python tests/differential_lua.py --scripts 2000``
runs scripts alone and prints each difference.
"""

from __future__ import annotations

import random

# A script's preamble: ``dump`` makes any value a deterministic text.
DUMP = rb"""local function dump(v, d)
  d = d or 0
  local t = type(v)
  if t == 'number' then return string.format('%.17g', v) end
  if t == 'string' then return string.format('%q', v) end
  if t == 'userdata' then return v == cjson.null and 'cjson.null' or 'userdata' end
  if t ~= 'table' then return tostring(v) end
  if d > 12 then return '{...}' end
  local items = {}
  for k, x in pairs(v) do items[#items + 1] = dump(k, d + 1) .. '=' .. dump(x, d + 1) end
  table.sort(items)
  return '{' .. table.concat(items, ',') .. '}'
end
local function hex(s)
  if type(s) ~= 'string' then return dump(s) end
  return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function all(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = dump((select(i, ...))) end
  return table.concat(out, ' ')
end
local function try(f) return all(pcall(f)) end
local function nz() local z = 0 return -z end
local function nest(n, leaf) local t = leaf for i = 1, n do t = {t} end return t end
"""
# cjson's settings as Redis's Lua state starts with them: a script that changes them puts them back,
# so that every script starts from the same settings on both servers.
CJSON_RESTORE = (
    b"\ncjson.encode_sparse_array(false, 2, 10) cjson.encode_max_depth(1000) cjson.decode_max_depth(1000)"
    b" cjson.encode_number_precision(14) cjson.encode_keep_buffer(true) cjson.encode_invalid_numbers(false)"
    b" cjson.decode_invalid_numbers(true)"
)

NUMBERS = [
    "0", "-0", "1", "-1", "0.5", "-2.5", "1/3", "1e300", "-1e300", "1e-300", "5e-324", "2^53", "2^53+1",
    "2^63", "-2^63", "2^64", "2^31", "2^31-1", "-2^31", "-2^31-1", "2^32", "2^32-1", "2^32+5", "123456789012",
    "0.1", "1e15", "1e16", "1e17", "100", "127", "128", "255", "256", "65535", "65536", "-32", "-33", "-128",
    "-129", "-32768", "-32769", "3.14159", "1/0", "-1/0", "0/0", "12345678901234567890", "2.5", "-1.5", "7",
]
STRINGS = [
    "''", "'a'", "'hello'", "'\\0'", "'\\n\\t'", "'\"'", "'\\\\'", "'/'", "'\\127'", "'\\200\\255'",
    "'\\195\\169'", "'\\1\\31'", "string.rep('x', 31)", "string.rep('x', 32)", "string.rep('ab', 200)",
    "string.rep('z', 65536)", "'12'", "'0x10'", "' 5 '", "'1e3'", "'-0'", "'abc\\0def'",
]
KEYS = ["a", "b", "key", "1", "x y"]


def lua_bytes(data: bytes) -> str:
    """A Lua string literal holding exactly ``data``."""
    out = []
    for b in data:
        if 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122:
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    return "'" + "".join(out) + "'"


class LuaLibGenerator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # -- Lua values ----------------------------------------------------------------------------------
    def number(self, top: bool = True) -> str:
        """A number literal; ``top``: one passed straight to a library function, never ``-0`` (lupa
        hands -0 to Python as the integer 0: inside a table the sign is recovered, here it cannot be)."""
        n = self.rng.choice(NUMBERS)
        return "0" if top and n == "-0" else n

    def string(self) -> str:
        return self.rng.choice(STRINGS)

    def value(self, depth: int = 0) -> str:
        rng = self.rng
        c = rng.randrange(10)
        if c <= 2:
            return self.number(top=depth == 0)
        if c <= 4:
            return self.string()
        if c == 5:
            return rng.choice(["true", "false", "cjson.null", "nil"])
        if depth > 3:
            return "{}"
        return self.table(depth + 1)

    def table(self, depth: int) -> str:
        rng = self.rng
        c = rng.randrange(9)
        if c == 0:
            return "{}"
        if c <= 3:  # an array
            return "{" + ", ".join(self.value(depth) for _ in range(rng.randint(1, 5))) + "}"
        if c <= 5:  # a map
            keys = rng.sample(KEYS, rng.randint(1, 3))
            return "{" + ", ".join(f"[{k!r}] = {self.value(depth)}" for k in keys) + "}"
        if c == 6:  # an array with holes, or keys that are not positive integers
            keys = rng.sample(["1", "2", "3", "5", "11", "20", "0", "-1", "1.5", "true", "2^31", "1e10"], rng.randint(1, 4))
            return "{" + ", ".join(f"[{k}] = {self.value(depth)}" for k in keys) + "}"
        if c == 7:  # mixed
            return "{" + f"{self.value(depth)}, {self.value(depth)}, [{rng.choice(KEYS)!r}] = {self.value(depth)}" + "}"
        # nested deep
        n = rng.choice([3, 20, 999, 1000, 1001])
        return "{" * n + self.number() + "}" * n

    # -- JSON texts ----------------------------------------------------------------------------------
    JSON_ATOMS = [
        "0", "-0", "1", "-1", "1.5", "1e5", "1E-5", "-1.5e+300", "1e400", "-1e400", "01", "1.", ".5", "-", "+1",
        "0x10", "1e", "123456789012345678901234567890", "9007199254740993", "NaN", "nan", "Infinity", "-Infinity",
        "inf", "true", "false", "null", "nul", "True", "tru", '"a"', '""', '"\\u00e9"', '"\\u0000"',
        '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00"', '"\\x"', '"\\/"', '"tab\there"', '"\\b\\f\\n\\r\\t"',
        '"unterminated', '"\\u12"', '"\xc3\xa9"', '"\\uD834\\uDD1E"', '"\\u00"', '"\\"', "1e-400", "-",
        "[", "]", "{", "}", ",", ":", "'a'", "",
    ]

    def json(self, depth: int = 0) -> str:
        rng = self.rng
        c = rng.randrange(8)
        if c <= 3 or depth > 3:
            return rng.choice(self.JSON_ATOMS)
        if c <= 5:
            items = [self.json(depth + 1) for _ in range(rng.randint(0, 3))]
            sep = rng.choice([",", ",", ",", ", ", " , ", ",,", ""])
            text = "[" + sep.join(items) + rng.choice(["]", "]", "]", ",]", ""])
        elif c == 6:
            keys = [rng.choice(['"a"', '"b"', '"1"', '"a"', "1", "a", '""']) for _ in range(rng.randint(0, 3))]
            sep = rng.choice([":", ":", " : ", "", "="])
            text = "{" + ",".join(k + sep + self.json(depth + 1) for k in keys) + rng.choice(["}", "}", ",}", ""])
        else:
            n = rng.choice([2, 999, 1000, 1001])
            open_, close = rng.choice([("[", "]"), ('{"k":', "}")])
            text = open_ * n + "1" + close * n
        pad = rng.choice(["", "", " ", "\n\t ", "\x0b", "\x00"])
        return pad + text + rng.choice(["", "", " ", " 1", "x", "\x00"])

    # -- msgpack bytes -------------------------------------------------------------------------------
    MSGPACK_BYTES = [
        b"\xc0", b"\xc2", b"\xc3", b"\xc1", b"\x7f", b"\xff", b"\xe0", b"\xcc\xff", b"\xcd\x01\x00",
        b"\xce\x00\x01\x00\x00", b"\xcf\x00\x20\x00\x00\x00\x00\x00\x01", b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\xd0\x80", b"\xd1\x80\x00", b"\xd2\x80\x00\x00\x00", b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
        b"\xca\x3f\xc0\x00\x00", b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",
        b"\xa3abc", b"\xa3ab", b"\xd9\x03abc", b"\xda\x00\x02ab", b"\xdb\x00\x00\x00\x01a", b"\xc4\x02ab",
        b"\xc5\x00\x01a", b"\x92\x01\x02", b"\x92\x01", b"\x91\xc0", b"\x93\xc0\x01\xc0", b"\xdc\x00\x01\x05",
        b"\xdd\x00\x00\x00\x01\x05", b"\x81\xa1a\x01", b"\x81\x01\x02", b"\x82\xa1a\x01\xa1a\x02", b"\x81\xc0\x01",
        b"\x81\xa1a\xc0", b"\x81\x91\x01\x02", b"\xde\x00\x01\x01\x02", b"\xdf\x00\x00\x00\x01\x01\x02",
        b"\xd4\x01\x02", b"\xc7\x01\x05x", b"\x80", b"\x90", b"", b"\x01\x02\x03", b"\xa1",
        # map keys that Lua refuses or turns: NaN, -0, a float that is an integer
        b"\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01", b"\x81\xca\x7f\xc0\x00\x00\x01",
        b"\x81\xcb\x80\x00\x00\x00\x00\x00\x00\x00\x01", b"\x81\xca\x3f\x80\x00\x00\x01",
        b"\xcb\xff\xf8\x00\x00\x00\x00\x00\x01", b"\xca\x00\x00\x00\x01", b"\xca\xff\x80\x00\x00",
        b"\x92\xcb\x80\x00\x00\x00\x00\x00\x00\x00\xc0",
    ]

    def msgpack(self) -> str:
        rng = self.rng
        parts = [rng.choice(self.MSGPACK_BYTES) for _ in range(rng.randint(1, 3))]
        return lua_bytes(b"".join(parts))

    # -- struct formats ------------------------------------------------------------------------------
    STRUCT_ITEMS = ["b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "i2", "i3", "i8", "I5", "i16", "i17", "f", "d",
                    "s", "c", "c0", "c3", "x", "Xi", "Xd", "X", " ", "z", "i0", "c10"]
    STRUCT_MODES = ["", "<", ">", "=", "!", "!4", "!2", "!8", "!3", "!16"]

    def struct_format(self) -> str:
        rng = self.rng
        items = [rng.choice(self.STRUCT_ITEMS) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.6:
            items.insert(0, rng.choice(self.STRUCT_MODES))
        if rng.random() < 0.1:
            items.insert(rng.randrange(len(items) + 1), rng.choice(self.STRUCT_MODES[1:]))
        return "".join(items)

    def struct_args(self, fmt: str) -> list[str]:
        """Arguments that fit ``fmt`` most of the time (a number per numeric item, a string per s/c)."""
        rng = self.rng
        args = []
        for ch in fmt:
            if ch in "bBhHlLTiIfd":
                args.append(self.number() if rng.random() < 0.9 else self.string())
            elif ch in "sc":
                args.append(self.string() if rng.random() < 0.9 else self.number())
        if rng.random() < 0.1:
            args = args[:-1] if args and rng.random() < 0.5 else args + [self.number()]
        return args

    # -- cjson: settings, odd keys, odd JSON text, deep nesting --------------------------------------
    CJSON_SETTINGS = {
        "encode_max_depth": ["", "0", "1", "3", "1000", "1500", "2^31", "2^31-1", "-1", "1.5", "'x'", "' 7 '",
                             "'0x10'", "true", "nil", "{}", "1, 2"],
        "encode_number_precision": ["", "0", "1", "3", "14", "15", "17", "'5'", "1.9", "'x'", "nil", "true", "-1"],
        "encode_keep_buffer": ["", "true", "false", "'on'", "'off'", "'null'", "'ON'", "'x'", "0", "1", "nil",
                               "{}", "'on\\0x'", "true, 1"],
        "encode_sparse_array": ["", "true", "false", "'on'", "nil, 1", "true, 1, 1", "true, 3, 2", "false, 0",
                                "true, 0, 0", "nil, nil, 0", "nil, -1", "nil, 'x'", "1", "true, 2.5",
                                "'off', 2, 10, 1", "nil, 2^31"],
    }
    CJSON_SETTINGS["decode_max_depth"] = CJSON_SETTINGS["encode_max_depth"]
    CJSON_SETTINGS["encode_invalid_numbers"] = CJSON_SETTINGS["encode_keep_buffer"]
    CJSON_SETTINGS["decode_invalid_numbers"] = CJSON_SETTINGS["encode_keep_buffer"]
    ODD_KEYS = ["true", "false", "tostring", "coroutine.create(tostring)", "1.5", "nz()", "0", "-1", "2^53", "1/0",
                "'a'", "1e300"]
    ODD_JSON = [
        "\x00[1]", "[1]\x00x", "\"a\x00b\"", "0x1p4", "-0x1p4", "0x1P-2", "0x.8", "0X10", "+0x10", "-0x10",
        "nan(123)", "-nan(abc)", "nan()", "nan(", "+nan", "-nan", "+inf", "+Inf", "-inf", "+infinity", "infinity",
        "-Infinity", "NaN", "1e309", "0x", " 0x1p4 ", "[0x1p4, nan, -inf]", '{"a": nan}', "[+1, +inf]", "1e-320",
        "123456789012345678", "-0", "[-0]", "0.1", "1/3", "[nan(0x55), -nan(7), nan(x1), NAN(017)]", "nan(0x)",
        "nan(99999999999999999999999)", "-nan(0xfffffffffffff)",
    ]

    def cjson_setting(self) -> str:
        name = self.rng.choice(sorted(self.CJSON_SETTINGS))
        return f"cjson.{name}({self.rng.choice(self.CJSON_SETTINGS[name])})"

    def cjson_value(self) -> str:
        """A value for cjson.encode with what the plain generator lacks: -0 made at run time, NaN,
        sparse arrays, keys that are booleans, functions or coroutines."""
        rng = self.rng
        c = rng.randrange(6)
        if c == 0:
            return "{" + ", ".join(rng.choice(["nz()", "0/0", "1/0", "-1/0", "1/3", "2^-149", "1e300", "0.1",
                                               "123456789.125", "-2^63", "2^53+1"])
                                   for _ in range(rng.randint(1, 4))) + "}"
        if c == 1:
            keys = rng.sample(self.ODD_KEYS, rng.randint(1, 3))
            by_address = [k for k in keys if "tostring" in k]
            if by_address:  # hashed by address: where it sits among other keys differs from run to run
                keys = by_address[:1]
            return "{" + ", ".join(f"[{k}] = {self.value(1)}" for k in keys) + "}"
        if c == 2:
            keys = rng.sample(["1", "2", "3", "4", "5", "7", "10", "11", "20", "21", "30"], rng.randint(1, 4))
            return "{" + ", ".join(f"[{k}] = {rng.choice(['1', 'nz()', 'true'])}" for k in keys) + "}"
        if c == 3:
            return f"{{{rng.choice(['tostring', 'coroutine.create(tostring)', 'nz()'])}}}"
        return self.value()

    def cjson_settings(self) -> str:
        """Settings calls (good and bad arguments), then an encode or a decode under them."""
        rng = self.rng
        parts = [self.cjson_setting() for _ in range(rng.randint(1, 3))]
        c = rng.randrange(4)
        if c == 0:
            parts.append(f"cjson.encode({self.cjson_value()})")
        elif c == 1:
            parts.append(f"dump(cjson.decode({lua_bytes(rng.choice(self.ODD_JSON).encode('latin-1'))}))")
        elif c == 2:
            n = rng.choice([2, 3, 5, 1000, 1500, 8000])
            parts.insert(0, f"cjson.{rng.choice(['encode', 'decode'])}_max_depth({n})")
            m = n + rng.choice([-1, 0, 1])
            if rng.random() < 0.5:
                parts.append(f"cjson.encode(nest({m}, {rng.choice(['1', '{}', 'nz()', 'cjson.null'])}))")
            else:
                o, cl = rng.choice([("[", "]"), ('{"k":', "}")])
                parts.append(f"#dump(cjson.decode(string.rep({o!r}, {m}) .. '1' .. string.rep({cl!r}, {m})))")
        else:
            parts.append(f"dump(cjson.decode(cjson.encode({self.cjson_value()})))")
        return " .. '|' .. ".join(f"try(function() return all({p}) end)" for p in parts)

    def cjson_odd(self) -> str:
        """Odd values, odd JSON text, deep nesting under the default limits."""
        rng = self.rng
        c = rng.randrange(4)
        if c == 0:
            return f"cjson.encode({self.cjson_value()})"
        if c == 1:
            text = lua_bytes(rng.choice(self.ODD_JSON).encode("latin-1"))
            if rng.random() < 0.3:  # every bit of the numbers read, a NaN's payload too
                return f"hex(cmsgpack.pack(cjson.decode({text})))"
            return f"dump(cjson.decode({text}))"
        if c == 2:
            return f"cjson.encode(nest({rng.choice([999, 1000, 1001])}, 1))"
        if c == 3 and rng.random() < 0.5:  # a second module table with settings of its own
            return (f"(function(c) return all(c.{self.cjson_setting()[6:]}) .. ' ' .. c.encode({self.cjson_value()})"
                    f" .. ' ' .. dump(cjson.encode_max_depth()) end)(cjson.new())")
        args = rng.choice(["", "1, 2", "nil", "tostring", "{}", "cjson.null"])
        return f"cjson.{rng.choice(['encode', 'decode'])}({args})"

    # -- cmsgpack: offsets and limits, odd arguments, numbers, long strings, nesting ----------------
    MSGPACK_LIMITS = ["0", "1", "-1", "#d", "#d+1", "#d-1", "2^33", "1.7", "' 1 '", "'x'", "nil", "true", "-2^33"]

    @staticmethod
    def packed_summary(v: str) -> str:
        """For a big value: its packing's length and first bytes, and the length of what unpacks."""
        summary = "#s .. ' ' .. hex(s:sub(1, 12)) .. ' ' .. tostring(cmsgpack.pack(cmsgpack.unpack(s)) == s)"
        return f"(function(s) return {summary} end)(cmsgpack.pack({v}))"

    def cmsgpack_odd(self) -> str:
        rng = self.rng
        c = rng.randrange(5)
        if c == 0:
            d = self.msgpack() if rng.random() < 0.7 else f"cmsgpack.pack({self.value()}, {self.value()})"
            lim = rng.choice(self.MSGPACK_LIMITS)
            if rng.random() < 0.5:
                call = f"cmsgpack.unpack_one(d{', ' + lim if rng.random() < 0.9 else ''})"
            else:
                off = rng.choice(self.MSGPACK_LIMITS)
                call = f"cmsgpack.unpack_limit(d, {lim}{', ' + off if rng.random() < 0.8 else ''})"
            return f"(function(d) return all({call}) end)({d})"
        if c == 1:
            fn = rng.choice(["unpack", "unpack", "unpack_one", "unpack_limit"])
            arg = rng.choice(["", "nil", "{}", "5", "12.5", "-1", "1e300", "true", "tostring", "2^53"])
            return f"all(cmsgpack.{fn}({arg}))"
        if c == 2:
            nums = ["2^63", "2^64", "-2^63", "-2^63-2^11", "-1e300", "1/0", "-1/0", "0/0", "2^-149", "2^-1074", "nz()",
                    "2^32", "-2^31", "0.5", "1e39", "3.4028234663852886e38"]
            v = "{" + ", ".join(rng.choice(nums) for _ in range(rng.randint(1, 3))) + "}"
            return rng.choice([f"hex(cmsgpack.pack({v}))", f"all(cmsgpack.unpack(cmsgpack.pack({v})))"])
        if c == 3 and rng.random() < 0.3:
            return f"hex(cmsgpack.pack({self.cjson_value()}))"
        if c == 3:
            n = rng.choice([15, 31, 32, 255, 256, 65535, 65536, 65537])
            v = f"string.rep('s', {n})" if rng.random() < 0.5 else f"{{string.rep('s', {n})}}"
            return self.packed_summary(v)
        if rng.random() < 0.3:  # arrays and maps past the 16- and 32-bit length thresholds
            n = rng.choice([15, 16, 17, 65535, 65536])
            key = rng.choice(["i", "i", "tostring(i)", "i * 2"])
            t = f"(function() local t = {{}} for i = 1, {n} do t[{key}] = i end return t end)()"
            return self.packed_summary(t)
        n = rng.choice([15, 16, 17, 18])
        leaf = rng.choice(["1", "{}", "{a = 1}", "'x'"])
        v = f"nest({n}, {leaf})" if rng.random() < 0.7 else f"{{k = nest({n - 1}, {leaf})}}"
        return rng.choice([f"hex(cmsgpack.pack({v}))", f"all(cmsgpack.unpack(cmsgpack.pack({v})))"])

    # -- bit: odd arguments ------------------------------------------------------------------------
    BIT_ODD = ["'0x10'", "' 5 '", "'1e3'", "'x'", "nil", "{}", "true", "0/0", "1/0", "-1/0", "2^52+0.5", "2^51+0.5",
               "-2^51-0.5", "2^51+1.5", "0.5", "1.5", "-0.5", "2^31", "-2^31", "2^32", "2^63", "-2^63", "1e300",
               "'nan'", "'0x1p4'", "'5\\0x'", "3", "-1", "'nan(123)'", "'-NaN(0x7fffffff)'", "' nan(017) '",
               "'nan(08)'", "'nan(99999999999999999999)'", "'nan(1_2)'"]

    def bit_odd(self) -> str:
        rng = self.rng
        op = rng.choice(["tobit", "bnot", "bswap", "tohex", "band", "bor", "bxor", "lshift", "rshift", "arshift",
                         "rol", "ror"])
        args = [rng.choice(self.BIT_ODD) if rng.random() < 0.6 else self.number() for _ in range(rng.randint(0, 3))]
        return f"dump(bit.{op}({', '.join(args)}))"

    # -- struct: sizes, odd formats, c0 after a count, positions, odd arguments ----------------------
    STRUCT_ODD_ITEMS = ["i9", "i10", "i11", "i12", "i24", "i32", "I9", "I12", "I24", "I32", "!0", "i123456789012",
                        "c99999999999", "!99999999999", "i2147483648", "\xff", "\x80", "\x00", "c\x00", "i\x001",
                        "I4", "i4", "<", ">"]
    STRUCT_POSITIONS = ["1.5", "0/0", "'2'", "' 2 '", "true", "{}", "nil", "'0x2'", "2^53", "-2^31", "1e300", "2.9",
                        "'x'", "1/0", "-1/0"]
    STRUCT_ODD_ARGS = ["'0x1p4'", "'5\\0x'", "'0x10'", "' 5 '", "'nan'", "'inf'", "'1e2'", "{}", "true", "nil",
                       "tostring", "2^31", "1e300", "0/0", "'-0x8'", "'nan(123)'", "'-nan(0xfffffffffffff)'",
                       "'nan(0x4000000000000)'", "'nan(abc)'", "'nan()'", "'nan(0X1F)'"]

    def struct_odd_format(self) -> str:
        rng = self.rng
        items = [rng.choice(self.STRUCT_ODD_ITEMS if rng.random() < 0.5 else self.STRUCT_ITEMS)
                 for _ in range(rng.randint(1, 3))]
        return "".join(items)

    def struct_odd(self) -> str:
        rng = self.rng
        c = rng.randrange(6)
        if c == 0:
            fmt = self.struct_odd_format()
            lit = lua_bytes(fmt.encode("latin-1"))
            data = lua_bytes(bytes(rng.randrange(256) for _ in range(rng.choice([4, 12, 40]))))
            return rng.choice([
                f"dump(struct.size({lit}))",
                f"hex(struct.pack({lit}, {', '.join(self.struct_args(fmt)) or '1'}))",
                f"all(struct.unpack({lit}, string.rep('\\255', {rng.choice([0, 4, 12, 40])})))",
                f"all(struct.unpack({lit}, {data}))",
            ])
        if c == 1:  # c0 takes its length from the value before it
            first = rng.choice(["b", "B", "h", "i", "i8", "f", "d", "s", "c2", "<I2", ">i3"])
            n = rng.choice(["0", "1", "3", "5", "-1", "2.5", "2^31", "200", "1e300"])
            arg = rng.choice(["'abc'", "'3'", "' 2 '", "'x'"]) if first in ("s", "c2") else n
            tail = rng.choice(["", "", "b", "c0", "c1"])
            data = f"struct.pack({first!r}, {arg}) .. {rng.choice(['', 'abcdef', 'abcdefghij', '2345'])!r}"
            return f"all(struct.unpack({first + 'c0' + tail!r}, {data}))"
        if c == 2:
            fmt = self.struct_format()
            data = lua_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 12))))
            return f"all(struct.unpack({lua_bytes(fmt.encode())}, {data}, {rng.choice(self.STRUCT_POSITIONS)}))"
        if c == 3:
            fmt = rng.choice(["i", "b", "B", "d", "f", "I8", "s", "c", "c3", "z", "i3", "<h"])
            args = [rng.choice(self.STRUCT_ODD_ARGS) for _ in range(rng.randint(1, 2))]
            return f"hex(struct.pack({fmt!r}, {', '.join(args)}))"
        if c == 4:
            fmt = rng.choice(["5", "12", "1.5", "nil", "{}", "true", "'i'"])
            return rng.choice([f"dump(struct.size({fmt}))", f"hex(struct.pack({fmt}, 1))",
                               f"all(struct.unpack({fmt}, 'abcdabcd'))", "all(struct.unpack('i'))",
                               "all(struct.unpack('i', nil))", "all(struct.unpack('b', 5))",
                               "all(struct.unpack('i', {}))"])
        fmt = rng.choice(["s", "c", "c2", "z"])
        n = rng.choice(["12", "1.5", "2^53", "1e300", "-0.5"])
        return f"all(struct.unpack({fmt!r}, struct.pack({fmt!r}, {n})))"

    # -- math.random / math.randomseed ---------------------------------------------------------------
    RANDOM_ARGS = ["0", "1", "2", "3", "10", "-1", "-5", "2^31", "2^31-1", "2^32", "2^32+3", "2^53", "1e300", "-1e300",
                   "1.5", "-1.5", "0.5", "'5'", "' 7 '", "'0x10'", "'x'", "nil", "true", "{}", "1/0", "0/0", "-2^31"]

    def math_random(self) -> str:
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.2:
                args = [rng.choice(self.RANDOM_ARGS) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
                parts.append(f"math.randomseed({', '.join(args)})")
            else:
                args = [rng.choice(self.RANDOM_ARGS) for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
                parts.append(f"math.random({', '.join(args)})")
        parts.append("math.random()")
        return " .. '|' .. ".join(f"try(function() return all({p}) end)" for p in parts)

    # -- the script ----------------------------------------------------------------------------------
    LIBRARIES = {"cjson": range(0, 7), "cmsgpack": range(7, 13), "bit": range(13, 16), "struct": range(16, 22),
                 "math": range(22, 23)}

    def expression(self, only: str | None = None) -> str:
        """One library call (``only``: of that library alone)."""
        rng = self.rng
        c = rng.choice(self.LIBRARIES[only]) if only else rng.randrange(23)
        if c <= 1:
            return f"cjson.encode({self.value()})"
        if c == 2:
            return f"dump(cjson.decode(cjson.encode({self.value()})))"
        if c <= 4:
            return f"dump(cjson.decode({lua_bytes(self.json().encode('latin-1'))}))"
        if c == 5:
            return self.cjson_settings()
        if c == 6:
            return self.cjson_odd()
        if c <= 8:
            args = ", ".join(self.value() for _ in range(rng.choice([1, 1, 1, 2, 0])))
            return f"hex(cmsgpack.pack({args}))"
        if c == 9:
            return f"all(cmsgpack.unpack(cmsgpack.pack({self.value()})))"
        if c == 10:
            return f"all(cmsgpack.unpack({self.msgpack()}))"
        if c <= 12:
            return self.cmsgpack_odd()
        if c <= 14:
            op = rng.choice(["band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror"])
            n = 2 if op in ("lshift", "rshift", "arshift", "rol", "ror") else rng.randint(1, 3)
            args = [self.number() if rng.random() < 0.95 else self.string() for _ in range(n)]
            return f"dump(bit.{op}({', '.join(args)}))"
        if c == 15 and rng.random() < 0.4:
            return self.bit_odd()
        if c == 15:
            op = rng.choice(["tobit", "bnot", "bswap", "tohex", "tohex"])
            args = [self.number()]
            if op == "tohex" and rng.random() < 0.7:
                args.append(rng.choice(["1", "2", "8", "-4", "-8", "0", "9", "-9", "2.5"]))
            return f"dump(bit.{op}({', '.join(args)}))"
        if c == 22:
            return self.math_random()
        if c >= 20:
            return self.struct_odd()
        fmt = self.struct_format()
        if c <= 17:
            args = ", ".join(self.struct_args(fmt))
            return f"hex(struct.pack({lua_bytes(fmt.encode())}{', ' + args if args else ''}))"
        if c == 18:
            data = lua_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 12))))
            pos = rng.choice(["", "", ", 1", ", 2", ", 0", ", -1", ", 20"])
            return f"all(struct.unpack({lua_bytes(fmt.encode())}, {data}{pos}))"
        return f"dump(struct.size({lua_bytes(fmt.encode())}))"

    def script(self, only: str | None = None) -> bytes:
        expr = self.expression(only)
        body = f"local ok, v = pcall(function() return {expr} end)\n"
        if "math.random" in expr:
            # the generator is one per process: a known state first
            body = f"math.randomseed({self.rng.choice([0, 1, 7, 12345, -1, 2**31 - 1])})\n" + body
        script = DUMP + body.encode("latin-1")
        if "cjson." in expr and ("_depth" in expr or "_numbers" in expr or "_buffer" in expr or "_array" in expr
                                 or "_precision" in expr):
            script += CJSON_RESTORE
        return script + b"\nreturn dump(ok) .. ' ' .. dump(v)"


def main(argv: list[str]) -> int:
    import argparse
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from differential import Conn, errors_as_text
    from helpers import RedisProcess

    from cacheserver.testing import ServerThread

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scripts", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", choices=sorted(LuaLibGenerator.LIBRARIES), help="calls of one library alone")
    args = p.parse_args(argv)
    srv = ServerThread().start()
    proc = RedisProcess().start()
    differences = 0
    try:
        ours = Conn("127.0.0.1", srv.port)
        redis = Conn(proc.host, proc.port)
        gen = LuaLibGenerator(random.Random(args.seed))
        for _ in range(args.scripts):
            script = gen.script(args.only)
            call = [b"EVAL", script, b"0"]
            a, b = errors_as_text(ours.call(call)), errors_as_text(redis.call(call))
            if a != b:
                differences += 1
                body = script[len(DUMP) :].decode("latin-1")
                print(f"{body[:600]}\n  ours:  {a!r:.600}\n  redis: {b!r:.600}\n", flush=True)
    finally:
        srv.stop()
        proc.stop()
    print(f"{differences} of {args.scripts} scripts differ")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
