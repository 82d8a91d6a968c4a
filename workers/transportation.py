"""The time-loss recompute actor: one district at a time, incremental unless told ``full``."""

from __future__ import annotations

import uuid

import dramatiq
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs import service as jobs
from district_ppm.transportation.service import RECOMPUTE_ACTOR
from district_ppm.transportation.timeloss import recompute_time_loss as recompute
from workers.actors import RETRY, _message_id
from workers.db import worker_sessionmaker


@dramatiq.actor(actor_name=RECOMPUTE_ACTOR, queue_name="rollups", **RETRY)
async def recompute_time_loss(district_id: str, full: bool = False, **_: object) -> None:
    """Runs under ``run_job``: the district's advisory lock serializes recomputes, the job's
    single transaction makes a killed or failed run leave nothing half-written, and the
    dirty marks it would have consumed stay for the redelivered message."""

    async def body(session: AsyncSession, district: uuid.UUID) -> None:
        await recompute(session=session, district_id=district, full=full)

    await jobs.run_job(
        sessionmaker=worker_sessionmaker(),
        district_id=uuid.UUID(district_id),
        actor_name=RECOMPUTE_ACTOR,
        message_id=_message_id(),
        body=body,
    )
