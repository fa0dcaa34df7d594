"""The sans-IO drivers (flows.py) and the script runner (scripts.py), over fake clients."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis

from cacheserver.caching.flows import AppCall, Call, Eval, Sleep, drive, run_async, run_sync
from cacheserver.caching.scripts import Script

SCRIPT = Script("return ARGV[1]")


class FakeClient:
    """Records calls; EVALSHA answers NOSCRIPT until the script was loaded by an EVAL."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.loaded: set[str] = set()

    def get(self, key: str) -> bytes:
        self.calls.append(("get", key))
        return b"v:" + key.encode()

    def set(self, key: str, value: bytes, px: int | None = None) -> bool:
        self.calls.append(("set", key, value, px))
        return True

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: object) -> object:
        self.calls.append(("evalsha", sha, numkeys, *keys_and_args))
        if sha not in self.loaded:
            raise redis.exceptions.NoScriptError("NOSCRIPT No matching script.")
        return keys_and_args[numkeys]

    def eval(self, text: str, numkeys: int, *keys_and_args: object) -> object:
        self.calls.append(("eval", text, numkeys, *keys_and_args))
        self.loaded.add(Script(text).sha)
        return keys_and_args[numkeys]


class AsyncFakeClient:
    def __init__(self) -> None:
        self.sync = FakeClient()

    def __getattr__(self, name: str):
        method = getattr(self.sync, name)

        async def call(*args: object, **kwargs: object) -> object:
            return method(*args, **kwargs)

        return call


def flow(store: list):
    got = yield Call("get", "a")
    assert (yield Call("set", "b", got, px=100)) is True
    first = yield Eval(SCRIPT, ["k"], ["x"])
    second = yield Eval(SCRIPT, ["k"], ["y"])
    yield Sleep(0)
    applied = yield AppCall(store.append, (first, second))
    return got, first, second, applied


def test_run_sync_performs_each_operation_and_evals_on_noscript_once() -> None:
    client, store = FakeClient(), []
    assert run_sync(flow(store), client) == (b"v:a", "x", "y", None)
    assert store == [("x", "y")]
    assert [c[0] for c in client.calls] == ["get", "set", "evalsha", "eval", "evalsha"]
    assert client.calls[1] == ("set", "b", b"v:a", 100)
    assert client.calls[2] == ("evalsha", SCRIPT.sha, 1, "k", "x")
    assert client.calls[3] == ("eval", "return ARGV[1]", 1, "k", "x")


def test_run_async_performs_the_same_and_runs_a_blocking_app_call_in_a_thread() -> None:
    client, store = AsyncFakeClient(), []
    threads: list[threading.Thread] = []

    def apply(item: object) -> str:
        threads.append(threading.current_thread())
        store.append(item)
        return "applied"

    def async_flow():
        result = yield from flow([])
        return result, (yield AppCall(apply, "row"))

    async def async_apply(item: object) -> str:
        return f"awaited {item}"

    def awaited_flow():
        return (yield AppCall(async_apply, "row"))

    result, applied = asyncio.run(run_async(async_flow(), client))
    assert result == (b"v:a", "x", "y", None) and applied == "applied" and store == ["row"]
    assert threads[0] is not threading.main_thread()
    assert [c[0] for c in client.sync.calls] == ["get", "set", "evalsha", "eval", "evalsha"]
    assert asyncio.run(run_async(awaited_flow(), client)) == "awaited row"


def test_an_operations_exception_is_thrown_into_the_flow_at_its_yield() -> None:
    seen = []

    def failing():
        try:
            yield Call("missing_command")
        except AttributeError as exc:
            seen.append(type(exc).__name__)
        return (yield Call("get", "after"))

    assert run_sync(failing(), FakeClient()) == b"v:after" and seen == ["AttributeError"]

    def uncaught():
        yield "not an operation"

    with pytest.raises(TypeError, match="not an operation"):
        run_sync(uncaught(), FakeClient())


def test_drive_hands_every_operation_to_perform() -> None:
    def doubler():
        return (yield 2) + (yield 5)

    assert drive(doubler(), lambda op: op * 2) == 14


def test_script_sha_is_the_sha1_of_its_text() -> None:
    assert Script("return 1").sha == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  # redis-cli SCRIPT LOAD "return 1"
