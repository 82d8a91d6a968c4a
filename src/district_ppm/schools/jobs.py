"""The schools area's job: the district's school count, kept current after schools change."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job

# Exactly when the nightly run would write: the stored count is missing or wrong.
COUNT_IS_STALE = (
    "(SELECT count(*) FROM schools WHERE district_id = :district_id) IS DISTINCT FROM "
    "(SELECT school_count FROM district_stats WHERE district_id = :district_id)"
)


# The count and the stored one, in one statement.
_COUNTS = text(
    "SELECT (SELECT count(*) FROM schools WHERE district_id = :district_id), "
    "(SELECT school_count FROM district_stats WHERE district_id = :district_id)"
)
# The count stored with when it was taken; built once (the nightly run stores thousands).
_STORE_COUNT = text(
    "INSERT INTO district_stats (district_id, school_count, computed_at) "
    "SELECT :district_id, count(*), now() FROM schools WHERE district_id = :district_id "
    "ON CONFLICT (district_id) DO UPDATE "
    "SET school_count = excluded.school_count, computed_at = now()"
)


@job("recount_schools", nightly=True, has_work=COUNT_IS_STALE)
async def recount_schools_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """The district's school count, stored with when it was taken (always a full count).

    After a write the count is stored, changed or not (its ``computedAt`` moves past the
    write); the nightly ``full`` run writes only a count that changed.
    """
    if full:
        count, stored = (await session.execute(_COUNTS, {"district_id": district_id})).one()
        if stored == count:
            return
    await session.execute(_STORE_COUNT, {"district_id": district_id})
