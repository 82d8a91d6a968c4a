"""Roles and accountabilities: who is RESPONSIBLE, ACCOUNTABLE, CONSULTED or INFORMED for
each process and measure (RACI), and the people of the district they can be.

A person is a member of the district (a user with a membership), named by the user's id or
e-mail. Each assignment names one subject, a process or a measure. RACI's rule, one
ACCOUNTABLE per subject, holds for every process and measure (any process may be made key
later); it is held by a partial unique index, so two racing writers cannot make two, and the
loser gets a CONFLICT that names the person already accountable. "Exactly one per key
process" is completed by ``key_processes_without_accountable``. DISTRICT_ADMIN assigns and
unassigns (api/permissions.py); every role reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, and_, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.governance.models_people import (
    ONE_ACCOUNTABLE_MEASURE,
    ONE_ACCOUNTABLE_PROCESS,
    PERSON_SUBJECT,
    Responsibility,
    ResponsibilityAssignment,
)
from district_ppm.governance.reminders import Person
from district_ppm.measures.models import Measure
from district_ppm.processes.models import Process
from district_ppm.processes.service import code_sort_key
from district_ppm.tenancy.models import ApiToken, Membership, User

RACI_ORDER = list(Responsibility)
ONE_ACCOUNTABLE = (ONE_ACCOUNTABLE_PROCESS, ONE_ACCOUNTABLE_MEASURE)


class AssignmentRow(NamedTuple):
    """An assignment's columns read as a plain row (``person_assignment_views``): what the
    readers of an ``AssignmentView`` read of its ORM object, by the same names."""

    id: uuid.UUID
    user_id: uuid.UUID
    process_id: uuid.UUID | None
    measure_id: uuid.UUID | None
    responsibility: Responsibility
    assigned_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment with its person and its subject's code and name."""

    # The ORM object where a write needs it (unassigning deletes it), else a plain row.
    assignment: ResponsibilityAssignment | AssignmentRow
    person: Person
    subject_code: str
    subject_name: str

    @property
    def id(self) -> uuid.UUID:
        return self.assignment.id

    @property
    def assigned_at(self) -> datetime:
        return self.assignment.created_at


def _people() -> Select[User, Membership]:
    return select(User, Membership).join(Membership, Membership.user_id == User.id)


def _person(user: User, membership: Membership) -> Person:
    return Person(
        user_id=user.id, email=user.email, display_name=user.display_name, role=membership.role
    )


async def find_person(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
) -> Person | None:
    """The member of the district with that user id or e-mail (case-insensitive), or None."""
    if user_id is not None:
        rows = await fetch_tuples(
            session, _PERSON_BY_ID, {"district_id": district_id, "user_id": user_id}
        )
    else:
        email = (email or "").strip().lower()
        rows = await fetch_tuples(
            session, _PERSON_BY_EMAIL, {"district_id": district_id, "email": email}
        )
    return Person(*rows[0]) if rows else None


# A member as Person's fields, by user id or by e-mail: built once, fetched by the driver
# (db.plain_rows). Built per request and loaded as ORM objects, one person cost 1.5 ms of a
# person's responsibilities.
_PERSON = (
    select(User.id, User.email, User.display_name, Membership.role)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.district_id == bindparam("district_id"))
)
_PERSON_BY_ID = _PERSON.where(User.id == bindparam("user_id"))
_PERSON_BY_EMAIL = _PERSON.where(User.email == bindparam("email"))


def check_person_key(user_id: uuid.UUID | None, email: str | None) -> None:
    """A person is named by ``userId`` or by ``email``: exactly one of them."""
    if (user_id is None) == (email is None):
        raise BadInput("userId", "name the person by userId or by email (exactly one)")


async def get_person_or_raise(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID | None,
    email: str | None,
) -> Person:
    check_person_key(user_id, email)
    person = await find_person(
        session=session, district_id=district_id, user_id=user_id, email=email
    )
    if person is None:
        raise NotFound(
            "userId" if user_id is not None else "email", "no such member of this district"
        )
    return person


async def list_people(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Person]:
    """One keyset page of the district's members, by e-mail. Two statements and the count."""
    page = await keyset_page(
        session,
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.district_id == district_id),
        order_by=[User.email, User.id],
        first=first,
        after=after,
    )
    users = [user for _, user in page.items]
    roles = dict(
        (
            await session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.district_id == district_id,
                    Membership.user_id.in_([u.id for u in users]),
                )
            )
        ).all()
    )
    return Page(
        items=[
            (
                key,
                Person(user_id=u.id, email=u.email, display_name=u.display_name, role=roles[u.id]),
            )
            for key, u in page.items
        ],
        has_next_page=page.has_next_page,
        total_count=page.total_count,
    )


async def _subject(
    session: AsyncSession,
    district_id: uuid.UUID,
    process_id: uuid.UUID | None,
    measure_id: uuid.UUID | None,
) -> Process | Measure:
    """The one subject named. Every id named is looked up first: one of another district is
    NOT_FOUND, whatever else is wrong with the request."""
    process = measure = None
    if process_id is not None:
        process = await session.get(Process, (district_id, process_id))
        if process is None:
            raise NotFound("processId", "no such process")
    if measure_id is not None:
        measure = await session.get(Measure, (district_id, measure_id))
        if measure is None:
            raise NotFound("measureId", "no such measure")
    subject = process or measure
    if subject is None or (process is not None and measure is not None):
        raise BadInput("processId", "name one subject: a processId or a measureId, not both")
    return subject


def _same_subject(process_id: uuid.UUID | None, measure_id: uuid.UUID | None) -> list:  # type: ignore[type-arg]
    return [
        ResponsibilityAssignment.process_id.is_(None)
        if process_id is None
        else ResponsibilityAssignment.process_id == process_id,
        ResponsibilityAssignment.measure_id.is_(None)
        if measure_id is None
        else ResponsibilityAssignment.measure_id == measure_id,
    ]


async def _accountable_conflict(
    session: AsyncSession, district_id: uuid.UUID, subject: Process | Measure
) -> Conflict | None:
    """CONFLICT naming who is already ACCOUNTABLE for ``subject``, or None when nobody is."""
    is_process = isinstance(subject, Process)
    holder = await session.scalar(
        select(User.email)
        .join(ResponsibilityAssignment, ResponsibilityAssignment.user_id == User.id)
        .where(
            ResponsibilityAssignment.district_id == district_id,
            ResponsibilityAssignment.responsibility == Responsibility.ACCOUNTABLE,
            *_same_subject(subject.id if is_process else None, None if is_process else subject.id),
        )
    )
    if holder is None:
        return None
    kind = "process" if is_process else "measure"
    return Conflict(
        "responsibility",
        f"{kind} {subject.code} already has an ACCOUNTABLE person ({holder}); a {kind} has "
        "exactly one: unassign them first",
    )


def _violated_constraint(error: IntegrityError) -> str | None:
    cause = getattr(error.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None)


async def assign_responsibility(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID | None,
    email: str | None,
    process_id: uuid.UUID | None,
    measure_id: uuid.UUID | None,
    responsibility: Responsibility,
    assigned_by: str,
) -> tuple[AssignmentView, bool]:
    """Give a member of the district a responsibility for one process or one measure.

    Returns the assignment and whether it is new: assigning what is already assigned changes
    nothing. BAD_INPUT (``userId``, ``processId``) unless exactly one person key and one
    subject are named; NOT_FOUND for a person, process or measure not in the district;
    CONFLICT (``responsibility``) when someone else is already ACCOUNTABLE for the subject,
    also when that someone was assigned by a concurrent request.
    """
    person = await get_person_or_raise(
        session=session, district_id=district_id, user_id=user_id, email=email
    )
    subject = await _subject(session, district_id, process_id, measure_id)
    same = select(ResponsibilityAssignment).where(
        ResponsibilityAssignment.district_id == district_id,
        ResponsibilityAssignment.user_id == person.user_id,
        ResponsibilityAssignment.responsibility == responsibility,
        *_same_subject(process_id, measure_id),
    )
    existing = await session.scalar(same)
    if existing is not None:
        return AssignmentView(existing, person, subject.code, subject.name), False
    if responsibility is Responsibility.ACCOUNTABLE:
        conflict = await _accountable_conflict(session, district_id, subject)
        if conflict is not None:
            raise conflict
    assignment = ResponsibilityAssignment(
        id=uuid.uuid4(),
        district_id=district_id,
        user_id=person.user_id,
        process_id=process_id,
        measure_id=measure_id,
        responsibility=responsibility,
        assigned_by=assigned_by,
    )
    try:
        # A savepoint: a concurrent writer's ACCOUNTABLE (committed while this request waited
        # on the index) is reported by name, in this still usable transaction.
        async with session.begin_nested():
            session.add(assignment)
            await session.flush()
    except IntegrityError as error:
        if _violated_constraint(error) not in (PERSON_SUBJECT, *ONE_ACCOUNTABLE):
            raise
        existing = await session.scalar(same)  # the same assignment, made concurrently
        if existing is not None:
            return AssignmentView(existing, person, subject.code, subject.name), False
        conflict = await _accountable_conflict(session, district_id, subject)
        raise (conflict or Conflict("responsibility", "another request wrote it first")) from None
    await session.refresh(assignment, ["created_at"])
    return AssignmentView(assignment, person, subject.code, subject.name), True


async def unassign_responsibility(
    *, session: AsyncSession, district_id: uuid.UUID, assignment_id: uuid.UUID
) -> AssignmentView:
    """Remove an assignment; returns it as it was. NOT_FOUND (``assignmentId``) if none."""
    views = await assignment_views(
        session=session,
        district_id=district_id,
        where=[ResponsibilityAssignment.id == assignment_id],
    )
    if not views:
        raise NotFound("assignmentId", "no such assignment")
    await session.delete(views[0].assignment)
    await session.flush()
    return views[0]


async def assignment_views(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    where: list,  # type: ignore[type-arg]
) -> list[AssignmentView]:
    """The assignments matching ``where`` with their people and subjects, in RACI order, then
    by the person's e-mail. One statement."""
    rows = await session.execute(
        select(ResponsibilityAssignment, User, Membership, Process.code, Process.name)
        .add_columns(Measure.code, Measure.name)
        .join(User, User.id == ResponsibilityAssignment.user_id)
        .join(
            Membership,
            and_(
                Membership.district_id == ResponsibilityAssignment.district_id,
                Membership.user_id == ResponsibilityAssignment.user_id,
            ),
        )
        .outerjoin(Process, _SUBJECT_PROCESS)
        .outerjoin(Measure, _SUBJECT_MEASURE)
        .where(ResponsibilityAssignment.district_id == district_id, *where)
    )
    views = [
        AssignmentView(assignment, _person(user, membership), p_code or m_code, p_name or m_name)
        for assignment, user, membership, p_code, p_name, m_code, m_name in rows
    ]
    views.sort(key=lambda v: (RACI_ORDER.index(v.assignment.responsibility), v.person.email))
    return views


async def person_assignment_views(
    *, session: AsyncSession, district_id: uuid.UUID, person: Person
) -> list[AssignmentView]:
    """The person's assignments with their subjects, in RACI order (as ``assignment_views``
    orders them): one statement built once, read as plain rows. Through the ORM, built per
    request, a person's 21 assignments cost 2.3 ms of their responsibilities' 14."""
    rows = await fetch_tuples(
        session, _PERSON_ASSIGNMENTS, {"district_id": district_id, "user_id": person.user_id}
    )
    width = len(AssignmentRow._fields)
    views = [AssignmentView(AssignmentRow(*row[:width]), person, *row[width:]) for row in rows]
    views.sort(key=lambda v: RACI_ORDER.index(v.assignment.responsibility))
    return views


# An assignment's subject: its process or its measure (exactly one is set).
_SUBJECT_PROCESS = and_(
    Process.district_id == ResponsibilityAssignment.district_id,
    Process.id == ResponsibilityAssignment.process_id,
)
_SUBJECT_MEASURE = and_(
    Measure.district_id == ResponsibilityAssignment.district_id,
    Measure.id == ResponsibilityAssignment.measure_id,
)
# AssignmentRow's columns, then the subject's code and name.
_PERSON_ASSIGNMENTS = (
    select(
        ResponsibilityAssignment.id,
        ResponsibilityAssignment.user_id,
        ResponsibilityAssignment.process_id,
        ResponsibilityAssignment.measure_id,
        ResponsibilityAssignment.responsibility,
        ResponsibilityAssignment.assigned_by,
        ResponsibilityAssignment.created_at,
        func.coalesce(Process.code, Measure.code),
        func.coalesce(Process.name, Measure.name),
    )
    .outerjoin(Process, _SUBJECT_PROCESS)
    .outerjoin(Measure, _SUBJECT_MEASURE)
    .where(
        ResponsibilityAssignment.district_id == bindparam("district_id"),
        ResponsibilityAssignment.user_id == bindparam("user_id"),
    )
)


async def subject_assignments(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    process_id: uuid.UUID | None,
    measure_id: uuid.UUID | None,
) -> list[AssignmentView]:
    """The RACI chart of one process or one measure: who holds which responsibility.

    BAD_INPUT (``processId``) unless exactly one subject is named; NOT_FOUND if not in the
    district. Two statements.
    """
    await _subject(session, district_id, process_id, measure_id)
    return await assignment_views(
        session=session, district_id=district_id, where=_same_subject(process_id, measure_id)
    )


async def key_processes_without_accountable(
    *, session: AsyncSession, district_id: uuid.UUID
) -> list[Process]:
    """The key processes nobody is ACCOUNTABLE for, in code order. One statement."""
    accountable = exists().where(
        ResponsibilityAssignment.district_id == Process.district_id,
        ResponsibilityAssignment.process_id == Process.id,
        ResponsibilityAssignment.responsibility == Responsibility.ACCOUNTABLE,
    )
    rows = await session.scalars(
        select(Process).where(Process.district_id == district_id, Process.is_key, ~accountable)
    )
    return sorted(rows, key=lambda p: code_sort_key(p.code))


async def user_of_token(
    *, session: AsyncSession, district_id: uuid.UUID, token_id: uuid.UUID
) -> uuid.UUID | None:
    """The user whose membership a token was issued to; None for an integration's token."""
    return await session.scalar(
        select(Membership.user_id)
        .join(
            ApiToken,
            and_(
                ApiToken.district_id == Membership.district_id,
                ApiToken.membership_id == Membership.id,
            ),
        )
        .where(ApiToken.district_id == district_id, ApiToken.id == token_id)
    )
