"""Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, FCALL, FCALL_RO, FUNCTION *, as Redis 7.0.

The Lua side lives in ``cacheserver.scripting``; this module parses arguments, applies the script and
function flags (``no-writes`` and the ``*_RO`` variants) and renders the introspection replies. The
engine is made by the first scripting command and kept on the server (``server.scripting``).
"""

from __future__ import annotations

import time
from typing import Any

from cacheserver import errors
from cacheserver.commands.args import numkeys_positions
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.errors import CommandError
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import OK, Map, SetReply
from cacheserver.pubsub.glob import stringmatch
from cacheserver.scripting.engine import BUSY_EVAL, ScriptEngine
from cacheserver.scripting.functions import FunctionRegistry

_TOO_MANY_KEYS = CommandError("Number of keys can't be greater than number of args")
_NEGATIVE_KEYS = CommandError("Number of keys can't be negative")
_NOSCRIPT = CommandError("No matching script. Please use EVAL.", "NOSCRIPT")
_WRITE_FLAG_RO = CommandError("Can not execute a script with write flag using *_ro command.")
_FUNCTION_NOT_FOUND = CommandError("Function not found")
_BAD_NUMKEYS = CommandError("Bad number of keys provided")


def engine_of(server: Any) -> ScriptEngine:
    eng = getattr(server, "scripting", None)
    if eng is None:
        eng = server.scripting = ScriptEngine(server)
        server.functions = FunctionRegistry()
    return eng


def _key_spec(ro: bool, notes: bool = True) -> list[dict]:
    spec: dict = {}
    if notes:
        spec["notes"] = "We cannot tell how the keys will be used so we assume the worst, " + (
            "RO and ACCESS" if ro else "RW and UPDATE"
        )
    spec["flags"] = ["RO", "access"] if ro else ["RW", "access", "update"]
    spec["begin_search"] = {"type": "index", "spec": {"index": 2}}
    spec["find_keys"] = {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}
    return [spec]


_EVAL_FACTS = dict(group="scripting", getkeys=numkeys_positions(2), complexity="Depends on the script that is executed.")


_SMALL = {b"%d" % i: i for i in range(10)}


def _numkeys(argv: list[bytes], bad_numkeys: CommandError) -> int:
    n = _SMALL.get(argv[2])
    if n is None:
        n = parse_ll(argv[2])
        if n is None:
            raise bad_numkeys
    if n > len(argv) - 3:
        raise _TOO_MANY_KEYS
    if n < 0:
        raise _NEGATIVE_KEYS
    return n


def _read_only(flags: Any, ro_command: bool) -> bool:
    """Whether a script runs read-only: *_RO commands, or the ``no-writes`` flag; a script declaring
    flags without ``no-writes`` may not run through a *_RO command."""
    if flags is None:
        return ro_command
    if "no-writes" in flags:
        return True
    if ro_command:
        raise _WRITE_FLAG_RO
    return False


def _eval(c: Any, argv: list[bytes], by_sha: bool, ro: bool) -> Any:
    numkeys = _numkeys(argv, errors.NOT_INTEGER)
    eng = engine_of(c.server)
    if by_sha:
        scripts = eng.scripts
        script = scripts.get(argv[1])
        if script is None:
            script = scripts.get(argv[1].lower())
            if script is None:
                raise _NOSCRIPT
    else:
        _, script = eng.create_script(argv[1])
    flags = script.flags
    oom = False
    if c.server.evictor.maxmemory and eng.out_of_memory():
        if flags is not None:
            if "allow-oom" not in flags and "no-writes" not in flags:
                return _reject_oom(c, argv)
        else:
            oom = True  # compat mode: the script's first DENYOOM command is refused instead
    read_only = ro if flags is None else _read_only(flags, ro)
    return eng.run_eval(c, script, numkeys, read_only, argv, oom)


def _reject_oom(c: Any, argv: list[bytes]) -> CommandError:
    """A script declaring flags (or a function) that may write, while out of memory: refused before it
    runs, as Redis's processCommand refuses a DENYOOM command (rejected, not called)."""
    spec = c.server.table.lookup(argv[0])
    spec.rejected_calls += 1
    spec.calls -= 1  # the dispatcher counts the call after the handler returns; a rejection is no call
    c.server.count_error_reply(errors.OOM)
    return errors.OOM


@command(
    "eval",
    -3,
    flags="noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="2.6.0",
    summary="Run a Lua script on the server.",
    syntax="script numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(False),
    **_EVAL_FACTS,
)
def eval_(c: Any, argv: list[bytes]) -> Any:
    return _eval(c, argv, False, False)


@command(
    "evalsha",
    -3,
    flags="noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="2.6.0",
    summary="Run a cached Lua script by its SHA1 digest.",
    syntax="sha1 numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(False, notes=False),
    **_EVAL_FACTS,
)
def evalsha(c: Any, argv: list[bytes]) -> Any:
    # The common case straight to the engine: a loaded script without a shebang, a small numkeys within
    # the arguments, no maxmemory. Anything else takes _eval, which checks in Redis's order.
    server = c.server
    try:
        script = server.scripting.scripts.get(argv[1])
    except AttributeError:  # no scripting command ran yet
        return _eval(c, argv, True, False)
    numkeys = _SMALL.get(argv[2])
    if script is None or numkeys is None or numkeys > len(argv) - 3:
        return _eval(c, argv, True, False)
    if script.flags is not None or server.evictor.maxmemory:
        return _eval(c, argv, True, False)
    return server.scripting.run_eval(c, script, numkeys, False, argv)


@command(
    "eval_ro",
    -3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="7.0.0",
    summary="Run a Lua script that may only read.",
    syntax="script numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(True),
    **_EVAL_FACTS,
)
def eval_ro(c: Any, argv: list[bytes]) -> Any:
    return _eval(c, argv, False, True)


@command(
    "evalsha_ro",
    -3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="7.0.0",
    summary="Run a cached Lua script that may only read, by its SHA1 digest.",
    syntax="sha1 numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(True, notes=False),
    **_EVAL_FACTS,
)
def evalsha_ro(c: Any, argv: list[bytes]) -> Any:
    return _eval(c, argv, True, True)


def _fcall(c: Any, argv: list[bytes], ro: bool) -> Any:
    eng = engine_of(c.server)
    fn = c.server.functions.functions.get(argv[1].lower())
    if fn is None:
        raise _FUNCTION_NOT_FOUND
    numkeys = _numkeys(argv, _BAD_NUMKEYS)
    if c.server.evictor.maxmemory and eng.out_of_memory():
        if "allow-oom" not in fn.flags and "no-writes" not in fn.flags:
            return _reject_oom(c, argv)
    read_only = _read_only(fn.flags, ro)
    return eng.run_script(c, fn.callback, fn.name.decode("utf-8", "surrogateescape"), numkeys, read_only, False, argv)


@command(
    "fcall",
    -3,
    flags="noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="7.0.0",
    summary="Call a function loaded with FUNCTION LOAD.",
    syntax="function numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(False),
    **{**_EVAL_FACTS, "complexity": "Depends on the function that is executed."},
)
def fcall(c: Any, argv: list[bytes]) -> Any:
    return _fcall(c, argv, False)


@command(
    "fcall_ro",
    -3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys movablekeys",
    since="7.0.0",
    summary="Call a read-only function loaded with FUNCTION LOAD.",
    syntax="function numkeys [key [key ...]] [arg [arg ...]]",
    key_specs=_key_spec(True),
    **{**_EVAL_FACTS, "complexity": "Depends on the function that is executed."},
)
def fcall_ro(c: Any, argv: list[bytes]) -> Any:
    return _fcall(c, argv, True)


# -- SCRIPT --------------------------------------------------------------------------------------------

SCRIPT = container(
    "script",
    group="scripting",
    since="2.6.0",
    summary="A container for Lua scripts management commands.",
    complexity="Depends on subcommand.",
)
SCRIPT.acl = ("@slow",)

_SCRIPT_HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]


@command(
    "script|help",
    2,
    flags="loading stale",
    group="scripting",
    since="5.0.0",
    summary="Show SCRIPT's subcommands.",
    complexity="O(1)",
)
def script_help(c: Any, argv: list[bytes]) -> Any:
    return _SCRIPT_HELP


@command(
    "script|load",
    3,
    flags="noscript stale",
    group="scripting",
    since="2.6.0",
    summary="Compile a script into the script cache without running it.",
    syntax="script",
    complexity="O(N) with N being the length in bytes of the script body.",
    tips="request_policy:all_nodes response_policy:all_succeeded",
)
def script_load(c: Any, argv: list[bytes]) -> Any:
    sha, _ = engine_of(c.server).create_script(argv[2])
    return sha


@command(
    "script|exists",
    -3,
    flags="noscript",
    group="scripting",
    since="2.6.0",
    summary="Tell which scripts are in the script cache.",
    syntax="sha1 [sha1 ...]",
    complexity="O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
    tips="request_policy:all_shards response_policy:agg_logical_and",
)
def script_exists(c: Any, argv: list[bytes]) -> Any:
    scripts = engine_of(c.server).scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command(
    "script|flush",
    -2,
    flags="noscript",
    group="scripting",
    since="2.6.0",
    summary="Empty the script cache.",
    syntax="[ASYNC | SYNC]",
    complexity="O(N) with N being the number of scripts in cache",
    tips="request_policy:all_nodes response_policy:all_succeeded",
)
def script_flush(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError("SCRIPT FLUSH only support SYNC|ASYNC option")
    engine_of(c.server).reset()
    return OK


@command(
    "script|kill",
    2,
    flags="noscript allow_busy",
    group="scripting",
    since="2.6.0",
    summary="Stop the running script if it wrote nothing yet.",
    complexity="O(1)",
    tips="request_policy:all_shards response_policy:one_succeeded",
)
def script_kill(c: Any, argv: list[bytes]) -> Any:
    engine_of(c.server).kill(True)
    return OK


@command(
    "script|debug",
    3,
    flags="noscript",
    group="scripting",
    since="3.2.0",
    summary="Set the debug mode of later scripts.",
    syntax="<YES | SYNC | NO>",
    complexity="O(1)",
)
def script_debug(c: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise CommandError("SCRIPT DEBUG (the Lua debugger) is not supported by this server")
    raise CommandError("Use SCRIPT DEBUG YES/SYNC/NO")


# -- FUNCTION ------------------------------------------------------------------------------------------

FUNCTION = container(
    "function",
    group="scripting",
    since="7.0.0",
    summary="A container for function commands.",
    complexity="Depends on subcommand.",
)
FUNCTION.acl = ("@slow",)

_FUNCTION_HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]


@command(
    "function|help",
    2,
    flags="loading stale",
    group="scripting",
    since="7.0.0",
    summary="Show FUNCTION's subcommands.",
    complexity="O(1)",
)
def function_help(c: Any, argv: list[bytes]) -> Any:
    return _FUNCTION_HELP


@command(
    "function|load",
    -3,
    flags="write denyoom noscript",
    group="scripting",
    since="7.0.0",
    summary="Load a library of functions.",
    syntax="[REPLACE] function-code",
    complexity="O(1) (considering compilation time is redundant)",
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def function_load(c: Any, argv: list[bytes]) -> Any:
    eng = engine_of(c.server)
    replace = False
    i = 2
    while i < len(argv) - 1:
        if argv[i].lower() == b"replace":
            replace = True
            i += 1
            continue
        raise CommandError(f"Unknown option given: {argv[i].decode('utf-8', 'surrogateescape')}")
    if i != len(argv) - 1:
        raise CommandError("Function code is missing")
    name = c.server.functions.load(eng, argv[i], replace)
    c.server.keyspace.dirty += 1
    return name


@command(
    "function|delete",
    3,
    flags="write noscript",
    group="scripting",
    since="7.0.0",
    summary="Delete a library and its functions.",
    syntax="library-name",
    complexity="O(1)",
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def function_delete(c: Any, argv: list[bytes]) -> Any:
    engine_of(c.server)
    c.server.functions.delete(argv[2])
    c.server.keyspace.dirty += 1
    return OK


@command(
    "function|flush",
    -2,
    flags="write noscript",
    group="scripting",
    since="7.0.0",
    summary="Delete every library.",
    syntax="[ASYNC | SYNC]",
    complexity="O(N) where N is the number of functions deleted",
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def function_flush(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError("FUNCTION FLUSH only supports SYNC|ASYNC option")
    engine_of(c.server)
    c.server.functions.flush()
    c.server.keyspace.dirty += 1
    return OK


@command(
    "function|kill",
    2,
    flags="noscript allow_busy",
    group="scripting",
    since="7.0.0",
    summary="Stop the running function if it wrote nothing yet.",
    complexity="O(1)",
    tips="request_policy:all_shards response_policy:one_succeeded",
)
def function_kill(c: Any, argv: list[bytes]) -> Any:
    engine_of(c.server).kill(False)
    return OK


@command(
    "function|list",
    -2,
    flags="noscript",
    group="scripting",
    since="7.0.0",
    summary="List the libraries and their functions.",
    syntax="[LIBRARYNAME library-name-pattern] [WITHCODE]",
    complexity="O(N) where N is the number of functions",
    tips="nondeterministic_output_order",
)
def function_list(c: Any, argv: list[bytes]) -> Any:
    engine_of(c.server)
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        arg = argv[i].lower()
        if not with_code and arg == b"withcode":
            with_code = True
        elif pattern is None and arg == b"libraryname":
            if i >= len(argv) - 1:
                raise CommandError("library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise CommandError(f"Unknown argument {argv[i].decode('utf-8', 'surrogateescape')}")
        i += 1
    out = []
    for lib in c.server.functions.libraries.values():
        if pattern is not None and not stringmatch(pattern, lib.name, nocase=True):
            continue
        fns = [
            Map([(b"name", f.name), (b"description", f.description), (b"flags", SetReply(f.flags))])
            for f in lib.functions.values()
        ]
        pairs: list = [(b"library_name", lib.name), (b"engine", b"LUA"), (b"functions", fns)]
        if with_code:
            pairs.append((b"library_code", lib.code))
        out.append(Map(pairs))
    return out


@command(
    "function|stats",
    2,
    flags="noscript allow_busy",
    group="scripting",
    since="7.0.0",
    summary="Show the running function and the engines' counts.",
    complexity="O(1)",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
)
def function_stats(c: Any, argv: list[bytes]) -> Any:
    eng = engine_of(c.server)
    run = eng.run
    if run is not None and run.eval_mode and run.caller is not None:
        raise BUSY_EVAL
    running = None
    if run is not None and run.caller is not None:
        running = Map(
            [
                (b"name", run.name.encode()),
                (b"command", list(run.argv)),
                (b"duration_ms", int((time.monotonic() - run.start) * 1000)),
            ]
        )
    reg = c.server.functions
    lua = Map([(b"libraries_count", len(reg.libraries)), (b"functions_count", len(reg.functions))])
    return Map([(b"running_script", running), (b"engines", Map([(b"LUA", lua)]))])


@command(
    "function|dump",
    2,
    flags="noscript",
    group="scripting",
    since="7.0.0",
    summary="Serialize every library into a payload for FUNCTION RESTORE.",
    complexity="O(N) where N is the number of functions",
)
def function_dump(c: Any, argv: list[bytes]) -> Any:
    engine_of(c.server)
    return c.server.functions.dump()


@command(
    "function|restore",
    -3,
    flags="write denyoom noscript",
    group="scripting",
    since="7.0.0",
    summary="Restore libraries from a FUNCTION DUMP payload.",
    syntax="serialized-value [FLUSH | APPEND | REPLACE]",
    complexity="O(N) where N is the number of functions on the payload",
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def function_restore(c: Any, argv: list[bytes]) -> Any:
    eng = engine_of(c.server)
    policy = "APPEND"
    if len(argv) > 4:
        raise errors.wrong_arity("function|restore")
    if len(argv) == 4:
        policy = argv[3].upper().decode("utf-8", "surrogateescape")
        if policy not in ("FLUSH", "APPEND", "REPLACE"):
            raise CommandError("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    c.server.functions.restore(eng, argv[2], policy)
    c.server.keyspace.dirty += 1
    return OK
