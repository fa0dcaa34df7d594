"""Random scripts over the libraries Redis preloads for Lua: cjson, cmsgpack, bit and struct.

Each script evaluates one library call under ``pcall`` and returns a text that shows every value it
produced: numbers with 17 digits (so ``-0``, a rounding or an integer past 2^53 shows), strings quoted
with ``%q``, tables with their entries sorted by the text of their keys, and an error by its message.
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
"""

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

    # -- the script ----------------------------------------------------------------------------------
    LIBRARIES = {"cjson": range(0, 5), "cmsgpack": range(5, 9), "bit": range(9, 12), "struct": range(12, 16)}

    def expression(self, only: str | None = None) -> str:
        """One library call (``only``: of that library alone)."""
        rng = self.rng
        c = rng.choice(self.LIBRARIES[only]) if only else rng.randrange(16)
        if c <= 1:
            return f"cjson.encode({self.value()})"
        if c == 2:
            return f"dump(cjson.decode(cjson.encode({self.value()})))"
        if c <= 4:
            return f"dump(cjson.decode({lua_bytes(self.json().encode('latin-1'))}))"
        if c <= 6:
            args = ", ".join(self.value() for _ in range(rng.choice([1, 1, 1, 2, 0])))
            return f"hex(cmsgpack.pack({args}))"
        if c == 7:
            return f"all(cmsgpack.unpack(cmsgpack.pack({self.value()})))"
        if c == 8:
            return f"all(cmsgpack.unpack({self.msgpack()}))"
        if c <= 10:
            op = rng.choice(["band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror"])
            n = 2 if op in ("lshift", "rshift", "arshift", "rol", "ror") else rng.randint(1, 3)
            args = [self.number() if rng.random() < 0.95 else self.string() for _ in range(n)]
            return f"dump(bit.{op}({', '.join(args)}))"
        if c == 11:
            op = rng.choice(["tobit", "bnot", "bswap", "tohex", "tohex"])
            args = [self.number()]
            if op == "tohex" and rng.random() < 0.7:
                args.append(rng.choice(["1", "2", "8", "-4", "-8", "0", "9", "-9", "2.5"]))
            return f"dump(bit.{op}({', '.join(args)}))"
        fmt = self.struct_format()
        if c <= 13:
            return f"hex(struct.pack({fmt!r}, {', '.join(self.struct_args(fmt))}))".replace(", )", ")")
        if c == 14:
            data = lua_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 12))))
            pos = rng.choice(["", "", ", 1", ", 2", ", 0", ", -1", ", 20"])
            return f"all(struct.unpack({fmt!r}, {data}{pos}))"
        return f"dump(struct.size({fmt!r}))"

    def script(self, only: str | None = None) -> bytes:
        body = f"local ok, v = pcall(function() return {self.expression(only)} end)\nreturn dump(ok) .. ' ' .. dump(v)"
        return DUMP + body.encode("latin-1")


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
