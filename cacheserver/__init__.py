"""cacheserver: a Redis-compatible in-memory cache server, and a client-side caching library.

Layout (layers are folders; imports only go down):

- ``protocol``  RESP bytes <-> Python values, sans-IO (hiredis for parsing).
- ``network``   the asyncio connection and per-client state: the only asyncio code on the data path.
- ``commands``  the command table (one ``@command`` declaration per command) and one module per group.
- ``keyspace``  databases, expiry, notifications: knows types, nothing of RESP or sockets.
- ``types``     pure data structures.
- ``caching``   the client-side caching library; imports nothing from the server.
- ``server``, ``config``, ``cli``: start-up, configuration, the ``cacheserver`` command.
"""

__version__ = "0.1.0"
