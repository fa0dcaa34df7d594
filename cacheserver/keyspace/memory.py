"""Used-memory estimate, kept incrementally: what each key costs this process, in O(1) per change.

The keyspace keeps one running total, ``Keyspace.used``, adjusted by deltas in the Database's writers
(``set``, ``replace_value``, ``_remove``, ``set_expire``, ``persist``...). A key costs its share of the
``data`` and ``lru`` dict tables (``KEY_ENTRY``), its key object and its value; a volatile key also its
``expires`` entry, its deadline int and its heap tuple (``EXPIRE_ENTRY``).

A ``bytes`` value's size follows from its length alone, so plain strings need no bookkeeping. Every
other value (ints, bytearrays edited in place, containers) is charged in ``Database.charged`` so a
removal subtracts exactly what was added. Containers change in place under the command handlers, so
their charge is refreshed (``Database.recharge``) rather than tracked per element: when a writer calls
``signal_modified``, when a lookup under an active maxmemory marked the key stale, and by a cron sweep
that only runs after writes. A container's size is estimated in O(1): the C-level size of its table
(``sys.getsizeof`` reads an allocated size, it does not walk) plus its length times the mean size of a
few sampled elements.

The constants are CPython 3.11 on 64-bit Linux with pymalloc (16-byte size classes), calibrated against
RSS growth by ``bench/memory_bench.py``.
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any

from cacheserver.types.hash import Hash
from cacheserver.types.list import List
from cacheserver.types.set import Set
from cacheserver.types.sorted_set import SortedSet

# Per key: one entry in ``data`` and one in ``lru`` (24-byte entry + index slot, tables 1/3 to 2/3 full).
KEY_ENTRY = 84
# Per volatile key: the ``expires`` entry, its deadline int and the (deadline, key) tuple in the heap.
EXPIRE_ENTRY = 42 + 32 + 72
# What the server holds before any key (command table, config, reply constants): Redis's is ~0.9 MB.
STARTUP = 880_000
# Per connected client: state, reader, output buffer (Redis counts ~20 KB of query buffer and reply).
CLIENT = 20_000
# How many elements a container's mean element size is sampled from.
SAMPLES = 5  # as MEMORY USAGE's default, so both agree
# Per-element cost of a sorted set besides the member: its float, the (score, member) tuple, the
# sorted list's slot and index share.
ZSET_ELEMENT = 32 + 64 + 16


def bytes_size(b: bytes | bytearray) -> int:
    """Bytes pymalloc hands out for a bytes object of this length (33-byte header, 16-byte classes)."""
    return (len(b) + 48) & -16


def key_size(key: bytes) -> int:
    """What a key costs besides its value."""
    return KEY_ENTRY + ((len(key) + 48) & -16)


def _mean(sizes: list[int]) -> float:
    return sum(sizes) / len(sizes) if sizes else 0.0


SMALL_INT_MIN, SMALL_INT_MAX = -5, 256  # CPython shares these: they cost a stored value nothing
INT_SIZE = 32


def int_size(v: int) -> int:
    """Bytes of an integer value."""
    return INT_SIZE if SMALL_INT_MIN > v or v > SMALL_INT_MAX else 0


def value_size(v: Any, samples: int = SAMPLES) -> int:
    """Estimated bytes held by a value, in O(samples)."""
    cls = v.__class__
    if cls is bytes:
        return (len(v) + 48) & -16
    if cls is int:
        return int_size(v)
    if cls is bytearray:
        return sys.getsizeof(v) + 8
    n = len(v)
    if cls is Hash:
        mean = _mean([((len(f) + 48) & -16) + ((len(x) + 48) & -16) for f, x in islice(v.items(), samples)])
        return sys.getsizeof(v) + int(n * mean)
    if cls is Set:
        mean = _mean([(len(m) + 48) & -16 for m in islice(v, samples)])
        snap = v.snapshot
        return sys.getsizeof(v) + int(n * mean) + (8 * len(snap) + 56 if snap is not None else 0)
    if cls is List:
        if n:
            if n <= samples:
                picks = v
            elif samples == 1:
                picks = [v[0]]
            else:
                picks = [v[(i * (n - 1)) // (samples - 1)] for i in range(samples)]
            mean = _mean([(len(e) + 48) & -16 for e in picks])
        else:
            mean = 0.0
        return sys.getsizeof(v) + int(n * mean)
    if cls is SortedSet:
        scores = v.scores
        mean = _mean([(len(m) + 48) & -16 for m in islice(scores, samples)])
        return 200 + sys.getsizeof(scores) + int(n * (mean + ZSET_ELEMENT))
    # Another type (a stream...): its own report if it gives one, else its shallow size.
    nbytes = getattr(v, "memory_usage", None)
    if nbytes is not None:
        return int(nbytes())
    return sys.getsizeof(v)


def key_usage(key: bytes, v: Any, volatile: bool, samples: int = SAMPLES) -> int:
    """MEMORY USAGE: the key, its value and its table entries."""
    return key_size(key) + value_size(v, samples) + (EXPIRE_ENTRY if volatile else 0)


def human(n: float) -> str:
    """Redis's bytesToHuman: B, K, M, G... with two decimals."""
    if n < 1024:
        return f"{int(n)}B"
    for unit in "KMGTPE":
        n /= 1024
        if n < 1024 or unit == "E":
            return f"{n:.2f}{unit}"
    return f"{n:.2f}E"
