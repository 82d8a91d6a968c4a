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
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

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


@dataclass(frozen=True, slots=True)
class ControlSeries:
    """One control measure's series (district-wide, or one school's) as of the verdict's
    date, and what it is held to.

    ``reported`` holds the periods with a value up to ``through`` (at least those among the
    due periods), ``latest`` the latest value up to it (``reported_through`` cuts a series
    so): values after it, an incomplete period or data after the verdict's date, take no
    part. ``out_of_control`` is what the XmR chart (analytics.xmr) of the chart's own points
    (from its rebase on, without excluded points) up to ``through`` says, the chart as it
    stood on the verdict's date: ``out_of_control(chart)``, or the same read off a stored
    history of it (``analytics.xmr_tail.unfavorable_tails``).
    """

    code: str
    higher_is_better: bool
    through: date  # start of the last complete period as of the verdict's date
    due_periods: Sequence[date]  # starts of the complete periods since the plan started
    reported: Collection[date]  # periods with a value, up to ``through``
    latest: tuple[date, float] | None  # (period start, value): the latest up to ``through``
    out_of_control: bool  # an unfavorable point among the chart's last six up to ``through``
    targets: Mapping[int, tuple[float, float]] = field(default_factory=dict)  # year -> (t, red)
    fixed_target: float | None = None  # the plan's own target, for every school year


def reported_through(
    values: Sequence[tuple[date, float]], through: date
) -> tuple[set[date], tuple[date, float] | None]:
    """The periods of ``values`` (oldest first) up to ``through``, and the latest of them with
    its value: what ``ControlSeries`` holds of a series."""
    if isinstance(values, Points):
        # Periods ascending: those up to ``through`` are a prefix (no loop per value, which
        # was a sixth of a compliance computation).
        end = bisect_right(values.periods, through)
        latest = (values.periods[end - 1], values.values[end - 1]) if end else None
        return set(values.periods[:end]), latest
    reported: set[date] = set()
    found: tuple[date, float] | None = None
    for period, value in values:
        if period <= through:
            reported.add(period)
            found = (period, value)
    return reported, found


@dataclass(frozen=True, slots=True)
class SeriesChecks:
    missing_periods: tuple[date, ...]
    out_of_control: bool
    meets_target: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ComplianceStatus
    failed_checks: tuple[str, ...]
    missing_periods: int


def check_series(series: ControlSeries) -> SeriesChecks:
    """The three checks of one control series."""
    reported, through = series.reported, series.through
    missing = tuple(p for p in series.due_periods if p <= through and p not in reported)
    return SeriesChecks(
        missing_periods=missing,
        out_of_control=series.out_of_control,
        meets_target=_meets_target(series, series.latest),
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
    return [
        (start, end)
        for start, end in review_windows
        if not any(start <= day < end for day in review_dates)
    ]


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
        missing += len(checks.missing_periods)
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
    return Verdict(status, tuple(failed), missing)
