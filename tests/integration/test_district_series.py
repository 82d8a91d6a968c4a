"""governance.signals.district_series (PostgreSQL groups the schools' values by period) gives
every measure the same district-wide series as measures.series.load_district_series (the rows
one by one): every aggregation, unit and level, schools missing periods, enrollments missing or
of other years, RATIO values with and without their parts.

Values are eighths, so that sums are exact whatever order the schools are added in: the
row-by-row read takes a period's schools in no fixed order, and a sum of decimals that lands on
a half (HOURS to two decimals) could round either way in it."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import insert, select

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.governance.signals import district_series
from district_ppm.measures.models import (
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Source,
    Stage,
    Unit,
)
from district_ppm.measures.series import load_district_series
from district_ppm.schools.models import School, SchoolEnrollment, SchoolLevel

PERIODS = [date(2024 + (8 + k) // 12, 1 + (8 + k) % 12, 1) for k in range(14)]  # Sep 24-Oct 25


def _measure(district_id: uuid.UUID, index: int, level: MeasureLevel, how: Aggregation, unit: Unit):  # type: ignore[no-untyped-def]
    return {
        "id": uuid.uuid4(),
        "district_id": district_id,
        "code": f"S{index:02d}",
        "name": f"Series {index}",
        "unit": unit,
        "direction": Direction.HIGHER_IS_BETTER,
        "stage": Stage.OUTPUT,
        "frequency": Frequency.MONTHLY,
        "level": level,
        "aggregation": how,
    }


async def seed(app_sessionmaker: Any, district_id: uuid.UUID) -> None:
    rng = random.Random(12)
    now = datetime.now(UTC)
    schools = [
        {
            "id": uuid.uuid4(),
            "district_id": district_id,
            "name": f"School {k}",
            "level": SchoolLevel.ELEMENTARY,
            "first_bell": time(8),
        }
        for k in range(7)
    ]
    # Enrollments of the second school year only for some, of the first only for others, none
    # for one: each case of "the year's, else the latest on record, else no weight".
    enrollments = [
        {"district_id": district_id, "school_id": s["id"], "school_year": year, "value": n}
        for k, s in enumerate(schools[:-1])
        for year, n in ((2025, 300 + 41 * k), (2026, 280 + 53 * k))
        if (k % 3, year) != (0, 2026) and (k % 3, year) != (1, 2025)
    ]
    measures = [
        _measure(district_id, index, level, how, unit)
        for index, (level, how, unit) in enumerate(
            [(MeasureLevel.DISTRICT, Aggregation.MEAN, unit) for unit in Unit]
            + [
                (MeasureLevel.SCHOOL, how, unit)
                for how in Aggregation
                for unit in (Unit.PERCENT, Unit.HOURS, Unit.COUNT, Unit.MINUTES)
            ]
        )
    ]
    values = []
    for measure in measures:
        scopes = [None] if measure["level"] is MeasureLevel.DISTRICT else [s["id"] for s in schools]
        for period in PERIODS:
            for scope in scopes:
                if scope is not None and rng.random() < 0.2:
                    continue  # this school did not report the period
                # Eighths: every sum is exact in binary, so the order the schools are added in
                # (not fixed by the row-by-row read) cannot move a half-way rounding.
                value = rng.randint(0, 800) / 8
                parts: dict[str, float | None] = {"numerator": None, "denominator": None}
                if measure["aggregation"] is Aggregation.RATIO and rng.random() < 0.9:
                    denominator = float(rng.randint(0, 40))
                    parts = {"numerator": rng.randint(0, 8 * int(denominator)) / 8,
                             "denominator": denominator}  # fmt: skip
                values.append(
                    {
                        "id": uuid.uuid4(),
                        "district_id": district_id,
                        "measure_id": measure["id"],
                        "school_id": scope,
                        "period_start": period,
                        "value": value,
                        **parts,
                        "source": Source.MANUAL,
                        "recorded_by": "test",
                        "recorded_at": now,
                    }
                )
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(insert(School), schools)
        await session.execute(
            insert(SchoolEnrollment),
            [{**e, "enrollment": e.pop("value")} for e in enrollments],
        )
        await session.execute(insert(Measure), measures)
        await session.execute(insert(Measurement), values)
        await session.commit()


async def test_every_measure_has_the_series_the_measures_area_serves(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    await seed(app_sessionmaker, district_id)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        measures = list(await session.scalars(select(Measure).order_by(Measure.code)))
        expected = await load_district_series(
            session=session, district_id=district_id, measures=measures
        )
        found = await district_series(session=session, district_id=district_id, measures=measures)

    assert len(measures) == len(Unit) + len(Aggregation) * 4
    assert all(len(series) == len(PERIODS) for series in expected.values())
    assert found == expected
