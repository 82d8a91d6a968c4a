"""The arithmetic of DOMAIN.md "Transportation and instructional time lost", in plain Python.

The worker computes the same rules set-based in SQL (``timeloss.py``); these functions are the
reference the tests hold the SQL to, and the formatting the API applies to stored sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

from district_ppm.analytics.aggregation import derived

HUNDREDTH = Decimal("0.01")


def minute_of_day(moment: time) -> int:
    """Whole minutes since midnight; seconds are ignored, as the contract says."""
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True, slots=True)
class RunMinutes:
    late_minutes: int
    is_late: bool
    instructional_minutes_lost: int
    student_instructional_minutes_lost: int


def run_minutes(
    *, scheduled: time, actual: time, first_bell: time, riders: int, grace_minutes: int
) -> RunMinutes:
    late = max(0, minute_of_day(actual) - minute_of_day(scheduled))
    lost = max(0, minute_of_day(actual) - minute_of_day(first_bell))
    return RunMinutes(
        late_minutes=late,
        is_late=late > grace_minutes,
        instructional_minutes_lost=lost,
        student_instructional_minutes_lost=lost * riders,
    )


def hours_from_minutes(minutes: int) -> Decimal:
    """Hours to two decimals, rounded half up, after summing the minutes."""
    return (Decimal(minutes) / 60).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def average_late_minutes(late_minutes: int, late_instances: int) -> float:
    """Late minutes per late run, to four decimals (25 / 3 is 8.3333); 0 when none was late."""
    return derived(late_minutes / late_instances) if late_instances else 0.0


def on_time_rate(runs: int, late_instances: int) -> float:
    """The percent of runs that were not late, to four decimals; 0 when there was no run."""
    return derived(100 * (runs - late_instances) / runs) if runs else 0.0


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
