"""What a plan's verdict is computed from: its control measures' series, charts and targets,
read for every plan of a computation at once."""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import NamedTuple, Protocol, cast

from sqlalchemy import Integer, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.analytics.compliance import IN_CONTROL_POINTS, out_of_control, reported_due
from district_ppm.analytics.points import Points
from district_ppm.analytics.xmr import XmrChart
from district_ppm.analytics.xmr_tail import chart_tail
from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.measures.models import (
    SERVED_DECIMALS,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Target,
    Unit,
    served,
)
from district_ppm.measures.series import load_district_series
from district_ppm.measures.series_signals import (
    EXCLUSIONS,
    OF_MEASURES,
    REBASES,
    SeriesAsOf,
    Window,
    exact_series_as_of,
    storable,
)
from district_ppm.school_calendar import school_year_of
from district_ppm.sustainability.models import PlanMeasure

Scope = uuid.UUID | None  # a school, or None for the district-wide series


class CheckedMeasure(Protocol):
    """What a verdict reads of a control measure: an ORM row, or ``ControlMeasure``."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def level(self) -> MeasureLevel: ...
    @property
    def unit(self) -> Unit: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def frequency(self) -> Frequency: ...
    @property
    def aggregation(self) -> Aggregation: ...


class ControlMeasure(NamedTuple):
    """A plan's control measure as a Core row: the measure's columns a verdict reads and the
    plan's own target for it (a computation reads every plan's at once, hundreds of them)."""

    plan_id: uuid.UUID
    target: float | None
    id: uuid.UUID
    code: str
    level: MeasureLevel
    unit: Unit
    direction: Direction
    frequency: Frequency
    aggregation: Aggregation


# Each plan's control measures: built once, fetched by the driver (db.plain_rows). Through the
# ORM session, with a row's ``_asdict`` per control, 300 controls cost about 10 ms of CPU.
_CONTROLS = (
    select(
        PlanMeasure.plan_id,
        PlanMeasure.target,
        Measure.id,
        Measure.code,
        Measure.level,
        Measure.unit,
        Measure.direction,
        Measure.frequency,
        Measure.aggregation,
    )
    .join(
        Measure,
        (Measure.district_id == PlanMeasure.district_id) & (Measure.id == PlanMeasure.measure_id),
    )
    .where(
        PlanMeasure.district_id == bindparam("district_id"),
        PlanMeasure.plan_id == any_(ids_param("plan_ids")),
    )
    .order_by(PlanMeasure.plan_id, PlanMeasure.position)
)


async def checked_controls(
    *, session: AsyncSession, district_id: uuid.UUID, plan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ControlMeasure]]:
    """Each plan's control measures, in the plan's order, with their measures. One statement."""
    found: dict[uuid.UUID, list[ControlMeasure]] = defaultdict(list)
    rows = await fetch_tuples(
        session, _CONTROLS, {"district_id": district_id, "plan_ids": list(plan_ids)}
    )
    for row in rows:
        found[row[0]].append(ControlMeasure(*row))
    return {plan_id: found[plan_id] for plan_id in plan_ids}


# One row per series, its periods and values in arrays, ordered by period: a few hundred rows
# where the values one by one were tens of thousands, decoded by the driver (dates and floats
# already). The stored district-wide series of DISTRICT-level measures; SCHOOL-level measures at
# every school; and at given schools, each (measure, school) pair read by its own range of the
# measurements' unique key (as a list of pairs ORed together, PostgreSQL planned 360 index
# scans and a parallel sort: 60 ms for 13,000 rows).
_SERIES_SQL = """
SELECT x.measure_id, NULL::uuid AS school_id,
       array_agg(x.period_start ORDER BY x.period_start) AS periods,
       array_agg(x.value ORDER BY x.period_start) AS vals
FROM measurements x
WHERE x.district_id = :district_id AND x.measure_id = ANY(CAST(:district_level AS uuid[]))
  AND x.school_id IS NULL
GROUP BY x.measure_id
UNION ALL
SELECT x.measure_id, x.school_id,
       array_agg(x.period_start ORDER BY x.period_start),
       array_agg(x.value ORDER BY x.period_start)
FROM measurements x
WHERE x.district_id = :district_id AND x.measure_id = ANY(CAST(:every_school AS uuid[]))
  AND x.school_id IS NOT NULL
GROUP BY x.measure_id, x.school_id
UNION ALL
SELECT k.measure_id, k.school_id, p.periods, p.vals
FROM unnest(CAST(:pair_measures AS uuid[]), CAST(:pair_schools AS uuid[]))
     AS k(measure_id, school_id)
CROSS JOIN LATERAL (
    SELECT array_agg(x.period_start ORDER BY x.period_start) AS periods,
           array_agg(x.value ORDER BY x.period_start) AS vals
    FROM measurements x
    WHERE x.district_id = :district_id AND x.measure_id = k.measure_id
      AND x.school_id = k.school_id
) AS p
WHERE p.periods IS NOT NULL
"""


# The measures' targets, every scope: built once, fetched by the driver (db.plain_rows).
_TARGETS = select(
    Target.measure_id, Target.school_id, Target.school_year, Target.value, Target.red_threshold
).where(Target.district_id == bindparam("district_id"), Target.measure_id == any_(OF_MEASURES))
_TARGETS_OF_YEARS = _TARGETS.where(
    Target.school_year == any_(bindparam("years", type_=ARRAY(Integer)))
)


class MeasureFacts:
    """The plans' measures' series, charts and targets, read in a few statements whatever the
    number of plans: one chart at a time (``get_control_chart``) cost five statements per
    control measure, 3 s for 100 plans of three measures.

    Series are as the measures area serves them (``load_district_series`` district-wide);
    charts are drawn by ``measures.charts.draw_chart`` from the newest rebase of their scope,
    without the scope's excluded points, as ``controlChart`` draws them. A series the status
    refresh stored, and that is exact, is read as stored with its chart's answer at each
    period (``measures.series_signals``); the others are computed from the data.
    """

    def __init__(self, session: AsyncSession, district_id: uuid.UUID) -> None:
        self.session = session
        self.district_id = district_id
        self.series: dict[tuple[uuid.UUID, Scope], Sequence[tuple[date, float]]] = {}
        self.stored: dict[Window, SeriesAsOf] = {}
        self.rebases: dict[tuple[uuid.UUID, Scope], date] = {}
        self.exclusions: dict[tuple[uuid.UUID, Scope], dict[date, str]] = defaultdict(dict)
        # Each measure's targets by scope (None: district-wide), then school year.
        self.targets: dict[uuid.UUID, dict[Scope, dict[int, tuple[float, float]]]] = {}

    async def load(
        self,
        *,
        district_wide: Sequence[CheckedMeasure],
        at_schools: Sequence[CheckedMeasure],
        schools: Mapping[uuid.UUID, Collection[uuid.UUID]] | None = None,
        windows: Collection[Window] = (),
    ) -> None:
        """Everything about the measures checked district-wide and the SCHOOL-level measures
        checked at schools (each school's own series): at the ``schools`` given for each
        measure id, at every school when None. Each of ``windows`` (a series, its first due
        period and its last complete one, as ``as_of`` will ask) is read as stored when the
        stored series is exact; every other series is computed."""
        pairs: list[tuple[uuid.UUID, uuid.UUID]] = []
        if schools is not None:
            # Only the schools each measure is checked at: a SCHOOL-level measure is often
            # recorded at every school, and a plan's project names a few of them
            # (bench_improvement: 13,000 rows read instead of 86,000, the check twice as fast).
            pairs = [(m.id, school) for m in at_schools for school in schools.get(m.id, ())]
        levels = {m.id: (m.level, m.aggregation) for m in [*district_wide, *at_schools]}
        self.stored = await exact_series_as_of(
            session=self.session,
            district_id=self.district_id,
            windows=[w for w in windows if w[0] in levels and storable(*levels[w[0]], w[1])],
        )
        # A series is read from the data unless every window of it was stored and exact.
        unstored = {w[:2] for w in windows if w not in self.stored}
        if windows:
            district_wide = [m for m in district_wide if (m.id, None) in unstored]
            pairs = [pair for pair in pairs if pair in unstored]
        await self._compute_series(
            district_wide, at_schools, [m.id for m in at_schools] if schools is None else [], pairs
        )
        of_ids = {"district_id": self.district_id, "ids": sorted(levels)}
        if self.series:  # a stored series was checked against its settings: only these need them
            of_computed = {**of_ids, "ids": sorted({measure_id for measure_id, _ in self.series})}
            for measure_id, school_id, start in await fetch_tuples(
                self.session, REBASES, of_computed
            ):
                self.rebases.setdefault((measure_id, school_id), start)  # the scope's newest
            for measure_id, school_id, period, reason in await fetch_tuples(
                self.session, EXCLUSIONS, of_computed
            ):
                self.exclusions[(measure_id, school_id)][period] = reason
        if windows:
            # Only the school years of the latest values the checks will read: a target
            # applies to its own year's value (about a quarter of the rows of four years).
            years = self._latest_years(windows)
            targets = await fetch_tuples(
                self.session, _TARGETS_OF_YEARS, {**of_ids, "years": years}
            )
        else:
            targets = await fetch_tuples(self.session, _TARGETS, of_ids)
        for measure_id, school_id, year, value, red in targets:
            self.targets.setdefault(measure_id, {}).setdefault(school_id, {})[year] = (value, red)

    def _latest_years(self, windows: Collection[Window]) -> list[int]:
        """The school years of each window's latest value (stored, or read from the data)."""
        years = set()
        for window in windows:
            stored = self.stored.get(window)
            if stored is not None:
                latest = stored.latest
            else:
                _, latest = reported_due(self.series.get(window[:2], ()), (), window[3])
            if latest is not None:
                years.add(school_year_of(latest[0]))
        return sorted(years)

    async def _compute_series(
        self,
        district_wide: Sequence[CheckedMeasure],
        at_schools: Sequence[CheckedMeasure],
        every_school: list[uuid.UUID],
        pairs: list[tuple[uuid.UUID, uuid.UUID]],
    ) -> None:
        """The series not stored, from the data: ``district_wide``'s, every school's of
        ``every_school`` and those of ``pairs`` (measure, school)."""
        # A SCHOOL-level measure checked district-wide is aggregated over the schools, as the
        # measures area serves it; every other series is read as stored.
        aggregated = [m for m in district_wide if m.level is not MeasureLevel.DISTRICT]
        if aggregated:
            found = await load_district_series(
                session=self.session,
                district_id=self.district_id,
                # It reads id, level, unit and aggregation, which every CheckedMeasure has.
                measures=cast("list[Measure]", aggregated),
            )
            self.series.update(((measure_id, None), series) for measure_id, series in found.items())
        district_level = [m.id for m in district_wide if m.level is MeasureLevel.DISTRICT]
        units = {measure.id: measure.unit for measure in [*district_wide, *at_schools]}
        if district_level or every_school or pairs:
            rows = await self.session.execute(
                text(_SERIES_SQL),
                {
                    "district_id": self.district_id,
                    "district_level": district_level,
                    "every_school": every_school,
                    "pair_measures": [measure_id for measure_id, _ in pairs],
                    "pair_schools": [school_id for _, school_id in pairs],
                },
            )
            for row in rows.all():
                unit = units[row[0]]
                periods, values = cast(list[date], row[2]), cast(list[float], row[3])
                if unit in SERVED_DECIMALS:  # otherwise served as stored
                    values = [served(unit, value) for value in values]
                self.series[(row[0], row[1])] = Points(periods, values)

    def values(self, measure: CheckedMeasure, scope: Scope) -> Sequence[tuple[date, float]]:
        """The scope's whole series (the chart's rebase and exclusions do not remove data)."""
        return self.series.get((measure.id, scope), [])

    def window_as_of(
        self, measure: CheckedMeasure, window: Window, due: Sequence[date]
    ) -> SeriesAsOf:
        """The series of ``window`` (its measure, scope, first due period and last complete
        one, ``through``) cut at ``through``, its ``due`` periods with a value counted: read
        as stored (a window given to ``load``), or cut from the data with its chart drawn
        (``chart``)."""
        stored = self.stored.get(window)
        if stored is not None:
            return stored
        _, scope, _, through = window
        reported, latest = reported_due(self.values(measure, scope), due, through)
        return SeriesAsOf(reported, latest, out_of_control(self.chart(measure, scope, through)))

    def chart(self, measure: CheckedMeasure, scope: Scope, through: date) -> XmrChart:
        """The end of the chart as it stood with the data up to ``through`` (as
        ``measures.charts.draw_chart`` draws it: from the newest rebase on, excluded points
        taking no part): its status, its limits and its last ``IN_CONTROL_POINTS`` points,
        which are all a verdict reads (``analytics.xmr_tail.chart_tail``)."""
        start = self.rebases.get((measure.id, scope))
        exclusions = self.exclusions.get((measure.id, scope), {})
        series = self.values(measure, scope)
        if isinstance(series, Points) and not exclusions:
            # Ordered by period: the chart's points are one slice of the values.
            low = 0 if start is None else bisect_left(series.periods, start)
            kept = series.values[low : bisect_right(series.periods, through)]
        else:
            kept = [
                value
                for period, value in series
                if period <= through
                and (start is None or period >= start)
                and period not in exclusions
            ]
        return chart_tail(
            kept,
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
            points=IN_CONTROL_POINTS,
        )

    def targets_of(self, measure: CheckedMeasure, scope: Scope) -> dict[int, tuple[float, float]]:
        """School year -> (target, red threshold) for the scope: a school's own first."""
        by_scope = self.targets.get(measure.id, {})
        district = by_scope.get(None, {})
        if scope is None or scope not in by_scope:
            return district  # shared: callers only read it
        return district | by_scope[scope]


def window_start(due: Sequence[date], through: date) -> date:
    """The first period of a window of due periods (those up to ``through``): the day after
    ``through`` when none is due, an empty window."""
    return due[0] if due else through + timedelta(days=1)


def scopes_of(measure: CheckedMeasure, project_schools: Sequence[uuid.UUID]) -> list[Scope]:
    """Where a control measure is checked: at the project's schools for a SCHOOL-level
    measure of a project that names schools, else district-wide."""
    if measure.level is MeasureLevel.SCHOOL and project_schools:
        return list(project_schools)
    return [None]
