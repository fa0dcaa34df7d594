"""math.random and math.randomseed (Redis's drand48) through a real ScriptEngine: values checked
against Redis 7.0.15."""

from __future__ import annotations

import pytest

from cacheserver.commands.scripting import engine_of
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.server import Server


@pytest.fixture(scope="module")
def run():
    server = Server()
    eng = engine_of(server)
    c = ClientState(1, server, lambda d: None, lambda: None)

    def run(body: str):
        sha, script = eng.create_script(body.encode())
        try:
            return eng.run_script(c, script.function, sha.decode(), 0, False, True, [b"eval", body.encode(), b"0"])
        except CommandError as e:
            return e

    return run


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
