"""Sustainability compliance verdicts (analytics/compliance.py) and the periods a plan answers
for (sustainability/periods.py), against hand-worked cases."""

from __future__ import annotations

from datetime import date

import pytest

from district_ppm.analytics.compliance import (
    ComplianceStatus,
    ControlSeries,
    check_series,
    out_of_control,
    plan_verdict,
    reported_due,
    reviews_missing,
)
from district_ppm.analytics.points import Points
from district_ppm.analytics.xmr import xmr_chart
from district_ppm.measures.models import Frequency
from district_ppm.sustainability.periods import (
    add_months,
    due_windows,
    first_period_from,
    last_complete_start,
)

# Alternating points: CL = 10 and every moving range is 1.128, so sigma-hat = 1 exactly:
# UCL 13, LCL 7; no rule fires on the pattern itself (never beyond 1 sigma, never 8 on a side).
LOW, HIGH = 9.436, 10.564
MONTHS_2024_2025 = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
STEADY = [(period, LOW if i % 2 == 0 else HIGH) for i, period in enumerate(MONTHS_2024_2025)]
PLAN_START = date(2025, 1, 1)
AS_OF = date(2026, 1, 10)  # December 2025 is the last complete month
THROUGH = date(2025, 12, 1)
DUE_2025 = [date(2025, m, 1) for m in range(1, 13)]
# GREEN at 10 or more, RED under 9 (higher is better), for the school years 2025 and 2026.
TARGETS = {2025: (10.0, 9.0), 2026: (10.0, 9.0)}
QUARTERS_2025 = [
    (date(2025, 1, 1), date(2025, 4, 1)),
    (date(2025, 4, 1), date(2025, 7, 1)),
    (date(2025, 7, 1), date(2025, 10, 1)),
    (date(2025, 10, 1), date(2026, 1, 1)),
]
REVIEWS = [date(2025, 2, 10), date(2025, 5, 10), date(2025, 8, 10), date(2025, 11, 10)]


def series(
    values: list[tuple[date, float]] | None = None,
    *,
    code: str = "ADA",
    higher_is_better: bool = True,
    targets: dict[int, tuple[float, float]] | None = None,
    fixed_target: float | None = None,
    chart_points: list[tuple[date, float]] | None = None,
) -> ControlSeries:
    values = STEADY if values is None else values
    points = values if chart_points is None else chart_points
    reported, latest = reported_due(values, DUE_2025, THROUGH)
    return ControlSeries(
        code=code,
        higher_is_better=higher_is_better,
        due=len(DUE_2025),
        reported=reported,
        latest=latest,
        # The chart as of the verdict's date, as the caller draws it: points up to THROUGH.
        out_of_control=out_of_control(
            xmr_chart([v for p, v in points if p <= THROUGH], higher_is_better=higher_is_better)
        ),
        targets=TARGETS if targets is None else targets,
        fixed_target=fixed_target,
    )


def replaced(period: date, value: float | None) -> list[tuple[date, float]]:
    """STEADY with one period's value changed (or removed, with None)."""
    out = [(p, value if p == period else v) for p, v in STEADY]
    return [(p, v) for p, v in out if v is not None]


def verdict(*each: ControlSeries, reviews: list[date] = REVIEWS):  # type: ignore[no-untyped-def]
    return plan_verdict(series=each, review_windows=QUARTERS_2025, review_dates=reviews)


# -- the five cases the issue names ---------------------------------------------------------


def test_compliant_when_every_check_passes():
    result = verdict(series())
    assert result.status is ComplianceStatus.COMPLIANT
    assert result.failed_checks == ()
    assert result.missing_periods == 0


def test_a_missed_review_is_non_compliant():
    # No review between April 1st and June 30th.
    result = verdict(series(), reviews=[r for r in REVIEWS if r.month != 5])
    assert result.status is ComplianceStatus.NON_COMPLIANT
    assert result.failed_checks == ("review_cadence",)


def test_an_unfavorable_rule_1_signal_is_non_compliant():
    # October 2025 at 6.5: under LCL 7 (rule 1) and on the bad side for higher-is-better;
    # October is among the last six points (July-December). The latest value still meets.
    result = verdict(series(replaced(date(2025, 10, 1), 6.5)))
    assert result.status is ComplianceStatus.NON_COMPLIANT
    assert result.failed_checks == ("in_control:ADA",)


def test_more_than_one_missing_period_is_non_compliant():
    values = [(p, v) for p, v in STEADY if p not in (date(2025, 8, 1), date(2025, 9, 1))]
    result = verdict(series(values))
    assert result.status is ComplianceStatus.NON_COMPLIANT
    assert result.failed_checks == ("data_current:ADA",)
    assert result.missing_periods == 2


def test_one_missing_period_alone_is_at_risk():
    result = verdict(series(replaced(date(2025, 8, 1), None)))
    assert result.status is ComplianceStatus.AT_RISK
    assert result.failed_checks == ("data_current:ADA",)
    assert result.missing_periods == 1


# -- each check's edges ---------------------------------------------------------------------


def test_a_missed_target_alone_is_at_risk():
    # December 2025 at 9.5: AMBER against 10 / 9 of school year 2026.
    result = verdict(series(replaced(date(2025, 12, 1), 9.5)))
    assert result.status is ComplianceStatus.AT_RISK
    assert result.failed_checks == ("meets_target:ADA",)


def test_one_missing_period_in_each_of_two_measures_is_more_than_one():
    result = verdict(
        series(replaced(date(2025, 3, 1), None)),
        series(replaced(date(2025, 4, 1), None), code="MEALS"),
    )
    assert result.status is ComplianceStatus.NON_COMPLIANT
    assert result.failed_checks == ("data_current:ADA", "data_current:MEALS")
    assert result.missing_periods == 2


def test_two_schools_of_one_measure_name_the_check_once_and_count_both():
    result = verdict(
        series(replaced(date(2025, 3, 1), None)), series(replaced(date(2025, 4, 1), None))
    )
    assert result.status is ComplianceStatus.NON_COMPLIANT
    assert result.failed_checks == ("data_current:ADA",)
    assert result.missing_periods == 2


def test_checks_are_named_measure_by_measure_then_the_reviews():
    broken = replaced(date(2025, 12, 1), 6.5)  # out of control and RED
    broken = [(p, v) for p, v in broken if p != date(2025, 11, 1)]  # and November missing
    result = verdict(series(), series(broken, code="ZZZ"), series(broken, code="AAA"), reviews=[])
    assert result.failed_checks == (
        "data_current:ZZZ",
        "in_control:ZZZ",
        "meets_target:ZZZ",
        "data_current:AAA",
        "in_control:AAA",
        "meets_target:AAA",
        "review_cadence",
    )
    assert result.status is ComplianceStatus.NON_COMPLIANT


def test_a_favorable_signal_is_in_control():
    # 13.5 is over UCL 13 (rule 1) on the good side for higher-is-better.
    result = verdict(series(replaced(date(2025, 10, 1), 13.5)))
    assert result.status is ComplianceStatus.COMPLIANT


def test_the_same_point_is_unfavorable_when_lower_is_better():
    checks = check_series(
        series(
            replaced(date(2025, 10, 1), 13.5),
            higher_is_better=False,
            targets={2026: (11.0, 12.0)},  # lower is better: GREEN at 11 or less
        )
    )
    assert checks.out_of_control
    assert checks.meets_target  # December at 10.564 <= 11


def test_an_unfavorable_signal_older_than_the_last_six_points_is_forgiven():
    # June 2025 is the seventh point from the end (July-December are the last six).
    result = verdict(series(replaced(date(2025, 6, 1), 6.5)))
    assert result.status is ComplianceStatus.COMPLIANT


def test_the_chart_uses_its_own_points_not_the_series():
    # The outlier is excluded from the chart (chart_points without it): in control; the
    # series still has the value, so the period is current.
    values = replaced(date(2025, 10, 1), 6.5)
    kept = [(p, v) for p, v in values if p != date(2025, 10, 1)]
    result = verdict(series(values, chart_points=kept))
    assert result.status is ComplianceStatus.COMPLIANT


def test_fewer_than_six_chart_points_cannot_signal():
    values = [(date(2025, m, 1), v) for m, v in zip(range(8, 13), [10, 10, 1, 10, 10], strict=True)]
    checks = check_series(series(values))
    assert not checks.out_of_control
    assert checks.missing_periods == 7  # January-July


def test_values_after_the_last_complete_period_are_ignored():
    # January 2026 is still running on January 10th: its low value is not the latest value.
    # (The chart is cut at the same period by the caller: tests/api, test_the_running_period.)
    checks = check_series(series([*STEADY, (date(2026, 1, 1), 1.0)], targets={2026: (10.0, 9.0)}))
    assert checks.meets_target
    assert checks.missing_periods == 0


def test_periods_before_the_plan_started_are_not_due():
    values = [(p, v) for p, v in STEADY if p.year == 2025]
    assert check_series(series(values)).missing_periods == 0
    # A value before the start is still a value: the latest one when nothing came since.
    early = [(p, v) for p, v in STEADY if p.year == 2024]
    checks = check_series(series(early, targets={2025: (10.0, 9.0)}))
    assert checks.missing_periods == 12
    assert checks.meets_target  # December 2024 at 10.564 against school year 2025's 10


def test_the_target_is_the_one_of_the_latest_values_school_year():
    # December 2025 belongs to school year 2026; only 2025 has a target: nothing to meet.
    assert not check_series(series(targets={2025: (10.0, 9.0)})).meets_target
    assert check_series(series(targets={2026: (10.0, 9.0)})).meets_target
    assert not check_series(series(targets={2026: (10.6, 9.0)})).meets_target  # AMBER


def test_no_value_or_no_target_does_not_meet_the_target():
    assert not check_series(series([])).meets_target
    assert not check_series(series(targets={})).meets_target


def test_a_plans_own_target_replaces_the_measures():
    assert not check_series(series(fixed_target=10.6)).meets_target
    assert check_series(series(fixed_target=10.5, targets={})).meets_target
    assert check_series(series(fixed_target=10.6, higher_is_better=False)).meets_target


def test_a_review_counts_in_the_window_that_contains_it():
    windows = QUARTERS_2025[:2]
    # April 1st belongs to the second quarter, not the first.
    assert reviews_missing(windows, [date(2025, 4, 1)]) == [QUARTERS_2025[0]]
    assert reviews_missing(windows, [date(2025, 3, 31), date(2025, 4, 1)]) == []
    assert reviews_missing(windows, [date(2024, 12, 31), date(2025, 7, 1)]) == windows
    assert reviews_missing([], []) == []


# -- which periods are due ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "day", "first"),
    [
        (Frequency.MONTHLY, date(2025, 1, 15), date(2025, 2, 1)),
        (Frequency.MONTHLY, date(2025, 1, 1), date(2025, 1, 1)),
        (Frequency.QUARTERLY, date(2025, 1, 15), date(2025, 4, 1)),
        (Frequency.WEEKLY, date(2025, 1, 15), date(2025, 1, 20)),  # the next Monday
        (Frequency.DAILY, date(2025, 1, 15), date(2025, 1, 15)),
        (Frequency.SCHOOL_YEAR, date(2025, 7, 2), date(2026, 7, 1)),
        (Frequency.FISCAL_YEAR, date(2025, 9, 30), date(2025, 10, 1)),  # October fiscal years
    ],
)
def test_the_first_due_period_starts_on_or_after_the_plan(frequency, day, first):
    assert first_period_from(frequency, day, 10) == first


def test_due_windows_are_the_complete_periods_since_the_start():
    assert due_windows(Frequency.QUARTERLY, PLAN_START, AS_OF, 7) == QUARTERS_2025
    # The period containing as_of is not complete, even on its last day.
    assert due_windows(Frequency.MONTHLY, PLAN_START, date(2025, 3, 31), 7) == [
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 2, 1), date(2025, 3, 1)),
    ]
    assert due_windows(Frequency.MONTHLY, PLAN_START, date(2025, 1, 31), 7) == []
    assert last_complete_start(Frequency.MONTHLY, date(2025, 4, 1), 7) == date(2025, 3, 1)


def test_add_months_stays_in_the_month():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 2) == date(2026, 1, 15)
    assert add_months(date(2025, 1, 1), 12) == date(2026, 1, 1)


@pytest.mark.parametrize(
    "values",
    [
        STEADY,
        [*STEADY, (date(2026, 1, 1), 1.0)],  # a value after the last complete period
        [(p, v) for p, v in STEADY if p.month not in (3, 7)],  # two gaps
        [(p, v) for p, v in STEADY if p.year == 2024],  # nothing since the plan started
        [],
    ],
)
def test_a_series_kept_as_two_lists_is_checked_as_its_pairs(values):
    # The verdicts keep each series as the driver's arrays (analytics.points.Points).
    as_points = Points([p for p, _ in values], [v for _, v in values])
    assert check_series(series(as_points)) == check_series(series(values))  # type: ignore[arg-type]
