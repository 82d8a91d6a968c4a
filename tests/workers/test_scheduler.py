"""The nightly scheduler queues one job per district and actor, once per day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.registry import nightly_jobs
from workers.scheduler import queue_nightly, schedule_nightly


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
    day = date(2031, 1, 15)

    await queue_nightly(app_sessionmaker, district_id, day)
    await queue_nightly(app_sessionmaker, district_id, day)

    queued = await nightly_queued(app_sessionmaker, district_id, day)
    # The foundation's three are written out: a nightly job dropped by mistake fails here.
    assert {name for name, _ in queued} >= {
        "recompute_time_loss",
        "recount_schools",
        "refresh_measure_status",
    }
    assert queued == sorted((job.name, {"full": True}) for job in nightly_jobs())


async def test_the_nightly_run_reaches_a_district_created_just_now(
    factory, app_sessionmaker, jobs_sessionmaker
):
    district_id, _ = await factory.district()
    day = date(2031, 1, 16)

    await schedule_nightly(jobs_sessionmaker, app_sessionmaker, day)

    assert len(await nightly_queued(app_sessionmaker, district_id, day)) == len(nightly_jobs())


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
