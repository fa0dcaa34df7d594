"""Run a batch of requests for one client: lookup -> arity -> gates -> handler -> reply -> after-call.

The common case (a known command, right arity, an ordinary client, no server-wide gate) is a straight
line: one dict lookup, one arity comparison, the handler call, one encoder call and the stats. Every
rare condition is folded into two booleans, ``client.gated`` and ``Dispatcher.gated``, checked once per
command; the slow checks live in ``_gate``.

Rules: handlers raise ``CommandError`` for expected failures; anything else is a bug, logged once per
command name, answered with ``-ERR internal error``, and the connection and server carry on.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import SKIP_SLOWLOG, CommandSpec
from cacheserver.commands.table import CommandTable
from cacheserver.commands.transactions import exec_abort
from cacheserver.errors import CommandError
from cacheserver.network.client_state import REPLY_ON, REPLY_SKIP, REPLY_SKIP_NEXT, ClientState
from cacheserver.protocol.encoder import BULK_HEADERS, SMALL_INTS, encode_into
from cacheserver.protocol.replies import QUEUED, Raw

log = logging.getLogger("cacheserver")

_perf_ns = time.perf_counter_ns

# Commands a RESP2 client may run while subscribed (Redis 7.0's list).
PUBSUB_CONTEXT = frozenset(
    {"subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"}
)
# Commands that run immediately inside MULTI instead of being queued.
MULTI_IMMEDIATE = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})


class Dispatcher:
    def __init__(self, server: Any, table: CommandTable) -> None:
        self.server = server
        self.table = table
        self.by_name = table.by_name
        self.gated = False  # a server-wide gate is active: maxmemory, monitors, pause, loading
        self._bugs_logged: set[str] = set()

    def run(self, c: ClientState, requests: list[list[bytes]], out: bytearray, start: int = 0) -> int:
        """Execute ``requests[start:]``, appending replies to ``out``. Stops early if the client blocks
        or must be closed; returns the index of the first request not executed."""
        by_name = self.by_name
        server = self.server
        slow_ns = server.slowlog_threshold_ns
        perf_ns = _perf_ns
        i = start
        # One clock read per command: a command's time runs from the end of the previous one, so it
        # includes its own lookup and checks (a few hundred ns) and the clock is read half as often.
        t0 = perf_ns()
        for argv in requests[start:] if start else requests:
            i += 1
            spec = by_name.get(argv[0])
            if spec is None:
                spec = self.table.lookup(argv[0])
                if spec is None:
                    self._reject(c, out, errors.unknown_command(argv), None)
                    continue
            if not spec.argc_min <= len(argv) <= spec.argc_max:
                # A wrong argument count, or a container (CONFIG, CLIENT...) to resolve: see compile_arity.
                argc = len(argv)
                arity = spec.arity
                if arity > 0 or argc < -arity:
                    self._reject(c, out, errors.wrong_arity(spec.fullname), spec)
                    continue
                if spec.subcommands is not None and argc > 1:  # COMMAND alone runs its container
                    sub = spec.subcommands.get(argv[1].lower())
                    if sub is None:
                        # no command was found, so none counts it (Redis: only errorstat_ERR)
                        self._reject(c, out, errors.unknown_subcommand(argv[1], spec.name), None)
                        continue
                    if not sub.arity_ok(argc):
                        self._reject(c, out, errors.wrong_arity(sub.fullname), sub)
                        continue
                    spec = sub
            if c.gated or self.gated:
                if c.gated:
                    target = self._gate(c, spec, argv, out)
                else:
                    # An ordinary client under a server-wide gate (maxmemory, CLIENT PAUSE, MONITOR):
                    # of ``_gate`` only the server's checks apply.
                    refusal = server.gate_command(c, spec, argv)
                    if refusal is not None:
                        self._reject(c, out, refusal, spec)
                        target = None
                    else:
                        target = out if c.blocked is None else None
                if target is None:
                    if c.blocked is not None:
                        # Postponed (CLIENT PAUSE): this request runs again when the client resumes.
                        c.pending = requests[i - 1 :]
                        return i - 1
                    if c.close_after_reply:
                        return i
                    continue
            else:
                target = out
            try:
                reply = spec.handler(c, argv)
            except CommandError as e:
                reply = e
                spec.failed_calls += 1
                server.count_error_reply(e)
            except Exception:
                reply = self._bug(spec, argv)
            t1 = perf_ns()
            dt = t1 - t0
            t0 = t1
            spec.calls += 1
            spec.total_ns += dt
            c.last_cmd = spec.fullname
            if dt > slow_ns and SKIP_SLOWLOG not in spec.flags:
                server.slowlog_add(c, argv, dt)
            # The commonest replies are encoded here without a call: pre-encoded constants, bulk
            # strings and integers read the same in RESP2 and RESP3; a null differs.
            cls = reply.__class__
            if cls is Raw:
                target += reply
            elif cls is bytes:
                size = len(reply)
                target += BULK_HEADERS[size] if size < 1024 else b"$%d\r\n" % size
                target += reply
                target += b"\r\n"
            elif cls is int:
                target += SMALL_INTS[reply] if 0 <= reply < 1024 else b":%d\r\n" % reply
            elif reply is None:
                target += b"_\r\n" if c.resp == 3 else b"$-1\r\n"
            else:
                encoders = c.encoders
                f = encoders.get(cls)
                if f is None:
                    encode_into(target, reply, encoders)
                else:
                    f(target, reply, encoders)
            if c.blocked is not None or c.close_after_reply:
                if c.blocked is not None:
                    c.pending = requests[i:]
                return i
            if server.after_command is not None:
                server.after_command(c)
                t0 = perf_ns()
        return i

    # -- the slow path -------------------------------------------------------------------------------

    def _gate(self, c: ClientState, spec: CommandSpec, argv: list[bytes], out: bytearray) -> bytearray | None:
        """Checks for gated clients and server-wide conditions. Returns the buffer the reply goes to,
        or None when the command was answered (or refused) here. ``spec`` is already the subcommand's."""
        server = self.server
        name = (spec.parent or spec).name
        if not c.authenticated and not spec.no_auth:
            self._reject(c, out, errors.NOAUTH, spec)
            return None
        if c.resp == 2 and c.subscription_count() and name not in PUBSUB_CONTEXT:
            self._reject(
                c,
                out,
                CommandError(
                    f"Can't execute '{spec.fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                    "RESET are allowed in this context"
                ),
                spec,
            )
            return None
        queue = c.multi is not None and name not in MULTI_IMMEDIATE
        if queue and spec.no_multi:
            self._reject(c, out, CommandError("Command not allowed inside a transaction"), spec)
            return None
        if self.gated:
            # Before queueing, as Redis: a paused write waits even to be queued (monitors skip queueing).
            refusal = server.gate_command(c, spec, argv)
            if refusal is not None:
                self._reject(c, out, refusal, spec)
                return None
            if c.blocked is not None:  # postponed by a gate (CLIENT PAUSE): run again on resume
                return None
        if queue:
            if not (c.multi_error or c.dirty_cas):  # doomed: keep nothing (queueMultiCommand)
                c.multi.append((spec, argv))
            c.last_cmd = spec.fullname
            self._write(c, out, QUEUED)
            return None
        if c.no_touch and server.no_touch_gate is not None:
            server.no_touch_gate(c, spec, argv)
        if c.reply_mode != REPLY_ON:
            if spec.fullname == "client|reply":
                return out  # CLIENT REPLY decides itself whether it answers
            if c.reply_mode == REPLY_SKIP_NEXT:
                c.reply_mode = REPLY_SKIP
                return bytearray()
            if c.reply_mode == REPLY_SKIP:
                c.reply_mode = REPLY_ON
                c.update_gate()
                return out
            return bytearray()
        return out

    def _write(self, c: ClientState, out: bytearray, reply: Any) -> None:
        if c.reply_mode == REPLY_ON:
            encode_into(out, reply, c.encoders)
        elif c.reply_mode == REPLY_SKIP:
            c.reply_mode = REPLY_ON
            c.update_gate()

    def _reject(self, c: ClientState, out: bytearray, error: CommandError, spec: CommandSpec | None) -> None:
        """A command refused before running (unknown, arity, auth, OOM...): Redis's rejected_calls.
        Inside MULTI it also dooms the transaction (EXECABORT), as Redis's flagTransaction does."""
        if spec is not None:
            spec.rejected_calls += 1
            if spec.name == "exec" and spec.parent is None:
                error = exec_abort(c, error)  # a refused EXEC ends the transaction (execCommandAbort)
        if c.multi is not None:
            c.multi_error = True
        self.server.count_error_reply(error)
        self._write(c, out, error)

    def _bug(self, spec: CommandSpec, argv: list[bytes]) -> CommandError:
        if spec.fullname not in self._bugs_logged:
            self._bugs_logged.add(spec.fullname)
            log.exception("internal error in '%s'", spec.fullname)
        spec.failed_calls += 1
        self.server.count_error_reply(errors.INTERNAL)
        return errors.INTERNAL

    def call(self, c: ClientState, spec: CommandSpec, argv: list[bytes]) -> Any:
        """Run one already-resolved command (EXEC, scripts) with its stats and slow log; returns the reply."""
        if c.tracking is not None:  # the reads of a tracking client's transaction
            self.server.tracking.remember(c, spec, argv)
        t0 = _perf_ns()
        try:
            reply = spec.handler(c, argv)
        except CommandError as e:
            reply = e
            spec.failed_calls += 1
            self.server.count_error_reply(e)
        except Exception:
            reply = self._bug(spec, argv)
        dt = _perf_ns() - t0
        spec.calls += 1
        spec.total_ns += dt
        if dt > self.server.slowlog_threshold_ns and SKIP_SLOWLOG not in spec.flags:
            self.server.slowlog_add(c, argv, dt)
        return reply
