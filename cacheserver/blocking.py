"""Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, XREAD BLOCK ...): Redis 7.0's blocked.c.

How a blocking command uses it: the handler first tries to answer at once; when nothing is available it
returns ``server.blocking.block(c, db, keys, timeout_ms, serve)``. That records a ``Waiter`` in
``db.blocking_keys[key]`` for every key (an insertion-ordered dict, so waiters are served first come,
first served, and any one can be removed in O(1)), marks ``c.blocked`` (the dispatcher then keeps the
client's later requests in ``c.pending``) and returns ``NO_REPLY``. Inside MULTI/EXEC or a script
(``may_block`` is False) ``block`` returns the timeout reply instead, as Redis does.

``serve(c, key) -> reply | None`` is called when ``key`` may have become serviceable. It performs the
pop or move (keyspace events, dirty, deletion of emptied keys included) and returns the reply, or None
when the key cannot serve this client (missing, empty, another type: the client keeps its place). A
reply may be a ``CommandError`` (BLMOVE onto a key of the wrong type), which unblocks the client too.

Ready keys: a write that can unblock someone (a key stored by ``Database.set``: pushes creating a list,
RENAME, COPY, MOVE, RESTORE; SWAPDB) calls ``db.signal_ready(key)``, which only queues the key in
``keyspace.ready_keys`` when a client waits on it, and costs one truthiness test when nobody waits.
The dispatcher calls ``server.after_command`` after every top-level command; it is installed only while
some client is blocked, so ordinary traffic pays nothing. Serving drains the queue repeatedly, so a
BLMOVE whose push creates a key others wait on wakes them in the same pass (handleClientsBlockedOnKeys).

EXEC and scripts run their commands inside ``atomic()``: blocking is denied there and ready keys are
served once the whole transaction is done, never between its commands.

Timeouts are loop timers (``call_later``), cancelled when the client is served; they reply the null
array as Redis 7.0 does for every list and sorted-set blocking command. A client that disconnects is
forgotten; CLIENT UNBLOCK answers with the timeout reply or the ``-UNBLOCKED`` error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from math import ceil
from typing import Any

from cacheserver import errors
from cacheserver.errors import CommandError
from cacheserver.numbers import LLONG_MAX, parse_ll, parse_long_double, round_long_double
from cacheserver.protocol.encoder import encode
from cacheserver.protocol.replies import NO_REPLY, NULL_ARRAY

log = logging.getLogger("cacheserver")

Serve = Callable[[Any, bytes], Any]

UNBLOCKED = CommandError("client unblocked via CLIENT UNBLOCK", "UNBLOCKED")

# Timers further away than this are not armed: the client waits as if the timeout were 0 (about 68
# years; event loops cannot hold arbitrary delays).
_MAX_TIMER_S = float(1 << 31)


def parse_timeout(arg: bytes) -> int:
    """A blocking command's timeout in seconds -> milliseconds, 0 meaning forever, with Redis 7.0's
    rules: a long double, multiplied by 1000 and rounded up (so 0.0001 waits 1 ms and -0.0001 is 0,
    forever); values beyond a 64-bit integer count as negative, as the C cast makes them."""
    seconds = parse_ll(arg)
    if seconds is not None:
        ms = seconds * 1000
    else:
        value = parse_long_double(arg)
        if value is None:
            raise errors.TIMEOUT_NOT_FLOAT
        if isinstance(value, float):  # an infinity
            raise errors.TIMEOUT_NEGATIVE
        product = round_long_double(value * 1000)
        if product is None:
            raise errors.TIMEOUT_NEGATIVE
        ms = ceil(Fraction(product))
    if ms < 0 or ms > LLONG_MAX:
        raise errors.TIMEOUT_NEGATIVE
    return ms


class Waiter:
    """One blocked client: what it waits on and how it is answered (what ``client.blocked`` holds)."""

    __slots__ = ("client", "db", "keys", "serve", "timeout_reply", "timer", "serves_missing")

    def __init__(self, client: Any, db: Any, keys: list[bytes], serve: Serve, timeout_reply: Any) -> None:
        self.serves_missing = False  # serve() is called for a deleted key too (XREADGROUP answers an error)
        self.client = client
        self.db = db
        self.keys = keys
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.timer: Any = None

    def __repr__(self) -> str:
        return f"<Waiter client={self.client.id} db={self.db.index} keys={self.keys!r}>"


class Blocking:
    """The server's blocked clients (``server.blocking``)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.keyspace = server.keyspace
        self.waiters: dict[int, Waiter] = {}  # client id -> its waiter
        self.depth = 0  # > 0 inside EXEC or a script: no blocking, ready keys wait until the end
        server.disconnect_hooks.append(self._client_gone)

    # -- what INFO and CLIENT LIST read --------------------------------------------------------------

    @property
    def blocked_clients(self) -> int:
        return len(self.waiters)

    @property
    def clients_in_timeout_table(self) -> int:
        return sum(1 for w in self.waiters.values() if w.timer is not None)

    def is_blocked(self, client_id: int) -> bool:
        return client_id in self.waiters

    # -- blocking ------------------------------------------------------------------------------------

    def may_block(self, c: Any) -> bool:
        """False inside MULTI/EXEC and scripts, where blocking commands answer as if timed out."""
        return not self.depth and c.multi is None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a transaction or script: blocking is denied and serving deferred until it ends."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def block(
        self,
        c: Any,
        db: Any,
        keys: list[bytes],
        timeout_ms: int,
        serve: Serve,
        timeout_reply: Any = NULL_ARRAY,
        serves_missing: bool = False,
    ) -> Any:
        """Block ``c`` on ``keys`` of ``db`` for ``timeout_ms`` (0: forever). Returns NO_REPLY, or
        ``timeout_reply`` at once when blocking is not allowed here."""
        if self.depth or c.multi is not None:
            return timeout_reply
        w = Waiter(c, db, list(dict.fromkeys(keys)), serve, timeout_reply)
        w.serves_missing = serves_missing
        blocking_keys = db.blocking_keys
        for key in w.keys:
            queue = blocking_keys.get(key)
            if queue is None:
                blocking_keys[key] = {w: None}
            else:
                queue[w] = None
        c.blocked = w
        self.waiters[c.id] = w
        if timeout_ms:
            delay = timeout_ms / 1000.0
            loop = self.server.loop
            if delay < _MAX_TIMER_S and loop is not None:
                w.timer = loop.call_later(delay, self._timed_out, w)
        self.server.add_after_command(self.after_command)
        return NO_REPLY

    # -- serving -------------------------------------------------------------------------------------

    def after_command(self, c: Any) -> None:
        """Run after every command (``server.add_after_command``) while clients are blocked."""
        if self.keyspace.ready_keys and not self.depth:
            self.serve_ready()

    def serve_ready(self) -> None:
        """Serve the clients blocked on every key signalled ready, until no key is left (serving a BLMOVE
        can make its destination ready: that is served in the same call)."""
        ks = self.keyspace
        while ks.ready_keys:
            ready = ks.ready_keys
            ks.ready_keys = {}
            for db, key in ready:
                self._serve_key(db, key)

    def _serve_key(self, db: Any, key: bytes) -> None:
        queue = db.blocking_keys.get(key)
        if not queue:
            return
        for w in list(queue):
            if w.client.blocked is not w:
                continue  # answered meanwhile (served by an earlier waiter's chain, timed out)
            if db.peek(key) is None and not w.serves_missing:
                continue  # emptied or deleted: nothing for this waiter
            try:
                reply = w.serve(w.client, key)
            except CommandError as e:
                reply = e
            except Exception:
                log.exception("internal error serving a client blocked on a key")
                reply = errors.INTERNAL
            if reply is not None:
                self.finish(w, reply)

    # -- unblocking ----------------------------------------------------------------------------------

    def finish(self, w: Waiter, reply: Any) -> None:
        """Unblock ``w``'s client with ``reply`` and let it run the requests it sent meanwhile."""
        c = w.client
        self._forget(w)
        server = self.server
        if isinstance(reply, CommandError):
            server.count_error_reply(reply)
        if c.reply_mode == 0:  # CLIENT REPLY OFF/SKIP silence the late reply as they did the command
            c.send(encode(reply, c.resp))
        conn = server.connection_of(c)
        if conn is not None:
            if server.loop is not None:
                server.loop.call_soon(conn.resume)
            else:
                conn.resume()

    def unblock(self, client_id: int, error: bool) -> bool:
        """CLIENT UNBLOCK: answer a blocked client as if it timed out, or with the UNBLOCKED error.
        False if that client is not blocked on keys."""
        w = self.waiters.get(client_id)
        if w is None:
            return False
        self.finish(w, UNBLOCKED if error else w.timeout_reply)
        return True

    def _timed_out(self, w: Waiter) -> None:
        w.timer = None
        if w.client.blocked is w:
            self.finish(w, w.timeout_reply)

    def _client_gone(self, c: Any) -> None:
        w = self.waiters.get(c.id)
        if w is not None:
            self._forget(w)

    def _forget(self, w: Waiter) -> None:
        c = w.client
        if c.blocked is w:
            c.blocked = None
        self.waiters.pop(c.id, None)
        if w.timer is not None:
            w.timer.cancel()
            w.timer = None
        blocking_keys = w.db.blocking_keys
        for key in w.keys:
            queue = blocking_keys.get(key)
            if queue is not None:
                queue.pop(w, None)
                if not queue:
                    del blocking_keys[key]
        if not self.waiters:
            self.server.remove_after_command(self.after_command)
