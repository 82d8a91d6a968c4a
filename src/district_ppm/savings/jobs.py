"""The savings area's job: the roll-ups behind savingsSummary, after every ledger write."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.jobs.service import enqueue_job
from district_ppm.savings.rollup import recompute_savings_rollups


@job("rollup_savings", nightly=True)
async def rollup_savings_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> None:
    """Every fiscal year's roll-ups from the whole ledger, summed set-based (20,000 entries of
    300 projects take about a quarter of a second), so ``full`` changes nothing: each run is a
    full one. Nightly, it also picks up what other areas changed under the ledger (a project's
    process, an adoption's practice)."""
    await recompute_savings_rollups(session=session, district_id=district_id)


async def enqueue_rollup(*, session: AsyncSession, district_id: uuid.UUID) -> None:
    """Queue the roll-up when the caller commits; a burst of writes coalesces into one run."""
    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=rollup_savings_job.name,
        dedupe_key="district",
    )
