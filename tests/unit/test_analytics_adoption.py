"""Adoption gains and their district-wide median, against hand-computed figures."""

from __future__ import annotations

import math
from datetime import date

import pytest

from district_ppm.analytics.adoption import Gain, adoption_gain, median_gain
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import period_containing


def months(year: int, month: int, values: list[float]) -> list[tuple[date, float]]:
    """Monthly points from ``year-month`` on, one per value."""
    points = []
    for offset, value in enumerate(values):
        index = year * 12 + month - 1 + offset
        points.append((date(index // 12, index % 12 + 1, 1), value))
    return points


JULY = date(2024, 7, 1)


def test_before_and_after_are_the_means_of_each_side_of_the_adoption_period():
    # Jan-Jun 2024 before, the adoption month July left out, Aug-Dec after.
    series = months(2024, 1, [80, 82, 84, 86, 88, 90, 500, 91, 92, 93, 94, 95])

    gain = adoption_gain(series, adoption_period=JULY, higher_is_better=True)

    # before = (80+82+84+86+88+90)/6 = 510/6 = 85; after = (91+...+95)/5 = 465/5 = 93
    assert gain == Gain(before=85.0, after=93.0, gain=8.0)


def test_the_adoption_period_counts_for_neither_side():
    with_outlier = months(2024, 4, [10, 10, 10, 1_000_000, 20, 20, 20])
    without = months(2024, 4, [10, 10, 10]) + months(2024, 8, [20, 20, 20])

    assert adoption_gain(with_outlier, adoption_period=JULY, higher_is_better=True) == Gain(
        before=10.0, after=20.0, gain=10.0
    )
    assert adoption_gain(without, adoption_period=JULY, higher_is_better=True) == Gain(
        before=10.0, after=20.0, gain=10.0
    )


def test_lower_is_better_counts_a_fall_as_a_gain():
    series = months(2024, 4, [12, 14, 16]) + months(2024, 8, [9, 10, 8])

    gain = adoption_gain(series, adoption_period=JULY, higher_is_better=False)

    # before = 42/3 = 14, after = 27/3 = 9; gain = before - after = 5
    assert gain == Gain(before=14.0, after=9.0, gain=5.0)


def test_a_worse_after_is_a_negative_gain_in_both_directions():
    up = months(2024, 4, [10, 10, 10]) + months(2024, 8, [7, 7, 7])

    assert adoption_gain(up, adoption_period=JULY, higher_is_better=True).gain == -3.0
    assert adoption_gain(up, adoption_period=JULY, higher_is_better=False).gain == 3.0


def test_fewer_than_three_values_on_a_side_leave_it_and_the_gain_null():
    two_before = months(2024, 5, [10, 12]) + months(2024, 8, [20, 21, 22])
    two_after = months(2024, 4, [10, 11, 12]) + months(2024, 8, [20, 22])

    assert adoption_gain(two_before, adoption_period=JULY, higher_is_better=True) == Gain(
        before=None, after=21.0, gain=None
    )
    assert adoption_gain(two_after, adoption_period=JULY, higher_is_better=True) == Gain(
        before=11.0, after=None, gain=None
    )
    assert adoption_gain([], adoption_period=JULY, higher_is_better=True) == Gain(
        before=None, after=None, gain=None
    )


def test_exactly_three_values_are_enough():
    series = months(2024, 4, [1, 2, 3]) + months(2024, 8, [4, 5, 6])

    assert adoption_gain(series, adoption_period=JULY, higher_is_better=True) == Gain(
        before=2.0, after=5.0, gain=3.0
    )


def test_only_the_latest_six_values_of_each_side_count():
    # Before: Nov 2023 - Jun 2024 (8 values); the latest six are Jan-Jun = 1..6 -> mean 3.5.
    before = months(2023, 11, [100, 100, 1, 2, 3, 4, 5, 6])
    # After: Aug 2024 - Mar 2025 (8 values); the latest six are Oct-Mar (not the first six
    # after adoption) = 10..15 -> mean 12.5.
    after = months(2024, 8, [900, 900, 10, 11, 12, 13, 14, 15])

    gain = adoption_gain(before + after, adoption_period=JULY, higher_is_better=True)

    assert gain == Gain(before=3.5, after=12.5, gain=9.0)


def test_points_may_come_in_any_order():
    series = months(2024, 1, [80, 82, 84, 86, 88, 90, 500, 91, 92, 93, 94, 95])

    shuffled = list(reversed(series))

    assert adoption_gain(shuffled, adoption_period=JULY, higher_is_better=True) == Gain(
        before=85.0, after=93.0, gain=8.0
    )


def test_figures_carry_no_floating_point_noise():
    series = months(2024, 4, [0.1, 0.1, 0.1]) + months(2024, 8, [0.3, 0.3, 0.3])

    gain = adoption_gain(series, adoption_period=JULY, higher_is_better=True)

    assert 0.3 - 0.1 != 0.2  # what binary arithmetic would have served
    assert gain == Gain(before=0.1, after=0.3, gain=0.2)
    assert repr(gain.gain) == "0.2"


def test_means_round_half_up_to_four_decimals_and_the_gain_is_their_difference():
    thirds = months(2024, 4, [0, 0, 1]) + months(2024, 8, [0, 1, 1])
    halves = months(2024, 4, [1.00005, 1.00005, 1.00005]) + months(2024, 8, [2, 2, 2])

    # before = 1/3 -> 0.3333, after = 2/3 -> 0.6667; gain as shown: 0.6667 - 0.3333
    assert adoption_gain(thirds, adoption_period=JULY, higher_is_better=True) == Gain(
        before=0.3333, after=0.6667, gain=0.3334
    )
    # 1.00005 is a half: it rounds up (binary rounding of the float would give 1.0)
    assert adoption_gain(halves, adoption_period=JULY, higher_is_better=True) == Gain(
        before=1.0001, after=2.0, gain=0.9999
    )


def test_no_change_is_a_plain_zero_gain():
    series = months(2024, 4, [5, 5, 5]) + months(2024, 8, [5, 5, 5])

    gain = adoption_gain(series, adoption_period=JULY, higher_is_better=False).gain

    assert gain == 0.0 and math.copysign(1.0, gain) == 1.0  # not -0.0


def test_large_values_keep_every_digit():
    big = 123_456_789_012.3456
    series = months(2024, 4, [big, big, big]) + months(2024, 8, [big + 1, big + 1, big + 1])

    assert adoption_gain(series, adoption_period=JULY, higher_is_better=True) == Gain(
        before=123_456_789_012.3456, after=123_456_789_013.3456, gain=1.0
    )


@pytest.mark.parametrize(
    ("frequency", "adopted_on", "period"),
    [
        (Frequency.DAILY, date(2024, 9, 18), date(2024, 9, 18)),
        (Frequency.WEEKLY, date(2024, 9, 18), date(2024, 9, 16)),  # the Monday before
        (Frequency.MONTHLY, date(2024, 9, 18), date(2024, 9, 1)),
        (Frequency.QUARTERLY, date(2024, 9, 18), date(2024, 7, 1)),
        (Frequency.QUARTERLY, date(2024, 1, 1), date(2024, 1, 1)),
        (Frequency.SCHOOL_YEAR, date(2024, 6, 30), date(2023, 7, 1)),
        (Frequency.SCHOOL_YEAR, date(2024, 7, 1), date(2024, 7, 1)),
        (Frequency.FISCAL_YEAR, date(2024, 9, 30), date(2023, 10, 1)),  # FY from October
        (Frequency.FISCAL_YEAR, date(2024, 10, 1), date(2024, 10, 1)),
    ],
)
def test_the_adoption_period_is_the_measures_period_containing_the_date(
    frequency, adopted_on, period
):
    assert period_containing(frequency, adopted_on, 10) == period


def test_quarterly_adoption_leaves_out_the_whole_quarter():
    quarters = [
        (date(2023, 7, 1), 50.0),
        (date(2023, 10, 1), 52.0),
        (date(2024, 1, 1), 54.0),
        (date(2024, 4, 1), 56.0),
        (date(2024, 7, 1), 99.0),  # the quarter adopted in
        (date(2024, 10, 1), 60.0),
        (date(2025, 1, 1), 62.0),
        (date(2025, 4, 1), 64.0),
    ]
    adoption_period = period_containing(Frequency.QUARTERLY, date(2024, 8, 20), 7)

    gain = adoption_gain(quarters, adoption_period=adoption_period, higher_is_better=True)

    # before = (50+52+54+56)/4 = 53, after = (60+62+64)/3 = 62
    assert gain == Gain(before=53.0, after=62.0, gain=9.0)


@pytest.mark.parametrize(
    ("gains", "median"),
    [
        ([], None),
        ([None, None], None),
        ([4.0], 4.0),
        ([3.0, None, 1.0, 2.0], 2.0),  # nulls excluded: median of 1, 2, 3
        ([8.0, 2.0, 4.0, 6.0], 5.0),  # even count: mean of the middle two
        ([0.0001, 0.0002], 0.00015),  # exact, one decimal more than the gains
        ([0.1, 0.2], 0.15),
        ([-2.5, 1.0, -0.5], -0.5),
    ],
)
def test_median_gain(gains, median):
    assert median_gain(gains) == median
