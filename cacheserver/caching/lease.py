"""Lease-lock helpers: random tokens and the compare-and-delete / compare-and-extend that guard a lease.

A lease is ``SET key token NX PX ms``. Only the holder may release or extend it, and the check of the token
and the write must be one atomic step, or a holder whose lease just expired could delete its successor's.
Where the server has scripting (Redis, Redis Cluster) the step is a Lua script run by EVALSHA (EVAL loads it
when the server answers NOSCRIPT). Where it has none (``unknown command``), the same step runs as an
optimistic transaction: WATCH key, GET, compare, MULTI, DEL or PEXPIRE, EXEC; a concurrent change aborts
EXEC and the attempt is repeated. "Unknown command" is remembered per backend; any other script failure
falls back to the transaction for that call only (backend.py runs both forms). The library's other scripts
(rate limiters, locks, Bloom filters, write-back) run the same way through ``scripts.Script``, without the
transaction fallback: they need scripting.
"""

from __future__ import annotations

import secrets

from cacheserver.caching.scripts import Script

# KEYS: lease. ARGV: token.
RELEASE = Script("""\
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
""")

# KEYS: lease. ARGV: token, ms.
EXTEND = Script("""\
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
""")

# Whether the server runs scripts: unknown until the first lease operation asks it.
UNKNOWN, SCRIPTS, TRANSACTIONS = "unknown", "scripts", "transactions"


def new_token() -> bytes:
    """A lease token no other holder can guess or reuse: 128 random bits."""
    return secrets.token_hex(16).encode()


def is_unknown_command(exc: Exception) -> bool:
    return "unknown command" in str(exc).lower()
