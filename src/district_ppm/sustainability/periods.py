"""Which periods a plan answers for: the complete ones since it started, as of a date.

A period is *due* when it starts on or after the plan's start date (a period already running
when the plan starts is not asked for) and has ended by the verdict's date: ``[start, end)``
with ``end <= as_of``, so the period containing ``as_of`` is never due. Control measures use
their measure's frequency; reviews use the plan's cadence, with the same calendar periods
(months, quarters from Jul/Oct/Jan/Apr, school years from July, the district's fiscal years).
"""

from __future__ import annotations

import calendar
from datetime import date

from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import last_complete_periods, next_period, period_containing


def last_complete_start(frequency: Frequency, as_of: date, fiscal_year_start_month: int) -> date:
    """Start of the newest period of ``frequency`` that has ended by ``as_of``."""
    return last_complete_periods(frequency, as_of, fiscal_year_start_month, 1)[0]


def first_period_from(frequency: Frequency, day: date, fiscal_year_start_month: int) -> date:
    """Start of the first period of ``frequency`` that starts on or after ``day``."""
    containing = period_containing(frequency, day, fiscal_year_start_month)
    return containing if containing == day else next_period(frequency, containing)


def due_windows(
    frequency: Frequency, start_date: date, as_of: date, fiscal_year_start_month: int
) -> list[tuple[date, date]]:
    """The complete periods ``[start, end)`` from ``start_date`` up to ``as_of``, oldest first."""
    windows = []
    start = first_period_from(frequency, start_date, fiscal_year_start_month)
    while (end := next_period(frequency, start)) <= as_of:
        windows.append((start, end))
        start = end
    return windows


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month (Jan 31 + 1 month = Feb 28)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))
