"""The reference arithmetic of late buses (DOMAIN.md), each case worked by hand."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from district_ppm.school_calendar import school_year_bounds, school_year_of
from district_ppm.transportation.minutes import (
    average_late_minutes,
    hours_from_minutes,
    month_key,
    run_minutes,
)


def test_whole_minutes_ignore_seconds_on_both_times():
    # 07:44:59 -> 07:44 and 07:47:01 -> 07:47: 3 minutes, though only 2:02 apart
    result = run_minutes(
        scheduled=time(7, 44, 59),
        actual=time(7, 47, 1),
        first_bell=time(8, 0),
        riders=10,
        grace_minutes=2,
    )
    assert (result.late_minutes, result.is_late) == (3, True)


def test_late_only_when_more_than_the_grace():
    at_grace = run_minutes(
        scheduled=time(7, 40), actual=time(7, 42), first_bell=time(8, 0), riders=1, grace_minutes=2
    )
    early = run_minutes(
        scheduled=time(7, 40), actual=time(7, 30), first_bell=time(8, 0), riders=1, grace_minutes=0
    )
    assert (at_grace.late_minutes, at_grace.is_late) == (2, False)
    assert (early.late_minutes, early.is_late) == (0, False)


def test_instructional_minutes_run_from_the_first_bell_times_riders():
    # on time by its schedule (08:05), yet 5 minutes after an 08:00 bell, 30 riders: 150
    result = run_minutes(
        scheduled=time(8, 5),
        actual=time(8, 5, 40),
        first_bell=time(8, 0),
        riders=30,
        grace_minutes=0,
    )
    assert (
        result.is_late,
        result.instructional_minutes_lost,
        result.student_instructional_minutes_lost,
    ) == (False, 5, 150)


def test_hours_round_half_up_to_two_decimals():
    assert hours_from_minutes(14) == Decimal("0.23")  # 0.2333
    assert hours_from_minutes(7) == Decimal("0.12")  # 0.1167
    assert hours_from_minutes(3) == Decimal("0.05")  # 0.05 exactly
    assert hours_from_minutes(303) == Decimal("5.05")  # 5.05 exactly
    assert hours_from_minutes(0) == Decimal("0.00")


def test_average_is_zero_without_late_runs():
    assert average_late_minutes(0, 0) == 0.0
    assert average_late_minutes(25, 3) == 8.3333  # to four decimals, not 8.333333333333334


def test_school_years_run_july_to_june_named_by_their_end():
    assert school_year_of(date(2026, 6, 30)) == 2026
    assert school_year_of(date(2026, 7, 1)) == 2027
    assert school_year_bounds(2026) == (date(2025, 7, 1), date(2026, 6, 30))
    assert month_key(date(2025, 9, 2)) == "2025-09"
