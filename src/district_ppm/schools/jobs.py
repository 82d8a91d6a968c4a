"""The schools area's job: the district's school count, kept current after schools change."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.models import DistrictStats
from district_ppm.jobs.registry import job
from district_ppm.schools.models import School


@job("recount_schools", nightly=True)
async def recount_schools_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """The district's school count, stored with when it was taken (always a full count)."""
    count = await session.scalar(
        select(func.count()).select_from(School).where(School.district_id == district_id)
    )
    stmt = insert(DistrictStats).values(
        district_id=district_id, school_count=count or 0, computed_at=func.now()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["district_id"],
            set_={"school_count": stmt.excluded.school_count, "computed_at": func.now()},
        )
    )
