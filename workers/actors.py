"""Actors: each takes the district id (and the outbox id it came from) and runs one job."""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from district_ppm.jobs import service as jobs
from workers.broker import broker
from workers.db import worker_sessionmaker

broker.add_middleware(CurrentMessage())

RETRY: dict[str, Any] = {"max_retries": 8, "min_backoff": 1_000, "max_backoff": 300_000}


def _message_id() -> str:
    message = CurrentMessage.get_current_message()
    return message.message_id if message else "direct"


@dramatiq.actor(queue_name="rollups", **RETRY)
async def recount_schools(district_id: str, **_: object) -> None:
    await jobs.run_job(
        sessionmaker=worker_sessionmaker(),
        district_id=uuid.UUID(district_id),
        actor_name="recount_schools",
        message_id=_message_id(),
        body=jobs.recount_schools,
    )


from workers import measures, transportation  # noqa: E402, F401 - declare their actors too
