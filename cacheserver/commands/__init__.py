"""Command modules, one per Redis command group; ``all_modules`` lists them for the table."""

from __future__ import annotations

from types import ModuleType


def all_modules() -> list[ModuleType]:
    from cacheserver.commands import (
        bitmaps,
        client,
        connection,
        generic,
        geo,
        hashes,
        hyperloglog,
        introspection,
        lists,
        memory,
        pubsub,
        scripting,
        server,
        sets,
        sort,
        sorted_sets,
        streams,
        strings,
        transactions,
    )

    return [connection, strings, server, client, introspection, generic, hyperloglog, bitmaps, lists, sorted_sets, pubsub, hashes, sets, sort, transactions, streams, memory, scripting, geo]
