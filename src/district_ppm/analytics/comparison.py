"""School comparison: rank, percentile, peer median and gap (DOMAIN.md "Comparison")."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from operator import eq, truediv
from typing import NamedTuple

from district_ppm.analytics.aggregation import derived, derived_each


class Standings(NamedTuple):
    """Columns of a comparison, one entry per value in the order the values were given:
    columns, not an object per school, since a district compares hundreds of schools on
    every dashboard read."""

    ranks: list[int]
    percentiles: list[float]
    peer_medians: list[float]
    gaps_to_best: list[float]


def competition_ranks(values: Sequence[float], *, higher_is_better: bool) -> list[int]:
    """1 = best; ties share the best rank and the next rank skips (1, 1, 3).

    A value's rank is its first position, from 1, among the values sorted best first: one
    sort, then a dict built from the positions read backwards, so that each value keeps
    its first (O(n log n), no Python step per value)."""
    ordered = sorted(values, reverse=higher_is_better)
    first_position = dict(zip(reversed(ordered), range(len(ordered), 0, -1), strict=True))
    return list(map(first_position.__getitem__, values))


def percentile(rank: int, n: int) -> float:
    """``100 (n - rank) / (n - 1)``, to four decimals, halves up (thirds of a hundred would
    not end). In integers: the quotient is rational, so no float digit can decide a half,
    and the result is the float ``derived`` gives for it (a test checks every rank of every
    n up to 1,000), at a tenth of the cost for a 200-school comparison."""
    return percentiles([rank], n)[0]


def percentiles(ranks: Sequence[int], n: int) -> list[float]:
    """``percentile`` of each rank among ``n`` values, looked up in the table of ``n``."""
    return list(map(_percentile_table(n).__getitem__, ranks))


@lru_cache(maxsize=256)
def _percentile_table(n: int) -> tuple[float, ...]:
    """The percentile of every rank 1..n among n values, at its rank's index: a district's
    comparisons of one measure rank the same number of schools, period after period."""
    if n == 1:
        return (100.0, 100.0)
    half, whole = n - 1, 2 * (n - 1)
    return (100.0, *((2_000_000 * (n - rank) + half) // whole / 10_000 for rank in range(1, n + 1)))


def standings(
    values: Sequence[float], groups: Sequence[Hashable], *, higher_is_better: bool
) -> Standings:
    """Rank every value district-wide; median and gap within its group (``groups[i]`` is the
    peer group, the school level, of ``values[i]``).

    The median and the gap are differences and means of the values: served to four decimals,
    so that 3.2 - 1.93 is 1.27, not 1.2700000000000002."""
    ranks = competition_ranks(values, higher_is_better=higher_is_better)
    by_group: dict[Hashable, list[float]] = defaultdict(list)
    for group, value in zip(groups, values, strict=True):
        by_group[group].append(value)
    pick = max if higher_is_better else min
    best = {group: pick(members) for group, members in by_group.items()}
    medians = {group: derived(statistics.median(members)) for group, members in by_group.items()}
    n = len(values)
    return Standings(
        ranks=ranks,
        percentiles=percentiles(ranks, n),
        peer_medians=list(map(medians.__getitem__, groups)),
        gaps_to_best=gaps_to_best(values, groups, best),
    )


def gaps_to_best(
    values: Sequence[float], groups: Sequence[Hashable], best: Mapping[Hashable, float]
) -> list[float]:
    """``derived(abs(best[group] - value))`` of each value, its group's best being one of
    the values.

    In whole ten-thousandths when every value is a decimal of at most four places below 1e9
    in magnitude (what districts record; each value is then exactly the float nearest its
    ten-thousandths, k / 10_000): the difference of two such decimals has at most four
    places, the float difference is within a few units in its last place of it, far less
    than the half of a ten-thousandth that would change its digits' rounding, so ``derived``
    gives the float nearest that exact difference. The ten-thousandths are integers held
    exactly in floats (below 1e13, far under 2**53), so their difference is exact and its
    division by 10_000 is the float nearest the quotient, as an int's true division gives.
    Any other value: ``derived_each`` of the float differences. A hypothesis test holds both
    paths to ``derived``."""
    if values and max(map(abs, values)) < 1e9:  # (a NaN fails the test below)
        scaled = [(value * 10_000.0 + _TO_INTEGER) - _TO_INTEGER for value in values]
        if all(map(eq, map(truediv, scaled, repeat(10_000.0)), values)):
            best_scaled = {
                group: (value * 10_000.0 + _TO_INTEGER) - _TO_INTEGER
                for group, value in best.items()
            }
            return [
                abs(best_scaled[group] - k) / 10_000.0
                for group, k in zip(groups, scaled, strict=True)
            ]
    return derived_each(abs(best[g] - v) for g, v in zip(groups, values, strict=True))


# 1.5 * 2**52: adding it to a float below 2**51 in magnitude, then taking it away, rounds the
# float to an integer (halves to even, as ``round``), in float arithmetic: no int is built.
_TO_INTEGER = 6_755_399_441_055_744.0


def per_100(value: float, enrollment: int | None) -> float | None:
    """The value per 100 enrolled students, to four decimals; None without an enrollment."""
    return None if not enrollment else derived(value * 100.0 / enrollment)
