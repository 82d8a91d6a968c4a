"""The sustainability area's jobs: store each plan's compliance verdict as of today, then its
verdict on every date (``history``)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.sustainability.compliance import store_verdicts
from district_ppm.sustainability.history import store_verdict_history
from district_ppm.tenancy.calendar import district_today

# Plans to check, or verdicts to clear.
HAS_PLANS = (
    "EXISTS (SELECT 1 FROM sustainability_plans WHERE district_id = :district_id) "
    "OR EXISTS (SELECT 1 FROM plan_compliance WHERE district_id = :district_id)"
)


@job("check_sustainability", nightly=True, after="refresh_measure_status", has_work=HAS_PLANS)
async def check_sustainability(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    plan_id: str | None = None,
    full: bool = False,
) -> None:
    """One plan after its creation or a review; every plan nightly (the date moves on, so
    periods fall due and reviews fall late with no write at all) and after every status
    refresh (a measurement or a target of a control measure changed).

    As of today in the district's time zone.
    """
    plan_ids = None if full or plan_id is None else [uuid.UUID(plan_id)]
    today = await district_today(session=session, district_id=district_id)
    await store_verdicts(session=session, district_id=district_id, as_of=today, plan_ids=plan_ids)


@job("store_verdict_history", nightly=True, after="check_sustainability", has_work=HAS_PLANS)
async def store_verdict_history_job(
    session: AsyncSession, district_id: uuid.UUID, *, full: bool = False
) -> bool:
    """Every plan's verdict on every date, after each compliance check: nightly (today moves
    on) and after every write that queued one. Always the whole district (``full`` or not): a
    write to any input moves the district's inputs version, which the whole history is valid
    for."""
    return await store_verdict_history(session=session, district_id=district_id)
