"""Stream commands: XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD/XREADGROUP (blocking
included), consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO, as Redis 7.0's
t_stream.c.

Rules: arguments are checked in Redis's order, so the first error is Redis's; IDs are ints
(``ms << 64 | seq``, see types/stream.py); an entry is stored already encoded as its reply
(``*2 id [field value ...]``, identical in RESP2 and RESP3), so reads only join bytes. A stream is never
deleted for being empty (XDEL and XTRIM leave an empty stream, as Redis). Every change tells WATCH
(``signal_modified``), emits its ``t`` event and counts in ``dirty``; XADD and XGROUP DESTROY signal the
key ready for blocked readers. Times come from the cached clock.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from cacheserver import errors
from cacheserver.commands.args import int_arg
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.errors import WRONGTYPE, CommandError, arg_text
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import LLONG_MAX, parse_ll
from cacheserver.protocol.replies import EMPTY_ARRAY, NULL_ARRAY, OK, Map, Raw
from cacheserver.types.stream import (
    INVALID_ENTRIES_READ,
    LISTPACK_MAX_SIZE,
    MAX_ID,
    NACK,
    U64,
    ConsumerGroup,
    Stream,
    id_bytes,
)

INVALID_ID = CommandError("Invalid stream ID specified as stream command argument")
XADD_TOO_SMALL = CommandError("The ID specified in XADD is equal or smaller than the target stream top item")
XADD_ZERO = CommandError("The ID specified in XADD must be greater than 0-0")
TOO_LARGE = CommandError("Elements are too large to be stored")
EXHAUSTED = CommandError("The stream has exhausted the last possible ID, unable to add more items")
INVALID_START = CommandError("invalid start ID for the interval")
INVALID_END = CommandError("invalid end ID for the interval")
MAXLEN_NEGATIVE = CommandError("The MAXLEN argument must be >= 0.")
LIMIT_NEGATIVE = CommandError("The LIMIT argument must be >= 0.")
MAXLEN_AND_MINID = CommandError("syntax error, MAXLEN and MINID options at the same time are not compatible")
LIMIT_WITHOUT_STRATEGY = CommandError("syntax error, LIMIT cannot be used without specifying a trimming strategy")
LIMIT_WITHOUT_APPROX = CommandError("syntax error, LIMIT cannot be used without the special ~ option")
XTRIM_NO_STRATEGY = CommandError("syntax error, XTRIM must be called with a trimming strategy")
NO_SUCH_KEY = errors.NO_SUCH_KEY
XGROUP_NEEDS_KEY = CommandError(
    "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM "
    "option to create an empty stream automatically."
)
BUSYGROUP = CommandError("Consumer Group name already exists", "BUSYGROUP")
ENTRIESREAD_RANGE = CommandError("value for ENTRIESREAD must be positive or -1")
UNBALANCED = CommandError(
    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
)
GROUP_IN_XREAD = CommandError("The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
NOACK_IN_XREAD = CommandError("The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
MISSING_GROUP = CommandError("Missing GROUP option for XREADGROUP")
DOLLAR_IN_GROUP = CommandError(
    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by "
    "specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
)
GT_IN_XREAD = CommandError(
    "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
)
TIMEOUT_NOT_INT = CommandError("timeout is not an integer or out of range")
GROUP_GONE = CommandError("the consumer group this client was blocked on no longer exists", "NOGROUP")
STREAM_GONE = CommandError("the stream key no longer exists", "UNBLOCKED")
COUNT_POSITIVE = CommandError("COUNT must be > 0")

XREAD_BLOCKED_DEFAULT_COUNT = 1000
_AUTOCLAIM_MAX_COUNT = LLONG_MAX // 16

_BULK_HEADERS = [b"$%d\r\n" % n for n in range(1024)]
_SEQ_TEXT = [b"%d" % n for n in range(1024)]
_ID_PREFIX: list = [-1, b""]  # [ms, b"<ms>-"] of the last ID generated (by any stream)
_PAIR_HEADERS = [b"*2\r\n$%d\r\n" % n for n in range(128)]  # an entry's start, by the length of its ID
# [field, value, b"\r\n*2\r\n$<len>\r\n<field>\r\n$<len>\r\n<value>\r\n"] of the last one-field XADD: the
# entry after its ID, the same while a client repeats its field and value (as benchmarks and counters do)
_ENTRY_TAIL: list = [None, None, b""]
_NO_NODE = [0, 0, 0, 0, 0, None]  # stands for the last node of a stream without nodes: no field matches it
_SPACES = b" \t\n\r\x0b\x0c"


# -- IDs -------------------------------------------------------------------------------------------------


def _u64(text: bytes) -> int | None:
    """Redis's string2ull: an integer first, else strtoull's rules (spaces, a sign, wraps negatives)."""
    v = parse_ll(text)
    if v is not None:
        return v if v >= 0 else None
    s = text.lstrip(_SPACES)
    neg = s[:1] == b"-"
    if s[:1] in (b"+", b"-"):
        s = s[1:]
    if not s or not s.isdigit():
        return None
    v = int(s)
    if v > U64:
        return None
    return (-v) & U64 if neg else v


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = True) -> int:
    """An ID argument (``ms-seq``, ``ms``; ``-``/``+`` unless ``strict``), else Redis's error."""
    if len(arg) > 127:
        raise INVALID_ID
    if len(arg) == 1:
        if arg == b"-":
            if strict:
                raise INVALID_ID
            return 0
        if arg == b"+":
            if strict:
                raise INVALID_ID
            return MAX_ID
    ms_text, dash, seq_text = arg.partition(b"-")
    ms = _u64(ms_text)
    if ms is None:
        raise INVALID_ID
    if dash:
        seq = _u64(seq_text)
        if seq is None:
            raise INVALID_ID
    else:
        seq = missing_seq
    return ms << 64 | seq


def _parse_xadd_id(arg: bytes) -> tuple[int, bool]:
    """XADD's explicit ID: (id, seq_given); ``ms-*`` leaves the sequence to the server."""
    if arg.endswith(b"-*") and arg.count(b"-") == 1 and len(arg) <= 127:
        ms = _u64(arg[:-2])
        if ms is None:
            raise INVALID_ID
        return ms << 64, False
    return parse_id(arg), True


def _interval(arg: bytes, missing_seq: int) -> tuple[int, bool]:
    """A range bound: ``(id`` is exclusive (never ``(-``/``(+``)."""
    if len(arg) > 1 and arg[0] == 40:  # "("
        return parse_id(arg[1:], missing_seq, True), True
    return parse_id(arg, missing_seq, False), False


def _start_bound(arg: bytes) -> int:
    sid, exclusive = _interval(arg, 0)
    if exclusive:
        if sid == MAX_ID:
            raise INVALID_START
        sid += 1
    return sid


def _end_bound(arg: bytes) -> int:
    sid, exclusive = _interval(arg, U64)
    if exclusive:
        if sid == 0:
            raise INVALID_END
        sid -= 1
    return sid


# -- lookups and replies -----------------------------------------------------------------------------------


def _entry_payload(idb: bytes, argv: list[bytes], pos: int) -> tuple[bytes, Any, int, int]:
    """(encoded entry, its field names, estimated listpack bytes of the values, of the fields). The field
    names are a tuple, or the name itself for a single field (as XADD's own one-field path stores them)."""
    n = len(argv) - pos
    headers = _BULK_HEADERS
    out = [b"*2\r\n%b%b\r\n*%d\r\n" % (headers[len(idb)], idb, n)]
    append = out.append
    vsize = 4
    fsize = 1
    for i in range(pos, len(argv)):
        a = argv[i]
        ln = len(a)
        append(headers[ln] if ln < 1024 else b"$%d\r\n" % ln)
        append(a)
        append(b"\r\n")
        if (i - pos) & 1:
            vsize += ln + 2
        else:
            fsize += ln + 2
    return b"".join(out), (argv[pos] if n == 2 else tuple(argv[pos::2])), vsize, fsize


def _entries(s: Stream, lo: int, hi: int, rev: bool = False) -> Raw:
    """The entries at positions ``lo:hi`` (see Stream.span) as one encoded array."""
    if lo >= hi:
        return EMPTY_ARRAY
    payloads = s.payloads[lo:hi]
    if rev:
        payloads.reverse()
    return Raw(b"*%d\r\n" % (hi - lo) + b"".join(payloads))


def _signal_changed(c: Any, key: bytes, event: bytes, dirty: int = 1) -> None:
    db = c.db
    ks = db.ks
    db.stale[key] = None  # ``signal_modified``, written out
    if db.watched:
        db.touch_watched(key)
    if ks.notify_flags:
        ks.emit(ev.STREAM, event, key, db.index)
    ks.dirty += dirty


def _group_changed(c: Any, key: bytes, event: bytes) -> None:
    """A change of metadata (groups, XSETID): its event and dirty, but no WATCH touch, as Redis 7.0."""
    ks = c.db.ks
    if ks.notify_flags:
        ks.emit(ev.STREAM, event, key, c.db.index)
    ks.dirty += 1


def _subcommand_syntax(c: Any, argv: list[bytes]) -> CommandError:
    return CommandError(
        f"unknown subcommand or wrong number of arguments for '{arg_text(argv[1])}'. Try {argv[0].decode().upper()}"
        " HELP."
    )


def _key_spec(flags: str, index: int = 1) -> dict:
    return {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": index}},
        "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
    }


# -- XADD / XTRIM ----------------------------------------------------------------------------------------


class _TrimArgs:
    __slots__ = ("maxlen", "minid", "approx", "limit", "nomkstream", "id_pos", "sid", "seq_given")

    def __init__(self) -> None:
        self.maxlen = -1
        self.minid = -1
        self.approx = False
        self.limit = 0
        self.nomkstream = False
        self.id_pos = 0
        self.sid = -1  # XADD's explicit ID, parsed where the options end (-1: none, or ``*``)
        self.seq_given = False


def _parse_trim_args(c: Any, argv: list[bytes], xadd: bool) -> _TrimArgs:
    """streamParseAddOrTrimArgsOrReply: options up to XADD's ID (``id_pos``; len(argv) if none)."""
    a = _TrimArgs()
    argc = len(argv)
    i = 2
    limit_given = False
    strategy = False
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        up = opt.upper()
        if xadd and opt == b"*":
            break
        if (up == b"MAXLEN" or up == b"MINID") and more:
            if strategy:
                raise MAXLEN_AND_MINID
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            if up == b"MAXLEN":
                a.maxlen = int_arg(argv[i + 1])
                if a.maxlen < 0:
                    raise MAXLEN_NEGATIVE
            else:
                a.minid = parse_id(argv[i + 1])
            i += 1
            strategy = True
        elif up == b"LIMIT" and more:
            a.limit = int_arg(argv[i + 1])
            if a.limit < 0:
                raise LIMIT_NEGATIVE
            limit_given = True
            i += 1
        elif xadd and up == b"NOMKSTREAM":
            a.nomkstream = True
        elif xadd:
            # The ID: Redis parses it here, so a bad ID is reported before the checks below.
            a.sid, a.seq_given = _parse_xadd_id(opt)
            break
        else:
            raise errors.SYNTAX
        i += 1
    a.id_pos = i
    if a.limit and not strategy:
        raise LIMIT_WITHOUT_STRATEGY
    if not xadd and not strategy:
        raise XTRIM_NO_STRATEGY
    if limit_given:
        if not a.approx:
            raise LIMIT_WITHOUT_APPROX
    elif a.approx:
        limit = 100 * c.server.config.values["stream-node-max-entries"]
        a.limit = limit if 0 < limit <= 1000000 else 10000
    else:
        a.limit = 0
    return a


@command("xadd", -5, flags="write denyoom fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Append an entry to a stream, creating it if needed; optionally trim it.",
         complexity="O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
         syntax="key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value "
                "[field value ...]",
         tips="nondeterministic_output",
         key_specs=[{"notes": "UPDATE instead of INSERT because of the optional trimming feature",
                     **_key_spec("RW update")}],
         history=[("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."),
                  ("7.0.0", "Added support for the `<ms>-*` explicit ID form.")])
def xadd(c: Any, argv: list[bytes]) -> Any:
    # The common forms, ``key * field value`` and ``key MAXLEN ~ n * field value``, on an existing
    # stream take this straight path (Stream.append and the trimming check inlined); anything else,
    # or a rare case met on the way (no stream yet, a sequence overflow, a long field or value), takes
    # the general one, which repeats nothing this path changed.
    argc = len(argv)
    if argc == 5:
        if argv[2] != b"*":
            return _xadd(c, argv)
        maxlen = -1
        f = argv[3]
        v = argv[4]
    elif argc == 8 and argv[5] == b"*" and argv[3] == b"~" and argv[2].upper() == b"MAXLEN":
        maxlen = int_arg(argv[4])
        if maxlen < 0:
            raise MAXLEN_NEGATIVE
        f = argv[6]
        v = argv[7]
    else:
        return _xadd(c, argv)
    # The entry's text after its ID, shared by every entry with that field and value.
    tail_text = _ENTRY_TAIL
    if tail_text[1] != v or tail_text[0] != f:
        if len(f) >= 1024 or len(v) >= 1024:
            return _xadd(c, argv)
        tail_text[2] = b"\r\n*2\r\n%b%b\r\n%b%b\r\n" % (_BULK_HEADERS[len(f)], f, _BULK_HEADERS[len(v)], v)
        tail_text[0] = f
        tail_text[1] = v
    db = c.db
    key = argv[1]
    if db.expires or db.policy is not None:
        s = db.lookup(key)  # it may have expired, or an eviction policy is to be told
    else:
        s = db.data.get(key)  # ``lookup`` written out for a database without TTLs or a policy
    if s.__class__ is not Stream:
        return _xadd(c, argv)
    server = c.server
    db.lru[key] = server.clock.lru
    # streamIncrID without 128-bit arithmetic: the stream keeps its last ID's two parts. A sequence
    # of 1024 or more is rare (1024 entries in one millisecond): its own check holds the overflow's.
    # Nothing below goes back to the general path, so the new ID is stored as soon as it is known
    # (a new millisecond: both parts; the same one: the sequence).
    ms = server.clock.now_ms
    last_ms = s.last_ms
    if last_ms < ms:
        seq = 0
        sid = ms << 64
        seq_text = b"0"
        s.last_ms = ms
        s.last_seq = 0
    else:
        seq = s.last_seq + 1
        if seq < 1024:
            seq_text = _SEQ_TEXT[seq]
        elif seq > U64:
            return _xadd(c, argv)
        else:
            seq_text = b"%d" % seq
        s.last_seq = seq
        ms = last_ms
        sid = s.last_id + 1
    s.last_id = sid
    # The ID's text: the "<ms>-" prefix is shared by every ID of that millisecond.
    prefix = _ID_PREFIX
    if prefix[0] != ms:
        prefix[0] = ms
        prefix[1] = b"%d-" % ms
    idb = prefix[1] + seq_text
    payload = _PAIR_HEADERS[len(idb)] + idb + tail_text[2]
    # Stream.append for one field, whose common case (the entry fits the last node, whose first entry
    # has the same field) is written out here; any other goes through Stream.append.
    values = server.config.values
    try:
        tail = s.nodes[-1]  # [master_id, live, deleted, last_id, bytes, master_fields]
    except IndexError:
        tail = _NO_NODE
    size = tail[4] + len(v) + 6
    max_entries = values["stream-node-max-entries"]
    if (
        f == tail[5]
        and size < values["stream-node-max-bytes"] <= LISTPACK_MAX_SIZE
        and (tail[1] + tail[2] < max_entries or not max_entries)
    ):
        tail[1] += 1
        tail[3] = sid
        tail[4] = size
        s.ids.append(sid)
        s.payloads.append(payload)
        s.nbytes += len(payload)
        s.entries_added += 1
    else:
        s.append(sid, ms, seq, payload, f, len(v) + 6, len(f) + 3, max_entries, values["stream-node-max-bytes"])
    ks = db.ks
    db.stale[key] = None  # ``signal_modified``, written out
    if db.watched:
        db.touch_watched(key)
    if ks.notify_flags:
        ks.emit(ev.STREAM, b"xadd", key, db.index)
    ks.dirty += 1
    # Approximate MAXLEN trimming removes nothing while the first node cannot go (see Stream.trim).
    if maxlen >= 0:
        length = len(s.ids) - s.head
        if length > maxlen and length - s.nodes[0][1] >= maxlen:
            limit = 100 * values["stream-node-max-entries"]
            if not 0 < limit <= 1000000:
                limit = 10000
            if s.trim(maxlen, -1, True, limit) and ks.notify_flags:
                ks.emit(ev.STREAM, b"xtrim", key, db.index)
    if db.blocking_keys:
        db.signal_ready(key)
    return idb


def _xadd(c: Any, argv: list[bytes]) -> Any:
    """XADD's general path: every option, explicit IDs, a new stream, many fields."""
    argc = len(argv)
    if argv[2] == b"*":  # no options, an automatic ID
        trim = None
        field_pos = 3
        explicit = seq_given = False
        sid = 0
    else:
        trim = _parse_trim_args(c, argv, True)
        explicit = trim.sid >= 0
        sid, seq_given = (trim.sid, trim.seq_given) if explicit else (0, False)
        field_pos = trim.id_pos + 1
    if argc - field_pos < 2 or (argc - field_pos) & 1:
        raise errors.wrong_arity("xadd")
    if seq_given and sid == 0:
        raise XADD_ZERO
    db = c.db
    key = argv[1]
    s = db.lookup(key)
    created = False
    if s is None:
        if trim is not None and trim.nomkstream:
            return None
        s = Stream()
        created = True
    elif s.__class__ is not Stream:
        raise WRONGTYPE
    last = s.last_id
    if last == MAX_ID:
        raise EXHAUSTED
    server = c.server
    if not explicit:
        # streamIncrID without 128-bit arithmetic: the stream keeps its last ID's two parts
        ms = server.clock.now_ms
        if s.last_ms < ms:
            seq = 0
            sid = ms << 64
        else:
            ms = s.last_ms
            seq = s.last_seq + 1
            sid = last + 1
            if seq > U64:
                ms += 1
                seq = 0
    else:
        if not seq_given:
            ms = sid >> 64
            last_ms = s.last_ms
            if ms == last_ms:
                if s.last_seq == U64:
                    raise TOO_LARGE  # Redis 7.0 reports the sequence overflow as ERANGE
                sid = last + 1
            elif ms < last_ms:
                raise XADD_TOO_SMALL
        elif sid <= last:
            raise XADD_TOO_SMALL
        ms = sid >> 64
        seq = sid & U64
    # The ID's text: the "<ms>-" prefix is shared by every ID of that millisecond.
    prefix = _ID_PREFIX
    if prefix[0] != ms:
        prefix[0] = ms
        prefix[1] = b"%d-" % ms
    idb = prefix[1] + _SEQ_TEXT[seq] if seq < 1024 else prefix[1] + b"%d" % seq
    f = argv[field_pos]
    v = argv[field_pos + 1]
    if argc - field_pos == 2 and len(f) < 1024 and len(v) < 1024:
        # One field, the common case: encoded in one formatting.
        headers = _BULK_HEADERS
        payload = b"*2\r\n%b%b\r\n*2\r\n%b%b\r\n%b%b\r\n" % (headers[len(idb)], idb, headers[len(f)], f,
                                                                      headers[len(v)], v)
        fields = f
        vsize = len(v) + 6
        fsize = len(f) + 3
    else:
        payload, fields, vsize, fsize = _entry_payload(idb, argv, field_pos)
    values = server.config.values
    if created:
        db.set(key, s)
    s.append(sid, ms, seq, payload, fields, vsize, fsize, values["stream-node-max-entries"],
             values["stream-node-max-bytes"])
    ks = db.ks
    db.signal_modified(key)
    if ks.notify_flags:
        ks.emit(ev.STREAM, b"xadd", key, db.index)
    ks.dirty += 1
    if trim is not None and (trim.maxlen >= 0 or trim.minid >= 0):
        if s.trim(trim.maxlen, trim.minid, trim.approx, trim.limit) and ks.notify_flags:
            ks.emit(ev.STREAM, b"xtrim", key, db.index)
    if db.blocking_keys:
        db.signal_ready(key)
    return idb


@command("xtrim", -4, flags="write", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Delete entries from the start of a stream by length or by minimum ID.",
         complexity="O(N), with N being the number of evicted entries.",
         syntax="key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]", tips="nondeterministic_output",
         key_specs=[_key_spec("RW delete")],
         history=[("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option.")])
def xtrim(c: Any, argv: list[bytes]) -> int:
    trim = _parse_trim_args(c, argv, False)
    s = c.db.get_typed(argv[1], Stream, read=False)
    if s is None:
        return 0
    deleted = s.trim(trim.maxlen, trim.minid, trim.approx, trim.limit)
    if deleted:
        _signal_changed(c, argv[1], b"xtrim", deleted)
    return deleted


# -- reads -------------------------------------------------------------------------------------------------


def _parse_count(argv: list[bytes], pos: int) -> int:
    """XRANGE's trailing [COUNT n]: -1 when absent, negatives as 0."""
    count = -1
    j = pos
    while j < len(argv):
        if argv[j].upper() == b"COUNT" and len(argv) - j - 1 >= 1:
            count = int_arg(argv[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise errors.SYNTAX
    return count


def _range(c: Any, argv: list[bytes], rev: bool) -> Any:
    if rev:
        end = _end_bound(argv[2])
        start = _start_bound(argv[3])
    else:
        start = _start_bound(argv[2])
        end = _end_bound(argv[3])
    count = _parse_count(argv, 4)
    s = c.db.get_typed(argv[1], Stream)
    if s is None:
        return EMPTY_ARRAY
    if count == 0:
        return NULL_ARRAY  # Redis 7.0 answers COUNT 0 (or negative) on an existing stream with a null array
    if start > end:
        return EMPTY_ARRAY
    lo, hi = s.span(start, end, max(count, 0), rev)
    return _entries(s, lo, hi, rev)


@command("xrange", -4, flags="readonly", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Return the entries of a stream between two IDs.",
         complexity="O(N) with N being the number of elements being returned.",
         syntax="key start end [COUNT count]", key_specs=[_key_spec("RO access")],
         history=[("6.2.0", "Added exclusive ranges.")])
def xrange(c: Any, argv: list[bytes]) -> Any:
    return _range(c, argv, False)


@command("xrevrange", -4, flags="readonly", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Return the entries of a stream between two IDs, newest first.",
         complexity="O(N) with N being the number of elements returned.",
         syntax="key end start [COUNT count]", key_specs=[_key_spec("RO access")],
         history=[("6.2.0", "Added exclusive ranges.")])
def xrevrange(c: Any, argv: list[bytes]) -> Any:
    return _range(c, argv, True)


@command("xlen", 2, flags="readonly fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Return the number of entries in a stream.", complexity="O(1)", syntax="key",
         key_specs=[_key_spec("RO")])
def xlen(c: Any, argv: list[bytes]) -> int:
    s = c.db.get_typed(argv[1], Stream)
    return 0 if s is None else len(s)


@command("xdel", -3, flags="write fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Delete entries from a stream by ID.", complexity="O(1) for each single item to delete in the stream",
         syntax="key id [id ...]", key_specs=[_key_spec("RW delete")])
def xdel(c: Any, argv: list[bytes]) -> int:
    s = c.db.get_typed(argv[1], Stream, read=False)
    if s is None:
        return 0
    ids = [parse_id(a) for a in argv[2:]]
    deleted = 0
    for sid in ids:
        if s.delete(sid):
            if sid > s.max_deleted_id:
                s.max_deleted_id = sid
            deleted += 1
    if deleted:
        _signal_changed(c, argv[1], b"xdel", deleted)
    return deleted


@command("xsetid", -3, flags="write denyoom fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Set a stream's last ID, entries-added counter and maximal deleted ID.", complexity="O(1)",
         syntax="key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]",
         key_specs=[_key_spec("RW update")],
         history=[("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.")])
def xsetid(c: Any, argv: list[bytes]) -> Any:
    sid = parse_id(argv[2])
    entries_added = -1
    max_deleted = 0
    i = 3
    argc = len(argv)
    while i < argc:
        more = argc - 1 - i
        opt = argv[i].upper()
        if opt == b"ENTRIESADDED" and more:
            entries_added = int_arg(argv[i + 1])
            if entries_added < 0:
                raise CommandError("entries_added must be positive")
        elif opt == b"MAXDELETEDID" and more:
            max_deleted = parse_id(argv[i + 1])
            if sid < max_deleted:
                raise CommandError("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
        else:
            raise errors.SYNTAX
        i += 2
    s = c.db.get_typed(argv[1], Stream, read=False)
    if s is None:
        raise NO_SUCH_KEY
    if len(s):
        if sid < s.last_valid_id():
            raise CommandError("The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and len(s) > entries_added:
            raise CommandError("The entries_added specified in XSETID is smaller than the target stream length")
    s.set_last_id(sid)
    if entries_added != -1:
        s.entries_added = entries_added
    if max_deleted:
        s.max_deleted_id = max_deleted
    _group_changed(c, argv[1], b"xsetid")  # Redis 7.0's XSETID does not touch WATCHed keys either
    return OK


# -- XREAD / XREADGROUP --------------------------------------------------------------------------------------


def _consumer_for_read(c: Any, key: bytes, group: ConsumerGroup, name: bytes) -> Any:
    """The reading (or claiming) consumer, its seen-time refreshed; created if needed, which counts as
    XGROUP CREATECONSUMER does (the ``xgroup-createconsumer`` event and a dirty change), as in Redis
    7.0's streamCreateConsumer."""
    now = c.server.clock.now_ms
    consumer = group.consumers.get(name)
    if consumer is None:
        consumer = group.create_consumer(name, now)
        _group_changed(c, key, b"xgroup-createconsumer")
    consumer.seen_time = now
    return consumer


def _deliver(c: Any, s: Stream, group: ConsumerGroup, consumer: Any, gt: int, count: int, noack: bool) -> Raw:
    """New entries (after ``gt``) to a group's consumer: moves the group's last ID, fills the PELs."""
    lo, hi = s.span_after(gt, count)
    ids = s.ids[lo:hi]
    if ids:
        last = ids[-1]
        if last > group.last_id:
            if len(ids) == 1 or group.entries_read == INVALID_ENTRIES_READ or s.has_tombstones(ids[0]):
                for sid in ids:
                    if sid > group.last_id:
                        s.advance_group(group, sid)
            else:
                group.entries_read += sum(1 for sid in ids if sid > group.last_id)
                group.last_id = last
        if not noack:
            now = c.server.clock.now_ms
            add = group.add_pending
            for sid in ids:
                add(sid, consumer, now)
    return _entries(s, lo, hi)


def _history(c: Any, s: Stream, consumer: Any, gt: int, count: int) -> Raw:
    """A consumer's own pending entries after ``gt`` (XREADGROUP with an ID other than ``>``)."""
    if gt == MAX_ID:
        return EMPTY_ARRAY
    pel = consumer.pel
    now = c.server.clock.now_ms
    null = b"*-1\r\n" if c.resp == 2 else b"_\r\n"
    out = []
    for sid in pel.irange(gt + 1):
        if count and len(out) >= count:
            break
        payload = s.payload(sid)
        if payload is None:
            idb = id_bytes(sid)
            out.append(b"*2\r\n$%d\r\n%b\r\n%b" % (len(idb), idb, null))
        else:
            nack = pel[sid]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append(payload)
    return Raw(b"*%d\r\n" % len(out) + b"".join(out))


def _read_reply(c: Any, pairs: list) -> Any:
    if c.resp == 2:
        return [[k, v] for k, v in pairs]
    return Map(pairs)


def _xread(c: Any, argv: list[bytes], xreadgroup: bool) -> Any:
    argc = len(argv)
    timeout = -1
    count = 0
    streams_at = 0
    group_name = consumer_name = None
    noack = False
    i = 1
    while i < argc:
        more = argc - 1 - i
        opt = argv[i].upper()
        if opt == b"BLOCK" and more:
            i += 1
            timeout = parse_ll(argv[i])
            if timeout is None:
                raise TIMEOUT_NOT_INT
            if timeout < 0:
                raise errors.TIMEOUT_NEGATIVE
        elif opt == b"COUNT" and more:
            i += 1
            count = int_arg(argv[i])
            if count < 0:
                count = 0
        elif opt == b"STREAMS" and more:
            streams_at = i + 1
            break
        elif opt == b"GROUP" and more >= 2:
            if not xreadgroup:
                raise GROUP_IN_XREAD
            group_name = argv[i + 1]
            consumer_name = argv[i + 2]
            i += 2
        elif opt == b"NOACK":
            if not xreadgroup:
                raise NOACK_IN_XREAD
            noack = True
        else:
            raise errors.SYNTAX
        i += 1
    if not streams_at:
        raise errors.SYNTAX
    nstreams = argc - streams_at
    if nstreams & 1:
        raise UNBALANCED
    nstreams >>= 1
    if xreadgroup and group_name is None:
        raise MISSING_GROUP
    db = c.db
    keys = argv[streams_at : streams_at + nstreams]
    ids: list[int] = []
    groups: list[Any] = []
    for k in range(nstreams):
        key = keys[k]
        arg = argv[streams_at + nstreams + k]
        s = db.get_typed(key, Stream)
        if xreadgroup:
            g = s.group(group_name) if s is not None else None
            if g is None:
                raise CommandError(
                    f"No such key '{arg_text(key, 1 << 30)}' or consumer group '{arg_text(group_name, 1 << 30)}' in "
                    "XREADGROUP with GROUP option", "NOGROUP"
                )
            groups.append(g)
        if arg == b"$":
            if xreadgroup:
                raise DOLLAR_IN_GROUP
            ids.append(s.last_id if s is not None else 0)
        elif arg == b">":
            if not xreadgroup:
                raise GT_IN_XREAD
            ids.append(MAX_ID)
        else:
            ids.append(parse_id(arg))
    pairs = []
    for k in range(nstreams):
        # Redis's xreadCommand looks every key up again to serve it: a second hit (or miss, keymiss
        # event included) per key in INFO stats, as there.
        s = db.lookup_read(keys[k])
        if s is None:
            continue
        gt = ids[k]
        if xreadgroup:
            # The consumer is looked up (created, its seen-time refreshed) only when it is served:
            # its history always, new entries only if there are some (Redis 7.0).
            g = groups[k]
            if gt != MAX_ID:
                consumer = _consumer_for_read(c, keys[k], g, consumer_name)
                pairs.append((keys[k], _history(c, s, consumer, gt, count)))
                db.ks.dirty += 1
            elif s.last_id > g.last_id and len(s):
                consumer = _consumer_for_read(c, keys[k], g, consumer_name)
                pairs.append((keys[k], _deliver(c, s, g, consumer, g.last_id, count, noack)))
                db.ks.dirty += 1
        elif len(s) and s.last_valid_id() > gt:
            pairs.append((keys[k], _entries(s, *s.span_after(gt, count))))
    if pairs:
        return _read_reply(c, pairs)
    if timeout < 0:
        return NULL_ARRAY
    return _block(c, keys, ids, timeout, count or XREAD_BLOCKED_DEFAULT_COUNT, group_name, consumer_name, noack)


def _block(c: Any, keys: list[bytes], ids: list[int], timeout: int, count: int, group_name: bytes | None,
           consumer_name: bytes | None, noack: bool) -> Any:
    db = c.db
    waiting = dict(zip(keys, ids, strict=True))

    def serve(client: Any, key: bytes) -> Any:
        s = db.peek(key)
        if s is None or s.__class__ is not Stream:
            return STREAM_GONE if group_name is not None else None
        gt = waiting[key]
        if group_name is not None:
            g = s.group(group_name)
            if g is None:
                return GROUP_GONE
            gt = g.last_id
            if s.last_id <= gt:
                return None
            consumer = _consumer_for_read(client, key, g, consumer_name)
            data = _deliver(client, s, g, consumer, gt, count, noack)
        else:
            if s.last_id <= gt:
                return None
            data = _entries(s, *s.span_after(gt, count))
        return _read_reply(client, [(key, data)])

    return c.server.blocking.block(c, db, keys, timeout, serve, serves_missing=group_name is not None)


_XREAD_KEYS = {
    "flags": ["RO", "access"],
    "begin_search": {"type": "keyword", "spec": {"keyword": "STREAMS", "startfrom": 1}},
    "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1, "limit": 2}},
}


def _streams_keys(argv: list[bytes]) -> list[int]:
    for i in range(1, len(argv)):
        if argv[i].upper() == b"STREAMS":
            n = (len(argv) - i - 1) // 2
            return list(range(i + 1, i + 1 + n))
    return []


@command("xread", -4, flags="readonly blocking movablekeys", keys=(0, 0, 0), group="stream", since="5.0.0",
         summary="Read entries after given IDs from one or more streams, optionally blocking until some arrive.",
         complexity="For each stream mentioned: O(N) with N the number of elements being returned, it means that "
                    "XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) "
                    "time in order to serve the M clients blocked on the stream getting new data.",
         syntax="[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
         key_specs=[_XREAD_KEYS], getkeys=_streams_keys)
def xread(c: Any, argv: list[bytes]) -> Any:
    return _xread(c, argv, False)


@command("xreadgroup", -7, flags="write blocking movablekeys", keys=(0, 0, 0), group="stream", since="5.0.0",
         summary="Read entries for a consumer of a group, new ones or its pending history, optionally blocking.",
         complexity="For each stream mentioned: O(M) with M the number of elements returned. If M is constant "
                    "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the "
                    "other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients "
                    "blocked on the stream getting new data.",
         syntax="GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]",
         key_specs=[dict(_XREAD_KEYS, begin_search={"type": "keyword", "spec": {"keyword": "STREAMS", "startfrom": 4}})],
         getkeys=_streams_keys)
def xreadgroup(c: Any, argv: list[bytes]) -> Any:
    return _xread(c, argv, True)


# -- groups ------------------------------------------------------------------------------------------------


def _nogroup(key: bytes, group: bytes) -> CommandError:
    return CommandError(
        f"No such key '{arg_text(key, 1 << 30)}' or consumer group '{arg_text(group, 1 << 30)}'", "NOGROUP"
    )


def _group_of(c: Any, key: bytes, name: bytes) -> tuple[Stream, ConsumerGroup]:
    s = c.db.get_typed(key, Stream)
    g = s.group(name) if s is not None else None
    if g is None:
        raise _nogroup(key, name)
    return s, g  # type: ignore[return-value]


def _entries_read_arg(arg: bytes) -> int:
    v = int_arg(arg)
    if v < 0 and v != INVALID_ENTRIES_READ:
        raise ENTRIESREAD_RANGE
    return v


def _xgroup_target(c: Any, argv: list[bytes], mkstream: bool = False, need_group: bool = False) -> tuple:
    s = c.db.get_typed(argv[2], Stream, read=False)
    if s is None and not mkstream:
        raise XGROUP_NEEDS_KEY
    g = s.group(argv[3]) if s is not None else None
    if g is None and need_group:
        raise CommandError(
            f"No such consumer group '{arg_text(argv[3], 1 << 30)}' for key name '{arg_text(argv[2], 1 << 30)}'",
            "NOGROUP",
        )
    return s, g


_XGROUP = dict(group="stream", since="5.0.0")

XGROUP = container("xgroup", group="stream", since="5.0.0", summary="A container for consumer group commands.",
                   complexity="Depends on subcommand.")
XINFO = container("xinfo", group="stream", since="5.0.0", summary="A container for stream introspection commands.",
                  complexity="Depends on subcommand.")
# Redis's containers declare no ACL category of their own: only @slow, not the group's @stream.
XGROUP.acl = XINFO.acl = ("@slow",)


@command("xgroup|create", -5, flags="write denyoom", keys=(2, 2, 1), **_XGROUP,
         summary="Create a consumer group.", complexity="O(1)",
         syntax="key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]", key_specs=[_key_spec("RW insert", 2)],
         history=[("7.0.0", "Added the `entries_read` named argument.")])
def xgroup_create(c: Any, argv: list[bytes]) -> Any:
    argc = len(argv)
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < argc:
        opt = argv[i].upper()
        if opt == b"MKSTREAM":
            mkstream = True
            i += 1
        elif opt == b"ENTRIESREAD" and i + 1 < argc:
            entries_read = _entries_read_arg(argv[i + 1])
            i += 2
        else:
            raise _subcommand_syntax(c, argv)
    s, g = _xgroup_target(c, argv, mkstream)
    if argc > 8:
        raise _subcommand_syntax(c, argv)
    if argv[4] == b"$":
        sid = s.last_id if s is not None else 0
    else:
        sid = parse_id(argv[4])
    key = argv[2]
    if s is None:
        s = Stream()
        c.db.set(key, s)
    if s.create_group(argv[3], sid, entries_read) is None:
        raise BUSYGROUP
    _group_changed(c, key, b"xgroup-create")
    return OK


@command("xgroup|setid", -5, flags="write", keys=(2, 2, 1), **_XGROUP,
         summary="Set the last delivered ID of a consumer group.", complexity="O(1)",
         syntax="key group <id | $> [ENTRIESREAD entries-read]", key_specs=[_key_spec("RW update", 2)],
         history=[("7.0.0", "Added the optional `entries_read` argument.")])
def xgroup_setid(c: Any, argv: list[bytes]) -> Any:
    s, g = _xgroup_target(c, argv, need_group=True)
    argc = len(argv)
    if argc not in (5, 7):
        raise _subcommand_syntax(c, argv)
    sid = s.last_id if argv[4] == b"$" else parse_id(argv[4], 0, False)
    entries_read = INVALID_ENTRIES_READ
    if argc == 7:
        if argv[5].upper() != b"ENTRIESREAD":
            raise _subcommand_syntax(c, argv)
        entries_read = _entries_read_arg(argv[6])
    g.last_id = sid
    g.entries_read = entries_read
    _group_changed(c, argv[2], b"xgroup-setid")
    return OK


@command("xgroup|destroy", 4, flags="write", keys=(2, 2, 1), **_XGROUP,
         summary="Destroy a consumer group.", complexity="O(N) where N is the number of entries in the group's "
         "pending entries list (PEL).", syntax="key group", key_specs=[_key_spec("RW delete", 2)])
def xgroup_destroy(c: Any, argv: list[bytes]) -> int:
    s, g = _xgroup_target(c, argv)
    if g is None:
        return 0
    s.destroy_group(argv[3])
    _group_changed(c, argv[2], b"xgroup-destroy")
    db = c.db
    if db.blocking_keys:
        db.signal_ready(argv[2])  # blocked XREADGROUP readers of this group get NOGROUP
    return 1


@command("xgroup|createconsumer", 5, flags="write denyoom", keys=(2, 2, 1), group="stream", since="6.2.0",
         summary="Create a consumer in a consumer group.", complexity="O(1)", syntax="key group consumer",
         key_specs=[_key_spec("RW insert", 2)])
def xgroup_createconsumer(c: Any, argv: list[bytes]) -> int:
    s, g = _xgroup_target(c, argv, need_group=True)
    if g.create_consumer(argv[4], c.server.clock.now_ms) is None:
        return 0
    _group_changed(c, argv[2], b"xgroup-createconsumer")
    return 1


@command("xgroup|delconsumer", 5, flags="write", keys=(2, 2, 1), **_XGROUP,
         summary="Delete a consumer from a consumer group.", complexity="O(1)", syntax="key group consumer",
         key_specs=[_key_spec("RW delete", 2)])
def xgroup_delconsumer(c: Any, argv: list[bytes]) -> int:
    s, g = _xgroup_target(c, argv, need_group=True)
    consumer = g.consumers.get(argv[4])
    if consumer is None:
        return 0
    pending = g.delete_consumer(consumer)
    _group_changed(c, argv[2], b"xgroup-delconsumer")
    return pending


_XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
]


@command("xgroup|help", 2, flags="loading stale", **_XGROUP, summary="Show helpful text about XGROUP subcommands.",
         complexity="O(1)")
def xgroup_help(c: Any, argv: list[bytes]) -> list:
    return _XGROUP_HELP


@command("xack", -4, flags="write fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Acknowledge entries of a consumer group, removing them from its pending entries list.",
         complexity="O(1) for each message ID processed.", syntax="key group id [id ...]",
         key_specs=[_key_spec("RW update")])
def xack(c: Any, argv: list[bytes]) -> int:
    s = c.db.get_typed(argv[1], Stream)
    g = s.group(argv[2]) if s is not None else None
    if g is None:
        return 0
    ids = [parse_id(a) for a in argv[3:]]
    acked = 0
    for sid in ids:
        if g.ack(sid):
            acked += 1
    c.db.ks.dirty += acked
    return acked


@command("xpending", -3, flags="readonly", keys=(1, 1, 1), group="stream", since="5.0.0", tips="nondeterministic_output",
         summary="Summarize a consumer group's pending entries, or list them by ID range.",
         complexity="O(N) with N being the number of elements returned, so asking for a small fixed number of "
                    "entries per call is O(1). O(M), where M is the total number of entries scanned when used with "
                    "the IDLE filter. When the command returns just the summary and the list of consumers is small, "
                    "it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
         syntax="key group [[IDLE min-idle-time] start end count [consumer]]", key_specs=[_key_spec("RO access")],
         history=[("6.2.0", "Added the `IDLE` option and exclusive range intervals.")])
def xpending(c: Any, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc != 3 and (argc < 6 or argc > 9):
        raise errors.SYNTAX
    minidle = 0
    consumer_name = None
    if argc >= 6:
        at = 3
        if argv[3].upper() == b"IDLE":
            minidle = int_arg(argv[4])
            if argc < 8:
                raise errors.SYNTAX
            at = 5
        count = int_arg(argv[at + 2])
        if count < 0:
            count = 0
        start = _start_bound(argv[at])
        end = _end_bound(argv[at + 1])
        if at + 3 < argc:
            consumer_name = argv[at + 3]
    s, g = _group_of(c, argv[1], argv[2])
    if argc == 3:
        pel = g.pel
        if not pel:
            return [0, None, None, NULL_ARRAY]
        per = [[cons.name, b"%d" % len(cons.pel)] for cons in g.sorted_consumers() if cons.pel]
        return [len(pel), id_bytes(pel.keys()[0]), id_bytes(pel.keys()[-1]), per]
    if consumer_name is not None:
        consumer = g.consumers.get(consumer_name)
        if consumer is None:
            return EMPTY_ARRAY
        pel = consumer.pel
    else:
        pel = g.pel
    now = c.server.clock.now_ms
    out = []
    if start <= end:
        for sid in pel.irange(start, end):
            if not count:
                break
            nack = pel[sid]
            if minidle and now - nack.delivery_time < minidle:
                continue
            count -= 1
            out.append([id_bytes(sid), nack.consumer.name, max(now - nack.delivery_time, 0), nack.delivery_count])
    return out


def _claimed(s: Stream, sid: int, justid: bool) -> Any:
    if justid:
        return id_bytes(sid)
    payload = s.payload(sid)
    return Raw(payload) if payload is not None else None


@command("xclaim", -6, flags="write fast", keys=(1, 1, 1), group="stream", since="5.0.0",
         summary="Take over pending entries of a consumer group on behalf of another consumer.",
         complexity="O(log N) with N being the number of messages in the PEL of the consumer group.",
         syntax="key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] "
                "[RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
         tips="nondeterministic_output", key_specs=[_key_spec("RW update")])
def xclaim(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    s, g = _group_of(c, key, argv[2])
    minidle = int_arg(argv[4], CommandError("Invalid min-idle-time argument for XCLAIM"))
    if minidle < 0:
        minidle = 0
    argc = len(argv)
    ids = []
    j = 5
    while j < argc:
        try:
            ids.append(parse_id(argv[j]))
        except CommandError:
            break
        j += 1
    now = c.server.clock.now_ms
    delivery = -1
    retrycount = -1
    force = justid = False
    last_id = 0
    while j < argc:
        more = argc - 1 - j
        opt = argv[j].upper()
        if opt == b"FORCE":
            force = True
        elif opt == b"JUSTID":
            justid = True
        elif opt == b"IDLE" and more:
            j += 1
            delivery = now - int_arg(argv[j], CommandError("Invalid IDLE option argument for XCLAIM"))
        elif opt == b"TIME" and more:
            j += 1
            delivery = int_arg(argv[j], CommandError("Invalid TIME option argument for XCLAIM"))
        elif opt == b"RETRYCOUNT" and more:
            j += 1
            retrycount = int_arg(argv[j], CommandError("Invalid RETRYCOUNT option argument for XCLAIM"))
        elif opt == b"LASTID" and more:
            j += 1
            last_id = parse_id(argv[j])
        else:
            raise CommandError(f"Unrecognized XCLAIM option '{arg_text(argv[j], 1 << 30)}'")
        j += 1
    ks = c.db.ks
    if last_id > g.last_id:
        g.last_id = last_id
        ks.dirty += 1
    if delivery < 0 or delivery > now:
        delivery = now
    consumer = None
    out = []
    pel = g.pel
    for sid in ids:
        nack = pel.get(sid)
        if sid not in s:
            if nack is not None:
                g.ack(sid)  # the entry is gone: drop it from the PELs
                ks.dirty += 1
            continue
        if force and nack is None:
            nack = pel[sid] = NACK(None, now)
        if nack is None:
            continue
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _claim_consumer(c, key, g, argv[3])
        g.claim(sid, nack, consumer)
        nack.delivery_time = delivery
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        out.append(_claimed(s, sid, justid))
        ks.dirty += 1
    return out


def _claim_consumer(c: Any, key: bytes, g: ConsumerGroup, name: bytes) -> Any:
    return _consumer_for_read(c, key, g, name)


@command("xautoclaim", -6, flags="write fast", keys=(1, 1, 1), group="stream", since="6.2.0",
         summary="Claim pending entries idle for at least a given time, scanning the PEL from a start ID.",
         complexity="O(1) if COUNT is small.",
         syntax="key group consumer min-idle-time start [COUNT count] [JUSTID]",
         tips="nondeterministic_output", key_specs=[_key_spec("RW delete")],
         history=[("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared "
                            "from the PEL")])
def xautoclaim(c: Any, argv: list[bytes]) -> Any:
    # Redis 7.0 reads the key first (a keyspace hit or miss) but checks its type and group only
    # after the arguments.
    key = argv[1]
    s = c.db.lookup_read(key)
    minidle = int_arg(argv[4], CommandError("Invalid min-idle-time argument for XAUTOCLAIM"))
    if minidle < 0:
        minidle = 0
    start = _start_bound(argv[5])
    count = 100
    justid = False
    argc = len(argv)
    j = 6
    while j < argc:
        more = argc - 1 - j
        opt = argv[j].upper()
        if opt == b"COUNT" and more:
            count = parse_ll(argv[j + 1])
            if count is None or count < 1 or count > _AUTOCLAIM_MAX_COUNT:
                raise COUNT_POSITIVE
            j += 1
        elif opt == b"JUSTID":
            justid = True
        else:
            raise errors.SYNTAX
        j += 1
    if s is not None and s.__class__ is not Stream:
        raise WRONGTYPE
    g = s.group(argv[2]) if s is not None else None
    if g is None:
        raise _nogroup(key, argv[2])
    attempts = count * 10
    now = c.server.clock.now_ms
    ks = c.db.ks
    pel = g.pel
    consumer = None
    claimed = []
    deleted = []
    cursor = 0
    for sid in list(islice(pel.irange(start), attempts + 1)):
        if not attempts or not count:
            cursor = sid
            break
        attempts -= 1
        nack = pel[sid]
        if sid not in s:
            g.ack(sid)
            deleted.append(id_bytes(sid))
            ks.dirty += 1
            count -= 1
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        if consumer is None:
            consumer = _claim_consumer(c, key, g, argv[3])
        g.claim(sid, nack, consumer)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        claimed.append(_claimed(s, sid, justid))
        count -= 1
        ks.dirty += 1
    return [id_bytes(cursor), claimed, deleted]


# -- XINFO -------------------------------------------------------------------------------------------------


def _radix_nodes(keys: int) -> int:
    """An estimate of Redis's radix-tree node count for ``keys`` 128-bit keys (exact for 0 and 1)."""
    return 1 if keys == 0 else 2 * keys


def _pending_list(pel: Any, count: int, with_consumer: bool) -> list:
    out = []
    for sid in pel.irange():
        if count and len(out) >= count:
            break
        nack = pel[sid]
        if with_consumer:
            out.append([id_bytes(sid), nack.consumer.name if nack.consumer else b"", nack.delivery_time,
                        nack.delivery_count])
        else:
            out.append([id_bytes(sid), nack.delivery_time, nack.delivery_count])
    return out


@command("xinfo|stream", -3, flags="readonly", keys=(2, 2, 1), group="stream", since="5.0.0",
         summary="Show information about a stream.", complexity="O(1)", syntax="key [FULL [COUNT count]]",
         key_specs=[_key_spec("RO access", 2)],
         history=[("6.0.0", "Added the `FULL` modifier."),
                  ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, "
                            "`entries-read` and `lag` fields")])
def xinfo_stream(c: Any, argv: list[bytes]) -> Any:
    s = c.db.get_typed(argv[2], Stream)
    if s is None:
        raise NO_SUCH_KEY
    argc = len(argv)
    full = False
    count = 10
    if argc > 3:
        if argc not in (4, 6) or argv[3].upper() != b"FULL":
            raise _subcommand_syntax(c, argv)
        full = True
        if argc == 6:
            if argv[4].upper() != b"COUNT":
                raise _subcommand_syntax(c, argv)
            count = int_arg(argv[5])
            if count < 0:
                count = 0
    nodes = s.node_count()
    head = [
        ("length", len(s)),
        ("radix-tree-keys", nodes),
        ("radix-tree-nodes", _radix_nodes(nodes)),
        ("last-generated-id", id_bytes(s.last_id)),
        ("max-deleted-entry-id", id_bytes(s.max_deleted_id)),
        ("entries-added", s.entries_added),
        ("recorded-first-entry-id", id_bytes(s.first_id)),
    ]
    pairs = [(k.encode(), v) for k, v in head]
    if not full:
        payloads = s.payloads
        pairs.append((b"groups", len(s.groups) if s.groups else 0))
        pairs.append((b"first-entry", Raw(payloads[s.head]) if len(s) else None))
        pairs.append((b"last-entry", Raw(payloads[-1]) if len(s) else None))
        return Map(pairs)
    pairs.append((b"entries", _entries(s, *s.span_after(-1, count))))
    groups = []
    for g in s.sorted_groups():
        consumers = [
            Map([(b"name", cons.name), (b"seen-time", cons.seen_time), (b"pel-count", len(cons.pel)),
                 (b"pending", _pending_list(cons.pel, count, False))])
            for cons in g.sorted_consumers()
        ]
        groups.append(Map([
            (b"name", g.name),
            (b"last-delivered-id", id_bytes(g.last_id)),
            (b"entries-read", g.entries_read if g.entries_read != INVALID_ENTRIES_READ else None),
            (b"lag", s.lag(g)),
            (b"pel-count", len(g.pel)),
            (b"pending", _pending_list(g.pel, count, True)),
            (b"consumers", consumers),
        ]))
    pairs.append((b"groups", groups))
    return Map(pairs)


@command("xinfo|groups", 3, flags="readonly", keys=(2, 2, 1), group="stream", since="5.0.0",
         summary="Show the consumer groups of a stream.", complexity="O(1)", syntax="key",
         key_specs=[_key_spec("RO access", 2)],
         history=[("7.0.0", "Added the `entries-read` and `lag` fields")])
def xinfo_groups(c: Any, argv: list[bytes]) -> Any:
    s = c.db.get_typed(argv[2], Stream)
    if s is None:
        raise NO_SUCH_KEY
    return [
        Map([
            (b"name", g.name),
            (b"consumers", len(g.consumers)),
            (b"pending", len(g.pel)),
            (b"last-delivered-id", id_bytes(g.last_id)),
            (b"entries-read", g.entries_read if g.entries_read != INVALID_ENTRIES_READ else None),
            (b"lag", s.lag(g)),
        ])
        for g in s.sorted_groups()
    ]


@command("xinfo|consumers", 4, flags="readonly", keys=(2, 2, 1), group="stream", since="5.0.0",
         summary="Show the consumers of a consumer group.", complexity="O(1)", syntax="key group",
         tips="nondeterministic_output", key_specs=[_key_spec("RO access", 2)])
def xinfo_consumers(c: Any, argv: list[bytes]) -> Any:
    s = c.db.get_typed(argv[2], Stream)
    if s is None:
        raise NO_SUCH_KEY
    g = s.group(argv[3])
    if g is None:
        raise CommandError(
            f"No such consumer group '{arg_text(argv[3], 1 << 30)}' for key name '{arg_text(argv[2], 1 << 30)}'",
            "NOGROUP",
        )
    now = c.server.clock.now_ms
    return [
        Map([(b"name", cons.name), (b"pending", len(cons.pel)), (b"idle", max(now - cons.seen_time, 0))])
        for cons in g.sorted_consumers()
    ]


_XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
]


@command("xinfo|help", 2, flags="loading stale", group="stream", since="5.0.0",
         summary="Show helpful text about XINFO subcommands.", complexity="O(1)")
def xinfo_help(c: Any, argv: list[bytes]) -> list:
    return _XINFO_HELP
