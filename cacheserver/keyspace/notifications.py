"""Keyspace notification classes (``notify-keyspace-events``): flag bits and their letters.

Handlers call ``db.notify(CLASS, event, key)``; when the class is not enabled that is one AND and
a return. Delivery to subscribers is the pub/sub hub's business (``Keyspace.publish``).
"""

from __future__ import annotations

KEYSPACE = 1 << 0  # K
KEYEVENT = 1 << 1  # E
GENERIC = 1 << 2  # g
STRING = 1 << 3  # $
LIST = 1 << 4  # l
SET = 1 << 5  # s
HASH = 1 << 6  # h
ZSET = 1 << 7  # z
EXPIRED = 1 << 8  # x
EVICTED = 1 << 9  # e
STREAM = 1 << 10  # t
KEY_MISS = 1 << 11  # m (not part of A)
LOADED = 1 << 12  # internal, module use
MODULE = 1 << 13  # d
NEW = 1 << 14  # n (not part of A)
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE

_LETTERS = [
    ("g", GENERIC),
    ("$", STRING),
    ("l", LIST),
    ("s", SET),
    ("h", HASH),
    ("z", ZSET),
    ("x", EXPIRED),
    ("e", EVICTED),
    ("t", STREAM),
    ("m", KEY_MISS),
    ("d", MODULE),
    ("n", NEW),
]


def parse_flags(text: str) -> int | None:
    """``notify-keyspace-events`` string -> bits (``keyspaceEventsStringToFlags``); None if invalid."""
    flags = 0
    table = dict(_LETTERS)
    for ch in text:
        if ch == "A":
            flags |= ALL
        elif ch == "K":
            flags |= KEYSPACE
        elif ch == "E":
            flags |= KEYEVENT
        elif ch in table:
            flags |= table[ch]
        else:
            return None
    return flags


def format_flags(flags: int) -> str:
    """Bits -> the string CONFIG GET shows (``keyspaceEventsFlagsToString``)."""
    out = ""
    if flags & ALL == ALL:
        out += "A"
    else:
        for ch, bit in _LETTERS:
            # 'n' is listed here, so "A" hides it, as Redis prints it; 'm' always goes last.
            if bit != KEY_MISS and flags & bit:
                out += ch
    for ch, bit in (("K", KEYSPACE), ("E", KEYEVENT), ("m", KEY_MISS)):
        if flags & bit:
            out += ch
    return out
