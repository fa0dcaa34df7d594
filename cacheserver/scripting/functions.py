"""FUNCTION libraries: the ``#!lua name=<lib>`` header, registration, the function table, DUMP/RESTORE.

As Redis 7.0's functions.c and function_lua.c: a library's code runs once at load time in an
environment whose ``redis`` table offers ``register_function`` (positional ``name, callback`` or the
table form with ``flags`` and ``description``); the functions it registers join one server-wide
namespace. A load either fully succeeds or changes nothing.

DUMP payload: our own format, not Redis's RDB encoding: ``b"CSFN"``, a version byte, then each
library's code as a 4-byte big-endian length and the bytes, then the first 8 bytes of the SHA-1 of
everything before. RESTORE refuses anything else with Redis's "payload version or checksum" error.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cacheserver.errors import CommandError

FUNCTION_FLAGS = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")
_NAME = re.compile(rb"[A-Za-z0-9_]+\Z")
from cacheserver.scripting.convert import LuaTable as _LuaTable  # noqa: E402

_BAD_LIB_NAME = (
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
)
BAD_PAYLOAD = CommandError("DUMP payload version or checksum are wrong")
_MAGIC = b"CSFN\x01"


class Function:
    __slots__ = ("name", "callback", "flags", "description", "library")

    def __init__(self, name: bytes, callback: Any, flags: tuple[str, ...], description: bytes | None, library: Any):
        self.name = name
        self.callback = callback
        self.flags = flags
        self.description = description
        self.library = library


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name: bytes, code: bytes) -> None:
        self.name = name
        self.code = code
        self.functions: dict[bytes, Function] = {}

    def register(self, engine: Any, name: Any, callback: Any, flags: Any, description: Any, spec: Any) -> None:
        """Called from Lua's redis.register_function while this library loads."""
        if spec is not None:
            for k in spec.keys():
                if k not in (b"function_name", b"callback", b"flags", b"description"):
                    raise CommandError("unknown argument given to redis.register_function")
            if name is None:
                raise CommandError("redis.register_function must get a function name argument")
            if callback is None:
                raise CommandError("redis.register_function must get a callback argument")
        positional = spec is None
        if name.__class__ in (int, float):
            name = b"%.14g" % name  # lua_tostring
        if name.__class__ is not bytes:
            raise CommandError(
                "first argument to redis.register_function must be a string"
                if positional
                else "function_name argument given to redis.register_function must be a string"
            )
        if not engine.is_function(callback):
            raise CommandError(
                "second argument to redis.register_function must be a function"
                if positional
                else "callback argument given to redis.register_function must be a function"
            )
        parsed: list[str] = []
        if flags is not None:
            if flags.__class__ is not _LuaTable:
                raise CommandError(
                    "flags argument to redis.register_function must be a table representing function flags"
                )
            for f in flags.values():
                text = f.decode() if f.__class__ is bytes else None
                if text not in FUNCTION_FLAGS:
                    raise CommandError("unknown flag given")
                if text not in parsed:
                    parsed.append(text)
        if description.__class__ in (int, float):
            description = b"%.14g" % description
        elif description is not None and description.__class__ is not bytes:
            raise CommandError("description argument given to redis.register_function must be a string")
        if not _NAME.match(name):
            raise CommandError(_BAD_LIB_NAME)  # sic: Redis 7.0 names libraries in this error
        if name in self.functions:
            raise CommandError("Function already exists in the library")
        ordered = tuple(f for f in FUNCTION_FLAGS if f in parsed)
        self.functions[name] = Function(name, callback, ordered, description, self)


class FunctionRegistry:
    """The server's libraries and the function namespace they share."""

    def __init__(self) -> None:
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, Function] = {}  # every library's, by lower-cased name

    def create(self, engine: Any, code: bytes) -> Library:
        """Parse the header, compile and run the library code; nothing is installed yet."""
        if not code.startswith(b"#!"):
            raise CommandError("Missing library metadata")
        nl = code.find(b"\n")
        if nl < 0:
            raise CommandError("Invalid library metadata")
        parts = code[2:nl].split()
        if not parts:
            raise CommandError("Invalid library metadata")
        engine_name = parts[0]
        name = None
        for part in parts[1:]:
            if part[:5].lower() == b"name=":
                if name is not None:
                    raise CommandError("Invalid metadata value, name argument was given multiple times")
                name = part[5:]
                continue
            raise CommandError("Invalid metadata value given: " + part.decode("utf-8", "surrogateescape"))
        if name is None:
            raise CommandError("Library name was not given")
        if not _NAME.match(name):
            raise CommandError(_BAD_LIB_NAME)
        if engine_name.lower() != b"lua":
            raise CommandError(f"Engine '{engine_name.decode('utf-8', 'surrogateescape')}' not found")
        lib = Library(name, code)
        return lib

    def load(self, engine: Any, code: bytes, replace: bool) -> bytes:
        """FUNCTION LOAD: returns the library name."""
        lib = self.create(engine, code)
        old = self.libraries.get(lib.name)
        if old is not None and not replace:
            raise CommandError(f"Library '{lib.name.decode('utf-8', 'surrogateescape')}' already exists")
        self._run_library_code(engine, lib)
        self._install(lib, old)
        return lib.name

    def _run_library_code(self, engine: Any, lib: Library) -> None:
        code = lib.code
        func, err = engine.compile(code[code.find(b"\n") :], b"@user_function", b"function")
        if func is None:
            raise CommandError("Error compiling function: " + err.decode("utf-8", "surrogateescape"))
        engine.registering = lib
        try:
            ok, value = engine.run_load(func)
        finally:
            engine.registering = None
        if not ok:
            msg = value[b"err"] if value.__class__ is _LuaTable else None
            text = msg.decode("utf-8", "surrogateescape") if msg.__class__ is bytes else "unknown error"
            raise CommandError("Error registering functions: " + text)
        if not lib.functions:
            raise CommandError("No functions registered")

    def _install(self, lib: Library, old: Library | None) -> None:
        for fname in lib.functions:
            existing = self.functions.get(fname.lower())
            if existing is not None and existing.library is not old:
                raise CommandError(f"Function {fname.decode('utf-8', 'surrogateescape')} already exists")
        if old is not None:
            self.delete(old.name)
        self.libraries[lib.name] = lib
        _add_functions(self.functions, lib)

    def delete(self, name: bytes) -> None:
        lib = self.libraries.pop(name, None)
        if lib is None:
            raise CommandError("Library not found")
        for fname in lib.functions:
            if self.functions.get(fname.lower()) is lib.functions[fname]:
                del self.functions[fname.lower()]

    def flush(self) -> None:
        self.libraries.clear()
        self.functions.clear()

    # -- DUMP / RESTORE ------------------------------------------------------------------------------

    def dump(self) -> bytes:
        out = bytearray(_MAGIC)
        for lib in self.libraries.values():
            out += len(lib.code).to_bytes(4, "big") + lib.code
        out += hashlib.sha1(out).digest()[:8]
        return bytes(out)

    def restore(self, engine: Any, payload: bytes, policy: str) -> None:
        if len(payload) < len(_MAGIC) + 8 or not payload.startswith(_MAGIC):
            raise BAD_PAYLOAD
        body, check = payload[:-8], payload[-8:]
        if hashlib.sha1(body).digest()[:8] != check:
            raise BAD_PAYLOAD
        codes = []
        p = len(_MAGIC)
        while p < len(body):
            n = int.from_bytes(body[p : p + 4], "big")
            codes.append(body[p + 4 : p + 4 + n])
            p += 4 + n
        staged = FunctionRegistry()
        for code in codes:
            lib = staged.create(engine, code)
            staged._run_library_code(engine, lib)
            if lib.name in staged.libraries:
                raise CommandError(f"Library {lib.name.decode('utf-8', 'surrogateescape')} already exists")
            staged._install(lib, None)
        if policy == "FLUSH":
            self.flush()
        elif policy == "APPEND":
            for name in staged.libraries:
                if name in self.libraries:
                    raise CommandError(f"Library {name.decode('utf-8', 'surrogateescape')} already exists")
        merged_libs = dict(self.libraries)
        for name in staged.libraries:
            merged_libs.pop(name, None)
        functions: dict[bytes, Function] = {}
        for lib in merged_libs.values():
            _add_functions(functions, lib)
        for lib in staged.libraries.values():
            for fname in lib.functions:
                if fname.lower() in functions:
                    raise CommandError(f"Function {fname.decode('utf-8', 'surrogateescape')} already exists")
        merged_libs.update(staged.libraries)
        for lib in staged.libraries.values():
            _add_functions(functions, lib)
        self.libraries = merged_libs
        self.functions = functions


def _add_functions(functions: dict[bytes, Function], lib: Library) -> None:
    """Add a library's functions to the server's namespace, which (unlike a library's own table)
    ignores case, as Redis's functions dictionary does: of two names that differ only in case in one
    library, the first registered is the one FCALL finds."""
    for fname, fn in lib.functions.items():
        functions.setdefault(fname.lower(), fn)
