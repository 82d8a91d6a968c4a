"""KPI status and trend against hand-computed expectations."""

from __future__ import annotations

import pytest

from district_ppm.analytics.status import Status, kpi_status
from district_ppm.analytics.trend import Trend, least_squares_slope, trend


@pytest.mark.parametrize(
    ("value", "target", "red", "higher", "expected"),
    [
        (95.0, 95.0, 90.0, True, Status.GREEN),
        (96.0, 95.0, 90.0, True, Status.GREEN),
        (92.0, 95.0, 90.0, True, Status.AMBER),
        (90.0, 95.0, 90.0, True, Status.AMBER),  # at the threshold is not past it
        (89.9, 95.0, 90.0, True, Status.RED),
        (5.0, 5.0, 10.0, False, Status.GREEN),
        (7.0, 5.0, 10.0, False, Status.AMBER),
        (10.0, 5.0, 10.0, False, Status.AMBER),
        (10.5, 5.0, 10.0, False, Status.RED),
        (7.0, None, None, True, Status.NO_TARGET),
        (None, 5.0, 10.0, False, Status.NO_DATA),
        (None, None, None, False, Status.NO_DATA),
    ],
)
def test_status(value, target, red, higher, expected):
    assert kpi_status(value, target, red, higher_is_better=higher) is expected


def test_least_squares_slope_by_hand():
    # x-bar 2, y-bar 4; Sxx = 10, Sxy = 4 + 0 + 0 + 0 + 2 = 6
    assert least_squares_slope([2, 4, 5, 4, 5]) == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("values", "higher", "expected"),
    [
        ([1.0, 2.0], True, Trend.NOT_ENOUGH_DATA),
        ([1.0, 2.0, 3.0], True, Trend.IMPROVING),
        ([1.0, 2.0, 3.0], False, Trend.DECLINING),
        ([10.0, 8.0, 6.0, 4.0], False, Trend.IMPROVING),
        # slope 0.25 -> change 0.5, under 1% of the mean 100.17
        ([100.0, 100.0, 100.5], True, Trend.FLAT),
        # slope 0.6 over 2 steps -> change 1.2, over 1% of the mean 100.6
        ([100.0, 100.6, 101.2], True, Trend.IMPROVING),
        # only the last six count: the early 100 is ignored
        ([100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], True, Trend.FLAT),
        ([0.0, 0.0, 0.0], True, Trend.FLAT),
    ],
)
def test_trend(values, higher, expected):
    assert trend(values, higher_is_better=higher) is expected


def test_trend_fits_as_least_squares_slope_does():
    # trend() keeps each window length's x offsets; its verdicts are those of the slope and
    # mean computed from scratch, on windows where FLAT is a close call too.
    import random

    from district_ppm.analytics.trend import FLAT_FRACTION, MIN_POINTS, TREND_WINDOW

    def from_scratch(values: list[float], higher: bool) -> Trend:
        window = values[-TREND_WINDOW:]
        if len(window) < MIN_POINTS:
            return Trend.NOT_ENOUGH_DATA
        slope = least_squares_slope(window)
        change = slope * (len(window) - 1)
        mean = sum(window) / len(window)
        if change == 0 or abs(change) < FLAT_FRACTION * abs(mean):
            return Trend.FLAT
        return Trend.IMPROVING if (slope > 0) == higher else Trend.DECLINING

    rng = random.Random(6)
    for _ in range(20000):
        base = rng.uniform(-500, 500)
        values = [round(base + rng.gauss(0, abs(base) / 150), 1) for _ in range(rng.randint(0, 9))]
        higher = rng.random() < 0.5
        assert trend(values, higher_is_better=higher) is from_scratch(values, higher)
