"""Mutation → outbox → relay → Redis → worker → result, for real; and through a Redis outage."""

from __future__ import annotations

import pytest
import redis.exceptions
from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import DistrictStats, JobRun, OutboxMessage
from tests import redis_server
from tests.support.schools import CREATE, school_input
from tests.support.waiting import eventually
from workers.relay import relay_once

STATS = "{ me { district { schoolCount computedAt } } }"


async def outbox_of(app_sessionmaker, district_id) -> list[OutboxMessage]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return list(await session.scalars(select(OutboxMessage)))


async def relay_until_dispatched(app_sessionmaker, jobs_sessionmaker, broker, district_id) -> None:
    """Relay batches until this district's jobs are out: the relay serves every district of
    the test database, oldest first, and earlier tests leave their jobs waiting."""
    for _ in range(50):
        await relay_once(jobs_sessionmaker, broker)
        if all(m.dispatched_at for m in await outbox_of(app_sessionmaker, district_id)):
            return
    raise AssertionError("the district's jobs were never relayed")


async def test_a_committed_write_is_counted_by_the_worker(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, token = await factory.district()
    for index in range(3):
        await gql(CREATE, {"input": school_input(ncesId=f"48000010000{index}")}, token=token)

    # Three writes, one pending job: the outbox coalesces a burst.
    pending = await outbox_of(app_sessionmaker, district_id)
    assert [(m.actor_name, m.dispatched_at) for m in pending] == [("recount_schools", None)]
    await relay_until_dispatched(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def counted():
        result = await gql(STATS, token=token)
        return result["data"]["me"]["district"]["schoolCount"] == 3 and result

    result = await eventually(counted)

    assert result["data"]["me"]["district"]["computedAt"] is not None
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        runs = list(await session.scalars(select(JobRun)))
    assert [(r.actor_name, r.status, r.message_id) for r in runs] == [
        ("recount_schools", "succeeded", str(pending[0].id))
    ]


async def test_with_redis_down_the_mutation_commits_and_the_job_runs_once_redis_returns(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, token = await factory.district()
    redis_server.stop()
    try:
        created = await gql(CREATE, {"input": school_input()}, token=token)
        assert "errors" not in created

        with pytest.raises(redis.exceptions.ConnectionError):
            await relay_once(jobs_sessionmaker, broker)
        pending = await outbox_of(app_sessionmaker, district_id)
        assert [m.dispatched_at for m in pending] == [None]
    finally:
        redis_server.start()

    await relay_until_dispatched(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def counted():
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            return await session.scalar(
                select(DistrictStats.school_count).where(DistrictStats.district_id == district_id)
            )

    assert await eventually(counted) == 1


async def test_running_the_job_twice_gives_the_same_result(factory, app_sessionmaker, gql):
    from district_ppm.jobs.service import run_job
    from district_ppm.schools.jobs import recount_schools_job

    district_id, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)

    for attempt in ("first", "again"):
        await run_job(
            sessionmaker=app_sessionmaker,
            district_id=district_id,
            actor_name="recount_schools",
            message_id=attempt,
            body=recount_schools_job.handler,
        )

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        counts = list(await session.scalars(select(DistrictStats.school_count)))
    assert counts == [1]


async def test_jobs_no_actor_here_can_run_do_not_hold_up_the_others(
    factory, app_sessionmaker, jobs_sessionmaker, broker
):
    from sqlalchemy import text

    from district_ppm.jobs.service import enqueue_job
    from workers.relay import BATCH

    # Given more waiting jobs for an actor this build lacks (a rolled-back deploy wrote them)
    # than one relay batch holds, all older than a job this build can run
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        # Written as rows: this build's enqueue_job refuses a job it does not declare.
        for index in range(BATCH + 5):
            session.add(
                OutboxMessage(
                    district_id=district_id,
                    actor_name="actor_of_a_newer_build",
                    payload={},
                    dedupe_key=f"k{index}",
                    attempts=0,
                )
            )
        await session.commit()
    other_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, other_id) as session:
        await enqueue_job(session=session, district_id=other_id, actor_name="recount_schools")
        await session.commit()

    try:
        # When the relay runs, then the runnable job is published all the same
        await relay_until_dispatched(app_sessionmaker, jobs_sessionmaker, broker, other_id)
        unknown = await outbox_of(app_sessionmaker, district_id)
        assert len(unknown) == BATCH + 5 and not any(m.dispatched_at for m in unknown)
    finally:
        async with jobs_sessionmaker() as session, session.begin():
            await session.execute(
                text("SELECT ppm_outbox_mark_dispatched(CAST(:ids AS uuid[]))"),
                {"ids": [str(m.id) for m in await outbox_of(app_sessionmaker, district_id)]},
            )
