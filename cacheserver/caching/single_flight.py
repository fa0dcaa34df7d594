"""Local single-flight: within one process, at most one load per key at a time; waiters share its outcome.

The contract of Go's ``x/sync/singleflight``: the first caller for a key runs the function, later callers
for the same key wait and receive the same result or the same exception, and the key is forgotten once the
call finishes, so the next call loads again. The async version runs the shared call as its own task and
every caller awaits it through ``asyncio.shield``: cancelling one waiter (even the first) never cancels the
load the others are waiting for.

``publish(key, result)`` hands the waiters their result before the call has finished (the cache does it once
the entry is stored and the fleet woken, so nobody here waits for the lease release that follows); the call
then runs to its end alone, and a later failure of it reaches none of them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Call:
    __slots__ = ("done", "result", "error", "waiters", "published")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiters = 0
        self.published = False


class SingleFlight:
    """Thread-based single-flight: the first caller runs ``fn`` on its own thread, the others block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}

    def do(self, key: str, fn: Callable[[], T]) -> T:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if leader:
                call = self._calls[key] = _Call()
            else:
                call.waiters += 1
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.result
        try:
            result = fn()
        except BaseException as exc:
            if not call.published:
                call.error = exc
            raise
        else:
            if not call.published:
                call.result = result
        finally:
            self._forget(key, call)
        return result

    def publish(self, key: str, result: Any) -> None:
        """Wake the waiters of ``key`` now with ``result``; later callers start a new call."""
        call = self._calls.get(key)
        if call is None or call.published:
            return
        call.result = result
        call.published = True
        self._forget(key, call)

    def _forget(self, key: str, call: _Call) -> None:
        with self._lock:
            if self._calls.get(key) is call:
                del self._calls[key]
        call.done.set()

    def in_flight(self, key: str) -> bool:
        return key in self._calls


class _AsyncCall:
    __slots__ = ("task", "outcome")

    def __init__(self, task: asyncio.Task, outcome: asyncio.Future) -> None:
        self.task = task
        self.outcome = outcome


class AsyncSingleFlight:
    """Task-based single-flight for one event loop: callers await the call's outcome future, which the task
    settles when it ends (or ``publish`` earlier)."""

    def __init__(self) -> None:
        self._calls: dict[str, _AsyncCall] = {}
        self._running: set[asyncio.Task] = set()  # a published call's task runs on with no waiter holding it

    async def do(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        call = self._calls.get(key)
        if call is None:
            outcome = asyncio.get_running_loop().create_future()
            call = self._calls[key] = _AsyncCall(asyncio.ensure_future(fn()), outcome)
            self._running.add(call.task)
            call.task.add_done_callback(lambda t, key=key, call=call: self._finished(key, call, t))
        return await asyncio.shield(call.outcome)

    def publish(self, key: str, result: Any) -> None:
        call = self._calls.get(key)
        if call is None or call.outcome.done():
            return
        del self._calls[key]
        call.outcome.set_result(result)

    def _finished(self, key: str, call: _AsyncCall, task: asyncio.Task) -> None:
        self._running.discard(task)
        if self._calls.get(key) is call:
            del self._calls[key]
        if task.cancelled():
            if not call.outcome.done():
                call.outcome.cancel()
            return
        error = task.exception()  # retrieved here so an error nobody awaited any more is not reported as lost
        if call.outcome.done():
            return
        if error is not None:
            call.outcome.set_exception(error)
        else:
            call.outcome.set_result(task.result())

    def in_flight(self, key: str) -> bool:
        return key in self._calls
