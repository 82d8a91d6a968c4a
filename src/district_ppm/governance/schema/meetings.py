"""GraphQL: agenda, meeting, meetings, scheduleMeeting, amendAgenda."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, MEETING_RUNNERS
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.governance import agenda, meetings
from district_ppm.governance.schema.forum_types import (
    AgendaItem,
    AgendaReason,
    AmendmentAction,
    Meeting,
)


@strawberry.input
class ScheduleMeetingInput:
    forum_id: strawberry.ID
    held_on: date


@strawberry.input(
    description="Add an item to a meeting's agenda, or remove one from it, saying why. The "
    "item is its reason and the one id that reason names (measureId for RED_MEASURE and "
    "UNFAVORABLE_SIGNAL, projectId for TOLLGATE_WAITING, planId for the PLAN_ reasons, "
    "decisionId for DECISION_OVERDUE)."
)
class AmendAgendaInput:
    meeting_id: strawberry.ID
    action: AmendmentAction  # type: ignore[valid-type]
    reason: AgendaReason  # type: ignore[valid-type]
    note: str
    measure_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None
    decision_id: strawberry.ID | None = None


@strawberry.type
class MeetingPayload:
    meeting: Meeting


@strawberry.type
class MeetingQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The forum's management review agenda as of a date, generated from the "
        "data: RED measures, unfavorable signals, projects waiting at a tollgate, plans "
        "AT_RISK or NON_COMPLIANT, overdue decisions, in that order. NOT_FOUND for a forum of "
        "no such id; asOf from 2000 to a year ahead.",
    )
    async def agenda(self, info: Info, forum_id: strawberry.ID, as_of: date) -> list[AgendaItem]:
        forum = parse_id(forum_id, "forumId")
        async with read_session(info) as session:
            lines = await agenda.generate_agenda(
                session=session,
                district_id=principal_of(info).district_id,
                forum_id=forum,
                as_of=as_of,
            )
        return [AgendaItem.from_line(line) for line in lines]

    @strawberry.field(permission_classes=[ANY_ROLE], description="One meeting; null if none.")
    async def meeting(self, info: Info, id: strawberry.ID) -> Meeting | None:
        meeting_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await meetings.get_meeting(
                session=session, district_id=principal_of(info).district_id, meeting_id=meeting_id
            )
        return Meeting.from_model(found) if found else None

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="A forum's meetings by date, oldest first. NOT_FOUND for a forum of no "
        "such id.",
    )
    async def meetings(
        self,
        info: Info,
        forum_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Meeting]:
        forum = parse_id(forum_id, "forumId")
        async with read_session(info) as session:
            page = await meetings.list_meetings(
                session=session,
                district_id=principal_of(info).district_id,
                forum_id=forum,
                first=first,
                after=after,
            )
        return to_connection(page, Meeting.from_model)


@strawberry.type
class MeetingMutations:
    @strawberry.mutation(
        permission_classes=[MEETING_RUNNERS],
        description="A meeting of the forum on heldOn, storing the agenda generated as of that "
        "date. CONFLICT when the forum already meets that day.",
    )
    async def schedule_meeting(self, info: Info, input: ScheduleMeetingInput) -> MeetingPayload:
        forum_id = parse_id(input.forum_id, "input.forumId")
        async with unit_of_work(info, "scheduleMeeting") as uow:
            meeting = await meetings.schedule_meeting(
                session=uow.session,
                district_id=uow.district_id,
                forum_id=forum_id,
                held_on=input.held_on,
                scheduled_by=uow.principal.actor,
            )
            uow.audit(
                "meeting", meeting.id, forumId=str(forum_id), heldOn=input.held_on.isoformat()
            )
        return MeetingPayload(meeting=Meeting.from_model(meeting))

    @strawberry.mutation(
        permission_classes=[MEETING_RUNNERS],
        description="Add an item to, or remove one from, a meeting's agenda, with a note. The "
        "generated agenda is kept as it was; the amendment is recorded beside it.",
    )
    async def amend_agenda(self, info: Info, input: AmendAgendaInput) -> MeetingPayload:
        meeting_id = parse_id(input.meeting_id, "input.meetingId")
        change = meetings.AgendaChange(
            action=input.action,
            reason=input.reason,
            note=input.note,
            measure_id=parse_optional_id(input.measure_id, "input.measureId"),
            project_id=parse_optional_id(input.project_id, "input.projectId"),
            plan_id=parse_optional_id(input.plan_id, "input.planId"),
            decision_id=parse_optional_id(input.decision_id, "input.decisionId"),
        )
        async with unit_of_work(info, "amendAgenda") as uow:
            meeting, amendment = await meetings.amend_agenda(
                session=uow.session,
                district_id=uow.district_id,
                meeting_id=meeting_id,
                change=change,
                amended_by=uow.principal.actor,
            )
            uow.audit(
                "meeting",
                meeting_id,
                action=change.action.value,
                reason=change.reason.value,
                itemId=str(amendment.item_id),
                note=amendment.note,
            )
        return MeetingPayload(meeting=Meeting.from_model(meeting))
