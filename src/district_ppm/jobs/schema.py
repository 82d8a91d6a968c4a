"""GraphQL: the district's background jobs, waiting and recently failed (for its admins)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ADMIN
from district_ppm.jobs.models import JobRun
from district_ppm.jobs.service import pending_jobs

SHOWN = 50


@strawberry.type(description="A job committed to the outbox and not yet handed to a worker.")
class PendingJob:
    id: strawberry.ID
    actor_name: str
    queued_at: datetime


@strawberry.type(description="A job run that failed; the broker retries it with backoff.")
class FailedJobRun:
    message_id: str
    actor_name: str
    finished_at: datetime
    error: str | None


@strawberry.type
class JobsOverview:
    pending: list[PendingJob]
    recent_failures: list[FailedJobRun]


@strawberry.type
class JobQueries:
    @strawberry.field(
        permission_classes=[ADMIN],
        description=f"Up to {SHOWN} waiting jobs (oldest first) and {SHOWN} latest failures.",
    )
    async def jobs(self, info: Info) -> JobsOverview:
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            waiting = (await pending_jobs(session=session, district_id=district_id))[:SHOWN]
            failed = list(
                await session.scalars(
                    select(JobRun)
                    .where(JobRun.district_id == district_id, JobRun.status == "failed")
                    .order_by(JobRun.finished_at.desc())
                    .limit(SHOWN)
                )
            )
        return JobsOverview(
            pending=[
                PendingJob(
                    id=strawberry.ID(str(job.id)),
                    actor_name=job.actor_name,
                    queued_at=job.created_at,
                )
                for job in waiting
            ],
            recent_failures=[
                FailedJobRun(
                    message_id=run.message_id,
                    actor_name=run.actor_name,
                    finished_at=run.finished_at,
                    error=run.error,
                )
                for run in failed
            ],
        )
