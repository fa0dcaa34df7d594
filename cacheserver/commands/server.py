"""Server commands: DBSIZE, FLUSHDB, FLUSHALL (more to come: INFO, CONFIG, SLOWLOG, ...)."""

from __future__ import annotations

from typing import Any

from cacheserver import errors
from cacheserver.commands.spec import command
from cacheserver.protocol.replies import OK


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise errors.SYNTAX


@command(
    "flushall",
    -1,
    flags="write",
    group="server",
    summary="Delete every key of every database.",
    complexity="O(N) where N is the total number of keys in all databases",
    syntax="[ASYNC | SYNC]",
)
def flushall(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ks = c.server.keyspace
    ks.dirty += ks.flush_all() + 1
    return OK


@command(
    "flushdb",
    -1,
    flags="write",
    group="server",
    summary="Delete every key of the selected database.",
    complexity="O(N) where N is the number of keys in the selected database",
    syntax="[ASYNC | SYNC]",
)
def flushdb(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    c.server.keyspace.dirty += c.db.clear() + 1
    return OK


@command(
    "dbsize",
    1,
    flags="readonly fast",
    group="server",
    summary="Return the number of keys in the selected database.",
    complexity="O(1)",
)
def dbsize(c: Any, argv: list[bytes]) -> int:
    return len(c.db.data)
