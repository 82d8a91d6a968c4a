"""The status refresh at tenant scale: one job per district per burst of writes, no write lost
to a refresh running beside it, and only changed rows written."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.service import lock_district
from district_ppm.measures import jobs as measures_jobs
from district_ppm.measures.jobs import refresh_measure_status_job, take_marks
from district_ppm.measures.models import (
    Direction,
    Frequency,
    MeasureLevel,
    Measurement,
    MeasureStatus,
    Stage,
    Unit,
)
from district_ppm.measures.recording import MeasurementValue, record_measurements
from district_ppm.measures.refresh import refresh_measure_status
from district_ppm.measures.series_signals import series_history
from district_ppm.measures.service import MeasureCreate, TargetSet, create_measure, set_target
from tests.support.improvement import create_project
from tests.support.jobs import (
    HandRun,
    marked_measures,
    pending_jobs,
    stored_period_counts,
    stored_series,
)
from tests.support.sustainability import create_plan

PERIOD = date(2025, 9, 1)  # school year 2026
YEAR = 2026
REFRESH = refresh_measure_status_job.name


async def add_measures(app_sessionmaker: Any, district_id: uuid.UUID, n: int) -> list[uuid.UUID]:
    """``n`` DISTRICT-level monthly measures with a target for 2026."""
    ids = []
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for k in range(n):
            measure = await create_measure(
                session=session,
                district_id=district_id,
                data=MeasureCreate(
                    code=f"M{k:02d}",
                    name=f"Measure {k}",
                    unit=Unit.PERCENT,
                    direction=Direction.HIGHER_IS_BETTER,
                    stage=Stage.OUTPUT,
                    frequency=Frequency.MONTHLY,
                    level=MeasureLevel.DISTRICT,
                ),
            )
            ids.append(measure.id)
        await session.commit()
    return ids


async def write(
    session: Any, district_id: uuid.UUID, measure_id: uuid.UUID, value: float, period: date = PERIOD
) -> None:
    await record_measurements(
        session=session,
        district_id=district_id,
        measure_id=measure_id,
        values=[MeasurementValue(period, value)],
        recorded_by="test",
    )


async def record(
    app_sessionmaker: Any, district_id: uuid.UUID, measure_id: uuid.UUID, value: float
) -> None:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await write(session, district_id, measure_id, value)
        await session.commit()


REFRESHES = HandRun(refresh_measure_status_job)


async def statuses(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[uuid.UUID, Any]:
    """The district-wide status row of each measure for 2026."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(
            select(MeasureStatus).where(
                MeasureStatus.school_id.is_(None), MeasureStatus.school_year == YEAR
            )
        )
        return {row.measure_id: row for row in rows}


async def stored_values(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[uuid.UUID, float]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            select(Measurement.measure_id, Measurement.value).where(
                Measurement.period_start == PERIOD
            )
        )
        return {measure_id: value for measure_id, value in rows}


async def test_a_burst_of_writes_to_many_measures_queues_one_refresh_of_the_district(
    factory, app_sessionmaker
):
    district_id, _ = await factory.district()
    measures = await add_measures(app_sessionmaker, district_id, 12)

    for k, measure_id in enumerate(measures):  # twelve transactions, one measure each
        await record(app_sessionmaker, district_id, measure_id, 80.0 + k)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for measure_id in measures[:4]:  # and targets for four of them
            await set_target(
                session=session,
                district_id=district_id,
                data=TargetSet(measure_id, YEAR, 82.0, 81.0),
            )
        await session.commit()

    assert await pending_jobs(app_sessionmaker, district_id) == [(REFRESH, {})]
    assert await marked_measures(app_sessionmaker, district_id) == sorted(map(str, measures))
    assert await REFRESHES.drain(app_sessionmaker, district_id) == 1
    refreshed = await statuses(app_sessionmaker, district_id)
    assert {m: refreshed[m].latest_value for m in measures} == {
        m: 80.0 + k for k, m in enumerate(measures)
    }
    assert [refreshed[m].status for m in measures[:5]] == [
        "RED",
        "AMBER",
        "GREEN",
        "GREEN",
        "NO_TARGET",
    ]
    assert await marked_measures(app_sessionmaker, district_id) == []


async def test_a_write_committed_during_a_refresh_is_refreshed_by_the_next_job(
    factory, app_sessionmaker
):
    """The window that loses writes when marks merge (one row per measure, ON CONFLICT DO
    NOTHING): a writer marks a measure already marked, the refresh takes that mark and reads
    the data before the writer commits, and nothing is left to refresh the write."""
    district_id, _ = await factory.district()
    (measure_id,) = await add_measures(app_sessionmaker, district_id, 1)
    await record(app_sessionmaker, district_id, measure_id, 50.0)  # marked, job pending

    async with tenant_transaction(app_sessionmaker, district_id) as writer:
        await write(writer, district_id, measure_id, 60.0)  # marks it again, not committed
        async with tenant_transaction(app_sessionmaker, district_id) as job:
            await lock_district(job, district_id, REFRESH)
            taken = await take_marks(session=job, district_id=district_id)
            await refresh_measure_status(
                session=job, district_id=district_id, measure_ids=sorted(taken), written_to=taken
            )
            await writer.commit()  # after the refresh read the data, before it commits
            await job.commit()

    assert taken == {measure_id}
    assert (await statuses(app_sessionmaker, district_id))[measure_id].latest_value == 50.0
    assert await marked_measures(app_sessionmaker, district_id) == [str(measure_id)]
    assert await pending_jobs(app_sessionmaker, district_id) == [(REFRESH, {})]
    await REFRESHES.drain(app_sessionmaker, district_id)
    assert (await statuses(app_sessionmaker, district_id))[measure_id].latest_value == 60.0


async def test_racing_writers_and_refreshes_leave_every_status_at_its_last_value(
    gql, factory, app_sessionmaker, monkeypatch
):
    """Writers on the measures of one district, in random order, while two workers relay and
    run its refresh jobs; pauses inside both widen the windows where a write could be lost."""
    district_id, token = await factory.district()
    measures = await add_measures(app_sessionmaker, district_id, 6)
    # A sustainability plan checks them: the refreshes store their series too.
    project = await create_project(gql, token)
    await create_plan(gql, token, project["id"], [str(m) for m in measures])
    rng = random.Random(12)
    real_refresh = measures_jobs.refresh_measure_status

    async def slow_refresh(**kwargs: Any) -> int:
        await asyncio.sleep(rng.uniform(0, 0.02))  # after taking the marks
        written = await real_refresh(**kwargs)
        await asyncio.sleep(rng.uniform(0, 0.02))  # after reading the data, before commit
        return written

    monkeypatch.setattr(measures_jobs, "refresh_measure_status", slow_refresh)
    writing = True

    async def writer(w: int) -> None:
        for i in range(12):
            async with tenant_transaction(app_sessionmaker, district_id) as session:
                # In key order, as one batch of the API writes them: writers of several
                # measures in one transaction in opposite orders would deadlock each other.
                for measure_id in sorted(rng.sample(measures, 3)):
                    await write(session, district_id, measure_id, float(w * 100 + i))
                    # and a month of an earlier school year: the periods' counts move too
                    month = date(2024, rng.randint(1, 12), 1)
                    await write(session, district_id, measure_id, float(i), month)
                await asyncio.sleep(rng.uniform(0, 0.01))  # written, not yet committed
                await session.commit()

    async def worker() -> None:
        while writing:
            for row in await REFRESHES.dispatch_pending(app_sessionmaker, district_id):
                await REFRESHES.run(app_sessionmaker, district_id, str(row.id))
            await asyncio.sleep(rng.uniform(0, 0.01))

    workers = [asyncio.create_task(worker()) for _ in range(2)]
    await asyncio.gather(*(writer(w) for w in range(4)))
    writing = False
    await asyncio.gather(*workers)
    await REFRESHES.drain(app_sessionmaker, district_id)

    last = await stored_values(app_sessionmaker, district_id)
    refreshed = await statuses(app_sessionmaker, district_id)
    assert set(last) == set(measures)
    assert {m: refreshed[m].latest_value for m in measures} == last
    assert await marked_measures(app_sessionmaker, district_id) == []
    # The periods' counts the refreshes stored are those of the data (measures.period_counts).
    assert await stored_period_counts(app_sessionmaker, district_id) == await counted_periods(
        app_sessionmaker, district_id
    )
    # And the series they stored are those of the data (measures.series_signals).
    stored = await stored_series(app_sessionmaker, district_id)
    measured = await measured_series(app_sessionmaker, district_id)
    assert {key: value[:2] for key, value in stored.items()} == measured
    for key, (periods, values) in measured.items():
        charted = series_history(
            list(zip(periods, values, strict=True)),
            start=None,
            exclusions=(),
            higher_is_better=True,
        )
        assert stored[key][2] == charted.out_of_control


async def measured_series(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[Any, Any]:
    """Each district-wide series as the data stand: (periods, values), by (measure, None)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT measure_id, array_agg(period_start ORDER BY period_start), "
                "array_agg(value ORDER BY period_start) FROM measurements GROUP BY measure_id"
            )
        )
        return {(row[0], None): (row[1], row[2]) for row in rows}


async def counted_periods(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[Any, Any]:
    """What measures.period_counts.counts_of gives from the data as it stands."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT measure_id, array_agg(period_start ORDER BY period_start), "
                "array_agg(schools ORDER BY period_start), "
                "array_agg(district_wide ORDER BY period_start) "
                "FROM (SELECT measure_id, period_start, count(school_id)::int AS schools, "
                "bool_or(school_id IS NULL) AS district_wide FROM measurements "
                "GROUP BY measure_id, period_start) AS counted GROUP BY measure_id"
            )
        )
        return {str(row[0]): tuple(row[1:]) for row in rows}


async def test_a_refresh_with_nothing_left_to_do_queues_no_followers(
    factory, app_sessionmaker, monkeypatch
):
    district_id, _ = await factory.district()
    await add_measures(app_sessionmaker, district_id, 1)
    # Every follower would find work here: the question is whether it is asked at all.
    from district_ppm.jobs import registry

    for follower in registry.followers_of(REFRESH):
        monkeypatch.setitem(
            registry._jobs, follower.name, registry.Job(**{**_fields(follower), "has_work": None})
        )

    await REFRESHES.run(app_sessionmaker, district_id, "nothing-marked")
    assert await pending_jobs(app_sessionmaker, district_id) == []

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        measure_id = (await session.scalars(text("SELECT id FROM measures"))).one()
    await record(app_sessionmaker, district_id, measure_id, 70.0)
    await REFRESHES.drain(app_sessionmaker, district_id)
    followers = sorted(job.name for job in registry.followers_of(REFRESH))
    assert sorted(name for name, _ in await pending_jobs(app_sessionmaker, district_id)) == (
        followers
    )


def _fields(job: Any) -> dict[str, Any]:
    return {name: getattr(job, name) for name in job.__dataclass_fields__}


async def row_versions(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[Any, tuple]:
    """(row version, computed_at) of each status row: xmin moves only when a row is written."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text("SELECT measure_id, school_year, xmin::text, computed_at FROM measure_statuses")
        )
        return {(m, y): (xmin, at) for m, y, xmin, at in rows}


async def test_the_nightly_refresh_writes_only_rows_whose_figures_changed(
    factory, app_sessionmaker
):
    district_id, _ = await factory.district()
    a, b = await add_measures(app_sessionmaker, district_id, 2)
    for measure_id in (a, b):
        await record(app_sessionmaker, district_id, measure_id, 70.0)
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            await set_target(
                session=session, district_id=district_id, data=TargetSet(measure_id, 2027, 80, 60)
            )
            await session.commit()
    await REFRESHES.drain(app_sessionmaker, district_id)
    first = await row_versions(app_sessionmaker, district_id)

    written = []
    for _ in range(2):  # two quiet nights
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            written.append(await refresh_measure_status(session=session, district_id=district_id))
            await session.commit()
    quiet = await row_versions(app_sessionmaker, district_id)

    # A write to a only: a's rows are recomputed and stamped (computedAt passes the write,
    # as the API promises, even for the 2027 row, whose figures did not change); b's are not
    # touched.
    await record(app_sessionmaker, district_id, a, 90.0)
    await REFRESHES.drain(app_sessionmaker, district_id)
    after_write = await row_versions(app_sessionmaker, district_id)

    assert sorted(first) == sorted([(a, 2026), (a, 2027), (b, 2026), (b, 2027)])
    assert written == [0, 0]
    assert quiet == first
    assert {key: after_write[key] for key in after_write if key[0] == b} == {
        key: first[key] for key in first if key[0] == b
    }
    for key in [(a, 2026), (a, 2027)]:
        assert after_write[key][0] != first[key][0]
        assert after_write[key][1] > first[key][1]
    refreshed = await statuses(app_sessionmaker, district_id)
    assert (refreshed[a].latest_value, refreshed[a].status) == (90.0, "NO_TARGET")


async def test_the_outbox_row_of_a_refresh_names_no_measure(factory, app_sessionmaker):
    """One row per district, whatever it touched: the dedupe key says so."""
    district_id, _ = await factory.district()
    measures = await add_measures(app_sessionmaker, district_id, 3)
    for measure_id in measures:
        await record(app_sessionmaker, district_id, measure_id, 1.0)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        keys = list(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.actor_name == REFRESH)
            )
        )
    assert keys == ["district"]
