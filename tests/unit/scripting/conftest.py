"""Fixtures of the scripting unit tests: a server (no sockets) and ``run``, which evaluates a script
body through its ScriptEngine as EVAL would."""

from __future__ import annotations

import pytest

from cacheserver.commands.scripting import engine_of
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.server import Server


@pytest.fixture(scope="module")
def server():
    return Server()


@pytest.fixture
def run(server):
    """``run(body, *args, numkeys=0, resp=2)``: the script's reply, or the CommandError it ends with.
    A str body is taken as its latin-1 bytes (so ``'\\xff'`` is one byte). The engine is reset after
    the test (SCRIPT FLUSH: scripts, cjson's settings)."""
    eng = engine_of(server)
    c = ClientState(1, server, lambda d: None, lambda: None)

    def run(body: str | bytes, *args: bytes, numkeys: int = 0, resp: int = 2):
        c.set_resp(resp)
        code = body if isinstance(body, bytes) else body.encode("latin-1")
        sha, script = eng.create_script(code)
        try:
            return eng.run_script(
                c, script.function, sha.decode(), numkeys, False, True, [b"eval", code, b"%d" % numkeys, *args]
            )
        except CommandError as e:  # a script's error is raised for the dispatcher, which replies with it
            return e

    yield run
    eng.reset()
