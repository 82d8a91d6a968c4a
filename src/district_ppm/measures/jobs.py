"""The measures area's job: keep status and trend rows current after writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.jobs.service import enqueue_job
from district_ppm.measures.refresh import refresh_measure_status


@job("refresh_measure_status", nightly=True)
async def refresh_measure_status_job(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    measure_id: str | None = None,
    full: bool = False,
) -> None:
    """One measure's rows after a write; every measure's for the nightly ``full`` run."""
    measure_ids = None if full or measure_id is None else [uuid.UUID(measure_id)]
    await refresh_measure_status(session=session, district_id=district_id, measure_ids=measure_ids)


async def enqueue_refresh(
    *, session: AsyncSession, district_id: uuid.UUID, measure_ids: Iterable[uuid.UUID]
) -> None:
    """Queue one status refresh per measure, after the caller commits.

    One outbox row per measure (deduplicated while pending), so a waiting job for measure A
    never swallows a later write to measure B.
    """
    for measure_id in sorted(set(measure_ids)):
        await enqueue_job(
            session=session,
            district_id=district_id,
            actor_name=refresh_measure_status_job.name,
            payload={"measure_id": str(measure_id)},
            dedupe_key=f"measure:{measure_id}",
        )
