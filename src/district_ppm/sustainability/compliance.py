"""Sustainability compliance: the facts of each plan, the verdict, and the stored verdicts.

The verdict itself is ``analytics.compliance.plan_verdict`` (pure); this module reads what it
needs, as of a date:

- each control measure's series: district-wide (a SCHOOL-level measure aggregated over the
  schools that reported, as on the scorecard) unless the plan's project names schools, in
  which case a SCHOOL-level measure is checked at each of those schools and a check fails
  when it fails at any of them (each school's missing periods count);
- its control chart as ``measures.charts.get_control_chart`` draws it (from the newest
  rebase, without excluded points, as they stand today), cut at the last complete period as
  of the date;
- its targets (a school's own target first) or the plan's own target;
- the plan's reviews, against its cadence windows.

The ``check_sustainability`` job stores the verdict of every plan checked today (the
district's date) in ``plan_compliance``, and ``store_verdict_history`` each plan's verdict on
every date (``history``); ``sustainabilityCompliance(asOf)`` serves those rows, and computes
with the same function a verdict that neither holds (a date past the history, or one whose
inputs were written since the worker stored it).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, column, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.compliance import ComplianceStatus, ControlSeries, plan_verdict
from district_ppm.db.array_text import uuid_array_text
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput
from district_ppm.measures.models import Direction, Frequency
from district_ppm.measures.series_signals import Window
from district_ppm.sustainability.facts import (
    ControlMeasure,
    MeasureFacts,
    Scope,
    checked_controls,
    scopes_of,
    window_start,
)
from district_ppm.sustainability.models import PlanCompliance, SustainabilityPlan
from district_ppm.sustainability.periods import due_windows, last_complete_start
from district_ppm.sustainability.service import (
    FIRST_YEAR,
    PLAN_COLUMNS,
    PlanRow,
    is_checked_on,
    plan_row,
)
from district_ppm.tenancy.calendar import district_today, get_district_calendar

MAX_DAYS_AHEAD = 366


class PlanVerdict(NamedTuple):
    """A plan's verdict as of a date: a tuple (a computation builds one per plan)."""

    plan: PlanRow
    as_of: date
    status: ComplianceStatus
    failed_checks: tuple[str, ...]
    computed_at: datetime


async def evaluate_plans(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    plans: Sequence[PlanRow],
    as_of: date,
    inputs: PlanInputs,
) -> list[PlanVerdict]:
    """The verdict of each plan as of ``as_of``, in the order given (whether or not the plan
    is checked on that date: callers choose the plans), from ``inputs``: ``plan_inputs`` of
    these plans at least, none of them with a verdict it served as stored."""
    if not plans:
        return []
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    plan_ids = [plan.id for plan in plans]
    controls = await checked_controls(session=session, district_id=district_id, plan_ids=plan_ids)
    reach = inputs.reach
    facts = MeasureFacts(session, district_id)
    district_wide: dict[uuid.UUID, ControlMeasure] = {}
    at_schools: dict[uuid.UUID, ControlMeasure] = {}
    checked_schools: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)

    # Plans share their start dates and frequencies: each calendar walked once.
    windows: dict[tuple[Frequency, date], list[tuple[date, date]]] = {}
    dues: dict[tuple[Frequency, date], list[date]] = {}
    ends: dict[Frequency, date] = {}

    def windows_of(frequency: Frequency, start: date) -> list[tuple[date, date]]:
        if (frequency, start) not in windows:
            windows[(frequency, start)] = due_windows(frequency, start, as_of, fy_month)
        return windows[(frequency, start)]

    def due_of(frequency: Frequency, start: date) -> list[date]:
        if (frequency, start) not in dues:
            dues[(frequency, start)] = [first for first, _ in windows_of(frequency, start)]
        return dues[(frequency, start)]

    def through_of(frequency: Frequency) -> date:
        if frequency not in ends:
            ends[frequency] = last_complete_start(frequency, as_of, fy_month)
        return ends[frequency]

    # Each plan's series, each with its due periods and its window (the series, its first due
    # period, its last complete one): worked out once, read to load the facts and to judge.
    checked: list[list[_CheckedSeries]] = []
    for plan in plans:
        project_schools = reach[plan.id].schools
        plan_series: list[_CheckedSeries] = []
        for control in controls[plan.id]:
            scopes = scopes_of(control, project_schools)
            if scopes[0] is None:
                district_wide[control.id] = control
            else:
                at_schools[control.id] = control
                checked_schools[control.id].update(s for s in scopes if s is not None)
            through = through_of(control.frequency)
            due = due_of(control.frequency, plan.start_date)
            first = window_start(due, through)
            plan_series.extend(
                # tuple.__new__ in C, not the NamedTuple's own __new__ (as _control_series).
                tuple.__new__(
                    _CheckedSeries, (control, scope, due, (control.id, scope, first, through))
                )
                for scope in scopes
            )
        checked.append(plan_series)
    await facts.load(
        district_wide=list(district_wide.values()),
        at_schools=list(at_schools.values()),
        schools=checked_schools,
        windows={each.window for plan_series in checked for each in plan_series},
    )
    now = inputs.now
    verdicts = []
    for plan, plan_series in zip(plans, checked, strict=True):
        verdict = plan_verdict(
            series=[_control_series(facts, each) for each in plan_series],
            review_windows=windows_of(plan.review_cadence, plan.start_date),
            review_dates=reach[plan.id].reviewed_on,
        )
        # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per plan).
        verdicts.append(
            tuple.__new__(PlanVerdict, (plan, as_of, verdict.status, verdict.failed_checks, now))
        )
    return verdicts


class PlanReach(NamedTuple):
    """What a verdict reads of a plan besides its control measures."""

    schools: list[uuid.UUID]  # its project's schools, as added (then by id)
    reviewed_on: list[date]  # the days it was reviewed on, oldest first


# A plan deleted since the caller read it has none (as its reviews went with it).
_NO_REACH = PlanReach([], [])


class PlanInputs(NamedTuple):
    """What a computation of verdicts reads of the plans, besides their control measures."""

    stored: dict[uuid.UUID, tuple[Any, ...]]  # plan id -> its verdict stored for the date
    reach: dict[uuid.UUID, PlanReach]  # of each plan without one
    now: datetime  # the database's clock when the computation began: the verdicts' computedAt


# One row per plan: its verdict served as stored for the date, if any (NULLs when not served):
# the worker's of today (``plan_compliance``) first, else the range of its verdict history
# (``history``) with the date in it, while the district's inputs version is still the
# history's (``verdict_history_state``; the version read once, an InitPlan). When it has none,
# what its verdict is computed from besides its controls: its project's schools and its
# review days, as arrays (a hundred plans' 1,400 rows of pairs cost twice the time). With the
# statement's start on the database's clock (the same on every row). One statement where the
# stored verdicts, the plans' schools and reviews and the clock took three round trips. The
# ids go as array text (``db.array_text``), cast once in the FROM list. Built once, fetched by
# the driver (db.plain_rows).
_PLAN_INPUTS = text(
    """
SELECT p.id,
       CASE WHEN c.plan_id IS NOT NULL THEN c.as_of
            WHEN h.status IS NOT NULL THEN CAST(:as_of AS date) END AS as_of,
       coalesce(c.status, h.status) AS status,
       coalesce(c.failed_checks, h.failed_checks) AS failed_checks,
       coalesce(c.computed_at, h.computed_at) AS computed_at,
       CASE WHEN c.plan_id IS NULL AND h.status IS NULL THEN ARRAY(
           SELECT s.school_id FROM project_schools s
           WHERE s.district_id = p.district_id AND s.project_id = p.project_id
           ORDER BY s.created_at, s.id) END AS schools,
       CASE WHEN c.plan_id IS NULL AND h.status IS NULL THEN ARRAY(
           SELECT r.reviewed_on FROM sustainability_reviews r
           WHERE r.district_id = p.district_id AND r.plan_id = p.id
           ORDER BY r.reviewed_on) END AS reviewed_on,
       statement_timestamp() AS now
FROM unnest(CAST(CAST(:plan_ids AS text) AS uuid[])) AS w(id)
JOIN sustainability_plans p ON p.district_id = :district_id AND p.id = w.id
LEFT JOIN plan_compliance c
  ON c.district_id = p.district_id AND c.plan_id = p.id AND c.as_of = :as_of
 AND :serve_stored
LEFT JOIN verdict_history_state hs
  ON hs.district_id = p.district_id AND :serve_stored AND :as_of <= hs.horizon
 AND hs.inputs_version = (SELECT v.inputs_version FROM district_data_versions v
                          WHERE v.district_id = :district_id)
LEFT JOIN LATERAL (
    SELECT h.status, h.failed_checks, h.computed_at, h.valid_until
    FROM plan_verdict_history h
    WHERE hs.district_id IS NOT NULL AND c.plan_id IS NULL
      AND h.district_id = p.district_id AND h.plan_id = p.id AND h.valid_from <= :as_of
    ORDER BY h.valid_from DESC LIMIT 1
) h ON h.valid_until IS NULL OR CAST(:as_of AS date) < h.valid_until
"""
).columns(
    column("id"),
    PlanCompliance.as_of,
    PlanCompliance.status,
    PlanCompliance.failed_checks,
    PlanCompliance.computed_at,
    column("schools"),
    column("reviewed_on"),
    column("now"),
)


async def plan_inputs(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    plan_ids: Sequence[uuid.UUID],
    as_of: date,
    serve_stored: bool,
) -> PlanInputs:
    """The plans' verdicts stored for ``as_of`` (none unless ``serve_stored``): today's, or
    their verdict history's while it is exact; and what computing the others' reads besides
    their controls. One statement."""
    rows = await fetch_tuples(
        session,
        _PLAN_INPUTS,
        {
            "district_id": district_id,
            "plan_ids": uuid_array_text(plan_ids),
            "as_of": as_of,
            "serve_stored": serve_stored,
        },
    )
    stored = {row[0]: row[1:5] for row in rows if row[1] is not None}
    reach = {row[0]: PlanReach(row[5], row[6]) for row in rows if row[1] is None}
    for plan_id in plan_ids:
        if plan_id not in stored and plan_id not in reach:
            reach[plan_id] = _NO_REACH  # deleted since the caller read it
    if rows:
        now = rows[0][7]
    else:  # every plan was deleted since the caller read it: nothing to compute
        [(now,)] = await fetch_tuples(session, _NOW, {})
    return PlanInputs(stored, reach, now)


# The clock alone, when no plan asked for is left (db.plain_rows).
_NOW = select(func.statement_timestamp())


class _CheckedSeries(NamedTuple):
    """A control measure's series where a plan checks it, its due periods' starts, and the
    window the verdict reads of it (``series_signals.Window``)."""

    control: ControlMeasure
    scope: Scope
    due: list[date]
    window: Window


def _control_series(facts: MeasureFacts, each: _CheckedSeries) -> ControlSeries:
    """The series as of the verdict's date, with what it is held to."""
    control = each.control
    reported, latest, out_of_control = facts.window_as_of(control, each.window, each.due)
    # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per series).
    return tuple.__new__(
        ControlSeries,
        (
            control.code,
            control.direction is Direction.HIGHER_IS_BETTER,
            len(each.due),
            reported,
            latest,
            out_of_control,
            facts.targets_of(control, each.scope),
            control.target,
        ),
    )


# Every plan of the district, oldest first: built once, fetched by the driver (db.plain_rows).
_PLANS = (
    select(*PLAN_COLUMNS)
    .where(SustainabilityPlan.district_id == bindparam("district_id"))
    .order_by(SustainabilityPlan.created_at, SustainabilityPlan.id)
)


async def district_plans(
    session: AsyncSession, district_id: uuid.UUID, plan_ids: Sequence[uuid.UUID] | None
) -> list[PlanRow]:
    """The district's plans (those of ``plan_ids``; every one when None), oldest first."""
    if plan_ids is None:
        return [
            plan_row(row)
            for row in await fetch_tuples(session, _PLANS, {"district_id": district_id})
        ]
    stmt = _PLANS.where(SustainabilityPlan.id.in_(plan_ids))
    return [
        plan_row(row) for row in (await session.execute(stmt, {"district_id": district_id})).all()
    ]


async def store_verdicts(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    as_of: date,
    plan_ids: Sequence[uuid.UUID] | None = None,
) -> list[PlanVerdict]:
    """Compute and store the verdict as of ``as_of`` of the given plans (all when None).

    One row per plan, replaced: a retried or duplicated job leaves the same rows. A plan not
    checked on ``as_of`` (not started, or past its duration) loses its row.
    """
    plans = await district_plans(session, district_id, plan_ids)
    checked = [plan for plan in plans if is_checked_on(plan, as_of)]
    stored = select(PlanCompliance.plan_id).where(PlanCompliance.district_id == district_id)
    if plan_ids is not None:
        stored = stored.where(PlanCompliance.plan_id.in_(plan_ids))
    # Read first: a district without plans (most, most nights) writes nothing at all.
    unchecked = set(await session.scalars(stored)) - {plan.id for plan in checked}
    if unchecked:
        await session.execute(
            delete(PlanCompliance).where(
                PlanCompliance.district_id == district_id,
                PlanCompliance.plan_id.in_(unchecked),
            )
        )
    if not checked:
        return []
    inputs = await plan_inputs(
        session=session,
        district_id=district_id,
        plan_ids=[plan.id for plan in checked],
        as_of=as_of,
        serve_stored=False,
    )
    verdicts = await evaluate_plans(
        session=session, district_id=district_id, plans=checked, as_of=as_of, inputs=inputs
    )
    if verdicts:
        stmt = insert(PlanCompliance).values(
            [
                {
                    "id": uuid.uuid4(),
                    "district_id": district_id,
                    "plan_id": verdict.plan.id,
                    "as_of": verdict.as_of,
                    "status": verdict.status,
                    "failed_checks": list(verdict.failed_checks),
                    "computed_at": verdict.computed_at,
                }
                for verdict in verdicts
            ]
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["district_id", "plan_id"],
                set_={
                    "as_of": stmt.excluded.as_of,
                    "status": stmt.excluded.status,
                    "failed_checks": stmt.excluded.failed_checks,
                    "computed_at": stmt.excluded.computed_at,
                },
            )
        )
    return verdicts


async def compliance_report(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date | None
) -> list[PlanVerdict]:
    """``sustainabilityCompliance(asOf)``: plans in creation order.

    Without ``as_of``: the stored verdicts (each with the date it is as of and when it was
    computed). With ``as_of``: every plan checked on that date; a stored verdict of exactly
    that date is served as stored, then one of the verdict history while its inputs are
    unchanged (``history``; as of that date, computed when the worker computed it), any other
    is computed now, by the same function.
    """
    if as_of is None:
        # One statement, plain rows: the report lists every plan of the district.
        rows = await fetch_tuples(session, _STORED, {"district_id": district_id})
        return [_stored(plan_row(row), row[len(PLAN_COLUMNS) :]) for row in rows]
    await check_as_of(session=session, district_id=district_id, as_of=as_of)
    plans = [
        plan
        for plan in await district_plans(session, district_id, None)
        if is_checked_on(plan, as_of)
    ]
    return await verdicts_on(session=session, district_id=district_id, plans=plans, as_of=as_of)


async def verdicts_on(
    *, session: AsyncSession, district_id: uuid.UUID, plans: Sequence[PlanRow], as_of: date
) -> list[PlanVerdict]:
    """The verdicts of ``plans`` (checked on ``as_of``: the caller's choice) as of ``as_of``,
    in their order: a stored verdict (of exactly that date, or of the verdict history) as
    stored, any other computed now, as ``compliance_report`` serves them (an agenda asks
    only for its forum's plans)."""
    if not plans:
        return []
    inputs = await plan_inputs(
        session=session,
        district_id=district_id,
        plan_ids=[plan.id for plan in plans],
        as_of=as_of,
        serve_stored=True,
    )
    stored = inputs.stored
    computed = {
        verdict.plan.id: verdict
        for verdict in await evaluate_plans(
            session=session,
            district_id=district_id,
            plans=[plan for plan in plans if plan.id not in stored],
            as_of=as_of,
            inputs=inputs,
        )
    }
    return [
        _stored(plan, stored[plan.id]) if plan.id in stored else computed[plan.id] for plan in plans
    ]


async def check_as_of(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date, field: str = "asOf"
) -> None:
    """BAD_INPUT naming ``field`` unless ``as_of`` is a date plans can be checked on: from
    2000 to a year after the district's today (a meeting's agenda may look ahead; a verdict
    centuries ahead would enumerate every day of a DAILY measure). Every read "as of" a date
    takes the same dates: the agenda, reminders, responsibilities."""
    today = await district_today(session=session, district_id=district_id)
    latest = today + timedelta(days=MAX_DAYS_AHEAD)
    if as_of.year < FIRST_YEAR or as_of > latest:
        raise BadInput(
            field, f"must be between {FIRST_YEAR}-01-01 and {latest.isoformat()} (a year ahead)"
        )


# A stored verdict's columns, in the order ``_stored`` reads them.
_VERDICT_COLUMNS = (
    PlanCompliance.as_of,
    PlanCompliance.status,
    PlanCompliance.failed_checks,
    PlanCompliance.computed_at,
)


# The stored verdicts, every plan's with the plan (the report; those of one date come with
# ``plan_inputs``). Built once, fetched by the driver (db.plain_rows).
_STORED = (
    select(*PLAN_COLUMNS, *_VERDICT_COLUMNS)
    .join(
        PlanCompliance,
        (PlanCompliance.district_id == SustainabilityPlan.district_id)
        & (PlanCompliance.plan_id == SustainabilityPlan.id),
    )
    .where(SustainabilityPlan.district_id == bindparam("district_id"))
    .order_by(SustainabilityPlan.created_at, SustainabilityPlan.id)
)


def _stored(plan: PlanRow, verdict: Sequence[Any]) -> PlanVerdict:
    """The plan's stored verdict, from the values of ``_VERDICT_COLUMNS`` (or ``plan_inputs``'
    stored columns, in the same order)."""
    as_of, status, failed_checks, computed_at = verdict
    return PlanVerdict(plan, as_of, status, tuple(failed_checks), computed_at)
