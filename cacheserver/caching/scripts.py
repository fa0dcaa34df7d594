"""Lua scripts as the library runs them: EVALSHA first, the script's text (EVAL) only on NOSCRIPT.

Every script of the library (leases, locks, rate limiters, Bloom filters, write-back) is a ``Script``: its
text and SHA1 computed once, run over any redis-py client, sync (``run``) or asyncio (``arun``). The text
goes over the wire only when the server answers NOSCRIPT (first use on a node, after SCRIPT FLUSH or a
restart); a server without scripting raises redis-py's ``ResponseError`` (unknown command) to the caller,
which decides (lease.py falls back to a WATCH/MULTI transaction; the others need scripting).

Rule: a script touches only keys of one hash slot (the caller derives them from one ``{hash tag}``), so a
cluster client routes EVALSHA by its keys and the script is atomic on one node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import redis


class Script:
    """A Lua script and its SHA1; ``run``/``arun`` send ``keys`` then ``args`` (KEYS and ARGV in Lua)."""

    __slots__ = ("text", "sha")

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Script({self.sha[:12]})"

    def run(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            return client.eval(self.text, len(keys), *keys, *args)

    async def arun(self, client: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            return await client.eval(self.text, len(keys), *keys, *args)
