"""Lua scripting for EVAL and FUNCTION, on an embedded Lua 5.1 (lupa), as Redis 7.0.

Layout: ``engine`` runs scripts (the runtime, the script cache, redis.call, busy scripts and SCRIPT
KILL); ``prelude`` is the Lua side of the sandbox and the ``redis`` table; ``convert`` maps replies to
Lua values and back; ``libs`` holds cjson, cmsgpack, bit and struct; ``functions`` the FUNCTION
libraries. Commands live in ``cacheserver.commands.scripting``.
"""
