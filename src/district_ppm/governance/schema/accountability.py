"""GraphQL: people, RACI assignments, a person's responsibilities, key processes nobody is
accountable for; assignResponsibility and unassignResponsibility."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ADMIN, ANY_ROLE
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.governance import accountability, models_people, responsibilities
from district_ppm.governance.reminders import Person as PersonRecord
from district_ppm.processes.schema import Process
from district_ppm.tenancy.schema import Role

ResponsibilityType = strawberry.enum(
    models_people.Responsibility,
    name="ResponsibilityType",
    description="RACI: RESPONSIBLE does the work, ACCOUNTABLE answers for it (one person per "
    "process or measure), CONSULTED is asked, INFORMED is told.",
)
AttentionReason = strawberry.enum(
    responsibilities.AttentionReason,
    description="RED: district-wide scorecard status RED for the date's school year; "
    "SIGNALLING: the district-wide control chart's latest point is unfavorable; DUE: no value "
    "for the last complete period; OVERDUE: no value for an earlier period of the trailing "
    "year (see dataEntryReminders).",
)


def _id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="A member of the district: a user with a role in it.")
class Person:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    email: str
    display_name: str
    role: Role  # type: ignore[valid-type]

    @classmethod
    def from_record(cls, person: PersonRecord) -> Person:
        return cls(
            id=strawberry.ID(str(person.user_id)),
            email=person.email,
            display_name=person.display_name,
            role=person.role,
        )


@strawberry.type(description="A person's RACI responsibility for one process or one measure.")
class ResponsibilityAssignment:
    id: strawberry.ID
    person: Person
    responsibility: ResponsibilityType  # type: ignore[valid-type]
    process_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    subject_code: str = strawberry.field(description="The process's or measure's code.")
    subject_name: str
    assigned_at: datetime
    assigned_by: str

    @classmethod
    def from_view(cls, view: accountability.AssignmentView) -> ResponsibilityAssignment:
        a = view.assignment
        return cls(
            id=strawberry.ID(str(a.id)),
            person=Person.from_record(view.person),
            responsibility=a.responsibility,
            process_id=_id(a.process_id),
            measure_id=_id(a.measure_id),
            subject_code=view.subject_code,
            subject_name=view.subject_name,
            assigned_at=a.created_at,
            assigned_by=a.assigned_by,
        )


@strawberry.type(description="One thing a person owns, with how many lines need attention.")
class OwnedItem:
    assignment_id: strawberry.ID
    responsibility: ResponsibilityType  # type: ignore[valid-type]
    process_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    code: str
    name: str
    red: int = strawberry.field(description="Its RED measures (a measure: 0 or 1).")
    signalling: int = strawberry.field(description="Its measures with an unfavorable signal.")
    due: int = strawberry.field(description="Values due (last complete period), per school.")
    overdue: int = strawberry.field(description="Values overdue (earlier periods), per school.")


@strawberry.type(
    description="One line needing attention, of the item named by assignmentId (a process's "
    "lines are those of the measures of the process and its descendants)."
)
class AttentionLine:
    assignment_id: strawberry.ID
    reason: AttentionReason  # type: ignore[valid-type]
    measure_id: strawberry.ID
    measure_code: str
    school_id: strawberry.ID | None = strawberry.field(
        description="DUE/OVERDUE of a SCHOOL-level measure: the school that owes the value."
    )
    school_name: str | None
    period_start: date | None = strawberry.field(
        description="RED: the status's latest period; SIGNALLING: the unfavorable point's; "
        "DUE/OVERDUE: the period with no value."
    )


@strawberry.type(
    description="Everything a person owns (processes in code order, then measures by code) "
    "and, as compact rows, what of it needs attention: by reason, measure code, school, period."
)
class PersonResponsibilities:
    person: Person
    as_of: date
    items: list[OwnedItem]
    attention: list[AttentionLine]

    @classmethod
    def from_report(cls, report: responsibilities.PersonResponsibilities) -> PersonResponsibilities:
        items, lines = [], []
        reasons = responsibilities.AttentionReason
        for item in report.items:
            a = item.view.assignment
            count = {r: sum(1 for line in item.attention if line.reason is r) for r in reasons}
            items.append(
                OwnedItem(
                    assignment_id=strawberry.ID(str(a.id)),
                    responsibility=a.responsibility,
                    process_id=_id(a.process_id),
                    measure_id=_id(a.measure_id),
                    code=item.view.subject_code,
                    name=item.view.subject_name,
                    red=count[reasons.RED],
                    signalling=count[reasons.SIGNALLING],
                    due=count[reasons.DUE],
                    overdue=count[reasons.OVERDUE],
                )
            )
            lines += [
                AttentionLine(
                    assignment_id=strawberry.ID(str(a.id)),
                    reason=line.reason,
                    measure_id=strawberry.ID(str(line.measure.id)),
                    measure_code=line.measure.code,
                    school_id=_id(line.school_id),
                    school_name=line.school_name,
                    period_start=line.period_start,
                )
                for line in item.attention
            ]
        return cls(
            person=Person.from_record(report.person),
            as_of=report.as_of,
            items=items,
            attention=lines,
        )


@strawberry.input(description="Name the person by userId or by email, and one subject.")
class AssignResponsibilityInput:
    user_id: strawberry.ID | None = None
    email: str | None = None
    process_id: strawberry.ID | None = None
    measure_id: strawberry.ID | None = None
    responsibility: ResponsibilityType  # type: ignore[valid-type]


@strawberry.input
class UnassignResponsibilityInput:
    assignment_id: strawberry.ID


@strawberry.type
class ResponsibilityPayload:
    assignment: ResponsibilityAssignment
    created: bool = strawberry.field(
        description="False when the assignment already existed (assigning again changes "
        "nothing) or, for unassign, always."
    )


@strawberry.type
class AccountabilityQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE], description="The district's members, by e-mail."
    )
    async def people(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Person]:
        async with read_session(info) as session:
            page = await accountability.list_people(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, Person.from_record)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The RACI chart of one process or one measure (name exactly one), in "
        "RACI order then by e-mail. NOT_FOUND for a subject not in the district.",
    )
    async def responsibility_assignments(
        self,
        info: Info,
        process_id: strawberry.ID | None = None,
        measure_id: strawberry.ID | None = None,
    ) -> list[ResponsibilityAssignment]:
        process = parse_optional_id(process_id, "processId")
        measure = parse_optional_id(measure_id, "measureId")
        async with read_session(info) as session:
            views = await accountability.subject_assignments(
                session=session,
                district_id=principal_of(info).district_id,
                process_id=process,
                measure_id=measure,
            )
        return [ResponsibilityAssignment.from_view(v) for v in views]

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="What a member (by userId or email) owns and what of it is RED, "
        "signalling, due or overdue as of asOf (default: today); null when no such member.",
    )
    async def responsibilities(
        self,
        info: Info,
        user_id: strawberry.ID | None = None,
        email: str | None = None,
        as_of: date | None = None,
    ) -> PersonResponsibilities | None:
        user = parse_optional_id(user_id, "userId")
        accountability.check_person_key(user, email)
        async with read_session(info) as session:
            report = await responsibilities.person_responsibilities(
                session=session,
                district_id=principal_of(info).district_id,
                user_id=user,
                email=email,
                as_of=as_of,
            )
        return None if report is None else PersonResponsibilities.from_report(report)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="responsibilities of the caller; null for a token not issued to a person.",
    )
    async def my_responsibilities(
        self, info: Info, as_of: date | None = None
    ) -> PersonResponsibilities | None:
        principal = principal_of(info)
        async with read_session(info) as session:
            user = await accountability.user_of_token(
                session=session, district_id=principal.district_id, token_id=principal.token_id
            )
            if user is None:
                return None
            report = await responsibilities.person_responsibilities(
                session=session, district_id=principal.district_id, user_id=user, as_of=as_of
            )
        return None if report is None else PersonResponsibilities.from_report(report)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Key processes nobody is ACCOUNTABLE for (each should have exactly one), "
        "in code order.",
    )
    async def key_processes_without_accountable(self, info: Info) -> list[Process]:
        async with read_session(info) as session:
            found = await accountability.key_processes_without_accountable(
                session=session, district_id=principal_of(info).district_id
            )
        return [Process.from_model(p) for p in found]


@strawberry.type
class AccountabilityMutations:
    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Give a member a RACI responsibility for one process or one measure. "
        "CONFLICT (input.responsibility) when someone else is ACCOUNTABLE for it already; "
        "NOT_FOUND for a person, process or measure not in the district.",
    )
    async def assign_responsibility(
        self, info: Info, input: AssignResponsibilityInput
    ) -> ResponsibilityPayload:
        user = parse_optional_id(input.user_id, "input.userId")
        process = parse_optional_id(input.process_id, "input.processId")
        measure = parse_optional_id(input.measure_id, "input.measureId")
        async with unit_of_work(info, "assignResponsibility") as uow:
            view, created = await accountability.assign_responsibility(
                session=uow.session,
                district_id=uow.district_id,
                user_id=user,
                email=input.email,
                process_id=process,
                measure_id=measure,
                responsibility=input.responsibility,
                assigned_by=uow.principal.actor,
            )
            uow.audit(
                "responsibility_assignment",
                view.id,
                userId=str(view.person.user_id),
                processId=str(process) if process else None,
                measureId=str(measure) if measure else None,
                responsibility=view.assignment.responsibility.value,
                created=created,
            )
        return ResponsibilityPayload(
            assignment=ResponsibilityAssignment.from_view(view), created=created
        )

    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Remove an assignment; answers it as it was. NOT_FOUND if none.",
    )
    async def unassign_responsibility(
        self, info: Info, input: UnassignResponsibilityInput
    ) -> ResponsibilityPayload:
        assignment_id = parse_id(input.assignment_id, "input.assignmentId")
        async with unit_of_work(info, "unassignResponsibility") as uow:
            view = await accountability.unassign_responsibility(
                session=uow.session, district_id=uow.district_id, assignment_id=assignment_id
            )
            a = view.assignment
            uow.audit(
                "responsibility_assignment",
                a.id,
                userId=str(a.user_id),
                processId=str(a.process_id) if a.process_id else None,
                measureId=str(a.measure_id) if a.measure_id else None,
                responsibility=a.responsibility.value,
            )
        return ResponsibilityPayload(
            assignment=ResponsibilityAssignment.from_view(view), created=False
        )
