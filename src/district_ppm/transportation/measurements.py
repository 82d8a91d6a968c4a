"""The time-loss roll-ups written again as computed measurements of the transportation KPIs.

Monthly, per school, so that they appear in scorecards, control charts and comparisons. The
measures area owns measurements; this module only says which KPIs exist and what their values
are, and calls its ``ensure_measure`` and ``record_computed_measurements``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.measures.service import (
    ComputedValue,
    MeasureSpec,
    ensure_measure,
    record_computed_measurements,
)
from district_ppm.processes.template import MEASURES as TEMPLATE_MEASURES
from district_ppm.transportation.minutes import average_late_minutes, on_time_rate

# The template's definition of each KPI, so that the KPI is the same whichever creates it
# first, the template or this worker: the same logic-model stage (dashboard or scoreboard),
# the same process (4.2, "Run daily bus service", linked when the district has it), the same
# district-wide aggregation and the same written definition.
_TEMPLATE = {spec.code: spec for spec in TEMPLATE_MEASURES}


@dataclass(frozen=True, slots=True)
class TransportationKpi:
    code: str

    @property
    def spec(self) -> MeasureSpec:
        return _TEMPLATE[self.code]


# Monthly, per school. Lower is better for all but the on-time rate.
KPIS = tuple(
    TransportationKpi(code)
    for code in (
        "TRN-ON-TIME",
        "TRN-LATE-INSTANCES",
        "TRN-AVG-LATE-MIN",
        "TRN-INSTR-HOURS-LOST",
        "TRN-STUDENT-INSTR-HOURS-LOST",
    )
)

_SCHOOL_MONTHS_SQL = """
SELECT t.school_id, t.month, sum(t.runs)::int, sum(t.late_instances)::int,
       sum(t.late_minutes)::bigint,
       sum(t.instructional_minutes_lost)::bigint,
       sum(t.student_instructional_minutes_lost)::bigint
FROM time_loss_route_months t
WHERE t.district_id = :district_id {only}
GROUP BY t.school_id, t.month
"""
# Every school-month holding a touched route-month: its other routes are summed in too.
_ONLY_TOUCHED = """
AND (t.school_id, t.month) IN (
    SELECT rt.school_id, d.month
    FROM unnest(CAST(:route_ids AS uuid[]), CAST(:months AS date[])) AS d(route_id, month)
    JOIN bus_routes rt ON rt.district_id = :district_id AND rt.id = d.route_id)
"""


async def write_time_loss_measurements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    route_months: Sequence[tuple[uuid.UUID, date]] | None,
) -> int:
    """Rewrite the KPI values of the school-months holding ``route_months`` (all when None).

    Idempotent: each value is keyed by (measure, school, month) and replaced.
    """
    if route_months is not None and not route_months:
        return 0
    params: dict[str, Any] = {"district_id": district_id}
    only = ""
    if route_months is not None:
        only = _ONLY_TOUCHED
        params["route_ids"] = [route_id for route_id, _ in route_months]
        params["months"] = [month for _, month in route_months]
    rows = (await session.execute(text(_SCHOOL_MONTHS_SQL.format(only=only)), params)).all()
    if not rows:
        return 0  # a district without buses gets no transportation KPIs
    values: dict[str, list[ComputedValue]] = {kpi.code: [] for kpi in KPIS}
    for school_id, month, runs, late_instances, late_minutes, lost, student_lost in rows:
        # On time: not late (no more than the grace minutes after the scheduled arrival).
        # Numerator and denominator let the district's rate pool every school's runs.
        values["TRN-ON-TIME"].append(
            ComputedValue(
                school_id,
                month,
                on_time_rate(runs, late_instances),
                numerator=runs - late_instances,
                denominator=runs,
            )
        )
        values["TRN-LATE-INSTANCES"].append(ComputedValue(school_id, month, late_instances))
        values["TRN-AVG-LATE-MIN"].append(
            ComputedValue(
                school_id,
                month,
                average_late_minutes(late_minutes, late_instances),
                numerator=late_minutes,
                denominator=late_instances,
            )
        )
        # Hours unrounded: the measures area rounds HOURS to two decimals where it serves them,
        # a district's after summing its schools, exactly as instructionalTimeLost does.
        values["TRN-INSTR-HOURS-LOST"].append(ComputedValue(school_id, month, lost / 60))
        values["TRN-STUDENT-INSTR-HOURS-LOST"].append(
            ComputedValue(school_id, month, student_lost / 60)
        )
    written = 0
    for kpi in KPIS:
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=kpi.spec)
        written += await record_computed_measurements(
            session=session,
            district_id=district_id,
            measure_id=measure_id,
            values=values[kpi.code],
        )
    return written
