"""math.random as Redis replaces it (its own drand48, one sequence for the process), and the errors of
library functions called straight from pcall/xpcall, against cacheserver and redis-server."""

from __future__ import annotations

import pytest


def test_a_seed_gives_redis_sequence_across_scripts(r) -> None:
    r.eval("math.randomseed(5)", 0)
    first = r.eval("return {tostring(math.random()), math.random(10), math.random(3, 7)}", 0)
    # The sequence goes on in the next script: EVAL does not reseed.
    second = r.eval("return {tostring(math.random()), math.random(-5, -5)}", 0)
    assert first == [b"0.52483957937213", 3, 6]
    assert second == [b"0.19806924238711", -5]


def test_arguments_are_c_ints(r) -> None:
    r.eval("math.randomseed('7')", 0)  # a numeric string is a number
    assert r.eval("return {tostring(math.random()), math.random(' 10 ')}", 0) == [b"0.26644419658298", 7]
    r.eval("math.randomseed(-1)", 0)
    assert r.eval("return {tostring(math.random()), math.random(2.9)}", 0) == [b"0.30002572727391", 1]
    r.eval("math.randomseed(2^40 + 3)", 0)  # the seed is a C int: 2^40 + 3 is 3
    assert r.eval("return tostring(math.random())", 0) == r.eval("math.randomseed(3) return tostring(math.random())", 0)


@pytest.mark.parametrize(
    "body, message",
    [
        ("return math.random(0)", "bad argument #1 to 'random' (interval is empty)"),
        ("return math.random(5, 4)", "bad argument #2 to 'random' (interval is empty)"),
        ("return math.random(1, 2, 3)", "wrong number of arguments"),
        ("return math.random('x')", "bad argument #1 to 'random' (number expected, got string)"),
        ("return math.randomseed()", "bad argument #1 to 'randomseed' (number expected, got no value)"),
    ],
)
def test_errors(raw, body: str, message: str) -> None:
    reply = raw.command("EVAL", body, "0")
    assert reply.startswith(f"-ERR user_script:1: {message} script: ".encode())


@pytest.mark.parametrize(
    "body, value",
    [
        # luaL_argerror finds no name for a C function that pcall or xpcall calls: '?'
        ("local ok, e = pcall(math.random, 0) return e", b"bad argument #1 to '?' (interval is empty)"),
        ("local ok, e = pcall(bit.band, 'x') return e", b"bad argument #1 to '?' (number expected, got string)"),
        (
            "local ok, e = xpcall(bit.band, function(e) return 'H:' .. e end) return e",
            b"H:bad argument #1 to '?' (number expected, got no value)",
        ),
        ("local ok, e = pcall(string.rep) return e", b"bad argument #1 to '?' (string expected, got no value)"),
        # called from the script's own function, it has a name and the error a line
        (
            "local ok, e = pcall(function() return bit.band('x') end) return e",
            b"user_script:1: bad argument #1 to 'band' (number expected, got string)",
        ),
        ("local ok, e = pcall(cjson.decode, '[') return e", b"Expected value but found T_END at character 2"),
    ],
)
def test_library_errors_under_pcall(r, body: str, value: bytes) -> None:
    assert r.eval(body, 0) == value


@pytest.mark.parametrize(
    "body, value",
    [
        # math.randomseed returns no value at all: not even a nil
        ("return select('#', math.randomseed(3))", 0),
        ("return #{'x', math.randomseed(3)}", 1),
        ("return select('#', pcall(math.randomseed, 3))", 1),
        (
            "local ok, v = pcall(function() return tostring(math.randomseed(3)) end) return {tostring(ok), v}",
            [b"false", b"user_script:1: bad argument #1 to 'tostring' (value expected)"],
        ),
    ],
)
def test_randomseed_returns_nothing(r, body: str, value) -> None:
    assert r.eval(body, 0) == value
