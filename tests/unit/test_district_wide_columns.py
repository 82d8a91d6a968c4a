"""The status refresh's column-by-column readings give the figures of the row-by-row ones:
``aggregate_columns`` those of ``aggregate``, ``district_wide_of_histories`` those of
``district_wide`` over the same rows and, over histories in school id order, the series
``read_periods`` makes (the chart points' reads). Equal floats, not close ones: a stored
figure must be the one a reader computes."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from district_ppm.analytics.aggregation import (
    Aggregation,
    SchoolValue,
    aggregate,
    aggregate_columns,
)
from district_ppm.measures.latest_points import DistrictPeriods
from district_ppm.measures.models import Measure, MeasureLevel, Unit
from district_ppm.measures.series import (
    Enrollments,
    History,
    district_wide,
    district_wide_of_histories,
)

MONTHS = [date(2023 + (6 + k) // 12, (6 + k) % 12 + 1, 1) for k in range(24)]


def school_values(rng: random.Random, n: int, parts: bool) -> list[SchoolValue]:
    return [
        SchoolValue(
            round(rng.uniform(-50, 500), rng.choice((0, 1, 3, 7))),
            rng.choice((None, 0, rng.randint(1, 900))),
            float(rng.randint(0, 300)) if parts and rng.random() > 0.05 else None,
            float(rng.randint(0, 400)) if parts and rng.random() > 0.05 else None,
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("how", list(Aggregation))
def test_aggregate_columns_is_aggregate(how: Aggregation) -> None:
    rng = random.Random(how.value)
    for k in range(2000):
        values = school_values(rng, rng.randint(0, 12), parts=k % 2 == 0)
        expected = aggregate(values, how, ratio_scale=100.0)
        found = aggregate_columns(
            [v.value for v in values],
            how,
            enrollments=[v.enrollment for v in values],
            numerators=[v.numerator for v in values],
            denominators=[v.denominator for v in values],
            ratio_scale=100.0,
        )
        assert repr(found) == repr(expected)


def histories(rng: random.Random, schools: int, ragged: bool) -> list[History]:
    found: list[History] = []
    for _ in range(schools):
        months = [m for m in MONTHS if not ragged or rng.random() > 0.3]
        found.append(
            (
                uuid.uuid4(),
                months,
                [round(rng.uniform(0, 120), rng.choice((1, 4))) for _ in months],
                [float(rng.randint(0, 50)) for _ in months],
                [float(rng.randint(1, 80)) for _ in months],
            )
        )
    return found


def enrollments_of(rows: list[History], rng: random.Random) -> Enrollments:
    return Enrollments(
        [
            (school, year, rng.randint(0, 900))
            for school, *_ in rows
            if school is not None
            for year in (2024, 2025)
        ]
    )


@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("how", list(Aggregation))
def test_district_wide_of_histories_is_district_wide(how: Aggregation, ragged: bool) -> None:
    rng = random.Random(f"{how}{ragged}")
    for unit in (Unit.PERCENT, Unit.HOURS, Unit.COUNT):
        measure = Measure(unit=unit, aggregation=how, level=MeasureLevel.SCHOOL)
        for _ in range(20):
            rows = histories(rng, rng.randint(1, 12), ragged)
            enrollments = enrollments_of(rows, rng)
            flat = [
                (school, period, value, numerator, denominator)
                for school, *history in rows
                for period, value, numerator, denominator in zip(*history, strict=True)
            ]
            expected = sorted(district_wide(measure, flat, enrollments))
            found = district_wide_of_histories(measure, rows, enrollments)
            assert repr(found) == repr(expected)


@pytest.mark.parametrize("ragged", [False, True])
def test_the_refresh_series_is_the_one_read_periods_makes(ragged: bool) -> None:
    # The status refresh reads a measure's histories in school id order (_HISTORIES_SQL); its
    # district-wide series is then the one the chart reads make (_BY_PERIOD: a period's
    # schools in id order), so the job stores chart points from it.
    rng = random.Random(ragged)
    for unit in (Unit.PERCENT, Unit.HOURS):
        for how in Aggregation:
            measure = Measure(
                id=uuid.uuid4(), unit=unit, aggregation=how, level=MeasureLevel.SCHOOL
            )
            rows = sorted(histories(rng, 9, ragged), key=lambda h: h[0].bytes if h[0] else b"")
            enrollments = enrollments_of(rows, rng)
            by_period: dict[date, list[Any]] = defaultdict(list)
            for school, *history in rows:
                for period, *figures in zip(*history, strict=True):
                    by_period[period].append((school, *figures))
            weighted = how is Aggregation.ENROLLMENT_WEIGHTED_MEAN
            read: list[Any] = [
                (
                    measure.id,
                    period,
                    [r[1] for r in each],
                    [r[2] for r in each],
                    [r[3] for r in each],
                    [r[0] for r in each] if weighted else None,
                )
                for period, each in sorted(by_period.items())
            ]
            expected = DistrictPeriods(read, enrollments).series(measure)
            found = district_wide_of_histories(measure, rows, enrollments)
            assert repr(found) == repr(expected)
