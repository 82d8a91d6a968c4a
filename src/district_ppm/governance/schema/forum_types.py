"""GraphQL object types of forums, meetings, agendas and decisions (names as in the contract)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from district_ppm.api.context import loader
from district_ppm.governance import models_forums as models
from district_ppm.governance.agenda import AgendaLine
from district_ppm.governance.forums import ForumView
from district_ppm.governance.schema.loaders import (
    AgendaByMeetingLoader,
    DecisionsByMeetingLoader,
    ForumByIdLoader,
)
from district_ppm.measures.schema.types import Frequency

AgendaReason = strawberry.enum(models.AgendaReason)
AgendaItemOrigin = strawberry.enum(models.AgendaItemOrigin)
AmendmentAction = strawberry.enum(models.AmendmentAction)
DecisionStatus = strawberry.enum(models.DecisionStatus)


def _id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(
    description="A management forum: its cadence, chair, members, and the processes and "
    "measures it names. Its scope is those processes with all their descendants, their "
    "measures, and the measures it names."
)
class Forum:
    id: strawberry.ID
    name: str
    cadence: Frequency  # type: ignore[valid-type]
    chair: str | None
    process_ids: list[strawberry.ID] = strawberry.field(description="In process code order.")
    measure_ids: list[strawberry.ID] = strawberry.field(description="In measure code order.")
    members: list[str]
    created_at: datetime
    created_by: str

    @classmethod
    def from_view(cls, view: ForumView) -> Forum:
        forum = view.forum
        return cls(
            id=strawberry.ID(str(forum.id)),
            name=forum.name,
            cadence=forum.cadence,
            chair=forum.chair,
            process_ids=[strawberry.ID(str(i)) for i in view.process_ids],
            measure_ids=[strawberry.ID(str(i)) for i in view.measure_ids],
            members=list(forum.members or []),
            created_at=forum.created_at,
            created_by=forum.created_by,
        )


@strawberry.type(
    description="One item of an agenda: why it is there and what it is about (one of the ids)."
)
class AgendaItem:
    reason: AgendaReason  # type: ignore[valid-type]
    measure_id: strawberry.ID | None
    project_id: strawberry.ID | None
    plan_id: strawberry.ID | None
    decision_id: strawberry.ID | None
    title: str = strawberry.field(description="What the item is about, for people to read.")
    origin: AgendaItemOrigin = strawberry.field(  # type: ignore[valid-type]
        description="GENERATED from the data, or ADDED by a person (amendAgenda)."
    )

    @classmethod
    def from_line(cls, line: AgendaLine) -> AgendaItem:
        return cls(
            reason=line.reason,
            measure_id=_id(line.measure_id),
            project_id=_id(line.project_id),
            plan_id=_id(line.plan_id),
            decision_id=_id(line.decision_id),
            title=line.title,
            origin=models.AgendaItemOrigin.GENERATED,
        )

    @classmethod
    def from_model(cls, item: models.MeetingAgendaItem) -> AgendaItem:
        return cls(
            reason=item.reason,
            measure_id=_id(item.measure_id),
            project_id=_id(item.project_id),
            plan_id=_id(item.plan_id),
            decision_id=_id(item.decision_id),
            title=item.title,
            origin=item.origin,
        )


@strawberry.type(description="A person's change to a meeting's agenda: an item added or removed.")
class AgendaAmendment:
    action: AmendmentAction  # type: ignore[valid-type]
    item: AgendaItem
    note: str
    amended_by: str
    amended_at: datetime


@strawberry.type(description="A decision of the log.")
class Decision:
    id: strawberry.ID
    title: str
    owner: str
    due_on: date
    status: DecisionStatus  # type: ignore[valid-type]
    measure_id: strawberry.ID | None
    project_id: strawberry.ID | None
    meeting_id: strawberry.ID | None = strawberry.field(
        description="The meeting that made it, if any."
    )
    rationale: str | None
    school_year: int | None = strawberry.field(
        description="Opened from a RED measure: the school year it was RED in."
    )
    fact: str | None
    cause: str | None
    action: str | None
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_by: str | None
    close_note: str | None

    @classmethod
    def from_model(cls, decision: models.Decision) -> Decision:
        return cls(
            id=strawberry.ID(str(decision.id)),
            title=decision.title,
            owner=decision.owner,
            due_on=decision.due_on,
            status=decision.status,
            measure_id=_id(decision.measure_id),
            project_id=_id(decision.project_id),
            meeting_id=_id(decision.meeting_id),
            rationale=decision.rationale,
            school_year=decision.school_year,
            fact=decision.fact,
            cause=decision.cause,
            action=decision.action,
            created_at=decision.created_at,
            created_by=decision.created_by,
            closed_at=decision.closed_at,
            closed_by=decision.closed_by,
            close_note=decision.close_note,
        )


@strawberry.type(description="A meeting of a forum, with its agenda and the decisions it made.")
class Meeting:
    id: strawberry.ID
    held_on: date
    scheduled_by: str
    created_at: datetime
    forum_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def forum(self, info: Info) -> Forum:
        view = await loader(info, ForumByIdLoader).load(self.forum_id)
        assert view is not None  # a meeting's forum is never deleted
        return Forum.from_view(view)

    @strawberry.field(
        description="The agenda as it stands: the generated items less those removed, and "
        "the items added; in reason order (generated items of a reason first)."
    )
    async def agenda(self, info: Info) -> list[AgendaItem]:
        found = await loader(info, AgendaByMeetingLoader).load(uuid.UUID(self.id))
        return [AgendaItem.from_model(item) for item in found.effective]

    @strawberry.field(
        description="The agenda generated from the data as of heldOn when the meeting was "
        "scheduled, as it was generated (amendments do not change it)."
    )
    async def generated_agenda(self, info: Info) -> list[AgendaItem]:
        found = await loader(info, AgendaByMeetingLoader).load(uuid.UUID(self.id))
        return [AgendaItem.from_model(item) for item in found.generated]

    @strawberry.field(description="Every change people made to the agenda, oldest first.")
    async def amendments(self, info: Info) -> list[AgendaAmendment]:
        found = await loader(info, AgendaByMeetingLoader).load(uuid.UUID(self.id))
        return [
            AgendaAmendment(
                action=amendment.action,
                item=AgendaItem.from_model(item),
                note=amendment.note,
                amended_by=amendment.amended_by,
                amended_at=amendment.created_at,
            )
            for amendment, item in found.amendments
        ]

    @strawberry.field(description="The decisions this meeting made, by due date.")
    async def decisions(self, info: Info) -> list[Decision]:
        rows = await loader(info, DecisionsByMeetingLoader).load(uuid.UUID(self.id))
        return [Decision.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, meeting: models.Meeting) -> Meeting:
        return cls(
            id=strawberry.ID(str(meeting.id)),
            held_on=meeting.held_on,
            scheduled_by=meeting.scheduled_by,
            created_at=meeting.created_at,
            forum_id=meeting.forum_id,
        )
