"""The set type: intset rules and ordering, copies, uniform random picks, and WATCH effects of set
commands."""

from __future__ import annotations

import random
from collections import Counter

from helpers import InProcess

from cacheserver.types.set import Set


def test_intset_rules() -> None:
    s = Set.of([b"3", b"-1", b"20"], max_intset=512)
    assert s.encoding(None) == "intset"
    assert s.members() == [b"-1", b"3", b"20"]
    for member in (b"01", b"+1", b"1.0", b"9223372036854775808", b"", b"a"):
        assert Set.of([member], max_intset=512).encoding(None) == "hashtable", member
    assert Set.of([b"-9223372036854775808"], max_intset=512).intset
    assert not Set.of([b"1", b"2", b"3"], max_intset=2).intset
    s.add_member(b"x")
    s.note_added([b"x"], max_intset=512)
    s.discard(b"x")
    assert s.encoding(None) == "hashtable"  # for good


def test_add_member_and_members_count() -> None:
    s = Set()
    assert s.add_member(b"a") is True
    assert s.add_member(b"a") is False
    assert s.add_members([b"a", b"b", b"c", b"b"]) == 2
    assert len(s) == 3


def test_copy_keeps_type_and_encoding() -> None:
    s = Set.of([b"a"], max_intset=512)
    c = s.copy()
    assert type(c) is Set and c == {b"a"} and not c.intset
    c.add(b"z")
    assert b"z" not in s


def test_random_member_is_uniform_and_sees_new_members() -> None:
    random.seed(7)
    s = Set.of([b"m%d" % i for i in range(200)], max_intset=512)
    s.random_member()  # takes the snapshot
    s.add_member(b"new")  # appended to the snapshot
    for i in range(50):
        s.discard(b"m%d" % i)  # stale snapshot entries are rejected
    counts = Counter(s.random_member() for _ in range(30000))
    assert set(counts) == set(s)
    expected = 30000 / len(s)
    assert all(0.6 * expected < n < 1.4 * expected for n in counts.values())


def test_pop_random_empties_the_set() -> None:
    random.seed(3)
    members = {b"%d" % i for i in range(300)}
    s = Set(members)
    s.intset = False
    popped = {s.pop_random() for _ in range(300)}
    assert popped == members and not s


def test_watch_sees_in_place_set_changes() -> None:
    h = InProcess()
    client, watcher = h.client(), h.client()
    db = h.db

    def run(*args: str) -> bytes:
        return h.run(client, *args)

    run("SADD", "s", "a", "b", "c", "d", "e")
    run("SADD", "t", "z")
    for command, key in ((("SADD", "s", "f"), "s"), (("SREM", "s", "f"), "s"), (("SMOVE", "s", "t", "a"), "s"),
                         (("SMOVE", "t", "s", "z"), "s"), (("SPOP", "s"), "s"), (("SPOP", "s", "1"), "s"),
                         (("SINTERSTORE", "s", "t", "t"), "s")):
        watcher.dirty_cas = False
        db.watched[key.encode()] = [watcher]
        run(*command)
        assert watcher.dirty_cas, command
    watcher.dirty_cas = False
    run("SADD", "t", "a")
    db.watched[b"t"] = [watcher]
    run("SADD", "t", "a")
    run("SREM", "t", "nope")
    assert not watcher.dirty_cas
