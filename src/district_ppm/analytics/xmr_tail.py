"""Which points of a long series decide the last points of its XmR chart (analytics.xmr).

The limits come from the chart's first ``BASELINE_MAX`` kept points, and a point's rules read
the window ending at it, ``LONGEST_WINDOW`` kept points at most: the chart of the baseline and
the last ``points + LONGEST_WINDOW - 1`` kept points ends on the same ``points`` points, with
the same signals, as the chart of the whole series. Readers that look only at a chart's end
(the latest point's signal, the last six points of a compliance check) draw that shorter chart.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from district_ppm.analytics.xmr import BASELINE_MAX, RULES

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
