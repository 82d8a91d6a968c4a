"""Meetings: scheduling one stores its generated agenda; people then amend it.

The generated items are stored once, when the meeting is scheduled (the agenda as of its date,
``agenda.generate_agenda``) and never changed. ``amend_agenda`` adds an item (a new ``ADDED``
item) or removes any item of the current agenda; each is an amendment row with its note and
author. The meeting's *agenda* is then its items less the removed ones, in reason order (the
generated items of a reason first, as generated, then those added, as added).

Who may call the writes: DISTRICT_ADMIN, PROCESS_OWNER and IMPROVEMENT_LEAD (declared on the
GraphQL fields); every role reads.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.governance.agenda import (
    AgendaLine,
    decision_title,
    generate_agenda,
    measure_title,
    plan_title,
)
from district_ppm.governance.forums import check_forum, get_forum_or_raise
from district_ppm.governance.models_forums import (
    REASON_ORDER,
    AgendaAmendment,
    AgendaItemOrigin,
    AgendaReason,
    AmendmentAction,
    Decision,
    Meeting,
    MeetingAgendaItem,
)
from district_ppm.improvement.models import Project
from district_ppm.improvement.paging import SortKey, sorted_page
from district_ppm.measures.models import Measure
from district_ppm.sustainability.models import SustainabilityPlan

MAX_NOTE_LENGTH = 4000

# Which subject id each reason's item names (the input's camelCase field).
SUBJECT_FIELD = {
    AgendaReason.RED_MEASURE: "measureId",
    AgendaReason.UNFAVORABLE_SIGNAL: "measureId",
    AgendaReason.TOLLGATE_WAITING: "projectId",
    AgendaReason.PLAN_AT_RISK: "planId",
    AgendaReason.PLAN_NON_COMPLIANT: "planId",
    AgendaReason.DECISION_OVERDUE: "decisionId",
}


@dataclass(frozen=True, slots=True)
class AgendaChange:
    """An amendment asked for: add or remove the item (reason, subject). Exactly the reason's
    subject id is set (``SUBJECT_FIELD``)."""

    action: AmendmentAction
    reason: AgendaReason
    note: str
    measure_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    decision_id: uuid.UUID | None = None

    def subjects(self) -> dict[str, uuid.UUID | None]:
        return {
            "measureId": self.measure_id,
            "projectId": self.project_id,
            "planId": self.plan_id,
            "decisionId": self.decision_id,
        }

    @property
    def key(self) -> tuple[object, ...]:
        return (self.reason, self.measure_id, self.project_id, self.plan_id, self.decision_id)


def item_key(item: MeetingAgendaItem) -> tuple[object, ...]:
    return (item.reason, item.measure_id, item.project_id, item.plan_id, item.decision_id)


async def schedule_meeting(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    forum_id: uuid.UUID,
    held_on: date,
    scheduled_by: str,
) -> Meeting:
    """A meeting of the forum on ``held_on`` with the agenda generated as of that date.

    NOT_FOUND (``forumId``); BAD_INPUT (``heldOn``) for a date the agenda cannot be generated
    for (before 2000, or more than a year ahead); CONFLICT when the forum already meets that day.
    """
    forum = await get_forum_or_raise(session=session, district_id=district_id, forum_id=forum_id)
    if await session.scalar(
        select(Meeting.id).where(
            Meeting.district_id == district_id,
            Meeting.forum_id == forum_id,
            Meeting.held_on == held_on,
        )
    ):
        raise Conflict("heldOn", f"{forum.name} already meets on {held_on.isoformat()}")
    lines = await generate_agenda(
        session=session,
        district_id=district_id,
        forum_id=forum_id,
        as_of=held_on,
        date_field="heldOn",
    )
    meeting = Meeting(
        id=uuid.uuid4(),
        district_id=district_id,
        forum_id=forum_id,
        held_on=held_on,
        scheduled_by=scheduled_by,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        _item(district_id, meeting.id, position, AgendaItemOrigin.GENERATED, line)
        for position, line in enumerate(lines)
    )
    await session.flush()
    return meeting


def _item(
    district_id: uuid.UUID,
    meeting_id: uuid.UUID,
    position: int,
    origin: AgendaItemOrigin,
    line: AgendaLine,
) -> MeetingAgendaItem:
    return MeetingAgendaItem(
        id=uuid.uuid4(),
        district_id=district_id,
        meeting_id=meeting_id,
        position=position,
        origin=origin,
        reason=line.reason,
        measure_id=line.measure_id,
        project_id=line.project_id,
        plan_id=line.plan_id,
        decision_id=line.decision_id,
        title=line.title,
    )


async def get_meeting(
    *, session: AsyncSession, district_id: uuid.UUID, meeting_id: uuid.UUID
) -> Meeting | None:
    return await session.get(Meeting, (district_id, meeting_id))


async def get_meeting_or_raise(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    meeting_id: uuid.UUID,
    field: str = "meetingId",
    for_update: bool = False,
) -> Meeting:
    meeting = await session.get(
        Meeting, (district_id, meeting_id), with_for_update=for_update or None
    )
    if meeting is None:
        raise NotFound(field, "no such meeting")
    return meeting


async def list_meetings(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    forum_id: uuid.UUID,
    first: int | None,
    after: str | None,
) -> Page[Meeting]:
    """The forum's meetings by date (oldest first), one keyset page at a time."""
    await check_forum(session=session, district_id=district_id, forum_id=forum_id)
    stmt = select(Meeting).where(Meeting.district_id == district_id, Meeting.forum_id == forum_id)
    return await sorted_page(
        session,
        stmt,
        keys=[SortKey(Meeting.held_on, date.fromisoformat), SortKey(Meeting.id, uuid.UUID)],
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class MeetingAgenda:
    """A meeting's stored agenda: what was generated, what was amended, and the result."""

    generated: list[MeetingAgendaItem]
    amendments: list[tuple[AgendaAmendment, MeetingAgendaItem]]
    effective: list[MeetingAgendaItem]


async def agendas_of(
    *, session: AsyncSession, district_id: uuid.UUID, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, MeetingAgenda]:
    """Each meeting's agenda, in two statements however many meetings."""
    items: dict[uuid.UUID, list[MeetingAgendaItem]] = defaultdict(list)
    by_id: dict[uuid.UUID, MeetingAgendaItem] = {}
    for item in await session.scalars(
        select(MeetingAgendaItem)
        .where(
            MeetingAgendaItem.district_id == district_id,
            MeetingAgendaItem.meeting_id.in_(meeting_ids),
        )
        .order_by(MeetingAgendaItem.meeting_id, MeetingAgendaItem.position)
    ):
        items[item.meeting_id].append(item)
        by_id[item.id] = item
    amendments: dict[uuid.UUID, list[AgendaAmendment]] = defaultdict(list)
    for amendment in await session.scalars(
        select(AgendaAmendment)
        .where(
            AgendaAmendment.district_id == district_id,
            AgendaAmendment.meeting_id.in_(meeting_ids),
        )
        .order_by(AgendaAmendment.created_at, AgendaAmendment.id)
    ):
        amendments[amendment.meeting_id].append(amendment)
    found = {}
    for meeting_id in meeting_ids:
        own = items.get(meeting_id, [])
        changes = amendments.get(meeting_id, [])
        removed = {a.item_id for a in changes if a.action is AmendmentAction.REMOVE}
        found[meeting_id] = MeetingAgenda(
            generated=[i for i in own if i.origin is AgendaItemOrigin.GENERATED],
            amendments=[(a, by_id[a.item_id]) for a in changes],
            effective=sorted(
                (i for i in own if i.id not in removed),
                key=lambda i: (REASON_ORDER.index(i.reason), i.position),
            ),
        )
    return found


def _check_note(change: AgendaChange) -> str:
    """The note trimmed; BAD_INPUT when it is blank or too long."""
    note = change.note.strip()
    if not note:
        raise BadInput("note", "must say why the agenda changes")
    if len(note) > MAX_NOTE_LENGTH:
        raise BadInput("note", f"must be at most {MAX_NOTE_LENGTH} characters")
    return note


def _check_subject(change: AgendaChange) -> None:
    """BAD_INPUT unless exactly the reason's subject id is set."""
    needed = SUBJECT_FIELD[change.reason]
    for name, value in change.subjects().items():
        if name == needed and value is None:
            raise BadInput(name, f"a {change.reason.value} item names its {name[:-2]}")
        if name != needed and value is not None:
            raise BadInput(name, f"a {change.reason.value} item names a {needed[:-2]} only")


async def _subject_titles(
    session: AsyncSession, district_id: uuid.UUID, change: AgendaChange
) -> dict[str, str]:
    """What an item about each given subject says (by input field), or NOT_FOUND naming the
    first subject id that is not this district's."""
    titles = {}
    if change.measure_id is not None:
        measure = await session.get(Measure, (district_id, change.measure_id))
        if measure is None:
            raise NotFound("measureId", "no such measure")
        titles["measureId"] = measure_title(measure)
    if change.project_id is not None:
        project = await session.get(Project, (district_id, change.project_id))
        if project is None:
            raise NotFound("projectId", "no such project")
        titles["projectId"] = project.title
    if change.plan_id is not None:
        planned = (
            await session.execute(
                select(Project)
                .join(
                    SustainabilityPlan,
                    (SustainabilityPlan.district_id == Project.district_id)
                    & (SustainabilityPlan.project_id == Project.id),
                )
                .where(
                    SustainabilityPlan.district_id == district_id,
                    SustainabilityPlan.id == change.plan_id,
                )
            )
        ).scalar_one_or_none()
        if planned is None:
            raise NotFound("planId", "no such sustainability plan")
        titles["planId"] = plan_title(planned)
    if change.decision_id is not None:
        decision = await session.get(Decision, (district_id, change.decision_id))
        if decision is None:
            raise NotFound("decisionId", "no such decision")
        titles["decisionId"] = decision_title(decision)
    return titles


async def amend_agenda(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    meeting_id: uuid.UUID,
    change: AgendaChange,
    amended_by: str,
) -> tuple[Meeting, AgendaAmendment]:
    """Add an item to, or remove one from, the meeting's agenda, with a note and its author.

    BAD_INPUT for a blank note or subject ids that do not fit the reason; NOT_FOUND for a
    meeting or subject of no such id, or (removing) an item not on the agenda;
    CONFLICT when adding an item the agenda already holds. The meeting's row is locked, so
    amendments of one meeting take turns.
    """
    note = _check_note(change)
    meeting = await get_meeting_or_raise(
        session=session, district_id=district_id, meeting_id=meeting_id, for_update=True
    )
    # Ids of no such record first (whatever else is wrong), then whether they fit the reason.
    titles = await _subject_titles(session, district_id, change)
    _check_subject(change)
    agenda = (await agendas_of(session=session, district_id=district_id, meeting_ids=[meeting_id]))[
        meeting_id
    ]
    current = {item_key(item): item for item in agenda.effective}
    if change.action is AmendmentAction.REMOVE:
        item = current.get(change.key)
        if item is None:
            field = SUBJECT_FIELD[change.reason]
            raise NotFound(field, f"is not on this meeting's agenda as {change.reason.value}")
    else:
        if change.key in current:
            raise Conflict(
                SUBJECT_FIELD[change.reason],
                f"the agenda already holds this {change.reason.value} item",
            )
        positions = [i.position for i in agenda.generated] + [
            i.position for _, i in agenda.amendments
        ]
        item = _item(
            district_id,
            meeting_id,
            max(positions, default=-1) + 1,
            AgendaItemOrigin.ADDED,
            AgendaLine(
                change.reason,
                titles[SUBJECT_FIELD[change.reason]],
                measure_id=change.measure_id,
                project_id=change.project_id,
                plan_id=change.plan_id,
                decision_id=change.decision_id,
            ),
        )
        session.add(item)
        await session.flush()
    amendment = AgendaAmendment(
        id=uuid.uuid4(),
        district_id=district_id,
        meeting_id=meeting_id,
        item_id=item.id,
        action=change.action,
        note=note,
        amended_by=amended_by,
    )
    session.add(amendment)
    await session.flush()
    return meeting, amendment
