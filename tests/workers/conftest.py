"""A real Dramatiq worker, in this process, consuming from the test run's Redis namespace."""

from __future__ import annotations

from collections.abc import Iterator
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
