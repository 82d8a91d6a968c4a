"""School comparison for one measure and period."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    ScalarSelect,
    Select,
    bindparam,
    func,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.comparison import per_100, standings
from district_ppm.db.plain_rows import execute_plain, fetch_as
from district_ppm.errors import BadInput, NotFound
from district_ppm.measures.models import (
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Unit,
    served,
)
from district_ppm.measures.periods import period_problem
from district_ppm.school_calendar import SCHOOL_YEAR_START_MONTH, school_year_of
from district_ppm.schools.models import School, SchoolEnrollment, SchoolLevel
from district_ppm.schools.service import SCHOOL_COLUMNS, SchoolFields
from district_ppm.tenancy.calendar import get_district_calendar


class ComparedSchool(NamedTuple):
    """A row of the comparison's statement: the school's ``SCHOOL_COLUMNS``, its value and
    the enrollment a COUNT is divided by."""

    id: uuid.UUID
    name: str
    nces_id: str | None
    level: SchoolLevel
    first_bell: time
    value: float
    enrollment: int | None


class ComparisonLine(NamedTuple):  # immutable, and a third of a frozen dataclass's cost
    school: SchoolFields
    value: float
    value_per_100_students: float | None
    rank: int
    percentile: float
    peer_median: float
    gap_to_best: float


async def get_school_comparison(
    *, session: AsyncSession, district_id: uuid.UUID, measure_id: uuid.UUID, period_start: date
) -> list[ComparisonLine]:
    """Every school with a value for the period, best first (then by name).

    Ranked district-wide on ``value``; peer median and gap within the school's level.
    ``valuePer100Students`` is shown for COUNT measures of schools with a known enrollment.
    """
    measure = (
        await execute_plain(
            session, _COMPARED_MEASURE, {"district_id": district_id, "id": measure_id}
        )
    ).one_or_none()
    if measure is None:
        raise NotFound("measureId", "no such measure")
    if measure.level is not MeasureLevel.SCHOOL:
        raise BadInput("measureId", "only SCHOOL-level measures compare schools")
    # A period the frequency cannot start has no values: say so, not an empty comparison.
    fiscal_month = SCHOOL_YEAR_START_MONTH  # only FISCAL_YEAR periods depend on the district
    if measure.frequency is Frequency.FISCAL_YEAR:
        calendar = await get_district_calendar(session=session, district_id=district_id)
        fiscal_month = calendar.fiscal_year_start_month
    why = period_problem(measure.frequency, period_start, fiscal_month)
    if why:
        raise BadInput("periodStart", why)
    parameters = {"district_id": district_id, "measure_id": measure_id, "period": period_start}
    if measure.unit is Unit.COUNT:
        statement = _COMPARED_SCHOOLS_PER_STUDENT
        parameters["school_year"] = school_year_of(period_start)
    else:
        statement = _COMPARED_SCHOOLS
    rows = await fetch_as(session, ComparedSchool, statement, parameters)
    if not rows:
        return []
    values = [served(measure.unit, row.value) for row in rows]
    ranked = standings(
        values,
        [row.level for row in rows],
        higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
    )
    lines = list(
        map(
            ComparisonLine,
            rows,
            values,
            map(per_100, values, [row.enrollment for row in rows]),
            ranked.ranks,
            ranked.percentiles,
            ranked.peer_medians,
            ranked.gaps_to_best,
        )
    )
    # Best first, then by name; the id settles equal names (a UUID orders as its text does).
    return sorted(lines, key=lambda line: (line.rank, line.school.name, line.school.id))


def _enrollment_in(school_year: BindParameter[int]) -> ColumnElement[int]:
    """The school's enrollment in ``school_year``, else its most recent on record."""

    def enrollment(*, of_year: bool) -> ScalarSelect[int]:
        found = select(SchoolEnrollment.enrollment).where(
            SchoolEnrollment.district_id == School.district_id,
            SchoolEnrollment.school_id == School.id,
        )
        if of_year:
            found = found.where(SchoolEnrollment.school_year == school_year)
        else:
            found = found.order_by(SchoolEnrollment.school_year.desc()).limit(1)
        return found.correlate(School).scalar_subquery()

    return func.coalesce(enrollment(of_year=True), enrollment(of_year=False))


def _compared_schools(enrollment: ColumnElement[Any]) -> Select[Any]:
    """Plain rows, one statement: the school's columns, the value and the enrollment."""
    return (
        select(*SCHOOL_COLUMNS, Measurement.value, enrollment.label("enrollment"))
        .join(
            Measurement,
            (Measurement.district_id == School.district_id) & (Measurement.school_id == School.id),
        )
        .where(
            Measurement.district_id == bindparam("district_id"),
            Measurement.measure_id == bindparam("measure_id"),
            Measurement.period_start == bindparam("period"),
        )
    )


# Built once, run with parameters: a statement built per request cost as much again as
# running it (building it, then walking it for its cache key).
_COMPARED_MEASURE = select(Measure.level, Measure.frequency, Measure.unit, Measure.direction).where(
    Measure.district_id == bindparam("district_id"), Measure.id == bindparam("id")
)
_COMPARED_SCHOOLS = _compared_schools(null())
# COUNT measures: also the enrollment the value is divided by.
_COMPARED_SCHOOLS_PER_STUDENT = _compared_schools(_enrollment_in(bindparam("school_year")))
