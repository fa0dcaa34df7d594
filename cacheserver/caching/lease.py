"""Lease-lock helpers: random tokens and the compare-and-delete / compare-and-extend that guard a lease.

A lease is ``SET key token NX PX ms``. Only the holder may release or extend it, and the check of the token
and the write must be one atomic step, or a holder whose lease just expired could delete its successor's.
Where the server has scripting (Redis, Redis Cluster) the step is a Lua script run by EVALSHA (EVAL loads it
when the server answers NOSCRIPT). Where it has none (``unknown command``), the same step runs as an
optimistic transaction: WATCH key, GET, compare, MULTI, DEL or PEXPIRE, EXEC; a concurrent change aborts
EXEC and the attempt is repeated. "Unknown command" is remembered per backend; any other script failure
falls back to the transaction for that call only. ``Script`` runs the library's other scripts (rate
limiters, locks) the same way, EVALSHA first, without the transaction fallback: they need scripting.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import redis

RELEASE_SCRIPT = """\
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

EXTEND_SCRIPT = """\
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE_SHA = hashlib.sha1(RELEASE_SCRIPT.encode()).hexdigest()
EXTEND_SHA = hashlib.sha1(EXTEND_SCRIPT.encode()).hexdigest()

# Whether the server runs scripts: unknown until the first lease operation asks it.
UNKNOWN, SCRIPTS, TRANSACTIONS = "unknown", "scripts", "transactions"


def new_token() -> bytes:
    """A lease token no other holder can guess or reuse: 128 random bits."""
    return secrets.token_hex(16).encode()


def is_unknown_command(exc: Exception) -> bool:
    return "unknown command" in str(exc).lower()


class Script:
    """A Lua script run by EVALSHA; its text goes over the wire (EVAL) only when the server answers NOSCRIPT
    (first use on a node, after SCRIPT FLUSH or a restart). Works on any redis-py client: a cluster client
    routes EVALSHA by its keys, which every script here keeps in one hash slot."""

    __slots__ = ("text", "sha")

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    def run(self, client: Any, keys: list[str], args: tuple) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            return client.eval(self.text, len(keys), *keys, *args)

    async def arun(self, client: Any, keys: list[str], args: tuple) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            return await client.eval(self.text, len(keys), *keys, *args)
