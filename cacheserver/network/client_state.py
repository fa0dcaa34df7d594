"""Per-client state: identity, selected database, protocol version, MULTI/WATCH, subscriptions, flags.

This is what a command handler receives as its first argument (``c``): ``c.db`` is the selected
database, ``c.server`` the server state. It is also what CLIENT LIST/INFO shows. It holds no socket:
the connection gives it a ``send`` callable for out-of-band replies (pub/sub, unblocked clients).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cacheserver.protocol import encoder

if TYPE_CHECKING:
    from cacheserver.keyspace.database import Database

REPLY_ON = 0
REPLY_OFF = 1
REPLY_SKIP_NEXT = 2  # CLIENT REPLY SKIP was just called: the next command is silent
REPLY_SKIP = 3  # the silent command is running


class ClientState:
    __slots__ = (
        "id",
        "server",
        "db",
        "name",
        "addr",
        "laddr",
        "fd",
        "resp",
        "encoders",
        "authenticated",
        "user",
        "multi",
        "multi_error",
        "watched",
        "dirty_cas",
        "channels",
        "patterns",
        "shard_channels",
        "reply_mode",
        "created_ms",
        "last_ms",
        "last_cmd",
        "lib_name",
        "lib_ver",
        "no_evict",
        "no_touch",
        "is_monitor",
        "blocked",
        "pending",
        "gated",
        "close_after_reply",
        "closed",
        "send",
        "close",
        "transport_info",
        "tracking",
        "unix",
    )

    def __init__(self, client_id: int, server: Any, send: Callable[[bytes], None], close: Callable[[], None]) -> None:
        self.id = client_id
        self.server = server
        self.db: Database = server.keyspace.dbs[0]
        self.name = b""
        self.addr = "?:0"
        self.laddr = "?:0"
        self.fd = -1
        self.resp = 2
        self.encoders = encoder.RESP2
        self.authenticated = not server.requirepass
        self.user = "default"
        self.multi: list | None = None
        self.multi_error = False
        # (db, key) -> whether the key was already expired when watched (see commands/transactions.py)
        self.watched: dict[tuple[Database, bytes], bool] = {}
        self.dirty_cas = False
        self.channels: set[bytes] = set()
        self.patterns: dict[bytes, Any] = {}
        self.shard_channels: set[bytes] = set()
        self.reply_mode = REPLY_ON
        self.created_ms = server.clock.now_ms
        self.last_ms = self.created_ms
        self.last_cmd = "NULL"
        self.lib_name = ""
        self.lib_ver = ""
        self.no_evict = False
        self.no_touch = False
        self.is_monitor = False
        self.blocked: Any = None
        self.pending: list | None = None
        self.close_after_reply = False
        self.closed = False
        self.send = send
        self.close = close
        self.transport_info: Callable[[], dict] | None = None
        self.tracking: Any = None  # tracking.ClientTracking while CLIENT TRACKING is on
        self.unix = False
        self.gated = False
        self.update_gate()

    def set_resp(self, version: int) -> None:
        self.resp = version
        self.encoders = encoder.RESP3 if version == 3 else encoder.RESP2
        self.update_gate()

    def update_gate(self) -> None:
        """Recompute whether commands must pass the slow checks (auth, MULTI, pub/sub, reply mode)."""
        self.gated = (
            not self.authenticated
            or self.multi is not None
            or self.reply_mode != REPLY_ON
            or self.no_touch
            or (self.resp == 2 and self.subscription_count() > 0)
        )

    def subscription_count(self) -> int:
        return len(self.channels) + len(self.patterns) + len(self.shard_channels)

    def select(self, index: int) -> None:
        self.db = self.server.keyspace.dbs[index]

    def flags(self) -> str:
        """The ``flags=`` field of CLIENT LIST."""
        f = ""
        if self.is_monitor:
            f += "O"
        if self.subscription_count():
            f += "P"
        if self.multi is not None:
            f += "x"
        if self.blocked is not None:
            f += "b"
        t = self.tracking
        if t is not None:
            f += "tRB" if t.broken and t.bcast else "tR" if t.broken else "tB" if t.bcast else "t"
        if self.dirty_cas:
            f += "d"
        if self.close_after_reply:
            f += "c"
        if self.unix:
            f += "U"
        if self.no_evict:
            f += "e"
        if self.no_touch:
            f += "T"
        return f or "N"
