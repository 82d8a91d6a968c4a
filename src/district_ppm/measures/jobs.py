"""The measures area's job: keep status and trend rows current after writes.

A write marks the measures whose data it changed (``measure_dirty_marks``, in the writer's
transaction) and queues one refresh for the district. While that job waits in the outbox,
every later write of the district joins it, however many measures it touches: a burst of
writes becomes one refresh of the measures it touched.

The job takes the marks it can see (deleting them as it reads them), then reads the data: a
mark is visible only once its writer has committed, so the data the job reads includes that
write. A write that commits after the job took the marks leaves a mark of its own (the key
carries the writer's transaction id, so it never merges into a mark the job already took),
and its own enqueue queues the next job: no write is lost to a refresh running beside it.
If the job fails, its transaction rolls back and the marks are there for the retry.

The same job stores the latest point of each marked measure's district-wide control chart
(``measures.latest_points``; the nightly run, of every measure whose stored one is missing or
computed with other chart settings) and how many values each of its periods holds
(``measures.period_counts``; the nightly run, of every measure whose counts changed), and
every series of the measures sustainability plans check, as its chart told it at each period
(``measures.series_signals``; the nightly run, of every series that changed): a stored point,
count or series is exact while its measure has no mark.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.jobs.registry import job
from district_ppm.jobs.service import enqueue_job
from district_ppm.measures.latest_points import store_latest_points
from district_ppm.measures.period_counts import store_period_counts
from district_ppm.measures.refresh import RefreshReads, refresh_measure_status
from district_ppm.measures.series_signals import store_series_signals

# Within one transaction the key (district, measure, transaction) repeats: one mark per
# measure however many statements of the transaction write to it.
_MARK_SQL = text(
    "INSERT INTO measure_dirty_marks (district_id, measure_id) "
    "SELECT :district_id, unnest(CAST(:measure_ids AS uuid[])) ON CONFLICT DO NOTHING"
)
_TAKE_MARKS_SQL = text(
    "DELETE FROM measure_dirty_marks WHERE district_id = :district_id RETURNING measure_id"
)


# The nightly run has something to look at wherever the district has measures.
HAS_MEASURES = "EXISTS (SELECT 1 FROM measures WHERE district_id = :district_id)"


@job("refresh_measure_status", nightly=True, has_work=HAS_MEASURES)
async def refresh_measure_status_job(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    full: bool = False,
    measure_id: str | None = None,
) -> bool:
    """The measures marked since the last refresh; every measure for the nightly ``full`` run
    (which takes the marks too). ``measure_id``: a message queued by an earlier build, which
    queued one job per measure and marked nothing.

    False when there was nothing to refresh (an earlier run took this job's marks): the jobs
    that follow a refresh have nothing new to see.
    """
    written = await take_marks(session=session, district_id=district_id)
    if measure_id is not None:
        written.add(uuid.UUID(measure_id))
    if not full and not written:
        return False
    reads = RefreshReads()
    await refresh_measure_status(
        session=session,
        district_id=district_id,
        measure_ids=None if full else sorted(written),
        written_to=written,
        reads=reads,
    )
    # In the transaction that took the marks, from the data the refresh read after taking
    # them: what makes a stored latest point exact.
    await store_latest_points(
        session=session,
        district_id=district_id,
        measures=reads.measures,
        district_series=reads.district_series,
        written=written,
    )
    await store_period_counts(
        session=session,
        district_id=district_id,
        measure_ids=[measure.id for measure in reads.measures],
        histories=reads.histories,
    )
    await store_series_signals(
        session=session, district_id=district_id, measures=reads.measures, series=reads.series
    )
    return True


async def take_marks(*, session: AsyncSession, district_id: uuid.UUID) -> set[uuid.UUID]:
    """Delete the district's committed marks and return their measures (in the caller's
    transaction: a rollback puts them back)."""
    result = await session.execute(_TAKE_MARKS_SQL, {"district_id": district_id})
    return set(result.scalars().all())


async def enqueue_refresh(
    *, session: AsyncSession, district_id: uuid.UUID, measure_ids: Iterable[uuid.UUID]
) -> None:
    """Mark the measures and queue the district's refresh, both in the caller's transaction.

    One outbox row per district (deduplicated while it waits): the marks, not the job, say
    which measures to refresh, so a waiting job never swallows a later write to another
    measure.
    """
    ids = sorted(set(measure_ids))
    if not ids:
        return
    await session.execute(_MARK_SQL, {"district_id": district_id, "measure_ids": ids})
    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=refresh_measure_status_job.name,
        dedupe_key="district",
    )
