"""noeviction: never evict; DENYOOM commands are refused with OOM once used memory exceeds maxmemory."""

from __future__ import annotations

from cacheserver.keyspace.eviction.base import Policy


class NoEviction(Policy):
    __slots__ = ()
    name = "noeviction"
