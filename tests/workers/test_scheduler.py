"""The nightly scheduler queues, once per day, each nightly job that has work in a district."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.registry import nightly_jobs
from district_ppm.measures.models import Direction, Frequency, MeasureLevel, Stage, Unit
from district_ppm.measures.service import MeasureCreate, create_measure
from district_ppm.schools.jobs import recount_schools_job
from workers.scheduler import queue_nightly, queued_nightly, schedule_nightly


async def add_measure(app_sessionmaker, district_id) -> None:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await create_measure(
            session=session,
            district_id=district_id,
            data=MeasureCreate(
                code="ADA",
                name="Attendance",
                unit=Unit.PERCENT,
                direction=Direction.HIGHER_IS_BETTER,
                stage=Stage.OUTPUT,
                frequency=Frequency.MONTHLY,
                level=MeasureLevel.DISTRICT,
            ),
        )
        await session.commit()


async def nightly_queued(app_sessionmaker, district_id, day: date) -> list[tuple[str, dict]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            select(OutboxMessage.actor_name, OutboxMessage.payload).where(
                OutboxMessage.dedupe_key == f"nightly:{day.isoformat()}"
            )
        )
        return sorted((name, payload) for name, payload in rows)


async def test_a_districts_nightly_jobs_are_queued_once_per_day_with_full(
    factory, app_sessionmaker
):
    district_id, _ = await factory.district()
    await add_measure(app_sessionmaker, district_id)  # so the status refresh has work here
    day = date(2031, 1, 15)

    await queue_nightly(app_sessionmaker, district_id, day)
    await queue_nightly(app_sessionmaker, district_id, day)

    queued = await nightly_queued(app_sessionmaker, district_id, day)
    # Written out: a nightly job dropped by mistake fails here. recount_schools has work: the
    # new district's count was never stored. The district has no buses, ledger, plans or
    # adoptions, so those areas' jobs are not queued at all.
    assert queued == [
        ("recount_schools", {"full": True}),
        ("refresh_measure_status", {"full": True}),
    ]


def test_a_nightly_job_that_follows_another_is_left_to_it():
    followers = [job for job in nightly_jobs() if job.after is not None]
    leaders = {job.name for job in nightly_jobs()}

    assert {job.name for job in followers} >= {"check_sustainability", "compute_adoption_gains"}
    assert all(job.after in leaders for job in followers)
    assert not set(queued_nightly()) & set(followers)
    assert set(queued_nightly()) | set(followers) == set(nightly_jobs())


async def test_the_nightly_run_queues_only_the_jobs_with_work_in_a_district(
    factory, app_sessionmaker
):
    """Each nightly job's ``has_work`` decides, read in the district's own transaction."""
    district_id, _ = await factory.district()
    await queue_nightly(app_sessionmaker, district_id, date(2031, 1, 17))
    first = await nightly_queued(app_sessionmaker, district_id, date(2031, 1, 17))
    # The count was stored by the first night's job: nothing is stale the next night.
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await recount_schools_job.run(session, district_id, full=True)
        await session.commit()
    await queue_nightly(app_sessionmaker, district_id, date(2031, 1, 18))
    second = await nightly_queued(app_sessionmaker, district_id, date(2031, 1, 18))

    assert first == [("recount_schools", {"full": True})]  # no measures: no status refresh
    assert second == []


async def test_the_nightly_run_reaches_a_district_created_just_now(
    factory, app_sessionmaker, jobs_sessionmaker
):
    district_id, _ = await factory.district()
    day = date(2031, 1, 16)

    await schedule_nightly(jobs_sessionmaker, app_sessionmaker, day)

    assert await nightly_queued(app_sessionmaker, district_id, day) == [
        ("recount_schools", {"full": True})
    ]


async def test_old_job_history_is_purged_and_recent_history_kept(
    factory, app_sessionmaker, jobs_sessionmaker, admin_sessionmaker
):
    from datetime import UTC, datetime, timedelta

    from district_ppm.jobs.models import JobRun
    from workers.scheduler import purge_job_history

    district_id, _ = await factory.district()
    now = datetime.now(UTC)
    async with admin_sessionmaker() as session, session.begin():
        for age_days, label in ((45, "old"), (1, "recent")):
            finished = now - timedelta(days=age_days)
            session.add(
                JobRun(
                    district_id=district_id,
                    actor_name="recount_schools",
                    message_id=label,
                    status="succeeded",
                    started_at=finished,
                    finished_at=finished,
                )
            )
            session.add(
                OutboxMessage(
                    district_id=district_id,
                    actor_name="recount_schools",
                    payload={},
                    dedupe_key=label,
                    attempts=1,
                    dispatched_at=finished,
                )
            )
        session.add(
            OutboxMessage(
                district_id=district_id,
                actor_name="recount_schools",
                payload={},
                dedupe_key="waiting",
                attempts=0,
            )
        )

    purged = await purge_job_history(jobs_sessionmaker, keep_days=30)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        runs = list(await session.scalars(select(JobRun.message_id)))
        outbox = sorted(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert purged >= 2
    assert runs == ["recent"] and outbox == ["recent", "waiting"]
