"""A forum's management review agenda as of a date, generated from the data.

DOMAIN.md "Agenda" (the contract's exact meanings). The scope is ``forums.scope_processes`` /
``scope_measures``; projects are in scope when their process or primary measure is, plans when
their project is, decisions when their measure or project is or a meeting of the forum made
them. One item per (reason, subject), in the order of ``AgendaReason``, then:

- RED_MEASURE, by measure code: the measure's district-wide scorecard status (its
  ``measure_statuses`` row with no school) for the school year containing the date is RED.
- UNFAVORABLE_SIGNAL, by measure code: the latest point of the measure's district-wide control
  chart, as ``controlChart`` draws it (``measures.charts.draw_chart``: from the newest rebase,
  excluded points shown but never signalling), is unfavorable. The chart has no date: like
  the scorecard row of the date's school year, it is the chart as the data stand.
- TOLLGATE_WAITING, by project title: a project not CLOSED whose tollgate was requested and not
  yet passed (``tollgate_requested_at`` set).
- PLAN_AT_RISK, then PLAN_NON_COMPLIANT, by project title: the plan's status in
  ``sustainabilityCompliance(asOf: date)`` (``sustainability.compliance.verdicts_on``, asked for
  the forum's plans only).
- DECISION_OVERDUE, by due date: an OPEN decision due strictly before the date (one due on the
  date itself is not overdue yet).

Ties go by id. Statements: six whatever the number of measures (the forum, the calendar, the
scope's measures with their RED statuses, its projects with their plans, the latest chart
points, the decisions), eight when some latest point is not stored (the rebases and
exclusions too, ``measures.latest_points``), plus the verdicts' own when a plan is in scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple, Protocol

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.compliance import ComplianceStatus
from district_ppm.db.plain_rows import fetch_plain, fetch_tuples
from district_ppm.governance.forums import check_forum, scope_measures, scope_processes
from district_ppm.governance.models_forums import AgendaReason, Decision, DecisionStatus, Meeting
from district_ppm.governance.signals import RED_ROW_OF_MEASURE, unfavorable_latest_points
from district_ppm.improvement.models import Phase, Project
from district_ppm.measures.models import Measure, MeasureStatus
from district_ppm.measures.rows import MEASURE_COLUMNS, MeasureRow
from district_ppm.school_calendar import school_year_of
from district_ppm.sustainability.compliance import check_as_of, verdicts_on
from district_ppm.sustainability.models import SustainabilityPlan
from district_ppm.sustainability.service import (
    PLAN_COLUMNS,
    PlanRow,
    is_checked_on,
    plan_row,
)

PLAN_REASONS = {
    ComplianceStatus.AT_RISK: AgendaReason.PLAN_AT_RISK,
    ComplianceStatus.NON_COMPLIANT: AgendaReason.PLAN_NON_COMPLIANT,
}


class AgendaLine(NamedTuple):
    """One agenda item: why, about what (one subject id is set), and a title people read. A
    tuple, not a frozen dataclass (whose every field is set by a Python call): an agenda
    builds hundreds."""

    reason: AgendaReason
    title: str
    measure_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    decision_id: uuid.UUID | None = None

    @property
    def key(self) -> tuple[object, ...]:
        """(reason, subject): an agenda holds one item per key."""
        return (self.reason, self.measure_id, self.project_id, self.plan_id, self.decision_id)


def school_year_label(school_year: int) -> str:
    return f"{school_year - 1}-{school_year % 100:02d}"


class _Coded(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...


class _Titled(Protocol):
    @property
    def title(self) -> str: ...


class _Decided(_Titled, Protocol):
    @property
    def owner(self) -> str: ...
    @property
    def due_on(self) -> date: ...


def measure_title(measure: _Coded) -> str:
    return f"{measure.code} {measure.name}"


def decision_title(decision: _Decided) -> str:
    return f"{decision.title} (owner {decision.owner}, due {decision.due_on.isoformat()})"


def plan_title(project: _Titled) -> str:
    return f"Sustainability plan of {project.title}"


class ScopedProject(NamedTuple):
    """A project in the forum's scope: a tuple, built by the driver's row (300 in a forum over
    a whole district)."""

    id: uuid.UUID
    title: str
    phase: Phase
    tollgate_requested_at: datetime | None


async def generate_agenda(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    forum_id: uuid.UUID,
    as_of: date,
    date_field: str = "asOf",
) -> list[AgendaLine]:
    """The forum's agenda as of ``as_of`` (see the module docstring for the rules).

    NOT_FOUND (``forumId``) for a forum of no such id; BAD_INPUT naming ``date_field`` for a
    date before 2000 or more than a year ahead.
    """
    await check_forum(session=session, district_id=district_id, forum_id=forum_id)
    await check_as_of(session=session, district_id=district_id, as_of=as_of, field=date_field)
    in_forum = {"district_id": district_id, "forum_id": forum_id}
    year = school_year_of(as_of)
    width = len(MEASURE_COLUMNS)
    rows = await fetch_tuples(session, _SCOPED_MEASURE_ROWS, {**in_forum, "school_year": year})
    # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per measure).
    measures = sorted(
        (tuple.__new__(MeasureRow, row[:width]) for row in rows), key=lambda m: (m.code, m.id)
    )
    red = {row[0] for row in rows if row[width]}
    projects: dict[uuid.UUID, ScopedProject] = {}
    plans: list[PlanRow] = []
    for row in await fetch_tuples(session, _PROJECTS, in_forum):
        # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per project).
        projects[row[0]] = tuple.__new__(ScopedProject, row[:4])
        if row[4] is not None:  # the project's sustainability plan
            plans.append(plan_row(row[4:]))
    lines = _red_measures(measures, red, year)
    lines += await _signalling_measures(session, district_id, measures)
    lines += _waiting_projects(projects.values())
    lines += await _plans(session, district_id, projects, plans, as_of)
    lines += await _overdue_decisions(session, in_forum, as_of)
    return lines


# The agenda's own statements, built once with bound parameters and fetched by the driver
# (db.plain_rows). Built per request, with the forum's scope (a recursive CTE) in three of
# them, they were about a fifth of the agenda's CPU. Each computes the scope itself rather
# than take the ids of the measures and projects found: asyncpg encodes a uuid[] parameter at
# about 2,700 instructions per element (600 ids for a forum over a district), and PostgreSQL
# searched the list linearly for every row where a subquery's ids are hashed once.
_TREE = scope_processes(bindparam("district_id"), bindparam("forum_id"))
_SCOPED = scope_measures(bindparam("district_id"), bindparam("forum_id"), tree=_TREE).subquery()
# Each measure in scope, and whether its district-wide scorecard row of the school year is
# RED (``signals.RED_ROW_OF_MEASURE``, an outer join).
_SCOPED_MEASURE_ROWS = (
    select(*MEASURE_COLUMNS, MeasureStatus.id.is_not(None).label("red"))
    .outerjoin(MeasureStatus, RED_ROW_OF_MEASURE)
    .where(
        Measure.district_id == bindparam("district_id"),
        Measure.id.in_(select(_SCOPED.c.measure_id)),
    )
)
# A project is in scope when its process or its primary measure is.
_PROJECT_IN_SCOPE = or_(
    Project.process_id.in_(select(_TREE.c.process_id)),
    Project.primary_measure_id.in_(select(_SCOPED.c.measure_id)),
)
# Each project in scope with its sustainability plan's columns (NULL when it has none).
_PROJECTS = (
    select(Project.id, Project.title, Project.phase, Project.tollgate_requested_at, *PLAN_COLUMNS)
    .outerjoin(
        SustainabilityPlan,
        (SustainabilityPlan.district_id == Project.district_id)
        & (SustainabilityPlan.project_id == Project.id),
    )
    .where(Project.district_id == bindparam("district_id"), _PROJECT_IN_SCOPE)
)
_OVERDUE = (
    select(Decision.id, Decision.title, Decision.owner, Decision.due_on)
    .where(
        Decision.district_id == bindparam("district_id"),
        Decision.status == DecisionStatus.OPEN,
        Decision.due_on < bindparam("as_of"),
        or_(
            Decision.measure_id.in_(select(_SCOPED.c.measure_id)),
            Decision.project_id.in_(
                select(Project.id).where(
                    Project.district_id == bindparam("district_id"), _PROJECT_IN_SCOPE
                )
            ),
            # made at a meeting of the forum
            Decision.meeting_id.in_(
                select(Meeting.id).where(
                    Meeting.district_id == bindparam("district_id"),
                    Meeting.forum_id == bindparam("forum_id"),
                )
            ),
        ),
    )
    .order_by(Decision.due_on, Decision.created_at, Decision.id)
)


def _red_measures(
    measures: Sequence[MeasureRow], red: Collection[uuid.UUID], year: int
) -> list[AgendaLine]:
    return [
        AgendaLine(
            AgendaReason.RED_MEASURE,
            f"{measure_title(m)}: RED in school year {school_year_label(year)}",
            measure_id=m.id,
        )
        for m in measures
        if m.id in red
    ]


async def _signalling_measures(
    session: AsyncSession, district_id: uuid.UUID, measures: Sequence[MeasureRow]
) -> list[AgendaLine]:
    latest = await unfavorable_latest_points(
        session=session, district_id=district_id, measures=measures
    )
    return [
        AgendaLine(
            AgendaReason.UNFAVORABLE_SIGNAL,
            f"{measure_title(m)}: unfavorable signal at {latest[m.id].isoformat()}",
            measure_id=m.id,
        )
        for m in measures
        if m.id in latest
    ]


def _waiting_projects(projects: Iterable[ScopedProject]) -> list[AgendaLine]:
    waiting = sorted(
        (p for p in projects if p.phase is not Phase.CLOSED and p.tollgate_requested_at),
        key=lambda p: (p.title, p.id),
    )
    return [
        AgendaLine(
            AgendaReason.TOLLGATE_WAITING,
            f"{p.title}: waits at its {p.phase.value} tollgate",
            project_id=p.id,
        )
        for p in waiting
    ]


async def _plans(
    session: AsyncSession,
    district_id: uuid.UUID,
    projects: dict[uuid.UUID, ScopedProject],
    plans: Sequence[PlanRow],
    as_of: date,
) -> list[AgendaLine]:
    in_scope = [plan for plan in plans if is_checked_on(plan, as_of)]
    if not in_scope:
        return []  # no verdict is needed
    # sustainabilityCompliance(asOf)'s verdicts, of the forum's plans only.
    verdicts = [
        verdict
        for verdict in await verdicts_on(
            session=session, district_id=district_id, plans=in_scope, as_of=as_of
        )
        if verdict.status in PLAN_REASONS
    ]
    verdicts.sort(key=lambda v: (projects[v.plan.project_id].title, v.plan.id))
    return [
        AgendaLine(
            reason,
            f"{plan_title(projects[v.plan.project_id])}: {v.status.value}"
            + (f" ({', '.join(v.failed_checks)})" if v.failed_checks else ""),
            plan_id=v.plan.id,
        )
        for reason in (AgendaReason.PLAN_AT_RISK, AgendaReason.PLAN_NON_COMPLIANT)
        for v in verdicts
        if PLAN_REASONS[v.status] is reason
    ]


async def _overdue_decisions(
    session: AsyncSession, in_forum: dict[str, uuid.UUID], as_of: date
) -> list[AgendaLine]:
    decisions = await fetch_plain(session, _OVERDUE, {**in_forum, "as_of": as_of})
    return [
        AgendaLine(AgendaReason.DECISION_OVERDUE, decision_title(d), decision_id=d.id)
        for d in decisions
    ]
