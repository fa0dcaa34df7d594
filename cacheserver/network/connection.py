"""One client connection: bytes in -> requests -> dispatcher -> ONE transport.write per read batch.

This is the only asyncio code on the data path. ``data_received`` refreshes the cached clock, parses
the chunk, runs every complete request and writes all replies at once. A blocked or paused client
keeps its later requests in ``client.pending`` until ``resume`` runs them. Flow control: while the
transport's write buffer is above its high-water mark the connection stops reading, so a client that
does not read its replies cannot make the server buffer without bound. Out-of-band output (``send``:
pub/sub messages, replies to unblocked clients) joins the replies of the client's own running batch, or
is gathered and written once at the end of the loop iteration, ahead of any later reply.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from cacheserver.network.client_state import ClientState
from cacheserver.protocol.reader import QueryBufferLimit, RequestReader

log = logging.getLogger("cacheserver")

MAX_CLIENTS_ERROR = b"-ERR max number of clients reached\r\n"


class ClientConnection(asyncio.Protocol):
    def __init__(self, server: Any) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: ClientState | None = None
        self.reader = RequestReader(server.proto_max_bulk_len, server.query_buffer_limit)
        self.reading_paused = False
        self.writing_paused = False
        # The replies of the batch being run: out-of-band output for this same client (a message it
        # published to itself, a keyspace event its own command caused) joins them in order.
        self.batch: bytearray | None = None
        # Out-of-band output gathered during one loop iteration and written once at its end (Redis's
        # clients-pending-write): a subscriber gets one write per iteration, not one per message.
        self.pending: bytearray | None = None

    # -- asyncio callbacks ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.loop = asyncio.get_running_loop()
        server = self.server
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        c = ClientState(server.next_client_id(), server, self.send, self.close)
        self.client = c
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if isinstance(peer, tuple):
            c.addr = _format_addr(peer)
            c.laddr = _format_addr(local)
        else:
            c.unix = True
            c.addr = f"{local}:0"
            c.laddr = f"{local}:0"
        c.fd = sock.fileno() if sock is not None else -1
        c.transport_info = self.buffer_sizes
        self.reader.authenticated = c.authenticated
        if len(server.clients) >= server.maxclients:
            server.stats.rejected_connections += 1
            transport.write(MAX_CLIENTS_ERROR)
            transport.close()
            c.closed = True
            return
        server.client_connected(c, self)

    def data_received(self, data: bytes) -> None:
        c = self.client
        if c is None or c.closed:
            return
        server = self.server
        c.last_ms = server.clock.refresh()
        stats = server.stats
        stats.net_input_bytes += len(data)
        reader = self.reader
        requests = reader.feed(data)
        if c.pending is not None:
            # Blocked or paused: keep the order; the requests run when the client is resumed.
            c.pending.extend(requests)
        elif requests:
            # ``run_batch`` written out, as this runs once per read
            out = self.batch = bytearray()
            try:
                server.dispatcher.run(c, requests, out)
            finally:
                self.batch = None
            if out:
                if self.pending is None:
                    stats.net_output_bytes += len(out)
                    self.transport.write(out)  # type: ignore[union-attr]
                else:
                    self.write(out)
            if c.close_after_reply:
                self.close()
                return
        if reader.error is not None:
            # Redis parses nothing of a blocked client's input: the error comes after its pending
            # requests ran (``resume``); only the query buffer limit closes the client at once.
            if c.pending is None or reader.error.__class__ is QueryBufferLimit:
                self.protocol_error(reader.error)
        elif not (reader.authenticated and c.authenticated):
            self.run_unauthenticated()

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        c = self.client
        if c is not None and not c.closed:
            c.closed = True
            self.server.client_disconnected(c)

    def pause_writing(self) -> None:
        self.writing_paused = True
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.reading_paused and self.transport is not None and not self.transport.is_closing():
            self.reading_paused = False
            self.transport.resume_reading()

    # -- used by the server ---------------------------------------------------------------------------

    def write(self, out: bytes | bytearray) -> None:
        if self.pending is not None:
            # Out-of-band output that came first goes first.
            pending, self.pending = self.pending, None
            pending += out
            out = pending
        self.server.stats.net_output_bytes += len(out)
        self.transport.write(out)  # type: ignore[union-attr]

    def send(self, data: bytes) -> None:
        """Out-of-band output (pub/sub messages, replies to unblocked clients, MONITOR lines): joins the
        replies of this client's running batch, else is written at the end of this loop iteration."""
        batch = self.batch
        if batch is not None:
            batch += data
            return
        pending = self.pending
        if pending is not None:
            pending += data
            return
        t = self.transport
        if t is not None and not t.is_closing():
            self.pending = bytearray(data)
            self.loop.call_soon(self.flush_pending)

    def flush_pending(self) -> None:
        pending = self.pending
        if pending is not None:
            self.pending = None
            t = self.transport
            if t is not None and not t.is_closing():
                self.server.stats.net_output_bytes += len(pending)
                t.write(pending)

    def close(self) -> None:
        """Close after flushing what was already written (Redis's CLOSE_AFTER_REPLY)."""
        self.flush_pending()
        t = self.transport
        if t is not None and not t.is_closing():
            t.close()
        c = self.client
        if c is not None and not c.closed:
            c.closed = True
            self.server.client_disconnected(c)

    def abort(self) -> None:
        t = self.transport
        if t is not None:
            t.abort()
        c = self.client
        if c is not None and not c.closed:
            c.closed = True
            self.server.client_disconnected(c)

    def run_batch(self, requests: list[list[bytes]]) -> bool:
        """Run requests and write all their replies at once; True if the connection was closed."""
        c = self.client
        out = self.batch = bytearray()
        try:
            self.server.dispatcher.run(c, requests, out)
        finally:
            self.batch = None
        if out:
            self.write(out)
        if c.close_after_reply:
            self.close()
            return True
        return False

    def resume(self) -> None:
        """Run the requests a blocked or paused client received meanwhile."""
        c = self.client
        if c is None or c.closed or c.blocked is not None:
            return
        requests, c.pending = c.pending, None
        if requests and self.run_batch(requests):
            return
        if c.pending is None and self.reader.error is not None:
            self.protocol_error(self.reader.error)

    def run_unauthenticated(self) -> None:
        """Run the buffered requests of a client that is not (or was not, until now) authenticated.

        The reader hands over one request at a time while the client is unauthenticated, so each is
        parsed under the limits that hold once the previous one ran (an AUTH lifts them).
        """
        c = self.client
        reader = self.reader
        while not c.closed:
            reader.authenticated = c.authenticated
            requests = reader.feed_buffered()
            if not requests:
                break
            if c.pending is not None:
                c.pending.extend(requests)
                continue
            if self.run_batch(requests):
                return
        if reader.error is not None and not c.closed:
            self.protocol_error(reader.error)

    def protocol_error(self, error: Exception) -> None:
        c = self.client
        if isinstance(error, QueryBufferLimit):
            log.warning("Closing client that reached max query buffer length: id=%s addr=%s", c.id, c.addr)
            self.abort()
            return
        log.debug("Protocol error (%s) from client: id=%s addr=%s", error, c.id, c.addr)
        self.server.count_error_reply(None)
        self.write(error.encoded())  # type: ignore[attr-defined]
        self.close()

    def buffer_sizes(self) -> dict:
        t = self.transport
        return {
            "qbuf": self.reader.pending,
            "obl": 0,
            "omem": t.get_write_buffer_size() if t is not None else 0,
        }


def _format_addr(addr: Any) -> str:
    if not isinstance(addr, tuple):
        return f"{addr}:0"
    host, port = addr[0], addr[1]
    return f"{host}:{port}"
