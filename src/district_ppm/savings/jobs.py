"""The savings area's job: the roll-ups behind savingsSummary, after every ledger write."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.jobs.service import enqueue_job
from district_ppm.savings.rollup import recompute_savings_rollups

# A ledger to sum, or roll-ups to clear.
HAS_LEDGER = (
    "EXISTS (SELECT 1 FROM savings_entries WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM savings_category_rollups WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM savings_rollups WHERE district_id = :district_id)"
)


@job("rollup_savings", nightly=True, has_work=HAS_LEDGER)
async def rollup_savings_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """Every fiscal year's roll-ups from the whole ledger, summed set-based (20,000 entries of
    300 projects take about a quarter of a second): each run is a full one. Nightly (``full``),
    it also picks up what other areas changed under the ledger (a project's process, an
    adoption's practice), and writes only what changed, ``computedAt`` included."""
    await recompute_savings_rollups(session=session, district_id=district_id, stamp=not full)


async def enqueue_rollup(*, session: AsyncSession, district_id: uuid.UUID) -> None:
    """Queue the roll-up when the caller commits; a burst of writes coalesces into one run."""
    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=rollup_savings_job.name,
        dedupe_key="district",
    )
