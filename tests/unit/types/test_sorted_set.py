"""SortedSet against a naive model: a sorted Python list of (score, member) pairs walked the way
t_zset.c walks a listpack. Property tests cover ranges by rank, score and lex (exclusive and infinite
bounds), REV and LIMIT, and the updates that keep the dict and the ordered list in step."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cacheserver.commands.sorted_sets import _select
from cacheserver.types.sorted_set import (
    LEX_MAX,
    LEX_MIN,
    LexBound,
    SortedSet,
    lex_gte_min,
    lex_lte_max,
    lex_range_empty,
    parse_lex_bound,
    parse_score_bound,
    strtod_whole,
)

INF = math.inf
SCORES = st.sampled_from([-INF, -2.5, -1.0, 0.0, 1.0, 1.5, 2.0, 3.0, INF])
MEMBERS = st.binary(min_size=0, max_size=3).map(lambda b: bytes(x % 4 + 97 for x in b))
ZSETS = st.dictionaries(MEMBERS, SCORES, max_size=30)
LEX_BOUNDS = st.one_of(
    st.just(LEX_MIN),
    st.just(LEX_MAX),
    st.builds(LexBound, MEMBERS, st.booleans()),
)


def build(d: dict[bytes, float]) -> SortedSet:
    zs = SortedSet()
    for m, s in d.items():
        zs.insert(m, s)
    return zs


def model(d: dict[bytes, float]) -> list[tuple[float, bytes]]:
    return sorted((s, m) for m, s in d.items())


def walk(pairs: list, reverse: bool, offset: int, limit: int, in_range) -> list:
    """Redis's loop: start at the first pair in range from the walking end, skip ``offset`` pairs
    (``while (ln && offset--)``), then emit while in range and ``limit--`` is non-zero."""
    seq = pairs[::-1] if reverse else pairs
    i = next((k for k, p in enumerate(seq) if in_range(p)), len(seq))
    if offset < 0:
        return []
    i += offset
    out = []
    while i < len(seq) and limit != 0:
        limit -= 1
        if not in_range(seq[i]):
            break
        out.append(seq[i])
        i += 1
    return out


@given(ZSETS, SCORES, st.booleans(), SCORES, st.booleans(), st.booleans(), st.integers(-2, 8), st.integers(-2, 8))
@settings(max_examples=400)
def test_score_ranges_with_rev_and_limit(d, lo, lo_ex, hi, hi_ex, reverse, offset, limit):
    zs = build(d)
    pairs = model(d)

    def in_range(p):
        s = p[0]
        return (s > lo if lo_ex else s >= lo) and (s < hi if hi_ex else s <= hi)

    first, last = zs.score_range(lo, lo_ex, hi, hi_ex)
    assert list(zs.order)[first:last] == [p for p in pairs if in_range(p)]
    assert zs.count_in_score_range(lo, lo_ex, hi, hi_ex) == last - first
    assert _select(zs, first, last, reverse, offset, limit) == walk(pairs, reverse, offset, limit, in_range)


@given(
    st.lists(MEMBERS, unique=True, max_size=30),
    LEX_BOUNDS,
    LEX_BOUNDS,
    st.booleans(),
    st.integers(-1, 6),
    st.integers(-1, 6),
)
@settings(max_examples=400)
def test_lex_ranges_with_equal_scores(members, lo, hi, reverse, offset, limit):
    zs = build({m: 0.0 for m in members})
    pairs = model({m: 0.0 for m in members})

    def in_range(p):
        return lex_gte_min(p[1], lo) and lex_lte_max(p[1], hi)

    first, last = zs.lex_range(lo, hi, reverse)
    assert list(zs.order)[first:last] == [p for p in pairs if in_range(p)]
    assert _select(zs, first, last, reverse, offset, limit) == walk(pairs, reverse, offset, limit, in_range)


@given(ZSETS, LEX_BOUNDS, LEX_BOUNDS, st.booleans())
@settings(max_examples=300)
def test_lex_ranges_with_mixed_scores_follow_the_listpack_walk(d, lo, hi, reverse):
    """With unequal scores Redis's answer is its listpack walk: from the walking end, find the first
    member on the near side of the range, give up if it is past the far bound, go on while inside."""
    zs = build(d)
    pairs = model(d)
    seq = pairs[::-1] if reverse else pairs
    near, far = (lex_lte_max, lex_gte_min) if reverse else (lex_gte_min, lex_lte_max)
    near_b, far_b = (hi, lo) if reverse else (lo, hi)
    expected = []
    if pairs and not lex_range_empty(lo, hi) and lex_gte_min(pairs[-1][1], lo) and lex_lte_max(pairs[0][1], hi):
        for k, p in enumerate(seq):
            if near(p[1], near_b):
                for q in seq[k:]:
                    if not far(q[1], far_b):
                        break
                    expected.append(q)
                break
    first, last = zs.lex_range(lo, hi, reverse)
    got = list(zs.order)[first:last]
    if reverse:
        got.reverse()
    assert got == expected


@given(ZSETS, st.integers(-40, 40), st.integers(-40, 40))
def test_rank_ranges_clip_like_redis(d, start, end):
    zs = build(d)
    pairs = model(d)
    n = len(pairs)
    s = start + n if start < 0 else start
    e = end + n if end < 0 else end
    s = max(s, 0)
    expected = [] if s > e or s >= n else pairs[s : min(e, n - 1) + 1]
    first, last = zs.rank_range(start, end)
    assert zs.slice(first, last) == expected
    assert zs.slice(n - last, n - first, reverse=True) == list(reversed(pairs))[first:last]


@given(st.lists(st.tuples(st.sampled_from(["add", "remove", "pop_min", "pop_max"]), MEMBERS, SCORES), max_size=60))
def test_updates_keep_dict_and_order_in_step(ops):
    zs = SortedSet()
    zs.skiplist = True
    ref: dict[bytes, float] = {}
    for op, member, score in ops:
        if op == "add":
            assert zs.add(member, score) == (member not in ref)
            ref[member] = score
        elif op == "remove":
            assert zs.remove(member) == (ref.pop(member, None) is not None)
        elif ref:
            pair = zs.pop(0 if op == "pop_min" else -1)
            expected = model(ref)[0 if op == "pop_min" else -1]
            assert pair == expected
            del ref[pair[1]]
        assert list(zs.order) == model(ref)
        assert zs.scores == ref
    for rank, (_s, m) in enumerate(model(ref)):
        assert zs.rank(m) == rank
        assert zs.rank(m, reverse=True) == len(ref) - 1 - rank


@given(ZSETS, st.integers(0, 35), st.integers(0, 35))
def test_remove_slice_counts_removals(d, a, b):
    zs = build(d)
    before = model(d)
    first, last = min(a, b, len(before)), min(max(a, b), len(before))
    assert zs.remove_slice(first, last) == last - first
    assert list(zs.order) == before[:first] + before[last:]
    assert zs.removed == last - first
    assert set(zs.scores) == {m for _, m in zs.order}


def test_equal_scores_order_by_member_bytes():
    zs = build({b"b": 1.0, b"a": 1.0, b"ab": 1.0, b"\xff": 1.0, b"": 1.0, b"z": 0.5})
    assert [m for _, m in zs.order] == [b"z", b"", b"a", b"ab", b"b", b"\xff"]


def test_listpack_stores_negative_zero_as_zero_and_skiplist_keeps_it():
    lp = SortedSet()
    lp.insert(b"m", -0.0)
    assert math.copysign(1.0, lp.score(b"m")) == 1.0
    sl = SortedSet()
    sl.skiplist = True
    sl.insert(b"m", -0.0)
    assert math.copysign(1.0, sl.score(b"m")) == -1.0


def test_copy_is_independent_and_keeps_the_encoding():
    zs = build({b"a": 1.0, b"b": 2.0})
    zs.skiplist = True
    other = zs.copy()
    other.add(b"c", 3.0)
    other.remove(b"a")
    assert list(zs.order) == [(1.0, b"a"), (2.0, b"b")]
    assert other.encoding() == "skiplist"
    assert list(other.order) == [(2.0, b"b"), (3.0, b"c")]


def test_score_bounds_parse_as_strtod_reads_them():
    assert parse_score_bound(b"(1.5") == (1.5, True)
    assert parse_score_bound(b"-inf") == (-INF, False)
    assert parse_score_bound(b"+inf") == (INF, False)
    assert parse_score_bound(b"(") == (0.0, True)  # strtod of "" converts nothing and stops at the NUL
    assert parse_score_bound(b"") == (0.0, False)
    assert parse_score_bound(b" 1") == (1.0, False)
    assert parse_score_bound(b"0x10") == (16.0, False)
    assert parse_score_bound(b"1e999") == (INF, False)
    assert parse_score_bound(b"1\x00junk") == (1.0, False)
    for bad in (b"nan", b"(nan", b"1 ", b"1abc", b"  ", b".", b"1e", b"0x", b"1_0", b"0x1 "):
        assert parse_score_bound(bad) is None, bad
    assert strtod_whole(b"-Infinity") == -INF


def test_lex_bounds_parse_as_redis_reads_them():
    assert parse_lex_bound(b"-") is LEX_MIN
    assert parse_lex_bound(b"+") is LEX_MAX
    b = parse_lex_bound(b"(abc")
    assert (b.value, b.exclusive, b.infinity) == (b"abc", True, 0)
    b = parse_lex_bound(b"[")
    assert (b.value, b.exclusive) == (b"", False)
    for bad in (b"", b"a", b"-a", b"+a", b"{a"):
        assert parse_lex_bound(bad) is None


def test_large_random_workload_matches_model():
    rng = random.Random(7)
    zs = SortedSet()
    zs.skiplist = True
    ref: dict[bytes, float] = {}
    for _ in range(5000):
        m = b"m%d" % rng.randrange(500)
        if rng.random() < 0.7:
            s = float(rng.randrange(-50, 50))
            zs.add(m, s)
            ref[m] = s
        else:
            zs.remove(m)
            ref.pop(m, None)
    assert list(zs.order) == model(ref)
