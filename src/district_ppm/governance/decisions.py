"""The decision log: record, open from a RED measure, close, list (overdue ones too).

A decision is *overdue* as of a date when it is OPEN and due strictly before that date.
Closing it (DONE or DROPPED) is final and takes it off every agenda generated afterwards;
agendas already stored keep it.

Who may call the writes: DISTRICT_ADMIN, PROCESS_OWNER and IMPROVEMENT_LEAD (declared on the
GraphQL fields); every role reads.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.status import Status
from district_ppm.db.pagination import Page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.governance.agenda import school_year_label
from district_ppm.governance.models_forums import Decision, DecisionStatus, Meeting
from district_ppm.improvement.models import Project
from district_ppm.improvement.paging import SortKey, aware_datetime, sorted_page
from district_ppm.measures.models import Measure, MeasureStatus
from district_ppm.school_calendar import check_school_year
from district_ppm.sustainability.service import FIRST_YEAR, LAST_YEAR

MAX_NAME_LENGTH = 200  # title, owner (String(200) columns)
MAX_TEXT_LENGTH = 10_000  # rationale, fact, cause, action, closing note


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision to log. Field names in errors are the input's camelCase ones."""

    title: str
    owner: str
    due_on: date
    rationale: str | None = None
    meeting_id: uuid.UUID | None = None
    measure_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class MeasureDecision:
    """A decision opened from a RED measure in one step: the fact, its cause, the action."""

    measure_id: uuid.UUID
    school_year: int
    fact: str
    cause: str
    action: str
    owner: str
    due_on: date
    meeting_id: uuid.UUID | None = None


def _text(value: str, name: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise BadInput(name, "must not be empty")
    if len(text) > limit:
        raise BadInput(name, f"must be at most {limit} characters")
    return text


def _optional_text(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    return _text(value, name, MAX_TEXT_LENGTH)


def _check_due(due_on: date) -> None:
    if not FIRST_YEAR <= due_on.year <= LAST_YEAR:
        raise BadInput("dueOn", f"must be a date between {FIRST_YEAR} and {LAST_YEAR}")


async def _check_references(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    meeting_id: uuid.UUID | None,
    measure_id: uuid.UUID | None,
    project_id: uuid.UUID | None,
) -> None:
    for model, value, name, what in (
        (Meeting, meeting_id, "meetingId", "meeting"),
        (Measure, measure_id, "measureId", "measure"),
        (Project, project_id, "projectId", "project"),
    ):
        if value is not None and await session.get(model, (district_id, value)) is None:
            raise NotFound(name, f"no such {what}")


async def record_decision(
    *, session: AsyncSession, district_id: uuid.UUID, data: DecisionRecord, created_by: str
) -> Decision:
    """Log an OPEN decision. BAD_INPUT for a blank or overlong title, owner or rationale, or a
    due date outside 2000-2199; NOT_FOUND for a meeting, measure or project of no such id."""
    title = _text(data.title, "title", MAX_NAME_LENGTH)
    owner = _text(data.owner, "owner", MAX_NAME_LENGTH)
    rationale = _optional_text(data.rationale, "rationale")
    _check_due(data.due_on)
    await _check_references(
        session,
        district_id,
        meeting_id=data.meeting_id,
        measure_id=data.measure_id,
        project_id=data.project_id,
    )
    decision = Decision(
        id=uuid.uuid4(),
        district_id=district_id,
        title=title,
        rationale=rationale,
        owner=owner,
        due_on=data.due_on,
        status=DecisionStatus.OPEN,
        measure_id=data.measure_id,
        project_id=data.project_id,
        meeting_id=data.meeting_id,
        created_by=created_by,
    )
    session.add(decision)
    await session.flush()
    return decision


async def open_decision_for_measure(
    *, session: AsyncSession, district_id: uuid.UUID, data: MeasureDecision, created_by: str
) -> Decision:
    """Open a decision on a measure that is RED district-wide for the school year, with the
    fact, its cause and the action (the title is the measure's code and the action).

    CONFLICT when the measure's district-wide status for that year is not RED (the message
    says what it is); otherwise the errors of ``record_decision``.
    """
    check_school_year(data.school_year)
    fact = _text(data.fact, "fact", MAX_TEXT_LENGTH)
    cause = _text(data.cause, "cause", MAX_TEXT_LENGTH)
    action = _text(data.action, "action", MAX_TEXT_LENGTH)
    owner = _text(data.owner, "owner", MAX_NAME_LENGTH)
    _check_due(data.due_on)
    measure = await session.get(Measure, (district_id, data.measure_id))
    if measure is None:
        raise NotFound("measureId", "no such measure")
    await _check_references(
        session, district_id, meeting_id=data.meeting_id, measure_id=None, project_id=None
    )
    status = await session.scalar(
        select(MeasureStatus.status).where(
            MeasureStatus.district_id == district_id,
            MeasureStatus.measure_id == measure.id,
            MeasureStatus.school_id.is_(None),
            MeasureStatus.school_year == data.school_year,
        )
    )
    if status != Status.RED.value:
        raise Conflict(
            "measureId",
            f"{measure.code} is {status or Status.NO_DATA.value}, not RED, district-wide in "
            f"school year {school_year_label(data.school_year)}: only a RED measure opens a "
            "decision this way (recordDecision logs any other)",
        )
    title = f"{measure.code}: {action}"
    decision = Decision(
        id=uuid.uuid4(),
        district_id=district_id,
        title=title if len(title) <= MAX_NAME_LENGTH else title[: MAX_NAME_LENGTH - 1] + "…",
        rationale=f"Fact: {fact}\nCause: {cause}\nAction: {action}",
        owner=owner,
        due_on=data.due_on,
        status=DecisionStatus.OPEN,
        measure_id=measure.id,
        meeting_id=data.meeting_id,
        school_year=data.school_year,
        fact=fact,
        cause=cause,
        action=action,
        created_by=created_by,
    )
    session.add(decision)
    await session.flush()
    return decision


async def close_decision(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    decision_id: uuid.UUID,
    status: DecisionStatus,
    note: str | None,
    closed_by: str,
) -> Decision:
    """Close an OPEN decision as DONE or DROPPED, with an optional note.

    NOT_FOUND (``decisionId``); BAD_INPUT (``status``) for OPEN; CONFLICT when it is closed
    already (closing is final). The row is locked, so two closings take turns.
    """
    note = _optional_text(note, "note")
    decision = await session.get(Decision, (district_id, decision_id), with_for_update=True)
    if decision is None:
        raise NotFound("decisionId", "no such decision")
    if status is DecisionStatus.OPEN:
        raise BadInput("status", "a decision is closed as DONE or DROPPED")
    if decision.status is not DecisionStatus.OPEN:
        raise Conflict(
            "decisionId",
            f"the decision was closed as {decision.status.value} by {decision.closed_by}",
        )
    decision.status = status
    decision.closed_at = datetime.now(UTC)
    decision.closed_by = closed_by
    decision.close_note = note
    await session.flush()
    return decision


async def get_decision(
    *, session: AsyncSession, district_id: uuid.UUID, decision_id: uuid.UUID
) -> Decision | None:
    return await session.get(Decision, (district_id, decision_id))


async def list_decisions(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    first: int | None,
    after: str | None,
    status: DecisionStatus | None = None,
    overdue_as_of: date | None = None,
) -> Page[Decision]:
    """Decisions by due date (then creation), one keyset page at a time; ``status`` keeps one
    status, ``overdue_as_of`` only the decisions overdue on that date (OPEN, due before it)."""
    stmt = select(Decision).where(Decision.district_id == district_id)
    if status is not None:
        stmt = stmt.where(Decision.status == status)
    if overdue_as_of is not None:
        stmt = stmt.where(Decision.status == DecisionStatus.OPEN, Decision.due_on < overdue_as_of)
    return await sorted_page(
        session,
        stmt,
        keys=[
            SortKey(Decision.due_on, date.fromisoformat),
            SortKey(Decision.created_at, aware_datetime),
            SortKey(Decision.id, uuid.UUID),
        ],
        first=first,
        after=after,
    )


async def decisions_of_meetings(
    *, session: AsyncSession, district_id: uuid.UUID, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Decision]]:
    """The decisions each meeting made, by due date."""
    found: dict[uuid.UUID, list[Decision]] = defaultdict(list)
    for decision in await session.scalars(
        select(Decision)
        .where(Decision.district_id == district_id, Decision.meeting_id.in_(meeting_ids))
        .order_by(Decision.due_on, Decision.created_at, Decision.id)
    ):
        found[decision.meeting_id].append(decision)  # type: ignore[index]
    return {meeting_id: found.get(meeting_id, []) for meeting_id in meeting_ids}
