"""Each control series as its chart told it at every one of its periods: what a sustainability
verdict of any date reads (``sustainability.facts``).

A verdict as of a date reads, of each series a plan checks (a measure district-wide, or at one
of the project's schools), the periods reported up to the last complete period, the latest
value, and whether the chart as it stood then (its points up to that period) had an
unfavorable point among its last six. Computed from the data, that is every control
measurement and a chart per series on every read: for the 100 plans of bench_improvement, 540
series, 9 ms of PostgreSQL and 10 of Python per request.

So the status refresh job stores each series of every measure some plan checks
(``store_series_signals``): its periods and served values in order and, beside each period,
the ``in_control`` answer of the chart cut there (``analytics.xmr_tail.unfavorable_tails``),
with the series' chart settings it was computed with. A reader (``exact_series_as_of``)
takes a row only when, in the same statement, the measure has no dirty mark and the series'
newest rebase and excluded periods are the row's; every other series is computed from the
data. The argument is the latest chart points' (``measures.latest_points``): a write marks its
measures in the writer's transaction and the job takes the marks before it reads the data, so
a row without a mark holds every committed write; a rebase or an exclusion stops a row from
matching the moment it commits.

- The district-wide series of a SCHOOL-level measure weighted by enrollments is never stored:
  its figures move with the enrollments, which mark nothing.
- Nor is a series with a period that does not start a period of its measure's frequency. The
  API refuses such a period, but a worker's computed values are written as the worker vouches
  for them (the monthly transportation KPIs into a measure a district made QUARTERLY): a
  reader counts a window's periods, which stands for its due periods only when each is one.
- A refreshed measure's rows that it no longer produces are deleted, those of a measure no plan
  checks any more included: the job took its marks without storing it, so a row left behind
  would be trusted, and wrong, once a plan checks the measure again.
- Only rows whose inputs changed are written: a quiet nightly run writes nothing.

Writes made outside the application (``psql``) mark nothing, as for the status rows. Rows
carry no version of the rules: a change to how charts are drawn or judged must empty the table
(a migration), so that reads compute and the nightly run stores anew.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import any_, bindparam, column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.analytics.compliance import IN_CONTROL_POINTS
from district_ppm.analytics.xmr_tail import unfavorable_tails
from district_ppm.db.array_text import array_text, date_array_text, uuid_array_text
from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.measures.charts_models import ChartExclusion, ChartRebase
from district_ppm.measures.models import Direction, MeasureLevel
from district_ppm.measures.periods import period_problem
from district_ppm.measures.series import Series
from district_ppm.tenancy.calendar import get_district_calendar

Scope = uuid.UUID | None  # a school, or None for the district-wide series
SeriesKey = tuple[uuid.UUID, Scope]


class SeriesHistory(NamedTuple):
    """A series' periods and served values, oldest first, and beside each period whether the
    chart cut there had an unfavorable point among its last ``IN_CONTROL_POINTS``."""

    periods: list[date]
    values: list[float]
    out_of_control: list[bool]


def series_history(
    series: Series, *, start: date | None, exclusions: Collection[date], higher_is_better: bool
) -> SeriesHistory:
    """The history of a series (oldest first) whose chart is drawn from ``start`` without
    ``exclusions``: at each period, the chart of the points kept up to it."""
    kept: list[float] = []
    kept_by_period = []  # how many points the chart holds up to each period
    for period, value in series:
        if (start is None or period >= start) and period not in exclusions:
            kept.append(value)
        kept_by_period.append(len(kept))
    tails = unfavorable_tails(kept, higher_is_better=higher_is_better, points=IN_CONTROL_POINTS)
    return SeriesHistory(
        [period for period, _ in series],
        [value for _, value in series],
        [count > 0 and tails[count - 1] for count in kept_by_period],
    )


def storable(level: MeasureLevel, aggregation: Aggregation | None, scope: Scope) -> bool:
    """Whether a series may be stored: not the district-wide series of a SCHOOL-level measure
    weighted by enrollments, which move without marking the measure."""
    return not (
        scope is None
        and level is MeasureLevel.SCHOOL
        and aggregation is Aggregation.ENROLLMENT_WEIGHTED_MEAN
    )


# Every scope's rebases (newest first) and excluded periods of some measures: built once,
# fetched by the driver (db.plain_rows). Readers that compute a chart read them too.
OF_MEASURES = ids_param("ids")
REBASES = (
    select(ChartRebase.measure_id, ChartRebase.school_id, ChartRebase.start_period)
    .where(
        ChartRebase.district_id == bindparam("district_id"),
        ChartRebase.measure_id == any_(OF_MEASURES),
    )
    .order_by(ChartRebase.created_at.desc(), ChartRebase.id)
)
EXCLUSIONS = select(
    ChartExclusion.measure_id,
    ChartExclusion.school_id,
    ChartExclusion.period_start,
    ChartExclusion.reason,
).where(
    ChartExclusion.district_id == bindparam("district_id"),
    ChartExclusion.measure_id == any_(OF_MEASURES),
)

# The stored rows of the series asked for that are exact (see the module docstring), each cut
# to its windows: one statement, one snapshot. Each series is found by its own probe of the
# unique index (a hash of the district's every row took 3 of the statement's 4.5 ms) and cut
# by binary searches of its periods (width_bucket: how many are at most a date), district-wide
# and school windows in two branches (an Append per window with one branch gated off cost a
# tenth of the statement: 2.0 ms against 1.8 for 540 windows); the settings are joined as sets
# (a district has few of them). A window's periods are counted, not sent:
# the driver decodes a date in about 120 ns, and the whole series were 19,400 of them. The
# windows go as array text (``db.array_text``) and come back as their positions: 540 windows'
# ids and dates cost 8M instructions to encode and decode, a tenth of a computation.
_EXACT = text(
    """
WITH rebases AS (
    SELECT DISTINCT ON (r.measure_id, r.school_id) r.measure_id, r.school_id, r.start_period
    FROM control_chart_rebases r
    WHERE r.district_id = :district_id
      AND r.measure_id = ANY(CAST(CAST(:measure_ids AS text) AS uuid[]))
    ORDER BY r.measure_id, r.school_id, r.created_at DESC, r.id
), excluded AS (
    SELECT e.measure_id, e.school_id, array_agg(e.period_start ORDER BY e.period_start) AS periods
    FROM control_chart_exclusions e
    WHERE e.district_id = :district_id
      AND e.measure_id = ANY(CAST(CAST(:measure_ids AS text) AS uuid[]))
    GROUP BY e.measure_id, e.school_id
), w AS (
    SELECT * FROM unnest(CAST(CAST(:measure_ids_of AS text) AS uuid[]),
                         CAST(CAST(:school_ids_of AS text) AS uuid[]),
                         CAST(CAST(:firsts AS text) AS date[]),
                         CAST(CAST(:throughs AS text) AS date[]))
         WITH ORDINALITY AS w(measure_id, school_id, first_due, through, n)
), probed AS (
    SELECT w.n, w.first_due, w.through, s.*
    FROM w CROSS JOIN LATERAL (
        SELECT s.* FROM measure_series_signals s
        WHERE s.district_id = :district_id AND s.measure_id = w.measure_id
          AND s.school_id IS NULL
    ) AS s
    WHERE w.school_id IS NULL
    UNION ALL
    SELECT w.n, w.first_due, w.through, s.*
    FROM w CROSS JOIN LATERAL (
        SELECT s.* FROM measure_series_signals s
        WHERE s.district_id = :district_id AND s.measure_id = w.measure_id
          AND s.school_id = w.school_id
    ) AS s
    WHERE w.school_id IS NOT NULL
), found AS (
    SELECT s.n, s.measure_id, s.school_id, s.rebase_start, s.exclusions,
           greatest(k.upto - width_bucket(s.first_due - 1, s.periods), 0) AS reported,
           s.periods[k.upto] AS latest_period, s.vals[k.upto] AS latest_value,
           coalesce(s.out_of_control[k.upto], false) AS out_of_control
    FROM probed s
    CROSS JOIN LATERAL (SELECT width_bucket(s.through, s.periods) AS upto) AS k
)
SELECT s.n, s.reported, s.latest_period, s.latest_value, s.out_of_control
FROM found s
LEFT JOIN rebases r
  ON r.measure_id = s.measure_id AND r.school_id IS NOT DISTINCT FROM s.school_id
LEFT JOIN excluded e
  ON e.measure_id = s.measure_id AND e.school_id IS NOT DISTINCT FROM s.school_id
WHERE s.rebase_start IS NOT DISTINCT FROM r.start_period
  AND s.exclusions = coalesce(e.periods, '{}')
  AND s.measure_id NOT IN (SELECT d.measure_id FROM measure_dirty_marks d
                           WHERE d.district_id = :district_id)
"""
).columns(*map(column, ("n", "reported", "latest_period", "latest_value", "out_of_control")))

# A series and a window of it: (measure, school or None, first period, last period).
Window = tuple[uuid.UUID, Scope, date, date]


class SeriesAsOf(NamedTuple):
    """A series cut at a window's last period (``through``): how many periods from the
    window's first to ``through`` have a value, its latest value up to ``through``, and
    whether its chart as it stood then had an unfavorable point among its last
    ``IN_CONTROL_POINTS``."""

    reported: int
    latest: tuple[date, float] | None
    out_of_control: bool


async def exact_series_as_of(
    *, session: AsyncSession, district_id: uuid.UUID, windows: Collection[Window]
) -> dict[Window, SeriesAsOf]:
    """The stored series of ``windows`` that are exact (see the module docstring), cut to
    each window: a window missing from the answer is computed from the data by the caller.
    One statement.

    A window's periods are counted, not listed: every period of a stored series is a period
    start of its measure's frequency (``store_series_signals`` stores no other series; the
    district's calendar never changes), so the periods of a window that have a value are as
    many as its due periods that have one."""
    if not windows:
        return {}
    keys = list(windows)
    rows = await fetch_tuples(
        session,
        _EXACT,
        {
            "district_id": district_id,
            "measure_ids": uuid_array_text({key[0] for key in keys}),
            "measure_ids_of": uuid_array_text([key[0] for key in keys]),
            "school_ids_of": uuid_array_text([key[1] for key in keys]),
            "firsts": date_array_text([key[2] for key in keys]),
            "throughs": date_array_text([key[3] for key in keys]),
        },
    )
    # Each row names its window by its position in the lists sent (from 1). tuple.__new__ in
    # C, not the NamedTuple's own __new__ (a Python call per window).
    return {
        keys[n - 1]: tuple.__new__(
            SeriesAsOf, (reported, None if period is None else (period, value), signal)
        )
        for n, reported, period, value, signal in rows
    }


# Of some measures: those a sustainability plan checks (a row without a school or series), and
# every stored row. One statement: a district without plans pays one round trip per refresh.
_CHECKED_AND_STORED = text(
    """
SELECT DISTINCT p.measure_id, NULL::uuid AS school_id, NULL::date[] AS periods,
       NULL::float8[] AS vals, NULL::date AS rebase_start, NULL::date[] AS exclusions,
       true AS checked
FROM sustainability_plan_measures p
WHERE p.district_id = :district_id AND p.measure_id = ANY(CAST(:ids AS uuid[]))
UNION ALL
SELECT s.measure_id, s.school_id, s.periods, s.vals, s.rebase_start, s.exclusions, false
FROM measure_series_signals s
WHERE s.district_id = :district_id AND s.measure_id = ANY(CAST(:ids AS uuid[]))
"""
).columns(
    *map(
        column,
        ("measure_id", "school_id", "periods", "vals", "rebase_start", "exclusions", "checked"),
    )
)
# Every changed row in one statement, whatever their number. A row's arrays travel as their
# text ('{2024-01-01,2024-02-01}'): unnest cannot take arrays of uneven lengths.
_UPSERT = text(
    """
INSERT INTO measure_series_signals AS s (
    district_id, id, measure_id, school_id, periods, vals, out_of_control, rebase_start,
    exclusions)
SELECT :district_id, gen_random_uuid(), u.measure_id, u.school_id, CAST(u.periods AS date[]),
       CAST(u.vals AS float8[]), CAST(u.out_of_control AS boolean[]), u.rebase_start,
       CAST(u.exclusions AS date[])
FROM unnest(CAST(:measure_ids AS uuid[]), CAST(:school_ids AS uuid[]),
            CAST(:periods AS text[]), CAST(:vals AS text[]), CAST(:out_of_control AS text[]),
            CAST(:rebase_starts AS date[]), CAST(:exclusions AS text[]))
     AS u(measure_id, school_id, periods, vals, out_of_control, rebase_start, exclusions)
ON CONFLICT (district_id, measure_id, school_id) DO UPDATE
SET periods = excluded.periods, vals = excluded.vals, out_of_control = excluded.out_of_control,
    rebase_start = excluded.rebase_start, exclusions = excluded.exclusions
"""
)
_DELETE = text(
    """
DELETE FROM measure_series_signals s
USING unnest(CAST(:measure_ids AS uuid[]), CAST(:school_ids AS uuid[])) AS g(measure_id, school_id)
WHERE s.district_id = :district_id AND s.measure_id = g.measure_id
  AND s.school_id IS NOT DISTINCT FROM g.school_id
"""
)

# (periods, values, the newest rebase's start, the excluded periods in order)
_Inputs = tuple[list[date], list[float], date | None, list[date]]


async def store_series_signals(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: Sequence[Any],
    series: Mapping[uuid.UUID, Mapping[Scope, Series]],
) -> int:
    """Store every series of each of ``measures`` that a plan checks, computed from
    ``series`` (what the status refresh computed in this transaction, after taking the
    marks: each measure's series by scope, served), and delete the measures' rows it no
    longer produces. Only rows whose series or settings changed are written. Returns how
    many rows were written or deleted. Called by the status refresh job only (see the
    module docstring)."""
    if not measures:
        return 0
    of_ids = {"district_id": district_id, "ids": [m.id for m in measures]}
    checked: set[uuid.UUID] = set()
    stored: dict[SeriesKey, _Inputs] = {}
    for row in await fetch_tuples(session, _CHECKED_AND_STORED, of_ids):
        if row[6]:
            checked.add(row[0])
        else:
            stored[(row[0], row[1])] = (list(row[2]), list(row[3]), row[4], list(row[5]))
    if not checked and not stored:
        return 0
    settings = {**of_ids, "ids": sorted(checked)}
    starts: dict[SeriesKey, date] = {}
    for measure_id, school_id, start in await fetch_tuples(session, REBASES, settings):
        starts.setdefault((measure_id, school_id), start)  # the newest of the scope
    excluded: dict[SeriesKey, set[date]] = defaultdict(set)
    for measure_id, school_id, period, _ in await fetch_tuples(session, EXCLUSIONS, settings):
        excluded[(measure_id, school_id)].add(period)

    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    changed: dict[SeriesKey, tuple[_Inputs, SeriesHistory]] = {}
    fresh: set[SeriesKey] = set()
    for measure in measures:
        if measure.id not in checked:
            continue
        for scope, points in series.get(measure.id, {}).items():
            key = (measure.id, scope)
            if not storable(measure.level, measure.aggregation, scope):
                continue
            inputs: _Inputs = (
                [period for period, _ in points],
                [value for _, value in points],
                starts.get(key),
                sorted(excluded.get(key, ())),
            )
            if stored.get(key) == inputs:
                fresh.add(key)  # checked when it was stored
                continue
            if any(period_problem(measure.frequency, p, fy_month) for p in inputs[0]):
                continue  # a window's periods would not count its due periods: computed
            fresh.add(key)
            changed[key] = (
                inputs,
                series_history(
                    points,
                    start=inputs[2],
                    exclusions=excluded.get(key, set()),
                    higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
                ),
            )
    gone = sorted((key for key in stored if key not in fresh), key=_key_order)
    if gone:
        await session.execute(
            _DELETE,
            {
                "district_id": district_id,
                "measure_ids": [key[0] for key in gone],
                "school_ids": [key[1] for key in gone],
            },
        )
    if changed:
        # Key order: two refreshes of the same rows lock them in the same order.
        keys = sorted(changed, key=_key_order)
        await session.execute(
            _UPSERT,
            {
                "district_id": district_id,
                "measure_ids": [key[0] for key in keys],
                "school_ids": [key[1] for key in keys],
                "periods": [array_text(changed[key][1].periods) for key in keys],
                "vals": [array_text(changed[key][1].values) for key in keys],
                "out_of_control": [array_text(changed[key][1].out_of_control) for key in keys],
                "rebase_starts": [changed[key][0][2] for key in keys],
                "exclusions": [array_text(changed[key][0][3]) for key in keys],
            },
        )
    return len(changed) + len(gone)


def _key_order(key: SeriesKey) -> tuple[bytes, bytes]:
    return key[0].bytes, key[1].bytes if key[1] is not None else b""
