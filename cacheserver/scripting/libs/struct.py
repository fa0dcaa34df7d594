"""struct (lua_struct 0.2 as Redis 7.0 ships it): pack, unpack and size."""

from __future__ import annotations

import struct as pystruct
from typing import Any

from cacheserver.scripting.libs.common import LuaError, num_text

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
            s = v if isinstance(v, bytes) else num_text(v)
            out += s[:size] + b"\0" * (size - len(s[:size])) if size else s
        elif code == "s":
            s = v if isinstance(v, bytes) else num_text(v)
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
