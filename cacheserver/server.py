"""Server: the event loop, listeners, cron, clients and shared state; graceful start and shutdown.

``Server`` owns everything a command may reach through ``client.server``: config, clock, keyspace,
command table and dispatcher, connected clients, stats, slow log, monitors. It is started either by
``run()`` (the CLI: picks uvloop when installed, installs SIGINT/SIGTERM handlers, blocks until
shutdown) or by ``start()``/``stop()`` inside an existing loop (tests embed it that way).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cacheserver import __version__, errors
from cacheserver.blocking import Blocking
from cacheserver.clock import Clock
from cacheserver.commands import all_modules
from cacheserver.commands.client import client_info_line
from cacheserver.commands.dispatch import Dispatcher
from cacheserver.commands.table import build
from cacheserver.config import Config
from cacheserver.errors import CommandError
from cacheserver.keyspace.database import Keyspace
from cacheserver.keyspace.eviction import Evictor
from cacheserver.network.client_state import ClientState
from cacheserver.network.connection import ClientConnection
from cacheserver.pubsub.hub import Hub
from cacheserver.tracking import Tracking

log = logging.getLogger("cacheserver")

REDIS_VERSION = "7.0.15"


class Stats:
    """Counters reported by INFO stats (reset by CONFIG RESETSTAT where Redis resets them)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total_connections_received = 0
        self.rejected_connections = 0
        self.net_input_bytes = 0
        self.net_output_bytes = 0
        self.total_error_replies = 0
        self.error_counts: dict[str, int] = {}
        self.expired_stale_perc = 0.0
        self.ops_samples: deque[tuple[float, int]] = deque(maxlen=16)
        self.in_samples: deque[tuple[float, int]] = deque(maxlen=16)
        self.out_samples: deque[tuple[float, int]] = deque(maxlen=16)


class SlowlogEntry:
    __slots__ = ("id", "timestamp", "duration_us", "argv", "addr", "name")

    def __init__(self, entry_id: int, timestamp: int, duration_us: int, argv: list[bytes], addr: str, name: bytes):
        self.id = entry_id
        self.timestamp = timestamp
        self.duration_us = duration_us
        self.argv = argv
        self.addr = addr
        self.name = name


class Server:
    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.config = config or Config()
        cfg = self.config
        self.clock = clock or Clock()
        self.keyspace = Keyspace(self.clock, cfg["databases"])
        self.table = build(all_modules())
        self.dispatcher = Dispatcher(self, self.table)
        self.clients: dict[int, ClientState] = {}
        self.connections: dict[int, ClientConnection] = {}
        self.monitors: list[ClientState] = []
        self.stats = Stats()
        self.slowlog: deque[SlowlogEntry] = deque()
        self.slowlog_next_id = 0
        self.after_command: Callable[[ClientState], None] | None = None  # see add_after_command
        self._after_hooks: list[Callable[[ClientState], None]] = []
        self.start_time = time.time()
        self.start_monotonic = time.monotonic()
        self.last_save = int(time.time())
        self.run_id = os.urandom(20).hex()
        self.version = __version__
        self.redis_version = REDIS_VERSION
        self.ports: list[int] = []
        self.listeners: list[asyncio.AbstractServer] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._next_id = 0
        self._cron_handle: asyncio.TimerHandle | None = None
        self._stopped: asyncio.Event | None = None
        self.shutdown_requested = False
        self.cron_loops = 0
        self.client_pause: Any = None  # commands.client.Pause, made by the first CLIENT PAUSE
        self.no_touch_gate: Callable[[ClientState, Any, list[bytes]], None] | None = None  # CLIENT NO-TOUCH
        self._gate_checks: list[Callable[[ClientState, Any, list[bytes]], CommandError | None]] = []
        self.disconnect_hooks: list[Callable[[ClientState], None]] = []
        self.cron_hooks: list[Callable[[], None]] = []
        self.shutdown_hooks: list[Callable[[], None]] = []
        self.reset_hooks: list[Callable[[ClientState], None]] = []
        self.blocking = Blocking(self)  # clients blocked on keys (BLPOP, BZPOPMIN, XREAD BLOCK ...)
        self.pubsub = Hub(self, client_info_line)  # channels, patterns, keyspace notifications
        self.evictor = Evictor(self)  # maxmemory: memory estimate, policies, OOM gate
        self.tracking = Tracking(self)  # CLIENT TRACKING: client-side caching invalidations
        # Hot-path copies of directives, kept current by config watchers.
        self.requirepass = ""
        self.slowlog_threshold_ns = 10_000_000
        self.proto_max_bulk_len = 512 * 1024 * 1024
        self.query_buffer_limit = 1024**3
        self.maxclients = 10000
        self.hz = 10
        self._watch_config()

    # -- configuration --------------------------------------------------------------------------------

    def _watch_config(self) -> None:
        cfg = self.config

        def set_attr(attr: str, transform: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], None]:
            return lambda v: setattr(self, attr, transform(v))

        cfg.watch("requirepass", set_attr("requirepass"))
        cfg.watch(
            "slowlog-log-slower-than",
            set_attr("slowlog_threshold_ns", lambda v: v * 1000 if v >= 0 else 1 << 62),
        )
        cfg.watch("slowlog-max-len", lambda v: self._trim_slowlog())
        cfg.watch("proto-max-bulk-len", self._set_bulk_limit)
        cfg.watch("client-query-buffer-limit", self._set_query_limit)
        cfg.watch("maxclients", set_attr("maxclients"))
        cfg.watch("hz", set_attr("hz", lambda v: min(max(v, 1), 500)))
        cfg.watch("notify-keyspace-events", lambda v: setattr(self.keyspace, "notify_flags", v))

    def _set_bulk_limit(self, v: int) -> None:
        self.proto_max_bulk_len = v
        for conn in self.connections.values():
            conn.reader.max_bulk_len = v

    def _set_query_limit(self, v: int) -> None:
        self.query_buffer_limit = v
        for conn in self.connections.values():
            conn.reader.query_buffer_limit = v

    # -- clients --------------------------------------------------------------------------------------

    def next_client_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def client_connected(self, c: ClientState, conn: ClientConnection) -> None:
        self.clients[c.id] = c
        self.connections[c.id] = conn
        self.stats.total_connections_received += 1

    def client_disconnected(self, c: ClientState) -> None:
        self.clients.pop(c.id, None)
        self.connections.pop(c.id, None)
        for hook in self.disconnect_hooks:
            hook(c)

    def connection_of(self, c: ClientState) -> ClientConnection | None:
        return self.connections.get(c.id)

    def reset_client(self, c: ClientState) -> None:
        """RESET: back to a fresh connection's state (subsystems undo their part through hooks)."""
        for hook in self.reset_hooks:
            hook(c)
        c.multi = None
        c.multi_error = False
        c.set_resp(2)
        c.select(0)
        c.name = b""
        c.reply_mode = 0
        c.no_evict = False
        c.no_touch = False
        c.authenticated = not self.requirepass
        c.user = "default"
        c.update_gate()

    def log_auth_failure(self, c: ClientState) -> None:
        log.debug("Authentication failed for client id=%s addr=%s", c.id, c.addr)

    # -- gates and error stats ------------------------------------------------------------------------

    def add_gate(self, check: Callable[[ClientState, Any, list[bytes]], CommandError | None]) -> None:
        """Register a server-wide pre-command check (OOM, pause, ...); it turns the slow path on."""
        if check not in self._gate_checks:
            self._gate_checks.append(check)
        self.update_gated()

    def remove_gate(self, check: Callable[[ClientState, Any, list[bytes]], CommandError | None]) -> None:
        if check in self._gate_checks:
            self._gate_checks.remove(check)
        self.update_gated()

    def add_after_command(self, hook: Callable[[ClientState], None]) -> None:
        """Run ``hook(client)`` after every top-level command (blocked clients' service, tracking's
        own invalidations); none installed, the dispatcher checks one attribute per command."""
        if hook not in self._after_hooks:
            self._after_hooks.append(hook)
        self._update_after_command()

    def remove_after_command(self, hook: Callable[[ClientState], None]) -> None:
        if hook in self._after_hooks:
            self._after_hooks.remove(hook)
        self._update_after_command()

    def _update_after_command(self) -> None:
        hooks = self._after_hooks
        self.after_command = None if not hooks else hooks[0] if len(hooks) == 1 else self._run_after_hooks

    def _run_after_hooks(self, c: ClientState) -> None:
        for hook in list(self._after_hooks):
            hook(c)

    def update_gated(self) -> None:
        checks = self._gate_checks
        self.dispatcher.gated = bool(checks)
        # A single check (maxmemory alone, the common case) is what ``gate_command`` would return:
        # the dispatcher calls it directly, a call less per command.
        if len(checks) == 1:
            self.gate_command = checks[0]  # type: ignore[method-assign]
        else:
            self.__dict__.pop("gate_command", None)

    def gate_command(self, c: ClientState, spec: Any, argv: list[bytes]) -> CommandError | None:
        for check in self._gate_checks:
            refusal = check(c, spec, argv)
            if refusal is not None or c.blocked is not None:
                return refusal
        return None

    def count_error_reply(self, e: CommandError | None) -> None:
        """Redis's errorstats: every error reply counts once, by its prefix."""
        stats = self.stats
        stats.total_error_replies += 1
        prefix = e.prefix if e is not None else "ERR"
        if not prefix or len(prefix) >= 32 or " " in prefix:
            # afterErrorReply: the code is what precedes a space in the first 32 characters, else ERR
            # (an error text of a script's own, such as {err='plain'}, has no code of its own).
            text = e.text if e is not None else ""
            space = text.find(" ", 0, 32)
            prefix = text[:space] if space >= 0 else "ERR"
        counts = stats.error_counts
        if prefix in counts or len(counts) < 128:
            counts[prefix] = counts.get(prefix, 0) + 1

    # -- slow log -------------------------------------------------------------------------------------

    def slowlog_add(self, c: ClientState, argv: list[bytes], duration_ns: int) -> None:
        limit = self.config["slowlog-max-len"]
        if limit <= 0:
            return
        shown: list[bytes] = []
        for i, a in enumerate(argv):
            if i == 31 and len(argv) > 32:
                shown.append(b"... (%d more arguments)" % (len(argv) - 31))
                break
            shown.append(a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128))
        self.slowlog.appendleft(
            SlowlogEntry(self.slowlog_next_id, int(time.time()), duration_ns // 1000, shown, c.addr, c.name)
        )
        self.slowlog_next_id += 1
        self._trim_slowlog()

    def _trim_slowlog(self) -> None:
        limit = self.config["slowlog-max-len"]
        while len(self.slowlog) > max(limit, 0):
            self.slowlog.pop()

    # -- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the listeners and start the cron. Port 0 picks a free port (see ``ports``)."""
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        cfg = self.config
        port = cfg["port"]
        binds = cfg["bind"] or ["127.0.0.1"]
        hosts: list[str] = []
        for b in binds:
            optional = b.startswith("-")
            host = b.lstrip("-")
            if host == "*":
                host = "0.0.0.0"
            elif host == "::*":
                host = "::"
            hosts.append(host if not optional else "-" + host)
        for host in hosts:
            optional = host.startswith("-")
            host = host.lstrip("-")
            try:
                srv = await self.loop.create_server(
                    lambda: ClientConnection(self),
                    host=host,
                    port=port if not self.ports or port else self.ports[0],
                    backlog=cfg["tcp-backlog"],
                    reuse_address=True,
                )
            except OSError as e:
                if optional:
                    log.warning("Warning: Could not create server TCP listening socket %s:%s: %s", host, port, e)
                    continue
                raise
            self.listeners.append(srv)
            for sock in srv.sockets:
                bound = sock.getsockname()[1]
                if bound not in self.ports:
                    self.ports.append(bound)
        if cfg["unixsocket"]:
            path = cfg["unixsocket"]
            if os.path.exists(path):
                os.unlink(path)
            srv = await self.loop.create_unix_server(lambda: ClientConnection(self), path=path)
            os.chmod(path, cfg["unixsocketperm"] or 0o700)
            self.listeners.append(srv)
        self.clock.refresh()
        self._schedule_cron(1.0 / self.hz)

    @property
    def port(self) -> int:
        return self.ports[0] if self.ports else 0

    def _schedule_cron(self, delay: float) -> None:
        if self.loop is not None and not self.shutdown_requested:
            self._cron_handle = self.loop.call_later(delay, self.cron)

    def cron(self) -> None:
        """Periodic work (Redis's serverCron): active expiry, client timeouts, stats sampling."""
        self.cron_loops += 1
        tick = 1.0 / self.hz
        ks = self.keyspace
        budget = tick * 0.25 * (1 + (self.config["active-expire-effort"] - 1) / 4)
        backlog = False
        if ks.active_expire_enabled:
            ks.active_expire_cycle(budget)
            now = self.clock.now_ms
            backlog = any(db.deadlines and db.deadlines[0][0] <= now for db in ks.dbs)
        for hook in self.cron_hooks:
            hook()
        self._sample_stats()
        timeout = self.config["timeout"]
        if timeout and self.cron_loops % self.hz == 0:
            self._close_idle_clients(timeout)
        self._schedule_cron(0.005 if backlog else tick)

    def _sample_stats(self) -> None:
        now = time.monotonic()
        st = self.stats
        total = sum(s.calls for s in self.table.all_specs())
        st.ops_samples.append((now, total))
        st.in_samples.append((now, st.net_input_bytes))
        st.out_samples.append((now, st.net_output_bytes))

    def _close_idle_clients(self, timeout_s: int) -> None:
        now = self.clock.now_ms
        for c in list(self.clients.values()):
            if c.blocked is None and not c.subscription_count() and not c.is_monitor:
                if now - c.last_ms > timeout_s * 1000:
                    log.debug("Closing idle client id=%s", c.id)
                    c.close()

    def request_shutdown(self, reason: str = "") -> None:
        """Stop accepting work and let ``run``/``wait_closed`` return (SHUTDOWN, SIGINT, SIGTERM)."""
        if self.shutdown_requested:
            return
        self.shutdown_requested = True
        if reason:
            log.warning("%s", reason)
        log.warning("User requested shutdown...")
        if self.loop is not None:
            self.loop.call_soon(self._finish_shutdown)

    def _finish_shutdown(self) -> None:
        for hook in self.shutdown_hooks:
            try:
                hook()
            except Exception:
                log.exception("shutdown hook failed")
        if self._cron_handle is not None:
            self._cron_handle.cancel()
        for srv in self.listeners:
            srv.close()
        for conn in list(self.connections.values()):
            conn.close()
        if self.config["unixsocket"] and os.path.exists(self.config["unixsocket"]):
            os.unlink(self.config["unixsocket"])
        log.warning("Redis is now ready to exit, bye bye...")
        if self._stopped is not None:
            self._stopped.set()

    async def wait_closed(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()
        for srv in self.listeners:
            srv.close()
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass

    async def stop(self) -> None:
        self.request_shutdown()
        await self.wait_closed()

    async def serve(self) -> None:
        await self.start()
        log_ready(self)
        loop = asyncio.get_running_loop()
        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            try:
                loop.add_signal_handler(sig, self.request_shutdown, f"Received {name} scheduling shutdown...")
            except (NotImplementedError, RuntimeError):
                pass
        await self.wait_closed()

    def run(self) -> None:
        """Run until shutdown, on uvloop when it is installed."""
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is a dependency; asyncio is the fallback
            asyncio.run(self.serve())
            return
        uvloop.run(self.serve())


def log_ready(server: Server) -> None:
    cfg = server.config
    # The order of redis-server's start-up lines, in our words.
    log.warning("oO0OoO0OoO0Oo cacheserver is starting oO0OoO0OoO0Oo")
    log.warning(
        "cacheserver %s (Redis %s compatible), bits=64, pid=%d, just started", __version__, REDIS_VERSION, os.getpid()
    )
    if server.config.source_file:
        log.warning("Configuration loaded from %s", server.config.source_file)
    else:
        log.warning("No config file specified, using the default config.")
    log.info("Running mode=standalone, port=%s.", server.port)
    log.warning("Server initialized")
    log.info("Ready to accept connections tcp (bind %s)", " ".join(cfg["bind"]))


_LEVEL_CHARS = {logging.DEBUG: ".", 15: "-", logging.INFO: "*", logging.WARNING: "#", logging.ERROR: "#"}


class RedisLogFormatter(logging.Formatter):
    """``pid:M 22 Nov 2026 22:33:09.123 * message``, as Redis writes its log."""

    def format(self, record: logging.LogRecord) -> str:
        t = time.localtime(record.created)
        stamp = time.strftime("%d %b %Y %H:%M:%S", t) + ".%03d" % int(record.msecs)
        text = f"{record.process}:M {stamp} {_LEVEL_CHARS.get(record.levelno, '*')} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


_LOGLEVELS = {"debug": logging.DEBUG, "verbose": 15, "notice": logging.INFO, "warning": logging.WARNING}


def setup_logging(config: Config) -> None:
    logfile = config["logfile"]
    handler: logging.Handler = logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedisLogFormatter())
    root = logging.getLogger("cacheserver")
    root.handlers[:] = [handler]
    root.propagate = False
    config.watch("loglevel", lambda v: root.setLevel(_LOGLEVELS.get(v, logging.INFO)))


__all__ = ["Server", "Stats", "REDIS_VERSION", "setup_logging", "errors"]
