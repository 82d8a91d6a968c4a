"""The schools area's job: the district's school count, kept current after schools change."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.models import DistrictStats
from district_ppm.jobs.registry import job
from district_ppm.schools.models import School

# Exactly when the nightly run would write: the stored count is missing or wrong.
COUNT_IS_STALE = (
    "(SELECT count(*) FROM schools WHERE district_id = :district_id) IS DISTINCT FROM "
    "(SELECT school_count FROM district_stats WHERE district_id = :district_id)"
)


@job("recount_schools", nightly=True, has_work=COUNT_IS_STALE)
async def recount_schools_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """The district's school count, stored with when it was taken (always a full count).

    After a write the count is stored, changed or not (its ``computedAt`` moves past the
    write); the nightly ``full`` run writes only a count that changed.
    """
    count = await session.scalar(
        select(func.count()).select_from(School).where(School.district_id == district_id)
    )
    if full:
        stored = await session.scalar(
            select(DistrictStats.school_count).where(DistrictStats.district_id == district_id)
        )
        if stored == (count or 0):
            return
    stmt = insert(DistrictStats).values(
        district_id=district_id, school_count=count or 0, computed_at=func.now()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["district_id"],
            set_={"school_count": stmt.excluded.school_count, "computed_at": func.now()},
        )
    )
