"""The nightly scheduler queues one job per district and actor, once per day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from workers.scheduler import NIGHTLY_ACTORS, schedule_nightly


async def test_nightly_jobs_are_queued_once_per_district_per_day(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    day = date(2031, 1, 15)

    await schedule_nightly(app_sessionmaker, day)
    await schedule_nightly(app_sessionmaker, day)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        queued = list(
            await session.scalars(
                select(OutboxMessage.actor_name).where(
                    OutboxMessage.dedupe_key == f"nightly:{day.isoformat()}"
                )
            )
        )
    assert sorted(queued) == sorted(NIGHTLY_ACTORS)
