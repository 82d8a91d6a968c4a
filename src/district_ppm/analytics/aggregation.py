"""District-wide value of a SCHOOL-level measure for one period, from the schools' values."""

from __future__ import annotations

import enum
from collections.abc import Sequence


class Aggregation(enum.StrEnum):
    SUM = "SUM"
    MEAN = "MEAN"
    ENROLLMENT_WEIGHTED_MEAN = "ENROLLMENT_WEIGHTED_MEAN"


def aggregate(values: Sequence[tuple[float, int | None]], how: Aggregation | str) -> float | None:
    """Aggregate ``(value, enrollment)`` pairs of the schools that reported the period.

    The weighted mean uses the schools whose enrollment is known and positive; when none is, it
    falls back to the plain mean (a weight of nothing is no reason to show no value).
    """
    if not values:
        return None
    how = Aggregation(how)
    if how is Aggregation.SUM:
        return sum(v for v, _ in values)
    if how is Aggregation.ENROLLMENT_WEIGHTED_MEAN:
        weighted = [(v, w) for v, w in values if w]
        total = sum(w for _, w in weighted)
        if total > 0:
            return sum(v * w for v, w in weighted) / total
    return sum(v for v, _ in values) / len(values)
