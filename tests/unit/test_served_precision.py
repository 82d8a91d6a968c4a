"""Figures the service derives carry no float noise: each is rounded where it is computed
(docs/formulas.md, "Precision"). Each case failed before with the unrounded float shown."""

from __future__ import annotations

import uuid
from datetime import date

from district_ppm.analytics.comparison import per_100, percentile, standings
from district_ppm.analytics.xmr import baseline_limits
from district_ppm.measures.models import Aggregation, Measure, MeasureLevel, Unit
from district_ppm.measures.series import Enrollments, district_wide
from district_ppm.transportation.minutes import average_late_minutes, on_time_rate

SEPTEMBER = date(2025, 9, 1)


def school_measure(unit: Unit, aggregation: Aggregation) -> Measure:
    return Measure(unit=unit, aggregation=aggregation, level=MeasureLevel.SCHOOL)


def test_a_district_sum_of_recorded_values_is_what_a_spreadsheet_shows():
    rows = [(uuid.uuid4(), SEPTEMBER, value, None, None) for value in (0.1, 0.2)]

    series = district_wide(school_measure(Unit.COUNT, Aggregation.SUM), rows, Enrollments([]))

    assert series == [(SEPTEMBER, 0.3)]  # 0.30000000000000004 in floats


def test_a_district_mean_is_served_to_four_decimals():
    rows = [(uuid.uuid4(), SEPTEMBER, value, None, None) for value in (82.1, 82.2, 82.2)]

    series = district_wide(school_measure(Unit.PERCENT, Aggregation.MEAN), rows, Enrollments([]))

    assert series == [(SEPTEMBER, 82.1667)]  # 82.16666666666667 unrounded


def test_comparison_gaps_medians_and_percentiles_have_four_decimals_at_most():
    ranked = standings([3.2, 1.93, 1.1], ["HIGH"] * 3, higher_is_better=True)

    assert ranked.gaps_to_best[:2] == [0.0, 1.27]  # 1.2700000000000002 unrounded
    assert standings([1.1, 2.2], [1, 1], higher_is_better=True).peer_medians == [1.65, 1.65]
    # 1.6500000000000001 unrounded
    assert percentile(2, 4) == 66.6667
    assert per_100(7, 3) == 233.3333


def test_chart_limits_are_shown_to_four_decimals():
    limits = baseline_limits([80.1, 81.3, 79.9, 80.6, 82.0, 80.4])
    assert limits is not None

    center, upper, lower = limits.served()

    assert (center, upper, lower) == (80.7167, 84.0677, 77.3656)
    assert limits.center == 80.71666666666665  # the rules still use the exact figures


def test_minutes_and_rates_of_bus_runs_have_four_decimals():
    assert average_late_minutes(25, 3) == 8.3333
    assert on_time_rate(21, 4) == 80.9524  # 17 of 21 runs
    assert on_time_rate(0, 0) == 0.0
    assert on_time_rate(60, 0) == 100.0
