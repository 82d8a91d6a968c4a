"""Reading a measure's series: per school, and district-wide by the measure's aggregation."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import repeat

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import (
    Aggregation,
    SchoolValue,
    aggregate,
    aggregate_columns,
)
from district_ppm.measures.models import (
    Measure,
    MeasureLevel,
    Measurement,
    ratio_scale,
    served,
    served_aggregate,
)
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import SchoolEnrollment

Series = list[tuple[date, float]]  # ordered by period


class Enrollments:
    """Enrollment of a school in a school year, else its most recent on record."""

    def __init__(self, rows: list[tuple[uuid.UUID, int, int]]) -> None:
        self.by_year = {(school_id, year): n for school_id, year, n in rows}
        self.latest: dict[uuid.UUID, tuple[int, int]] = {}
        for school_id, year, n in rows:
            if school_id not in self.latest or year > self.latest[school_id][0]:
                self.latest[school_id] = (year, n)

    def of(self, school_id: uuid.UUID, school_year: int) -> int | None:
        found = self.by_year.get((school_id, school_year))
        if found is not None:
            return found
        latest = self.latest.get(school_id)
        return latest[1] if latest else None


async def load_enrollments(
    *, session: AsyncSession, district_id: uuid.UUID, school_ids: list[uuid.UUID] | None = None
) -> Enrollments:
    stmt = select(
        SchoolEnrollment.school_id, SchoolEnrollment.school_year, SchoolEnrollment.enrollment
    ).where(SchoolEnrollment.district_id == district_id)
    if school_ids is not None:
        stmt = stmt.where(SchoolEnrollment.school_id.in_(school_ids))
    return Enrollments([tuple(row) for row in (await session.execute(stmt)).all()])  # type: ignore[misc]


async def load_series(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure: Measure,
    school_id: uuid.UUID | None = None,
    per_school: bool = True,
) -> dict[uuid.UUID | None, Series]:
    """Series keyed by school (None = district-wide).

    For a SCHOOL-level measure the district-wide series aggregates, period by period, the
    schools that reported that period, by the measure's aggregation (RATIO pools the values'
    numerators and denominators). With ``school_id`` only that school's series is read.
    Values are as served: HOURS rounded to two decimals, district-wide after aggregating;
    every other unit's district-wide values to four decimals (``served_aggregate``).
    """
    stmt = (
        select(
            Measurement.school_id,
            Measurement.period_start,
            Measurement.value,
            Measurement.numerator,
            Measurement.denominator,
        )
        .where(Measurement.district_id == district_id, Measurement.measure_id == measure.id)
        # Within a period the schools in id order, as every reader sums them: a sum of floats
        # depends on its order, and a figure served to four decimals must not.
        .order_by(Measurement.period_start, Measurement.school_id)
    )
    if school_id is not None:
        stmt = stmt.where(Measurement.school_id == school_id)
    rows = (await session.execute(stmt)).all()
    if measure.level is MeasureLevel.DISTRICT or school_id is not None:
        key = None if measure.level is MeasureLevel.DISTRICT else school_id
        return {key: [(row.period_start, served(measure.unit, row.value)) for row in rows]}
    schools: dict[uuid.UUID | None, Series] = defaultdict(list)
    if per_school:
        for row in rows:
            schools[row.school_id].append((row.period_start, served(measure.unit, row.value)))
    enrollments = await load_enrollments(session=session, district_id=district_id)
    schools[None] = district_wide(measure, rows, enrollments)
    return dict(schools)


# (school, period, value, numerator, denominator) of one measure, ordered by period
SchoolRow = tuple[uuid.UUID | None, date, float, float | None, float | None]


def district_wide(measure: Measure, rows: Iterable[SchoolRow], enrollments: Enrollments) -> Series:
    """A SCHOOL-level measure's district-wide series: each period aggregates, by the measure's
    aggregation, the schools that reported it (RATIO pools numerators and denominators)."""
    by_period: dict[date, list[tuple[uuid.UUID, float, float | None, float | None]]]
    by_period = defaultdict(list)
    for row_school, period, value, numerator, denominator in rows:
        if row_school is not None:  # always, for a SCHOOL-level measure's rows
            by_period[period].append((row_school, value, numerator, denominator))
    scale = ratio_scale(measure.unit)
    district: Series = []
    for period, values in by_period.items():
        year = school_year_of(period)
        total = aggregate(
            [
                SchoolValue(value, enrollments.of(sid, year), numerator, denominator)
                for sid, value, numerator, denominator in values
            ],
            measure.aggregation,
            ratio_scale=scale,
        )
        if total is not None:
            district.append((period, served_aggregate(measure.unit, total)))
    return district


# One school's history of a measure, as the status refresh reads it: (school, or None for a
# district-wide row; its periods in order; the values, numerators and denominators of those
# periods).
History = tuple[uuid.UUID | None, list[date], list[float], list[float | None], list[float | None]]


def district_wide_of_histories(
    measure: Measure, histories: Sequence[History], enrollments: Enrollments
) -> Series:
    """``district_wide`` of the histories' rows (school after school, as listed), ordered by
    period: within a period the schools come in the order of ``histories``, so every figure
    is the one ``district_wide`` gives. Read column by column, not row by row: when the
    schools reported the same periods (as a month's import makes them), a period's values
    are one ``zip`` of the schools' arrays."""
    schools = [history for history in histories if history[0] is not None]
    if not schools:
        return []
    how = Aggregation(measure.aggregation)
    weighs, pools = how is Aggregation.ENROLLMENT_WEIGHTED_MEAN, how is Aggregation.RATIO
    scale, unit = ratio_scale(measure.unit), measure.unit
    periods = schools[0][1]
    aligned = all(history[1] == periods for history in schools[1:])
    if aligned:
        values: Iterable[Sequence[float]] = zip(*(h[2] for h in schools), strict=True)
        numerators: Iterable[Sequence[float | None] | None] = (
            zip(*(h[3] for h in schools), strict=True) if pools else repeat(None)
        )
        denominators: Iterable[Sequence[float | None] | None] = (
            zip(*(h[4] for h in schools), strict=True) if pools else repeat(None)
        )
        reporting: Iterable[Sequence[uuid.UUID]] = repeat([h[0] for h in schools])  # type: ignore[misc]
    else:  # the schools' periods differ: each period gathers the schools that reported it
        by_period: dict[date, list[tuple[History, int]]] = defaultdict(list)
        for history in schools:
            for k, period in enumerate(history[1]):
                by_period[period].append((history, k))
        periods = sorted(by_period)
        entries = [by_period[period] for period in periods]
        values = ([h[2][k] for h, k in each] for each in entries)
        numerators = ([h[3][k] for h, k in each] for each in entries)
        denominators = ([h[4][k] for h, k in each] for each in entries)
        reporting = ([h[0] for h, _ in each] for each in entries)  # type: ignore[misc]
    district: Series = []
    # The schools' enrollments of a year, when the same schools report every period.
    weights_of_year: dict[int, list[int | None]] = {}
    for period, vals, nums, dens, ids in zip(
        periods, values, numerators, denominators, reporting, strict=False
    ):
        weights = None
        if weighs:
            year = school_year_of(period)
            weights = weights_of_year.get(year) if aligned else None
            if weights is None:
                weights = [enrollments.of(school, year) for school in ids]  # type: ignore[arg-type]
                if aligned:
                    weights_of_year[year] = weights
        total = aggregate_columns(
            vals,
            how,
            enrollments=weights,
            numerators=nums,
            denominators=dens,
            ratio_scale=scale,
        )
        if total is not None:
            district.append((period, served_aggregate(unit, total)))
    return district


async def load_district_series(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[Measure]
) -> dict[uuid.UUID, Series]:
    """The district-wide series of each measure (as ``load_series`` makes it) in at most two
    statements whatever their number: the measurements, and enrollments when a SCHOOL-level
    measure needs them."""
    if not measures:
        return {}
    by_id = {measure.id: measure for measure in measures}
    # Core rows, not ORM objects: a few hundred measures' whole histories.
    connection = await session.connection()
    result = await connection.execute(
        select(
            Measurement.measure_id,
            Measurement.school_id,
            Measurement.period_start,
            Measurement.value,
            Measurement.numerator,
            Measurement.denominator,
        )
        .where(Measurement.district_id == district_id, Measurement.measure_id.in_(list(by_id)))
        # The schools of a period in id order, as load_series and the status refresh sum them.
        .order_by(Measurement.measure_id, Measurement.period_start, Measurement.school_id)
    )
    rows: dict[uuid.UUID, list[SchoolRow]] = defaultdict(list)
    for measure_id, *row in result.all():
        rows[measure_id].append(tuple(row))  # type: ignore[arg-type]
    found: dict[uuid.UUID, Series] = {}
    enrollments: Enrollments | None = None
    for measure_id, measure in by_id.items():
        own = rows.get(measure_id, [])
        if measure.level is MeasureLevel.DISTRICT:
            found[measure_id] = [(period, served(measure.unit, v)) for _, period, v, _, _ in own]
            continue
        if enrollments is None and own:
            enrollments = await load_enrollments(session=session, district_id=district_id)
        found[measure_id] = district_wide(measure, own, enrollments or Enrollments([]))
    return found
