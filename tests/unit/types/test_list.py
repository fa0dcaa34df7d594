"""The list type: index rules, ranges, trims, removals and searches, checked against plain-list models."""

from __future__ import annotations

import random

import pytest

from cacheserver.types.list import List


def model_range(items: list, start: int, end: int) -> list:
    n = len(items)
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return []
    return items[start : min(end, n - 1) + 1]


@pytest.mark.parametrize(("seed", "longest", "reach"), [(7, 40, 50), (9, 400, 450)])
def test_range_matches_redis_clipping_from_both_ends(seed: int, longest: int, reach: int) -> None:
    # Short lists, and long ones: short ranges walk from the nearer end, long ones copy the list, both
    # across the deque's blocks.
    rng = random.Random(seed)
    for _ in range(2000):
        items = [b"%d" % i for i in range(rng.randrange(0, longest))]
        lst = List(items)
        start, end = rng.randrange(-reach, reach), rng.randrange(-reach, reach)
        assert lst.range(start, end) == model_range(items, start, end)


def test_trim_keeps_what_range_returns() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        items = [b"%d" % i for i in range(rng.randrange(0, 300))]
        lst = List(items)
        start, end = rng.randrange(-350, 350), rng.randrange(-350, 350)
        expected = model_range(items, start, end)
        assert lst.trim(start, end) == len(items) - len(expected)
        assert list(lst) == expected


def test_get_and_set_at() -> None:
    lst = List([b"a", b"b", b"c"])
    assert lst.get(0) == b"a"
    assert lst.get(-1) == b"c"
    assert lst.get(3) is None
    assert lst.get(-4) is None
    assert lst.set_at(-3, b"z") is True
    assert lst.set_at(3, b"z") is False
    assert list(lst) == [b"z", b"b", b"c"]


def test_pops_with_counts() -> None:
    lst = List([b"a", b"b", b"c", b"d"])
    assert lst.pop_tail(3) == [b"d", b"c", b"b"]
    assert lst.pop_head(5) == [b"a"]
    assert lst.pop_head(1) == []


def test_insert_at_pivot() -> None:
    lst = List([b"a", b"b", b"a"])
    assert lst.insert_at_pivot(b"a", b"x", after=True) is True
    assert lst.insert_at_pivot(b"a", b"y", after=False) is True
    assert lst.insert_at_pivot(b"nope", b"y", after=False) is False
    assert list(lst) == [b"y", b"a", b"x", b"b", b"a"]


@pytest.mark.parametrize("count", [0, 1, 2, 5, -1, -2, -5])
def test_remove_matches(count: int) -> None:
    items = [b"a", b"b", b"a", b"c", b"a", b"a"]
    lst = List(items)
    removed = lst.remove_matches(b"a", count)
    expected = list(items)
    if count >= 0:
        limit = count or len(items)
        positions = [i for i, x in enumerate(items) if x == b"a"][:limit]
    else:
        positions = [i for i, x in enumerate(items) if x == b"a"][::-1][: -count]
    for i in sorted(positions, reverse=True):
        del expected[i]
    assert removed == len(positions)
    assert list(lst) == expected


def test_positions() -> None:
    lst = List([b"a", b"b", b"a", b"c", b"a"])
    assert lst.positions(b"a", 1, 1, 0) == [0]
    assert lst.positions(b"a", 2, 0, 0) == [2, 4]
    assert lst.positions(b"a", -1, 2, 0) == [4, 2]
    assert lst.positions(b"a", -3, 0, 0) == [0]
    assert lst.positions(b"a", 1, 0, 2) == [0]
    assert lst.positions(b"a", -1, 0, 2) == [4]
    assert lst.positions(b"z", 1, 0, 0) == []


def test_copy_keeps_the_type_and_encoding_is_quicklist() -> None:
    lst = List([b"a"])
    dup = lst.copy()
    assert dup.__class__ is List and list(dup) == [b"a"] and dup is not lst
    assert lst.encoding(None) == "quicklist"
