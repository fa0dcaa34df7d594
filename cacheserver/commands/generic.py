"""Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY, MOVE, the EXPIRE family, TTLs, OBJECT.

Each handler follows its Redis 7.0 counterpart in db.c, expire.c and object.c step for step: the order
of argument checks (so the first error is Redis's), which lookup is used (a read lookup counts a
keyspace hit or miss and touches the key; EXISTS, TYPE, TTL and OBJECT do not touch it), and which
keyspace events are emitted. Type names come from ``TYPE_NAMES`` and encodings from
``object_encoding`` in the keyspace, so new value types plug in there, not here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cacheserver import errors
from cacheserver.clock import LRU_CLOCK_MAX
from cacheserver.commands.spec import command
from cacheserver.commands.table import container
from cacheserver.errors import CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.database import copy_value, object_encoding, type_name
from cacheserver.keyspace.scan import parse_cursor
from cacheserver.numbers import LLONG_MAX, LLONG_MIN, parse_ll
from cacheserver.protocol.replies import OK
from cacheserver.pubsub.glob import compile_glob

SAME_OBJECT = CommandError("source and destination objects are the same")
INVALID_CURSOR = CommandError("invalid cursor")
_NX_CONFLICT = CommandError("NX and XX, GT or LT options at the same time are not compatible")
_GT_LT_CONFLICT = CommandError("GT and LT options at the same time are not compatible")
_LFU_NOT_SELECTED = CommandError(
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
_LFU_SELECTED = CommandError(
    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
    "between policies at runtime LRU and LFU data will take some time to adjust."
)
_INT_MAX = (1 << 31) - 1
_INT_MIN = -(1 << 31)
# Redis shares the integer objects 0..9999 (OBJ_SHARED_INTEGERS); OBJECT REFCOUNT then says INT_MAX.
_SHARED_INTEGERS = 10000


def keyspec(flags: str, begin: int = 1, lastkey: int = 0) -> dict:
    """A key spec as COMMAND INFO shows it: the key at index ``begin``, then a range up to ``lastkey``."""
    return {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": begin}},
        "find_keys": {"type": "range", "spec": {"lastkey": lastkey, "keystep": 1, "limit": 0}},
    }


def _db_index(c: Any, arg: bytes) -> Any:
    """A target database argument (COPY DB, MOVE): Redis's getIntFromObject, then the range check."""
    index = parse_ll(arg)
    if index is None or not _INT_MIN <= index <= _INT_MAX:
        raise errors.NOT_INTEGER
    dbs = c.server.keyspace.dbs
    if not 0 <= index < len(dbs):
        raise errors.DB_INDEX_OUT_OF_RANGE
    return dbs[index]


# -- deleting and testing keys ----------------------------------------------------------------------------


def _delete_keys(c: Any, argv: list[bytes]) -> int:
    db = c.db
    ks = db.ks
    deleted = 0
    for key in argv[1:]:
        if db.delete(key):
            deleted += 1
            if ks.notify_flags:
                ks.emit(ev.GENERIC, b"del", key, db.index)
    ks.dirty += deleted
    return deleted


@command(
    "del",
    -2,
    flags="write",
    keys=(1, -1, 1),
    summary="Delete one or more keys.",
    complexity="O(N) where N is the number of keys that will be removed. When a key to remove holds a value "
    "other than a string, the individual complexity for this key is O(M) where M is the number of elements in "
    "the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    syntax="key [key ...]",
    tips="request_policy:multi_shard response_policy:agg_sum",
    key_specs=[keyspec("RM delete", lastkey=-1)],
)
def del_(c: Any, argv: list[bytes]) -> int:
    return _delete_keys(c, argv)


@command(
    "unlink",
    -2,
    flags="write fast",
    keys=(1, -1, 1),
    since="4.0.0",
    summary="Delete one or more keys, reclaiming their memory later.",
    complexity="O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
    "different thread in order to reclaim memory, where N is the number of allocations the deleted objects "
    "where composed of.",
    syntax="key [key ...]",
    tips="request_policy:multi_shard response_policy:agg_sum",
    key_specs=[keyspec("RM delete", lastkey=-1)],
)
def unlink(c: Any, argv: list[bytes]) -> int:
    return _delete_keys(c, argv)


@command(
    "exists",
    -2,
    flags="readonly fast",
    keys=(1, -1, 1),
    summary="Count how many of the given keys exist (a key named twice counts twice).",
    complexity="O(N) where N is the number of keys to check.",
    syntax="key [key ...]",
    tips="request_policy:multi_shard response_policy:agg_sum",
    key_specs=[keyspec("RO", lastkey=-1)],
    history=[("3.0.3", "Accepts multiple `key` arguments.")],
)
def exists(c: Any, argv: list[bytes]) -> int:
    peek_read = c.db.peek_read
    return sum(1 for key in argv[1:] if peek_read(key) is not None)


@command(
    "touch",
    -2,
    flags="readonly fast",
    keys=(1, -1, 1),
    since="3.2.1",
    summary="Update the last access time of keys; count how many exist.",
    complexity="O(N) where N is the number of keys that will be touched.",
    syntax="key [key ...]",
    tips="request_policy:multi_shard response_policy:agg_sum",
    key_specs=[keyspec("RO", lastkey=-1)],
)
def touch(c: Any, argv: list[bytes]) -> int:
    lookup_read = c.db.lookup_read
    return sum(1 for key in argv[1:] if lookup_read(key) is not None)


@command(
    "type",
    2,
    flags="readonly fast",
    keys=(1, 1, 1),
    summary="Return the type of the value stored at a key.",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RO")],
)
def type_(c: Any, argv: list[bytes]) -> str:
    v = c.db.peek_read(argv[1])
    return "none" if v is None else type_name(v)


# -- iterating ------------------------------------------------------------------------------------------


@command(
    "keys",
    2,
    flags="readonly",
    acl="@dangerous",
    summary="Return all key names that match a glob-style pattern.",
    complexity="O(N) with N being the number of keys in the database, under the assumption that the key names "
    "in the database and the given pattern have limited length.",
    syntax="pattern",
    tips="request_policy:all_shards nondeterministic_output_order",
)
def keys(c: Any, argv: list[bytes]) -> list[bytes]:
    db = c.db
    pattern = argv[1]
    expires = db.expires
    now = db.ks.clock.now_ms
    if pattern == b"*":
        found = list(db.data)
    else:
        match = compile_glob(pattern)
        found = [k for k in db.data if match(k)]
    if not expires:
        return found
    # Expired keys are left for expiry to reclaim, just not reported (Redis's keyIsExpired).
    return [k for k in found if expires.get(k, now + 1) > now]


@command(
    "scan",
    -2,
    flags="readonly",
    since="2.8.0",
    summary="Iterate over the key names of the database, a few at a time.",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.",
    syntax="cursor [MATCH pattern] [COUNT count] [TYPE type]",
    tips="nondeterministic_output request_policy:special",
    history=[("6.0.0", "Added the `TYPE` subcommand.")],
)
def scan(c: Any, argv: list[bytes]) -> list[Any]:
    cursor = scan_cursor(argv[1])
    count, match, wanted_type = parse_scan_options(argv, 2, allow_type=True)
    db = c.db
    data = db.data
    nxt, batch = db.ks.scans.step(db.index, data, db.removed, cursor, count)
    out = []
    for key in batch:
        if key not in data:
            continue
        if match is not None and not match(key):
            continue
        if wanted_type is not None:
            v = db.peek_read(key)
            if (type_name(v) if v is not None else "none") != wanted_type:
                continue
        elif db.expires and db.is_expired(key):
            db.expire_key(key)
            continue
        out.append(key)
    return [b"%d" % nxt, out]


def parse_scan_options(argv: list[bytes], start: int, allow_type: bool) -> tuple[int, Any, str | None]:
    """MATCH/COUNT/TYPE of the SCAN family -> (count, matcher or None, type name or None)."""
    count = 10
    match = None
    wanted_type = None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if n - i < 2:
            raise errors.SYNTAX
        if opt == b"count":
            count = parse_ll(argv[i + 1])  # type: ignore[assignment]
            if count is None:
                raise errors.NOT_INTEGER
            if count < 1:
                raise errors.SYNTAX
        elif opt == b"match":
            pattern = argv[i + 1]
            match = None if pattern == b"*" else compile_glob(pattern)
        elif opt == b"type" and allow_type:
            wanted_type = argv[i + 1].decode("latin-1").lower()
        else:
            raise errors.SYNTAX
        i += 2
    return count, match, wanted_type


def scan_cursor(arg: bytes) -> int:
    """The cursor argument of the SCAN family; checked before anything else, as in Redis."""
    cursor = parse_cursor(arg)
    if cursor is None:
        raise INVALID_CURSOR
    return cursor


def scan_collection(
    c: Any, argv: list[bytes], cursor: int, kind: str, value: Any, table: Collection, removed: int,
    whole: list[bytes] | None, ordered: bool = True,
) -> tuple[bytes, list[bytes]]:
    """HSCAN, SSCAN and ZSCAN once the key's ``value`` is found and type-checked: MATCH/COUNT, one step,
    then the elements still in ``table`` that match -> (next cursor as a bulk, elements).

    ``whole`` is the small encoding's content (listpack, intset): Redis answers it in one call with
    cursor 0, whatever the cursor and COUNT. Otherwise the keyspace's resumable cursors, owned by this
    command, key and value, step through ``table``; ``removed`` is the value's count of removed elements."""
    count, match, _ = parse_scan_options(argv, 3, allow_type=False)
    if whole is not None:
        nxt, batch = 0, whole
    else:
        db = c.db
        owner = (kind, db.index, argv[1], id(value))
        nxt, batch = db.ks.scans.step(owner, table, removed, cursor, count, ordered)
    if match is None:
        return b"%d" % nxt, [e for e in batch if e in table]
    return b"%d" % nxt, [e for e in batch if e in table and match(e)]


@command(
    "randomkey",
    1,
    flags="readonly",
    summary="Return a random key name from the database.",
    complexity="O(1)",
    tips="request_policy:all_shards nondeterministic_output",
)
def randomkey(c: Any, argv: list[bytes]) -> bytes | None:
    return c.db.random_key()


# -- renaming, copying, moving ----------------------------------------------------------------------------


def _rename(c: Any, argv: list[bytes], nx: bool) -> Any:
    db = c.db
    src, dst = argv[1], argv[2]
    value = db.lookup(src)
    if value is None:
        raise errors.NO_SUCH_KEY
    if src == dst:
        return 0 if nx else OK
    when = db.ttl_of(src)
    stamp = db.lru.get(src)
    replaced = db.lookup(dst) is not None
    if replaced and nx:
        return 0
    db.delete(src)  # the source's change is signalled first, as Redis signals it (tracking's order)
    if replaced:
        db.delete(dst)
    db.set(dst, value)
    if when != -1:
        db.set_expire(dst, when)
    if stamp is not None:
        db.lru[dst] = stamp  # the value keeps its access history, as Redis's object does
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"rename_from", src, db.index)
        ks.emit(ev.GENERIC, b"rename_to", dst, db.index)
    ks.dirty += 1
    return 1 if nx else OK


@command(
    "rename",
    3,
    flags="write",
    keys=(1, 2, 1),
    summary="Rename a key, overwriting the destination.",
    complexity="O(1)",
    syntax="key newkey",
    key_specs=[keyspec("RW access delete"), keyspec("OW update", begin=2)],
)
def rename(c: Any, argv: list[bytes]) -> Any:
    return _rename(c, argv, nx=False)


@command(
    "renamenx",
    3,
    flags="write fast",
    keys=(1, 2, 1),
    summary="Rename a key only when the destination does not exist.",
    complexity="O(1)",
    syntax="key newkey",
    key_specs=[keyspec("RW access delete"), keyspec("OW insert", begin=2)],
    history=[("3.2.0", "The command no longer returns an error when source and destination names are the same.")],
)
def renamenx(c: Any, argv: list[bytes]) -> Any:
    return _rename(c, argv, nx=True)


@command(
    "copy",
    -3,
    flags="write denyoom",
    keys=(1, 2, 1),
    since="6.2.0",
    summary="Copy the value of a key to a new key.",
    complexity="O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    syntax="source destination [DB destination-db] [REPLACE]",
    key_specs=[keyspec("RO access"), keyspec("OW update", begin=2)],
)
def copy(c: Any, argv: list[bytes]) -> int:
    src = dst = c.db
    replace = False
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and j + 1 < n:
            dst = _db_index(c, argv[j + 1])
            j += 1
        else:
            raise errors.SYNTAX
        j += 1
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise SAME_OBJECT
    value = src.lookup_read(key)
    if value is None:
        return 0
    when = src.ttl_of(key)
    if dst.lookup(newkey) is not None:
        if not replace:
            return 0
        dst.delete(newkey)
    dst.set(newkey, copy_value(value))
    if when != -1:
        dst.set_expire(newkey, when)
    ks = src.ks
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"copy_to", newkey, dst.index)
    ks.dirty += 1
    return 1


@command(
    "move",
    3,
    flags="write fast",
    keys=(1, 1, 1),
    summary="Move a key to another database.",
    complexity="O(1)",
    syntax="key db",
    key_specs=[keyspec("RW access update")],
)
def move(c: Any, argv: list[bytes]) -> int:
    src = c.db
    dst = _db_index(c, argv[2])
    if src is dst:
        raise SAME_OBJECT
    key = argv[1]
    value = src.lookup(key)
    if value is None:
        return 0
    when = src.ttl_of(key)
    if dst.lookup(key) is not None:
        return 0
    stamp = src.lru.get(key)
    dst.set(key, value)
    if when != -1:
        dst.set_expire(key, when)
    if stamp is not None:
        dst.lru[key] = stamp
    src.delete(key)
    ks = src.ks
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"move_from", key, src.index)
        ks.emit(ev.GENERIC, b"move_to", key, dst.index)
    ks.dirty += 1
    return 1


# -- expiry ---------------------------------------------------------------------------------------------

_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _EXPIRE_NX, b"xx": _EXPIRE_XX, b"gt": _EXPIRE_GT, b"lt": _EXPIRE_LT}
_SECONDS_MAX = LLONG_MAX // 1000
_SECONDS_MIN = -(-LLONG_MIN // 1000)  # C division truncates toward zero


def _expire(c: Any, argv: list[bytes], relative: bool, seconds: bool, name: str) -> int:
    """expireGenericCommand: options, then the number, overflow checks, then the key."""
    flags = 0
    for opt in argv[3:]:
        bit = _EXPIRE_FLAGS.get(opt.lower())
        if bit is None:
            raise CommandError("Unsupported option " + errors.arg_text(opt, 1 << 20))
        flags |= bit
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise _NX_CONFLICT
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise _GT_LT_CONFLICT
    when = parse_ll(argv[2])
    if when is None:
        raise errors.NOT_INTEGER
    if seconds:
        if when > _SECONDS_MAX or when < _SECONDS_MIN:
            raise errors.invalid_expire(name)
        when *= 1000
    db = c.db
    ks = db.ks
    now = ks.clock.now_ms
    if relative:
        if when > LLONG_MAX - now:
            raise errors.invalid_expire(name)
        when += now
    key = argv[1]
    if db.lookup(key) is None:
        return 0
    if flags:
        current = db.ttl_of(key)
        if flags & _EXPIRE_NX and current != -1:
            return 0
        if flags & _EXPIRE_XX and current == -1:
            return 0
        if flags & _EXPIRE_GT and (when <= current or current == -1):
            return 0
        if flags & _EXPIRE_LT and current != -1 and when >= current:
            return 0
    ks.dirty += 1
    if when <= now:
        # A deadline already passed deletes the key now, reported as a DEL (not as an expiry).
        db.delete(key)
        if ks.notify_flags:
            ks.emit(ev.GENERIC, b"del", key, db.index)
        return 1
    db.set_expire(key, when)
    db.signal_modified(key)
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"expire", key, db.index)
    return 1


_EXPIRE_SYNTAX = "key {} [NX | XX | GT | LT]"
_EXPIRE_FACTS: dict[str, Any] = dict(
    flags="write fast",
    keys=(1, 1, 1),
    complexity="O(1)",
    key_specs=[keyspec("RW update")],
    history=[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
)
_TTL_HISTORY = [("2.8.0", "Added the -2 reply.")]
_TTL_FACTS: dict[str, Any] = dict(
    flags="readonly fast", keys=(1, 1, 1), complexity="O(1)", syntax="key", key_specs=[keyspec("RO access")]
)


@command(
    "expire",
    -3,
    summary="Set a key's time to live in seconds.",
    syntax=_EXPIRE_SYNTAX.format("seconds"),
    **_EXPIRE_FACTS,
)
def expire(c: Any, argv: list[bytes]) -> int:
    return _expire(c, argv, relative=True, seconds=True, name="expire")


@command(
    "pexpire",
    -3,
    since="2.6.0",
    summary="Set a key's time to live in milliseconds.",
    syntax=_EXPIRE_SYNTAX.format("milliseconds"),
    **_EXPIRE_FACTS,
)
def pexpire(c: Any, argv: list[bytes]) -> int:
    return _expire(c, argv, relative=True, seconds=False, name="pexpire")


@command(
    "expireat",
    -3,
    since="1.2.0",
    summary="Set the expiration of a key as a Unix timestamp in seconds.",
    syntax=_EXPIRE_SYNTAX.format("unix-time-seconds"),
    **_EXPIRE_FACTS,
)
def expireat(c: Any, argv: list[bytes]) -> int:
    return _expire(c, argv, relative=False, seconds=True, name="expireat")


@command(
    "pexpireat",
    -3,
    since="2.6.0",
    summary="Set the expiration of a key as a Unix timestamp in milliseconds.",
    syntax=_EXPIRE_SYNTAX.format("unix-time-milliseconds"),
    **_EXPIRE_FACTS,
)
def pexpireat(c: Any, argv: list[bytes]) -> int:
    return _expire(c, argv, relative=False, seconds=False, name="pexpireat")


def _ttl(c: Any, key: bytes, ms: bool, absolute: bool) -> int:
    db = c.db
    if db.peek_read(key) is None:
        return -2
    when = db.ttl_of(key)
    if when == -1:
        return -1
    ttl = when if absolute else max(0, when - db.ks.clock.now_ms)
    return ttl if ms else (ttl + 500) // 1000


@command(
    "ttl",
    2,
    summary="Return the time to live of a key in seconds.",
    tips="nondeterministic_output",
    history=_TTL_HISTORY,
    **_TTL_FACTS,
)
def ttl(c: Any, argv: list[bytes]) -> int:
    return _ttl(c, argv[1], ms=False, absolute=False)


@command(
    "pttl",
    2,
    since="2.6.0",
    summary="Return the time to live of a key in milliseconds.",
    tips="nondeterministic_output",
    history=_TTL_HISTORY,
    **_TTL_FACTS,
)
def pttl(c: Any, argv: list[bytes]) -> int:
    return _ttl(c, argv[1], ms=True, absolute=False)


@command(
    "expiretime",
    2,
    since="7.0.0",
    summary="Return the expiration time of a key as a Unix timestamp in seconds.",
    **_TTL_FACTS,
)
def expiretime(c: Any, argv: list[bytes]) -> int:
    return _ttl(c, argv[1], ms=False, absolute=True)


@command(
    "pexpiretime",
    2,
    since="7.0.0",
    summary="Return the expiration time of a key as a Unix timestamp in milliseconds.",
    **_TTL_FACTS,
)
def pexpiretime(c: Any, argv: list[bytes]) -> int:
    return _ttl(c, argv[1], ms=True, absolute=True)


@command(
    "persist",
    2,
    flags="write fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Remove the time to live of a key.",
    complexity="O(1)",
    syntax="key",
    key_specs=[keyspec("RW update")],
)
def persist(c: Any, argv: list[bytes]) -> int:
    db = c.db
    key = argv[1]
    if db.lookup(key) is None or not db.persist(key):
        return 0
    db.signal_modified(key)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.GENERIC, b"persist", key, db.index)
    ks.dirty += 1
    return 1


# -- OBJECT ---------------------------------------------------------------------------------------------

OBJECT = container(
    "object",
    since="2.2.3",
    summary="A container for object introspection commands.",
    complexity="Depends on subcommand.",
)
OBJECT.acl = ("@slow",)  # Redis gives the container itself no @keyspace category, only its subcommands

_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def _lfu_policy(c: Any) -> bool:
    return "lfu" in c.server.config["maxmemory-policy"]


def _object_value(c: Any, key: bytes) -> Any:
    # OBJECT neither touches the key nor raises keymiss (LOOKUP_NOTOUCH | LOOKUP_NONOTIFY).
    return c.db.peek_read(key, notify=False)


_OBJECT_KEY = dict(
    flags="readonly",
    keys=(2, 2, 1),
    complexity="O(1)",
    syntax="key",
    tips="nondeterministic_output",
    key_specs=[keyspec("RO", begin=2)],
)


@command("object|encoding", 3, since="2.2.3", summary="Return the internal encoding of a key's value.", **_OBJECT_KEY)
def object_encoding_cmd(c: Any, argv: list[bytes]) -> bytes | None:
    v = _object_value(c, argv[2])
    if v is None:
        return None
    return object_encoding(v, c.server.config).encode()


@command("object|freq", 3, since="4.0.0", summary="Return the LFU access frequency counter of a key.", **_OBJECT_KEY)
def object_freq(c: Any, argv: list[bytes]) -> int | None:
    key = argv[2]
    if _object_value(c, key) is None:
        return None
    if not _lfu_policy(c):
        raise _LFU_NOT_SELECTED
    db = c.db
    hook = db.ks.object_freq
    if hook is not None:
        return hook(db, key)
    return db.lru.get(key, 0) & 0xFF  # Redis's layout: minutes << 8 | logarithmic counter


@command(
    "object|idletime", 3, since="2.2.3", summary="Return the seconds since a key was last accessed.", **_OBJECT_KEY
)
def object_idletime(c: Any, argv: list[bytes]) -> int | None:
    key = argv[2]
    if _object_value(c, key) is None:
        return None
    if _lfu_policy(c):
        raise _LFU_SELECTED
    db = c.db
    now = db.ks.clock.lru
    stamp = db.lru.get(key, now)
    return now - stamp if now >= stamp else now + (LRU_CLOCK_MAX - stamp)


@command("object|refcount", 3, since="2.2.3", summary="Return how many references a key's value has.", **_OBJECT_KEY)
def object_refcount(c: Any, argv: list[bytes]) -> int | None:
    v = _object_value(c, argv[2])
    if v is None:
        return None
    if v.__class__ is bytes:
        v = parse_ll(v) if len(v) <= 20 else None
    if v.__class__ is int and 0 <= v < _SHARED_INTEGERS:  # type: ignore[operator]
        cfg = c.server.config
        if not cfg["maxmemory"] or not any(p in cfg["maxmemory-policy"] for p in ("lru", "lfu")):
            return _INT_MAX
    return 1


@command(
    "object|help",
    2,
    flags="loading stale",
    since="6.2.0",
    summary="Show helpful text about the OBJECT subcommands.",
    complexity="O(1)",
)
def object_help(c: Any, argv: list[bytes]) -> list[str]:
    return _OBJECT_HELP
