"""XmR (individuals) control charts and the Western Electric rules (DOMAIN.md "Control charts").

Limits come from a fixed baseline (the first up-to-12 points; at least 6), so they do not drift
as data accumulate. A point carries rule k when the window ending at it satisfies rule k and
the point itself is on that side (beyond the zone, for rules 1-3).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from district_ppm.analytics.aggregation import derived

D2 = 1.128  # the bias-correction constant for moving ranges of two
BASELINE_MAX = 12
BASELINE_MIN = 6

# rule: (window length, points needed beyond the zone, zone in sigmas; 0 = the centre line)
RULES: dict[int, tuple[int, int, float]] = {
    1: (1, 1, 3.0),
    2: (3, 2, 2.0),
    3: (5, 4, 1.0),
    4: (8, 8, 0.0),
}


class ChartStatus(enum.StrEnum):
    OK = "OK"
    NOT_ENOUGH_DATA = "NOT_ENOUGH_DATA"


class Assurance(enum.StrEnum):
    """Where the target lies against the natural process limits."""

    WILL_PASS = "WILL_PASS"  # the process will consistently meet the target
    WILL_FAIL = "WILL_FAIL"  # the process will consistently miss it
    SOMETIMES = "SOMETIMES"  # the target lies between the limits: it will sometimes pass


@dataclass(frozen=True, slots=True)
class Limits:
    center: float
    sigma: float

    @property
    def upper(self) -> float:
        return self.center + 3 * self.sigma

    @property
    def lower(self) -> float:
        return self.center - 3 * self.sigma

    def served(self) -> tuple[float, float, float]:
        """CL, UCL and LCL as the chart shows them: four decimals, rounded half up (a mean of
        twelve values rarely ends). Signals are judged on the unrounded figures."""
        return derived(self.center), derived(self.upper), derived(self.lower)


class PointSignals(NamedTuple):
    """A tuple, not a frozen dataclass (whose every field is set by a Python call): a
    compliance computation judges thousands of points."""

    signals: tuple[int, ...]
    unfavorable: bool


@dataclass(frozen=True, slots=True)
class XmrChart:
    status: ChartStatus
    limits: Limits | None
    points: tuple[PointSignals, ...]


def baseline_limits(values: Sequence[float]) -> Limits | None:
    """CL and sigma-hat from the first up-to-12 values, or None with fewer than 6."""
    baseline = list(values[:BASELINE_MAX])
    if len(baseline) < BASELINE_MIN:
        return None
    center = sum(baseline) / len(baseline)
    ranges = [abs(b - a) for a, b in itertools.pairwise(baseline)]
    mr_bar = sum(ranges) / len(ranges)
    return Limits(center=center, sigma=mr_bar / D2)


# (rule, window, points needed beyond the zone, zone), in rule order.
_RULES = tuple((rule, window, needed, zone) for rule, (window, needed, zone) in RULES.items())


def signals_at(values: Sequence[float], index: int, limits: Limits) -> tuple[int, ...]:
    """The rules the point at ``index`` carries."""
    carried = []
    center, sigma = limits.center, limits.sigma
    distance = values[index] - center
    for rule, window, needed, zone in _RULES:
        if index + 1 < window:
            continue
        # Inline, no call per value (that was most of a chart's time): sigma is never
        # negative, so below the zone is never above it.
        edge = zone * sigma
        if distance > edge:
            beyond = (v - center > edge for v in values[index + 1 - window : index])
        elif distance < -edge:
            beyond = (v - center < -edge for v in values[index + 1 - window : index])
        else:
            continue
        # The point itself is beyond; of the others at most window - needed may not be:
        # stop at the first one too many (rule 4's run of eight often ends a point back).
        spare = window - needed
        for is_beyond in beyond:
            if not is_beyond:
                spare -= 1
                if spare < 0:
                    break
        else:
            carried.append(rule)
    return tuple(carried)


def xmr_chart(values: Sequence[float], *, higher_is_better: bool) -> XmrChart:
    """The chart of ``values`` (ordered, exclusions already removed)."""
    limits = baseline_limits(values)
    if limits is None:
        return XmrChart(
            ChartStatus.NOT_ENOUGH_DATA, None, tuple(PointSignals((), False) for _ in values)
        )
    points = []
    for index, value in enumerate(values):
        signals = signals_at(values, index, limits)
        bad_side = value < limits.center if higher_is_better else value > limits.center
        points.append(PointSignals(signals, bool(signals) and bad_side))
    return XmrChart(ChartStatus.OK, limits, tuple(points))


def assurance(target: float, limits: Limits, *, higher_is_better: bool) -> Assurance:
    """Whether the target lies beyond the limits (always pass or always fail) or between."""
    if limits.lower <= target <= limits.upper:
        return Assurance.SOMETIMES
    below = target < limits.lower
    # Higher is better and the target is under the whole process: it will always pass.
    return Assurance.WILL_PASS if below == higher_is_better else Assurance.WILL_FAIL
