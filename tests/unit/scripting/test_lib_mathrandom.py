"""math.random and math.randomseed (Redis's drand48) through a real ScriptEngine: values checked
against Redis 7.0.15."""

from __future__ import annotations


def test_randomseed_returns_no_value(run) -> None:
    # lupa would make a returned None one nil; the C function returns nothing
    assert run("return select('#', math.randomseed(3))") == 0
    assert run("return select('#', pcall(math.randomseed, 3))") == 1


def test_seeded_sequence(run) -> None:
    assert run("math.randomseed(5) return {tostring(math.random()), math.random(10), math.random(3, 7)}") == [
        b"0.52483957937213",
        3,
        6,
    ]
