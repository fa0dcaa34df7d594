"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST over Redis-format string values.

An HLL is an ordinary string value holding Redis's bytes (see ``cacheserver.types.hyperloglog``), so
GET/SET/DUMP/RESTORE move it between us and Redis unchanged. The commands edit it in place, so the
stored value is first made a ``bytearray`` (Redis's ``dbUnshareStringValue``).

Rules, as Redis 7.0: PFCOUNT of one key writes the freshly computed cardinality into the value's
cache, which counts as a modification (WATCH, dirty) though the command is flagged readonly; PFMERGE
announces itself with a ``pfadd`` keyspace event; a string that is not an HLL is WRONGTYPE with its own
text, a sparse HLL whose opcodes do not cover exactly 16384 registers is INVALIDOBJ.
"""

from __future__ import annotations

import math
import random
from typing import Any

from cacheserver.commands.spec import command
from cacheserver.errors import CommandError
from cacheserver.keyspace import notifications as ev
from cacheserver.protocol.replies import OK
from cacheserver.types import hyperloglog as hll_t

NOT_HLL = CommandError("Key is not a valid HyperLogLog string value.", "WRONGTYPE")
CORRUPTED = CommandError("Corrupted HLL object detected", "INVALIDOBJ")
NO_SUCH_KEY = CommandError("The specified key does not exist")
NOT_SPARSE = CommandError("HLL encoding is not sparse")

_DENSE = hll_t.DENSE
_dense_add = hll_t.dense_add
_add = hll_t.add


def _checked(v: Any) -> None:
    """WRONGTYPE unless the string value has a valid HLL header (an integer-encoded one never does)."""
    if v.__class__ is int or not hll_t.is_hll(v):
        raise NOT_HLL


def _unshare(db: Any, key: bytes, v: bytes | bytearray) -> bytearray:
    """The value as a bytearray stored at ``key``, ready for in-place edits. A representation change
    only: it is not a modification of the value, so nobody is told."""
    if v.__class__ is bytearray:
        return v  # type: ignore[return-value]
    hll = bytearray(v)
    db.data[key] = hll
    return hll


def _sparse_max_bytes(c: Any) -> int:
    return c.server.config["hll-sparse-max-bytes"]


def _spec(flags: str, first: int, last: int, notes: str = "") -> dict:
    """A key spec as COMMAND INFO shows it: keys from ``first`` to ``last`` (relative, -1 = the end)."""
    spec: dict = {"notes": notes} if notes else {}
    spec["flags"] = flags
    spec["begin_search"] = {"type": "index", "spec": {"index": first}}
    spec["find_keys"] = {"type": "range", "spec": {"lastkey": last, "keystep": 1, "limit": 0}}
    return spec


@command(
    "pfadd",
    -2,
    flags="write denyoom fast",
    keys=(1, 1, 1),
    group="hyperloglog",
    since="2.8.9",
    summary="Add elements to a HyperLogLog, creating it if needed.",
    complexity="O(1) to add every element.",
    syntax="key [element [element ...]]",
    key_specs=[_spec("RW insert", 1, 0)],
)
def pfadd(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    v = db.get_string_for_write(key)
    updated = 0
    if v is None:
        hll = bytearray(hll_t.EMPTY)
        db.set(key, hll)
        updated = 1
    else:
        _checked(v)
        hll = _unshare(db, key, v)
    max_bytes = 0
    for i in range(2, len(argv)):
        if hll[4] == _DENSE:
            updated += _dense_add(hll, argv[i])
            continue
        if not max_bytes:
            max_bytes = _sparse_max_bytes(c)
        r = _add(hll, argv[i], max_bytes)
        if r < 0:
            raise CORRUPTED
        updated += r
    if not updated:
        return 0
    db.signal_modified(key)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.STRING, b"pfadd", key, db.index)
    ks.dirty += updated
    hll[15] |= 0x80
    return 1


@command(
    "pfcount",
    -2,
    flags="readonly may_replicate",
    keys=(1, -1, 1),
    group="hyperloglog",
    since="2.8.9",
    summary="Estimate the number of distinct elements added to one HyperLogLog or to the union of several.",
    complexity="O(1) with a very small average constant time when called with a single key. O(N) with "
    "N being the number of keys, and much bigger constant times, when called with multiple keys.",
    syntax="key [key ...]",
    key_specs=[
        _spec(
            "RW access",
            1,
            -1,
            "RW because it may change the internal representation of the key, and propagate to replicas",
        )
    ],
)
def pfcount(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    if len(argv) > 2:
        union = None
        for i in range(1, len(argv)):
            v = db.get_string(argv[i])
            if v is None:
                continue
            _checked(v)
            regs = hll_t.registers(v)
            if regs is None:
                raise CORRUPTED
            union = regs if union is None else hll_t.raw_max(union, regs)
        if union is None:
            union = bytes(hll_t.REGISTERS)
        return hll_t.estimate(hll_t.raw_histogram(union))
    key = argv[1]
    v = db.get_string(key)
    if v is None:
        return 0
    _checked(v)
    hll = _unshare(db, key, v)
    card = hll_t.cached_cardinality(hll)
    if card is not None:
        return card
    card = hll_t.count(hll)
    if card is None:
        raise CORRUPTED
    hll_t.set_cached_cardinality(hll, card)
    db.signal_modified(key)
    db.ks.dirty += 1
    return card


@command(
    "pfmerge",
    -2,
    flags="write denyoom",
    keys=(1, -1, 1),
    group="hyperloglog",
    since="2.8.9",
    summary="Store in a HyperLogLog the union of itself and other HyperLogLogs.",
    complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
    syntax="destkey [sourcekey [sourcekey ...]]",
    key_specs=[_spec("RW access insert", 1, 0), _spec("RO access", 2, -1)],
)
def pfmerge(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    union = None
    use_dense = False
    # The destination is one of the inputs: its own registers are part of the union.
    for i in range(1, len(argv)):
        v = db.get_string(argv[i])
        if v is None:
            continue
        _checked(v)
        if v[4] == _DENSE:
            use_dense = True
        regs = hll_t.registers(v)
        if regs is None:
            raise CORRUPTED
        union = regs if union is None else hll_t.raw_max(union, regs)
    key = argv[1]
    v = db.get_string_for_write(key)
    if v is None:
        hll = bytearray(hll_t.EMPTY)
        db.set(key, hll)
    else:
        hll = _unshare(db, key, v)
    if use_dense and not hll_t.sparse_to_dense(hll):
        raise CORRUPTED
    if union is not None:
        hll_t.merge_into(hll, union, _sparse_max_bytes(c))
    hll[15] |= 0x80
    db.signal_modified(key)
    ks = db.ks
    if ks.notify_flags:
        ks.emit(ev.STRING, b"pfadd", key, db.index)
    ks.dirty += 1
    return OK


@command(
    "pfdebug",
    3,
    flags="write denyoom admin",
    keys=(2, 2, 1),
    group="hyperloglog",
    since="2.8.9",
    summary="Inspect or convert the internal representation of a HyperLogLog (debugging).",
    complexity="N/A",
    syntax="subcommand key",
    doc_flags="syscmd",
    key_specs=[_spec("RW access", 2, 0)],
)
def pfdebug(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    sub = argv[1]
    key = argv[2]
    v = db.get_string_for_write(key)
    if v is None:
        raise NO_SUCH_KEY
    _checked(v)
    hll = _unshare(db, key, v)
    name = sub.lower()
    if name == b"getreg":
        if hll[4] != _DENSE:
            if not hll_t.sparse_to_dense(hll):
                raise CORRUPTED
            db.ks.dirty += 1
        return list(hll_t.dense_to_raw(hll))
    if name == b"decode":
        if hll[4] != hll_t.SPARSE:
            raise NOT_SPARSE
        return hll_t.decode_sparse(hll).encode()
    if name == b"encoding":
        return "dense" if hll[4] == _DENSE else "sparse"
    if name == b"todense":
        if hll[4] == _DENSE:
            return 0
        if not hll_t.sparse_to_dense(hll):
            raise CORRUPTED
        db.ks.dirty += 1
        return 1
    raise CommandError(f"Unknown PFDEBUG subcommand '{sub.decode('utf-8', 'surrogateescape')}'")


# PFSELFTEST's second test adds distinct elements up to this cardinality (Redis goes to 10^7; in
# Python that would stall the server for a minute, so the last checkpoint is 10^5).
SELFTEST_MAX_CARD = 100_000
SELFTEST_REGISTER_CYCLES = 8


@command(
    "pfselftest",
    1,
    flags="admin",
    group="hyperloglog",
    since="2.8.9",
    summary="Run the HyperLogLog implementation's internal self-test.",
    complexity="N/A",
    syntax="",
    doc_flags="syscmd",
)
def pfselftest(c: Any, argv: list[bytes]) -> Any:
    failure = selftest(_sparse_max_bytes(c))
    if failure:
        raise CommandError(failure, "TESTFAILED")
    return OK


def selftest(sparse_max_bytes: int, rng: random.Random | None = None) -> str:
    """Redis's two self-tests; returns the failure text ("" when both pass)."""
    rng = rng or random.Random()
    # Test 1: registers packed and unpacked keep their values and do not disturb their neighbours.
    dense = bytearray(hll_t.DENSE_SIZE)
    for _ in range(SELFTEST_REGISTER_CYCLES):
        values = bytes(rng.getrandbits(6) for _ in range(hll_t.REGISTERS))
        dense[hll_t.HDR_SIZE :] = hll_t.raw_to_dense_registers(values)
        back = hll_t.dense_to_raw(dense)
        if back != values:
            i = next(j for j in range(hll_t.REGISTERS) if back[j] != values[j])
            return f"Register {i} should be {values[i]} but is {back[i]}"
    # Test 2: the estimate stays within a few standard errors, sparse and dense agree.
    dense = bytearray(hll_t.EMPTY)
    hll_t.sparse_to_dense(dense)
    sparse = bytearray(hll_t.EMPTY)
    relerr = 1.04 / math.sqrt(hll_t.REGISTERS)
    checkpoint = 1
    seed = rng.getrandbits(64)
    for j in range(1, SELFTEST_MAX_CARD + 1):
        ele = (j ^ seed).to_bytes(8, "little")
        hll_t.dense_add(dense, ele)
        hll_t.add(sparse, ele, sparse_max_bytes)
        if j != checkpoint:
            continue
        if j < sparse_max_bytes / 2 and sparse[4] != hll_t.SPARSE:
            return "sparse encoding not used"
        card = hll_t.count(dense)
        if card != hll_t.count(sparse):
            return "dense/sparse disagree"
        maxerr = 1 if j == 10 else math.ceil(relerr * 6 * checkpoint)
        if abs(checkpoint - card) > maxerr:  # type: ignore[operator]
            return f"Too big error. card:{checkpoint} abserr:{abs(checkpoint - card)}"  # type: ignore[operator]
        checkpoint *= 10
    return ""
