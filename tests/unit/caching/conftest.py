"""Fixtures for the caching library's unit tests: a manual clock, a seeded RNG and an in-memory backend."""

from __future__ import annotations

import random

import pytest

from cacheserver.caching import Cache, ManualClock, MemoryBackend


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def memory(clock: ManualClock) -> MemoryBackend:
    return MemoryBackend(clock)


@pytest.fixture
def cache(memory: MemoryBackend, clock: ManualClock) -> Cache:
    return Cache(memory, clock=clock, rng=random.Random(7), ttl=10, beta=None)
