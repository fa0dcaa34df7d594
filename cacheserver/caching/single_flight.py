"""Local single-flight: within one process, at most one load per key at a time; waiters share its outcome.

The contract of Go's ``x/sync/singleflight``: the first caller for a key runs the function, later callers
for the same key wait and receive the same result or the same exception, and the key is forgotten once the
call finishes, so the next call loads again. The async version runs the shared call as its own task and
every caller awaits it through ``asyncio.shield``: cancelling one waiter (even the first) never cancels the
load the others are waiting for.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Call:
    __slots__ = ("done", "result", "error", "waiters")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiters = 0


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
            call.result = fn()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
        return call.result

    def in_flight(self, key: str) -> bool:
        return key in self._calls


class AsyncSingleFlight:
    """Task-based single-flight for one event loop."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task] = {}

    async def do(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(fn())
            self._tasks[key] = task
            task.add_done_callback(lambda t, key=key: self._finished(key, t))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            task.exception()  # retrieved here so an error nobody awaited any more is not reported as lost

    def in_flight(self, key: str) -> bool:
        return key in self._tasks
