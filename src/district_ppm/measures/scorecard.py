"""The scorecard: a read of the worker's precomputed status rows, one statement."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    UUID,
    ColumnElement,
    Enum,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.status import Status
from district_ppm.analytics.trend import Trend
from district_ppm.db.plain_rows import fetch_as
from district_ppm.errors import NotFound
from district_ppm.measures.models import (
    STAGE_ORDER,
    Aggregation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    MeasureStatus,
    ScorecardView,
    Stage,
    Unit,
    stages_of,
)
from district_ppm.measures.rows import MEASURE_COLUMNS
from district_ppm.school_calendar import check_school_year
from district_ppm.schools.models import School


class ScorecardLine(NamedTuple):
    """A measure's line: its columns (``MEASURE_COLUMNS``), then what the scorecard shows of
    its status, each as served (the statement computes them: ``_scorecard``). A line is its
    own ``measure`` (``schema.types.ScorecardRow``): one tuple per line, straight from the
    driver, with no Python call to build it."""

    id: uuid.UUID
    code: str
    name: str
    definition: str | None
    unit: Unit
    direction: Direction
    stage: Stage
    frequency: Frequency
    level: MeasureLevel
    aggregation: Aggregation
    process_id: uuid.UUID | None
    owner: str | None
    data_source: str | None
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
    lines = await fetch_as(session, ScorecardLine, statement, parameters)
    lines.sort(key=_order)
    return lines


_STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGE_ORDER)}


def _order(line: ScorecardLine) -> tuple[int, str]:
    return _STAGE_RANK[line.stage], line.code


def _scorecard(
    scope: ColumnElement[bool], shown_school: ColumnElement[Any], view: ScorecardView
) -> Select[*tuple[Any, ...]]:
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
    # The year's own row shows its figures and status. No row (school_year NULL: nothing
    # computed yet, or no data up to the year's end) or an earlier year's: the year has no
    # value, no target, NO_DATA; an earlier row's trend carries on, else NOT_ENOUGH_DATA.
    this_year = latest.c.school_year == bindparam("school_year")
    # Plain rows, not ORM objects: building and tracking one object per line was a fifth of
    # the request.
    return (
        select(
            *MEASURE_COLUMNS,
            shown_school.label("school_id"),
            case((this_year, latest.c.latest_period)).label("latest_period"),
            case((this_year, latest.c.latest_value)).label("latest_value"),
            case((this_year, latest.c.target)).label("target"),
            type_coerce(
                case((this_year, latest.c.status), else_=literal(Status.NO_DATA.value)), _STATUS
            ).label("status"),
            type_coerce(
                func.coalesce(latest.c.trend, literal(Trend.NOT_ENOUGH_DATA.value)), _TREND
            ).label("trend"),
            latest.c.computed_at,
        )
        .outerjoin(latest, true())
        .where(
            Measure.district_id == bindparam("district_id"),
            # The view's stages, each its own parameter (an IN list would expand per request).
            or_(*(Measure.stage == stage for stage in stages_of(view))),
        )
    )


# The worker's texts as members, converted as the driver's rows come in (db.plain_rows).
_STATUS = Enum(Status, native_enum=False, values_callable=lambda e: [m.value for m in e])
_TREND = Enum(Trend, native_enum=False, values_callable=lambda e: [m.value for m in e])


# Built once, run with parameters: a statement built per request cost as much again as
# running it (building it, then walking it for its cache key).
# One per view: plain_rows.fetch_as runs statements of plain parameters (no IN lists).
_DISTRICT_SCORECARDS = {
    view: _scorecard(MeasureStatus.school_id.is_(None), null().cast(UUID(as_uuid=True)), view)
    for view in ScorecardView
}
# For a school: its own rows of SCHOOL-level measures, the district's of DISTRICT-level ones.
_SCHOOL_SCOPE = or_(
    and_(
        Measure.level == MeasureLevel.SCHOOL,
        MeasureStatus.school_id == bindparam("school_id"),
    ),
    and_(Measure.level == MeasureLevel.DISTRICT, MeasureStatus.school_id.is_(None)),
)
# A SCHOOL-level measure's line is the school's, with a row or without.
_SCHOOL_SHOWN = case(
    (Measure.level == MeasureLevel.SCHOOL, bindparam("school_id", type_=UUID(as_uuid=True)))
)
_SCHOOL_SCORECARDS = {
    view: _scorecard(_SCHOOL_SCOPE, _SCHOOL_SHOWN, view) for view in ScorecardView
}
