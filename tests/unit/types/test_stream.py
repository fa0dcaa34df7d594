"""Unit tests of the stream type: appends and nodes, ranges after deletions and trims, approximate
trimming by whole nodes, entries_read/lag rules, PEL bookkeeping and copies."""

from __future__ import annotations

from cacheserver.types.stream import INVALID_ENTRIES_READ, MAX_ID, Stream, id_bytes


def sid(ms: int, seq: int = 0) -> int:
    return ms << 64 | seq


def filled(n: int, max_entries: int = 100) -> Stream:
    s = Stream()
    for i in range(1, n + 1):
        s.append(sid(i), i, 0, b"e%d" % i, (b"f",), 8, 4, max_entries, 4096)
    return s


def test_ids_and_auto_ids():
    assert id_bytes(sid(5, 7)) == b"5-7"
    s = Stream()
    assert s.next_auto_id(1000) == sid(1000)
    s.append(sid(1000, 3), 1000, 3, b"x", (b"f",), 8, 4, 100, 4096)
    assert s.next_auto_id(900) == sid(1000, 4)  # the clock went back: IDs stay monotonic
    assert s.next_auto_id(2000) == sid(2000)
    assert Stream.incr_id(sid(1, (1 << 64) - 1)) == sid(2)
    assert Stream.incr_id(MAX_ID) is None
    assert Stream.decr_id(0) is None


def test_nodes_follow_max_entries_and_bytes():
    s = filled(250)
    assert s.node_count() == 3
    assert [n[1] for n in s.nodes] == [100, 100, 50]
    big = Stream()
    for i in range(1, 11):
        big.append(sid(i), i, 0, b"x", (b"f",), 1000, 4, 100, 4096)
    assert big.node_count() == 3  # four 1000-byte entries fit a 4096-byte node


def test_ranges_after_delete_and_trim():
    s = filled(10)
    assert s.range_ids(sid(3), sid(6)) == [sid(3), sid(4), sid(5), sid(6)]
    assert s.range_ids(0, MAX_ID, 2, rev=True) == [sid(10), sid(9)]
    assert s.delete(sid(4)) and not s.delete(sid(4))
    assert s.range_ids(sid(3), sid(6)) == [sid(3), sid(5), sid(6)]
    assert s.trim(maxlen=5) == 4
    assert s.range_ids(0, MAX_ID) == [sid(6), sid(7), sid(8), sid(9), sid(10)]
    assert s.first_id == sid(6) and s.last_valid_id() == sid(10)
    assert s.after(sid(8), 0) == [sid(9), sid(10)]
    assert s.nbytes == sum(len(p) for p in s.payloads[s.head :])


def test_front_trims_compact_the_id_list():
    s = filled(5000)
    for keep in range(4900, 0, -100):
        s.trim(maxlen=keep)
    assert len(s) == 100 and s.head < len(s.ids)
    assert s.range_ids(0, MAX_ID, 1) == [sid(4901)]


def test_approximate_trim_removes_whole_nodes_only():
    s = filled(350)
    assert s.trim(maxlen=120, approx=True, limit=10000) == 200
    assert len(s) == 150 and s.node_count() == 2
    assert s.trim(maxlen=0, approx=True, limit=99) == 0  # a node of 100 exceeds LIMIT
    assert s.trim(minid=sid(330), approx=True, limit=10000) == 100
    assert s.trim(minid=sid(340)) == 39 and s.first_id == sid(340)


def test_deleting_a_node_s_last_live_entry_drops_the_node():
    s = filled(150)
    for i in range(101, 151):
        s.delete(sid(i))
    assert s.node_count() == 1
    s.append(sid(151), 151, 0, b"x", (b"f",), 8, 4, 100, 4096)
    assert s.node_count() == 2  # the first node holds 100 entries already


def test_entries_read_and_lag():
    s = filled(3)
    g = s.create_group(b"g", 0, INVALID_ENTRIES_READ)
    assert s.create_group(b"g", 0, 0) is None
    assert s.lag(g) == 3
    s.advance_group(g, sid(1))
    assert (g.entries_read, s.lag(g)) == (1, 2)
    s.delete(sid(2))
    s.max_deleted_id = sid(2)
    assert s.lag(g) is None  # a tombstone after the group's position: unknown
    # as Redis, only tombstones from the delivered ID on invalidate the counter: it goes on counting
    s.advance_group(g, sid(3))
    assert (g.entries_read, s.lag(g)) == (2, 1)
    assert s.estimate_distance(sid(9)) == INVALID_ENTRIES_READ


def test_pel_bookkeeping_and_copy():
    s = filled(3)
    g = s.create_group(b"g", 0, 0)
    alice = g.create_consumer(b"alice", 10)
    bob = g.create_consumer(b"bob", 10)
    for i in (1, 2, 3):
        g.add_pending(sid(i), alice, 20)
    g.claim(sid(2), g.pel[sid(2)], bob)
    assert list(alice.pel) == [sid(1), sid(3)] and list(bob.pel) == [sid(2)]
    g.add_pending(sid(2), alice, 30)  # delivered again to another consumer: reassigned, count reset
    assert g.pel[sid(2)].consumer is alice and g.pel[sid(2)].delivery_count == 1 and not bob.pel
    copy = s.copy()
    assert g.ack(sid(1)) and not g.ack(sid(1))
    cg = copy.group(b"g")
    assert list(cg.pel) == [sid(1), sid(2), sid(3)]
    assert cg.pel[sid(1)].consumer is cg.consumers[b"alice"]
    assert g.delete_consumer(alice) == 2 and not g.pel
    assert [c.name for c in cg.sorted_consumers()] == [b"alice", b"bob"]
