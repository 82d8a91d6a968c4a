"""Each plan's verdict on every date, kept by the worker: what a verdict of a past (or near)
date is served from, instead of computing it on the read.

A verdict reads its date only through which periods have ended by then (``periods``): the
due periods of each control measure and review window, the last complete period, and whether
the plan is checked at all. So between two days on which a period of the plan's review
cadence or of one of its control measures' frequencies ends, it is the same every day, and a
plan's verdicts over its whole life are a few ranges of days. ``store_verdict_history``
computes the verdict at each such day (``compliance.evaluate_plans``, the function reads use)
and stores the ranges, from each plan's start (or its latest ``MAX_JUDGED_DAYS`` such days) to
``HISTORY_DAYS_AHEAD`` days after today (an agenda of an upcoming meeting), merged where
consecutive verdicts agree.

Exactness: the district's history (``verdict_history_state``) carries the district's
``inputs_version`` (``db.data_version``) read as the computation's first statement, and a
read serves a range only while the district's number is still that one. Every committed write
to a table a verdict is computed from moves it (a trigger notes the write, the commit moves
the number), so a range never outlives its inputs: a write that commits after the number was
read, even during the computation, makes the history stale at once. Until the job runs again
(after the status refresh and the compliance check that writes of values, targets, chart
notes, plans and reviews queue; a new enrollment or a project's schools wait for the night),
those reads compute their verdicts, as before. As for the data version, the number moves at
the application's commits: a write made outside it (``psql``) moves nothing, and a history
stored before it stays served until the next write through the application or the night.

Writes: a run judges every day anew but rewrites only the ranges whose extent or verdict
changed (a range keeps its ``computed_at`` while its verdict stands, as the other worker
results do); a run with nothing to do (the same inputs version, the same horizon) writes
nothing. The first run of each day (the horizon moved) judges everything again, so a history
that a write outside the application left wrong is put right by the next night, as the
status rows are. A change to the rules a verdict is computed by (``analytics.compliance``,
``periods``, ``facts``) must empty ``verdict_history_state`` (a migration): reads then
compute until the job has run.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import any_, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.compliance import ComplianceStatus
from district_ppm.db.id_lists import ids_param
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import next_period, period_containing
from district_ppm.sustainability.compliance import district_plans, evaluate_plans, plan_inputs
from district_ppm.sustainability.facts import checked_controls
from district_ppm.sustainability.models import PlanVerdictStep, VerdictHistoryState
from district_ppm.sustainability.service import PlanRow, plan_end
from district_ppm.tenancy.calendar import district_today, get_district_calendar

# How far past today the history reaches: the agendas of the coming quarter's meetings (a
# forum meets at least quarterly). A later date is computed on the read.
HISTORY_DAYS_AHEAD = 92

# The most days a run judges a plan on, the latest: a plan with a DAILY control measure
# changes every day (2.6 s for one over two years; this bounds it to about 1.3). An earlier
# date of such a plan has no range, and is computed on the read.
MAX_JUDGED_DAYS = 400

_INPUTS_VERSION = text(
    "SELECT inputs_version FROM district_data_versions WHERE district_id = :district_id"
)
_STATE = select(VerdictHistoryState.inputs_version, VerdictHistoryState.horizon).where(
    VerdictHistoryState.district_id == bindparam("district_id")
)
_RANGES = select(
    PlanVerdictStep.id,
    PlanVerdictStep.plan_id,
    PlanVerdictStep.valid_from,
    PlanVerdictStep.valid_until,
    PlanVerdictStep.status,
    PlanVerdictStep.failed_checks,
).where(PlanVerdictStep.district_id == bindparam("district_id"))


_INSERT = insert(PlanVerdictStep)
_ROWS_PER_INSERT = 2_000


class Range(NamedTuple):
    """A plan's verdict over ``[valid_from, valid_until)`` (None: through the horizon)."""

    valid_from: date
    valid_until: date | None
    status: ComplianceStatus
    failed_checks: tuple[str, ...]


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


async def store_verdict_history(*, session: AsyncSession, district_id: uuid.UUID) -> bool:
    """Bring the district's verdict history up to its inputs now and to today's horizon,
    writing only the ranges that changed. False: it already was (nothing written)."""
    # First: a write committed after this read moves the number past the history's (above).
    version = (await session.execute(_INPUTS_VERSION, {"district_id": district_id})).scalar_one()
    state = (await session.execute(_STATE, {"district_id": district_id})).one_or_none()
    horizon = await district_today(session=session, district_id=district_id) + timedelta(
        days=HISTORY_DAYS_AHEAD
    )
    if state is not None and (state.inputs_version, state.horizon) == (version, horizon):
        return False  # the same inputs, the same days: what is stored is what would be
    stored: dict[uuid.UUID, list[tuple[uuid.UUID, Range]]] = defaultdict(list)
    for row in (await session.execute(_RANGES, {"district_id": district_id})).all():
        stored[row.plan_id].append((row.id, Range(*row[2:5], tuple(row.failed_checks))))
    plans = [
        plan
        for plan in await district_plans(session, district_id, None)
        if plan.start_date <= horizon
    ]
    wanted = await _ranges(session, district_id, plans, horizon)
    now = (await session.execute(select(func.statement_timestamp()))).scalar_one()
    await _write_changes(session, district_id, stored, wanted, now)
    state_row = {"district_id": district_id, "inputs_version": version, "horizon": horizon}
    stmt = upsert(VerdictHistoryState).values(**state_row, computed_at=now)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["district_id"],
            set_={"inputs_version": version, "horizon": horizon, "computed_at": now},
        )
    )
    return True


async def _ranges(
    session: AsyncSession, district_id: uuid.UUID, plans: list[PlanRow], horizon: date
) -> dict[uuid.UUID, list[Range]]:
    """Each plan's ranges through ``horizon``, every one judged anew."""
    if not plans:
        return {}
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
    # The plans to judge on each day their verdict may change, and the day after each one's
    # last (None: it goes on past the horizon).
    judged: dict[date, list[PlanRow]] = defaultdict(list)
    ends: dict[uuid.UUID, date | None] = {}
    for plan in plans:
        end = plan_end(plan)
        ends[plan.id] = None if end is None or end >= horizon else end + timedelta(days=1)
        through = horizon if end is None else min(end, horizon)
        frequencies = {control.frequency for control in controls[plan.id]}
        for day in verdict_changes(plan, frequencies, fy_month, through)[-MAX_JUDGED_DAYS:]:
            judged[day].append(plan)
    # Each plan's verdicts, oldest first, one per run of days that agree.
    runs: dict[uuid.UUID, list[Range]] = {plan.id: [] for plan in plans}
    for day in sorted(judged):
        for verdict in await evaluate_plans(
            session=session, district_id=district_id, plans=judged[day], as_of=day, inputs=inputs
        ):
            plan_runs = runs[verdict.plan.id]
            if plan_runs and plan_runs[-1][2:] == (verdict.status, verdict.failed_checks):
                continue  # the same verdict goes on
            if plan_runs:
                plan_runs[-1] = plan_runs[-1]._replace(valid_until=day)
            plan_runs.append(Range(day, None, verdict.status, verdict.failed_checks))
    for plan_id, plan_runs in runs.items():
        if plan_runs:
            plan_runs[-1] = plan_runs[-1]._replace(valid_until=ends[plan_id])
    return runs


async def _write_changes(
    session: AsyncSession,
    district_id: uuid.UUID,
    stored: dict[uuid.UUID, list[tuple[uuid.UUID, Range]]],
    wanted: dict[uuid.UUID, list[Range]],
    now: datetime,
) -> None:
    """Only what differs: a range gone is deleted, a new one inserted, one whose extent or
    verdict changed updated (its ``computed_at`` moves only when its verdict did)."""
    gone: list[uuid.UUID] = []
    changed: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for plan_id in stored.keys() | wanted.keys():
        before = {each.valid_from: (range_id, each) for range_id, each in stored.get(plan_id, [])}
        for each in wanted.get(plan_id, []):
            found = before.pop(each.valid_from, None)
            if found is None:
                new.append(_row(district_id, plan_id, each, now))
            elif found[1] != each:
                range_id, old = found
                changed.append(
                    {
                        "range_id": range_id,
                        "valid_until": each.valid_until,
                        "status": each.status,
                        "failed_checks": list(each.failed_checks),
                        "verdict_changed": old[2:] != each[2:],
                        "now": now,
                    }
                )
        gone += [range_id for range_id, _ in before.values()]
    if gone:  # one array parameter: a list of ids would be a parameter each (at most 32,767)
        await session.execute(_DELETE, {"district_id": district_id, "ids": gone})
    if changed:
        await session.execute(_UPDATE, [{"district_id": district_id, **row} for row in changed])
    for first_row in range(0, len(new), _ROWS_PER_INSERT):
        await session.execute(_INSERT, new[first_row : first_row + _ROWS_PER_INSERT])


_DELETE = delete(PlanVerdictStep).where(
    PlanVerdictStep.district_id == bindparam("district_id"),
    PlanVerdictStep.id == any_(ids_param("ids")),
)
_UPDATE = text(
    "UPDATE plan_verdict_history SET valid_until = :valid_until, status = :status, "
    "failed_checks = :failed_checks, "
    "computed_at = CASE WHEN :verdict_changed THEN :now ELSE computed_at END "
    "WHERE district_id = :district_id AND id = :range_id"
)


def _row(district_id: uuid.UUID, plan_id: uuid.UUID, each: Range, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "district_id": district_id,
        "plan_id": plan_id,
        "valid_from": each.valid_from,
        "valid_until": each.valid_until,
        "status": each.status,
        "failed_checks": list(each.failed_checks),
        "computed_at": now,
    }
