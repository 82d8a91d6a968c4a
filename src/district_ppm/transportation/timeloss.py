"""Instructional time lost: the worker's set-based recompute, and the report it serves.

Two stored grains: ``time_loss_route_months`` (one route's runs in one month, rebuilt from
``bus_runs`` for exactly the pairs the dirty marks span) and ``time_loss_rollups`` (a school year's
sums by school, route, month and for the district, re-aggregated from the route-months of the
affected school years, which is a few thousand rows). Dirty pairs are replaced whole; the
full rebuild and the roll-ups write only rows whose figures changed (``db.sync_rows``), so a
nightly run over unchanged runs writes nothing. All inside the caller's transaction: a retry
or a duplicate message recomputes the same numbers, and a crash leaves the previous numbers
and the dirty marks as they were. Each writer marks the months it changed, a span per route,
with marks of its own (``take_dirty_months`` says why no write is lost to a recompute running
beside it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import String, and_, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.sync_rows import sync_rows_sql
from district_ppm.school_calendar import check_school_year
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import get_district_calendar
from district_ppm.transportation import measurements
from district_ppm.transportation.minutes import average_late_minutes, hours_from_minutes
from district_ppm.transportation.models import BusRoute, TimeLossRollup, TimeLossState

GROUPINGS = ("SCHOOL", "ROUTE", "MONTH")
# For this transaction: a full rebuild groups every run of the district by route and month
# (810,000 runs, 40,500 groups: at the default 4MB the aggregate spilled 46MB to disk and took
# 5 s of a 7 s recompute).
WORK_MEM = "64MB"

# Whole minutes since midnight; seconds ignored (docs/formulas.md, "Transportation"). By
# date_part, in floats (whole numbers under 1,440, exact): extract gives numerics, whose
# arithmetic cost 0.6 s per 810,000 runs against 0.35.
_MINUTE = "(date_part('hour', {t}) * 60 + date_part('minute', {t}))::int"
_LATE = (
    f"greatest(0, {_MINUTE.format(t='r.actual_arrival')} "
    f"- {_MINUTE.format(t='r.scheduled_arrival')})"
)
_LOST = f"greatest(0, {_MINUTE.format(t='r.actual_arrival')} - {_MINUTE.format(t='r.first_bell')})"

# Route-months from runs (the CTE ``runs``, of all the district's runs or the dirty pairs').
_ROUTE_MONTHS_SELECT = f"""
SELECT m.district_id, m.route_id, m.month, m.school_id,
       CASE WHEN extract(month FROM m.month) >= 7
            THEN extract(year FROM m.month)::int + 1 ELSE extract(year FROM m.month)::int END,
       count(*)::int,
       (count(*) FILTER (WHERE m.late > :grace))::int,
       coalesce(sum(m.late) FILTER (WHERE m.late > :grace), 0)::bigint,
       sum(m.lost)::bigint,
       sum(m.lost::bigint * m.riders)::bigint
FROM (
    SELECT r.district_id, r.route_id, date_trunc('month', r.service_date::timestamp)::date AS month,
           r.school_id, r.riders, {_LATE} AS late, {_LOST} AS lost
    FROM runs r
    WHERE r.district_id = :district_id
) m
GROUP BY m.district_id, m.route_id, m.month, m.school_id
"""  # noqa: S608
_RUNS_CTE = """WITH {pairs} runs AS {materialized} (
    SELECT r.district_id, r.route_id, r.service_date, r.scheduled_arrival, r.actual_arrival,
           r.riders, rt.school_id, rt.first_bell
    FROM {runs}
)"""
_ROUTE_MONTH_FIGURES = [
    "school_id",
    "school_year",
    "runs",
    "late_instances",
    "late_minutes",
    "instructional_minutes_lost",
    "student_instructional_minutes_lost",
]

_ALL_RUNS = """bus_runs r
    JOIN (SELECT rt.id, rt.school_id, s.first_bell FROM bus_routes rt
          JOIN schools s ON s.district_id = rt.district_id AND s.id = rt.school_id
          WHERE rt.district_id = :district_id) rt ON rt.id = r.route_id
    WHERE r.district_id = :district_id"""
# The dirty pairs with their route's school and first bell, gathered first (MATERIALIZED):
# then each pair is one range scan of the runs' primary key, fenced (OFFSET 0) so that the
# planner cannot flatten it into a join. Right after a bulk import the tables are not
# analyzed yet: a plan built on those statistics rescanned every run of the district for
# every school, or every dirty pair's runs for every school (a second where this takes 0.1).
_DIRTY_PAIRS = """pairs AS MATERIALIZED (
    SELECT d.route_id, d.month, rt.school_id, s.first_bell
    FROM unnest(CAST(:route_ids AS uuid[]), CAST(:months AS date[])) AS d(route_id, month)
    JOIN bus_routes rt ON rt.district_id = :district_id AND rt.id = d.route_id
    JOIN schools s ON s.district_id = rt.district_id AND s.id = rt.school_id
),"""
# Aliased rt, as the full path's routes are: ``_RUNS_CTE`` reads rt.school_id, rt.first_bell.
_DIRTY_RUNS = """pairs rt
    CROSS JOIN LATERAL (
        SELECT x.* FROM bus_runs x
        WHERE x.district_id = :district_id AND x.route_id = rt.route_id
          AND x.service_date >= rt.month
          AND x.service_date < (rt.month + interval '1 month')::date
        OFFSET 0) r"""
# The full rebuild writes only the route-months whose figures changed (nightly: none, most
# nights); the incremental one replaces the dirty pairs' rows whole.
_ALL_ROUTE_MONTHS_SQL = sync_rows_sql(
    table="time_loss_route_months",
    with_=_RUNS_CTE.format(pairs="", runs=_ALL_RUNS, materialized="NOT MATERIALIZED") + ",",
    fresh=_ROUTE_MONTHS_SELECT,
    key=["route_id", "month"],
    figures=_ROUTE_MONTH_FIGURES,
)
_DIRTY_ROUTE_MONTHS_SQL = (
    _RUNS_CTE.format(pairs=_DIRTY_PAIRS, runs=_DIRTY_RUNS, materialized="MATERIALIZED")
    + " INSERT INTO time_loss_route_months (district_id, route_id, month, "
    + ", ".join(_ROUTE_MONTH_FIGURES)
    + ")"
    + _ROUTE_MONTHS_SELECT
)

# A school year's sums by school, route and month and for the district, from its route-months;
# only rows whose sums changed are written.
_ROLLUPS_SQL = sync_rows_sql(
    table="time_loss_rollups",
    fresh="""
    SELECT district_id, school_year,
           CASE WHEN grouping(school_id) = 0 THEN 'SCHOOL'
                WHEN grouping(route_id) = 0 THEN 'ROUTE'
                WHEN grouping(month) = 0 THEN 'MONTH'
                ELSE 'DISTRICT' END,
           coalesce(school_id::text, route_id::text, to_char(month, 'YYYY-MM'), ''),
           sum(runs)::int, sum(late_instances)::int, sum(late_minutes)::bigint,
           sum(instructional_minutes_lost)::bigint,
           sum(student_instructional_minutes_lost)::bigint
    FROM time_loss_route_months
    WHERE district_id = :district_id AND school_year = ANY(CAST(:years AS int[]))
    GROUP BY district_id, school_year, GROUPING SETS ((school_id), (route_id), (month), ())""",
    key=["school_year", "grouping", "group_key"],
    figures=[
        "runs",
        "late_instances",
        "late_minutes",
        "instructional_minutes_lost",
        "student_instructional_minutes_lost",
    ],
    scope="AND r.school_year = ANY(CAST(:years AS int[]))",
)

# Whether a full run has anything to read or to clear: a district without buses (most) costs
# one statement and writes nothing.
_ANY_TRANSPORT_SQL = """
SELECT EXISTS (SELECT 1 FROM bus_routes WHERE district_id = :district_id)
    OR EXISTS (SELECT 1 FROM time_loss_route_months WHERE district_id = :district_id)
    OR EXISTS (SELECT 1 FROM time_loss_rollups WHERE district_id = :district_id)
"""


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    full: bool
    route_months: int
    school_years: list[int]


async def recompute_time_loss(
    *, session: AsyncSession, district_id: uuid.UUID, full: bool = False
) -> RecomputeResult:
    """Bring the district's roll-ups (and transportation KPIs) up to date with its runs.

    Incremental by default: only the (route, month) pairs marked dirty are rebuilt, then the
    school years they belong to are re-aggregated. ``full`` (nightly, or after the grace
    changed) rebuilds everything. The caller holds the district's lock and commits.
    """
    calendar = await get_district_calendar(session=session, district_id=district_id)
    grace = calendar.late_bus_grace_minutes
    state = await session.get(TimeLossState, district_id)
    # A grace other than the one the stored numbers used changes every run's lateness.
    regraced = state is not None and state.grace_minutes != grace
    nightly = full and not regraced and state is not None
    full = full or regraced
    params = {"district_id": district_id, "grace": grace}
    if nightly and not await session.scalar(text(_ANY_TRANSPORT_SQL), params):
        return RecomputeResult(full=True, route_months=0, school_years=[])
    await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    dirty = await take_dirty_months(session=session, district_id=district_id)
    if full:
        changed = (await session.execute(text(_ALL_ROUTE_MONTHS_SQL), params)).scalar_one()
        years = list(
            (
                await session.scalars(
                    text(
                        "SELECT DISTINCT school_year FROM time_loss_route_months "
                        "WHERE district_id = :district_id UNION "
                        "SELECT DISTINCT school_year FROM time_loss_rollups "
                        "WHERE district_id = :district_id"
                    ),
                    params,
                )
            ).all()
        )
        touched: list[tuple[uuid.UUID, date]] | None = None
    else:
        if not dirty and state is not None:
            return RecomputeResult(full=False, route_months=0, school_years=[])
        touched = [(route_id, month) for route_id, month in dirty]
        pairs = {
            **params,
            "route_ids": [route_id for route_id, _ in touched],
            "months": [month for _, month in touched],
        }
        await session.execute(
            text(
                "DELETE FROM time_loss_route_months t USING unnest(CAST(:route_ids AS uuid[]), "
                "CAST(:months AS date[])) AS d(route_id, month) WHERE t.district_id = :district_id "
                "AND t.route_id = d.route_id AND t.month = d.month"
            ),
            pairs,
        )
        await session.execute(text(_DIRTY_ROUTE_MONTHS_SQL), pairs)
        years = sorted({month.year + 1 if month.month >= 7 else month.year for _, month in touched})
        changed = len(touched)
    changed += await _rebuild_rollups(session, district_id, years)
    # The KPI values are merged (only values that differ are written, and those measures'
    # status refresh queued): they are the measures area's figures, with their own computedAt.
    await measurements.write_time_loss_measurements(
        session=session, district_id=district_id, route_months=touched
    )
    # The nightly run moves this report's computedAt only when a figure of it changed; after
    # a write it moves on in any case (past the write, as the API promises).
    if changed or not nightly:
        await _mark_computed(session, district_id, grace)
    return RecomputeResult(
        full=full, route_months=len(touched) if touched is not None else -1, school_years=years
    )


# Each writer leaves its own mark (the key carries its transaction id), a span of one route's
# months: each span is taken as its months, and a month several marks cover is taken once.
# A span with an infinite end (a run dated 'infinity', which imports once accepted) would be
# an endless series: it is taken, and it names no month.
_TAKE_DIRTY_MONTHS_SQL = text(
    "WITH taken AS (DELETE FROM bus_run_dirty_months WHERE district_id = :district_id "
    "RETURNING route_id, first_month, last_month) "
    "SELECT DISTINCT t.route_id, m.month::date FROM taken t CROSS JOIN LATERAL "
    "generate_series(t.first_month::timestamp, t.last_month::timestamp, interval '1 month') "
    "AS m(month) WHERE isfinite(t.first_month) AND isfinite(t.last_month) ORDER BY 1, 2"
)


async def take_dirty_months(
    *, session: AsyncSession, district_id: uuid.UUID
) -> list[tuple[uuid.UUID, date]]:
    """Delete the district's committed marks and return the (route, month) pairs they span,
    each once (in the caller's transaction: a rollback puts them back). A month of a span in
    which the route has no run is rebuilt to nothing, as it stands.

    Taken before the runs are read: a mark is visible only once its writer committed, so the
    read that follows sees that write. A writer still open now keeps its own mark (never
    merged into one taken here) for the next recompute, which its commit queues.
    """
    result = await session.execute(_TAKE_DIRTY_MONTHS_SQL, {"district_id": district_id})
    return [(route_id, month) for route_id, month in result]


async def _rebuild_rollups(session: AsyncSession, district_id: uuid.UUID, years: list[int]) -> int:
    """Bring the roll-ups of ``years`` to their route-months; returns how many rows changed."""
    if not years:
        return 0
    params = {"district_id": district_id, "years": years}
    return int((await session.execute(text(_ROLLUPS_SQL), params)).scalar_one())


async def _mark_computed(session: AsyncSession, district_id: uuid.UUID, grace: int) -> None:
    await session.execute(
        text(
            "INSERT INTO time_loss_state (district_id, computed_at, grace_minutes) "
            "VALUES (:district_id, clock_timestamp(), :grace) "
            "ON CONFLICT (district_id) DO UPDATE "
            "SET computed_at = excluded.computed_at, grace_minutes = excluded.grace_minutes"
        ),
        {"district_id": district_id, "grace": grace},
    )


@dataclass(frozen=True, slots=True)
class TimeLossFigures:
    key: str
    label: str
    late_instances: int
    late_minutes: int
    average_late_minutes: float
    instructional_hours_lost: Decimal
    student_instructional_hours_lost: Decimal


@dataclass(frozen=True, slots=True)
class TimeLossReport:
    computed_at: datetime | None
    grace_minutes: int | None
    rows: list[TimeLossFigures]
    total: TimeLossFigures


def _figures(key: str, label: str, row: TimeLossRollup | None) -> TimeLossFigures:
    late_instances = row.late_instances if row else 0
    late_minutes = row.late_minutes if row else 0
    return TimeLossFigures(
        key=key,
        label=label,
        late_instances=late_instances,
        late_minutes=late_minutes,
        average_late_minutes=average_late_minutes(late_minutes, late_instances),
        instructional_hours_lost=hours_from_minutes(row.instructional_minutes_lost if row else 0),
        student_instructional_hours_lost=hours_from_minutes(
            row.student_instructional_minutes_lost if row else 0
        ),
    )


async def time_loss_report(
    *, session: AsyncSession, district_id: uuid.UUID, school_year: int, grouping: str
) -> TimeLossReport:
    """The stored roll-ups of ``school_year`` (July 1 - June 30, named by its end year) by
    ``grouping``, with the district's totals. Keys are ids for SCHOOL and ROUTE, ``YYYY-MM``
    for MONTH; labels are the school's name, the route's code, or the month as its key.
    ``computed_at`` is null until the worker has run once."""
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}")
    check_school_year(school_year)
    # Labels come in the same statement: an id's text form matches the stored key.
    label = func.coalesce(School.name, BusRoute.code, TimeLossRollup.group_key)
    stored = (
        await session.execute(
            select(TimeLossRollup, label)
            .outerjoin(
                School,
                and_(
                    TimeLossRollup.grouping == "SCHOOL",
                    School.district_id == TimeLossRollup.district_id,
                    cast(School.id, String) == TimeLossRollup.group_key,
                ),
            )
            .outerjoin(
                BusRoute,
                and_(
                    TimeLossRollup.grouping == "ROUTE",
                    BusRoute.district_id == TimeLossRollup.district_id,
                    cast(BusRoute.id, String) == TimeLossRollup.group_key,
                ),
            )
            .where(
                TimeLossRollup.district_id == district_id,
                TimeLossRollup.school_year == school_year,
                TimeLossRollup.grouping.in_([grouping, "DISTRICT"]),
            )
            .order_by(TimeLossRollup.group_key)
        )
    ).all()
    state = await session.get(TimeLossState, district_id)
    total = next((row for row, _ in stored if row.grouping == "DISTRICT"), None)
    return TimeLossReport(
        computed_at=state.computed_at if state else None,
        grace_minutes=state.grace_minutes if state else None,
        rows=[
            _figures(row.group_key, name, row) for row, name in stored if row.grouping == grouping
        ],
        total=_figures("", "", total),
    )
