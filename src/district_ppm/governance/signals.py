"""What the management reads flag a measure for: its district-wide control chart ending on an
unfavorable point (the agenda's UNFAVORABLE_SIGNAL items and a person's SIGNALLING lines), and
its district-wide scorecard row of the school year being RED (RED_MEASURE items, RED lines).

The measures area computes the signals, and its status refresh stores them
(``measures.latest_points``); the names stay here for the management reads.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam

from district_ppm.analytics.status import Status
from district_ppm.measures.latest_points import (
    ChartedMeasure,
    DistrictPeriods,
    district_series,
    read_periods,
    unfavorable_latest_points,
)
from district_ppm.measures.models import Measure, MeasureStatus

# The measure's district-wide scorecard row of the school year (``school_year`` parameter),
# when it is RED: the ON clause of an outer join from measures (as correlated subqueries,
# PostgreSQL scanned the year's 2,700 status rows once per measure).
RED_ROW_OF_MEASURE = and_(
    MeasureStatus.district_id == Measure.district_id,
    MeasureStatus.measure_id == Measure.id,
    MeasureStatus.school_id.is_(None),
    MeasureStatus.school_year == bindparam("school_year"),
    MeasureStatus.status == Status.RED.value,
)

__all__ = [
    "RED_ROW_OF_MEASURE",
    "ChartedMeasure",
    "DistrictPeriods",
    "district_series",
    "read_periods",
    "unfavorable_latest_points",
]
