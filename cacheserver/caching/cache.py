"""Cache-aside with stampede protection: the read path every other pattern (and the decorator) is built on.

The problem: a miss on a hot key sends every concurrent caller to the loader (a stampede), on every expiry.
The read path here, for one key:

1. GET. A fresh entry is a hit; XFetch may decide this read should refresh early, which one caller does in
   the background under a short refresh lease. An entry past its fresh time but inside its stale window is
   served at once and refreshed in the background (stale-while-revalidate), or kept for stale-if-error.
2. A miss goes through local single-flight (one load per key per process), then the distributed lease:
   ``SET lease token NX PX`` — the winner loads (its lease extended by a heartbeat while the loader runs),
   stores the entry, pushes it on the round's wake list and releases the lease by token; the others block
   on that list (one BLMOVE each, which leaves the element for the rest: one push wakes them all at once)
   and are handed the entry itself, or take the lease over when it expires. Within a process only one
   caller per key takes part (local single-flight), so a process costs one GET per caller plus one
   acquire round trip and one BLMOVE.
3. When the cache is unreachable, calls fail open to the loader; the circuit breaker stops them from each
   waiting for a socket timeout.

The flows are written once, as generators that yield operations (a backend command, a load, a shared or a
background run), on the loops of flows.py; ``Cache`` drives them with threads, ``AsyncCache`` with tasks. The
flows never block. The hit path runs no flow: one GET and one decoding call, then the flow only on a miss.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import random
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from cacheserver.caching import keys as keyspace
from cacheserver.caching.backend import CONNECTION_ERRORS, REDIS_ERRORS, backend_for
from cacheserver.caching.breaker import CLOSED, CircuitBreaker
from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock
from cacheserver.caching.codecs import (
    Codec,
    CodecError,
    Entry,
    JsonCodec,
    decode_entry,
    decode_fields,
    encode_entry,
    entry_tag,
)
from cacheserver.caching.early_expiry import refresh_lease_ms, should_refresh_early
from cacheserver.caching.flows import Call, Flow, adrive, drive
from cacheserver.caching.lease import new_token
from cacheserver.caching.single_flight import AsyncSingleFlight, SingleFlight
from cacheserver.caching.stats import CacheStats


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


MISS: Any = _Missing()
"""Returned by ``get`` when nothing is cached: distinct from a cached ``None`` (a negative entry)."""


class CacheUnavailable(Exception):
    """The cache could not be used for this operation (outage, open breaker, refused command)."""


@dataclasses.dataclass(frozen=True)
class Policy:
    """How one family of entries is cached. Times in seconds unless named ``_ms``."""

    ttl: float = 60.0
    stale_ttl: float = 0.0  # kept this long past fresh, for stale-while-revalidate / stale-if-error
    stale_while_revalidate: bool = True  # inside the stale window: serve stale, refresh in the background
    stale_if_error: bool = True  # the loader failed: serve a stale entry if there is one
    jitter: float = 0.0  # fresh TTL is ttl * (1 + U * jitter): entries loaded together expire apart
    cache_none: bool = False  # a None result is stored as a negative entry
    none_ttl: float | None = None  # fresh TTL of negative entries (default: ttl)
    beta: float | None = 1.0  # XFetch; None turns early refresh off
    lease_ms: int | None = 5000  # distributed single-flight; None turns it off
    wait_timeout: float = 10.0  # longest wait on another holder's load before loading ourselves
    fail_open: bool = True  # on cache errors call the loader; False raises CacheUnavailable

    def __post_init__(self) -> None:
        if self.ttl <= 0:
            raise ValueError("ttl must be positive")
        if self.lease_ms is not None and self.lease_ms < 30:
            raise ValueError("lease_ms below 30 ms leaves no time for the heartbeat")


# Operations the flows yield to their driver, besides flows.Call (a backend command, through the breaker).
class _Load:
    """Call the loader; with a lease, extend it by heartbeat while the loader runs. Sends (value, seconds)."""

    __slots__ = ("lease",)

    def __init__(self, lease: tuple[str, bytes, int] | None) -> None:
        self.lease = lease


class _Shared:
    """Run the flow under local single-flight for ``key``; sends its result."""

    __slots__ = ("key", "flow")

    def __init__(self, key: str, flow: Callable[[], Flow]) -> None:
        self.key = key
        self.flow = flow


class _Spawn(_Shared):
    """Run the flow in the background under single-flight, unless a load of ``key`` is already running here."""

    __slots__ = ()


class _Publish:
    """Hand ``value`` now to the callers sharing this process's flight of ``key``; the flow goes on."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: Any) -> None:
        self.key = key
        self.value = value


class _NotLoaded:
    __slots__ = ()


# What a background refresh ends with when it did not load (another process holds the refresh lease, or the
# cache is unreachable). A caller that missed and joined that refresh's single-flight gets this, not a value.
_NOT_LOADED: Any = _NotLoaded()


class _Core:
    """What the sync and async caches share: configuration, stats and the flows."""

    def __init__(
        self,
        client: Any,
        *,
        codec: Codec | None = None,
        prefix: str = "",
        clock: SystemClock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        breaker: CircuitBreaker | None = None,
        **policy: Any,
    ) -> None:
        self.backend = backend_for(client)
        self.codec = codec or JsonCodec()
        self.tag = entry_tag(self.codec)
        self.prefix = prefix
        self.clock = clock
        self.rng = rng or random.Random()
        self.breaker = breaker or CircuitBreaker(clock=clock)
        self.policy = Policy(**policy)
        self.stats = CacheStats()

    def make_policy(self, **overrides: Any) -> Policy:
        return dataclasses.replace(self.policy, **overrides) if overrides else self.policy

    # -- helpers -----------------------------------------------------------------------------------------
    def decode(self, raw: bytes | None) -> Entry | None:
        try:
            return decode_entry(self.codec, raw)
        except CodecError:
            self.stats.rejected += 1
            return None

    def encode(self, value: Any, policy: Policy, delta: float) -> tuple[bytes, int]:
        negative = value is None
        ttl = policy.none_ttl if negative and policy.none_ttl is not None else policy.ttl
        if policy.jitter:
            ttl *= 1.0 + self.rng.random() * policy.jitter
        raw = encode_entry(self.codec, value, self.clock.time() + ttl, delta, negative)
        return raw, max(1, int((ttl + policy.stale_ttl) * 1000))

    def full_key(self, key: str) -> str:
        return self.prefix + key

    # -- flows -------------------------------------------------------------------------------------------
    def resolve(self, key: str, namespace: str | None) -> Flow:
        """The stored key: prefix, then the namespace's current version when there is one."""
        if namespace is None:
            return self.prefix + key
        version = yield Call("get", self.prefix + keyspace.version_key(namespace))
        return f"{self.prefix}{namespace}:v{int(version or 0)}:{key}"

    def hit_value(self, raw: bytes | None, policy: Policy) -> Any:
        """The value when ``raw`` is a fresh hit needing no early refresh, else ``MISS``: the whole hit path,
        one decoding call (no ``Entry`` built, no flow started)."""
        try:
            fields = decode_fields(self.codec, self.tag, raw)
        except CodecError:
            self.stats.rejected += 1
            return MISS
        if fields is None:
            return MISS
        now = self.clock.time()
        fresh_until = fields[2] / 1000
        if now >= fresh_until:
            return MISS
        if policy.beta is not None and should_refresh_early(now, fresh_until, fields[3] / 1000, policy.beta,
                                                            self.rng):
            return MISS
        self.stats.hits += 1
        return fields[0]

    def read(self, key: str, policy: Policy, tags: list[str], namespace: str | None = None,
             raw: Any = MISS) -> Flow:
        """The read path; ``raw``, when given, is the GET reply (or failure) the fast path already has."""
        try:
            if isinstance(raw, CacheUnavailable):
                raise raw
            if raw is MISS:
                if namespace is not None:
                    key = yield from self.resolve(key, namespace)
                raw = yield Call("get", key)
        except CacheUnavailable:
            if not policy.fail_open:
                raise
            return (yield from self.shared(key, self.load_only))
        entry = self.decode(raw)
        if entry is not None:
            now = self.clock.time()
            if now < entry.fresh_until:
                self.stats.hits += 1
                if policy.beta is not None and should_refresh_early(
                    now, entry.fresh_until, entry.delta, policy.beta, self.rng
                ):
                    lease_ms = refresh_lease_ms(entry.delta)
                    yield _Spawn(key, lambda: self.refresh_early(key, policy, tags, lease_ms))
                return entry.value
            if policy.stale_while_revalidate:
                self.stats.stale_served += 1
                lease_ms = refresh_lease_ms(entry.delta)
                yield _Spawn(key, lambda: self.refresh_early(key, policy, tags, lease_ms))
                return entry.value
        self.stats.misses += 1
        return (yield from self.shared(key, lambda: self.fill(key, policy, tags, entry)))

    def shared(self, key: str, flow: Callable[[], Flow]) -> Flow:
        """Run ``flow`` under local single-flight for ``key``. A background refresh of the key runs under the
        same name (so a miss during a refresh shares the refreshed value instead of loading again); when the
        flight joined was a refresh that did not load, start our own."""
        while True:
            value = yield _Shared(key, flow)
            if value is not _NOT_LOADED:
                return value

    def load_only(self) -> Flow:
        value, _ = yield _Load(None)
        return value

    def refresh_early(self, key: str, policy: Policy, tags: list[str], lease_ms: int) -> Flow:
        """Recompute ahead of (or just past) expiry if this caller wins the short refresh lease."""
        try:
            holder, _, _ = yield Call("acquire", keyspace.refresh_key(key), new_token(), lease_ms, key)
        except CacheUnavailable:
            return _NOT_LOADED
        if holder is not None:
            return _NOT_LOADED
        self.stats.early_refreshes += 1
        return (yield from self.load_store(key, policy, tags, None, None))

    def fill(self, key: str, policy: Policy, tags: list[str], stale: Entry | None) -> Flow:
        """A miss: load once fleet-wide under the lease, or wait to be handed the entry."""
        if policy.lease_ms is None:
            return (yield from self.load_store(key, policy, tags, stale, None))
        lkey = keyspace.lease_key(key)
        token = new_token()
        deadline = self.clock.monotonic() + policy.wait_timeout
        while True:
            try:
                holder, pttl, raw = yield Call("acquire", lkey, token, policy.lease_ms, key)
            except CacheUnavailable:
                return (yield from self.load_store(key, policy, tags, stale, None))
            entry = self.decode(raw)
            if entry is not None and self.clock.time() < entry.fresh_until:  # filled since our miss
                if holder is None:
                    yield from self.finish_lease(key, (lkey, token, policy.lease_ms), raw)
                return entry.value
            if holder is None:
                return (yield from self.load_store(key, policy, tags, stale, (lkey, token, policy.lease_ms)))
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:  # the holder is alive but too slow for us: load without it
                return (yield from self.load_store(key, policy, tags, stale, None))
            self.stats.lease_waits += 1
            # Woken by the holder's push; at worst when its lease runs out, so a dead holder is taken over.
            timeout = min(max(pttl, 1) / 1000.0, remaining)
            try:
                raw = yield Call("wait", keyspace.wake_key(key) + ":" + holder.decode(), timeout)
                entry = self.decode(raw)
                if entry is None and raw is None:
                    entry = self.decode((yield Call("get", key)))
            except CacheUnavailable:
                return (yield from self.load_store(key, policy, tags, stale, None))
            if entry is not None and self.clock.time() < entry.fresh_until:
                return entry.value

    def load_store(
        self,
        key: str,
        policy: Policy,
        tags: list[str],
        stale: Entry | None,
        lease: tuple[str, bytes, int] | None,
    ) -> Flow:
        try:
            value, delta = yield _Load(lease)
        except Exception:
            if lease is not None:
                yield from self.finish_lease(key, lease, b"")
            if stale is not None and policy.stale_if_error:
                self.stats.stale_served += 1
                return stale.value
            raise
        payload = b""
        if value is not None or policy.cache_none:
            raw, px = self.encode(value, policy, delta)
            try:
                yield Call("set", key, raw, px)
                if tags:
                    yield Call("tag", tags, key, px)
                payload = raw
            except CacheUnavailable:
                pass
        if lease is not None:
            yield from self.finish_lease(key, lease, payload, value)
        return value

    def finish_lease(self, key: str, lease: tuple[str, bytes, int], payload: bytes, value: Any = None) -> Flow:
        """Wake the round's waiters and release the lease. With an entry, waking comes first: waiters (other
        processes through the wake list, this one's through its single-flight) take the entry and never look
        at the lease, so they need not wait for the release. Without one (the load failed) the release comes
        first, or woken waiters would find the lease still held and wait again."""
        lkey, token, lease_ms = lease
        wake = Call("notify", keyspace.wake_key(key) + ":" + token.decode(), payload, lease_ms)
        release = Call("release", lkey, token)
        steps = (wake, _Publish(key, value), release) if payload else (release, wake)
        for step in steps:
            try:
                yield step
            except CacheUnavailable:
                pass  # a lost release expires on its own; a lost wake-up ends in a takeover when it does

    def store(self, key: str, value: Any, policy: Policy, tags: list[str], namespace: str | None) -> Flow:
        if namespace is not None:
            key = yield from self.resolve(key, namespace)
        else:
            key = self.prefix + key
        raw, px = self.encode(value, policy, 0.0)
        yield Call("set", key, raw, px)
        if tags:
            yield Call("tag", tags, key, px)

    def peek(self, key: str, namespace: str | None) -> Flow:
        if namespace is not None:
            key = yield from self.resolve(key, namespace)
        else:
            key = self.prefix + key
        entry = self.decode((yield Call("get", key)))
        return MISS if entry is None else entry.value

    def invalidate_flow(self, keys: Iterable[str], namespace: str | None) -> Flow:
        stored = []
        for key in keys:
            stored.append((yield from self.resolve(key, namespace)))
        return (yield Call("delete", stored))

    def invalidate_tags_flow(self, tags: Iterable[str]) -> Flow:
        """Delete every entry tagged with one of ``tags``, then the tag sets (key by key on a cluster)."""
        n = 0
        for tag in tags:
            tkey = self.prefix + keyspace.tag_key(tag)
            members = yield Call("members", tkey)
            n += yield Call("delete", [*members, tkey])
        return n

    def bump_flow(self, namespace: str) -> Flow:
        return (yield Call("incr", self.prefix + keyspace.version_key(namespace)))

    def tag_keys(self, tags: Iterable[str]) -> list[str]:
        return [self.prefix + keyspace.tag_key(t) for t in tags] if tags else []

    # -- command execution shared by both drivers -------------------------------------------------------
    def before_command(self) -> None:
        if not self.breaker.allow():
            self.stats.bypassed += 1
            raise CacheUnavailable("circuit breaker open")

    def command_failed(self, exc: Exception) -> CacheUnavailable:
        self.stats.cache_errors += 1
        if isinstance(exc, CONNECTION_ERRORS):
            self.breaker.failure()
        else:
            self.breaker.success()  # the server answered; it is reachable
        return CacheUnavailable(str(exc))



class Cache(_Core):
    """Cache-aside over a synchronous redis-py client (or a ``MemoryBackend``), safe to share across threads."""

    def __init__(self, client: Any, **options: Any) -> None:
        super().__init__(client, **options)
        if self.backend.is_async:
            raise TypeError("Cache needs a synchronous client; use AsyncCache for redis.asyncio")
        self.flight = SingleFlight()
        self._background: set[threading.Thread] = set()

    # -- public API --------------------------------------------------------------------------------------
    def get_or_load(
        self,
        key: str,
        loader: Callable[[], Any],
        *,
        tags: Iterable[str] = (),
        namespace: str | None = None,
        policy: Policy | None = None,
    ) -> Any:
        if policy is None:
            policy = self.policy
        if namespace is None and self.breaker.state is CLOSED:
            # The hit path: one GET and one decoding call; no flow, no lock, no Entry.
            key = self.prefix + key
            try:
                raw = self.backend.get(key)
            except REDIS_ERRORS as exc:
                return self.run(self.read(key, policy, self.tag_keys(tags), None, self.command_failed(exc)), loader)
            value = self.hit_value(raw, policy)
            if value is not MISS:
                return value
            return self.run(self.read(key, policy, self.tag_keys(tags), None, raw), loader)
        return self.run(self.read(self.full_key(key) if namespace is None else key, policy, self.tag_keys(tags),
                                  namespace), loader)

    def get(self, key: str, *, namespace: str | None = None) -> Any:
        """The cached value (fresh or stale), or ``MISS``; never loads."""
        return self.run(self.peek(key, namespace), None)

    def set(self, key: str, value: Any, *, tags: Iterable[str] = (), namespace: str | None = None,
            policy: Policy | None = None) -> None:
        self.run(self.store(key, value, policy or self.policy, self.tag_keys(tags), namespace), None)

    def refresh(self, key: str, loader: Callable[[], Any], *, tags: Iterable[str] = (),
                namespace: str | None = None, policy: Policy | None = None) -> Any:
        """Load now and store the result, whatever is cached."""
        value, _ = self._load(loader, None)
        self.set(key, value, tags=tags, namespace=namespace, policy=policy)
        return value

    def invalidate(self, *keys: str, namespace: str | None = None) -> int:
        return self.run(self.invalidate_flow(keys, namespace), None)

    def invalidate_tags(self, *tags: str) -> int:
        return self.run(self.invalidate_tags_flow(tags), None)

    def bump(self, namespace: str) -> int:
        """Invalidate every entry of ``namespace`` in O(1): later reads use the next version's keys."""
        return self.run(self.bump_flow(namespace), None)

    def cached(self, key: str | None = None, **options: Any) -> Callable:
        from cacheserver.caching.decorators import cached

        return cached(self, key, **options)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for background refreshes started so far (tests, shutdown)."""
        for thread in list(self._background):
            thread.join(timeout)

    # -- the driver --------------------------------------------------------------------------------------
    def run(self, flow: Flow, loader: Callable[[], Any] | None) -> Any:
        """Drive a flow to its end. Explicit operations (set, invalidate) raise ``CacheUnavailable``."""
        return drive(flow, lambda op: self._perform(op, loader))

    def _perform(self, op: Any, loader: Callable[[], Any] | None) -> Any:
        if type(op) is Call:
            self.before_command()
            try:
                result = getattr(self.backend, op.name)(*op.args)
            except REDIS_ERRORS as exc:
                raise self.command_failed(exc) from exc
            self.breaker.success()
            return result
        if type(op) is _Load:
            return self._load(loader, op.lease)
        if type(op) is _Shared:
            return self.flight.do(op.key, lambda: self.run(op.flow(), loader))
        if type(op) is _Publish:
            self.flight.publish(op.key, op.value)
            return None
        if type(op) is _Spawn:
            if not self.flight.in_flight(op.key):
                thread = threading.Thread(target=self._background_run, args=(op, loader), daemon=True)
                self._background.add(thread)
                thread.start()
            return None
        raise TypeError(op)

    def _background_run(self, op: _Spawn, loader: Callable[[], Any]) -> None:
        try:
            self.flight.do(op.key, lambda: self.run(op.flow(), loader))
        except Exception:  # a failed background refresh is counted in load_failures; the entry stays
            pass
        finally:
            self._background.discard(threading.current_thread())

    def _load(self, loader: Callable[[], Any] | None, lease: tuple[str, bytes, int] | None) -> tuple[Any, float]:
        assert loader is not None
        stop = threading.Event()
        if lease is not None:
            heartbeat = threading.Thread(target=self._heartbeat, args=(lease, stop), daemon=True)
            heartbeat.start()
        started = self.clock.monotonic()
        try:
            value = loader()
        except Exception:
            self.stats.load_failures += 1
            raise
        finally:
            stop.set()
            elapsed = self.clock.monotonic() - started
            self.stats.loads += 1
            self.stats.load_seconds += elapsed
        return value, elapsed

    def _heartbeat(self, lease: tuple[str, bytes, int], stop: threading.Event) -> None:
        lkey, token, lease_ms = lease
        while not stop.wait(lease_ms / 3000.0):
            try:
                if not self.backend.extend(lkey, token, lease_ms):
                    return  # lost the lease (it expired and was taken over): nothing left to extend
            except REDIS_ERRORS:
                pass


class AsyncCache(_Core):
    """Cache-aside over ``redis.asyncio`` clients (or an ``AsyncMemoryBackend``), for one event loop."""

    def __init__(self, client: Any, **options: Any) -> None:
        super().__init__(client, **options)
        if not self.backend.is_async:
            raise TypeError("AsyncCache needs an asyncio client; use Cache for synchronous clients")
        self.flight = AsyncSingleFlight()
        self._background: set[asyncio.Task] = set()

    async def get_or_load(
        self,
        key: str,
        loader: Callable[[], Awaitable[Any]],
        *,
        tags: Iterable[str] = (),
        namespace: str | None = None,
        policy: Policy | None = None,
    ) -> Any:
        if policy is None:
            policy = self.policy
        if namespace is None and self.breaker.state is CLOSED:
            key = self.prefix + key
            try:
                raw = await self.backend.get(key)
            except REDIS_ERRORS as exc:
                return await self.run(self.read(key, policy, self.tag_keys(tags), None, self.command_failed(exc)),
                                      loader)
            value = self.hit_value(raw, policy)
            if value is not MISS:
                return value
            return await self.run(self.read(key, policy, self.tag_keys(tags), None, raw), loader)
        return await self.run(
            self.read(self.full_key(key) if namespace is None else key, policy, self.tag_keys(tags), namespace), loader
        )

    async def get(self, key: str, *, namespace: str | None = None) -> Any:
        return await self.run(self.peek(key, namespace), None)

    async def set(self, key: str, value: Any, *, tags: Iterable[str] = (), namespace: str | None = None,
                  policy: Policy | None = None) -> None:
        await self.run(self.store(key, value, policy or self.policy, self.tag_keys(tags), namespace), None)

    async def refresh(self, key: str, loader: Callable[[], Awaitable[Any]], *, tags: Iterable[str] = (),
                      namespace: str | None = None, policy: Policy | None = None) -> Any:
        value, _ = await self._load(loader, None)
        await self.set(key, value, tags=tags, namespace=namespace, policy=policy)
        return value

    async def invalidate(self, *keys: str, namespace: str | None = None) -> int:
        return await self.run(self.invalidate_flow(keys, namespace), None)

    async def invalidate_tags(self, *tags: str) -> int:
        return await self.run(self.invalidate_tags_flow(tags), None)

    async def bump(self, namespace: str) -> int:
        return await self.run(self.bump_flow(namespace), None)

    def cached(self, key: str | None = None, **options: Any) -> Callable:
        from cacheserver.caching.decorators import cached

        return cached(self, key, **options)

    async def drain(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def run(self, flow: Flow, loader: Callable[[], Awaitable[Any]] | None) -> Any:
        return await adrive(flow, lambda op: self._perform(op, loader))

    async def _perform(self, op: Any, loader: Callable[[], Awaitable[Any]] | None) -> Any:
        if type(op) is Call:
            self.before_command()
            try:
                result = await getattr(self.backend, op.name)(*op.args)
            except REDIS_ERRORS as exc:
                raise self.command_failed(exc) from exc
            self.breaker.success()
            return result
        if type(op) is _Load:
            return await self._load(loader, op.lease)
        if type(op) is _Shared:
            return await self.flight.do(op.key, lambda: self.run(op.flow(), loader))
        if type(op) is _Publish:
            self.flight.publish(op.key, op.value)
            return None
        if type(op) is _Spawn:
            if not self.flight.in_flight(op.key):
                task = asyncio.ensure_future(self._background_run(op, loader))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            return None
        raise TypeError(op)

    async def _background_run(self, op: _Spawn, loader: Callable[[], Awaitable[Any]]) -> None:
        try:
            await self.flight.do(op.key, lambda: self.run(op.flow(), loader))
        except Exception:
            pass

    async def _load(
        self, loader: Callable[[], Awaitable[Any]] | None, lease: tuple[str, bytes, int] | None
    ) -> tuple[Any, float]:
        assert loader is not None
        heartbeat = asyncio.ensure_future(self._heartbeat(lease)) if lease is not None else None
        started = self.clock.monotonic()
        try:
            value = loader()
            if inspect.isawaitable(value):
                value = await value
        except Exception:
            self.stats.load_failures += 1
            raise
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            elapsed = self.clock.monotonic() - started
            self.stats.loads += 1
            self.stats.load_seconds += elapsed
        return value, elapsed

    async def _heartbeat(self, lease: tuple[str, bytes, int]) -> None:
        lkey, token, lease_ms = lease
        while True:
            await asyncio.sleep(lease_ms / 3000.0)
            try:
                if not await self.backend.extend(lkey, token, lease_ms):
                    return
            except REDIS_ERRORS:
                pass
