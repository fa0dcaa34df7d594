"""The databases: keys, values, expiry deadlines and per-key access stamps. Knows types, not RESP.

Layout (as Redis's ``redisDb``): ``data`` maps key -> value, ``expires`` maps the volatile keys ->
absolute deadline in ms, ``lru`` maps key -> the access stamp the eviction policy reads (a 24-bit LRU
clock in seconds, or an LFU counter when an LFU policy is active). Three plain dicts keep the hot path
to a couple of dict operations and keep ``len(expires)`` (INFO keyspace ``expires=``) free.

String values are ``bytes`` (as set), ``bytearray`` (modified in place by APPEND/SETRANGE/SETBIT: Redis's
"raw" encoding) or ``int`` (INCR and friends keep integers as integers). Other types are the classes of
``cacheserver.types``.

Invariants: an expired key is never returned (lazy expiry on every lookup, active expiry in the cron,
see ``expiry``); an empty container is never stored (writers delete the key instead); every change of a
key's value goes through ``signal_modified`` so WATCH and client-side caching see it; every removal of a
key goes through ``_remove`` (which counts it in ``removed``: SCAN cursors rely on that count).

Memory: ``used`` is this database's share of the used-memory estimate, adjusted by deltas in the writers
below (see ``memory``): a ``bytes`` value's size follows from its length, any other value's charge is
kept in ``charged`` and refreshed by ``recharge`` for the keys listed in ``stale`` (containers mutated in
place). Under an active maxmemory (or an LFU policy) the database becomes an ``EvictingDatabase`` (or a
``PolicyDatabase``, whose lookups and writers also tell the eviction ``policy``): the plain class pays
nothing for it.

``TYPE_NAMES`` is the one table of type names (TYPE, SCAN TYPE) and ``object_encoding`` the one place
OBJECT ENCODING is decided: a value class other than the string ones answers through its own
``encoding(config)`` method, honouring thresholds such as ``hash-max-listpack-entries``.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from typing import Any

from cacheserver.clock import Clock
from cacheserver.errors import NOT_INTEGER, OVERFLOW, WRONGTYPE
from cacheserver.keyspace import expiry
from cacheserver.keyspace import notifications as ev
from cacheserver.keyspace.memory import (
    EXPIRE_ENTRY,
    KEY_ENTRY,
    SMALL_INT_MAX,
    SMALL_INT_MIN,
    bytes_size,
    int_size,
    value_size,
)
from cacheserver.keyspace.scan import ScanCursors
from cacheserver.numbers import LLONG_MAX, LLONG_MIN, parse_ll
from cacheserver.types.hash import Hash
from cacheserver.types.list import List
from cacheserver.types.set import Set
from cacheserver.types.sorted_set import SortedSet
from cacheserver.types.stream import Stream

try:
    from cacheserver._speedups import store_string_pairs as native_store_string_pairs
except ImportError:  # built without a C compiler: set_pairs runs its Python loop
    native_store_string_pairs = None

_MISSING = object()

STRING_TYPES = (bytes, bytearray, int)

TYPE_NAMES: dict[type, str] = {bytes: "string", bytearray: "string", int: "string"}
TYPE_NAMES[List] = "list"
TYPE_NAMES[SortedSet] = "zset"
TYPE_NAMES[Hash] = "hash"
TYPE_NAMES[Set] = "set"
TYPE_NAMES[Stream] = "stream"


def type_name(value: Any) -> str:
    name = TYPE_NAMES.get(value.__class__)
    if name is None:
        for cls, n in TYPE_NAMES.items():
            if isinstance(value, cls):
                return n
        return "none"
    return name


# Redis embeds strings of up to 44 bytes in the object header (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
EMBSTR_SIZE_LIMIT = 44


def object_encoding(value: Any, config: Any) -> str:
    """OBJECT ENCODING: what Redis would answer for ``value`` (``config`` gives the size thresholds)."""
    cls = value.__class__
    if cls is bytes:
        if len(value) <= 20 and parse_ll(value) is not None:
            return "int"
        return "embstr" if len(value) <= EMBSTR_SIZE_LIMIT else "raw"
    if cls is int:
        return "int"
    if cls is bytearray:
        return "raw"
    return value.encoding(config)


def copy_value(value: Any) -> Any:
    """An independent copy for COPY: immutable strings are shared, everything else copies itself."""
    if value.__class__ is bytes or value.__class__ is int:
        return value
    return value.copy()


class Database:
    """One numbered database (SELECT n)."""

    __slots__ = (
        "index", "data", "expires", "lru", "deadlines", "ks", "watched", "removed", "_sample", "blocking_keys",
        "used", "charged", "stale", "policy",
    )

    def __init__(self, index: int, ks: Keyspace) -> None:
        self.index = index
        self.ks = ks
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.lru: dict[bytes, int] = {}
        self.deadlines: list[tuple[int, bytes]] = []  # heap of (deadline, key); stale entries skipped
        self.watched: dict[bytes, list] = {}  # key -> clients WATCHing it
        self.removed = 0  # keys removed so far, ever (SCAN resumes conservatively from it)
        self._sample: list[bytes] | None = None
        # key -> clients blocked on it, in the order they blocked (an ordered set: see blocking.py)
        self.blocking_keys: dict[bytes, dict] = {}
        self.used = 0  # estimated bytes held by this database's keys (see ``memory``)
        self.charged: dict[bytes, int] = {}  # key -> charge of a value that is not ``bytes``
        self.stale: dict[bytes, None] = {}  # keys whose value may have changed size in place
        self.policy: Any = None  # the eviction policy's per-database state (EvictingDatabase only)

    def __len__(self) -> int:
        return len(self.data)

    # -- lookups -------------------------------------------------------------------------------------

    def lookup(self, key: bytes) -> Any:
        """The live value at ``key`` or None; deletes it first if it has expired. Touches its stamp."""
        v = self.data.get(key)
        if v is None:
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.ks.clock.now_ms:
                self.expire_key(key)
                return None
        self.lru[key] = self.ks.clock.lru
        return v

    def peek(self, key: bytes) -> Any:
        """Like ``lookup`` but leaves the access stamp alone (OBJECT, TYPE from NO-TOUCH clients...)."""
        v = self.data.get(key)
        if v is None:
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.ks.clock.now_ms:
                self.expire_key(key)
                return None
        return v

    def peek_read(self, key: bytes, notify: bool = True) -> Any:
        """A read that leaves the access stamp alone but counts a hit or miss (EXISTS, TYPE, TTL,
        OBJECT: Redis's LOOKUP_NOTOUCH); ``notify=False`` suppresses ``keymiss`` (LOOKUP_NONOTIFY)."""
        v = self.peek(key)
        ks = self.ks
        if v is None:
            ks.misses += 1
            if notify and ks.notify_flags & ev.KEY_MISS:
                ks.emit(ev.KEY_MISS, b"keymiss", key, self.index)
        else:
            ks.hits += 1
        return v

    def lookup_read(self, key: bytes) -> Any:
        """A lookup by a read command: counts a keyspace hit or miss."""
        v = self.lookup(key)
        ks = self.ks
        if v is None:
            ks.misses += 1
            if ks.notify_flags & ev.KEY_MISS:
                ks.emit(ev.KEY_MISS, b"keymiss", key, self.index)
        else:
            ks.hits += 1
        return v

    def get_string(self, key: bytes) -> bytes | bytearray | int | None:
        """Read a string value (hit/miss counted); WRONGTYPE for another type.

        ``lookup_read`` written out in place: this is GET's whole path."""
        v = self.data.get(key)
        ks = self.ks
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= ks.clock.now_ms:
                self.expire_key(key)
                v = None
        if v is None:
            ks.misses += 1
            if ks.notify_flags & ev.KEY_MISS:
                ks.emit(ev.KEY_MISS, b"keymiss", key, self.index)
            return None
        self.lru[key] = ks.clock.lru
        ks.hits += 1
        if v.__class__ in STRING_TYPES:
            return v
        raise WRONGTYPE

    def get_string_for_write(self, key: bytes) -> bytes | bytearray | int | None:
        v = self.lookup(key)
        if v is None or v.__class__ in STRING_TYPES:
            return v
        raise WRONGTYPE

    def get_typed(self, key: bytes, cls: type, read: bool = True) -> Any:
        """The value at key if it is a ``cls`` (None if missing); WRONGTYPE otherwise."""
        v = self.lookup_read(key) if read else self.lookup(key)
        if v is None or v.__class__ is cls:
            return v
        raise WRONGTYPE

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        """Deadline of a live key (None if it has none). The caller has checked the key exists."""
        return self.expires.get(key) if self.expires else None

    # -- writes --------------------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False, signal: bool = True) -> None:
        """Add or overwrite (Redis's ``setKey``): drops the TTL unless ``keep_ttl``. ``signal=False``
        is Redis's ``dbAdd`` of a new key: WATCH and tracking hear of it only if the command then
        signals a change."""
        data = self.data
        old = data.get(key)
        if old.__class__ is bytes and value.__class__ is bytes:  # the commonest write: string over string
            if len(value) != len(old):
                self.used += ((len(value) + 48) & -16) - ((len(old) + 48) & -16)
            data[key] = value
        elif old is None and value.__class__ is bytes:  # a new string key: one charge for key and value
            if self.ks.notify_flags & ev.NEW:
                self.ks.emit(ev.NEW, b"new", key, self.index)
            self.used += KEY_ENTRY + ((len(key) + 48) & -16) + ((len(value) + 48) & -16)
            data[key] = value
        else:
            if old is None:
                if self.ks.notify_flags & ev.NEW:
                    self.ks.emit(ev.NEW, b"new", key, self.index)
                self.used += KEY_ENTRY + ((len(key) + 48) & -16)
            elif old.__class__ is bytes:
                self.used -= (len(old) + 48) & -16
            else:
                self.used -= self._uncharge(key, old)
            data[key] = value
            if value.__class__ is bytes:
                self.used += (len(value) + 48) & -16
            else:
                self._charge(key, value)
        if not keep_ttl and self.expires and self.expires.pop(key, None) is not None:
            self.used -= EXPIRE_ENTRY
        self.lru[key] = self.ks.clock.lru
        if self.watched and signal:
            self.touch_watched(key)
        if self.blocking_keys:
            self.signal_ready(key)

    def set_pairs(self, argv: list[bytes]) -> None:
        """``set`` of each key/value pair of ``argv[1:]`` (MSET, MSETNX), in one loop: a pair whose key
        is missing or holds a string is stored inline; anything that needs more (a policy to tell, a
        WATCHed or blocked-on key, a ``new`` event, another type to uncharge) goes through ``set``."""
        n = len(argv)
        if self.policy is not None or self.watched or self.blocking_keys or self.ks.notify_flags & ev.NEW:
            for i in range(1, n, 2):
                self.set(argv[i], argv[i + 1])
            return
        data = self.data
        expires = self.expires
        lru = self.lru
        stamp = self.ks.clock.lru
        store = native_store_string_pairs
        if store is not None:
            # The same loop in C; it stops at a key holding another type, which ``set`` uncharges.
            delta, i = store(data, expires, lru, argv, 1, stamp, KEY_ENTRY, EXPIRE_ENTRY)
            while i < n:
                self.used += delta
                self.set(argv[i], argv[i + 1])
                delta, i = store(data, expires, lru, argv, i + 2, stamp, KEY_ENTRY, EXPIRE_ENTRY)
            self.used += delta
            return
        delta = 0
        pairs = iter(argv)
        next(pairs)
        for key, value in zip(pairs, pairs, strict=False):  # MSET's arity check made the pairs whole
            old = data.get(key)
            if old.__class__ is bytes:
                if len(old) != len(value):
                    delta += ((len(value) + 48) & -16) - ((len(old) + 48) & -16)
            elif old is None:
                delta += KEY_ENTRY + ((len(key) + 48) & -16) + ((len(value) + 48) & -16)
            else:
                self.set(key, value)
                continue
            data[key] = value
            if expires and expires.pop(key, None) is not None:
                delta -= EXPIRE_ENTRY
            lru[key] = stamp
        self.used += delta

    def incr_by(self, key: bytes, delta: int) -> int:
        """INCRBY's read-modify-write (``incrDecrCommand``): the stored integer becomes an ``int``, a
        missing key starts from 0, the TTL is kept; returns the new value. A live ``int`` without a TTL,
        the state of any counter after its first increment, is updated here without further calls."""
        data = self.data
        old = data.get(key)
        if old.__class__ is not int or (self.expires and key in self.expires):
            return self._incr_by(key, delta)
        new = old + delta
        if new > LLONG_MAX or new < LLONG_MIN:
            raise OVERFLOW
        data[key] = new
        if not (old > SMALL_INT_MAX and new > SMALL_INT_MAX):  # the charge may cross the shared-int range
            self._recharge_int(key, old, new)
        self.lru[key] = self.ks.clock.lru
        if self.watched:
            self.touch_watched(key)
        return new

    def _incr_by(self, key: bytes, delta: int) -> int:
        v = self.lookup(key)
        if v is None:
            self.set(key, delta)
            return delta
        cls = v.__class__
        if cls is int:
            old = v
        elif cls is bytes or cls is bytearray:
            old = parse_ll(v)
            if old is None:
                raise NOT_INTEGER
        else:
            raise WRONGTYPE
        new = old + delta
        if new > LLONG_MAX or new < LLONG_MIN:
            raise OVERFLOW
        self.replace_value(key, new)
        return new

    def _recharge_int(self, key: bytes, old: int, new: int) -> None:
        if (SMALL_INT_MIN <= new <= SMALL_INT_MAX) is not (SMALL_INT_MIN <= old <= SMALL_INT_MAX):
            size = int_size(new)
            self.used += size - self.charged.get(key, int_size(old))
            self.charged[key] = size

    def replace_value(self, key: bytes, value: Any) -> None:
        """Swap the value object of an existing key, keeping its TTL (INCR's result, a conversion)."""
        data = self.data
        old = data[key]
        if old.__class__ is int and value.__class__ is int:
            data[key] = value  # counters: the charge changes only when leaving or entering small ints
            self._recharge_int(key, old, value)
            if self.watched:
                self.touch_watched(key)
            return
        self.used -= (len(old) + 48) & -16 if old.__class__ is bytes else self._uncharge(key, old)
        self.data[key] = value
        if value.__class__ is bytes:
            self.used += (len(value) + 48) & -16
        else:
            self._charge(key, value)
        if self.watched:
            self.touch_watched(key)

    def delete(self, key: bytes) -> bool:
        """Remove a live key; False if it did not exist (an expired key counts as missing)."""
        if self.peek(key) is None:
            return False
        self._remove(key)
        if self.watched:
            self.touch_watched(key)
        return True

    def _remove(self, key: bytes) -> None:
        v = self.data.pop(key)
        self.removed += 1
        if self.blocking_keys and key in self.blocking_keys:
            self.ks.ready_keys[(self, key)] = None  # a blocked XREADGROUP learns its stream is gone
        self.lru.pop(key, None)
        used = KEY_ENTRY + ((len(key) + 48) & -16)
        used += (len(v) + 48) & -16 if v.__class__ is bytes else self._uncharge(key, v)
        if self.expires and self.expires.pop(key, None) is not None:
            used += EXPIRE_ENTRY
        self.used -= used

    # -- memory accounting ---------------------------------------------------------------------------

    def _charge(self, key: bytes, value: Any) -> None:
        size = value_size(value)
        self.charged[key] = size
        self.used += size

    def _uncharge(self, key: bytes, value: Any) -> int:
        """The charge to take back for ``value`` leaving ``key``."""
        if self.stale:
            self.stale.pop(key, None)
        size = self.charged.pop(key, None)
        return value_size(value) if size is None else size

    def recharge(self, key: bytes) -> None:
        """Re-estimate a value that may have grown or shrunk in place (O(1): see ``memory``)."""
        v = self.data.get(key)
        if v is None or v.__class__ is bytes:
            return
        size = value_size(v)
        old = self.charged.get(key)
        if old is None:  # a string turned into a bytearray in place was charged as bytes
            old = bytes_size(v) if v.__class__ is bytearray else size
        self.charged[key] = size
        self.used += size - old

    def recharge_stale(self) -> None:
        """Recharge every key marked stale since the last call."""
        stale = self.stale
        self.stale = {}
        for key in stale:
            self.recharge(key)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        if key not in self.expires:
            self.used += EXPIRE_ENTRY
        self.expires[key] = when_ms
        heapq.heappush(self.deadlines, (when_ms, key))
        if len(self.deadlines) > 2 * len(self.expires) + 1024:
            expiry.rebuild_deadlines(self)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.used -= EXPIRE_ENTRY
        return True

    def touch_watched(self, key: bytes) -> None:
        """The value at ``key`` changed: EXEC fails for the clients watching it (touchWatchedKey). A
        key watched while already expired (``client.watched[(db, key)]`` true) is no change when it is
        removed, nor while it stays expired. While tracking runs, every database's ``watched`` holds
        a marker so that each modification comes here, and tracking hears of it (signalModifiedKey)."""
        tracking = self.ks.tracking
        if tracking is not None:
            tracking.invalidate(key)
        clients = self.watched.get(key)
        if clients:
            for c in clients:
                if c.watched.get((self, key)):
                    if key not in self.data:
                        c.watched[(self, key)] = False
                        continue
                    if self.is_expired(key):
                        continue
                c.dirty_cas = True

    def touch_all_watched(self, replaced_with: Database | None = None) -> None:
        """FLUSHDB/FLUSHALL (and SWAPDB with ``replaced_with``), before the contents go: a watched key
        stored here, or in ``replaced_with``, is modified (Redis's touchAllWatchedKeysInDb), except
        that an expired key stays logically absent."""
        for key, clients in list(self.watched.items()):
            here = key in self.data
            there = replaced_with is not None and key in replaced_with.data
            if not (here or there):
                continue
            wk = (self, key)
            for c in clients:
                if c.watched.get(wk):
                    if not there:
                        c.watched[wk] = False  # the expired key is deleted: logically no change
                        continue
                    if replaced_with.is_expired(key):  # type: ignore[union-attr]
                        continue
                elif not here and replaced_with.is_expired(key):  # type: ignore[union-attr]
                    c.watched[wk] = True  # a missing key replaced by an expired one
                    continue
                c.dirty_cas = True

    def signal_ready(self, key: bytes) -> None:
        """A value that may unblock clients was stored at ``key`` (Redis's signalKeyAsReady): queue the
        key for its blocked clients, served after the current command (or transaction)."""
        if key in self.blocking_keys:
            self.ks.ready_keys[(self, key)] = None

    def signal_modified(self, key: bytes) -> None:
        """A value was changed in place (a container mutated): tell WATCH and tracking; its size is
        re-estimated later (``recharge_stale``), once per key however many writes it took."""
        self.stale[key] = None
        if self.watched:
            self.touch_watched(key)

    def clear(self) -> int:
        n = len(self.data)
        self.removed += n
        for key in self.blocking_keys:
            if key in self.data:
                self.ks.ready_keys[(self, key)] = None  # blocked XREADGROUP readers: stream gone
        if self.watched:
            self.touch_all_watched()
        self.data = {}
        self.expires = {}
        self.lru = {}
        self.deadlines = []
        self._sample = None
        self.used = 0
        self.charged = {}
        self.stale = {}
        if self.policy is not None:
            self.policy.reset()
        return n

    def swap_contents(self, other: Database) -> None:
        """SWAPDB: exchange datasets; WATCHers of keys on either side are touched."""
        if self.watched:
            self.touch_all_watched(other)
        if other.watched:
            other.touch_all_watched(self)
        self.removed += len(self.data)
        other.removed += len(other.data)
        self.data, other.data = other.data, self.data
        self.expires, other.expires = other.expires, self.expires
        self.lru, other.lru = other.lru, self.lru
        self.deadlines, other.deadlines = other.deadlines, self.deadlines
        self.used, other.used = other.used, self.used
        self.charged, other.charged = other.charged, self.charged
        self.stale, other.stale = other.stale, self.stale
        if self.policy is not None and other.policy is not None:
            self.policy, other.policy = other.policy, self.policy
            self.policy.db, other.policy.db = self, other
        self._sample = other._sample = None
        for db in (self, other):
            for key in db.blocking_keys:
                if key in db.data:
                    db.signal_ready(key)

    # -- expiry --------------------------------------------------------------------------------------

    def is_expired(self, key: bytes) -> bool:
        when = self.expires.get(key)
        return when is not None and when <= self.ks.clock.now_ms

    def expire_key(self, key: bytes) -> None:
        """Delete a key whose deadline has passed: stats, ``expired`` event, WATCH."""
        self._remove(key)
        ks = self.ks
        ks.expired_keys += 1
        if ks.notify_flags & ev.EXPIRED:
            ks.emit(ev.EXPIRED, b"expired", key, self.index)
        if self.watched:
            self.touch_watched(key)
        if ks.on_expired is not None:
            ks.on_expired(self, key)

    def active_expire(self, now_ms: int, stop_at: float) -> int:
        """Delete keys whose deadline has passed (see ``expiry.expire_due``)."""
        return expiry.expire_due(self, now_ms, stop_at)

    # -- iteration -----------------------------------------------------------------------------------

    def random_key(self) -> bytes | None:
        """A random live key (RANDOMKEY); expired keys met on the way are deleted."""
        for _ in range(100):
            key = self.sample_key()
            if key is None:
                return None
            if self.peek(key) is not None:
                return key
        for key in list(self.data):  # everything sampled had expired: find any live key
            if self.peek(key) is not None:
                return key
        return None

    def sample_key(self) -> bytes | None:
        """A uniformly random key (live or not) in O(1) amortised time.

        Python dicts cannot pick a random entry directly, so draws come from a snapshot of the keys,
        taken again once the dict has drifted a quarter of its size away from it.
        """
        data = self.data
        if not data:
            return None
        keys = self._sample
        if keys is None or abs(len(keys) - len(data)) > max(16, len(data) >> 2):
            keys = self._sample = list(data)
        for _ in range(8):
            k = keys[random.randrange(len(keys))]
            if k in data:
                return k
        keys = self._sample = list(data)
        return keys[random.randrange(len(keys))]

    def ttl_of(self, key: bytes) -> int:
        """Deadline in ms of a key, -1 if it has none (Redis's ``getExpire``)."""
        return self.expires.get(key, -1) if self.expires else -1

    def live_keys(self) -> Iterator[bytes]:
        now = self.ks.clock.now_ms
        expires = self.expires
        for key in list(self.data):
            when = expires.get(key) if expires else None
            if when is not None and when <= now:
                continue
            yield key


class EvictingDatabase(Database):
    """A Database under an active maxmemory whose policy needs no hooks (LRU, random, TTL, noeviction):
    the plain writers already stamp ``lru``, so only lookups differ, marking a value other than ``bytes``
    stale (the command that looked it up may mutate it) for the next memory check.

    The evictor switches a database to this class or to ``PolicyDatabase`` (``__class__`` assignment:
    same slots) while maxmemory is set or an LFU policy keeps counters, and back again, so the plain
    class's hot path carries nothing of eviction.
    """

    __slots__ = ()

    def get_string(self, key: bytes) -> bytes | bytearray | int | None:
        v = Database.get_string(self, key)
        if v is not None and v.__class__ is not bytes:
            self.stale[key] = None  # an int or bytearray the command may change in place (INCR, APPEND)
        return v

    def lookup(self, key: bytes) -> Any:
        v = Database.lookup(self, key)
        if v is not None and v.__class__ is not bytes:
            self.stale[key] = None  # a container or number the command may change in place
        return v

    incr_by = Database._incr_by  # through ``lookup``: marks the counter stale, or tells the policy

    def evict(self, need: int, batch: int) -> bool:
        """Evict the policy's victims until ``need`` bytes are freed or ``batch`` keys went; True then,
        False when no victim is left first.

        Each key goes as Redis's eviction removes it: everything ``_remove`` does (written out here,
        one loop for the whole batch: this runs on nearly every write of a full cache), then WATCH,
        the ``evicted`` event if enabled, and ``evicted_keys``. The policy hands out victims as
        ``(stamp, key)`` pairs, best last (``Policy.victims``); a key whose ``lru`` stamp is no longer
        ``stamp`` was read or replaced since it was ranked and is passed over (a None stamp: never).
        What has been evicted is booked (``used``, ``removed``, the stat) before the policy is asked
        for more victims, since it may read the database while it ranks, and at the end."""
        policy = self.policy
        victims = policy.victims
        volatile = policy.volatile
        data = self.data
        lru = self.lru
        expires = self.expires
        freed = evicted = 0
        fruitless = 0  # refills in a row that evicted nothing: the policy finds no valid victim
        while True:
            if not victims:
                self._book_evicted(freed, evicted)
                need -= freed
                batch -= evicted
                fruitless = fruitless + 1 if not evicted else 0
                freed = evicted = 0
                if fruitless > 8 or not policy.refill():
                    return False
                victims = policy.victims
                continue
            stamp, key = victims.pop()
            if stamp is not None and lru.get(key) != stamp or volatile and key not in expires:
                continue
            v = data.pop(key, None)
            if v is None:
                continue
            lru.pop(key, None)
            freed += KEY_ENTRY + ((len(key) + 48) & -16) + (
                ((len(v) + 48) & -16) if v.__class__ is bytes else self._uncharge(key, v)
            )
            if expires and expires.pop(key, None) is not None:
                freed += EXPIRE_ENTRY
            evicted += 1
            if self.blocking_keys and key in self.blocking_keys:
                self.ks.ready_keys[(self, key)] = None  # a blocked XREADGROUP learns its stream is gone
            if policy.hooks:
                policy.delete(key)
            if self.watched:
                self.touch_watched(key)
            if self.ks.notify_flags & ev.EVICTED:
                self.ks.emit(ev.EVICTED, b"evicted", key, self.index)
            if freed >= need or evicted >= batch:
                self.used -= freed  # ``_book_evicted``, written out for the commonest exit
                self.removed += evicted
                self.ks.evicted_keys += evicted
                return True

    def _book_evicted(self, freed: int, evicted: int) -> None:
        self.used -= freed
        self.removed += evicted
        self.ks.evicted_keys += evicted


class PolicyDatabase(EvictingDatabase):
    """An EvictingDatabase whose lookups and writers also tell its eviction policy (insert / access /
    delete): for the policies with per-key state (LFU counters, queues, a frequency sketch)."""

    __slots__ = ()

    def get_string(self, key: bytes) -> bytes | bytearray | int | None:
        v = self.lookup_read(key)  # through ``lookup``, which tells the policy
        if v is None or v.__class__ in STRING_TYPES:
            return v
        raise WRONGTYPE

    def lookup(self, key: bytes) -> Any:
        v = self.data.get(key)
        if v is None:
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.ks.clock.now_ms:
                self.expire_key(key)
                return None
        self.policy.access(key)
        if v.__class__ is not bytes:
            self.stale[key] = None
        return v

    def set(self, key: bytes, value: Any, keep_ttl: bool = False, signal: bool = True) -> None:
        stamp = self.lru.get(key)
        Database.set(self, key, value, keep_ttl, signal)
        policy = self.policy
        if stamp is None or key not in policy.members:
            policy.insert(key)
        else:
            self.lru[key] = stamp  # an overwritten value keeps its history (LFU), then counts an access
            policy.access(key)

    def _remove(self, key: bytes) -> None:
        Database._remove(self, key)
        self.policy.delete(key)


class Keyspace:
    """All databases plus what they share: the clock, hit/miss/expiry stats, the notification sink."""

    def __init__(self, clock: Clock, databases: int = 16) -> None:
        self.clock = clock
        self.dbs = [Database(i, self) for i in range(databases)]
        self.hits = 0
        self.misses = 0
        self.expired_keys = 0
        self.evicted_keys = 0
        self.dirty = 0
        self.active_expire_enabled = True
        self.notify_flags = 0
        self.publish: Callable[[bytes, bytes], int] | None = None
        self.on_expired: Callable[[Database, bytes], None] | None = None
        # (database, key) pairs signalled ready for blocked clients, in signal order (a dict as an
        # ordered set); drained by blocking.Blocking after each command.
        self.ready_keys: dict[tuple[Database, bytes], None] = {}
        self.scans = ScanCursors()
        self.active_expire_next_db = 0  # where the next cycle starts, so no database starves
        # OBJECT FREQ under an LFU policy: the eviction layer installs its counter reader here.
        self.object_freq: Callable[[Database, bytes], int] | None = None
        # CLIENT TRACKING while some client tracks (tracking.Tracking): told of every modified key.
        self.tracking: Any = None

    def used_memory(self) -> int:
        """The dataset's estimated size: every database's keys, values and table entries."""
        total = 0
        for db in self.dbs:
            if db.stale:
                db.recharge_stale()
            total += db.used
        return total

    def emit(self, cls: int, event: bytes, key: bytes, dbid: int) -> None:
        """Publish a keyspace/keyevent notification if its class is enabled (``notifyKeyspaceEvent``)."""
        flags = self.notify_flags
        if not flags & cls or self.publish is None:
            return
        if flags & ev.KEYSPACE:
            self.publish(b"__keyspace@%d__:%b" % (dbid, key), event)
        if flags & ev.KEYEVENT:
            self.publish(b"__keyevent@%d__:%b" % (dbid, event), key)

    def active_expire_cycle(self, budget_s: float) -> int:
        """One cron tick of active expiry (``expiry.active_expire_cycle``)."""
        return expiry.active_expire_cycle(self, budget_s)

    def flush_all(self) -> int:
        return sum(db.clear() for db in self.dbs)
