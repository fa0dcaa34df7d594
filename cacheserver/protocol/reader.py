"""Client bytes -> requests (lists of ``bytes``), sans-IO, with Redis 7.0's exact protocol errors.

Design: two parsers behind one ``feed``.

* The fast path is ``parse_requests`` of the C extension ``cacheserver._speedups`` when it is built:
  it takes every plainly well-formed multibulk request of the chunk (canonical lengths, CRLF line
  ends, the whole request present) and stops at anything else, where the Python parser takes over.
* Without the extension, the fast path hands whole chunks of multibulk requests to
  ``hiredis.Reader`` (C, ~10x faster than Python). It is taken only when the chunk starts at a request boundary, begins with ``*`` and contains
  no ``\\r\\n+`` (hiredis cannot tell a ``+simple`` element from a ``$bulk`` one) nor a ``*`` followed
  by eight digits (hiredis allocates a list of the announced size as soon as it reads a header, so
  ``*2000000000`` would cost gigabytes before Redis's ``INT_MAX`` check could refuse it), and hiredis
  is left empty after every chunk: it never holds a partial request. ``has_data()`` does not show a
  request whose header hiredis has already consumed, so a chunk is known to end at a boundary only
  when a probe ``*0`` fed after it comes back as the empty request.
* Anything else goes to the Python parser, a transcription of Redis's ``processMultibulkBuffer`` and
  ``processInlineBuffer``: inline commands (with ``sdssplitargs`` quoting), requests split across
  chunks (parse state is kept, so a request of a million arguments arriving in pieces stays linear),
  and malformed input, for which it produces Redis's error text. When the fast path meets something
  it cannot take (a partial request, a protocol error, a non-bulk element), the requests hiredis
  already returned are skipped in the chunk and the Python parser resumes from there. Once the Python
  parser has finished a request split across chunks, a multibulk request following it in the chunk
  goes back to hiredis, so a long pipeline read in arbitrary pieces stays on the fast path.

Rules: this module imports nothing of the server. Errors are reported, not raised: requests parsed
before a protocol error must still run, then the error is sent and the connection closed (``error``).
While ``authenticated`` is false, ``feed`` returns at most one request and keeps the rest buffered
(``feed_buffered`` continues), so that the requests after an AUTH are parsed with the limits of an
authenticated client, as Redis does.
"""

from __future__ import annotations

import itertools
import re

import hiredis

from cacheserver.errors import ProtocolError
from cacheserver.numbers import INT_MAX, parse_ll
from cacheserver.protocol.encoder import bulk_array

try:
    from cacheserver._speedups import parse_requests as native_parse_requests
except ImportError:  # no C compiler where it was installed: hiredis and the Python parser do it all
    native_parse_requests = None

PROTO_INLINE_MAX_SIZE = 64 * 1024
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384

_SPACE = b" \t\n\r\x0b\x0c"
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"
_BOUNDARY_PROBE = b"*0\r\n"
# A header announcing ten million or more elements (or a bulk payload that merely looks like one) is
# left to the Python parser, which allocates per element received. (Kept apart from the ``\r\n+`` test:
# a pattern starting with a literal is scanned for at C speed, an alternation is not.)
_find_big_count = re.compile(rb"\*[0-9]{8}").search


# Chunks up to this size have all their arguments type-checked by joins (a copy of the chunk).
_JOIN_CHECK_MAX = 64 * 1024
_join = b"".join
_chain = itertools.chain.from_iterable
_min = min
# Headers hiredis turns into something that passes for a bulk argument or a request: a simple string,
# a big number or a verbatim string reads as bytes; a set, a push or an attribute as a list, a map as
# a dict. Redis refuses them all ("expected '$'"), so a chunk that has one goes to the Python parser.
_find_hidden_type = re.compile(rb"\r\n[+(=~>|%]").search  # its seven bytes: + ( = ~ > | %


class UnexpectedByte(ProtocolError):
    """``expected '$', got '%c'``: the byte is sent raw, a CR or LF as a space (Redis's error sanitizing)."""

    def __init__(self, byte: int) -> None:
        super().__init__(f"expected '$', got '{chr(byte)}'")
        self.byte = 32 if byte in (10, 13) else byte

    def encoded(self) -> bytes:
        return b"-ERR Protocol error: expected '$', got '%c'\r\n" % self.byte


class QueryBufferLimit(ProtocolError):
    """The pending request is larger than ``client-query-buffer-limit``: close without a reply."""


def split_args(line: bytes) -> list[bytes] | None:
    """Redis's ``sdssplitargs``: split an inline command; ``None`` for unbalanced quotes."""
    args: list[bytes] = []
    n = len(line)
    i = 0
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n or line[i] == 0:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            c = line[i] if i < n else 0
            if in_dq:
                if c == 92 and i + 3 < n and line[i + 1] == 120 and line[i + 2] in _HEX and line[i + 3] in _HEX:
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n and line[i + 1] != 0:
                    i += 1
                    e = line[i]
                    cur.append(_ESCAPES.get(e, e))
                elif c == 34:
                    if i + 1 < n and line[i + 1] != 0 and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif c == 0:
                    return None
                else:
                    cur.append(c)
            elif in_sq:
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] != 0 and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif c == 0:
                    return None
                else:
                    cur.append(c)
            else:
                if c in (32, 10, 13, 9, 0):
                    break
                if c == 34:
                    in_dq = True
                elif c == 39:
                    in_sq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def _skip_requests(data: bytes, count: int) -> int:
    """Offset in ``data`` after ``count`` well-formed multibulk requests (already parsed by hiredis)."""
    pos = 0
    find = data.find
    for _ in range(count):
        nl = find(b"\r\n", pos)
        argc = int(data[pos + 1 : nl])
        pos = nl + 2
        for _ in range(argc):
            nl = find(b"\r\n", pos)
            pos = nl + 2 + int(data[pos + 1 : nl]) + 2
    return pos


class RequestReader:
    """Incremental request parser for one connection."""

    __slots__ = (
        "_native",
        "_hiredis",
        "_buf",
        "_args",
        "_argc_left",
        "max_bulk_len",
        "query_buffer_limit",
        "authenticated",
        "error",
    )

    def __init__(
        self, max_bulk_len: int = 512 * 1024 * 1024, query_buffer_limit: int = 1024**3, native: bool = True
    ) -> None:
        self._native = native_parse_requests if native else None  # ``native=False``: the hiredis path
        self._hiredis = hiredis.Reader()
        self._buf: bytearray | None = None  # Python parser's pending bytes; None on the fast path
        self._args: list[bytes] | None = None  # arguments of a multibulk request under way
        self._argc_left = 0
        self.max_bulk_len = max_bulk_len
        self.query_buffer_limit = query_buffer_limit
        self.authenticated = True  # unauthenticated clients get Redis's tighter limits
        self.error: ProtocolError | None = None

    @property
    def pending(self) -> int:
        """Bytes of an incomplete request held back (``qbuf`` in CLIENT LIST)."""
        return len(self._buf) if self._buf is not None else 0

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Parse ``data``; return the complete requests. After a protocol error ``error`` is set and
        nothing more is accepted."""
        if self.error is not None:
            return []
        out: list[list[bytes]] = []
        if self._buf is not None:
            # finish the request under way; what follows it goes back to the fast path
            data = self._parse(data, out, handoff=True)
            if not data:
                return out
        if data[0] != 42:
            if (
                self.authenticated
                and data[-1] == 10
                and len(data) <= PROTO_INLINE_MAX_SIZE
                and 42 not in data  # no multibulk request among the lines
                and 34 not in data  # no quotes: sdssplitargs is then a split on whitespace
                and 39 not in data
                and 0 not in data  # a NUL ends a line early for Redis (strchr)
                and 11 not in data  # \v and \f: split() ends a word there, sdssplitargs only skips
                and 12 not in data  # them between words
            ):
                # Whole inline lines: each line's words are its arguments; blank lines are skipped.
                out.extend(filter(None, map(bytes.split, data.split(b"\n"))))
                return out
            self._parse(data, out)
            return out
        if not self.authenticated:
            self._parse(data, out)
            return out
        native = self._native
        if native is not None:
            end = len(data)
            while True:
                pos = native(data, out, 0, self.max_bulk_len)
                if pos == end:
                    return out
                # The Python parser reads the request the C one stopped at; if a multibulk request
                # follows it whole, the rest goes back to C.
                data = self._parse(data[pos:] if pos else data, out, handoff=True)
                if not data:
                    return out
                end = len(data)
        lone = data.find(42, 1) < 0  # one header, at the start (memchr): no regex for a lone request
        if lone:
            big = len(data) > 8 and 47 < data[8] < 58 and data[1:9].isdigit()
        else:
            big = _find_big_count(data) is not None
        if big:
            self._parse(data, out)
            return out
        # A CRLF followed by one of the seven bytes is a header hiredis would misread, or (far more
        # often) a bulk argument that starts with that byte ('XADD s MAXLEN ~ ...'): such a chunk is
        # accepted only if it is exactly the multibulk encoding of what hiredis read. The exact
        # search is slow (a candidate at every CRLF): a chunk that lacks all seven bytes skips it,
        # tested with memchr (``int in bytes``; ``bytes in bytes`` takes a slower general search).
        suspect = (
            43 in data or 40 in data or 61 in data or 126 in data or 62 in data or 124 in data or 37 in data
        ) and _find_hidden_type(data) is not None
        r = self._hiredis
        r.feed(data)
        first = len(out)
        if not suspect:
            # A chunk of one request (the unpipelined case) needs neither the loop nor the probe: one
            # gets() stops at the end of the first complete request, so if hiredis returns it with no
            # byte left, the chunk ended exactly there and hiredis holds nothing. Otherwise the loop
            # below takes the rest.
            try:
                req = r.gets()
            except hiredis.ProtocolError:
                req = False  # met again below
            if req is not False:
                out.append(req)
                if req.__class__ is list and req and not r.has_data() and len(data) <= _JOIN_CHECK_MAX:
                    try:
                        _join(req)  # every argument a bulk string
                        return out
                    except TypeError:
                        pass
        at_boundary = False
        try:
            out.extend(iter(r.gets, False))  # a C loop over gets() until hiredis needs more data
            if not r.has_data():
                r.feed(_BOUNDARY_PROBE)
                at_boundary = r.gets() == []  # the probe came back whole: hiredis is empty again
        except hiredis.ProtocolError:
            pass
        got = out[first:] if first else out
        if at_boundary and len(data) <= _JOIN_CHECK_MAX:
            # A few C calls check the whole chunk: no request is empty ('*0', or a top-level '$0' read
            # as an empty string) or has no length (a top-level nil or number), and one join() over
            # all the arguments refuses any that is not bytes (a nested array, a nil) and any request
            # that is not a list (a top-level string chains as ints).
            try:
                if len(got) == 1:  # one request (no pipelining): the same checks without map()
                    req = got[0]
                    if req.__class__ is list and req:
                        _join(req)
                        if not suspect or bulk_array(req) == data:
                            return out
                elif _min(map(len, got)):
                    _join(_chain(got))
                    if not suspect or _join(map(bulk_array, got)) == data:
                        return out
            except (TypeError, ValueError):
                pass
        if suspect:  # not verified: the Python parser reads the whole chunk
            self._hiredis = hiredis.Reader()
            del out[first:]
            self._parse(data, out)
            return out
        # Request by request: keep the well-formed ones, then let Python take over where hiredis could
        # not (a partial request, a protocol error, an element that is not a bulk string, an empty or
        # nil multibulk, a top-level item that Redis would read as an inline command).
        got = out[first:]
        del out[first:]
        taken = 0  # well-formed requests consumed by hiredis
        for req in got:
            if req.__class__ is not list or not req:
                break
            for a in req:
                if a.__class__ is not bytes:
                    break
            else:
                out.append(req)
                taken += 1
                continue
            break
        else:
            if at_boundary:
                return out
        self._hiredis = hiredis.Reader()
        self._parse(data[_skip_requests(data, taken) :], out)
        return out

    def feed_buffered(self) -> list[list[bytes]]:
        """Parse requests already buffered: an unauthenticated client gets one request per call."""
        out: list[list[bytes]] = []
        if self.error is None and self._buf is not None:
            self._parse(b"", out)
        return out

    # -- the Python parser ---------------------------------------------------------------------------

    def _parse(self, data: bytes, out: list[list[bytes]], handoff: bool = False) -> bytes:
        """Parse with the Python parser. With ``handoff``, stop after the first complete request when
        a multibulk request follows it, and return the bytes from there for the fast path (else b"")."""
        buf = self._buf
        if buf is None:
            buf = bytearray(data)
        else:
            buf += data
        authenticated = self.authenticated
        try:
            if handoff and authenticated:
                first = len(out)
                pos = self._parse_buffer(buf, out, 0, True)
                if len(out) > first and self._args is None and pos < len(buf):
                    if buf[pos] == 42:
                        self._buf = None
                        return bytes(memoryview(buf)[pos:])
                    pos = self._parse_buffer(buf, out, pos, False)
            else:
                pos = self._parse_buffer(buf, out, 0, not authenticated)
        except ProtocolError as e:
            self.error = e
            self._buf = None
            return b""
        if pos >= len(buf) and self._args is None:
            self._buf = None
        else:
            del buf[:pos]
            self._buf = buf
            if len(buf) > self.query_buffer_limit:
                self.error = QueryBufferLimit("query buffer limit reached")
                self._buf = None
        return b""

    def _parse_buffer(self, buf: bytearray, out: list[list[bytes]], pos: int, one: bool) -> int:
        """Parse ``buf`` from ``pos``; return where parsing stopped. ``one``: stop after one request."""
        n = len(buf)
        find = buf.find
        while True:
            args = self._args
            if args is None:
                if pos >= n:
                    return pos
                if buf[pos] != 42:
                    nl = find(b"\n", pos)
                    if nl < 0 or find(b"\0", pos, nl) >= 0:
                        if n - pos > PROTO_INLINE_MAX_SIZE:
                            raise ProtocolError("too big inline request")
                        return pos
                    end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
                    argv = split_args(bytes(buf[pos:end]))
                    if argv is None:
                        raise ProtocolError("unbalanced quotes in request")
                    pos = nl + 1
                    if argv:
                        out.append(argv)
                        if one:
                            return pos
                    continue
                nl = find(b"\r", pos)
                if nl < 0:
                    if n - pos > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("too big mbulk count string")
                    return pos
                if nl + 1 >= n:
                    return pos  # the '\n' after the count has not arrived yet
                argc = parse_ll(bytes(buf[pos + 1 : nl]))
                if argc is None or argc > INT_MAX:
                    if find(b"\0", pos, nl) >= 0:
                        return self._unterminated(n - pos, "too big mbulk count string", pos)
                    raise ProtocolError("invalid multibulk length")
                if argc > UNAUTH_MAX_MULTIBULK and not self.authenticated:
                    raise ProtocolError("unauthenticated multibulk length")
                pos = nl + 2
                if argc <= 0:
                    continue
                args = self._args = []
                self._argc_left = argc
            while self._argc_left:
                if pos >= n:
                    return pos
                nl = find(b"\r", pos)
                if nl < 0:
                    if n - pos > PROTO_INLINE_MAX_SIZE:
                        raise ProtocolError("too big bulk count string")
                    return pos
                if nl + 1 >= n:
                    return pos
                if buf[pos] == 36:
                    digits = buf[pos + 1 : nl]
                    # plain digits without a leading zero are the common case: int() directly
                    if digits.isdigit() and (digits[0] != 48 or nl - pos == 2) and nl - pos < 20:
                        size = int(digits)
                    else:
                        size = parse_ll(bytes(digits))
                else:
                    size = None
                if size is None or size < 0 or size > self.max_bulk_len:
                    if find(b"\0", pos, nl) >= 0:
                        return self._unterminated(n - pos, "too big bulk count string", pos)
                    if buf[pos] != 36:
                        raise UnexpectedByte(buf[pos])
                    raise ProtocolError("invalid bulk length")
                if size > UNAUTH_MAX_BULK and not self.authenticated:
                    raise ProtocolError("unauthenticated bulk length")
                start = nl + 2
                if start + size + 2 > n:
                    return pos
                args.append(bytes(buf[start : start + size]))
                pos = start + size + 2
                self._argc_left -= 1
            out.append(args)
            self._args = None
            if one:
                # Unauthenticated: Redis parses the next request only after running this one, so after
                # an AUTH in the same chunk the requests that follow get the authenticated limits.
                return pos

    @staticmethod
    def _unterminated(pending: int, too_big: str, pos: int) -> int:
        """A header line with a NUL before its ``\\r``: Redis's ``strchr`` stops at the NUL, so the
        line never ends; it waits for more bytes until the inline limit is passed."""
        if pending > PROTO_INLINE_MAX_SIZE:
            raise ProtocolError(too_big)
        return pos
