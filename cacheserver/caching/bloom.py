"""Bloom filters for penetration guards: local (a bytearray in this process) or shared (a bitmap on the server).

The problem: requests for IDs that do not exist miss the cache every time and reach the store; an attacker
(or a bug) asking for random IDs turns the cache into a pass-through. A Bloom filter of the IDs that exist
answers "certainly absent" for most of them in about a microsecond, and never for an ID that was added.

Sizing, for capacity n and false-positive rate p: m = ceil(-n ln p / (ln 2)^2) bits and k = round(m/n ln 2)
hashes (at least 1). The bitmap takes ceil(m/8) bytes.

Positions: one 128-bit MurmurHash3 (x64) of the key (``mmh3``; a str key hashes as its UTF-8 bytes, so "a"
and b"a" are the same key) gives h1 (its low 52 bits) and h2 (52 bits from its high half). The k positions
follow the enhanced double hashing of Dillinger and Manolios, a refinement of Kirsch-Mitzenmacher's
h1 + i*h2 that stays well spread when h2 mod m is small: x = h1 mod m, y = h2 mod m, then for each i from
1, x is a position, x = (x + y) mod m, y = (y + i) mod m. The halves are cut to 52 bits so that the
server's Lua (5.1: numbers are doubles) computes the same positions exactly; m is at most 2^32 (a Redis
string holds at most 512 MiB), so every sum stays below 2^53.

Layout: bit j of a filter is bit ``j % 8`` counted from the most significant bit of byte ``j // 8`` -- the
order of SETBIT/GETBIT/BITFIELD. A filter's ``to_bytes()`` is exactly the server's string, so a filter moves
between this process and the server with ``SharedBloomFilter.load()`` / ``save()``.

Scalable filters (Almeida, Baquero, Preguica, Hutchison, "Scalable Bloom Filters", 2007): sub-filter i has
capacity n * s^i (growth s, default 2) and error rate p * r^i (ratio r, default 0.5). A key is added to the
newest sub-filter unless an older one already holds it; when the newest reaches its capacity a new one is
started. The compound false-positive rate is then at most p / (1 - r) = 2p at the defaults, however many
keys arrive; pass ``error_rate = P * (1 - r)`` for an overall bound P. A non-scalable filter keeps accepting
keys past capacity, and its false-positive rate climbs past p ("degrades").

Warning: when a filter's count reaches 80% of the capacity it fills now (the only sub-filter, or the newest
sub-filter of a scalable one), ``warnings.warn`` raises a ``BloomCapacityWarning`` once for that sub-filter:
for a fixed filter it says the filter will degrade, for a scalable one that a larger sub-filter follows.
Route it with the ``warnings`` module (``logging.captureWarnings(True)`` sends it to the log).

Count: ``add`` counts a key only when it set at least one bit (or found it in no sub-filter): a key added
twice counts once, and a new key whose bits were all set already (a false positive) counts zero times.

Shared filters keep two keys per filter name: ``{name}:bloom:meta`` (a hash: configuration, number of
sub-filters, count of the newest) and ``{name}:bloom:bits`` (the sub-filters' bitmaps back to back). The
hash tag ``{name}`` puts both on one cluster slot, so every script touches one slot (the name must not be
empty). Each batch is one EVALSHA: the client sends the two hash halves of each key and the sub-filter
plan; the script computes positions, checks older sub-filters, sets bits with SETBIT (it answers the old
bit; one call a bit costs less than BITFIELD's sub-command parsing on both servers), counts, adds
sub-filters and updates the hash atomically. Batches are cut at ``batch_size`` keys so that one
script does not hold the server for long. ``SharedBloomFilter`` drives it with a sync client and
``AsyncSharedBloomFilter`` with an asyncio one (standalone or cluster); both share one core.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterable
from typing import Any, NamedTuple

import mmh3

from cacheserver.caching.scripts import Script

Key = str | bytes

HASH_SEED = 0
MAX_BITS = 1 << 32  # a Redis string is at most 512 MiB
_MASK52 = (1 << 52) - 1
_LN2 = math.log(2)
_hash128 = mmh3.hash128


class BloomCapacityWarning(UserWarning):
    """A filter (or a scalable filter's newest sub-filter) reached 80% of its capacity."""


def optimal_bits(capacity: int, error_rate: float) -> int:
    """m = ceil(-n ln p / (ln 2)^2): bits for ``capacity`` keys at false-positive rate ``error_rate``."""
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    if not 0.0 < error_rate < 1.0:
        raise ValueError("error_rate must be between 0 and 1")
    return math.ceil(-capacity * math.log(error_rate) / (_LN2 * _LN2))


def optimal_hashes(bits: int, capacity: int) -> int:
    """k = round(m/n ln 2), at least 1."""
    return max(1, round(bits / capacity * _LN2))


def hash_pair(key: Key) -> tuple[int, int]:
    """(h1, h2): two 52-bit halves of the key's 128-bit MurmurHash3."""
    h = _hash128(key, HASH_SEED)
    return h & _MASK52, (h >> 64) & _MASK52


def positions(h1: int, h2: int, bits: int, hashes: int) -> list[int]:
    """The key's bit positions in a filter of ``bits`` bits and ``hashes`` hashes (enhanced double hashing)."""
    x, y = h1 % bits, h2 % bits
    out = []
    for i in range(1, hashes + 1):
        out.append(x)
        x = (x + y) % bits
        y = (y + i) % bits
    return out


class SubFilterSpec(NamedTuple):
    """One sub-filter of a plan: its size and where its bytes start in the concatenated bitmap."""

    capacity: int
    error_rate: float
    bits: int
    hashes: int
    warn_at: int  # the count at which the 80% warning is raised
    first_byte: int
    end_byte: int


def sub_filter(capacity: int, error_rate: float, first_byte: int = 0) -> SubFilterSpec:
    bits = optimal_bits(capacity, error_rate)
    return SubFilterSpec(capacity, error_rate, bits, optimal_hashes(bits, capacity), (4 * capacity + 4) // 5,
                         first_byte, first_byte + (bits + 7) // 8)


def plan(capacity: int, error_rate: float, *, scalable: bool = False, growth: float = 2.0,
         ratio: float = 0.5) -> tuple[SubFilterSpec, ...]:
    """The sub-filters a filter may use, in order: one when fixed; for a scalable filter as many as fit in
    ``MAX_BITS`` (the last one then keeps absorbing keys, like a fixed filter)."""
    first = sub_filter(capacity, error_rate)
    if first.bits > MAX_BITS:
        raise ValueError(f"a filter of {first.bits} bits exceeds {MAX_BITS} (512 MiB)")
    if not scalable:
        return (first,)
    if growth < 1.0:
        raise ValueError("growth must be at least 1")
    if not 0.0 < ratio < 1.0:
        raise ValueError("ratio must be between 0 and 1")
    specs = [first]
    while True:
        i = len(specs)
        nxt = sub_filter(max(1, round(capacity * growth**i)), error_rate * ratio**i, specs[-1].end_byte)
        if nxt.end_byte * 8 > MAX_BITS:
            return tuple(specs)
        specs.append(nxt)


def config_string(capacity: int, error_rate: float, scalable: bool, growth: float, ratio: float) -> str:
    """What a shared filter stores to refuse clients that would compute other positions."""
    if scalable:
        return f"bloom1 scalable {capacity} {error_rate!r} {growth!r} {ratio!r}"
    return f"bloom1 fixed {capacity} {error_rate!r}"


def _warn(name: str, index: int, specs: tuple[SubFilterSpec, ...], scalable: bool) -> None:
    spec = specs[index]
    if scalable and index + 1 < len(specs):
        what = f"a sub-filter of capacity {specs[index + 1].capacity} follows at capacity"
    else:
        what = "past capacity its false-positive rate rises above the configured rate"
    where = f"sub-filter {index} of " if scalable else ""
    warnings.warn(f"{where}bloom filter {name!r} is 80% full ({spec.warn_at} of {spec.capacity} keys); {what}",
                  BloomCapacityWarning, stacklevel=3)


# -- local filters ---------------------------------------------------------------------------------------------
class BloomFilter:
    """A Bloom filter in this process: a bytearray of ceil(m/8) bytes, in the server's bit order.

    Checks take no lock and allocate nothing per key; adds take a lock (the count and the warning must
    not race).
    """

    def __init__(self, capacity: int, error_rate: float = 0.01, *, name: str = "bloom",
                 spec: SubFilterSpec | None = None) -> None:
        self.spec = spec or sub_filter(capacity, error_rate)
        self.capacity = self.spec.capacity
        self.error_rate = self.spec.error_rate
        self.num_bits = self.spec.bits
        self.num_hashes = self.spec.hashes
        self.name = name
        self.bits = bytearray(self.spec.end_byte - self.spec.first_byte)
        self.count = 0
        self._steps = range(1, self.num_hashes + 1)
        self._lock = threading.Lock()

    def __contains__(self, key: Key) -> bool:
        h = _hash128(key, HASH_SEED)
        return self._has(h & _MASK52, (h >> 64) & _MASK52)

    might_contain = __contains__

    def contains_many(self, keys: Iterable[Key]) -> list[bool]:
        return [key in self for key in keys]

    # The position loop is written out here and in _set rather than calling positions(): a call and a list
    # per key would double the cost of a check.
    def _has(self, h1: int, h2: int) -> bool:
        m = self.num_bits
        x, y = h1 % m, h2 % m
        bits = self.bits
        for i in self._steps:
            if not bits[x >> 3] & (128 >> (x & 7)):
                return False
            x = (x + y) % m
            y = (y + i) % m
        return True

    def _set(self, h1: int, h2: int) -> bool:
        """Set the key's bits; True when at least one was clear."""
        m = self.num_bits
        x, y = h1 % m, h2 % m
        bits = self.bits
        fresh = False
        for i in self._steps:
            byte, mask = x >> 3, 128 >> (x & 7)
            if not bits[byte] & mask:
                bits[byte] |= mask
                fresh = True
            x = (x + y) % m
            y = (y + i) % m
        return fresh

    def add(self, key: Key) -> bool:
        """Add ``key``; True when it was not in the filter before (it set at least one bit)."""
        h1, h2 = hash_pair(key)
        with self._lock:
            if not self._set(h1, h2):
                return False
            self.count += 1
            if self.count == self.spec.warn_at:
                _warn(self.name, 0, (self.spec,), False)
            return True

    def add_many(self, keys: Iterable[Key]) -> int:
        """Add every key; the number that were new."""
        return sum(1 for key in keys if self.add(key))

    def __len__(self) -> int:
        return self.count

    @property
    def fill_ratio(self) -> float:
        """Keys counted / capacity: above 1 the false-positive rate is above ``error_rate``."""
        return self.count / self.capacity

    @property
    def saturation(self) -> float:
        """Fraction of bits set (about 0.5 at capacity)."""
        return int.from_bytes(self.bits, "big").bit_count() / self.num_bits

    @property
    def nbytes(self) -> int:
        return len(self.bits)

    def expected_fpr(self) -> float:
        """The false-positive rate expected at the current count: (1 - e^(-kn/m))^k."""
        return (1.0 - math.exp(-self.num_hashes * self.count / self.num_bits)) ** self.num_hashes

    def to_bytes(self) -> bytes:
        return bytes(self.bits)

    @classmethod
    def from_bytes(cls, data: bytes, capacity: int, error_rate: float = 0.01, *, count: int = 0,
                   name: str = "bloom") -> BloomFilter:
        """A filter over ``data`` (as ``to_bytes`` or the server's string gave it)."""
        f = cls(capacity, error_rate, name=name)
        if len(data) > len(f.bits):
            raise ValueError(f"{len(data)} bytes do not fit a filter of {len(f.bits)} bytes")
        f.bits[: len(data)] = data  # a shorter string: the server drops no zero bytes, but be lenient
        f.count = count
        return f


class ScalableBloomFilter:
    """Sub-filters of growing capacity and tightening error rate (see the module docstring)."""

    def __init__(self, capacity: int, error_rate: float = 0.01, *, growth: float = 2.0, ratio: float = 0.5,
                 name: str = "bloom") -> None:
        self.plan = plan(capacity, error_rate, scalable=True, growth=growth, ratio=ratio)
        self.capacity0, self.error_rate, self.growth, self.ratio = capacity, error_rate, growth, ratio
        self.name = name
        self.filters: list[BloomFilter] = []
        self._lock = threading.Lock()
        self._grow()

    def _grow(self) -> None:
        spec = self.plan[len(self.filters)]
        self.filters.append(BloomFilter(spec.capacity, spec.error_rate, name=self.name, spec=spec))

    def __contains__(self, key: Key) -> bool:
        h1, h2 = hash_pair(key)
        for f in self.filters:
            if f._has(h1, h2):
                return True
        return False

    might_contain = __contains__

    def contains_many(self, keys: Iterable[Key]) -> list[bool]:
        return [key in self for key in keys]

    def add(self, key: Key) -> bool:
        h1, h2 = hash_pair(key)
        with self._lock:
            filters = self.filters
            for f in filters[:-1]:
                if f._has(h1, h2):
                    return False
            current = filters[-1]
            if not current._set(h1, h2):
                return False
            current.count += 1
            index = len(filters) - 1
            last = index == len(self.plan) - 1
            if current.count == current.spec.warn_at:
                _warn(self.name, index, self.plan, True)
            if current.count >= current.capacity and not last:
                self._grow()
            return True

    def add_many(self, keys: Iterable[Key]) -> int:
        return sum(1 for key in keys if self.add(key))

    @property
    def count(self) -> int:
        return sum(f.count for f in self.filters)

    def __len__(self) -> int:
        return self.count

    @property
    def capacity(self) -> int:
        """Keys the sub-filters made so far hold at their error rates."""
        return sum(f.capacity for f in self.filters)

    @property
    def fill_ratio(self) -> float:
        """The newest sub-filter's count / its capacity (a new one starts at 1.0)."""
        return self.filters[-1].fill_ratio

    @property
    def nbytes(self) -> int:
        return sum(f.nbytes for f in self.filters)

    def expected_fpr(self) -> float:
        """1 - prod(1 - fpr_i) over the sub-filters at their counts."""
        keep = 1.0
        for f in self.filters:
            keep *= 1.0 - f.expected_fpr()
        return 1.0 - keep

    def to_bytes(self) -> bytes:
        return b"".join(f.bits for f in self.filters)

    @classmethod
    def from_bytes(cls, data: bytes, capacity: int, error_rate: float = 0.01, *, count: int = 0,
                   growth: float = 2.0, ratio: float = 0.5, name: str = "bloom") -> ScalableBloomFilter:
        """A filter over the concatenated sub-filters ``data``; ``count`` is the newest sub-filter's count
        (older ones are full: a sub-filter is added when the previous one reaches its capacity)."""
        f = cls(capacity, error_rate, growth=growth, ratio=ratio, name=name)
        while f.filters[-1].spec.end_byte < len(data):
            f.filters[-1].count = f.filters[-1].capacity
            f._grow()
        for sub in f.filters:
            sub.bits[:] = data[sub.spec.first_byte: sub.spec.end_byte].ljust(sub.nbytes, b"\0")
        f.filters[-1].count = count
        return f


# -- shared filters --------------------------------------------------------------------------------------------
# Both scripts: KEYS[1] the meta hash, KEYS[2] the bitmap; ARGV[1] the configuration, ARGV[2] the number of
# sub-filters L in the plan, then 6 numbers per sub-filter (bits, hashes, capacity, warn_at, first byte, end
# byte), then two hash halves per key. Positions as ``positions()``: every value stays below 2^53, so Lua
# 5.1's double arithmetic (a % b = a - floor(a/b)*b) is exact.
_PROLOGUE = """\
local meta, bits = KEYS[1], KEYS[2]
local L = tonumber(ARGV[2])
local M, K, CAP, WARN, OFF, FIN = {}, {}, {}, {}, {}, {}
for j = 1, L do
  local b = 2 + (j - 1) * 6
  M[j] = tonumber(ARGV[b + 1]); K[j] = tonumber(ARGV[b + 2]); CAP[j] = tonumber(ARGV[b + 3])
  WARN[j] = tonumber(ARGV[b + 4]); OFF[j] = tonumber(ARGV[b + 5]) * 8; FIN[j] = tonumber(ARGV[b + 6])
end
local head = 2 + L * 6
local state = redis.call('HMGET', meta, 'config', 'filters', 'count')
local filters, count = 0, 0
if state[1] then
  if state[1] ~= ARGV[1] then
    return redis.error_reply('ERR bloom filter ' .. meta .. ' exists with another configuration: ' .. state[1])
  end
  filters, count = tonumber(state[2]), tonumber(state[3])
end
local function has(j, h1, h2)
  local m, base = M[j], OFF[j]
  local x, y = h1 % m, h2 % m
  for i = 1, K[j] do
    if redis.call('GETBIT', bits, base + x) == 0 then return false end
    x = (x + y) % m
    y = (y + i) % m
  end
  return true
end
"""

_ADD_SCRIPT = _PROLOGUE + """\
local function presize(j)
  if redis.call('STRLEN', bits) < FIN[j] then redis.call('SETRANGE', bits, FIN[j] - 1, '\\0') end
end
local function set(j, h1, h2)
  local m, base = M[j], OFF[j]
  local x, y = h1 % m, h2 % m
  local fresh = false
  for i = 1, K[j] do
    if redis.call('SETBIT', bits, base + x, 1) == 0 then fresh = true end
    x = (x + y) % m
    y = (y + i) % m
  end
  return fresh
end
if filters == 0 then
  filters, count = 1, 0
  presize(1)
end
local flags, crossed = {}, {}
for n = 0, (#ARGV - head) / 2 - 1 do
  local h1, h2 = tonumber(ARGV[head + 2 * n + 1]), tonumber(ARGV[head + 2 * n + 2])
  local found = false
  for j = 1, filters - 1 do
    if has(j, h1, h2) then found = true; break end
  end
  if not found and set(filters, h1, h2) then
    count = count + 1
    flags[n + 1] = '1'
    if count == WARN[filters] then crossed[#crossed + 1] = filters - 1 end
    if count >= CAP[filters] and filters < L then
      filters, count = filters + 1, 0
      presize(filters)
    end
  else
    flags[n + 1] = '0'
  end
end
redis.call('HSET', meta, 'config', ARGV[1], 'filters', filters, 'count', count)
return {table.concat(flags), filters, count, crossed}
"""

_CHECK_SCRIPT = _PROLOGUE + """\
local flags = {}
for n = 0, (#ARGV - head) / 2 - 1 do
  local h1, h2 = tonumber(ARGV[head + 2 * n + 1]), tonumber(ARGV[head + 2 * n + 2])
  flags[n + 1] = '0'
  for j = filters, 1, -1 do
    if has(j, h1, h2) then flags[n + 1] = '1'; break end
  end
end
return table.concat(flags)
"""

_LOAD_SCRIPT = """\
local state = redis.call('HMGET', KEYS[1], 'config', 'filters', 'count')
return {state[1], state[2], state[3], redis.call('GET', KEYS[2])}
"""

_SAVE_SCRIPT = """\
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'config', ARGV[1], 'filters', ARGV[2], 'count', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4])
return 1
"""

_INFO_SCRIPT = """\
local state = redis.call('HMGET', KEYS[1], 'config', 'filters', 'count')
return {state[1], state[2], state[3], redis.call('STRLEN', KEYS[2]), redis.call('BITCOUNT', KEYS[2])}
"""

_CLEAR_SCRIPT = "return redis.call('DEL', KEYS[1], KEYS[2])\n"


ADD, CHECK, LOAD, SAVE, INFO, CLEAR = map(
    Script, (_ADD_SCRIPT, _CHECK_SCRIPT, _LOAD_SCRIPT, _SAVE_SCRIPT, _INFO_SCRIPT, _CLEAR_SCRIPT))


def filter_keys(name: str) -> tuple[str, str]:
    """The meta hash and bitmap keys of a shared filter: one hash tag, so one cluster slot."""
    if not name:
        raise ValueError("a shared filter needs a non-empty name (its hash tag)")
    return f"{{{name}}}:bloom:meta", f"{{{name}}}:bloom:bits"


class BloomInfo(NamedTuple):
    filters: int  # sub-filters started (0: nothing added yet)
    count: int  # keys counted in all sub-filters
    capacity: int  # keys the started sub-filters hold at their error rates
    fill_ratio: float  # the newest sub-filter's count / its capacity
    nbytes: int  # the bitmap's length
    saturation: float  # fraction of the bitmap's bits set


def _text(v: Any) -> str | None:
    return v.decode() if isinstance(v, bytes) else v


def _flags(reply: Any) -> list[bool]:
    """The scripts answer one character per key, "1" or "0"."""
    if isinstance(reply, str):  # a client with decode_responses=True
        reply = reply.encode()
    return [c == 49 for c in reply]


class _SharedCore:
    """Everything but the round trip: keys, plan, script arguments and reply parsing."""

    def __init__(self, client: Any, name: str, capacity: int, error_rate: float = 0.01, *, scalable: bool = False,
                 growth: float = 2.0, ratio: float = 0.5, batch_size: int = 2000) -> None:
        self.client = client
        self.name = name
        self.meta_key, self.bits_key = filter_keys(name)
        self.capacity0, self.error_rate, self.scalable = capacity, error_rate, scalable
        self.growth, self.ratio = growth, ratio
        self.plan = plan(capacity, error_rate, scalable=scalable, growth=growth, ratio=ratio)
        self.config = config_string(capacity, error_rate, scalable, growth, ratio)
        self.batch_size = batch_size
        self._keys = (self.meta_key, self.bits_key)
        head: list[Any] = [self.config, len(self.plan)]
        for s in self.plan:
            head += [s.bits, s.hashes, s.capacity, s.warn_at, s.first_byte, s.end_byte]
        self._head = head

    def _batches(self, keys: Iterable[Key]) -> list[list[Any]]:
        """Script arguments for each batch of at most ``batch_size`` keys."""
        out, args, n = [], list(self._head), 0
        for key in keys:
            h1, h2 = hash_pair(key)
            args.append(h1)
            args.append(h2)
            n += 1
            if n == self.batch_size:
                out.append(args)
                args, n = list(self._head), 0
        if n:
            out.append(args)
        return out

    def _added(self, reply: list) -> list[bool]:
        flags, _, _, crossed = reply
        for index in crossed:
            _warn(self.name, index, self.plan, self.scalable)
        return _flags(flags)

    def _info(self, reply: list) -> BloomInfo:
        config, filters, count, nbytes, ones = reply
        self._check_config(config)
        filters, count = int(filters or 0), int(count or 0)
        started = self.plan[:filters]
        total = sum(s.capacity for s in started[:-1]) + count
        capacity = sum(s.capacity for s in started)
        fill = count / started[-1].capacity if started else 0.0
        nbits = sum(s.bits for s in started)
        return BloomInfo(filters, total, capacity, fill, nbytes, ones / nbits if nbits else 0.0)

    def _check_config(self, config: Any) -> None:
        if config is not None and _text(config) != self.config:
            raise ValueError(f"bloom filter {self.name!r} exists with another configuration: {_text(config)}")

    def _loaded(self, reply: list) -> BloomFilter | ScalableBloomFilter:
        config, _, count, data = reply
        self._check_config(config)
        count, data = int(count or 0), data or b""
        if self.scalable:
            return ScalableBloomFilter.from_bytes(data, self.capacity0, self.error_rate, count=count,
                                                  growth=self.growth, ratio=self.ratio, name=self.name)
        return BloomFilter.from_bytes(data, self.capacity0, self.error_rate, count=count, name=self.name)

    def _save_args(self, local: BloomFilter | ScalableBloomFilter) -> list[Any]:
        if isinstance(local, ScalableBloomFilter):
            same = self.scalable and (local.capacity0, local.error_rate, local.growth, local.ratio) == (
                self.capacity0, self.error_rate, self.growth, self.ratio)
            filters, count = len(local.filters), local.filters[-1].count
        else:
            same = not self.scalable and (local.capacity, local.error_rate) == (self.capacity0, self.error_rate)
            filters, count = 1, local.count
        if not same:
            raise ValueError("the local filter's configuration differs from the shared filter's")
        return [self.config, filters, count, local.to_bytes()]


class SharedBloomFilter(_SharedCore):
    """A Bloom filter on the server, over a sync redis-py client (``redis.Redis`` or ``RedisCluster``).

    ``SharedBloomFilter(client, "users", capacity=1_000_000, error_rate=0.01, scalable=True)``; every
    client of one name must pass the same configuration (the server refuses another one). The server needs
    Lua scripting (EVALSHA); ``load`` needs a client without ``decode_responses`` (the bitmap is binary).
    """

    def add(self, key: Key) -> bool:
        return self.add_many_flags([key])[0]

    def add_many(self, keys: Iterable[Key]) -> int:
        """Add the keys, one round trip per batch; the number that were new."""
        return sum(self.add_many_flags(keys))

    def add_many_flags(self, keys: Iterable[Key]) -> list[bool]:
        out: list[bool] = []
        for args in self._batches(keys):
            out += self._added(ADD.run(self.client, self._keys, args))
        return out

    def might_contain(self, key: Key) -> bool:
        return self.contains_many([key])[0]

    def contains_many(self, keys: Iterable[Key]) -> list[bool]:
        out: list[bool] = []
        for args in self._batches(keys):
            out += _flags(CHECK.run(self.client, self._keys, args))
        return out

    def info(self) -> BloomInfo:
        return self._info(INFO.run(self.client, self._keys, []))

    def load(self) -> BloomFilter | ScalableBloomFilter:
        """A local copy (one GET of the bitmap): checks then cost no round trip."""
        return self._loaded(LOAD.run(self.client, self._keys, []))

    def save(self, local: BloomFilter | ScalableBloomFilter) -> None:
        """Replace the shared filter with ``local`` (same configuration)."""
        SAVE.run(self.client, self._keys, self._save_args(local))

    def clear(self) -> bool:
        return bool(CLEAR.run(self.client, self._keys, []))


class AsyncSharedBloomFilter(_SharedCore):
    """``SharedBloomFilter`` over an asyncio redis-py client; the same methods, as coroutines."""

    async def add(self, key: Key) -> bool:
        return (await self.add_many_flags([key]))[0]

    async def add_many(self, keys: Iterable[Key]) -> int:
        return sum(await self.add_many_flags(keys))

    async def add_many_flags(self, keys: Iterable[Key]) -> list[bool]:
        out: list[bool] = []
        for args in self._batches(keys):
            out += self._added(await ADD.arun(self.client, self._keys, args))
        return out

    async def might_contain(self, key: Key) -> bool:
        return (await self.contains_many([key]))[0]

    async def contains_many(self, keys: Iterable[Key]) -> list[bool]:
        out: list[bool] = []
        for args in self._batches(keys):
            out += _flags(await CHECK.arun(self.client, self._keys, args))
        return out

    async def info(self) -> BloomInfo:
        return self._info(await INFO.arun(self.client, self._keys, []))

    async def load(self) -> BloomFilter | ScalableBloomFilter:
        return self._loaded(await LOAD.arun(self.client, self._keys, []))

    async def save(self, local: BloomFilter | ScalableBloomFilter) -> None:
        await SAVE.arun(self.client, self._keys, self._save_args(local))

    async def clear(self) -> bool:
        return bool(await CLEAR.arun(self.client, self._keys, []))
