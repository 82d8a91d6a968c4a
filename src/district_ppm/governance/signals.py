"""The measures whose district-wide control chart ends on an unfavorable point: the agenda's
UNFAVORABLE_SIGNAL items and a person's SIGNALLING lines.

The measures area computes them, and its status refresh stores them
(``measures.latest_points``); the names stay here for the management reads.
"""

from __future__ import annotations

from district_ppm.measures.latest_points import (
    ChartedMeasure,
    DistrictPeriods,
    district_series,
    read_periods,
    unfavorable_latest_points,
)

__all__ = [
    "ChartedMeasure",
    "DistrictPeriods",
    "district_series",
    "read_periods",
    "unfavorable_latest_points",
]
