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
    lines.sort(key=_order)
    return lines


_STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGE_ORDER)}
# The worker's texts to their members by a dict lookup: calling the enum (Status(text)) was
# half a microsecond each, twice a line. It still says what is wrong with a text it lacks.
_STATUS = {status.value: status for status in Status}
_TREND = {trend.value: trend for trend in Trend}


def _order(line: ScorecardLine) -> tuple[int, str]:
    measure = line.measure
    return _STAGE_RANK[measure.stage], measure.code


def _line(row: Any, school_id: uuid.UUID | None, school_year: int) -> ScorecardLine:
    # Positional: a NamedTuple built by keyword costs twice as much (30 lines a request).
    shown_school = school_id if school_id is not None and row.level is MeasureLevel.SCHOOL else None
    if row.school_year != school_year:
        # No row (school_year is NULL): nothing computed yet, or no data up to the year's
        # end. An earlier year's row: its trend carries on, the year itself has no value
        # and no target.
        if row.school_year is None:
            return ScorecardLine(
                row, shown_school, None, None, None, Status.NO_DATA, Trend.NOT_ENOUGH_DATA, None
            )
        return ScorecardLine(
            row,
            shown_school,
            None,
            None,
            None,
            Status.NO_DATA,
            _TREND.get(row.trend) or Trend(row.trend),
            row.computed_at,
        )
    return ScorecardLine(
        row,
        shown_school,
        row.latest_period,
        row.latest_value,
        row.target,
        _STATUS.get(row.status) or Status(row.status),
        _TREND.get(row.trend) or Trend(row.trend),
        row.computed_at,
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
