"""GraphQL: managementCalendar and forumHygiene (compact rows, ids and names, no deep graph)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.governance import calendar, hygiene
from district_ppm.measures.schema.types import Frequency
from district_ppm.tenancy.calendar import district_today

SlotStatus = strawberry.enum(calendar.SlotStatus)
ForumHygieneReason = strawberry.enum(hygiene.ForumHygieneReason)


@strawberry.type(description="A meeting held (or scheduled) in a calendar period.")
class HeldMeeting:
    meeting_id: strawberry.ID
    held_on: date


@strawberry.type(description="One cadence period of one forum on the management calendar.")
class CalendarEntry:
    forum_id: strawberry.ID
    forum_name: str
    cadence: Frequency  # type: ignore[valid-type]
    period_start: date
    period_end: date = strawberry.field(description="The period's last day.")
    planned_on: date | None = strawberry.field(
        description="The period's first business day (Monday to Friday); null for a DAILY "
        "forum's weekend day, shown only when a meeting was held on it."
    )
    meetings: list[HeldMeeting]
    status: SlotStatus  # type: ignore[valid-type]

    @classmethod
    def from_slot(cls, slot: calendar.CalendarSlot) -> CalendarEntry:
        return cls(
            forum_id=strawberry.ID(str(slot.forum.id)),
            forum_name=slot.forum.name,
            cadence=slot.forum.cadence,
            period_start=slot.period_start,
            period_end=slot.period_end,
            planned_on=slot.planned_on,
            meetings=[
                HeldMeeting(meeting_id=strawberry.ID(str(m.id)), held_on=m.held_on)
                for m in slot.meetings
            ],
            status=slot.status,
        )


@strawberry.type(description="A forum-hygiene problem and why it is one.")
class ForumHygieneIssue:
    reason: ForumHygieneReason  # type: ignore[valid-type]
    detail: str
    forum_id: strawberry.ID | None
    forum_name: str | None
    other_forum_id: strawberry.ID | None = strawberry.field(
        description="OVERLAPPING_SCOPE: the forum the scope is shared with."
    )
    other_forum_name: str | None
    process_id: strawberry.ID | None = strawberry.field(
        description="UNREVIEWED_KEY_PROCESS: the key process no forum reviews."
    )

    @classmethod
    def from_issue(cls, issue: hygiene.ForumIssue) -> ForumHygieneIssue:
        def id_of(row: object | None) -> strawberry.ID | None:
            return None if row is None else strawberry.ID(str(row.id))  # type: ignore[attr-defined]

        return cls(
            reason=issue.reason,
            detail=issue.detail,
            forum_id=id_of(issue.forum),
            forum_name=issue.forum.name if issue.forum else None,
            other_forum_id=id_of(issue.other_forum),
            other_forum_name=issue.other_forum.name if issue.other_forum else None,
            process_id=id_of(issue.process),
        )


@strawberry.type
class CalendarQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Every forum's planned meetings over a calendar year (one per period of "
        "its cadence, on the period's first business day) and the meetings held, by period "
        "then forum name. year defaults to this year in the district's time zone.",
    )
    async def management_calendar(self, info: Info, year: int | None = None) -> list[CalendarEntry]:
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            if year is None:
                year = (await district_today(session=session, district_id=district_id)).year
            slots = await calendar.management_calendar(
                session=session, district_id=district_id, year=year
            )
        return [CalendarEntry.from_slot(slot) for slot in slots]

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Forums to clean up, each with its reason: OVERLAPPING_SCOPE (more than "
        "half of the smaller scope shared), EMPTY_SCOPE, UNREVIEWED_KEY_PROCESS, "
        "NO_RECENT_MEETING (none in the last two cadence periods). asOf defaults to today.",
    )
    async def forum_hygiene(self, info: Info, as_of: date | None = None) -> list[ForumHygieneIssue]:
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            day = as_of or await district_today(session=session, district_id=district_id)
            issues = await hygiene.forum_hygiene(
                session=session, district_id=district_id, as_of=day
            )
        return [ForumHygieneIssue.from_issue(issue) for issue in issues]
