"""School comparison: rank, percentile, peer median and gap (DOMAIN.md "Comparison")."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
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
    return [first_position[value] for value in values]


def percentile(rank: int, n: int) -> float:
    """``100 (n - rank) / (n - 1)``, to four decimals, halves up (thirds of a hundred would
    not end). In integers: the quotient is rational, so no float digit can decide a half,
    and the result is the float ``derived`` gives for it (a test checks every rank of every
    n up to 1,000), at a tenth of the cost for a 200-school comparison."""
    return percentiles([rank], n)[0]


def percentiles(ranks: Sequence[int], n: int) -> list[float]:
    """``percentile`` of each rank among ``n`` values (one expression, no call per rank)."""
    if n == 1:
        return [100.0 for _ in ranks]
    half, whole = n - 1, 2 * (n - 1)
    return [(2_000_000 * (n - rank) + half) // whole / 10_000 for rank in ranks]


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
        peer_medians=[medians[group] for group in groups],
        gaps_to_best=derived_each(abs(best[g] - v) for g, v in zip(groups, values, strict=True)),
    )


def per_100(value: float, enrollment: int | None) -> float | None:
    """The value per 100 enrolled students, to four decimals; None without an enrollment."""
    return None if not enrollment else derived(value * 100.0 / enrollment)
