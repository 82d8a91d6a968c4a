"""Each plan's verdict on every date, kept by the worker: what a verdict of a past (or near)
date is served from, instead of computing it on the read.

A verdict reads its date only through which periods have ended by then (``periods``): the
due periods of each control measure and review window, the last complete period, and whether
the plan is checked at all. So between two days on which a period of the plan's review
cadence or of one of its control measures' frequencies ends, it is the same every day, and a
plan's verdicts over its whole life are a few ranges of days. ``store_verdict_history``
computes the verdict at each such day (``compliance.evaluate_plans``, the function reads use)
and stores the ranges, from each plan's start to ``HISTORY_DAYS_AHEAD`` days after today (an
agenda of an upcoming meeting), merged where consecutive verdicts agree.

Exactness: each row carries the district's ``inputs_version`` (``db.data_version``) read as
the computation's first statement, and a read serves a row only while the district's number is
still that one. Every committed write to a table a verdict is computed from moves it (a
trigger notes the write, the commit moves the number), so a row never outlives its inputs:
a write that commits after the number was read, even during the computation, makes the rows
stale at once. Until the job runs again (after the status refresh and the compliance check
that every such write queues, and nightly), those reads compute their verdicts, as before.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.compliance import ComplianceStatus
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import next_period, period_containing
from district_ppm.sustainability.compliance import district_plans, evaluate_plans, plan_inputs
from district_ppm.sustainability.facts import checked_controls
from district_ppm.sustainability.models import PlanVerdictStep
from district_ppm.sustainability.service import PlanRow, plan_end
from district_ppm.tenancy.calendar import district_today, get_district_calendar

# How far past today the history reaches: the agendas of the coming quarter's meetings (a
# forum meets at least quarterly). A later date is computed on the read.
HISTORY_DAYS_AHEAD = 92

_INPUTS_VERSION = text(
    "SELECT inputs_version FROM district_data_versions WHERE district_id = :district_id"
)

_INSERT = insert(PlanVerdictStep)
_ROWS_PER_INSERT = 2_000


def verdict_changes(
    plan: PlanRow, frequencies: Iterable[Frequency], fiscal_year_start_month: int, through: date
) -> list[date]:
    """The days from the plan's start to ``through`` on which its verdict may change: its
    start, and each day that starts a period of its review cadence or of one of its control
    measures' ``frequencies`` (the day the previous period has ended), oldest first."""
    days = {plan.start_date}
    for frequency in {plan.review_cadence, *frequencies}:
        day = period_containing(frequency, plan.start_date, fiscal_year_start_month)
        while (day := next_period(frequency, day)) <= through:
            days.add(day)
    return sorted(days)


async def store_verdict_history(*, session: AsyncSession, district_id: uuid.UUID) -> None:
    """Replace the district's verdict history with one computed from its inputs now."""
    # First: a write committed after this read moves the number past the rows' (see above).
    version = (await session.execute(_INPUTS_VERSION, {"district_id": district_id})).scalar_one()
    await session.execute(delete(PlanVerdictStep).where(PlanVerdictStep.district_id == district_id))
    horizon = await district_today(session=session, district_id=district_id) + timedelta(
        days=HISTORY_DAYS_AHEAD
    )
    plans = [
        plan
        for plan in await district_plans(session, district_id, None)
        if plan.start_date <= horizon
    ]
    if not plans:
        return
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    plan_ids = [plan.id for plan in plans]
    controls = await checked_controls(session=session, district_id=district_id, plan_ids=plan_ids)
    inputs = await plan_inputs(
        session=session,
        district_id=district_id,
        plan_ids=plan_ids,
        as_of=horizon,
        serve_stored=False,
    )
    # The plans to judge on each day their verdict may change; the day after each one's last.
    changing: dict[date, list[PlanRow]] = defaultdict(list)
    ends: dict[uuid.UUID, date] = {}
    for plan in plans:
        end = plan_end(plan)
        through = horizon if end is None else min(end, horizon)
        ends[plan.id] = through + timedelta(days=1)
        frequencies = {control.frequency for control in controls[plan.id]}
        for day in verdict_changes(plan, frequencies, fy_month, through):
            changing[day].append(plan)
    # Each plan's verdicts, oldest first, one per run of days that agree.
    runs: dict[uuid.UUID, list[tuple[date, ComplianceStatus, tuple[str, ...]]]] = defaultdict(list)
    for day in sorted(changing):
        for verdict in await evaluate_plans(
            session=session, district_id=district_id, plans=changing[day], as_of=day, inputs=inputs
        ):
            plan_runs = runs[verdict.plan.id]
            if not plan_runs or plan_runs[-1][1:] != (verdict.status, verdict.failed_checks):
                plan_runs.append((day, verdict.status, verdict.failed_checks))
    rows: list[dict[str, Any]] = []
    for plan_id, plan_runs in runs.items():
        for index, (start, status, failed_checks) in enumerate(plan_runs):
            following = plan_runs[index + 1][0] if index + 1 < len(plan_runs) else ends[plan_id]
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "district_id": district_id,
                    "plan_id": plan_id,
                    "valid_from": start,
                    "valid_until": following,
                    "status": status,
                    "failed_checks": list(failed_checks),
                    "computed_at": inputs.now,
                    "inputs_version": version,
                }
            )
    for first in range(0, len(rows), _ROWS_PER_INSERT):
        await session.execute(_INSERT, rows[first : first + _ROWS_PER_INSERT])
