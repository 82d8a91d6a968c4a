"""Which period starts fit a frequency, and which school year a period belongs to."""

from __future__ import annotations

from datetime import date, timedelta

from district_ppm.measures.models import Frequency
from district_ppm.school_calendar import SCHOOL_YEAR_START_MONTH

QUARTER_MONTHS = (1, 4, 7, 10)


def period_problem(frequency: Frequency, start: date, fiscal_year_start_month: int) -> str | None:
    """Why ``start`` cannot start a period of ``frequency``, or None when it can."""
    if frequency is Frequency.DAILY:
        return None
    if frequency is Frequency.WEEKLY:
        return None if start.isoweekday() == 1 else "a WEEKLY period starts on a Monday"
    if start.day != 1:
        return f"a {frequency.value} period starts on the 1st of a month"
    if frequency is Frequency.QUARTERLY and start.month not in QUARTER_MONTHS:
        return "a QUARTERLY period starts on the 1st of January, April, July or October"
    if frequency is Frequency.SCHOOL_YEAR and start.month != SCHOOL_YEAR_START_MONTH:
        return "a SCHOOL_YEAR period starts on July 1st"
    if frequency is Frequency.FISCAL_YEAR and start.month != fiscal_year_start_month:
        return f"a FISCAL_YEAR period starts on the 1st of month {fiscal_year_start_month}"
    return None


def next_period(frequency: Frequency, start: date) -> date:
    """The start of the period after the one starting at ``start`` (which must be aligned)."""
    if frequency is Frequency.DAILY:
        return start + timedelta(days=1)
    if frequency is Frequency.WEEKLY:
        return start + timedelta(days=7)
    months = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}.get(frequency, 12)
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def last_complete_periods(
    frequency: Frequency, as_of: date, fiscal_year_start_month: int, count: int
) -> list[date]:
    """Starts of the ``count`` most recent periods that ended before ``as_of``, oldest first."""
    current = _period_containing(frequency, as_of, fiscal_year_start_month)
    starts: list[date] = []
    probe = current
    while len(starts) < count:
        probe = _previous_period(frequency, probe, fiscal_year_start_month)
        starts.append(probe)
    return list(reversed(starts))


def period_containing(frequency: Frequency, day: date, fiscal_year_start_month: int) -> date:
    """The start of the period of ``frequency`` that contains ``day``."""
    return _period_containing(frequency, day, fiscal_year_start_month)


def _period_containing(frequency: Frequency, day: date, fy_month: int) -> date:
    if frequency is Frequency.DAILY:
        return day
    if frequency is Frequency.WEEKLY:
        return day - timedelta(days=day.isoweekday() - 1)
    if frequency is Frequency.MONTHLY:
        return day.replace(day=1)
    if frequency is Frequency.QUARTERLY:
        return date(day.year, max(m for m in QUARTER_MONTHS if m <= day.month), 1)
    start_month = SCHOOL_YEAR_START_MONTH if frequency is Frequency.SCHOOL_YEAR else fy_month
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def _previous_period(frequency: Frequency, start: date, fy_month: int) -> date:
    return _period_containing(frequency, start - timedelta(days=1), fy_month)
