"""Client-side caching (CLIENT TRACKING): which clients may hold which keys, and their invalidations.

Redis 7.0's tracking.c, in the same terms:

* **Default mode.** The keys a tracking client reads (the key arguments of a read-only command, its
  own or one its script or transaction runs) are remembered in ``table``: key name -> client IDs, for
  every database at once. When such a key is modified, in any database, each of those clients gets one
  invalidation message and the entry is forgotten until a client reads the key again.
* **BCAST.** The client names prefixes (or none: every key). Each modified key that starts with a
  registered prefix is gathered, and at the end of the event loop iteration every client of the prefix
  gets one message with all of them, sorted.
* **OPTIN / OPTOUT.** Reads are remembered only after ``CLIENT CACHING yes`` (OPTIN), or unless
  ``CLIENT CACHING no`` preceded them (OPTOUT). The flag lasts for the next command, through a whole
  transaction, and past any CLIENT command.
* **NOLOOP.** A client is not told about its own modifications.
* **Messages.** A RESP3 client gets a push ``invalidate [keys]``; with REDIRECT, the other client gets
  it, as a push in RESP3 or, in RESP2, as a message on ``__redis__:invalidate`` if it is subscribed to
  anything. A RESP2 client without redirection gets nothing. If the client redirected to is gone, the
  flag ``broken_redirect`` is set and a RESP3 client hears ``tracking-redir-broken``. A FLUSHDB or
  FLUSHALL sends every tracking client a null (all keys) and empties the table. A client's invalidation
  of a key it modified itself comes after the command's reply (after EXEC's, in a transaction).

How it costs nothing when unused: nothing here runs until a client turns tracking on. From then until
no client tracks, every database's ``watched`` table holds ``WATCHING``, so the keyspace's existing
WATCH hook (``Database.touch_watched``) runs for each modification and reports it here; a server gate
records the client running each command (NOLOOP, own invalidations) and remembers its reads; an
after-command hook sends its own invalidations after its reply. When the last tracking client turns
it off (or leaves), the table is dropped with the rest; Redis keeps those entries until their keys
change, which shows only in INFO's tracking_total_keys and tracking_total_items.
"""

from __future__ import annotations

from typing import Any

# The key every database's ``watched`` holds while tracking runs: it makes ``if db.watched`` true, so
# modifications reach ``Database.touch_watched``; it is not bytes, so it is never a key.
WATCHING: Any = object()

CHANNEL = b"__redis__:invalidate"
_PUSH = b">2\r\n$10\r\ninvalidate\r\n"
_MESSAGE = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
# Read-only commands whose keys are not remembered: the commands their scripts run are.
_SCRIPT_READS = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})


class ClientTracking:
    """One client's tracking mode (``c.tracking`` while it is on)."""

    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "caching", "broken", "prefixes")

    def __init__(self) -> None:
        self.redirect = 0  # client ID, 0: none
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False  # CLIENT CACHING yes|no given for the next command
        self.broken = False  # the client redirected to is gone
        self.prefixes: list[bytes] = []  # BCAST


class _Prefix:
    __slots__ = ("keys", "clients")

    def __init__(self) -> None:
        self.keys: dict[bytes, Any] = {}  # modified this iteration -> the client that modified it last
        self.clients: dict[Any, None] = {}


class Tracking:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.table: dict[bytes, dict[int, None]] = {}
        self.items = 0  # client IDs over all keys (tracking_total_items)
        self.prefixes: dict[bytes, _Prefix] = {}
        self.clients = 0  # clients with tracking on (tracking_clients)
        self.installed = False
        self.current: Any = None  # the client whose command runs
        self.pending: list[tuple[Any, bytes | None]] = []  # its own invalidations, sent after its reply
        self._broadcast_due = False
        self._tick_due = False
        server.disconnect_hooks.append(self.disable)
        server.reset_hooks.append(self.disable)

    # -- turning it on and off -------------------------------------------------------------------------

    def enable(self, c: Any, redirect: int, bcast: bool, optin: bool, optout: bool, noloop: bool,
               prefixes: list[bytes]) -> None:  # fmt: skip
        """CLIENT TRACKING ON (options checked by the command); again on a tracking client, it keeps
        its prefixes and adds any new one."""
        t = c.tracking
        if t is None:
            t = c.tracking = ClientTracking()
            self.clients += 1
        t.broken = False
        t.redirect = redirect
        t.optin, t.optout, t.noloop = optin, optout, noloop
        t.bcast = bcast
        if bcast:
            for prefix in prefixes or [b""]:
                if prefix not in t.prefixes:
                    t.prefixes.append(prefix)
                    state = self.prefixes.get(prefix)
                    if state is None:
                        state = self.prefixes[prefix] = _Prefix()
                    state.clients[c] = None
        self._install()

    def disable(self, c: Any) -> None:
        """CLIENT TRACKING OFF, RESET and disconnection. While other clients track, the client's IDs
        stay in the table, skipped and dropped when their keys change, as in Redis; with no client
        left, the table goes (``_uninstall_if_idle``)."""
        t = c.tracking
        if t is None:
            return
        for prefix in t.prefixes:
            state = self.prefixes.get(prefix)
            if state is not None:
                state.clients.pop(c, None)
                if not state.clients:
                    del self.prefixes[prefix]
        c.tracking = None
        self.clients -= 1
        self._uninstall_if_idle()

    def _install(self) -> None:
        if self.installed:
            return
        self.installed = True
        server = self.server
        server.keyspace.tracking = self
        for db in server.keyspace.dbs:
            db.watched[WATCHING] = []
        server.add_gate(self.gate)
        server.add_after_command(self.after_command)

    def _uninstall_if_idle(self) -> None:
        """With no tracking client left, the table goes too (its IDs could only be skipped) and with it
        every cost: Redis keeps such entries until their keys change, which only INFO's counts show."""
        if not self.installed or self.clients or self.pending or self._broadcast_due:
            return
        self.table.clear()
        self.items = 0
        self.installed = False
        server = self.server
        server.keyspace.tracking = None
        for db in server.keyspace.dbs:
            db.watched.pop(WATCHING, None)
        server.remove_gate(self.gate)
        server.remove_after_command(self.after_command)
        self.current = None

    # -- the command path ------------------------------------------------------------------------------

    def gate(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        """Before each command while tracking runs: who runs it, and the keys a tracking client reads
        (a queued command's when EXEC runs it)."""
        self.current = c
        if c.tracking is not None and c.multi is None:
            self.remember(c, spec, argv)
        if not self._tick_due:  # a command that blocks or closes gets no after_command: see tick
            self._tick_due = True
            loop = self.server.loop
            if loop is not None:
                loop.call_soon(self.tick)
        return None

    def tick(self) -> None:
        """End of the loop iteration: no command runs any more (expiry and eviction in the cron are
        nobody's), and what is still pending goes out."""
        self._tick_due = False
        self._flush_pending()
        self.current = None
        self._uninstall_if_idle()

    def _flush_pending(self) -> None:
        if self.pending:
            pending, self.pending = self.pending, []
            for target, key in pending:
                if not target.closed:
                    self._send(target, key)

    def after_command(self, c: Any) -> None:
        """After each top-level command: the client's own invalidations follow its reply; its CACHING
        flag lasts for one command, a whole transaction, or past a CLIENT command."""
        self._flush_pending()
        t = c.tracking
        if t is not None and t.caching and c.multi is None and not c.last_cmd.startswith("client|"):
            t.caching = False
        self.current = None
        if self.table and len(self.table) > self.server.config["tracking-table-max-keys"] > 0:
            self.limit_table()
        self._uninstall_if_idle()

    def remember(self, c: Any, spec: Any, argv: list[bytes]) -> None:
        """``trackingRememberKeys``: the key arguments of a read-only command ``c`` runs (or its script
        or transaction does) on behalf of the tracking client ``c``."""
        t = c.tracking
        if t.bcast or "readonly" not in spec.flags or spec.name in _SCRIPT_READS or "pubsub" in spec.flags:
            return
        if (t.optin and not t.caching) or (t.optout and t.caching):
            return
        try:
            positions = spec.key_positions(argv)
        except Exception:  # malformed arguments (a bad numkeys): the command failed, no key was read
            return
        table = self.table
        cid = c.id
        for i in positions:
            key = argv[i]
            ids = table.get(key)
            if ids is None:
                ids = table[key] = {}
            if cid not in ids:
                ids[cid] = None
                self.items += 1

    # -- invalidation ----------------------------------------------------------------------------------

    def invalidate(self, key: bytes, bcast: bool = True) -> None:
        """``trackingInvalidateKey``: ``key`` was modified (in any database)."""
        if bcast and self.prefixes:
            self._gather(key)
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.items -= len(ids)
        current = self.current
        clients = self.server.clients
        for cid in ids:
            target = clients.get(cid)
            if target is None:
                continue
            t = target.tracking
            if t is None or t.bcast or (t.noloop and target is current):
                continue
            if target is current:
                self.pending.append((target, key))
            else:
                self._send(target, key)

    def flushed(self) -> None:
        """FLUSHDB, FLUSHALL: every tracking client hears that all its keys are gone; the table empties."""
        if self.clients:
            current = self.current
            for c in list(self.server.clients.values()):
                if c.tracking is not None:
                    if c is current:
                        self.pending.append((c, None))
                    else:
                        self._send(c, None)
        self.table.clear()
        self.items = 0

    def limit_table(self) -> None:
        """``trackingLimitUsedSlots``: over ``tracking-table-max-keys``, keys are forgotten (oldest
        first) and their clients told, as if the keys had changed."""
        limit = self.server.config["tracking-table-max-keys"]
        for key in list(self.table)[: len(self.table) - limit]:
            self.invalidate(key, bcast=False)

    def _send(self, c: Any, key: bytes | None, payload: bytes | None = None) -> None:
        """``sendTrackingMessage``: one invalidation for client ``c``: of ``key``, of all keys (None),
        or a ready-made array of keys (``payload``, BCAST)."""
        t = c.tracking
        target = c
        redirected = False
        if t is not None and t.redirect:
            target = self.server.clients.get(t.redirect)
            if target is None:
                t.broken = True
                if c.resp > 2:
                    c.send(b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % t.redirect)
                return
            redirected = True
        if payload is None:
            if key is None:
                payload = b"_\r\n" if c.resp > 2 else b"$-1\r\n"  # the tracking client's own null
            else:
                payload = b"*1\r\n$%d\r\n%b\r\n" % (len(key), key)
        if target.resp > 2:
            target.send(_PUSH + payload)
        elif redirected and target.subscription_count():
            target.send(_MESSAGE + payload)

    # -- BCAST -----------------------------------------------------------------------------------------

    def _gather(self, key: bytes) -> None:
        for prefix, state in self.prefixes.items():
            if key.startswith(prefix):
                state.keys[key] = self.current
                if not self._broadcast_due:
                    self._broadcast_due = True
                    loop = self.server.loop
                    if loop is not None:
                        loop.call_soon(self.broadcast)

    def broadcast(self) -> None:
        """At the end of the loop iteration: each prefix's modified keys, sorted, to its clients (less,
        for a NOLOOP client, the keys it modified last itself)."""
        self._broadcast_due = False
        for prefix in sorted(self.prefixes):
            state = self.prefixes[prefix]
            if not state.keys:
                continue
            keys = sorted(state.keys.items())
            state.keys = {}
            common = _array(k for k, _ in keys)
            for c in list(state.clients):
                if c.closed:
                    continue
                if c.tracking.noloop:
                    own = [k for k, by in keys if by is not c]
                    if own:
                        self._send(c, None, _array(own))
                else:
                    self._send(c, None, common)
        self._uninstall_if_idle()

    # -- introspection ---------------------------------------------------------------------------------

    def info(self, c: Any) -> tuple[list[bytes], int, list[bytes]]:
        """CLIENT TRACKINGINFO: the flags, the client redirected to (-1: tracking off), the prefixes."""
        t = c.tracking
        if t is None:
            return [b"off"], -1, []
        flags = [b"on"]
        if t.bcast:
            flags.append(b"bcast")
        if t.optin:
            flags.append(b"optin")
        if t.optout:
            flags.append(b"optout")
        if t.caching:
            flags.append(b"caching-yes" if t.optin else b"caching-no")
        if t.noloop:
            flags.append(b"noloop")
        if t.broken:
            flags.append(b"broken_redirect")
        return flags, t.redirect, sorted(t.prefixes)


def _array(keys: Any) -> bytes:
    keys = list(keys)
    out = [b"*%d\r\n" % len(keys)]
    for k in keys:
        out.append(b"$%d\r\n%b\r\n" % (len(k), k))
    return b"".join(out)
