"""The Lua engine: one Lua 5.1 runtime (lupa) per server running EVAL scripts and FUNCTION libraries.

Rules, as Redis 7.0's script.c / script_lua.c:
- a script runs to the end without yielding to the event loop (atomicity); its commands run through
  ``Dispatcher.call`` on a script client that shares the caller's database; blocking commands answer
  at once and blocked clients are served after the script (``blocking.atomic``);
- every 100000 Lua instructions a hook checks the clock; past ``busy-reply-threshold`` the script is
  "busy": other connections are read directly from their sockets (the loop cannot be re-entered) and
  their commands answered ``-BUSY`` unless flagged ``allow_busy`` (SCRIPT KILL, FUNCTION KILL, ...);
  SCRIPT KILL marks the run killed and the hook raises the kill error inside Lua, unless the script
  already wrote (UNKILLABLE);
- errors become Redis's texts: ``<msg> script: <name>, on @user_script:<line>.``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import select
import time
from typing import Any

from lupa import lua51

from cacheserver import errors
from cacheserver.commands.spec import SKIP_SLOWLOG
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.protocol.replies import Map, SetReply
from cacheserver.scripting import libs
from cacheserver.scripting.convert import PassedOnError, ToLua, error_from_text, to_reply
from cacheserver.scripting.libs.common import lua_tonumber, num_text
from cacheserver.scripting.libs.mathrandom import LuaRandom
from cacheserver.scripting.prelude import INTERNAL_CHUNK, PRELUDE

log = logging.getLogger("cacheserver")

from cacheserver.scripting.convert import LuaTable as _LuaTable  # noqa: E402

_monotonic = time.monotonic
_perf_ns = time.perf_counter_ns

HOOK_INSTRUCTIONS = 100000
MAX_RUNNER_KEYS = 16  # EVAL calls with more keys take the generic run (no runner per numkeys)

BUSY_EVAL = CommandError("Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", "BUSY")
BUSY_FUNCTION = CommandError(
    "Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.", "BUSY"
)
NOTBUSY = CommandError("No scripts in execution right now.", "NOTBUSY")
UNKILLABLE = CommandError(
    "Sorry the script already executed write commands against the dataset. You can either wait the "
    "script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
    "UNKILLABLE",
)
KILLED = b"ERR Script killed by user with SCRIPT KILL..."
KILLED_SHUTDOWN = b"ERR Script killed by user with SHUTDOWN..."

_NO_ARGS = b"ERR Please specify at least one argument for this redis lib call"
_BAD_ARG = b"ERR Lua redis lib command arguments must be strings or integers"
_UNKNOWN = b"ERR Unknown Redis command called from script"
_ARITY = b"ERR Wrong number of args calling Redis command from script"
_NOSCRIPT = b"ERR This Redis command is not allowed from script"
_READONLY = b"ERR Write commands are not allowed from read-only scripts."
_READONLY_ERROR = CommandError("Write commands are not allowed from read-only scripts.")
_OOM = errors.OOM.text.encode()


def sha1hex(body: bytes) -> bytes:
    return hashlib.sha1(body).hexdigest().encode()


def _deny_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    raise AttributeError("access denied")


def _lua_arg(v: Any) -> bytes | None:
    """A redis.call argument as Redis makes it a string: numbers with ``%.17g``, not Lua's ``%.14g``."""
    cls = v.__class__
    if cls is bytes:
        return v
    if cls is int:
        if -(1 << 53) <= v <= 1 << 53:
            return b"%d" % v
        return b"%.17g" % v
    if cls is float:
        if v != v:
            return b"-nan" if math.copysign(1.0, v) < 0 else b"nan"  # glibc's printf shows the sign
        return b"%.17g" % v
    return None


def _c_int(v: Any) -> int:
    """``int n = lua_tonumber(L, i)`` on x86-64: 0 for what is not a number, else the value truncated
    toward zero; NaN and values out of a C int's range become INT_MIN."""
    n = lua_tonumber(v)
    if n is None:
        return 0
    if n != n or not -(2**31) - 1 < n < 2**31:
        return -(2**31)
    return int(n)


class ScriptRun:
    """The script running now (Redis's scriptRunCtx)."""

    __slots__ = ("caller", "name", "eval_mode", "read_only", "wrote", "kill", "start", "busy", "argv", "resp", "oom")

    def __init__(self, caller: Any, name: str, eval_mode: bool, read_only: bool, argv: list[bytes]) -> None:
        self.caller = caller
        self.name = name
        self.eval_mode = eval_mode
        self.read_only = read_only
        self.wrote = False
        self.kill: bytes | None = None
        self.start = _monotonic()
        self.busy = False
        self.argv = argv
        self.resp = 2
        self.oom = False  # out of memory when the script started (Redis's pre_command_oom_state)


class Script:
    """A cached EVAL script: its body, compiled function, shebang flags (None: no shebang) and the name
    its errors give (the sha1 as text)."""

    __slots__ = ("body", "function", "flags", "name", "runners")

    def __init__(self, body: bytes, function: Any, flags: frozenset[str] | None, name: str = "") -> None:
        self.body = body
        self.function = function
        self.flags = flags
        self.name = name
        self.runners: dict[int, Any] = {}  # numkeys -> the prelude's runner for it (EVAL's fast path)


class ScriptEngine:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.run: ScriptRun | None = None
        self.scripts: dict[bytes, Script] = {}
        self.registering: Any = None  # the library being loaded (functions.Library)
        self._client: ClientState | None = None
        # redis.call's fast path: command name as a script wrote it -> (spec, arity, script_write,
        # denyoom), filled by the full path once a plain command passed its checks (names, not
        # arguments: a bounded set).
        self._fast: dict[bytes, tuple[Any, int, bool, bool]] = {}
        self._monitors = self.server.monitors  # the server's list itself (changed in place, never replaced)
        self._eval_run = ScriptRun(None, "", True, False, [])
        # The texts of errors commands called by the current run replied (see ``_refused``).
        self._cmd_errors: set[bytes] = set()
        self.random = LuaRandom()
        self._start_runtime()

    # -- the runtime ---------------------------------------------------------------------------------

    def _start_runtime(self) -> None:
        lua = lua51.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_deny_attributes,
        )
        self.lua = lua
        self.to_lua = ToLua(lua)
        null = lua.eval("newproxy()")
        cjson = self._cjson = libs.CJson(lua, null)
        lib_tables = {
            b"cjson": cjson.functions(),
            b"bit": libs.BIT,
            b"struct": libs.STRUCT,
            b"cmsgpack": libs.CMsgpack(lua).functions(),
        }
        # Redis's math.random: one generator for the process, kept across runtimes (SCRIPT FLUSH).
        lua_math = lua.globals()[b"math"]
        lua_math[b"random"] = self.random.random
        lua_math[b"randomseed"] = self.random.randomseed
        tables = {}
        for name, fns in lib_tables.items():
            tables[name] = lua.table_from(fns)
        chunk = lua.eval("loadstring")(PRELUDE.encode(), INTERNAL_CHUNK.encode())
        if isinstance(chunk, tuple):
            raise RuntimeError(chunk[1])
        api = chunk(
            self._call,
            self._pcall,
            self._sha1hex,
            self._log,
            self._setresp,
            self._set_repl,
            self._tick,
            self._register,
            _error_text,
            lua.table_from(tables),
            self._acl_check_cmd,
        )
        self._compile = api[b"compile"]
        self._run_eval = api[b"run_eval"]
        self._run_function = api[b"run_function"]
        self._run_load = api[b"run_load"]
        self._runner = api[b"runner"]
        self.is_function = api[b"is_function"]
        self._pack = api[b"pack"]
        self._raw_copy = api[b"raw_copy"]
        self._dispatch = self.server.dispatcher.call
        self._table_from = lua.table_from

    def reset(self) -> None:
        """SCRIPT FLUSH: a fresh runtime, as Redis recreates its Lua state (functions keep theirs)."""
        self.scripts.clear()
        self._cjson.reset()  # cjson's settings belong to the Lua state Redis recreates

    def script_client(self, caller: Any) -> ClientState:
        sc = self._client
        if sc is not None and sc.resp == 2:
            sc.db = caller.db
            return sc
        if sc is None:
            sc = self._client = ClientState(0, self.server, lambda data: None, lambda: None)
            sc.authenticated = True
            sc.name = b""
            sc.addr = sc.laddr = "?:0"
            sc.update_gate()
        sc.db = caller.db
        if sc.resp != 2:
            sc.set_resp(2)
        return sc

    # -- compiling -----------------------------------------------------------------------------------

    def compile(self, body: bytes, chunkname: bytes, env: bytes) -> tuple[Any, bytes | None]:
        res = self._compile(body, chunkname, env)
        if isinstance(res, tuple):
            return None, res[1]
        return res, None

    def create_script(self, body: bytes) -> tuple[bytes, Script]:
        """Compile an EVAL body into the cache (Redis's luaCreateFunction); raises on errors."""
        sha = sha1hex(body)
        script = self.scripts.get(sha)
        if script is not None:
            return sha, script
        flags, code = parse_shebang(body)
        func, err = self.compile(code, b"@user_script", b"eval")
        if func is None:
            raise CommandError("Error compiling script (new function): " + err.decode("utf-8", "surrogateescape"))
        script = Script(body, func, flags, sha.decode())
        self.scripts[sha] = script
        return sha, script

    # -- running -------------------------------------------------------------------------------------

    def run_eval(
        self, c: Any, script: Script, numkeys: int, read_only: bool, argv: list[bytes], oom: bool = False
    ) -> Any:
        """EVAL/EVALSHA: run a cached script with ``argv[3:3+numkeys]`` as KEYS and the rest as ARGV.

        The script's runner for this number of keys takes exactly the call's arguments; the run's
        state object is reused (a script cannot start another one). ``_run`` is written out here:
        this is EVALSHA's hot path, one Python frame between the handler and Lua."""
        runner = script.runners.get(numkeys)
        if runner is None:
            if numkeys > MAX_RUNNER_KEYS:
                return self.run_script(c, script.function, script.name, numkeys, read_only, True, argv, oom)
            runner = script.runners[numkeys] = self._runner(script.function, numkeys)
        run = self._eval_run
        run.caller = c
        run.name = script.name
        run.read_only = read_only
        run.wrote = False
        run.kill = None
        run.argv = argv
        run.resp = 2
        run.oom = oom
        self.run = run
        sc = self._client
        if sc is not None and sc.resp == 2:
            sc.db = c.db
        else:
            self.script_client(c)
        blocking = self.server.blocking
        blocking.depth += 1  # blocking.atomic() inlined
        run.start = _monotonic()
        try:
            value = runner(argv[3]) if len(argv) == 4 else runner(*argv[3:])
        finally:
            blocking.depth -= 1
            self.run = None
            if run.busy:
                run.busy = False
                self.server.remove_gate(self._busy_gate)
        cls = value.__class__
        if cls is bytes or cls is int:
            if self._cmd_errors:
                self._cmd_errors.clear()
            return value
        if cls is tuple:
            return self._error_result(value[1], run)
        return self._reply(value, run)

    def run_script(
        self,
        c: Any,
        func: Any,
        name: str,
        numkeys: int,
        read_only: bool,
        eval_mode: bool,
        argv: list[bytes],
        oom: bool = False,
    ) -> Any:
        """Run ``func`` with ``argv[3:3+numkeys]`` as KEYS and the rest as ARGV; ``oom``: the server was
        out of memory when the script started (its first DENYOOM command is refused)."""
        run = ScriptRun(c, name, eval_mode, read_only, argv)
        run.oom = oom
        # One value back on success; a (false, error) pair on failure (see the prelude's run_eval).
        return self._run(c, run, self._run_eval if eval_mode else self._run_function, (func, numkeys, *argv[3:]))

    def _run(self, c: Any, run: ScriptRun, call: Any, args: Any) -> Any:
        """Run ``call(*args)`` in Lua as the script ``run`` of client ``c``: the script client takes
        the caller's database, blocking commands do not block (Redis's atomic section), and the value
        (or the (false, error) pair) becomes the reply. ``run_eval`` holds a written-out copy of this
        body for EVALSHA's hot path: a change here belongs there too."""
        server = self.server
        self.run = run
        sc = self._client
        if sc is not None and sc.resp == 2:
            sc.db = c.db
        else:
            self.script_client(c)
        blocking = server.blocking
        blocking.depth += 1  # blocking.atomic() inlined: this is the EVALSHA hot path
        try:
            value = call(*args)
        finally:
            blocking.depth -= 1
            self.run = None
            if run.busy:
                run.busy = False  # EVAL's run state is reused
                server.remove_gate(self._busy_gate)
        cls = value.__class__
        if cls is bytes or cls is int:
            if self._cmd_errors:
                self._cmd_errors.clear()
            return value
        if cls is tuple:
            return self._error_result(value[1], run)
        return self._reply(value, run)

    def _reply(self, value: Any, run: ScriptRun) -> Any:
        """A script's value other than a string, an integer or an error -> the reply. Booleans follow
        the script's redis.setresp, as in Redis. Redis reads a reply table raw (lua_rawget): no
        metamethod of the script's may run here, so the table is first copied raw in Lua; an
        ``__index`` that never answers nil would otherwise loop the server forever. A table nested
        deeper than the copy or Python's recursion allows (a cycle, for one) is refused with Redis's
        error for a reply nested past its Lua stack (Redis sends the arrays down to that depth first).
        An error table (``{err=...}``) is the script's error reply: see ``_error_result``."""
        try:
            if value.__class__ is _LuaTable:
                value = self._raw_copy(value)
            reply = to_reply(value, run.resp)
        except (RecursionError, lua51.LuaError):  # Python's recursion limit, or Lua's in the copy
            self._cmd_errors.clear()
            raise CommandError("reached lua stack limit") from None
        cls = reply.__class__
        if cls is CommandError or cls is PassedOnError:
            return self._passed_on(value[b"err"], reply, run)
        if self._cmd_errors:
            self._cmd_errors.clear()
        if cls is list or cls is Map or cls is SetReply:
            self._count_nested_errors(reply, run)
        return reply

    def _count_nested_errors(self, reply: Any, run: ScriptRun) -> None:
        """Error tables inside a table reply are error replies too: each counts in errorstats, and the
        script's command one failed call, as Redis's call() sees error replies added. One a script
        caught with redis.pcall was counted in errorstats when its command failed (PassedOnError):
        Redis's afterErrorReply then adds a failed call to the script's command for each instead."""
        found: list[CommandError] = []
        _nested_errors(reply, found)
        if not found:
            return
        count = self.server.count_error_reply
        failed = counted = 0
        for e in found:
            if e.__class__ is PassedOnError:
                failed += 1  # afterErrorReply without stats: the caller's failed_calls, each time
            else:
                count(e)
                counted = 1
        spec = self.server.table.lookup(run.argv[0]) if run.argv else None
        if spec is not None:
            spec.failed_calls += failed + counted

    def _error_result(self, e: Any, run: ScriptRun) -> CommandError:
        """A run that raised an error: its reply, with Redis's ``script: <sha>, on <source>:<line>.``"""
        return self._passed_on(e[b"err"] if e.__class__ is _LuaTable else None, self.error_reply(e, run.name), run)

    def _passed_on(self, message: Any, reply: CommandError, run: ScriptRun) -> CommandError:
        """The script's error reply. Raised, the dispatcher counts it (failed_calls, errorstats),
        unless it passes on the error of a command the script called, which errorstats counted when
        it happened (Redis's ignore_error_stats_update): then only the command's failed_calls."""
        passed_on = message in self._cmd_errors
        self._cmd_errors.clear()
        if not passed_on:
            raise reply
        spec = self.server.table.lookup(run.argv[0]) if run.argv else None
        if spec is not None:
            spec.failed_calls += 1
        return reply

    def out_of_memory(self) -> bool:
        """Before a script under maxmemory: evict what it takes; True when still over the limit
        (Redis's pre_command_oom_state, from performEvictions before every command)."""
        return not self.server.evictor.perform_evictions()

    def error_reply(self, e: Any, name: str) -> CommandError:
        """A failed run's error table -> Redis's ``-<err> script: <name>, on <source>:<line>.``."""
        if e.__class__ is not _LuaTable:
            return CommandError("Error running script, execution failure")
        msg = e[b"err"]
        if msg.__class__ is not bytes:
            msg = b"ERR unknown error"
        source = e[b"source"]
        line = e[b"line"]
        if source.__class__ is bytes and line is not None:
            msg = msg + b" script: %b, on %b:%d." % (name.encode(), source, line)
        return error_from_text(msg)

    # -- the redis table's Python side ---------------------------------------------------------------

    def _call(self, *args: Any) -> Any:
        """redis.call: a command's error reply is raised as a Lua error.

        The common case (a known plain command, right arity, string arguments, a script that may run it)
        is checked inline against the facts cached per command name; anything else takes
        ``_run_command``, which makes every check of Redis's scriptCall in its order."""
        try:
            spec, arity, write, denyoom = self._fast[args[0]]
        except (KeyError, IndexError, TypeError):  # not a cached name (nor a string, nor any argument)
            return self._call_slow(args)
        n = len(args)
        run = self.run
        if ((n != arity) if arity > 0 else (n < -arity)) or run is None or run.caller is None:
            return self._call_slow(args)  # the full path reports it, after the checks that come first
        for a in args:
            if a.__class__ is not bytes:
                argv = self._argv(args)
                break
        else:
            argv = list(args)
        if write:  # a write, or a may_replicate command (PFCOUNT, PUBLISH)
            if run.read_only:
                self._reject(spec, _READONLY_ERROR)
                raise ScriptError(_READONLY)
            if denyoom and run.oom and not run.wrote:
                self._reject(spec, errors.OOM)
                raise ScriptError(_OOM)
            if spec.is_write:
                run.wrote = True
        if run.caller.tracking is not None:  # a script's reads count for its caller's tracking
            self.server.tracking.remember(run.caller, spec, argv)
        # Dispatcher.call inlined (the same stats and slow log): one frame less per redis.call.
        t0 = _perf_ns()
        try:
            reply = spec.handler(self._client, argv)
        except CommandError as e:
            spec.calls += 1  # a failed call is a call, as in Dispatcher.call
            spec.total_ns += _perf_ns() - t0
            spec.failed_calls += 1
            if self._monitors:
                self._monitor(spec, argv)
            self.server.count_error_reply(e)
            message = e.text.encode("utf-8", "surrogateescape")
            self._cmd_errors.add(message)
            raise ScriptError(message) from None
        except Exception:
            reply = self.server.dispatcher._bug(spec, argv)
        dt = _perf_ns() - t0
        spec.calls += 1
        spec.total_ns += dt
        if dt > self.server.slowlog_threshold_ns and SKIP_SLOWLOG not in spec.flags:
            self.server.slowlog_add(self._client, argv, dt)
        if self._monitors:
            self._monitor(spec, argv)
        cls = reply.__class__
        if cls is bytes or cls is int:
            return reply
        return self._lua_reply(reply)

    def _monitor(self, spec: Any, argv: list[bytes]) -> None:
        """MONITOR's line for a command the script ran, after it ran (its database, SELECT's included)."""
        if "admin" not in spec.flags:
            self.server.monitor_feed.feed_script(self._client.db.index, argv)

    def _call_slow(self, args: tuple) -> Any:
        return self._lua_reply(self._run_command(args))

    def _lua_reply(self, reply: Any) -> Any:
        """A command's reply for redis.call: errors raised into Lua, the rest converted."""
        cls = reply.__class__
        if cls is bytes or cls is int:
            return reply
        if cls is ScriptError:
            raise reply
        if isinstance(reply, CommandError):
            raise ScriptError(reply.text.encode("utf-8", "surrogateescape"))
        if cls is list:
            for x in reply:
                if x.__class__ is not bytes and x.__class__ is not int:
                    break
            else:
                return self._pack(*reply)  # a flat array: cheaper than lupa's generic table_from
        return self.to_lua.convert(reply, self.run.resp)  # type: ignore[union-attr]

    def _reject(self, spec: Any, error: CommandError) -> None:
        """A command refused inside a script (read-only, OOM): Redis's rejected_calls and error stats."""
        spec.rejected_calls += 1
        self._refused(error)

    def _refused(self, error: CommandError) -> None:
        """An error of a command the script called (refused or failed) counts in errorstats when it
        happens; the script's reply passing it on later does not count it again (Redis's
        ignore_error_stats_update), so its text is remembered for this run."""
        self.server.count_error_reply(error)
        self._cmd_errors.add(error.text.rstrip("\r\n").encode("utf-8", "surrogateescape"))

    def _argv(self, args: tuple) -> list[bytes]:
        argv = []
        for a in args:
            s = _lua_arg(a)
            if s is None:
                raise ScriptError(_BAD_ARG)
            argv.append(s)
        return argv

    def _pcall(self, *args: Any) -> Any:
        """redis.pcall: errors come back as ``{err=...}`` tables."""
        reply = self._run_command(args)
        # A command's error comes with Redis's ignore_error_stats_update field (errorstats counted it).
        if reply.__class__ is ScriptError:
            if reply.message not in self._cmd_errors:  # not a command's: redis.call's own checks
                return self._table_from({b"err": reply.message})
            return self._table_from({b"err": reply.message, b"ignore_error_stats_update": True})
        if isinstance(reply, CommandError):
            table = self.to_lua.error_table(reply)
            table[b"ignore_error_stats_update"] = True
            return table
        return self.to_lua.convert(reply, self.run.resp)  # type: ignore[union-attr]

    def _run_command(self, args: tuple) -> Any:
        """Redis's scriptCall checks, then the command through the dispatcher on the script client."""
        run = self.run
        if run is None or run.caller is None:
            return ScriptError(b"ERR redis.call is not allowed here")
        if not args:
            return ScriptError(_NO_ARGS)
        argv = []
        for a in args:
            s = _lua_arg(a)
            if s is None:
                return ScriptError(_BAD_ARG)
            argv.append(s)
        server = self.server
        spec = server.dispatcher.by_name.get(argv[0])
        if spec is None or spec.subcommands is not None:
            spec = server.table.lookup_sub(argv)
            if spec is None:
                self._refused(error_from_text(_UNKNOWN))
                return ScriptError(_UNKNOWN)
        if not spec.arity_ok(len(argv)) or (spec.parent is not None and not spec.parent.arity_ok(len(argv))):
            spec.rejected_calls += 1
            self._refused(error_from_text(_ARITY))
            return ScriptError(_ARITY)
        if "noscript" in spec.flags or (spec.parent is not None and "noscript" in spec.parent.flags):
            spec.rejected_calls += 1
            self._refused(error_from_text(_NOSCRIPT))
            return ScriptError(_NOSCRIPT)
        if spec.parent is None and spec.subcommands is None and len(self._fast) < 1024:
            # The name as the script spelled it: the facts redis.call's fast path checks next time.
            self._fast[argv[0]] = (spec, spec.arity, spec.script_write, spec.is_denyoom)
        if spec.script_write:
            if run.read_only:
                self._reject(spec, _READONLY_ERROR)
                return ScriptError(_READONLY)
        if spec.is_denyoom and run.oom and not run.wrote:
            # Redis's scriptVerifyOOM: out of memory when the script started, and no write yet.
            self._reject(spec, errors.OOM)
            return ScriptError(_OOM)
        if spec.is_write:
            run.wrote = True
        if run.caller.tracking is not None:  # a script's reads count for its caller's tracking
            server.tracking.remember(run.caller, spec, argv)
        reply = self._dispatch(self._client, spec, argv)
        if server.monitors:
            self._monitor(spec, argv)
        if isinstance(reply, CommandError):
            self._cmd_errors.add(reply.text.rstrip("\r\n").encode("utf-8", "surrogateescape"))
        return reply

    def _acl_check_cmd(self, *args: Any) -> bool:
        """redis.acl_check_cmd: whether the script's user may run the command. Every connection here
        is the default user, who may run every command; an unknown command (or subcommand) is an
        error, as in Redis."""
        if not args:
            raise ScriptError(_NO_ARGS)
        if self.server.table.lookup_sub(self._argv(args)) is None:
            raise ScriptError(b"ERR Invalid command passed to redis.acl_check_cmd()")
        return True

    def _sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise ScriptError(b"ERR wrong number of arguments")
        s = _lua_arg(args[0])
        return sha1hex(s if s is not None else b"")

    def _set_repl(self, *args: Any) -> None:
        if len(args) != 1:
            raise ScriptError(b"ERR redis.set_repl() requires two arguments.")  # sic, Redis 7.0's text
        if _c_int(args[0]) & ~3:
            raise ScriptError(b"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")

    def _log(self, *args: Any) -> None:
        if len(args) < 2:
            raise ScriptError(b"ERR redis.log() requires two arguments or more.")
        if lua_tonumber(args[0]) is None:
            raise ScriptError(b"ERR First argument must be a number (log level).")
        level = _c_int(args[0])
        if not 0 <= level <= 3:
            raise ScriptError(b"ERR Invalid debug level.")
        # lua_tolstring of each: numbers as Lua prints them, what is neither skipped (with no blank)
        out = bytearray()
        for j, a in enumerate(args[1:], 1):
            if a.__class__ in (bytes, int, float):
                if j != 1:
                    out += b" "
                out += a if a.__class__ is bytes else num_text(a)
        text = out.decode("utf-8", "replace")
        if level >= 3:
            log.warning("%s", text)
        elif level == 2:
            log.info("%s", text)
        else:
            log.debug("%s", text)

    def _setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise ScriptError(b"ERR redis.setresp() requires one argument.")
        version = _c_int(args[0])
        if version not in (2, 3):
            raise ScriptError(b"ERR RESP version must be 2 or 3.")
        run = self.run
        if run is not None:
            run.resp = int(version)
            if self._client is not None:
                self._client.set_resp(int(version))

    # -- busy scripts --------------------------------------------------------------------------------

    def _tick(self) -> bytes | None:
        run = self.run
        if run is None:
            return None
        if run.kill is not None:
            return run.kill
        server = self.server
        elapsed_ms = (_monotonic() - run.start) * 1000
        if elapsed_ms < server.config["busy-reply-threshold"]:
            return None
        if not run.busy:
            run.busy = True
            log.warning(
                "Slow script detected: still in execution after %d milliseconds. You can try killing the "
                "script using the %s command. Script name is: %s.",
                elapsed_ms,
                "SCRIPT KILL" if run.eval_mode else "FUNCTION KILL",
                run.name,
            )
            server.add_gate(self._busy_gate)
        self._serve_others(run)
        if server.shutdown_requested and run.kill is None:
            run.kill = KILLED_SHUTDOWN
        return run.kill

    def _busy_gate(self, c: Any, spec: Any, argv: list[bytes]) -> CommandError | None:
        run = self.run
        if run is None or "allow_busy" in spec.flags:
            return None
        return BUSY_EVAL if run.eval_mode else BUSY_FUNCTION

    def _serve_others(self, run: ScriptRun) -> None:
        """Redis's processEventsWhileBlocked without re-entering the loop: read what other clients sent
        straight from their sockets and run it (the busy gate answers most of it)."""
        poller = select.poll()
        by_fd = {}
        for conn in list(self.server.connections.values()):
            c = conn.client
            if c is None or c is run.caller or c.closed or c.fd < 0 or conn.reading_paused:
                continue
            by_fd[c.fd] = conn
            poller.register(c.fd, select.POLLIN)
        if not by_fd:
            return
        for fd, _ in poller.poll(0):
            conn = by_fd[fd]
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                continue
            if data:
                conn.data_received(data)

    def kill(self, eval_mode: bool) -> None:
        """SCRIPT KILL / FUNCTION KILL (Redis's scriptKill)."""
        run = self.run
        if run is None:
            raise NOTBUSY
        if run.wrote:
            raise UNKILLABLE
        if eval_mode and not run.eval_mode:
            raise BUSY_FUNCTION
        if not eval_mode and run.eval_mode:
            raise BUSY_EVAL
        run.kill = KILLED

    def run_load(self, func: Any) -> tuple[bool, Any]:
        self.run = ScriptRun(None, "", False, True, [])
        try:
            return self._run_load(func)
        finally:
            self.run = None

    # -- FUNCTION LOAD -------------------------------------------------------------------------------

    def _register(self, name: Any, callback: Any, flags: Any, description: Any, spec_table: Any) -> None:
        lib = self.registering
        if lib is None:
            raise ScriptError(b"ERR redis.register_function can only be called on FUNCTION LOAD command")
        try:
            lib.register(self, name, callback, flags, description, spec_table)
        except CommandError as e:
            raise ScriptError(e.text.encode("utf-8", "surrogateescape")) from None


class ScriptError(Exception):
    """An error raised into Lua from Python: an error table ``{err=message}`` (redis.call and the redis
    API) or, ``positioned``, a string prefixed with the script's line (the C libraries' luaL_error)."""

    def __init__(self, message: bytes, positioned: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.positioned = positioned


def _error_text(e: Any) -> tuple[bytes, bool | bytes]:
    """What the prelude's error handler makes of an exception raised by our Python side."""
    if isinstance(e, ScriptError):
        return e.message, e.positioned
    if isinstance(e, libs.LuaError):
        # "plain": a string error without the script's line (see LuaError)
        return str(e).encode("utf-8", "surrogateescape"), True if e.positioned else b"plain"
    log.error("internal error in a scripting callback: %r", e)
    return b"ERR internal error", False


SHEBANG_FLAGS = frozenset({"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"})


def parse_shebang(body: bytes) -> tuple[frozenset[str] | None, bytes]:
    """EVAL's ``#!lua flags=...`` first line (Redis's evalExtractShebangFlags): returns the flags (None
    without a shebang) and the code to compile, keeping the newline so line numbers stay right."""
    if not body.startswith(b"#!"):
        return None, body
    nl = body.find(b"\n")
    if nl < 0:
        raise CommandError("Invalid script shebang")
    parts = body[2:nl].split()
    if not parts or parts[0] != b"lua":
        engine = parts[0].decode("utf-8", "surrogateescape") if parts else ""
        raise CommandError(f"Unexpected engine in script shebang: {engine}")
    flags: set[str] = set()
    for part in parts[1:]:
        text = part.decode("utf-8", "surrogateescape")
        if not text.startswith("flags="):
            raise CommandError(f"Unknown lua shebang option: {text}")
        for flag in text[6:].split(","):
            if not flag:
                continue
            if flag not in SHEBANG_FLAGS:
                raise CommandError(f"Unexpected flag in script shebang: {flag}")
            flags.add(flag)
    return frozenset(flags), body[nl:]


def _nested_errors(reply: Any, found: list[CommandError]) -> None:
    """Collect the error replies inside a converted table reply (arrays, maps and sets, any depth)."""
    items = [part for pair in reply.pairs for part in pair] if reply.__class__ is Map else reply
    for item in items:
        if isinstance(item, CommandError):
            found.append(item)
        elif item.__class__ in (list, Map, SetReply):
            _nested_errors(item, found)
