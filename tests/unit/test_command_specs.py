"""Every registered command declaration is consistent: arity vs syntax, key positions, known flags,
a summary, and a syntax string that COMMAND DOCS can parse."""

from __future__ import annotations

import pytest

from cacheserver.commands import all_modules
from cacheserver.commands import spec as S
from cacheserver.commands.introspection import _Arg, parse_syntax
from cacheserver.commands.table import build

TABLE = build(all_modules())
SPECS = sorted(TABLE.all_specs(), key=lambda s: s.fullname)

KNOWN_FLAGS = {getattr(S, name) for name in dir(S) if name.isupper() and isinstance(getattr(S, name), str)} - {"@"}
KNOWN_CATEGORIES = set(S.GROUP_CATEGORIES.values()) - {None} | {
    "@keyspace",
    "@read",
    "@write",
    "@admin",
    "@dangerous",
    "@fast",
    "@slow",
    "@blocking",
    "@pubsub",
}


def _bounds(args: list[_Arg]) -> tuple[int, float]:
    """(minimum, maximum) argument count the syntax allows; maximum may be infinite."""
    lo, hi = 0, 0.0
    for a in args:
        if a.type == "oneof":
            inner = [_bounds([m]) for m in a.args]
            a_lo, a_hi = min(x[0] for x in inner), max(x[1] for x in inner)
        elif a.type == "block":
            a_lo, a_hi = _bounds(a.args)
            if a.token is not None:
                a_lo, a_hi = a_lo + 1, a_hi + 1
        else:
            a_lo = 1 if a.type == "pure-token" or a.token is None else 2
            a_hi = float(a_lo)
        if "optional" in a.flags:
            a_lo = 0
        if "multiple" in a.flags:
            a_hi = float("inf")
        lo += a_lo
        hi += a_hi
    return lo, hi


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.fullname)
def test_spec_is_consistent(spec):
    assert spec.summary, "every command has a one-line summary"
    assert set(spec.flags) <= KNOWN_FLAGS, f"unknown flags {set(spec.flags) - KNOWN_FLAGS}"
    assert set(spec.acl) <= KNOWN_CATEGORIES
    words = 2 if spec.parent is not None else 1
    if spec.first_key > 0:
        assert spec.key_step >= 1
        if spec.arity > 0:
            assert spec.first_key < spec.arity
            assert spec.last_key < spec.arity
        if spec.last_key >= 0:
            assert spec.last_key >= spec.first_key
    if spec.subcommands is not None or not spec.syntax:
        return
    lo, hi = _bounds(parse_syntax(spec.syntax))
    if spec.arity > 0:
        assert lo == hi == spec.arity - words, f"syntax allows {lo}..{hi} arguments, arity says {spec.arity}"
    else:
        need = -spec.arity - words
        assert lo <= need <= hi, f"syntax allows {lo}..{hi} arguments, arity says at least {need}"


def test_the_syntax_parser_reads_redis_notation():
    args = parse_syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]")
    assert [(a.name, a.type, a.token, a.flags) for a in args[:4]] == [
        ("key", "key", None, []),
        ("value", "string", None, []),
        ("nx_xx", "oneof", None, ["optional"]),
        ("get", "pure-token", "GET", ["optional"]),
    ]
    assert [(m.type, m.token) for m in args[4].args] == [
        ("integer", "EX"),
        ("integer", "PX"),
        ("pure-token", "KEEPTTL"),
    ]
    (keys,) = parse_syntax("key [key ...]")
    assert keys.flags == ["multiple"]
    (pairs,) = parse_syntax("key value [key value ...]")
    assert (pairs.name, pairs.type, pairs.flags) == ("key_value", "block", ["multiple"])
    (prefix,) = parse_syntax("[PREFIX prefix [PREFIX prefix ...]]")
    assert prefix.flags == ["optional", "multiple", "multiple_token"]
    with pytest.raises(ValueError):
        parse_syntax("key [NX")
    (op,) = parse_syntax("<AND | OR>")
    assert (op.type, [m.token for m in op.args]) == ("oneof", ["AND", "OR"])
    (ids,) = parse_syntax("[ID client-id [client-id ...]]")
    assert (ids.name, ids.type, ids.token, ids.flags) == ("id", "block", "ID", ["optional"])
    assert (ids.args[0].name, ids.args[0].flags) == ("client-id", ["multiple"])
    (kind,) = parse_syntax("[TYPE <NORMAL | PUBSUB>]")
    assert (kind.type, kind.token, kind.flags) == ("oneof", "TYPE", ["optional"])


def test_movablekeys_follows_getkeys():
    from cacheserver.commands.introspection import command_info
    from cacheserver.commands.spec import CommandSpec

    spec = CommandSpec("demo", -3, flags="write", keys=(0, 0, 0), getkeys=lambda argv: [2])
    assert command_info(spec)[2] == ["write", "movablekeys"]
    assert spec.key_positions([b"demo", b"1", b"k"]) == [2]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.parent is None], ids=lambda s: s.fullname)
def test_dispatch_arity_test_runs_only_what_may_run_directly(spec):
    """The dispatcher's one test, ``argc_min <= argc <= argc_max``, passes exactly the argument counts
    that run the spec's handler directly: its arity allows them and, for a container, there is no
    subcommand to resolve (only a bare ``COMMAND``)."""
    for argc in range(1, abs(spec.arity) + 4):
        direct = spec.arity_ok(argc) and (spec.subcommands is None or argc == 1)
        assert (spec.argc_min <= argc <= spec.argc_max) is direct, argc
    if spec.arity < 0 and spec.subcommands is None:
        assert spec.argc_min <= 10**6 <= spec.argc_max
