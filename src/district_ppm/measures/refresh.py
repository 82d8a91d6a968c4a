"""The worker's job: recompute the status rows of measures (latest value, status, trend).

Rows are keyed by (measure, school or district-wide, school year). A refresh reads what it
needs in a few statements whatever the number of measures (the measures, their measurements,
enrollments, targets and the stored rows), computes every row, and writes only the
difference: rows whose figures changed or that are new, and deletes of rows no longer
produced. A refresh that finds nothing changed writes nothing at all, so the nightly run of a
quiet district leaves no dead rows behind. A retried or duplicated job computes the same rows.

``computed_at`` (the API's ``computedAt``) is when the worker last recomputed the row after a
write to its measure, or found its figures changed. The API promises that after a write
``computedAt`` moves past it, even when the write moved no figure (a value re-entered as it
was rounded, a back-dated month that leaves the trend as it was): a client waits for that
to know its write is reflected. So a refresh stamps every row of the measures it refreshes
*because they were written to* (``written_to``), and otherwise (the nightly run) writes only
rows whose figures differ, leaving the others' ``computed_at`` as it was.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.status import kpi_status
from district_ppm.analytics.trend import TREND_WINDOW, trend
from district_ppm.measures.models import (
    SERVED_DECIMALS,
    Direction,
    Measure,
    MeasureLevel,
    Target,
    Unit,
    served,
)
from district_ppm.measures.series import (
    Enrollments,
    History,
    Series,
    district_wide_of_histories,
    load_enrollments,
)
from district_ppm.school_calendar import school_year_of

TargetKey = tuple[uuid.UUID | None, int]  # (school or None, school year)
StatusKey = tuple[uuid.UUID, uuid.UUID | None, int]  # (measure, school or None, school year)
# The figures of a row, in the order of the columns below; equal tuples: nothing to write.
FIGURES = ("latest_period", "latest_value", "target", "red_threshold", "status", "trend")
Figures = tuple[Any, ...]


def status_rows(
    *,
    series: dict[uuid.UUID | None, Series],
    targets: dict[TargetKey, tuple[float, float]],
    higher_is_better: bool,
) -> list[dict[str, Any]]:
    """One row per scope and school year with data or a target that applies to the scope."""
    return [
        {"school_id": scope, "school_year": year, **dict(zip(FIGURES, figures, strict=True))}
        for scope, year, figures in status_figures(
            series=series, targets=targets, higher_is_better=higher_is_better
        )
    ]


def status_figures(
    *,
    series: dict[uuid.UUID | None, Series],
    targets: dict[TargetKey, tuple[float, float]],
    higher_is_better: bool,
) -> Iterator[tuple[uuid.UUID | None, int, Figures]]:
    """``status_rows`` as (scope, school year, figures in ``FIGURES`` order).

    Each series is ordered by period (as it is read), so the points up to a school year are a
    prefix of it: one pass per scope, not one per year.
    """
    # Targets by scope, then year: a school's own target, else the district-wide one.
    by_scope: dict[uuid.UUID | None, dict[int, tuple[float, float]]] = defaultdict(dict)
    for (school, year), figures in targets.items():
        by_scope[school][year] = figures
    district_targets = by_scope.get(None, {})
    years_of = _SchoolYears()  # the scopes of a measure share their periods
    for scope, points in series.items():
        # By school year, not by the year's last day: that day does not exist for school
        # year 10000 (a DAILY value of 9999-12-31), nor the first day of year 1.
        point_years = [years_of[period] for period, _ in points]
        values = [value for _, value in points]
        own_targets = by_scope.get(scope, {}) if scope is not None else {}
        years = set(point_years).union(district_targets, own_targets)
        end = 0  # points[:end] are the points up to ``year``; point_years never decrease
        for year in sorted(years):
            end = bisect_right(point_years, year, end)
            in_year = end > 0 and point_years[end - 1] == year
            latest_period, latest_value = points[end - 1] if in_year else (None, None)
            target = own_targets.get(year) or district_targets.get(year)
            value, red = target if target else (None, None)
            status = kpi_status(latest_value, value, red, higher_is_better=higher_is_better)
            window = values[max(0, end - TREND_WINDOW) : end]
            direction = trend(window, higher_is_better=higher_is_better)
            yield (
                scope,
                year,
                (latest_period, latest_value, value, red, status.value, direction.value),
            )


class _SchoolYears(dict[date, int]):
    """``school_year_of`` each period asked for, computed once."""

    def __missing__(self, period: date) -> int:
        self[period] = year = school_year_of(period)
        return year


@dataclass(slots=True)
class RefreshReads:
    """What a refresh read and computed, handed to its caller. From the same series and
    histories the status refresh job takes the measures' latest chart points
    (``measures.latest_points.store_latest_points``), their periods' counts
    (``measures.period_counts.store_period_counts``) and the series of the measures plans
    check (``measures.series_signals.store_series_signals``)."""

    measures: list[Any] = field(default_factory=list)  # Core rows (id, level, direction, ...)
    # Each measure's district-wide series, as ``latest_points.read_periods`` makes it: the
    # schools of a period aggregated in id order (``_HISTORIES_SQL``).
    district_series: dict[uuid.UUID, Series] = field(default_factory=dict)
    # Each measure's histories as read, one per school (None: district-wide), by period.
    histories: dict[uuid.UUID, list[History]] = field(default_factory=dict)
    # Each measure's series by scope (None: district-wide) as the status rows are computed
    # from them: served values, by period.
    series: dict[uuid.UUID, dict[uuid.UUID | None, Series]] = field(default_factory=dict)


async def refresh_measure_status(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_ids: Sequence[uuid.UUID] | None = None,
    written_to: Collection[uuid.UUID] = (),
    reads: RefreshReads | None = None,
) -> int:
    """Bring the status rows of the given measures (all of the district's when None) up to
    date; every row of the measures in ``written_to`` gets a new ``computed_at``. With
    ``reads``, what the refresh read is left there.

    Returns how many rows were written (inserted, updated or deleted). A measure that no
    longer exists is skipped (its rows went with it).
    """
    # Core rows with what the computation reads: no ORM objects to build and track.
    stmt = select(
        Measure.id,
        Measure.level,
        Measure.direction,
        Measure.unit,
        Measure.aggregation,
        Measure.frequency,
    ).where(Measure.district_id == district_id)
    if measure_ids is not None:
        stmt = stmt.where(Measure.id.in_(measure_ids))
    measures = list((await session.execute(stmt)).all())
    if not measures:
        return 0
    ids = None if measure_ids is None else [measure.id for measure in measures]
    measurements = await _measurements(session, district_id, ids)
    enrollments = Enrollments([])
    if any(m.level is MeasureLevel.SCHOOL and m.id in measurements for m in measures):
        enrollments = await load_enrollments(session=session, district_id=district_id)
    scope_series: dict[uuid.UUID, dict[uuid.UUID | None, Series]] = {}
    fresh = await _fresh_rows(
        session, district_id, measures, ids, measurements, enrollments, scope_series
    )
    if reads is not None:
        reads.measures, reads.histories, reads.series = measures, measurements, scope_series
        reads.district_series = {
            measure_id: series[None] for measure_id, series in scope_series.items()
        }
    stored = await _stored_rows(session, district_id, ids)
    stamped = set(written_to)
    changed = {
        key: figures
        for key, figures in fresh.items()
        if key[0] in stamped or (key not in stored or stored[key][1] != figures)
    }
    gone = [row_id for key, (row_id, _) in stored.items() if key not in fresh]
    await _write(session, district_id, changed, gone)
    return len(changed) + len(gone)


async def _fresh_rows(
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: list[Any],
    ids: list[uuid.UUID] | None,
    measurements: dict[uuid.UUID, list[History]],
    enrollments: Enrollments,
    scope_series: dict[uuid.UUID, dict[uuid.UUID | None, Series]],
) -> dict[StatusKey, Figures]:
    """Every status row of the measures, by key; each measure's series by scope are left in
    ``scope_series`` (the district-wide one always there)."""
    targets = await _targets(session, district_id, ids)
    # Recorded values repeat (a few decimals each): each distinct one is rounded once. Zero is
    # not cached: -0.0 equals 0.0 as a key but is served as itself.
    rounded: dict[tuple[Unit, float], float] = {}

    def served_once(unit: Unit, value: float) -> float:
        if not value:
            return served(unit, value)
        key = (unit, value)
        if key not in rounded:
            rounded[key] = served(unit, value)
        return rounded[key]

    fresh: dict[StatusKey, Figures] = {}
    for measure in measures:
        histories = measurements.get(measure.id, [])
        rounds = measure.unit in SERVED_DECIMALS  # else a value is served as stored
        series: dict[uuid.UUID | None, Series] = {}
        for school_id, periods, values, _, _ in histories:
            if rounds:
                values = [served_once(measure.unit, value) for value in values]
            series[school_id] = list(zip(periods, values, strict=True))
        if measure.level is MeasureLevel.SCHOOL:
            # Within a period the schools come in id order (the histories').
            series[None] = district_wide_of_histories(measure, histories, enrollments)
        series.setdefault(None, [])
        scope_series[measure.id] = series
        own_targets = targets.get(measure.id, {})
        for school, _ in own_targets:
            series.setdefault(school, [])
        for scope, year, figures in status_figures(
            series=series,
            targets=own_targets,
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        ):
            fresh[(measure.id, scope, year)] = figures
    return fresh


# One row per (measure, school) with its history in arrays, ordered by period: a district's
# 3,600 values arrive as 150 rows, decoded by the driver, not as 3,600 rows built one by one.
# A measure's schools come in id order, so a period's district-wide figure sums them in the
# order ``latest_points.read_periods`` does (the chart points reuse the series).
# The rows are aggregated in the order the subquery reads them (the unique index's: measure,
# school, period), not by an ORDER BY in each array_agg: PostgreSQL 15 sorts each such
# aggregate's input anew, four sorts per history, which cost more than reading the rows. The
# documentation says only that a sorted subquery "will usually work": the order is checked.
_HISTORIES_SQL = """
SELECT measure_id, school_id, array_agg(period_start) AS periods, array_agg(value) AS measured,
       array_agg(numerator) AS numerators, array_agg(denominator) AS denominators
FROM (SELECT measure_id, school_id, period_start, value, numerator, denominator
      FROM measurements
      WHERE district_id = :district_id {measures}
      ORDER BY measure_id, school_id, period_start) AS ordered
GROUP BY measure_id, school_id
ORDER BY measure_id, school_id
"""


async def _measurements(
    session: AsyncSession, district_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, list[History]]:
    """Each measure's histories, one per school (None: district-wide), ordered by period."""
    params: dict[str, Any] = {"district_id": district_id}
    measures = ""
    if ids is not None:
        measures, params["ids"] = "AND measure_id = ANY(CAST(:ids AS uuid[]))", ids
    result = await session.execute(text(_HISTORIES_SQL.format(measures=measures)), params)
    found: dict[uuid.UUID, list[History]] = defaultdict(list)
    for measure_id, school_id, periods, *columns in result.all():
        if periods != sorted(periods):  # never seen; the order is what the figures rest on
            order = sorted(range(len(periods)), key=periods.__getitem__)
            periods = [periods[k] for k in order]
            columns = [[column[k] for k in order] for column in columns]
        found[measure_id].append((school_id, periods, *columns))  # type: ignore[arg-type]
    return found


async def _targets(
    session: AsyncSession, district_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, dict[TargetKey, tuple[float, float]]]:
    stmt = select(
        Target.measure_id, Target.school_id, Target.school_year, Target.value, Target.red_threshold
    ).where(Target.district_id == district_id)
    if ids is not None:
        stmt = stmt.where(Target.measure_id.in_(ids))
    found: dict[uuid.UUID, dict[TargetKey, tuple[float, float]]] = defaultdict(dict)
    for measure_id, school_id, year, value, red in (await session.execute(stmt)).all():
        found[measure_id][(school_id, year)] = (value, red)
    return found


_STORED_SQL = """
SELECT id, measure_id, school_id, school_year, latest_period, latest_value, target,
       red_threshold, status, trend
FROM measure_statuses WHERE district_id = :district_id {measures}
"""


async def _stored_rows(
    session: AsyncSession, district_id: uuid.UUID, ids: list[uuid.UUID] | None
) -> dict[StatusKey, tuple[uuid.UUID, Figures]]:
    """The stored rows of the measures: their ids and figures (as the driver decodes them)."""
    params: dict[str, Any] = {"district_id": district_id}
    measures = ""
    if ids is not None:
        measures, params["ids"] = "AND measure_id = ANY(CAST(:ids AS uuid[]))", ids
    result = await session.execute(text(_STORED_SQL.format(measures=measures)), params)
    return {
        (measure_id, school_id, year): (row_id, tuple(figures))
        for row_id, measure_id, school_id, year, *figures in result.all()
    }


# One statement for every new or changed row, whatever their number. The stamp is read once
# (an uncorrelated subquery is evaluated once), so the rows of one refresh share it;
# clock_timestamp, not now(): computedAt must move past writes committed while this
# transaction was already open.
_UPSERT_SQL = text(
    """
INSERT INTO measure_statuses AS s (
    district_id, id, measure_id, school_id, school_year, latest_period, latest_value, target,
    red_threshold, status, trend, computed_at)
SELECT :district_id, gen_random_uuid(), u.*, (SELECT clock_timestamp())
FROM unnest(
    CAST(:measure_ids AS uuid[]), CAST(:school_ids AS uuid[]), CAST(:school_years AS int[]),
    CAST(:latest_periods AS date[]), CAST(:latest_values AS float8[]),
    CAST(:targets AS float8[]), CAST(:red_thresholds AS float8[]),
    CAST(:statuses AS text[]), CAST(:trends AS text[])) AS u
ON CONFLICT (district_id, measure_id, school_id, school_year) DO UPDATE
SET latest_period = excluded.latest_period, latest_value = excluded.latest_value,
    target = excluded.target, red_threshold = excluded.red_threshold,
    status = excluded.status, trend = excluded.trend, computed_at = excluded.computed_at
"""
)
_PARAMETERS = {
    "latest_period": "latest_periods",
    "latest_value": "latest_values",
    "target": "targets",
    "red_threshold": "red_thresholds",
    "status": "statuses",
    "trend": "trends",
}
_DELETE_SQL = text(
    "DELETE FROM measure_statuses WHERE district_id = :district_id "
    "AND id = ANY(CAST(:row_ids AS uuid[]))"
)


async def _write(
    session: AsyncSession,
    district_id: uuid.UUID,
    changed: dict[StatusKey, Figures],
    gone: list[uuid.UUID],
) -> None:
    if gone:
        await session.execute(_DELETE_SQL, {"district_id": district_id, "row_ids": gone})
    if not changed:
        return
    # Key order: two refreshes of the same rows lock them in the same order.
    keys = sorted(changed, key=lambda k: (k[0].bytes, k[1].bytes if k[1] else b"", k[2]))
    columns = zip(*(changed[key] for key in keys), strict=True)
    await session.execute(
        _UPSERT_SQL,
        {
            "district_id": district_id,
            "measure_ids": [key[0] for key in keys],
            "school_ids": [key[1] for key in keys],
            "school_years": [key[2] for key in keys],
            **{
                _PARAMETERS[column]: list(values)
                for column, values in zip(FIGURES, columns, strict=True)
            },
        },
    )
