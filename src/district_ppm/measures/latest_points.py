"""The latest point of each measure's district-wide control chart, and whether it is
unfavorable: the agenda's UNFAVORABLE_SIGNAL items and a person's SIGNALLING lines.

Each chart is the one ``controlChart`` draws without a school (``measures.charts.draw_chart``
from the newest district-wide rebase, excluded points shown but never signalling) over the
district-wide series (``measures.series.load_district_series``: a SCHOOL-level measure's
periods aggregated over the schools that reported them, by ``analytics.aggregation.aggregate``).

Computed from the data (``read_periods``): PostgreSQL groups the rows, one row per measure and
period, the schools' values, numerators and denominators in arrays (a tenth of the rows,
decoded by the driver), and a period is aggregated by the same ``aggregate`` from those
arrays, only if the latest point depends on it (``analytics.xmr_tail``). The schools are sent
only for an ENROLLMENT_WEIGHTED_MEAN measure, the one aggregation that weighs by them. Within
a period the schools come in id order, so a figure is the same on every read.

Stored (``measure_chart_signals``): even so, a forum over 300 measures at 20 schools read
93,000 measurements per agenda (a third of a second of PostgreSQL and as much of Python). The
status refresh job stores each measure's latest point (``store_latest_points``), computed as
above, in the transaction where it takes the measure's dirty marks: from the district-wide
series the status refresh computed there (the same figures: its schools summed in id order
too), not read and aggregated twice. A reader takes a stored row only when, in the same
statement (one snapshot), the measure has no dirty mark and its newest district-wide rebase
and excluded periods are those the row was computed with; every other measure is computed
from the data, in the same statement's second half. So an answer is the chart as the data
stand, never older than a committed write:

- every write of measurements marks its measures in the writer's transaction
  (``measures.jobs.enqueue_refresh``); while a mark is there the measure is computed;
- the job deletes the marks it can see, then reads the data: a mark it took was committed, so
  its write is in what the job reads and stores (a write committing after the marks were taken
  leaves its own mark, ``measures.jobs``); jobs of a district run one at a time;
- rebases and exclusions are compared, not marked: a row computed before a rebase stops
  matching the moment the rebase commits (the nightly run stores it again);
- an ENROLLMENT_WEIGHTED_MEAN SCHOOL-level measure is never stored: its figures move with the
  schools' enrollments, which mark nothing; it is always computed.

Writes made outside the application (``psql``) mark nothing, as for the status rows; the
nightly run stores only what is missing or no longer matches (a quiet night runs one
statement per district). Rows carry no version of the rules: a change to how charts are drawn
or judged must empty the table (a migration), so that reads compute and the nightly stores anew.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import any_, bindparam, column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation, aggregate_columns
from district_ppm.analytics.xmr_tail import latest_point, tail_periods
from district_ppm.db.array_text import array_text
from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
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
    uuid.UUID,
    date,
    Sequence[float],
    Sequence[float | None],
    Sequence[float | None],
    Sequence[uuid.UUID] | None,
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
        weights = None
        if schools is not None:
            year = school_year_of(period)
            weights = [self.enrollments.of(school, year) for school in schools]
        total = aggregate_columns(
            values,
            measure.aggregation,
            enrollments=weights,
            numerators=numerators,
            denominators=denominators,
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


# The stored latest points the reader may take (``trusted``: the measure has no dirty mark and
# the row's chart settings are the current ones), then, for every other measure of ``ids``, its
# periods as ``_BY_PERIOD`` reads them: one statement, one snapshot. A stored row comes as one
# row with no arrays, its latest period (NULL for an empty chart) and ``unfavorable`` set.
# The settings are joined as sets (a district has few rebases and exclusions): two subqueries
# per measure took 2.3 of the statement's 3 ms for an agenda's 300 measures.
_STORED_OR_BY_PERIOD = """
WITH rebases AS (
    SELECT DISTINCT ON (r.measure_id) r.measure_id, r.start_period
    FROM control_chart_rebases r
    WHERE r.district_id = :district_id AND r.school_id IS NULL
      AND r.measure_id = ANY(CAST(:trusted AS uuid[]))
    ORDER BY r.measure_id, r.created_at DESC, r.id
), excluded AS (
    SELECT e.measure_id, array_agg(e.period_start ORDER BY e.period_start) AS periods
    FROM control_chart_exclusions e
    WHERE e.district_id = :district_id AND e.school_id IS NULL
      AND e.measure_id = ANY(CAST(:trusted AS uuid[]))
    GROUP BY e.measure_id
), stored AS (
    SELECT s.measure_id, s.latest_period, s.unfavorable
    FROM measure_chart_signals s
    LEFT JOIN rebases r ON r.measure_id = s.measure_id
    LEFT JOIN excluded e ON e.measure_id = s.measure_id
    WHERE s.district_id = :district_id
      AND s.measure_id = ANY(CAST(:trusted AS uuid[]))
      AND s.rebase_start IS NOT DISTINCT FROM r.start_period
      AND s.exclusions = coalesce(e.periods, '{}')
      AND s.measure_id NOT IN (SELECT d.measure_id FROM measure_dirty_marks d
                               WHERE d.district_id = :district_id)
)
SELECT measure_id, latest_period AS period_start, NULL::float8[] AS vals,
       NULL::float8[] AS nums, NULL::float8[] AS dens, NULL::uuid[] AS schools, unfavorable
FROM stored
UNION ALL
SELECT p.*
FROM unnest(CAST(:ids AS uuid[])) AS m(id)
CROSS JOIN LATERAL (
    -- Each measure computed read by its own index range, in period order: a measure stored
    -- costs nothing here.
    SELECT x.measure_id, x.period_start,
           array_agg(x.value ORDER BY x.school_id),
           array_agg(x.numerator ORDER BY x.school_id),
           array_agg(x.denominator ORDER BY x.school_id),
           CASE WHEN m.id = ANY(CAST(:weighted AS uuid[]))
                THEN array_agg(x.school_id ORDER BY x.school_id) END,
           NULL::boolean
    FROM measurements x
    WHERE x.district_id = :district_id AND x.measure_id = m.id
      AND (x.school_id IS NOT NULL) = (m.id = ANY(CAST(:school_level AS uuid[])))
    GROUP BY x.measure_id, x.period_start
) AS p
WHERE m.id NOT IN (SELECT measure_id FROM stored)
ORDER BY measure_id, period_start
"""

# Built once and fetched by the driver (db.plain_rows): through the session, a text clause
# built per read was a tenth of an agenda's CPU (py-spy).
_STORED_OR_BY_PERIOD_READ = text(_STORED_OR_BY_PERIOD).columns(
    *map(column, ("measure_id", "period_start", "vals", "nums", "dens", "schools", "unfavorable"))
)

LatestPoint = tuple[date, bool] | None  # the latest period and whether it is unfavorable


def storable(measure: ChartedMeasure) -> bool:
    """Whether the measure's latest point may be stored: not when its district-wide figures
    weigh schools by enrollments, which move without marking the measure."""
    return not (
        measure.level is MeasureLevel.SCHOOL
        and measure.aggregation is Aggregation.ENROLLMENT_WEIGHTED_MEAN
    )


@dataclass(frozen=True, slots=True)
class ChartSettings:
    """The district-wide rebases and exclusions of some measures."""

    starts: dict[uuid.UUID, date]  # the newest rebase's start
    exclusions: dict[uuid.UUID, dict[date, str]]

    def latest_point(self, measure: ChartedMeasure, periods: DistrictPeriods) -> LatestPoint:
        """The latest point of the measure's chart, computed from its periods: only the
        periods it depends on are aggregated (``analytics.xmr_tail.tail_periods``: 20 of a
        36-month history)."""
        rebase, excluded = self.starts.get(measure.id), self.exclusions.get(measure.id, {})
        needed = tail_periods(periods.periods_of(measure), rebase, excluded)
        return latest_point(
            periods.series(measure, needed),
            start=rebase,
            exclusions=excluded,
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        )

    def latest_point_of_series(self, measure: ChartedMeasure, series: Series) -> LatestPoint:
        """``latest_point`` of the measure's whole district-wide series, already computed
        (as ``DistrictPeriods.series`` makes it): the points it depends on, the same way."""
        rebase, excluded = self.starts.get(measure.id), self.exclusions.get(measure.id, {})
        # Every period read has its point: an aggregate of reported values is never None.
        needed = tail_periods([period for period, _ in series], rebase, excluded)
        return latest_point(
            [point for point in series if point[0] in needed],
            start=rebase,
            exclusions=excluded,
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        )


async def chart_settings(
    *, session: AsyncSession, district_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> ChartSettings:
    """The measures' district-wide rebases and exclusions: two statements."""
    of_ids = {"district_id": district_id, "ids": list(ids)}
    starts: dict[uuid.UUID, date] = {}
    for measure_id, start in await fetch_tuples(session, _DISTRICT_REBASES, of_ids):
        starts.setdefault(measure_id, start)  # the newest, as get_control_chart takes it
    exclusions: dict[uuid.UUID, dict[date, str]] = defaultdict(dict)
    for measure_id, period, reason in await fetch_tuples(session, _DISTRICT_EXCLUSIONS, of_ids):
        exclusions[measure_id][period] = reason
    return ChartSettings(starts, dict(exclusions))


# Built once, fetched by the driver (db.plain_rows): built per read, the two were a tenth of
# a person's responsibilities (py-spy).
_DISTRICT_REBASES = (
    select(ChartRebase.measure_id, ChartRebase.start_period)
    .where(
        ChartRebase.district_id == bindparam("district_id"),
        ChartRebase.school_id.is_(None),
        ChartRebase.measure_id == any_(ids_param("ids")),
    )
    .order_by(ChartRebase.created_at.desc(), ChartRebase.id)
)
_DISTRICT_EXCLUSIONS = select(
    ChartExclusion.measure_id, ChartExclusion.period_start, ChartExclusion.reason
).where(
    ChartExclusion.district_id == bindparam("district_id"),
    ChartExclusion.school_id.is_(None),
    ChartExclusion.measure_id == any_(ids_param("ids")),
)


async def stored_or_periods(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: Sequence[ChartedMeasure],
    trusted: Collection[uuid.UUID],
) -> tuple[dict[uuid.UUID, LatestPoint], DistrictPeriods]:
    """The stored latest points of the measures of ``trusted`` that are exact (see the module
    docstring), and the periods of every other measure: one statement (two with
    enrollments, when a measure computed is weighted by them)."""
    weighted = [m.id for m in measures if m.aggregation is Aggregation.ENROLLMENT_WEIGHTED_MEAN]
    rows = await fetch_tuples(
        session,
        _STORED_OR_BY_PERIOD_READ,
        {
            "district_id": district_id,
            "trusted": list(trusted),
            "ids": [m.id for m in measures],
            "school_level": [m.id for m in measures if m.level is MeasureLevel.SCHOOL],
            "weighted": weighted,
        },
    )
    stored: dict[uuid.UUID, LatestPoint] = {}
    periods = []
    for row in rows:
        if row[6] is None:
            periods.append(row[:6])
        else:
            stored[row[0]] = None if row[1] is None else (row[1], row[6])
    enrollments = Enrollments([])
    if weighted and periods:
        enrollments = await load_enrollments(session=session, district_id=district_id)
    return stored, DistrictPeriods(periods, enrollments)


async def unfavorable_latest_points(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[ChartedMeasure]
) -> dict[uuid.UUID, date]:
    """The measures whose district-wide chart's latest point is unfavorable, with its period.

    One statement when every measure's stored latest point is exact (the stored points that
    are and the periods of the others, ``stored_or_periods``); three (four with enrollments)
    when some are computed: their district-wide rebases and exclusions too.
    """
    if not measures:
        return {}
    stored, periods = await stored_or_periods(
        session=session,
        district_id=district_id,
        measures=measures,
        trusted=[m.id for m in measures if storable(m)],
    )
    # Only the measures computed need their settings (a stored row was checked against them).
    computed = [m.id for m in measures if m.id not in stored]
    settings = ChartSettings({}, {})
    if computed:
        settings = await chart_settings(session=session, district_id=district_id, ids=computed)
    found = {}
    for measure in measures:
        latest = (
            stored[measure.id] if measure.id in stored else settings.latest_point(measure, periods)
        )
        if latest is not None and latest[1]:
            found[measure.id] = latest[0]
    return found


# Each measure's district-wide chart settings (as ``chart_settings`` reads them) and whether
# its stored row is exact (as ``_STORED_OR_BY_PERIOD`` trusts one): only for the measures of
# ``trusted``, whose dirty marks the caller did not take. One statement.
_SETTINGS_AND_EXACT = """
SELECT m.id, c.rebase_start, c.exclusions, c.reasons,
       m.id = ANY(CAST(:trusted AS uuid[]))
       AND s.measure_id IS NOT NULL
       AND s.rebase_start IS NOT DISTINCT FROM c.rebase_start
       AND s.exclusions = c.exclusions
       AND NOT EXISTS (SELECT 1 FROM measure_dirty_marks d
                       WHERE d.district_id = :district_id AND d.measure_id = m.id) AS exact
FROM unnest(CAST(:ids AS uuid[])) AS m(id)
CROSS JOIN LATERAL (
    SELECT (SELECT r.start_period FROM control_chart_rebases r
            WHERE r.district_id = :district_id AND r.measure_id = m.id AND r.school_id IS NULL
            ORDER BY r.created_at DESC, r.id LIMIT 1) AS rebase_start,
           ARRAY(SELECT e.period_start FROM control_chart_exclusions e
                 WHERE e.district_id = :district_id AND e.measure_id = m.id
                   AND e.school_id IS NULL
                 ORDER BY e.period_start) AS exclusions,
           ARRAY(SELECT e.reason FROM control_chart_exclusions e
                 WHERE e.district_id = :district_id AND e.measure_id = m.id
                   AND e.school_id IS NULL
                 ORDER BY e.period_start) AS reasons
) AS c
LEFT JOIN measure_chart_signals s ON s.district_id = :district_id AND s.measure_id = m.id
"""

# Every row in one statement, whatever their number. A row's exclusions travel as the text of a
# date array ('{2024-01-01,2024-02-01}'): unnest cannot take arrays of uneven lengths.
_UPSERT_SQL = text(
    """
INSERT INTO measure_chart_signals AS s (
    district_id, measure_id, latest_period, unfavorable, rebase_start, exclusions)
SELECT :district_id, u.measure_id, u.latest_period, u.unfavorable, u.rebase_start,
       CAST(u.exclusions AS date[])
FROM unnest(
    CAST(:measure_ids AS uuid[]), CAST(:latest_periods AS date[]),
    CAST(:unfavorable AS boolean[]), CAST(:rebase_starts AS date[]),
    CAST(:exclusions AS text[])) AS u(measure_id, latest_period, unfavorable, rebase_start,
                                      exclusions)
ON CONFLICT (district_id, measure_id) DO UPDATE
SET latest_period = excluded.latest_period, unfavorable = excluded.unfavorable,
    rebase_start = excluded.rebase_start, exclusions = excluded.exclusions
-- An unchanged row is left as it is: no dead row, no write.
WHERE s.latest_period IS DISTINCT FROM excluded.latest_period
   OR s.unfavorable IS DISTINCT FROM excluded.unfavorable
   OR s.rebase_start IS DISTINCT FROM excluded.rebase_start
   OR s.exclusions IS DISTINCT FROM excluded.exclusions
"""
)


async def store_latest_points(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: Sequence[ChartedMeasure],
    district_series: Mapping[uuid.UUID, Series],
    written: Collection[uuid.UUID],
) -> int:
    """Store the latest point of each of ``measures`` (those that may be stored) whose stored
    row is not exact: missing, computed with other chart settings, of a measure with a dirty
    mark, or of a measure of ``written`` (whose marks the caller took). Computed from
    ``district_series``: the district-wide series the status refresh computed (as
    ``read_periods`` makes them) from what it read in this transaction, after the marks were
    taken. Rows whose figures are unchanged are not written. Returns how many rows were
    written.

    Called by the status refresh job only: a row is exact only if the marks of its measure
    were taken in the transaction that computed it (see the module docstring).
    """
    measures = [m for m in measures if storable(m)]
    if not measures:
        return 0
    written = set(written)
    starts: dict[uuid.UUID, date] = {}
    exclusions: dict[uuid.UUID, dict[date, str]] = {}
    exact = set()
    for measure_id, start, excluded, reasons, is_exact in await session.execute(
        text(_SETTINGS_AND_EXACT),
        {
            "district_id": district_id,
            "ids": [m.id for m in measures],
            # The marks taken are no longer visible here: those measures' rows are never
            # trusted.
            "trusted": [m.id for m in measures if m.id not in written],
        },
    ):
        if start is not None:
            starts[measure_id] = start
        if excluded:
            exclusions[measure_id] = dict(zip(excluded, reasons, strict=True))
        if is_exact:
            exact.add(measure_id)
    todo = sorted((m for m in measures if m.id not in exact), key=lambda m: m.id)
    if not todo:
        return 0
    settings = ChartSettings(starts, exclusions)
    latest = [
        settings.latest_point_of_series(measure, district_series.get(measure.id, []))
        for measure in todo
    ]
    result = await session.execute(
        _UPSERT_SQL,
        {
            "district_id": district_id,
            "measure_ids": [m.id for m in todo],
            "latest_periods": [None if point is None else point[0] for point in latest],
            "unfavorable": [point is not None and point[1] for point in latest],
            "rebase_starts": [starts.get(m.id) for m in todo],
            "exclusions": [array_text(sorted(exclusions.get(m.id, {}))) for m in todo],
        },
    )
    return result.rowcount  # type: ignore[attr-defined, no-any-return]
