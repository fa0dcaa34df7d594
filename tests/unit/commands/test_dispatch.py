"""The command table and dispatcher without sockets: lookup, arity, containers, errors, stats."""

from __future__ import annotations

import types

import pytest

from cacheserver.commands.dispatch import Dispatcher
from cacheserver.commands.spec import command
from cacheserver.commands.table import build
from cacheserver.errors import CommandError
from cacheserver.network.client_state import ClientState
from cacheserver.protocol.replies import OK
from cacheserver.server import Server


def _module() -> types.ModuleType:
    mod = types.ModuleType("fake_commands")

    @command("echo2", 2, flags="fast", group="connection")
    def echo2(c, argv):
        return argv[1]

    @command("boom", 1)
    def boom(c, argv):
        raise RuntimeError("bug")

    @command("fail", 1)
    def fail(c, argv):
        raise CommandError("nope", "NOPE")

    @command("box|get", 3)
    def box_get(c, argv):
        return argv[2]

    @command("box|ping", 2)
    def box_ping(c, argv):
        return OK

    for fn in (echo2, boom, fail, box_get, box_ping):
        fn.__module__ = mod.__name__
        setattr(mod, fn.__name__, fn)
    return mod


@pytest.fixture
def setup():
    server = Server()
    table = build([_module()])
    dispatcher = Dispatcher(server, table)
    client = ClientState(1, server, lambda b: None, lambda: None)
    return dispatcher, client, table


def run(dispatcher, client, *requests) -> bytes:
    out = bytearray()
    dispatcher.run(client, [list(r) for r in requests], out)
    return bytes(out)


def test_lookup_any_case(setup):
    dispatcher, client, table = setup
    assert run(dispatcher, client, [b"echo2", b"a"], [b"ECHO2", b"b"], [b"EcHo2", b"c"]) == (
        b"$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    )
    assert table.lookup(b"eChO2") is table.specs["echo2"]


def test_arity_and_unknown(setup):
    dispatcher, client, _ = setup
    assert run(dispatcher, client, [b"echo2"]) == b"-ERR wrong number of arguments for 'echo2' command\r\n"
    assert run(dispatcher, client, [b"nope", b"x"]) == (
        b"-ERR unknown command 'nope', with args beginning with: 'x' \r\n"
    )


def test_container_dispatch(setup):
    dispatcher, client, table = setup
    assert run(dispatcher, client, [b"BOX", b"GET", b"v"]) == b"$1\r\nv\r\n"
    assert run(dispatcher, client, [b"box", b"get"]) == b"-ERR wrong number of arguments for 'box|get' command\r\n"
    assert run(dispatcher, client, [b"box", b"what"]) == b"-ERR unknown subcommand 'what'. Try BOX HELP.\r\n"
    assert run(dispatcher, client, [b"box"]) == b"-ERR wrong number of arguments for 'box' command\r\n"
    assert table.specs["box"].subcommands[b"get"].calls == 1


def test_errors_are_replies_and_counted(setup):
    dispatcher, client, table = setup
    assert run(dispatcher, client, [b"fail"], [b"boom"], [b"echo2", b"ok"]) == (
        b"-NOPE nope\r\n-ERR internal error\r\n$2\r\nok\r\n"
    )
    assert table.specs["fail"].failed_calls == 1
    assert table.specs["boom"].failed_calls == 1
    assert dispatcher.server.stats.error_counts == {"NOPE": 1, "ERR": 1}


def test_stats_count_calls(setup):
    dispatcher, client, table = setup
    run(dispatcher, client, *([[b"echo2", b"x"]] * 5))
    spec = table.specs["echo2"]
    assert spec.calls == 5
    assert spec.total_ns > 0
    assert client.last_cmd == "echo2"
