"""The practices area's job: keep every adoption's stored gains current."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.practices.gains import compute_adoption_gains

# Adoptions whose gains to compute, or gains to clear.
HAS_ADOPTIONS = (
    "EXISTS (SELECT 1 FROM adoptions WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM adoption_gains WHERE district_id = :district_id)"
)


# After every status refresh: that job follows each measurement and target write, and a
# measurement of a practice's measure at an adopting school moves that adoption's gains.
@job(
    "compute_adoption_gains",
    nightly=True,
    after="refresh_measure_status",
    has_work=HAS_ADOPTIONS,
)
async def compute_adoption_gains_job(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    adoption_id: str | None = None,
    full: bool = False,
) -> None:
    """One adoption's gains when it is recorded; every adoption's otherwise."""
    adoption_ids = None if full or adoption_id is None else [uuid.UUID(adoption_id)]
    await compute_adoption_gains(
        session=session, district_id=district_id, adoption_ids=adoption_ids
    )
