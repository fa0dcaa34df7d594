"""The libraries Redis preloads for scripts: cjson, cmsgpack, bit (LuaBitOp) and struct (lua_struct).

They are written in Python, one module each, and exposed to Lua as tables of Python callables (C
functions to Lua). Each follows the C library Redis 7.0 ships, value for value and error text for error
text; ``tests/differential_lua.py`` compares them with Redis's through random scripts. Errors are raised
as ``LuaError``, which the prelude turns into Lua errors.
"""

from cacheserver.scripting.libs.bit import BIT
from cacheserver.scripting.libs.cjson import CJson
from cacheserver.scripting.libs.cmsgpack import MSGPACK_MAX_DEPTH, CMsgpack
from cacheserver.scripting.libs.common import LuaError
from cacheserver.scripting.libs.struct import STRUCT, struct_pack, struct_size, struct_unpack

__all__ = [
    "BIT",
    "CJson",
    "CMsgpack",
    "LuaError",
    "MSGPACK_MAX_DEPTH",
    "STRUCT",
    "struct_pack",
    "struct_size",
    "struct_unpack",
]
