"""A practice's gains where it was adopted (DOMAIN.md "Practices and adoptions").

For one adoption (a school, a date) and one SCHOOL-level measure of the practice:

- the *adoption period* is the measure's period that contains the adoption date; it counts for
  neither side, since the practice ran for only part of it;
- ``before`` is the mean of the school's up-to-6 latest values in periods starting before the
  adoption period, ``after`` the mean of its up-to-6 latest values in periods starting after it;
  each needs at least 3 values, else it is None;
- ``gain`` is ``after - before`` when higher is better and ``before - after`` when lower is
  better (positive is always an improvement), None when either side is None.

Figures are computed in decimal arithmetic from the values as written and rounded half-up to
``DECIMALS`` places, so no binary floating-point noise reaches a dashboard. ``gain`` is the
difference of the rounded ``before`` and ``after``, so it is exactly what a reader computes
from the two figures shown beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal

WINDOW = 6  # the latest values on each side that are averaged
MIN_VALUES = 3  # fewer values on a side leave that side (and the gain) unknown
DECIMALS = 4

# Enough digits for any finite float and its decimals (the default 28 would refuse to quantize
# very large values).
_EXACT = Context(prec=400)
_STEP = Decimal(1).scaleb(-DECIMALS)


@dataclass(frozen=True, slots=True)
class Gain:
    before: float | None
    after: float | None
    gain: float | None


def adoption_gain(
    series: Iterable[tuple[date, float]], *, adoption_period: date, higher_is_better: bool
) -> Gain:
    """The gain on one measure of one adoption.

    ``series`` holds the adopting school's values of the measure as ``(period start, value)``,
    in any order; ``adoption_period`` is the start of the measure's period that contains the
    adoption date.
    """
    ordered = sorted(series)
    before = _window_mean([value for start, value in ordered if start < adoption_period])
    after = _window_mean([value for start, value in ordered if start > adoption_period])
    if before is None or after is None:
        return Gain(before=_float(before), after=_float(after), gain=None)
    gain = _EXACT.subtract(after, before) if higher_is_better else _EXACT.subtract(before, after)
    return Gain(before=_float(before), after=_float(after), gain=_float(gain))


def median_gain(gains: Iterable[float | None]) -> float | None:
    """The median of the known gains (None when no gain is known).

    With an even count it is the mean of the two middle gains, exact: at most one decimal place
    more than the gains themselves.
    """
    known = sorted(_exact(gain) for gain in gains if gain is not None)
    if not known:
        return None
    middle = len(known) // 2
    if len(known) % 2:
        return _float(known[middle])
    return _float(_EXACT.divide(_EXACT.add(known[middle - 1], known[middle]), 2))


def _window_mean(values: list[float]) -> Decimal | None:
    """The mean of the latest ``WINDOW`` values (oldest first), rounded; None when too few."""
    window = values[-WINDOW:]
    if len(window) < MIN_VALUES:
        return None
    total = Decimal(0)
    for value in window:
        total = _EXACT.add(total, _exact(value))
    return _EXACT.divide(total, len(window)).quantize(_STEP, rounding=ROUND_HALF_UP, context=_EXACT)


def _exact(value: float) -> Decimal:
    # repr is the shortest decimal that reads back as the same float: 0.1 is 0.1, as written.
    return Decimal(repr(value))


def _float(value: Decimal | None) -> float | None:
    # Normalized first so that -0.0000 is served as 0.0, not -0.0.
    return None if value is None else float(value) + 0.0
