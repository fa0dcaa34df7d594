"""Run a server inside the current process, on its own thread and event loop (tests, examples).

    with ServerThread() as srv:
        r = redis.Redis(port=srv.port)

Binds 127.0.0.1 on a free port unless told otherwise and always shuts down on exit.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from cacheserver.config import Config
from cacheserver.server import Server


class ServerThread:
    def __init__(self, config: Config | None = None, **directives: Any) -> None:
        self.config = config or Config()
        self.config.set_value("port", "0", startup=True)
        self.config.set_value("bind", "127.0.0.1", startup=True)
        self.config.set_value("save", "", startup=True)
        for name, value in directives.items():
            self.config.set_value(name.replace("_", "-"), str(value), startup=True)
        self.server: Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self) -> ServerThread:
        self._thread = threading.Thread(target=self._run, name="cacheserver", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            self.server = Server(self.config)
            loop.run_until_complete(self.server.start())
        except BaseException as e:  # reported to the starting thread
            self._error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_until_complete(self.server.wait_closed())
        finally:
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the server's loop and return its result (inspect state safely)."""
        assert self.loop is not None
        fut: asyncio.Future = asyncio.run_coroutine_threadsafe(_as_coro(fn, *args), self.loop)
        return fut.result(10)

    def stop(self) -> None:
        if self.server is not None and self.loop is not None and self._thread is not None:
            if self._thread.is_alive():
                self.loop.call_soon_threadsafe(self.server.request_shutdown)
                self._thread.join(10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


async def _as_coro(fn: Any, *args: Any) -> Any:
    return fn(*args)
