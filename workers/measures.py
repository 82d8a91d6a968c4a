"""Actors of the measures area: keep status and trend rows current after writes."""

from __future__ import annotations

import functools
import uuid

import dramatiq

from district_ppm.jobs import service as jobs
from district_ppm.measures.jobs import REFRESH_ACTOR
from district_ppm.measures.refresh import refresh_measure_status as refresh
from workers.actors import RETRY, _message_id
from workers.db import worker_sessionmaker


async def _refresh(session, district_id, *, measure_ids):  # type: ignore[no-untyped-def]
    await refresh(session=session, district_id=district_id, measure_ids=measure_ids)


@dramatiq.actor(actor_name=REFRESH_ACTOR, queue_name="rollups", **RETRY)
async def refresh_measure_status(
    district_id: str, measure_id: str | None = None, full: bool = False, **_: object
) -> None:
    """One measure's rows after a write; every measure's for the nightly ``full`` run."""
    measure_ids = None if full or measure_id is None else [uuid.UUID(measure_id)]
    await jobs.run_job(
        sessionmaker=worker_sessionmaker(),
        district_id=uuid.UUID(district_id),
        actor_name=REFRESH_ACTOR,
        message_id=_message_id(),
        body=functools.partial(_refresh, measure_ids=measure_ids),
    )
