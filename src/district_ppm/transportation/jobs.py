"""The transportation area's job: instructional time lost, recomputed after runs change."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.transportation.timeloss import recompute_time_loss

# Routes whose runs to sum, or roll-ups to clear.
HAS_BUSES = (
    "EXISTS (SELECT 1 FROM bus_routes WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM time_loss_route_months WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM time_loss_rollups WHERE district_id = :district_id)"
)


@job("recompute_time_loss", nightly=True, has_work=HAS_BUSES)
async def recompute_time_loss_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """The (route, month) roll-ups marked stale, or all of them when ``full``; the dirty marks
    it consumes stay for a redelivered message if the run fails (one transaction)."""
    await recompute_time_loss(session=session, district_id=district_id, full=full)
