"""The demo district's measures: the template tree, ~40 KPIs, three years of monthly data.

Data are generated, deterministic (seeded by measure code) and believable: each series wanders
around a level with a seasonal ripple, and two carry a visible shift with an annotation saying
why (attendance outreach lowered chronic absence; a new menu lifted lunch participation).
"""

from __future__ import annotations

import random
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.measures.charts import annotate
from district_ppm.measures.models import (
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Stage,
    Unit,
)
from district_ppm.measures.recording import MeasurementValue, record_measurements
from district_ppm.measures.refresh import refresh_measure_status
from district_ppm.measures.service import MeasureSpec, TargetSet, ensure_measure, set_target
from district_ppm.processes.template import apply_template
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School

DEMO_BY = "demo"
YEARS = 3
EXTRA_MEASURES = [
    MeasureSpec(
        "OUT-KINDER-READY",
        "Kindergartners ready to learn",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.SHORT_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.SCHOOL,
        "1.3",
    ),
    MeasureSpec(
        "OUT-COLLEGE-ENROLL",
        "Graduates enrolled in college in the fall",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.LONG_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.DISTRICT,
    ),
    MeasureSpec(
        "OUT-CAREER-CERT",
        "Graduates with an industry certificate",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.LONG_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.DISTRICT,
    ),
    MeasureSpec(
        "SS-MENTOR-HOURS",
        "Mentoring hours for students at risk",
        Unit.HOURS,
        Direction.HIGHER_IS_BETTER,
        Stage.ACTIVITY,
        Frequency.MONTHLY,
        MeasureLevel.SCHOOL,
        "2.2",
    ),
]
# Codes a worker computes from bus runs: the transportation demo feeds those.
COMPUTED_ELSEWHERE = (
    "TRN-LATE-INSTANCES",
    "TRN-AVG-LATE-MIN",
    "TRN-INSTR-HOURS-LOST",
    "TRN-STUDENT-INSTR-HOURS-LOST",
)
SHIFTS = {  # code: (first period of the new level, change, annotation)
    "SS-CHRONIC-ABS": (-1, -3.5, "Attendance outreach teams start at every school"),
    "NUT-ADP-LUNCH": (-2, 6.0, "New scratch-cooked lunch menu"),
}


def _periods(measure: Measure, today: date) -> list[date]:
    last_year = school_year_of(today) - 1  # the last complete school year
    first = date(last_year - YEARS, 7, 1)
    if measure.frequency is Frequency.SCHOOL_YEAR:
        return [date(y, 7, 1) for y in range(last_year - YEARS, last_year)]
    periods: list[date] = []
    month = first.year * 12 + first.month - 1
    while True:
        period = date(month // 12, month % 12 + 1, 1)
        if period >= today.replace(day=1):
            return periods
        periods.append(period)
        month += 1


def _level(measure: Measure) -> float:
    return {
        Unit.PERCENT: 82.0,
        Unit.COUNT: 20.0,
        Unit.HOURS: 40.0,
        Unit.DOLLARS: 3.5,
        Unit.MINUTES: 6.0,
        Unit.RATIO: 14.0,
    }[measure.unit]


def _series(
    measure: Measure,
    periods: list[date],
    offset: float,
    rng: random.Random,
    shift_from: date | None,
    shift: float,
) -> list[float]:
    level = _level(measure) + offset
    values = []
    for period in periods:
        seasonal = 0.03 * level * ((period.month % 12) - 6) / 6
        value = level + seasonal + rng.gauss(0, 0.02 * level)
        if shift_from is not None and period >= shift_from:
            value += shift
        values.append(round(min(value, 100.0) if measure.unit is Unit.PERCENT else value, 2))
    return values


async def seed_measures_demo(*, session: AsyncSession, district_id: uuid.UUID, today: date) -> None:
    """Template, extra KPIs, data, targets, annotations; skipped once data exist."""
    await apply_template(session=session, district_id=district_id)
    for spec in EXTRA_MEASURES:
        await ensure_measure(session=session, district_id=district_id, spec=spec)
    if await session.scalar(
        select(Measurement.id).where(Measurement.district_id == district_id).limit(1)
    ):
        return
    schools = list(
        await session.scalars(
            select(School).where(School.district_id == district_id).order_by(School.name)
        )
    )
    measures = await session.scalars(
        select(Measure).where(Measure.district_id == district_id).order_by(Measure.code)
    )
    current_year = school_year_of(today)
    for measure in measures:
        if measure.code in COMPUTED_ELSEWHERE:
            continue
        rng = random.Random(measure.code)
        periods = _periods(measure, today)
        shift_from, shift = None, 0.0
        if measure.code in SHIFTS and len(periods) > 12:
            back, shift, note = SHIFTS[measure.code]
            shift_from = date(school_year_of(today) + back - 1, 1, 1)
            await annotate(
                session=session,
                district_id=district_id,
                measure_id=measure.id,
                school_id=None,
                occurred_on=shift_from,
                note=note,
                created_by=DEMO_BY,
            )
        scopes = schools if measure.level is MeasureLevel.SCHOOL else [None]
        values: list[MeasurementValue] = []
        for index, school in enumerate(scopes):
            offset = (index - len(scopes) / 2) * 0.01 * _level(measure)
            series = _series(measure, periods, offset, rng, shift_from, shift)
            values += [
                MeasurementValue(p, v, school.id if school else None)
                for p, v in zip(periods, series, strict=True)
            ]
        await record_measurements(
            session=session,
            district_id=district_id,
            measure_id=measure.id,
            values=values,
            recorded_by=DEMO_BY,
        )
        # A district-wide target is on the district-wide scale: a summed measure's target is
        # the schools' level times the number of schools.
        summed = measure.level is MeasureLevel.SCHOOL and measure.aggregation is Aggregation.SUM
        level = _level(measure) * (len(schools) if summed else 1)
        better = 1 if measure.direction is Direction.HIGHER_IS_BETTER else -1
        for year in (current_year - 1, current_year):
            target = TargetSet(
                measure_id=measure.id,
                school_year=year,
                value=round(level * (1 + 0.02 * better), 2),
                red_threshold=round(level * (1 - 0.03 * better), 2),
                baseline=round(level, 2),
            )
            await set_target(session=session, district_id=district_id, data=target)
    await refresh_measure_status(session=session, district_id=district_id)
