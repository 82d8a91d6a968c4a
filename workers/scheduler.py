"""The scheduler: once a day, every nightly job (``@job(..., nightly=True)``) for every district,
through the outbox, each with ``full=True``; a nightly job that follows another nightly job
(``after=``) runs when that one succeeds instead.

It works with two sessionmakers: ``jobs`` connects as the job runner's role, the only one that
may list every district and purge job history; ``tenants`` is the application role's, on
which each district's jobs are queued with that district set, under its row-level security.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.registry import Job, nightly_jobs
from district_ppm.jobs.service import enqueue_job, jobs_with_work

log = logging.getLogger(__name__)


async def district_ids(jobs: async_sessionmaker) -> list[uuid.UUID]:
    async with jobs() as session:
        return list((await session.scalars(text("SELECT ppm_district_ids()"))).all())


# Districts queued at once: each is a few round trips of its own transaction, so one at a time
# a thousand districts spent ten seconds mostly waiting. Within the tenants' pool (2 + 5).
SCHEDULING_CONCURRENCY = 4


async def schedule_nightly(
    jobs: async_sessionmaker,
    tenants: async_sessionmaker,
    day: date,
    concurrency: int = SCHEDULING_CONCURRENCY,
) -> int:
    """Queue the nightly jobs of ``day`` for every district, ``concurrency`` districts at once;
    idempotent for the same day (a failed call is simply repeated)."""
    semaphore = asyncio.Semaphore(concurrency)
    jobs_of_night = queued_nightly()  # the same for every district: listed once

    async def queue(district_id: uuid.UUID) -> int:
        async with semaphore:
            return await queue_nightly(tenants, district_id, day, jobs_of_night)

    return sum(await asyncio.gather(*(queue(d) for d in await district_ids(jobs))))


def queued_nightly() -> list[Job]:
    """The nightly jobs the scheduler queues: all but those that follow another nightly job.

    A follower is queued (for its whole district: no payload) each time its leader succeeds,
    which the leader's nightly run does; queued here as well it would run twice a night, the
    first time perhaps before its leader, on the figures of the day before.
    """
    nightly = nightly_jobs()
    names = {job.name for job in nightly}
    return [job for job in nightly if job.after not in names]


async def queue_nightly(
    tenants: async_sessionmaker,
    district_id: uuid.UUID,
    day: date,
    nightly: Sequence[Job] | None = None,
) -> int:
    """Queue the nightly jobs for one district (``full=True``) that have work there (their
    ``has_work`` condition); a second call the same day adds nothing while the first day's
    jobs wait. Returns how many it queued. ``nightly``: ``queued_nightly()``, when known."""
    async with tenant_transaction(tenants, district_id) as session:
        jobs = await jobs_with_work(
            session, district_id, queued_nightly() if nightly is None else nightly
        )
        for job in jobs:
            await enqueue_job(
                session=session,
                district_id=district_id,
                actor_name=job.name,
                payload={"full": True},
                dedupe_key=f"nightly:{day.isoformat()}",
            )
        await session.commit()
    return len(jobs)


async def purge_job_history(jobs: async_sessionmaker, keep_days: int) -> int:
    """Delete dispatched outbox rows and job runs older than ``keep_days``; returns how many.

    The database refuses a retention under one day.
    """
    async with jobs() as session, session.begin():
        purged = await session.scalar(
            text("SELECT ppm_purge_job_history(make_interval(days => :days))"),
            {"days": keep_days},
        )
    return int(purged or 0)


async def run_scheduler(
    jobs: async_sessionmaker,
    tenants: async_sessionmaker,
    stop: asyncio.Event,
    hour_utc: int,
    keep_job_history_days: int = 30,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    last_day: date | None = None
    while not stop.is_set():
        current = now()
        if current.hour >= hour_utc and current.date() != last_day:
            try:
                count = await schedule_nightly(jobs, tenants, current.date())
                log.info("scheduled %d nightly jobs for %s", count, current.date())
                last_day = current.date()
                purged = await purge_job_history(jobs, keep_job_history_days)
                log.info("purged %d rows of job history", purged)
            except Exception:
                log.warning("nightly scheduling failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=60)
