"""Sustainability compliance of a plan as of a date (DOMAIN.md "Sustainability compliance").

Each control series checks:
- ``data_current:<code>``: a value for every due period (every complete period since the plan
  started); each period without one is a *missing period*;
- ``in_control:<code>``: no unfavorable signal among the last six points of its XmR chart
  (the chart as of the date: its points up to the last complete period);
- ``meets_target:<code>``: the latest value is GREEN against the target of its school year
  (a fixed per-plan target when one is set; no value or no target fails).
The plan checks ``review_cadence``: at least one review in every complete cadence window.

NON_COMPLIANT when a series is out of control, a review is missing, or more than one period is
missing across the plan's series; AT_RISK when any other check fails (one missing period, a
missed target); COMPLIANT otherwise.

Plain values in, a verdict out: the caller decides which periods are due and which are complete.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import NamedTuple

from district_ppm.analytics.points import Points
from district_ppm.analytics.status import Status, kpi_status
from district_ppm.analytics.xmr import XmrChart
from district_ppm.school_calendar import school_year_of

IN_CONTROL_POINTS = 6  # DOMAIN.md: no unfavorable signal in the last six points
SERIES_CHECKS = ("data_current", "in_control", "meets_target")  # the order they are reported in


class ComplianceStatus(enum.StrEnum):
    COMPLIANT = "COMPLIANT"
    AT_RISK = "AT_RISK"
    NON_COMPLIANT = "NON_COMPLIANT"


class ControlSeries(NamedTuple):
    """One control measure's series (district-wide, or one school's) as of the verdict's
    date, and what it is held to. A tuple, not a frozen dataclass: a computation builds one
    per series and school, hundreds.

    ``reported`` counts the due periods that have a value and ``latest`` is the latest value
    up to the last complete period (``reported_due`` cuts a series so): values after it, an
    incomplete period or data after the verdict's date, take no part. ``out_of_control`` is
    what the XmR chart (analytics.xmr) of the chart's own points (from its rebase on, without
    excluded points) up to the last complete period says, the chart as it stood on the
    verdict's date: ``out_of_control(chart)``, or the same read off a stored history of it
    (``analytics.xmr_tail.unfavorable_tails``).
    """

    code: str
    higher_is_better: bool
    due: int  # how many periods are due: complete since the plan started
    reported: int  # how many of them have a value
    latest: tuple[date, float] | None  # (period start, value): the latest complete one's
    out_of_control: bool  # an unfavorable point among the chart's last six
    targets: Mapping[int, tuple[float, float]] = MappingProxyType({})  # year -> (t, red)
    fixed_target: float | None = None  # the plan's own target, for every school year


def reported_due(
    values: Sequence[tuple[date, float]], due_periods: Sequence[date], through: date
) -> tuple[int, tuple[date, float] | None]:
    """How many of ``due_periods`` have a value in ``values`` (oldest first), and the latest
    value up to ``through`` (the last complete period): what ``ControlSeries`` holds of a
    series."""
    if isinstance(values, Points):
        # Periods ascending: those up to ``through`` are a prefix (no loop per value, which
        # was a sixth of a compliance computation).
        end = bisect_right(values.periods, through)
        latest = (values.periods[end - 1], values.values[end - 1]) if end else None
        reported = set(values.periods[:end])
    else:
        reported = set()
        latest = None
        for period, value in values:
            if period <= through:
                reported.add(period)
                latest = (period, value)
    return sum(1 for period in due_periods if period in reported), latest


class SeriesChecks(NamedTuple):
    missing_periods: int  # due periods without a value
    out_of_control: bool
    meets_target: bool


class Verdict(NamedTuple):
    status: ComplianceStatus
    failed_checks: tuple[str, ...]
    missing_periods: int


def check_series(series: ControlSeries) -> SeriesChecks:
    """The three checks of one control series."""
    # tuple.__new__ in C, not the NamedTuple's own __new__: a verdict checks every series.
    return tuple.__new__(
        SeriesChecks,
        (series.due - series.reported, series.out_of_control, _meets_target(series, series.latest)),
    )


def out_of_control(chart: XmrChart) -> bool:
    """The ``in_control`` check fails: an unfavorable point among the chart's last
    ``IN_CONTROL_POINTS`` points."""
    return any(point.unfavorable for point in chart.points[-IN_CONTROL_POINTS:])


def _meets_target(series: ControlSeries, latest: tuple[date, float] | None) -> bool:
    if latest is None:
        return False
    period, value = latest
    if series.fixed_target is not None:
        # A plain target, no red threshold: it is met (GREEN) or it is not.
        target = red = series.fixed_target
    else:
        found = series.targets.get(school_year_of(period))
        if found is None:
            return False
        target, red = found
    status = kpi_status(value, target, red, higher_is_better=series.higher_is_better)
    return status is Status.GREEN


def reviews_missing(
    review_windows: Sequence[tuple[date, date]], review_dates: Sequence[date]
) -> list[tuple[date, date]]:
    """The cadence windows ``[start, end)`` without a review in them."""
    days = sorted(review_dates)
    missing = []
    for start, end in review_windows:
        first = bisect_left(days, start)  # the first review on or after the window's start
        if first == len(days) or days[first] >= end:
            missing.append((start, end))
    return missing


def plan_verdict(
    *,
    series: Sequence[ControlSeries],
    review_windows: Sequence[tuple[date, date]],
    review_dates: Sequence[date],
) -> Verdict:
    """The plan's status and its failed checks: measure by measure in the order their series
    come (each measure's checks in ``SERIES_CHECKS`` order, named once however many of its
    series fail), then ``review_cadence``."""
    failed_by_code: dict[str, set[str]] = {}
    missing = 0
    out_of_control = False
    for each in series:
        checks = check_series(each)
        missing += checks.missing_periods
        out_of_control |= checks.out_of_control
        failed_here = failed_by_code.setdefault(each.code, set())
        if checks.missing_periods:
            failed_here.add("data_current")
        if checks.out_of_control:
            failed_here.add("in_control")
        if not checks.meets_target:
            failed_here.add("meets_target")
    failed = [
        f"{check}:{code}"
        for code, failed_here in failed_by_code.items()
        for check in SERIES_CHECKS
        if check in failed_here
    ]
    review_missed = bool(reviews_missing(review_windows, review_dates))
    if review_missed:
        failed.append("review_cadence")
    if out_of_control or review_missed or missing > 1:
        status = ComplianceStatus.NON_COMPLIANT
    elif failed:
        status = ComplianceStatus.AT_RISK
    else:
        status = ComplianceStatus.COMPLIANT
    # tuple.__new__ in C, not the NamedTuple's own __new__: a computation judges every plan.
    return tuple.__new__(Verdict, (status, tuple(failed), missing))
