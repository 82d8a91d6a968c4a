"""Shared set-up moved from test_measures_round_trip.py."""

from __future__ import annotations

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.measures.models import MeasureDirtyMark


async def pending_jobs(app_sessionmaker, district_id) -> list[tuple[str, dict]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))
        )
        return [(m.actor_name, m.payload) for m in rows]


async def marked_measures(app_sessionmaker, district_id) -> list[str]:
    """The measures marked for the district's next status refresh."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(select(MeasureDirtyMark.measure_id).distinct())
        return sorted(str(measure_id) for measure_id in rows)
