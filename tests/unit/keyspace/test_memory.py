"""The used-memory estimate: kept by deltas in the Database's writers, equal to a recount of every key."""

from __future__ import annotations

from cacheserver.clock import ManualClock
from cacheserver.keyspace.database import Keyspace
from cacheserver.keyspace.memory import EXPIRE_ENTRY, bytes_size, human, key_usage, value_size
from cacheserver.types.hash import Hash
from cacheserver.types.list import List
from cacheserver.types.set import Set
from cacheserver.types.sorted_set import SortedSet


def recount(ks: Keyspace) -> int:
    return sum(key_usage(k, v, k in db.expires) for db in ks.dbs for k, v in db.data.items())


def test_strings_counted_by_deltas() -> None:
    ks = Keyspace(ManualClock(), databases=2)
    db = ks.dbs[0]
    db.set(b"a", b"x" * 10)
    db.set(b"b", b"y" * 300)
    assert ks.used_memory() == recount(ks)
    db.set(b"a", b"z" * 100)  # overwrite
    db.replace_value(b"b", 12345)  # INCR's int
    db.set_expire(b"a", 10**13)
    assert ks.used_memory() == recount(ks)
    assert db.persist(b"a")
    db.set_expire(b"a", 10**13)
    db.set(b"a", b"q")  # SET drops the TTL
    assert ks.used_memory() == recount(ks)
    db.delete(b"a")
    db.delete(b"b")
    assert ks.used_memory() == 0


def test_containers_recharged_after_in_place_changes() -> None:
    ks = Keyspace(ManualClock(), databases=1)
    db = ks.dbs[0]
    h = Hash()
    db.set(b"h", h)
    for i in range(100):
        h[b"field:%d" % i] = b"value:%d" % i
    db.signal_modified(b"h")
    assert ks.used_memory() == recount(ks) > 100 * 2 * bytes_size(b"field:10")
    for i in range(90):
        del h[b"field:%d" % i]
    db.signal_modified(b"h")
    assert ks.used_memory() == recount(ks)
    db.delete(b"h")
    assert ks.used_memory() == 0


def test_every_type_has_an_estimate_that_grows_with_it() -> None:
    small = [Hash(), Set(), List(), SortedSet()]
    for v in small:
        before = value_size(v)
        for i in range(50):
            m = b"member:%d" % i
            if isinstance(v, Hash):
                v[m] = m
            elif isinstance(v, Set):
                v.add(m)
            elif isinstance(v, List):
                v.append(m)
            else:
                v.add(m, float(i))
        assert value_size(v) > before + 50 * bytes_size(b"member:10")


def test_bytearray_turned_in_place_then_recharged() -> None:
    ks = Keyspace(ManualClock(), databases=1)
    db = ks.dbs[0]
    db.set(b"s", b"abc")
    db.data[b"s"] = buf = bytearray(b"abc")  # a representation change (SETBIT, PFADD): no delta
    db.signal_modified(b"s")
    ks.used_memory()  # the next check (a cron tick) gives the bytearray a charge of its own
    buf.extend(b"x" * 1000)
    db.signal_modified(b"s")
    assert ks.used_memory() == recount(ks)
    db.delete(b"s")
    assert ks.used_memory() == 0


def test_flush_and_swap() -> None:
    ks = Keyspace(ManualClock(), databases=2)
    a, b = ks.dbs
    a.set(b"k", b"v" * 50)
    a.set_expire(b"k", 10**13)
    used = a.used
    a.swap_contents(b)
    assert (a.used, b.used) == (0, used)
    assert b.clear() == 1 and ks.used_memory() == 0
    assert EXPIRE_ENTRY > 0


def test_human() -> None:
    assert [human(n) for n in (0, 1023, 1024, 1536, 3 * 1024**2, 5 * 1024**3)] == [
        "0B", "1023B", "1.00K", "1.50K", "3.00M", "5.00G",
    ]
