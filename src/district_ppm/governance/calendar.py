"""The management calendar: every forum's planned meetings over a year, and what was held.

A forum plans one meeting per period of its cadence (the measures' calendar periods: days,
weeks from Monday, months, quarters from Jan/Apr/Jul/Oct, school years from July, the
district's fiscal years), on the period's *first business day*: its first Monday-to-Friday
(holidays are not known to the service). The calendar of a year lists, for each forum, every
period that overlaps the calendar year (so a school-year forum's period that began the July
before is listed, with its planned date in that July), and the meetings held in it:

- HELD: a meeting in the period on or before today;
- SCHEDULED: meetings in the period, all after today;
- MISSED: none, and the period is over;
- PLANNED: none yet, and the period is not over.

A DAILY forum's weekend days are not planned (no business day); one shows only when a meeting
was held on it, with no planned date. Three statements whatever the number of forums.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput
from district_ppm.governance.models_forums import Forum, Meeting
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import next_period, period_containing
from district_ppm.tenancy.calendar import district_today, get_district_calendar

FIRST_YEAR, LAST_YEAR = 2000, 2199
SATURDAY = 5  # date.weekday(): Monday is 0


class SlotStatus(enum.StrEnum):
    HELD = "HELD"
    SCHEDULED = "SCHEDULED"
    MISSED = "MISSED"
    PLANNED = "PLANNED"


@dataclass(frozen=True, slots=True)
class CalendarSlot:
    """One cadence period of one forum: when it plans to meet, and the meetings it had."""

    forum: Forum
    period_start: date
    period_end: date  # the period's last day
    planned_on: date | None
    meetings: list[Meeting]
    status: SlotStatus


def first_business_day(start: date, end: date) -> date | None:
    """The first Monday-to-Friday from ``start`` to ``end`` (inclusive), if any."""
    day = start
    while day <= end:
        if day.weekday() < SATURDAY:
            return day
        day += timedelta(days=1)
    return None


def periods_overlapping(
    cadence: Frequency, first: date, last: date, fiscal_year_start_month: int
) -> list[tuple[date, date]]:
    """Every period of ``cadence`` that overlaps ``first``..``last``: (start, last day)."""
    periods = []
    start = period_containing(cadence, first, fiscal_year_start_month)
    while start <= last:
        following = next_period(cadence, start)
        periods.append((start, following - timedelta(days=1)))
        start = following
    return periods


async def management_calendar(
    *, session: AsyncSession, district_id: uuid.UUID, year: int
) -> list[CalendarSlot]:
    """The calendar of ``year`` (January to December), by period start then forum name.

    BAD_INPUT (``year``) outside 2000-2199.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput("year", f"must be a year from {FIRST_YEAR} to {LAST_YEAR}")
    today = await district_today(session=session, district_id=district_id)
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    forums = list(
        await session.scalars(
            select(Forum).where(Forum.district_id == district_id).order_by(Forum.name, Forum.id)
        )
    )
    first, last = date(year, 1, 1), date(year, 12, 31)
    periods = {
        forum.id: periods_overlapping(forum.cadence, first, last, fy_month) for forum in forums
    }
    starts = [p[0][0] for p in periods.values() if p] or [first]
    ends = [p[-1][1] for p in periods.values() if p] or [last]
    held: dict[uuid.UUID, list[Meeting]] = defaultdict(list)
    for meeting in await session.scalars(
        select(Meeting)
        .where(
            Meeting.district_id == district_id,
            Meeting.held_on >= min(starts),
            Meeting.held_on <= max(ends),
        )
        .order_by(Meeting.held_on, Meeting.id)
    ):
        held[meeting.forum_id].append(meeting)
    slots = []
    for forum in forums:
        for start, end in periods[forum.id]:
            planned = first_business_day(start, end)
            meetings = [m for m in held[forum.id] if start <= m.held_on <= end]
            if planned is None and not meetings:
                continue
            slots.append(
                CalendarSlot(forum, start, end, planned, meetings, _status(meetings, end, today))
            )
    slots.sort(key=lambda s: (s.period_start, s.forum.name, s.forum.id))
    return slots


def _status(meetings: list[Meeting], end: date, today: date) -> SlotStatus:
    if any(m.held_on <= today for m in meetings):
        return SlotStatus.HELD
    if meetings:
        return SlotStatus.SCHEDULED
    return SlotStatus.MISSED if end < today else SlotStatus.PLANNED
