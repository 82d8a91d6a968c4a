"""The worker's status rows (measures/refresh.status_rows), from plain series and targets."""

from __future__ import annotations

from datetime import date

from district_ppm.measures.refresh import status_rows


def test_periods_at_the_ends_of_the_calendar_get_rows():
    # Given values recorded for 0001-01-01 (school year 1) and 9999-12-31 (school year 10000),
    # which recordMeasurements accepts for a DAILY measure.
    series = {None: [(date(1, 1, 1), 1.0), (date(9999, 12, 31), 2.0)]}

    # When the rows are computed (building the years' first and last days failed here, and
    # with it every refresh of the measure and the district's nightly full refresh).
    rows = status_rows(series=series, targets={}, higher_is_better=True)

    # Then each year has its row.
    assert [(r["school_year"], r["latest_value"], r["status"]) for r in rows] == [
        (1, 1.0, "NO_TARGET"),
        (10000, 2.0, "NO_TARGET"),
    ]
