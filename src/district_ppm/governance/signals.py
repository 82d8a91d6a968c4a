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
each period is aggregated by the same ``aggregate`` from those arrays. The schools are sent
only for an ENROLLMENT_WEIGHTED_MEAN measure, the one aggregation that weighs by them. Within a
period the schools come in id order (the row-by-row read took them in whatever order the sort
left them), so a figure is the same on every read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation, SchoolValue, aggregate
from district_ppm.measures.charts import draw_chart
from district_ppm.measures.charts_models import ChartExclusion, ChartRebase
from district_ppm.measures.models import (
    Direction,
    Measure,
    MeasureLevel,
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


async def district_series(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[Measure]
) -> dict[uuid.UUID, Series]:
    """Each measure's district-wide series, as ``load_district_series`` makes it, in one
    statement (two when a measure is weighted by enrollment)."""
    if not measures:
        return {}
    by_id = {measure.id: measure for measure in measures}
    weighted = [m.id for m in measures if m.aggregation is Aggregation.ENROLLMENT_WEIGHTED_MEAN]
    rows = (
        await session.execute(
            text(_BY_PERIOD),
            {
                "district_id": district_id,
                "ids": list(by_id),
                "school_level": [m.id for m in measures if m.level is MeasureLevel.SCHOOL],
                "weighted": weighted,
            },
        )
    ).all()
    enrollments = Enrollments([])
    if weighted and rows:
        enrollments = await load_enrollments(session=session, district_id=district_id)
    found: dict[uuid.UUID, Series] = defaultdict(list)
    for measure_id, period, values, numerators, denominators, schools in rows:
        measure = by_id[measure_id]
        if measure.level is MeasureLevel.DISTRICT:
            found[measure_id].extend((period, served(measure.unit, v)) for v in values)
            continue
        year = school_year_of(period)
        total = aggregate(
            [
                SchoolValue(
                    value,
                    None if schools is None else enrollments.of(schools[k], year),
                    numerators[k],
                    denominators[k],
                )
                for k, value in enumerate(values)
            ],
            measure.aggregation,
            ratio_scale=ratio_scale(measure.unit),
        )
        if total is not None:
            found[measure_id].append((period, served_aggregate(measure.unit, total)))
    return {measure.id: found.get(measure.id, []) for measure in measures}


async def unfavorable_latest_points(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[Measure]
) -> dict[uuid.UUID, date]:
    """The measures whose district-wide chart's latest point is unfavorable, with its period.

    Every chart from the same few statements: the series grouped by period, then the
    district-wide rebases and exclusions of all the measures.
    """
    if not measures:
        return {}
    ids = [measure.id for measure in measures]
    series = await district_series(session=session, district_id=district_id, measures=measures)
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
    found = {}
    for measure in measures:
        _, _, points = draw_chart(
            series.get(measure.id, []),
            start_period=starts.get(measure.id),
            exclusions=exclusions.get(measure.id, {}),
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        )
        if points and points[-1].unfavorable:
            found[measure.id] = points[-1].period_start
    return found
