"""The scorecard: a read of the worker's precomputed status rows, one statement."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.status import Status
from district_ppm.analytics.trend import Trend
from district_ppm.db.plain_rows import fetch_plain
from district_ppm.errors import NotFound
from district_ppm.measures.models import (
    STAGE_ORDER,
    Measure,
    MeasureLevel,
    MeasureStatus,
    ScorecardView,
    stages_of,
)
from district_ppm.measures.rows import MEASURE_COLUMNS, MeasureFields
from district_ppm.school_calendar import check_school_year
from district_ppm.schools.models import School


class ScorecardLine(NamedTuple):  # immutable, and a third of a frozen dataclass's cost
    measure: MeasureFields
    school_id: uuid.UUID | None
    latest_period: date | None
    latest_value: float | None
    target: float | None
    status: Status
    trend: Trend
    computed_at: datetime | None


async def get_scorecard(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    view: ScorecardView,
    school_year: int,
    school_id: uuid.UUID | None,
) -> list[ScorecardLine]:
    """The view's measures with their status for ``school_year``, by stage then code.

    Without ``school_id`` every measure is shown district-wide (SCHOOL-level ones by their
    aggregation). With it, SCHOOL-level measures show that school's own row and DISTRICT-level
    ones their district row (``schoolId`` null), for context. A measure the worker has not yet
    computed shows NO_DATA and NOT_ENOUGH_DATA.

    The worker writes a row for each school year with data or a target. A year without either
    (such as the current year of a yearly outcome) has no value and no target, so it is
    NO_DATA; its trend is still that of the last periods with data up to the year's end,
    which is the trend of the scope's latest earlier row, since no data came after it.
    """
    check_school_year(school_year)
    if school_id is not None and await session.get(School, (district_id, school_id)) is None:
        raise NotFound("schoolId", "no such school")
    parameters: dict[str, Any] = {"district_id": district_id, "school_year": school_year}
    if school_id is None:
        statement = _DISTRICT_SCORECARDS[view]
    else:
        statement = _SCHOOL_SCORECARDS[view]
        parameters["school_id"] = school_id
    rows = await fetch_plain(session, statement, parameters)
    lines = [_line(row, school_id, school_year) for row in rows]
    return sorted(
        lines, key=lambda line: (STAGE_ORDER.index(line.measure.stage), line.measure.code)
    )


def _line(row: Any, school_id: uuid.UUID | None, school_year: int) -> ScorecardLine:
    shown_school = school_id if school_id is not None and row.level is MeasureLevel.SCHOOL else None
    if row.school_year != school_year:
        # No row (school_year is NULL): nothing computed yet, or no data up to the year's
        # end. An earlier year's row: its trend carries on, the year itself has no value
        # and no target.
        computed = row.school_year is not None
        return ScorecardLine(
            measure=row,
            school_id=shown_school,
            latest_period=None,
            latest_value=None,
            target=None,
            status=Status.NO_DATA,
            trend=Trend(row.trend) if computed else Trend.NOT_ENOUGH_DATA,
            computed_at=row.computed_at if computed else None,
        )
    return ScorecardLine(
        measure=row,
        school_id=shown_school,
        latest_period=row.latest_period,
        latest_value=row.latest_value,
        target=row.target,
        status=Status(row.status),
        trend=Trend(row.trend),
        computed_at=row.computed_at,
    )


def _scorecard(scope: ColumnElement[bool], view: ScorecardView) -> Select[*tuple[Any, ...]]:
    """The view's measures, each with its scope's status row of the year, else its latest
    row before it (one index probe each, by the lateral join)."""
    latest = (
        select(
            MeasureStatus.school_year,
            MeasureStatus.latest_period,
            MeasureStatus.latest_value,
            MeasureStatus.target,
            MeasureStatus.status,
            MeasureStatus.trend,
            MeasureStatus.computed_at,
        )
        .where(
            MeasureStatus.district_id == Measure.district_id,
            MeasureStatus.measure_id == Measure.id,
            MeasureStatus.school_year <= bindparam("school_year"),
            scope,
        )
        .order_by(MeasureStatus.school_year.desc())
        .limit(1)
        .correlate(Measure)
        .lateral()
    )
    # Plain rows, not ORM objects: building and tracking one object per line was a fifth of
    # the request.
    return (
        select(*MEASURE_COLUMNS, latest)
        .outerjoin(latest, true())
        .where(
            Measure.district_id == bindparam("district_id"),
            # The view's stages, each its own parameter (an IN list would expand per request).
            or_(*(Measure.stage == stage for stage in stages_of(view))),
        )
    )


# Built once, run with parameters: a statement built per request cost as much again as
# running it (building it, then walking it for its cache key).
# One per view: plain_rows.fetch_plain runs statements of plain parameters (no IN lists).
_DISTRICT_SCORECARDS = {
    view: _scorecard(MeasureStatus.school_id.is_(None), view) for view in ScorecardView
}
# For a school: its own rows of SCHOOL-level measures, the district's of DISTRICT-level ones.
_SCHOOL_SCOPE = or_(
    and_(
        Measure.level == MeasureLevel.SCHOOL,
        MeasureStatus.school_id == bindparam("school_id"),
    ),
    and_(Measure.level == MeasureLevel.DISTRICT, MeasureStatus.school_id.is_(None)),
)
_SCHOOL_SCORECARDS = {view: _scorecard(_SCHOOL_SCOPE, view) for view in ScorecardView}
