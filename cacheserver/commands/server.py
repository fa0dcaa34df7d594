"""Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, INFO, CONFIG, TIME, LASTSAVE, MONITOR, SLOWLOG,
SHUTDOWN, WAIT, DEBUG.

MONITOR costs nothing while nobody monitors: its feed is a server gate, registered with the first
monitor and removed with the last. DEBUG is refused unless ``enable-debug-command`` allows it, with
Redis's text.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.config import ConfigArgError, ConfigError, ConfigUnknown
from cacheserver.errors import CommandError
from cacheserver.numbers import parse_ll
from cacheserver.protocol.replies import NO_REPLY, OK, Map, Verbatim
from cacheserver.stats import render_info, reset_stats

log = logging.getLogger("cacheserver")


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise errors.SYNTAX


@command(
    "flushall",
    -1,
    flags="write",
    group="server",
    acl="@keyspace @dangerous",
    tips="request_policy:all_shards response_policy:all_succeeded",
    summary="Delete every key of every database.",
    complexity="O(N) where N is the total number of keys in all databases",
    syntax="[ASYNC | SYNC]",
)
def flushall(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ks = c.server.keyspace
    ks.dirty += ks.flush_all() + 1
    if ks.tracking is not None:
        ks.tracking.flushed()
    return OK


@command(
    "flushdb",
    -1,
    flags="write",
    group="server",
    acl="@keyspace @dangerous",
    tips="request_policy:all_shards response_policy:all_succeeded",
    summary="Delete every key of the selected database.",
    complexity="O(N) where N is the number of keys in the selected database",
    syntax="[ASYNC | SYNC]",
)
def flushdb(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ks = c.server.keyspace
    ks.dirty += c.db.clear() + 1
    if ks.tracking is not None:
        ks.tracking.flushed()
    return OK


@command(
    "dbsize",
    1,
    flags="readonly fast",
    group="server",
    acl="@keyspace",
    tips="request_policy:all_shards response_policy:agg_sum",
    summary="Return the number of keys in the selected database.",
    complexity="O(1)",
)
def dbsize(c: Any, argv: list[bytes]) -> int:
    return len(c.db.data)


# -- INFO ------------------------------------------------------------------------------------------------


@command(
    "info",
    -1,
    flags="loading stale",
    group="server",
    summary="Report the server's state and statistics, by section.",
    complexity="O(1)",
    syntax="[section [section ...]]",
    acl="@dangerous",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
)
def info(c: Any, argv: list[bytes]) -> Any:
    text = render_info(c.server, [a.decode("utf-8", "surrogateescape") for a in argv[1:]])
    return Verbatim(text.encode())


# -- CONFIG ----------------------------------------------------------------------------------------------

CONFIG = container(
    "config",
    group="server",
    since="2.0.0",
    summary="A container for server configuration commands.",
    complexity="Depends on subcommand.",
)


@command(
    "config|get",
    -3,
    flags="admin noscript loading stale",
    group="server",
    since="2.0.0",
    summary="Return the directives matching the glob patterns, with their values.",
    complexity="O(N) when N is the number of configuration parameters provided",
    syntax="parameter [parameter ...]",
)
def config_get(c: Any, argv: list[bytes]) -> Any:
    cfg = c.server.config
    pairs: dict[bytes, bytes] = {}
    for pattern in argv[2:]:
        for name, value in cfg.matching(pattern.decode("utf-8", "surrogateescape")):
            pairs.setdefault(name.encode(), value.encode("utf-8", "surrogateescape"))
    return Map(list(pairs.items()))


@command(
    "config|set",
    -4,
    flags="admin noscript loading stale",
    group="server",
    since="2.0.0",
    tips="request_policy:all_nodes response_policy:all_succeeded",
    summary="Change directives at run time; all pairs are applied or none.",
    complexity="O(N) when N is the number of configuration parameters provided",
    syntax="parameter value [parameter value ...]",
)
def config_set(c: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise errors.SYNTAX
    pairs = [
        (argv[i].decode("utf-8", "surrogateescape"), argv[i + 1].decode("utf-8", "surrogateescape"))
        for i in range(2, len(argv), 2)
    ]
    cfg = c.server.config
    try:
        cfg.set_many(pairs, allow_protected=_protected_allowed(c, cfg["enable-protected-configs"]))
    except ConfigUnknown as e:
        raise CommandError(f"Unknown option or number of arguments for CONFIG SET - '{e.name}'") from None
    except ConfigArgError as e:
        raise CommandError(f"CONFIG SET failed (possibly related to argument '{e.name}') - {e.reason}") from None
    return OK


def _is_local(c: Any) -> bool:
    return c.unix or c.addr.startswith("127.") or c.addr.startswith("::1:")


def _protected_allowed(c: Any, setting: str) -> bool:
    return setting == "yes" or (setting == "local" and _is_local(c))


@command(
    "config|resetstat",
    2,
    flags="admin noscript loading stale",
    group="server",
    since="2.0.0",
    summary="Reset the statistics INFO reports.",
    complexity="O(1)",
)
def config_resetstat(c: Any, argv: list[bytes]) -> Any:
    reset_stats(c.server)
    return OK


@command(
    "config|rewrite",
    2,
    flags="admin noscript loading stale",
    group="server",
    since="2.8.0",
    summary="Write the running configuration back to the config file.",
    complexity="O(1)",
)
def config_rewrite(c: Any, argv: list[bytes]) -> Any:
    try:
        c.server.config.rewrite()
    except ConfigError as e:
        raise CommandError(str(e)) from None
    except OSError as e:
        raise CommandError(f"Rewriting config file: {e.strerror}") from None
    return OK


CONFIG_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
]


@command(
    "config|help",
    2,
    flags="loading stale",
    group="server",
    since="5.0.0",
    summary="Describe the CONFIG subcommands.",
    complexity="O(1)",
)
def config_help(c: Any, argv: list[bytes]) -> Any:
    return list(CONFIG_HELP)


# -- databases, time -------------------------------------------------------------------------------------


@command(
    "swapdb",
    3,
    flags="write fast",
    group="server",
    acl="@keyspace @dangerous",
    since="4.0.0",
    summary="Exchange the contents of two databases.",
    complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.",
    syntax="index1 index2",
)
def swapdb(c: Any, argv: list[bytes]) -> Any:
    a = parse_ll(argv[1])
    if a is None:
        raise CommandError("invalid first DB index")
    b = parse_ll(argv[2])
    if b is None:
        raise CommandError("invalid second DB index")
    dbs = c.server.keyspace.dbs
    if not (0 <= a < len(dbs) and 0 <= b < len(dbs)):
        raise errors.DB_INDEX_OUT_OF_RANGE
    if a != b:
        dbs[a].swap_contents(dbs[b])
        c.server.keyspace.dirty += 1
    return OK


@command(
    "time",
    1,
    flags="loading stale fast",
    group="server",
    since="2.6.0",
    summary="Return the server's clock: seconds and microseconds.",
    complexity="O(1)",
    tips="nondeterministic_output",
)
def time_(c: Any, argv: list[bytes]) -> Any:
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command(
    "lastsave",
    1,
    flags="loading stale fast",
    group="server",
    since="1.0.0",
    acl="@admin @dangerous",
    summary="Return the Unix time of the last successful save.",
    complexity="O(1)",
    tips="nondeterministic_output",
)
def lastsave(c: Any, argv: list[bytes]) -> int:
    return c.server.last_save


@command(
    "wait",
    3,
    flags="noscript",
    group="generic",
    since="3.0.0",
    tips="request_policy:all_shards response_policy:agg_min",
    summary="Wait for replicas to acknowledge this connection's writes (there are none: 0).",
    complexity="O(1)",
    syntax="numreplicas timeout",
)
def wait(c: Any, argv: list[bytes]) -> int:
    if parse_ll(argv[1]) is None:
        raise errors.NOT_INTEGER
    timeout = parse_ll(argv[2])
    if timeout is None:
        raise CommandError("timeout is not an integer or out of range")
    if timeout < 0:
        raise CommandError("timeout is negative")
    return 0


# WAIT is documented in the generic group but its ACL category is @connection, not @keyspace.
wait.specs[0].acl = ("@slow", "@connection")  # type: ignore[attr-defined]


# -- MONITOR ---------------------------------------------------------------------------------------------


def _repr_arg(a: bytes) -> str:
    """sdscatrepr: a double-quoted string with C escapes and \\xHH for other bytes."""
    out = ['"']
    for ch in a:
        if ch == 0x5C:
            out.append("\\\\")
        elif ch == 0x22:
            out.append('\\"')
        elif ch == 0x0A:
            out.append("\\n")
        elif ch == 0x0D:
            out.append("\\r")
        elif ch == 0x09:
            out.append("\\t")
        elif ch == 0x07:
            out.append("\\a")
        elif ch == 0x08:
            out.append("\\b")
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append(f"\\x{ch:02x}")
    out.append('"')
    return "".join(out)


# Commands a client inside MULTI runs at once and monitors see at once (not queued, not EXEC).
_SHOWN_IN_MULTI = frozenset({"multi", "discard", "watch", "quit", "reset"})


_MONITOR_DENIED = CommandError("MONITOR isn't allowed for DENY BLOCKING client")


class MonitorFeed:
    """A server gate, registered while MONITOR clients exist, that sends them each command line."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def check(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        if c.multi is not None and (spec.parent or spec).name not in _SHOWN_IN_MULTI:
            return None  # queued: EXEC feeds it when it runs, then EXEC itself (transactions.py), as 7.0
        self.feed(c, spec, argv)
        return None

    def feed(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        """Send one command line to the monitors (unless the command is hidden from them)."""
        server = self.server
        if not server.monitors or c.is_monitor:
            return
        # ``spec`` is the subcommand's when there is one: the dispatcher and EXEC resolve it first.
        # (EVAL, EVALSHA and FCALL are skip_monitor in Redis only because they feed their own line
        # before running, as this gate does for every command: they are shown.)
        if "admin" in spec.flags:
            return
        self._send(c.db.index, f"unix:{c.addr[:-2]}" if c.unix else c.addr, argv)

    def feed_script(self, db_index: int, argv: list[bytes]) -> None:
        """A command a script runs, shown as ``[<db> lua]`` after the script's own line."""
        self._send(db_index, "lua", argv)

    def _send(self, db_index: int, where: str, argv: list[bytes]) -> None:
        line = f"+{time.time():.6f} [{db_index} {where}] {' '.join(_repr_arg(a) for a in argv)}\r\n"
        data = line.encode("utf-8", "surrogateescape")
        for m in self.server.monitors:
            if not m.closed:
                m.send(data)

    def drop(self, c: Any) -> None:
        server = self.server
        c.is_monitor = False
        if c in server.monitors:
            server.monitors.remove(c)
            if not server.monitors:
                server.remove_gate(self.check)


@command(
    "monitor",
    1,
    flags="admin noscript loading stale",
    group="server",
    since="1.0.0",
    summary="Stream every command the server runs to this connection.",
    complexity="",
)
def monitor(c: Any, argv: list[bytes]) -> Any:
    server = c.server
    if c.multi is not None:  # running inside EXEC, which expects one reply per command
        raise _MONITOR_DENIED
    if c.is_monitor:
        return OK
    feed = getattr(server, "monitor_feed", None)
    if feed is None:
        feed = server.monitor_feed = MonitorFeed(server)
        server.disconnect_hooks.append(feed.drop)
        server.reset_hooks.append(feed.drop)
    c.is_monitor = True
    server.monitors.append(c)
    server.add_gate(feed.check)
    return OK


# -- SLOWLOG ---------------------------------------------------------------------------------------------

SLOWLOG = container(
    "slowlog",
    group="server",
    since="2.2.12",
    summary="A container for slow log commands.",
    complexity="Depends on subcommand.",
)


@command(
    "slowlog|get",
    -2,
    flags="admin loading stale",
    group="server",
    since="2.2.12",
    summary="Return the most recent slow log entries.",
    complexity="O(N) where N is the number of entries returned",
    syntax="[count]",
    tips="request_policy:all_nodes nondeterministic_output",
)
def slowlog_get(c: Any, argv: list[bytes]) -> Any:
    count = 10
    if len(argv) > 3:
        raise errors.wrong_arity("slowlog|get")
    if len(argv) == 3:
        n = parse_ll(argv[2])
        if n is None or n < -1:
            raise CommandError("count should be greater than or equal to -1")
        count = n if n != -1 else len(c.server.slowlog)
    out = []
    for entry in list(c.server.slowlog)[:count]:
        out.append([entry.id, entry.timestamp, entry.duration_us, list(entry.argv), entry.addr.encode(), entry.name])
    return out


@command(
    "slowlog|len",
    2,
    flags="admin loading stale",
    group="server",
    since="2.2.12",
    summary="Return how many entries the slow log holds.",
    complexity="O(1)",
    tips="request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
)
def slowlog_len(c: Any, argv: list[bytes]) -> int:
    return len(c.server.slowlog)


@command(
    "slowlog|reset",
    2,
    flags="admin loading stale",
    group="server",
    since="2.2.12",
    summary="Empty the slow log.",
    complexity="O(N) where N is the number of entries in the slowlog",
    tips="request_policy:all_nodes response_policy:all_succeeded",
)
def slowlog_reset(c: Any, argv: list[bytes]) -> Any:
    c.server.slowlog.clear()
    return OK


SLOWLOG_HELP = [
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
]


@command(
    "slowlog|help",
    2,
    flags="loading stale",
    group="server",
    since="6.2.0",
    summary="Describe the SLOWLOG subcommands.",
    complexity="O(1)",
)
def slowlog_help(c: Any, argv: list[bytes]) -> Any:
    return list(SLOWLOG_HELP)


# -- SHUTDOWN --------------------------------------------------------------------------------------------


@command(
    "shutdown",
    -1,
    flags="admin noscript loading stale no_multi allow_busy",
    group="server",
    since="1.0.0",
    summary="Stop the server: close every connection and exit.",
    complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
    syntax="[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
)
def shutdown(c: Any, argv: list[bytes]) -> Any:
    save = nosave = abort = False
    for a in argv[1:]:
        opt = a.upper()
        if opt == b"NOSAVE":
            nosave = True
        elif opt == b"SAVE":
            save = True
        elif opt in (b"NOW", b"FORCE"):
            pass
        elif opt == b"ABORT":
            abort = True
        else:
            raise errors.SYNTAX
    if (abort and len(argv) != 2) or (save and nosave):
        raise errors.SYNTAX
    if abort:
        raise CommandError("No shutdown in progress.")
    c.server.request_shutdown()
    c.close_after_reply = True
    return NO_REPLY


# -- DEBUG -----------------------------------------------------------------------------------------------

DEBUG_DISABLED = CommandError(
    'DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a '
    "local connection, otherwise you need to set this option in the configuration file, and then restart the server."
)

DEBUG_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory (not available: no persistence yet).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Accepted for compatibility; encodings are not tunable here.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
]

# Subcommands accepted as no-ops (encoding and allocator tuning that has no meaning here): name -> arity.
_DEBUG_NOOPS = {
    b"quicklist-packed-threshold": 3,
    b"set-skip-checksum-validation": 3,
    b"pause-cron": 3,
    b"change-repl-id": 2,
    b"stringmatch-len": -2,
    b"replybuffer": 4,
    b"set-disable-deny-scripts": 3,
    b"dict-resizing": 3,
}


def _atof(raw: bytes) -> float:
    """C atof: the longest numeric prefix, 0 when there is none."""
    text = raw.decode("latin-1").strip()
    for end in range(len(text), 0, -1):
        try:
            return float(text[:end])
        except ValueError:
            continue
    return 0.0


def _atoi(raw: bytes) -> int:
    text = raw.decode("latin-1").strip()
    end = 0
    if text[:1] in ("-", "+"):
        end = 1
    while end < len(text) and text[end].isdigit():
        end += 1
    try:
        return int(text[:end])
    except ValueError:
        return 0


def _value_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, int):
        return b"%d" % value
    dump = getattr(value, "digest_bytes", None)
    return dump() if callable(dump) else repr(value).encode()


def _digest_value(value: Any) -> bytes:
    return hashlib.sha1(_value_bytes(value)).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _encoding(value: Any) -> str:
    if isinstance(value, int):
        return "int"
    if isinstance(value, bytes):
        return "embstr" if len(value) <= 44 else "raw"
    if isinstance(value, bytearray):
        return "raw"
    return getattr(value, "encoding", "unknown") if not callable(getattr(value, "encoding", None)) else value.encoding()


@command(
    "debug",
    -2,
    flags="admin noscript loading stale",
    group="server",
    since="1.0.0",
    summary="Tools for testing and troubleshooting the server.",
    complexity="Depends on subcommand.",
    syntax="subcommand [argument ...]",
    doc_flags="syscmd",
)
def debug(c: Any, argv: list[bytes]) -> Any:
    server = c.server
    setting = server.config["enable-debug-command"]
    if not _protected_allowed(c, setting):
        raise DEBUG_DISABLED
    sub = argv[1].lower()
    n = len(argv)
    ks = server.keyspace
    if sub == b"help":
        return list(DEBUG_HELP)
    if sub == b"sleep" and n == 3:
        time.sleep(max(0.0, _atof(argv[2])))
        return OK
    if sub == b"error" and n == 3:
        e = CommandError(errors.arg_text(argv[2], 1 << 30).split(" ", 1)[-1], errors.arg_text(argv[2]).split(" ", 1)[0])
        e._encoded = b"-" + argv[2].replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"
        raise e
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"set-active-expire" and n == 3:
        ks.active_expire_enabled = _atoi(argv[2]) != 0
        return OK
    if sub in (b"object", b"listpack", b"quicklist", b"sdslen") and n >= 3:
        value = c.db.peek(argv[2])
        if value is None:
            raise errors.NO_SUCH_KEY
        if sub != b"object":
            return OK
        stamp = c.db.lru.get(argv[2], server.clock.lru)
        idle = max(0, server.clock.lru - stamp)
        return (
            f"Value at:0x{id(value):x} refcount:1 encoding:{_encoding(value)} "
            f"serializedlength:{len(_value_bytes(value))} lru:{stamp} lru_seconds_idle:{idle}"
        )
    if sub == b"digest" and n == 2:
        digest = bytes(20)
        for db in ks.dbs:
            for key in db.live_keys():
                h = hashlib.sha1(b"%d:" % db.index + key + _digest_value(db.data[key])).digest()
                digest = _xor(digest, h)
        return digest.hex()
    if sub == b"digest-value" and n >= 2:
        out = []
        for key in argv[2:]:
            value = c.db.peek(key)
            out.append((bytes(20) if value is None else _digest_value(value)).hex())
        return out
    if sub == b"reload":
        raise CommandError("DEBUG RELOAD is not available: this server has no persistence yet")
    arity = _DEBUG_NOOPS.get(sub)
    if arity is not None and (n == arity or (arity < 0 and n >= -arity)):
        return OK
    raise CommandError(
        f"unknown subcommand or wrong number of arguments for '{errors.arg_text(argv[1])}'. Try DEBUG HELP."
    )


@command(
    "role",
    1,
    flags="noscript loading stale fast",
    group="server",
    since="2.8.12",
    acl="@admin @dangerous",
    summary="Return this server's replication role: a master without replicas.",
    complexity="O(1)",
)
def role(c: Any, argv: list[bytes]) -> list:
    # A master without replicas: replication offset 0 (this server neither replicates nor persists).
    return [b"master", 0, []]

