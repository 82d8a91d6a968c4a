"""Trend over the last six periods with data (DOMAIN.md "KPI status", Trend)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from itertools import repeat
from operator import mul, sub

TREND_WINDOW = 6
MIN_POINTS = 3
FLAT_FRACTION = 0.01


class Trend(enum.StrEnum):
    IMPROVING = "IMPROVING"
    DECLINING = "DECLINING"
    FLAT = "FLAT"
    NOT_ENOUGH_DATA = "NOT_ENOUGH_DATA"


def least_squares_slope(values: Sequence[float]) -> float:
    """Slope of the least-squares line through (0, v0), (1, v1), ... ."""
    n = len(values)
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return sxy / sxx


# For each window length trend() fits: the points' x offsets from their mean and the sum of
# their squares, the same floats least_squares_slope computes, computed once (a nightly run
# fits a million windows).
def _fit(n: int) -> tuple[tuple[float, ...], float]:
    mean_x = (n - 1) / 2
    return tuple(x - mean_x for x in range(n)), sum((x - mean_x) ** 2 for x in range(n))


_FITS = {n: _fit(n) for n in range(MIN_POINTS, TREND_WINDOW + 1)}


def trend(values: Sequence[float], *, higher_is_better: bool) -> Trend:
    """Trend of a series ordered by period (only periods with data).

    The last six points are fitted by least squares, one step per point. The fitted change
    across them is ``slope * (n - 1)``; under 1% of the magnitude of their mean it is FLAT.
    """
    window = values[-TREND_WINDOW:]
    n = len(window)
    if n < MIN_POINTS:
        return Trend.NOT_ENOUGH_DATA
    # least_squares_slope(window), its sums in the same order.
    offsets, sxx = _FITS[n]
    mean = sum(window) / n
    slope = sum(map(mul, offsets, map(sub, window, repeat(mean, n)))) / sxx
    change = slope * (n - 1)
    if change == 0 or abs(change) < FLAT_FRACTION * abs(mean):
        return Trend.FLAT
    return Trend.IMPROVING if (slope > 0) == higher_is_better else Trend.DECLINING
