"""Which points of a long series decide the last points of its XmR chart (analytics.xmr).

The limits come from the chart's first ``BASELINE_MAX`` kept points, and a point's rules read
the window ending at it, ``LONGEST_WINDOW`` kept points at most: the chart of the baseline and
the last ``points + LONGEST_WINDOW - 1`` kept points ends on the same ``points`` points, with
the same signals, as the chart of the whole series. Readers that look only at a chart's end
(the latest point's signal, the last six points of a compliance check) read only those points
(``tail_periods``) and judge only the points they look at (``chart_tail``, ``latest_point``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from district_ppm.analytics.xmr import (
    BASELINE_MAX,
    RULES,
    ChartStatus,
    PointSignals,
    XmrChart,
    baseline_limits,
    signals_at,
)

LONGEST_WINDOW = max(window for window, _, _ in RULES.values())


def tail_periods(
    periods: Sequence[date], start: date | None, exclusions: Collection[date], points: int = 1
) -> set[date]:
    """The periods (of ``periods``, oldest first) that decide the last ``points`` kept points of
    the chart drawn from ``start`` without ``exclusions``: its baseline, its last ``points +
    LONGEST_WINDOW - 1`` kept points, and its latest charted period (shown when excluded,
    where it never signals)."""
    charted = [p for p in periods if start is None or p >= start]
    if not charted:
        return set()
    kept = [p for p in charted if p not in exclusions]
    return {*kept[:BASELINE_MAX], *kept[-(points + LONGEST_WINDOW - 1) :], charted[-1]}


def chart_tail(values: Sequence[float], *, higher_is_better: bool, points: int) -> XmrChart:
    """``xmr_chart(values)`` with its last ``points`` points only: the same status and limits,
    and those points' signals, computed for them alone (a whole chart judges every point)."""
    limits = baseline_limits(values)
    tail = range(max(0, len(values) - points), len(values))
    if limits is None:
        return XmrChart(
            ChartStatus.NOT_ENOUGH_DATA, None, tuple(PointSignals((), False) for _ in tail)
        )
    judged = []
    for index in tail:
        signals = signals_at(values, index, limits)
        value = values[index]
        bad_side = value < limits.center if higher_is_better else value > limits.center
        judged.append(PointSignals(signals, bool(signals) and bad_side))
    return XmrChart(ChartStatus.OK, limits, tuple(judged))


def latest_point(
    series: Sequence[tuple[date, float]],
    *,
    start: date | None,
    exclusions: Collection[date],
    higher_is_better: bool,
) -> tuple[date, bool] | None:
    """The period of the latest point of the chart ``measures.charts.draw_chart`` draws (from
    ``start``, ``exclusions`` shown but taking no part) and whether it is unfavorable; None for
    an empty chart. An excluded latest point never is."""
    charted = [(p, v) for p, v in series if start is None or p >= start]
    if not charted:
        return None
    latest = charted[-1][0]
    if latest in exclusions:
        return latest, False
    kept = [v for p, v in charted if p not in exclusions]
    chart = chart_tail(kept, higher_is_better=higher_is_better, points=1)
    return latest, chart.points[-1].unfavorable


def unfavorable_tails(
    values: Sequence[float], *, higher_is_better: bool, points: int
) -> list[bool]:
    """For each prefix of ``values`` (element ``n - 1`` for the first ``n`` values): whether
    the chart of that prefix has an unfavorable point among its last ``points`` points, as
    ``chart_tail(values[:n], ...)`` judges them. What the chart said at each point of its
    history, in one pass: the limits settle once the baseline is full, and a point's rules
    read only the window ending at it, so from then on each point is judged once."""
    flags = []
    settled = min(len(values), BASELINE_MAX - 1)
    for n in range(1, settled + 1):  # the limits still move with each value
        chart = chart_tail(values[:n], higher_is_better=higher_is_better, points=points)
        flags.append(any(point.unfavorable for point in chart.points))
    if len(values) < BASELINE_MAX:
        return flags
    limits = baseline_limits(values)
    assert limits is not None  # a full baseline
    first = max(0, BASELINE_MAX - points)  # the oldest point a settled prefix's tail holds
    unfavorable = [False] * len(values)
    for index in range(first, len(values)):
        value = values[index]
        bad_side = value < limits.center if higher_is_better else value > limits.center
        unfavorable[index] = bad_side and bool(signals_at(values, index, limits))
    for n in range(BASELINE_MAX, len(values) + 1):
        flags.append(any(unfavorable[max(0, n - points) : n]))
    return flags
