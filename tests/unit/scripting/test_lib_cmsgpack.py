"""cmsgpack through a real ScriptEngine: errors outside pcall, pcall of the function itself, a round
trip. The values of lua-cmsgpack 0.4.0 case by case are in tests/integration/test_scripting_cmsgpack.py,
which runs them against redis-server too. Every expected value was read from redis-server 7.0.15."""

from __future__ import annotations

from helpers import LUA_PRE, pcall_shown

from cacheserver.errors import CommandError


def outcome(run, expr: str) -> bytes:
    """``ok value`` of the expression evaluated under pcall."""
    return run(pcall_shown(expr))


def test_errors_outside_pcall(run) -> None:
    # luaL_error's texts name the script's line; lua_settable's "table index is nil" names none.
    reply = run("return cmsgpack.unpack('\\129\\192\\1')")
    assert isinstance(reply, CommandError)
    assert reply.text.startswith("ERR table index is nil script: ")
    reply = run("return cmsgpack.pack()")
    assert reply.text.startswith(
        "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: "
    )


def test_pcall_of_the_function_itself_names_no_function(run) -> None:
    assert run("return {pcall(cmsgpack.pack)}") == [None, b"bad argument #0 to '?' (MessagePack pack needs input.)"]
    assert run("return {pcall(cmsgpack.unpack, '\\129\\192\\1')}") == [None, b"table index is nil"]


def test_round_trip_keeps_values(run) -> None:
    body = "return all(cmsgpack.unpack(cmsgpack.pack({1, 'a', {x = 2.5, y = {true, false}}, -70000}, 'b')))"
    assert run(LUA_PRE + body) == b'{1=1,2="a",3={"x"=2.5,"y"={1=true,2=false}},4=-70000} "b"'
