"""A real Dramatiq worker, in this process, consuming from the test run's Redis namespace."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import dramatiq
import pytest


@pytest.fixture(scope="session")
def broker(settings: Any) -> Any:
    from workers import actors  # noqa: F401 - declares every actor on the broker
    from workers.broker import broker

    return broker


@pytest.fixture
def running_worker(broker: Any) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()


async def eventually(check: Callable[[], Awaitable[Any]], *, seconds: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (background work takes a moment)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {seconds}s")
        await asyncio.sleep(0.1)
