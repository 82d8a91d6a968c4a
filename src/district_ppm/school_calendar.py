"""The school year, shared by every area: July 1 to June 30, named by the year it ends in."""

from __future__ import annotations

from datetime import date

from district_ppm.errors import BadInput

SCHOOL_YEAR_START_MONTH = 7
# The school years a query or an input may name; anything else is a typing mistake.
FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = 1901, 2199


def school_year_of(day: date) -> int:
    """The school year containing ``day`` (2026 = July 2025 - June 2026)."""
    return day.year + 1 if day.month >= SCHOOL_YEAR_START_MONTH else day.year


def school_year_bounds(school_year: int) -> tuple[date, date]:
    """First and last day of ``school_year``, both inclusive."""
    return date(school_year - 1, SCHOOL_YEAR_START_MONTH, 1), date(school_year, 6, 30)


def check_school_year(school_year: int, *, field: str = "schoolYear") -> int:
    """``school_year`` itself, or BAD_INPUT naming ``field`` when it is out of range."""
    if not FIRST_SCHOOL_YEAR <= school_year <= LAST_SCHOOL_YEAR:
        raise BadInput(
            field,
            f"must be a school year from {FIRST_SCHOOL_YEAR} to {LAST_SCHOOL_YEAR}, "
            "named by the calendar year it ends in (2026 = 2025-26)",
        )
    return school_year
