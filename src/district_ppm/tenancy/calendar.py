"""A district's calendar facts, read in one place: time zone, fiscal year, late-bus grace."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import NotFound
from district_ppm.tenancy.models import District


@dataclass(frozen=True, slots=True)
class DistrictCalendar:
    timezone: str
    fiscal_year_start_month: int  # 7 = July; fiscal years are named by the year they end in
    late_bus_grace_minutes: int  # a run is late when more than this many minutes late

    def fiscal_year_of(self, day: date) -> int:
        """The fiscal year containing ``day`` (FY2026 = July 2025 - June 2026 from July)."""
        if self.fiscal_year_start_month == 1:
            return day.year
        return day.year + 1 if day.month >= self.fiscal_year_start_month else day.year

    def fiscal_year_bounds(self, fiscal_year: int) -> tuple[date, date]:
        """First day of ``fiscal_year`` and first day of the next (half-open)."""
        month = self.fiscal_year_start_month
        start_year = fiscal_year if month == 1 else fiscal_year - 1
        return date(start_year, month, 1), date(start_year + 1, month, 1)


# Built once, fetched by the driver (db.plain_rows): most management reads ask for today or
# the fiscal year first, and building the statement cost more than running it.
_CALENDAR = select(
    District.timezone, District.fiscal_year_start_month, District.late_bus_grace_minutes
).where(District.id == bindparam("district_id"))


# A session's calendar, kept in ``session.info`` once read: a management read asks for today,
# then the fiscal year or the date's bounds, and each ask was a statement (three in an agenda).
_KEPT = "district_calendar"


async def get_district_calendar(
    *, session: AsyncSession, district_id: uuid.UUID
) -> DistrictCalendar:
    """The calendar of the session's district (NOT_FOUND if it is not visible), read once per
    session: a write to it calls ``forget_district_calendar``."""
    kept = session.info.get(_KEPT)
    if kept is not None and kept[0] == district_id:
        return kept[1]  # type: ignore[no-any-return]
    rows = await fetch_tuples(session, _CALENDAR, {"district_id": district_id})
    if not rows:
        raise NotFound("district", "no such district")
    calendar = DistrictCalendar(*rows[0])
    session.info[_KEPT] = (district_id, calendar)
    return calendar


def forget_district_calendar(session: AsyncSession) -> None:
    """After a write to the district's calendar columns: the next read asks the database."""
    session.info.pop(_KEPT, None)


async def district_today(*, session: AsyncSession, district_id: uuid.UUID) -> date:
    """Today's date where the district is: school years turn over at its midnight, not UTC's."""
    calendar = await get_district_calendar(session=session, district_id=district_id)
    return datetime.now(zoneinfo.ZoneInfo(calendar.timezone)).date()
