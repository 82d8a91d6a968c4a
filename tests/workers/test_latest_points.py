"""Stored latest chart points (measures.latest_points): the status refresh job stores them, and
a reader takes a stored one only while it is exact; otherwise it computes from the data. Every
answer equals the one computed from the data, whatever the job has or has not run."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from sqlalchemy import select, text

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.charts import exclude_point, rebase_chart
from district_ppm.measures.charts_models import ChartSignal
from district_ppm.measures.latest_points import (
    chart_settings,
    read_periods,
    unfavorable_latest_points,
)
from district_ppm.measures.models import Direction, Frequency, MeasureLevel, Stage, Unit
from district_ppm.measures.recording import MeasurementValue, record_measurements
from district_ppm.measures.rows import measure_rows
from district_ppm.measures.service import MeasureCreate, create_measure
from district_ppm.schools.models import SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school
from district_ppm.sustainability.periods import add_months
from tests.support.jobs import run_refresh_job

START = date(2024, 1, 1)
# Twelve months in control, then one far below: unfavorable when higher is better.
STEADY = [50.0, 51.0, 49.0, 50.5, 49.5, 50.0, 51.5, 48.5, 50.0, 50.2, 49.8, 50.0]
SERIES = [*STEADY, 20.0]


def months(values: list[float], school_id: uuid.UUID | None = None) -> list[MeasurementValue]:
    return [
        MeasurementValue(add_months(START, k), value, school_id) for k, value in enumerate(values)
    ]


async def build(app_sessionmaker: Any, district_id: uuid.UUID) -> list[uuid.UUID]:
    """A DISTRICT-level measure, a SCHOOL-level one (MEAN of two schools) and one weighted by
    enrollments, each ending on an unfavorable point."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        schools = [
            (
                await create_school(
                    session=session,
                    district_id=district_id,
                    data=SchoolCreate(name, SchoolLevel.ELEMENTARY, time(8), None, 300 + k),
                    today=date(2025, 1, 1),
                )
            ).id
            for k, name in enumerate(("Alder", "Birch"))
        ]
        ids = []
        for code, level, aggregation in (
            ("D", MeasureLevel.DISTRICT, None),
            ("S", MeasureLevel.SCHOOL, Aggregation.MEAN),
            ("W", MeasureLevel.SCHOOL, Aggregation.ENROLLMENT_WEIGHTED_MEAN),
        ):
            measure = await create_measure(
                session=session,
                district_id=district_id,
                data=MeasureCreate(
                    code=code,
                    name=code,
                    unit=Unit.PERCENT,
                    direction=Direction.HIGHER_IS_BETTER,
                    stage=Stage.OUTPUT,
                    frequency=Frequency.MONTHLY,
                    level=level,
                    aggregation=aggregation,
                ),
            )
            values = (
                months(SERIES)
                if level is MeasureLevel.DISTRICT
                else [*months(SERIES, schools[0]), *months([v + 1 for v in SERIES], schools[1])]
            )
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure.id,
                values=values,
                recorded_by="test",
            )
            ids.append(measure.id)
        await session.commit()
    return ids


async def answers(app_sessionmaker: Any, district_id: uuid.UUID) -> tuple[dict, dict]:
    """(what the reader answers, what the data say), in one transaction."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        measures = await measure_rows(session=session, district_id=district_id)
        found = await unfavorable_latest_points(
            session=session, district_id=district_id, measures=measures
        )
        settings = await chart_settings(
            session=session, district_id=district_id, ids=[m.id for m in measures]
        )
        periods = await read_periods(session=session, district_id=district_id, measures=measures)
        expected = {}
        for measure in measures:
            latest = settings.latest_point(measure, periods)
            if latest is not None and latest[1]:
                expected[measure.id] = latest[0]
    return found, expected


async def stored(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[uuid.UUID, Any]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            select(ChartSignal.measure_id, ChartSignal.latest_period, ChartSignal.unfavorable)
        )
        return {row.measure_id: (row.latest_period, row.unfavorable) for row in rows}


async def falsify(app_sessionmaker: Any, district_id: uuid.UUID) -> None:
    """Turn every stored point's verdict over: an answer that changes came from them."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(
            text("UPDATE measure_chart_signals SET unfavorable = NOT unfavorable")
        )
        await session.commit()


async def test_stored_points_are_used_only_while_exact(app_sessionmaker, factory):
    district_id, _ = await factory.district()
    d, s, w = await build(app_sessionmaker, district_id)
    last = add_months(START, len(SERIES) - 1)

    # Nothing stored yet: computed.
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == expected == {d: last, s: last, w: last}

    # The job stores the points it refreshed (never the measure weighted by enrollments).
    await run_refresh_job(app_sessionmaker, district_id, full=False)
    assert await stored(app_sessionmaker, district_id) == {d: (last, True), s: (last, True)}
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == expected
    await falsify(app_sessionmaker, district_id)
    found, _ = await answers(app_sessionmaker, district_id)
    assert found == {w: last}  # the stored points were read

    # A committed write marks its measure: computed until the job has run.
    following = add_months(last, 1)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await record_measurements(
            session=session,
            district_id=district_id,
            measure_id=d,
            values=[MeasurementValue(following, 20.0)],
            recorded_by="test",
        )
        await session.commit()
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == {d: following, w: last}  # s still reads its falsified row
    assert expected == {d: following, s: last, w: last}
    await run_refresh_job(app_sessionmaker, district_id, full=False)
    assert (await stored(app_sessionmaker, district_id))[d] == (following, True)

    # A rebase or an exclusion the row was not computed with: computed.
    await run_refresh_job(app_sessionmaker, district_id, full=True)  # s is stored as it is
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == {d: following, w: last}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await exclude_point(
            session=session,
            district_id=district_id,
            measure_id=s,
            school_id=None,
            period_start=START,
            reason="strike",
            created_by="test",
        )
        await session.commit()
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == expected == {d: following, s: last, w: last}
    await falsify(app_sessionmaker, district_id)  # d's row says favorable now
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await rebase_chart(
            session=session,
            district_id=district_id,
            measure_id=d,
            school_id=None,
            start_period=add_months(START, 1),
            reason="new routing",
            created_by="test",
        )
        await session.commit()
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == expected == {d: following, s: last, w: last}

    # The nightly run stores what no longer matched; a quiet one changes nothing.
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    rows = await stored(app_sessionmaker, district_id)
    assert rows == {d: (following, True), s: (last, True)}
    found, expected = await answers(app_sessionmaker, district_id)
    assert found == expected
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    assert await stored(app_sessionmaker, district_id) == rows
