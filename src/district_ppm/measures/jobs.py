"""The worker job that keeps status and trend rows current after writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.service import enqueue_job

REFRESH_ACTOR = "refresh_measure_status"


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
            actor_name=REFRESH_ACTOR,
            payload={"measure_id": str(measure_id)},
            dedupe_key=f"measure:{measure_id}",
        )
