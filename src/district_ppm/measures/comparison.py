"""School comparison for one measure and period."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, time
from functools import cache
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    bindparam,
    case,
    func,
    join,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.comparison import per_100, standings
from district_ppm.db.plain_rows import fetch_records
from district_ppm.errors import BadInput, NotFound
from district_ppm.measures.models import (
    SERVED_DECIMALS,
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
from district_ppm.schools.service import SchoolFields
from district_ppm.tenancy.calendar import get_district_calendar


class ComparedSchool(NamedTuple):
    """A row of the comparison's one statement, best first: the measure's columns (as
    stored, text; in the first row only), then a school's ``SCHOOL_COLUMNS`` (``nces_id``
    and ``first_bell`` None unless asked for), its value and the enrollment of the period's
    school year, which a COUNT is divided by (not the school's latest enrollment, which
    GraphQL's ``School.enrollment`` shows). A measure without values for the period is one
    row whose school is NULL. Read as asyncpg's records (``fetch_records``): by name as
    typed here, by position as stored."""

    measure_level: Any  # str in the first row, None in the others
    measure_frequency: Any
    measure_unit: Any
    measure_direction: Any
    id: uuid.UUID | None
    name: str
    nces_id: str | None
    level: SchoolLevel
    first_bell: time | None
    value: float
    year_enrollment: int | None


class ComparedMeasure(NamedTuple):
    level: MeasureLevel
    frequency: Frequency
    unit: Unit
    direction: Direction


class ComparisonLine(NamedTuple):  # immutable, and a third of a frozen dataclass's cost
    school: SchoolFields
    value: float
    value_per_100_students: float | None
    rank: int
    percentile: float
    peer_median: float
    gap_to_best: float


async def get_school_comparison(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    period_start: date,
    per_100_students: bool = True,
    school_details: bool = True,
) -> list[ComparisonLine]:
    """Every school with a value for the period, best first (then by name).

    Ranked district-wide on ``value``; peer median and gap within the school's level.
    ``valuePer100Students`` is shown for COUNT measures of schools with a known enrollment.

    What the caller does not show is not read: without ``per_100_students`` the lines' value
    per 100 students is None (no enrollment read), without ``school_details`` their school's
    ``nces_id`` and ``first_bell`` are None (its id, name and level are always read).
    """
    # One round trip: the measure and its schools' values (the measure checked after).
    parameters = {"district_id": district_id, "measure_id": measure_id, "period": period_start}
    if per_100_students:
        parameters["school_year"] = school_year_of(period_start)
    statement = _compared_schools(per_student=per_100_students, school_details=school_details)
    rows = await fetch_records(session, ComparedSchool, statement, parameters)
    if not rows:
        raise NotFound("measureId", "no such measure")
    measure = _measure_of(rows[0])
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
    if rows[0].id is None:  # the measure has no value for the period
        return []
    per_student = per_100_students and measure.unit is Unit.COUNT
    values: Sequence[float] = list(map(_VALUE_OF, rows))
    rounded = measure.unit in SERVED_DECIMALS
    if rounded:
        values = [served(measure.unit, value) for value in values]
    ranked = standings(
        values,
        # The levels as the rows hold them (the stored text, read by position): peer groups.
        list(map(_LEVEL_OF, rows)),
        higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
    )
    per_100s = (
        map(per_100, values, map(_ENROLLMENT_OF, rows)) if per_student else repeat(None, len(rows))
    )
    # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per line).
    lines = map(
        tuple.__new__,
        repeat(ComparisonLine),
        zip(
            rows,
            values,
            per_100s,
            ranked.ranks,
            ranked.percentiles,
            ranked.peer_medians,
            ranked.gaps_to_best,
            strict=True,
        ),
    )
    if rounded:  # values served rounded can tie where the stored ones did not: by name again
        return sorted(lines, key=_by_rank_then_name)
    return list(lines)  # ranked as the rows came: best first by value, then by name (and id)


_VALUE_OF, _LEVEL_OF, _ENROLLMENT_OF = (
    itemgetter(ComparedSchool._fields.index(f)) for f in ("value", "level", "year_enrollment")
)


def _by_rank_then_name(line: ComparisonLine) -> tuple[int, str, uuid.UUID | None]:
    return (line.rank, line.school.name, line.school.id)


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


def _measure_of(first: ComparedSchool) -> ComparedMeasure:
    """The measure, from the statement's first row (the only one that carries it)."""
    return ComparedMeasure(
        MeasureLevel(first.measure_level),
        Frequency(first.measure_frequency),
        Unit(first.measure_unit),
        Direction(first.measure_direction),
    )


@cache  # four statements, each built once: building one per request cost as much again
def _compared_schools(*, per_student: bool, school_details: bool) -> Select[*tuple[Any, ...]]:
    """Plain rows, one statement: the measure's columns (text, in the first row), then each
    school's columns, value and enrollment (NULL for what the caller does not show; the
    enrollment only for a COUNT measure). The measure is outer-joined to its values, so
    that a measure without any still answers, and no measure answers no row."""
    details = (School.nces_id, School.first_bell) if school_details else (null(), null())
    enrollment: ColumnElement[Any] = null()
    if per_student:
        enrollment = case(
            (Measure.unit == Unit.COUNT, _enrollment_in(bindparam("school_year"))), else_=null()
        )
    valued_schools = join(
        Measurement,
        School,
        (School.district_id == Measurement.district_id) & (School.id == Measurement.school_id),
    )
    # Best first, so that ranking and sorting in Python find the values in order already.
    best_first = case(
        (type_coerce(Measure.direction, String) == _HIGHER_IS_BETTER, -Measurement.value),
        else_=Measurement.value,
    )
    order = (best_first, *_BY_NAME)
    # The measure's columns in the first row only: the driver decodes 4 texts less per school.
    first_row = func.row_number().over(order_by=order) == 1
    return (
        select(
            *(
                case((first_row, type_coerce(column, String)), else_=null()).label(
                    f"measure_{column.key}"
                )
                for column in (Measure.level, Measure.frequency, Measure.unit, Measure.direction)
            ),
            School.id,
            School.name,
            details[0].label("nces_id"),
            School.level,
            details[1].label("first_bell"),
            Measurement.value,
            enrollment.label("year_enrollment"),
        )
        .select_from(Measure)
        .outerjoin(
            valued_schools,
            (Measurement.district_id == Measure.district_id)
            & (Measurement.measure_id == Measure.id)
            & (Measurement.period_start == bindparam("period")),
        )
        .where(
            Measure.district_id == bindparam("district_id"), Measure.id == bindparam("measure_id")
        )
        .order_by(*order)
    )


# Python's order of names: by code point, which is the C collation's byte order of UTF-8; a
# UUID orders as its bytes do in both.
_BY_NAME = (School.name.collate("C"), School.id)
_HIGHER_IS_BETTER = literal_column(f"'{Direction.HIGHER_IS_BETTER.value}'", String)
