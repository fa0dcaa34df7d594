"""Every configuration directive, declared once: name, kind, default, whether CONFIG SET may change it.

The same table serves the config-file loader (redis.conf syntax), the CLI flags, CONFIG GET (glob
patterns), CONFIG SET (several pairs, all-or-nothing), CONFIG REWRITE and CONFIG RESETSTAT's neighbours.
Parts of the server that depend on a directive subscribe with ``Config.watch(name, callback)``; the
callback runs on start-up and after each change, so there is one code path for both.

The list is Redis 7.0's: directives that have no meaning here (replication, TLS, cluster, threads...)
are accepted, validated by kind and reported back, as Redis does for tuning knobs it cannot apply.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from collections.abc import Callable
from typing import Any

from cacheserver.keyspace import notifications
from cacheserver.numbers import parse_double, parse_ll

BOOL = "bool"
INT = "int"
MEMORY = "memory"
ENUM = "enum"
STRING = "string"
SPECIAL = "special"

LLONG_MAX = (1 << 63) - 1
ULLONG_MAX = (1 << 64) - 1
INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
UINT_MAX = (1 << 32) - 1


class ConfigError(ValueError):
    """An invalid value; ``str()`` is the reason as Redis words it."""


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


def parse_memory(text: str) -> int:
    """``memtoull``, quirks included: ASCII digits then an optional k/kb/m/mb/g/gb/b unit (any case), no
    sign and no spaces; no digits at all reads as 0 ("" and "kb" are 0); an overflowing number saturates
    at ULLONG_MAX (strtoull), and the product with the unit wraps around 2**64 (C arithmetic)."""
    i = 0
    n = len(text)
    while i < n and "0" <= text[i] <= "9":
        i += 1
    mul = _UNITS.get(text[i:].lower())
    if mul is None or i >= 128:  # memtoull copies the digits into a 128-byte buffer
        raise ConfigError("argument must be a memory value")
    return (min(int(text[:i] or "0"), ULLONG_MAX) * mul) & ULLONG_MAX


def parse_int(text: str) -> int:
    """``string2ll``: an optional '-', digits without leading zeros, no spaces or '+', within int64."""
    try:
        v = parse_ll(text.encode("latin-1"))
    except UnicodeEncodeError:
        v = None
    if v is None:
        raise ConfigError("argument couldn't be parsed into an integer")
    return v


def parse_bool(text: str) -> bool:
    t = text.lower()
    if t == "yes":
        return True
    if t == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


# Values we accept beyond Redis's, left out of the error text so it stays Redis's (our eviction policies).
EXTRA_CHOICES: dict[str, tuple[str, ...]] = {
    "maxmemory-policy": (
        "allkeys-fifo", "volatile-fifo", "allkeys-sieve", "volatile-sieve", "allkeys-s3fifo", "volatile-s3fifo",
        "allkeys-tinylfu", "volatile-tinylfu",
    ),
}


class Directive:
    __slots__ = ("name", "kind", "default", "choices", "mutable", "lo", "hi", "aliases", "protected", "sensitive")

    def __init__(
        self,
        name: str,
        kind: str,
        default: str,
        choices: str = "",
        mutable: bool = True,
        lo: int | None = None,
        hi: int | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.default = default
        self.choices = tuple(choices.split())
        self.mutable = mutable
        self.lo = lo
        self.hi = hi
        self.aliases: list[str] = []
        self.protected = False  # CONFIG SET needs enable-protected-configs (dir, dbfilename)
        self.sensitive = False  # not echoed in logs (passwords)

    def parse(self, raw: str) -> Any:
        """Text -> value; raises ConfigError with Redis's reason."""
        kind = self.kind
        if kind == BOOL:
            return parse_bool(raw)
        if kind in (INT, MEMORY):
            v = parse_memory(raw) if kind == MEMORY else parse_int(raw)
            lo = self.lo if self.lo is not None else (0 if kind == MEMORY else -LLONG_MAX - 1)
            hi = self.hi if self.hi is not None else LLONG_MAX
            if not lo <= v <= hi:
                raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
            clamp = _CLAMPS.get(self.name)
            if clamp is not None:
                v = min(max(v, clamp[0]), clamp[1])
            return v
        if kind == ENUM:
            low = raw.lower()
            if low not in self.choices and low not in EXTRA_CHOICES.get(self.name, ()):
                raise ConfigError("argument(s) must be one of the following: " + ", ".join(self.choices))
            return low
        parser = _SPECIAL_PARSERS.get(self.name)
        return parser(raw) if parser else raw

    def format(self, value: Any) -> str:
        kind = self.kind
        if kind == BOOL:
            return "yes" if value else "no"
        if kind in (INT, MEMORY):
            return str(value)
        formatter = _SPECIAL_FORMATTERS.get(self.name)
        return formatter(value) if formatter else str(value)


# -- special directives -------------------------------------------------------------------------------


def _parse_save(raw: str) -> list[tuple[int, int]]:
    parts = raw.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    out = []
    for i in range(0, len(parts), 2):
        try:
            out.append((parse_int(parts[i]), parse_int(parts[i + 1])))
        except ConfigError:
            raise ConfigError("Invalid save parameters") from None
    return out


def _format_save(v: list[tuple[int, int]]) -> str:
    return " ".join(f"{a} {b}" for a, b in v)


_COB_CLASSES = ("normal", "slave", "pubsub")


def _parse_cob(raw: str) -> dict[str, tuple[int, int, int]]:
    if raw == "":
        return {}  # Redis accepts an empty value and changes nothing
    parts = raw.split()
    if not parts or len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    out = {}
    for i in range(0, len(parts), 4):
        cls = parts[i].lower()
        if cls == "replica":
            cls = "slave"
        if cls not in _COB_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
            secs = parse_int(parts[i + 3])
        except ConfigError:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
        if hard < 0 or soft < 0 or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        out[cls] = (hard, soft, secs)
    return out


def _format_cob(v: dict[str, tuple[int, int, int]]) -> str:
    return " ".join(f"{c} {v[c][0]} {v[c][1]} {v[c][2]}" for c in _COB_CLASSES if c in v)


def _parse_notify(raw: str) -> int:
    flags = notifications.parse_flags(raw)
    if flags is None:
        raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def _parse_int_list(count: int | None, what: str) -> Callable[[str], list[int]]:
    def parse(raw: str) -> list[int]:
        parts = raw.split()
        if count is not None and len(parts) != count:
            raise ConfigError(f"Invalid {what}")
        try:
            return [parse_int(p) for p in parts]
        except ConfigError:
            raise ConfigError(f"Invalid {what}") from None

    return parse


def _parse_percentiles(raw: str) -> list[float]:
    """Redis's latency-tracking-info-percentiles: values separated by single spaces (an empty value is
    an empty list), each read by ``string2d`` and within [0, 100]."""
    if raw == "":
        return []
    out = []
    for p in raw.split(" "):
        v = parse_double(p.encode("latin-1", "replace"))
        if v is None:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        if not 0.0 <= v <= 100.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        out.append(v)
    return out


def _format_percentiles(v: list[float]) -> str:
    """Each as "%f" with trailing zeros (and a bare point) trimmed, as Redis prints them."""
    return " ".join(("%f" % p).rstrip("0").rstrip(".") for p in v)


def _parse_dir(raw: str) -> str:
    path = os.path.abspath(os.path.expanduser(raw)) if raw else os.getcwd()
    if not os.path.isdir(path):
        raise ConfigError("No such file or directory")
    return path


def _parse_shutdown_flags(raw: str) -> str:
    words = raw.lower().split()
    allowed = {"default", "save", "nosave", "now", "force"}
    if not words or any(w not in allowed for w in words) or ("save" in words and "nosave" in words):
        raise ConfigError("argument(s) must be one of the following: default, save, nosave, now, force")
    return " ".join(words)


def _parse_octal(raw: str) -> int:
    try:
        return int(raw, 8)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None


def _parse_memory_or_percent(raw: str) -> str:
    """A memory value or a percentage (maxmemory-clients), as Redis's numeric configs with
    PERCENT_CONFIG read it: "N%" with 0 <= N <= 100, else a memory value; Redis keeps a percentage as a
    negative number, so a memory value of 2**63 or more reads as one (ULLONG_MAX is "1%")."""
    error = ConfigError("argument must be a memory or percent value")
    if len(raw) > 1 and raw.endswith("%"):
        try:
            pct = parse_int(raw[:-1])
        except ConfigError:
            pct = -1
        if pct >= 0:
            if pct > 100:
                raise ConfigError("percentage argument must be less or equal to 100")
            return f"{pct}%" if pct else "0"
    try:
        v = parse_memory(raw)
    except ConfigError:
        raise error from None
    if v > LLONG_MAX:  # a long long in Redis: negative, so a percentage
        pct = (1 << 64) - v
        if pct > 100:
            raise ConfigError("percentage argument must be less or equal to 100")
        return f"{pct}%"
    return str(v)


# proc-title-template's variables and whether each expands to something when Redis validates a
# template (the title itself is then empty; a standalone server's mode is empty too).
_PROC_TITLE_VARIABLES = {
    "title": False, "listen-addr": True, "server-mode": False, "port": True, "tls-port": True,
    "unixsocket": False, "config-file": False,
}


def _parse_proc_title(raw: str) -> str:
    """validateProcTitleTemplate: every ``{variable}`` known (``{{`` is a literal brace) and something
    left once expanded and trimmed of spaces."""
    error = ConfigError("template format is invalid or contains unknown variables")
    text = []
    i = 0
    while i < len(raw):
        start = raw.find("{", i)
        if start < 0:
            text.append(raw[i:])
            break
        text.append(raw[i:start])
        if start + 1 >= len(raw):
            raise error
        if raw[start + 1] == "{":
            text.append("{")
            i = start + 2
            continue
        end = raw.find("}", start + 1)
        if end < 0 or raw[start + 1 : end] not in _PROC_TITLE_VARIABLES:
            raise error
        if _PROC_TITLE_VARIABLES[raw[start + 1 : end]]:
            text.append("x")
        i = end + 1
    if not "".join(text).strip(" "):
        raise error
    return raw


_SPECIAL_PARSERS: dict[str, Callable[[str], Any]] = {
    "save": _parse_save,
    "client-output-buffer-limit": _parse_cob,
    "notify-keyspace-events": _parse_notify,
    "bind": lambda raw: raw.split(),
    "oom-score-adj-values": _parse_int_list(3, "oom-score-adj-values"),
    "latency-tracking-info-percentiles": _parse_percentiles,
    "dir": _parse_dir,
    "shutdown-on-sigint": _parse_shutdown_flags,
    "shutdown-on-sigterm": _parse_shutdown_flags,
    "unixsocketperm": _parse_octal,
    "maxmemory-clients": _parse_memory_or_percent,
    "proc-title-template": _parse_proc_title,
}

_SPECIAL_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "save": _format_save,
    "client-output-buffer-limit": _format_cob,
    "notify-keyspace-events": notifications.format_flags,
    "bind": lambda v: " ".join(v),
    "oom-score-adj-values": lambda v: " ".join(map(str, v)),
    "latency-tracking-info-percentiles": _format_percentiles,
    "unixsocketperm": lambda v: f"{v:o}" if v else "0",
}

# Redis 7.0's directives with their built-in defaults (``redis-server`` with no config file), except
# ``bind`` (loopback only), ``port``/``dir`` (filled in at start-up) and ``daemonize``.
DIRECTIVES: list[Directive] = [
    Directive("acl-pubsub-default", ENUM, "resetchannels", choices="allchannels resetchannels"),
    Directive("aclfile", STRING, "", mutable=False),
    Directive("acllog-max-len", INT, "128"),
    Directive("active-defrag-cycle-max", INT, "25"),
    Directive("active-defrag-cycle-min", INT, "1"),
    Directive("active-defrag-ignore-bytes", MEMORY, "104857600"),
    Directive("active-defrag-max-scan-fields", INT, "1000"),
    Directive("active-defrag-threshold-lower", INT, "10"),
    Directive("active-defrag-threshold-upper", INT, "100"),
    Directive("active-expire-effort", INT, "1"),
    Directive("activedefrag", BOOL, "no"),
    Directive("activerehashing", BOOL, "yes"),
    Directive("always-show-logo", BOOL, "no", mutable=False),
    Directive("aof-disable-auto-gc", BOOL, "no"),
    Directive("aof-load-truncated", BOOL, "yes"),
    Directive("aof-rewrite-incremental-fsync", BOOL, "yes"),
    Directive("aof-timestamp-enabled", BOOL, "no"),
    Directive("aof-use-rdb-preamble", BOOL, "yes"),
    Directive("aof_rewrite_cpulist", STRING, "", mutable=False),
    Directive("appenddirname", STRING, "appendonlydir", mutable=False),
    Directive("appendfilename", STRING, "appendonly.aof", mutable=False),
    Directive("appendfsync", ENUM, "everysec", choices="everysec always no"),
    Directive("appendonly", BOOL, "no"),
    Directive("auto-aof-rewrite-min-size", MEMORY, "67108864"),
    Directive("auto-aof-rewrite-percentage", INT, "100"),
    Directive("bgsave_cpulist", STRING, "", mutable=False),
    Directive("bind", SPECIAL, "* -::*"),
    Directive("bind-source-addr", STRING, ""),
    Directive("bio_cpulist", STRING, "", mutable=False),
    Directive("busy-reply-threshold", INT, "5000"),
    Directive(
        "client-output-buffer-limit", SPECIAL, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    ),
    Directive("client-query-buffer-limit", MEMORY, "1073741824"),
    Directive("cluster-allow-pubsubshard-when-down", BOOL, "yes"),
    Directive("cluster-allow-reads-when-down", BOOL, "no"),
    Directive("cluster-allow-replica-migration", BOOL, "yes"),
    Directive("cluster-announce-bus-port", INT, "0"),
    Directive("cluster-announce-hostname", STRING, ""),
    Directive("cluster-announce-ip", STRING, ""),
    Directive("cluster-announce-port", INT, "0"),
    Directive("cluster-announce-tls-port", INT, "0"),
    Directive("cluster-config-file", STRING, "nodes.conf", mutable=False),
    Directive("cluster-enabled", BOOL, "no", mutable=False),
    Directive("cluster-link-sendbuf-limit", MEMORY, "0"),
    Directive("cluster-migration-barrier", INT, "1"),
    Directive("cluster-node-timeout", INT, "15000"),
    Directive("cluster-port", INT, "0", mutable=False),
    Directive("cluster-preferred-endpoint-type", ENUM, "ip", choices="ip hostname unknown-endpoint"),
    Directive("cluster-replica-no-failover", BOOL, "no"),
    Directive("cluster-replica-validity-factor", INT, "10"),
    Directive("cluster-require-full-coverage", BOOL, "yes"),
    Directive("crash-log-enabled", BOOL, "yes"),
    Directive("crash-memcheck-enabled", BOOL, "yes"),
    Directive("daemonize", BOOL, "no", mutable=False),
    Directive("databases", INT, "16", mutable=False),
    Directive("dbfilename", STRING, "dump.rdb"),
    Directive("dir", SPECIAL, ""),
    Directive("disable-thp", BOOL, "yes", mutable=False),
    Directive("dynamic-hz", BOOL, "yes"),
    Directive("enable-debug-command", ENUM, "no", choices="no yes local", mutable=False),
    Directive("enable-module-command", ENUM, "no", choices="no yes local", mutable=False),
    Directive("enable-protected-configs", ENUM, "no", choices="no yes local", mutable=False),
    Directive("hash-max-listpack-entries", INT, "512"),
    Directive("hash-max-listpack-value", MEMORY, "64"),
    Directive("hll-sparse-max-bytes", MEMORY, "3000"),
    Directive("hz", INT, "10"),
    Directive("ignore-warnings", STRING, ""),
    Directive("io-threads", INT, "1", mutable=False),
    Directive("io-threads-do-reads", BOOL, "no", mutable=False),
    Directive("jemalloc-bg-thread", BOOL, "yes"),
    Directive("latency-monitor-threshold", INT, "0"),
    Directive("latency-tracking", BOOL, "yes"),
    Directive("latency-tracking-info-percentiles", SPECIAL, "50 99 99.9"),
    Directive("lazyfree-lazy-eviction", BOOL, "no"),
    Directive("lazyfree-lazy-expire", BOOL, "no"),
    Directive("lazyfree-lazy-server-del", BOOL, "no"),
    Directive("lazyfree-lazy-user-del", BOOL, "no"),
    Directive("lazyfree-lazy-user-flush", BOOL, "no"),
    Directive("lfu-decay-time", INT, "1"),
    Directive("lfu-log-factor", INT, "10"),
    Directive("list-compress-depth", INT, "0"),
    Directive("list-max-listpack-size", INT, "-2"),
    Directive("logfile", STRING, "", mutable=False),
    Directive("loglevel", ENUM, "notice", choices="debug verbose notice warning"),
    Directive("masterauth", STRING, ""),
    Directive("masteruser", STRING, ""),
    Directive("maxclients", INT, "10000"),
    Directive("maxmemory", MEMORY, "0"),
    Directive("maxmemory-clients", SPECIAL, "0"),
    Directive("maxmemory-eviction-tenacity", INT, "10"),
    Directive(
        "maxmemory-policy",
        ENUM,
        "noeviction",
        choices="volatile-lru volatile-lfu volatile-random volatile-ttl allkeys-lru allkeys-lfu allkeys-random noeviction",
    ),
    Directive("maxmemory-samples", INT, "5"),
    Directive("min-replicas-max-lag", INT, "10"),
    Directive("min-replicas-to-write", INT, "0"),
    Directive("no-appendfsync-on-rewrite", BOOL, "no"),
    Directive("notify-keyspace-events", SPECIAL, ""),
    Directive("oom-score-adj", ENUM, "no", choices="no yes relative absolute"),
    Directive("oom-score-adj-values", SPECIAL, "0 200 800"),
    Directive("pidfile", STRING, "/var/run/redis.pid", mutable=False),
    Directive("port", INT, "6379"),
    Directive("proc-title-template", SPECIAL, "{title} {listen-addr} {server-mode}"),
    Directive("propagation-error-behavior", ENUM, "ignore", choices="ignore panic panic-on-replicas"),
    Directive("protected-mode", BOOL, "yes"),
    Directive("proto-max-bulk-len", MEMORY, "536870912"),
    Directive("rdb-del-sync-files", BOOL, "no"),
    Directive("rdb-save-incremental-fsync", BOOL, "yes"),
    Directive("rdbchecksum", BOOL, "yes", mutable=False),
    Directive("rdbcompression", BOOL, "yes"),
    Directive("repl-backlog-size", MEMORY, "1048576"),
    Directive("repl-backlog-ttl", INT, "3600"),
    Directive("repl-disable-tcp-nodelay", BOOL, "no"),
    Directive("repl-diskless-load", ENUM, "disabled", choices="disabled on-empty-db swapdb"),
    Directive("repl-diskless-sync", BOOL, "yes"),
    Directive("repl-diskless-sync-delay", INT, "5"),
    Directive("repl-diskless-sync-max-replicas", INT, "0"),
    Directive("repl-ping-replica-period", INT, "10"),
    Directive("repl-timeout", INT, "60"),
    Directive("replica-announce-ip", STRING, ""),
    Directive("replica-announce-port", INT, "0"),
    Directive("replica-announced", BOOL, "yes"),
    Directive("replica-ignore-disk-write-errors", BOOL, "no"),
    Directive("replica-ignore-maxmemory", BOOL, "yes"),
    Directive("replica-lazy-flush", BOOL, "no"),
    Directive("replica-priority", INT, "100"),
    Directive("replica-read-only", BOOL, "yes"),
    Directive("replica-serve-stale-data", BOOL, "yes"),
    Directive("replicaof", SPECIAL, "", mutable=False),
    Directive("requirepass", STRING, ""),
    Directive("sanitize-dump-payload", ENUM, "no", choices="no yes clients"),
    Directive("save", SPECIAL, "3600 1 300 100 60 10000"),
    Directive("server_cpulist", STRING, "", mutable=False),
    Directive("set-max-intset-entries", INT, "512"),
    Directive("set-proc-title", BOOL, "yes", mutable=False),
    Directive("shutdown-on-sigint", SPECIAL, "default"),
    Directive("shutdown-on-sigterm", SPECIAL, "default"),
    Directive("shutdown-timeout", INT, "10"),
    Directive("slowlog-log-slower-than", INT, "10000"),
    Directive("slowlog-max-len", INT, "128"),
    Directive("socket-mark-id", INT, "0", mutable=False),
    Directive("stop-writes-on-bgsave-error", BOOL, "yes"),
    Directive("stream-node-max-bytes", MEMORY, "4096"),
    Directive("stream-node-max-entries", INT, "100"),
    Directive("supervised", ENUM, "no", choices="upstart systemd auto no", mutable=False),
    Directive("syslog-enabled", BOOL, "no", mutable=False),
    Directive(
        "syslog-facility",
        ENUM,
        "local0",
        choices="user local0 local1 local2 local3 local4 local5 local6 local7",
        mutable=False,
    ),
    Directive("syslog-ident", STRING, "redis", mutable=False),
    Directive("tcp-backlog", INT, "511", mutable=False),
    Directive("tcp-keepalive", INT, "300"),
    Directive("timeout", INT, "0"),
    Directive("tls-auth-clients", ENUM, "yes", choices="no yes optional"),
    Directive("tls-ca-cert-dir", STRING, ""),
    Directive("tls-ca-cert-file", STRING, ""),
    Directive("tls-cert-file", STRING, ""),
    Directive("tls-ciphers", STRING, ""),
    Directive("tls-ciphersuites", STRING, ""),
    Directive("tls-client-cert-file", STRING, ""),
    Directive("tls-client-key-file", STRING, ""),
    Directive("tls-client-key-file-pass", STRING, ""),
    Directive("tls-cluster", BOOL, "no"),
    Directive("tls-dh-params-file", STRING, ""),
    Directive("tls-key-file", STRING, ""),
    Directive("tls-key-file-pass", STRING, ""),
    Directive("tls-port", INT, "0"),
    Directive("tls-prefer-server-ciphers", BOOL, "no"),
    Directive("tls-protocols", STRING, ""),
    Directive("tls-replication", BOOL, "no"),
    Directive("tls-session-cache-size", INT, "20480"),
    Directive("tls-session-cache-timeout", INT, "300"),
    Directive("tls-session-caching", BOOL, "yes"),
    Directive("tracking-table-max-keys", INT, "1000000"),
    Directive("unixsocket", STRING, "", mutable=False),
    Directive("unixsocketperm", SPECIAL, "0", mutable=False),
    Directive("zset-max-listpack-entries", INT, "128"),
    Directive("zset-max-listpack-value", MEMORY, "64"),
]

ALIASES = {
    "hash-max-ziplist-entries": "hash-max-listpack-entries",
    "hash-max-ziplist-value": "hash-max-listpack-value",
    "zset-max-ziplist-entries": "zset-max-listpack-entries",
    "zset-max-ziplist-value": "zset-max-listpack-value",
    "list-max-ziplist-size": "list-max-listpack-size",
    "slaveof": "replicaof",
    "lua-time-limit": "busy-reply-threshold",
    "slave-announce-ip": "replica-announce-ip",
    "slave-announce-port": "replica-announce-port",
    "slave-ignore-maxmemory": "replica-ignore-maxmemory",
    "slave-lazy-flush": "replica-lazy-flush",
    "slave-priority": "replica-priority",
    "slave-read-only": "replica-read-only",
    "slave-serve-stale-data": "replica-serve-stale-data",
    "min-slaves-max-lag": "min-replicas-max-lag",
    "min-slaves-to-write": "min-replicas-to-write",
    "repl-ping-slave-period": "repl-ping-replica-period",
    "cluster-slave-no-failover": "cluster-replica-no-failover",
    "cluster-slave-validity-factor": "cluster-replica-validity-factor",
}

BY_NAME: dict[str, Directive] = {d.name: d for d in DIRECTIVES}
for _alias, _target in ALIASES.items():
    BY_NAME[_target].aliases.append(_alias)

_BOUNDS = {
    "acllog-max-len": (0, LLONG_MAX),
    "active-defrag-cycle-max": (1, 99),
    "active-defrag-cycle-min": (1, 99),
    "active-defrag-ignore-bytes": (1, LLONG_MAX),
    "active-defrag-max-scan-fields": (1, LLONG_MAX),
    "active-defrag-threshold-lower": (0, 1000),
    "active-defrag-threshold-upper": (0, 1000),
    "active-expire-effort": (1, 10),
    "auto-aof-rewrite-min-size": (0, LLONG_MAX),
    "auto-aof-rewrite-percentage": (0, INT_MAX),
    "busy-reply-threshold": (0, LLONG_MAX),
    "client-query-buffer-limit": (1048576, LLONG_MAX),
    "cluster-announce-bus-port": (0, 65535),
    "cluster-announce-port": (0, 65535),
    "cluster-announce-tls-port": (0, 65535),
    "cluster-link-sendbuf-limit": (0, ULLONG_MAX),
    "cluster-migration-barrier": (0, INT_MAX),
    "cluster-node-timeout": (0, LLONG_MAX),
    "cluster-port": (0, 65535),
    "cluster-replica-validity-factor": (0, INT_MAX),
    "databases": (1, INT_MAX),
    "hash-max-listpack-entries": (0, LLONG_MAX),
    "hash-max-listpack-value": (0, LLONG_MAX),
    "hll-sparse-max-bytes": (0, LLONG_MAX),
    "hz": (0, INT_MAX),
    "io-threads": (1, 128),
    "latency-monitor-threshold": (0, LLONG_MAX),
    "lfu-decay-time": (0, INT_MAX),
    "lfu-log-factor": (0, INT_MAX),
    "list-compress-depth": (0, INT_MAX),
    "list-max-listpack-size": (INT_MIN, INT_MAX),
    "maxclients": (1, UINT_MAX),
    "maxmemory": (0, ULLONG_MAX),
    "maxmemory-eviction-tenacity": (0, 100),
    "maxmemory-samples": (1, INT_MAX),
    "min-replicas-max-lag": (0, INT_MAX),
    "min-replicas-to-write": (0, INT_MAX),
    "port": (0, 65535),
    "proto-max-bulk-len": (1048576, LLONG_MAX),
    "repl-backlog-size": (1, LLONG_MAX),
    "repl-backlog-ttl": (0, LLONG_MAX),
    "repl-diskless-sync-delay": (0, INT_MAX),
    "repl-diskless-sync-max-replicas": (0, INT_MAX),
    "repl-ping-replica-period": (1, INT_MAX),
    "repl-timeout": (1, INT_MAX),
    "replica-announce-port": (0, 65535),
    "replica-priority": (0, INT_MAX),
    "set-max-intset-entries": (0, LLONG_MAX),
    "shutdown-timeout": (0, INT_MAX),
    "slowlog-log-slower-than": (-1, LLONG_MAX),
    "slowlog-max-len": (0, LLONG_MAX),
    "socket-mark-id": (0, UINT_MAX),
    "stream-node-max-bytes": (0, LLONG_MAX),
    "stream-node-max-entries": (0, LLONG_MAX),
    "tcp-backlog": (0, INT_MAX),
    "tcp-keepalive": (0, INT_MAX),
    "timeout": (0, INT_MAX),
    "tls-port": (0, 65535),
    "tls-session-cache-size": (0, INT_MAX),
    "tls-session-cache-timeout": (0, INT_MAX),
    "tracking-table-max-keys": (0, LLONG_MAX),
    "zset-max-listpack-entries": (0, LLONG_MAX),
    "zset-max-listpack-value": (0, LLONG_MAX),
}
for _name, (_lo, _hi) in _BOUNDS.items():
    BY_NAME[_name].lo, BY_NAME[_name].hi = _lo, _hi
# Redis stores hz clamped to [CONFIG_MIN_HZ, CONFIG_MAX_HZ]; CONFIG GET shows the clamped value.
_CLAMPS = {"hz": (1, 500), "repl-backlog-size": (16384, LLONG_MAX)}  # (Redis's apply functions)
for _name in ("dir", "dbfilename"):
    BY_NAME[_name].protected = True
for _name in ("requirepass", "masterauth", "masteruser"):
    BY_NAME[_name].sensitive = True
BY_NAME["bind"].default = "127.0.0.1"
BY_NAME["port"].default = "6379"


def canonical(name: str) -> Directive | None:
    name = name.lower()
    return BY_NAME.get(ALIASES.get(name, name))


class Config:
    """The live configuration: typed values plus subscribers notified on change."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._watchers: dict[str, list[Callable[[Any], None]]] = {}
        self.source_file: str | None = None
        self.source_lines: list[str] = []
        for d in DIRECTIVES:
            self.values[d.name] = d.parse(d.default)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def watch(self, name: str, callback: Callable[[Any], None], call_now: bool = True) -> None:
        self._watchers.setdefault(name, []).append(callback)
        if call_now:
            callback(self.values[name])

    def format(self, name: str) -> str:
        return BY_NAME[name].format(self.values[name])

    def set_value(self, name: str, raw: str, startup: bool = False) -> None:
        """Validate and store one directive (by name or alias); notify its watchers."""
        d = canonical(name)
        if d is None:
            raise ConfigError("unknown directive")
        if not startup and not d.mutable:
            raise ConfigError("can't set immutable config")
        value = self._merged(d, d.parse(raw))
        self.values[d.name] = value
        for cb in self._watchers.get(d.name, ()):
            cb(value)

    def _merged(self, d: Directive, value: Any) -> Any:
        """client-output-buffer-limit changes only the classes it names, as in Redis."""
        if d.name == "client-output-buffer-limit":
            return {**self.values[d.name], **value}
        return value

    def set_many(self, pairs: list[tuple[str, str]], allow_protected: bool = False) -> None:
        """CONFIG SET semantics: all pairs are validated before any is applied; on a failure in a
        watcher the earlier values are restored. Raises ConfigError naming the offending argument."""
        seen = set()
        parsed: list[tuple[Directive, Any, str]] = []
        for name, raw in pairs:
            d = canonical(name)
            if d is None:
                raise ConfigUnknown(name)
            if d.name in seen:
                raise ConfigArgError(name, "duplicate parameter")
            seen.add(d.name)
            if not d.mutable:
                raise ConfigArgError(name, "can't set immutable config")
            if d.protected and not allow_protected:
                raise ConfigArgError(name, "can't set protected config")
            try:
                parsed.append((d, self._merged(d, d.parse(raw)), name))
            except ConfigError as e:
                raise ConfigArgError(name, str(e)) from None
        old = {d.name: self.values[d.name] for d, _, _ in parsed}
        applied: list[Directive] = []
        failing = ""
        try:
            for d, value, name in parsed:
                failing = name
                self.values[d.name] = value
                applied.append(d)
                for cb in self._watchers.get(d.name, ()):
                    cb(value)
        except ConfigError as e:
            for d in applied:
                self.values[d.name] = old[d.name]
                for cb in self._watchers.get(d.name, ()):
                    cb(old[d.name])
            raise ConfigArgError(failing, str(e)) from None

    def matching(self, pattern: str) -> list[tuple[str, str]]:
        """(name, value) pairs for CONFIG GET: exact names and aliases, or glob patterns."""
        pattern = pattern.lower()
        out: dict[str, str] = {}
        if not any(ch in pattern for ch in "*?["):
            d = canonical(pattern)
            if d is not None:
                out[pattern] = self.format(d.name)
            return list(out.items())
        for d in DIRECTIVES:
            for name in (d.name, *d.aliases):
                if fnmatch.fnmatchcase(name, pattern):
                    out[name] = self.format(d.name)
        return list(out.items())

    # -- config files ----------------------------------------------------------------------------------

    def load_file(self, path: str, _depth: int = 0) -> None:
        """Apply a redis.conf-style file; raises ConfigFileError naming file, line and directive."""
        if _depth == 0:
            self.source_file = os.path.abspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ConfigFileError(path, 0, "", f"Fatal error, can't open config file '{path}': {e.strerror}") from None
        if _depth == 0:
            self.source_lines = lines
        for lineno, line in enumerate(lines, 1):
            self._apply_line(path, lineno, line, _depth)

    def apply_text(self, text: str, origin: str = "(command line)") -> None:
        for lineno, line in enumerate(text.splitlines(), 1):
            self._apply_line(origin, lineno, line, 0)

    def _apply_line(self, path: str, lineno: int, line: str, depth: int) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        try:
            words = shlex.split(stripped, comments=False, posix=True)
        except ValueError:
            raise ConfigFileError(path, lineno, line, "Unbalanced quotes in configuration line") from None
        name, args = words[0].lower(), words[1:]
        if name == "include":
            if len(args) != 1:
                raise ConfigFileError(path, lineno, line, "Bad directive or wrong number of arguments")
            target = args[0]
            if not os.path.isabs(target):
                target = os.path.join(os.path.dirname(os.path.abspath(path)), target)
            if depth > 16:
                raise ConfigFileError(path, lineno, line, "Too many nested includes")
            self.load_file(target, depth + 1)
            return
        d = canonical(name)
        if d is None or (not args and d.kind != STRING and d.name != "save"):
            raise ConfigFileError(path, lineno, line, "Bad directive or wrong number of arguments")
        raw = " ".join(args) if d.kind == SPECIAL or len(args) > 1 else (args[0] if args else "")
        if d.kind not in (SPECIAL, STRING) and len(args) != 1:
            raise ConfigFileError(path, lineno, line, "Bad directive or wrong number of arguments")
        try:
            self.set_value(d.name, raw, startup=True)
        except ConfigError as e:
            raise ConfigFileError(path, lineno, line, str(e)) from None

    def rewrite(self) -> None:
        """CONFIG REWRITE: update the loaded file in place, keeping comments and unknown lines; directives
        that differ from their defaults and are not in the file are appended."""
        if not self.source_file:
            raise ConfigError("The server is running without a config file")
        written: set[str] = set()
        out: list[str] = []
        for line in self.source_lines:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                out.append(line)
                continue
            try:
                name = shlex.split(stripped)[0].lower()
            except ValueError:
                out.append(line)
                continue
            d = canonical(name)
            if d is None or name == "include":
                out.append(line)
                continue
            if d.name in written:
                continue
            written.add(d.name)
            out.append(self._line_for(d))
        for d in DIRECTIVES:
            if d.name in written or d.name in ("port", "dir"):
                continue
            if self.values[d.name] != Config._default_value(d):
                out.append(self._line_for(d))
        tmp = self.source_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
        os.replace(tmp, self.source_file)
        self.source_lines = out

    def _line_for(self, d: Directive) -> str:
        text = self.format(d.name)
        if not text:
            return f'{d.name} ""'  # an empty value must survive the reload (save "", bind "")
        if d.kind in (STRING, ENUM) and any(c.isspace() or c in "\"'" for c in text):
            return f"{d.name} {shlex.quote(text)}"
        return f"{d.name} {text}"

    @staticmethod
    def _default_value(d: Directive) -> Any:
        try:
            return d.parse(d.default)
        except ConfigError:
            return d.default


class ConfigArgError(ConfigError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


class ConfigUnknown(ConfigError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class ConfigFileError(Exception):
    """A bad line in a config file: ``str()`` is the message printed before exiting."""

    def __init__(self, path: str, lineno: int, line: str, reason: str) -> None:
        self.path, self.lineno, self.line, self.reason = path, lineno, line, reason
        words = line.split()
        self.directive = words[0].lower() if words else ""
        if lineno:
            text = (
                f"\n*** FATAL CONFIG FILE ERROR ***\n"
                f"Reading the configuration file {path}, at line {lineno}\n>>> '{line.strip()}'\n"
                f"Directive '{self.directive}': {reason}"
            )
        else:
            text = reason
        super().__init__(text)
