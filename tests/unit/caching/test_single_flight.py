"""Local single-flight: one call per key, shared result and error, cancellation isolation."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cacheserver.caching.single_flight import AsyncSingleFlight, SingleFlight


def test_threads_share_one_call_and_its_result() -> None:
    flight = SingleFlight()
    release = threading.Event()
    calls = []

    def load() -> str:
        calls.append(1)
        release.wait(5)
        return "v"

    results = []
    threads = [threading.Thread(target=lambda: results.append(flight.do("k", load))) for _ in range(8)]
    threads[0].start()
    while not flight.in_flight("k"):
        pass
    for t in threads[1:]:
        t.start()
    while flight._calls["k"].waiters < 7:
        pass
    release.set()
    for t in threads:
        t.join()
    assert calls == [1] and results == ["v"] * 8
    assert not flight.in_flight("k")


def test_threads_share_the_same_exception() -> None:
    flight = SingleFlight()
    release = threading.Event()
    boom = RuntimeError("boom")
    errors = []

    def load() -> None:
        release.wait(5)
        raise boom

    def call() -> None:
        try:
            flight.do("k", load)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    threads[0].start()
    while not flight.in_flight("k"):
        pass
    for t in threads[1:]:
        t.start()
    while flight._calls["k"].waiters < 3:
        pass
    release.set()
    for t in threads:
        t.join()
    assert errors == [boom] * 4


def test_next_call_after_completion_runs_again() -> None:
    flight = SingleFlight()
    assert flight.do("k", lambda: 1) == 1
    assert flight.do("k", lambda: 2) == 2


def test_async_waiters_share_result_and_error() -> None:
    async def main() -> None:
        flight = AsyncSingleFlight()
        calls = []

        async def load() -> int:
            calls.append(1)
            await asyncio.sleep(0.01)
            return 5

        assert await asyncio.gather(*(flight.do("k", load) for _ in range(10))) == [5] * 10
        assert calls == [1]

        async def fail() -> None:
            await asyncio.sleep(0.01)
            raise KeyError("x")

        results = await asyncio.gather(*(flight.do("e", fail) for _ in range(3)), return_exceptions=True)
        assert len({id(r) for r in results}) == 1 and isinstance(results[0], KeyError)

    asyncio.run(main())


def test_cancelling_one_async_waiter_never_cancels_the_shared_load() -> None:
    async def main() -> None:
        flight = AsyncSingleFlight()
        started = asyncio.Event()
        finish = asyncio.Event()

        async def load() -> str:
            started.set()
            await finish.wait()
            return "done"

        first = asyncio.ensure_future(flight.do("k", load))  # the caller that started the load
        await started.wait()
        second = asyncio.ensure_future(flight.do("k", load))
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        finish.set()
        assert await second == "done"

    asyncio.run(main())


def test_published_result_wakes_waiters_before_the_call_ends() -> None:
    flight = SingleFlight()
    go = threading.Event()
    published = threading.Event()
    finish = threading.Event()

    def load() -> str:
        go.wait(5)
        flight.publish("k", "early")
        published.set()
        finish.wait(5)
        raise RuntimeError("after publishing")  # reaches the caller running it, not the waiters

    errors = []

    def leader() -> None:
        try:
            flight.do("k", load)
        except RuntimeError as exc:
            errors.append(str(exc))

    t = threading.Thread(target=leader)
    t.start()
    while not flight.in_flight("k"):
        pass
    shared = []
    waiter = threading.Thread(target=lambda: shared.append(flight.do("k", lambda: "not run")))
    waiter.start()
    while flight._calls["k"].waiters < 1:
        pass
    go.set()
    published.wait(5)
    waiter.join(5)
    assert shared == ["early"]
    assert not flight.in_flight("k")  # a caller arriving now starts a new call
    assert flight.do("k", lambda: "next") == "next"
    finish.set()
    t.join(5)
    assert errors == ["after publishing"]


def test_published_result_reaches_async_waiters_while_the_task_runs_on() -> None:
    async def main() -> None:
        flight = AsyncSingleFlight()
        finish = asyncio.Event()
        ended = []

        async def load() -> str:
            await asyncio.sleep(0)
            flight.publish("k", "early")
            await finish.wait()
            ended.append(True)
            raise RuntimeError("after publishing")  # nobody waits any more: dropped, not reported as lost

        results = await asyncio.gather(*(flight.do("k", load) for _ in range(3)))
        assert results == ["early"] * 3 and ended == []
        finish.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert ended == [True] and not flight.in_flight("k")

    asyncio.run(main())
