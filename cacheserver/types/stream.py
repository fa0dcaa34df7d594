"""The stream type: entries keyed by (ms, seq) IDs, consumer groups and their pending-entries lists.

Layout. An ID is one int, ``ms << 64 | seq``, so IDs compare and bisect as plain ints; ``last_ms`` and
``last_seq`` repeat ``last_id``'s two parts so that generating the next ID needs no 128-bit arithmetic.
``ids`` is the ascending list of live IDs from ``head`` on and ``payloads`` the parallel list of their
entries (front trims move ``head``, clearing the payloads they drop; the dead prefix is cut once it
outgrows the live part, so trimming is O(1) amortised). The payload is opaque here: the commands store
each entry already encoded as its reply (the same bytes in RESP2 and RESP3), so a range read is a
bisection, a slice and a join, O(log n + k), and an append is two list appends. Finding one ID is a
bisection, O(log n). XDEL removes the ID and its payload from both lists (a C memmove each), so reads
never step over tombstones.

Nodes. Redis packs entries into listpack "nodes" of at most ``stream-node-max-entries`` entries (live
and deleted) and about ``stream-node-max-bytes`` bytes; approximate trimming (``~``) removes whole nodes
only and XINFO reports their number. ``nodes`` mirrors that bookkeeping, one small list per node
``[master_id, live, deleted, last_id, bytes, master_fields]`` with ``node_keys`` (the master IDs) for
bisection, so XLEN after ``~`` trimming matches Redis for the same sequence of writes. Byte sizes are
an estimate of the listpack encoding (values, plus fields when they differ from the node's first entry).

Groups follow Redis 7.0's t_stream.c: ``last_id``, ``entries_read`` (-1 when unknown) and a global PEL
(``SortedDict`` ID -> NACK) shared with per-consumer PELs, so XACK and XCLAIM are O(log n). Consumers
keep ``seen_time`` only (7.0 has no active-time).

Rules: pure data structure; imports nothing of the server.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from sortedcontainers import SortedDict

U64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
INVALID_ENTRIES_READ = -1

# Node fields (a list per node keeps appends to a couple of item stores).
_MASTER, _LIVE, _DELETED, _LAST, _BYTES, _FIELDS = range(6)
LISTPACK_MAX_SIZE = (1 << 30) - 1  # STREAM_LISTPACK_MAX_SIZE


def id_bytes(sid: int) -> bytes:
    """``ms-seq`` text of an ID."""
    return b"%d-%d" % (sid >> 64, sid & U64)


class NACK:
    """A delivered, not yet acknowledged entry: who has it, when it was delivered, how many times."""

    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer: Consumer | None, delivery_time: int, delivery_count: int = 1) -> None:
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int) -> None:
        self.name = name
        self.seen_time = seen_time
        self.pel: SortedDict = SortedDict()  # ID -> NACK (the same objects as the group's PEL)


class ConsumerGroup:
    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: bytes, last_id: int, entries_read: int) -> None:
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()  # ID -> NACK
        self.consumers: dict[bytes, Consumer] = {}

    def sorted_consumers(self) -> list[Consumer]:
        """Consumers in name order (Redis keeps them in a radix tree)."""
        return [self.consumers[k] for k in sorted(self.consumers)]

    def create_consumer(self, name: bytes, now_ms: int) -> Consumer | None:
        """A new consumer, or None when one by that name exists."""
        if name in self.consumers:
            return None
        consumer = self.consumers[name] = Consumer(name, now_ms)
        return consumer

    def delete_consumer(self, consumer: Consumer) -> int:
        """Drop a consumer and its pending entries; returns how many it had."""
        n = len(consumer.pel)
        pel = self.pel
        for sid in consumer.pel:
            del pel[sid]
        del self.consumers[consumer.name]
        return n

    def add_pending(self, sid: int, consumer: Consumer, now_ms: int) -> None:
        """Record a delivery of ``sid`` to ``consumer`` (re-assigning it when another consumer had it,
        as XGROUP SETID can make happen)."""
        nack = self.pel.get(sid)
        if nack is None:
            nack = NACK(consumer, now_ms)
            self.pel[sid] = nack
            consumer.pel[sid] = nack
            return
        old = nack.consumer
        if old is not None and old is not consumer:
            del old.pel[sid]
        nack.consumer = consumer
        nack.delivery_time = now_ms
        nack.delivery_count = 1
        consumer.pel[sid] = nack

    def ack(self, sid: int) -> bool:
        nack = self.pel.pop(sid, None)
        if nack is None:
            return False
        if nack.consumer is not None:
            del nack.consumer.pel[sid]
        return True

    def claim(self, sid: int, nack: NACK, consumer: Consumer) -> None:
        """Move a pending entry to ``consumer``."""
        old = nack.consumer
        if old is not consumer:
            if old is not None:
                del old.pel[sid]
            consumer.pel[sid] = nack
            nack.consumer = consumer

    def copy(self) -> ConsumerGroup:
        g = ConsumerGroup(self.name, self.last_id, self.entries_read)
        for name, c in self.consumers.items():
            nc = g.consumers[name] = Consumer(name, c.seen_time)
            for sid, nack in c.pel.items():
                nn = NACK(nc, nack.delivery_time, nack.delivery_count)
                nc.pel[sid] = nn
                g.pel[sid] = nn
        for sid, nack in self.pel.items():  # FORCE-created NACKs without a consumer
            if sid not in g.pel:
                g.pel[sid] = NACK(None, nack.delivery_time, nack.delivery_count)
        return g


class Stream:
    __slots__ = (
        "ids", "payloads", "head", "nodes", "node_keys", "last_id", "last_ms", "last_seq", "max_deleted_id",
        "entries_added", "groups", "nbytes",
    )

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.payloads: list[Any] = []  # parallel to ``ids``; None before ``head``
        self.head = 0
        self.nodes: list[list] = []
        self.node_keys: list[int] = []
        self.last_id = 0
        self.last_ms = 0
        self.last_seq = 0
        self.max_deleted_id = 0
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] | None = None
        self.nbytes = 0  # total length of the payloads (MEMORY USAGE)

    def __len__(self) -> int:
        return len(self.ids) - self.head

    def encoding(self, config: Any) -> str:
        return "stream"

    def memory_usage(self) -> int:
        """Estimated bytes held, in O(groups): payloads, their index, nodes and pending entries."""
        n = len(self.ids) - self.head
        pending = sum(len(g.pel) for g in self.groups.values()) if self.groups else 0
        # per entry: a bytes object header, its ID (an int) and two list slots; per NACK: object and two
        # index slots
        return 200 + self.nbytes + n * (33 + 32 + 16) + len(self.nodes) * 120 + pending * 150

    def copy(self) -> Stream:
        s = Stream()
        s.ids = self.ids[self.head :]
        s.payloads = self.payloads[self.head :]
        s.nodes = [list(n) for n in self.nodes]
        s.node_keys = list(self.node_keys)
        s.last_id = self.last_id
        s.last_ms = self.last_ms
        s.last_seq = self.last_seq
        s.max_deleted_id = self.max_deleted_id
        s.entries_added = self.entries_added
        s.nbytes = self.nbytes
        if self.groups is not None:
            s.groups = {name: g.copy() for name, g in self.groups.items()}
        return s

    # -- IDs -----------------------------------------------------------------------------------------

    @property
    def first_id(self) -> int:
        """The first live entry's ID (0-0 when empty): Redis's ``first_id``."""
        return self.ids[self.head] if len(self.ids) > self.head else 0

    def last_valid_id(self) -> int:
        """The last live entry's ID (0-0 when empty)."""
        return self.ids[-1] if len(self.ids) > self.head else 0

    def set_last_id(self, sid: int) -> None:
        """XSETID: the stream's last ID, without an entry."""
        self.last_id = sid
        self.last_ms = sid >> 64
        self.last_seq = sid & U64

    def next_auto_id(self, now_ms: int) -> int | None:
        """The ID ``*`` generates: max(now, last ms), then the next sequence; None when exhausted."""
        last = self.last_id
        if self.last_ms < now_ms:
            return now_ms << 64
        return self.incr_id(last)

    @staticmethod
    def incr_id(sid: int) -> int | None:
        return sid + 1 if sid < MAX_ID else None

    @staticmethod
    def decr_id(sid: int) -> int | None:
        return sid - 1 if sid > 0 else None

    # -- writes --------------------------------------------------------------------------------------

    def append(
        self, sid: int, ms: int, seq: int, payload: Any, fields: Any, vsize: int, fsize: int, max_entries: int,
        max_bytes: int,
    ) -> None:
        """Append an entry with an ID ``sid`` (= ``ms << 64 | seq``) greater than ``last_id`` (the caller
        checked). ``fields`` stand for its field names (compared with the node's first entry's),
        ``vsize``/``fsize`` are the estimated listpack bytes of its values/fields. XADD's one-field path
        (commands/streams.py) repeats this inline: a change here goes there too."""
        self.ids.append(sid)
        self.payloads.append(payload)
        self.nbytes += len(payload)
        self.last_id = sid
        self.last_ms = ms
        self.last_seq = seq
        self.entries_added += 1
        nodes = self.nodes
        if max_bytes <= 0 or max_bytes > LISTPACK_MAX_SIZE:
            max_bytes = LISTPACK_MAX_SIZE
        if nodes:
            tail = nodes[-1]  # [master_id, live, deleted, last_id, bytes, master_fields]
            size = tail[4] + (vsize if fields == tail[5] else vsize + fsize)
            if size < max_bytes and not (max_entries and tail[1] + tail[2] >= max_entries):
                tail[1] += 1
                tail[3] = sid
                tail[4] = size
                return
        # A new node: its master entry holds the first entry's fields.
        nodes.append([sid, 1, 0, sid, 16 + fsize + vsize, fields])
        self.node_keys.append(sid)

    def _index(self, sid: int) -> int:
        """The position of ``sid`` in ``ids``, or -1 when it is not a live entry."""
        ids = self.ids
        i = bisect_left(ids, sid, self.head)
        return i if i < len(ids) and ids[i] == sid else -1

    def payload(self, sid: int) -> Any:
        """The entry ``sid`` (None when it is not live), in O(log n)."""
        i = self._index(sid)
        return self.payloads[i] if i >= 0 else None

    def __contains__(self, sid: int) -> bool:
        return self._index(sid) >= 0

    def delete(self, sid: int) -> bool:
        """XDEL of one ID (the caller updates ``max_deleted_id``)."""
        i = self._index(sid)
        if i < 0:
            return False
        self.nbytes -= len(self.payloads[i])
        del self.ids[i]
        del self.payloads[i]
        keys = self.node_keys
        i = bisect_right(keys, sid) - 1
        node = self.nodes[i]
        if node[_LIVE] == 1:
            del self.nodes[i]
            del keys[i]
        else:
            node[_LIVE] -= 1
            node[_DELETED] += 1
        if len(self.ids) == self.head:
            self.ids = []
            self.payloads = []
            self.head = 0
        return True

    def _drop_front(self, n: int) -> None:
        """Remove the ``n`` first live entries (node counters: the caller's)."""
        if n <= 0:
            return
        ids = self.ids
        payloads = self.payloads
        head = self.head
        end = head + n
        self.nbytes -= sum(map(len, payloads[head:end]))
        if end > 1024 and end * 2 > len(ids):
            del ids[:end]
            del payloads[:end]
            end = 0
        else:
            payloads[head:end] = [None] * n  # the dropped entries' memory goes now
        self.head = end

    def trim(self, maxlen: int = -1, minid: int = -1, approx: bool = False, limit: int = 0) -> int:
        """XTRIM / XADD trimming, as Redis's streamTrim: whole nodes first, then (unless ``approx``)
        entries of the first remaining node. Exactly one of ``maxlen``/``minid`` is >= 0."""
        deleted = 0
        nodes = self.nodes
        removed_nodes = 0
        by_len = maxlen >= 0
        for node in nodes:
            length = len(self.ids) - self.head
            if by_len and length <= maxlen:
                break
            live = node[_LIVE]
            if limit and deleted + live > limit:
                break
            remove = (length - live >= maxlen) if by_len else node[_LAST] < minid
            if remove:
                self._drop_front(live)
                removed_nodes += 1
                deleted += live
                continue
            if approx:
                break
            # Mark entries of this node deleted, from its start.
            n = 0
            ids = self.ids
            head = self.head
            last = node[_LAST]
            if by_len:
                n = length - maxlen
            else:
                while head + n < len(ids) and ids[head + n] < minid and ids[head + n] <= last:
                    n += 1
            self._drop_front(n)
            node[_LIVE] -= n
            node[_DELETED] += n
            deleted += n
            break
        if removed_nodes:
            del nodes[:removed_nodes]
            del self.node_keys[:removed_nodes]
        if len(self.ids) == self.head:
            self.ids = []
            self.payloads = []
            self.head = 0
        return deleted

    # -- reads ---------------------------------------------------------------------------------------

    def span(self, start: int, end: int, count: int = 0, rev: bool = False) -> tuple[int, int]:
        """Positions ``lo:hi`` (in ``ids`` and ``payloads``) of the live entries in [start, end], at most
        ``count`` (0: all) of them, the first ones (the last ones if ``rev``)."""
        ids = self.ids
        lo = bisect_left(ids, start, self.head)
        hi = bisect_right(ids, end, lo)
        if count and hi - lo > count:
            if rev:
                lo = hi - count
            else:
                hi = lo + count
        return lo, hi

    def span_after(self, sid: int, count: int) -> tuple[int, int]:
        """Positions ``lo:hi`` of up to ``count`` (0: all) live entries with IDs greater than ``sid``."""
        ids = self.ids
        lo = bisect_right(ids, sid, self.head)
        if count and len(ids) - lo > count:
            return lo, lo + count
        return lo, len(ids)

    def range_ids(self, start: int, end: int, count: int = 0, rev: bool = False) -> list[int]:
        """Live IDs in [start, end], ascending (descending if ``rev``), at most ``count`` (0: all)."""
        lo, hi = self.span(start, end, count, rev)
        out = self.ids[lo:hi]
        if rev:
            out.reverse()
        return out

    def after(self, sid: int, count: int) -> list[int]:
        """Up to ``count`` (0: all) live IDs greater than ``sid``."""
        lo, hi = self.span_after(sid, count)
        return self.ids[lo:hi]

    def node_count(self) -> int:
        return len(self.nodes)

    def has_tombstones(self, start: int = 0, end: int = MAX_ID) -> bool:
        """Whether a deleted entry may lie in [start, end] (streamRangeHasTombstones)."""
        mdel = self.max_deleted_id
        if len(self.ids) == self.head or not mdel:
            return False
        if self.first_id > mdel:
            return False
        return start <= mdel <= end

    def estimate_distance(self, sid: int) -> int:
        """The entries_read counter of ``sid``, or -1 when it cannot be known
        (streamEstimateDistanceFromFirstEverEntry)."""
        added = self.entries_added
        if not added:
            return 0
        length = len(self.ids) - self.head
        if not length and sid <= self.last_id:
            return added
        if sid == self.last_id:
            return added
        if sid > self.last_id:
            return INVALID_ENTRIES_READ
        first = self.first_id
        mdel = self.max_deleted_id
        if not mdel or mdel < first:
            if sid < first:
                return added - length
            if sid == first:
                return added - length + 1
        return INVALID_ENTRIES_READ

    def lag(self, group: ConsumerGroup) -> int | None:
        """Entries not yet delivered to ``group``, None when unknown (streamReplyWithCGLag)."""
        if not self.entries_added:
            return 0
        if group.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones(group.last_id):
            return self.entries_added - group.entries_read
        read = self.estimate_distance(group.last_id)
        if read != INVALID_ENTRIES_READ:
            return self.entries_added - read
        return None

    def advance_group(self, group: ConsumerGroup, sid: int) -> None:
        """A group delivered ``sid`` past its last ID: move it and its entries_read counter."""
        if group.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones(sid):
            group.entries_read += 1
        elif self.entries_added:
            group.entries_read = self.estimate_distance(sid)
        group.last_id = sid

    # -- groups --------------------------------------------------------------------------------------

    def group(self, name: bytes) -> ConsumerGroup | None:
        groups = self.groups
        return groups.get(name) if groups is not None else None

    def create_group(self, name: bytes, last_id: int, entries_read: int) -> ConsumerGroup | None:
        if self.groups is None:
            self.groups = {}
        if name in self.groups:
            return None
        g = self.groups[name] = ConsumerGroup(name, last_id, entries_read)
        return g

    def destroy_group(self, name: bytes) -> bool:
        return self.groups is not None and self.groups.pop(name, None) is not None

    def sorted_groups(self) -> list[ConsumerGroup]:
        groups = self.groups
        if not groups:
            return []
        return [groups[k] for k in sorted(groups)]
