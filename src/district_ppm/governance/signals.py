"""The measures whose district-wide control chart ends on an unfavorable point: the agenda's
UNFAVORABLE_SIGNAL items and a person's SIGNALLING lines.

Each chart is the one ``controlChart`` draws without a school (``measures.charts.draw_chart``
from the newest district-wide rebase, excluded points shown but never signalling) over the
district-wide series (``measures.series.load_district_series``: a SCHOOL-level measure's
periods aggregated over the schools that reported them, by ``analytics.aggregation.aggregate``).

Reading every measure's history school by school was nine tenths of an agenda request (a
forum over 300 measures at 20 schools: 93,000 rows, each a Python row, then grouped by period
in Python). Here PostgreSQL groups the rows: one row per measure and period, the schools'
values, numerators and denominators in arrays (a tenth of the rows, decoded by the driver), and
a period is aggregated by the same ``aggregate`` from those arrays, only if the latest point
depends on it (``analytics.xmr_tail``). The schools are sent only for an
ENROLLMENT_WEIGHTED_MEAN measure, the one aggregation that weighs by them. Within a period the
schools come in id order (the row-by-row read took them in whatever order the sort left them),
so a figure is the same on every read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation, SchoolValue, aggregate
from district_ppm.analytics.xmr_tail import latest_point, tail_periods
from district_ppm.measures.charts_models import ChartExclusion, ChartRebase
from district_ppm.measures.models import (
    Direction,
    MeasureLevel,
    Unit,
    ratio_scale,
    served,
    served_aggregate,
)
from district_ppm.measures.series import Enrollments, Series, load_enrollments
from district_ppm.school_calendar import school_year_of

# One row per measure and period. A DISTRICT-level measure's period holds its one district-wide
# value; a SCHOOL-level measure's the values of the schools that reported it (as
# ``load_district_series`` reads them: a school's row, never a district-wide one).
_BY_PERIOD = """
SELECT measure_id, period_start,
       array_agg(value ORDER BY school_id) AS vals,
       array_agg(numerator ORDER BY school_id) AS nums,
       array_agg(denominator ORDER BY school_id) AS dens,
       CASE WHEN measure_id = ANY(CAST(:weighted AS uuid[]))
            THEN array_agg(school_id ORDER BY school_id) END AS schools
FROM measurements
WHERE district_id = :district_id
  AND measure_id = ANY(CAST(:ids AS uuid[]))
  AND (school_id IS NOT NULL) = (measure_id = ANY(CAST(:school_level AS uuid[])))
GROUP BY measure_id, period_start
ORDER BY measure_id, period_start
"""


class ChartedMeasure(Protocol):
    """What the series and the chart read of a measure (an ORM row or a Core row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def level(self) -> MeasureLevel: ...
    @property
    def aggregation(self) -> Aggregation: ...
    @property
    def unit(self) -> Unit: ...
    @property
    def direction(self) -> Direction: ...


# One period of a measure (a row of ``_BY_PERIOD``): the measure, the period, its district-wide
# value or the values of the schools that reported it, with the parts a RATIO pools, and the
# schools when weighed by enrollment. Kept as the driver's row: thousands per agenda.
PeriodRow = tuple[
    uuid.UUID, date, list[float], list[float | None], list[float | None], list[uuid.UUID] | None
]


class DistrictPeriods:
    """Every period of the measures, read in one statement (two with enrollments), each
    turned into its district-wide value only when asked (``series``)."""

    def __init__(self, rows: Sequence[PeriodRow], enrollments: Enrollments) -> None:
        self.enrollments = enrollments
        self.periods: dict[uuid.UUID, list[PeriodRow]] = defaultdict(list)
        for row in rows:
            self.periods[row[0]].append(row)

    def periods_of(self, measure: ChartedMeasure) -> list[date]:
        return [row[1] for row in self.periods.get(measure.id, [])]

    def aggregated(self, measure: ChartedMeasure, row: PeriodRow) -> float | None:
        """A SCHOOL-level measure's district-wide value of the period, as
        ``load_district_series`` serves it (``measures.series.district_wide``)."""
        _, period, values, numerators, denominators, schools = row
        if schools is None:
            weights: Iterable[int | None] = repeat(None)
        else:
            year = school_year_of(period)
            weights = [self.enrollments.of(school, year) for school in schools]
        total = aggregate(
            list(map(SchoolValue, values, weights, numerators, denominators)),
            measure.aggregation,
            ratio_scale=ratio_scale(measure.unit),
        )
        return None if total is None else served_aggregate(measure.unit, total)

    def series(self, measure: ChartedMeasure, periods: Collection[date] | None = None) -> Series:
        """The measure's district-wide series, or only its points of ``periods``."""
        series = []
        for row in self.periods.get(measure.id, []):
            if periods is not None and row[1] not in periods:
                continue
            if measure.level is MeasureLevel.DISTRICT:
                # One value per period (a district-wide row per period is all a DISTRICT-level
                # measure has); load_district_series lists each row.
                series += [(row[1], served(measure.unit, v)) for v in row[2]]
                continue
            value = self.aggregated(measure, row)
            if value is not None:
                series.append((row[1], value))
        return series


async def read_periods(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[ChartedMeasure]
) -> DistrictPeriods:
    """The measures' periods (see ``DistrictPeriods``): one statement, and the enrollments
    when a measure is weighted by them."""
    weighted = [m.id for m in measures if m.aggregation is Aggregation.ENROLLMENT_WEIGHTED_MEAN]
    rows: Sequence[Any] = []
    if measures:
        rows = (
            await session.execute(
                text(_BY_PERIOD),
                {
                    "district_id": district_id,
                    "ids": [m.id for m in measures],
                    "school_level": [m.id for m in measures if m.level is MeasureLevel.SCHOOL],
                    "weighted": weighted,
                },
            )
        ).all()
    enrollments = Enrollments([])
    if weighted and rows:
        enrollments = await load_enrollments(session=session, district_id=district_id)
    return DistrictPeriods(rows, enrollments)


async def district_series(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[ChartedMeasure]
) -> dict[uuid.UUID, Series]:
    """Each measure's district-wide series, as ``load_district_series`` makes it."""
    periods = await read_periods(session=session, district_id=district_id, measures=measures)
    return {measure.id: periods.series(measure) for measure in measures}


async def unfavorable_latest_points(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[ChartedMeasure]
) -> dict[uuid.UUID, date]:
    """The measures whose district-wide chart's latest point is unfavorable, with its period.

    Every chart from the same few statements: the district-wide rebases and exclusions of all
    the measures, then their periods; only the periods the latest point depends on are
    aggregated (``analytics.xmr_tail.tail_periods``: 20 of a 36-month history).
    """
    if not measures:
        return {}
    ids = [measure.id for measure in measures]
    starts: dict[uuid.UUID, date] = {}
    for measure_id, start in await session.execute(
        select(ChartRebase.measure_id, ChartRebase.start_period)
        .where(
            ChartRebase.district_id == district_id,
            ChartRebase.school_id.is_(None),
            ChartRebase.measure_id.in_(ids),
        )
        .order_by(ChartRebase.created_at.desc(), ChartRebase.id)
    ):
        starts.setdefault(measure_id, start)  # the newest, as get_control_chart takes it
    exclusions: dict[uuid.UUID, dict[date, str]] = defaultdict(dict)
    for measure_id, period, reason in await session.execute(
        select(ChartExclusion.measure_id, ChartExclusion.period_start, ChartExclusion.reason).where(
            ChartExclusion.district_id == district_id,
            ChartExclusion.school_id.is_(None),
            ChartExclusion.measure_id.in_(ids),
        )
    ):
        exclusions[measure_id][period] = reason
    periods = await read_periods(session=session, district_id=district_id, measures=measures)
    found = {}
    for measure in measures:
        rebase, excluded = starts.get(measure.id), exclusions.get(measure.id, {})
        needed = tail_periods(periods.periods_of(measure), rebase, excluded)
        latest = latest_point(
            periods.series(measure, needed),
            start=rebase,
            exclusions=excluded,
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        )
        if latest is not None and latest[1]:
            found[measure.id] = latest[0]
    return found
