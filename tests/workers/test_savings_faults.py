"""The savings roll-up through real Redis and real workers, and the faults the issue names: a
worker killed during a recompute, the same message delivered twice, Redis down while savings
are recorded.

Every scenario records HARD REALIZED USD entries, so the figure to expect is their sum.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import dramatiq
import pytest
import redis.exceptions
from dramatiq.brokers.redis import MAINTENANCE_SCALE
from sqlalchemy import func, select, text

from district_ppm.config import PROJECT_ROOT
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import JobRun, OutboxMessage
from district_ppm.savings.jobs import rollup_savings_job
from district_ppm.savings.models import SavingsCategoryRollup, SavingsEntry, SavingsRollupState
from tests import redis_server
from tests.support.savings import new_project, record, rollup
from tests.support.waiting import eventually
from workers.relay import relay_once

JOB = rollup_savings_job.name


async def hard_realized(app_sessionmaker: Any, district_id: uuid.UUID) -> Decimal | None:
    """The stored HARD / REALIZED / USD figure of FY2026, None before any computation."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return await session.scalar(  # type: ignore[no-any-return]
            select(SavingsCategoryRollup.amount).where(
                SavingsCategoryRollup.fiscal_year == 2026,
                SavingsCategoryRollup.category == "HARD",
                SavingsCategoryRollup.status == "REALIZED",
                SavingsCategoryRollup.unit == "USD",
            )
        )


async def computed_at(app_sessionmaker: Any, district_id: uuid.UUID) -> Any:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        state = await session.get(SavingsRollupState, district_id)
        return state.computed_at if state else None


async def pending(app_sessionmaker: Any, district_id: uuid.UUID) -> list[OutboxMessage]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.actor_name == JOB, OutboxMessage.dispatched_at.is_(None)
                )
            )
        )


async def relay_all(
    app_sessionmaker: Any, jobs_sessionmaker: Any, broker: Any, district_id: uuid.UUID
) -> None:
    while await pending(app_sessionmaker, district_id):
        await relay_once(jobs_sessionmaker, broker)


async def succeeded(app_sessionmaker: Any, district_id: uuid.UUID, message_id: str) -> int:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(JobRun.message_id == message_id, JobRun.status == "succeeded")
            )
            or 0
        )


async def test_a_burst_of_savings_is_one_job_computed_by_the_worker(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    for amount in ("1.10", "2.20", "3.30"):
        await record(gql, admin, project, amount=amount)

    [job] = await pending(app_sessionmaker, district_id)
    await relay_all(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def done() -> Any:
        return await succeeded(app_sessionmaker, district_id, str(job.id))

    await eventually(done)
    assert await hard_realized(app_sessionmaker, district_id) == Decimal("6.60")


async def test_with_redis_down_recorded_savings_are_kept_and_computed_when_it_returns(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)

    redis_server.stop()
    try:
        entry = await record(gql, admin, project, amount="42")
        with pytest.raises(redis.exceptions.ConnectionError):
            await relay_once(jobs_sessionmaker, broker)
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            kept = await session.get(SavingsEntry, (district_id, uuid.UUID(entry["id"])))
        assert kept is not None and kept.amount == Decimal("42.00")
        assert len(await pending(app_sessionmaker, district_id)) == 1
    finally:
        redis_server.start()

    await relay_all(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def done() -> Any:
        return await hard_realized(app_sessionmaker, district_id)

    assert await eventually(done) == Decimal("42.00")


async def test_the_same_message_delivered_twice_stores_the_same_figures(
    gql, factory, app_sessionmaker, broker, running_worker
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    await record(gql, admin, project, amount="10.01")
    await record(gql, admin, project, amount="20.02")
    message = (
        broker.get_actor(JOB).message(district_id=str(district_id)).copy(message_id="twice-sv")
    )

    broker.enqueue(message)
    broker.enqueue(message)

    async def both_ran() -> Any:
        return await succeeded(app_sessionmaker, district_id, "twice-sv") == 2

    await eventually(both_ran)
    assert await hard_realized(app_sessionmaker, district_id) == Decimal("30.03")


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


async def test_a_worker_killed_mid_recompute_leaves_the_old_figures_and_the_redelivery_finishes(
    gql, factory, app_sessionmaker, admin_sessionmaker, broker, monkeypatch
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    await record(gql, admin, project, amount="1.00")
    await rollup(app_sessionmaker, district_id)
    before = await computed_at(app_sessionmaker, district_id)
    await record(gql, admin, project, amount="2.00")
    outbox_id = str((await pending(app_sessionmaker, district_id))[0].id)

    # Hold the row the recompute writes last, so the worker is caught with the figures
    # deleted and written again but not committed.
    async with admin_sessionmaker() as blocker:
        await blocker.begin()
        await blocker.execute(
            text("SELECT 1 FROM savings_rollup_state WHERE district_id = :d FOR UPDATE"),
            {"d": district_id},
        )
        process = _start_worker_process()
        try:

            async def worker_is_blocked() -> Any:
                async with admin_sessionmaker() as session:
                    return await session.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                            "AND query LIKE '%savings_rollup_state%'"
                        )
                    )

            await eventually(worker_is_blocked, seconds=30)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        await blocker.rollback()

    assert await computed_at(app_sessionmaker, district_id) == before
    assert await hard_realized(app_sessionmaker, district_id) == Decimal("1.00")

    # A live worker takes the dead one's message back once its heartbeat is stale (3 s here).
    monkeypatch.setattr(broker, "maintenance_chance", MAINTENANCE_SCALE)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:

        async def redelivered() -> Any:
            return await succeeded(app_sessionmaker, district_id, outbox_id)

        await eventually(redelivered, seconds=60)
    finally:
        worker.stop()

    assert await hard_realized(app_sessionmaker, district_id) == Decimal("3.00")
    assert await computed_at(app_sessionmaker, district_id) > before
