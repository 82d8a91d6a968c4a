"""District-wide value of a SCHOOL-level measure for one period, from the schools' values."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal


class Aggregation(enum.StrEnum):
    SUM = "SUM"
    MEAN = "MEAN"
    ENROLLMENT_WEIGHTED_MEAN = "ENROLLMENT_WEIGHTED_MEAN"
    # For rates and averages whose values carry the numerator and denominator they were made
    # of: the district's figure is the pooled Σnumerator / Σdenominator (a mean of the
    # schools' rates would give a school with 2 late runs the weight of one with 200).
    RATIO = "RATIO"


@dataclass(frozen=True, slots=True)
class SchoolValue:
    """One school's value for the period, with what the aggregations may weigh it by."""

    value: float
    enrollment: int | None = None
    numerator: float | None = None
    denominator: float | None = None


def aggregate(
    values: Sequence[SchoolValue], how: Aggregation | str, *, ratio_scale: float = 1.0
) -> float | None:
    """Aggregate the values of the schools that reported the period (None when none did).

    The weighted mean uses the schools whose enrollment is known and positive; when none is, it
    falls back to the plain mean (a weight of nothing is no reason to show no value).

    RATIO is ``ratio_scale * Σnumerator / Σdenominator`` (the scale is 100 for a percent made
    of counts), and 0 when the denominators sum to 0, as an average over no late runs is 0.
    It needs every school's numerator and denominator: when some school gave only a value, the
    pooled figure cannot be formed, and the plain mean of the values is shown instead.
    """
    if how.__class__ is not Aggregation:
        how = Aggregation(how)
    # Only the columns the aggregation reads.
    weighs, pools = how is Aggregation.ENROLLMENT_WEIGHTED_MEAN, how is Aggregation.RATIO
    return aggregate_columns(
        [v.value for v in values],
        how,
        enrollments=[v.enrollment for v in values] if weighs else None,
        numerators=[v.numerator for v in values] if pools else None,
        denominators=[v.denominator for v in values] if pools else None,
        ratio_scale=ratio_scale,
    )


def aggregate_columns(
    values: Sequence[float],
    how: Aggregation | str,
    *,
    enrollments: Sequence[int | None] | None = None,
    numerators: Sequence[float | None] | None = None,
    denominators: Sequence[float | None] | None = None,
    ratio_scale: float = 1.0,
) -> float | None:
    """``aggregate`` of the schools' values given column by column, as the driver reads them:
    no ``SchoolValue`` per school (a nightly run aggregates millions). A column left out is
    unknown for every school (no enrollments: the plain mean; no parts: no pooled RATIO).
    The same sums in the same order as ``aggregate``: the same floats."""
    if not values:
        return None
    if how.__class__ is not Aggregation:
        how = Aggregation(how)
    if how is Aggregation.SUM:
        return sum(values)
    if (
        how is Aggregation.RATIO
        and numerators is not None
        and denominators is not None
        and None not in numerators
        and None not in denominators
    ):
        denominator = sum(denominators)  # type: ignore[arg-type]
        return ratio_scale * sum(numerators) / denominator if denominator else 0.0  # type: ignore[arg-type]
    if how is Aggregation.ENROLLMENT_WEIGHTED_MEAN and enrollments is not None:
        weighted = [(v, w) for v, w in zip(values, enrollments, strict=True) if w]
        total = sum(w for _, w in weighted)
        if total > 0:
            return sum(v * w for v, w in weighted) / total
    return sum(values) / len(values)


# Enough digits for any finite float (up to 309 before the point) and its decimals: the default
# context's 28 would refuse to quantize anything from about 1e26 up.
_EXACT = Context(prec=400)


# Figures the service derives (a district-wide mean or sum of the schools' values, a median, a
# gap, an average of minutes) are served to this many decimals, rounded half up: binary floats
# make 119.25000000000001 of a sum a spreadsheet shows as 119.25, and 82.16666666666667 of a
# mean carries digits nobody recorded. Hours keep their two decimals (the contract's rule).
DERIVED_DECIMALS = 4


def derived(value: float) -> float:
    """A derived figure as served: ``DERIVED_DECIMALS`` places, halves away from zero."""
    return round_half_up(value, DERIVED_DECIMALS)


def round_half_up(value: float, decimals: int) -> float:
    """``value`` to ``decimals`` places, halves away from zero as its decimal digits read
    (2.675 gives 2.68, where binary ``round`` gives 2.67)."""
    # Most values are decided by the scaled float alone: its distance to a half is far
    # larger than the error of scaling (about 2.3e-16 of it, so under 2.3e-7 below 1e9),
    # and the integer it rounds to is the one the digits round to. Only a value within a
    # millionth of a half, or too large, has its digits read.
    scale = _SCALES[decimals] if decimals < len(_SCALES) else 0
    magnitude = abs(value) * scale
    if 0.0 < magnitude < 1e9:
        whole = int(magnitude)
        fraction = magnitude - whole  # exact: whole is the float's integer part
        if abs(fraction - 0.5) > 1e-6:
            rounded = (whole + (fraction > 0.5)) / scale
            return -rounded if value < 0 else rounded
    return _round_half_up_by_digits(value, decimals)


def derived_each(values: Iterable[float]) -> list[float]:
    """``derived`` of each value, the same arithmetic without two calls per value (a
    comparison derives a gap for each of hundreds of schools); a test holds it to
    ``derived``."""
    scale = _SCALES[DERIVED_DECIMALS]
    served: list[float] = []
    for value in values:
        magnitude = abs(value) * scale
        if 0.0 < magnitude < 1e9:
            whole = int(magnitude)
            fraction = magnitude - whole
            if abs(fraction - 0.5) > 1e-6:
                rounded = (whole + (fraction > 0.5)) / scale
                served.append(-rounded if value < 0 else rounded)
                continue
        served.append(_round_half_up_by_digits(value, DERIVED_DECIMALS))
    return served


# 10**decimals, for the places derived figures and hours are served to.
_SCALES = tuple(10**places for places in range(9))


def _round_half_up_by_digits(value: float, decimals: int) -> float:
    """``round_half_up`` read off the decimal digits ``repr`` writes: exact for any float."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP, context=_EXACT))
