"""Hash commands: HSET and friends, HINCRBY/HINCRBYFLOAT, HSCAN and HRANDFIELD, as Redis 7.0's t_hash.c.

Rules: a hash that loses its last field is deleted (``del`` notified after the command's own event);
every write checks the listpack limits from the configuration at that moment (``Hash.note_write``);
in-place changes tell WATCH through ``db.signal_modified`` (the one-field HSET path only touches WATCH and
leaves the size re-estimate to the memory sweep, as list writes do). Arguments are checked in Redis's order, so
the first error reported is Redis's.
"""

from __future__ import annotations

import random
from typing import Any

from cacheserver import errors
from cacheserver.commands.generic import keyspec, scan_collection, scan_cursor
from cacheserver.commands.spec import command
from cacheserver.errors import WRONGTYPE, CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.numbers import (
    LLONG_MAX,
    LLONG_MIN,
    format_long_double_human,
    parse_ll,
    parse_long_double,
    round_long_double,
)
from cacheserver.protocol.replies import EMPTY_ARRAY, OK
from cacheserver.types.hash import Hash

HASH_NOT_INTEGER = CommandError("hash value is not an integer")
HASH_NOT_FLOAT = CommandError("hash value is not a float")
NAN_OR_INFINITY = CommandError("value is NaN or Infinity")
OUT_OF_RANGE = CommandError("value is out of range")
COUNT_RANGE = CommandError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")

# A negative count repeats fields, so its reply is as long as asked: Redis 7.0 accepts up to LONG_MAX and
# then exhausts its memory building the reply. We refuse replies longer than this many elements instead.
RANDOM_REPLY_MAX = 1 << 24
TOO_MANY = CommandError(f"value is out of range, value must between -{RANDOM_REPLY_MAX} and 9223372036854775807")


def _config(c: Any) -> tuple[int, int]:
    values = c.server.config.values
    return values["hash-max-listpack-entries"], values["hash-max-listpack-value"]


def _delete_if_empty(db: Any, key: bytes, h: Hash) -> None:
    if not h:
        db.delete(key)
        if db.ks.notify_flags:
            db.ks.emit(ev.GENERIC, b"del", key, db.index)


# -- writes ---------------------------------------------------------------------------------------------


def _hset(c: Any, argv: list[bytes]) -> int:
    n = len(argv)
    if n & 1:
        raise errors.wrong_arity(argv[0].decode("latin-1").lower())
    db = c.db
    return _hset_onto(c, db, argv[1], db.lookup(argv[1]), argv)


def _hset_onto(c: Any, db: Any, key: bytes, h: Any, argv: list[bytes]) -> int:
    """HSET's pairs ``argv[2:]``, given the value ``h`` already looked up at ``key``."""
    n = len(argv)
    if h is None:
        h = Hash()
        db.set(key, h)
    elif h.__class__ is not Hash:
        raise WRONGTYPE
    else:
        db.signal_modified(key)
    before = len(h)
    values = c.server.config.values
    max_value = values["hash-max-listpack-value"]
    if n == 4:
        field = argv[2]
        value = argv[3]
        h[field] = value
        if h.listpack and (len(field) > max_value or len(value) > max_value):
            h.listpack = False
    else:
        for i in range(2, n, 2):
            field = argv[i]
            value = argv[i + 1]
            h[field] = value
            if h.listpack and (len(field) > max_value or len(value) > max_value):
                h.listpack = False
    added = len(h) - before
    if h.listpack and len(h) > values["hash-max-listpack-entries"]:
        h.listpack = False
    ks = db.ks
    ks.dirty += (n - 2) >> 1
    if ks.notify_flags:
        ks.emit(ev.HASH, b"hset", key, db.index)
    return added


@command("hset", -4, flags="write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Set the values of one or more fields of a hash, creating the hash if needed.",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command "
         "is called with multiple field/value pairs.", syntax="key field value [field value ...]",
         history=[("4.0.0", "Accepts multiple `field` and `value` arguments.")], key_specs=[keyspec("RW update")])
def hset(c: Any, argv: list[bytes]) -> int:
    if len(argv) == 4:
        # One field of an existing hash, the benchmarked path: _hset written out.
        db = c.db
        key = argv[1]
        h = db.lookup(key)
        if h.__class__ is Hash:
            if db.watched:  # no stale mark: the memory sweep re-estimates hashes (as lists)
                db.touch_watched(key)
            field = argv[2]
            value = argv[3]
            added = 0 if field in h else 1
            h[field] = value
            if h.listpack:
                values = c.server.config.values
                max_value = values["hash-max-listpack-value"]
                # Redis checks the entry count after any write, an update included (hashTypeSet).
                if len(field) > max_value or len(value) > max_value or len(h) > values["hash-max-listpack-entries"]:
                    h.listpack = False
            ks = db.ks
            ks.dirty += 1
            if ks.notify_flags:
                ks.emit(ev.HASH, b"hset", key, db.index)
            return added
        return _hset_onto(c, db, key, h, argv)
    return _hset(c, argv)


@command("hmset", -4, flags="write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Set the values of several fields of a hash (deprecated: HSET takes several pairs).",
         complexity="O(N) where N is the number of fields being set.", syntax="key field value [field value ...]",
         deprecated_since="4.0.0", replaced_by="`HSET` with multiple field-value pairs",
         doc_flags="deprecated", key_specs=[keyspec("RW update")])
def hmset(c: Any, argv: list[bytes]) -> Any:
    _hset(c, argv)
    return OK


@command("hsetnx", 4, flags="write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Set the value of a field of a hash only if the field does not exist yet.",
         complexity="O(1)", syntax="key field value", key_specs=[keyspec("RW insert")])
def hsetnx(c: Any, argv: list[bytes]) -> int:
    key, field, value = argv[1], argv[2], argv[3]
    db = c.db
    h = db.get_typed(key, Hash, read=False)
    if h is not None and field in h:
        return 0
    _store_field(c, db, key, h, field, value, b"hset")
    return 1


@command("hdel", -3, flags="write fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Delete one or more fields of a hash, and the hash once it is empty.",
         complexity="O(N) where N is the number of fields to be removed.", syntax="key field [field ...]",
         history=[("2.4.0", "Accepts multiple `field` arguments.")], key_specs=[keyspec("RW delete")])
def hdel(c: Any, argv: list[bytes]) -> int:
    key = argv[1]
    db = c.db
    h = db.get_typed(key, Hash, read=False)
    if h is None:
        return 0
    deleted = 0
    for field in argv[2:]:
        if h.pop(field, h) is not h:
            deleted += 1
            if not h:
                break
    if not deleted:
        return 0
    h.removed += deleted
    ks = db.ks
    ks.dirty += deleted
    db.signal_modified(key)
    if ks.notify_flags:
        ks.emit(ev.HASH, b"hdel", key, db.index)
    _delete_if_empty(db, key, h)
    return deleted


@command("hincrby", 4, flags="write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Add an integer to the integer value of a field of a hash (0 if the field is missing).",
         complexity="O(1)", syntax="key field increment", key_specs=[keyspec("RW access update")])
def hincrby(c: Any, argv: list[bytes]) -> int:
    key, field = argv[1], argv[2]
    incr = parse_ll(argv[3])
    if incr is None:
        raise errors.NOT_INTEGER
    db = c.db
    h = db.get_typed(key, Hash, read=False)
    old = h.get(field) if h is not None else None
    if old is None:
        value = 0
    else:
        value = parse_ll(old)
        if value is None:
            raise HASH_NOT_INTEGER
    new = value + incr
    if new > LLONG_MAX or new < LLONG_MIN:
        raise errors.OVERFLOW
    text = b"%d" % new
    _store_field(c, db, key, h, field, text, b"hincrby")
    return new


@command("hincrbyfloat", 4, flags="write denyoom fast", keys=(1, 1, 1), group="hash", since="2.6.0",
         summary="Add a floating point number to the value of a field of a hash (0 if the field is missing).",
         complexity="O(1)", syntax="key field increment", key_specs=[keyspec("RW access update")])
def hincrbyfloat(c: Any, argv: list[bytes]) -> bytes:
    key, field = argv[1], argv[2]
    incr = parse_long_double(argv[3])
    if incr is None:
        raise errors.NOT_FLOAT
    if isinstance(incr, float):  # the spellings of infinity
        raise NAN_OR_INFINITY
    db = c.db
    h = db.get_typed(key, Hash, read=False)
    old = h.get(field) if h is not None else None
    if old is None:
        value = 0
    else:
        value = parse_long_double(old)
        if value is None:
            raise HASH_NOT_FLOAT
        if isinstance(value, float):
            raise errors.NAN_OR_INF
    total = round_long_double(value + incr)
    if total is None:
        raise errors.NAN_OR_INF
    text = format_long_double_human(total)
    _store_field(c, db, key, h, field, text, b"hincrbyfloat")
    return text


def _store_field(c: Any, db: Any, key: bytes, h: Hash | None, field: bytes, value: bytes, event: bytes) -> None:
    """Set one field (creating the hash if ``h`` is None), with the encoding check, WATCH, dirty, event."""
    created = h is None
    if created:
        h = Hash()
    h[field] = value
    max_entries, max_value = _config(c)
    h.note_write(field, value, max_entries, max_value)
    if created:
        db.set(key, h)
    else:
        db.signal_modified(key)
    ks = db.ks
    ks.dirty += 1
    if ks.notify_flags:
        ks.emit(ev.HASH, event, key, db.index)


# -- reads ----------------------------------------------------------------------------------------------


@command("hget", 3, flags="readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return the value of a field of a hash.", complexity="O(1)", syntax="key field",
         key_specs=[keyspec("RO access")])
def hget(c: Any, argv: list[bytes]) -> bytes | None:
    h = c.db.get_typed(argv[1], Hash)
    if h is None:
        return None
    return h.get(argv[2])


@command("hmget", -3, flags="readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return the values of several fields of a hash.",
         complexity="O(N) where N is the number of fields being requested.", syntax="key field [field ...]",
         key_specs=[keyspec("RO access")])
def hmget(c: Any, argv: list[bytes]) -> list[bytes | None]:
    h = c.db.get_typed(argv[1], Hash)
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hexists", 3, flags="readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Tell whether a field exists in a hash.", complexity="O(1)", syntax="key field",
         key_specs=[keyspec("RO")])
def hexists(c: Any, argv: list[bytes]) -> int:
    h = c.db.get_typed(argv[1], Hash)
    return 1 if h is not None and argv[2] in h else 0


@command("hlen", 2, flags="readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return the number of fields in a hash.", complexity="O(1)", syntax="key",
         key_specs=[keyspec("RO")])
def hlen(c: Any, argv: list[bytes]) -> int:
    h = c.db.get_typed(argv[1], Hash)
    return 0 if h is None else len(h)


@command("hstrlen", 3, flags="readonly fast", keys=(1, 1, 1), group="hash", since="3.2.0",
         summary="Return the length in bytes of the value of a field of a hash.", complexity="O(1)",
         syntax="key field", key_specs=[keyspec("RO")])
def hstrlen(c: Any, argv: list[bytes]) -> int:
    h = c.db.get_typed(argv[1], Hash)
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hkeys", 2, flags="readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return all the field names of a hash.", complexity="O(N) where N is the size of the hash.",
         syntax="key", tips="nondeterministic_output_order", key_specs=[keyspec("RO access")])
def hkeys(c: Any, argv: list[bytes]) -> list[bytes]:
    h = c.db.get_typed(argv[1], Hash)
    return EMPTY_ARRAY if h is None else list(h)


@command("hvals", 2, flags="readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return all the values of a hash.", complexity="O(N) where N is the size of the hash.",
         syntax="key", tips="nondeterministic_output_order", key_specs=[keyspec("RO access")])
def hvals(c: Any, argv: list[bytes]) -> list[bytes]:
    h = c.db.get_typed(argv[1], Hash)
    return EMPTY_ARRAY if h is None else list(h.values())


@command("hgetall", 2, flags="readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         summary="Return all the fields and values of a hash.", complexity="O(N) where N is the size of the hash.",
         syntax="key", tips="nondeterministic_output_order", key_specs=[keyspec("RO access")])
def hgetall(c: Any, argv: list[bytes]) -> Any:
    h = c.db.get_typed(argv[1], Hash)
    return {} if h is None else dict(h)


# -- iteration and sampling ---------------------------------------------------------------------------


@command("hscan", -3, flags="readonly", keys=(1, 1, 1), group="hash", since="2.8.0",
         summary="Iterate over the fields and values of a hash, a few at a time.",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
         "cursor to return back to 0. N is the number of elements inside the collection.",
         syntax="key cursor [MATCH pattern] [COUNT count]", tips="nondeterministic_output",
         key_specs=[keyspec("RO access")])
def hscan(c: Any, argv: list[bytes]) -> list[Any]:
    cursor = scan_cursor(argv[2])
    h = c.db.get_typed(argv[1], Hash)
    if h is None:
        return [b"0", []]
    nxt, fields = scan_collection(c, argv, cursor, "hscan", h, h, h.removed, list(h) if h.listpack else None)
    out: list[bytes] = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return [nxt, out]


@command("hrandfield", -2, flags="readonly", keys=(1, 1, 1), group="hash", since="6.2.0",
         summary="Return one or more random fields of a hash, optionally with their values.",
         complexity="O(N) where N is the number of fields returned", syntax="key [count [WITHVALUES]]",
         tips="nondeterministic_output", key_specs=[keyspec("RO access")])
def hrandfield(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n == 2:
        h = c.db.get_typed(argv[1], Hash)
        if h is None:
            return None
        return random.choice(list(h))
    count = parse_ll(argv[2])
    if count is None:
        raise errors.NOT_INTEGER
    if count < -LLONG_MAX:
        raise COUNT_RANGE
    withvalues = False
    if n > 4 or (n == 4 and argv[3].lower() != b"withvalues"):
        raise errors.SYNTAX
    if n == 4:
        withvalues = True
        if count < -(LLONG_MAX >> 1) or count > LLONG_MAX >> 1:
            raise OUT_OF_RANGE
    h = c.db.get_typed(argv[1], Hash)
    if h is None or count == 0:
        return EMPTY_ARRAY
    if count < 0:
        if -count > RANDOM_REPLY_MAX:
            raise TOO_MANY
        keys = list(h)
        fields = random.choices(keys, k=-count)
    elif count >= len(h):
        fields = list(h)
    else:
        fields = random.sample(list(h), count)
    if not withvalues:
        return fields
    if c.resp > 2:
        return [[f, h[f]] for f in fields]
    out: list[bytes] = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out

