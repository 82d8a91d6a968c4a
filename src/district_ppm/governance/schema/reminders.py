"""GraphQL: dataEntryReminders, what a reminder mail job would send."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.governance import reminders
from district_ppm.measures.schema.types import Frequency


def _id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(
    description="Who is reminded: a person (userId and email set), or a measure's owner text "
    "when no person is responsible or accountable for it (no address: a mail job skips it)."
)
class ReminderOwner:
    key: str = strawberry.field(description="Names this owner in ReminderItem.ownerKey.")
    user_id: strawberry.ID | None
    name: str
    email: str | None
    due: int = strawberry.field(description="Values due: the last complete period.")
    overdue: int = strawberry.field(description="Values overdue: earlier periods.")


@strawberry.type(description="One value an owner still has to enter.")
class ReminderItem:
    owner_key: str
    measure_id: strawberry.ID
    measure_code: str
    measure_name: str
    frequency: Frequency  # type: ignore[valid-type]
    school_id: strawberry.ID | None = strawberry.field(
        description="The school that owes it (SCHOOL-level measures); null: district-wide."
    )
    school_name: str | None
    period_start: date
    overdue: bool = strawberry.field(
        description="False: the last complete period (due); true: an earlier one (overdue)."
    )


@strawberry.type(
    description="Every value owed as of asOf, grouped by owner as compact rows: owners in "
    "order (people by name, then owner texts), items by owner in that order, then measure "
    "code, school name, period. A mail job sends each owner with an email its items."
)
class DataEntryReminders:
    as_of: date
    owners: list[ReminderOwner]
    items: list[ReminderItem]


def _reminders(as_of: date, owners: list[reminders.ReminderOwner]) -> DataEntryReminders:
    return DataEntryReminders(
        as_of=as_of,
        owners=[
            ReminderOwner(
                key=owner.key,
                user_id=_id(owner.person.user_id if owner.person else None),
                name=owner.name,
                email=owner.email,
                due=sum(1 for item in owner.items if not item.overdue),
                overdue=sum(1 for item in owner.items if item.overdue),
            )
            for owner in owners
        ],
        items=[
            ReminderItem(
                owner_key=owner.key,
                measure_id=strawberry.ID(str(item.measure.id)),
                measure_code=item.measure.code,
                measure_name=item.measure.name,
                frequency=item.measure.frequency,
                school_id=_id(item.school_id),
                school_name=item.school_name,
                period_start=item.period_start,
                overdue=item.overdue,
            )
            for owner in owners
            for item in owner.items
        ],
    )


@strawberry.type
class ReminderQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="For each owner, the measures' values not entered as of asOf (default: "
        "today): DUE for the last complete period of the measure's frequency, OVERDUE for the "
        "earlier ones of the trailing year; a SCHOOL-level measure owes one per school. Owners "
        "are the measure's RESPONSIBLE people, else its ACCOUNTABLE person, else its process's "
        "ACCOUNTABLE person, else its owner text. BAD_INPUT (asOf) before 2000 or over a year "
        "ahead.",
    )
    async def data_entry_reminders(
        self, info: Info, as_of: date | None = None
    ) -> DataEntryReminders:
        async with read_session(info) as session:
            day, owners = await reminders.data_entry_reminders(
                session=session, district_id=principal_of(info).district_id, as_of=as_of
            )
        return _reminders(day, owners)
