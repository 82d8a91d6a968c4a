"""The time-loss roll-ups written again as computed measurements of the transportation KPIs.

Monthly, per school, so that they appear in scorecards, control charts and comparisons. The
measures area owns measurements; this module only says which KPIs exist and what their values
are, and calls its ``ensure_measure`` and ``record_computed_measurements``.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.transportation.minutes import average_late_minutes, hours_from_minutes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TransportationKpi:
    code: str
    name: str
    unit: str
    stage: str
    definition: str


# Lower is better for all four; monthly, per school.
KPIS = (
    TransportationKpi(
        "TRN-LATE-INSTANCES", "Late bus arrivals", "COUNT", "OUTPUT",
        "Bus runs arriving more than the district's grace minutes after their scheduled time.",
    ),
    TransportationKpi(
        "TRN-AVG-LATE-MIN", "Average minutes late", "MINUTES", "OUTPUT",
        "Minutes late summed over late runs, divided by the number of late runs (0 if none).",
    ),
    TransportationKpi(
        "TRN-INSTR-HOURS-LOST", "Instructional hours lost to late buses", "HOURS",
        "SHORT_TERM_OUTCOME",
        "Sum over runs of the minutes a bus arrived after the school's first bell, / 60.",
    ),
    TransportationKpi(
        "TRN-STUDENT-INSTR-HOURS-LOST", "Student instructional hours lost to late buses",
        "HOURS", "SHORT_TERM_OUTCOME",
        "Sum over runs of the minutes after first bell times riders on board, / 60.",
    ),
)

_SCHOOL_MONTHS_SQL = """
SELECT t.school_id, t.month, sum(t.late_instances)::int, sum(t.late_minutes)::bigint,
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


def _measures_service() -> Any | None:
    """The measures area's service, once it offers computed measurements; else None."""
    try:
        service = importlib.import_module("district_ppm.measures.service")
    except ImportError:
        return None
    needed = ("MeasureSpec", "ensure_measure", "ComputedValue", "record_computed_measurements")
    return service if all(hasattr(service, name) for name in needed) else None


async def write_time_loss_measurements(
    *, session: AsyncSession, district_id: uuid.UUID,
    route_months: Sequence[tuple[uuid.UUID, date]] | None,
) -> int:
    """Rewrite the KPI values of the school-months holding ``route_months`` (all when None).

    Idempotent: each value is keyed by (measure, school, month) and replaced.
    """
    service = _measures_service()
    if service is None:
        log.warning("measures service unavailable: transportation KPIs not written")
        return 0
    if route_months is not None and not route_months:
        return 0
    params: dict[str, Any] = {"district_id": district_id}
    only = ""
    if route_months is not None:
        only = _ONLY_TOUCHED
        params["route_ids"] = [route_id for route_id, _ in route_months]
        params["months"] = [month for _, month in route_months]
    rows = (await session.execute(text(_SCHOOL_MONTHS_SQL.format(only=only)), params)).all()
    values: dict[str, list[Any]] = {kpi.code: [] for kpi in KPIS}
    for school_id, month, late_instances, late_minutes, lost, student_lost in rows:
        value = service.ComputedValue
        values["TRN-LATE-INSTANCES"].append(value(school_id, month, Decimal(late_instances)))
        values["TRN-AVG-LATE-MIN"].append(value(
            school_id, month, Decimal(str(average_late_minutes(late_minutes, late_instances))),
            numerator=Decimal(late_minutes), denominator=Decimal(late_instances),
        ))
        values["TRN-INSTR-HOURS-LOST"].append(value(school_id, month, hours_from_minutes(lost)))
        values["TRN-STUDENT-INSTR-HOURS-LOST"].append(
            value(school_id, month, hours_from_minutes(student_lost))
        )
    written = 0
    for kpi in KPIS:
        measure_id = await service.ensure_measure(
            session=session, district_id=district_id, spec=_spec(service, kpi)
        )
        written += await service.record_computed_measurements(
            session=session, district_id=district_id, measure_id=measure_id,
            values=values[kpi.code],
        )
    return written


def _spec(service: Any, kpi: TransportationKpi) -> Any:
    return service.MeasureSpec(
        code=kpi.code, name=kpi.name, unit=kpi.unit, direction="LOWER_IS_BETTER",
        stage=kpi.stage, frequency="MONTHLY", level="SCHOOL", definition=kpi.definition,
    )
