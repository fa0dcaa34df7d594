"""Resumable cursors for SCAN, shaped so HSCAN/SSCAN/ZSCAN can reuse them for large containers.

Redis's guarantee: a full iteration (cursor 0 ... cursor 0) returns every element present from its
start to its end; elements added or removed meanwhile may or may not be returned; an element may be
returned more than once. Redis gets it from reverse-binary bucket cursors. Python dicts give no bucket
access, so the iteration order here is the dict's insertion order, and a cursor names a *basis*:

    cursor = token << 32 | position          (an unsigned 64-bit number, sent in decimal)

``token`` identifies a ScanState (who is scanned, a snapshot of the keys, and the owner's removal count
when the basis was taken); ``position`` is an index into that basis.

- Cursor 0 takes the first COUNT keys straight from the live dict (O(COUNT), no copy); if that was all,
  the answer is cursor 0 and nothing is kept. Otherwise a state is created without a snapshot.
- The next call snapshots the keys once (``list(dict)``: one C-level copy, a pointer per key; the keys
  themselves are shared) and from then on each call reads ``snapshot[position:position+COUNT]``: O(COUNT).
  The caller skips entries no longer present (and expired keys).
- Why positions survive without the snapshot: in insertion order, keys present throughout keep their
  relative order; removed keys leave the sequence, new keys are appended after every old one. So if D
  keys were removed since the basis was taken, the first key not yet returned sits at an index >=
  position - D in a fresh snapshot. Every owner keeps a monotonic removal count (``Database.removed``),
  and resuming from a new snapshot at ``max(0, position - D)`` can repeat keys but never skips one.
  That is the fallback whenever a snapshot is missing (not taken yet, or dropped from the cache).
- Bounded memory: at most ``max_states`` states (least recently used dropped; an unknown token restarts
  the iteration from the beginning, which is still complete) and at most ``max_snapshots`` snapshots
  holding at most ``max(min_entries, 4 * size of the scanned owner)`` keys in total (least recently used
  snapshots dropped first, states kept): about four full copies of the largest database's key list
  (8 bytes a key each), a small fraction of what the keys themselves cost. A finished iteration frees
  its state at once.

Limits: the fallback is conservative, so under heavy deletion a resumed scan repeats keys (never loses
them); more concurrent scans than the bounds allow thrash (each resume snapshots again: O(N) per call,
and a scan makes no progress while more keys are removed between two of its calls than its COUNT);
a scan that starts again and again without finishing takes a snapshot per second call; an owner
whose order is not insertion order (a Python ``set``) must pass ``ordered=False`` and then restarts from
position 0 whenever its snapshot is gone. Cursors are only meaningful to the server that issued them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Hashable
from itertools import islice
from typing import Any

CURSOR_MAX = (1 << 64) - 1
_POSITION_BITS = 32
_POSITION_MASK = (1 << _POSITION_BITS) - 1
_TOKEN_MAX = (1 << 32) - 1


def parse_cursor(arg: bytes) -> int | None:
    """A cursor argument as Redis's ``strtoul`` reads it: decimal, optional sign (``-1`` wraps to
    2**64-1), no leading space, empty means 0; None if invalid or out of range."""
    s = arg
    if s[:1].isspace():
        return None
    neg = False
    if s[:1] in (b"+", b"-"):
        neg = s[:1] == b"-"
        s = s[1:]
    if not s:
        return 0 if not arg else None
    if not s.isdigit():
        return None
    v = int(s)
    if v > CURSOR_MAX:
        return None
    return (-v) & CURSOR_MAX if neg else v


class ScanState:
    __slots__ = ("owner", "snapshot", "removed_at")

    def __init__(self, owner: Hashable, snapshot: list | None, removed_at: int) -> None:
        self.owner = owner
        self.snapshot = snapshot
        self.removed_at = removed_at


class ScanCursors:
    """The cursor states of one keyspace (SCAN on every database, and container scans)."""

    def __init__(self, max_states: int = 1024, max_snapshots: int = 16, min_entries: int = 1 << 20) -> None:
        self.max_states = max_states
        self.max_snapshots = max_snapshots
        self.min_entries = min_entries
        self.states: OrderedDict[int, ScanState] = OrderedDict()
        self.snapshot_entries = 0
        self.snapshots = 0
        self._next_token = 1

    def step(
        self, owner: Hashable, source: Collection, removed: int, cursor: int, count: int, ordered: bool = True
    ) -> tuple[int, list[Any]]:
        """One SCAN call over ``source`` (a dict or set): the next cursor and the candidates to report,
        which the caller still filters (no longer present, expired, MATCH, TYPE). ``removed`` is the
        owner's monotonic count of removed elements; ``owner`` says what is scanned."""
        if cursor:
            state = self.states.get(cursor >> _POSITION_BITS)
            if state is not None and state.owner == owner and removed >= state.removed_at:
                return self._resume(cursor >> _POSITION_BITS, state, cursor & _POSITION_MASK, source, removed, count,
                                    ordered)
            # Unknown, foreign or outlived state: start over, which still visits every key.
        if len(source) <= count:
            return 0, list(source)
        batch = list(islice(source, count))
        return self._new_state(owner, None, removed) << _POSITION_BITS | count, batch

    def _resume(
        self, token: int, state: ScanState, pos: int, source: Collection, removed: int, count: int, ordered: bool
    ) -> tuple[int, list[Any]]:
        snap = state.snapshot
        if snap is None:
            pos = max(0, pos - (removed - state.removed_at)) if ordered else 0
            snap = list(source)
            self._forget(token)
            token = self._new_state(state.owner, snap, removed)
            self._admit(token, len(source))
        else:
            self.states.move_to_end(token)
        end = pos + count
        batch = snap[pos:end]
        if end >= len(snap):
            self._forget(token)
            return 0, batch
        return token << _POSITION_BITS | end, batch

    def _new_state(self, owner: Hashable, snapshot: list | None, removed: int) -> int:
        token = self._next_token
        self._next_token = token + 1 if token < _TOKEN_MAX else 1
        self.states.pop(token, None)
        self.states[token] = ScanState(owner, snapshot, removed)
        if snapshot is not None:
            self.snapshot_entries += len(snapshot)
            self.snapshots += 1
        while len(self.states) > self.max_states:
            old, st = self.states.popitem(last=False)
            self._drop_snapshot(st)
        return token

    def _admit(self, token: int, owner_size: int) -> None:
        """Keep the snapshots within bounds, dropping the least recently used ones (never ``token``'s)."""
        limit = max(self.min_entries, 4 * owner_size)
        if self.snapshots <= self.max_snapshots and self.snapshot_entries <= limit:
            return
        for t, st in self.states.items():
            if t != token and st.snapshot is not None:
                self._drop_snapshot(st)
                if self.snapshots <= self.max_snapshots and self.snapshot_entries <= limit:
                    return

    def _drop_snapshot(self, state: ScanState) -> None:
        # removed_at stays the count at snapshot time: the fallback arithmetic needs exactly that.
        if state.snapshot is not None:
            self.snapshot_entries -= len(state.snapshot)
            self.snapshots -= 1
            state.snapshot = None

    def _forget(self, token: int) -> None:
        state = self.states.pop(token, None)
        if state is not None:
            self._drop_snapshot(state)

    def clear(self) -> None:
        self.states.clear()
        self.snapshot_entries = 0
        self.snapshots = 0
