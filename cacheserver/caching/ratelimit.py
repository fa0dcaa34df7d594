"""Rate limiting on the server: five algorithms, each decision one atomic Lua script, for any redis-py client.

    limiter = TokenBucket(client, "api", rate=10, capacity=20)     # 10 tokens a second, bursts of 20
    decision = limiter.hit("alice")                                # or limiter.hit("alice", cost=5)
    if not decision.allowed:
        retry_in(decision.retry_after)

    @rate_limited(limiter, key="{user_id}")                        # raises RateLimited when denied
    def search(user_id, q): ...

The algorithms (``limit`` is what ``Decision.limit`` reports):
  TokenBucket           ``capacity`` tokens, refilled at ``rate`` per ``per`` seconds; a request takes
                        ``cost`` tokens. Allows bursts up to the capacity, ``rate`` on average.
  LeakyBucket           the queue form: a request joins a queue of at most ``capacity`` that drains at
                        ``rate`` per ``per`` seconds. It admits exactly what a token bucket of the same
                        capacity and rate admits (one is the other's mirror image) and also tells each
                        admitted request its ``delay``: doing the work after that delay makes the outflow
                        smooth (never above ``rate``), with no bursts.
  FixedWindow           ``limit`` per window of ``window`` seconds aligned to the epoch; one hash per
                        identity. Cheap, but up to twice the limit can pass around a boundary.
  SlidingWindowLog      ``limit`` in any ``window`` seconds, exactly: a sorted set of the admitted
                        requests' times (memory: up to ``limit`` entries per identity).
  SlidingWindowCounter  the usual approximation of the log with two counters: the previous window's
                        count weighted by how much of it still overlaps the sliding window, plus the
                        current one. Constant memory; exact at boundaries, approximate between.

Rules:
- Atomic: every decision (read state, decide, write state, set TTL) is one script run by EVALSHA (EVAL on
  NOSCRIPT), so concurrent callers on any number of machines never admit more than the limit.
- Cluster-safe: the keys of one limiter and identity are ``{prefix}{{{name}:{identity}}}:{suffix}``; the hash
  tag keeps them in one slot, so each script touches one slot.
- Integers only on the server: times are ms, a bucket's level is kept in units of 1/``unit`` token so the
  refill per ms is an integer; Lua's doubles are then exact and results are deterministic.
- Time: the client sends ``now`` in ms from the limiter's clock (``ManualClock`` in tests), so limiters on
  several machines need synchronised clocks (NTP); a clock behind the stored state is treated as "no time
  has passed", never as a refund. ``server_time=True`` makes the script read the server's ``TIME`` instead
  (one clock for everyone; the limiter's clock is then unused).
- Idle identities vanish: keys get a TTL equal to the time until the quota would be full again, after which
  an absent key means exactly the same as the stored state.
- One core for sync and asyncio: the scripts and the reply parsing are written once; a limiter over a
  ``redis.asyncio`` client returns awaitables from ``hit``/``peek``/``reset`` (as redis-py itself does).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any

from cacheserver.caching.backend import backend_for
from cacheserver.caching.clock import SYSTEM_CLOCK, SystemClock
from cacheserver.caching.keys import KeyBuilder
from cacheserver.caching.scripts import Script


@dataclasses.dataclass(frozen=True)
class Decision:
    """One rate-limiting decision. Times are seconds (ms resolution).

    allowed      the request may proceed (it has been counted, unless this came from ``peek``)
    limit        the most a quiet identity may spend at once: capacity or requests per window
    remaining    what is left after this decision: tokens, queue places or requests in the window
    retry_after  when denied, how long until a request of the same cost would be allowed if nothing else
                 happens meanwhile; 0 when allowed
    reset_after  how long until the quota is whole again (full bucket, empty queue, empty window); the keys'
                 TTL, so 0 means nothing is stored for this identity
    delay        LeakyBucket only: when allowed, how long to wait before doing the work so the outflow
                 stays at the rate; 0 for the other algorithms
    """

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_after: float
    delay: float = 0.0


class RateLimited(Exception):
    """A ``@rate_limited`` call was denied; ``retry_after`` says when to try again (seconds)."""

    def __init__(self, decision: Decision, identity: str) -> None:
        super().__init__(f"rate limited: {identity!r}, retry after {decision.retry_after:.3f}s")
        self.decision = decision
        self.identity = identity
        self.retry_after = decision.retry_after


# Every script starts with the same arguments: ARGV[1] now in ms ("" = read the server's TIME), ARGV[2] the
# cost, ARGV[3] "1" to record the decision or "0" to only look (peek); algorithm parameters follow. Every
# script answers {allowed, remaining, retry_after_ms, reset_after_ms, delay_ms}.
_PRELUDE = """\
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cost = tonumber(ARGV[2])
local commit = ARGV[3] == '1'
"""

# KEYS[1] hash {level, ts}: tokens in the bucket (in units) as of ts. ARGV[4..6]: capacity, refill (units per
# ms), unit (units per token). The level is the token bucket's; the leaky bucket's queue holds full - level.
_BUCKET = Script(_PRELUDE + """\
local capacity, refill, unit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local full = capacity * unit
local level, ts = full, now
local state = redis.call('HMGET', KEYS[1], 'level', 'ts')
if state[1] then
  level, ts = tonumber(state[1]), tonumber(state[2])
  if now > ts then
    level = math.min(full, level + (now - ts) * refill)
    ts = now
  end
end
local need = cost * unit
if level < need then
  return {0, math.floor(level / unit), math.ceil((need - level) / refill), math.ceil((full - level) / refill), 0}
end
local delay = math.ceil((full - level) / refill)
level = level - need
local reset = math.ceil((full - level) / refill)
if commit and need > 0 then
  redis.call('HSET', KEYS[1], 'level', level, 'ts', ts)
  redis.call('PEXPIRE', KEYS[1], reset)
end
return {1, math.floor(level / unit), 0, reset, delay}
""")

# KEYS[1] hash {w, n}: the current window's index and count. ARGV[4..5]: limit, window (ms).
_FIXED_WINDOW = Script(_PRELUDE + """\
local limit, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local index = math.floor(now / window)
local count = 0
local state = redis.call('HMGET', KEYS[1], 'w', 'n')
if state[1] and tonumber(state[1]) >= index then
  index, count = tonumber(state[1]), tonumber(state[2])
end
local ends = (index + 1) * window - now
if count + cost > limit then
  return {0, limit - count, ends, ends, 0}
end
count = count + cost
if commit and cost > 0 then
  redis.call('HSET', KEYS[1], 'w', index, 'n', count)
  redis.call('PEXPIRE', KEYS[1], ends)
end
local reset = 0
if count > 0 then reset = ends end
return {1, limit - count, 0, reset, 0}
""")

# KEYS[1] sorted set of admitted requests (score: time in ms, member: a sequence number from KEYS[2]).
# A request at time s counts while s > now - window. ARGV[4..5]: limit, window (ms).
_SLIDING_LOG = Script(_PRELUDE + """\
local limit, window = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local function reset_after()
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if newest[2] == nil then return 0 end
  return tonumber(newest[2]) + window - now
end
if count + cost > limit then
  -- the oldest (count + cost - limit) requests must leave the window first
  local k = count + cost - limit - 1
  local oldest = redis.call('ZRANGE', KEYS[1], k, k, 'WITHSCORES')
  return {0, limit - count, tonumber(oldest[2]) + window - now, reset_after(), 0}
end
if not commit or cost == 0 then
  local reset = reset_after()
  if cost > 0 then reset = math.max(reset, window) end
  return {1, limit - count - cost, 0, reset, 0}
end
local seq = redis.call('INCRBY', KEYS[2], cost)
for i = seq - cost + 1, seq do
  redis.call('ZADD', KEYS[1], now, i)
end
local reset = reset_after()
redis.call('PEXPIRE', KEYS[1], reset)
redis.call('PEXPIRE', KEYS[2], reset)
return {1, limit - count - cost, 0, reset, 0}
""")

# KEYS[1] hash {w, cur, prev}: the current window's index, its count and the previous window's count. The
# sliding window's count is prev * (window - elapsed) / window + cur, kept multiplied by window (integers).
# ARGV[4..5]: limit, window (ms).
_SLIDING_COUNTER = Script(_PRELUDE + """\
local limit, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local index = math.floor(now / window)
local elapsed = now - index * window
local current, previous = 0, 0
local state = redis.call('HMGET', KEYS[1], 'w', 'cur', 'prev')
if state[1] then
  local stored = tonumber(state[1])
  if stored == index then
    current, previous = tonumber(state[2]), tonumber(state[3])
  elseif stored == index - 1 then
    previous = tonumber(state[2])
  elseif stored > index then
    index, elapsed, current, previous = stored, 0, tonumber(state[2]), tonumber(state[3])
  end
end
local left = window - elapsed
local room = limit * window - previous * left - current * window
local function reset_after(cur)
  if cur > 0 then return left + window end
  if previous > 0 then return left end
  return 0
end
if cost * window > room then
  local retry
  if current + cost <= limit then
    -- the previous window's weight must shrink enough, within this window
    retry = math.ceil((cost * window - room) / previous)
  else
    -- only once this window is the previous one, and has shrunk enough
    retry = left + math.ceil(window * (current + cost - limit) / current)
  end
  return {0, math.floor(room / window), retry, reset_after(current), 0}
end
current = current + cost
room = room - cost * window
if commit and cost > 0 then
  redis.call('HSET', KEYS[1], 'w', index, 'cur', current, 'prev', previous)
  redis.call('PEXPIRE', KEYS[1], left + window)
end
return {1, math.floor(room / window), 0, reset_after(current), 0}
""")


def _ms(seconds: float, what: str) -> int:
    ms = round(seconds * 1000)
    if ms < 1:
        raise ValueError(f"{what} must be at least 1 ms")
    return ms


class RateLimiter:
    """What the five algorithms share: keys, arguments, the script call and the reply's parsing.

    ``hit(identity, cost)`` decides and records; ``peek(identity, cost)`` answers what ``hit`` would, without
    recording anything; ``reset(identity)`` forgets the identity. Over an asyncio client the three return
    awaitables. ``cost`` is from 0 (a free look that is always allowed) to ``limit``; more could never be
    allowed and raises ``ValueError``.
    """

    script: Script
    suffixes: tuple[str, ...]

    def __init__(
        self,
        client: Any,
        name: str,
        limit: int,
        params: tuple[int, ...],
        *,
        clock: SystemClock = SYSTEM_CLOCK,
        server_time: bool = False,
        prefix: str = "rl:",
    ) -> None:
        if limit < 1 or int(limit) != limit:
            raise ValueError("the limit (capacity) must be a positive integer")
        self.client = client
        self.is_async = backend_for(client).is_async
        self.name = name
        self.limit = int(limit)
        self.params = params
        self.clock = clock
        self.server_time = server_time
        self.prefix = prefix

    def keys(self, identity: str) -> list[str]:
        base = f"{self.prefix}{{{self.name}:{identity}}}:"
        return [base + suffix for suffix in self.suffixes]

    def hit(self, identity: str, cost: int = 1) -> Decision | Awaitable[Decision]:
        return self._decide(identity, cost, True)

    def peek(self, identity: str, cost: int = 1) -> Decision | Awaitable[Decision]:
        return self._decide(identity, cost, False)

    def reset(self, identity: str) -> int | Awaitable[int]:
        return self.client.delete(*self.keys(identity))  # one slot: one DEL even on a cluster

    def _decide(self, identity: str, cost: int, commit: bool) -> Decision | Awaitable[Decision]:
        if not 0 <= cost <= self.limit or int(cost) != cost:
            raise ValueError(f"cost must be an integer from 0 to {self.limit}, not {cost!r}")
        now = "" if self.server_time else round(self.clock.time() * 1000)
        args = (now, int(cost), 1 if commit else 0, *self.params)
        keys = self.keys(identity)
        if self.is_async:
            return self._adecide(keys, args)
        return self._decision(self.script.run(self.client, keys, args))

    async def _adecide(self, keys: list[str], args: tuple) -> Decision:
        return self._decision(await self.script.arun(self.client, keys, args))

    def _decision(self, reply: list[int]) -> Decision:
        allowed, remaining, retry_ms, reset_ms, _ = reply
        return Decision(bool(allowed), self.limit, int(remaining), retry_ms / 1000, reset_ms / 1000)


class _Bucket(RateLimiter):
    script = _BUCKET

    def __init__(self, client: Any, name: str, *, rate: float, capacity: int, per: float = 1.0,
                 **options: Any) -> None:
        if rate <= 0 or per <= 0:
            raise ValueError("rate and per must be positive")
        # tokens per ms as a fraction refill/unit (refill units per ms, unit units per token); a denominator
        # bounded to a million keeps capacity * unit exact in Lua's doubles (rate=1, per=7 stays exact)
        per_ms = (Fraction(str(rate)) / (Fraction(str(per)) * 1000)).limit_denominator(1_000_000)
        super().__init__(client, name, capacity, (int(capacity), per_ms.numerator, per_ms.denominator),
                         **options)


class TokenBucket(_Bucket):
    """``capacity`` tokens refilled at ``rate`` per ``per`` seconds; a full bucket lets a burst through."""

    suffixes = ("tb",)


class LeakyBucket(_Bucket):
    """A queue of ``capacity`` draining at ``rate`` per ``per`` seconds; ``Decision.delay`` paces the work."""

    suffixes = ("lb",)

    def _decision(self, reply: list[int]) -> Decision:
        return dataclasses.replace(super()._decision(reply), delay=reply[4] / 1000)


class _Window(RateLimiter):
    def __init__(self, client: Any, name: str, *, limit: int, window: float, **options: Any) -> None:
        super().__init__(client, name, limit, (int(limit), _ms(window, "window")), **options)


class FixedWindow(_Window):
    """``limit`` requests per ``window`` seconds, windows aligned to the epoch."""

    script = _FIXED_WINDOW
    suffixes = ("fw",)


class SlidingWindowLog(_Window):
    """``limit`` requests in any ``window`` seconds, exactly, from a log of request times."""

    script = _SLIDING_LOG
    suffixes = ("log", "seq")


class SlidingWindowCounter(_Window):
    """``limit`` requests per sliding ``window`` seconds, estimated from two fixed-window counters."""

    script = _SLIDING_COUNTER
    suffixes = ("swc",)


def rate_limited(
    limiter: RateLimiter,
    key: str | None = None,
    *,
    cost: int = 1,
    fallback: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Rate-limit a function per identity; the identity comes from the ``key`` template (``"{user_id}"``,
    checked against the signature now), or from all arguments without one.

    When denied, the call raises ``RateLimited`` (with ``retry_after``), or, given a ``fallback``, returns
    ``fallback(*args, **kwargs)`` instead (awaited if it returns an awaitable, in an async function). A
    coroutine function needs a limiter over an asyncio client and a plain one a sync client.
    """

    def decorate(func: Callable[..., Any]) -> Any:
        is_async = inspect.iscoroutinefunction(func)
        if is_async != limiter.is_async:
            kind = "coroutine function" if is_async else "plain function"
            raise TypeError(f"{func.__qualname__} is a {kind}; its limiter needs a "
                            f"{'redis.asyncio' if is_async else 'synchronous'} client")
        identity_of = KeyBuilder(func, key)

        if is_async:

            @functools.wraps(func)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                identity = identity_of.build(args, kwargs)
                decision = await limiter.hit(identity, cost)
                if decision.allowed:
                    return await func(*args, **kwargs)
                if fallback is None:
                    raise RateLimited(decision, identity)
                result = fallback(*args, **kwargs)
                return await result if inspect.isawaitable(result) else result

        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                identity = identity_of.build(args, kwargs)
                decision = limiter.hit(identity, cost)
                if decision.allowed:
                    return func(*args, **kwargs)
                if fallback is None:
                    raise RateLimited(decision, identity)
                return fallback(*args, **kwargs)

        wrapper.limiter = limiter  # type: ignore[attr-defined]
        return wrapper

    return decorate
