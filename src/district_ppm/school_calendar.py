"""The school year, shared by every area: July 1 to June 30, named by the year it ends in."""

from __future__ import annotations

from datetime import date

SCHOOL_YEAR_START_MONTH = 7


def school_year_of(day: date) -> int:
    """The school year containing ``day`` (2026 = July 2025 - June 2026)."""
    return day.year + 1 if day.month >= SCHOOL_YEAR_START_MONTH else day.year


def school_year_bounds(school_year: int) -> tuple[date, date]:
    """First and last day of ``school_year``, both inclusive."""
    return date(school_year - 1, SCHOOL_YEAR_START_MONTH, 1), date(school_year, 6, 30)
