"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, as Redis 7.0's multi.c.

Queueing is the dispatcher's job (``Dispatcher._gate``): while ``c.multi`` is a list, every command but
EXEC/DISCARD/MULTI/WATCH/QUIT/RESET is appended to it as ``(spec, argv)`` and answered ``+QUEUED``; a
command refused there (unknown, wrong arity, ``no_multi``...) sets ``c.multi_error``, Redis's
CLIENT_DIRTY_EXEC, and EXEC then answers EXECABORT.

WATCH: ``db.watched`` maps a key to the clients watching it (the keyspace marks them ``dirty_cas`` when
the key changes: ``Database.touch_watched``); ``c.watched`` maps ``(db, key)`` to whether the key was
already logically expired when it was watched. Such a key's later removal is no change (Redis's
``watchedKey.expired``), while a key that expires after WATCH aborts EXEC even if nobody removed it yet
(``isWatchedKeyExpired``). Watches end at EXEC, DISCARD, UNWATCH, RESET and disconnection.

EXEC runs the queue through ``Dispatcher.call`` (per-command stats and slow log) inside
``blocking.atomic()``: blocking commands answer as if timed out, and clients blocked on keys the
transaction fed are served once it is over. Nothing else runs meanwhile: the server is single-threaded
and EXEC never yields to the loop. The reply is encoded as it goes, as Redis does: out-of-band output
for this client produced by a queued command (a message it publishes to itself, a keyspace event in
RESP3) lands inside the EXEC array, right before the reply of the command that caused it, and a
CLIENT REPLY OFF inside the transaction silences the replies after it. MONITOR sees MULTI, then each
queued command as it runs, then EXEC (7.0 feeds monitors after a command ran).
"""

from __future__ import annotations

from typing import Any

from cacheserver.commands.spec import command
from cacheserver.errors import CommandError
from cacheserver.network.client_state import REPLY_ON, REPLY_SKIP_NEXT
from cacheserver.protocol.encoder import encode_into
from cacheserver.protocol.replies import NULL_ARRAY, OK, Raw

_NESTED = CommandError("MULTI calls can not be nested")
_EXEC_WITHOUT_MULTI = CommandError("EXEC without MULTI")
_DISCARD_WITHOUT_MULTI = CommandError("DISCARD without MULTI")
_WATCH_INSIDE_MULTI = CommandError("WATCH inside MULTI is not allowed")
EXECABORT = CommandError("Transaction discarded because of previous errors.", "EXECABORT")

_WATCH_KEY_SPECS = [
    {
        "flags": ["RO"],
        "begin_search": {"type": "index", "spec": {"index": 1}},
        "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1, "limit": 0}},
    }
]


# -- client state --------------------------------------------------------------------------------------


def discard_transaction(c: Any) -> None:
    """Leave MULTI state and forget every watch (Redis's discardTransaction)."""
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    unwatch_all(c)
    c.update_gate()


def unwatch_all(c: Any) -> None:
    """Remove ``c`` from the watchers of every key it watches (Redis's unwatchAllKeys)."""
    watched = c.watched
    if not watched:
        return
    for db, key in watched:
        clients = db.watched.get(key)
        if clients is not None:
            try:
                clients.remove(c)
            except ValueError:
                pass
            if not clients:
                del db.watched[key]
    watched.clear()


def watch_key(c: Any, key: bytes) -> None:
    """Watch ``key`` in the client's current database (Redis's watchForKey)."""
    db = c.db
    wk = (db, key)
    if wk in c.watched:
        return
    c.watched[wk] = db.is_expired(key)
    clients = db.watched.get(key)
    if clients is None:
        db.watched[key] = [c]
    else:
        clients.append(c)


def watched_key_expired(c: Any) -> bool:
    """Has a watched key expired since it was watched, even if still stored (isWatchedKeyExpired)?"""
    for (db, key), expired_at_watch in c.watched.items():
        if not expired_at_watch and db.is_expired(key):
            return True
    return False


def _install_hooks(server: Any) -> None:
    """Watches end with the connection and at RESET; hooked once, by the first WATCH."""
    if getattr(server, "watch_hooks_installed", False):
        return
    server.watch_hooks_installed = True
    server.disconnect_hooks.append(unwatch_all)
    server.reset_hooks.append(discard_transaction)


def _feed_monitors(c: Any, spec: Any, argv: list[bytes]) -> None:
    """Show a command that ran inside EXEC (or EXEC itself, last) to MONITOR clients."""
    feed = getattr(c.server, "monitor_feed", None)
    if feed is not None:
        feed.feed(c, spec, argv)


# -- commands ------------------------------------------------------------------------------------------


@command(
    "multi",
    1,
    flags="noscript loading stale fast allow_busy",
    group="transactions",
    since="1.2.0",
    summary="Start a transaction: the following commands are queued until EXEC.",
    complexity="O(1)",
)
def multi(c: Any, argv: list[bytes]) -> Any:
    if c.multi is not None:
        raise _NESTED
    c.multi = []
    c.update_gate()
    return OK


@command(
    "exec",
    1,
    flags="noscript loading stale skip_slowlog",
    group="transactions",
    since="1.2.0",
    summary="Run every command queued since MULTI, atomically, and reply with all their replies.",
    complexity="Depends on commands in the transaction",
)
def exec_(c: Any, argv: list[bytes]) -> Any:
    queue = c.multi
    if queue is None:
        raise _EXEC_WITHOUT_MULTI  # monitors saw this EXEC already, as any command outside MULTI
    try:
        return _execute(c, queue)
    finally:
        if c.server.monitors:
            _feed_monitors(c, EXEC_SPEC, argv)


def _execute(c: Any, queue: list) -> Any:
    if c.watched and not c.dirty_cas and watched_key_expired(c):
        c.dirty_cas = True
    if c.multi_error:
        discard_transaction(c)
        raise EXECABORT
    if c.dirty_cas:
        discard_transaction(c)
        return NULL_ARRAY
    unwatch_all(c)  # the transaction's own writes must not mark it dirty
    server = c.server
    call = server.dispatcher.call
    out = bytearray(b"*%d\r\n" % len(queue))
    send = c.send
    c.send = out.extend  # this client's out-of-band output joins the array where Redis puts it
    try:
        with server.blocking.atomic():
            for spec, cargv in queue:
                reply = call(c, spec, cargv)
                mode = c.reply_mode
                if mode == REPLY_ON or mode == REPLY_SKIP_NEXT:
                    encoders = c.encoders  # HELLO inside the transaction switches protocol midway
                    f = encoders.get(reply.__class__)
                    if f is None:
                        encode_into(out, reply, encoders)
                    else:
                        f(out, reply, encoders)
                if server.monitors:
                    _feed_monitors(c, spec, cargv)
    finally:
        c.send = send
        discard_transaction(c)
    return Raw(out)


EXEC_SPEC = exec_.specs[0]  # type: ignore[attr-defined]


def exec_abort(c: Any, error: CommandError) -> CommandError:
    """EXEC itself was refused before running (wrong arity, pub/sub context...): the transaction is
    discarded and the refusal becomes an EXECABORT, whose text keeps a prefix other than ERR."""
    discard_transaction(c)
    reason = error.message if error.prefix == "ERR" else error.text
    return CommandError(f"Transaction discarded because of: {reason}", "EXECABORT")


@command(
    "discard",
    1,
    flags="noscript loading stale fast allow_busy",
    group="transactions",
    since="2.0.0",
    summary="Drop the commands queued since MULTI and leave the transaction.",
    complexity="O(N), when N is the number of queued commands",
)
def discard(c: Any, argv: list[bytes]) -> Any:
    if c.multi is None:
        raise _DISCARD_WITHOUT_MULTI
    discard_transaction(c)
    return OK


@command(
    "watch",
    -2,
    flags="noscript loading stale fast allow_busy",
    keys=(1, -1, 1),
    group="transactions",
    since="2.2.0",
    summary="Make the next EXEC fail if any of these keys changes before it runs.",
    complexity="O(1) for every key.",
    syntax="key [key ...]",
    key_specs=_WATCH_KEY_SPECS,
)
def watch(c: Any, argv: list[bytes]) -> Any:
    if c.multi is not None:
        raise _WATCH_INSIDE_MULTI
    if c.dirty_cas:
        return OK  # EXEC fails anyway: no point watching more
    _install_hooks(c.server)
    for key in argv[1:]:
        watch_key(c, key)
    return OK


@command(
    "unwatch",
    1,
    flags="noscript loading stale fast allow_busy",
    group="transactions",
    since="2.2.0",
    summary="Forget every key this connection watches.",
    complexity="O(1)",
)
def unwatch(c: Any, argv: list[bytes]) -> Any:
    unwatch_all(c)
    c.dirty_cas = False
    return OK
