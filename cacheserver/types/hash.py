"""The hash type: a dict of field -> value (both bytes) that remembers Redis's encoding.

Redis keeps a small hash as a listpack (fields in insertion order) and converts it for good to a hash
table once it holds more than ``hash-max-listpack-entries`` fields or is written a field or value longer
than ``hash-max-listpack-value`` bytes. A Python dict keeps insertion order too, so iteration already
matches a listpack's; the ``listpack`` flag only records whether the conversion has happened, which
OBJECT ENCODING and HSCAN (a listpack is returned whole) need. Writers call ``note_write`` with the limits
read from the configuration at the time of the write, as Redis checks them then.
"""

from __future__ import annotations

from typing import Any


class Hash(dict):
    __slots__ = ("listpack", "removed")

    def __init__(self) -> None:
        super().__init__()
        self.listpack = True
        self.removed = 0  # fields deleted so far, ever: HSCAN cursors resume conservatively from it

    def copy(self) -> Hash:  # type: ignore[override]
        h = Hash()
        h.update(self)
        h.listpack = self.listpack
        return h

    def note_write(self, field: bytes, value: bytes, max_entries: int, max_value: int) -> None:
        """Convert to a hash table if this write broke a listpack limit (never converts back)."""
        if len(field) > max_value or len(value) > max_value or len(self) > max_entries:
            self.listpack = False

    def encoding(self, config: Any) -> str:
        return "listpack" if self.listpack else "hashtable"
