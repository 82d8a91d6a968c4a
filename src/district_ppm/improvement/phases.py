"""Phase moves: DEFINE → MEASURE → ANALYZE → IMPROVE → CONTROL → CLOSED, one tollgate at a time.

The team asks for the phase review with ``request_tollgate``; the project then waits at its
tollgate (the management review agenda shows it) until ``advance_phase`` passes it. Advancing
does not require a prior request: a lead or admin who holds the review in the room passes the
tollgate directly, and the move is recorded the same way (its ``requested_at`` is then empty).
Either way a pending request is cleared by the move. Who may call both: IMPROVEMENT_LEAD and
DISTRICT_ADMIN (declared on the GraphQL fields).

Every move is a ``project_tollgates`` row (who approved it, when, the note, and when and by whom
it was requested); the rows are never changed or deleted by the application.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, Conflict
from district_ppm.improvement.models import PHASE_ORDER, Phase, Project, ProjectTollgate
from district_ppm.improvement.projects import get_project_or_raise
from district_ppm.sustainability.service import get_plan_for_project

MAX_NOTE_LENGTH = 4000


def next_phase(phase: Phase) -> Phase | None:
    """The one phase a project may move to from ``phase``; None once CLOSED."""
    index = PHASE_ORDER.index(phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def _check_note(note: str | None) -> None:
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise BadInput("note", f"must be at most {MAX_NOTE_LENGTH} characters")


async def request_tollgate(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    project_id: uuid.UUID,
    requested_by: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Project:
    """Ask for the review that lets the project leave its phase; it then waits at the tollgate.

    CONFLICT when the project is CLOSED (no tollgate is left) or already waits at its tollgate.
    ``at`` defaults to now (the demo passes past times).
    """
    _check_note(note)
    project = await get_project_or_raise(
        session=session, district_id=district_id, project_id=project_id, for_update=True
    )
    if project.phase is Phase.CLOSED:
        raise Conflict("projectId", "the project is CLOSED: it has no tollgate left to request")
    if project.tollgate_requested_at is not None:
        raise Conflict(
            "projectId",
            f"the {project.phase.value} tollgate was already requested "
            f"by {project.tollgate_requested_by} and waits for advanceProjectPhase",
        )
    project.tollgate_requested_at = at or datetime.now(UTC)
    project.tollgate_requested_by = requested_by
    project.tollgate_request_note = note
    await session.flush()
    return project


async def advance_phase(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    project_id: uuid.UUID,
    approved_by: str,
    note: str | None = None,
    at: datetime | None = None,
    expected_phase: Phase | None = None,
) -> tuple[Project, ProjectTollgate]:
    """Pass the project's tollgate: it moves to the next phase and the move is recorded.

    Refused with CONFLICT (nothing written) when the project is CLOSED (final), when it would
    leave MEASURE without a baseline, or enter CLOSED without a sustainability plan.
    ``expected_phase``, when given, is the phase the caller saw: if the project has moved since
    (a second click, another reviewer), CONFLICT rather than a second move.
    """
    _check_note(note)
    project = await get_project_or_raise(
        session=session, district_id=district_id, project_id=project_id, for_update=True
    )
    if expected_phase is not None and project.phase is not expected_phase:
        raise Conflict(
            "fromPhase",
            f"the project is in {project.phase.value}, not {expected_phase.value}: "
            "it moved since you looked",
        )
    target = next_phase(project.phase)
    if target is None:
        raise Conflict("projectId", "the project is CLOSED: CLOSED is its final phase")
    if project.phase is Phase.MEASURE and project.baseline is None:
        raise Conflict(
            "projectId",
            "leaving MEASURE needs a baseline: set the project's baseline (updateProject) first",
        )
    if target is Phase.CLOSED and (
        await get_plan_for_project(session=session, district_id=district_id, project_id=project.id)
        is None
    ):
        raise Conflict(
            "projectId",
            "entering CLOSED needs a sustainability plan: create the project's plan first",
        )
    tollgate = ProjectTollgate(
        id=uuid.uuid4(),
        district_id=district_id,
        project_id=project.id,
        from_phase=project.phase,
        to_phase=target,
        approved_at=at or datetime.now(UTC),
        approved_by=approved_by,
        note=note,
        requested_at=project.tollgate_requested_at,
        requested_by=project.tollgate_requested_by,
    )
    session.add(tollgate)
    project.phase = target
    project.tollgate_requested_at = None
    project.tollgate_requested_by = None
    project.tollgate_request_note = None
    await session.flush()
    return project, tollgate


async def tollgates_of(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ProjectTollgate]]:
    """Each project's moves, oldest first."""
    found: dict[uuid.UUID, list[ProjectTollgate]] = {pid: [] for pid in project_ids}
    rows = await session.scalars(
        select(ProjectTollgate)
        .where(
            ProjectTollgate.district_id == district_id,
            ProjectTollgate.project_id.in_(project_ids),
        )
        .order_by(ProjectTollgate.approved_at, ProjectTollgate.created_at, ProjectTollgate.id)
    )
    for tollgate in rows:
        found[tollgate.project_id].append(tollgate)
    return found
