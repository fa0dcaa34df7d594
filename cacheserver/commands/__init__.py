"""Command modules, one per Redis command group; ``all_modules`` lists them for the table."""

from __future__ import annotations

from types import ModuleType


def all_modules() -> list[ModuleType]:
    from cacheserver.commands import client, connection, introspection, server, strings
    from cacheserver.commands import generic
    from cacheserver.commands import hyperloglog
    from cacheserver.commands import bitmaps
    from cacheserver.commands import lists
    from cacheserver.commands import sorted_sets
    from cacheserver.commands import pubsub
    from cacheserver.commands import hashes
    from cacheserver.commands import sets
    from cacheserver.commands import sort
    from cacheserver.commands import transactions
    from cacheserver.commands import streams
    from cacheserver.commands import memory
    from cacheserver.commands import scripting

    return [connection, strings, server, client, introspection, generic, hyperloglog, bitmaps, lists, sorted_sets, pubsub, hashes, sets, sort, transactions, streams, memory, scripting]
