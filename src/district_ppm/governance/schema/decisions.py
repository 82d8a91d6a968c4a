"""GraphQL: decisions, overdueDecisions, decision, recordDecision, openDecisionForMeasure,
closeDecision."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, MEETING_RUNNERS
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.governance import decisions
from district_ppm.governance.schema.forum_types import Decision, DecisionStatus
from district_ppm.tenancy.calendar import district_today


@strawberry.input
class RecordDecisionInput:
    title: str
    owner: str
    due_on: date
    meeting_id: strawberry.ID | None = None
    measure_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    rationale: str | None = None


@strawberry.input(
    description="A decision on a measure that is RED district-wide in the school year: the "
    "fact (what the data show), its cause, and the action decided."
)
class OpenDecisionForMeasureInput:
    measure_id: strawberry.ID
    school_year: int = strawberry.field(
        description="The school year (named by the year it ends) the measure is RED in."
    )
    fact: str
    cause: str
    action: str
    owner: str
    due_on: date
    meeting_id: strawberry.ID | None = None


@strawberry.input
class CloseDecisionInput:
    decision_id: strawberry.ID
    status: DecisionStatus = strawberry.field(  # type: ignore[valid-type]
        description="DONE or DROPPED (OPEN is BAD_INPUT)."
    )
    note: str | None = None


@strawberry.type
class DecisionPayload:
    decision: Decision


@strawberry.type
class DecisionQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The decision log by due date (then creation). status keeps one status; "
        "overdueAsOf keeps the decisions overdue on that date (OPEN, due before it).",
    )
    async def decisions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: DecisionStatus | None = None,  # type: ignore[valid-type]
        overdue_as_of: date | None = None,
    ) -> Connection[Decision]:
        async with read_session(info) as session:
            page = await decisions.list_decisions(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
                status=status,
                overdue_as_of=overdue_as_of,
            )
        return to_connection(page, Decision.from_model)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The decisions overdue on asOf (OPEN, due before it; today in the "
        "district's time zone by default), by due date.",
    )
    async def overdue_decisions(
        self,
        info: Info,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Decision]:
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            day = as_of or await district_today(session=session, district_id=district_id)
            page = await decisions.list_decisions(
                session=session,
                district_id=district_id,
                first=first,
                after=after,
                overdue_as_of=day,
            )
        return to_connection(page, Decision.from_model)

    @strawberry.field(permission_classes=[ANY_ROLE], description="One decision; null if none.")
    async def decision(self, info: Info, id: strawberry.ID) -> Decision | None:
        decision_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await decisions.get_decision(
                session=session,
                district_id=principal_of(info).district_id,
                decision_id=decision_id,
            )
        return Decision.from_model(found) if found else None


@strawberry.type
class DecisionMutations:
    @strawberry.mutation(
        permission_classes=[MEETING_RUNNERS],
        description="Log an OPEN decision: what, why, who owns it, by when, what it concerns, "
        "and the meeting that made it.",
    )
    async def record_decision(self, info: Info, input: RecordDecisionInput) -> DecisionPayload:
        data = decisions.DecisionRecord(
            title=input.title,
            owner=input.owner,
            due_on=input.due_on,
            rationale=input.rationale,
            meeting_id=parse_optional_id(input.meeting_id, "input.meetingId"),
            measure_id=parse_optional_id(input.measure_id, "input.measureId"),
            project_id=parse_optional_id(input.project_id, "input.projectId"),
        )
        async with unit_of_work(info, "recordDecision") as uow:
            decision = await decisions.record_decision(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "decision", decision.id, title=decision.title, dueOn=decision.due_on.isoformat()
            )
        return DecisionPayload(decision=Decision.from_model(decision))

    @strawberry.mutation(
        permission_classes=[MEETING_RUNNERS],
        description="Open a decision on a RED measure in one step, with the fact, cause and "
        "action. CONFLICT when the measure is not RED district-wide in that school year.",
    )
    async def open_decision_for_measure(
        self, info: Info, input: OpenDecisionForMeasureInput
    ) -> DecisionPayload:
        data = decisions.MeasureDecision(
            measure_id=parse_id(input.measure_id, "input.measureId"),
            school_year=input.school_year,
            fact=input.fact,
            cause=input.cause,
            action=input.action,
            owner=input.owner,
            due_on=input.due_on,
            meeting_id=parse_optional_id(input.meeting_id, "input.meetingId"),
        )
        async with unit_of_work(info, "openDecisionForMeasure") as uow:
            decision = await decisions.open_decision_for_measure(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "decision",
                decision.id,
                measureId=str(decision.measure_id),
                schoolYear=decision.school_year,
                dueOn=decision.due_on.isoformat(),
            )
        return DecisionPayload(decision=Decision.from_model(decision))

    @strawberry.mutation(
        permission_classes=[MEETING_RUNNERS],
        description="Close an OPEN decision as DONE or DROPPED (final): it leaves every agenda "
        "generated afterwards. CONFLICT when it is closed already.",
    )
    async def close_decision(self, info: Info, input: CloseDecisionInput) -> DecisionPayload:
        decision_id = parse_id(input.decision_id, "input.decisionId")
        async with unit_of_work(info, "closeDecision") as uow:
            decision = await decisions.close_decision(
                session=uow.session,
                district_id=uow.district_id,
                decision_id=decision_id,
                status=input.status,
                note=input.note,
                closed_by=uow.principal.actor,
            )
            uow.audit("decision", decision.id, status=decision.status.value, note=input.note)
        return DecisionPayload(decision=Decision.from_model(decision))
