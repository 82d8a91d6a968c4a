"""The time-loss recompute through real Redis and real workers, and the faults it must survive:
a worker killed mid-recompute, Redis down while runs are recorded, a message delivered twice.

Every scenario records runs whose figures are worked out by hand (grace 0, first bell 08:00,
route riders 30): 07:40 scheduled, 08:05 actual -> 25 late, 5 lost, x 30 = 150 student minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import time
from typing import Any

import dramatiq
import pytest
import redis.exceptions
from dramatiq.brokers.redis import MAINTENANCE_SCALE
from sqlalchemy import func, select, text

from district_ppm.config import PROJECT_ROOT
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import JobRun, OutboxMessage
from district_ppm.transportation.models import BusRunDirtyMonth, TimeLossState
from tests import redis_server
from tests.support.transportation import (
    add_route,
    add_school,
    figures,
    recompute,
    record,
    report,
    run,
)
from tests.support.waiting import eventually
from workers.relay import relay_once


async def district_with_route(factory: Any, app_sessionmaker: Any) -> tuple[Any, Any]:
    district_id, _ = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route = await add_route(app_sessionmaker, district_id, "R1", school, 30)
    return district_id, route


def september(route: Any, days: range) -> list[Any]:
    return [run(route, f"2025-09-{day:02d}", "07:40", "08:05") for day in days]


def expected(late_runs: int) -> tuple[Any, ...]:
    # n runs: 25n late minutes, 5n lost minutes, 150n student minutes
    return (
        late_runs,
        25 * late_runs,
        25.0 if late_runs else 0.0,
        f"{5 * late_runs / 60:.2f}",
        f"{150 * late_runs / 60:.2f}",
    )


async def computed_total(app_sessionmaker: Any, district_id: Any) -> tuple[Any, ...]:
    return figures((await report(app_sessionmaker, district_id, 2026, "MONTH")).total)


async def computed_at(app_sessionmaker: Any, district_id: Any) -> Any:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        state = await session.get(TimeLossState, district_id)
        return state.computed_at if state else None


async def pending_outbox(app_sessionmaker: Any, district_id: Any) -> list[OutboxMessage]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.actor_name == "recompute_time_loss",
                    OutboxMessage.dispatched_at.is_(None),
                )
            )
        )


async def relay_all(
    app_sessionmaker: Any, jobs_sessionmaker: Any, broker: Any, district_id: Any
) -> None:
    """Relay until this district's job is published (earlier tests leave other jobs queued,
    and one pass publishes only the oldest batch)."""
    while await pending_outbox(app_sessionmaker, district_id):
        await relay_once(jobs_sessionmaker, broker)


async def test_a_burst_of_writes_is_one_job_computed_by_the_worker(
    factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, route = await district_with_route(factory, app_sessionmaker)
    for day in range(1, 6):
        await record(app_sessionmaker, district_id, september(route, range(day, day + 1)))

    pending = await pending_outbox(app_sessionmaker, district_id)
    assert len(pending) == 1
    await relay_all(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def done() -> Any:
        return await computed_at(app_sessionmaker, district_id)

    await eventually(done)
    assert await computed_total(app_sessionmaker, district_id) == expected(5)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        runs = list(
            await session.scalars(select(JobRun).where(JobRun.actor_name == "recompute_time_loss"))
        )
    assert [(r.status, r.message_id) for r in runs] == [("succeeded", str(pending[0].id))]


async def test_with_redis_down_recorded_runs_are_kept_and_computed_when_it_returns(
    factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, route = await district_with_route(factory, app_sessionmaker)
    redis_server.stop()
    try:
        assert await record(app_sessionmaker, district_id, september(route, range(1, 4))) == 3
        with pytest.raises(redis.exceptions.ConnectionError):
            await relay_once(jobs_sessionmaker, broker)
        assert len(await pending_outbox(app_sessionmaker, district_id)) == 1
    finally:
        redis_server.start()

    await relay_all(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def done() -> Any:
        return await computed_at(app_sessionmaker, district_id)

    await eventually(done)
    assert await computed_total(app_sessionmaker, district_id) == expected(3)


async def test_the_same_message_delivered_twice_counts_once(
    factory, app_sessionmaker, broker, running_worker
):
    district_id, route = await district_with_route(factory, app_sessionmaker)
    batch = september(route, range(1, 3))
    await record(app_sessionmaker, district_id, batch)
    await record(app_sessionmaker, district_id, batch)  # the client retried the same batch
    actor = broker.get_actor("recompute_time_loss")
    message = actor.message(district_id=str(district_id)).copy(message_id="the-same-message")

    broker.enqueue(message)
    broker.enqueue(message)

    async def both_ran() -> Any:
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            return (
                await session.scalar(
                    select(func.count())
                    .select_from(JobRun)
                    .where(JobRun.message_id == "the-same-message", JobRun.status == "succeeded")
                )
                == 2
            )

    await eventually(both_ran)
    assert await computed_total(app_sessionmaker, district_id) == expected(2)


def _start_worker_process() -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DISTRICT_PPM_OUTBOX_POLL_SECONDS": "0.1",
        # No nightly scheduling during the test: the hour never comes.
        "DISTRICT_PPM_NIGHTLY_RECOMPUTE_HOUR_UTC": "24",
        "DISTRICT_PPM_WORKER_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "district_ppm.cli", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def test_a_worker_killed_mid_recompute_loses_nothing_and_the_redelivery_finishes(
    factory, app_sessionmaker, admin_sessionmaker, broker, monkeypatch
):
    district_id, route = await district_with_route(factory, app_sessionmaker)
    await record(app_sessionmaker, district_id, september(route, range(1, 3)))
    await recompute(app_sessionmaker, district_id)
    before = await computed_at(app_sessionmaker, district_id)
    await record(app_sessionmaker, district_id, september(route, range(3, 6)))
    outbox_id = str((await pending_outbox(app_sessionmaker, district_id))[0].id)

    # Hold the row the recompute writes last, so the worker is caught with everything else
    # done but not committed.
    async with admin_sessionmaker() as blocker:
        await blocker.begin()
        await blocker.execute(
            text("SELECT 1 FROM time_loss_state WHERE district_id = :d FOR UPDATE"),
            {"d": district_id},
        )
        process = _start_worker_process()
        try:

            async def worker_is_blocked() -> Any:
                async with admin_sessionmaker() as session:
                    return await session.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database()"
                            " AND wait_event_type = 'Lock' AND query LIKE '%time_loss_state%'"
                        )
                    )

            await eventually(worker_is_blocked, seconds=30)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        await blocker.rollback()

    # Nothing half-written: the old figures, the old computedAt, the dirty marks all stay.
    assert await computed_at(app_sessionmaker, district_id) == before
    assert await computed_total(app_sessionmaker, district_id) == expected(2)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert await session.scalar(select(func.count()).select_from(BusRunDirtyMonth)) == 1

    # A live worker takes the dead one's message back once its heartbeat is stale (3 s here).
    monkeypatch.setattr(broker, "maintenance_chance", MAINTENANCE_SCALE)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:

        async def redelivered() -> Any:
            async with tenant_transaction(app_sessionmaker, district_id) as session:
                return await session.scalar(
                    select(JobRun.id).where(
                        JobRun.message_id == outbox_id, JobRun.status == "succeeded"
                    )
                )

        await eventually(redelivered, seconds=60)
    finally:
        worker.stop()

    assert await computed_total(app_sessionmaker, district_id) == expected(5)
    await recompute(app_sessionmaker, district_id, full=True)
    assert await computed_total(app_sessionmaker, district_id) == expected(5)
