"""Sans-IO flows: a pattern's logic written once as a generator yielding operations, run by a sync or an
asyncio driver.

A flow yields an operation and is sent its result, or has the operation's exception thrown in at that
``yield`` (the flow decides: release what it holds, retry, give up; an exception it does not catch ends the
run and reaches the caller). Flows never block and do no I/O themselves, so one flow serves ``redis.Redis``
and ``redis.asyncio.Redis`` alike; the drivers do the I/O, ``run_sync`` with blocking calls and
``run_async`` with awaits. The library's operations:

  Call(name, *args, **kwargs)   the redis-py client's method ``name``
  Eval(script, keys, args)      a ``scripts.Script``: EVALSHA, EVAL on NOSCRIPT
  AppCall(function, *args)      application code that may block (a store): called as is by the sync
                                driver; the asyncio driver awaits a coroutine function and runs any other
                                in a worker thread, so it cannot stall the event loop
  Sleep(seconds)

``drive``/``adrive`` are the bare loops, for a pattern with operations of its own (cache.py: loads,
single-flight, background refreshes): they hand every operation to the pattern's ``perform``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

from cacheserver.caching.scripts import Script

Flow = Generator[Any, Any, Any]


class Call:
    __slots__ = ("name", "args", "kwargs")

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs

    def __repr__(self) -> str:
        return f"Call({self.name!r}, *{self.args!r}, **{self.kwargs!r})"


class Eval:
    __slots__ = ("script", "keys", "args")

    def __init__(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> None:
        self.script, self.keys, self.args = script, keys, args


class AppCall:
    __slots__ = ("function", "args")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.function, self.args = function, args


class Sleep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def drive(flow: Flow, perform: Callable[[Any], Any]) -> Any:
    """Run ``flow`` to its end, ``perform(op)`` doing each operation; returns the flow's return value."""
    send: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.throw(error) if error is not None else flow.send(send)
        except StopIteration as stop:
            return stop.value
        error = None
        try:
            send = perform(op)
        except BaseException as exc:  # thrown into the flow, which releases what it holds or re-raises
            send, error = None, exc


async def adrive(flow: Flow, perform: Callable[[Any], Awaitable[Any]]) -> Any:
    """``drive`` with an awaited ``perform``."""
    send: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.throw(error) if error is not None else flow.send(send)
        except StopIteration as stop:
            return stop.value
        error = None
        try:
            send = await perform(op)
        except BaseException as exc:
            send, error = None, exc


def perform_sync(client: Any, op: Any) -> Any:
    """One of the library's operations over a synchronous client."""
    kind = type(op)
    if kind is Call:
        return getattr(client, op.name)(*op.args, **op.kwargs)
    if kind is Eval:
        return op.script.run(client, op.keys, op.args)
    if kind is AppCall:
        return op.function(*op.args)
    if kind is Sleep:
        time.sleep(op.seconds)
        return None
    raise TypeError(f"not an operation: {op!r}")


async def perform_async(client: Any, op: Any) -> Any:
    """One of the library's operations over an asyncio client."""
    kind = type(op)
    if kind is Call:
        return await getattr(client, op.name)(*op.args, **op.kwargs)
    if kind is Eval:
        return await op.script.arun(client, op.keys, op.args)
    if kind is AppCall:
        if inspect.iscoroutinefunction(op.function):
            return await op.function(*op.args)
        return await asyncio.to_thread(op.function, *op.args)
    if kind is Sleep:
        await asyncio.sleep(op.seconds)
        return None
    raise TypeError(f"not an operation: {op!r}")


def run_sync(flow: Flow, client: Any) -> Any:
    """Run a flow of the library's operations with blocking calls on ``client``."""
    return drive(flow, functools.partial(perform_sync, client))


async def run_async(flow: Flow, client: Any) -> Any:
    """Run a flow of the library's operations with awaits on an asyncio ``client``."""
    return await adrive(flow, functools.partial(perform_async, client))
